"""Comparisons: run_stats, comparisons, the compare(...) macro and `dlbench compare`.

The inputs are generated here with answers known by construction (a 10% slowdown with small
noise, the same medians with heavy noise, identical samples, one sample a side, published data
without samples); scipy.stats.mannwhitneyu (a test-only dependency) is the oracle of the test, and
the median interval is checked against a brute-force count over every sign pattern.
"""
from __future__ import annotations

import itertools
import json
import math
import random
from contextlib import closing
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from conftest import ROOT, cli, sha256
from dlbench.warehouse import build_warehouse

SQL = ROOT / "sql"


def toml_entry(framework: str, version: str, forward: list[float], backward: list[float] | None = None,
               precision: str | None = "fp32") -> str:
    """A framework entry with samples; forward/backward as their medians."""
    lines = ["[[box.models.frameworks]]", f'name = "{framework}"', f'version = "{version}"']
    if precision:
        lines.append(f'precision = "{precision}"')
    lines.append(f"forward = {float(np.median(forward))!r}")
    lines.append(f"forward_samples = [{', '.join(repr(float(x)) for x in forward)}]")
    if backward is not None:
        lines.append(f"backward = {float(np.median(backward))!r}")
        lines.append(f"backward_samples = [{', '.join(repr(float(x)) for x in backward)}]")
    return "\n".join(lines) + "\n"


def toml_file(models: dict[str, list[str]], machine: str = "box") -> str:
    """A file with one machine and, per model, the given framework entries."""
    out = [f'[{machine}]\nname = "A box"\n']
    for model, entries in models.items():
        out.append(f'[[{machine}.models]]\nname = "{model}"\n')
        out.extend(e.replace("[[box.", f"[[{machine}.") for e in entries)
    return "\n".join(out)


def noisy(rng: random.Random, center: float, spread: float, n: int) -> list[float]:
    return [round(center * (1 + rng.uniform(-spread, spread)), 3) for _ in range(n)]


def rows(db, sql: str, params=None) -> list[dict]:
    with closing(duckdb.connect(str(db), read_only=True)) as con:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


# -- the statistics against their oracles ------------------------------------------------------
@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """40 models, each with a baseline and a contender of random sizes (2 to 30 samples), values
    rounded to a coarse grid so that ties are common; backward samples too, for totals."""
    rng = random.Random(13)
    models, truth = {}, {}
    for i in range(40):
        n_b, n_c = rng.randint(2, 30), rng.randint(2, 30)
        grid = rng.choice([0.5, 1.0, 5.0])
        shift = rng.choice([1.0, 1.02, 1.1, 1.5])
        fb = [round(rng.gauss(100, 4) / grid) * grid for _ in range(n_b)]
        fc = [round(rng.gauss(100 * shift, 4) / grid) * grid for _ in range(n_c)]
        bb = [round(rng.gauss(200, 6) / grid) * grid for _ in range(n_b)]
        bc = [round(rng.gauss(200 * shift, 6) / grid) * grid for _ in range(n_c)]
        models[f"Model {i}"] = [toml_entry("Base", "1", fb, bb), toml_entry("Cont", "2", fc, bc)]
        truth[f"model{i}"] = {"forward_ms": (fb, fc), "backward_ms": (bb, bc),
                              "total_ms": ([a + b for a, b in zip(fb, bb)], [a + b for a, b in zip(fc, bc)])}
    folder = tmp_path_factory.mktemp("generated")
    path = folder / "generated.toml"
    path.write_text(toml_file(models))
    db = folder / "w.duckdb"
    build_warehouse([str(path)], str(db))
    return db, truth


def test_mann_whitney_agrees_with_scipy(generated):
    db, truth = generated
    found = rows(db, "select c.*, b.framework from comparisons c join results b on b.run_id = c.baseline_run_id "
                     "where metric <> 'memory_bytes'")
    assert len(found) == 40 * 3 * 2  # both orders of each pair, three timed metrics
    ties = 0
    for r in found:
        base, cont = truth[r["model_key"]][r["metric"]]
        if r["framework"] == "Cont":
            base, cont = cont, base
        ties += len(set(base + cont)) < len(base + cont)
        expected = mannwhitneyu(cont, base, method="asymptotic", use_continuity=True, alternative="two-sided")
        assert r["status"] == "tested"
        assert r["u"] == pytest.approx(expected.statistic, abs=1e-9)
        assert abs(r["p_value"] - expected.pvalue) <= 1e-6, (r["model"], r["metric"], r["p_value"], expected.pvalue)
        assert abs(r["p_value"] - expected.pvalue) <= 2e-7 * expected.pvalue + 1e-12
        assert r["ratio"] == pytest.approx(np.median(cont) / np.median(base), rel=1e-12)
    assert ties > 100  # the grid makes ties common: the tie correction is exercised


def test_run_stats_agree_with_numpy(generated):
    db, truth = generated
    stats = rows(db, "select s.*, r.framework, r.model_key from run_stats s join results r using (run_id)")
    assert len(stats) == 40 * 2 * 3
    for s in stats:
        base, cont = truth[s["model_key"]][s["metric"]]
        x = np.array(base if s["framework"] == "Base" else cont)
        assert s["n"] == len(x)
        assert s["median_ms"] == pytest.approx(np.median(x), rel=1e-12)
        assert s["mean_ms"] == pytest.approx(x.mean(), rel=1e-12)
        assert s["stddev_ms"] == pytest.approx(x.std(ddof=1), rel=1e-9, abs=1e-9)
        assert (s["min_ms"], s["max_ms"]) == (x.min(), x.max())
        q1, q3 = np.percentile(x, [25, 75])
        assert s["q1_ms"] == pytest.approx(q1, rel=1e-12) and s["q3_ms"] == pytest.approx(q3, rel=1e-12)
        assert s["iqr_ms"] == pytest.approx(q3 - q1, rel=1e-9, abs=1e-9)
        k = brute_force_rank(len(x))
        xs = np.sort(x)
        if k is None:
            assert s["median_ci_low_ms"] is None and s["median_ci_high_ms"] is None
        else:
            assert (s["median_ci_low_ms"], s["median_ci_high_ms"]) == (xs[k - 1], xs[len(x) - k])


def brute_force_rank(n: int) -> int | None:
    """The largest k with P(B <= k - 1) <= 0.025, B ~ Binomial(n, 1/2), by counting every one of the
    2^n equally likely sign patterns (how many samples fall below the median) for n up to 16, and
    by summing binomial coefficients above that."""
    if n <= 16:
        counts = [0] * (n + 1)
        for signs in itertools.product((0, 1), repeat=n):
            counts[sum(signs)] += 1
        total = 2 ** n
    else:
        counts, total = [math.comb(n, j) for j in range(n + 1)], 2 ** n
    best, below = None, 0
    for k in range(1, n + 1):
        below += counts[k - 1]  # P(B <= k - 1) * total
        if below * 40 <= total:  # <= 0.025 exactly, in integers
            best = k
    return best


@pytest.mark.parametrize("n", [1, 2, 5, 6, 7, 8, 10, 13, 16, 20, 30, 50, 100, 400])
def test_median_interval_ranks_match_brute_force(project, n):
    values = [float(i) for i in range(1, n + 1)]
    random.Random(n).shuffle(values)
    Path("s.toml").write_text(toml_file({"M": [toml_entry("T", "1", values)]}))
    build_warehouse(["s.toml"], "w.duckdb")
    (s,) = rows("w.duckdb", "select * from run_stats where metric = 'forward_ms'")
    k = brute_force_rank(n)
    if k is None:
        assert s["median_ci_low_ms"] is None and s["median_ci_coverage"] is None
    else:
        # values are 1..n, so the bounds are the ranks themselves
        assert (s["median_ci_low_ms"], s["median_ci_high_ms"]) == (k, n + 1 - k)
        assert s["median_ci_coverage"] == pytest.approx(1 - 2 * sum(math.comb(n, j) for j in range(k)) / 2 ** n,
                                                        rel=1e-9)
        assert s["median_ci_coverage"] >= 0.95


# -- known answers -----------------------------------------------------------------------------
def known_answers(folder: Path) -> tuple[Path, Path]:
    """main.toml and pr.toml: the same two models measured before and after a change.
    Alexnet: 10% slower with 1% noise (a regression beyond 5%); VGG: the same center with 40% noise
    (not significant); GoogleNet: identical samples; LeNet: one sample a side."""
    rng = random.Random(7)
    n = 20
    alex_b, alex_c = noisy(rng, 100, 0.01, n), noisy(rng, 110, 0.01, n)
    vgg_b = noisy(rng, 300, 0.4, n)
    vgg_c = noisy(rng, 300, 0.4, n)
    goog = noisy(rng, 200, 0.05, n)
    def entry(forward):  # backward twice the forward, so that totals exist
        return [toml_entry("Torch", "2.13", forward, [round(2 * x, 3) for x in forward])]

    main = toml_file({"Alexnet": entry(alex_b), "VGG": entry(vgg_b), "GoogleNet": entry(goog), "LeNet": entry([5.0])})
    pr = toml_file({"Alexnet": entry(alex_c), "VGG": entry(vgg_c), "GoogleNet": entry(goog), "LeNet": entry([6.0])})
    (folder / "main.toml").write_text(main)
    (folder / "pr.toml").write_text(pr)
    return folder / "main.toml", folder / "pr.toml"


def by_model(result) -> dict:
    doc = json.loads(result.stdout)
    return {r["model"]: r for r in doc["rows"]}


def test_two_toml_files_known_answers_and_the_gate(project):
    main, pr = known_answers(project)
    before = {p: sha256(p) for p in (main, pr)}
    # a 10% slowdown sits on the default factor of 1.10: the gate here is "slower by more than 5%"
    result = cli("compare", "main.toml", "pr.toml", "--format", "json", "--metric", "forward", "--factor", "1.05")
    assert result.exit_code == 0, result.stderr
    got = by_model(result)
    alex, vgg, goog, lenet = got["Alexnet"], got["VGG"], got["GoogleNet"], got["LeNet"]
    assert alex["mark"] == "+" and alex["status"] == "tested"
    assert 1.08 < alex["ratio"] < 1.12 and alex["p_value"] < 1e-6
    assert alex["verdict"].startswith(f"{alex['ratio']:.2f}x slower, significant")
    assert vgg["status"] == "tested" and vgg["p_value"] >= 0.01 and vgg["mark"] in "~ "
    assert goog["ratio"] == 1 and goog["p_value"] == 1 and goog["mark"] == " " and goog["u"] == 200
    assert lenet["status"] == "too few samples" and lenet["p_value"] is None and lenet["mark"] == "~"
    assert lenet["verdict"] == "1.20x slower; too few samples to test (fewer than 2 a side)"
    # the gate
    gate = cli("compare", "main.toml", "pr.toml", "--metric", "forward", "--factor", "1.05", "--fail-on", "regression")
    assert gate.exit_code == 1
    assert "failing (--fail-on regression)" in gate.stderr and "1 slower (+)" in gate.stderr
    assert gate.stdout.splitlines()[6].startswith("| +   | Alexnet")  # regressions come first
    # the other way round it is a significant improvement: passes the regression gate, fails on change
    assert cli("compare", "pr.toml", "main.toml", "--metric", "forward", "--factor", "1.05",
               "--fail-on", "regression").exit_code == 0
    assert cli("compare", "pr.toml", "main.toml", "--metric", "forward", "--factor", "1.05",
               "--fail-on", "change").exit_code == 1
    # a wider factor: the 10% slowdown is within it
    assert cli("compare", "main.toml", "pr.toml", "--metric", "forward", "--factor", "1.2",
               "--fail-on", "regression").exit_code == 0
    # the files are only read, and nothing is written beside them
    assert {p: sha256(p) for p in (main, pr)} == before
    assert sorted(p.name for p in project.iterdir()) == ["benchmark.toml", "data", "main.toml", "pr.toml"]


def test_heavy_noise_is_not_significant_and_passes_the_gate(project):
    rng = random.Random(3)
    base = noisy(rng, 100, 0.5, 20)
    cont = [v * 1.15 for v in noisy(rng, 100, 0.5, 20)]  # medians differ, but the noise swamps it
    Path("a.toml").write_text(toml_file({"M": [toml_entry("T", "1", base)]}))
    Path("b.toml").write_text(toml_file({"M": [toml_entry("T", "1", cont)]}))
    result = cli("compare", "a.toml", "b.toml", "--metric", "forward", "--format", "json", "--fail-on", "regression")
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)["rows"]
    expected = mannwhitneyu(cont, base, method="asymptotic").pvalue
    assert row["p_value"] == pytest.approx(expected, abs=1e-6) and row["p_value"] >= 0.01
    assert row["mark"] in "~ " and "not significant" in row["verdict"] or row["mark"] == " "


def test_published_data_has_no_samples_and_no_p_value(seed_db):
    result = cli("compare", "framework=caffe", "framework=torch", "--format", "json", "--no-refresh")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["rows"] and all(r["status"] == "no samples" and r["p_value"] is None for r in doc["rows"])
    alex = next(r for r in doc["rows"] if r["model"] == "Alexnet" and r["contender_stack"] == "Torch 07/03/2016 + cuDNN 4")
    assert (alex["baseline_value"], alex["contender_value"]) == (127.0, 82.0)  # 42 + 85 and 28 + 54
    assert alex["ratio"] == pytest.approx(82 / 127) and alex["mark"] == "~"
    assert alex["verdict"] == f"{127 / 82:.2f}x faster; no samples: ratio only, no test"
    # never a gate failure without a test
    assert cli("compare", "framework=caffe", "framework=torch", "--no-refresh",
               "--fail-on", "regression").exit_code == 0


def test_markdown_output_has_the_legend_and_the_geomean(project):
    known_answers(project)
    result = cli("compare", "main.toml", "pr.toml")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    for mark in "+-~x!":
        assert f"- `{mark}` " in text
    assert "- ` ` within 1.1x: no change worth reporting" in text
    assert "- `+` slower: ratio above 1.1 and p < 0.01" in text
    assert "Geometric mean of the ratios" in text
    assert "| Torch 2.13 (fp32) | Torch 2.13 (fp32) |      4 |" in text


# -- selectors, the macro and the view agree ----------------------------------------------------
def test_the_macro_and_the_view_share_their_statistics(generated):
    from dlbench import sqlfiles

    # written once, in sql/fragments, and included by both (and by compare's two states)
    for path in ("views/comparisons.sql", "macros/compare.sql", "report/compare_states.sql"):
        written = (SQL / path).read_text()
        assert "fragments/compare_stats.sql" in sqlfiles.includes(written), path
        assert "rank_sums AS" not in written, path  # the statistics themselves are not copied
    stats = (SQL / "fragments" / "compare_stats.sql").read_text()
    for obj in (next(v for v in sqlfiles.views() if v.name == "comparisons"),
                next(m for m in sqlfiles.macros() if m.name == "compare")):
        assert stats.rstrip() in obj.sql
    db, _ = generated
    for metric in ("forward_ms", "total_ms"):
        via_macro = rows(db, "select baseline_run_id, contender_run_id, ratio, ratio_low, u, p_value, mark, "
                             "geomean_ratio from compare('framework=base', 'framework=cont', metric_name := ?)",
                         [metric])
        via_view = rows(db, "select c.baseline_run_id, c.contender_run_id, c.ratio, c.ratio_low, c.u, c.p_value, "
                            "c.mark, c.geomean_ratio from comparisons c join results b on b.run_id = "
                            "c.baseline_run_id where b.framework = 'Base' and metric = ?", [metric])
        key = lambda r: r["baseline_run_id"]  # noqa: E731
        assert len(via_macro) == 40 and sorted(via_macro, key=key) == sorted(via_view, key=key)


def test_selectors_name_what_is_missing_and_what_exists(seed_db):
    result = cli("compare", "framework=theano", "framework=torch", "--no-refresh")
    assert result.exit_code == 2
    assert "no run matches the selector 'framework=theano'" in result.stderr
    assert "no framework 'theano'; known framework values: Caffe, Leaf, Tensorflow, Torch" in result.stderr
    result = cli("compare", "framework=torch,version=9", "framework=caffe", "--no-refresh")
    assert result.exit_code == 2 and "no version '9'; known version values: Caffe 1.0.0, Leaf 0.2," in result.stderr
    result = cli("compare", "flavour=torch", "framework=caffe", "--no-refresh")
    assert result.exit_code == 2 and "unknown selector key 'flavour'" in result.stderr
    result = cli("compare", "nothing.toml", "pr.toml")
    assert result.exit_code == 2 and "'nothing.toml' is neither a selector" in result.stderr
    result = cli("compare", "benchmark.toml", "framework=caffe", "--no-refresh")
    assert result.exit_code == 2 and "not one of each" in result.stderr
    result = cli("compare", "framework=caffe", "framework=torch", "--metric", "speed", "--no-refresh")
    assert result.exit_code == 2 and "--metric" in result.stderr


def test_selectors_across_machines_and_versions(project):
    rng = random.Random(5)
    a = toml_file({"AlexNet": [toml_entry("Torch", "2.13", noisy(rng, 100, 0.01, 10)),
                               toml_entry("Torch", "2.14", noisy(rng, 90, 0.01, 10))]}, machine="box-a")
    b = toml_file({"AlexNet": [toml_entry("Torch", "2.13", noisy(rng, 120, 0.01, 10)),
                               toml_entry("JAX", "0.4", noisy(rng, 80, 0.01, 10))]}, machine="box-b")
    Path("a.toml").write_text(a)
    Path("b.toml").write_text(b)
    build_warehouse(["a.toml", "b.toml"], "w.duckdb")
    got = rows("w.duckdb", "select baseline_machine_key, contender_machine_key, baseline_stack, contender_stack, mark "
                           "from compare('machine=box-a', 'machine=box-b', metric_name := 'forward_ms')")
    # the same stack on two machines: Torch 2.13 only
    assert got == [{"baseline_machine_key": "box-a", "contender_machine_key": "box-b",
                    "baseline_stack": "Torch 2.13 (fp32)", "contender_stack": "Torch 2.13 (fp32)", "mark": "+"},
                   {"baseline_machine_key": "box-a", "contender_machine_key": None,
                    "baseline_stack": "Torch 2.14 (fp32)", "contender_stack": None, "mark": "!"}]
    got = rows("w.duckdb", "select baseline_stack, contender_stack, mark from compare('version=2.13', 'version=2.14', metric_name := 'forward_ms')")
    assert got == [{"baseline_stack": "Torch 2.13 (fp32)", "contender_stack": "Torch 2.14 (fp32)", "mark": "-"},
                   {"baseline_stack": "Torch 2.13 (fp32)", "contender_stack": None, "mark": "!"}]


def test_report_baseline_and_compare_agree(project):
    data = ROOT / "tests" / "data" / "compare_main.toml"
    Path("main.toml").write_text(data.read_text())
    build_warehouse(["main.toml"], "w.duckdb")
    text = cli("report", "--db", "w.duckdb", "--no-refresh", "--baseline", "JAX").stdout
    doc = json.loads(cli("compare", "framework=jax", "framework=torch", "--db", "w.duckdb", "--no-refresh",
                         "--format", "json").stdout)
    assert len(doc["rows"]) == 4
    for r in doc["rows"]:
        # the Torch row of this model's table in the report: speedup = 1 / ratio, the same mark
        section = text.split(f"### {r['model']} (")[1].split("###")[0]
        line = next(x for x in section.splitlines() if "| Torch 2.5.1 (fp32) |" in x)
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[6] == f"{1 / r['ratio']:.2f}", (r["model"], cells)
        assert cells[7] == r["mark"].strip()
    assert "as `dlbench compare` (the same SQL) says it" in text


def test_readme_example_is_what_compare_prints():
    readme = (ROOT / "docs" / "comparing.md").read_text()
    start = readme.index("$ python3 cli.py compare tests/data/compare_main.toml")
    block = readme[start:readme.index("```", start)]
    command, shown = block.split("\n", 1)
    from conftest import run_cli

    proc = run_cli(*command.split()[3:], cwd=ROOT)
    assert proc.returncode == 1
    assert proc.stdout == shown
    assert f"and on stderr `{proc.stderr.strip()}`, exit code 1" in readme


def test_bad_files_exit_2_and_leave_nothing(project):
    Path("bad.toml").write_text('[box]\nname = 50\n')
    Path("good.toml").write_text((ROOT / "tests" / "data" / "compare_main.toml").read_text())
    result = cli("compare", "good.toml", "bad.toml")
    assert result.exit_code == 2
    assert "bad.toml:2:1: box.name: wrong type" in result.stderr
    result = cli("compare", "good.toml", "benchmark.toml.txt")
    assert result.exit_code == 2 and "is neither a selector" in result.stderr
    Path("notes.txt").write_text("not a warehouse")
    result = cli("compare", "notes.txt", "notes.txt")
    assert result.exit_code == 2 and "notes.txt: not a dlbench warehouse" in result.stderr
    assert sorted(p.name for p in project.iterdir()) == ["bad.toml", "benchmark.toml", "data", "good.toml",
                                                         "notes.txt"]


def test_two_warehouses_compare_like_their_files(project):
    for name in ("main", "pr"):
        Path(f"{name}.toml").write_text((ROOT / "tests" / "data" / f"compare_{name}.toml").read_text())
        build_warehouse([f"{name}.toml"], f"{name}.duckdb")
    files = json.loads(cli("compare", "main.toml", "pr.toml", "--format", "json").stdout)
    dbs = json.loads(cli("compare", "main.duckdb", "pr.duckdb", "--format", "json").stdout)
    assert files["rows"] == dbs["rows"] and len(files["rows"]) == 8
    assert {r["baseline_source"] for r in dbs["rows"]} == {"main.toml"}
    assert {r["contender_source"] for r in dbs["rows"]} == {"pr.toml", None}  # None: the '!' row
    with closing(duckdb.connect("pr.duckdb", read_only=True)) as con:
        ids = {i for (i,) in con.execute("select run_id from runs").fetchall()}
    assert {r["contender_run_id"] for r in dbs["rows"]} - {None} <= ids


def test_readme_real_data_example(tmp_path, monkeypatch):
    """The torch-vs-jax example of docs/comparing.md is what compare prints on the committed collector file."""
    import shutil

    from conftest import ROOT, cli

    shutil.copy(ROOT / "benchmark.toml", tmp_path / "benchmark.toml")
    shutil.copytree(ROOT / "data", tmp_path / "data", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.chdir(tmp_path)
    result = cli("compare", "framework=pytorch", "framework=jax")
    assert result.exit_code == 0, result.stderr
    readme = (ROOT / "docs" / "comparing.md").read_text(encoding="utf-8")
    shown = readme.split("$ python3 cli.py compare framework=pytorch framework=jax\n", 1)[1].split("```", 1)[0]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")][:6]
    assert shown.splitlines() == rows
    assert [line.split("|")[1].strip() for line in rows[2:]] == ["+", "+", "~", "-"]


def test_stacks_that_look_alike_are_two_stacks(project):
    """"Torch"/"1 2" and "Torch 1"/"2" both show as "Torch 1 2 (fp32)": the comparison tells them
    apart by their keys, not by that string. JAX against each: one is twice as slow, the other half;
    merged, their geometric mean would be 1.00 over 4 models."""
    rng = random.Random(11)
    models = {}
    for model in ("M1", "M2"):
        models[model] = [toml_entry(name, version, noisy(rng, ms, 0.01, 10), noisy(rng, ms, 0.01, 10))
                         for name, version, ms in (("JAX", "1", 100), ("Torch", "1 2", 200), ("Torch 1", "2", 50))]
    Path("alike.toml").write_text(toml_file(models))
    build_warehouse(["alike.toml"], "w.duckdb")
    got = rows("w.duckdb", "select distinct contender_stack, geomean_models, round(geomean_ratio, 1) as g "
                           "from comparisons c join results b on b.run_id = c.baseline_run_id "
                           "where b.framework = 'JAX' and metric = 'forward_ms' order by g")
    assert got == [{"contender_stack": "Torch 1 2 (fp32)", "geomean_models": 2, "g": 0.5},
                   {"contender_stack": "Torch 1 2 (fp32)", "geomean_models": 2, "g": 2.0}]
    doc = json.loads(cli("compare", "framework=jax", "framework=torch*", "--db", "w.duckdb", "--no-refresh",
                         "--metric", "forward", "--format", "json").stdout)
    assert sorted((g["contender_stack"], g["models"], round(g["geomean_ratio"], 1)) for g in doc["geomeans"]) == \
        [("Torch 1 2 (fp32)", 2, 0.5), ("Torch 1 2 (fp32)", 2, 2.0)]
    # the site's comparisons page lists each pair once: the two Torch stacks against each other too
    from dlbench import sqlfiles
    from dlbench.scope import Filters, apply, resolve

    with closing(duckdb.connect("w.duckdb", read_only=True)) as con:
        apply(con, resolve(con, Filters()))  # the site's scope: everything
        listed = sqlfiles.query(con, "site", "comparisons", {"max_rows": 100})
    pairs = sorted((r["model"], r["baseline_stack"], r["contender_stack"]) for r in listed)
    assert pairs == sorted([(m, "JAX 1 (fp32)", "Torch 1 2 (fp32)") for m in ("M1", "M2")] * 2
                           + [(m, "Torch 1 2 (fp32)", "Torch 1 2 (fp32)") for m in ("M1", "M2")])


def test_two_states_pair_on_run_id(project):
    """Two states with no dates pair each run with the run of the same run_id (the hash of its natural
    key; config_id, what they pair on, is the run_id itself for a run with no date), as
    each warehouse numbers it: no id is shifted, and a run only one state has is not paired."""
    for name in ("main", "pr"):
        Path(f"{name}.toml").write_text((ROOT / "tests" / "data" / f"compare_{name}.toml").read_text())
        build_warehouse([f"{name}.toml"], f"{name}.duckdb")
    doc = json.loads(cli("compare", "main.duckdb", "pr.duckdb", "--format", "json").stdout)
    paired = [r for r in doc["rows"] if r["contender_run_id"] is not None]
    assert len(paired) == 7 and all(r["baseline_run_id"] == r["contender_run_id"] for r in paired)
    (missing,) = [r for r in doc["rows"] if r["mark"] == "!"]
    with closing(duckdb.connect("pr.duckdb", read_only=True)) as con:
        assert con.execute("select count(*) from runs where run_id = ?", [missing["baseline_run_id"]]).fetchone() == (0,)


def test_two_states_measured_on_other_days_pair_on_their_configuration(project):
    """The date is part of a run's natural key (a stack measured again later is another run), so two
    states collected on different days share no run_id: they pair on config_id, the key without the
    date. A state holding one configuration on two days is represented by its most recent run."""
    def dated(name: str, *dates: str) -> str:
        text = (ROOT / "tests" / "data" / f"compare_{name}.toml").read_text()
        parts = text.split("[[ci-box.models.frameworks]]\n")
        return parts[0] + "".join(f"[[ci-box.models.frameworks]]\ndate = {dates[0]}\n" + p for p in parts[1:])

    Path("main.toml").write_text(dated("main", "2026-12-01"))
    # the contender: the PR's numbers today, and the main branch's numbers again on an older day
    Path("pr.toml").write_text(dated("pr", "2026-12-04"))
    Path("old.toml").write_text(dated("main", "2026-11-01"))
    build_warehouse(["main.toml"], "main.duckdb")
    build_warehouse(["pr.toml", "old.toml"], "pr.duckdb")
    doc = json.loads(cli("compare", "main.duckdb", "pr.duckdb", "--format", "json").stdout)
    paired = [r for r in doc["rows"] if r["contender_run_id"] is not None]
    assert len(paired) == 8  # every configuration of main.toml, JAX ResNet-50 from the older file
    assert all(r["baseline_run_id"] != r["contender_run_id"] for r in paired)  # other days: other run_ids
    with closing(duckdb.connect("pr.duckdb", read_only=True)) as con:
        dates = dict(con.execute("select run_id, date from runs").fetchall())
    # where pr.duckdb has a configuration on both days, the run of 2026-12-04 is the one compared
    assert {dates[r["contender_run_id"]] for r in paired} == {"2026-12-04", "2026-11-01"}
    assert sum(dates[r["contender_run_id"]] == "2026-12-04" for r in paired) == 7
    assert [r for r in doc["rows"] if r["mark"] == "!"] == []


def test_selector_keys_are_the_seed_and_each_has_values(seed_db):
    """The selector keys are written once, in sql/seeds/compare_selector_keys.csv: compare.py reads
    them, the macro joins them, and fragments/selector_values.sql gives each of them values (and no
    other key)."""
    from dlbench import compare, sqlfiles

    keys = [k["key"] for k in sqlfiles.seed("compare_selector_keys").dicts()]
    assert list(compare.SELECTOR_KEYS) == keys
    listed = rows(seed_db, sqlfiles.read_sql("report", "compare_selectors"))
    assert sorted({r["key"] for r in listed}) == sorted(keys)
    frees = {k["key"]: k["frees"] for k in sqlfiles.seed("compare_selector_keys").dicts()}
    assert set(frees.values()) == {"stack", "machine", "precision", "model", "source"}


def test_the_marks_are_the_seed():
    from dlbench import compare, sqlfiles

    marks = sqlfiles.seed("compare_marks").dicts()
    assert [m["mark"] for m in marks] == ["+", "-", "~", " ", "x", "!"]  # the legend's order
    assert compare.MARK_ORDER == "+!~x -" and compare.FAIL_ON == ("regression", "change", "none")
    result = compare.Comparison("a", "b", "total_ms", 1.1, 0.01,
                                rows=[{"mark": m} for m in "-!"])
    assert not result.failed("regression") and result.failed("change") and not result.failed("none")
    assert result.summary() == ("2 comparison(s): 0 slower (+), 1 faster (-), 0 not significant (~), "
                                "0 within 1.1x, 1 failed in the contender (!), 0 not comparable (x).")
