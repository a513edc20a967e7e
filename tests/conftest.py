"""Shared fixtures: a scratch project folder with the seed file, and ways to run the CLI.

Every test that writes works in its own tmp folder (the working directory is
changed there), so tests never touch the repository's warehouse.duckdb.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "benchmark.toml"
CONVNET = ROOT / "data" / "convnet-benchmarks.toml"


class _InstalledPackageOnly:
    """The tests import dlbench as installed, never the checkout's ingest/ as a top-level package: that
    would be a second copy of every module (ingest.errors.DlbenchError is not dlbench.ingest.errors's)."""

    def find_spec(self, name, path=None, target=None):
        if name == "ingest" or name.startswith("ingest."):
            raise ImportError(f"import dlbench.{name}, not {name}: the tests use the installed package only")
        return None


sys.meta_path.insert(0, _InstalledPackageOnly())


@pytest.fixture(autouse=True)
def _pinned_env(monkeypatch):
    """The same environment for every test: UTC, no inherited warehouse path."""
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("DLBENCH_DB", raising=False)
    monkeypatch.delenv("DLBENCH_PAUSE_AT", raising=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder with benchmark.toml (the seed) and an empty data/, as the working directory."""
    shutil.copy(SEED, tmp_path / "benchmark.toml")
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def seed_db(project):
    """A warehouse built from the seed file only; returns its path."""
    from dlbench.warehouse import build_warehouse as ingest

    ingest(None, "warehouse.duckdb")
    return project / "warehouse.duckdb"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_cli(*args, cwd=None, env=None, input=None, timeout=300) -> subprocess.CompletedProcess:
    """Run `python cli.py ARGS` as a real process (exit code, stdout, stderr apart)."""
    full_env = dict(os.environ, **(env or {}))
    full_env.setdefault("PYTHONPATH", str(ROOT))
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=cwd,
                          env=full_env, input=input, capture_output=True, text=True, timeout=timeout)


def cli(*args, **kw):
    """Run a command in-process with Typer's CliRunner (stderr kept apart)."""
    from typer.testing import CliRunner

    from dlbench.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False, **kw)

