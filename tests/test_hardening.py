"""Hardening (issue 9): what a hostile or unlucky user can do to dlbench.

Each test reproduces one item of the issue and failed before its fix:
foreign files given as --db are never overwritten; a stale write-ahead log
and a damaged warehouse are rebuilt, not fatal; line numbers are exact for
CRLF files, header-like lines inside strings, implied tables and syntax
errors; nesting, FIFOs, devices and huge files are refused; `query` reads
nothing but the warehouse, stops on Ctrl-C or a time limit and runs under a
memory limit; every interruption prints one line; a line shift is not a change.
"""
from __future__ import annotations

import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, SEED, cli, run_cli, sha256
from dlbench.ingest import build, document, incremental, pipeline
from dlbench.ingest.locate import header_lines
from dlbench.warehouse import build_warehouse as ingest

LINE_TABLES = ("runs", "models", "devices", "machines", "run_libraries", "ingest_warnings")
RUNAWAY = "select count(*) from range(10000000000000) t(a), range(10) u(b)"


def lines_of(db) -> dict:
    """The stored line numbers of every table that has them, in a stable order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {t: con.execute(f"select line from {t} order by line").fetchall() for t in LINE_TABLES}
        out["host_line"] = con.execute("select host_line from machines order by host_line").fetchall()
        return out
    finally:
        con.close()


@pytest.fixture
def popen_cli():
    """Start `cli.py ARGS` as a child process (its own process group); killed after the test."""
    started = []

    def start(*args, cwd, **kw) -> subprocess.Popen:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                                **kw)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            with __import__("contextlib").suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# -- 1. a file that is not a dlbench warehouse is never replaced ----------------------------
@pytest.mark.parametrize("command", [["query", "select 1"], ["report"], ["ingest"], ["export", "json"]])
def test_a_text_file_given_as_db_is_never_overwritten(project, command):
    before = sha256(project / "benchmark.toml")
    proc = run_cli(*command, "--db", "benchmark.toml", cwd=project)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("Error: benchmark.toml is not a dlbench warehouse; nothing was changed")
    assert sha256(project / "benchmark.toml") == before
    assert not (project / "benchmark.toml.lock").exists()  # refused before even a lock file is made


def test_someone_elses_duckdb_file_is_never_overwritten(project):
    con = duckdb.connect("mine.duckdb")
    con.execute("create table customers as select 1 as id, 'Ada' as name")
    con.close()
    before = sha256(project / "mine.duckdb")
    for command in (["report"], ["ingest"], ["query", "select 1", "--no-refresh"]):
        proc = run_cli(*command, "--db", "mine.duckdb", cwd=project)
        assert proc.returncode == 1, command
        assert "mine.duckdb is a DuckDB database but not a dlbench warehouse" in proc.stderr \
            or "mine.duckdb is not a dlbench warehouse; nothing was changed" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
    assert sha256(project / "mine.duckdb") == before
    con = duckdb.connect("mine.duckdb", read_only=True)
    assert con.execute("select * from customers").fetchall() == [(1, "Ada")]
    con.close()


def test_an_empty_file_is_not_a_warehouse(project):
    Path("empty.duckdb").write_bytes(b"")
    proc = run_cli("ingest", "--db", "empty.duckdb", cwd=project)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: empty.duckdb is not a dlbench warehouse; nothing was changed")
    assert Path("empty.duckdb").read_bytes() == b""


def _a_device() -> str:
    """A character device to give as --db. As root, a copy of /dev/null's node in the test's folder:
    the real /dev/null is never offered to code under test that might replace it (the bug did)."""
    if os.geteuid() != 0:
        return "/dev/null"  # not replaceable without root
    os.mknod("null-device", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return "null-device"


@pytest.mark.parametrize("command", [["query", "select 1"], ["ingest"], ["report", "--no-refresh"]])
def test_device_files_and_fifos_are_refused_as_db(project, command):
    device = _a_device()
    proc = run_cli(*command, "--db", device, cwd=project, timeout=60)
    assert (proc.returncode, proc.stderr) == (
        1, f"Error: {device} is a character device, not a dlbench warehouse; nothing was changed\n")
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert not os.path.exists(device + ".lock")
    os.mkfifo("pipe.duckdb")
    proc = run_cli(*command, "--db", "pipe.duckdb", cwd=project, timeout=60)
    assert (proc.returncode, proc.stderr) == (
        1, "Error: pipe.duckdb is a FIFO (named pipe), not a dlbench warehouse; nothing was changed\n")
    assert stat.S_ISFIFO(os.stat("pipe.duckdb").st_mode)


@pytest.mark.slow  # several processes
def test_a_warehouse_is_still_rebuilt_in_place(seed_db):
    """The other side of the rule: a dlbench warehouse is replaced as before."""
    assert build.identify(str(seed_db)) == "warehouse"
    Path("benchmark.toml").write_text(SEED.read_text() + "\n# one more line\n")
    proc = run_cli("ingest", "-q", cwd=seed_db.parent)
    assert (proc.returncode, proc.stderr) == (0, "")


# -- 2. a stale write-ahead log ----------------------------------------------------------------
def _write_and_die(db: Path) -> None:
    """A DuckDB client that writes to the warehouse and dies before its checkpoint: a .wal stays."""
    code = ("import duckdb, os\n"
            f"con = duckdb.connect({str(db)!r})\n"
            "con.execute(\"SET checkpoint_threshold='1TB'\")\n"
            "con.execute('update runs set line = line + 1000')\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert Path(str(db) + ".wal").exists()


@pytest.mark.slow  # processes over a stale write-ahead log
def test_a_stale_wal_is_removed_when_the_new_warehouse_goes_in(seed_db):
    _write_and_die(seed_db)
    Path("benchmark.toml").write_text(SEED.read_text() + "\n# changed\n")
    proc = run_cli("ingest", "-q", cwd=seed_db.parent)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert not Path(str(seed_db) + ".wal").exists()
    proc = run_cli("query", "select max(line) as line from runs", cwd=seed_db.parent)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "line\n316\n", "")


@pytest.mark.slow  # processes over a damaged write-ahead log
def test_a_warehouse_left_with_a_mismatched_wal_is_rebuilt(seed_db):
    """The state older versions left behind (a new file beside the old file's log): rebuilt, and said so."""
    _write_and_die(seed_db)
    wal_path = Path(str(seed_db) + ".wal")
    wal, written = wal_path.read_bytes(), wal_path.stat()
    Path("benchmark.toml").write_text(SEED.read_text() + "\n# changed\n")
    assert run_cli("ingest", "-q", cwd=seed_db.parent).returncode == 0
    wal_path.write_bytes(wal)  # as the old rename left it: the log of the file before, older than the new one
    os.utime(wal_path, ns=(written.st_atime_ns, written.st_mtime_ns))
    proc = run_cli("query", "select count(*) as runs from runs", "--no-refresh", cwd=seed_db.parent)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("Error: the warehouse warehouse.duckdb is damaged (")
    proc = run_cli("query", "select count(*) as runs from runs", cwd=seed_db.parent)
    assert (proc.returncode, proc.stdout) == (0, "runs\n26\n"), proc.stderr
    assert re.fullmatch(r"dlbench: rebuilt warehouse.duckdb from 1 file\(s\) \(26 runs\): it was damaged "
                        r"\(.*WAL.*\)\n", proc.stderr), proc.stderr
    assert not Path(str(seed_db) + ".wal").exists()


@pytest.mark.slow  # a process paused and interrupted
def test_interrupted_after_the_rename_says_so(seed_db):
    """A message never says "unchanged" after the warehouse was replaced."""
    (seed_db.parent / "data" / "more.toml").write_text(SEED.read_text().replace("nvidia-titan-x", "other-box"))
    env = dict(os.environ, PYTHONPATH=str(ROOT), DLBENCH_PAUSE_AT="renamed")
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "ingest"], cwd=seed_db.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline() == "dlbench: paused at renamed\n"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out) == (130, "")
    assert err == "Interrupted; warehouse.duckdb had already been replaced by the new build, which is complete.\n"


# -- 3. a damaged warehouse -------------------------------------------------------------------
# Where to damage a seed warehouse: it is written in DuckDB 1.1's storage format (so that 1.x
# clients open it), where a small warehouse's catalog and tables share the first 256 KiB block
# after the 12 KiB header, checksummed as one; the rest of the file is free space, whose damage
# nobody ever reads. "catalog": the block's start; "data": its middle, where the rows are.
DAMAGE_AT = {"catalog": 12288, "data": 12288 + 131072}


def _damage(db: Path, offset: int) -> None:
    with open(db, "r+b") as fh:
        fh.seek(offset)
        fh.write(random.Random(9).randbytes(4096))


@pytest.mark.slow  # damages and rebuilds warehouses, with processes
@pytest.mark.parametrize("where", ["data", "catalog"])
def test_a_damaged_warehouse_is_rebuilt_or_reported(seed_db, where):
    good = cli("report").stdout
    _damage(seed_db, DAMAGE_AT[where])
    damaged = sha256(seed_db)
    for command in (["report"], ["export", "json"], ["query", "select sum(value) as n from measurements"]):
        proc = run_cli(*command, "--no-refresh", cwd=seed_db.parent)
        assert (proc.returncode, proc.stdout) == (1, ""), command
        assert proc.stderr.startswith("Error: the warehouse warehouse.duckdb is damaged ("), proc.stderr
        assert proc.stderr.rstrip().endswith("to rebuild it from its sources")
        assert sha256(seed_db) == damaged
    proc = run_cli("report", cwd=seed_db.parent)
    assert (proc.returncode, proc.stdout) == (0, good), proc.stderr
    assert proc.stderr.startswith("dlbench: rebuilt warehouse.duckdb from 1 file(s) (26 runs): it was damaged (")
    assert build.verify_readable(str(seed_db)) is None


def test_ingest_rebuilds_a_damaged_warehouse_and_says_so(seed_db):
    _damage(seed_db, DAMAGE_AT["data"])
    assert build.verify_readable(str(seed_db)) is not None
    proc = run_cli("ingest", "-q", cwd=seed_db.parent)  # the same files: nothing changed but the damage
    assert proc.returncode == 0
    assert proc.stderr.startswith("dlbench: rebuilt warehouse.duckdb from its sources: it was damaged (")
    assert build.verify_readable(str(seed_db)) is None


def test_a_file_with_a_duckdb_header_and_nothing_else_is_not_rebuilt_over(project):
    Path("warehouse.duckdb").write_bytes(b"\0" * 8 + b"DUCK" + b"\0" * 5000)
    before = sha256(project / "warehouse.duckdb")
    proc = run_cli("report", cwd=project)
    assert proc.returncode == 1 and "is not a dlbench warehouse" in proc.stderr, proc.stderr
    assert sha256(project / "warehouse.duckdb") == before


# -- 4-6. positions -----------------------------------------------------------------------------
def test_crlf_files_give_the_same_lines_as_lf(project):
    Path("lf.toml").write_text(SEED.read_text())
    Path("crlf.toml").write_bytes(SEED.read_bytes().replace(b"\n", b"\r\n"))
    ingest(["lf.toml"], "lf.duckdb")
    ingest(["crlf.toml"], "crlf.duckdb")
    lf, crlf = lines_of("lf.duckdb"), lines_of("crlf.duckdb")
    assert lf == {**crlf, "ingest_warnings": lf["ingest_warnings"]}  # warnings name their own file
    assert lf["runs"] != [(1,)] * 26 and len(set(lf["runs"])) == 26
    assert crlf["ingest_warnings"] == lf["ingest_warnings"] == [(27,)]


def test_crlf_findings_name_the_same_lines(project):
    bad = (ROOT / "tests" / "data" / "bad" / "type-forward.toml").read_bytes()
    Path("lf.toml").write_bytes(bad)
    Path("crlf.toml").write_bytes(bad.replace(b"\n", b"\r\n"))
    lf, crlf = cli("validate", "lf.toml"), cli("validate", "crlf.toml")
    assert crlf.exit_code == lf.exit_code == 2
    assert crlf.stderr.replace("crlf.toml", "lf.toml") == lf.stderr
    assert ":1:1:" not in lf.stderr


def test_crlf_big_file_is_split_with_the_same_lines(project, monkeypatch):
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(pipeline, "BATCH_BYTES", 4000)
    section = SEED.read_text()[SEED.read_text().index("[nvidia-titan-x]"):]
    text = "".join(section.replace("nvidia-titan-x", f"box-{i}") for i in range(6))
    Path("lf.toml").write_text(text)
    Path("crlf.toml").write_bytes(text.encode().replace(b"\n", b"\r\n"))
    assert len(pipeline.split_sections(Path("crlf.toml").read_bytes().decode())) == 6
    ingest(["lf.toml"], "lf.duckdb")
    ingest(["crlf.toml"], "crlf.duckdb")
    lf, crlf = lines_of("lf.duckdb"), lines_of("crlf.duckdb")
    assert {k: v for k, v in lf.items() if k != "ingest_warnings"} == \
        {k: v for k, v in crlf.items() if k != "ingest_warnings"}


STRINGS = '''[m]
name = "M"
notes = """
[[m.models]]
name = "not a model: a line of the notes"
"""
literal = \'\'\'
[[m.models]]
\'\'\'
matrix = [
  ["a"],
  [[1, 2]],
]
[[m.models]]
name = "A"
[[m.models.frameworks]]
name = "T"
version = "1"
forward = 1
memory = "1MB"
'''


def test_header_like_lines_inside_strings_and_arrays_are_not_headers(project):
    assert header_lines(STRINGS) == {("m",): (1, 1), ("m", "models", 0): (14, 1),
                                     ("m", "models", 0, "frameworks", 0): (16, 1)}
    Path("s.toml").write_text(STRINGS)
    ingest(["s.toml"], "w.duckdb")
    con = duckdb.connect("w.duckdb", read_only=True)
    assert con.execute("select line from models").fetchall() == [(14,)]
    assert con.execute("select line from runs").fetchall() == [(16,)]


def test_top_level_array_of_tables_warning_names_its_line(project):
    Path("t.toml").write_text('# a comment\n\n[[releases]]\nname = "x"\n[m]\nname = "M"\n')
    result = cli("validate", "t.toml")
    assert "warning: t.toml:3:1: releases: top-level key 'releases' is not a machine table" in result.stderr


def test_file_level_findings_have_no_made_up_position(project):
    os.mkdir("dir.toml")
    result = cli("validate", "dir.toml", "--format", "json")
    finding = json.loads(result.stdout)["findings"][0]
    assert (finding["line"], finding["column"], finding["message"]) == (None, None, "is a directory")
    assert cli("validate", "dir.toml").stderr.startswith("error: dir.toml: is a directory; expected a TOML file")


def test_a_duplicate_key_is_named_where_it_is_given_again(project):
    result = cli("validate", str(ROOT / "tests" / "data" / "bad" / "syntax-duplicate-key.toml"))
    assert result.stderr.splitlines()[0].endswith(
        "syntax-duplicate-key.toml:7:3: gpu.name: TOML syntax error: Cannot overwrite a value; "
        "expected valid TOML (see https://toml.io)")


# -- 7-9. inputs that hang, explode or crash --------------------------------------------------------
DEPTH = "expected at most 100 levels"


@pytest.mark.parametrize("depth, where", [(150, "3:1: m.q[0]"), (450, "3:105:"), (3000, None)])
def test_deep_nesting_is_an_error_not_a_crash(project, depth, where):
    if where is None:  # a header of 3000 dotted parts
        text = "[" + ".".join(f"k{i}" for i in range(depth)) + "]\nx = 1\n"
    else:
        text = '[m]\nname = "M"\nq = ' + "[" * depth + "1" + "]" * depth + "\n"
    Path("deep.toml").write_text(text)
    proc = run_cli("ingest", "deep.toml", "--db", "w.duckdb", cwd=project)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith("error: deep.toml:") and first.endswith(f"nested too deep; {DEPTH}")
    if where:
        assert first.startswith(f"error: deep.toml:{where}")
    assert not Path("w.duckdb").exists()


def test_a_fifo_input_is_refused_at_once(seed_db):
    os.mkfifo("pipe.toml")
    before = sha256(seed_db)
    proc = run_cli("ingest", "pipe.toml", cwd=seed_db.parent, timeout=60)
    assert proc.returncode == 2
    assert "error: pipe.toml: is a FIFO (named pipe); expected a TOML file" in proc.stderr
    assert sha256(seed_db) == before


def test_a_link_to_a_device_is_refused(project):
    os.symlink("/dev/zero", "zero.toml")
    proc = run_cli("validate", "zero.toml", cwd=project, timeout=60)
    assert proc.returncode == 2
    assert "error: zero.toml: is a character device; expected a TOML file" in proc.stderr


def test_an_input_above_the_size_limit_is_refused(project):
    with open("huge.toml", "wb") as fh:  # sparse: no disk used
        fh.truncate(document.MAX_INPUT_BYTES + 1)
    proc = run_cli("validate", "huge.toml", cwd=project, timeout=60)
    assert proc.returncode == 2
    assert ("error: huge.toml: is 1,073,741,825 bytes, above the limit of 1,073,741,824 bytes; "
            "expected a TOML file of at most 1,073,741,824 bytes (1 GiB)") in proc.stderr


def test_top_level_values_before_the_first_machine_keep_a_file_splittable(project, monkeypatch):
    monkeypatch.setenv("DLBENCH_WORKERS", "1")  # batches read in this process, where the spy is
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(pipeline, "BATCH_BYTES", 4000)
    section = SEED.read_text()[SEED.read_text().index("[nvidia-titan-x]"):]
    text = 'title = "results"\nyear = 2016\n\n' + "".join(
        section.replace("nvidia-titan-x", f"box-{i}") for i in range(6))
    Path("p.toml").write_text(text)
    calls = []
    real = pipeline._read_batch
    monkeypatch.setattr(pipeline, "_read_batch", lambda job: calls.append(len(job[1])) or real(job))
    ingest(["p.toml"], "split.duckdb")
    assert sum(calls) == 6  # read section by section, not in one piece
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", float("inf"))
    ingest(["p.toml"], "whole.duckdb")
    from test_big_files import contents

    split, whole = contents("split.duckdb"), contents("whole.duckdb")
    split.pop("source_sections"), whole.pop("source_sections")
    assert split == whole
    con = duckdb.connect("split.duckdb", read_only=True)
    assert json.loads(con.execute("select extra from sources").fetchone()[0]) == {"title": "results", "year": 2016}


def test_a_prefix_key_that_is_also_a_machine_is_read_whole(project, monkeypatch):
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 10)
    Path("p.toml").write_text('a = 1\n[a]\nname = "A"\n')  # invalid TOML: a defined twice
    assert "TOML syntax error" in str(cli("validate", "p.toml").stderr)


# -- 10-12. query ------------------------------------------------------------------------------------
def test_query_cannot_read_the_folder_beside_the_warehouse(seed_db, tmp_path_factory):
    secret = tmp_path_factory.mktemp("secret")
    (secret / "passwd").write_text("root:x:0:0\n")
    os.symlink(secret, "warehouse.duckdb.tmp")
    for sql in ("select * from read_text('warehouse.duckdb.tmp/passwd')",
                "select * from glob('warehouse.duckdb.tmp/*')"):
        proc = run_cli("query", sql, cwd=seed_db.parent)
        assert proc.returncode == 1, sql
        assert "root:x" not in proc.stdout and "passwd" not in proc.stdout
        assert "Permission Error" in proc.stderr


def test_query_file_must_be_utf8_text(seed_db):
    Path("q.sql").write_bytes(b"select 1 as \xff")
    proc = run_cli("query", "--file", "q.sql", cwd=seed_db.parent)
    assert (proc.returncode, proc.stderr) == (
        2, "Error: --file q.sql is not UTF-8 text (byte 0xff at offset 12); expected a SQL file encoded as UTF-8\n")
    proc = run_cli("query", "--file", "/dev/zero", cwd=seed_db.parent, timeout=60)
    assert (proc.returncode, proc.stderr) == (
        2, "Error: --file /dev/zero is a character device; expected a SQL text file of at most 1,048,576 bytes\n")


@pytest.mark.slow  # a process signalled mid-query
def test_ctrl_c_stops_a_running_query(seed_db, popen_cli):
    proc = popen_cli("query", RUNAWAY, cwd=seed_db.parent)
    time.sleep(3)  # well into the query
    assert proc.poll() is None
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 5
    assert (proc.returncode, out, err) == (130, "", "Interrupted; the previous warehouse is unchanged.\n")


@pytest.mark.slow  # a process signalled mid-query
def test_sigterm_stops_a_running_query(seed_db, popen_cli):
    proc = popen_cli("query", RUNAWAY, cwd=seed_db.parent)
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (130, "Interrupted; the previous warehouse is unchanged.\n")


@pytest.mark.slow  # waits for a query's time limit
def test_a_query_stops_at_its_time_limit(seed_db, monkeypatch):
    start = time.monotonic()
    proc = run_cli("query", RUNAWAY, "--timeout", "1.5", cwd=seed_db.parent, timeout=60)
    assert time.monotonic() - start < 20
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == ("Error: the query ran longer than 1.5 s and was stopped; give --timeout SECONDS "
                           "(0: no limit) or DLBENCH_QUERY_TIMEOUT for more\n")
    proc = run_cli("query", RUNAWAY, cwd=seed_db.parent, env={"DLBENCH_QUERY_TIMEOUT": "1"}, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: the query ran longer than 1 s and was stopped")


def test_a_query_runs_under_a_memory_limit(seed_db):
    sql = "select current_setting('memory_limit') as m"
    assert cli("query", sql, "--format", "csv").stdout == "m\n1.8 GiB\n"  # the 2GB default
    assert cli("query", sql, "--format", "csv", "--memory-limit", "500MB").stdout == "m\n476.8 MiB\n"
    result = cli("query", sql, "--format", "csv", env={"DLBENCH_MEMORY_LIMIT": "1GiB"})
    assert result.stdout == "m\n1.0 GiB\n"
    bad = cli("query", sql, "--memory-limit", "lots")
    assert bad.exit_code == 2
    assert "memory limit 'lots'; expected a size such as 2GB, 500MB or 4GiB" in bad.stderr


# -- 13. one line per interruption, quiet workers ----------------------------------------------------
def _big_file(path: str, machines: int = 300) -> None:
    section = SEED.read_text()[SEED.read_text().index("[nvidia-titan-x]"):]
    Path(path).write_text("".join(section.replace("nvidia-titan-x", f"box-{i:03}") for i in range(machines)))


def _wait_for_workers(pid: int, timeout: float = 120) -> None:
    """Wait until process `pid` has child processes (the ingest's workers are reading)."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the ingest reads in one process, without workers")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                            time.sleep(0.5)  # into their first batches
                            return
                except (OSError, IndexError, ValueError):
                    pass
        time.sleep(0.05)
    raise AssertionError("the ingest started no worker processes")


@pytest.mark.slow  # interrupts a parallel ingest process
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_parallel_ingest_prints_one_line(seed_db, popen_cli, signum):
    _big_file("benchmark.toml", 1200)  # about 7 MB: read by two worker processes
    before = sha256(seed_db)
    proc = popen_cli("ingest", cwd=seed_db.parent)
    _wait_for_workers(proc.pid)
    assert proc.poll() is None
    os.killpg(proc.pid, signum)  # as a terminal's Ctrl-C does: the whole process group
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (130, "", "Interrupted; the previous warehouse is unchanged.\n")
    assert sha256(seed_db) == before


@pytest.mark.slow  # kills an ingest and waits for its workers
def test_workers_of_a_killed_ingest_exit_quietly(seed_db, popen_cli):
    _big_file("benchmark.toml", 1200)
    proc = popen_cli("ingest", cwd=seed_db.parent)
    _wait_for_workers(proc.pid)
    proc.kill()  # the parent only: its workers find the pipe gone
    out, err = proc.communicate(timeout=60)  # stderr closes when the last worker has exited
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


# -- 14. a line shift is not a change ----------------------------------------------------------------
@pytest.mark.slow  # builds a big file three times
def test_a_line_shift_reads_no_section_again(project, monkeypatch):
    # its cost against a full build is measured by the benchmark (python -m bench: the line-shift case)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 1000)
    _big_file("benchmark.toml", 400)
    ingest(None, "inc.duckdb")
    Path("benchmark.toml").write_text("# one comment line at the top\n" + Path("benchmark.toml").read_text())
    read_again = []
    real = pipeline.read_sections
    monkeypatch.setattr(pipeline, "read_sections", lambda path, text, sections, *a, **k: (
        read_again.extend(s.key for s in sections), real(path, text, sections, *a, **k))[1])
    summary = ingest(None, "inc.duckdb")  # 399 sections only moved down a line
    assert read_again == [] and summary.counts["runs"] == 400 * 26
    ingest(None, "full.duckdb")
    from test_big_files import contents

    assert contents("inc.duckdb") == contents("full.duckdb")


def test_an_update_of_most_of_a_file_is_a_full_build(project, monkeypatch):
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 1000)
    _big_file("benchmark.toml", 20)
    ingest(None, "w.duckdb")
    Path("benchmark.toml").write_text(Path("benchmark.toml").read_text().replace("forward = ", "forward = 1"))
    from dlbench.warehouse import build_version

    assert incremental.update("w.duckdb", ["benchmark.toml"], "default", None, build_version()) is None
