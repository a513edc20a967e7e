"""Big files: read in machine sections by parallel workers, and re-ingested incrementally.

Both must give exactly the warehouse a plain one-piece read gives. The size
threshold is lowered so that small generated files take the big-file paths."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from bench.generate import write
from conftest import ROOT, sha256
from dlbench import sqlfiles
from dlbench.errors import InvalidInput
from dlbench.ingest import pipeline
from dlbench.warehouse import build_warehouse as ingest

pytestmark = pytest.mark.slow  # generates and ingests big files

TABLES = [t for t in sqlfiles.tables() if t != "warehouse_meta"]  # the build's own facts differ
# when a source was read, and its stat then (NULL when it had just been written)
BUILD_FACTS = ("ingested_at", "mtime_ns", "ctime_ns", "inode")


def contents(db: str, skip_sections=False) -> dict:
    """Every table's rows, sorted, without the build timestamps."""
    con = duckdb.connect(db, read_only=True)
    out = {}
    for t in TABLES:
        if skip_sections and t == "source_sections":
            continue
        cols = [c for (c, *_) in con.execute(f"describe {t}").fetchall() if c not in BUILD_FACTS]
        out[t] = con.execute(f"select {', '.join(chr(34) + c + chr(34) for c in cols)} from {t} order by all").fetchall()
    con.close()
    return out


@pytest.fixture
def big(project, monkeypatch):
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(pipeline, "BATCH_BYTES", 20_000)
    write("big.toml", machines=12, models=4, frameworks=6, seed=3)
    return Path("big.toml")


def test_split_read_equals_one_piece_read(big, monkeypatch):
    monkeypatch.setenv("DLBENCH_WORKERS", "2")
    ingest(["big.toml"], "split.duckdb")
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", float("inf"))
    ingest(["big.toml"], "whole.duckdb")
    split, whole = contents("split.duckdb"), contents("whole.duckdb")
    assert len(split["source_sections"]) == 12 and whole["source_sections"] == []
    split.pop("source_sections"), whole.pop("source_sections")
    assert split == whole
    assert len(split["runs"]) == 12 * 4 * 6


def test_file_that_cannot_be_split_is_read_whole(project, monkeypatch):
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 10)
    # [b] comes between two tables of machine a: valid TOML, but not one section per machine
    Path("odd.toml").write_text('[a]\nname = "A"\n[b]\nname = "B"\n[[a.models]]\nname = "m"\n'
                                '[[a.models.frameworks]]\nname = "T"\nversion = "1"\nforward = 1\n')
    assert pipeline.split_sections(Path("odd.toml").read_text()) is not None  # it looks splittable ...
    summary = ingest(["odd.toml"], "w.duckdb")  # ... and the reader finds out and reads it whole
    assert summary.counts["runs"] == 1
    con = duckdb.connect("w.duckdb", read_only=True)
    assert con.execute("select line from runs").fetchall() == [(7,)]


def edit_sections(text: str) -> str:
    """Change a number in machine 5, shift machine 3 down a line, drop machine 8, add a new one."""
    starts = [m.start() for m in re.finditer(r"^\[m", text, re.M)]
    sec5 = text.index("forward = ", starts[5])
    end = text.index("\n", sec5)
    text = text[:sec5] + "forward = 12345.5" + text[end:]
    nl = text.index("\n", starts[3])
    text = text[:nl] + "\n# a new comment line\n" + text[nl:]
    starts = [m.start() for m in re.finditer(r"^\[m", text, re.M)]
    text = text[:starts[8]] + text[starts[9]:]
    return text + '\n[zz-new]\nname = "New"\n[[zz-new.models]]\nname = "Alexnet"\n' \
        '[[zz-new.models.frameworks]]\nname = "Torch"\nversion = "7"\nforward = 10\nbackward = 20\n'


def _count_sections_read(monkeypatch):
    """How many sections each batch read from now on (pipeline._read_batch, spied on); and the
    function spied on, to put back."""
    calls: list[int] = []
    real = pipeline._read_batch
    monkeypatch.setattr(pipeline, "_read_batch", lambda job: calls.append(len(job[1])) or real(job))
    return calls, real


def test_incremental_reingest_equals_full_rebuild(big, monkeypatch):
    ingest(["big.toml"], "inc.duckdb")
    big.write_text(edit_sections(big.read_text()))
    calls, real = _count_sections_read(monkeypatch)
    ingest(["big.toml"], "inc.duckdb")
    # re-read: machine 3 (a comment line inside it), machine 5, the last machine (a newline
    # more at its end) and the new one; machines 4, 6, 7, 9, 10 only moved and are not read
    assert calls == [4]
    monkeypatch.setattr(pipeline, "_read_batch", real)
    ingest(["big.toml"], "full.duckdb")
    assert contents("inc.duckdb") == contents("full.duckdb")


def test_incremental_reingest_records_the_new_stat(big, monkeypatch):
    """An incremental update records the stat of the file it re-read, as a full build does, so that
    the next refresh skips its sha256."""
    from dlbench import warehouse

    monkeypatch.setattr(warehouse, "UNSURE_WITHIN_S", 0.0)
    ingest(["big.toml"], "inc.duckdb")
    big.write_text(edit_sections(big.read_text()))
    calls, _ = _count_sections_read(monkeypatch)
    ingest(["big.toml"], "inc.duckdb")
    assert calls == [4]  # an incremental update
    st = os.stat("big.toml")
    with duckdb.connect("inc.duckdb", read_only=True) as con:
        assert con.execute("SELECT size_bytes, mtime_ns, ctime_ns, inode FROM sources").fetchall() == [
            (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)]
    hashed = []
    from dlbench.ingest import files

    monkeypatch.setattr(files, "file_sha256", lambda path: hashed.append(path))
    assert warehouse.stale_reason("inc.duckdb") is None
    assert hashed == []


def test_incremental_error_changes_nothing(big):
    ingest(["big.toml"], "w.duckdb")
    before = sha256(Path("w.duckdb"))
    text = big.read_text()
    at = text.index("forward = ", text.index("[m0004"))
    big.write_text(text[:at] + 'forward = "fast"' + text[text.index("\n", at):])
    with pytest.raises(InvalidInput) as info:
        ingest(["big.toml"], "w.duckdb")
    [error] = [f for f in info.value.findings if f.severity == "error"]
    assert error.path.startswith("m0004") and error.path.endswith(".forward")
    assert error.message == 'wrong type: got the string "fast"'
    assert big.read_text().splitlines()[error.line - 1].strip() == 'forward = "fast"'
    assert sha256(Path("w.duckdb")) == before


def test_fast_path_equals_general_path(project, monkeypatch):
    """run_fast (common entries) and run (every entry) give the same rows and findings."""
    from conftest import CONVNET, ROOT
    from dlbench.ingest import document
    from dlbench.ingest.build import check_files

    write("gen.toml", machines=3, models=3, frameworks=8, seed=5)
    files = ["benchmark.toml", "gen.toml", str(CONVNET)] + sorted(
        str(p) for p in (ROOT / "tests" / "data").rglob("*.toml"))
    seen = {}
    for fast in (True, False):
        monkeypatch.setattr(document, "FAST", fast)
        per_file = []
        for f in files:
            rows = []
            results, findings = check_files([f], sink=lambda t, d: rows.append((t, d)))
            per_file.append((f, [str(x) for x in findings], rows))
        seen[fast] = per_file
    assert seen[True] == seen[False]
    assert sum(len(rows) for _, _, rows in seen[True]) > 20


def test_incremental_update_keeps_the_views_and_makes_a_dropped_one_again(big, monkeypatch):
    ingest(["big.toml"], "inc.duckdb")
    with duckdb.connect("inc.duckdb") as con:
        con.execute("DROP VIEW throughput")  # by hand, with another client
    big.write_text(edit_sections(big.read_text()))
    made = []
    from dlbench import warehouse

    real = warehouse._drop_views
    monkeypatch.setattr(warehouse, "_drop_views", lambda con: made.append(1) or real(con))
    ingest(["big.toml"], "inc.duckdb")  # an incremental update: views and macros made again, as one is missing
    with duckdb.connect("inc.duckdb", read_only=True) as con:
        views = {n for (n,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert con.execute("SELECT count(*) FROM throughput").fetchone() is not None
    assert views == {v.name for v in sqlfiles.views()} and made == [1]
    big.write_text(big.read_text().replace("forward = ", "forward =  ", 1))
    ingest(["big.toml"], "inc.duckdb")  # all there: the copy's views are kept as they are
    assert made == [1]


def test_checking_a_big_file_with_a_syntax_error_names_it(big):
    """`validate` reads without a sink: a section that cannot be read on its own is read again in
    one piece, for the error's place (it raised pipeline.SplitUnsafe, a traceback, before)."""
    lines = big.read_text().split("\n")
    i = next(k for k in range(len(lines) // 2, len(lines)) if lines[k].strip().startswith("forward = "))
    lines[i] = lines[i].replace("forward = ", "forward = = ")
    big.write_text("\n".join(lines))
    from dlbench.warehouse import check_files

    _, findings = check_files(["big.toml"])
    assert [(f.severity, f.line, f.message.split(":")[0]) for f in findings if f.severity == "error"] == [
        ("error", i + 1, "TOML syntax error")]
    with pytest.raises(InvalidInput) as e:  # and the ingest reads it in one piece too, and refuses it
        ingest(["big.toml"], "bad.duckdb")
    assert [(f.line, f.message.split(":")[0]) for f in e.value.findings if f.severity == "error"] == [
        (i + 1, "TOML syntax error")]
    assert not Path("bad.duckdb").exists()


THREADED_CALLER = """
import json, os, sys, threading
forks = []
os.register_at_fork(before=lambda: forks.append(os.getpid()))
# a library with a thread that holds its lock, and whose forked child needs that lock (torch's and
# jax's thread pools, an allocator's arena): a fork() of this process now deadlocks the child
lock, held = threading.Lock(), threading.Event()

def hold():
    with lock:
        held.set()
        threading.Event().wait()

threading.Thread(target=hold, daemon=True).start()
held.wait()
os.register_at_fork(after_in_child=lock.acquire)
try:
    import jax.numpy as jnp  # and the real thing, where it is installed

    jnp.ones(3).sum().block_until_ready()
except ImportError:
    pass
from dlbench.warehouse import build_warehouse

summary = build_warehouse([sys.argv[1]], sys.argv[2])  # at the top level: no `__main__` guard
from multiprocessing import forkserver

served = forkserver._forkserver._forkserver_pid is not None
print(json.dumps({"runs": summary.counts["runs"], "forks": forks, "fork_server": served}))
"""


def test_a_caller_with_threads_can_build_from_a_big_file(project):
    """The workers are not forked from the caller (a fork server, or spawn): a caller whose threads
    hold locks (one that imported torch or jax) gets its warehouse; it hung in a forked worker before.
    The caller is a script without a `__main__` guard, which the workers do not import again."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the file is read in this process, without workers")
    write("big.toml", machines=30, models=50, frameworks=20, seed=3)  # about 8 MB: two batches at least
    env = dict(os.environ, DLBENCH_WORKERS="2", PYTHONPATH=str(ROOT))
    Path("caller.py").write_text(THREADED_CALLER)
    proc = subprocess.run([sys.executable, "caller.py", "big.toml", "w.duckdb"], env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == {"runs": 30 * 50 * 20, "forks": [], "fork_server": True}


def _plain(batch, pieces) -> tuple:
    """A batch's findings, facts and columns, comparable (Arrow tables as lists of rows)."""
    cols = [{t: d.to_pylist() if hasattr(d, "to_pylist") else d for t, d in p.items()} for p in pieces]
    return ([str(f) for f in batch.findings], batch.machines, batch.machine_lines, batch.sections, cols,
            [a.to_pylist() for a in batch.fast_run_ids])


def test_a_worker_reads_its_byte_range_and_notices_a_changed_file(project):
    """A worker is given a byte range of the file, not its text: after a byte order mark and
    non-ASCII text, the range holds the very text the main process split; a file changed since
    (its stat), or a range that is not that text, raises FileChanged (the file is read again in one
    piece)."""
    from conftest import SEED
    from dlbench.ingest.document import load_file

    section = SEED.read_text()[SEED.read_text().index("[nvidia-titan-x]"):]
    text = "".join(section.replace("nvidia-titan-x", f"box-{i}").replace("\n", "\n# résumé ✓ 日本\n", 1)
                   for i in range(9))
    Path("u.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    _, loaded = load_file("u.toml")
    assert loaded == text and not text.isascii()
    sections = pipeline.split_sections(loaded)
    batches = pipeline._batches(sections, sections[2].end - sections[0].start)  # three sections each
    stat = pipeline._identity(os.stat("u.toml"))
    spans = pipeline._spans("u.toml", loaded, batches, stat)
    assert len(batches) == 3 and spans[0].start == 3 and spans[-1].end == os.path.getsize("u.toml")
    for fast in (True, False):
        for batch, span in zip(batches, spans):
            by_range = pipeline._read_batch(pipeline.Job("u.toml", batch, fast, span))
            by_text = pipeline._read_batch(pipeline.Job("u.toml", batch, fast, loaded))
            assert _plain(*by_range) == _plain(*by_text)
            assert len(by_range[0].sections) == 3
    job = pipeline.Job("u.toml", batches[1], True, spans[1])
    with pytest.raises(pipeline.FileChanged, match="u.toml changed while it was read"):  # a byte off
        pipeline._read_batch(job._replace(source=dataclasses.replace(spans[1], start=spans[1].start + 1)))
    st = os.stat("u.toml")
    os.utime("u.toml", ns=(st.st_atime_ns, st.st_mtime_ns + 1000))  # same bytes, but touched
    with pytest.raises(pipeline.FileChanged):
        pipeline._read_batch(job)
    assert issubclass(pipeline.FileChanged, pipeline.SplitUnsafe)
