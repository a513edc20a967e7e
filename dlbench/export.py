"""Export the warehouse: the original document as JSON, every relation as Parquet,
and the views as SQL for other engines.

`document` rebuilds the parsed benchmark.toml (as `tomli.load` gives it, dates
and times as ISO strings) from the warehouse tables alone, never from the TOML
files: it is the proof that the ingest keeps everything that was written.
`parquet` writes each table and view to `<dir>/<name>.parquet` with a
manifest. `view_sql` transpiles the views (sql/views/*.sql, written for DuckDB)
with sqlglot so that they run over the Parquet export on another engine.
"""
from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

from . import sqlfiles
from .errors import DlbenchError, UsageError

# dialect -> how to make the tables of a Parquet export available under their own names
DIALECTS = {
    "spark": [
        "register each Parquet file as a temporary view named after its table, e.g. in PySpark:",
        '  spark.read.parquet("DIR/<table>.parquet").createOrReplaceTempView("<table>")',
        "or in Spark SQL:",
        "  CREATE OR REPLACE TEMPORARY VIEW <table> USING parquet OPTIONS (path 'DIR/<table>.parquet');",
    ],
    "trino": [
        "make each Parquet file a table named after it in the current schema, e.g. with the Hive",
        "connector (one folder per table):",
        "  CREATE TABLE <table> (<columns as in manifest.json>)",
        "    WITH (external_location = 's3://bucket/DIR/<table>/', format = 'PARQUET');",
    ],
    "postgres": [
        "load each Parquet file into a table named after it, e.g. from DuckDB:",
        "  ATTACH 'dbname=mydb' AS pg (TYPE postgres);",
        "  CREATE TABLE pg.<table> AS SELECT * FROM 'DIR/<table>.parquet';",
    ],
    "bigquery": [
        "load each Parquet file into a table named after it in one dataset, then run this",
        "script with that dataset as the default dataset:",
        "  bq load --source_format=PARQUET <dataset>.<table> DIR/<table>.parquet",
    ],
    "snowflake": [
        "load each Parquet file into a table named after it, e.g.:",
        "  PUT file://DIR/<table>.parquet @~/dlbench;",
        "  CREATE TABLE <table> USING TEMPLATE (SELECT ARRAY_AGG(OBJECT_CONSTRUCT(*)) FROM TABLE(",
        "    INFER_SCHEMA(LOCATION => '@~/dlbench/<table>.parquet', FILE_FORMAT => 'parquet_format')));",
        "  COPY INTO <table> FROM @~/dlbench/<table>.parquet",
        "    FILE_FORMAT = (FORMAT_NAME = 'parquet_format') MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE;",
    ],
    "duckdb": [
        "make each Parquet file a view named after its table:",
        "  CREATE OR REPLACE VIEW <table> AS SELECT * FROM 'DIR/<table>.parquet';",
    ],
}


class ExportError(DlbenchError):
    "The export could not be built or written"


def quote_ident(name: str) -> str:
    """An identifier for DuckDB SQL, always double-quoted ("a""b" for a"b)."""
    return '"' + name.replace('"', '""') + '"'


# -- the document ----------------------------------------------------------------
def _rows(con, table: str) -> list[dict]:
    cur = con.execute(f"SELECT * FROM {quote_ident(table)}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _extra(text: str | None) -> dict:
    return json.loads(text) if text else {}


def _put(out: dict, key: str, value) -> None:
    if value is not None:
        out[key] = value


def _count(number, text):
    """A count as it was written: the string when it was a string, else the number."""
    return text if text is not None else number


def _date(text):
    """A `date` column as the document holds it: a year was written as an integer, a TOML
    date is an ISO string (as every date in the document)."""
    return int(text) if text is not None and len(text) == 4 else text


def sources(con) -> list[dict]:
    """The warehouse's input files, in path order."""
    return sorted(_rows(con, "sources"), key=lambda s: s["path"])


def _pick_source(all_sources: list[dict], wanted: str) -> dict:
    for s in all_sources:
        if wanted == s["path"] or os.path.normpath(wanted) == os.path.normpath(s["path"]):
            return s
    for s in all_sources:
        if os.path.abspath(wanted) == s["abs_path"]:
            return s
    known = ", ".join(s["path"] for s in all_sources) or "none"
    raise UsageError(f"{wanted} is not a source of this warehouse (its sources: {known})")


def document(con, source: str | None = None) -> dict:
    """The parsed TOML document rebuilt from the warehouse tables.

    source None: all sources merged (a machine in several files appears once,
    its models concatenated in source path order); else one file's document
    exactly (`source` as given to the ingest, or the same file by another path)."""
    all_sources = sources(con)
    chosen = [_pick_source(all_sources, source)] if source is not None else all_sources
    source_ids = {s["source_id"] for s in chosen}
    order = {s["source_id"]: i for i, s in enumerate(all_sources)}

    machines = {m["machine_id"]: m for m in _rows(con, "machines")}
    frameworks = {f["framework_id"]: f for f in _rows(con, "frameworks")}
    devices: dict[int, list[dict]] = {}
    for d in sorted(_rows(con, "devices"), key=lambda d: d["position"]):
        devices.setdefault(d["machine_id"], []).append(d)
    libraries: dict[int, list[dict]] = {}
    for lib in sorted(_rows(con, "run_libraries"), key=lambda x: x["position"]):
        libraries.setdefault(lib["run_id"], []).append(lib)
    measurements: dict[int, list[dict]] = {}
    for m in _rows(con, "measurements"):
        measurements.setdefault(m["run_id"], []).append(m)
    # raw samples go back into their array key, next to the run's measurements
    for run_id, metric, values, written in con.execute(
            "SELECT run_id, metric, list(value_ms ORDER BY iteration), list(written ORDER BY iteration) "
            "FROM samples GROUP BY run_id, metric ORDER BY run_id, metric").fetchall():
        key = "forward_samples" if metric == "forward_ms" else "backward_samples"
        text = ",".join(w if w is not None else repr(v) for v, w in zip(values, written))
        measurements.setdefault(run_id, []).append({"key": key, "written": f"[{text}]"})
    runs: dict[int, list[dict]] = {}
    for r in sorted(_rows(con, "runs"), key=lambda r: r["position"]):
        runs.setdefault(r["model_id"], []).append(r)
    models: dict[int, list[dict]] = {}
    for m in sorted(_rows(con, "models"), key=lambda m: (order[m["source_id"]], m["position"])):
        if m["source_id"] in source_ids:
            models.setdefault(m["machine_id"], []).append(m)

    doc: dict = {}
    owner: dict[str, str] = {}  # top-level non-table key -> the first file that wrote it
    for s in chosen:
        for key, value in _extra(s["extra"]).items():
            if key in doc and doc[key] != value:
                raise ExportError(f"top-level key '{key}' differs between {owner[key]} and {s['path']}, so "
                                  "the files do not merge into one document; export one with --source")
            owner.setdefault(key, s["path"])
            doc[key] = value
    paths = {s["source_id"]: s["path"] for s in all_sources}
    written = [sm for sm in _rows(con, "source_machines") if sm["source_id"] in source_ids]
    has_models = {sm["machine_id"] for sm in written if sm["has_models"]}
    for sm in sorted(written, key=lambda sm: order[sm["source_id"]]):
        m = machines[sm["machine_id"]]
        key = m["machine_key"]
        if key in owner:
            raise ExportError(f"'{key}' is a machine in {paths[sm['source_id']]} but a plain value in "
                              f"{owner[key]}, so the files do not merge into one document; "
                              "export one with --source")
        if key not in doc:  # else built from an earlier file, with all its models
            doc[key] = _machine(m, m["machine_id"] in has_models, devices, models, runs, frameworks,
                                measurements, libraries)
    return doc


def _machine(m, has_models, devices, models, runs, frameworks, measurements, libraries) -> dict:
    out = _extra(m["extra"])
    out["name"] = m["name"]
    _put(out, "type", m["type"])
    if m["has_host"]:
        host = _extra(m["host_extra"])
        _put(host, "os", m["host_os"])
        _put(host, "cpu", m["host_cpu"])
        _put(host, "cores", _count(m["host_cores"], m["host_cores_text"]))
        _put(host, "cache", m["host_cache_text"])
        _put(host, "ram", m["host_ram_text"])
        out["host"] = host
    if m["has_devices"]:
        out["devices"] = [_device(d) for d in devices.get(m["machine_id"], [])]
    if has_models:
        out["models"] = [_model(x, runs, frameworks, measurements, libraries)
                         for x in models.get(m["machine_id"], [])]
    return out


def _device(d) -> dict:
    out = _extra(d["extra"])
    _put(out, "name", d["name"])
    _put(out, "memory", d["memory_text"])
    _put(out, "cores", _count(d["cores"], d["cores_text"]))
    _put(out, "memory_bandwith", d["memory_bandwidth_text"])
    _put(out, "quantity", _count(d["quantity"], d["quantity_text"]))
    return out


def _model(m, runs, frameworks, measurements, libraries) -> dict:
    out = _extra(m["extra"])
    out["name"] = m["name"]
    _put(out, "type", m["type"])
    _put(out, "details", m["details"])
    _put(out, "batch_size", _count(m["batch_size"], m["batch_size_text"]))
    _put(out, "input", m["input_shape"])
    _put(out, "label", m["label"])
    _put(out, "date", _date(m["date"]))
    if m["has_frameworks"]:
        out["frameworks"] = [_run(r, frameworks, measurements, libraries) for r in runs.get(m["model_id"], [])]
    return out


def _run(r, frameworks, measurements, libraries) -> dict:
    out = _extra(r["extra"])
    framework = frameworks[r["framework_id"]]
    out["name"] = framework["name"]
    out["version"] = framework["version"]
    _put(out, "precision", r["precision"])
    _put(out, "label", r["label"])
    _put(out, "date", _date(r["date"]))
    for m in measurements.get(r["run_id"], []):
        out[m["key"]] = json.loads(m["written"])
    if r["has_libraries"]:
        out["libraries"] = []
        for lib in libraries.get(r["run_id"], []):
            entry = _extra(lib["extra"])
            entry["name"] = lib["name"]
            _put(entry, "version", lib["version"])
            out["libraries"].append(entry)
    return out


def document_json(con, source: str | None = None) -> str:
    """`document` as JSON text: keys sorted, two-space indent, UTF-8, trailing newline."""
    return json.dumps(document(con, source), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# -- Parquet -----------------------------------------------------------------------
def relations(con) -> list[tuple[str, str]]:
    """(name, "table" or "view") of every relation: tables by name, then views in
    dependency order."""
    found = con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'main' ORDER BY table_name").fetchall()
    tables = [(n, "table") for n, t in found if t == "BASE TABLE"]
    views = {n for n, t in found if t == "VIEW"}
    ordered = [v.name for v in sqlfiles.views() if v.name in views]
    ordered += sorted(views - set(ordered))
    return tables + [(n, "view") for n in ordered]


def parquet(con, directory: str | os.PathLike) -> dict:
    """Write every table and view to <directory>/<name>.parquet and a manifest.json
    describing them; returns the manifest. JSON columns are written as strings."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"cannot create the folder {folder}: {e.strerror or e}") from None
    entries = []
    for name, kind in relations(con):
        schema = [dict(name=c, type=t) for c, t, *_ in con.execute(f"DESCRIBE {quote_ident(name)}").fetchall()]
        select = ", ".join(
            f"CAST({quote_ident(c['name'])} AS VARCHAR) AS {quote_ident(c['name'])}" if c["type"] == "JSON"
            else quote_ident(c["name"]) for c in schema)
        file = f"{name}.parquet"
        try:
            (rows,) = con.execute(
                f"COPY (SELECT {select} FROM {quote_ident(name)}) TO ? (FORMAT parquet)",
                [str(folder / file)]).fetchone()
        except Exception as e:
            import duckdb

            if not isinstance(e, duckdb.Error):
                raise
            raise ExportError(f"cannot export {kind} {name} to {folder / file}: "
                              f"{str(e).splitlines()[0]}") from None
        entries.append(dict(name=name, kind=kind, file=file, rows=rows, schema=schema))
    manifest = dict(
        format="dlbench parquet export",
        note="one Parquet file per table and view; JSON columns are written as strings",
        sources=[dict(path=s["path"], sha256=s["sha256"]) for s in sources(con)],
        relations=entries,
    )
    tmp = folder / ".manifest.json.tmp"
    try:
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, folder / "manifest.json")
    except OSError as e:
        raise ExportError(f"cannot write {folder / 'manifest.json'}: {e.strerror or e}") from None
    return manifest


# -- SQL for other engines --------------------------------------------------------
def check_dialect(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise UsageError(f"unknown dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
    return dialect


def transpile(sql: str, dialect: str) -> str:
    """One DuckDB SELECT as `dialect` SQL (raises sqlglot's errors when it cannot be
    transpiled faithfully)."""
    import sqlglot
    from sqlglot.errors import ErrorLevel

    tree = sqlglot.parse_one(sql, read="duckdb")
    if dialect == "bigquery":
        tree = _bigquery_aggregate_nulls_order(tree)
    return tree.sql(dialect=dialect, pretty=True, unsupported_level=ErrorLevel.RAISE)


def _bigquery_aggregate_nulls_order(tree):
    """BigQuery has no NULLS FIRST/LAST inside an aggregate's ORDER BY (STRING_AGG(x ORDER BY
    k)), and sqlglot refuses to drop it. DuckDB sorts NULLs last, BigQuery's ascending order
    first, so such a key becomes `k IS NULL, k`: the same order, said without NULLS LAST."""
    from sqlglot import exp

    for order in tree.find_all(exp.Order):
        if not isinstance(order.parent, exp.AggFunc) or isinstance(order.this, exp.Distinct):
            continue  # with DISTINCT the keys must be the arguments: left to sqlglot to refuse
        keys = []
        for key in order.expressions:
            desc, nulls_first = bool(key.args.get("desc")), bool(key.args.get("nulls_first"))
            if nulls_first == desc:  # not BigQuery's default for this direction
                keys.append(exp.Ordered(this=exp.Is(this=key.this.copy(), expression=exp.Null()),
                                        desc=nulls_first, nulls_first=not nulls_first))
            keys.append(exp.Ordered(this=key.this.copy(), desc=desc, nulls_first=not desc))
        order.set("expressions", keys)
    return tree


def view_statement(view: sqlfiles.SqlObject, dialect: str) -> str:
    """`CREATE OR REPLACE [TEMPORARY] VIEW <name> AS ...;` preceded by the view's comment."""
    import sqlglot
    from sqlglot import exp

    name = exp.to_identifier(view.name).sql(dialect=dialect)
    create = "CREATE OR REPLACE TEMPORARY VIEW" if dialect == "spark" else "CREATE OR REPLACE VIEW"
    comment = "".join(line.rstrip() + "\n" for line in _leading_comment(view.sql))
    try:
        body = transpile(_without_comment(view.body), dialect)
    except sqlglot.errors.SqlglotError as e:
        raise ExportError(f"view {view.name} cannot be transpiled to {dialect}: {e}") from None
    return f"{comment}{create} {name} AS\n{body};\n"


def _leading_comment(sql: str) -> list[str]:
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line)
    return lines


def _without_comment(sql: str) -> str:
    lines = sql.splitlines()
    while lines and (lines[0].startswith("--") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines)


_MACRO = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?MACRO\s+([^\s(]+)\s*(\([^)]*\))",
                    re.IGNORECASE | re.MULTILINE)


def macro_signatures(sql: str) -> list[str]:
    """The macros a macro file creates, as `name(params)`."""
    return [f"{name}{' '.join(params.split())}" for name, params in _MACRO.findall(sql)]


def view_sql(dialect: str) -> str:
    """Every view as `dialect` SQL, in dependency order, with a header that says how
    to run it over a Parquet export (`python cli.py export parquet DIR`)."""
    import sqlglot

    check_dialect(dialect)
    header = [
        f"dlbench views for {dialect}, transpiled from DuckDB (sql/views/*.sql) by sqlglot {sqlglot.__version__}.",
        "They read the warehouse tables by name. Export them with `python cli.py export parquet DIR`, then",
        *DIALECTS[dialect],
        *textwrap.wrap(f"for each table: {', '.join(sqlfiles.tables())}.", 96, subsequent_indent="  "),
        "JSON columns (extra, host_extra, written) are strings in the Parquet files.",
        "Then run the statements below in order (a view comes after the views it reads).",
    ]
    macros = [(name, m.description) for m in sqlfiles.macros() for name in macro_signatures(m.sql)]
    if macros:
        header.append("DuckDB-only (table macros, which do not transpile; use them in the warehouse):")
        header += [f"  {name}: {description}" for name, description in macros]
    out = "".join(f"-- {line}".rstrip() + "\n" for line in header)
    for view in sqlfiles.views():
        out += "\n" + view_statement(view, dialect)
    return out
