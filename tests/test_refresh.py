"""The no-op refresh: an up-to-date warehouse is checked cheaply and opened once.

A source's stat (size, mtime and ctime in ns, inode) is recorded when it is read;
refresh hashes a file only when its stat changed, and rebuilds only when its
bytes did. A file written less than UNSURE_WITHIN_S before it was read has no
stat recorded (a second write within its timestamps' granularity could go
unseen): it is always hashed. The ingest is imported only to rebuild or hash.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import duckdb
import pytest

from conftest import ROOT

INGEST_MODULES = ("tomli", "dlbench.ingest.pipeline", "dlbench.ingest.document", "dlbench.ingest.build",
                  "dlbench.ingest.incremental")


@pytest.fixture
def settled_db(project, monkeypatch):
    """A seed warehouse whose source was written long enough before the build to have its stat
    recorded (the fixture's file was copied a moment ago: as if it had settled)."""
    from dlbench import warehouse

    monkeypatch.setattr(warehouse, "UNSURE_WITHIN_S", 0.0)
    warehouse.build_warehouse(None, "warehouse.duckdb")
    monkeypatch.setattr(warehouse, "UNSURE_WITHIN_S", 2.0)
    return project / "warehouse.duckdb"


def recorded(db="warehouse.duckdb") -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT size_bytes, mtime_ns, ctime_ns, inode FROM sources "
                           "WHERE path = 'benchmark.toml'").fetchone()


def hashes(monkeypatch) -> list[str]:
    """The files refresh reads for their sha256, from now on."""
    from dlbench.ingest import files

    seen: list[str] = []
    real = files.file_sha256
    monkeypatch.setattr(files, "file_sha256", lambda path: seen.append(os.path.basename(path)) or real(path))
    return seen


CHILD = """
import json, sys
from dlbench.cli import app
try:
    app(sys.argv[1:])
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "loaded": [m for m in %r if m in sys.modules]}))
"""


def cli_modules(*args, cwd) -> tuple[dict, subprocess.CompletedProcess]:
    """Run the CLI in a fresh process: its exit code and which ingest modules it imported."""
    proc = subprocess.run([sys.executable, "-c", CHILD % (INGEST_MODULES,), *args], cwd=cwd, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    return json.loads(proc.stdout.splitlines()[-1]), proc


def test_the_stat_of_a_settled_source_is_recorded(settled_db):
    st = os.stat("benchmark.toml")
    assert recorded() == (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def test_a_source_written_just_before_the_build_has_no_stat_and_is_hashed(seed_db, monkeypatch):
    """The fixture copied benchmark.toml a moment before the build: unsure, so NULL, so hashed."""
    from dlbench import warehouse

    assert recorded()[0] == os.path.getsize("benchmark.toml")
    assert recorded()[1:] == (None, None, None)
    seen = hashes(monkeypatch)
    assert warehouse.refresh("warehouse.duckdb") is None
    assert seen == ["benchmark.toml"]


def test_file_stats_is_unsure_within_two_seconds_of_a_write(project, monkeypatch):
    from dlbench import warehouse

    path = os.path.abspath("benchmark.toml")
    assert warehouse.file_stats(["benchmark.toml"]) == {path: None}
    later = time.time_ns() + int(2.5e9)
    monkeypatch.setattr(warehouse.time, "time_ns", lambda: later)
    st = os.stat(path)
    assert warehouse.file_stats(["benchmark.toml"]) == {path: (st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                                                               st.st_ino)}
    assert warehouse.file_stats(["data"]) == {os.path.abspath("data"): None}  # not a regular file
    assert warehouse.file_stats(["nope.toml"]) == {os.path.abspath("nope.toml"): None}


def test_an_unchanged_stat_skips_the_hash(settled_db, monkeypatch):
    from dlbench import warehouse

    seen = hashes(monkeypatch)
    assert warehouse.stale_reason("warehouse.duckdb") is None
    assert warehouse.refresh("warehouse.duckdb") is None
    assert seen == []


def test_a_touched_file_is_hashed_but_not_rebuilt(settled_db, monkeypatch):
    from dlbench import warehouse

    before = os.stat(settled_db).st_mtime_ns
    os.utime("benchmark.toml", ns=(time.time_ns(), time.time_ns()))
    seen = hashes(monkeypatch)
    assert warehouse.refresh("warehouse.duckdb") is None
    assert seen == ["benchmark.toml"]
    assert os.stat(settled_db).st_mtime_ns == before  # not rewritten


def test_a_change_of_the_same_size_with_its_mtime_put_back_is_found(settled_db):
    """ctime is in the stat: a write followed by os.utime (cp -p, rsync -t, a tar extract) still
    changes it, so the file is hashed, and the new bytes rebuild the warehouse."""
    from dlbench import warehouse

    st = os.stat("benchmark.toml")
    data = bytearray(open("benchmark.toml", "rb").read())
    at = data.index(b"forward = 25\n")  # Leaf on Alexnet: 25 ms becomes 24 ms, the same length
    data[at:at + 12] = b"forward = 24"
    with open("benchmark.toml", "r+b") as fh:
        fh.write(data)
    os.utime("benchmark.toml", ns=(st.st_atime_ns, st.st_mtime_ns))
    now = os.stat("benchmark.toml")
    assert (now.st_size, now.st_mtime_ns, now.st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino)
    assert warehouse.stale_reason("warehouse.duckdb") == "benchmark.toml changed"
    summary = warehouse.refresh("warehouse.duckdb")
    assert summary is not None and summary.reason == "benchmark.toml changed"
    with duckdb.connect("warehouse.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM measurements WHERE key = 'forward' AND value = 24").fetchone()[0] == 1


def test_a_rebuild_records_the_new_stat(settled_db, monkeypatch):
    from dlbench import warehouse

    with open("benchmark.toml", "a", encoding="utf-8") as fh:
        fh.write("\n# a comment\n")
    monkeypatch.setattr(warehouse, "UNSURE_WITHIN_S", 0.0)
    assert warehouse.refresh("warehouse.duckdb").reason == "benchmark.toml changed"
    st = os.stat("benchmark.toml")
    assert recorded() == (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def test_a_query_on_an_up_to_date_warehouse_opens_it_once(settled_db, monkeypatch):
    """The staleness check runs on the connection the query then uses."""
    from conftest import cli

    opened = []
    real = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda db, *a, **k: opened.append(os.path.basename(str(db)))
                        or real(db, *a, **k))
    result = cli("query", "select count(*) as n from runs", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "n\n26\n"
    assert opened == ["warehouse.duckdb"]
    assert result.stderr == ""


def test_a_stale_warehouse_is_rebuilt_then_queried(settled_db, monkeypatch):
    from conftest import cli

    with open("benchmark.toml", "a", encoding="utf-8") as fh:
        fh.write("\n# a comment\n")
    result = cli("query", "select count(*) as n from runs", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout == "n\n26\n"
    assert result.stderr == ("dlbench: rebuilt warehouse.duckdb from 1 file(s) (26 runs): "
                             "benchmark.toml changed\n")


def test_a_noop_query_imports_no_ingest(settled_db):
    """tomli, the readers and the builder are not imported when nothing is rebuilt."""
    result, proc = cli_modules("query", "select count(*) as n from runs", "--format", "csv",
                               cwd=settled_db.parent)
    assert result == {"code": 0, "loaded": []}, proc.stderr
    assert proc.stdout.splitlines()[:2] == ["n", "26"]
    result, proc = cli_modules("report", "--no-refresh", "--output", "report.md", cwd=settled_db.parent)
    assert result == {"code": 0, "loaded": []}, proc.stderr
    assert (settled_db.parent / "report.md").read_text(encoding="utf-8").startswith("# Deep-learning")


def test_hashing_an_unsure_source_imports_no_reader(seed_db):
    """seed_db's source was copied a moment before its build: no stat, so every refresh hashes it,
    with ingest.files (the standard library), not the readers."""
    assert recorded()[1:] == (None, None, None)
    result, proc = cli_modules("query", "select count(*) as n from runs", "--format", "csv", cwd=seed_db.parent)
    assert result == {"code": 0, "loaded": []}, proc.stderr
    assert proc.stdout.splitlines()[:2] == ["n", "26"]


def test_a_rebuild_from_the_cli_still_imports_the_ingest(settled_db):
    with open(settled_db.parent / "benchmark.toml", "a", encoding="utf-8") as fh:
        fh.write("\n# a comment\n")
    result, proc = cli_modules("query", "select 1 as one", "--format", "csv", cwd=settled_db.parent)
    assert result["code"] == 0
    assert set(result["loaded"]) == set(INGEST_MODULES)
    assert "rebuilt warehouse.duckdb from 1 file(s) (26 runs): benchmark.toml changed" in proc.stderr


def test_a_foreign_file_is_still_refused(project):
    """connect's quick header check sends anything but a DuckDB file to the ingest's verdict."""
    from conftest import cli

    result = cli("query", "select 1", "--db", "benchmark.toml")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: benchmark.toml is not a dlbench warehouse; nothing was changed")
    os.mkfifo("pipe.duckdb")
    result = cli("query", "select 1", "--db", "pipe.duckdb")
    assert result.exit_code == 1
    assert result.stderr == "Error: pipe.duckdb is a FIFO (named pipe), not a dlbench warehouse; nothing was changed\n"


def test_an_inode_above_two_to_the_63_is_recorded_as_a_signed_number():
    """An inode can use all 64 bits (overlayfs's xino does); `sources.inode` is a BIGINT."""
    from types import SimpleNamespace

    from dlbench.warehouse import _stat_key

    st = SimpleNamespace(st_size=10, st_mtime_ns=20, st_ctime_ns=30, st_ino=(1 << 64) - 5)
    assert _stat_key(st) == (10, 20, 30, -5)
    st.st_ino = (1 << 63) - 1
    assert _stat_key(st)[3] == (1 << 63) - 1


# -- the Warehouse: one lifecycle, typed results -------------------------------------------------------
def test_why_a_warehouse_is_stale_is_typed(project):
    from dlbench.warehouse import Cause, Stale, Warehouse

    wh = Warehouse("warehouse.duckdb")
    assert wh.stale() == Stale(Cause.MISSING) and str(wh.stale()) == "there is no warehouse yet"
    built = wh.build()
    assert (built.stale, built.reason, built.files, built.counts["runs"]) == (None, "", ["benchmark.toml"], 26)
    assert wh.stale() is None and wh.refresh() is None
    with open("benchmark.toml", "a") as fh:
        fh.write("\n# a comment\n")
    assert wh.stale() == Stale(Cause.SOURCE_CHANGED, "benchmark.toml")
    again = wh.refresh()
    assert again is not None and again.stale == Stale(Cause.SOURCE_CHANGED, "benchmark.toml")
    assert again.reason == "benchmark.toml changed" and wh.stale() is None


def test_reading_rebuilds_a_stale_warehouse_once_and_tells_on_rebuilt(seed_db):
    from dlbench.warehouse import Cause, Warehouse

    heard = []
    wh = Warehouse("warehouse.duckdb", on_rebuilt=heard.append)
    with open("benchmark.toml", "a") as fh:
        fh.write("\n# a comment\n")
    for _ in range(2):
        with wh.reading() as con:
            assert con.execute("SELECT count(*) FROM runs").fetchone() == (26,)
    assert [(r.stale.cause, r.reason) for r in heard] == [(Cause.SOURCE_CHANGED, "benchmark.toml changed")]
    assert wh.replaced  # another file than when the object was made


def test_read_rebuilds_a_warehouse_found_damaged_mid_read_and_reads_it_again(seed_db):
    from dlbench.errors import WarehouseDamaged
    from dlbench.warehouse import Cause, Warehouse

    def reader(fail_first: list):
        def read(con):
            if fail_first:
                fail_first.pop()
                raise duckdb.IOException("Corrupt database file: block 7 has a bad checksum")
            return con.execute("SELECT count(*) FROM runs").fetchone()
        return read

    heard = []
    assert Warehouse("warehouse.duckdb", on_rebuilt=heard.append).read(reader([1])) == (26,)
    assert [(r.stale.cause, r.reason) for r in heard] == [
        (Cause.DAMAGED, "it was damaged (Corrupt database file: block 7 has a bad checksum)")]
    with pytest.raises(WarehouseDamaged) as info:  # with refresh off: an error, nothing rebuilt
        Warehouse("warehouse.duckdb", refresh=False, on_rebuilt=heard.append).read(reader([1]))
    assert info.value.detail == "Corrupt database file: block 7 has a bad checksum" and len(heard) == 1
    with pytest.raises(duckdb.IOException):  # damaged again on the second read: no second rebuild
        Warehouse("warehouse.duckdb", on_rebuilt=heard.append).read(reader([1, 1]))
    assert len(heard) == 2


def test_a_missing_warehouse_is_built_from_the_objects_sources_and_then_from_its_record(project):
    from pathlib import Path

    from dlbench import Warehouse

    Path("other.toml").write_text(Path("benchmark.toml").read_text().replace("nvidia-titan-x", "other-box"))
    heard = []
    wh = Warehouse("w.duckdb", ["other.toml"], on_rebuilt=heard.append)
    with wh.reading() as con:
        assert con.execute("SELECT DISTINCT machine_key FROM results").fetchall() == [("other-box",)]
    assert [(r.files, r.reason) for r in heard] == [(["other.toml"], "there is no warehouse yet")]
    with open("other.toml", "a") as fh:
        fh.write("\n# a comment\n")
    rebuilt = Warehouse("w.duckdb").refresh()  # no sources given: the ones it records
    assert rebuilt is not None and (rebuilt.files, rebuilt.reason) == (["other.toml"], "other.toml changed")
