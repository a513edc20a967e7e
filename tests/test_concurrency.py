"""Concurrent use: readers keep a consistent version while an ingest replaces the
file, ingests take turns on the lock, many stale readers cause one rebuild, and
`query` only reads (refused statements change nothing).

Everything runs as real processes; coordination is by "paused at" lines on
stderr (DLBENCH_PAUSE_AT), SIGUSR1 to resume a paused ingest, and a line on a
reader's stdin, never by sleeping.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pytest
from test_crash import EXTRA_MODEL, leftovers, snapshot, start_ingest, wait_for_line

from conftest import ROOT, run_cli, sha256

pytestmark = pytest.mark.slow  # many processes at once on one warehouse

# a reader that keeps one connection open across an ingest
READER = textwrap.dedent("""
    import json, sys
    from dlbench import connect
    con = connect("warehouse.duckdb")
    QUERY = "select count(*), sum(value) from runs join measurements using (run_id)"
    print(json.dumps(con.execute(QUERY).fetchall()), flush=True)
    sys.stdin.readline()  # the test says when the ingest is done
    print(json.dumps(con.execute(QUERY).fetchall()), flush=True)
    # tables not read before the ingest come from the same (old) version too
    print(json.dumps(con.execute("select count(*) from sources").fetchall()), flush=True)
    print(json.dumps(con.execute("select count(*) from models").fetchall()), flush=True)
""")


def popen(args: list[str], cwd: Path, **env) -> subprocess.Popen:
    proc = subprocess.Popen(args, cwd=cwd, env=dict(os.environ, PYTHONPATH=str(ROOT), **env), text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    guard = threading.Timer(300, proc.kill)  # a hang guard, not a timing assertion
    guard.daemon = True
    guard.start()
    return proc


def start_query(cwd: Path, sql: str, **env) -> subprocess.Popen:
    return popen([sys.executable, str(ROOT / "cli.py"), "query", sql], cwd, **env)


@pytest.fixture
def stale(seed_db):
    """A seed warehouse made stale by data/more.toml (one more model)."""
    (seed_db.parent / "data" / "more.toml").write_text(EXTRA_MODEL)
    return seed_db.parent


# -- (a) a long reader while an ingest replaces the file -----------------------------
def test_open_reader_sees_one_version_while_ingest_replaces_the_file(stale):
    db = stale / "warehouse.duckdb"
    before = sha256(db)
    reader = popen([sys.executable, "-c", READER], stale)
    first = json.loads(reader.stdout.readline())
    assert first[0][0] == 77  # 26 runs' measurements

    ingest = run_cli("ingest", "-q", cwd=stale)
    assert ingest.returncode == 0, ingest.stderr
    assert sha256(db) != before  # the file was replaced while the reader had it open

    out, err = reader.communicate("go\n")
    assert reader.returncode == 0, err
    again, sources, models = [json.loads(line) for line in out.splitlines()]
    assert again == first
    assert (sources, models) == ([[1]], [[4]])
    # a new connection sees the new version
    assert snapshot(db)["sources"] == 2 and snapshot(db)["models"] == 5


# -- (b) two ingests at once take turns --------------------------------------------------
def test_second_ingest_waits_for_the_first(stale):
    db = stale / "warehouse.duckdb"
    first = start_ingest(stale, "checked")  # benchmark.toml + data/more.toml, held at "checked"
    wait_for_line(first, "dlbench: paused at checked")
    second = start_ingest(stale, None, "benchmark.toml")  # the seed alone
    wait_for_line(second, f"dlbench: waiting for pid {first.pid} to finish with warehouse.duckdb ...")
    assert second.poll() is None  # still waiting

    first.send_signal(signal.SIGUSR1)  # let the first go on
    out, err = first.communicate()
    assert first.returncode == 0, err
    assert "  runs               27" in out
    out, err = second.communicate()
    assert second.returncode == 0, err
    assert "  runs               26" in out
    # the second ran last: its warehouse is the one in place, whole
    assert snapshot(db) == {"sources": 1, "machines": 1, "source_machines": 1, "source_sections": 0, "devices": 1,
                            "models": 4, "frameworks": 6, "runs": 26, "run_libraries": 26, "measurements": 77,
                            "samples": 0, "ingest_warnings": 1}
    assert leftovers(stale) == []


def test_waiting_ingest_gives_up_after_the_lock_timeout(stale):
    db = stale / "warehouse.duckdb"
    before = sha256(db)
    first = start_ingest(stale, "checked")
    wait_for_line(first, "dlbench: paused at checked")
    second = start_ingest(stale, None, DLBENCH_LOCK_TIMEOUT="1")
    out, err = second.communicate()
    assert second.returncode == 1
    assert out == ""
    assert err == (f"dlbench: waiting for pid {first.pid} to finish with warehouse.duckdb ...\n"
                   f"Error: warehouse.duckdb is locked by pid {first.pid} for more than 1 s; "
                   "try again later or raise DLBENCH_LOCK_TIMEOUT\n")
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert sha256(db) == before


# -- (c) many readers of a stale warehouse: one rebuild ------------------------------
def _rebuilt(stderr: str) -> int:
    return sum(line.startswith("dlbench: rebuilt warehouse.duckdb") for line in stderr.splitlines())


def test_many_readers_of_a_stale_warehouse_rebuild_once(stale):
    procs = [start_query(stale, "select count(*) as runs from runs") for _ in range(6)]
    results = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in results]
    assert [out for out, _ in results] == ["runs\n27\n"] * 6
    assert sum(_rebuilt(err) for _, err in results) == 1
    assert leftovers(stale) == []


def test_many_reports_of_a_stale_warehouse_rebuild_once(stale):
    procs = [popen([sys.executable, str(ROOT / "cli.py"), "report"], stale) for _ in range(6)]
    results = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in results]
    assert len({out for out, _ in results}) == 1  # the same report six times ...
    assert "ResNet-50" in results[0][0]  # ... of the rebuilt warehouse
    assert sum(_rebuilt(err) for _, err in results) == 1


def test_readers_that_wait_for_a_rebuild_do_not_rebuild_again(stale):
    """The same, made deterministic: one reader rebuilds and is held at "checked" while
    five more find the warehouse stale, queue on the lock, then find it fresh."""
    rebuilding = start_query(stale, "select count(*) as runs from runs", DLBENCH_PAUSE_AT="checked")
    wait_for_line(rebuilding, "dlbench: paused at checked")
    waiting = [start_query(stale, "select count(*) as runs from runs") for _ in range(5)]
    for p in waiting:
        wait_for_line(p, f"dlbench: waiting for pid {rebuilding.pid} to finish with warehouse.duckdb ...")
    rebuilding.send_signal(signal.SIGUSR1)
    out, err = rebuilding.communicate()
    assert (rebuilding.returncode, out, _rebuilt(err)) == (0, "runs\n27\n", 1)
    for p in waiting:
        out, err = p.communicate()
        assert (p.returncode, out, _rebuilt(err)) == (0, "runs\n27\n", 0), err


# -- read-only queries --------------------------------------------------------------
REFUSED = {
    "DROP TABLE runs": "DROP",
    "INSERT INTO frameworks VALUES (1, 'x', 'y')": "INSERT",
    "CREATE TABLE t AS SELECT 1": "CREATE",
    "COPY runs TO 'runs.csv'": "COPY",
    "COPY (SELECT * FROM runs) TO 'runs.parquet' (FORMAT parquet)": "COPY",
    "ATTACH 'other.duckdb' AS other": "ATTACH",
    "INSTALL httpfs": "LOAD",
    "LOAD httpfs": "LOAD",
    "SET threads = 1": "SET",
    "PRAGMA database_size": "PRAGMA",
    "CALL pragma_version()": "CALL",
    "EXPLAIN ANALYZE COPY (SELECT 1) TO 'explained.csv'": "EXPLAIN COPY",
    "SELECT 1; DELETE FROM runs": "DELETE",
}
REFUSAL = ("query only reads the warehouse (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN). "
           "To change the data, edit the TOML and run `cli.py ingest`")


@pytest.mark.parametrize("sql", list(REFUSED))
def test_query_refuses_statements_that_write(seed_db, sql):
    before = sha256(seed_db)
    names = set(os.listdir(seed_db.parent))
    proc = run_cli("query", sql, "--no-refresh", cwd=seed_db.parent)
    kind = REFUSED[sql]
    shown = sql.split("; ")[-1]
    article = "an" if kind[0] in "AEIOU" else "a"
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == f"Error: refused: `{shown}` is {article} {kind} statement; {REFUSAL}\n"
    assert sha256(seed_db) == before
    assert set(os.listdir(seed_db.parent)) == names  # no file written (COPY, ATTACH)


def test_query_sql_errors_show_duckdb_message(seed_db):
    proc = run_cli("query", "select count(*) from no_such_table", "--no-refresh", cwd=seed_db.parent)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr.startswith("Error: Catalog Error: Table with name no_such_table does not exist!")
    assert "Traceback" not in proc.stderr
    proc = run_cli("query", "selec 1", "--no-refresh", cwd=seed_db.parent)
    assert proc.returncode == 1
    assert proc.stderr.startswith('Error: Parser Error: syntax error at or near "selec"')
    assert "Traceback" not in proc.stderr


def test_query_reads_are_allowed(seed_db):
    for sql, first_line in (("with t as (select 1 as a) select a from t", "a"),
                            ("describe runs", "column_name,column_type,null,key,default,extra"),
                            ("explain analyze select count(*) from runs", "explain_key,explain_value")):
        proc = run_cli("query", sql, "--no-refresh", cwd=seed_db.parent)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[0] == first_line


def test_sql_text_in_names_is_plain_data(project):
    """Names holding quotes, semicolons and comments go in and come out as they are,
    and `query` never executes them (they are values, not SQL)."""
    names = ["x'; drop table runs; --", 'a"b; DELETE FROM models; /* c */', "Robert'); DROP TABLE frameworks;--"]
    toml = "".join(f"""
[[m.models]]
name = {json.dumps(n)}
[[m.models.frameworks]]
name = {json.dumps(n)}
version = {json.dumps(n)}
forward = 1
""" for n in names)
    Path("benchmark.toml").write_text('[m]\nname = "M"\n' + toml)
    assert run_cli("ingest", "-q", cwd=project).returncode == 0
    proc = run_cli("query", "select name from models order by position", "--format", "json", "--no-refresh",
                   cwd=project)
    assert [r["name"] for r in json.loads(proc.stdout)] == names
    con = duckdb.connect("warehouse.duckdb", read_only=True)
    for n in names:
        assert con.execute("select count(*) from frameworks where name = ? and version = ?", [n, n]).fetchone() == (1,)
    assert con.execute("select count(*) from runs").fetchone() == (3,)
    con.close()
