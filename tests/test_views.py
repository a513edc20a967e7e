"""The named views (sql/views/*.sql) and the speedup_vs macros, checked by hand.

Every expected number below is worked out from benchmark.toml (the seed) or from the
convnet-benchmarks CSV (copied into CONVNET_CSV below) by hand, with the arithmetic
in the test. Warehouses are built once per module in tmp folders, never in the repo.
"""
from __future__ import annotations

import csv
import io
import math
import re
import shutil
from contextlib import closing

import pytest

from conftest import CONVNET, ROOT, SEED
from dlbench import connect, sqlfiles
from dlbench.warehouse import build_warehouse as ingest

DATA = ROOT / "tests" / "data"

# shared/data/convnet-benchmarks-imagenet-winners.csv, the source of data/convnet-benchmarks.toml
CONVNET_CSV = """\
model,batch_size,input,library,total_ms,forward_ms,backward_ms
AlexNet,128,3x224x224,CuDNN[R4]-fp16 (Torch),71,25,46
AlexNet,128,3x224x224,Nervana-neon-fp16,78,25,52
AlexNet,128,3x224x224,CuDNN[R4]-fp32 (Torch),81,27,53
AlexNet,128,3x224x224,TensorFlow,81,26,55
AlexNet,128,3x224x224,Nervana-neon-fp32,87,28,58
AlexNet,128,3x224x224,fbfft (Torch),104,31,72
AlexNet,128,3x224x224,Chainer,177,40,136
AlexNet,128,3x224x224,cudaconvnet2*,177,42,135
AlexNet,128,3x224x224,CuDNN[R2] *,231,70,161
AlexNet,128,3x224x224,Caffe (native),324,121,203
AlexNet,128,3x224x224,Torch-7 (native),342,132,210
AlexNet,128,3x224x224,CL-nn (Torch),963,388,574
AlexNet,128,3x224x224,Caffe-CLGreenTea,1442,210,1232
Overfeat,128,3x231x231,Nervana-neon-fp16,176,58,118
Overfeat,128,3x231x231,Nervana-neon-fp32,211,69,141
Overfeat,128,3x231x231,CuDNN[R4]-fp16 (Torch),242,86,156
Overfeat,128,3x231x231,CuDNN[R4]-fp32 (Torch),268,94,174
Overfeat,128,3x231x231,TensorFlow,279,90,189
Overfeat,128,3x231x231,fbfft (Torch),342,114,227
Overfeat,128,3x231x231,Chainer,620,135,484
Overfeat,128,3x231x231,cudaconvnet2*,723,176,547
Overfeat,128,3x231x231,CuDNN[R2] *,810,234,576
Overfeat,128,3x231x231,Caffe,823,355,468
Overfeat,128,3x231x231,Torch-7 (native),878,379,499
Overfeat,128,3x231x231,CL-nn (Torch),963,388,574
Overfeat,128,3x231x231,Caffe-CLGreenTea,2857,616,2240
VGG [A],64,3x224x224,Nervana-neon-fp16,254,82,171
VGG [A],64,3x224x224,Nervana-neon-fp32,320,103,217
VGG [A],64,3x224x224,CuDNN[R4]-fp16 (Torch),471,140,331
VGG [A],64,3x224x224,CuDNN[R4]-fp32 (Torch),529,162,366
VGG [A],64,3x224x224,TensorFlow,540,158,382
VGG [A],64,3x224x224,Chainer,885,251,632
VGG [A],64,3x224x224,fbfft (Torch),1092,355,737
VGG [A],64,3x224x224,cudaconvnet2*,1229,408,821
VGG [A],64,3x224x224,CuDNN[R2] *,1099,342,757
VGG [A],64,3x224x224,Caffe,1068,323,745
VGG [A],64,3x224x224,Torch-7 (native),1105,350,755
VGG [A],64,3x224x224,CL-nn (Torch),3437,875,2562
VGG [A],64,3x224x224,Caffe-CLGreenTea,5620,988,4632
GoogleNet,128,3x224x224,Nervana-neon-fp16,230,72,157
GoogleNet,128,3x224x224,Nervana-neon-fp32,270,84,186
GoogleNet,128,3x224x224,TensorFlow,445,135,310
GoogleNet,128,3x224x224,CuDNN[R4]-fp16 (Torch),462,112,349
GoogleNet,128,3x224x224,CuDNN[R4]-fp32 (Torch),470,130,340
GoogleNet,128,3x224x224,Chainer,687,189,497
GoogleNet,128,3x224x224,Caffe,1935,786,1148
GoogleNet,128,3x224x224,CL-nn (Torch),7016,3027,3988
GoogleNet,128,3x224x224,Caffe-CLGreenTea,9462,746,8716
"""
CONVNET_ROWS = list(csv.DictReader(io.StringIO(CONVNET_CSV)))

# The column contract: the report and the exports are written against these names.
CONTRACT = {
    "results": ["run_id", "machine_id", "machine_key", "machine", "device", "device_memory_bytes",
                "model_id", "model", "model_key", "batch_size", "input_shape", "framework",
                "framework_version", "libraries", "precision", "stack", "forward_ms", "backward_ms",
                "total_ms", "reported_total_ms", "memory_bytes", "memory_mb", "source", "line",
                "model_label", "date", "framework_key", "version_known", "precision_key", "libraries_known",
                "libraries_key", "libraries_shown", "base_stack", "total_is_reported", "summed_total_ms",
                "resolution_ms", "stack_id", "base_stack_id"],
    "speedups": ["machine", "model", "model_key", "run_id", "stack_id", "stack", "other_run_id", "other_stack_id",
                 "other_stack",
                 "forward_speedup", "backward_speedup", "total_speedup", "memory_ratio", "total_tie", "flagged",
                 "other_flagged"],
    "relative_to_fastest": ["rank", "slowdown", "fastest_stack", "fastest_total_ms",
                            "flagged", "flags", "fastest_run_id", "tie_resolution_ms", "ties_fastest"],
    "rankings": ["include_flagged", "flagged", "flags", "rank", "fastest_run_id", "fastest_stack",
                 "fastest_total_ms", "slowdown", "tie_resolution_ms", "ties_fastest"],
    "run_flags": ["run_id", "flagged", "flags", "notes", "memory_reserved"],
    "framework_summary": ["machine", "stack_id", "stack", "framework", "framework_version", "libraries", "precision",
                          "models_measured", "flagged_models", "flagged_model_names", "wins", "geomean_slowdown",
                          "common_models", "common_model_names", "geomean_slowdown_common", "mean_memory_ratio"],
    "stack_scores": ["machine", "stack_id", "stack", "include_flagged", "models_measured", "flagged_models", "wins",
                     "geomean_slowdown", "common_models", "common_model_names", "geomean_slowdown_common",
                     "mean_memory_ratio"],
    "memory_comparison": ["machine", "model", "stack_id", "stack", "run_id", "memory_mb", "memory_reserved", "leanest_stack",
                          "leanest_memory_mb", "memory_ratio", "memory_ratio_with_reserved", "device_memory_share"],
    "library_effect": ["machine", "model", "framework", "framework_version", "libraries", "other_libraries",
                       "forward_speedup", "backward_speedup", "total_speedup", "geomean_total_speedup"],
    "version_progress": ["machine", "model", "framework", "framework_key", "framework_version", "version_order",
                         "previous_version", "total_ms", "previous_total_ms", "speedup_vs_previous"],
    "data_quality": ["check", "severity", "machine", "model", "stack", "run_id", "source", "line", "forward_ms",
                     "backward_ms", "reported_total_ms", "summed_total_ms", "difference_ms", "memory_mb",
                     "device_memory_mb", "runs_with_memory", "models_same_memory", "other_run_id", "other_model",
                     "other_source", "other_line"],
    "throughput": ["machine", "model", "stack_id", "stack", "batch_size", "total_ms", "images_per_s",
                   "images_per_s_forward"],
    "precision_effect": ["machine", "model", "base_stack_id", "stack", "fp32_total_ms", "fp16_total_ms", "total_speedup",
                         "summed_total_speedup", "forward_speedup", "backward_speedup", "fp16_slower", "flagged",
                         "geomean_total_speedup"],
    "cross_machine": ["model", "model_key", "stack_key", "like_for_like", "other_machines", "machine_id",
                      "machine_key", "machine", "other_machine_id", "other_machine_key", "other_machine",
                      "framework", "run_id", "other_run_id", "stack", "other_stack", "total_ms",
                      "other_total_ms", "total_ratio", "total_tie", "forward_ms", "other_forward_ms", "backward_ms",
                      "other_backward_ms"],
    "run_samples": ["run_id", "metric", "iteration", "value_ms"],
    "run_stats": ["run_id", "metric", "n", "median_ms", "mean_ms", "stddev_ms", "min_ms", "max_ms", "q1_ms",
                  "q3_ms", "iqr_ms", "median_ci_low_ms", "median_ci_high_ms", "median_ci_coverage"],
    "comparisons": ["machine_id", "machine_key", "model_key", "model", "metric", "baseline_run_id",
                    "baseline_stack", "contender_run_id", "contender_stack", "baseline_value", "contender_value",
                    "baseline_n", "contender_n", "ratio", "ratio_low", "ratio_high", "u", "u_sigma", "p_value",
                    "status", "mark", "geomean_ratio", "geomean_low", "geomean_high", "geomean_models"],
    "quality_checks": ["check", "severity", "position", "words", "meaning", "tests"],  # a seed (sql/seeds)
    "compare_marks": ["mark", "sort_position", "summary_position", "fails_regression", "fails_change", "meaning",
                      "counted"],  # a seed
    "compare_selector_keys": ["key", "frees", "matches"],  # a seed
}
CONTRACT["relative_to_fastest"] = CONTRACT["results"] + CONTRACT["relative_to_fastest"]
CONTRACT["rankings"] = CONTRACT["results"] + CONTRACT["rankings"]
MACRO_COLUMNS = ["machine", "model", "stack", "baseline_stack", "total_speedup", "forward_speedup",
                 "backward_speedup"]

TORCH_NEW = "Torch 07/03/2016 + cuDNN 4"
TORCH_OLD = "Torch 01/2016 + cuDNN 3"
LEAF_4 = "Leaf 0.2 + cuDNN 4"
LEAF_3 = "Leaf 0.2 + cuDNN 3"
CAFFE = "Caffe 1.0.0 + cuDNN 3"
TF_07 = "Tensorflow 0.7 + cuDNN 3"
TF_071 = "Tensorflow 0.7.1 + cuDNN 4"

# The seed's totals (forward + backward, ms) by model and stack, from benchmark.toml.
SEED_TOTALS = {
    "alexnet": {LEAF_4: 25 + 63, LEAF_3: 31 + 71, TORCH_OLD: 33 + 66, TORCH_NEW: 28 + 54,
                CAFFE: 42 + 85, TF_07: 46 + 202, TF_071: 40 + 128},
    "overfeat": {LEAF_4: 84 + 180, LEAF_3: 106 + 226, TORCH_OLD: 114 + 215, TORCH_NEW: 95 + 176,
                 CAFFE: 143 + 289, TF_07: 118 + 621, TF_071: 119 + 300},
    "vgga": {LEAF_4: 143 + 368, LEAF_3: 180 + 418, TORCH_OLD: 201 + 429, TORCH_NEW: 165 + 367,
             CAFFE: 225 + 453, TF_07: 228 + 1142, TF_071: 227 + 840},
    "googlenet": {TORCH_OLD: 138 + 361, TORCH_NEW: 131 + 342, CAFFE: 143 + 345, TF_07: 197 + 871,
                  TF_071: 195 + 757},
}

def build(folder, *extra):
    """A warehouse in `folder` from the seed plus `extra` files (copied into data/), built the
    default way (benchmark.toml + data/*.toml), as `dlbench ingest` does."""
    shutil.copy(SEED, folder / "benchmark.toml")
    (folder / "data").mkdir()
    for path in extra:
        shutil.copy(path, folder / "data" / path.name)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        ingest(None, "warehouse.duckdb")
    return folder / "warehouse.duckdb"


_OPEN: dict[str, object] = {}


@pytest.fixture(scope="module", autouse=True)
def _close_connections():
    """One read-only connection per warehouse for the module (opening one takes a while)."""
    yield
    while _OPEN:
        _OPEN.popitem()[1].close()


def _con(db):
    if str(db) not in _OPEN:
        _OPEN[str(db)] = connect(str(db))
    return _OPEN[str(db)]


def rows(db, sql, *params):
    """The rows of a query as dicts."""
    cur = _con(db).execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def columns(db, relation):
    return [d[0] for d in _con(db).execute(f"SELECT * FROM {relation} LIMIT 0").description]


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return build(tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="module")
def convnet(tmp_path_factory):
    return build(tmp_path_factory.mktemp("convnet"), CONVNET)


@pytest.fixture(scope="module")
def quirks(tmp_path_factory):
    """The seed plus the two small files of tests/data made for these tests."""
    return build(tmp_path_factory.mktemp("quirks"), DATA / "views_versions.toml", DATA / "views_devices.toml")


@pytest.fixture(scope="module")
def three_machines(tmp_path_factory):
    """The seed plus tests/data/views_cross_machine.toml: ResNet-50 on three machines."""
    return build(tmp_path_factory.mktemp("three"), DATA / "views_cross_machine.toml")


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    """The seed plus tests/data/views_stacks.toml: stacks whose display strings mislead."""
    return build(tmp_path_factory.mktemp("stacks"), DATA / "views_stacks.toml")


def geomean(values):
    values = list(values)
    return math.prod(values) ** (1 / len(values))


# -- every view ------------------------------------------------------------------
def test_the_views_are_the_contracted_ones_with_their_columns(seed):
    assert sorted(v.name for v in sqlfiles.views()) == sorted(CONTRACT)
    for view, wanted in CONTRACT.items():
        have = columns(seed, view)
        assert [c for c in wanted if c not in have] == [], view
        assert len(set(have)) == len(have), view
    assert [c for c in MACRO_COLUMNS if c not in columns(seed, "speedup_vs('caffe')")] == []
    assert [c for c in MACRO_COLUMNS if c not in columns(seed, f"speedup_vs_stack('{CAFFE}')")] == []


def test_every_view_runs_on_a_fresh_seed_warehouse(project):
    ingest(None, "warehouse.duckdb")
    with closing(connect("warehouse.duckdb")) as con:
        counts = {v.name: con.execute(f'SELECT count(*) FROM "{v.name}"').fetchone()[0]
                  for v in sqlfiles.views()}
        macro = con.execute("SELECT count(*) FROM speedup_vs('caffe')").fetchone()[0]
    # 26 runs; ordered pairs on a model: 3 models x 7 x 6 + GoogleNet 5 x 4
    assert counts["results"] == counts["relative_to_fastest"] == counts["run_flags"] == 26
    assert counts["rankings"] == 2 * 26  # each run in both scopes
    assert counts["speedups"] == 3 * 7 * 6 + 5 * 4
    assert counts["memory_comparison"] == 25  # all but Leaf 0.2 + cuDNN 4 on Alexnet
    assert counts["framework_summary"] == 7
    assert counts["stack_scores"] == 2 * 7
    assert counts["library_effect"] == 3
    assert counts["version_progress"] == 4 * 2 * 2  # Torch and Tensorflow, 2 versions, 4 models
    assert counts["data_quality"] == 1 + 4  # Leaf's missing memory; Tensorflow 0.7.1's reservation x 4
    assert counts["quality_checks"] == 5  # the seed: one row per check, whatever the data
    assert counts["compare_marks"] == 6  # + - ~ x ! and the blank
    assert counts["compare_selector_keys"] == 8
    # one machine, no batch sizes, no precisions: nothing to show
    assert counts["throughput"] == counts["precision_effect"] == counts["cross_machine"] == 0
    assert macro == 26 - 4  # every run but the 4 Caffe runs themselves


def test_every_view_says_what_a_row_is_and_documents_its_columns(seed):
    results = columns(seed, "results")
    for obj in sqlfiles.views() + sqlfiles.macros():
        comment = obj.comment
        assert comment and comment[0], f"{obj.path.name} has no one-line description"
        assert comment[0].endswith("."), f"{obj.path.name}: the first line is not a whole sentence"
        assert any(line.startswith("One row per") for line in comment), \
            f"{obj.path.name} does not say what one row is"
        if obj.kind != "view":
            continue
        text = " ".join(comment)
        undocumented = [c for c in columns(seed, obj.name) if not re.search(rf"\b{c}\b", text)
                        and not ("every column of `results`" in text and c in results)]
        assert undocumented == [], obj.name


@pytest.fixture(scope="module")
def richest(tmp_path_factory):
    """The seed, data/*.toml and every fixture made for the views (tests/data/views_*.toml, and the
    files with raw samples, every level and unknown keys): the most corners at once."""
    extra = sorted(ROOT.glob("data/*.toml")) + sorted(DATA.glob("views_*.toml")) + [
        DATA / "export_every_level.toml", DATA / "compare_main.toml", DATA / "samples.toml"]
    return build(tmp_path_factory.mktemp("richest"), *extra)


@pytest.mark.parametrize("warehouse", ["seed", "richest"])
def test_every_view_is_unique_on_its_declared_grain(warehouse, request):
    """dbt's `unique` test for every view: the columns of its `-- grain:` header line exist and no
    two rows share them."""
    db = request.getfixturevalue(warehouse)
    counted = {}
    for view in sqlfiles.views():
        grain = sqlfiles.grain(view.name)
        assert grain and [c for c in grain if c not in columns(db, view.name)] == [], view.name
        keys = ", ".join(f'"{c}"' for c in grain)
        repeated = rows(db, f'SELECT {keys}, count(*) AS n FROM "{view.name}" GROUP BY ALL HAVING count(*) > 1')
        assert repeated == [], view.name
        counted[view.name] = rows(db, f'SELECT count(*) AS n FROM "{view.name}"')[0]["n"]
    if warehouse == "richest":  # the check has rows to look at in every view
        assert [name for name, n in counted.items() if n == 0] == []


def test_views_transpile_to_spark_without_unsupported_constructs():
    import sqlglot
    from sqlglot.errors import ErrorLevel

    for view in sqlfiles.views():
        spark_sql = sqlglot.transpile(view.body, read="duckdb", write="spark",
                                      unsupported_level=ErrorLevel.RAISE)[0]
        for duckdb_only in ("QUALIFY", "EXCLUDE", "GROUP BY ALL", "LIST_", "STRUCT_"):
            assert duckdb_only not in spark_sql.upper(), (view.name, duckdb_only)


# -- results ----------------------------------------------------------------------
def test_results_rows_on_the_seed(seed):
    got = rows(seed, "SELECT * FROM results WHERE model_key = 'alexnet' ORDER BY line")
    assert [(r["stack"], r["forward_ms"], r["backward_ms"], r["total_ms"], r["memory_bytes"])
            for r in got] == [
        (LEAF_4, 25, 63, 88, None),
        (LEAF_3, 31, 71, 102, 1_750_000_000),
        (TORCH_OLD, 33, 66, 99, 1_650_000_000),
        (TORCH_NEW, 28, 54, 82, 1_650_000_000),
        (CAFFE, 42, 85, 127, 1_350_000_000),
        (TF_07, 46, 202, 248, 11_050_000_000),
        (TF_071, 40, 128, 168, 11_520_000_000),
    ]
    first = got[0]
    assert first["machine"] == "Nvidia Titan X" and first["machine_key"] == "nvidia-titan-x"
    assert first["device"] == "Nvidia Titan X" and first["device_memory_bytes"] == 12_000_000_000
    assert first["model"] == "Alexnet" and first["model_key"] == "alexnet"
    assert (first["framework"], first["framework_version"], first["libraries"], first["precision"]) == \
        ("Leaf", "0.2", "cuDNN 4", None)
    assert first["memory_mb"] is None  # not given: NULL, never 0
    assert first["reported_total_ms"] is None  # the seed reports no totals
    assert (first["source"], first["line"]) == ("benchmark.toml", 27)
    assert got[1]["memory_mb"] == 1750.0
    assert {r["batch_size"] for r in got} == {None}


def test_fastest_total_and_fastest_forward_on_alexnet(seed):
    ranked = rows(seed, "SELECT rank, stack, total_ms, slowdown, fastest_stack, fastest_total_ms "
                        "FROM relative_to_fastest WHERE model_key = 'alexnet' ORDER BY rank")
    assert [(r["rank"], r["stack"], r["total_ms"]) for r in ranked] == [
        (1, TORCH_NEW, 82), (2, LEAF_4, 88), (3, TORCH_OLD, 99), (4, LEAF_3, 102),
        (5, CAFFE, 127), (6, TF_071, 168), (7, TF_07, 248)]
    assert {(r["fastest_stack"], r["fastest_total_ms"]) for r in ranked} == {(TORCH_NEW, 82)}
    assert ranked[0]["slowdown"] == 1
    assert ranked[-1]["slowdown"] == pytest.approx(248 / 82)
    # ... while Leaf 0.2 + cuDNN 4 has the fastest forward pass (25 ms)
    fastest_forward = rows(seed, "SELECT stack, forward_ms FROM results WHERE model_key = 'alexnet' "
                                 "ORDER BY forward_ms LIMIT 1")
    assert fastest_forward == [{"stack": LEAF_4, "forward_ms": 25}]


def test_relative_to_fastest_ranks_every_model(seed):
    got = rows(seed, "SELECT model_key, stack, rank, slowdown FROM relative_to_fastest")
    for model, totals in SEED_TOTALS.items():
        by_time = sorted(totals, key=lambda s: (totals[s], s))
        mine = {r["stack"]: r for r in got if r["model_key"] == model}
        assert sorted(mine, key=lambda s: mine[s]["rank"]) == by_time
        best = totals[by_time[0]]
        for stack, r in mine.items():
            assert r["slowdown"] == pytest.approx(totals[stack] / best)


def test_speedup_of_leaf_cudnn4_over_tensorflow_07_on_alexnet(seed):
    got = rows(seed, "SELECT * FROM speedups WHERE model_key = 'alexnet' AND stack = ? AND other_stack = ?",
               LEAF_4, TF_07)
    assert len(got) == 1
    assert got[0]["total_speedup"] == pytest.approx(248 / 88)  # 2.818...
    assert got[0]["total_speedup"] == pytest.approx(2.8181818)
    assert got[0]["forward_speedup"] == pytest.approx(46 / 25)
    assert got[0]["backward_speedup"] == pytest.approx(202 / 63)
    assert got[0]["memory_ratio"] is None  # Leaf 0.2 + cuDNN 4 gives no memory on Alexnet
    back = rows(seed, "SELECT total_speedup, memory_ratio FROM speedups WHERE model_key = 'alexnet' "
                      "AND stack = ? AND other_stack = ?", CAFFE, TF_07)
    assert back[0]["total_speedup"] == pytest.approx(248 / 127)
    assert back[0]["memory_ratio"] == pytest.approx(1350 / 11050)


def test_googlenet_has_five_stacks_and_no_leaf(seed):
    got = rows(seed, "SELECT stack FROM results WHERE model_key = 'googlenet' ORDER BY stack")
    assert [r["stack"] for r in got] == sorted(SEED_TOTALS["googlenet"])
    assert len(got) == 5 and not any(r["stack"].startswith("Leaf") for r in got)


# -- framework_summary ------------------------------------------------------------
def test_framework_summary_counts_only_the_models_a_stack_ran(seed):
    got = {r["stack"]: r for r in rows(seed, "SELECT * FROM framework_summary")}
    assert len(got) == 7
    best = {m: min(t.values()) for m, t in SEED_TOTALS.items()}  # 82, 264, 511, 473

    leaf4 = got[LEAF_4]
    assert (leaf4["framework"], leaf4["framework_version"], leaf4["libraries"], leaf4["precision"]) == \
        ("Leaf", "0.2", "cuDNN 4", None)
    assert leaf4["models_measured"] == 3
    assert leaf4["wins"] == 2  # Overfeat (264 ms) and VGG [A] (511 ms)
    # slowdowns 88/82, 264/264, 511/511; GoogleNet, which Leaf did not run, does not count
    assert leaf4["geomean_slowdown"] == pytest.approx((88 / 82 * 1 * 1) ** (1 / 3))
    # memory against the leanest (Caffe: 2400 MB, 5650 MB); Alexnet has no memory for it
    assert leaf4["mean_memory_ratio"] == pytest.approx((5050 / 2400 + 8300 / 5650) / 2)

    leaf3 = got[LEAF_3]
    assert (leaf3["models_measured"], leaf3["wins"]) == (3, 0)
    assert leaf3["geomean_slowdown"] == pytest.approx((102 / 82 * 332 / 264 * 598 / 511) ** (1 / 3))
    assert leaf3["mean_memory_ratio"] == pytest.approx((1750 / 1350 + 5050 / 2400 + 8300 / 5650) / 3)

    torch = got[TORCH_NEW]
    assert (torch["models_measured"], torch["wins"]) == (4, 2)  # Alexnet and GoogleNet
    assert torch["geomean_slowdown"] == pytest.approx((1 * 271 / 264 * 532 / 511 * 1) ** (1 / 4))

    for stack, r in got.items():
        ran = {m: t[stack] for m, t in SEED_TOTALS.items() if stack in t}
        assert r["models_measured"] == len(ran)
        assert r["geomean_slowdown"] == pytest.approx(geomean(t / best[m] for m, t in ran.items()))
    assert sum(r["wins"] for r in got.values()) == 4


# -- memory_comparison --------------------------------------------------------------
def test_memory_comparison_leaves_out_runs_without_memory(seed):
    got = rows(seed, "SELECT * FROM memory_comparison WHERE model_key = 'alexnet'")
    assert LEAF_4 not in {r["stack"] for r in got}
    assert len(got) == 6
    assert {(r["leanest_stack"], r["leanest_memory_mb"]) for r in got} == {(CAFFE, 1350.0)}
    tf = next(r for r in got if r["stack"] == TF_071)
    assert tf["memory_mb"] == 11520.0
    # 11,520 MB on all four models, 96% of the 12 GB card: a reservation, left out of memory ratios
    assert (tf["memory_reserved"], tf["memory_ratio"], tf["memory_rank"]) == (True, None, None)
    assert tf["memory_ratio_with_reserved"] == pytest.approx(11520 / 1350)
    assert tf["device_memory_share"] == pytest.approx(11.52 / 12)
    tf07 = next(r for r in got if r["stack"] == TF_07)  # 11,050 here but 11,000 on VGG [A]: not the same
    assert (tf07["memory_reserved"], tf07["memory_ratio"]) == (False, pytest.approx(11050 / 1350))
    # equal memory: the tie goes to the stack that sorts first
    overfeat = rows(seed, "SELECT stack, memory_rank FROM memory_comparison "
                          "WHERE model_key = 'overfeat' AND stack LIKE 'Leaf%' ORDER BY memory_rank")
    assert [r["stack"] for r in overfeat] == [LEAF_3, LEAF_4]


# -- library_effect -------------------------------------------------------------------
def test_library_effect_of_cudnn4_over_cudnn3_for_leaf(seed):
    got = {r["model_key"]: r for r in rows(seed, "SELECT * FROM library_effect")}
    assert sorted(got) == ["alexnet", "overfeat", "vgga"]
    for r in got.values():
        assert (r["framework"], r["framework_version"], r["libraries"], r["other_libraries"]) == \
            ("Leaf", "0.2", "cuDNN 4", "cuDNN 3")
    alexnet = got["alexnet"]
    assert alexnet["total_speedup"] == pytest.approx((31 + 71) / (25 + 63))  # 102/88
    assert alexnet["forward_speedup"] == pytest.approx(31 / 25)
    assert alexnet["backward_speedup"] == pytest.approx(71 / 63)
    expected = geomean([102 / 88, 332 / 264, 598 / 511])
    assert {round(r["geomean_total_speedup"], 12) for r in got.values()} == {round(expected, 12)}
    assert {r["models_compared"] for r in got.values()} == {3}


# -- version_progress -------------------------------------------------------------------
def test_version_progress_orders_dates_and_dotted_versions(seed):
    got = rows(seed, "SELECT * FROM version_progress ORDER BY model_key, framework, version_order")
    for model, totals in SEED_TOTALS.items():
        torch = [r for r in got if r["model_key"] == model and r["framework"] == "Torch"]
        assert [(r["framework_version"], r["version_order"], r["previous_version"]) for r in torch] == \
            [("01/2016", 1, None), ("07/03/2016", 2, "01/2016")]
        assert torch[1]["speedup_vs_previous"] == pytest.approx(totals[TORCH_OLD] / totals[TORCH_NEW])
        assert torch[0]["speedup_vs_previous"] is None
        tf = [r for r in got if r["model_key"] == model and r["framework"] == "Tensorflow"]
        assert [r["framework_version"] for r in tf] == ["0.7", "0.7.1"]
        assert (tf[1]["previous_total_ms"], tf[1]["total_ms"]) == (totals[TF_07], totals[TF_071])
    alexnet_tf = [r for r in got if r["model_key"] == "alexnet" and r["framework"] == "Tensorflow"]
    assert alexnet_tf[1]["speedup_vs_previous"] == pytest.approx(248 / 168)
    # Leaf and Caffe have one version each: no progress to show
    assert {r["framework"] for r in got} == {"Torch", "Tensorflow"}


def test_version_progress_orders_dotted_parts_as_numbers(quirks):
    got = rows(quirks, "SELECT framework_version, version_order, previous_version, total_ms, "
                       "speedup_vs_previous FROM version_progress WHERE framework = 'Demo' ORDER BY version_order")
    # views_versions.toml lists 0.9, 0.10, 0.7.1, 0.7 and unknown; unknown cannot be placed
    assert [(r["framework_version"], r["version_order"], r["previous_version"], r["total_ms"]) for r in got] == [
        ("0.7", 1, None, 90), ("0.7.1", 2, "0.7", 75), ("0.9", 3, "0.7.1", 60), ("0.10", 4, "0.9", 45)]
    assert [r["speedup_vs_previous"] for r in got] == [None, pytest.approx(90 / 75), pytest.approx(75 / 60),
                                                       pytest.approx(60 / 45)]


# -- data_quality -------------------------------------------------------------------
def test_data_quality_device_memory_and_total_checks(quirks):
    got = rows(quirks, 'SELECT "check", severity, stack, memory_mb, device_memory_mb, runs_with_memory, '
                       'reported_total_ms, summed_total_ms, difference_ms, source, line FROM data_quality '
                       "WHERE machine = 'Devices box' ORDER BY \"check\"")
    none = dict(memory_mb=None, device_memory_mb=14000.0, runs_with_memory=None, reported_total_ms=None,
                summed_total_ms=None, difference_ms=None)
    assert got == [
        {**none, "check": "memory_above_device", "severity": "error", "stack": "Torch 7", "memory_mb": 15000.0,
         "reported_total_ms": 53.0, "summed_total_ms": 50.5, "difference_ms": 2.5,
         "source": "data/views_devices.toml", "line": 25},
        {**none, "check": "missing_memory", "severity": "note", "stack": "Chainer 1.0", "runs_with_memory": 2,
         "reported_total_ms": 250.0, "source": "data/views_devices.toml", "line": 41},
        # Caffe's 101 ms against 40 + 60 = 100 ms is within 1 ms: not flagged
        {**none, "check": "total_mismatch", "severity": "note", "stack": "Torch 7", "memory_mb": 15000.0,
         "reported_total_ms": 53.0, "summed_total_ms": 50.5, "difference_ms": 2.5,
         "source": "data/views_devices.toml", "line": 25},
    ]
    # memory above the device is an error: the run is flagged, and left out of the ranking
    flagged = rows(quirks, "SELECT stack, flagged, flags, rank FROM relative_to_fastest "
                           "WHERE machine_key = 'devices-box' AND flagged")
    assert flagged == [{"stack": "Torch 7", "flagged": True, "flags": "memory_above_device", "rank": None}]


def test_devices_quantity_and_totals_without_backward(quirks):
    got = {r["stack"]: r for r in rows(quirks, "SELECT * FROM results WHERE machine_key = 'devices-box'")}
    assert {r["device"] for r in got.values()} == {"2 x Small GPU, Big GPU"}
    assert {r["device_memory_bytes"] for r in got.values()} == {2 * 4_000_000_000 + 6_000_000_000}
    # the reported total is the total; forward + backward stays visible beside it
    torch = got["Torch 7"]
    assert (torch["total_ms"], torch["reported_total_ms"], torch["summed_total_ms"]) == (53, 53, 50.5)
    assert (torch["total_is_reported"], torch["resolution_ms"]) == (True, 1)
    # no backward time: the reported total stands
    assert (got["Chainer 1.0"]["backward_ms"], got["Chainer 1.0"]["total_ms"]) == (None, 250)
    share = rows(quirks, "SELECT device_memory_share FROM memory_comparison WHERE stack = 'Torch 7'")
    assert share[0]["device_memory_share"] == pytest.approx(15 / 14)
    tp = {r["stack"]: r for r in rows(quirks, "SELECT * FROM throughput WHERE machine = 'Devices box'")}
    assert tp["Caffe 1.0.0"]["images_per_s"] == pytest.approx(100 / (101 / 1000))  # its total is 101
    assert tp["Chainer 1.0"]["images_per_s"] == pytest.approx(100 / 0.25)
    assert tp["Chainer 1.0"]["images_per_s_forward"] == pytest.approx(100 / 0.1)


# -- the macros ---------------------------------------------------------------------
def test_speedup_vs_caffe(seed):
    got = rows(seed, "SELECT * FROM speedup_vs('caffe')")
    assert len(got) == 26 - 4
    assert {r["baseline_stack"] for r in got} == {CAFFE}
    by = {(r["model_key"], r["stack"]): r for r in got}
    leaf = by[("alexnet", LEAF_4)]
    assert leaf["total_speedup"] == pytest.approx(127 / 88)
    assert leaf["forward_speedup"] == pytest.approx(42 / 25)
    assert leaf["backward_speedup"] == pytest.approx(85 / 63)
    assert by[("googlenet", TORCH_NEW)]["total_speedup"] == pytest.approx(488 / 473)
    assert by[("vgga", TF_07)]["total_speedup"] == pytest.approx(678 / 1370)
    for (model, stack), r in by.items():
        assert r["total_speedup"] == pytest.approx(SEED_TOTALS[model][CAFFE] / SEED_TOTALS[model][stack])
    # the framework name is matched case-insensitively; one stack by its name gives the same rows
    key = lambda r: (r["run_id"], r["baseline_run_id"])  # noqa: E731
    assert sorted(map(key, rows(seed, "SELECT * FROM speedup_vs('CAFFE')"))) == sorted(map(key, got))
    assert sorted(map(key, rows(seed, "SELECT * FROM speedup_vs_stack(?)", CAFFE.lower()))) == \
        sorted(map(key, got))


def test_speedup_vs_a_framework_with_two_versions(seed):
    got = rows(seed, "SELECT stack, baseline_stack, total_speedup FROM speedup_vs('torch') "
                     "WHERE model_key = 'alexnet' AND stack LIKE 'Torch%'")
    assert sorted((r["stack"], r["baseline_stack"], round(r["total_speedup"], 9)) for r in got) == [
        (TORCH_OLD, TORCH_NEW, round(82 / 99, 9)), (TORCH_NEW, TORCH_OLD, round(99 / 82, 9))]
    assert rows(seed, "SELECT * FROM speedup_vs('no such framework')") == []


# -- with data/convnet-benchmarks.toml -------------------------------------------------
def test_comparisons_never_cross_machines(convnet):
    crossed = rows(convnet, "SELECT count(*) AS n FROM speedups AS s "
                            "JOIN results AS a ON a.run_id = s.run_id "
                            "JOIN results AS b ON b.run_id = s.other_run_id WHERE a.machine_id <> b.machine_id")
    assert crossed == [{"n": 0}]
    # each machine keeps its own fastest AlexNet: 82 ms on the seed host, 71 ms on the i7-5930K
    fastest = rows(convnet, "SELECT DISTINCT machine_key, fastest_stack, fastest_total_ms "
                            "FROM relative_to_fastest WHERE model_key = 'alexnet' ORDER BY machine_key")
    assert [(r["machine_key"], r["fastest_stack"], r["fastest_total_ms"]) for r in fastest] == [
        ("i7-5930k-titan-x", "Torch + cuDNN R4 (fp16)", 71), ("nvidia-titan-x", TORCH_NEW, 82)]
    # and the seed's numbers are what they were without the convnet data
    leaf = rows(convnet, "SELECT models_measured, wins, geomean_slowdown FROM framework_summary "
                         "WHERE stack = ?", LEAF_4)
    assert leaf == [{"models_measured": 3, "wins": 2, "geomean_slowdown": pytest.approx((88 / 82) ** (1 / 3))}]


def test_convnet_throughput(convnet):
    got = {(r["model"], r["stack"]): r for r in rows(convnet, "SELECT * FROM throughput")}
    assert len(got) == 48  # the seed gives no batch sizes
    neon = got[("AlexNet", "neon (fp16)")]
    assert neon["batch_size"] == 128
    assert neon["images_per_s"] == pytest.approx(128 / (78 / 1000))  # 1641 images/s on the published 78 ms
    assert neon["images_per_s_forward"] == pytest.approx(128 / (25 / 1000))  # 5120
    labels = {(r["model"], r["label"]): r["stack"] for r in rows(convnet, "SELECT * FROM results")}
    for c in CONVNET_ROWS:
        r = got[(c["model"], labels[(c["model"], c["library"])])]
        assert r["images_per_s"] == pytest.approx(int(c["batch_size"]) / (float(c["total_ms"]) / 1000))


def test_convnet_precision_effect(convnet):
    got = {(r["model_key"], r["stack"]): r for r in rows(convnet, "SELECT * FROM precision_effect")}
    assert sorted(got) == sorted((m, s) for m in ("alexnet", "overfeat", "vgga", "googlenet")
                                 for s in ("neon", "Torch + cuDNN R4"))
    neon = got[("alexnet", "neon")]
    # on the published totals 87/78 = 1.115; on forward + backward 86/77 = 1.117
    assert (neon["fp32_total_ms"], neon["fp16_total_ms"]) == (87, 78)
    assert round(neon["total_speedup"], 3) == 1.115
    assert round(neon["summed_total_speedup"], 3) == 1.117
    assert neon["forward_speedup"] == pytest.approx(28 / 25)
    assert neon["backward_speedup"] == pytest.approx(58 / 52)
    assert neon["fp16_slower"] is None and neon["flagged"] is False
    assert neon["geomean_total_speedup"] == pytest.approx(geomean([87 / 78, 211 / 176, 320 / 254, 270 / 230]))
    assert neon["models_compared"] == 4
    torch = got[("alexnet", "Torch + cuDNN R4")]
    assert torch["total_speedup"] == pytest.approx(81 / 71)
    # fp16 is slower than fp32 on GoogleNet's backward pass: 349 against 340 ms
    googlenet = got[("googlenet", "Torch + cuDNN R4")]
    assert googlenet["backward_speedup"] == pytest.approx(340 / 349)
    assert googlenet["fp16_slower"] == "backward"
    assert [k for k, r in got.items() if r["fp16_slower"]] == [("googlenet", "Torch + cuDNN R4")]


def test_cross_machine_meets_the_fastest_other_machine(three_machines):
    """By hand from the comment of tests/data/views_cross_machine.toml (totals in ms)."""
    got = rows(three_machines, "SELECT * FROM cross_machine")
    assert {r["model_key"] for r in got} == {"resnet50"}  # the seed's one machine meets no one
    # (machine, stack, other machine, other stack, like_for_like, stack_key, other_machines, total, other)
    torch = "Torch + cuDNN 5 (fp32)"
    expected = {
        # Torch: fastest per machine cm-b 80, cm-c 90 (Torch 8 + cuDNN R5: versions are not
        # compared and R5 = 5), cm-a 100; cm-b, the fastest, meets the runner-up cm-c; both cm-c
        # runs meet cm-b. cm-a's fp16 run is alone.
        ("cm-a", "Torch 7 + cuDNN 5", "cm-b", "Torch 7 + cuDNN 5", True, torch, 2, 100, 80),
        ("cm-b", "Torch 7 + cuDNN 5", "cm-c", "torch 8 + cuDNN R5", True, torch, 2, 80, 90),
        ("cm-c", "Torch 7 + cuDNN 5", "cm-b", "Torch 7 + cuDNN 5", True, torch, 2, 120, 80),
        ("cm-c", "torch 8 + cuDNN R5", "cm-b", "Torch 7 + cuDNN 5", True, torch, 2, 90, 80),
        # Caffe: cm-b and cm-c meet by cuDNN 5 (so cm-b's cuDNN 4 run meets no one); cm-a lists no
        # libraries (not known): the software differs, and it meets the fastest Caffe elsewhere
        ("cm-b", "Caffe 1.0 + cuDNN 5", "cm-c", "Caffe 1.0 + cudnn 5", True, "Caffe + cuDNN 5 (fp32)", 1, 150, 250),
        ("cm-c", "Caffe 1.0 + cudnn 5", "cm-b", "Caffe 1.0 + cuDNN 5", True, "Caffe + cuDNN 5 (fp32)", 1, 250, 150),
        ("cm-a", "Caffe 1.0", "cm-b", "Caffe 1.0 + cuDNN 5", False,
         "Caffe (fp32): libraries not known vs cuDNN 5", 2, 200, 150),
        # Chainer: cm-a's empty libraries array (native: none), cm-b's none listed (not known) and
        # cm-c's cuDNN 5 are three different sets: no like-for-like pair, three "software differs"
        # rows against the fastest elsewhere (cm-c 260; for cm-c, cm-b 280)
        ("cm-a", "Chainer 2 (native)", "cm-c", "Chainer 2 + cuDNN 5", False,
         "Chainer (fp32): native vs cuDNN 5", 2, 300, 260),
        ("cm-b", "Chainer 2", "cm-c", "Chainer 2 + cuDNN 5", False,
         "Chainer (fp32): libraries not known vs cuDNN 5", 2, 280, 260),
        ("cm-c", "Chainer 2 + cuDNN 5", "cm-b", "Chainer 2", False,
         "Chainer (fp32): cuDNN 5 vs libraries not known", 2, 260, 280),
    }
    assert {(r["machine_key"], r["stack"], r["other_machine_key"], r["other_stack"], r["like_for_like"],
             r["stack_key"], r["other_machines"], r["total_ms"], r["other_total_ms"]) for r in got} == expected
    assert len(got) == len(expected)  # one row per run, at most
    for r in got:
        assert r["total_ratio"] == pytest.approx(r["other_total_ms"] / r["total_ms"])
        assert r["machine_id"] != r["other_machine_id"]
    twins = next(r for r in got if r["machine_key"] == "cm-a" and r["other_machine_key"] == "cm-b")
    assert (twins["machine"], twins["other_machine"]) == ("Twin box", "Twin box")
    assert [r["total_ratio"] for r in got if r["machine_key"] == "cm-b" and r["stack_key"] == torch] == \
        [pytest.approx(90 / 80)]


def test_convnet_data_quality(convnet):
    # By hand from CONVNET_CSV: only VGG [A] Chainer's total (885) is off forward + backward
    # (251 + 632 = 883) by more than 1 ms; 18 others are off by exactly 1 (rounding). Overfeat's
    # CL-nn (Torch) repeats AlexNet's 388/574/963. The table gives no memory, so nothing is
    # missing from it; the seed's findings stay.
    assert [c for c in CONVNET_ROWS
            if abs(float(c["total_ms"]) - float(c["forward_ms"]) - float(c["backward_ms"])) > 1] == \
        [c for c in CONVNET_ROWS if (c["model"], c["library"]) == ("VGG [A]", "Chainer")]
    line = {(r["model"], r["label"]): r["line"] for r in rows(
        convnet, "SELECT model, label, line FROM results WHERE label IS NOT NULL")}
    got = rows(convnet, 'SELECT "check", severity, model, stack, forward_ms, backward_ms, reported_total_ms, '
                        'summed_total_ms, difference_ms, other_model, other_source, other_line, source, line '
                        'FROM data_quality WHERE source LIKE \'data/%\' ORDER BY "check"')
    source = "data/convnet-benchmarks.toml"
    assert got == [
        {"check": "repeated_timings", "severity": "error", "model": "Overfeat", "stack": "Torch + clnn",
         "forward_ms": 388, "backward_ms": 574, "reported_total_ms": 963, "summed_total_ms": 962,
         "difference_ms": 1, "other_model": "AlexNet", "other_source": source,
         "other_line": line[("AlexNet", "CL-nn (Torch)")], "source": source,
         "line": line[("Overfeat", "CL-nn (Torch)")]},
        {"check": "total_mismatch", "severity": "note", "model": "VGG [A]", "stack": "Chainer",
         "forward_ms": 251, "backward_ms": 632, "reported_total_ms": 885, "summed_total_ms": 883,
         "difference_ms": 2, "other_model": None, "other_source": None, "other_line": None,
         "source": source, "line": line[("VGG [A]", "Chainer")]},
    ]
    seed_checks = rows(convnet, 'SELECT "check", count(*) AS n FROM data_quality WHERE source = '
                                '\'benchmark.toml\' GROUP BY "check" ORDER BY "check"')
    assert seed_checks == [{"check": "memory_reservation", "n": 4}, {"check": "missing_memory", "n": 1}]


def test_convnet_versions_and_memory_are_left_out_where_unknown(convnet):
    assert rows(convnet, "SELECT count(*) AS n FROM version_progress WHERE framework_version = 'unknown'") == \
        [{"n": 0}]
    assert rows(convnet, "SELECT count(*) AS n FROM memory_comparison WHERE machine_id IN "
                         "(SELECT machine_id FROM machines WHERE machine_key = 'i7-5930k-titan-x')") == [{"n": 0}]
    # "unknown" versions are not known to be one version, so no library_effect among them
    assert {r["framework"] for r in rows(convnet, "SELECT framework FROM library_effect")} == {"Leaf"}


def test_data_quality_on_the_seed_finds_the_missing_memory_and_the_reservation(seed):
    got = rows(seed, 'SELECT "check", severity, machine, model, stack, runs_with_memory, memory_mb, '
                     'device_memory_mb, models_same_memory, source, line FROM data_quality '
                     'ORDER BY "check", line')
    # Alexnet's Leaf 0.2 + cuDNN 4 is the only run without memory, and its 6 neighbours have it.
    assert got[0] == {"check": "memory_reservation", "severity": "note", "machine": "Nvidia Titan X",
                      "model": "Alexnet", "stack": TF_071, "runs_with_memory": None, "memory_mb": 11520.0,
                      "device_memory_mb": 12000.0, "models_same_memory": 4, "source": "benchmark.toml",
                      "line": got[0]["line"]}
    # Tensorflow 0.7.1 gives exactly 11,520 MB on all four models, within 10% of the 12,000 MB card;
    # 0.7 gives 11,050 and 11,000 MB (not the same on every model), so it is not caught
    assert [(r["check"], r["model"], r["stack"]) for r in got] == [
        ("memory_reservation", m, TF_071) for m in ("Alexnet", "Overfeat", "VGG [A]", "GoogleNet")] + [
        ("missing_memory", "Alexnet", LEAF_4)]
    assert got[-1]["runs_with_memory"] == 6 and got[-1]["severity"] == "note"
    assert (got[-1]["source"], got[-1]["line"]) == ("benchmark.toml", 27)
    # notes only: no run of the seed is flagged
    assert rows(seed, "SELECT count(*) AS n FROM run_flags WHERE flagged") == [{"n": 0}]
    assert rows(seed, "SELECT count(*) AS n FROM run_flags WHERE memory_reserved") == [{"n": 4}]


def test_convnet_totals_are_the_published_totals(convnet):
    got = {(r["model"], r["label"]): r for r in rows(
        convnet, "SELECT * FROM results WHERE machine_key = 'i7-5930k-titan-x'")}
    assert len(got) == len(CONVNET_ROWS) == 48
    for c in CONVNET_ROWS:
        r = got[(c["model"], c["library"])]
        assert r["forward_ms"] == float(c["forward_ms"])
        assert r["backward_ms"] == float(c["backward_ms"])
        assert r["total_ms"] == r["reported_total_ms"] == float(c["total_ms"])
        assert r["summed_total_ms"] == float(c["forward_ms"]) + float(c["backward_ms"])
        assert (r["total_is_reported"], r["resolution_ms"]) == (True, 1)
        assert (r["batch_size"], r["input_shape"]) == (int(c["batch_size"]), c["input"])
        assert r["memory_bytes"] is None and r["memory_mb"] is None
    # forward and backward are truncated, the total is not: 19 of the 48 totals differ from the sum
    assert sum(r["total_ms"] != r["summed_total_ms"] for r in got.values()) == 19
    r4 = got[("AlexNet", "CuDNN[R4]-fp32 (Torch)")]
    assert (r4["stack"], r4["total_ms"], r4["summed_total_ms"]) == ("Torch + cuDNN R4 (fp32)", 81, 80)
    neon = got[("AlexNet", "Nervana-neon-fp16")]
    assert (neon["stack"], neon["total_ms"], neon["summed_total_ms"]) == ("neon (fp16)", 78, 77)


def test_convnet_published_ties_stay_ties(convnet):
    ranked = {r["label"]: r for r in rows(
        convnet, "SELECT * FROM relative_to_fastest WHERE machine_key = 'i7-5930k-titan-x' "
                 "AND model_key = 'alexnet'")}
    # CuDNN[R4]-fp32 and TensorFlow both published at 81 ms; Chainer and cudaconvnet2 at 177 ms
    assert ranked["CuDNN[R4]-fp32 (Torch)"]["rank"] == ranked["TensorFlow"]["rank"] == 3
    assert ranked["Nervana-neon-fp32"]["rank"] == 5
    assert ranked["Chainer"]["rank"] == ranked["cudaconvnet2*"]["rank"] == 7
    assert ranked["CuDNN[R2] *"]["rank"] == 9
    assert ranked["TensorFlow"]["slowdown"] == pytest.approx(81 / 71)
    # whole milliseconds: 1 ms is the resolution, and nothing is within 1 ms of the fastest (71)
    assert {r["tie_resolution_ms"] for r in ranked.values()} == {1}
    assert [k for k, r in ranked.items() if r["ties_fastest"]] == ["CuDNN[R4]-fp16 (Torch)"]
    tie = rows(convnet, "SELECT total_speedup, total_tie FROM speedups s JOIN results a USING (run_id) "
                        "JOIN results b ON b.run_id = s.other_run_id WHERE a.label = 'TensorFlow' "
                        "AND b.label = 'CuDNN[R4]-fp32 (Torch)' AND a.model_key = 'alexnet'")
    assert tie == [{"total_speedup": 1.0, "total_tie": True}]


def test_convnet_versions_dates_native_stacks_and_published_names(convnet):
    got = {(r["model"], r["label"]): r for r in rows(
        convnet, "SELECT * FROM results WHERE machine_key = 'i7-5930k-titan-x'")}
    # "unknown" is not a version: the stack shows none; the date is the one the README gives
    assert {r["version_known"] for r in got.values()} == {False}
    dates = {label: r["date"] for (model, label), r in got.items() if model == "AlexNet"}
    assert dates == {"CuDNN[R4]-fp16 (Torch)": "2016-02-28", "CuDNN[R4]-fp32 (Torch)": "2016-02-28",
                     "Nervana-neon-fp16": "2016-03-03", "Nervana-neon-fp32": "2016-03-03",
                     "TensorFlow": "2016-04-25", "cudaconvnet2*": "2015", "CuDNN[R2] *": "2015",
                     "Caffe (native)": "2015", "Caffe-CLGreenTea": "2015", "fbfft (Torch)": None,
                     "Chainer": None, "Torch-7 (native)": None, "CL-nn (Torch)": None}
    stacks = {label: r["stack"] for (model, label), r in got.items() if model == "AlexNet"}
    assert stacks["CuDNN[R4]-fp16 (Torch)"] == "Torch + cuDNN R4 (fp16)"
    assert stacks["fbfft (Torch)"] == "Torch + fbfft"
    # "native": libraries = [] says none; no libraries key says not known
    native = got[("AlexNet", "Torch-7 (native)")]
    assert (native["stack"], native["libraries_known"], native["libraries_key"]) == ("Torch (native)", True, "")
    assert got[("AlexNet", "Caffe (native)")]["stack"] == "Caffe (native)"
    assert got[("Overfeat", "Caffe")]["stack"] == "Caffe (native)"  # the same stack, published as "Caffe"
    tf = got[("AlexNet", "TensorFlow")]
    assert (tf["stack"], tf["libraries_known"], tf["libraries_key"]) == ("Tensorflow", False, None)
    assert got[("AlexNet", "CuDNN[R4]-fp32 (Torch)")]["libraries_key"] == "cudnn 4"  # R4 = 4
    assert got[("AlexNet", "fbfft (Torch)")]["libraries_key"] is None  # version unknown: not known
    # the published model names beside the canonical ones
    labels = {r["model"]: r["model_label"] for r in got.values()}
    assert labels == {"AlexNet": "AlexNet", "Overfeat": "Overfeat [fast]", "VGG [A]": "OxfordNet [Model-A]",
                      "GoogleNet": "GoogleNet V1"}


def test_convnet_cross_machine_compares_like_for_like(convnet):
    got = rows(convnet, "SELECT * FROM cross_machine")
    # published totals on the convnet side, forward + backward on the seed side (it reports none)
    convnet_totals = {"alexnet": {"Torch": 81, "Tensorflow": 81, "Caffe": 324, "GreenTea": 1442},
                      "overfeat": {"Torch": 268, "Tensorflow": 279, "Caffe": 823, "GreenTea": 2857},
                      "vgga": {"Torch": 529, "Tensorflow": 540, "Caffe": 1068, "GreenTea": 5620},
                      "googlenet": {"Torch": 470, "Tensorflow": 445, "Caffe": 1935, "GreenTea": 9462}}
    c_torch, c_tf, c_caffe, c_greentea = ("Torch + cuDNN R4 (fp32)", "Tensorflow", "Caffe (native)",
                                          "Caffe + GreenTea")
    here, seed_host = "i7-5930k-titan-x", "nvidia-titan-x"
    # (model, machine, stack, other stack, like_for_like, stack_key, total, other total)
    expected = []
    for model, t in convnet_totals.items():
        s = SEED_TOTALS[model]
        # every convnet Tensorflow is faster than the seed's faster one (0.7.1), every seed Caffe
        # (cuDNN 3) faster than convnet's native Caffe: the fastest run elsewhere is those
        assert t["Tensorflow"] < s[TF_071] < s[TF_07] and s[CAFFE] < t["Caffe"] < t["GreenTea"]
        expected += [
            (model, here, c_torch, TORCH_NEW, True, "Torch + cuDNN R4 (fp32)", t["Torch"], s[TORCH_NEW]),
            (model, seed_host, TORCH_NEW, c_torch, True, "Torch + cuDNN R4 (fp32)", s[TORCH_NEW], t["Torch"]),
            (model, here, c_tf, TF_071, False, "Tensorflow (fp32): libraries not known vs cuDNN 4",
             t["Tensorflow"], s[TF_071]),
            (model, seed_host, TF_071, c_tf, False, "Tensorflow (fp32): cuDNN 4 vs libraries not known",
             s[TF_071], t["Tensorflow"]),
            (model, seed_host, TF_07, c_tf, False, "Tensorflow (fp32): cuDNN 3 vs libraries not known",
             s[TF_07], t["Tensorflow"]),
            (model, here, c_caffe, CAFFE, False, "Caffe (fp32): native vs cuDNN 3", t["Caffe"], s[CAFFE]),
            (model, here, c_greentea, CAFFE, False, "Caffe (fp32): GreenTea (version not known) vs cuDNN 3",
             t["GreenTea"], s[CAFFE]),
            (model, seed_host, CAFFE, c_caffe, False, "Caffe (fp32): cuDNN 3 vs native", s[CAFFE], t["Caffe"]),
        ]
    assert sorted((r["model_key"], r["machine_key"], r["stack"], r["other_stack"], r["like_for_like"],
                   r["stack_key"], r["total_ms"], r["other_total_ms"]) for r in got) == sorted(expected)
    for r in got:
        assert r["other_machines"] == 1
        assert r["total_ratio"] == pytest.approx(r["other_total_ms"] / r["total_ms"])
    # the only like-for-like pairs, Torch + cuDNN 4 in fp32 on the same card: 1.01 to 1.02
    like = {r["model_key"]: r["total_ratio"] for r in got if r["like_for_like"] and r["machine_key"] == here}
    assert like == {"alexnet": pytest.approx(82 / 81), "overfeat": pytest.approx(271 / 268),
                    "vgga": pytest.approx(532 / 529), "googlenet": pytest.approx(473 / 470)}
    assert all(1.005 <= v < 1.025 for v in like.values())
    # 81 against 82 ms, both in whole milliseconds: a tie; 3 ms apart is not
    ties = {r["model_key"] for r in got if r["total_tie"]}
    assert ties == {"alexnet"}
    torch = next(r for r in got if r["model_key"] == "alexnet" and r["machine_key"] == here and r["like_for_like"])
    # both machines are named "Nvidia Titan X": the keys tell them apart
    assert (torch["model"], torch["machine"], torch["other_machine"]) == ("AlexNet", "Nvidia Titan X",
                                                                          "Nvidia Titan X")
    assert (torch["forward_ms"], torch["other_forward_ms"], torch["backward_ms"], torch["other_backward_ms"]) == \
        (27, 28, 53, 54)
    back = next(r for r in got if r["run_id"] == torch["other_run_id"])
    assert (back["other_run_id"], back["model"], back["total_ratio"]) == (torch["run_id"], "Alexnet",
                                                                           pytest.approx(81 / 82))


def test_a_flagged_run_is_left_out_of_rankings_and_geomeans(convnet):
    overfeat = {r["label"]: r for r in rows(
        convnet, "SELECT * FROM relative_to_fastest WHERE machine_key = 'i7-5930k-titan-x' "
                 "AND model_key = 'overfeat'")}
    clnn = overfeat["CL-nn (Torch)"]
    assert (clnn["flagged"], clnn["flags"], clnn["rank"], clnn["slowdown"]) == (
        True, "repeated_timings", None, None)
    assert overfeat["Caffe-CLGreenTea"]["rank"] == 12  # was 13 with the copied row ranked 12th
    assert max(r["rank"] for r in overfeat.values() if r["rank"]) == 12
    # --include-flagged: the rankings view's other scope ranks it (12th: 963 ms)
    both = rows(convnet, "SELECT rank, slowdown FROM rankings WHERE include_flagged AND run_id = ?", clnn["run_id"])
    assert both == [{"rank": 12, "slowdown": pytest.approx(963 / 176)}]
    # the clnn geomean without the copied row: AlexNet 963/71, VGG 3437/254, GoogleNet 7016/230, about 18
    summary = rows(convnet, "SELECT * FROM framework_summary WHERE stack = 'Torch + clnn'")[0]
    assert (summary["models_measured"], summary["flagged_models"], summary["flagged_model_names"]) == \
        (3, 1, "Overfeat")
    assert summary["geomean_slowdown"] == pytest.approx(geomean([963 / 71, 3437 / 254, 7016 / 230]))
    assert round(summary["geomean_slowdown"]) == 18
    with_flagged = rows(convnet, "SELECT models_measured, geomean_slowdown FROM stack_scores "
                                 "WHERE include_flagged AND stack = 'Torch + clnn'")
    assert with_flagged == [{"models_measured": 4, "geomean_slowdown": pytest.approx(
        geomean([963 / 71, 963 / 176, 3437 / 254, 7016 / 230]))}]


def test_framework_summary_compares_stacks_over_common_models(convnet):
    got = {r["stack"]: r for r in rows(
        convnet, "SELECT * FROM framework_summary WHERE machine = 'Nvidia Titan X' AND machine_id IN "
                 "(SELECT machine_id FROM machines WHERE machine_key = 'i7-5930k-titan-x')")}
    # four stacks have no GoogleNet, and clnn's Overfeat is flagged: every stack has AlexNet and VGG [A]
    assert {(r["common_models"], r["common_model_names"]) for r in got.values()} == {(2, "AlexNet, VGG [A]")}
    caffe, torch = got["Caffe (native)"], got["Torch (native)"]
    assert (caffe["models_measured"], torch["models_measured"]) == (4, 3)
    assert caffe["geomean_slowdown_common"] == pytest.approx(geomean([324 / 71, 1068 / 254]))
    assert torch["geomean_slowdown_common"] == pytest.approx(geomean([342 / 71, 1105 / 254]))
    assert caffe["geomean_slowdown_common"] < torch["geomean_slowdown_common"]
    # the own-model geomean (Caffe over 4 models, Torch over 3) is kept for reference
    assert caffe["geomean_slowdown"] == pytest.approx(geomean([324 / 71, 823 / 176, 1068 / 254, 1935 / 230]))
    with_flagged = rows(convnet, "SELECT DISTINCT common_model_names FROM stack_scores WHERE include_flagged "
                                 "AND machine_id IN (SELECT machine_id FROM machines "
                                 "WHERE machine_key = 'i7-5930k-titan-x')")
    assert with_flagged == [{"common_model_names": "AlexNet, Overfeat, VGG [A]"}]
    seed = rows(convnet, "SELECT DISTINCT common_model_names FROM framework_summary WHERE machine_id IN "
                         "(SELECT machine_id FROM machines WHERE machine_key = 'nvidia-titan-x')")
    assert seed == [{"common_model_names": "Alexnet, Overfeat, VGG [A]"}]  # Leaf ran no GoogleNet
    # Tensorflow 0.7.1's memory is a reservation: no memory ratio, where it was 4.20
    tf = rows(convnet, "SELECT mean_memory_ratio FROM framework_summary WHERE stack = ?", TF_071)
    assert tf == [{"mean_memory_ratio": None}]


def test_a_stack_is_its_stack_id_not_its_display_string(stacks):
    got = rows(stacks, "SELECT model, framework, framework_version, stack, stack_id FROM results "
                       "WHERE machine_key = 'stacks-box' ORDER BY model, total_ms")
    ids = {(r["model"], r["framework"], r["framework_version"]): r["stack_id"] for r in got}
    # an unpublished version in any case is one stack; "Torch"/"1 2" and "Torch 1"/"2" show alike but are two
    assert ids[("AlexNet", "Torch", "unknown")] == ids[("VGG", "Torch", "Unknown")]
    assert ids[("AlexNet", "Torch", "1 2")] != ids[("AlexNet", "Torch 1", "2")]
    assert {r["stack"] for r in got if r["framework_version"] != "unknown" and "Unknown" != r["framework_version"]} \
        == {"Torch 1 2"}
    assert ids[("AlexNet", "Torch", "1 2")] == ids[("VGG", "Torch", "1 2")]
    assert len(set(ids.values())) == 3


def test_framework_summary_has_one_row_per_stack_id(stacks):
    """Bug 2: Torch "unknown" and Torch "Unknown" gave two indistinguishable "Torch" rows."""
    got = rows(stacks, "SELECT stack, models_measured, wins, geomean_slowdown, common_models FROM framework_summary "
                       "WHERE machine = 'Stacks box' ORDER BY stack, geomean_slowdown")
    # Torch (unknown) is fastest on both models: AlexNet 30 ms, VGG 60 ms
    # Torch 1 2 ("Torch" "1 2"): AlexNet 40/30, VGG 120/60; ("Torch 1" "2"): AlexNet 50/30, VGG 120/60
    assert got == [
        {"stack": "Torch", "models_measured": 2, "wins": 2, "geomean_slowdown": pytest.approx(1.0),
         "common_models": 2},
        {"stack": "Torch 1 2", "models_measured": 2, "wins": 0,
         "geomean_slowdown": pytest.approx(geomean([40 / 30, 120 / 60])), "common_models": 2},
        {"stack": "Torch 1 2", "models_measured": 2, "wins": 0,
         "geomean_slowdown": pytest.approx(geomean([50 / 30, 120 / 60])), "common_models": 2},
    ]


def test_the_converter_gives_the_committed_file(tmp_path):
    """data/convert_convnet.py on the published CSV (CONVNET_CSV) writes data/convnet-benchmarks.toml
    byte for byte: every published number as published, with the dates, native stacks
    (libraries = []) and published model names it adds."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("convert_convnet", ROOT / "data" / "convert_convnet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    csv_path = tmp_path / "imagenet-winners.csv"
    csv_path.write_text(CONVNET_CSV)
    text = module.convert(csv_path)
    assert text == CONVNET.read_text()
    # native: Caffe (published "Caffe (native)" and "Caffe") on 4 models, Torch-7 (native) on 3
    assert text.count("\n      libraries = []\n") == 4 + 3
    # Torch + cuDNN R4, fp16 and fp32, on 4 models; 2015: cuda-convnet2 and cuDNN R2 on 3 models each,
    # native Caffe and GreenTea on 4 each
    assert text.count("date = 2016-02-28\n") == 2 * 4
    assert text.count("date = 2015\n") == 3 + 3 + 4 + 4
