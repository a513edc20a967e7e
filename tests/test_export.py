"""The export commands: the document rebuilt from the tables (json), every relation as
Parquet with a manifest (parquet), and the views for other engines (sql)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import tomli

from conftest import CONVNET, ROOT, SEED, cli, sha256
from dlbench import sqlfiles
from dlbench.export import DIALECTS, ExportError, transpile, view_statement
from dlbench.ingest.document import _jsonable

DATA = ROOT / "tests" / "data"
ROUND_TRIP = sorted(DATA.glob("export_*.toml"))
VALID_FIXTURES = sorted(p for p in (DATA / "bad").glob("*.toml") if p.read_text().startswith("# VALID"))
VIEWS = [v.name for v in sqlfiles.views()]


def parsed(path: Path) -> dict:
    """What the export must give back: tomli's document, dates and times as ISO strings."""
    with open(path, "rb") as fh:
        return _jsonable(tomli.load(fh))


def exact_json(doc: dict) -> str:
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def assert_same_rows(got: list[tuple], want: list[tuple], what: str) -> None:
    """The same rows in any order; floats to a relative 1e-9 (a view's float sums may
    add in another order from one run to the next)."""
    def key(row):
        return repr(tuple(float(f"{v:.8g}") if isinstance(v, float) else v for v in row))

    assert len(got) == len(want), what
    for g, w in zip(sorted(got, key=key), sorted(want, key=key)):
        assert len(g) == len(w), what
        for gv, wv in zip(g, w):  # approx only on floats: pytest >= 9.2 refuses it on strings
            if isinstance(wv, float) and isinstance(gv, (int, float)):
                assert gv == pytest.approx(wv, rel=1e-9, nan_ok=True), (what, g, w)
            else:
                assert gv == wv, (what, g, w)


def copy_in(project: Path, *paths: Path) -> list[str]:
    names = []
    for p in paths:
        shutil.copy(p, project / p.name)
        names.append(p.name)
    return names


# -- export json -------------------------------------------------------------
def test_seed_round_trips_exactly(project):
    result = cli("export", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == parsed(SEED)
    assert result.stdout == exact_json(parsed(SEED))  # sorted keys, two-space indent, newline
    assert "rebuilt warehouse.duckdb" in result.stderr


def test_the_document_comes_from_the_tables_not_the_file(seed_db):
    Path("benchmark.toml").write_text('[other]\nname = "Not the seed"\n')
    result = cli("export", "json", "--no-refresh")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == parsed(SEED)


@pytest.mark.parametrize("fixture", ROUND_TRIP + VALID_FIXTURES, ids=lambda p: p.name)
def test_fixture_round_trips_with_source(project, fixture):
    names = copy_in(project, *ROUND_TRIP, fixture)
    assert cli("ingest", "-q", *dict.fromkeys(names)).exit_code == 0
    result = cli("export", "json", "--source", fixture.name, "--no-refresh")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == parsed(fixture)
    assert result.stdout == exact_json(parsed(fixture))


def test_every_level_keeps_what_was_written(project):
    (name,) = copy_in(project, DATA / "export_every_level.toml")
    assert cli("ingest", "-q", name).exit_code == 0
    text = cli("export", "json", "--no-refresh").stdout
    doc = json.loads(text)
    rig = doc["rig \"ü\" 'box' 機械"]
    assert rig["host"]["cores"] == 8 and rig["devices"][0]["cores"] == "3072"
    assert rig["devices"][1] == {"name": "Second", "cores": 2048, "quantity": "1"}
    assert rig["devices"][2] == {}
    first, second, third = rig["models"][0]["frameworks"]
    assert '"forward": 25.0,' in text and '"forward": 25,' in text  # 25.0 stays a float, 25 an int
    assert first["huge"] == 12345678901234567890 and first["tiny"] == 1e-7
    assert first["seen"] == "2016-07-03" and doc["generated_at"] == "1979-05-27T07:32:00+00:00"
    assert "libraries" not in second and third["libraries"] == []  # absent: not known; []: none
    assert second["date"] == "2016-02-28" and "date" not in first  # a TOML date, as tomli's ISO text
    vgg = rig["models"][1]
    assert (vgg["label"], vgg["date"]) == ("OxfordNet [Model-A]", 2015)  # a year stays an integer
    assert rig["models"][2] == {"name": "Empty"}
    assert rig["models"][3] == {"name": "No runs yet", "frameworks": []}
    assert doc["no-models"] == {"name": "An empty models array", "models": []}
    assert doc["hostonly"] == {"name": "Host only", "devices": [], "host": {}}


def test_two_files_with_one_machine_merge(project):
    a, b = copy_in(project, DATA / "export_same_machine_a.toml", DATA / "export_same_machine_b.toml")
    assert cli("ingest", "-q", b, a).exit_code == 0
    doc = json.loads(cli("export", "json", "--no-refresh").stdout)
    first, second = parsed(DATA / a), parsed(DATA / b)
    assert sorted(doc) == ["only-in-a", "origin", "second", "shared-rig"]
    assert doc["shared-rig"]["models"] == first["shared-rig"]["models"] + second["shared-rig"]["models"]
    assert {k: v for k, v in doc["shared-rig"].items() if k != "models"} == {
        k: v for k, v in first["shared-rig"].items() if k != "models"}
    assert doc["origin"] == "file a" and doc["second"] is True


def test_seed_and_data_files_merge_by_default(project):
    shutil.copy(DATA / "export_same_machine_b.toml", project / "data" / "b.toml")
    doc = json.loads(cli("export", "json").stdout)
    assert doc == {**parsed(SEED), **parsed(DATA / "export_same_machine_b.toml")}


def test_convnet_benchmarks_round_trips(project):
    shutil.copy(CONVNET, project / "data" / CONVNET.name)
    result = cli("export", "json", "--source", f"data/{CONVNET.name}")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == exact_json(parsed(CONVNET))
    merged = json.loads(cli("export", "json", "--no-refresh").stdout)
    assert merged == {**parsed(SEED), **parsed(CONVNET)}


def test_json_to_a_file(seed_db):
    result = cli("export", "json", "out.json", "--no-refresh")
    assert result.exit_code == 0 and result.stdout == ""
    assert Path("out.json").read_text(encoding="utf-8") == exact_json(parsed(SEED))


def test_unknown_source_is_a_usage_error(seed_db):
    result = cli("export", "json", "--source", "nope.toml", "--no-refresh")
    assert result.exit_code == 2
    assert result.stderr == "Error: nope.toml is not a source of this warehouse (its sources: benchmark.toml)\n"
    assert result.stdout == ""


def test_files_that_do_not_merge_say_so(project):
    Path("a.toml").write_text('note = "a"\n[m1]\nname = "M1"\n')
    Path("b.toml").write_text('note = "b"\n[m2]\nname = "M2"\n')
    assert cli("ingest", "-q", "a.toml", "b.toml").exit_code == 0
    result = cli("export", "json", "--no-refresh")
    assert result.exit_code == 1
    assert result.stderr == ("Error: top-level key 'note' differs between a.toml and b.toml, so the files do "
                             "not merge into one document; export one with --source\n")
    assert json.loads(cli("export", "json", "--no-refresh", "--source", "b.toml").stdout) == {
        "note": "b", "m2": {"name": "M2"}}


def test_missing_warehouse_without_refresh(project):
    result = cli("export", "json", "--no-refresh")
    assert result.exit_code == 2
    assert result.stderr == "Error: no warehouse at warehouse.duckdb; run `python cli.py ingest` first\n"


# -- export parquet ----------------------------------------------------------
def test_parquet_files_and_manifest(seed_db):
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    result = cli("export", "parquet", "out", "--no-refresh")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads(Path("out/manifest.json").read_text())
    names = [(r["name"], r["kind"]) for r in manifest["relations"]]
    assert names == [(t, "table") for t in sorted(sqlfiles.tables())] + [(v, "view") for v in VIEWS]
    assert manifest["sources"] == [{"path": "benchmark.toml", "sha256": sha256(SEED)}]
    assert sorted(p.name for p in Path("out").iterdir()) == sorted(
        ["manifest.json"] + [f"{n}.parquet" for n, _ in names])
    con = duckdb.connect(str(seed_db), read_only=True)
    for rel in manifest["relations"]:
        table = pq.read_table(Path("out") / rel["file"])
        described = con.execute(f'DESCRIBE "{rel["name"]}"').fetchall()
        assert rel["schema"] == [{"name": c, "type": t} for c, t, *_ in described]
        assert table.column_names == [c["name"] for c in rel["schema"]]
        (count,) = con.execute(f'SELECT count(*) FROM "{rel["name"]}"').fetchone()
        assert table.num_rows == rel["rows"] == count
        for col in rel["schema"]:
            if col["type"] == "JSON":
                assert table.schema.field(col["name"]).type == pa.string(), (rel["name"], col["name"])
        cols = ", ".join(f'"{c["name"]}"::VARCHAR' if c["type"] == "JSON" else f'"{c["name"]}"'
                         for c in rel["schema"])
        expected = con.execute(f'SELECT {cols} FROM "{rel["name"]}"').fetchall()
        assert_same_rows([tuple(r.values()) for r in table.to_pylist()], expected, rel["name"])
    rels = {r["name"]: r for r in manifest["relations"]}
    assert rels["runs"]["rows"] == 26 and rels["machines"]["rows"] == 1
    assert {"name": "extra", "type": "JSON"} in rels["machines"]["schema"]


def test_parquet_values(seed_db):
    import pyarrow.parquet as pq

    assert cli("export", "parquet", "out", "--no-refresh").exit_code == 0
    rows = pq.read_table("out/results.parquet").to_pylist()
    (leaf,) = [r for r in rows if r["model"] == "Alexnet" and r["framework"] == "Leaf"
               and r["framework_version"] == "0.2" and r["libraries"] == "cuDNN 4"]
    assert leaf["forward_ms"] == 25.0 and leaf["backward_ms"] == 63.0
    assert leaf["memory_bytes"] is None
    measurements = pq.read_table("out/measurements.parquet").to_pylist()
    memory = [m for m in measurements if m["metric"] == "memory_bytes" and m["value"] == 1750e6]
    assert memory and all(m["written"] == '"1750MB"' for m in memory)


def test_parquet_into_a_folder_with_quotes(seed_db):
    folder = Path("it's \"here\"")
    result = cli("export", "parquet", folder / "sub", "--no-refresh")
    assert result.exit_code == 0, result.stderr
    assert (folder / "sub" / "runs.parquet").exists()
    assert json.loads((folder / "sub" / "manifest.json").read_text())["relations"]


def test_parquet_onto_a_file_is_a_usage_error(seed_db):
    Path("taken").write_text("")
    result = cli("export", "parquet", "taken", "--no-refresh")
    assert result.exit_code == 2
    assert "taken" in result.stderr and "is a file" in result.stderr


# -- export sql --------------------------------------------------------------
@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_sql_parses_back_in_its_dialect(dialect):
    import sqlglot
    from sqlglot import exp

    result = cli("export", "sql", "--dialect", dialect)
    assert result.exit_code == 0, result.stderr
    statements = [s for s in sqlglot.parse(result.stdout, read=dialect) if s is not None]
    assert all(isinstance(s, exp.Create) and s.kind == "VIEW" and s.args.get("replace") for s in statements)
    assert [s.this.name for s in statements] == VIEWS
    temporary = [bool(s.find(exp.TemporaryProperty)) for s in statements]
    assert temporary == [dialect == "spark"] * len(VIEWS)
    header = result.stdout.split("\n\n")[0]
    assert header.startswith(f"-- dlbench views for {dialect}, transpiled from DuckDB")
    for name in sqlfiles.tables():
        assert name in header
    for macro in sqlfiles.macros():
        assert f"--   {macro.name}(" in header
    create = "CREATE OR REPLACE TEMPORARY VIEW" if dialect == "spark" else "CREATE OR REPLACE VIEW"
    for view in sqlfiles.views():  # each statement right after its view's comment, as written
        lines = []
        for line in view.sql.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line.rstrip() + "\n")
        assert lines, view.name
        assert "".join(lines) + f"{create} {view.name} AS\n" in result.stdout, view.name


def test_spark_header_says_how_to_register_the_tables():
    out = cli("export", "sql", "--dialect", "spark").stdout
    assert '--   spark.read.parquet("DIR/<table>.parquet").createOrReplaceTempView("<table>")\n' in out
    assert "CREATE OR REPLACE TEMPORARY VIEW results AS\n" in out


def test_unknown_dialect_is_a_usage_error():
    result = cli("export", "sql", "--dialect", "oracle")
    assert result.exit_code == 2
    assert result.stdout == ""
    flat = " ".join(result.stderr.replace("│", " ").split())
    assert "'oracle'; expected one of spark, trino, postgres, bigquery, snowflake, duckdb" in flat


@pytest.mark.parametrize("view", sqlfiles.views(), ids=lambda v: v.name)
def test_duckdb_round_trip_is_the_same_tree(view):
    import sqlglot

    tree = sqlglot.parse_one(view.body, read="duckdb")
    again = sqlglot.parse_one(tree.sql(dialect="duckdb"), read="duckdb")
    assert again == tree


def test_duckdb_views_over_the_parquet_export_give_the_warehouse_rows(seed_db):
    import duckdb

    assert cli("export", "parquet", "out", "--no-refresh").exit_code == 0
    script = cli("export", "sql", "--dialect", "duckdb").stdout
    fresh = duckdb.connect()
    for table in sqlfiles.tables():
        fresh.read_parquet(f"out/{table}.parquet").create_view(table)
    fresh.execute(script)
    warehouse = duckdb.connect(str(seed_db), read_only=True)
    for view in VIEWS:
        got = fresh.execute(f'SELECT * FROM "{view}"').fetchall()
        want = warehouse.execute(f'SELECT * FROM "{view}"').fetchall()
        assert_same_rows(got, want, view)


def test_bigquery_aggregate_order_keeps_nulls_last():
    sql = "SELECT string_agg(x, ', ' ORDER BY k) AS a, string_agg(x, ', ' ORDER BY k DESC) AS b FROM t"
    assert " ".join(transpile(sql, "bigquery").split()) == (
        "SELECT STRING_AGG(x, ', ' ORDER BY k IS NULL ASC, k ASC) AS a, "
        "STRING_AGG(x, ', ' ORDER BY k DESC) AS b FROM t")


def test_a_view_that_does_not_transpile_is_named():
    broken = sqlfiles.SqlObject("broken", "view", Path("broken.sql"), "-- Broken.\nSELECT FROM WHERE (")
    with pytest.raises(ExportError, match=r"^view broken cannot be transpiled to spark: "):
        view_statement(broken, "spark")


def test_export_commands_have_help():
    result = cli("export", "--help")
    assert result.exit_code == 0
    for command in ("json", "parquet", "sql"):
        assert command in result.stdout
        help_text = cli("export", command, "--help").stdout
        assert len(help_text.split("\n\n")[1].strip()) > 20, command
