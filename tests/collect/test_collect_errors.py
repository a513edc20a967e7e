"""Named errors and the writer, without running a framework."""
from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path

import pytest
import tomli

from dlbench.collect import collect, write
from dlbench.collect.errors import (
    CollectError,
    DuplicateRun,
    FrameworkMissing,
    MachineMismatch,
    OutputUnreadable,
    UnknownFramework,
)
from dlbench.collect.probe import Probe, machine_key
from helpers import have, needs_tomli_w, read_with_validator

KEY = "intel-xeon-gold-6148-8cpu"
PROBE = Probe(os="linux/debian-12", cpu="Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz", logical_cores=8,
              physical_cores=4, cache_bytes=27 * 2**20, ram_bytes=16 * 10**9)


def fake_run(framework="PyTorch", version="2.13.0", batch=2, forward=(3.0, 1.0, 2.0), libs=(("oneDNN", "3.12.0"),)):
    return {"framework": framework, "version": version, "libraries": [list(x) for x in libs], "model": "alexnet",
            "model_name": "AlexNet", "input": "3x224x224", "batch_size": batch, "precision": "fp32",
            "input_gradient": False, "warmup": 1, "iterations": len(forward), "clock": "time.perf_counter_ns",
            "forward_samples": list(forward), "backward_samples": [x * 2 for x in forward],
            "forward": statistics.median(forward), "backward": statistics.median(forward) * 2, "threads": 4,
            "memory_bytes": 123_456_789}


def write_runs(path: Path, runs, replace=False, key=None):
    doc = write.read_output(path)
    key = key or machine_key(PROBE)
    doc = write.merge(doc, key, write.machine_table(PROBE), runs, "dlbench collect --x", dt.date(2025, 1, 2),
                      replace, path)
    write.write_atomic(path, write.dumps(doc))


def test_machine_key():
    assert machine_key(PROBE) == KEY


@needs_tomli_w
def test_written_file_layout_and_validator(tmp_path):
    out = tmp_path / "c.toml"
    write_runs(out, [fake_run(), fake_run("JAX", "0.10.2", libs=(("jaxlib", "0.10.2"),))])
    doc = tomli.loads(out.read_text())
    m = doc[KEY]
    assert m["host"] == {"os": "linux/debian-12", "cpu": PROBE.cpu, "cores": 8, "cache": "27MiB", "ram": "16GB"}
    fw = m["models"][0]["frameworks"]
    assert [f["name"] for f in fw] == ["PyTorch", "JAX"]
    assert fw[0]["forward_samples"] == [3.0, 1.0, 2.0] and fw[0]["forward"] == 2.0
    assert fw[0]["date"] == dt.date(2025, 1, 2) and fw[0]["memory"] == "123MB"
    assert write.size_text(4_107_900_000, mb=True) == "4108MB"
    assert f"[[{KEY}.models.frameworks.libraries]]" in out.read_text()  # the seed's layout
    result = read_with_validator(out)
    assert not [f for f in result.findings if f.severity == "error"], result.findings
    unknown = {f.path.split(".")[-1] for f in result.findings}
    assert unknown <= write.KEYS_THE_VALIDATOR_DOES_NOT_KNOW, unknown


@needs_tomli_w
def test_duplicate_and_replace(tmp_path):
    out = tmp_path / "c.toml"
    write_runs(out, [fake_run()])
    before = out.read_text()
    with pytest.raises(DuplicateRun, match="already has this run.*replace"):
        write_runs(out, [fake_run(forward=(9.0,))])
    assert out.read_text() == before  # nothing written
    with pytest.raises(DuplicateRun, match="another batch size"):
        write_runs(out, [fake_run(batch=4)])
    write_runs(out, [fake_run(forward=(9.0,))], replace=True)
    fw = tomli.loads(out.read_text())[KEY]["models"][0]["frameworks"]
    assert len(fw) == 1 and fw[0]["forward_samples"] == [9.0]
    write_runs(out, [fake_run(version="2.14.0")])  # another version is another run
    assert len(tomli.loads(out.read_text())[KEY]["models"][0]["frameworks"]) == 2


@needs_tomli_w
def test_same_key_other_machine(tmp_path):
    out = tmp_path / "c.toml"
    write_runs(out, [fake_run()])
    doc = write.read_output(out)
    other = dict(write.machine_table(PROBE), name="something else")
    with pytest.raises(MachineMismatch, match="different name"):
        write.merge(doc, KEY, other, [fake_run(version="3")], "", dt.date.today(), False, out)


def test_unreadable_output(tmp_path):
    out = tmp_path / "c.toml"
    out.write_text("[broken\n")
    with pytest.raises(OutputUnreadable, match="cannot read"):
        write.read_output(out)


def test_argument_errors(tmp_path, monkeypatch):
    with pytest.raises(UnknownFramework, match="expected one of torch, jax"):
        collect(["caffe"], ["alexnet"], output=tmp_path / "x.toml")
    with pytest.raises(CollectError, match="precision"):
        collect(["torch"], ["alexnet"], precision="fp8", output=tmp_path / "x.toml")
    import dlbench.collect.api as api

    if not all(have(m) for m in ("tomli_w", "psutil", "cpuinfo")):
        pytest.skip("the collector's own dependencies are not installed (pip install 'dlbench[collect]')")
    monkeypatch.setitem(api.FRAMEWORK_NAMES, "torch", ("PyTorch", "no_such_module_dlbench"))
    with pytest.raises(FrameworkMissing, match=r"pip install 'dlbench\[collect\]'"):
        collect(["torch"], ["alexnet"], output=tmp_path / "x.toml")
    assert not (tmp_path / "x.toml").exists()


def test_missing_dependency_is_named_before_measuring(tmp_path, monkeypatch):
    import importlib.util

    from dlbench.collect.errors import MissingDependency

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tomli_w" else real(name, *a))
    with pytest.raises(MissingDependency, match=r"tomli-w is not installed.*pip install 'dlbench\[collect\]'"):
        collect(["torch"], ["alexnet"], output=tmp_path / "x.toml")
