"""The markdown report (`cli.py report`): every run ranked per machine and model, then summaries.

    from dlbench.report import report
    print(report("warehouse.duckdb", models=["Alexnet"], baseline="Caffe"))

The queries are in sql/report/*.sql (the site renders the same rows as HTML); the filters are
the connection's scope (dlbench.scope: a temporary table and the macro in_scope), never SQL text.
The text has no timestamps, so the same warehouse gives the same report byte for byte (the golden
tests rely on it). Numbers are rounded for reading; the footnote says how to get the exact rows.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .fmt import MISSING, fmt_count, fmt_ms, fmt_rate, fmt_ratio, sha_prefix
from .output import markdown
from .scope import Filters, NoMatch, apply, resolve
from .sqlfiles import query

if TYPE_CHECKING:
    from .warehouse import Warehouse

__all__ = ["Filters", "NoMatch", "build", "fmt_ms", "report", "report_on", "resolve"]

NOT_RUN = "n/a"  # the baseline framework did not run this model
TIE = "tie"  # two totals closer than the numbers' resolution: a speedup would mean nothing
FLAG = "†"  # a run (or a stack with a run) that has an error-level data-quality finding
CROSS_MACHINE_ROWS = 40  # the most comparisons listed across machines; the summary covers them all


def _rows(con, name: str, params: dict | None = None) -> list[dict]:
    return query(con, "report", name, params)


class Checks:
    """The data-quality checks as the seed quality_checks holds them (sql/seeds): the one set of
    words for their codes, which the report and the site both use."""

    def __init__(self, con):
        self.rows = _rows(con, "quality_checks")
        self._words = {r["check"]: r["words"] for r in self.rows}

    def words(self, flags: str | None) -> str:
        """A run's flags ("repeated_timings, ...", as run_flags joins them) in words."""
        return ", ".join(self._words.get(c.strip(), c.strip()) for c in (flags or "").split(",") if c.strip())

    def codes(self, severity: str) -> str:
        return ", ".join(r["check"] for r in self.rows if r["severity"] == severity)

    def meanings(self, severity: str) -> str:
        return ", ".join(r["meaning"] for r in self.rows if r["severity"] == severity)


def _text(v) -> str:
    return MISSING if v is None or v == "" else str(v)


def _code(text: str) -> str:
    """Inline code that may hold backticks."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- the document --------------------------------------------------------------------
def report(db: str | Warehouse, machines=(), models=(), frameworks=(), baseline: str | None = None,
           include_flagged: bool = False, charts_dir: str | None = None, charts_link: str | None = None) -> str:
    """The markdown report of the warehouse `db`, narrowed by the filters (each a list of
    names; empty: everything). Runs with an error-level data-quality finding are marked and
    left out of ranks, speedups, wins and geometric means unless `include_flagged`.
    Raises NoMatch when a name matches nothing.

    With `charts_dir`, the charts of the ranking and summary tables are written there as SVG
    (dlbench.charts) and linked under each table as `charts_link`/FILE (default: charts_dir)."""
    from .warehouse import Warehouse

    with (db if isinstance(db, Warehouse) else Warehouse(db, refresh=False)).reading() as con:
        return report_on(con, machines, models, frameworks, baseline, include_flagged, charts_dir, charts_link)


def report_on(con, machines=(), models=(), frameworks=(), baseline: str | None = None,
              include_flagged: bool = False, charts_dir: str | None = None, charts_link: str | None = None) -> str:
    """`report` on an open connection to a warehouse (the CLI's, which checked it is up to date);
    the connection's scope (dlbench.scope.apply) is the filters'."""
    filters = resolve(con, Filters(list(machines), list(models), list(frameworks), baseline,
                                   include_flagged=include_flagged))
    apply(con, filters)
    chart_files = None
    if charts_dir is not None:
        from .charts import ReportCharts

        frameworks_all = [name for (name,) in con.execute("SELECT DISTINCT name FROM frameworks").fetchall()]
        chart_files = ReportCharts(charts_dir, charts_link, frameworks_all)
    return build(con, filters, chart_files)


def build(con, filters: Filters, chart_files=None) -> str:
    """The report's text on a connection whose scope is `filters` (dlbench.scope.apply);
    `chart_files` (a dlbench.charts.ReportCharts) adds a chart under the ranking and summary tables."""
    f = filters
    out: list[str] = []
    sources = _rows(con, "sources")
    machine_rows = _rows(con, "machines")
    model_rows = _rows(con, "models")
    # the same rows; with a baseline, against its best run (a query of its own, so that a report
    # without one never plans the baseline's macro and the view comparisons)
    runs = _rows(con, "baseline_rankings" if f.baseline_name else "rankings")
    findings = _rows(con, "data_quality")
    checks = Checks(con)

    listed = ", ".join(f"{s['path']} (sha256 {sha_prefix(s['sha256'])})" for s in sources)
    out.append("# Deep-learning benchmark report\n")
    out.append(f"What this is: every benchmark run in the warehouse, ranked by total time on each machine and "
               f"model, from {listed}; generated by `python cli.py report` with no timestamps, so the same "
               f"sources give the same text.\n")
    out.extend(_preamble(f, runs))
    if any(r["tested"] for r in runs):
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
            out.append(_ranking_table(by_model[(m["machine_id"], mo["model_key"])], f, findings, checks))
            if chart_files is not None:
                out.extend(chart_files.ranking(m, mo, by_model[(m["machine_id"], mo["model_key"])]))
    if not shown_machines:
        out.append("No runs match these filters.\n")

    out.extend(_framework_summary(con, f, shown_machines, chart_files))
    out.extend(_library_effect(con, f))
    out.extend(_precision_effect(con, f))
    if len(shown_machines) > 1:
        out.extend(_cross_machine(con, f))
    out.extend(_data_quality(findings, checks))
    out.extend(_footnote(example_model))
    return "\n".join(out)


SAMPLES_NOTE = ("Where both runs have samples, the speedup is of the medians of their total-time samples, and the "
                "mark says whether the difference is significant, as `dlbench compare` (the same SQL) says it: `+` "
                "slower and `-` faster by more than 1.1x with p < 0.01 (Mann-Whitney), `~` beyond 1.1x but not "
                "significant, blank within 1.1x, — no samples to test.\n")


def _preamble(f: Filters, runs: list[dict]) -> list[str]:
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
    lines.append(f"Times are milliseconds per minibatch; total = the total the source reports where it gives "
                 f"one (a published total is rounded on its own, so it is the more exact number), else forward + "
                 f"backward; memory in MB (10^6 bytes); "
                 f"{MISSING}: not measured. Totals closer than the resolution of the numbers as written (1 ms for "
                 f"whole milliseconds) cannot be told apart: equal totals share a rank, and a speedup within "
                 f"the resolution shows as \"{TIE}\".\n")
    if any(not r["version_known"] or r["date"] for r in runs):
        lines.append("Version: \"not published\" where the source names no version (the stack then shows none); "
                     "measured: the date the source gives for the stack (a year where it gives only the year).\n")
    if f.include_flagged:
        lines.append(f"With --include-flagged: runs with an error-level data-quality finding ({FLAG}) are ranked "
                     f"and averaged like the others, and memory that is a reservation counts in memory "
                     f"ratios.\n")
    elif any(r["flagged"] for r in runs):
        lines.append(f"{FLAG}: a run with an error-level data-quality finding (named under its table); it is "
                     f"left out of ranks, speedups, wins and geometric means (`--include-flagged` puts it "
                     f"back).\n")
    return lines


def _machine_title(m: dict) -> str:
    return f"{m['name']} ({_code(m['machine_key'])})"


def _model_heading(mo: dict) -> str:
    facts = []
    if mo["published_as"]:
        facts.append(f"published as {mo['published_as']}")
    if mo["batch_sizes"]:
        facts.append(f"batch size {mo['batch_sizes']}")
    if mo["input_shapes"]:
        facts.append(f"input {mo['input_shapes']}")
    return f"### {mo['name']}" + (f" ({', '.join(facts)})" if facts else "") + "\n"


def _version_cell(r: dict) -> str:
    """The version column of a table where some version is not published or a date is given."""
    shown = "" if r["version_known"] else "not published"
    if r["date"]:
        shown = f"{shown}, measured {r['date']}" if shown else f"measured {r['date']}"
    return shown or "(in the stack)"


def _resolution(rows: list[dict]) -> str:
    steps = sorted({float(r["resolution_ms"]) for r in rows if r["resolution_ms"] is not None}, reverse=True)
    if not steps:
        return ""
    return f"Resolution: {steps[0]:g} ms."


def _ranking_table(rows: list[dict], f: Filters, findings: list[dict], checks: Checks) -> str:
    with_label = any(r["label"] for r in rows)
    with_version = any(not r["version_known"] or r["date"] for r in rows)
    with_rate = any(r["batch_size"] is not None for r in rows)
    with_mark = any(r["tested"] for r in rows)  # runs with samples: a tested change
    speedup = f"speedup vs {f.baseline_name}" if f.baseline_name else "speedup vs fastest"
    columns = ["rank", "stack"] + (["published as"] if with_label else []) + (
        ["version"] if with_version else []) + [
        "forward ms", "backward ms", "total ms", "memory MB", speedup] + (["mark"] if with_mark else []) + (
        ["images/s"] if with_rate else [])
    body = []
    notes = []
    for r in rows:
        if r["rank"] is None and r["flagged"]:
            cell = MISSING
        elif r["tie"]:
            cell = TIE
        else:
            cell = fmt_ratio(r["speedup"], NOT_RUN if f.baseline_name else MISSING)
        stack = r["stack"] + (f" {FLAG}" if r["flagged"] else "")
        row = [fmt_count(r["rank"]), stack] + ([_text(r["label"])] if with_label else []) + (
            [_version_cell(r)] if with_version else []) + [
            fmt_ms(r["forward_ms"]), fmt_ms(r["backward_ms"]), fmt_ms(r["total_ms"]), fmt_ms(r["memory_mb"]),
            cell]
        if with_mark:
            mark = r["baseline_mark"]
            row.append(MISSING if mark is None else mark)
        if with_rate:
            row.append(fmt_rate(r["images_per_s"]))
        body.append(tuple(row))
        if r["flagged"]:
            details = [finding_detail(q) for q in findings
                       if q["severity"] == "error" and q["run_id"] == r["run_id"]]
            left_out = "ranked anyway (--include-flagged)" if f.include_flagged else "left out of the ranking"
            notes.append(f"{FLAG} {r['stack']}: {checks.words(r['flags'])}: {'; '.join(details)}; {left_out}.")
    right = {"rank", "forward ms", "backward ms", "total ms", "memory MB", speedup, "images/s"}
    text = markdown(columns, body, align_right=right)
    resolution = _resolution(rows)
    if resolution:
        notes.append(resolution)
    return text + ("\n" + "\n\n".join(notes) + "\n" if notes else "")


def _framework_summary(con, f: Filters, machines: list[dict], chart_files=None) -> list[str]:
    rows = _rows(con, "framework_summary")
    left_out = "" if f.include_flagged else (
        f" Runs marked {FLAG} are left out (a stack's models then exclude them), and so is memory that is a "
        f"reservation (data quality: memory_reservation).")
    out = ["## Framework summary\n",
           "Per machine: models measured, wins (rank 1), and the geometric mean of total time / fastest total "
           "time (1.00: always the fastest) over the models that every stack of the machine measured (named "
           "below each machine): the column to compare stacks by, and the order of the table. The geometric "
           "mean over each stack's own models is shown for reference: stacks that ran different models are "
           "not comparable on it. Mean memory ratio: memory / the least memory on the same model." + left_out
           + (" The --model filter does not narrow this summary." if f.models else "") + "\n"]
    by_machine: dict[int, list[dict]] = {}
    for r in rows:
        by_machine.setdefault(r["machine_id"], []).append(r)
    shown = False
    for m in machines:
        here = by_machine.get(m["machine_id"], [])
        if not here:
            continue
        shown = True
        out.append(f"### {_machine_title(m)}\n")
        common = here[0]
        if common["common_models"]:
            out.append(f"Common models ({common['common_models']}): {common['common_model_names']}.\n")
        else:
            out.append("No model was measured by every stack: compare the own-model geomeans with care.\n")
        body = []
        notes = []
        for r in here:
            stack = r["stack"] + (f" {FLAG}" if r["flagged_models"] else "")
            body.append((stack, fmt_count(r["models_measured"]), fmt_count(r["wins"]),
                         fmt_ratio(r["geomean_slowdown_common"]), fmt_ratio(r["geomean_slowdown"]),
                         fmt_ratio(r["mean_memory_ratio"])))
            if r["flagged_models"]:
                how = "counted (--include-flagged)" if f.include_flagged else "left out"
                notes.append(f"{FLAG} {r['stack']}: its {r['flagged_model_names']} run is flagged, {how}.")
        columns = ["stack", "models", "wins", "geomean slowdown, common models", "geomean slowdown, own models",
                   "mean memory ratio"]
        out.append(markdown(columns, body, align_right=set(columns[1:])))
        if notes:
            out.append("\n".join(notes) + "\n")
        if chart_files is not None:
            out.extend(chart_files.summary(m, here))
    return out if shown else out + ["No runs.\n"]


def _libraries_text(v) -> str:
    return "none (native)" if v == "" else _text(v)


def _library_effect(con, f: Filters) -> list[str]:
    rows = _rows(con, "library_effect")
    out = ["## Library effect\n",
           "The same framework, version and precision with two sets of libraries on the same machine and "
           "model: the time with the other libraries / the time with these (above 1.00: these are faster); "
           f"the geometric mean is over the models that have the pair (pairs with a {FLAG} run left out). "
           "Versions not published and libraries not known are left out.\n"]
    if not rows:
        return out + ["No framework version was measured with more than one set of libraries.\n"]
    columns = ["machine", "model", "framework", "libraries", "vs libraries", "forward speedup",
               "backward speedup", "total speedup", "geomean total speedup", "models"]
    body = [(r["machine_key"], r["model"] + (f" {FLAG}" if r["flagged"] else ""),
             f"{r['framework']} {r['framework_version']}" + (f" ({r['precision']})" if r["precision"] else ""),
             _libraries_text(r["libraries"]), _libraries_text(r["other_libraries"]), fmt_ratio(r["forward_speedup"]),
             fmt_ratio(r["backward_speedup"]), fmt_ratio(r["total_speedup"]),
             fmt_ratio(r["geomean_total_speedup"]), fmt_count(r["models_compared"])) for r in rows]
    return out + [markdown(columns, body, align_right=set(columns[5:]))]


def _precision_effect(con, f: Filters) -> list[str]:
    rows = _rows(con, "precision_effect")
    out = ["## Precision\n",
           "The same stack in half (fp16) and single precision (fp32) on the same machine and model: fp32 time / "
           "fp16 time (above 1.00: fp16 is faster). \"total speedup\" is on the totals the rankings use (the "
           "published total where the source gives one); \"forward + backward speedup\" is on the sum, for "
           "comparison. The geometric mean is of the total speedup over the models that have the pair "
           f"(pairs with a {FLAG} run left out). A run without a precision counts as fp32.\n"]
    if not rows:
        return out + ["No stack was measured in both fp16 and fp32.\n"]
    columns = ["machine", "model", "stack", "fp32 total ms", "fp16 total ms", "total speedup",
               "forward + backward speedup", "forward speedup", "backward speedup", "geomean total speedup",
               "models", "note"]
    body = [(r["machine_key"], r["model"] + (f" {FLAG}" if r["flagged"] else ""), r["stack"],
             fmt_ms(r["fp32_total_ms"]), fmt_ms(r["fp16_total_ms"]), fmt_ratio(r["total_speedup"]),
             fmt_ratio(r["summed_total_speedup"]), fmt_ratio(r["forward_speedup"]), fmt_ratio(r["backward_speedup"]),
             fmt_ratio(r["geomean_total_speedup"]), fmt_count(r["models_compared"]),
             f"fp16 slower: {r['fp16_slower']}" if r["fp16_slower"] else "") for r in rows]
    return out + [markdown(columns, body, align_right=set(columns[3:11]))]


def _cross_machine(con, f: Filters) -> list[str]:
    rows = _rows(con, "cross_machine", {"max_rows": CROSS_MACHINE_ROWS})
    elsewhere = ", including the machines filtered out" if f.machines else ""
    out = ["## Across machines\n",
           "Each run against the fastest run of the same model, framework and precision on any other machine"
           f"{elsewhere}: ratio = total time on the other machine / on this one (above 1.00: this machine is "
           "faster). Only like-for-like runs compare machines: the same framework, precision and library set, "
           "known on both sides (\"cuDNN R4\" = \"cuDNN 4\"; framework versions are not compared). Where the "
           "software differs (other libraries, or libraries not known), a run meets the fastest run of its "
           f"framework elsewhere; those pairs are listed apart, without summary. Runs marked {FLAG} are left "
           "out.\n"]
    if not rows:
        return out + ["No framework was measured on more than one machine.\n"]
    summary = [r for r in rows if r["part"] == 1]
    listed = [r for r in rows if r["part"] == 2]
    total, like = rows[0]["total_rows"], rows[0]["like_rows"]
    if summary:
        out.append(f"Like for like: {like} of the {total} runs compared. Per machine: its like-for-like runs, how "
                   "many were faster than the fastest elsewhere and how many were a tie (totals within their "
                   "resolution), the geometric mean of their ratios, and the runs with the highest and the lowest "
                   "ratio.\n")

        def extreme(r: dict, which: str) -> str:
            return (f"{fmt_ratio(r[which + '_ratio'])}: {r[which + '_model']}, {r[which + '_stack']} vs "
                    f"{r[which + '_other_machine_key']}")

        columns = ["machine", "runs compared", "faster", "ties", "geomean ratio", "highest ratio", "lowest ratio"]
        body = [(r["machine_key"], fmt_count(r["runs_compared"]), fmt_count(r["faster"]), fmt_count(r["ties"]),
                 fmt_ratio(r["geomean_ratio"]), extreme(r, "best"), extreme(r, "worst")) for r in summary]
        out.append(markdown(columns, body, align_right={"runs compared", "faster", "ties", "geomean ratio"}))
    else:
        out.append(f"No like-for-like pair: none of the {total} runs compared has the same framework, precision "
                   "and known library set on another machine, so there is no machine comparison.\n")

    if total > len(listed):
        out.append(f"The first {len(listed)} of {total:,} comparisons, like for like first; all of them: "
                   f"`python cli.py query \"select * from cross_machine\"`.\n")
    columns = ["model", "comparable stack", "machine", "stack", "total ms", "other machine", "other stack",
               "other total ms", "ratio"]

    def table(part: list[dict]) -> str:
        body = [(r["model"], r["stack_key"], r["machine_key"], r["stack"], fmt_ms(r["total_ms"]),
                 r["other_machine_key"], r["other_stack"], fmt_ms(r["other_total_ms"]),
                 TIE if r["total_tie"] else fmt_ratio(r["total_ratio"])) for r in part]
        return markdown(columns, body, align_right={"total ms", "other total ms", "ratio"})

    same = [r for r in listed if r["like_for_like"]]
    differs = [r for r in listed if not r["like_for_like"]]
    if same:
        out.append("### Like for like\n")
        out.append(table(same))
    if differs:
        out.append("### Software differs\n")
        out.append("Not a machine comparison: the ratio mixes the machine with the libraries (or with libraries "
                   "that are not known).\n")
        out.append(table(differs))
    return out


def _mb(v) -> str:
    return f"{fmt_ms(v)} MB"


def finding_detail(q: dict) -> str:
    """One data_quality finding in words, with its numbers."""
    check = q["check"]
    if check == "missing_memory":
        n = q["runs_with_memory"]
        return f"no memory given, while {n} other run{'s' if n != 1 else ''} of {q['model']} on this machine report it"
    if check == "total_mismatch":
        return (f"reported total {fmt_ms(q['reported_total_ms'])} ms differs from forward {fmt_ms(q['forward_ms'])} "
                f"ms + backward {fmt_ms(q['backward_ms'])} ms = {fmt_ms(q['summed_total_ms'])} ms by "
                f"{fmt_ms(q['difference_ms'])} ms; the reported total is used")
    if check == "repeated_timings":
        total = f" and total {fmt_ms(q['reported_total_ms'])} ms" if q["reported_total_ms"] is not None else ""
        return (f"forward {fmt_ms(q['forward_ms'])} ms, backward {fmt_ms(q['backward_ms'])} ms{total} are the same "
                f"as in its {q['other_model']} run ({q['other_source']} line {q['other_line']})")
    if check == "memory_above_device":
        return f"memory {_mb(q['memory_mb'])} is above the machine's device memory of {_mb(q['device_memory_mb'])}"
    if check == "memory_reservation":
        share = float(q["memory_mb"]) / float(q["device_memory_mb"])
        return (f"memory {_mb(q['memory_mb'])} on all {q['models_same_memory']} of its models, {share:.0%} of the "
                f"device's {_mb(q['device_memory_mb'])}: what the framework reserves, not what the model needs; "
                f"left out of memory ratios")
    return check


def _data_quality(rows: list[dict], checks: Checks) -> list[str]:
    out = ["## Data quality\n"]
    if not rows:
        return out + ["No findings.\n"]
    out.append(f"Findings of the view `data_quality` (its leading comment explains each check). Errors "
               f"({checks.codes('error')}) mean the run's numbers are not a measurement of it: "
               f"the run is marked {FLAG} and left out of ranks, speedups, wins and geometric means "
               f"(`--include-flagged` puts it back). Notes ({checks.codes('note')}) "
               f"leave the times usable; memory that is a reservation is left out of memory ratios.\n")
    columns = ["severity", "check", "machine", "model", "stack", "detail", "source:line"]
    body = [(r["severity"], r["check"], _text(r["machine_key"]), _text(r["model"]), _text(r["stack"]),
             finding_detail(r),
             f"{r['source']}:{r['line']}" if r["line"] is not None else _text(r["source"])) for r in rows]
    return out + [markdown(columns, body)]


def _footnote(example_model: str | None) -> list[str]:
    query = "select * from relative_to_fastest"
    if example_model:
        query += f" where model = {_sql_literal(example_model)}"
    return ["---\n",
            f"Numbers are rounded for reading. The exact rows: `python cli.py query \"{query}\"` (and the views "
            f"`framework_summary`, `library_effect`, `precision_effect`, `cross_machine`, `data_quality`). "
            f"Every row traces to its "
            f"file and line through the view `results` (columns `source` and `line`).\n"]
