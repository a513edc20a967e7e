"""`dlbench site` and `report --charts`: the specs hold the right rows, every page and data file
is there, benchmark.json is `export json`, nothing is loaded from outside the site, and the
folder is replaced whole or not at all. The real-browser test is tests/test_site_browser.py."""
from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytest.importorskip("altair")
pytest.importorskip("vl_convert")

from conftest import CONVNET, ROOT, SEED, cli, sha256  # noqa: E402
from dlbench import charts  # noqa: E402
from dlbench.site import MARKER, build_site, model_page_name  # noqa: E402

SEED_MACHINE = "nvidia-titan-x"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A warehouse of the seed and convnet-benchmarks, and its site: (db, site folder, summary)."""
    from dlbench.warehouse import build_warehouse

    tmp = tmp_path_factory.mktemp("site")
    db = tmp / "warehouse.duckdb"
    build_warehouse([str(SEED), str(CONVNET)], str(db))
    summary = build_site(str(db), tmp / "site")
    return db, tmp / "site", summary


def specs(page: Path) -> list[dict]:
    """The Vega-Lite specs embedded in a page, in page order."""
    text = page.read_text(encoding="utf-8")
    found = re.findall(r'<script type="application/json" data-chart="chart-\d+">(.*?)</script>', text, re.S)
    return [json.loads(s.replace("<\\/", "</")) for s in found]


def rows(spec: dict) -> list[dict]:
    return spec["datasets"][charts.DATASET]


# -- the charts' rows --------------------------------------------------------------------------------
def test_alexnet_chart_on_the_seed_machine(built):
    _, site, _ = built
    page = site / model_page_name("alexnet")
    first = specs(page)[0]
    assert first["title"]["text"] == ("Alexnet on Nvidia Titan X (nvidia-titan-x): time per minibatch, "
                                      "fastest first")
    bars = rows(first)
    assert len(bars) == 7
    assert bars[0]["stack"] == "Torch 07/03/2016 + cuDNN 4" and bars[0]["total_ms"] == 82
    assert (bars[0]["forward"], bars[0]["backward"], bars[0]["label"]) == (28, 54, "82 ms")
    assert [b["total_ms"] for b in bars] == sorted(b["total_ms"] for b in bars)  # fastest first
    assert bars[-1]["stack"] == "Tensorflow 0.7 + cuDNN 3" and bars[-1]["total_ms"] == 248
    # Leaf 0.2 + cuDNN 4 gives no memory while the others do: a note (data quality), not a flag;
    # only error-level findings mark a bar (the Overfeat clnn row: test_the_flagged_run_is_marked...)
    leaf = next(b for b in bars if b["stack"] == "Leaf 0.2 + cuDNN 4")
    assert leaf["label"] == "88 ms"
    assert charts.marks(first) == 14  # forward and backward of 7 stacks
    # the y axis lists the stacks fastest first, in every layer
    for layer in first["layer"]:
        assert layer["encoding"]["y"]["sort"] == [b["stack"] for b in bars]


def test_every_chart_has_a_title_axis_titles_with_units_and_a_table(built):
    _, site, summary = built
    seen = 0
    for name in summary.pages:
        text = (site / name).read_text(encoding="utf-8")
        for spec in specs(site / name):
            seen += 1
            assert spec["title"]["text"]
            x = next(layer["encoding"]["x"] for layer in spec["layer"] if "title" in layer["encoding"].get("x", {}))
            assert re.search(r"\((ms|MB|×)|×|per second", x["title"]), x["title"]
        # a table after every chart
        for chart in re.finditer(r'<figure class="chart">', text):
            assert "<table>" in text[chart.end():], name
    assert seen == summary.charts > 20


def test_colours_are_the_same_framework_colours_on_every_page(built):
    _, site, summary = built
    colour: dict[str, str] = {}
    for name in summary.pages:
        for spec in specs(site / name):
            scale = spec["layer"][0]["encoding"]["color"]["scale"]
            for framework, c in zip(scale["domain"], scale["range"]):
                assert colour.setdefault(framework.lower(), c) == c, framework
    assert len(set(colour.values())) == len(colour)  # distinct while the palette lasts


def test_bounded_chart_for_many_stacks():
    stacks = [dict(stack=f"S {i}", framework=f"F{i % 3}", forward_ms=i + 1, backward_ms=2 * i + 2,
                   total_ms=3 * i + 3, flag="") for i in range(60)]
    spec = charts.stack_times(stacks, "Many", charts.Colours(["F0", "F1", "F2"]))
    assert len(rows(spec)) == charts.MAX_BARS
    assert spec["height"] == charts.MAX_BARS * charts.BAR_STEP_PX
    assert spec["title"]["subtitle"] == [f"the first {charts.MAX_BARS} of 60; the table has them all"]


def test_two_stacks_that_read_alike_are_two_bars():
    # "Torch" version "1 2" and "Torch 1" version "2" both show as "Torch 1 2": one bar before
    same = [dict(stack="Torch 1 2", framework="Torch", forward_ms=f, backward_ms=f, total_ms=2 * f, flag="")
            for f in (10, 20)]
    spec = charts.stack_times(same, "Alike", charts.Colours(["Torch"]))
    assert [r["stack"] for r in rows(spec)] == ["Torch 1 2", "Torch 1 2 (2)"]
    assert charts.marks(spec) == 4  # forward and backward of each
    spec = charts.bars("speedup", [dict(item="A", framework="Torch", speedup=v) for v in (1.5, 2.5)], "Alike",
                       charts.Colours(["Torch"]), "speedup", "×")
    assert [r["item"] for r in rows(spec)] == ["A", "A (2)"]


def test_templates_are_valid_vega_lite():
    alt = charts.altair()
    colours = charts.Colours(["A"])
    for spec in (charts.stack_times([dict(stack="s", framework="A", forward_ms=1, backward_ms=2, total_ms=3)],
                                    "t", colours),
                 charts.bars("memory", [dict(item="s", framework="A", memory_mb=5)], "t", colours, "memory_mb"),
                 charts.intervals([dict(item="s", framework="A", ratio=1.1, low=1.0, high=1.2)], "t", colours)):
        alt.LayerChart.from_dict(spec, validate=True)
        assert charts.to_svg(spec).startswith("<svg")


# -- pages and files ----------------------------------------------------------------------------------
def test_every_page_and_data_file_exists(built):
    _, site, summary = built
    expected = {"index.html", "library.html", "precision.html", "versions.html", "quality.html",
                "model-alexnet.html", "model-overfeat.html", "model-vgga.html", "model-googlenet.html",
                "comparisons.html"}  # the view exists in every warehouse; its page says there is nothing to test
    assert set(summary.pages) == expected
    assert summary.comparisons and "No two runs with samples" in (site / "comparisons.html").read_text()
    for name in expected:
        assert (site / name).stat().st_size > 1000
    for name in ("benchmark.json", "results.csv", "warehouse.duckdb", "parquet/manifest.json",
                 "parquet/results.parquet", "parquet/cross_machine.parquet"):
        assert (site / "data" / name).stat().st_size > 0, name
    for name in ("vega.js", "site.js", "site.css"):
        assert (site / "assets" / name).stat().st_size > 0
    assert (site / MARKER).exists()
    index = (site / "index.html").read_text(encoding="utf-8")
    for d in summary.data_files:  # each linked with its size and sha256
        assert d["sha256"] == sha256(site / d["path"])
        assert f'href="{d["path"]}"' in index and d["sha256"] in index
    assert sha256(SEED) in index and sha256(CONVNET) in index
    csv = (site / "data" / "results.csv").read_text(encoding="utf-8").splitlines()
    assert len(csv) == 1 + 74 and csv[0].startswith("run_id,machine_id,machine_key")


def test_local_links_resolve(built):
    _, site, summary = built
    for name in summary.pages:
        refs = Refs.of(site / name)
        ids = set(refs.ids)
        for _tag, _attr, url in refs.urls:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue
            if parts.path:
                assert (site / unquote(parts.path)).exists(), f"{name}: {url}"
            if parts.fragment and not parts.path:
                assert parts.fragment in ids, f"{name}: {url}"


def test_benchmark_json_is_export_json(built):
    db, site, _ = built
    result = cli("export", "json", "--db", db, "--no-refresh")
    assert result.exit_code == 0
    assert (site / "data" / "benchmark.json").read_text(encoding="utf-8") == result.stdout


def test_the_flagged_run_is_marked_in_its_table(built):
    _, site, _ = built
    text = (site / model_page_name("overfeat")).read_text(encoding="utf-8")
    # convnet-benchmarks' Overfeat "CL-nn (Torch)" repeats its AlexNet row
    row = next(r for r in text.split("<tr>") if "clnn" in r and "963" in r)
    assert "⚠ repeated timings" in row


# -- nothing loaded from elsewhere --------------------------------------------------------------------
LOADING = {"script": "src", "img": "src", "iframe": "src", "embed": "src", "source": "src", "audio": "src",
           "video": "src", "track": "src", "input": "src", "object": "data"}
LINK_LOADS = {"stylesheet", "icon", "preload", "prefetch", "modulepreload", "manifest", "import"}


class Refs(HTMLParser):
    """Every URL of a page: those it loads, those a reader may follow, and element ids."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []
        self.loads: list[str] = []
        self.ids: list[str] = []
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self._in = None

    @classmethod
    def of(cls, path: Path) -> "Refs":
        p = cls()
        p.feed(path.read_text(encoding="utf-8"))
        return p

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        for attr in ("href", "src", "data", "poster", "action"):
            if a.get(attr):
                self.urls.append((tag, attr, a[attr]))
        if tag in LOADING and a.get(LOADING[tag]):
            self.loads.append(a[LOADING[tag]])
        if tag == "link" and LINK_LOADS & set((a.get("rel") or "").lower().split()):
            self.loads.append(a.get("href") or "")
        if a.get("style"):
            self.styles.append(a["style"])
        if a.get("srcset"):
            self.loads.extend(s.split()[0] for s in a["srcset"].split(",") if s.strip())
        self._in = tag if tag in ("style", "script") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self.styles.append(data)
        elif self._in == "script":
            self.scripts.append(data)


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.I)
JS_IMPORT = re.compile(r"""(?:^|[;\s])import\s*(?:\(\s*|[\w{}*\s,]+from\s*)['"]([^'"]+)['"]""")


def external(url: str) -> bool:
    parts = urlsplit(url.strip())
    return bool(parts.scheme and parts.scheme not in ("data", "blob")) or url.strip().startswith("//")


def outside_loads(site: Path) -> list[str]:
    """What any page, stylesheet or script of the site would load from outside it."""
    found = []
    for page in site.rglob("*.html"):
        refs = Refs.of(page)
        found += [f"{page.name}: {u}" for u in refs.loads if external(u)]
        for css in refs.styles:
            found += [f"{page.name}: {m[0] or m[1]}" for m in CSS_URL.findall(css) if external(m[0] or m[1])]
        for js in refs.scripts:
            found += [f"{page.name}: {u}" for u in JS_IMPORT.findall(js) if external(u)]
    for css in site.rglob("*.css"):
        found += [f"{css.name}: {m[0] or m[1]}" for m in CSS_URL.findall(css.read_text()) if external(m[0] or m[1])]
    for js in site.rglob("*.js"):
        found += [f"{js.name}: {u}" for u in JS_IMPORT.findall(js.read_text(encoding="utf-8")) if external(u)]
    return found


def test_nothing_is_loaded_from_outside_the_site(built):
    _, site, _ = built
    assert outside_loads(site) == []
    # the checker does see a load from elsewhere, and does not count links or namespaces
    probe = site.parent / "probe"
    probe.mkdir()
    (probe / "a.html").write_text(
        '<html><head><link rel="stylesheet" href="https://cdn.example/x.css"><style>b{background:url(//e.x/i.png)}'
        '</style></head><body><a href="https://github.com/soumith/convnet-benchmarks">src</a>'
        '<svg xmlns="http://www.w3.org/2000/svg"></svg><img src="http://e.x/i.png">'
        '<script>import("https://esm.sh/vega")</script><script src="https://cdn.jsdelivr.net/npm/vega"></script>'
        "</body></html>")
    (probe / "b.css").write_text('@import "https://fonts.example/f.css";')
    assert sorted(outside_loads(probe)) == sorted([
        "a.html: https://cdn.example/x.css", "a.html: //e.x/i.png", "a.html: http://e.x/i.png",
        "a.html: https://esm.sh/vega", "a.html: https://cdn.jsdelivr.net/npm/vega",
        "b.css: https://fonts.example/f.css"])


def test_pages_read_without_javascript(built):
    """The numbers are in the HTML itself: the Alexnet table without running any script."""
    _, site, _ = built
    text = (site / model_page_name("alexnet")).read_text(encoding="utf-8")
    body = re.sub(r"<script.*?</script>", "", text, flags=re.S)
    assert "Torch 07/03/2016 + cuDNN 4" in body and "<td class=\"num\">82</td>" in body
    assert "<noscript>" in body


# -- the command ---------------------------------------------------------------------------------------
def test_site_command_with_filters(seed_db, project):
    result = cli("site", "out", "--model", "alexnet", "--no-refresh")
    assert result.exit_code == 0, result.stderr
    assert "Wrote 7 pages" in result.stderr and "open out/index.html" in result.stderr
    assert sorted(p.name for p in (project / "out").glob("model-*.html")) == ["model-alexnet.html"]
    assert "Filtered to model alexnet" in (project / "out" / "index.html").read_text(encoding="utf-8")


def test_unknown_model_is_a_usage_error_and_writes_nothing(seed_db, project):
    result = cli("site", "out", "--model", "Lenet", "--no-refresh")
    assert result.exit_code == 2
    assert "no model named 'Lenet'" in result.stderr and "known models: Alexnet" in result.stderr
    assert not (project / "out").exists()
    assert [p.name for p in project.iterdir() if p.name.startswith(".out")] == []


def test_a_folder_dlbench_did_not_write_is_never_replaced(seed_db, project):
    (project / "mine").mkdir()
    (project / "mine" / "notes.txt").write_text("keep me")
    result = cli("site", "mine", "--no-refresh")
    assert result.exit_code == 2
    assert "mine holds files that dlbench site did not write" in result.stderr
    assert (project / "mine" / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []


@pytest.mark.slow  # processes killed mid-build
def test_a_site_is_replaced_whole_or_not_at_all(seed_db, project, monkeypatch):
    from dlbench import site as site_module

    assert cli("site", "out", "--no-refresh").exit_code == 0
    (project / "out" / "stale.html").write_text("from before")
    assert cli("site", "out", "--no-refresh").exit_code == 0
    assert not (project / "out" / "stale.html").exists()  # replaced whole
    before = {p.name: sha256(p) for p in (project / "out").glob("*.html")}

    def fail(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(site_module, "_quality_page", fail)
    result = cli("site", "out", "--no-refresh")
    assert result.exit_code == 1
    assert "cannot write the site into out: No space left on device" in result.stderr
    assert {p.name: sha256(p) for p in (project / "out").glob("*.html")} == before
    assert [p.name for p in project.iterdir() if p.name.startswith(".")] == []  # no temp folder left


def test_missing_chart_libraries_name_the_extra(seed_db, project, monkeypatch):
    monkeypatch.setitem(sys.modules, "altair", None)  # import altair raises ImportError
    result = cli("site", "out", "--no-refresh")
    assert result.exit_code == 1
    assert "pip install 'dlbench[site]'" in result.stderr
    assert not (project / "out").exists()
    result = cli("report", "--charts", "charts", "--no-refresh")
    assert result.exit_code == 1 and "pip install 'dlbench[site]'" in result.stderr


def test_comparisons_page_shows_the_runs_with_samples(tmp_path):
    from dlbench.warehouse import build_warehouse

    db = tmp_path / "w.duckdb"
    build_warehouse([str(SEED), str(ROOT / "tests" / "data" / "compare_main.toml")], str(db))
    summary = build_site(str(db), tmp_path / "site")
    assert summary.comparisons and "comparisons.html" in summary.pages
    spec = specs(tmp_path / "site" / "comparisons.html")[0]
    # ci-box: Torch 2.5.1 against JAX 0.4.35 on each of its 4 models, 12 samples a side; the seed has none
    items = sorted(r["item"] for r in rows(spec))
    assert len(items) == 4 and items[0] == "AlexNet · Torch 2.5.1 (fp32) vs JAX 0.4.35 (fp32)"
    assert all(r["low"] <= r["ratio"] <= r["high"] for r in rows(spec))
    assert 'href="comparisons.html"' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


# -- report --charts --------------------------------------------------------------------------------------
def test_report_charts_are_svg_files_linked_under_the_tables(seed_db, project):
    (project / "docs").mkdir()
    result = cli("report", "--charts", "docs/charts", "--output", "docs/report.md", "--no-refresh")
    assert result.exit_code == 0, result.stderr
    text = (project / "docs" / "report.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[([^\]]*)\]\(([^)]*)\)", text)
    assert len(links) == 4 + 1  # a chart per model, and the framework summary
    for _alt_text, link in links:
        svg = project / "docs" / link
        assert link.startswith("charts/") and svg.read_text(encoding="utf-8").startswith("<svg")
    # the Alexnet chart sits right under the Alexnet table and its notes
    alexnet = text.index("### Alexnet")
    table_end = text.index("\n\n", text.index("| rank", alexnet))
    assert text[table_end:].lstrip().removeprefix("Resolution: 1 ms.").lstrip().startswith(
        "![Alexnet on Nvidia Titan X (nvidia-titan-x): time per minibatch, fastest first]"
        "(charts/nvidia-titan-x--alexnet.svg)")
    svg = (project / "docs" / "charts" / "nvidia-titan-x--alexnet.svg").read_text(encoding="utf-8")
    assert svg.count('class="mark-rect role-mark') == 1 and "82 ms" in svg
    # without --charts the report is the same text minus the image lines
    plain = cli("report", "--no-refresh").stdout
    assert plain == "".join(line for line in text.splitlines(keepends=True)
                            if not line.startswith("![")).replace("\n\n\n", "\n\n")


def test_model_filter_narrows_the_comparisons_page(tmp_path):
    from dlbench.warehouse import build_warehouse

    db = tmp_path / "w.duckdb"
    build_warehouse([str(ROOT / "tests" / "data" / "compare_main.toml")], str(db))
    build_site(str(db), tmp_path / "site", models=["alexnet"])
    page = tmp_path / "site" / "comparisons.html"
    # ci-box has 4 models with samples; --model alexnet keeps the AlexNet pair only (it kept all 4)
    assert [r["item"] for r in rows(specs(page)[0])] == ["AlexNet · Torch 2.5.1 (fp32) vs JAX 0.4.35 (fp32)"]
    text = page.read_text(encoding="utf-8")
    assert "<td>AlexNet</td>" in text and "<td>VGG" not in text and "<td>GoogLeNet</td>" not in text


def summary_table(index: str, machine_id: int) -> list[list[str]]:
    """The cells of a machine's framework-summary table on the front page, tags stripped."""
    section = index.split(f'<h3 id="machine-{machine_id}">')[1].split("<h3 ")[0].split("<h2>")[0]
    body = section.split("<tbody>")[1].split("</tbody>")[0]
    return [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body)]


def test_front_page_ranks_stacks_as_the_report_does(built):
    """Stacks in the order of the geometric mean over the models every stack measured (the report's
    order), not by the geomean over each stack's own models, which the report calls not comparable."""
    import duckdb

    db, site, _ = built
    index = (site / "index.html").read_text(encoding="utf-8")
    con = duckdb.connect(str(db), read_only=True)
    machine_id, = con.execute("SELECT machine_id FROM machines WHERE machine_key = 'i7-5930k-titan-x'").fetchone()
    want = con.execute("SELECT stack, geomean_slowdown_common, geomean_slowdown FROM stack_scores "
                       "WHERE machine_id = ? AND NOT include_flagged "
                       "ORDER BY geomean_slowdown_common NULLS LAST, geomean_slowdown NULLS LAST, wins DESC, stack",
                       [machine_id]).fetchall()
    con.close()
    own_order = [s for s, _, _ in sorted(want, key=lambda r: (r[2] is None, r[2] or 0, r[0]))]
    assert own_order != [s for s, _, _ in want]  # the two orders differ on this machine
    got = summary_table(index, machine_id)
    assert [r[0] for r in got] == [s for s, _, _ in want]
    assert [r[4] for r in got] == [f"{c:.3f}" if c is not None else "—" for _, c, _ in want]
    assert "Common models (3): Alexnet, Overfeat, VGG [A]." in index
    chart = next(s for s in specs(site / "index.html") if "i7-5930k-titan-x" in s["title"]["text"])
    assert [r["item"] for r in rows(chart)] == [s for s, c, _ in want if c is not None]


FLAGGED = """
[box]
name = "A box"

[[box.devices]]
name = "Some GPU"
memory = "1GB"

[[box.models]]
name = "AlexNet"

[[box.models.frameworks]]
name = "Torch"
version = "1"
forward = 10
backward = 10
memory = "2GB"

[[box.models.frameworks]]
name = "Caffe"
version = "1"
forward = 15
backward = 15
"""


def test_flags_and_findings_use_the_seeds_words(tmp_path):
    """The words of a check are the seed quality_checks' (sql/seeds), the same in the report and on
    the site: the site wrote "memory above device" where the report wrote "memory above the device's"."""
    import duckdb

    from dlbench.warehouse import build_warehouse

    (tmp_path / "f.toml").write_text(FLAGGED, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    build_warehouse([str(tmp_path / "f.toml")], str(db))
    with duckdb.connect(str(db), read_only=True) as con:
        words = dict(con.execute('SELECT "check", words FROM quality_checks').fetchall())
        meanings = [m for (m,) in con.execute("SELECT meaning FROM quality_checks WHERE severity = 'error' "
                                              "ORDER BY position").fetchall()]
    assert words["memory_above_device"] == "memory above the device's"
    build_site(str(db), tmp_path / "site")
    page = (tmp_path / "site" / model_page_name("alexnet")).read_text(encoding="utf-8")
    row = next(r for r in page.split("<tr>") if "Torch 1" in r and "2,000" in r)
    assert "⚠ memory above the device&#x27;s" in row
    quality = (tmp_path / "site" / "quality.html").read_text(encoding="utf-8")
    assert f"Errors ({', '.join(meanings)})" in quality.replace("&#x27;", "'")
    assert "<td>memory above the device&#x27;s</td>" in quality
    text = cli("report", "--db", str(db), "--no-refresh").stdout
    assert "† Torch 1: memory above the device's: memory 2,000 MB is above" in text


ALIKE = """
[box]
name = "A box"

[[box.models]]
name = "AlexNet"

[[box.models.frameworks]]
name = "Torch"
version = "1 2"
forward = 10
backward = 10
forward_samples = [9.9, 10.0, 10.1]
backward_samples = [9.9, 10.0, 10.1]

[[box.models.frameworks]]
name = "Torch 1"
version = "2"
forward = 20
backward = 20
forward_samples = [19.9, 20.0, 20.1]
backward_samples = [19.9, 20.0, 20.1]
"""


def test_stacks_that_read_alike_are_compared_on_the_site(tmp_path):
    """Two stacks whose display string is the same ("Torch 1 2") are two runs: the comparisons page
    keeps their pair (it kept a pair only when one name sorted before the other)."""
    from dlbench.warehouse import build_warehouse

    (tmp_path / "a.toml").write_text(ALIKE, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    build_warehouse([str(tmp_path / "a.toml")], str(db))
    build_site(str(db), tmp_path / "site")
    text = (tmp_path / "site" / "comparisons.html").read_text(encoding="utf-8")
    assert text.count("<td>Torch 1 2</td><td>Torch 1 2</td>") == 1
