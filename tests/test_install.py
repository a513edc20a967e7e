"""A normal install works: the wheel carries the SQL, installs only names that are ours, and
`dlbench` runs from any folder; every DuckDB 1.x client opens the warehouse it writes."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import duckdb
import pytest

from conftest import CONVNET, ROOT, SEED, cli
from dlbench import __version__, sqlfiles
from dlbench.warehouse import build_warehouse

pytestmark = pytest.mark.slow  # builds the wheel, installs it into a fresh venv, runs the DuckDB 1.x client


def test_version(project):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"dlbench {__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_missing_sql_is_an_error_not_an_empty_string(monkeypatch, tmp_path):
    (tmp_path / "schema").mkdir()
    monkeypatch.setattr(sqlfiles, "sql_root", lambda: tmp_path)
    sqlfiles.read_sql.cache_clear()  # read once per process: forget what other tests read
    with pytest.raises(sqlfiles.SqlMissing, match=r"SQL files \(schema/\*\.sql\) are missing"):
        sqlfiles.schema_sql()
    with pytest.raises(sqlfiles.SqlMissing, match=r"report/rankings\.sql is missing"):
        sqlfiles.read_sql("report", "rankings")
    sqlfiles.read_sql.cache_clear()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=600)
    (found,) = out.glob("dlbench-*.whl")
    return found


def test_wheel_installs_only_our_names_and_carries_the_sql(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"dlbench", f"dlbench-{__version__}.dist-info"}
    for folder in ("schema", "views", "macros", "report", "site"):
        here = sorted(p.name for p in (ROOT / "sql" / folder).glob("*.sql"))
        assert here and sorted(n.rsplit("/", 1)[1] for n in names
                               if n.startswith(f"dlbench/sql/{folder}/") and n.endswith(".sql")) == here
    assets = sorted(p.name for p in (ROOT / "dlbench" / "assets").iterdir())  # the site's CSS and script
    assert assets and sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("dlbench/assets/")) == assets
    ingest_here = sorted(p.name for p in (ROOT / "ingest").glob("*.py"))
    assert sorted(n.rsplit("/", 1)[1] for n in names if re.fullmatch(r"dlbench/ingest/[^/]+\.py", n)) == ingest_here
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "dlbench = dlbench.cli:app" in zipfile.ZipFile(wheel).read(entry).decode()


@pytest.mark.slow
def test_wheel_works_from_an_empty_folder(wheel, tmp_path):
    """pip install of the wheel (not -e) into a fresh venv, then dlbench in a folder holding only
    benchmark.toml: ingest, report and query work, and nothing of the checkout is on the path."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True,
                   text=True, timeout=900)
    work = tmp_path / "empty"
    work.mkdir()
    shutil.copy(SEED, work / "benchmark.toml")
    dlbench = str(env_dir / "bin" / "dlbench")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DLBENCH_DB")}

    def run(*args):
        return subprocess.run([dlbench, *args], cwd=work, env=env, capture_output=True, text=True, timeout=300)

    version = run("--version")
    assert version.returncode == 0 and version.stdout == f"dlbench {__version__}\n"
    ingested = run("ingest")
    assert ingested.returncode == 0, ingested.stderr
    assert re.search(r"^  runs +26$", ingested.stdout, re.M), ingested.stdout
    report = run("report")
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith("# Deep-learning benchmark report")
    assert "| Torch 07/03/2016 + cuDNN 4 |" in report.stdout
    query = run("query", "--format", "csv", "select count(*) as n from results")
    assert (query.returncode, query.stdout) == (0, "n\n26\n")
    where = subprocess.run([str(python), "-c", "import dlbench; print(dlbench.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True)
    assert str(env_dir) in where.stdout and str(ROOT) not in where.stdout


def _duckdb_cli() -> str | None:
    beside = Path(sys.executable).with_name("duckdb")
    return str(beside) if beside.exists() else shutil.which("duckdb")


def _macro_examples() -> list[str]:
    """The `-- Use: SELECT ...` example of every macro file: each macro says how to call it."""
    examples = []
    for macro in sqlfiles.macros():
        found = [line.split("Use:", 1)[1].strip() for line in macro.comment if line.startswith("Use:")]
        assert found, f"{macro.path} has no '-- Use: SELECT ...' example in its header"
        examples += found
    return examples


def test_a_duckdb_1x_client_runs_every_view_and_macro(project):
    """The DuckDB command-line client of PyPI (duckdb-cli 1.x, in the test extra) opens a warehouse
    that dlbench built and gets the same row count from every view and macro as duckdb 2."""
    binary = _duckdb_cli()
    if binary is None:
        pytest.skip("no duckdb command-line client (pip install duckdb-cli, as the test extra does)")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    assert version.startswith("v1."), version
    shutil.copy(CONVNET, "data/convnet-benchmarks.toml")
    shutil.copy(ROOT / "tests" / "data" / "samples.toml", "data/samples.toml")
    build_warehouse(None, "warehouse.duckdb")
    queries = [f'SELECT count(*) FROM "{v.name}"' for v in sqlfiles.views()]
    queries += [f"SELECT count(*) FROM ({example.rstrip(';')})" for example in _macro_examples()]
    with duckdb.connect("warehouse.duckdb", read_only=True) as con:
        expected = [con.execute(q).fetchone()[0] for q in queries]
    script = "".join(f"{q};\n" for q in queries)
    out = subprocess.run([binary, "-readonly", "-csv", "-noheader", "warehouse.duckdb"], input=script,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and not out.stderr, out.stderr
    assert [int(x) for x in out.stdout.split()] == expected
    assert sum(expected) > 0
