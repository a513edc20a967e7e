"""The SQL that lives in sql/: the schema, the named views and the macros.

A view file `sql/views/<name>.sql` holds one SELECT (no CREATE), so that it can
be created in DuckDB and transpiled to other engines alike. Its leading
comment says what one row is; the first comment line is its one-line
description. A macro file `sql/macros/<name>.sql` holds a DuckDB CREATE MACRO.

Any of them may include shared text with a line `-- include: <folder>/<file>`: a fragment
(`fragments/<name>.sql`, a few CTEs that several files share) as written, or a seed
(`seeds/<name>.csv`, a small vocabulary table kept as data) as a SELECT of its rows. The line is
replaced at load time, so DuckDB, the export's transpiler and the fingerprint all see the
expanded text; a file is written once and read everywhere it is needed.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .errors import DlbenchError

# what goes into a warehouse, and so into its fingerprint: the files that make its tables, views
# and macros, and what those include
BUILT_FROM = ("schema", "views", "macros", "fragments", "seeds")


class SqlMissing(DlbenchError):
    "dlbench's own SQL files are not installed (a broken install)"


def sql_root():
    """The folder of .sql files: `sql/` of the checkout, installed as the package data
    `dlbench.sql`. Read through importlib.resources, so a wheel or zip works too."""
    return resources.files("dlbench.sql")


def sql_files(folder: str, suffix: str = ".sql") -> list:
    """The files of one folder of sql/ whose name ends with `suffix`, sorted by name; never none."""
    try:
        found = sorted((p for p in sql_root().joinpath(folder).iterdir() if p.name.endswith(suffix)),
                       key=lambda p: p.name)
    except (FileNotFoundError, NotADirectoryError, ModuleNotFoundError):
        found = []
    if not found:
        raise SqlMissing(f"dlbench's SQL files ({folder}/*{suffix}) are missing from the installed package; "
                         "reinstall dlbench (pip install --force-reinstall dlbench)")
    return found


def _read(relative: str) -> str:
    """The text of sql/<relative> (as written, nothing expanded)."""
    try:
        return sql_root().joinpath(*relative.split("/")).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as e:
        raise SqlMissing(f"dlbench's SQL file {relative} is missing from the installed package; "
                         "reinstall dlbench") from e


@lru_cache(maxsize=None)
def read_sql(folder: str, name: str) -> str:
    """One .sql file by folder and name (without .sql), its includes expanded."""
    return expand(_read(f"{folder}/{name}.sql"))


# -- includes and seeds -------------------------------------------------------------
INCLUDE = re.compile(r"^[ \t]*-- include: ([\w./-]+)[ \t]*$", re.MULTILINE)


def includes(text: str) -> list[str]:
    """The files `text` includes directly (`-- include: fragments/x.sql` lines), in order."""
    return INCLUDE.findall(text)


def expand(text: str, _trail: tuple[str, ...] = ()) -> str:
    """`text` with each `-- include: <folder>/<file>` line replaced by that file of sql/: a .sql
    fragment as written (its own includes expanded, its trailing semicolon dropped), a .csv seed as
    `SELECT * FROM (VALUES ...) AS <name>(<columns>)`. A cycle of includes is a SqlMissing error
    (a broken install or checkout), as a missing file is."""
    def one(match: re.Match) -> str:
        relative = match.group(1)
        if relative in _trail or ".." in relative.split("/"):
            raise SqlMissing(f"dlbench's SQL include {relative} is circular or outside sql/: "
                             f"{' -> '.join(_trail + (relative,))}")
        if relative.endswith(".csv"):
            return seed(relative.rsplit("/", 1)[-1][:-4]).select_sql()
        return expand(_read(relative), _trail + (relative,)).rstrip().rstrip(";").rstrip()

    return INCLUDE.sub(one, text)


@dataclass(frozen=True)
class Seed:
    """A small table kept as data: sql/seeds/<name>.csv, a header line of column names, then rows.
    A cell is an integer when it is written as one, true or false as a boolean, empty as NULL,
    else text."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]

    def dicts(self) -> list[dict]:
        return [dict(zip(self.columns, r)) for r in self.rows]

    def select_sql(self) -> str:
        """The rows as one SELECT (what an include of the seed becomes)."""
        def literal(v) -> str:
            if v is None:
                return "NULL"
            if isinstance(v, bool):
                return "TRUE" if v else "FALSE"
            if isinstance(v, int):
                return str(v)
            return "'" + str(v).replace("'", "''") + "'"

        values = ",\n       ".join("(" + ", ".join(literal(v) for v in r) + ")" for r in self.rows)
        columns = ", ".join('"' + c.replace('"', '""') + '"' for c in self.columns)
        return f"SELECT * FROM (VALUES {values}) AS {self.name}({columns})"


def _cell(text: str):
    if text == "":
        return None
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    return text


@lru_cache(maxsize=None)
def seed(name: str) -> Seed:
    """The seed sql/seeds/<name>.csv."""
    rows = list(csv.reader(io.StringIO(_read(f"seeds/{name}.csv"))))
    header, body = rows[0], [r for r in rows[1:] if r]
    bad = [i for i, r in enumerate(body, 2) if len(r) != len(header)]
    if bad:
        raise SqlMissing(f"dlbench's seed seeds/{name}.csv has rows of the wrong length (lines {bad}); "
                         "reinstall dlbench")
    return Seed(name, tuple(header), tuple(tuple(_cell(c) for c in r) for r in body))


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
    for folder in BUILT_FROM:
        for p in sql_files(folder) + (sql_files(folder, ".csv") if folder == "seeds" else []):
            digest.update(f"{folder}/{p.name}\0".encode() + p.read_bytes() + b"\0")
    return digest.hexdigest()


def schema_sql() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sql_files("schema"))


def _load(kind: str) -> list[SqlObject]:
    folder = kind + "s"
    return [SqlObject(p.name[:-4], kind, f"{folder}/{p.name}", expand(p.read_text(encoding="utf-8")))
            for p in sql_files(folder)] + (seed_views() if kind == "view" else [])


def seed_views() -> list[SqlObject]:
    """The seed tables as views: each sql/seeds/<name>.sql is a header (what one row is, its grain)
    over the include of its rows, sql/seeds/<name>.csv, so that views join the vocabularies, the
    renderers read their words from the warehouse, and they are exported and documented as views."""
    return [SqlObject(p.name[:-4], "view", f"seeds/{p.name}", expand(p.read_text(encoding="utf-8")))
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
def grain(name: str) -> list[str]:
    """The columns that make one row of view `name` unique, as its header line `-- grain: a, b` lists
    them (a quoted name, such as "check", is given without its quotes)."""
    obj = next(v for v in views() if v.name == name)
    for line in obj.comment:
        if line.startswith("grain:"):
            return [c.strip().strip('"') for c in line.removeprefix("grain:").split(",")]
    raise ValueError(f"{obj.path} has no '-- grain: <columns>' line in its header")


def creation_order() -> list[SqlObject]:
    """Every view in an order DuckDB can create them, found without parsing (sqlglot's import
    and parse are most of an ingest's fixed cost): a view after every view whose name is a word
    of its SQL, comments aside. Those words include every view it reads, so the order is valid;
    when they make a cycle (a column named like a view, say), views() decides."""
    objs = {o.name: o for o in _load("view")}
    words = {name: _words(o.body) for name, o in objs.items()}
    try:
        return _ordered(objs, {name: words[name] & (set(objs) - {name}) for name in objs})
    except ValueError:
        return views()


def needed_views(sql: str) -> list[SqlObject]:
    """The views `sql` reads, found as creation_order() finds them (a view name that is a word of
    the SQL), and the views those read, in creation order: what a query needs created."""
    order = creation_order()
    names = {v.name for v in order}
    wanted = _words(sql) & names
    for view in reversed(order):  # a view comes after those it reads: one pass back collects them
        if view.name in wanted:
            wanted |= _words(view.body) & names - {view.name}
    return [v for v in order if v.name in wanted]


def _words(sql: str) -> set[str]:
    """The words of `sql`, comments aside."""
    return set(re.findall(r"\w+", re.sub(r"--[^\n]*", "", sql)))


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


CREATE_MACRO = re.compile(r"(?im)^\s*CREATE\s+(?:OR\s+REPLACE\s+)?MACRO\s+(\w+)\s*\(([^)]*)\)")


def created_macros(m: SqlObject) -> list[tuple[str, str]]:
    """(name, parameters) of each macro one macro file creates, in order (a file may create several)."""
    return CREATE_MACRO.findall(m.sql)


@lru_cache(maxsize=1)
def macro_names() -> set[str]:
    """The names of the macros the macro files create."""
    return {name for m in macros() for name, _ in created_macros(m)}


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
