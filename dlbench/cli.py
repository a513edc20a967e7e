"""dlbench: a DuckDB warehouse for deep-learning benchmark results.

The CLI only parses: each command reads its options (the shared ones are defined
once, below), reaches the warehouse through one `Warehouse` (dlbench.warehouse),
calls one function of the `dlbench` package, and turns its named errors into a
message on stderr and the exit code `dlbench.errors.exit_code` assigns:
0 ok, 1 query or runtime error, 2 bad input or usage, 130 interrupted (Ctrl-C
or SIGTERM), see README. Heavy modules (duckdb, pyarrow, sqlglot) are imported
inside the commands.
"""
from __future__ import annotations

import collections
import functools
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, List, Optional

import typer

from . import DEFAULT_DB
from .errors import DlbenchError, ExitCode, InvalidInput, exit_code
from .output import FORMATS

if TYPE_CHECKING:
    from .warehouse import Warehouse

app = typer.Typer(
    help="dlbench: deep-learning benchmark results (benchmark.toml) in a DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with rich costs 5x the import of typer
)
export_app = typer.Typer(help="Export the warehouse: Parquet, the original JSON document, or the views as SQL.",
                         no_args_is_help=True, rich_markup_mode=None)
app.add_typer(export_app, name="export")

# -- the options several commands share, defined once ------------------------------------------
Db = Annotated[str, typer.Option("--db", envvar="DLBENCH_DB", help="The warehouse file.")]
NoRefresh = Annotated[bool, typer.Option("--no-refresh", help="Do not rebuild a missing or stale warehouse first.")]
Sources = Annotated[Optional[List[Path]], typer.Argument(
    help="The TOML files. Default: benchmark.toml and every data/*.toml.", show_default=False)]
Machines = Annotated[Optional[List[str]], typer.Option("--machine",
                                                       help="Only this machine (key or name); repeatable.")]
Models = Annotated[Optional[List[str]], typer.Option("--model", help="Only this model (name, any case); repeatable.")]
Frameworks = Annotated[Optional[List[str]], typer.Option("--framework",
                                                         help="Only this framework (name, any case); repeatable.")]
RowsFormat = Annotated[Optional[str], typer.Option(
    "--format", help="markdown (default on a terminal), csv (default otherwise), json, ndjson.")]
OutputFile = Annotated[Optional[Path], typer.Option("--output", "-o", dir_okay=False,
                                                    help="Write to this file instead of stdout.")]


def _folder(help: str):
    """The DIR argument of a command that writes a folder."""
    return typer.Argument(..., file_okay=False, metavar="DIR", help=help)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"dlbench {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """dlbench: deep-learning benchmark results (benchmark.toml) in a DuckDB warehouse."""


def _err(message: str) -> None:
    typer.echo(message, err=True)


_signalled: list[int] = []  # the signals that asked this process to stop


def _stop(signum, frame) -> None:
    """SIGINT and SIGTERM: stop where we are (the build's temp file is discarded)."""
    _signalled.append(signum)
    raise KeyboardInterrupt


def _interrupted(watched: Warehouse | None) -> None:
    """The one line an interruption prints, true to what happened to the warehouse; exit 130."""
    if watched is not None and watched.replaced:
        _err(f"Interrupted; {watched.db} had already been replaced by the new build, which is complete.")
    else:
        _err("Interrupted; the previous warehouse is unchanged.")
    raise typer.Exit(code=int(ExitCode.INTERRUPTED))


def _fail(e: DlbenchError) -> None:
    if isinstance(e, InvalidInput):
        _print_findings(e.findings)
        errors = sum(f.severity == "error" for f in e.findings)
        _err(f"Error: {errors} error(s) in the input; nothing was written.")
    else:
        _err(f"Error: {e}")
    raise typer.Exit(code=int(exit_code(e)))


def handles_errors(fn):
    """Turn the library's named errors into a message and their exit code (`errors.exit_code`).

    Ctrl-C and SIGTERM end every command with one line and exit 130, whatever
    the exception they surface as (DuckDB turns one into its own error); the line says
    whether the warehouse at --db is another file than when the command started."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        watched = None
        if kwargs.get("db") is not None:
            from .warehouse import Warehouse

            watched = Warehouse(kwargs["db"], refresh=False)
        _signalled.clear()
        previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt:
            _interrupted(watched)
        except DlbenchError as e:
            if _signalled or exit_code(e) == ExitCode.INTERRUPTED:
                _interrupted(watched)
            _fail(e)
        except typer.Exit:
            raise
        except Exception as e:
            if _signalled or "interrupt" in str(e).lower():
                _interrupted(watched)
            if type(e).__module__.split(".")[0] in ("duckdb", "_duckdb"):  # a DuckDB error nothing named
                _err(f"Error: {str(e).strip().splitlines()[0]}")
                raise typer.Exit(code=int(ExitCode.RUNTIME)) from None
            raise
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    return wrapper


def _print_findings(findings, limit: int | None = None) -> None:
    shown = findings if limit is None else findings[:limit]
    for f in shown:
        _err(f"{f.severity}: {f}")
    if limit is not None and len(findings) > limit:
        rest = collections.Counter(f.message.split(";")[0] for f in findings[limit:])
        _err(f"... and {len(findings) - limit} more warnings, all in the table ingest_warnings:")
        for message, n in rest.most_common(3):
            _err(f"  {n:>6} x {message}")
        if len(rest) > 3:
            _err(f"  {sum(rest.values()) - sum(n for _, n in rest.most_common(3)):>6} x other warnings")


def _progress():
    """A progress bar on stderr when it is a terminal, else None."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, what: str) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {what:<40}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
    return show


def _rebuilt(summary) -> None:
    _err(f"dlbench: rebuilt {summary.db} from {len(summary.files)} file(s) "
         f"({summary.counts['runs']} runs): {summary.reason or 'its sources changed'}")


def _warehouse(db: str, no_refresh: bool = False, sources: list[Path] | None = None,
               progress: bool = True) -> Warehouse:
    """The warehouse a command reads or builds: rebuilt when stale (unless --no-refresh), saying so
    on stderr, with a progress bar on a terminal."""
    from .warehouse import Warehouse

    return Warehouse(db, [str(p) for p in sources] if sources else None, refresh=not no_refresh,
                     progress=_progress() if progress else None, on_rebuilt=_rebuilt)


def _out_format(fmt: Optional[str]) -> str:
    if fmt is None:
        return "markdown" if sys.stdout.isatty() else "csv"
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r}; expected one of {', '.join(FORMATS)}", param_hint="--format")
    return fmt


@app.command()
@handles_errors
def ingest(
    paths: Sources = None,
    db: Db = DEFAULT_DB,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
):
    """Check the TOML files and build the warehouse from them (atomically)."""
    summary = _warehouse(db, sources=paths, progress=not quiet).build()
    if summary.stale is not None and summary.stale.damaged:  # say so, even with --quiet
        _err(f"dlbench: rebuilt {db} from its sources: {summary.reason}")
    if quiet:
        return
    c = summary.counts
    typer.echo(f"Ingested {len(summary.files)} file(s) into {db} in {summary.seconds:.2f} s")
    for label, key in (("machines", "machines"), ("models", "models"), ("runs", "runs"),
                       ("measurements", "measurements"), ("warnings", "ingest_warnings")):
        typer.echo(f"  {label:<13}{c[key]:>8}")
    if summary.warnings:
        _print_findings(summary.warnings, limit=5)


@app.command()
@handles_errors
def validate(
    paths: Sources = None,
    fmt: str = typer.Option("text", "--format",
                            help="text; json for machine-readable findings; github for GitHub Actions "
                                 "annotations (workflow commands on stdout)."),
):
    """Run every check on the TOML files without writing anything."""
    from .warehouse import check_files, default_paths

    if fmt not in ("text", "json", "github"):
        raise typer.BadParameter(f"{fmt!r}; expected text, json or github", param_hint="--format")
    files = [str(p) for p in paths] if paths else default_paths()
    _, findings = check_files(files)
    errors = [f for f in findings if f.severity == "error"]
    if fmt == "json":
        typer.echo(json.dumps({
            "files": files, "errors": len(errors), "warnings": len(findings) - len(errors),
            "findings": [f.as_dict() for f in findings]}, indent=2, ensure_ascii=False))
    else:
        if fmt == "github":
            from .annotations import github_annotation

            for f in findings:
                typer.echo(github_annotation(f))
        else:
            _print_findings(findings)
        verdict = "invalid" if errors else "valid"
        _err(f"{len(files)} file(s) {verdict}: {len(errors)} error(s), {len(findings) - len(errors)} warning(s)")
    if errors:
        raise typer.Exit(code=int(ExitCode.BAD_INPUT))


@app.command()
@handles_errors
def query(
    sql: Optional[str] = typer.Argument(None, help="The SQL to run (read-only)."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", exists=True, dir_okay=False, readable=True,
                                        help="Read the SQL from this file (UTF-8, at most 1 MiB)."),
    fmt: RowsFormat = None,
    timeout: Optional[float] = typer.Option(
        None, "--timeout", min=0, metavar="SECONDS",
        help="Stop the query after this many seconds (0: no limit). Default: $DLBENCH_QUERY_TIMEOUT or 300."),
    memory_limit: Optional[str] = typer.Option(
        None, "--memory-limit", metavar="SIZE",
        help="DuckDB's memory limit for the query, such as 2GB or 500MB. Default: $DLBENCH_MEMORY_LIMIT or 2GB."),
    db: Db = DEFAULT_DB,
    no_refresh: NoRefresh = False,
):
    """Run ad-hoc SQL on a read-only connection to the warehouse.

    Ctrl-C stops a running query (exit 130); so does the time limit (exit 1)."""
    from . import query as q
    from .output import render

    if (sql is None) == (file is None):
        raise typer.BadParameter("give the SQL as an argument or with --file, not both", param_hint="SQL")
    fmt = _out_format(fmt)
    text = sql if sql is not None else q.read_sql_file(str(file))
    timeout = q.timeout_default() if timeout is None else timeout
    with q.limits(memory_limit or q.memory_limit_default()) as config:
        columns, rows = _warehouse(db, no_refresh).read(lambda con: q.run(con, text, timeout=timeout), config)
    typer.echo(render(columns, rows, fmt), nl=False)


@app.command()
@handles_errors
def report(
    output: OutputFile = None,
    machine: Machines = None,
    model: Models = None,
    framework: Frameworks = None,
    baseline: Optional[str] = typer.Option(None, "--baseline",
                                           help="Speedups against this framework's best run on each model."),
    include_flagged: bool = typer.Option(False, "--include-flagged",
                                         help="Rank and average the runs with an error-level data-quality "
                                              "finding too (and memory that is a reservation); they stay marked."),
    charts: Optional[Path] = typer.Option(None, "--charts", file_okay=False, metavar="DIR",
                                          help="Write the charts as SVG files into DIR and link them under the "
                                               "tables (needs pip install 'dlbench[site]')."),
    db: Db = DEFAULT_DB,
    no_refresh: NoRefresh = False,
):
    """The markdown report: runs ranked per machine and model, summaries, data quality."""
    import os

    from .report import report_on

    link = None
    if charts is not None:  # image links relative to where the report is read
        base = output.resolve().parent if output is not None else Path.cwd()
        link = Path(os.path.relpath(charts.resolve(), base)).as_posix()
    _write_text(_warehouse(db, no_refresh).read(lambda con: report_on(
        con, machines=machine or [], models=model or [], frameworks=framework or [], baseline=baseline,
        include_flagged=include_flagged, charts_dir=str(charts) if charts is not None else None,
        charts_link=link)), output)


@app.command()
@handles_errors
def site(
    directory: Path = _folder("The folder to write (replaced whole when dlbench wrote it before)."),
    machine: Machines = None,
    model: Models = None,
    framework: Frameworks = None,
    db: Db = DEFAULT_DB,
    no_refresh: NoRefresh = False,
):
    """The benchmark page: a static site of charts and tables, with the data files.

    Writes DIR/index.html (sources, machines, models, the framework summary), a page per
    model, the library and precision effects, version progress, data quality and data/
    (benchmark.json, Parquet, results.csv, the warehouse). Nothing is loaded from the
    internet: open DIR/index.html from disk or publish DIR on any static host. Needs the
    `site` extra: pip install 'dlbench[site]'."""
    from .site import build_site

    summary = build_site(_warehouse(db, no_refresh), directory, machines=machine or [], models=model or [],
                         frameworks=framework or [])
    _err(f"Wrote {len(summary.pages)} pages with {summary.charts} charts and {len(summary.data_files)} data files "
         f"to {directory}; open {directory / 'index.html'}")


@app.command()
@handles_errors
def compare(
    baseline: str = typer.Argument(..., metavar="BASELINE",
                                   help="A stack selector (framework=torch,version=2.13), a TOML file or a warehouse."),
    contender: str = typer.Argument(..., metavar="CONTENDER", help="The same kind of thing as BASELINE."),
    metric: str = typer.Option("total", "--metric", help="total, forward, backward or memory."),
    factor: float = typer.Option(1.10, "--factor", help="A change within this factor is no change (asv's 1.1)."),
    alpha: float = typer.Option(0.01, "--alpha", help="A difference is significant when p < alpha."),
    fmt: str = typer.Option("markdown", "--format", help="markdown, csv or json."),
    fail_on: str = typer.Option("none", "--fail-on",
                                help="regression: exit 1 when a model is slower by more than the factor with "
                                     "p < alpha; change: also when faster, or missing in the contender; none."),
    db: Db = DEFAULT_DB,
    no_refresh: NoRefresh = False,
):
    """Is CONTENDER faster than BASELINE, model by model, and is it significant?

    Two selectors compare runs of the warehouse (--db); two files (TOML or warehouse) compare two
    states of the same runs. Exit 1 when the --fail-on gate fails, 2 when a side names nothing."""
    from . import compare as cmp

    for name, value, allowed in (("--metric", metric, cmp.METRICS), ("--format", fmt, cmp.FORMATS),
                                 ("--fail-on", fail_on, cmp.FAIL_ON)):
        if value not in allowed:
            raise typer.BadParameter(f"{value!r}; expected one of {', '.join(allowed)}", param_hint=name)
    result = cmp.compare(_warehouse(db, no_refresh), baseline, contender, metric=metric, factor=factor, alpha=alpha)
    typer.echo(result.render(fmt), nl=False)
    if result.failed(fail_on):
        _err(f"dlbench compare: failing (--fail-on {fail_on}): {result.summary()}")
        raise typer.Exit(code=int(ExitCode.RUNTIME))


@app.command()
@handles_errors
def views():
    """List the named views and macros with what one row of each means."""
    from . import sqlfiles

    listed = [(f"{name}(...)", m) for m in sqlfiles.macros() for name, _ in sqlfiles.created_macros(m)]
    for name, obj in listed + [(v.name, v) for v in sqlfiles.views()]:
        typer.echo(f"{name:<24}{obj.kind:<7}{obj.description}")


@app.command()
@handles_errors
def schema(output: OutputFile = None):
    """The JSON Schema (draft 2020-12) of the input format.

    For editors that validate TOML against JSON Schema (taplo, Even Better TOML) and for
    other tools: every level's keys, their types and forms, as `validate` checks them.
    `validate` alone finds duplicate runs, machines defined differently, and warnings."""
    from .input_schema import schema_text

    _write_text(schema_text(), output)


COLLECT_SUMMARY = ("model", "framework", "version", "precision", "batch_size", "status", "forward_ms",
                   "backward_ms", "total_ms", "forward_iqr_ms", "backward_iqr_ms", "memory_mb", "threads", "wall_s",
                   "process", "effective_parallelism", "process_memory_mb", "tensor_memory_mb", "note")


@app.command()
@handles_errors
def collect(
    framework: Optional[List[str]] = typer.Option(None, "--framework", help="torch or jax; repeatable. Default: both."),
    model: Optional[List[str]] = typer.Option(
        None, "--model", help="alexnet, overfeat, vgg_a or googlenet; repeatable. Default: all four."),
    batch_size: Optional[int] = typer.Option(
        None, "--batch-size", min=1, help="Default: the published batch on a GPU (128, 128, 64, 128); "
        "16, 8, 8, 16 on a CPU."),
    precision: Optional[str] = typer.Option(None, "--precision", help="fp32 (the default), bf16 or fp16."),
    iterations: Optional[int] = typer.Option(None, "--iterations", min=1, help="Timed iterations per run (10)."),
    warmup: Optional[int] = typer.Option(None, "--warmup", min=0, help="Untimed iterations before them (2)."),
    device: Optional[str] = typer.Option(None, "--device", help="cpu (the default) or cuda (cuda is untested)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", dir_okay=False,
                                          help="The TOML file to write; new runs are added to it. "
                                               "Default: data/collected.toml."),
    machine_key: Optional[str] = typer.Option(None, "--machine-key",
                                              help="The machine section's key. Default: from the CPU/GPU probe."),
    replace: bool = typer.Option(False, "--replace", help="Replace runs of the same identity already in the file."),
    input_gradient: bool = typer.Option(False, "--input-gradient",
                                        help="Also compute the gradient of the input image "
                                             "(convnet-benchmarks does not)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=1,
                                            help="Seconds one run may take before it is killed."),
    fmt: RowsFormat = None,
    threads: Optional[int] = typer.Option(None, "--threads", min=1,
                                          help="Intra-op threads of every framework (CPU affinity plus the "
                                               "framework's setting). Default: the CPUs this process may use."),
    repeats: Optional[int] = typer.Option(None, "--repeats", min=1,
                                          help="Fresh processes per configuration, interleaved round by round "
                                               "(the collector's default: one, until the ingest reads the "
                                               "samples nested per process that more write)."),
    accumulate_gradients: bool = typer.Option(False, "--accumulate-gradients",
                                              help="PyTorch keeps its gradients between steps (torch7's "
                                                   "semantics) instead of clearing them before each."),
):
    """Measure PyTorch and JAX on this machine and write a submission file.

    Each (framework, model, precision) runs in a fresh process: warm-up iterations,
    then timed ones, forward and backward timed apart with the device synchronised
    before every clock read; every sample is kept. The file is written once, at the
    end (atomically), in the seed's format; `dlbench validate` accepts it. Exit 1
    when a run failed (the others are still written)."""
    from .collect import api

    fmt = _out_format(fmt)
    asked = {"batch_size": batch_size, "precision": precision, "iterations": iterations, "warmup": warmup,
             "device": device, "output": output, "machine_key": machine_key, "timeout_s": timeout,
             "threads": threads, "repeats": repeats}
    given: dict[str, Any] = {k: v for k, v in asked.items() if v is not None}
    defaults = _collect_defaults()  # the collector's own: the options above are None unless given
    frameworks, models = framework or defaults["frameworks"], model or defaults["models"]
    rounds = given.get("warmup", defaults["warmup"]) + given.get("iterations", defaults["iterations"])
    bar = _collect_bar(len(frameworks) * len(models) * rounds * given.get("repeats", defaults["repeats"]))
    try:
        result = api.collect(frameworks, models, replace=replace, progress=bar, input_gradient=input_gradient,
                             accumulate_gradients=accumulate_gradients, **given)
    except KeyboardInterrupt:
        _err("Interrupted; nothing was written.")
        raise typer.Exit(code=int(ExitCode.INTERRUPTED)) from None
    finally:
        if bar is not None:
            bar.close()
    from .output import render

    rows = [{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in api.summary_rows(result)]
    typer.echo(render(list(COLLECT_SUMMARY), [tuple(r[c] for c in COLLECT_SUMMARY) for r in rows], fmt), nl=False)
    for r in result.failed:
        _err(f"failed: {r.spec.framework} {r.spec.model} batch {r.spec.batch_size}: {r.reason}")
    where = f"wrote {len(result.succeeded)} run(s) to {result.output}" if result.written \
        else f"{result.output} is unchanged"
    _err(f"dlbench: {where} in {result.duration_s:.0f} s ({len(result.failed)} failed)")
    if result.failed:
        raise typer.Exit(code=int(ExitCode.RUNTIME))


def _collect_defaults() -> dict:
    """The collector's defaults, from the collector itself: every parameter default of
    `collect()`, every framework it has an adapter for and every model it knows."""
    import inspect

    from .collect import MODELS, api
    from .collect.adapters import ADAPTERS

    defaults = {name: p.default for name, p in inspect.signature(api.collect).parameters.items()}
    return {**defaults, "frameworks": list(ADAPTERS), "models": list(MODELS)}


class _CollectBar:
    """click's progress bar over every iteration of every run (with the time left), on a terminal."""

    def __init__(self, steps: int):
        self.bar = typer.progressbar(length=steps, label="collect", show_eta=True, show_pos=True, file=sys.stderr)
        self.bar.__enter__()

    def __call__(self, p) -> None:
        if p.kind == "start":
            self.bar.label = f"[{p.index}/{p.total}] {p.message}"
        elif p.kind == "step":
            self.bar.label = f"[{p.index}/{p.total}] {p.spec.framework} {p.spec.model}: {p.message}"
            self.bar.update(1)

    def close(self) -> None:
        self.bar.__exit__(None, None, None)


def _collect_bar(steps: int):
    return _CollectBar(steps) if sys.stderr.isatty() else None


@export_app.command("json")
@handles_errors
def export_json(
    file: Optional[Path] = typer.Argument(None, dir_okay=False, metavar="FILE",
                                          help="Write to this file. Default: stdout."),
    source: Optional[str] = typer.Option(None, "--source",
                                         help="Rebuild only this input file's document (its path as ingested)."),
    db: Db = DEFAULT_DB,
    no_refresh: NoRefresh = False,
):
    """The original document, rebuilt as JSON.

    The parsed TOML (dates and times as ISO strings) rebuilt from the warehouse tables
    alone, never from the files: keys sorted, two-space indent. Several input files are
    merged into one document (a machine in several files once, its models in file
    order); --source gives exactly one file's document."""
    from .export import document_json

    _write_text(_warehouse(db, no_refresh).read(lambda con: document_json(con, source)), file)


@export_app.command("parquet")
@handles_errors
def export_parquet(
    directory: Path = _folder("The folder to write (created if missing)."),
    db: Db = DEFAULT_DB,
    no_refresh: NoRefresh = False,
):
    """Every table and view as Parquet files.

    Writes DIR/<name>.parquet for each table and view (JSON columns as strings) and
    DIR/manifest.json: each relation's kind, file, row count and DuckDB schema, and the
    warehouse's sources with their sha256."""
    from .export import parquet

    manifest = _warehouse(db, no_refresh).read(lambda con: parquet(con, directory))
    _err(f"Exported {len(manifest['relations'])} relations to {directory}")


@export_app.command("sql")
@handles_errors
def export_sql(
    dialect: str = typer.Option(..., "--dialect",
                                help="spark, trino, postgres, bigquery, snowflake or duckdb."),
):
    """The views as SQL for another engine.

    The views of sql/views transpiled from DuckDB with sqlglot, in dependency order, to run
    over the files of `export parquet`; the header says how to register those files on
    the engine (Spark: one temporary view per table)."""
    from .export import DIALECTS, view_sql

    if dialect not in DIALECTS:
        raise typer.BadParameter(f"{dialect!r}; expected one of {', '.join(DIALECTS)}", param_hint="--dialect")
    typer.echo(view_sql(dialect), nl=False)


def _write_text(text: str, file: Optional[Path]) -> None:
    if file is None:
        typer.echo(text, nl=False)
        return
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as e:
        _err(f"Error: cannot write {file}: {e.strerror or e}")
        raise typer.Exit(code=int(ExitCode.RUNTIME)) from None


if __name__ == "__main__":
    app()
