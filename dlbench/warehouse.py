"""The warehouse: build it from the inputs, keep it fresh, open it for reading.

`ingest` checks the TOML files and builds the warehouse through `dlbench.ingest`
(atomically, under a lock; only the changed machine sections of big files when
that is possible). `refresh` rebuilds a missing or stale warehouse before a
command reads it; it re-checks staleness after it gets the lock, so many readers
of a stale warehouse cause one rebuild. `connect` opens it read-only.
"""
from __future__ import annotations

import contextlib
import functools
import glob
import os
import time
from dataclasses import dataclass, field

from . import sqlfiles
from .errors import Finding, WarehouseMissing, WarehouseUnreadable
from .ingest import build as builder
from .ingest import incremental, pipeline

DEFAULT_DB = "warehouse.duckdb"
DEFAULT_SEED = "benchmark.toml"
DEFAULT_DATA_GLOB = os.path.join("data", "*.toml")
SCHEMA_VERSION = "2"  # 2: source_machines.has_models, models.has_frameworks
# The oldest DuckDB that can open a warehouse we write: DuckDB 2.x writes its newest storage
# format by default, which the 1.x command-line client, DBeaver's driver and an analyst's older
# `duckdb` refuse ("can only read versions between 64 and 68"). tests/test_compat.py runs every
# view through the DuckDB 1.x CLI.
STORAGE_COMPATIBILITY = "v1.1.0"


def build_version() -> str:
    """What warehouse_meta.schema_version records: the schema version and the SQL's fingerprint."""
    return f"{SCHEMA_VERSION}+sql.{sqlfiles.fingerprint()[:16]}"


def catalog() -> builder.Catalog:
    """The schema, views and version that every warehouse dlbench builds holds."""
    return builder.Catalog(schema_sql=sqlfiles.schema_sql(), version=build_version(), create_views=create_views,
                           connect_config={"storage_compatibility_version": STORAGE_COMPATIBILITY})


def default_paths() -> list[str]:
    """benchmark.toml and every data/*.toml, relative to the working directory."""
    return [DEFAULT_SEED] + sorted(glob.glob(DEFAULT_DATA_GLOB))


@dataclass
class Summary:
    db: str
    files: list[str]
    counts: dict[str, int]
    warnings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    rebuilt: bool = True


def check_files(paths: list[str]):
    """Read and check every file without writing anything: (results, findings)."""
    return builder.check_files(paths)


def build_warehouse(paths: list[str] | None, db: str = DEFAULT_DB, *, progress=None,
           only_if_stale: bool = False) -> Summary:
    """Check `paths` (None: the default files) and build `db` from them.

    Raises InvalidInput (nothing written) when any file has errors."""
    start = time.perf_counter()
    with builder.locked(db):
        if only_if_stale and not stale_reason(db):
            return Summary(db, [], counts(db), rebuilt=False)
        file_list = default_paths() if paths is None else list(paths)
        spec = "default" if paths is None else "explicit"
        cat = catalog()
        # only the changed machine sections of big files when that is possible, else everything
        findings = incremental.update(db, file_list, spec, functools.partial(builder.Builder, catalog=cat),
                                      cat.version)
        if findings is None:
            try:
                findings = builder.build(db, cat, file_list, spec, progress, split=True)
            except pipeline.SplitUnsafe:
                findings = builder.build(db, cat, file_list, spec, progress, split=False)
    summary = Summary(db, file_list, counts(db), [f for f in findings if f.severity == "warning"])
    summary.seconds = time.perf_counter() - start
    return summary


def _drop_views(con) -> None:
    """Drop this warehouse's views and macros (an incremental update recreates them,
    so that a copy built by an older checkout gets the current SQL)."""
    for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal "
                               "AND database_name = current_database() AND schema_name = 'main'").fetchall():
        con.execute(f'DROP VIEW IF EXISTS "{name}"')
    for name, kind in con.execute(
            "SELECT DISTINCT function_name, function_type FROM duckdb_functions() WHERE NOT internal "
            "AND database_name = current_database() AND function_type IN ('macro', 'table_macro')").fetchall():
        con.execute(f'DROP MACRO {"TABLE " if kind == "table_macro" else ""}IF EXISTS "{name}"')


def create_views(con) -> None:
    """(Re)create every view and macro of sql/views and sql/macros."""
    _drop_views(con)
    # views first: DuckDB binds a table macro's query when the macro is created,
    # so a macro can read the views (speedup_vs reads `results`)
    for view in sqlfiles.views():
        con.execute(f'CREATE VIEW "{view.name}" AS\n{view.body}')
    for macro in sqlfiles.macros():
        con.execute(macro.sql)


# -- reading the warehouse ---------------------------------------------------
def connect(db: str = DEFAULT_DB):
    """A read-only connection to an existing warehouse."""
    import duckdb

    if not os.path.exists(db):
        raise WarehouseMissing(f"no warehouse at {db}; run `python cli.py ingest` first")
    try:
        return duckdb.connect(db, read_only=True)
    except duckdb.Error as e:
        raise WarehouseUnreadable(f"cannot open the warehouse {db}: {str(e).splitlines()[0]}; "
                                  "rebuild it with `python cli.py ingest`") from None


def counts(db: str) -> dict[str, int]:
    with contextlib.closing(connect(db)) as con:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in ("sources", "machines", "models", "runs", "measurements", "ingest_warnings")}


def _stored(db: str) -> tuple[dict, list[tuple]] | str:
    """The warehouse's meta (key -> value) and sources (path, abs_path, sha256),
    read in one connection; or, when it cannot be read, why not."""
    if not os.path.exists(db):
        return "there is no warehouse yet"
    try:
        with contextlib.closing(connect(db)) as con:
            meta = dict(con.execute("SELECT key, value FROM warehouse_meta").fetchall())
            sources = con.execute("SELECT path, abs_path, sha256 FROM sources ORDER BY path").fetchall()
    except Exception as e:  # an unreadable or foreign file: rebuild it
        return f"the warehouse cannot be read ({str(e).splitlines()[0]})"
    return meta, sources


def stale_reason(db: str, stored=None) -> str | None:
    """Why `db` no longer matches its sources, or None when it is up to date."""
    stored = _stored(db) if stored is None else stored
    if isinstance(stored, str):
        return stored
    meta, sources = stored
    if meta.get("schema_version") != build_version():
        return "the warehouse was built by another version of dlbench or of its SQL"
    if meta.get("spec") == "default":
        wanted = {os.path.abspath(p) for p in default_paths()}
        have = {a for _, a, _ in sources}
        if wanted != have:
            return "the set of input files changed"
    for path, abs_path, sha in sources:
        if pipeline.file_sha256(abs_path) != sha:
            return f"{path} changed"
    return None


def refresh(db: str = DEFAULT_DB, progress=None) -> Summary | None:
    """Rebuild `db` when it is missing or stale; None when it was up to date.

    The files are the ones it was built from: the default set, or the paths
    an explicit `ingest PATHS` named (kept in `sources`)."""
    stored = _stored(db)
    if not stale_reason(db, stored):
        return None
    explicit = not isinstance(stored, str) and stored[0].get("spec") == "explicit"
    summary = build_warehouse([p for p, _, _ in stored[1]] if explicit else None, db,
                     progress=progress, only_if_stale=True)
    return summary if summary.rebuilt else None
