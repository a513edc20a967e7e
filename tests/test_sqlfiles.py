"""The SQL loader: includes (sql/fragments, sql/seeds) expanded at load time, the seeds as data, and
the fingerprint that covers what a warehouse is built from."""
from __future__ import annotations

import shutil
from fnmatch import fnmatch

import pytest
import tomli

from conftest import ROOT
from dlbench import sqlfiles


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """sql/ as a folder of our own: sqlfiles reads it, with its caches forgotten before and after."""
    root = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", root, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    caches = (sqlfiles.read_sql, sqlfiles.seed, sqlfiles.fingerprint)
    for cache in caches:
        cache.cache_clear()
    monkeypatch.setattr(sqlfiles, "sql_root", lambda: root)
    yield root
    for cache in caches:
        cache.cache_clear()


def test_an_include_line_becomes_the_fragment_and_a_seed_its_rows(tree):
    (tree / "fragments" / "inner.sql").write_text("-- inner\none_cte AS (SELECT 1 AS one),\n")
    (tree / "fragments" / "outer.sql").write_text("-- include: fragments/inner.sql\ntwo_cte AS (SELECT * FROM one_cte);\n")
    (tree / "seeds" / "tiny.csv").write_text('word,n,flag,note\nit\'s,2,true,\n"a, b",-3,false,x\n')
    (tree / "report" / "q.sql").write_text("WITH\n  -- include: fragments/outer.sql\n, t AS (\n"
                                           "-- include: seeds/tiny.csv\n)\nSELECT * FROM t\n")
    assert sqlfiles.read_sql("report", "q") == (
        "WITH\n-- inner\none_cte AS (SELECT 1 AS one),\ntwo_cte AS (SELECT * FROM one_cte)\n, t AS (\n"
        "SELECT * FROM (VALUES ('it''s', 2, TRUE, NULL),\n       ('a, b', -3, FALSE, 'x')) AS tiny(\"word\", \"n\", \"flag\", \"note\")"
        "\n)\nSELECT * FROM t\n")
    import duckdb

    assert duckdb.connect().execute(sqlfiles.read_sql("report", "q")).fetchall() == [
        ("it's", 2, True, None), ("a, b", -3, False, "x")]
    assert sqlfiles.seed("tiny").dicts()[0] == {"word": "it's", "n": 2, "flag": True, "note": None}


def test_a_circular_or_missing_include_is_a_broken_install(tree):
    (tree / "fragments" / "a.sql").write_text("-- include: fragments/b.sql\n")
    (tree / "fragments" / "b.sql").write_text("-- include: fragments/a.sql\n")
    (tree / "report" / "loop.sql").write_text("-- include: fragments/a.sql\n")
    (tree / "report" / "gone.sql").write_text("-- include: fragments/nothing.sql\n")
    with pytest.raises(sqlfiles.SqlMissing, match=r"circular.*fragments/a\.sql -> fragments/b\.sql -> fragments/a\.sql"):
        sqlfiles.read_sql("report", "loop")
    with pytest.raises(sqlfiles.SqlMissing, match=r"fragments/nothing\.sql is missing"):
        sqlfiles.read_sql("report", "gone")


def test_the_fingerprint_covers_fragments_and_seeds(tree):
    """A warehouse is stale when anything its views are made of changes, included text too."""
    seen = {sqlfiles.fingerprint()}
    for path in ("fragments/compare_stats.sql", "seeds/compare_marks.csv", "views/results.sql"):
        with open(tree / path, "a") as f:
            f.write("\n")
        sqlfiles.fingerprint.cache_clear()
        seen.add(sqlfiles.fingerprint())
    assert len(seen) == 4
    with open(tree / "report" / "compare.sql", "a") as f:  # the report's queries are not in a warehouse
        f.write("\n")
    sqlfiles.fingerprint.cache_clear()
    assert sqlfiles.fingerprint() in seen


def test_every_include_in_sql_is_expanded_and_every_fragment_and_seed_is_used():
    """No include line survives loading, and nothing in sql/fragments or sql/seeds is dead."""
    texts = {p.relative_to(ROOT / "sql").as_posix(): p.read_text() for p in (ROOT / "sql").rglob("*")
             if p.suffix in (".sql", ".csv")}
    included = {name for text in texts.values() for name in sqlfiles.includes(text)}
    assert included and included <= set(texts)
    # a seed's rows (.csv) are included by its view's file (.sql) and wherever SQL needs them
    assert {n for n in texts if n.split("/")[0] == "fragments" or n.endswith(".csv")} == included
    for obj in sqlfiles.views() + sqlfiles.macros():
        assert not sqlfiles.includes(obj.sql), obj.path
    for folder in ("report", "site"):
        for p in (ROOT / "sql" / folder).glob("*.sql"):
            assert not sqlfiles.includes(sqlfiles.read_sql(folder, p.stem)), p


def test_the_wheel_carries_every_sql_file():
    """The package data patterns of pyproject.toml cover every file of sql/ (fragments, seeds)."""
    patterns = tomli.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["dlbench.sql"]
    files = [p.relative_to(ROOT / "sql").as_posix() for p in (ROOT / "sql").rglob("*")
             if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    assert files and [f for f in files if not any(fnmatch(f, pat) and f.count("/") == pat.count("/")
                                                  for pat in patterns)] == []


def test_needed_views_are_what_a_query_reads_and_what_those_read():
    needed = [v.name for v in sqlfiles.needed_views(sqlfiles.read_sql("report", "compare_states"))]
    # compare_marks: the seed's rows are included there under the seed's name
    assert set(needed) == {"results", "run_samples", "run_stats", "compare_marks"}
    for i, view in enumerate(sqlfiles.needed_views(sqlfiles.read_sql("report", "compare_states"))):
        # created after what it reads
        assert sqlfiles.references(view.body) <= set(sqlfiles.tables()) | set(needed[:i]), view.name
