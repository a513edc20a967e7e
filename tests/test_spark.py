"""The views run on Spark: the Parquet export plus `export sql --dialect spark` give
the same rows in Spark as the views give in DuckDB.

One local SparkSession serves the whole module. The warehouse is built from the
seed, data/convnet-benchmarks.toml when it exists, and the view and export test
fixtures (EXTRA_DATA).
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import shutil

import pytest

from conftest import CONVNET, ROOT, SEED, cli

pytestmark = pytest.mark.slow  # starts a local Spark session

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install pyspark); the Spark check needs it")

from dlbench import sqlfiles  # noqa: E402

VIEWS = [v.name for v in sqlfiles.views()]
# fixtures that reach the corners of the views (device quantities, version orders, unicode
# names, unknown keys), beside the seed and the convnet-benchmarks data
EXTRA_DATA = sorted((ROOT / "tests" / "data").glob("views_*.toml")) + [
    ROOT / "tests" / "data" / "export_every_level.toml",
    ROOT / "tests" / "data" / "compare_main.toml"]  # raw samples: run_stats, comparisons
# Both engines compute every view, the statistics of run_stats and comparisons included, from the
# same doubles with the same formulas; sums may run in another order, so values agree to 1e-9
# relative (p-values, medians, intervals and geometric means alike).
REL_TOL = 1e-9


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(warehouse path, Parquet folder, Spark SQL text) for the seed + convnet data."""
    from dlbench.warehouse import build_warehouse as ingest

    folder = tmp_path_factory.mktemp("spark")
    (folder / "data").mkdir()
    shutil.copy(SEED, folder / "benchmark.toml")
    paths = [folder / "benchmark.toml"]
    for extra in [CONVNET, *EXTRA_DATA]:
        shutil.copy(extra, folder / "data" / extra.name)
        paths.append(folder / "data" / extra.name)
    db = folder / "warehouse.duckdb"
    ingest([str(p) for p in paths], str(db))
    result = cli("export", "parquet", folder / "parquet", "--db", db, "--no-refresh")
    assert result.exit_code == 0, result.stderr
    result = cli("export", "sql", "--dialect", "spark")
    assert result.exit_code == 0, result.stderr
    return db, folder / "parquet", result.stdout


@pytest.fixture(scope="module")
def spark(exported):
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("dlbench-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
               .config("spark.ui.showConsoleProgress", "false")
               # the tables are tiny: planning and compiling dominate, so skip adaptive
               # re-planning and whole-stage code generation (about 2x faster on 2 cores)
               .config("spark.sql.adaptive.enabled", "false")
               .config("spark.sql.codegen.wholeStage", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    _, parquet, sql = exported
    manifest = json.loads((parquet / "manifest.json").read_text())
    for rel in manifest["relations"]:
        if rel["kind"] == "table":
            session.read.parquet(str(parquet / rel["file"])).createOrReplaceTempView(rel["name"])
    for statement in statements(sql):
        session.sql(statement)
    yield session
    session.stop()


def statements(sql: str) -> list[str]:
    """The statements of a script, split at the semicolons the Spark tokenizer sees."""
    from sqlglot.dialects.spark import Spark
    from sqlglot.tokens import TokenType

    out, start = [], 0
    for token in Spark().tokenize(sql):
        if token.token_type == TokenType.SEMICOLON:
            out.append(sql[start:token.start].strip())
            start = token.end + 1
    assert not sql[start:].strip(), "text after the last statement"
    return [s for s in out if s]


def normal(value):
    """A value of either engine in one comparable form."""
    if value is None:
        return None
    if hasattr(value, "asDict"):  # a Spark Row (struct)
        value = value.asDict(recursive=True)
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normal(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def sort_key(row):
    def key(v):
        if v is None:
            return (0, "")
        if isinstance(v, bool):
            return (1, str(v))
        if isinstance(v, (int, float)):
            return (2, float(f"{float(v):.9g}"))
        if isinstance(v, (list, dict)):
            return (3, json.dumps(v, sort_keys=True, default=str))
        return (4, str(v))
    return tuple(key(v) for v in row)


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        return math.isclose(a, b, rel_tol=REL_TOL) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def test_every_table_and_view_is_exported(exported):
    _, parquet, sql = exported
    names = {p.stem for p in parquet.glob("*.parquet")}
    assert names == set(sqlfiles.tables()) | set(VIEWS)
    assert [s.split(" AS\n")[0].splitlines()[-1] for s in statements(sql)] == [
        f"CREATE OR REPLACE TEMPORARY VIEW {v}" for v in VIEWS]


@pytest.mark.parametrize("view", VIEWS)
def test_view_gives_the_same_rows_on_spark(view, exported, spark):
    import duckdb

    db, _, _ = exported
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(f'SELECT * FROM "{view}"')
        duck_columns = [d[0] for d in cur.description]
        duck_rows = [[normal(v) for v in row] for row in cur.fetchall()]
    frame = spark.table(view)
    assert frame.columns == duck_columns
    spark_rows = [[normal(v) for v in row] for row in frame.collect()]
    assert len(spark_rows) == len(duck_rows)
    assert duck_rows, f"{view} is empty in DuckDB; the comparison would prove nothing"
    for i, (d, s) in enumerate(zip(sorted(duck_rows, key=sort_key), sorted(spark_rows, key=sort_key))):
        differ = [c for c, x, y in zip(duck_columns, d, s) if not same(x, y)]
        assert not differ, (f"{view}, row {i} (sorted): {differ} differ\n"
                            f"  duckdb: {dict(zip(duck_columns, d))}\n  spark:  {dict(zip(duck_columns, s))}")
