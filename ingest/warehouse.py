"""Build the warehouse file atomically, keep it fresh, and open it for reading.

An ingest builds the whole warehouse into a temporary file beside the target
and renames it into place, so a crash, a kill or a bad file never leaves a
half-built or emptied warehouse, and a reader that has the old file open keeps
reading the old version. A lock file (`<db>.lock`) makes concurrent ingests
take turns; a refresh re-checks staleness after it gets the lock, so many
readers of a stale warehouse cause one rebuild.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import glob
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field

from . import sqlfiles
from .document import FileResult, check_across, read_file, source_id_for
from .errors import Finding, InvalidInput, WarehouseBusy, WarehouseMissing, WarehouseWriteError

DEFAULT_DB = "warehouse.duckdb"
DEFAULT_SEED = "benchmark.toml"
DEFAULT_DATA_GLOB = os.path.join("data", "*.toml")
LOCK_TIMEOUT_S = float(os.environ.get("DLBENCH_LOCK_TIMEOUT", "600"))
SCHEMA_VERSION = "1"
TABLES = ("sources", "machines", "source_machines", "devices", "models", "frameworks",
          "runs", "run_libraries", "measurements", "ingest_warnings", "warehouse_meta")


def default_paths() -> list[str]:
    """benchmark.toml and every data/*.toml, relative to the working directory."""
    return [DEFAULT_SEED] + sorted(glob.glob(DEFAULT_DATA_GLOB))


def stage(name: str) -> None:
    """A named point of an ingest. For crash tests only: DLBENCH_PAUSE_AT=<name>
    makes the process announce the stage on stderr and wait there to be killed."""
    if os.environ.get("DLBENCH_PAUSE_AT") == name:
        print(f"dlbench: paused at {name}", file=sys.stderr, flush=True)
        time.sleep(3600)


@dataclass
class Summary:
    db: str
    files: list[str]
    counts: dict[str, int]
    warnings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    rebuilt: bool = True


# -- locking -----------------------------------------------------------------
@contextlib.contextmanager
def locked(db: str, timeout: float | None = None):
    """Hold the warehouse's lock file; wait for another holder, up to `timeout`."""
    timeout = LOCK_TIMEOUT_S if timeout is None else timeout
    path = os.path.abspath(db) + ".lock"
    try:
        fh = open(path, "a+")
    except OSError as e:
        raise WarehouseWriteError(f"cannot create the lock file {path}: {e.strerror}") from None
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


# -- reading inputs ------------------------------------------------------------
def check_files(paths: list[str]) -> tuple[list[FileResult], list[Finding]]:
    """Read and check every file; findings of all files, errors and warnings."""
    results = [read_file(p) for p in paths]
    findings = [f for r in results for f in r.findings]
    findings += check_across([r for r in results if not r.errors])
    return results, findings


def _sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


# -- building ----------------------------------------------------------------
def ingest(paths: list[str] | None, db: str = DEFAULT_DB, *, progress=None,
           only_if_stale: bool = False) -> Summary:
    """Check `paths` (None: the default files) and build `db` from them.

    Raises InvalidInput (nothing written) when any file has errors."""
    start = time.perf_counter()
    with locked(db):
        if only_if_stale and not stale_reason(db):
            return Summary(db, [], counts(db), rebuilt=False)
        file_list = default_paths() if paths is None else list(paths)
        results, findings = check_files(file_list)
        stage("checked")
        if any(f.severity == "error" for f in findings):
            raise InvalidInput(findings)
        _write(db, results, findings, spec="default" if paths is None else "explicit", progress=progress)
    summary = Summary(db, file_list, counts(db), [f for f in findings if f.severity == "warning"])
    summary.seconds = time.perf_counter() - start
    return summary


def _table_rows(results: list[FileResult], findings: list[Finding]) -> dict[str, list[dict]]:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    tables: dict[str, list[dict]] = {t: [] for t in TABLES}
    seen: dict[str, set[int]] = {"machines": set(), "frameworks": set(), "devices": set()}
    id_column = {"machines": "machine_id", "frameworks": "framework_id", "devices": "device_id"}
    warnings_by_file: dict[str, int] = {}
    for f in findings:
        warnings_by_file[f.file] = warnings_by_file.get(f.file, 0) + 1
    for r in results:
        rows = r.rows
        tables["sources"].append(dict(
            source_id=source_id_for(r.path),
            path=r.path, abs_path=r.abs_path, sha256=r.sha256, size_bytes=r.size_bytes, ingested_at=now,
            machines=len(rows["machines"]), models=len(rows["models"]), runs=len(rows["runs"]),
            measurements=len(rows["measurements"]), warnings=warnings_by_file.get(r.path, 0),
            extra=json.dumps(r.root_extra, sort_keys=True, default=str) if r.root_extra else None))
        # machines (with their devices) and frameworks can be in several files: keep the first
        for t, ids in seen.items():
            for row in rows[t]:
                if row[id_column[t]] not in ids:
                    ids.add(row[id_column[t]])
                    tables[t].append(row)
        for t in ("source_machines", "models", "runs", "run_libraries", "measurements"):
            tables[t].extend(rows[t])
    by_path = {s["path"]: s["source_id"] for s in tables["sources"]}
    for f in findings:
        tables["ingest_warnings"].append(dict(
            source_id=by_path.get(f.file), file=f.file, line=f.line, column=f.column,
            key_path=f.path, message=f.message, expected=f.expected))
    return tables


def _write(db: str, results, findings, spec: str, progress=None) -> None:
    import duckdb
    import pyarrow as pa

    tables = _table_rows(results, findings)
    tables["warehouse_meta"] = [
        dict(key="spec", value=spec),
        dict(key="schema_version", value=SCHEMA_VERSION),
        dict(key="built_at", value=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")),
    ]
    target = os.path.abspath(db)
    folder = os.path.dirname(target)
    tmp = os.path.join(folder, f".{os.path.basename(target)}.tmp-{os.getpid()}")
    # we hold the lock, so any temp file beside the target is left by a killed ingest
    for stale in glob.glob(os.path.join(glob.escape(folder), f".{glob.escape(os.path.basename(target))}.tmp-*")):
        _remove(stale)
    try:
        con = duckdb.connect(tmp)
        try:
            con.execute(sqlfiles.schema_sql())
            stage("schema")
            for i, name in enumerate(TABLES):
                rows = tables[name]
                if progress:
                    progress(i, len(TABLES), f"loading {name}")
                if not rows:
                    continue
                arrow = pa.Table.from_pylist(rows)
                con.register("_incoming", arrow)
                con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM _incoming')
                con.unregister("_incoming")
            stage("loaded")
            create_views(con)
            stage("views")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        stage("before-rename")
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException as e:
        _remove(tmp)
        _remove(tmp + ".wal")
        if isinstance(e, OSError):
            raise WarehouseWriteError(
                f"cannot write the warehouse {db}: {e.strerror or e}; the previous warehouse is unchanged") from None
        if type(e).__module__.startswith("duckdb") and "IO" in type(e).__name__:
            raise WarehouseWriteError(
                f"cannot write the warehouse {db}: {e}; the previous warehouse is unchanged") from None
        raise


def create_views(con) -> None:
    for macro in sqlfiles.macros():
        con.execute(macro.sql)
    for view in sqlfiles.views():
        con.execute(f'CREATE VIEW "{view.name}" AS\n{view.body}')


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


# -- reading the warehouse ---------------------------------------------------
def connect(db: str = DEFAULT_DB):
    """A read-only connection to an existing warehouse."""
    import duckdb

    if not os.path.exists(db):
        raise WarehouseMissing(f"no warehouse at {db}; run `python cli.py ingest` first")
    return duckdb.connect(db, read_only=True)


def counts(db: str) -> dict[str, int]:
    with contextlib.closing(connect(db)) as con:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in ("sources", "machines", "models", "runs", "measurements", "ingest_warnings")}


def stale_reason(db: str) -> str | None:
    """Why `db` no longer matches its sources, or None when it is up to date."""
    if not os.path.exists(db):
        return "there is no warehouse yet"
    try:
        with contextlib.closing(connect(db)) as con:
            spec = con.execute("SELECT value FROM warehouse_meta WHERE key = 'spec'").fetchone()
            sources = con.execute("SELECT path, abs_path, sha256 FROM sources").fetchall()
            version = con.execute("SELECT value FROM warehouse_meta WHERE key = 'schema_version'").fetchone()
    except Exception as e:  # an unreadable or foreign file: rebuild it
        return f"the warehouse cannot be read ({str(e).splitlines()[0]})"
    if not version or version[0] != SCHEMA_VERSION:
        return "the warehouse was built by another version of dlbench"
    if spec and spec[0] == "default":
        wanted = {os.path.abspath(p) for p in default_paths()}
        have = {a for _, a, _ in sources}
        if wanted != have:
            return "the set of input files changed"
    for path, abs_path, sha in sources:
        if _sha256(abs_path) != sha:
            return f"{path} changed"
    return None


def refresh(db: str = DEFAULT_DB, progress=None) -> Summary | None:
    """Rebuild `db` when it is missing or stale; None when it was up to date."""
    if not stale_reason(db):
        return None
    spec = _spec(db)
    summary = ingest(None if spec != "explicit" else _explicit_paths(db), db,
                     progress=progress, only_if_stale=True)
    return summary if summary.rebuilt else None


def _spec(db: str) -> str:
    try:
        with contextlib.closing(connect(db)) as con:
            row = con.execute("SELECT value FROM warehouse_meta WHERE key = 'spec'").fetchone()
            return row[0] if row else "default"
    except Exception:
        return "default"


def _explicit_paths(db: str) -> list[str]:
    with contextlib.closing(connect(db)) as con:
        return [p for (p,) in con.execute("SELECT path FROM sources ORDER BY path").fetchall()]
