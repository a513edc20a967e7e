"""The warehouse core: what an ingest of the seed stores, refresh, locking and the library's errors.

Bad input files, one per kind, are in tests/data/bad/ and checked by tests/test_bad_input.py.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, run_cli, sha256
from dlbench.errors import InvalidInput
from dlbench.warehouse import build_warehouse as ingest

ALEXNET_LEAF_CUDNN4 = """
    SELECT r.run_id, r.line, r.libraries,
           max(CASE WHEN m.metric = 'forward_ms' THEN m.value END) AS forward_ms,
           max(CASE WHEN m.metric = 'backward_ms' THEN m.value END) AS backward_ms,
           max(CASE WHEN m.metric = 'memory_bytes' THEN m.value END) AS memory_bytes
    FROM runs r
    JOIN models mo USING (model_id)
    JOIN frameworks f USING (framework_id)
    LEFT JOIN measurements m USING (run_id)
    WHERE mo.name = ? AND f.name = ? AND f.version = ? AND r.libraries = ?
    GROUP BY ALL
"""


def one(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


# -- the seed ------------------------------------------------------------------
def test_seed_counts(seed_db):
    con = duckdb.connect(str(seed_db), read_only=True)
    counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("machines", "devices", "models", "frameworks", "runs", "run_libraries",
                        "measurements", "sources")}
    assert counts == {"machines": 1, "devices": 1, "models": 4, "frameworks": 6, "runs": 26,
                      "run_libraries": 26, "measurements": 26 * 2 + 25, "sources": 1}
    assert one(con, "select name from models order by position") == [
        ("Alexnet",), ("Overfeat",), ("VGG [A]",), ("GoogleNet",)]


def test_seed_values_and_trace(seed_db):
    con = duckdb.connect(str(seed_db), read_only=True)
    rows = one(con, ALEXNET_LEAF_CUDNN4, "Alexnet", "Leaf", "0.2", "cuDNN 4")
    assert len(rows) == 1
    _, line, libraries, forward, backward, memory = rows[0]
    assert (forward, backward, memory) == (25.0, 63.0, None)
    # the run records where its entry starts: the [[...frameworks]] header of Leaf 0.2 + cuDNN 4
    assert line == 27
    assert Path("benchmark.toml").read_text().splitlines()[line - 1].strip() == "[[nvidia-titan-x.models.frameworks]]"
    # Tensorflow 0.7.1 on VGG [A]: 11520MB, MB being 1000**2 bytes
    rows = one(con, ALEXNET_LEAF_CUDNN4, "VGG [A]", "Tensorflow", "0.7.1", "cuDNN 4")
    assert rows[0][5] == 11_520_000_000
    written = one(con, """select m.written from measurements m join runs r using (run_id)
                          where r.run_id = ? and m.metric = 'memory_bytes'""", rows[0][0])
    assert json.loads(written[0][0]) == "11520MB"


def test_seed_machine_and_device_are_typed(seed_db):
    con = duckdb.connect(str(seed_db), read_only=True)
    assert one(con, """select machine_key, name, type, host_cores, host_cores_text, host_cache_bytes,
                              host_ram_bytes, host_ram_text, line from machines""") == [
        ("nvidia-titan-x", "Nvidia Titan X", "GPU", 8, "8", 8_000_000, 8_000_000_000, "8GB", 4)]
    assert one(con, """select name, memory_bytes, memory_text, cores, memory_bandwidth_bytes_per_s,
                              memory_bandwidth_text, quantity, line from devices""") == [
        ("Nvidia Titan X", 12_000_000_000, "12GB", 3072, 336_500_000_000, "336.5GB/s", 1, 15)]


def test_seed_source_is_recorded(seed_db):
    con = duckdb.connect(str(seed_db), read_only=True)
    path, digest, size, machines, runs, measurements, warnings = one(
        con, "select path, sha256, size_bytes, machines, runs, measurements, warnings from sources")[0]
    assert (path, machines, runs, measurements, warnings) == ("benchmark.toml", 1, 26, 77, 1)
    assert digest == sha256(Path("benchmark.toml"))
    assert size == Path("benchmark.toml").stat().st_size
    # the one warning: Leaf 0.2 + cuDNN 4 on Alexnet has no memory
    assert one(con, "select file, line, key_path, message from ingest_warnings") == [
        ("benchmark.toml", 27, "nvidia-titan-x.models[0].frameworks[0]",
         "no 'memory' given; memory comparisons will leave this run out")]


def test_ids_are_stable_across_ingests(project):
    def ids(db):
        con = duckdb.connect(db, read_only=True)
        return {t: sorted(r[0] for r in con.execute(f"select {c} from {t}").fetchall())
                for t, c in (("machines", "machine_id"), ("models", "model_id"), ("runs", "run_id"),
                             ("frameworks", "framework_id"), ("devices", "device_id"))}

    ingest(None, "a.duckdb")
    ingest(None, "b.duckdb")
    first, second = ids("a.duckdb"), ids("b.duckdb")
    assert first == second
    assert len(set(first["runs"])) == 26
    # adding another file does not move the ids of the seed's rows
    Path("data/more.toml").write_text(OTHER_MACHINE)
    ingest(None, "c.duckdb")
    third = ids("c.duckdb")
    assert set(first["runs"]) < set(third["runs"])
    assert set(first["models"]) < set(third["models"])


OTHER_MACHINE = """
[cpu-box]
name = "A CPU box"
type = "CPU"
[[cpu-box.models]]
name = "AlexNet"
[[cpu-box.models.frameworks]]
name = "Torch"
version = "7"
forward = 900.5
backward = 1800
memory = "2GiB"
"""


def test_same_run_across_files(seed_db):
    Path("data/again.toml").write_text(Path("benchmark.toml").read_text())
    before = sha256(seed_db)
    proc = run_cli("ingest", cwd=seed_db.parent)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 26
    assert errors[0] == ("error: data/again.toml:27:5: nvidia-titan-x.models[0].frameworks[0]: the same run as "
                         "benchmark.toml:27 (machine 'nvidia-titan-x', Leaf 0.2 + cuDNN 4); expected each machine, "
                         "workload, mode, threads, date, framework, version, libraries and precision at most once")
    assert sha256(seed_db) == before


def test_same_machine_in_two_files_merges(seed_db):
    seed = Path("benchmark.toml").read_text()
    header = seed[: seed.index("  [[nvidia-titan-x.models]]")]
    Path("data/more.toml").write_text(header + """
  [[nvidia-titan-x.models]]
    name = "ResNet-50"
    [[nvidia-titan-x.models.frameworks]]
      name = "Torch"
      version = "07/03/2016"
      forward = 100
      backward = 200
      memory = "6000MB"
""")
    summary = ingest(None, "warehouse.duckdb")
    assert summary.counts["machines"] == 1
    assert summary.counts["runs"] == 27
    con = duckdb.connect("warehouse.duckdb", read_only=True)
    assert one(con, "select s.path, r.line from runs r join sources s using (source_id) "
                    "join models m using (model_id) where m.name = 'ResNet-50'") == [("data/more.toml", 25)]


# -- warnings ------------------------------------------------------------------
def test_warnings_keep_everything(project):
    Path("benchmark.toml").write_text("""
[m]
name = "M"
owner = "lab"
[[m.devices]]
name = "GPU"
memory = "1GB"
[[m.models]]
name = "A"
[[m.models.frameworks]]
name = "T"
version = "1"
forward = 10
backward = 20
total = 35
memory = "2GB"
power_watts = 250
notes = "warm cache"
""")
    summary = ingest(None, "warehouse.duckdb")
    assert [str(w) for w in summary.warnings] == [
        "benchmark.toml:4:1: m.owner: unknown key 'owner' in a machine; kept in its extra column",
        "benchmark.toml:16:1: m.models[0].frameworks[0].memory: memory 2GB is above the machine's total device "
        "memory (1000MB); expected at most the devices' memory",
        "benchmark.toml:17:1: m.models[0].frameworks[0].power_watts: unknown key 'power_watts' on a framework entry; "
        "kept as measurement 'power_watts'",
        "benchmark.toml:18:1: m.models[0].frameworks[0].notes: unknown key 'notes' on a framework entry; kept in runs.extra",
        "benchmark.toml:15:1: m.models[0].frameworks[0].total: reported total 35 ms differs from forward + backward "
        "= 30 ms by more than 1 ms; expected forward + backward within 1 ms",
    ]
    con = duckdb.connect("warehouse.duckdb", read_only=True)
    assert json.loads(one(con, "select extra from machines")[0][0]) == {"owner": "lab"}
    assert json.loads(one(con, "select extra from runs")[0][0]) == {"notes": "warm cache"}
    assert one(con, "select metric, value, unit from measurements order by metric") == [
        ("backward_ms", 20.0, "ms"), ("forward_ms", 10.0, "ms"), ("memory_bytes", 2e9, "bytes"),
        ("power_watts", 250.0, None), ("total_ms", 35.0, "ms")]
    assert one(con, "select count(*) from ingest_warnings") == [(5,)]


# -- refresh, atomicity, locking -------------------------------------------------
@pytest.mark.slow  # four processes
def test_query_builds_a_missing_warehouse_and_refreshes_a_stale_one(project):
    proc = run_cli("query", "select count(*) as runs from runs", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "runs\n26\n"
    assert "rebuilt warehouse.duckdb" in proc.stderr
    proc = run_cli("query", "select count(*) as runs from runs", cwd=project)
    assert proc.stderr == ""  # up to date: no rebuild
    Path("data/more.toml").write_text(OTHER_MACHINE)
    proc = run_cli("query", "select count(*) as runs from runs", "--format", "json", cwd=project)
    assert json.loads(proc.stdout) == [{"runs": 27}]
    assert "rebuilt" in proc.stderr
    Path("data/more.toml").write_text(OTHER_MACHINE.replace("900.5", "901"))
    proc = run_cli("query", "select value from measurements where value = 901", "--no-refresh", cwd=project)
    assert proc.stdout == "value\n"  # --no-refresh reads the stale warehouse as it is


def test_no_refresh_without_warehouse(project):
    proc = run_cli("query", "select 1", "--no-refresh", cwd=project)
    assert proc.returncode == 2
    assert proc.stderr == "Error: no warehouse at warehouse.duckdb; run `python cli.py ingest` first\n"


def test_db_option_and_env(project):
    proc = run_cli("ingest", "--db", "other.duckdb", cwd=project)
    assert proc.returncode == 0
    assert Path("other.duckdb").exists() and not Path("warehouse.duckdb").exists()
    proc = run_cli("query", "select count(*) from runs", "--no-refresh", cwd=project,
                   env={"DLBENCH_DB": "other.duckdb"})
    assert proc.stdout.splitlines()[1] == "26"


def test_ingest_summary(project):
    proc = run_cli("ingest", cwd=project)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Ingested 1 file(s) into warehouse.duckdb in ")
    assert lines[1:] == ["  machines            1", "  models              4", "  runs               26",
                         "  measurements       77", "  warnings            1"]
    assert proc.stderr.startswith("warning: benchmark.toml:27:5: nvidia-titan-x.models[0].frameworks[0]: no 'memory'")


@pytest.mark.slow  # a process paused and killed
def test_sigkill_mid_ingest_leaves_the_old_warehouse(seed_db):
    before = sha256(seed_db)
    Path("data/more.toml").write_text(OTHER_MACHINE)
    env = dict(os.environ, DLBENCH_PAUSE_AT="loaded", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "ingest"], cwd=seed_db.parent, env=env,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline().strip() == "dlbench: paused at loaded"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert sha256(seed_db) == before
    con = duckdb.connect(str(seed_db), read_only=True)
    assert con.execute("select count(*) from runs").fetchone() == (26,)
    con.close()
    assert ingest(None, "warehouse.duckdb").counts["runs"] == 27
    assert not [p for p in seed_db.parent.iterdir() if ".tmp-" in p.name]


def test_invalid_input_raises_from_library(project):
    Path("bad.toml").write_text("[m]\n")
    with pytest.raises(InvalidInput) as info:
        ingest(["bad.toml"], "warehouse.duckdb")
    assert [str(f) for f in info.value.findings] == [
        "bad.toml:1:1: m: missing required key 'name'; expected name = a string such as \"Nvidia Titan X\""]
    assert not Path("warehouse.duckdb").exists()


def test_every_command_has_help():
    import typer.main  # typer vendors its own click: walk its objects by their attributes

    from dlbench.cli import app

    group = typer.main.get_command(app)

    def walk(cmd, name):
        yield name, cmd
        for sub, c in getattr(cmd, "commands", {}).items():
            yield from walk(c, f"{name} {sub}")

    names = [name for name, _ in walk(group, "cli.py")]
    assert {"cli.py ingest", "cli.py validate", "cli.py query", "cli.py report", "cli.py views",
            "cli.py export json", "cli.py export parquet", "cli.py export sql"} <= set(names)
    for name, cmd in walk(group, "cli.py"):
        assert (cmd.help or "").strip(), f"{name} has no help text"
        for param in cmd.params:
            if param.param_type_name == "option" and param.name != "help":
                assert (param.help or "").strip(), f"{name} {param.opts[0]} has no help text"


def test_query_reads_only_the_warehouse(seed_db):
    Path("secret.csv").write_text("a\n1\n")
    proc = run_cli("query", "select * from read_csv('secret.csv')", cwd=seed_db.parent)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith('Error: Permission Error: Cannot access file "secret.csv" - file system '
                                  "operations are disabled by configuration")


def test_a_warehouse_built_from_other_sql_is_rebuilt(seed_db, monkeypatch):
    """An edited view (or an older checkout's) makes the warehouse stale, like a changed source."""
    from dlbench import sqlfiles, warehouse

    assert warehouse.stale_reason("warehouse.duckdb") is None
    monkeypatch.setattr(sqlfiles, "fingerprint", lambda: "0" * 64)
    assert warehouse.stale_reason("warehouse.duckdb") == "the warehouse was built by another version of dlbench or of its SQL"
    assert warehouse.refresh("warehouse.duckdb").counts["runs"] == 26
    assert warehouse.stale_reason("warehouse.duckdb") is None


# -- the run's natural key (ingest.document.RunKey) ---------------------------------
def _two_entries(model: str, first: str, second: str) -> str:
    """A machine with a model whose two framework entries (the same stack) differ in `first` / `second`."""
    entry = '\n[[m.models.frameworks]]\nname = "Torch"\nversion = "7"\nforward = {}\nbackward = 20\nmemory = "1GB"\n'
    return ('[m]\nname = "M"\ntype = "CPU"\n\n[[m.models]]\nname = "AlexNet"\n' + model
            + entry.format(10) + first + entry.format(11) + second)


@pytest.mark.parametrize("model,first,second", [
    ("", 'mode = "training"\n', 'mode = "inference"\n'),  # a training and an inference run
    ("", "threads = 1\n", "threads = 4\n"),  # two thread counts
    ("", "date = 2016-01-01\n", "date = 2017-01-01\n"),  # the same stack measured again later
    ("", "", 'mode = "inference"\n'),  # no mode is training
], ids=["mode", "threads", "date", "default-mode"])
def test_runs_that_differ_in_how_or_when_they_ran_are_two_runs(project, model, first, second):
    Path("two.toml").write_text(_two_entries(model, first, second))
    ingest(["two.toml"], "warehouse.duckdb")
    con = duckdb.connect("warehouse.duckdb", read_only=True)
    got = one(con, "SELECT count(DISTINCT run_id), count(DISTINCT stack_id) FROM runs")
    con.close()
    assert got == [(2, 1)]  # two runs of one stack


def test_two_batch_sizes_or_shapes_of_one_model_are_two_runs(project):
    text = '[m]\nname = "M"\ntype = "CPU"\n'
    for model in ("batch_size = 64", "batch_size = 128", 'batch_size = 128\ninput = "3x299x299"',
                  'type = "kernel"\nop = "gemm"\nm = 1760\nn = 128\nk = 1760', 'type = "kernel"\nop = "gemm"\nm = 1760\nn = 64\nk = 1760'):
        text += (f'\n[[m.models]]\nname = "AlexNet"\n{model}\n\n[[m.models.frameworks]]\nname = "Torch"\n'
                 'version = "7"\nforward = 10\nbackward = 20\nmemory = "1GB"\n')
    Path("sizes.toml").write_text(text)
    ingest(["sizes.toml"], "warehouse.duckdb")
    con = duckdb.connect("warehouse.duckdb", read_only=True)
    assert one(con, "SELECT count(DISTINCT run_id), count(DISTINCT stack_id) FROM runs") == [(5, 1)]
    con.close()


@pytest.mark.parametrize("same", ["", 'mode = "Inference"\nthreads = 2\ndate = 2016-01-01\n'],
                         ids=["plain", "every-key"])
def test_a_real_duplicate_is_still_refused_naming_both_lines(project, same):
    Path("dup.toml").write_text(_two_entries("batch_size = 64\n", same, same.replace("Inference", "inference")))
    with pytest.raises(InvalidInput) as info:
        ingest(["dup.toml"], "warehouse.duckdb")
    errors = [str(f) for f in info.value.findings if f.severity == "error"]
    line = 16 + same.count("\n")  # the second entry's header
    assert errors == [f"dup.toml:{line}:1: m.models[0].frameworks[1]: the same run as dup.toml:9 (machine 'm', "
                      "Torch 7); expected each machine, workload, mode, threads, date, framework, version, "
                      "libraries and precision at most once"]
    assert not Path("warehouse.duckdb").exists()
