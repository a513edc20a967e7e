"""Ad-hoc SQL on a read-only connection; statements that could write are refused."""
from __future__ import annotations

import re

from .errors import QueryError

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


def run(con, sql: str, params: list | None = None) -> tuple[list[str], list[tuple]]:
    """Run one or more read-only statements; the rows of the last one."""
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
    try:
        for st in statements[:-1]:
            con.execute(st)
        rel = con.execute(statements[-1], params or None)
        columns = [d[0] for d in rel.description] if rel.description else []
        return columns, rel.fetchall()
    except duckdb.Error as e:
        raise QueryError(_message(e)) from None


def _message(e: Exception) -> str:
    return str(e).strip()
