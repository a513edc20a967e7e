"""Real (tiny) collect runs: PyTorch and JAX on the CPU, AlexNet at batch 2, 3 iterations, one process
per configuration (repeats=1: flat samples, which the ingest reads; the nested samples of several
processes are tested in test_collect_protocol.py)."""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time

import pytest
import tomli

from dlbench.collect import collect, summary_rows
from dlbench.collect.api import available_cpus
from dlbench.collect.errors import DuplicateRun
from dlbench.collect.worker import CRASH_ENV
from helpers import have, needs_jax, needs_torch, read_with_validator

pytestmark = pytest.mark.slow  # real framework runs, each in a worker process

ITER = 3


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    out = tmp_path_factory.mktemp("collect") / "out.toml"
    events = []
    result = collect(["torch", "jax"], ["alexnet"], batch_size=2, iterations=ITER, warmup=1, output=out,
                     progress=events.append, command="dlbench collect --test", repeats=1)
    return out, result, events


@needs_torch
@needs_jax
def test_file_has_everything(collected):
    out, result, events = collected
    assert result.written and not result.failed
    assert [e.kind for e in events if e.kind != "step"] == ["start", "done", "start", "done", "written"]
    steps = [(e.index, e.message) for e in events if e.kind == "step"]  # what the progress bar shows
    assert steps == [(i, m) for i in (1, 2) for m in ("warmup 1/1", "timed 1/3", "timed 2/3", "timed 3/3")]
    doc = tomli.loads(out.read_text())
    (key, machine), = doc.items()
    assert key == result.machine_key
    assert machine["type"] == "CPU" and machine["host"]["cpu"] and machine["host"]["cores"] >= 1
    assert machine["devices"][0]["name"] == machine["host"]["cpu"]
    (model,) = machine["models"]
    assert (model["name"], model["batch_size"], model["input"]) == ("AlexNet", 2, "3x224x224")
    names = [f["name"] for f in model["frameworks"]]
    assert names == ["PyTorch", "JAX"]
    for f in model["frameworks"]:
        assert f["libraries"] and all(lib["name"] and lib["version"] for lib in f["libraries"])
        assert len(f["forward_samples"]) == len(f["backward_samples"]) == ITER == f["iterations"]
        assert f["forward"] == statistics.median(f["forward_samples"])
        assert f["backward"] == statistics.median(f["backward_samples"])
        assert all(x > 0 for x in f["forward_samples"] + f["backward_samples"])
        assert f["precision"] == "fp32" and f["threads"] >= 1 and f["memory"].endswith("MB")
        assert f["command"] == "dlbench collect --test" and f["clock"] == "time.perf_counter_ns"
        assert f["threads"] == available_cpus()  # the default: every CPU of the affinity, for both
        assert f["accumulate_gradients"] is False
        assert f["process_memory"].endswith("MB") and f["tensor_memory"].endswith("MB")
        assert len(f["effective_parallelism"]) == len(f["load_before"]) == len(f["load_after"]) == 1
    torch_libs = {lib["name"] for lib in model["frameworks"][0]["libraries"]}
    assert "oneDNN" in torch_libs or "MKL" in torch_libs
    rows = summary_rows(result)
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert rows[0]["total_ms"] == pytest.approx(rows[0]["forward_ms"] + rows[0]["backward_ms"])


@needs_torch
@needs_jax
def test_file_passes_validator(collected):
    from dlbench.collect.write import KEYS_THE_VALIDATOR_DOES_NOT_KNOW

    out, _, _ = collected
    result = read_with_validator(out)
    assert not [f for f in result.findings if f.severity == "error"], result.findings
    assert {f.path.rsplit(".", 1)[-1] for f in result.findings} <= KEYS_THE_VALIDATOR_DOES_NOT_KNOW


@needs_torch
@needs_jax
def test_same_run_again_is_refused_then_replaced(collected):
    out, _, _ = collected
    before = out.read_text()
    t0 = time.perf_counter()
    with pytest.raises(DuplicateRun, match="already has this run"):
        collect(["torch"], ["alexnet"], batch_size=2, iterations=ITER, warmup=1, output=out, repeats=1)
    assert time.perf_counter() - t0 < 30  # refused before measuring
    assert out.read_text() == before
    res = collect(["torch"], ["alexnet"], batch_size=2, iterations=2, warmup=0, output=out, replace=True,
                  repeats=1)
    assert res.written
    fws = tomli.loads(out.read_text())[res.machine_key]["models"][0]["frameworks"]
    assert sorted(f["name"] for f in fws) == ["JAX", "PyTorch"]
    assert [len(f["forward_samples"]) for f in fws if f["name"] == "PyTorch"] == [2]


@needs_torch
def test_crash_is_a_failed_run_and_others_go_on(tmp_path, monkeypatch):
    monkeypatch.setenv(CRASH_ENV, "torch:alexnet")  # SIGKILL, as the out-of-memory killer
    out = tmp_path / "out.toml"
    res = collect(["torch"], ["alexnet", "googlenet"], batch_size=1, iterations=1, warmup=0, output=out,
                  repeats=1)
    assert [r.ok for r in res.runs] == [False, True]
    assert "SIGKILL" in res.failed[0].reason and "out-of-memory" in res.failed[0].reason
    doc = tomli.loads(out.read_text())
    assert [m["name"] for m in doc[res.machine_key]["models"]] == ["GoogleNet"]
    rows = summary_rows(res)
    assert rows[0]["status"] == "failed" and rows[0]["forward_ms"] is None and "SIGKILL" in rows[0]["reason"]


@needs_torch
def test_python_error_in_worker_is_a_failed_run(tmp_path, monkeypatch):
    monkeypatch.setenv(CRASH_ENV, "torch:googlenet:raise")
    res = collect(["torch"], ["googlenet"], batch_size=1, iterations=1, warmup=0, output=tmp_path / "o.toml",
                  repeats=1)
    assert not res.written and not (tmp_path / "o.toml").exists()
    assert "exited with status 1" in res.failed[0].reason and "RuntimeError" in res.failed[0].reason


@needs_torch
def test_ctrl_c_kills_the_worker_and_writes_nothing(tmp_path):
    import psutil

    from conftest import ROOT

    out = tmp_path / "out.toml"
    code = ("from pathlib import Path; from dlbench.collect import collect\n"
            f"collect(['torch'], ['alexnet', 'googlenet'], batch_size=1, iterations=1, warmup=0, output=Path({str(out)!r}), "
            "repeats=1)")
    env = dict(os.environ, **{CRASH_ENV: "torch:alexnet:hang"}, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    worker = None
    deadline = time.time() + 120
    while time.time() < deadline and worker is None:
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                if "dlbench.collect.worker" in " ".join(child.cmdline()):
                    worker = child
            except psutil.NoSuchProcess:
                pass
        time.sleep(0.2)
    assert worker is not None, "the worker never started"
    time.sleep(3)  # let it reach the hang (after torch's import and the build)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE
    assert not out.exists()


@pytest.mark.skipif(not have("torch"), reason="torch is not installed")
def test_fp16_on_cpu_is_a_clear_result(tmp_path):
    """fp16 on a CPU either runs or fails with PrecisionUnsupported naming the precision, never a crash."""
    res = collect(["torch"], ["googlenet"], batch_size=1, iterations=1, warmup=0, precision="fp16",
                  output=tmp_path / "o.toml", repeats=1)
    r = res.runs[0]
    assert r.ok or ("PrecisionUnsupported" in r.reason and "fp16" in r.reason)
