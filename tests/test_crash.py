"""Crash safety: an ingest killed at any stage leaves the previous warehouse whole.

`ingest/build.py` marks the stages of a build with stage(name); with
DLBENCH_PAUSE_AT=<name> the process says "dlbench: paused at <name>" on stderr
and waits there. Each test builds a warehouse from the seed, starts a real
`cli.py ingest` of the seed plus one more model, waits for the stage, kills the
process and checks that the old warehouse is byte-for-byte the same, still
answers queries, and that the next ingest succeeds and clears the leftovers.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, SEED, cli, run_cli, sha256
from dlbench import sqlfiles

pytestmark = pytest.mark.slow  # starts and kills an ingest process per stage

STAGES = ["schema", "checked", "loaded", "views", "before-rename"]

_seed = SEED.read_text()
EXTRA_MODEL = _seed[: _seed.index("  [[nvidia-titan-x.models]]")] + """
  [[nvidia-titan-x.models]]
    name = "ResNet-50"
    type = "model"

    [[nvidia-titan-x.models.frameworks]]
      name = "Torch"
      version = "07/03/2016"
      forward = 100
      backward = 200
      memory = "6000MB"
"""
TABLES = [t for t in sqlfiles.tables() if t != "warehouse_meta"]


def start_ingest(cwd: Path, pause_at: str | None, *args: str, **env) -> subprocess.Popen:
    """`cli.py ingest` as a child process, stderr piped; killed if it outlives the test."""
    full_env = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    if pause_at:
        full_env["DLBENCH_PAUSE_AT"] = pause_at
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "ingest", *args], cwd=cwd, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    guard = threading.Timer(300, proc.kill)  # a hang guard, not a timing assertion
    guard.daemon = True
    guard.start()
    return proc


def wait_for_line(proc: subprocess.Popen, wanted: str) -> list[str]:
    """Read the child's stderr up to the line `wanted`; fail if it ends first."""
    seen = []
    for line in proc.stderr:
        seen.append(line.rstrip("\n"))
        if seen[-1] == wanted:
            return seen
    raise AssertionError(f"the process ended (exit {proc.wait()}) without printing {wanted!r}: {seen}")


def snapshot(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in TABLES}
    finally:
        con.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


@pytest.fixture
def crash_project(seed_db):
    """A seed warehouse, and data/more.toml with one more model waiting to be ingested."""
    (seed_db.parent / "data" / "more.toml").write_text(EXTRA_MODEL)
    return seed_db.parent


@pytest.mark.parametrize("stage", STAGES)
def test_sigkill_at_stage_keeps_the_previous_warehouse(crash_project, stage):
    db = crash_project / "warehouse.duckdb"
    before, counts = sha256(db), snapshot(db)
    assert counts["runs"] == 26

    proc = start_ingest(crash_project, stage)
    wait_for_line(proc, f"dlbench: paused at {stage}")
    # the kill really lands mid-build: the new warehouse is being written beside the old one
    # (and its write-ahead log, before the build's checkpoint)
    temp = leftovers(crash_project)
    assert temp in ([f".warehouse.duckdb.tmp-{proc.pid}"],
                    [f".warehouse.duckdb.tmp-{proc.pid}", f".warehouse.duckdb.tmp-{proc.pid}.wal"])
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL

    # the previous warehouse is whole: same bytes, same rows, queries work
    assert sha256(db) == before
    assert snapshot(db) == counts
    # the killed process's temp file is still there; it confuses nothing: validate and
    # the next ingest succeed, and the ingest removes it
    assert leftovers(crash_project) == temp
    assert cli("validate").exit_code == 0
    proc = run_cli("ingest", "-q", cwd=crash_project)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    assert leftovers(crash_project) == []
    assert snapshot(db)["runs"] == 27
    assert sha256(db) != before
    # and the lock was released by the kill: a refresh finds the new warehouse up to date
    proc = run_cli("query", "select count(*) as runs from runs", cwd=crash_project)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "runs\n27\n", "")


def test_sigkill_after_rename_leaves_the_new_warehouse(crash_project):
    """Once the rename is done the new warehouse is complete, even if the process dies."""
    db = crash_project / "warehouse.duckdb"
    before = sha256(db)
    proc = start_ingest(crash_project, "renamed")
    wait_for_line(proc, "dlbench: paused at renamed")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert sha256(db) != before
    assert leftovers(crash_project) == []
    assert snapshot(db)["runs"] == 27
    proc = run_cli("query", "select count(*) as runs from runs", cwd=crash_project)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "runs\n27\n", "")


@pytest.mark.parametrize("stage", ["checked", "loaded", "before-rename"])
def test_interrupt_cleans_up(crash_project, stage):
    """Ctrl-C (SIGINT) mid-build: a clear message, exit 130, no temp file, the old warehouse kept."""
    db = crash_project / "warehouse.duckdb"
    before = sha256(db)
    proc = start_ingest(crash_project, stage)
    wait_for_line(proc, f"dlbench: paused at {stage}")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate()
    assert proc.returncode == 130
    assert err == "Interrupted; the previous warehouse is unchanged.\n"
    assert out == ""
    assert sha256(db) == before
    assert leftovers(crash_project) == []


def test_sigkill_of_the_first_ingest_leaves_no_warehouse(project):
    """Killed before there ever was a warehouse: still none (not a half-built one)."""
    proc = start_ingest(project, "before-rename")
    wait_for_line(proc, "dlbench: paused at before-rename")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (project / "warehouse.duckdb").exists()
    proc = run_cli("query", "select count(*) as runs from runs", "--format", "json", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [{"runs": 26}]
    assert "rebuilt warehouse.duckdb" in proc.stderr
    assert leftovers(project) == []


def test_a_file_that_is_not_a_database_is_left_alone(seed_db):
    """Text where the warehouse was (not a DuckDB file, so maybe someone's own data):
    never rebuilt over, with or without --no-refresh; a damaged warehouse, which still
    is a DuckDB file, is rebuilt instead (tests/test_hardening.py)."""
    seed_db.write_bytes(b"this is not a duckdb file\n" * 100)
    for args in ((), ("--no-refresh",)):
        proc = run_cli("query", "select count(*) as runs from runs", *args, cwd=seed_db.parent)
        assert (proc.returncode, proc.stdout) == (1, "")
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith("Error: warehouse.duckdb is not a dlbench warehouse")
        assert "nothing was changed" in proc.stderr
    assert seed_db.read_bytes() == b"this is not a duckdb file\n" * 100


# -- the incremental update of a big file (a copy of the old warehouse, edited) --------
def _big(machines: int = 160) -> str:
    """The seed's machine section under `machines` keys: over 1 MiB, so a re-ingest
    after a small edit updates a copy of the warehouse instead of building anew."""
    section = _seed[_seed.index("[nvidia-titan-x]"):]
    return "".join(section.replace("nvidia-titan-x", f"box-{i:03}") for i in range(machines))


FIRST_FORWARD = """select m.value from measurements m join runs r using (run_id) join machines ma using (machine_id)
                   where ma.machine_key = 'box-000' and r.line = 24 and m.metric = 'forward_ms'"""


@pytest.mark.parametrize("stage", ["schema", "loaded", "before-rename"])
def test_sigkill_during_an_incremental_update(project, stage):
    Path("benchmark.toml").write_text(_big())
    assert run_cli("ingest", "-q", cwd=project).returncode == 0
    db = project / "warehouse.duckdb"
    before, counts = sha256(db), snapshot(db)
    assert counts["runs"] == 160 * 26
    Path("benchmark.toml").write_text(_big().replace("forward = 25", "forward = 26", 1))

    proc = start_ingest(project, stage)
    wait_for_line(proc, f"dlbench: paused at {stage}")
    if stage == "schema":  # the update starts from a copy of the old warehouse, not a new build
        assert sha256(project / f".warehouse.duckdb.tmp-{proc.pid}") == before
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert sha256(db) == before
    assert snapshot(db) == counts
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(FIRST_FORWARD).fetchall() == [(25.0,)]
    con.close()

    proc = run_cli("ingest", "-q", cwd=project)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert leftovers(project) == []
    assert snapshot(db) == counts
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(FIRST_FORWARD).fetchall() == [(26.0,)]
    con.close()
