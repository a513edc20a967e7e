"""`dlbench collect` as a user runs it: the summary, the file, exit codes, and the file's way
into the warehouse (validate clean, ingest next to the published data, export json unchanged)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import tomli

from conftest import CONVNET, cli
from helpers import needs_torch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("collect-cli")
    out = folder / "box.toml"
    result = cli("collect", "--framework", "torch", "--model", "alexnet", "--batch-size", "1", "--iterations", "2",
                 "--warmup", "0", "--output", out, "--machine-key", "test-box", "--format", "csv",
                 "--repeats", "1")
    return out, result


@needs_torch
def test_collect_writes_the_file_and_prints_a_summary(run):
    out, result = run
    assert result.exit_code == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split(",")[:7] == ["model", "framework", "version", "precision", "batch_size", "status",
                                     "forward_ms"]
    assert row.startswith("AlexNet,PyTorch,2.") and ",fp32,1,ok," in row
    assert result.stderr.startswith(f"dlbench: wrote 1 run(s) to {out} in ")
    doc = tomli.loads(out.read_text())
    entry = doc["test-box"]["models"][0]["frameworks"][0]
    assert len(entry["forward_samples"]) == len(entry["backward_samples"]) == 2
    assert doc["test-box"]["models"][0]["batch_size"] == 1


@needs_torch
def test_collected_file_joins_the_published_data(run, project):
    out, _ = run
    shutil.copy(out, "data/box.toml")
    shutil.copy(CONVNET, "data/convnet-benchmarks.toml")
    check = cli("validate", "data/box.toml")
    # the run's new metadata (issue 20: build, threads' effect, load, memory kinds) is a warning each
    # until the ingest knows those keys; nothing else may warn
    from dlbench.collect.write import KEYS_THE_VALIDATOR_DOES_NOT_KNOW

    *warnings, summary = check.stderr.splitlines()
    assert check.exit_code == 0 and summary == f"1 file(s) valid: 0 error(s), {len(warnings)} warning(s)", check.stderr
    assert {w.split("unknown key '")[1].split("'")[0] for w in warnings} == KEYS_THE_VALIDATOR_DOES_NOT_KNOW
    assert cli("ingest", "-q").exit_code == 0
    machines = cli("query", "--format", "csv", "select machine_key, count(*) as runs from results group by 1 order by 1")
    assert "test-box,1" in machines.stdout.splitlines() and "nvidia-titan-x,26" in machines.stdout.splitlines()
    samples = cli("query", "--format", "csv", "select metric, count(*) as n from samples group by 1 order by 1")
    assert "backward_ms,2" in samples.stdout and "forward_ms,2" in samples.stdout
    exported = json.loads(cli("export", "json", "--source", "data/box.toml", "--no-refresh").stdout)
    assert exported == json.loads(json.dumps(tomli.loads(Path("data/box.toml").read_text()), default=str))
    report = cli("report", "--machine", "test-box", "--no-refresh").stdout
    assert "PyTorch 2." in report and "oneDNN" in report


@needs_torch
def test_the_same_run_again_is_exit_2_and_leaves_the_file(run):
    out, _ = run
    before = out.read_bytes()
    again = cli("collect", "--framework", "torch", "--model", "alexnet", "--batch-size", "1", "--output", out,
                "--machine-key", "test-box")
    assert again.exit_code == 2
    assert "already has this run" in again.stderr and "--replace" in again.stderr
    assert out.read_bytes() == before


def test_unknown_model_is_exit_2(tmp_path):
    result = cli("collect", "--model", "resnet", "--output", tmp_path / "x.toml")
    assert result.exit_code == 2
    assert "resnet" in result.stderr and "alexnet" in result.stderr
    assert not (tmp_path / "x.toml").exists()
