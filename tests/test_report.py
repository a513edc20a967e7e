"""`cli.py report`: golden files of the whole report, hand-checked values, filters and failures.

Regenerate the golden files with `UPDATE_GOLDEN=1 python -m pytest tests/test_report.py`
and read the diff before committing it.
"""
from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import CONVNET, ROOT, cli, run_cli, sha256

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# The convnet-benchmarks "Imagenet Winners" AlexNet table, in its published order.
CONVNET_ALEXNET_ORDER = [
    "CuDNN[R4]-fp16 (Torch)", "Nervana-neon-fp16", "CuDNN[R4]-fp32 (Torch)", "TensorFlow",
    "Nervana-neon-fp32", "fbfft (Torch)", "Chainer", "cudaconvnet2*", "CuDNN[R2] *", "Caffe (native)",
    "Torch-7 (native)", "CL-nn (Torch)", "Caffe-CLGreenTea",
]
SEED_MODELS = "Alexnet, GoogleNet, Overfeat, VGG [A]"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), (
        f"the report differs from {path}; if the change is meant, run with UPDATE_GOLDEN=1 and review the diff")


def report(*args) -> str:
    result = cli("report", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def tables(text: str) -> dict[str, list[dict]]:
    """Every markdown table of a report, keyed by the headings above it joined with " / "
    (e.g. "Nvidia Titan X (`nvidia-titan-x`) / Alexnet"); cells as strings."""
    found: dict[str, list[dict]] = {}
    headings: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            headings = headings[:level - 1] + [""] * (level - 1 - len(headings)) + [line[level:].strip()]
        elif line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append([c.strip() for c in lines[i].strip("|").split(" | ")])
                i += 1
            head, body = block[0], block[2:]
            found[" / ".join(h for h in headings[1:] if h)] = [dict(zip(head, r)) for r in body]
            continue
        i += 1
    return found


def table(text: str, heading_start: str, model_start: str) -> list[dict]:
    hits = [rows for key, rows in tables(text).items()
            if key.startswith(heading_start) and key.split(" / ")[-1].startswith(model_start)]
    assert len(hits) == 1, f"{len(hits)} tables under {heading_start!r} / {model_start!r}"
    return hits[0]


def _built(folder: Path, with_convnet: bool) -> Path:
    """A project folder like the `project` fixture's, with its warehouse built by the default ingest."""
    from dlbench.warehouse import build_warehouse as ingest

    shutil.copy(ROOT / "benchmark.toml", folder / "benchmark.toml")
    (folder / "data").mkdir()
    if with_convnet:
        shutil.copy(CONVNET, folder / "data" / CONVNET.name)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        ingest(None, "warehouse.duckdb")
    finally:
        os.chdir(cwd)
    return folder / "warehouse.duckdb"


@pytest.fixture(scope="module")
def _seed_folder(tmp_path_factory):
    return _built(tmp_path_factory.mktemp("seed"), with_convnet=False)


@pytest.fixture(scope="module")
def _all_folder(tmp_path_factory):
    return _built(tmp_path_factory.mktemp("all"), with_convnet=True)


@pytest.fixture
def seed_ro(_seed_folder, monkeypatch):
    """The seed's warehouse, shared by the tests that only read it (the working directory is its
    tmp folder); tests that write or compare bytes use `seed_db` instead."""
    before = sha256(_seed_folder)
    monkeypatch.chdir(_seed_folder.parent)
    yield _seed_folder
    assert sha256(_seed_folder) == before, "a report changed the warehouse"


@pytest.fixture
def all_ro(_all_folder, monkeypatch):
    """The default ingest of the seed and data/convnet-benchmarks.toml (read only, shared)."""
    monkeypatch.chdir(_all_folder.parent)
    return _all_folder


# -- golden files ------------------------------------------------------------------
def test_golden_seed(seed_ro):
    check_golden("report_seed.md", report())


def test_golden_seed_baseline_caffe(seed_ro):
    check_golden("report_seed_baseline_caffe.md", report("--baseline", "Caffe"))


def test_golden_seed_filtered(seed_ro):
    check_golden("report_seed_filtered.md",
                 report("--model", "Alexnet", "--framework", "Leaf", "--framework", "Torch"))


def test_golden_all(all_ro):
    check_golden("report_all.md", report())


def test_golden_default(tmp_path, monkeypatch):
    """What the README's first command prints in a fresh clone: the seed and every data/*.toml,
    the collector's real run included."""
    shutil.copy(ROOT / "benchmark.toml", tmp_path / "benchmark.toml")
    shutil.copytree(ROOT / "data", tmp_path / "data", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.chdir(tmp_path)
    result = cli("report")
    assert result.exit_code == 0, result.stderr
    files = len(list((ROOT / "data").glob("*.toml"))) + 1
    assert re.fullmatch(rf"dlbench: rebuilt warehouse.duckdb from {files} file\(s\) \((\d+) runs\): "
                        r"there is no warehouse yet\n", result.stderr), result.stderr
    check_golden("report_default.md", result.stdout)


def test_report_refreshes_a_missing_warehouse_and_is_reproducible(project):
    first = cli("report")
    assert first.exit_code == 0
    assert "rebuilt warehouse.duckdb" in first.stderr
    assert report() == first.stdout  # no timestamps: the same sources give the same text
    assert (project / "warehouse.duckdb").exists()


# -- hand-checked values -------------------------------------------------------------
def test_seed_alexnet_table(seed_ro):
    text = report()
    rows = table(text, "Nvidia Titan X (`nvidia-titan-x`)", "Alexnet")
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    first = rows[0]
    assert (first["stack"], first["total ms"], first["speedup vs fastest"]) == (
        "Torch 07/03/2016 + cuDNN 4", "82", "1.00")
    assert (first["forward ms"], first["backward ms"], first["memory MB"]) == ("28", "54", "1,650")
    leaf = next(r for r in rows if r["stack"] == "Leaf 0.2 + cuDNN 4")
    assert leaf == {"rank": "2", "stack": "Leaf 0.2 + cuDNN 4", "forward ms": "25", "backward ms": "63",
                    "total ms": "88", "memory MB": "—", "speedup vs fastest": "0.93"}  # 82 / 88
    # no batch size in the seed: no images/s column, no published labels
    assert "images/s" not in first and "published as" not in first
    assert rows[-1]["stack"] == "Tensorflow 0.7 + cuDNN 3" and rows[-1]["total ms"] == "248"
    assert "## Across machines" not in text  # one machine


def test_seed_header_names_sources_and_footnote(seed_ro):
    text = report()
    lines = text.splitlines()
    assert lines[0] == "# Deep-learning benchmark report"
    assert f"from benchmark.toml (sha256 {sha256(ROOT / 'benchmark.toml')[:12]})" in lines[2]
    assert "Host CPU: Intel(R) Core(TM) i7-2600K CPU @ 3.40GHz. Devices: 1 × Nvidia Titan X (12GB)." in lines
    assert ('`python cli.py query "select * from relative_to_fastest where model = \'Alexnet\'"`'
            in text)
    assert "through the view `results`" in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_footnote_query_gives_the_exact_rows(seed_ro):
    result = run_cli("query", "--format", "csv", "select stack, total_ms, rank from relative_to_fastest "
                     "where model = 'Alexnet' order by rank", cwd=seed_ro.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "Torch 07/03/2016 + cuDNN 4,82.0,1"


def test_baseline_speedups(seed_ro):
    text = report("--baseline", "caffe")  # any case; shown as written
    rows = table(text, "Nvidia Titan X", "Alexnet")
    speed = {r["stack"]: r["speedup vs Caffe"] for r in rows}
    assert speed["Caffe 1.0.0 + cuDNN 3"] == "1.00"
    assert speed["Torch 07/03/2016 + cuDNN 4"] == "1.55"  # 127 / 82
    assert speed["Tensorflow 0.7 + cuDNN 3"] == "0.51"  # 127 / 248
    assert "best total time of Caffe" in text


def test_baseline_that_did_not_run_a_model_shows_na(seed_ro):
    text = report("--baseline", "Leaf")
    googlenet = table(text, "Nvidia Titan X", "GoogleNet")
    assert {r["speedup vs Leaf"] for r in googlenet} == {"n/a"}
    alexnet = table(text, "Nvidia Titan X", "Alexnet")
    assert next(r for r in alexnet if r["stack"] == "Leaf 0.2 + cuDNN 4")["speedup vs Leaf"] == "1.00"


def test_filters_keep_ranks_of_the_whole_model(seed_ro):
    text = report("--model", "Alexnet", "--framework", "Leaf", "--framework", "Torch")
    all_tables = tables(text)
    ranked = [k for k in all_tables if k.startswith("Nvidia Titan X (")]
    assert ranked == ["Nvidia Titan X (`nvidia-titan-x`) / Alexnet"]
    rows = all_tables[ranked[0]]
    assert [(r["rank"], r["stack"]) for r in rows] == [
        ("1", "Torch 07/03/2016 + cuDNN 4"), ("2", "Leaf 0.2 + cuDNN 4"),
        ("3", "Torch 01/2016 + cuDNN 3"), ("4", "Leaf 0.2 + cuDNN 3")]
    assert "Filtered to model Alexnet; framework Leaf, Torch." in text
    assert "Caffe" not in text and "Tensorflow" not in text


@pytest.mark.parametrize("args, model", [
    (["--model", "ALEXNET"], "Alexnet"),
    (["--model", "vgg-a"], "VGG [A]"),            # by canonical key
    (["--model", "vgga", "--machine", "NVIDIA TITAN X"], "VGG [A]"),  # machine by name, any case
    (["--model", "GoogleNet", "--machine", "nvidia-titan-x", "--framework", "TORCH"], "GoogleNet"),
])
def test_filter_matching(seed_ro, args, model):
    text = report(*args)
    ranked = [k for k in tables(text) if k.startswith("Nvidia Titan X (")]
    assert [k.split(" / ")[1] for k in ranked] == [model]


def test_filters_that_leave_no_rows(seed_ro):
    text = report("--model", "GoogleNet", "--framework", "Leaf")  # Leaf did not run GoogleNet
    assert "No runs match these filters." in text


def test_convnet_alexnet_in_published_order(all_ro):
    text = report()
    rows = table(text, "Nvidia Titan X (`i7-5930k-titan-x`)", "AlexNet")
    assert [r["published as"] for r in rows] == CONVNET_ALEXNET_ORDER
    # published totals: CuDNN[R4]-fp32 and TensorFlow tie at 81 ms, Chainer and cudaconvnet2 at 177
    assert [r["rank"] for r in rows] == ["1", "2", "3", "3", "5", "6", "7", "7", "9", "10", "11", "12", "13"]
    first, last = rows[0], rows[-1]
    assert (first["stack"], first["total ms"], first["speedup vs fastest"]) == (
        "Torch + cuDNN R4 (fp16)", "71", "1.00")
    assert first["version"] == "not published, measured 2016-02-28"
    assert first["images/s"] == "1,803"  # 128 images / 71 ms
    r4 = rows[2]
    assert (r4["published as"], r4["total ms"], r4["speedup vs fastest"]) == ("CuDNN[R4]-fp32 (Torch)", "81", "0.88")
    assert [r["stack"] for r in rows if r["stack"].endswith("(native)")] == ["Caffe (native)", "Torch (native)"]
    assert last["published as"] == "Caffe-CLGreenTea" and last["total ms"] == "1,442"
    assert {r["memory MB"] for r in rows} == {"—"}
    heading = next(k for k in tables(text) if k.startswith("Nvidia Titan X (`i7-5930k-titan-x`) / AlexNet"))
    assert heading.endswith("AlexNet (batch size 128, input 3x224x224)")
    vgg = next(k for k in tables(text) if k.startswith("Nvidia Titan X (`i7-5930k-titan-x`) / VGG"))
    assert vgg.endswith("VGG [A] (published as OxfordNet [Model-A], batch size 64, input 3x224x224)")
    assert "## Across machines" in text


def test_across_machines_summary_and_a_bounded_list(all_ro, monkeypatch):
    """Like-for-like runs alone make the per-machine summary; then at most CROSS_MACHINE_ROWS rows
    (here 5 of the 32: 8 like for like, 24 where the software differs), like for like first."""
    from dlbench import report as report_module

    limit = report_module.CROSS_MACHINE_ROWS
    monkeypatch.setattr(report_module, "CROSS_MACHINE_ROWS", 5)
    text = report()
    section = text[text.index("## Across machines"):text.index("## Data quality")]
    blocks = [b for b in section.split("\n\n") if b.startswith("|")]
    assert len(blocks) == 2  # the summary and the like-for-like rows: the limit cuts the others
    summary, same = ([dict(zip([c.strip() for c in b.splitlines()[0].strip("|").split(" | ")],
                               [c.strip() for c in line.strip("|").split(" | ")]))
                      for line in b.splitlines()[2:]] for b in blocks)
    # Torch + cuDNN 4 in fp32, the same card: published totals 81, 268, 529, 470 ms on the
    # i7-5930K against 82, 271, 532, 473 on the seed's host
    i7_ratios = [82 / 81, 271 / 268, 532 / 529, 473 / 470]
    assert "Like for like: 8 of the 32 runs compared." in section
    assert summary[0] == {"machine": "i7-5930k-titan-x", "runs compared": "4", "faster": "3", "ties": "1",
                          "geomean ratio": f"{math.prod(i7_ratios) ** (1 / 4):.2f}",
                          "highest ratio": "1.01: AlexNet, Torch + cuDNN R4 (fp32) vs nvidia-titan-x",
                          "lowest ratio": "1.01: VGG [A], Torch + cuDNN R4 (fp32) vs nvidia-titan-x"}
    assert (summary[1]["machine"], summary[1]["runs compared"], summary[1]["faster"]) == ("nvidia-titan-x", "4", "0")
    assert len(summary) == 2
    assert "The first 5 of 32 comparisons, like for like first; all of them: " \
           '`python cli.py query "select * from cross_machine"`.' in section
    assert [(r["model"], r["machine"], r["stack"], r["ratio"]) for r in same] == [
        ("AlexNet", "i7-5930k-titan-x", "Torch + cuDNN R4 (fp32)", "tie"),  # 81 against 82 ms
        ("Alexnet", "nvidia-titan-x", "Torch 07/03/2016 + cuDNN 4", "tie"),
        ("GoogleNet", "i7-5930k-titan-x", "Torch + cuDNN R4 (fp32)", "1.01"),
        ("GoogleNet", "nvidia-titan-x", "Torch 07/03/2016 + cuDNN 4", "0.99"),
        ("Overfeat", "i7-5930k-titan-x", "Torch + cuDNN R4 (fp32)", "1.01"),
    ]
    assert "### Software differs" not in section
    # the query named there gives every row
    with duckdb.connect(str(all_ro), read_only=True) as con:
        assert con.execute("select count(*) from cross_machine").fetchone()[0] == 32
    # not monkeypatch.undo(): that also undoes all_ro's chdir, and the report would rebuild the
    # warehouse of whatever folder pytest was started in (the checkout's, with data/*.toml)
    monkeypatch.setattr(report_module, "CROSS_MACHINE_ROWS", limit)
    full = report()
    section = full[full.index("## Across machines"):full.index("## Data quality")]
    assert "### Software differs" in section and "| Caffe (fp32): cuDNN 3 vs native " in section


def test_a_flagged_run_is_marked_and_not_ranked(all_ro):
    text = report()
    overfeat = table(text, "Nvidia Titan X (`i7-5930k-titan-x`)", "Overfeat")
    clnn = overfeat[-1]
    assert (clnn["rank"], clnn["stack"], clnn["total ms"], clnn["speedup vs fastest"]) == (
        "—", "Torch + clnn †", "963", "—")
    assert [r["rank"] for r in overfeat[:-1]] == [str(i) for i in range(1, 13)]
    assert ("† Torch + clnn: repeated timings: forward 388 ms, backward 574 ms and total 963 ms are the same as "
            "in its AlexNet run (data/convnet-benchmarks.toml line ") in text
    summary = table(text, "Framework summary / Nvidia Titan X (`i7-5930k-titan-x`)", "")
    row = next(r for r in summary if r["stack"].startswith("Torch + clnn"))
    assert (row["stack"], row["models"], row["geomean slowdown, own models"]) == ("Torch + clnn †", "3", "17.76")
    assert "† Torch + clnn: its Overfeat run is flagged, left out." in text
    # --include-flagged puts it back, still marked
    text = report("--include-flagged")
    overfeat = table(text, "Nvidia Titan X (`i7-5930k-titan-x`)", "Overfeat")
    clnn = next(r for r in overfeat if r["stack"] == "Torch + clnn †")
    assert (clnn["rank"], clnn["speedup vs fastest"]) == ("12", "0.18")  # 176 / 963
    summary = table(text, "Framework summary / Nvidia Titan X (`i7-5930k-titan-x`)", "")
    row = next(r for r in summary if r["stack"].startswith("Torch + clnn"))
    assert (row["models"], row["geomean slowdown, own models"]) == ("4", f"{(963/71 * 963/176 * 3437/254 * 7016/230) ** 0.25:.2f}")


def test_summary_over_common_models_and_reservations(all_ro):
    text = report()
    assert "Common models (2): AlexNet, VGG [A]." in text
    assert "Common models (3): Alexnet, Overfeat, VGG [A]." in text
    seed = {r["stack"]: r for r in table(text, "Framework summary / Nvidia Titan X (`nvidia-titan-x`)", "")}
    assert seed["Tensorflow 0.7.1 + cuDNN 4"]["mean memory ratio"] == "—"  # a reservation, was 4.20
    quality = {(r["check"], r["model"]): r for r in table(text, "Data quality", "")}
    note = quality[("memory_reservation", "Alexnet")]
    assert note["severity"] == "note" and note["stack"] == "Tensorflow 0.7.1 + cuDNN 4"
    assert note["detail"].startswith("memory 11,520 MB on all 4 of its models, 96% of the device's 12,000 MB")
    assert quality[("repeated_timings", "Overfeat")]["severity"] == "error"
    assert sum(1 for check, _ in quality if check == "memory_reservation") == 4


def test_precision_section(all_ro):
    text = report()
    rows = {(r["model"], r["stack"]): r for r in table(text, "Precision", "")}
    neon = rows[("AlexNet", "neon")]
    # 87/78 = 1.115 on the published totals, 86/77 = 1.117 on forward + backward
    assert (neon["fp32 total ms"], neon["fp16 total ms"], neon["total speedup"],
            neon["forward + backward speedup"]) == ("87", "78", "1.12", "1.12")
    googlenet = rows[("GoogleNet", "Torch + cuDNN R4")]
    assert (googlenet["backward speedup"], googlenet["note"]) == ("0.97", "fp16 slower: backward")
    assert '"total speedup" is on the totals the rankings use (the published total' in text


# -- failures --------------------------------------------------------------------------
def test_unknown_model_is_exit_2_with_the_known_models(seed_ro):
    result = run_cli("report", "--model", "ResNet", cwd=seed_ro.parent)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (f"Error: no model named 'ResNet' in the warehouse; known models: {SEED_MODELS}\n")


def test_unknown_machine_framework_and_baseline(seed_ro):
    result = cli("report", "--machine", "tpu", "--framework", "jax", "--framework", "Torch")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: no machine named 'tpu' in the warehouse; known machines: nvidia-titan-x (Nvidia Titan X)",
        "no framework named 'jax' in the warehouse; known frameworks: Caffe, Leaf, Tensorflow, Torch"]
    result = cli("report", "--baseline", "Theano")
    assert result.exit_code == 2 and result.stdout == ""
    assert "no framework named 'Theano'" in result.stderr


@pytest.mark.parametrize("option", ["--model", "--machine", "--framework", "--baseline"])
def test_sql_in_a_name_is_a_plain_name(seed_db, option):
    before = sha256(seed_db)
    name = "x'; drop table runs; --"
    result = cli("report", option, name)
    assert result.exit_code == 2 and result.stdout == ""
    kind = {"--model": "model", "--machine": "machine"}.get(option, "framework")
    assert result.stderr.startswith(f"Error: no {kind} named \"x'; drop table runs; --\" in the warehouse")
    assert sha256(seed_db) == before
    with duckdb.connect(str(seed_db), read_only=True) as con:
        assert con.execute("select count(*) from runs").fetchone() == (26,)


def test_output_writes_the_file_and_nothing_on_stdout(seed_db, project):
    result = cli("report", "--output", "missing/report.md")
    assert result.exit_code == 1  # missing/ does not exist
    assert result.stdout == "" and result.stderr.startswith("Error: cannot write missing/report.md")
    result = cli("report", "--output", "report.md")
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert (project / "report.md").read_text(encoding="utf-8") == report()


def test_no_refresh_without_a_warehouse(project):
    result = cli("report", "--no-refresh")
    assert result.exit_code == 2 and result.stdout == ""
    assert "no warehouse at warehouse.duckdb" in result.stderr


def test_report_module_imports_light():
    code = ("import sys, dlbench.report; "
            "print(sorted(m for m in ('sqlglot', 'pyarrow', 'duckdb', 'pyspark') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_report_help():
    result = cli("report", "--help")
    assert result.exit_code == 0
    for option in ("--output", "--machine", "--model", "--framework", "--baseline", "--db", "--no-refresh"):
        assert option in result.stdout


TINY = """
[cpu-box]
  name = "Test CPU box"
  type = "CPU"

  [[cpu-box.models]]
    name = "Alexnet"
    batch_size = 16

    [[cpu-box.models.frameworks]]
      name = "Torch"
      version = "7"
      forward = 1500.5

    [[cpu-box.models.frameworks]]
      name = "Caffe"
      version = "1.0.0"
      backward = 900
      total = 2500
      memory = "1.5GiB"
"""


def test_missing_values_show_as_a_dash_never_zero(project):
    (project / "data" / "tiny.toml").write_text(TINY, encoding="utf-8")
    from dlbench.warehouse import build_warehouse as ingest

    ingest(None, "warehouse.duckdb")
    text = report("--machine", "cpu-box")
    assert "## Test CPU box (`cpu-box`)" in text
    assert "Host CPU: —. Devices: —." in text
    rows = table(text, "Test CPU box", "Alexnet (batch size 16)")
    assert rows == [
        {"rank": "1", "stack": "Caffe 1.0.0", "forward ms": "—", "backward ms": "900", "total ms": "2,500",
         "memory MB": "1,610.6", "speedup vs fastest": "1.00", "images/s": "6.4"},  # 1.5 * 1024**3 bytes
        # forward only: no total, so no rank, speedup or rate
        {"rank": "—", "stack": "Torch 7", "forward ms": "1,500.5", "backward ms": "—", "total ms": "—",
         "memory MB": "—", "speedup vs fastest": "—", "images/s": "—"},
    ]
    assert "nvidia-titan-x" not in text.split("## Data quality")[0]


# Three runs of one model with samples (medians = the totals): Base 1 has memory above the
# device's 1 GB (memory_above_device, an error: flagged), Base 2 is the baseline's best unflagged run.
BASELINE_RUNS = """
[box]
name = "A box"

[[box.devices]]
name = "Some GPU"
memory = "1GB"

[[box.models]]
name = "AlexNet"

[[box.models.frameworks]]
name = "Base"
version = "1"
forward = 10
backward = 10
memory = "2GB"
forward_samples = [9.9, 10.0, 10.1]
backward_samples = [9.9, 10.0, 10.1]

[[box.models.frameworks]]
name = "Other"
version = "1"
forward = 15
backward = 15
forward_samples = [14.9, 15.0, 15.1]
backward_samples = [14.9, 15.0, 15.1]

[[box.models.frameworks]]
name = "Base"
version = "2"
forward = 19.9
backward = 20
forward_samples = [19.8, 19.9, 20.0]
backward_samples = [19.9, 20.0, 20.1]
"""


def test_one_baseline_run_for_the_ranking_and_the_comparison(project):
    """The baseline's best run is the same run for every speedup of a table: with --include-flagged
    the flagged Base 1 (20 ms) is the best Base run, so 20/20, 20/30, 20/39.9 (the medians of the
    total samples are the totals); it was 2.00, 1.33, 0.50 when the samples' comparison took the
    best unflagged run (Base 2) and the published totals took Base 1."""
    (project / "data" / "baseline.toml").write_text(BASELINE_RUNS, encoding="utf-8")
    from dlbench.warehouse import build_warehouse as ingest

    ingest(None, "warehouse.duckdb")
    rows = table(report("--machine", "box", "--baseline", "Base", "--include-flagged"), "A box", "AlexNet")
    assert [(r["stack"], r["speedup vs Base"]) for r in rows] == [
        ("Base 1 †", "1.00"), ("Other 1", "0.67"), ("Base 2", "0.50")]
    # without it Base 2 is the baseline: 39.9 / 30 = 1.33; the flagged run has no speedup. The marks
    # are the comparison's with Base 2: beyond 1.1x, but 3 samples a side cannot reach p < 0.01: "~"
    rows = table(report("--machine", "box", "--baseline", "Base"), "A box", "AlexNet")
    assert [(r["stack"], r["speedup vs Base"], r["mark"]) for r in rows] == [
        ("Other 1", "1.33", "~"), ("Base 2", "1.00", ""), ("Base 1 †", "—", "~")]


def test_one_scope_for_every_query_on_a_read_only_connection(seed_ro):
    """dlbench.scope resolves the filters once into the temporary table `scope` and the macro
    in_scope, which a read-only connection takes; NULL (a row that names no such thing) passes."""
    from contextlib import closing

    from dlbench.scope import Filters, apply, resolve
    from dlbench.warehouse import connect

    with closing(connect(str(seed_ro))) as con:
        f = resolve(con, Filters(models=["ALEXNET"], frameworks=["caffe"]))
        apply(con, f)
        assert con.execute("SELECT model_keys, frameworks, baseline_key, include_flagged FROM scope").fetchone() == (
            ["alexnet"], ["caffe"], None, False)
        kept = con.execute("SELECT stack FROM results WHERE in_scope(machine_id, model_key, framework_key)").fetchall()
        assert kept == [("Caffe 1.0.0 + cuDNN 3",)]  # the seed's one Caffe run of Alexnet
        assert con.execute("SELECT in_scope(NULL, NULL, NULL), in_scope(NULL, 'googlenet', NULL), "
                           "in_scope(NULL, NULL, 'torch')").fetchone() == (True, False, False)
        apply(con, resolve(con, Filters()))  # made again: everything
        assert con.execute("SELECT count(*) FROM results WHERE in_scope(machine_id, model_key, framework_key)"
                           ).fetchone() == (26,)
