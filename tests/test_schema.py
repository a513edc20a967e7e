"""Keys and relationships of the warehouse tables, checked like dbt column tests.

The schema declares no constraints (rows are streamed in; see sql/schema/tables.sql),
so these tests are what guarantees them, on the seed and on every data/ file."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from conftest import CONVNET, ROOT
from dlbench.warehouse import build_warehouse as ingest

UNIQUE = {
    "sources": ["source_id"], "machines": ["machine_id"], "source_machines": ["source_id", "machine_id"],
    "devices": ["device_id"], "models": ["model_id"], "frameworks": ["framework_id"],
    "runs": ["run_id"], "run_libraries": ["run_id", "position"], "measurements": ["run_id", "metric"],
    "samples": ["run_id", "metric", "iteration"], "warehouse_meta": ["key"],
}
UNIQUE_NATURAL = {"machines": ["machine_key"], "frameworks": ["name", "version"],
                  "devices": ["machine_id", "position"]}
SAMPLES = ROOT / "tests" / "data" / "samples.toml"  # data/ has no samples of its own yet
RELATIONSHIPS = [  # (table, column, parent table, parent column)
    ("machines", "source_id", "sources", "source_id"),
    ("source_machines", "source_id", "sources", "source_id"),
    ("source_machines", "machine_id", "machines", "machine_id"),
    ("devices", "machine_id", "machines", "machine_id"),
    ("models", "machine_id", "machines", "machine_id"),
    ("models", "source_id", "sources", "source_id"),
    ("runs", "machine_id", "machines", "machine_id"),
    ("runs", "model_id", "models", "model_id"),
    ("runs", "framework_id", "frameworks", "framework_id"),
    ("runs", "source_id", "sources", "source_id"),
    ("run_libraries", "run_id", "runs", "run_id"),
    ("measurements", "run_id", "runs", "run_id"),
    ("samples", "run_id", "runs", "run_id"),
    ("ingest_warnings", "source_id", "sources", "source_id"),
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schema")
    from conftest import SEED

    shutil.copy(SEED, folder / "benchmark.toml")
    files = [str(folder / "benchmark.toml")]
    for i, extra in enumerate([*sorted(CONVNET.parent.glob("*.toml")), SAMPLES]):  # data/*.toml, then samples
        shutil.copy(extra, folder / f"{i}-{extra.name}")
        files.append(str(folder / f"{i}-{extra.name}"))
    ingest(files, str(folder / "w.duckdb"))
    c = duckdb.connect(str(folder / "w.duckdb"), read_only=True)
    yield c
    c.close()


@pytest.mark.parametrize("table,columns", sorted({**UNIQUE}.items()) + sorted(UNIQUE_NATURAL.items()))
def test_unique(con, table, columns):
    cols = ", ".join(columns)
    assert con.execute(f"select {cols}, count(*) from {table} group by {cols} having count(*) > 1").fetchall() == []
    assert con.execute(f"select count(*) from {table}").fetchone()[0] > 0


@pytest.mark.parametrize("table,column,parent,parent_column", RELATIONSHIPS)
def test_relationship(con, table, column, parent, parent_column):
    orphans = con.execute(f"""select count(*) from {table} t
                              where not exists (select 1 from {parent} p where p.{parent_column} = t.{column})""")
    assert orphans.fetchone()[0] == 0


def test_every_run_has_a_timing(con):
    assert con.execute("""select count(*) from runs r where not exists (
        select 1 from measurements m where m.run_id = r.run_id and m.metric in ('forward_ms', 'backward_ms'))""").fetchone() == (0,)
