"""The warehouse: build it from the inputs, keep it fresh, open it for reading.

`ingest` checks the TOML files and builds the warehouse through `dlbench.ingest`
(atomically, under a lock; only the changed machine sections of big files when
that is possible). `refresh` rebuilds a missing, stale or damaged warehouse
before a command reads it; it re-checks staleness after it gets the lock, so
many readers of a stale warehouse cause one rebuild. `connect` opens it
read-only, and refuses a file that is not a dlbench warehouse; `open_fresh`
checks staleness on the read-only connection it then returns, so that a command
on an up-to-date warehouse opens it once.

Checking an up-to-date warehouse is cheap: it compares each source file's stat
(size, mtime and ctime in ns, inode), recorded when the file was read, and reads
a file again for its sha256 only when they differ (a `touch`, a `git checkout`:
no rebuild when the bytes are the same). The ingest (`dlbench.ingest`: tomli,
the readers, the builder) is imported only when something is rebuilt or hashed.

A warehouse is a build product: when DuckDB finds it damaged (it cannot open
it, or a block fails its checksum), the commands rebuild it from its sources
(`rebuild_damaged`) instead of failing.
"""
from __future__ import annotations

import contextlib
import functools
import glob
import os
import stat
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import sqlfiles
from .errors import Finding, NotAWarehouse, WarehouseDamaged, WarehouseMissing

if TYPE_CHECKING:  # the ingest is imported where a build needs it: a no-op refresh never does
    import duckdb

    from .ingest import build as builder

DEFAULT_DB = "warehouse.duckdb"
DEFAULT_SEED = "benchmark.toml"
DEFAULT_DATA_GLOB = os.path.join("data", "*.toml")
SCHEMA_VERSION = "4"  # 2: source_machines.has_models, models.has_frameworks; 3: sources.mtime_ns, ctime_ns, inode;
# 4: runs.stack_id and base_stack_id, and run_id from the natural key with workload, mode, threads and date
# A file written less than this long before a build read it is "unsure": a second write within the
# granularity of its timestamps (2 s on FAT, 1 s on ext3 and HFS+, a few ms on ext4) could leave its
# size and times as they were. Its stat is not recorded, and refresh always compares its sha256.
UNSURE_WITHIN_S = 2.0
# The oldest DuckDB that can open a warehouse we write: DuckDB 2.x writes its newest storage
# format by default, which the 1.x command-line client, DBeaver's driver and an analyst's older
# `duckdb` refuse ("can only read versions between 64 and 68"). tests/test_install.py runs every
# view through the DuckDB 1.x CLI.
STORAGE_COMPATIBILITY = "v1.1.0"


def build_version() -> str:
    """What warehouse_meta.schema_version records: the schema version and the SQL's fingerprint."""
    return f"{SCHEMA_VERSION}+sql.{sqlfiles.fingerprint()[:16]}"


def catalog(stats: dict[str, tuple | None] | None = None) -> builder.Catalog:
    """The schema, views and version that every warehouse dlbench builds holds; with `stats`
    (`file_stats` of the inputs, taken before they were read), their stat goes into `sources`."""
    from .ingest import build as builder

    return builder.Catalog(schema_sql=sqlfiles.schema_sql(), version=build_version(), create_views=create_views,
                           finish=None if stats is None else functools.partial(_record_stats, stats=stats),
                           connect_config={"storage_compatibility_version": STORAGE_COMPATIBILITY})


def file_stats(paths: list[str]) -> dict[str, tuple | None]:
    """abs path -> (size, mtime_ns, ctime_ns, inode) of each file, or None when it is not a
    regular file or was written less than UNSURE_WITHIN_S ago (or in the future).

    Taken *before* the files are read: a write after this stat changes the times (unless it
    falls within their granularity, hence UNSURE_WITHIN_S), so a recorded stat that still
    matches means the bytes read are the bytes there."""
    now = time.time_ns()
    out: dict[str, tuple | None] = {}
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            out[os.path.abspath(p)] = None
            continue
        recent = max(st.st_mtime_ns, st.st_ctime_ns) > now - int(UNSURE_WITHIN_S * 1e9)
        out[os.path.abspath(p)] = None if recent or not stat.S_ISREG(st.st_mode) else _stat_key(st)
    return out


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    """What `sources` records of a file's stat: size, mtime_ns, ctime_ns, and the inode as a
    signed 64-bit number (BIGINT; an inode can use all 64 bits, overlayfs's xino does)."""
    inode = st.st_ino - (1 << 64) if st.st_ino >= 1 << 63 else st.st_ino
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, inode


def _record_stats(con, stats: dict[str, tuple | None]) -> None:
    """The last step of a build, on its connection: each source's stat (NULL when unsure, or
    when its size is not the size that was read)."""
    paths = [p for (p,) in con.execute("SELECT abs_path FROM sources").fetchall()]
    known = [(p, stats.get(p)) for p in paths]
    con.execute("""UPDATE sources SET mtime_ns = CASE WHEN s.size = sources.size_bytes THEN s.mtime_ns END,
                                      ctime_ns = CASE WHEN s.size = sources.size_bytes THEN s.ctime_ns END,
                                      inode = CASE WHEN s.size = sources.size_bytes THEN s.inode END
                   FROM (SELECT unnest(?::VARCHAR[]) AS abs_path, unnest(?::BIGINT[]) AS size,
                                unnest(?::BIGINT[]) AS mtime_ns, unnest(?::BIGINT[]) AS ctime_ns,
                                unnest(?::BIGINT[]) AS inode) s
                   WHERE sources.abs_path = s.abs_path""",
                [[p for p, _ in known]] + [[st[i] if st else None for _, st in known] for i in range(4)])


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
    reason: str = ""  # why a refresh rebuilt it


def check_files(paths: list[str]):
    """Read and check every file without writing anything: (results, findings)."""
    from .ingest import build as builder

    return builder.check_files(paths)


def build_warehouse(paths: list[str] | None, db: str = DEFAULT_DB, *, progress=None,
           only_if_stale: bool = False, full: bool = False) -> Summary:
    """Check `paths` (None: the default files) and build `db` from them.

    Raises InvalidInput (nothing written) when any file has errors, and
    NotAWarehouse (nothing written) when `db` holds something else.
    full=True always reads every file (no incremental update)."""
    from .ingest import build as builder
    from .ingest import incremental, pipeline

    start = time.perf_counter()
    builder.check_target(db, deep=False)  # a device or a text file: refused before the lock file is made
    with builder.locked(db):
        reason = (stale_reason(db) or "") if only_if_stale else ""
        if only_if_stale and not reason:
            return Summary(db, [], counts(db), rebuilt=False)
        file_list = default_paths() if paths is None else list(paths)
        spec = "default" if paths is None else "explicit"
        cat = catalog(file_stats(file_list))  # before anything reads them
        kind = builder.check_target(db)
        damage = "DuckDB cannot open it" if kind == "damaged" else None
        if kind == "warehouse" and not full:  # an incremental update copies it: it must read in full
            damage = builder.verify_readable(db)
        if damage and not reason.startswith("it was damaged"):
            reason = f"it was damaged ({damage})"
        # only the changed machine sections of big files when that is possible, else everything
        findings = None if full or damage else incremental.update(
            db, file_list, spec, functools.partial(builder.Builder, catalog=cat), cat.version)
        if findings is None:
            try:
                findings = builder.build(db, cat, file_list, spec, progress, split=True)
            except pipeline.SplitUnsafe:
                findings = builder.build(db, cat, file_list, spec, progress, split=False)
    summary = Summary(db, file_list, counts(db), [f for f in findings if f.severity == "warning"], reason=reason)
    summary.seconds = time.perf_counter() - start
    return summary


def _catalog(con) -> tuple[set[str], dict[str, str]]:
    """The database's views (names) and macros (name -> 'macro' or 'table_macro')."""
    views = {n for (n,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal "
                                       "AND database_name = current_database() AND schema_name = 'main'").fetchall()}
    macros = dict(con.execute(
        "SELECT DISTINCT function_name, function_type FROM duckdb_functions() WHERE NOT internal "
        "AND database_name = current_database() AND function_type IN ('macro', 'table_macro')").fetchall())
    return views, macros


def _drop_views(con) -> None:
    """Drop this warehouse's views and macros (before they are made again)."""
    views, macros = _catalog(con)
    for name in views:
        con.execute(f'DROP VIEW IF EXISTS "{name}"')
    for name, kind in macros.items():
        con.execute(f'DROP MACRO {"TABLE " if kind == "table_macro" else ""}IF EXISTS "{name}"')


def create_views(con, fresh: bool = False, copied: bool = False) -> None:
    """(Re)create every view and macro of sql/views and sql/macros (`fresh`: a new database,
    which has none to drop). `copied`: the database is a copy of a warehouse of this version
    (an incremental update), whose views and macros are this SQL's already: they are made
    again only when one of them is missing (dropped by hand, say)."""
    if copied:
        views, macros = _catalog(con)
        if (views, set(macros)) == ({v.name for v in sqlfiles.creation_order()}, sqlfiles.macro_names()):
            return
    if not fresh:
        _drop_views(con)
    # views first: DuckDB binds a table macro's query when the macro is created,
    # so a macro can read the views (speedup_vs reads `results`)
    for view in sqlfiles.creation_order():
        con.execute(f'CREATE VIEW "{view.name}" AS\n{view.body}')
    for macro in sqlfiles.macros():
        con.execute(macro.sql)


# -- reading the warehouse ---------------------------------------------------
def connect(db: str = DEFAULT_DB, config: dict | None = None):
    """A read-only connection to an existing warehouse.

    Raises WarehouseMissing, NotAWarehouse (another kind of file, never opened for
    writing), or WarehouseDamaged (a dlbench warehouse DuckDB cannot open)."""
    import duckdb

    from .ingest.files import database_kind

    kind = database_kind(db)  # NotAWarehouse for a FIFO, a folder, ...
    if kind == "missing":
        raise WarehouseMissing(f"no warehouse at {db}; run `python cli.py ingest` first")
    if kind == "foreign":  # the builder's refusal says what it takes to be replaced
        from .ingest import build as builder

        builder.check_target(db, deep=False)
    stale = stale_wal(db)
    if stale:
        raise WarehouseDamaged(db, stale)
    try:
        con = duckdb.connect(db, read_only=True, config=config or {})
    except duckdb.Error as e:
        from .ingest import build as builder

        if builder.identify(db) == "damaged":
            raise WarehouseDamaged(db, str(e)) from None
        raise NotAWarehouse(f"{db} is not a dlbench warehouse ({str(e).splitlines()[0]}); "
                            "nothing was changed") from None
    try:
        row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                          "AND schema_name = 'main' AND table_name = 'warehouse_meta'").fetchone()
        assert row is not None  # count(*) always gives one row
        found = row[0]
    except duckdb.Error as e:
        con.close()
        raise WarehouseDamaged(db, str(e)) from None
    if not found:
        con.close()
        raise NotAWarehouse(f"{db} is a DuckDB database but not a dlbench warehouse (it has no table "
                            "warehouse_meta); nothing was changed")
    return con


def stale_wal(db: str) -> str | None:
    """Why the write-ahead log beside `db` belongs to an earlier file, or None. A log older
    than the file it sits beside was left by a client of a file that has since been replaced
    (dlbench before 0.2 renamed a new warehouse over a file with a log). DuckDB 1.1's storage
    format, which we write, has no identifier that ties a log to its file, so DuckDB would
    replay it into the new file without a word: we refuse it as damage instead."""
    try:
        wal, base = os.stat(db + ".wal").st_mtime_ns, os.stat(db).st_mtime_ns
    except OSError:
        return None
    if wal < base:
        return f"WAL does not match database file: {db}.wal is older than the file it sits beside"
    return None


def is_damage(e: BaseException) -> bool:
    """Whether a DuckDB error says the database file is damaged (not that a query is wrong)."""
    text = str(e)
    return any(s in text for s in ("Corrupt database file", "checksum", "WAL does not match",
                                   "Failure while replaying WAL", "not a valid DuckDB database file"))


def rebuild_damaged(db: str, why: str, progress=None) -> Summary:
    """Rebuild a damaged warehouse from the files it was built from (read from its
    `sources` when it can still tell them, else the default files), in full."""
    summary = build_warehouse(_explicit_paths(_stored(db)), db, progress=progress, full=True)
    summary.reason = f"it was damaged ({why})"
    return summary


def counts(db: str) -> dict[str, int]:
    with contextlib.closing(connect(db)) as con:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in ("sources", "machines", "models", "runs", "measurements", "ingest_warnings")}


def _explicit_paths(stored: tuple[dict, list[tuple]] | str) -> list[str] | None:
    """The paths an explicit `ingest PATHS` named, from `_stored`; None for the default files
    (or when the warehouse cannot tell)."""
    if isinstance(stored, str) or stored[0].get("spec") != "explicit":
        return None
    return [source[0] for source in stored[1]]


def _read_stored(con) -> tuple[dict, list[tuple]]:
    """The warehouse's meta (key -> value) and sources (path, abs_path, sha256, then size_bytes,
    mtime_ns, ctime_ns, inode: all None in a warehouse of another version, which has no stat)."""
    meta = dict(con.execute("SELECT key, value FROM warehouse_meta").fetchall())
    stat_columns = ("size_bytes, mtime_ns, ctime_ns, inode" if meta.get("schema_version") == build_version()
                    else "NULL, NULL, NULL, NULL")
    sources = con.execute(f"SELECT path, abs_path, sha256, {stat_columns} FROM sources ORDER BY path").fetchall()
    return meta, sources


def _unreadable(e: BaseException) -> str:
    """Why a warehouse that failed to open or to read must be rebuilt."""
    if isinstance(e, WarehouseDamaged):
        return f"it was damaged ({e.detail})"
    if is_damage(e):
        return f"it was damaged ({str(e).splitlines()[0]})"
    return f"it cannot be read ({str(e).splitlines()[0]})"


def _open_stored(db: str, config: dict | None = None):
    """(a read-only connection, meta, sources) of `db`; or, when it cannot be read, why not."""
    if not os.path.exists(db):
        return "there is no warehouse yet"
    try:
        con = connect(db, config)
    except NotAWarehouse:
        raise  # never rebuilt over: the build would refuse it too
    except Exception as e:  # damaged, or an unreadable file: rebuild it
        return _unreadable(e)
    try:
        return (con, *_read_stored(con))
    except BaseException as e:
        con.close()
        if isinstance(e, Exception):
            return _unreadable(e)
        raise


def _stored(db: str) -> tuple[dict, list[tuple]] | str:
    """The warehouse's meta and sources (`_read_stored`), read in one connection; or, when it
    cannot be read, why not."""
    opened = _open_stored(db)
    if isinstance(opened, str):
        return opened
    con, meta, sources = opened
    con.close()
    return meta, sources


def _same_file(abs_path: str, recorded: tuple) -> bool:
    """Whether the file's size, mtime, ctime and inode are still those recorded when it was
    read (never when nothing was recorded: the file was unsure, or of another version)."""
    if recorded[1] is None:
        return False
    try:
        st = os.stat(abs_path)
    except OSError:
        return False
    return _stat_key(st) == tuple(recorded)


def stale_reason(db: str, stored=None) -> str | None:
    """Why `db` no longer matches its sources, or None when it is up to date.

    A source whose stat is the one recorded is unchanged; any other is read for its sha256
    (a file touched, copied back or checked out again is not a change when its bytes are
    the same)."""
    stored = _stored(db) if stored is None else stored
    if isinstance(stored, str):
        return stored
    meta, sources = stored
    if meta.get("schema_version") != build_version():
        return "the warehouse was built by another version of dlbench or of its SQL"
    if meta.get("spec") == "default":
        wanted = {os.path.abspath(p) for p in default_paths()}
        have = {source[1] for source in sources}
        if wanted != have:
            return "the set of input files changed"
    for path, abs_path, sha, *recorded in sources:
        if _same_file(abs_path, recorded):
            continue
        from .ingest.files import file_sha256

        if file_sha256(abs_path) != sha:
            return f"{path} changed"
    return None


def _fresh_or_stored(db: str, config: dict | None = None):
    """(a read-only connection, None) when `db` is up to date, the connection its staleness was
    checked on; else (None, what `_stored` read or why it could not), for the rebuild."""
    opened = _open_stored(db, config)
    if isinstance(opened, str):
        return None, opened
    con, meta, sources = opened
    try:
        reason = stale_reason(db, (meta, sources))
    except BaseException:
        con.close()
        raise
    if reason is None:
        return con, None
    con.close()
    return None, (meta, sources)


def refresh(db: str = DEFAULT_DB, progress=None) -> Summary | None:
    """Rebuild `db` when it is missing or stale; None when it was up to date.

    The files are the ones it was built from: the default set, or the paths
    an explicit `ingest PATHS` named (kept in `sources`)."""
    con, stored = _fresh_or_stored(db)
    if con is not None:
        con.close()
        return None
    summary = build_warehouse(_explicit_paths(stored), db, progress=progress, only_if_stale=True)
    return summary if summary.rebuilt else None


def open_fresh(db: str = DEFAULT_DB, config: dict | None = None,
               progress=None) -> tuple[duckdb.DuckDBPyConnection, Summary | None]:
    """A read-only connection to `db` (with DuckDB's `config`), rebuilt first when it is missing,
    stale or damaged, as `refresh` does; and the Summary of that rebuild, or None.

    An up-to-date warehouse is opened once: the connection that checked it is the one returned.
    Raises what `connect` raises (NotAWarehouse is never rebuilt over)."""
    con, stored = _fresh_or_stored(db, config)
    if con is not None:
        return con, None
    summary = build_warehouse(_explicit_paths(stored), db, progress=progress, only_if_stale=True)
    return connect(db, config), (summary if summary.rebuilt else None)
