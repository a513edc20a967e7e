"""Disk trouble: a write that fails (full disk, I/O error, read-only or missing
folder) ends with a clear message and exit 1, and the previous warehouse stays.

The tests run as root, where chmod does not stop a write, so failures are made
by patching os.replace / os.fsync (always), and by a real tiny tmpfs, full or
remounted read-only (when `mount` is allowed here; skipped otherwise).
"""
from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest
from test_crash import leftovers, snapshot

from conftest import SEED, cli, run_cli, sha256

pytestmark = pytest.mark.slow  # mounts small file systems and runs the CLI on them

UNCHANGED = "; the previous warehouse is unchanged"


def _failing(err: int):
    def fail(*args, **kwargs):
        raise OSError(err, os.strerror(err))
    return fail


@pytest.mark.parametrize("call, err", [("replace", errno.ENOSPC), ("fsync", errno.EIO)])
def test_failed_write_keeps_the_previous_warehouse(seed_db, monkeypatch, call, err):
    (seed_db.parent / "data" / "more.toml").write_text(SEED.read_text().replace("nvidia-titan-x", "other-box"))
    before = sha256(seed_db)
    monkeypatch.setattr(os, call, _failing(err))
    result = cli("ingest")
    monkeypatch.undo()
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: cannot write the warehouse warehouse.duckdb: {os.strerror(err)}{UNCHANGED}\n"
    assert sha256(seed_db) == before
    assert leftovers(seed_db.parent) == []
    assert snapshot(seed_db)["runs"] == 26


def test_missing_folder(project):
    proc = run_cli("ingest", "--db", "no/such/folder/warehouse.duckdb", cwd=project)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        "Error: cannot write the warehouse no/such/folder/warehouse.duckdb: cannot create its lock file "
        f"{project}/no/such/folder/warehouse.duckdb.lock: No such file or directory{UNCHANGED}\n")
    assert "Traceback" not in proc.stderr


@pytest.fixture
def tmpfs(tmp_path):
    """mount(size) -> a fresh tmpfs of that many bytes; unmounted after the test."""
    mounted = []

    def mount(size: int):
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_full_disk(seed_db, tmpfs):
    """A disk with room for the old warehouse but not for a second one beside it."""
    size = seed_db.stat().st_size
    disk = tmpfs(size + size // 2)
    shutil.copy(SEED, disk / "benchmark.toml")
    (disk / "data").mkdir()
    shutil.copy(seed_db, disk / "warehouse.duckdb")
    db = disk / "warehouse.duckdb"
    before = sha256(db)
    proc = run_cli("ingest", cwd=disk)
    assert "Traceback" not in proc.stderr
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr.startswith("Error: cannot write the warehouse warehouse.duckdb: ")
    assert "No space left on device" in proc.stderr
    assert proc.stderr.endswith(f"{UNCHANGED}\n")
    assert sha256(db) == before
    assert leftovers(disk) == []
    proc = run_cli("query", "select count(*) as runs from runs", "--no-refresh", cwd=disk)
    assert (proc.returncode, proc.stdout) == (0, "runs\n26\n")


def test_read_only_disk(seed_db, tmpfs):
    """On a read-only file system an up-to-date warehouse can still be queried; an ingest
    fails clearly and leaves it."""
    size = seed_db.stat().st_size
    disk = tmpfs(3 * size)
    shutil.copy(SEED, disk / "benchmark.toml")
    (disk / "data").mkdir()
    assert run_cli("ingest", "-q", cwd=disk).returncode == 0
    db = disk / "warehouse.duckdb"
    before = sha256(db)
    remount = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True)
    if remount.returncode != 0:
        pytest.skip(f"cannot remount read-only: {remount.stderr.strip()}")
    proc = run_cli("query", "select count(*) as runs from runs", cwd=disk)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "runs\n26\n", "")
    proc = run_cli("ingest", cwd=disk)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (f"Error: cannot write the warehouse warehouse.duckdb: cannot create its lock file "
                           f"{disk}/warehouse.duckdb.lock: Read-only file system{UNCHANGED}\n")
    assert sha256(db) == before
