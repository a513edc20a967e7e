"""Ad-hoc SQL on a read-only connection; statements that could write are refused.

A query runs in a thread of its own while the main thread waits for it, so
that Ctrl-C (or SIGTERM) and the time limit stop it at once (DuckDB's
`interrupt()`), and under a memory limit, spilling only into a private
temporary folder that no query can read (see `limits`).
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
import time

from .errors import QueryError, QueryInterrupted, QueryTimeout, UsageError

DEFAULT_TIMEOUT_S = 300.0  # a query running longer is stopped (DLBENCH_QUERY_TIMEOUT, --timeout; 0: no limit)
DEFAULT_MEMORY_LIMIT = "2GB"  # DuckDB's memory limit for a query (DLBENCH_MEMORY_LIMIT, --memory-limit)
MAX_TEMP_SIZE = "10GB"  # what a query may spill to its private temporary folder
MAX_SQL_FILE_BYTES = 1 << 20  # query --file: 1 MiB of SQL at most

ALLOWED = {"SELECT", "EXPLAIN"}
# EXPLAIN [(options)] [ANALYZE] <statement>: EXPLAIN ANALYZE runs the statement, so it is checked too
_EXPLAIN = re.compile(r"^(?:\s+|--[^\n]*|/\*.*?\*/)*EXPLAIN\s*(?:\([^)]*\))?\s*(?:ANALY[SZ]E\b)?",
                      re.IGNORECASE | re.DOTALL)


def _kind(con, st) -> str:
    """The statement's type; an EXPLAIN of anything but a query is "EXPLAIN <its type>"."""
    import duckdb

    kind = st.type.name
    if kind != "EXPLAIN":
        return kind
    m = _EXPLAIN.match(st.query)
    try:
        inner = con.extract_statements(st.query[m.end():]) if m else []
    except duckdb.Error:
        inner = []
    inner_kind = _kind(con, inner[0]) if len(inner) == 1 else "unknown"
    return kind if inner_kind in ALLOWED else f"{kind} {inner_kind}"


def run(con, sql: str, params: list | None = None, timeout: float | None = None) -> tuple[list[str], list[tuple]]:
    """Run one or more read-only statements; the rows of the last one.

    Stopped after `timeout` seconds (None or 0: no limit) with QueryTimeout, and on
    Ctrl-C with QueryInterrupted."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as e:
        raise QueryError(_message(e)) from None
    if not statements:
        raise QueryError("no SQL statement given")
    for st in statements:
        kind = _kind(con, st)
        if kind not in ALLOWED:
            shown = " ".join(st.query.split())[:60]
            article = "an" if kind[0] in "AEIOU" else "a"
            raise QueryError(
                f"refused: `{shown}` is {article} {kind} statement; query only reads the warehouse "
                "(SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN). To change the data, edit the TOML "
                "and run `cli.py ingest`")
    # only the warehouse: no files, no network, no extension installs (a SELECT can read_csv a path
    # or a URL); this cannot be turned back on for this connection
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET enable_external_access = false")
    def work():
        for st in statements[:-1]:
            con.execute(st)
        rel = con.execute(statements[-1], params or None)
        columns = [d[0] for d in rel.description] if rel.description else []
        return columns, rel.fetchall()

    try:
        return _in_thread(con, work, timeout)
    except duckdb.Error as e:
        from .warehouse import is_damage

        if is_damage(e):
            raise
        raise QueryError(_message(e)) from None


def _message(e: Exception) -> str:
    return str(e).strip()


def read_sql_file(path: str) -> str:
    """The text of `query --file PATH`: a regular UTF-8 file of at most MAX_SQL_FILE_BYTES."""
    from .ingest.files import NotARegularFile, read_regular

    try:
        data = read_regular(path, MAX_SQL_FILE_BYTES)
    except NotARegularFile as e:
        raise UsageError(f"--file {path} {e}; expected a SQL text file of at most {MAX_SQL_FILE_BYTES:,} bytes") \
            from None
    except OSError as e:
        raise UsageError(f"--file {path} cannot be read: {e.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UsageError(f"--file {path} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                         "expected a SQL file encoded as UTF-8") from None


def timeout_default() -> float:
    value = os.environ.get("DLBENCH_QUERY_TIMEOUT", "")
    try:
        return float(value) if value else DEFAULT_TIMEOUT_S
    except ValueError:
        raise UsageError(f"DLBENCH_QUERY_TIMEOUT={value!r}; expected a number of seconds (0: no limit)") from None


def memory_limit_default() -> str:
    return os.environ.get("DLBENCH_MEMORY_LIMIT", "") or DEFAULT_MEMORY_LIMIT


@contextlib.contextmanager
def limits(memory_limit: str):
    """The DuckDB settings of a query connection: the memory limit, and a fresh private
    temporary folder (DuckDB's default, `<db>.tmp`, would be readable by the query)."""
    from .ingest.units import parse_size

    if parse_size(memory_limit) is None or not parse_size(memory_limit):
        raise UsageError(f"memory limit {memory_limit!r}; expected a size such as 2GB, 500MB or 4GiB")
    with tempfile.TemporaryDirectory(prefix="dlbench-query-") as folder:
        yield {"memory_limit": memory_limit.replace(" ", ""), "temp_directory": folder,
               "max_temp_directory_size": MAX_TEMP_SIZE}


def _in_thread(con, work, timeout: float | None):
    """work() in a thread; interrupt it on Ctrl-C/SIGTERM (a KeyboardInterrupt here) or after `timeout` s."""
    done = threading.Event()
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = work()
        except BaseException as e:  # handed to the main thread
            outcome["error"] = e
        finally:
            done.set()

    thread = threading.Thread(target=target, name="dlbench-query", daemon=True)
    deadline = time.monotonic() + timeout if timeout else None
    thread.start()
    try:
        while not done.wait(0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))):
            if deadline is not None and time.monotonic() >= deadline:
                con.interrupt()
                done.wait(10)
                raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped; "
                                   "give --timeout SECONDS (0: no limit) or DLBENCH_QUERY_TIMEOUT for more")
    except KeyboardInterrupt:
        con.interrupt()
        done.wait(10)
        raise QueryInterrupted("Interrupted; the query was stopped") from None
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
