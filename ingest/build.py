"""Build a warehouse file from TOML inputs, atomically: the table builder and its lock.

A build writes the whole warehouse into a temporary file beside the target and
renames it into place, so a crash, a kill or a bad file never leaves a
half-built or emptied warehouse, and a reader that has the old file open keeps
reading the old version. A lock file (`<db>.lock`) makes concurrent builds take
turns. The old file's write-ahead log (`<db>.wal`, left by a client that wrote
to the warehouse and died before a checkpoint) is removed as the new file goes
in: DuckDB would replay it into the new file and refuse to open it.

Only a dlbench warehouse is ever replaced: a path that holds anything else (a
TOML file, another DuckDB database, a device, a FIFO) is refused with
NotAWarehouse and left as it is. A warehouse is recognised by its
`warehouse_meta` table; one DuckDB cannot open (damaged, or with a log that
does not match it) still counts when its bytes name that table.

This module knows the tables, not the views: what goes into a warehouse besides
the rows (the schema's SQL, the views and macros, the version to record) comes
in as a `Catalog` from the caller, so that `ingest` imports nothing above it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import glob
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from . import pipeline
from .document import (
    TOTAL_TOLERANCE_MS,
    FileResult,
    check_across,
    run_id_of,
    source_id_for,
)
from .errors import Finding, InvalidInput, NotAWarehouse, WarehouseBusy, WarehouseWriteError
from .files import database_kind, regular_size

if TYPE_CHECKING:
    import duckdb

LOCK_TIMEOUT_S = float(os.environ.get("DLBENCH_LOCK_TIMEOUT", "600"))
FLUSH_ROWS = 10_000  # rows held back per table before an INSERT (a few MB of columns)
SMALL_INSERT_ROWS = 5000  # fewer rows than this are inserted without pyarrow
# rows of the fast path's Arrow tables held back per table before an INSERT: DuckDB spends less on a
# few big inserts than on one per batch (0.30 s against 0.41 s of CPU for the 100k-run file)
ARROW_FLUSH_ROWS = 250_000
WAREHOUSE_MARK = b"warehouse_meta"  # the table that makes a DuckDB file a dlbench warehouse


@dataclass(frozen=True)
class Catalog:
    """What a new warehouse holds besides its rows."""

    schema_sql: str  # CREATE TABLE statements (sql/schema)
    version: str  # recorded as warehouse_meta.schema_version
    # create_views(con, fresh, copied): (re)create every view and macro; fresh: there are none;
    # copied: a copy of a warehouse of this version, whose views are this SQL's
    create_views: Callable
    connect_config: dict = field(default_factory=dict)  # settings for a new database file
    finish: Callable | None = None  # finish(con): the last step before the checkpoint, every row in place


def stage(name: str) -> None:
    """A named point of an ingest. For crash tests only: DLBENCH_PAUSE_AT=<name>
    makes the process announce the stage on stderr and wait there to be killed,
    or to be resumed with SIGUSR1 (blocked first, so an early signal is not lost)."""
    if os.environ.get("DLBENCH_PAUSE_AT") == name:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        print(f"dlbench: paused at {name}", file=sys.stderr, flush=True)
        signal.sigtimedwait({signal.SIGUSR1}, 3600)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})


# -- locking -----------------------------------------------------------------
@contextlib.contextmanager
def locked(db: str, timeout: float | None = None):
    """Hold the warehouse's lock file; wait for another holder, up to `timeout`."""
    timeout = LOCK_TIMEOUT_S if timeout is None else timeout
    path = os.path.abspath(db) + ".lock"
    try:
        fh = open(path, "a+")
    except OSError as e:
        raise WarehouseWriteError(f"cannot write the warehouse {db}: cannot create its lock file {path}: "
                                  f"{e.strerror}; the previous warehouse is unchanged") from None
    with fh:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    fh.seek(0)
                    holder = fh.read().strip() or "another process"
                    print(f"dlbench: waiting for {holder} to finish with {db} ...", file=sys.stderr, flush=True)
                    told = True
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"{db} is locked by {holder} for more than {timeout:g} s; "
                        f"try again later or raise DLBENCH_LOCK_TIMEOUT") from None
                time.sleep(0.05)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


# -- what may be replaced ------------------------------------------------------
def _holds_mark(path: str) -> bool:
    """Whether the file's bytes name the warehouse_meta table (read in chunks)."""
    tail = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            if WAREHOUSE_MARK in tail + chunk:
                return True
            tail = chunk[-len(WAREHOUSE_MARK):]
    return False


def identify(db: str, deep: bool = True) -> str:
    """What is at `db`: "missing", "warehouse", "damaged" (a dlbench warehouse DuckDB
    cannot open) or "foreign" (anything else: never to be replaced).

    Raises NotAWarehouse for a path that is not a regular file. With deep=False only
    the file's kind and DuckDB header are looked at (no database is opened)."""
    kind = database_kind(db)
    if kind != "duckdb":
        return kind
    if not deep:
        return "warehouse"
    import duckdb

    try:
        with contextlib.closing(duckdb.connect(db, read_only=True)) as con:
            row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                              "AND schema_name = 'main' AND table_name = 'warehouse_meta'").fetchone()
        assert row is not None  # count(*) always gives one row
        found = row[0]
        return "warehouse" if found else "foreign"
    except duckdb.Error as e:
        if "could not set lock" in str(e).lower():  # another program has it open for writing
            raise WarehouseBusy(f"{db} is open for writing by another program ({str(e).splitlines()[0]}); "
                                "nothing was changed") from None
        return "damaged" if _holds_mark(db) else "foreign"


def check_target(db: str, deep: bool = True) -> str:
    """identify(db), raising NotAWarehouse unless a build may write `db`."""
    kind = identify(db, deep)
    if kind == "foreign":
        raise NotAWarehouse(f"{db} is not a dlbench warehouse; nothing was changed "
                            "(a warehouse is rebuilt in place only when it has the table warehouse_meta; "
                            "give --db a new path or remove the file)")
    return kind


def verify_readable(db: str) -> str | None:
    """Read every column of every table of `db`, so that DuckDB checks every block's
    checksum: None when all of it reads, else DuckDB's first line about it."""
    import duckdb

    try:
        with contextlib.closing(duckdb.connect(db, read_only=True)) as con:
            tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() "
                                                "WHERE database_name = current_database()").fetchall()]
            for t in tables:
                con.execute(f'SELECT count(*), sum(hash(COLUMNS(*))) FROM "{t}"').fetchall()
    except duckdb.Error as e:
        return str(e).strip().splitlines()[0]
    return None


@contextlib.contextmanager
def _signals_held():
    """Hold SIGINT and SIGTERM back for a step that must not be cut in two."""
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


# -- reading inputs ------------------------------------------------------------
def check_files(paths: list[str], sink=None, split: bool = True, on_progress=None, fast: bool | None = None,
                started: pipeline.Reading | None = None) -> tuple[list[FileResult], list[Finding]]:
    """Read and check every file; findings of all files, errors and warnings.

    With a sink, each file's rows are streamed into sink(table, columns) as they
    are read (see pipeline.read), and pipeline.SplitUnsafe is raised when a file read in
    sections has to be read again in one piece; without one, rows are checked and dropped
    (and such a file is read again here).
    on_progress(fraction) follows the bytes read over all files."""
    sizes = [regular_size(p) for p in paths]
    total = max(sum(sizes), 1)
    results: list[FileResult] = []
    first: dict[str, str] = {}
    findings: list[Finding] = []
    twice = set()
    for p in paths:
        real = os.path.realpath(p)
        if real in first and os.path.isfile(real):
            r = FileResult(path=p, abs_path=os.path.abspath(p))
            twice.add(id(r))
            r.findings.append(Finding("error", p, 0, 0, "", f"is the same file as {first[real]}, given twice",
                                      "each file once"))
        else:
            before = sum(sizes[:len(results)])
            ahead = started if started is not None and started.path == p else None
            started = None if ahead is not None else started
            try:
                r = pipeline.read(p, sink, split=split, fast=fast, started=ahead, on_progress=on_progress and (
                    lambda done, _size, before=before: on_progress((before + done) / total)))
            except pipeline.SplitUnsafe:
                if sink is not None:
                    raise  # rows went into the sink: the caller discards them and builds again unsplit
                r = pipeline.read(p, None, split=False)  # only checking: read this file in one piece
        first.setdefault(real, p)
        results.append(r)
        findings += r.findings
    if _repeated_fast_runs(results):
        # the fast path keeps ids, not natural keys: the reference reader reads those files
        # again, so that the errors name both places of each run given twice
        for i, r in enumerate(results):
            if r.fast_run_ids:
                results[i] = pipeline.read(r.path, None, split=split, fast=False)
        findings = [f for r in results for f in r.findings]
    findings += check_across([r for r in results if not r.errors and id(r) not in twice])
    return results, findings


def _repeated_fast_runs(results: list[FileResult]) -> bool:
    """Whether a run id read by the fast path is given twice (in any file)."""
    if not any(r.fast_run_ids for r in results):
        return False
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = [a for r in results for a in r.fast_run_ids]
    ids.append(pa.array([run_id_of(natural) for r in results for natural, *_ in r.run_keys], pa.int64()))
    every = pa.chunked_array(ids, pa.int64())
    return pc.count_distinct(every).as_py() != len(every)


# -- building ----------------------------------------------------------------
class Builder:
    """A new warehouse in a temp file beside the target; rows are streamed in."""

    ID_COLUMNS = {"machines": "machine_id", "devices": "device_id", "frameworks": "framework_id"}

    def __init__(self, db: str, catalog: Catalog, copy_from: str | None = None):
        import shutil

        import duckdb

        self.db = db
        self.catalog = catalog
        self.damaged = check_target(db) == "damaged"  # never replace a file that is not a warehouse
        self.target = os.path.abspath(db)
        self.folder = os.path.dirname(self.target)
        base = os.path.basename(self.target)
        # we hold the lock, so any temp file beside the target is left by a killed ingest
        for stale in glob.glob(os.path.join(glob.escape(self.folder), f".{glob.escape(base)}.tmp-*")):
            _remove(stale)
        self.tmp = os.path.join(self.folder, f".{base}.tmp-{os.getpid()}")
        self.seen: dict[str, set[int]] = {t: set() for t in self.ID_COLUMNS}
        self.failed = False
        self.constraint_error: duckdb.ConstraintException | None = None
        self.types: dict[str, dict[str, str]] = {}  # column types of each table, for small inserts
        self.pending: dict[str, dict[str, list]] = {}  # rows sink() holds back, by table
        self.arrow_pending: dict[str, list] = {}  # Arrow tables sink() holds back, by table
        self.flush_rows = 1 if copy_from else FLUSH_ROWS  # an incremental update queries as it goes
        self.con: duckdb.DuckDBPyConnection | None = None
        self.views_made = False  # a new warehouse gets its views first; a copy's are made again at the end
        try:
            if copy_from:  # an incremental update starts from a copy of the current warehouse
                shutil.copyfile(copy_from, self.tmp)
                self.con = duckdb.connect(self.tmp)
            else:
                # one DuckDB thread: the cores are busy parsing in the worker processes
                self.con = duckdb.connect(self.tmp, config={"threads": 1, **catalog.connect_config})
                self.con.execute(catalog.schema_sql)
                # the views now, while the worker processes parse: they read only the catalog
                catalog.create_views(self.con, fresh=True)
                self.views_made = True
            stage("schema")
        except BaseException as e:
            self.discard()
            raise _write_error(db, e) from None

    def sink(self, table: str, data: dict[str, list]) -> None:
        """Insert one batch of columns into `table` (rows already stored are skipped:
        a machine, its devices and a framework may come from several files)."""
        if self.failed:
            return
        if not isinstance(data, dict):  # an Arrow table from the fast path: held back, then one INSERT
            held = self.arrow_pending.setdefault(table, [])
            held.append(data)
            if sum(t.num_rows for t in held) >= ARROW_FLUSH_ROWS:
                self.flush(table)
            return
        id_column = self.ID_COLUMNS.get(table)
        if id_column:
            seen = self.seen[table]
            keep = []
            for i, v in enumerate(data[id_column]):
                if v not in seen:
                    seen.add(v)
                    keep.append(i)
            if len(keep) < len(data[id_column]):
                data = {c: [vals[i] for i in keep] for c, vals in data.items()}
            if not keep:
                return
        pending = self.pending.get(table)
        if pending is None:
            pending = self.pending[table] = {c: [] for c in data}
        for c, values in data.items():
            pending[c] += values
        if len(pending[next(iter(pending))]) >= self.flush_rows:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        """Insert what sink() holds back (every table's, by default). Rows are held
        until there are many: each INSERT has a fixed cost of a few milliseconds, which
        per small batch of a small table added up to a second at 100k runs."""
        import duckdb

        held: list[tuple[str, dict | list | None]] = [
            (name, self.arrow_pending.pop(name, None)) for name in ([table] if table else list(self.arrow_pending))]
        held += [(name, self.pending.pop(name, None)) for name in ([table] if table else list(self.pending))]
        for name, data in held:
            if not data or self.failed:
                continue
            try:
                self._insert(name, data)
            except duckdb.ConstraintException as e:
                # a constraint the checks did not catch: finish() says so
                self.failed = True
                self.constraint_error = e
            except BaseException as e:
                self.failed = True
                self.discard()
                raise _write_error(self.db, e) from None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """The open connection: __init__ either opens it or raises, so it is never None here."""
        assert self.con is not None
        return self.con

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The new warehouse's connection, for the statements of an incremental update."""
        return self._connection()

    # -- the row buffer's memory of shared rows: a machine, its devices and a framework may
    # come from several files (or already be in the copy an incremental update starts from)
    def load_stored_ids(self, *tables: str) -> None:
        """Remember the ids already in `tables` (default: every table with shared rows), so that
        sink() skips rows that are stored."""
        for table in tables or tuple(self.ID_COLUMNS):
            column = self.ID_COLUMNS[table]
            self.seen[table] = {i for (i,) in self._connection().execute(
                f'SELECT "{column}" FROM "{table}"').fetchall()}

    def is_stored(self, table: str, row_id: int) -> bool:
        """Whether a row of `table` with this id is stored or held back already."""
        return row_id in self.seen[table]

    def forget(self, table: str, row_id: int) -> None:
        """The row was deleted: a sink() of it inserts it again."""
        self.seen[table].discard(row_id)

    def id_column(self, table: str) -> str:
        """The id column of a table with shared rows (machines, devices, frameworks)."""
        return self.ID_COLUMNS[table]

    def _insert(self, table: str, data: dict[str, list] | list) -> None:
        """Big batches go in as an Arrow table (the fast path's come as a list of them); small
        ones as list parameters, which spares a small ingest (the seed, an incremental update)
        importing pyarrow."""
        con = self._connection()
        if isinstance(data, list) or len(next(iter(data.values()))) >= SMALL_INSERT_ROWS:
            import pyarrow as pa

            arrow = pa.table(data) if isinstance(data, dict) else data[0] if len(data) == 1 else pa.concat_tables(data)
            con.register("_incoming", arrow)
            con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _incoming')
            con.unregister("_incoming")
            return
        if table not in self.types:
            self.types[table] = {c: ("VARCHAR" if t == "JSON" else t) for c, t, *_ in
                                 con.execute(f'DESCRIBE "{table}"').fetchall()}
        types = self.types[table]
        columns = list(data)
        con.execute(f'INSERT INTO "{table}" BY NAME SELECT '
                         + ", ".join(f'unnest(?::{types[c]}[]) AS "{c}"' for c in columns),
                         [data[c] for c in columns])

    def finish(self, results: list[FileResult], findings: list[Finding], spec: str) -> None:
        self.flush()
        if self.failed:  # a constraint broken that no check caught: a bug, say so plainly
            raise WarehouseWriteError(f"cannot build {self.db}: {self.constraint_error}; "
                                      "the previous warehouse is unchanged")
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        warnings_by_file: dict[str, int] = {}
        for f in findings:
            warnings_by_file[f.file] = warnings_by_file.get(f.file, 0) + 1
        sources = [dict(
            source_id=source_id_for(r.path), path=r.path, abs_path=r.abs_path, sha256=r.sha256,
            size_bytes=r.size_bytes, ingested_at=now, machines=r.counts.get("source_machines", 0),
            models=r.counts.get("models", 0), runs=r.counts.get("runs", 0),
            measurements=r.counts.get("measurements", 0), warnings=warnings_by_file.get(r.path, 0),
            extra=json.dumps(r.root_extra, sort_keys=True, default=str) if r.root_extra else None)
            for r in results]
        by_path = {r.path: source_id_for(r.path) for r in results}  # as in `sources`
        self.sink_warnings(findings, by_path)
        sections = [dict(source_id=source_id_for(r.path), **s) for r in results for s in r.sections]
        meta = [dict(key="spec", value=spec), dict(key="schema_version", value=self.catalog.version),
                dict(key="total_tolerance_ms", value=repr(TOTAL_TOLERANCE_MS)),
                dict(key="built_at", value=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))]
        for table, rows in (("sources", sources), ("source_sections", sections), ("warehouse_meta", meta)):
            if rows:
                self.sink(table, {c: [r[c] for r in rows] for c in rows[0]})
        self.finish_copy()

    def sink_warnings(self, findings: list[Finding], source_ids: dict[str, int]) -> None:
        """The rows of ingest_warnings: one per finding, its file's source_id from `source_ids`."""
        if findings:
            self.sink("ingest_warnings", dict(
                source_id=[source_ids.get(f.file) for f in findings], machine_key=[f.machine_key for f in findings],
                file=[f.file for f in findings], line=[f.line for f in findings],
                column=[f.column for f in findings], key_path=[f.path for f in findings],
                message=[f.message for f in findings], expected=[f.expected for f in findings]))

    def finish_copy(self) -> None:
        """(Re)create the views, then put the temp file in place of the target."""
        self.flush()
        if self.failed:
            raise WarehouseWriteError(f"cannot build {self.db}: {self.constraint_error}; "
                                      "the previous warehouse is unchanged")
        try:
            stage("loaded")
            con = self._connection()
            if not self.views_made:  # a copy (an incremental update) of a warehouse of this version
                self.catalog.create_views(con, fresh=False, copied=True)
            if self.catalog.finish is not None:
                self.catalog.finish(con)
            stage("views")
            con.execute("CHECKPOINT")
            con.close()
            with open(self.tmp, "rb") as fh:
                os.fsync(fh.fileno())
            stage("before-rename")
            with _signals_held():
                # the old file's log goes first: a crash between the two steps leaves the old file
                # whole without it; a log left beside the new file would be replayed into it
                _remove(self.target + ".wal")
                os.replace(self.tmp, self.target)
            _fsync_dir(self.folder)
        except BaseException as e:
            self.discard()
            raise _write_error(self.db, e) from None
        stage("renamed")

    def discard(self) -> None:
        if self.con is not None:
            with contextlib.suppress(Exception):
                self.con.close()
        _remove(self.tmp)
        _remove(self.tmp + ".wal")


def _write_error(db: str, e: BaseException) -> BaseException:
    """The exception to raise for a failure while writing: named when we know it."""
    import duckdb

    if isinstance(e, OSError):
        return WarehouseWriteError(
            f"cannot write the warehouse {db}: {e.strerror or e}; the previous warehouse is unchanged")
    if isinstance(e, duckdb.InterruptException):  # Ctrl-C while DuckDB was working: an interruption
        return KeyboardInterrupt()
    if isinstance(e, duckdb.Error):  # a full disk is a FatalException, not an IOException
        return WarehouseWriteError(f"cannot write the warehouse {db}: {str(e).splitlines()[0]}; "
                                   "the previous warehouse is unchanged")
    return e


def build(db: str, catalog: Catalog, file_list: list[str], spec: str, progress=None,
          split: bool = True, fast: bool | None = None) -> list[Finding]:
    """Check every file and build `db` from them; the findings (warnings only).

    Raises InvalidInput (nothing written) when any file has errors, and
    pipeline.SplitUnsafe when a file cannot be read section by section."""
    import gc

    collecting = gc.isenabled()
    gc.disable()  # rows are many small objects without cycles: collecting them is a tenth of an ingest
    started = None
    try:
        # the first big file is loaded, split and handed to the worker processes first: they
        # fork before this process imports duckdb, and parse while it creates the warehouse
        first = next((p for p in file_list if regular_size(p) >= pipeline.PARALLEL_MIN_BYTES), None)
        if first is not None and file_list.count(first) == 1:
            started = pipeline.start(first, split=split, fast=fast)
        builder = Builder(db, catalog)
        try:
            if progress and sum(map(regular_size, file_list)) < pipeline.PARALLEL_MIN_BYTES:
                progress = None  # a bar only for big inputs: small ones take a moment
            on_progress = progress and (lambda fraction: progress(int(fraction * 999), 1000, "reading and loading"))
            results, findings = check_files(file_list, builder.sink, split, on_progress, fast, started)
            stage("checked")
            if any(f.severity == "error" for f in findings):
                raise InvalidInput(findings)
            builder.finish(results, findings, spec)
            if progress:
                progress(1, 1, "done")
        except BaseException:
            builder.discard()
            raise
    finally:
        if started is not None:
            started.close()
        if collecting:
            gc.enable()
    return findings


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _fsync_dir(folder: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
