"""Raw samples (`forward_samples`, `backward_samples`): checked, stored in `samples`, exported unchanged."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import duckdb
import pytest

from conftest import cli
from dlbench.errors import InvalidInput
from dlbench.warehouse import build_warehouse

ENTRY = """\
[box]
name = "A box"

[[box.models]]
name = "AlexNet"
batch_size = 16

[[box.models.frameworks]]
name = "Torch"
version = "2.13.0"
precision = "fp32"
forward = 25.0
backward = 50
memory = "1GB"
{samples}
"""


def write(samples: str, name: str = "samples.toml") -> str:
    Path(name).write_text(ENTRY.format(samples=textwrap.dedent(samples)), encoding="utf-8")
    return name


def test_samples_are_stored_in_iteration_order(project):
    path = write("forward_samples = [24.5, 25.0, 25.5, 26]\nbackward_samples = [49, 50, 51.25]")
    summary = build_warehouse([path], "w.duckdb")
    assert summary.warnings == []
    con = duckdb.connect("w.duckdb", read_only=True)
    rows = con.execute("select metric, iteration, value_ms, written from samples order by metric desc, iteration"
                       ).fetchall()
    assert rows == [("forward_ms", 1, 24.5, None), ("forward_ms", 2, 25.0, None), ("forward_ms", 3, 25.5, None),
                    ("forward_ms", 4, 26.0, "26"),
                    ("backward_ms", 1, 49.0, "49"), ("backward_ms", 2, 50.0, "50"), ("backward_ms", 3, 51.25, None)]
    # samples are not measurements: the run keeps its own forward/backward/memory
    assert con.execute("select count(*) from measurements").fetchone() == (3,)
    assert con.execute("select count(distinct run_id) from samples").fetchone() == (1,)


def test_export_json_returns_samples_unchanged(project):
    path = write("forward_samples = [24.5, 25.0, 25.5, 26]\nbackward_samples = [49, 50, 51.25]")
    assert cli("ingest", "-q", path).exit_code == 0
    doc = json.loads(cli("export", "json", "--no-refresh").stdout)
    entry = doc["box"]["models"][0]["frameworks"][0]
    assert entry["forward_samples"] == [24.5, 25.0, 25.5, 26]
    assert [type(x) for x in entry["forward_samples"]] == [float, float, float, int]
    assert entry["backward_samples"] == [49, 50, 51.25]
    assert entry["forward"] == 25.0 and entry["backward"] == 50


@pytest.mark.parametrize("samples, where, message", [
    ("forward_samples = [24.5, -1]", "forward_samples[1]", "must be positive: got -1"),
    ('forward_samples = [24.5, "x"]', "forward_samples[1]", 'wrong type: got the string "x"'),
    ("forward_samples = [24.5, true]", "forward_samples[1]", "wrong type: got the boolean true"),
    ("backward_samples = []", "backward_samples", "wrong type: got an empty array"),
    ("backward_samples = 50", "backward_samples", "wrong type: got the integer 50"),
    ("forward_samples = [24.5, nan]", "forward_samples[1]", "not a finite number: got nan"),
])
def test_bad_samples_are_errors_and_nothing_is_written(project, samples, where, message):
    path = write(samples)
    with pytest.raises(InvalidInput) as e:
        build_warehouse([path], "w.duckdb")
    found = [f for f in e.value.findings if f.severity == "error"]
    assert len(found) == 1, found
    assert found[0].path == f"box.models[0].frameworks[0].{where}"
    assert found[0].message == message
    assert found[0].line == 15
    assert not Path("w.duckdb").exists()


def test_samples_without_their_timing_are_an_error(project):
    text = ENTRY.format(samples="forward_samples = [1.5, 2.5]").replace("forward = 25.0\n", "")
    Path("s.toml").write_text(text)
    result = cli("validate", "s.toml")
    assert result.exit_code == 2
    assert ("s.toml:14:1: box.models[0].frameworks[0].forward_samples: 'forward_samples' is given without "
            "'forward'; expected forward = <ms>, the summary of the samples") in result.stderr


def test_a_timing_outside_its_samples_is_a_warning(project):
    path = write("forward_samples = [20.0, 21.0, 22.0]")
    summary = build_warehouse([path], "w.duckdb")
    assert [(w.path, w.message) for w in summary.warnings] == [
        ("box.models[0].frameworks[0].forward", "forward = 25 ms lies outside its 3 samples (20 to 22 ms)")]
