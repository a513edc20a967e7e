"""The warehouse's lifecycle, in one place: build it from the inputs, keep it fresh, open it.

A `Warehouse` is a file and how it is kept. `build()` checks the TOML files and builds
it through `dlbench.ingest` (atomically, under a lock; only the changed machine sections
of big files when that is possible). `reading()` gives a read-only connection to a fresh
warehouse: one that is missing, stale or damaged is rebuilt first (`refresh()`), with its
staleness re-checked under the lock, so many readers of a stale warehouse cause one
rebuild; on an up-to-date warehouse the connection that checked it is the one given, so
that a command opens it once. `read(fn)` also rebuilds a warehouse found damaged while it
is read, and reads it again (the retry policy, once). Results are typed: `BuildResult`,
and `Stale` (a `Cause` and its detail) for why a warehouse is rebuilt. `connect` opens a
warehouse as it is, and refuses a file that is not a dlbench warehouse.

Checking an up-to-date warehouse is cheap: it compares each source file's stat
(size, mtime and ctime in ns, inode), recorded when the file was read, and reads
a file again for its sha256 only when they differ (a `touch`, a `git checkout`:
no rebuild when the bytes are the same). The ingest (`dlbench.ingest`: tomli,
the readers, the builder) is imported only when something is rebuilt or hashed.

A warehouse is a build product: when DuckDB finds it damaged (it cannot open
it, or a block fails its checksum), the commands rebuild it from its sources
(`rebuild()`) instead of failing.
"""
from __future__ import annotations

import contextlib
import enum
import functools
import glob
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from . import DEFAULT_DB, sqlfiles
from .errors import Finding, NotAWarehouse, WarehouseDamaged, WarehouseMissing

if TYPE_CHECKING:  # the ingest is imported where a build needs it: a no-op refresh never does
    import duckdb

    from .ingest import build as builder

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


def check_files(paths: list[str]):
    """Read and check every file without writing anything: (results, findings)."""
    from .ingest import build as builder

    return builder.check_files(paths)


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



# -- why a warehouse is (re)built, and what a build did -------------------------------------
class Cause(enum.Enum):
    """Why a warehouse is stale: it is rebuilt before a command reads it."""

    MISSING = "there is no warehouse yet"
    UNREADABLE = "it cannot be read"
    DAMAGED = "it was damaged"
    OTHER_VERSION = "the warehouse was built by another version of dlbench or of its SQL"
    FILE_SET = "the set of input files changed"
    SOURCE_CHANGED = "changed"  # one of its sources (the detail names it)


@dataclass(frozen=True)
class Stale:
    """Why a warehouse no longer matches its sources, or cannot be read; str() says it in words."""

    cause: Cause
    detail: str = ""  # the source that changed, or DuckDB's first line about the damage

    def __str__(self) -> str:
        if self.cause is Cause.SOURCE_CHANGED:
            return f"{self.detail} changed"
        return f"{self.cause.value} ({self.detail})" if self.detail else self.cause.value

    @property
    def damaged(self) -> bool:
        return self.cause is Cause.DAMAGED


@dataclass
class BuildResult:
    """What a build of a warehouse did: the files it read, the rows it holds, its warnings."""

    db: str
    files: list[str]
    counts: dict[str, int]
    warnings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    stale: Stale | None = None  # why a refresh rebuilt it, or that it was damaged; None: `ingest` asked

    @property
    def reason(self) -> str:
        """Why it was rebuilt, in words ("" when an ingest asked for it)."""
        return str(self.stale) if self.stale else ""


@dataclass(frozen=True)
class Stored:
    """What a warehouse records of its build: warehouse_meta (key -> value), and its sources as
    (path, abs_path, sha256, size_bytes, mtime_ns, ctime_ns, inode); the stat is all None in a
    warehouse of another version, which has none."""

    meta: dict[str, str]
    sources: list[tuple]

    @property
    def explicit_paths(self) -> list[str] | None:
        """The paths an explicit `ingest PATHS` named; None for the default files."""
        return [source[0] for source in self.sources] if self.meta.get("spec") == "explicit" else None

    def stale(self) -> Stale | None:
        """Why the warehouse no longer matches its sources, or None when it is up to date.

        A source whose stat is the one recorded is unchanged; any other is read for its sha256
        (a file touched, copied back or checked out again is not a change when its bytes are
        the same)."""
        if self.meta.get("schema_version") != build_version():
            return Stale(Cause.OTHER_VERSION)
        if self.meta.get("spec") == "default":
            if {os.path.abspath(p) for p in default_paths()} != {source[1] for source in self.sources}:
                return Stale(Cause.FILE_SET)
        for path, abs_path, sha, *recorded in self.sources:
            if _same_file(abs_path, recorded):
                continue
            from .ingest.files import file_sha256

            if file_sha256(abs_path) != sha:
                return Stale(Cause.SOURCE_CHANGED, path)
        return None


def _read_stored(con) -> Stored:
    meta = dict(con.execute("SELECT key, value FROM warehouse_meta").fetchall())
    stat_columns = ("size_bytes, mtime_ns, ctime_ns, inode" if meta.get("schema_version") == build_version()
                    else "NULL, NULL, NULL, NULL")
    return Stored(meta, con.execute(f"SELECT path, abs_path, sha256, {stat_columns} FROM sources "
                                    "ORDER BY path").fetchall())


def _unreadable(e: BaseException) -> Stale:
    """Why a warehouse that failed to open or to read must be rebuilt."""
    if isinstance(e, WarehouseDamaged):
        return Stale(Cause.DAMAGED, e.detail)
    return Stale(Cause.DAMAGED if is_damage(e) else Cause.UNREADABLE, str(e).strip().splitlines()[0])


def _damage_in(e: BaseException) -> str | None:
    """What an error raised while reading says is damaged (WarehouseDamaged, or a DuckDB error
    about the file), or None when it is about something else."""
    if isinstance(e, WarehouseDamaged):
        return e.detail
    if type(e).__module__.split(".")[0] in ("duckdb", "_duckdb") and is_damage(e):
        return str(e).strip().splitlines()[0]
    return None


def _same_file(abs_path: str, recorded: list) -> bool:
    """Whether the file's size, mtime, ctime and inode are still those recorded when it was
    read (never when nothing was recorded: the file was unsure, or of another version)."""
    if recorded[1] is None:
        return False
    try:
        st = os.stat(abs_path)
    except OSError:
        return False
    return _stat_key(st) == tuple(recorded)


def _identity(db: str) -> tuple[int, ...] | None:
    """Which file is at `db` (a new build is a new file: another inode), or None."""
    try:
        st = os.stat(db)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


T = TypeVar("T")


# -- the warehouse ---------------------------------------------------------------------------
class Warehouse:
    """A warehouse file and how it is kept: opened, checked against its sources, rebuilt.

    `sources`: the files a `build()` reads (None: benchmark.toml and every data/*.toml). A
    refresh or a rebuild reads the files the warehouse records it was built from (an explicit
    `ingest PATHS`'s, or the default files), and `sources` when it cannot tell (it is missing).
    `refresh`: whether reading first rebuilds a missing, stale or damaged warehouse (False: it
    is read as it is, and damage is an error).
    `on_rebuilt(result)` hears of every rebuild that reading does; `progress(done, total, what)`
    follows a big build."""

    def __init__(self, db: str = DEFAULT_DB, sources: list[str] | None = None, *, refresh: bool = True,
                 progress: Callable[[int, int, str], None] | None = None,
                 on_rebuilt: Callable[[BuildResult], None] | None = None):
        self.db = db
        self.sources = None if sources is None else list(sources)
        self.keep_fresh = refresh
        self.progress = progress
        self.on_rebuilt = on_rebuilt
        self._found = _identity(db)

    @classmethod
    def built(cls, sources: list[str], db: str) -> Warehouse:
        """A new warehouse at `db` built from `sources` and never rebuilt afterwards: one state of
        the runs, such as each side of `compare FILE FILE` (the files are only read)."""
        state = cls(db, sources, refresh=False)
        state.build(full=True)
        return state

    @property
    def replaced(self) -> bool:
        """Whether the file at `db` is another one than when this object was made (a build put a new
        warehouse in its place): after an interruption, the new one is complete."""
        return _identity(self.db) != self._found

    # -- building
    def build(self, *, full: bool = False) -> BuildResult:
        """Check the sources and build the warehouse from them (what `ingest` does); only the
        changed machine sections of big files when that is possible, unless `full`.

        Raises InvalidInput (nothing written) when any file has errors, and NotAWarehouse
        (nothing written) when `db` holds something else."""
        result = self._build(self.sources, full=full)
        assert result is not None  # only a refresh finds nothing to do
        return result

    def refresh(self) -> BuildResult | None:
        """Rebuild the warehouse when it is missing, stale or unreadable; None when it was up to date."""
        opened = self._open()
        if opened.con is not None:
            opened.con.close()
            return None
        return self._build(self._rebuild_from(opened.stored), only_if_stale=True)

    def rebuild(self, damage: str) -> BuildResult:
        """Rebuild a damaged warehouse in full from the files it was built from (as its `sources`
        table tells them; when it cannot, this object's `sources`, else the default files)."""
        result = self._build(self._rebuild_from(self._stored()), full=True)
        assert result is not None
        result.stale = Stale(Cause.DAMAGED, damage)
        return result

    def stale(self) -> Stale | None:
        """Why the warehouse no longer matches its sources (or cannot be read), or None."""
        stored = self._stored()
        return stored if isinstance(stored, Stale) else stored.stale()

    def _build(self, paths: list[str] | None, *, full: bool = False, only_if_stale: bool = False) -> BuildResult | None:
        """Build under the lock (re-checking staleness there when `only_if_stale`: many readers of a
        stale warehouse cause one rebuild); None when it was up to date after all."""
        from .ingest import build as builder
        from .ingest import incremental, pipeline

        start = time.perf_counter()
        builder.check_target(self.db, deep=False)  # a device or a text file: refused before the lock file is made
        with builder.locked(self.db):
            stale = self.stale() if only_if_stale else None
            if only_if_stale and stale is None:
                return None
            file_list = default_paths() if paths is None else list(paths)
            spec = "default" if paths is None else "explicit"
            cat = catalog(file_stats(file_list))  # before anything reads them
            kind = builder.check_target(self.db)
            damage = "DuckDB cannot open it" if kind == "damaged" else None
            if kind == "warehouse" and not full:  # an incremental update copies it: it must read in full
                damage = builder.verify_readable(self.db)
            if damage and not (stale and stale.damaged):
                stale = Stale(Cause.DAMAGED, damage)
            # only the changed machine sections of big files when that is possible, else everything
            findings = None if full or damage else incremental.update(
                self.db, file_list, spec, functools.partial(builder.Builder, catalog=cat), cat.version)
            if findings is None:
                try:
                    findings = builder.build(self.db, cat, file_list, spec, self.progress, split=True)
                except pipeline.SplitUnsafe:
                    findings = builder.build(self.db, cat, file_list, spec, self.progress, split=False)
        return BuildResult(self.db, file_list, counts(self.db), [f for f in findings if f.severity == "warning"],
                           time.perf_counter() - start, stale)

    # -- reading
    def connect(self, config: dict | None = None) -> duckdb.DuckDBPyConnection:
        """A read-only connection to the warehouse as it is (see the module's `connect`)."""
        return connect(self.db, config)

    @contextlib.contextmanager
    def reading(self, config: dict | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (with DuckDB's `config`) to the warehouse, rebuilt first when it
        is missing, stale or damaged (unless refresh=False); closed at the end.

        An up-to-date warehouse is opened once: the connection that checked it is the one given.
        Raises what `connect` raises (NotAWarehouse is never rebuilt over)."""
        opened = self._open(config) if self.keep_fresh else None
        if opened is not None and opened.con is None:
            self._rebuilt(self._build(self._rebuild_from(opened.stored), only_if_stale=True))
        con = opened.con if opened is not None and opened.con is not None else self.connect(config)
        with contextlib.closing(con):
            yield con

    def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T], config: dict | None = None) -> T:
        """fn(con) on a connection from `reading()`. A warehouse DuckDB finds damaged while it is
        read is rebuilt from its sources and read again, once; with refresh=False the damage is
        WarehouseDamaged (exit 1, nothing changed)."""
        try:
            with self.reading(config) as con:
                return fn(con)
        except Exception as e:
            damage = _damage_in(e)
            if damage is None:
                raise
            if not self.keep_fresh:
                raise WarehouseDamaged(self.db, damage) from None
            self._rebuilt(self.rebuild(damage))
        with contextlib.closing(self.connect(config)) as con:
            return fn(con)

    def _rebuild_from(self, stored: Stored | Stale) -> list[str] | None:
        """The files a rebuild reads: those the warehouse records; when it cannot tell (it is
        missing or unreadable), this object's `sources` (None: the default files)."""
        return stored.explicit_paths if isinstance(stored, Stored) else self.sources

    def _rebuilt(self, result: BuildResult | None) -> None:
        if result is not None and self.on_rebuilt is not None:
            self.on_rebuilt(result)

    def _stored(self) -> Stored | Stale:
        """What the warehouse records of its build, read on one connection; or why it cannot be read."""
        opened = self._open(check=False)
        if opened.con is not None:
            opened.con.close()
        return opened.stored

    def _open(self, config: dict | None = None, *, check: bool = True) -> _Opened:
        """A read-only connection and what the warehouse records. No connection when the warehouse
        cannot be read (`stored` is then why, a Stale) or, with `check`, when it is stale."""
        if not os.path.exists(self.db):
            return _Opened(None, Stale(Cause.MISSING))
        try:
            con = self.connect(config)
        except NotAWarehouse:
            raise  # never rebuilt over: the build would refuse it too
        except Exception as e:  # damaged, or an unreadable file: rebuild it
            return _Opened(None, _unreadable(e))
        try:
            stored = _read_stored(con)
            if check and stored.stale() is not None:
                con.close()
                return _Opened(None, stored)
        except BaseException as e:
            con.close()
            if isinstance(e, Exception):
                return _Opened(None, _unreadable(e))
            raise
        return _Opened(con, stored)


@dataclass(frozen=True)
class _Opened:
    """What `Warehouse._open` found: a connection to a readable (and, when checked, fresh)
    warehouse, or none; and what the warehouse records, or why it cannot be read."""

    con: duckdb.DuckDBPyConnection | None
    stored: Stored | Stale


# -- the library's functions, each one call of a Warehouse ------------------------------------
def build_warehouse(paths: list[str] | None, db: str = DEFAULT_DB, *, progress=None, full: bool = False) -> BuildResult:
    """Check `paths` (None: the default files) and build `db` from them (`Warehouse.build`).

    Raises InvalidInput (nothing written) when any file has errors, and
    NotAWarehouse (nothing written) when `db` holds something else.
    full=True always reads every file (no incremental update)."""
    return Warehouse(db, paths, progress=progress).build(full=full)


def refresh(db: str = DEFAULT_DB, progress=None) -> BuildResult | None:
    """Rebuild `db` when it is missing or stale; None when it was up to date (`Warehouse.refresh`)."""
    return Warehouse(db, progress=progress).refresh()


def stale_reason(db: str) -> str | None:
    """Why `db` no longer matches its sources, in words, or None when it is up to date."""
    stale = Warehouse(db).stale()
    return None if stale is None else str(stale)


def counts(db: str) -> dict[str, int]:
    with contextlib.closing(connect(db)) as con:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in ("sources", "machines", "models", "runs", "measurements", "ingest_warnings")}
