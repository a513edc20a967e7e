"""The benchmark harness (python -m bench): a smoke run at a tiny size, and its helpers.

No test here asserts a time: only that every figure is there and positive."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT, sha256

sys.path.insert(0, str(ROOT))  # the harness is the checkout's bench/, not part of the package
from bench import generate, harness  # noqa: E402
from dlbench import sqlfiles

pytestmark = pytest.mark.slow  # runs the benchmark harness on generated files

TINY = ["--machines", "2", "--small-machines", "1", "--models", "3", "--frameworks", "4", "--shift-machines", "20"]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """One tiny run of the whole harness: (results JSON, markdown text, repo RESULTS.md sha before)."""
    tmp = tmp_path_factory.mktemp("bench")
    repo_results = ROOT / "bench" / "RESULTS.md"
    before = sha256(repo_results) if repo_results.exists() else None
    out, results, js = tmp / "out", tmp / "RESULTS.md", tmp / "results.json"
    proc = subprocess.run([sys.executable, "-m", "bench", *TINY, "--skip-slow", "--quiet", "--out", str(out),
                           "--results", str(results), "--json", str(js)],
                          cwd=tmp, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TZ": "UTC"},
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # --quiet
    return json.loads(js.read_text()), results.read_text(), before


def test_every_measurement_is_there_and_positive(smoke):
    res, _, _ = smoke
    m = res["measurements"]
    assert set(m) == set(harness.MEASUREMENT_KEYS)
    for key in harness.MEASUREMENT_KEYS:
        assert m[key]["wall_s"] > 0, key
        assert all(s > 0 for s in m[key]["samples_s"]), key
        assert m[key]["peak_rss_bytes"] > 0, key
    assert m["full_ingest"]["tree_sum_rss_bytes"] > 0
    hand = m["handwritten_scaled"]
    # 24 runs of 3 models on 2 machines, each with forward and backward (and maybe memory)
    assert hand["total_runs"] == 24 and hand["slice_runs"] == 24 and hand["scale"] == 1.0
    assert 2 + 6 + 24 + 48 <= hand["total_rows"] <= 2 + 6 + 24 + 72  # measurements: 2 or 3 a run
    assert m["stale_reason"]["cold_s"] > 0 and m["stale_reason"]["warm_s"] > 0


def test_views_sizes_and_contents(smoke):
    res, _, _ = smoke
    names = [v.name for v in sqlfiles.views()]
    for size, runs in (("small", 12), ("big", 24)):
        views = res["views"][size]
        assert list(views) == names
        assert all(v["wall_s"] > 0 for v in views.values())
        assert views["results"]["rows"] == runs
    assert res["sizes"]["big"]["runs"] == 24 and res["sizes"]["small"]["runs"] == 12
    assert res["seed_runs"] == 26
    assert res["contents"]["match"] is True
    assert res["contents"]["tables"]["runs"] == {"rows_first": 24, "rows_second": 24, "only_in_first": 0,
                                                 "only_in_second": 0, "match": True}
    assert [e["machine_key"] for e in res["edits"]] == ["m0002-k40"]  # --skip-slow: one sample
    assert float(res["edits"][0]["new"]) == float(res["edits"][0]["old"]) + 1


def test_markdown_has_every_row(smoke):
    res, text, _ = smoke
    assert text.startswith("# dlbench benchmarks\n")
    assert "python -m bench --machines 2 --small-machines 1 --models 3 --frameworks 4 --shift-machines 20 --skip-slow" in text
    for name in harness.TABLE_ROWS:
        assert f"| {name} |" in text, name
    for v in sqlfiles.views():
        assert f"| `{v.name}` |" in text
        assert f"| view `{v.name}`: 24 ≤ 12 × 12 |" in text
    assert "**scaled**" in text
    for t in res["targets"]:
        assert f"| {t['target']} |" in text
        assert isinstance(t["met"], bool), t
    # 2 of issue 9 (line shift, huge file), 2 of the site, 1 of compare
    assert len(res["targets"]) == 13 + len(sqlfiles.views())
    assert "## The site" in text
    bars = re.search(r"\| the site's charts are bounded: ≤ 25 bars in any chart \| (\d+) bars \| \*\*met\*\* \|", text)
    assert bars and 0 < int(bars.group(1)) <= 25
    assert "load average (1, 5, 15 min): " in text
    for fact in ("cores", "duckdb", "tomli", "Python"):
        assert fact in text


def test_the_site_case(smoke):
    res, _, _ = smoke
    for key, runs, charts, most in (("site_small", 12, 8, 4), ("site_big", 24, 16, 4)):
        site = res["measurements"][key]
        assert site["runs"] == runs and site["pages"] == 9  # index, 3 models, 4 summary pages, comparisons
        assert site["charts"] == charts  # per model and machine the times and memory; per machine a summary
        # 4 stacks a model; the library-effect chart pairs a version with two library sets in the same
        # precision only (issue 11's keys), at most 4 pairs here
        assert site["most_bars"] == most and 0 < site["largest_page_bytes"] < site["site_bytes"]


def test_only_the_site_case(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bench", "--only", "site", *TINY, "--skip-slow", "--quiet",
                           "--out", str(tmp_path / "out")],
                          cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TZ": "UTC"},
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    res = json.loads((tmp_path / "out" / "site.json").read_text())
    assert set(res["measurements"]) == set(harness.SITE_KEYS)
    assert [t["met"] for t in res["targets"]] == [True, True]
    assert not (tmp_path / "RESULTS.md").exists()


def test_the_repo_results_are_left_alone(smoke):
    _, _, before = smoke
    repo_results = ROOT / "bench" / "RESULTS.md"
    assert (sha256(repo_results) if repo_results.exists() else None) == before


def test_edit_one_section_changes_one_number(tmp_path):
    path = tmp_path / "b.toml"
    generate.write(path, 3, 2, 2, seed=0)
    before = path.read_text().splitlines()
    edit = harness.edit_one_section(path, 1)
    after = path.read_text().splitlines()
    assert edit["machine_key"] == before[[i for i, line in enumerate(before) if line.startswith("[m0002")][0]][1:-1]
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(before) == len(after) and changed == [edit["line"] - 1]
    assert after[edit["line"] - 1] == f"      forward = {edit['new']}"
    assert before[edit["line"] - 1] == f"      forward = {edit['old']}"


def test_compare_warehouses_finds_a_changed_row(project):
    from dlbench.warehouse import build_warehouse as ingest

    generate.write(project / "b.toml", 2, 2, 3, seed=0)
    ingest(["b.toml"], "one.duckdb")
    ingest(["b.toml"], "two.duckdb")  # other timestamps, same rows
    same = harness.compare_warehouses(project / "one.duckdb", project / "two.duckdb")
    assert same["match"] is True and same["tables"]["sources"]["match"] is True
    harness.edit_one_section(project / "b.toml", 0)
    ingest(["b.toml"], "two.duckdb")
    diff = harness.compare_warehouses(project / "one.duckdb", project / "two.duckdb")
    assert diff["match"] is False
    rows = diff["tables"]["measurements"]["rows_first"]
    assert rows >= 24  # 12 runs, forward and backward each (and most a memory)
    assert diff["tables"]["measurements"] == {"rows_first": rows, "rows_second": rows, "only_in_first": 1,
                                              "only_in_second": 1, "match": False}
    assert diff["tables"]["runs"]["match"] is True
    assert diff["tables"]["sources"]["match"] is False  # the sha256 changed


def test_the_compare_case(smoke):
    res, text, _ = smoke
    c = res["compare"]
    assert c["samples_per_run"] == harness.COMPARE_SAMPLES == 20
    for size, runs in (("small", 12), ("big", 24)):
        d = c["sizes"][size]
        assert d["runs"] == runs and d["samples"] == 2 * 20 * runs and d["rows"] == runs
        assert d["wall_s"] > 0 and d["peak_rss_bytes"] > 0 and len(d["ingest_s"]) == 2
        assert sum(d["marks"].values()) == runs  # the same runs, other noise: one row each
    assert "## `dlbench compare`" in text
    assert "| `dlbench compare` of two warehouses: 24 ≤ 12 × 12 runs |" in text


def test_add_samples_keeps_the_runs_and_their_numbers(project):
    from dlbench.warehouse import build_warehouse as ingest

    generate.write(project / "b.toml", 2, 2, 3, seed=0)
    summary = generate.add_samples(project / "b.toml", project / "s.toml", 5, seed=1)
    assert summary["entries"] == 12 and summary["samples_per_metric"] == 60
    result = ingest(["s.toml"], "w.duckdb")
    assert result.warnings == []  # each number is its own first sample: never outside them
    import duckdb

    with duckdb.connect("w.duckdb", read_only=True) as con:
        assert con.execute("select count(*) from samples").fetchone() == (120,)
        assert con.execute("select count(*) from samples s join measurements m using (run_id, metric) "
                           "where s.iteration = 1 and s.value_ms <> m.value").fetchone() == (0,)


def test_merge_compare_section_replaces_only_its_own(smoke):
    res, text, _ = smoke
    only = {"command": "python -m bench --only compare", "date": "2026-01-01T00:00:00+00:00",
            "machine": res["machine"], "load_before": [1, 1, 1], "load_after": [1, 1, 1], "compare": res["compare"]}
    merged = harness.merge_compare_section(text, only)
    assert merged.count("## `dlbench compare`") == 1
    assert "Measured 2026-01-01T00:00:00+00:00 with `python -m bench --only compare`" in merged
    assert merged.split("## `dlbench compare`")[0] == text.split("## `dlbench compare`")[0]
    assert merged.split("\n## Targets", 1)[1] == text.split("\n## Targets", 1)[1]
    assert harness.merge_compare_section("# old\n", only).startswith("# old\n\n## `dlbench compare`")


def test_collect_fidelity_section_and_targets():
    """The collect case's section (python -m bench --only collect) from the committed figures: each
    adapter's forward + backward against an independent plain step, the target 1.00 ± 0.05 on the
    median ratio over the interleaved pairs, and the section replaces its own heading in RESULTS.md."""
    rows = json.loads((ROOT / "bench" / "collect-fidelity.json").read_text())
    res = {"command": "python -m bench --only collect", "date": "2026-11-29", "machine": {"cpu": "AMD EPYC", "cores": 2},
           "load_before": [1.0], "load_after": [1.0], "collect": rows}
    targets = harness.collect_targets(rows)
    assert [(t["target"].split(":")[0], round(t["measured"], 3), t["met"]) for t in targets] == [
        ("`collect` torch", 0.925, False), ("`collect` jax", 1.029, True)]
    good = [dict(rows[0], ratio=1.04), dict(rows[1], ratio=0.951)]
    assert [t["met"] for t in harness.collect_targets(good)] == [True, True]
    assert all(r["pairs"] == len(r["ratios"]) and r["ratio_q1"] <= r["ratio"] <= r["ratio_q3"] for r in rows)
    text = harness.collect_markdown(res)
    assert text.startswith(harness.COLLECT_HEADING + "\n")
    assert "| torch | 2 | 2 | 10 | 50.4 | 140.3 | 190.6 | 198.9 | 0.925 [0.899-0.984] | 3.23, 2.56 |" in text
    merged = harness.merge_section("# x\n\n## a\n\n1\n\n" + text + "\n## b\n\n2\n", harness.COLLECT_HEADING, "NEW\n")
    assert merged == "# x\n\n## a\n\n1\n\nNEW\n\n## b\n\n2\n"
