"""The markdown report (`cli.py report`): every run ranked per machine and model, then summaries.

    from dlbench.report import report
    print(report("warehouse.duckdb", models=["Alexnet"], baseline="Caffe"))

The queries are in sql/report/*.sql; filter values go into them as parameters,
never into the SQL text. The text has no timestamps, so the same warehouse
gives the same report byte for byte (the golden tests rely on it). Numbers are
rounded for reading; the footnote says how to get the exact rows.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import UsageError
from .output import markdown
from .sqlfiles import read_sql

MISSING = "—"  # a value that was not measured (never shown as 0)
NOT_RUN = "n/a"  # the baseline framework did not run this model
SHA_DIGITS = 12
CROSS_MACHINE_ROWS = 40  # the most comparisons listed across machines; the summary covers them all


class NoMatch(UsageError):
    "A --machine, --model, --framework or --baseline value names nothing in the warehouse"


@dataclass
class Filters:
    """What the user asked for, as given, and what it resolved to (None: everything)."""

    machines: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    frameworks: list[str] = field(default_factory=list)
    baseline: str | None = None
    machine_ids: list[int] | None = None
    model_keys: list[str] | None = None
    framework_keys: list[str] | None = None
    baseline_name: str | None = None

    @property
    def any(self) -> bool:
        return bool(self.machines or self.models or self.frameworks)


@lru_cache(maxsize=None)
def _sql(name: str) -> str:
    return read_sql("report", name)


def _rows(con, name: str, params: list) -> list[dict]:
    rel = con.execute(_sql(name), params)
    columns = [d[0] for d in rel.description]
    return [dict(zip(columns, r)) for r in rel.fetchall()]


# -- numbers for reading ---------------------------------------------------------
def fmt_ms(v) -> str:
    """Milliseconds (and megabytes): no decimals when whole, else one."""
    if v is None:
        return MISSING
    v = float(v)
    return f"{v:,.0f}" if v == round(v) else f"{v:,.1f}"


def fmt_ratio(v, missing: str = MISSING) -> str:
    return missing if v is None else f"{float(v):.2f}"


def fmt_rate(v) -> str:
    """Images per second: whole numbers from 100 up, else one decimal."""
    if v is None:
        return MISSING
    v = float(v)
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def fmt_count(v) -> str:
    return MISSING if v is None else str(v)


def _text(v) -> str:
    return MISSING if v is None or v == "" else str(v)


def _code(text: str) -> str:
    """Inline code that may hold backticks."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- filters -------------------------------------------------------------------------
def resolve(con, filters: Filters) -> Filters:
    """Fill in what each filter value names; raise NoMatch listing the known names when
    a value names nothing."""
    wanted_frameworks = list(filters.frameworks) + ([filters.baseline] if filters.baseline else [])
    found: dict[tuple[str, str], list[str]] = {}
    for row in _rows(con, "filters", [list(filters.machines), list(filters.models), wanted_frameworks]):
        keys = found.setdefault((row["kind"], row["value"]), [])
        if row["key"] is not None:
            keys.append(row["key"])
    missing = [(kind, value) for (kind, value), keys in found.items() if not keys]
    if missing:
        known: dict[str, list[str]] = {}
        for row in _rows(con, "known_names", []):
            known.setdefault(row["kind"], []).append(row["name"])
        lines = []
        for kind in ("machine", "model", "framework"):
            values = [v for k, v in missing if k == kind]
            if values:
                shown = ", ".join(repr(v) for v in sorted(set(values)))
                lines.append(f"no {kind} named {shown} in the warehouse; known {kind}s: "
                             f"{', '.join(known.get(kind, [])) or 'none'}")
        raise NoMatch("\n".join(lines))

    def keys(kind: str, values: list[str]) -> list[str] | None:
        if not values:
            return None
        return sorted({k for v in values for k in found[(kind, v)]})

    ids = keys("machine", filters.machines)
    filters.machine_ids = [int(i) for i in ids] if ids is not None else None
    filters.model_keys = keys("model", filters.models)
    filters.framework_keys = keys("framework", filters.frameworks)
    if filters.baseline:
        filters.baseline_name = filters.baseline
        for row in _rows(con, "known_names", []):
            if row["kind"] == "framework" and row["name"].lower() == filters.baseline.lower():
                filters.baseline_name = row["name"]
                break
    return filters


# -- the document --------------------------------------------------------------------
def report(db: str, machines=(), models=(), frameworks=(), baseline: str | None = None) -> str:
    """The markdown report of the warehouse `db`, narrowed by the filters (each a list of
    names; empty: everything). Raises NoMatch when a name matches nothing."""
    from .warehouse import connect

    with contextlib.closing(connect(db)) as con:
        filters = resolve(con, Filters(list(machines), list(models), list(frameworks), baseline))
        return build(con, filters)


def build(con, filters: Filters) -> str:
    f = filters
    out: list[str] = []
    sources = _rows(con, "sources", [])
    machine_rows = _rows(con, "machines", [f.machine_ids])
    model_rows = _rows(con, "models", [f.machine_ids, f.model_keys])
    runs = _rows(con, "rankings", [f.machine_ids, f.model_keys, f.framework_keys, f.baseline_name])
    if f.baseline_name:
        _against_baseline(con, f, runs)

    listed = ", ".join(f"{s['path']} (sha256 {s['sha256'][:SHA_DIGITS]})" for s in sources)
    out.append("# Deep-learning benchmark report\n")
    out.append(f"What this is: every benchmark run in the warehouse, ranked by total time (forward + backward) "
               f"on each machine and model, from {listed}; generated by `python cli.py report` with no "
               f"timestamps, so the same sources give the same text.\n")
    out.extend(_preamble(f))
    if any(r.get("tested") for r in runs):
        out.append(SAMPLES_NOTE)

    by_model: dict[tuple, list[dict]] = {}
    for r in runs:
        by_model.setdefault((r["machine_id"], r["model_key"]), []).append(r)
    models_by_machine: dict[int, list[dict]] = {}  # grouped once: a scan per machine grows as machines^2
    for mo in model_rows:
        models_by_machine.setdefault(mo["machine_id"], []).append(mo)
    shown_machines = []
    example_model = None
    for m in machine_rows:
        models_here = [mo for mo in models_by_machine.get(m["machine_id"], [])
                       if (m["machine_id"], mo["model_key"]) in by_model]
        if not models_here and f.any:
            continue
        shown_machines.append(m)
        out.append(f"## {_machine_title(m)}\n")
        out.append(f"Host CPU: {_text(m['host_cpu'])}. Devices: {_text(m['devices'])}.\n")
        if not models_here:
            out.append("No runs.\n")
        for mo in models_here:
            example_model = example_model or mo["name"]
            out.append(_model_heading(mo))
            out.append(_ranking_table(by_model[(m["machine_id"], mo["model_key"])], f))
    if not shown_machines:
        out.append("No runs match these filters.\n")

    out.extend(_framework_summary(con, f, shown_machines))
    out.extend(_library_effect(con, f))
    if len(shown_machines) > 1:
        out.extend(_cross_machine(con, f))
    out.extend(_data_quality(con, f))
    out.extend(_footnote(example_model))
    return "\n".join(out)


def _against_baseline(con, f: Filters, runs: list[dict]) -> None:
    """Each run's speedup against the baseline's best run from the view `comparisons`, the
    machinery of `dlbench compare`: 1 / ratio of the medians of total-time samples where both runs
    have samples, else of their totals; and its mark (`+`, `-`, `~`) where both have samples."""
    found = {r["run_id"]: r for r in _rows(con, "baseline_comparisons", [f.machine_ids, f.model_keys,
                                                                          f.baseline_name])}
    for r in runs:
        c = found.get(r["run_id"])
        r["speedup"] = 1 / c["ratio"] if c and c["ratio"] else None
        r["tested"] = bool(c) and c["status"] in ("tested", "too few samples")
        r["baseline_mark"] = c["mark"].strip() if c and (r["tested"] or c["status"] == "baseline") else None


SAMPLES_NOTE = ("Where both runs have samples, the speedup is of the medians of their total-time samples, and the "
                "mark says whether the difference is significant, as `dlbench compare` (the same SQL) says it: `+` "
                "slower and `-` faster by more than 1.1x with p < 0.01 (Mann-Whitney), `~` beyond 1.1x but not "
                "significant, blank within 1.1x, — no samples to test.\n")


def _preamble(f: Filters) -> list[str]:
    lines = []
    if f.any:
        parts = [f"{label} {', '.join(values)}" for label, values in
                 (("machine", f.machines), ("model", f.models), ("framework", f.frameworks)) if values]
        lines.append(f"Filtered to {'; '.join(parts)}. Ranks and speedups still compare with every run on "
                     f"the same machine and model, including the runs filtered out.\n")
    if f.baseline_name:
        lines.append(f"Speedup: the best total time of {f.baseline_name} on the same machine and model / this "
                     f"run's total time (above 1.00: faster than {f.baseline_name}; {NOT_RUN}: "
                     f"{f.baseline_name} did not run the model).\n")
    else:
        lines.append("Speedup: the fastest run's total time / this run's total time (1.00 for the fastest, "
                     "below 1.00 for slower runs).\n")
    lines.append(f"Times are milliseconds per minibatch, total = forward + backward where both are known (else "
                 f"the reported total); memory in MB (10^6 bytes); {MISSING}: not measured.\n")
    return lines


def _machine_title(m: dict) -> str:
    return f"{m['name']} ({_code(m['machine_key'])})"


def _model_heading(mo: dict) -> str:
    facts = []
    if mo["batch_sizes"]:
        facts.append(f"batch size {mo['batch_sizes']}")
    if mo["input_shapes"]:
        facts.append(f"input {mo['input_shapes']}")
    return f"### {mo['name']}" + (f" ({', '.join(facts)})" if facts else "") + "\n"


def _ranking_table(rows: list[dict], f: Filters) -> str:
    with_label = any(r["label"] for r in rows)
    with_rate = any(r["batch_size"] is not None for r in rows)
    with_mark = any(r.get("tested") for r in rows)  # runs with samples: a tested change
    speedup = f"speedup vs {f.baseline_name}" if f.baseline_name else "speedup vs fastest"
    columns = ["rank", "stack"] + (["published as"] if with_label else []) + [
        "forward ms", "backward ms", "total ms", "memory MB", speedup] + (["mark"] if with_mark else []) + (
        ["images/s"] if with_rate else [])
    body = []
    for r in rows:
        row = [fmt_count(r["rank"]), r["stack"]] + ([_text(r["label"])] if with_label else []) + [
            fmt_ms(r["forward_ms"]), fmt_ms(r["backward_ms"]), fmt_ms(r["total_ms"]), fmt_ms(r["memory_mb"]),
            fmt_ratio(r["speedup"], NOT_RUN if f.baseline_name else MISSING)]
        if with_mark:
            mark = r.get("baseline_mark")
            row.append(MISSING if mark is None else mark)
        if with_rate:
            row.append(fmt_rate(r["images_per_s"]))
        body.append(tuple(row))
    right = {"rank", "forward ms", "backward ms", "total ms", "memory MB", speedup, "images/s"}
    return markdown(columns, body, align_right=right)


def _framework_summary(con, f: Filters, machines: list[dict]) -> list[str]:
    rows = _rows(con, "framework_summary", [f.machine_ids, f.framework_keys])
    out = ["## Framework summary\n",
           "Per machine, over every model it measured: models measured, wins (rank 1), the geometric mean "
           "of total time / fastest total time (1.00: always the fastest), and the mean of memory / the "
           "least memory on the same model." + (" The --model filter does not narrow this summary."
                                                if f.models else "") + "\n"]
    by_machine: dict[int, list[dict]] = {}
    for r in rows:
        by_machine.setdefault(r["machine_id"], []).append(r)
    shown = False
    for m in machines:
        body = [(r["stack"], fmt_count(r["models_measured"]), fmt_count(r["wins"]),
                 fmt_ratio(r["geomean_slowdown"]), fmt_ratio(r["mean_memory_ratio"]))
                for r in by_machine.get(m["machine_id"], [])]
        if body:
            shown = True
            out.append(f"### {_machine_title(m)}\n")
            out.append(markdown(["stack", "models", "wins", "geomean slowdown", "mean memory ratio"], body,
                                align_right={"models", "wins", "geomean slowdown", "mean memory ratio"}))
    return out if shown else out + ["No runs.\n"]


def _library_effect(con, f: Filters) -> list[str]:
    rows = _rows(con, "library_effect", [f.machine_ids, f.model_keys, f.framework_keys])
    out = ["## Library effect\n",
           "The same framework, version and precision with two sets of libraries on the same machine and "
           "model: the time with the other libraries / the time with these (above 1.00: these are faster); "
           "the geometric mean is over the models that have the pair. Versions written \"unknown\" are left "
           "out.\n"]
    if not rows:
        return out + ["No framework version was measured with more than one set of libraries.\n"]
    columns = ["machine", "model", "framework", "libraries", "vs libraries", "forward speedup",
               "backward speedup", "total speedup", "geomean total speedup", "models"]
    body = [(r["machine_key"], r["model"],
             f"{r['framework']} {r['framework_version']}" + (f" ({r['precision']})" if r["precision"] else ""),
             _text(r["libraries"]), _text(r["other_libraries"]), fmt_ratio(r["forward_speedup"]),
             fmt_ratio(r["backward_speedup"]), fmt_ratio(r["total_speedup"]),
             fmt_ratio(r["geomean_total_speedup"]), fmt_count(r["models_compared"])) for r in rows]
    return out + [markdown(columns, body, align_right=set(columns[5:]))]


def _cross_machine(con, f: Filters) -> list[str]:
    rows = _rows(con, "cross_machine", [f.machine_ids, f.model_keys, f.framework_keys, CROSS_MACHINE_ROWS])
    elsewhere = ", including the machines filtered out" if f.machines else ""
    out = ["## Across machines\n",
           "Each run against the fastest run of the same model and a comparable stack (framework, precision "
           f"and libraries; versions ignored) on any other machine{elsewhere}: ratio = total time on the other "
           "machine / on this one (above 1.00: this machine is faster). Where one side lists no libraries the "
           "comparable stack says so.\n"]
    if not rows:
        return out + ["No stack was measured on more than one machine.\n"]
    summary = [r for r in rows if r["part"] == 1]
    listed = [r for r in rows if r["part"] == 2]
    out.append("Per machine: its runs compared, how many were faster than the fastest elsewhere, the geometric "
               "mean of their ratios, and the runs with the highest and the lowest ratio.\n")

    def extreme(r: dict, which: str) -> str:
        return (f"{fmt_ratio(r[which + '_ratio'])}: {r[which + '_model']}, {r[which + '_stack']} vs "
                f"{r[which + '_other_machine_key']}")

    columns = ["machine", "runs compared", "faster", "geomean ratio", "highest ratio", "lowest ratio"]
    body = [(r["machine_key"], fmt_count(r["runs_compared"]), fmt_count(r["faster"]),
             fmt_ratio(r["geomean_ratio"]), extreme(r, "best"), extreme(r, "worst")) for r in summary]
    out.append(markdown(columns, body, align_right={"runs compared", "faster", "geomean ratio"}))

    total = rows[0]["total_rows"]
    if total <= len(listed):
        out.append("Every comparison:\n")
    else:
        out.append(f"The first {len(listed)} of {total:,} comparisons, by model and stack; all of them: "
                   f"`python cli.py query \"select * from cross_machine\"`.\n")
    columns = ["model", "comparable stack", "machine", "stack", "total ms", "other machine", "other stack",
               "other total ms", "ratio"]
    body = [(r["model"], r["stack_key"], r["machine_key"], r["stack"], fmt_ms(r["total_ms"]),
             r["other_machine_key"], r["other_stack"], fmt_ms(r["other_total_ms"]), fmt_ratio(r["total_ratio"]))
            for r in listed]
    return out + [markdown(columns, body, align_right={"total ms", "other total ms", "ratio"})]


def _data_quality(con, f: Filters) -> list[str]:
    rows = _rows(con, "data_quality", [f.machine_ids, f.model_keys, f.framework_keys])
    out = ["## Data quality\n"]
    if not rows:
        return out + ["No findings.\n"]
    out.append("Findings of the view `data_quality` (its leading comment explains each check).\n")
    columns = ["check", "machine", "model", "stack", "detail", "source:line"]
    body = [(r["check"], _text(r["machine_key"]), _text(r["model"]), _text(r["stack"]), _text(r["detail"]),
             f"{r['source']}:{r['line']}" if r["line"] is not None else _text(r["source"])) for r in rows]
    return out + [markdown(columns, body)]


def _footnote(example_model: str | None) -> list[str]:
    query = "select * from relative_to_fastest"
    if example_model:
        query += f" where model = {_sql_literal(example_model)}"
    return ["---\n",
            f"Numbers are rounded for reading. The exact rows: `python cli.py query \"{query}\"` (and the views "
            f"`framework_summary`, `library_effect`, `cross_machine`, `data_quality`). Every row traces to its "
            f"file and line through the view `results` (columns `source` and `line`).\n"]
