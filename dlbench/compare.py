"""`dlbench compare`: is the contender faster than the baseline, model by model, and is it significant?

    from dlbench.compare import compare
    result = compare("warehouse.duckdb", "framework=torch", "framework=jax", metric="total")
    print(result.markdown())
    result.failed("regression")   # True when a model is slower by more than the factor with p < alpha

Each side is a stack selector (`framework=torch,version=2.13`, see SELECTOR_KEYS) read from one
warehouse, or a file: a TOML file (ingested into a warehouse in a temporary folder; the file is only
read) or a warehouse (opened read-only), to compare two states of the same runs: both are attached
and their runs pair on run_id (sql/report/compare_states.sql). The statistics are SQL written once
(sql/fragments/compare_stats.sql), shared by the `compare(...)` macro, the view `comparisons` and
the two states; this module only picks the runs, formats and judges.
"""
from __future__ import annotations

import contextlib
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import sqlfiles
from .errors import UsageError
from .fmt import MISSING, fmt_ms, ratio3
from .output import markdown, render

if TYPE_CHECKING:
    from .warehouse import Warehouse

METRICS = {"total": "total_ms", "forward": "forward_ms", "backward": "backward_ms", "memory": "memory_bytes"}
FORMATS = ("markdown", "csv", "json")
# the vocabularies are data (sql/seeds), read here and by the SQL alike
SELECTOR_KEYS = tuple(k["key"] for k in sqlfiles.seed("compare_selector_keys").dicts())
MARKS = sqlfiles.seed("compare_marks").dicts()  # in the legend's order
MARK_ORDER = "".join(m["mark"] for m in sorted(MARKS, key=lambda m: m["sort_position"]))  # rows' order
FAIL_ON = tuple(c.removeprefix("fails_") for c in sqlfiles.seed("compare_marks").columns
                if c.startswith("fails_")) + ("none",)
LEGEND = {m["mark"]: m["meaning"] for m in MARKS}


class BadSide(UsageError):
    "A compare selector or file names nothing that can be compared"


@dataclass(frozen=True)
class Side:
    """One side of a comparison as given: a selector, a TOML file or a warehouse file."""

    text: str
    kind: str  # "selector", "toml" or "warehouse"

    @property
    def terms(self) -> list[tuple[str, str]]:
        out = []
        for term in self.text.split(","):
            if term.strip():
                key, _, value = term.partition("=")
                out.append((key.strip().lower(), value.strip()))
        return out


def parse_side(text: str) -> Side:
    """A selector (`key=value,...`), or the path of a TOML file or a warehouse that exists."""
    path = Path(text)
    if path.is_file():
        return Side(text, "toml" if path.suffix.lower() == ".toml" else "warehouse")
    if "=" not in text:
        raise BadSide(f"{text!r} is neither a selector (key=value,...; keys: {', '.join(SELECTOR_KEYS)}) "
                      f"nor a file that exists")
    side = Side(text, "selector")
    for key, value in side.terms:
        if key not in SELECTOR_KEYS:
            raise BadSide(f"{text!r}: unknown selector key {key!r}; expected one of {', '.join(SELECTOR_KEYS)}")
        if not value:
            raise BadSide(f"{text!r}: {key} has no value; expected {key}=VALUE")
    return side


@dataclass
class Comparison:
    """The rows of one comparison (dicts with the compare(...) macro's columns and a `verdict`)."""

    baseline: str
    contender: str
    metric: str
    factor: float
    alpha: float
    rows: list[dict] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return "MB" if self.metric == "memory_bytes" else "ms"

    def count(self, marks: str) -> int:
        return sum(r["mark"] in marks for r in self.rows)

    def failed(self, fail_on: str) -> bool:
        """Whether the gate fails: any row with a mark the seed compare_marks fails on for `fail_on`
        (regression: '+'; change: '+', '-' or '!'); none: never."""
        if fail_on == "none":
            return False
        return self.count("".join(m["mark"] for m in MARKS if m[f"fails_{fail_on}"])) > 0

    def geomeans(self) -> list[dict]:
        """One row per pair of stacks (and machines): its geometric mean ratio over models."""
        seen, out = set(), []
        for r in self.rows:  # stacks by their keys, as the SQL groups them: two may look alike
            key = (r["baseline_machine_key"], r["baseline_stack_id"], r["contender_machine_key"],
                   r["contender_stack_id"])
            if r["geomean_ratio"] is None or key in seen:
                continue
            seen.add(key)
            out.append({"baseline_machine_key": key[0], "baseline_stack": r["baseline_stack"],
                        "contender_machine_key": key[2], "contender_stack": r["contender_stack"],
                        "geomean_ratio": r["geomean_ratio"],
                        "geomean_low": r["geomean_low"], "geomean_high": r["geomean_high"],
                        "models": r["geomean_models"]})
        return out

    # -- text ------------------------------------------------------------------------
    def _value(self, v) -> str:
        if v is None:
            return MISSING
        return fmt_ms(v / 1e6) if self.metric == "memory_bytes" else fmt_ms(round(v, 1))

    def markdown(self) -> str:
        what = {"total_ms": "total time (forward + backward) per minibatch, ms",
                "forward_ms": "forward time per minibatch, ms", "backward_ms": "backward time per minibatch, ms",
                "memory_bytes": "memory, MB"}[self.metric]
        out = [f"# {self.contender} against {self.baseline}\n",
               f"Metric: {what}; the median of each run's samples where it has them, else its reported "
               f"number. Ratio = contender / baseline (above 1: slower). Factor {self.factor:g}, "
               f"alpha {self.alpha:g}.\n"]
        if not self.rows:
            return "\n".join(out + ["No pair of runs to compare.\n"])
        many_machines = len({r["baseline_machine_key"] for r in self.rows}
                            | {r["contender_machine_key"] for r in self.rows if r["contender_machine_key"]}) > 1
        columns = ["", "model"] + (["machine"] if many_machines else []) + [
            "baseline", f"baseline {self.unit}", "contender", f"contender {self.unit}", "ratio",
            "interval", "p", "verdict"]
        body = []
        for r in self.rows:
            machine = r["baseline_machine_key"]
            if r["contender_machine_key"] and r["contender_machine_key"] != machine:
                machine += f" → {r['contender_machine_key']}"
            body.append(tuple([r["mark"], r["model"]] + ([machine] if many_machines else []) + [
                r["baseline_stack"] or MISSING, self._value(r["baseline_value"]), r["contender_stack"] or MISSING,
                self._value(r["contender_value"]), ratio3(r["ratio"]), _interval(r["ratio_low"], r["ratio_high"]),
                _p(r["p_value"]), r["verdict"]]))
        out.append(markdown(columns, body, align_right={f"baseline {self.unit}", f"contender {self.unit}",
                                                        "ratio", "p"}))
        means = self.geomeans()
        if means:
            out.append("Geometric mean of the ratios over the models each pair of stacks shares:\n")
            body = [(g["baseline_stack"] + (f" ({g['baseline_machine_key']})" if many_machines else ""),
                     g["contender_stack"] + (f" ({g['contender_machine_key']})" if many_machines else ""),
                     str(g["models"]), ratio3(g["geomean_ratio"]), _interval(g["geomean_low"], g["geomean_high"]),
                     _words(g["geomean_ratio"], self.metric))
                    for g in means]
            out.append(markdown(["baseline", "contender", "models", "geomean ratio", "interval", "reading"], body,
                                align_right={"models", "geomean ratio"}))
        out.append(self.summary() + "\n")
        out.append(legend(self.factor, self.alpha))
        return "\n".join(out)

    def summary(self) -> str:
        counted = [f"{self.count(m['mark'])} {m['counted'].format(factor=f'{self.factor:g}')}"
                   for m in sorted(MARKS, key=lambda m: m["summary_position"])]
        return f"{len(self.rows)} comparison(s): {', '.join(counted)}."

    def records(self) -> list[dict]:
        keep = ["mark", "model", "model_key", "metric", "baseline_machine_key", "baseline_stack",
                "baseline_source", "baseline_run_id", "contender_machine_key", "contender_stack",
                "contender_source", "contender_run_id", "baseline_value", "contender_value", "baseline_n",
                "contender_n", "ratio", "ratio_low", "ratio_high", "u", "p_value", "status", "verdict"]
        return [{k: r[k] for k in keep} for r in self.rows]

    def render(self, fmt: str) -> str:
        if fmt == "markdown":
            return self.markdown()
        records = self.records()
        if fmt == "csv":
            columns = list(records[0]) if records else ["mark"]
            return render(columns, [tuple(r.values()) for r in records], "csv")
        if fmt == "json":
            import json

            doc = {"baseline": self.baseline, "contender": self.contender, "metric": self.metric,
                   "factor": self.factor, "alpha": self.alpha, "rows": records, "geomeans": self.geomeans(),
                   "counts": {m: self.count(m) for m in MARK_ORDER}}
            return json.dumps(doc, indent=2, ensure_ascii=False, default=_json_default) + "\n"
        raise UsageError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _json_default(v):
    return None if isinstance(v, float) and not math.isfinite(v) else str(v)


def legend(factor: float, alpha: float) -> str:
    lines = ["Marks (as asv compare):\n"]
    for mark, text in LEGEND.items():
        shown = "` `" if mark == " " else f"`{mark}`"
        lines.append(f"- {shown} {text.format(factor=f'{factor:g}', alpha=f'{alpha:g}')}")
    lines.append("\nratio: contender / baseline; interval: the contender's 95% median interval over the "
                 "baseline's (order statistics, at least 90% together; — with fewer than 6 samples a side); "
                 "p: two-sided Mann-Whitney U test, normal approximation with tie and continuity corrections "
                 "(— without at least 2 samples a side). The geometric mean's interval combines the models' "
                 "intervals on the log scale.\n")
    return "\n".join(lines)


def _interval(lo, hi) -> str:
    return MISSING if lo is None or hi is None else f"{ratio3(lo)}–{ratio3(hi)}"


def _p(p) -> str:
    if p is None:
        return MISSING
    return "1" if p >= 0.9995 else (f"{p:.3f}" if p >= 0.001 else f"{p:.1e}")


def _words(ratio, metric: str) -> str:
    """pyperf's reading of a ratio: "1.10x slower", "1.25x faster", "same"."""
    if ratio is None:
        return MISSING
    more, less = ("bigger", "smaller") if metric == "memory_bytes" else ("slower", "faster")
    if round(ratio, 3) == 1:
        return "same"
    return f"{ratio:.2f}x {more}" if ratio > 1 else f"{1 / ratio:.2f}x {less}"


def verdict(row: dict, factor: float, alpha: float, metric: str) -> str:
    """One line that says what a row means."""
    mark, status = row["mark"], row["status"]
    if mark == "!":
        return ("missing in the contender" if status == "missing in the contender"
                else "not measured in the contender")
    if mark == "x":
        return "not measured in the baseline"
    words = _words(row["ratio"], metric)
    if status == "no samples":
        return f"{words}; no samples: ratio only, no test"
    if status == "too few samples":
        return f"{words}; too few samples to test (fewer than 2 a side)"
    p = _p(row["p_value"])
    if mark in "+-":
        return f"{words}, significant (p = {p})"
    if mark == "~":
        return f"{words}, not significant (p = {p})"
    return f"within {factor:g}x: {words} (p = {p})"


# -- running it ------------------------------------------------------------------------
def compare(db: str | Warehouse, baseline: str, contender: str, metric: str = "total", factor: float = 1.10,
            alpha: float = 0.01) -> Comparison:
    """Compare two sides (selectors on the warehouse `db`, a path read as it is or a Warehouse; or
    two files). Raises BadSide (exit 2) when a side names nothing, with what exists."""
    if metric not in METRICS:
        raise UsageError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    if not factor >= 1:
        raise UsageError(f"--factor {factor}: expected a number of at least 1, such as 1.10")
    if not 0 < alpha < 1:
        raise UsageError(f"--alpha {alpha}: expected a probability between 0 and 1, such as 0.01")
    b, c = parse_side(baseline), parse_side(contender)
    if (b.kind == "selector") != (c.kind == "selector"):
        raise BadSide(f"compare two selectors (on --db) or two files, not one of each: {baseline!r} is a "
                      f"{b.kind}, {contender!r} a {c.kind}")
    result = Comparison(baseline, contender, METRICS[metric], float(factor), float(alpha))
    if b.kind == "selector":
        from .warehouse import Warehouse

        with (db if isinstance(db, Warehouse) else Warehouse(db, refresh=False)).reading() as con:
            _check_selectors(con, [b, c])
            result.rows = _rows(con, result)
        return result
    with tempfile.TemporaryDirectory(prefix="dlbench-compare-") as tmp, \
            contextlib.closing(_two_states(b, c, Path(tmp))) as con:
        result.rows = _rows(con, result, query="compare_states")
    return result


def _rows(con, result: Comparison, query: str = "compare") -> list[dict]:
    """The rows of sql/report/<query>.sql (compare: two selectors; compare_states: two states), each
    with its verdict."""
    rows = sqlfiles.fetch_dicts(con, sqlfiles.read_sql("report", query), {
        "baseline": result.baseline, "contender": result.contender, "metric": result.metric,
        "factor": result.factor, "alpha": result.alpha})
    for r in rows:
        r["verdict"] = verdict(r, result.factor, result.alpha, result.metric)
    return rows


def _check_selectors(con, sides: list[Side]) -> None:
    """Raise BadSide when a selector matches no run, naming the values that exist."""
    problems = []
    known: dict[str, list[str]] = {}
    for key, value in con.execute(sqlfiles.read_sql("report", "compare_selectors")).fetchall():
        known.setdefault(key, []).append(value)
    for side in sides:
        # the macro's own matching: every baseline run it picks comes back, paired or marked '!'
        (n,) = con.execute("SELECT count(DISTINCT baseline_run_id) FROM compare(?, '')", [side.text]).fetchone()
        if n:
            continue
        lines = [f"no run matches the selector {side.text!r}"]
        for key, value in side.terms:
            (alone,) = con.execute("SELECT count(DISTINCT baseline_run_id) FROM compare(?, '')",
                                   [f"{key}={value}"]).fetchone()
            if not alone:
                values = known.get(key, [])
                shown = ", ".join(values[:30]) + (f", ... ({len(values)} in all)" if len(values) > 30 else "")
                lines.append(f"  no {key} {value!r}; known {key} values: {shown or 'none'}")
        if len(lines) == 1:
            lines.append("  each term matches some run, but no run matches them all")
        problems.append("\n".join(lines))
    if problems:
        raise BadSide("\n".join(problems))


def _two_states(b: Side, c: Side, tmp: Path):
    """An in-memory DuckDB with the two states side by side: each warehouse attached read-only and
    a schema per side (`baseline`, `contender`) holding a view of each of its tables and, over
    them, this version's views that sql/report/compare_states.sql reads. Nothing is copied or
    renumbered: the states pair on run_id. TOML files are ingested into `tmp` (never written)."""
    import duckdb

    from .warehouse import Warehouse

    dbs = []
    for name, side in (("baseline", b), ("contender", c)):
        if side.kind == "toml":
            path = Path(Warehouse.built([side.text], str(tmp / f"{name}.duckdb")).db)
        else:
            path = Path(side.text)
            try:
                with Warehouse(str(path), refresh=False).reading() as check:
                    check.execute("SELECT count(*) FROM runs JOIN samples USING (run_id)").fetchone()
            except Exception as e:
                raise BadSide(f"{side.text}: not a dlbench warehouse ({str(e).splitlines()[0]}); give a "
                              f"TOML file (.toml) or a warehouse built by `dlbench ingest`") from None
        dbs.append(str(path))
    reads = sqlfiles.needed_views(sqlfiles.read_sql("report", "compare_states"))
    con = duckdb.connect()
    try:
        for state, attached in zip(("baseline", "contender"), dbs):
            con.execute(f"ATTACH {_literal(attached)} AS {state}_db (READ_ONLY)")
            con.execute(f"CREATE SCHEMA {state}")
            tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
                                 "ORDER BY table_name", [f"{state}_db"]).fetchall()
            for (table,) in tables:
                con.execute(f'CREATE VIEW {state}."{table}" AS SELECT * FROM {state}_db.main."{table}"')
            for view in reads:  # a view in a schema reads that schema's tables and views
                con.execute(f'CREATE VIEW {state}."{view.name}" AS\n{view.body}')
    except BaseException:
        con.close()
        raise
    return con


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
