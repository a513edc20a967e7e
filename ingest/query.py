"""Ad-hoc SQL on a read-only connection; statements that could write are refused."""
from __future__ import annotations

from .errors import QueryError

ALLOWED = {"SELECT", "EXPLAIN"}


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
        kind = st.type.name
        if kind not in ALLOWED:
            shown = " ".join(st.query.split())[:60]
            raise QueryError(
                f"refused: `{shown}` is a {kind} statement; query only reads the warehouse "
                "(SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN). To change the data, edit the TOML "
                "and run `cli.py ingest`")
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
