"""The SQL that lives in sql/: the schema, the named views and the macros.

A view file `sql/views/<name>.sql` holds one SELECT (no CREATE), so that it can
be created in DuckDB and transpiled to other engines alike. Its leading
comment says what one row is; the first comment line is its one-line
description. A macro file `sql/macros/<name>.sql` holds a DuckDB CREATE MACRO.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .errors import DlbenchError

FOLDERS = ("schema", "views", "macros", "report", "seeds")


class SqlMissing(DlbenchError):
    "dlbench's own SQL files are not installed (a broken install)"


def sql_root():
    """The folder of .sql files: `sql/` of the checkout, installed as the package data
    `dlbench.sql`. Read through importlib.resources, so a wheel or zip works too."""
    return resources.files("dlbench.sql")


def sql_files(folder: str) -> list:
    """The .sql files of one folder of sql/, sorted by name; never none."""
    try:
        found = sorted((p for p in sql_root().joinpath(folder).iterdir() if p.name.endswith(".sql")),
                       key=lambda p: p.name)
    except (FileNotFoundError, NotADirectoryError, ModuleNotFoundError):
        found = []
    if not found:
        raise SqlMissing(f"dlbench's SQL files ({folder}/*.sql) are missing from the installed package; "
                         "reinstall dlbench (pip install --force-reinstall dlbench)")
    return found


@lru_cache(maxsize=None)
def read_sql(folder: str, name: str) -> str:
    """One .sql file by folder and name (without .sql)."""
    path = sql_root().joinpath(folder, f"{name}.sql")
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError) as e:
        raise SqlMissing(f"dlbench's SQL file {folder}/{name}.sql is missing from the installed package; "
                         "reinstall dlbench") from e


@dataclass(frozen=True)
class SqlObject:
    name: str
    kind: str  # "view" or "macro"
    path: str  # e.g. views/results.sql
    sql: str

    @property
    def comment(self) -> list[str]:
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line[2:].strip())
        return lines

    @property
    def description(self) -> str:
        return self.comment[0] if self.comment else ""

    @property
    def body(self) -> str:
        """The SQL without its leading comment and trailing semicolon."""
        return self.sql.strip().rstrip(";").strip()


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """sha256 of every .sql file that goes into a warehouse: a warehouse built from other
    SQL (an older checkout, an edited view) is stale and gets rebuilt."""
    import hashlib

    digest = hashlib.sha256()
    for folder in ("schema", "views", "macros", "seeds"):
        for p in sql_files(folder):
            digest.update(f"{folder}/{p.name}\0".encode() + p.read_bytes() + b"\0")
    return digest.hexdigest()


def schema_sql() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sql_files("schema"))


def _load(kind: str) -> list[SqlObject]:
    folder = kind + "s"
    return [SqlObject(p.name[:-4], kind, f"{folder}/{p.name}", p.read_text(encoding="utf-8"))
            for p in sql_files(folder)] + (seeds() if kind == "view" else [])


def seeds() -> list[SqlObject]:
    """The seed tables of sql/seeds: small vocabularies as data (one SELECT over VALUES each, such
    as quality_checks: a data-quality check's code, severity and words), made, exported and
    documented as views like the others, so that views join them and renderers read their words."""
    return [SqlObject(p.name[:-4], "view", f"seeds/{p.name}", p.read_text(encoding="utf-8"))
            for p in sql_files("seeds")]


@lru_cache(maxsize=1)
def tables() -> list[str]:
    """The warehouse tables, in schema order: the CREATE TABLE statements of sql/schema."""
    import sqlglot
    from sqlglot import exp

    names = []
    for statement in sqlglot.parse(schema_sql(), read="duckdb"):
        if isinstance(statement, exp.Create) and statement.kind == "TABLE":
            names.append(statement.this.find(exp.Table).name)
    return names


def references(sql: str) -> set[str]:
    """The relations a SELECT reads (its table references less its own CTEs), from sqlglot's
    parse tree: what dbt's ref() makes explicit."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}


@lru_cache(maxsize=1)
def views() -> list[SqlObject]:
    """Every view, in dependency order (a view after the views it reads)."""
    objs = {o.name: o for o in _load("view")}
    return _ordered(objs, {name: references(o.body) & (set(objs) - {name}) for name, o in objs.items()})


@lru_cache(maxsize=1)
def creation_order() -> list[SqlObject]:
    """Every view in an order DuckDB can create them, found without parsing (sqlglot's import
    and parse are most of an ingest's fixed cost): a view after every view whose name is a word
    of its SQL, comments aside. Those words include every view it reads, so the order is valid;
    when they make a cycle (a column named like a view, say), views() decides."""
    objs = {o.name: o for o in _load("view")}
    words = {name: set(re.findall(r"\w+", re.sub(r"--[^\n]*", "", o.body))) for name, o in objs.items()}
    try:
        return _ordered(objs, {name: words[name] & (set(objs) - {name}) for name in objs})
    except ValueError:
        return views()


def _ordered(objs: dict[str, SqlObject], deps: dict[str, set[str]]) -> list[SqlObject]:
    """The objects, each after those it depends on, else by name; ValueError on a cycle."""
    ordered, done = [], set()

    def visit(name, trail=()):
        if name in done:
            return
        if name in trail:
            raise ValueError(f"views depend on each other in a cycle: {' -> '.join(trail + (name,))}")
        for dep in sorted(deps[name]):
            visit(dep, trail + (name,))
        done.add(name)
        ordered.append(objs[name])

    for name in sorted(objs):
        visit(name)
    return ordered


@lru_cache(maxsize=1)
def macros() -> list[SqlObject]:
    return _load("macro")


@lru_cache(maxsize=1)
def macro_names() -> set[str]:
    """The names of the macros the macro files create (a file may create several)."""
    return {name for m in macros() for name in re.findall(r"(?im)^\s*CREATE\s+(?:OR\s+REPLACE\s+)?MACRO\s+(\w+)",
                                                          m.sql)}


def fetch_dicts(con, sql: str, params: dict | None = None) -> list[dict]:
    """Run `sql` with its named parameters ($name): the entries of `params` that it uses (a query
    file takes what it needs from one dict of everything the caller knows); each row as a dict."""
    used = set(re.findall(r"\$(\w+)", sql))
    cur = con.execute(sql, {k: v for k, v in (params or {}).items() if k in used})
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, r)) for r in cur.fetchall()]


def query(con, folder: str, name: str, params: dict | None = None) -> list[dict]:
    """The rows of the query file sql/<folder>/<name>.sql (report, site), as dicts."""
    return fetch_dicts(con, read_sql(folder, name), params)
