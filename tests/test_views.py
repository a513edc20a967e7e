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
                "total_ms", "reported_total_ms", "memory_bytes", "memory_mb", "source", "line"],
    "speedups": ["machine", "model", "model_key", "run_id", "stack", "other_run_id", "other_stack",
                 "forward_speedup", "backward_speedup", "total_speedup", "memory_ratio"],
    "relative_to_fastest": ["rank", "slowdown", "fastest_stack", "fastest_total_ms", "speedup_of_fastest"],
    "framework_summary": ["machine", "stack", "framework", "framework_version", "libraries", "precision",
                          "models_measured", "wins", "geomean_slowdown", "mean_memory_ratio"],
    "memory_comparison": ["machine", "model", "stack", "run_id", "memory_mb", "leanest_stack",
                          "leanest_memory_mb", "memory_ratio", "device_memory_share"],
    "library_effect": ["machine", "model", "framework", "framework_version", "libraries", "other_libraries",
                       "forward_speedup", "backward_speedup", "total_speedup", "geomean_total_speedup"],
    "version_progress": ["machine", "model", "framework", "framework_version", "version_order",
                         "previous_version", "total_ms", "previous_total_ms", "speedup_vs_previous"],
    "data_quality": ["check", "machine", "model", "stack", "run_id", "detail", "source", "line"],
    "throughput": ["machine", "model", "stack", "batch_size", "total_ms", "images_per_s",
                   "images_per_s_forward"],
    "precision_effect": ["machine", "model", "stack", "fp32_total_ms", "fp16_total_ms", "total_speedup",
                         "forward_speedup", "backward_speedup", "geomean_total_speedup"],
    "cross_machine": ["model", "model_key", "stack_key", "libraries_match", "other_machines", "machine_id",
                      "machine_key", "machine", "other_machine_id", "other_machine_key", "other_machine",
                      "framework", "run_id", "other_run_id", "stack", "other_stack", "total_ms",
                      "other_total_ms", "total_ratio", "forward_ms", "other_forward_ms", "backward_ms",
                      "other_backward_ms"],
}
CONTRACT["relative_to_fastest"] = CONTRACT["results"] + CONTRACT["relative_to_fastest"]
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
    assert counts["results"] == counts["relative_to_fastest"] == 26
    assert counts["speedups"] == 3 * 7 * 6 + 5 * 4
    assert counts["memory_comparison"] == 25  # all but Leaf 0.2 + cuDNN 4 on Alexnet
    assert counts["framework_summary"] == 7
    assert counts["library_effect"] == 3
    assert counts["version_progress"] == 4 * 2 * 2  # Torch and Tensorflow, 2 versions, 4 models
    assert counts["data_quality"] == 1
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
    ranked = rows(seed, "SELECT rank, stack, total_ms, slowdown, fastest_stack, fastest_total_ms, "
                        "speedup_of_fastest FROM relative_to_fastest WHERE model_key = 'alexnet' ORDER BY rank")
    assert [(r["rank"], r["stack"], r["total_ms"]) for r in ranked] == [
        (1, TORCH_NEW, 82), (2, LEAF_4, 88), (3, TORCH_OLD, 99), (4, LEAF_3, 102),
        (5, CAFFE, 127), (6, TF_071, 168), (7, TF_07, 248)]
    assert {(r["fastest_stack"], r["fastest_total_ms"]) for r in ranked} == {(TORCH_NEW, 82)}
    assert ranked[0]["slowdown"] == 1
    assert ranked[-1]["slowdown"] == pytest.approx(248 / 82)
    assert ranked[-1]["speedup_of_fastest"] == pytest.approx(248 / 82)
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
    assert tf["memory_ratio"] == pytest.approx(11520 / 1350)
    assert tf["device_memory_share"] == pytest.approx(11.52 / 12)
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
def test_data_quality_on_the_seed_finds_only_the_missing_memory(seed):
    got = rows(seed, 'SELECT "check", machine, model, stack, detail, source, line FROM data_quality')
    # Alexnet's Leaf 0.2 + cuDNN 4 is the only run without memory, and its 6 neighbours have it.
    # No totals are reported, no two models share timings, and 11520 MB < 12 GB.
    assert got == [{"check": "missing_memory", "machine": "Nvidia Titan X", "model": "Alexnet",
                    "stack": LEAF_4,
                    "detail": "no memory given, while 6 other runs of Alexnet on this machine report it",
                    "source": "benchmark.toml", "line": 27}]
    run = rows(seed, "SELECT run_id FROM results WHERE model_key = 'alexnet' AND stack = ?", LEAF_4)
    assert rows(seed, "SELECT run_id FROM data_quality") == run


def test_data_quality_device_memory_and_total_checks(quirks):
    got = rows(quirks, 'SELECT "check", stack, detail, source, line FROM data_quality '
                       "WHERE machine = 'Devices box' ORDER BY \"check\"")
    assert got == [
        {"check": "memory_above_device", "stack": "Torch 7",
         "detail": "memory 15000 MB is above the machine's device memory of 14000 MB",
         "source": "data/views_devices.toml", "line": 25},
        {"check": "missing_memory", "stack": "Chainer 1.0",
         "detail": "no memory given, while 2 other runs of AlexNet on this machine report it",
         "source": "data/views_devices.toml", "line": 41},
        # Caffe's 101 ms against 40 + 60 = 100 ms is within 1 ms: not flagged
        {"check": "total_mismatch", "stack": "Torch 7",
         "detail": "reported total 53 ms differs from forward 20 ms + backward 30.5 ms = 50.5 ms by 2.5 ms",
         "source": "data/views_devices.toml", "line": 25},
    ]


def test_devices_quantity_and_totals_without_backward(quirks):
    got = {r["stack"]: r for r in rows(quirks, "SELECT * FROM results WHERE machine_key = 'devices-box'")}
    assert {r["device"] for r in got.values()} == {"2 x Small GPU, Big GPU"}
    assert {r["device_memory_bytes"] for r in got.values()} == {2 * 4_000_000_000 + 6_000_000_000}
    assert (got["Torch 7"]["total_ms"], got["Torch 7"]["reported_total_ms"]) == (50.5, 53)
    # no backward time: the reported total stands
    assert (got["Chainer 1.0"]["backward_ms"], got["Chainer 1.0"]["total_ms"]) == (None, 250)
    share = rows(quirks, "SELECT device_memory_share FROM memory_comparison WHERE stack = 'Torch 7'")
    assert share[0]["device_memory_share"] == pytest.approx(15 / 14)
    tp = {r["stack"]: r for r in rows(quirks, "SELECT * FROM throughput WHERE machine = 'Devices box'")}
    assert tp["Caffe 1.0.0"]["images_per_s"] == pytest.approx(100 / (100 / 1000))
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
def test_convnet_totals_are_forward_plus_backward_and_keep_the_published_total(convnet):
    got = {(r["model"], r["label"]): r for r in rows(
        convnet, "SELECT * FROM results WHERE machine_key = 'i7-5930k-titan-x'")}
    assert len(got) == len(CONVNET_ROWS) == 48
    for c in CONVNET_ROWS:
        r = got[(c["model"], c["library"])]
        assert r["forward_ms"] == float(c["forward_ms"])
        assert r["backward_ms"] == float(c["backward_ms"])
        assert r["total_ms"] == float(c["forward_ms"]) + float(c["backward_ms"])
        assert r["reported_total_ms"] == float(c["total_ms"])
        assert (r["batch_size"], r["input_shape"]) == (int(c["batch_size"]), c["input"])
        assert r["memory_bytes"] is None and r["memory_mb"] is None
    neon = got[("AlexNet", "Nervana-neon-fp16")]
    assert (neon["stack"], neon["total_ms"], neon["reported_total_ms"]) == ("neon unknown (fp16)", 77, 78)
    assert got[("AlexNet", "CuDNN[R4]-fp32 (Torch)")]["stack"] == "Torch unknown + cuDNN R4 (fp32)"


def test_comparisons_never_cross_machines(convnet):
    crossed = rows(convnet, "SELECT count(*) AS n FROM speedups AS s "
                            "JOIN results AS a ON a.run_id = s.run_id "
                            "JOIN results AS b ON b.run_id = s.other_run_id WHERE a.machine_id <> b.machine_id")
    assert crossed == [{"n": 0}]
    # each machine keeps its own fastest AlexNet: 82 ms on the seed host, 71 ms on the i7-5930K
    fastest = rows(convnet, "SELECT DISTINCT machine_key, fastest_stack, fastest_total_ms "
                            "FROM relative_to_fastest WHERE model_key = 'alexnet' ORDER BY machine_key")
    assert [(r["machine_key"], r["fastest_stack"], r["fastest_total_ms"]) for r in fastest] == [
        ("i7-5930k-titan-x", "Torch unknown + cuDNN R4 (fp16)", 25 + 46),
        ("nvidia-titan-x", TORCH_NEW, 82)]
    # and the seed's numbers are what they were without the convnet data
    leaf = rows(convnet, "SELECT models_measured, wins, geomean_slowdown FROM framework_summary "
                         "WHERE stack = ?", LEAF_4)
    assert leaf == [{"models_measured": 3, "wins": 2, "geomean_slowdown": pytest.approx((88 / 82) ** (1 / 3))}]


def test_convnet_throughput(convnet):
    got = {(r["model"], r["stack"]): r for r in rows(convnet, "SELECT * FROM throughput")}
    assert len(got) == 48  # the seed gives no batch sizes
    neon = got[("AlexNet", "neon unknown (fp16)")]
    assert neon["batch_size"] == 128
    assert neon["images_per_s"] == pytest.approx(128 / (77 / 1000))  # 1662.3 images/s
    assert neon["images_per_s_forward"] == pytest.approx(128 / (25 / 1000))  # 5120
    labels = {(r["model"], r["label"]): r["stack"] for r in rows(convnet, "SELECT * FROM results")}
    for c in CONVNET_ROWS:
        r = got[(c["model"], labels[(c["model"], c["library"])])]
        seconds = (float(c["forward_ms"]) + float(c["backward_ms"])) / 1000
        assert r["images_per_s"] == pytest.approx(int(c["batch_size"]) / seconds)


def test_convnet_precision_effect(convnet):
    got = {(r["model_key"], r["stack"]): r for r in rows(convnet, "SELECT * FROM precision_effect")}
    assert sorted(got) == sorted((m, s) for m in ("alexnet", "overfeat", "vgga", "googlenet")
                                 for s in ("neon unknown", "Torch unknown + cuDNN R4"))
    neon = got[("alexnet", "neon unknown")]
    assert (neon["fp32_total_ms"], neon["fp16_total_ms"]) == (28 + 58, 25 + 52)
    assert neon["total_speedup"] == pytest.approx(86 / 77)
    assert round(neon["total_speedup"], 3) == 1.117  # published totals: 87/78 = 1.115
    assert neon["forward_speedup"] == pytest.approx(28 / 25)
    assert neon["backward_speedup"] == pytest.approx(58 / 52)
    neon_geomean = geomean([86 / 77, (69 + 141) / (58 + 118), (103 + 217) / (82 + 171), (84 + 186) / (72 + 157)])
    assert neon["geomean_total_speedup"] == pytest.approx(neon_geomean)
    torch = got[("alexnet", "Torch unknown + cuDNN R4")]
    assert torch["total_speedup"] == pytest.approx((27 + 53) / (25 + 46))
    assert got[("googlenet", "Torch unknown + cuDNN R4")]["backward_speedup"] == pytest.approx(340 / 349)


def test_convnet_cross_machine(convnet):
    got = rows(convnet, "SELECT * FROM cross_machine")
    # two machines: each run is compared with the other machine's fastest comparable run, so every
    # pair shows up from both sides; totals as forward + backward from the CSV and benchmark.toml
    convnet_totals = {"alexnet": {"Torch": 27 + 53, "Tensorflow": 26 + 55, "Caffe": 121 + 203},
                      "overfeat": {"Torch": 94 + 174, "Tensorflow": 90 + 189, "Caffe": 355 + 468},
                      "vgga": {"Torch": 162 + 366, "Tensorflow": 158 + 382, "Caffe": 323 + 745},
                      "googlenet": {"Torch": 130 + 340, "Tensorflow": 135 + 310, "Caffe": 786 + 1148}}
    convnet_torch, convnet_tf, convnet_caffe = "Torch unknown + cuDNN R4 (fp32)", "Tensorflow unknown", "Caffe unknown"
    # (model, machine, stack, other stack, libraries_match, stack_key, total, other total)
    expected = []
    for model, t in convnet_totals.items():
        seed_t = SEED_TOTALS[model]
        # the seed's faster Tensorflow is 0.7.1 + cuDNN 4 on every model (168 < 248, 419 < 739,
        # 1067 < 1370, 952 < 1068): the convnet run meets that one
        assert seed_t[TF_071] < seed_t[TF_07]
        expected += [
            (model, "i7-5930k-titan-x", convnet_torch, TORCH_NEW, True, "Torch + cuDNN 4 (fp32)",
             t["Torch"], seed_t[TORCH_NEW]),
            (model, "i7-5930k-titan-x", convnet_tf, TF_071, False,
             "Tensorflow (fp32), libraries: not listed vs cuDNN 4", t["Tensorflow"], seed_t[TF_071]),
            (model, "i7-5930k-titan-x", convnet_caffe, CAFFE, False, "Caffe (fp32), libraries: not listed vs cuDNN 3",
             t["Caffe"], seed_t[CAFFE]),
            (model, "nvidia-titan-x", TORCH_NEW, convnet_torch, True, "Torch + cuDNN 4 (fp32)",
             seed_t[TORCH_NEW], t["Torch"]),
            (model, "nvidia-titan-x", TF_07, convnet_tf, False, "Tensorflow (fp32), libraries: cuDNN 3 vs not listed",
             seed_t[TF_07], t["Tensorflow"]),
            (model, "nvidia-titan-x", TF_071, convnet_tf, False,
             "Tensorflow (fp32), libraries: cuDNN 4 vs not listed", seed_t[TF_071], t["Tensorflow"]),
            (model, "nvidia-titan-x", CAFFE, convnet_caffe, False, "Caffe (fp32), libraries: cuDNN 3 vs not listed",
             seed_t[CAFFE], t["Caffe"]),
        ]
    assert sorted((r["model_key"], r["machine_key"], r["stack"], r["other_stack"], r["libraries_match"],
                   r["stack_key"], r["total_ms"], r["other_total_ms"]) for r in got) == sorted(expected)
    assert len(got) == 4 * 7
    for r in got:
        assert {r["machine_key"], r["other_machine_key"]} == {"i7-5930k-titan-x", "nvidia-titan-x"}
        assert r["other_machines"] == 1
        assert r["total_ratio"] == pytest.approx(r["other_total_ms"] / r["total_ms"])
    # no Torch other than cuDNN 4 meets across: the seed's Torch + cuDNN 3 and convnet's
    # "Torch-7 (native)" and fbfft stay out, as their machines meet by cuDNN 4
    assert {r["stack"] for r in got if r["framework"] == "Torch"} == {convnet_torch, TORCH_NEW}
    torch = next(r for r in got if r["model_key"] == "alexnet" and r["machine_key"] == "i7-5930k-titan-x"
                 and r["libraries_match"])
    # both machines are named "Nvidia Titan X": the keys tell them apart
    assert (torch["model"], torch["machine"], torch["other_machine"]) == ("AlexNet", "Nvidia Titan X",
                                                                          "Nvidia Titan X")
    assert (torch["forward_ms"], torch["other_forward_ms"], torch["backward_ms"], torch["other_backward_ms"]) == \
        (27, 28, 53, 54)
    assert torch["total_ratio"] == pytest.approx(82 / 80)
    # and from the seed's side: the same pair the other way round
    back = next(r for r in got if r["run_id"] == torch["other_run_id"])
    assert (back["other_run_id"], back["model"], back["total_ratio"]) == (torch["run_id"], "Alexnet",
                                                                           pytest.approx(80 / 82))


def test_cross_machine_meets_the_fastest_other_machine(three_machines):
    """By hand from the comment of tests/data/views_cross_machine.toml (totals in ms)."""
    got = rows(three_machines, "SELECT * FROM cross_machine")
    assert {r["model_key"] for r in got} == {"resnet50"}  # the seed's one machine meets no one
    # (machine, stack, other machine, other stack, libraries_match, stack_key, other_machines, total, other)
    torch, chainer = "Torch + cuDNN 5 (fp32)", "Chainer (fp32)"
    expected = {
        # Torch: fastest per machine cm-b 80, cm-c 90 (Torch 8), cm-a 100; cm-b, the fastest,
        # meets the runner-up cm-c; both cm-c runs meet cm-b
        ("cm-a", "Torch 7 + cuDNN 5", "cm-b", "Torch 7 + cuDNN 5", True, torch, 2, 100, 80),
        ("cm-b", "Torch 7 + cuDNN 5", "cm-c", "torch 8 + cuDNN R5", True, torch, 2, 80, 90),
        ("cm-c", "Torch 7 + cuDNN 5", "cm-b", "Torch 7 + cuDNN 5", True, torch, 2, 120, 80),
        ("cm-c", "torch 8 + cuDNN R5", "cm-b", "Torch 7 + cuDNN 5", True, "torch + cuDNN 5 (fp32)", 2, 90, 80),
        # Caffe: cm-b and cm-c meet by cuDNN 5 (so cm-b's cuDNN 4 run meets no one); cm-a lists
        # no libraries and meets the fastest Caffe that lists some: cm-b's 150
        ("cm-b", "Caffe 1.0 + cuDNN 5", "cm-c", "Caffe 1.0 + cudnn 5", True, "Caffe + cuDNN 5 (fp32)", 1, 150, 250),
        ("cm-c", "Caffe 1.0 + cudnn 5", "cm-b", "Caffe 1.0 + cuDNN 5", True, "Caffe + cudnn 5 (fp32)", 1, 250, 150),
        ("cm-a", "Caffe 1.0", "cm-b", "Caffe 1.0 + cuDNN 5", False,
         "Caffe (fp32), libraries: not listed vs cuDNN 5", 2, 200, 150),
        # Chainer: an empty libraries array and none listed have the same (no) libraries; cm-c's
        # cuDNN 5 meets only the run that lists none (cm-a's empty list is not "not listed")
        ("cm-a", "Chainer 2", "cm-b", "Chainer 2", True, chainer, 1, 300, 280),
        ("cm-b", "Chainer 2", "cm-a", "Chainer 2", True, chainer, 1, 280, 300),
        ("cm-c", "Chainer 2 + cuDNN 5", "cm-b", "Chainer 2", False,
         "Chainer (fp32), libraries: cuDNN 5 vs not listed", 1, 260, 280),
    }
    assert {(r["machine_key"], r["stack"], r["other_machine_key"], r["other_stack"], r["libraries_match"],
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
    # missing from it; the seed's one finding stays.
    assert [c for c in CONVNET_ROWS
            if abs(float(c["total_ms"]) - float(c["forward_ms"]) - float(c["backward_ms"])) > 1] == \
        [c for c in CONVNET_ROWS if (c["model"], c["library"]) == ("VGG [A]", "Chainer")]
    line = {(r["model"], r["label"]): r["line"] for r in rows(
        convnet, "SELECT model, label, line FROM results WHERE label IS NOT NULL")}
    got = rows(convnet, 'SELECT "check", model, stack, detail, source, line FROM data_quality ORDER BY "check"')
    source = "data/convnet-benchmarks.toml"
    assert got == [
        {"check": "missing_memory", "model": "Alexnet", "stack": LEAF_4,
         "detail": "no memory given, while 6 other runs of Alexnet on this machine report it",
         "source": "benchmark.toml", "line": 27},
        {"check": "repeated_timings", "model": "Overfeat", "stack": "Torch unknown + clnn unknown",
         "detail": "forward 388 ms, backward 574 ms and total 963 ms are the same as in its AlexNet run "
                   f"({source} line {line[('AlexNet', 'CL-nn (Torch)')]})",
         "source": source, "line": line[("Overfeat", "CL-nn (Torch)")]},
        {"check": "total_mismatch", "model": "VGG [A]", "stack": "Chainer unknown",
         "detail": "reported total 885 ms differs from forward 251 ms + backward 632 ms = 883 ms by 2 ms",
         "source": source, "line": line[("VGG [A]", "Chainer")]},
    ]


def test_convnet_versions_and_memory_are_left_out_where_unknown(convnet):
    assert rows(convnet, "SELECT count(*) AS n FROM version_progress WHERE framework_version = 'unknown'") == \
        [{"n": 0}]
    assert rows(convnet, "SELECT count(*) AS n FROM memory_comparison WHERE machine_id IN "
                         "(SELECT machine_id FROM machines WHERE machine_key = 'i7-5930k-titan-x')") == [{"n": 0}]
    # "unknown" versions are not known to be one version, so no library_effect among them
    assert {r["framework"] for r in rows(convnet, "SELECT framework FROM library_effect")} == {"Leaf"}
