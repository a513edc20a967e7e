"""`dlbench site DIR`: the benchmark page, a folder of plain files built from the warehouse.

    from dlbench.site import build_site
    summary = build_site("warehouse.duckdb", "site", models=["Alexnet"])

What it writes (NAV lists the pages besides the models'): `index.html` (the data, its
sources, the machines, the models, per machine the framework summary), a page per model (per
machine the stacks' forward and backward times, memory, images per second, the flagged runs marked; across machines the
comparison), the library effect, the precision effect, version progress, the data-quality
findings, the comparisons (pairs of runs with samples), and `data/`:
`benchmark.json` (as `export json` makes it), the Parquet export with its manifest, a CSV of
`results` and a copy of the warehouse.

Nothing is loaded from elsewhere: the charts are Vega-Lite specs (dlbench.charts) drawn by the
Vega runtime that the site carries in `assets/vega.js`, and every chart has its table under it,
so the pages read without JavaScript. The rows come from the views through the report's queries
(sql/report/*.sql: the same rows as the report, rendered as HTML) and, for what the report has no
table for, sql/site/*.sql; the filters are the connection's scope (dlbench.scope).
The folder is written beside DIR and renamed into place, so a
failed build leaves the previous site whole; an existing DIR that is not a dlbench site is
never replaced.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from . import charts
from .errors import DlbenchError, UsageError
from .fmt import MISSING, exact, ratio3, size, slug
from .ingest.files import file_sha256
from .report import Checks, finding_detail
from .scope import Filters, apply, resolve
from .sqlfiles import query

if TYPE_CHECKING:
    from .warehouse import Warehouse

MARKER = ".dlbench-site"  # a folder with this file was written by dlbench site and may be replaced
PAGE_ROWS = 500  # the most table rows of one summary page (or section); the data files have them all
NOWRAP = {"stack", "other stack", "machine", "other machine"}  # table columns whose cells do not wrap
NAV_MACHINES = 12  # more machines than this: the model page's list of them is folded
NAV = [("index.html", "Overview"), ("library.html", "Library effect"), ("precision.html", "Precision"),
       ("versions.html", "Versions"), ("quality.html", "Data quality"), ("comparisons.html", "Comparisons")]


class SiteError(DlbenchError):
    "The site could not be written"


class NotASite(UsageError):
    "The target folder exists, holds files and was not written by dlbench site"


@dataclass
class SiteSummary:
    directory: str
    pages: list[str] = field(default_factory=list)
    charts: int = 0
    marks: dict[str, int] = field(default_factory=dict)  # page -> bars and points its charts draw
    data_files: list[dict] = field(default_factory=list)
    comparisons: bool = False


def _rows(con, name: str, params: dict | None = None) -> list[dict]:
    return query(con, "site", name, params)


# -- numbers and text ------------------------------------------------------------------------
def esc(v) -> str:
    return html.escape(MISSING if v is None else str(v), quote=True)


# -- HTML --------------------------------------------------------------------------------------
class Page:
    """One HTML page: its body parts, and the charts it holds."""

    def __init__(self, name: str, title: str, nav: list[tuple[str, str]]):
        self.name, self.title, self.nav = name, title, nav
        self.parts: list[str] = []
        self.charts = 0
        self.marks = 0

    def add(self, text: str) -> None:
        self.parts.append(text)

    def chart(self, spec: dict | None, caption: str) -> None:
        """A chart (nothing when spec is None): a place the runtime draws into, its spec as JSON."""
        if spec is None:
            return
        self.charts += 1
        self.marks += charts.marks(spec)
        cid = f"chart-{self.charts}"
        label = spec["title"]["text"]
        data = json.dumps(spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        data = data.replace("</", "<\\/").replace("<!--", "<\\!--")
        self.add(f'<figure class="chart"><div class="vega" id="{cid}" role="img" aria-label="{esc(label)}">'
                 f'</div><script type="application/json" data-chart="{cid}">{data}</script>'
                 f'<noscript><p class="note">The chart needs JavaScript; the table below has every number.'
                 f'</p></noscript>' + (f"<figcaption>{esc(caption)}</figcaption>" if caption else "")
                 + "</figure>")

    def html(self) -> str:
        links = " ".join(f'<a href="{href}"' + (' aria-current="page"' if href == self.name else "")
                         + f">{esc(label)}</a>" for href, label in self.nav)
        scripts = ('<script src="assets/vega.js"></script>\n<script src="assets/site.js"></script>\n'
                   if self.charts else "")
        body = "\n".join(self.parts)
        return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f'<title>{esc(self.title)} · dlbench</title>\n'
                f'<link rel="stylesheet" href="assets/site.css">\n</head>\n<body>\n'
                f'<header class="site"><nav>{links}</nav></header>\n<main>\n{body}\n</main>\n'
                f'{scripts}</body>\n</html>\n')


def table(columns: list[str], rows: list[list], numeric: AbstractSet[str] = frozenset(),
          caption: str | None = None, raw: AbstractSet[str] = frozenset()) -> str:
    """An HTML table; cells are escaped except in the `raw` columns (already HTML). The NOWRAP
    columns (stacks, machines) do not wrap."""
    head = "".join(f'<th scope="col"{" class=num" if c in numeric else ""}>{esc(c)}</th>' for c in columns)
    body = []
    for row in rows:
        cells = []
        for c, v in zip(columns, row):
            text = v if c in raw else esc(v)
            cls = "num" if c in numeric else "name" if c in NOWRAP else None
            cells.append(f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>"


def capped(rows: list, what: str, data_hint: str) -> tuple[list, str]:
    if len(rows) <= PAGE_ROWS:
        return rows, ""
    return rows[:PAGE_ROWS], (f'<p class="note">The first {PAGE_ROWS:,} of {len(rows):,} {what}; all of '
                              f'them are in {data_hint}.</p>')


# -- building ----------------------------------------------------------------------------------
def build_site(db: str | Warehouse, directory: str | os.PathLike, machines=(), models=(), frameworks=()) -> SiteSummary:
    """Write the site of the warehouse `db` (a path, read as it is, or a Warehouse) into `directory`
    (replacing a site written there before), narrowed by the filters (lists of names; empty: everything)."""
    from .warehouse import Warehouse

    warehouse = db if isinstance(db, Warehouse) else Warehouse(db, refresh=False)

    charts.require()
    target = Path(directory)
    _check_target(target)
    parent = target.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    except OSError as e:
        raise SiteError(f"cannot write beside {target}: {e.strerror or e}") from None
    try:
        with warehouse.reading() as con:
            filters = resolve(con, Filters(list(machines), list(models), list(frameworks)))
            apply(con, filters)
            summary = _write(con, warehouse.db, tmp, filters)
        summary.directory = str(target)
        _swap(tmp, target)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SiteError(f"cannot write the site into {target}: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise NotASite(f"{target} exists and is not a folder; give a folder for the site")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        raise NotASite(f"{target} holds files that dlbench site did not write; give an empty or new folder "
                       f"(or remove {target})")


def _swap(tmp: Path, target: Path) -> None:
    """Put the new folder in place of the old one: the old one is renamed away first, then
    removed, so that a reader sees either site whole."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
    os.rename(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _assets(out: Path) -> None:
    assets = out / "assets"
    assets.mkdir()
    source = resources.files("dlbench").joinpath("assets")
    for name in ("site.css", "site.js"):
        (assets / name).write_bytes(source.joinpath(name).read_bytes())
    (assets / "vega.js").write_text(_vega_bundle(), encoding="utf-8")


@lru_cache(maxsize=1)
def _vega_bundle() -> str:
    return charts.javascript_bundle()


def _write(con, db: str, out: Path, f: Filters) -> SiteSummary:
    (out / MARKER).write_text("written by dlbench site; the next `dlbench site` here replaces this folder\n")
    _assets(out)
    colours = charts.Colours(r["name"] for r in _rows(con, "frameworks"))
    machines = query(con, "report", "machines")
    model_rows = _rows(con, "models")
    nav = list(NAV)  # every warehouse has the view comparisons (sql/views), so its page is always there
    summary = SiteSummary(str(out), comparisons=True)
    pages: list[Page] = []

    data_files = _data(con, db, out / "data")
    summary.data_files = data_files
    pages.append(_index(con, f, nav, colours, machines, model_rows, data_files))
    checks = Checks(con)
    pages.extend(_model_pages(con, f, nav, colours, machines, model_rows, checks))
    pages.append(_library_page(con, nav, colours))
    pages.append(_precision_page(con, nav, colours))
    pages.append(_versions_page(con, nav, colours))
    pages.append(_quality_page(con, nav, checks))
    pages.append(_comparisons_page(con, nav, colours))
    for page in pages:
        (out / page.name).write_text(page.html(), encoding="utf-8")
        summary.pages.append(page.name)
        summary.charts += page.charts
        summary.marks[page.name] = page.marks
    return summary


def model_page_name(model_key: str) -> str:
    return f"model-{slug(model_key)}.html"


# -- data/ --------------------------------------------------------------------------------------
def _data(con, db: str, data: Path) -> list[dict]:
    """benchmark.json, the Parquet export, results.csv and the warehouse; each with size and sha256."""
    from .export import document_json, parquet

    data.mkdir()
    (data / "benchmark.json").write_text(document_json(con), encoding="utf-8")
    manifest = parquet(con, data / "parquet")
    path = str(data / "results.csv").replace("'", "''")
    con.execute(f"COPY (SELECT * FROM results ORDER BY machine_key, model_key, stack, run_id) TO '{path}' "
                "(HEADER, DELIMITER ',')")
    shutil.copyfile(db, data / "warehouse.duckdb")
    described = {
        "benchmark.json": "the original document, rebuilt from the warehouse tables (as `dlbench export json`)",
        "results.csv": "the view `results`: one row per run, wide",
        "warehouse.duckdb": "the DuckDB warehouse itself: every table and view",
        "parquet/manifest.json": "the Parquet export's manifest: every relation with its schema and row count",
    }
    files = []
    for p in sorted(data.rglob("*")):
        if p.is_file():
            rel = p.relative_to(data).as_posix()
            what = described.get(rel)
            if what is None and rel.startswith("parquet/"):
                name = p.stem
                kind = next((r["kind"] for r in manifest["relations"] if r["name"] == name), "relation")
                what = f"the {kind} `{name}` as Parquet"
            files.append({"path": f"data/{rel}", "bytes": p.stat().st_size, "sha256": file_sha256(str(p)),
                          "what": what or rel})
    return files


# -- the front page -------------------------------------------------------------------------------
def _index(con, f: Filters, nav, colours, machines, model_rows, data_files) -> Page:
    page = Page("index.html", "Deep-learning benchmarks", nav)
    sources = query(con, "report", "sources")
    runs = sum(m["runs"] for m in machines)
    page.add("<h1>Deep-learning benchmarks</h1>")
    page.add('<p class="lead">How fast deep-learning frameworks (Torch, Caffe, TensorFlow, neon, …) run the '
             "forward and the backward pass of a model, and how much memory they take, on a given machine: "
             f"{len(model_rows)} model(s) on {len(machines)} machine(s), {runs:,} runs. Times are "
             "milliseconds per minibatch (forward + backward = total); memory is in MB (10^6 bytes). "
             "Every chart has its table under it, and every number traces to its file and line.</p>")
    if f.any:
        parts = [f"{label} {', '.join(values)}" for label, values in
                 (("machine", f.machines), ("model", f.models), ("framework", f.frameworks)) if values]
        page.add(f'<p class="note">Filtered to {esc("; ".join(parts))}. Ranks and slowdowns still compare with '
                 "every run on the same machine and model; the data files hold the whole warehouse.</p>")
    page.add("<h2>Where the data comes from</h2>")
    page.add(table(["file", "sha256", "size", "ingested (UTC)", "machines", "runs"],
                   [[s["path"], s["sha256"], size(s["size_bytes"]), str(s["ingested_at"])[:19], s["machines"],
                     s["runs"]] for s in sources], numeric={"size", "machines", "runs"}))
    page.add("<h2>Machines</h2>")
    page.add(table(["machine", "key", "type", "host CPU", "devices", "models", "runs"],
                   [[f'<a href="#machine-{m["machine_id"]}">{esc(m["name"])}</a>', m["machine_key"], m["type"],
                     m["host_cpu"], m["devices"], m["models"], m["runs"]] for m in machines],
                   numeric={"models", "runs"}, raw={"machine"}))
    page.add("<h2>Models</h2>")
    page.add(table(["model", "batch size", "input", "machines", "runs"],
                   [[f'<a href="{model_page_name(mo["model_key"])}">{esc(mo["name"])}</a>', mo["batch_sizes"],
                     mo["input_shapes"], mo["machines"], mo["runs"]] for mo in model_rows],
                   numeric={"machines", "runs"}, raw={"model"}))
    page.add("<h2>Framework summary</h2>")
    page.add('<p class="note">Per machine, the stacks ranked by the geometric mean of total time / the fastest '
             "total time (1.00 = always the fastest) over the models that every stack of the machine measured "
             "(named under each machine), as the report ranks them; the geometric mean over each stack's own "
             "models is shown for reference (stacks that ran different models are not comparable on it). "
             "Models measured, wins (rank 1) and the mean of its memory / the least memory on the same "
             "model. Runs with an error-level data-quality finding are left out.</p>")
    summary = query(con, "report", "framework_summary")
    by_machine: dict[int, list[dict]] = {}
    for r in summary:
        by_machine.setdefault(r["machine_id"], []).append(r)
    for m in machines:
        rows = by_machine.get(m["machine_id"], [])
        page.add(f'<h3 id="machine-{m["machine_id"]}">{esc(m["name"])} (<code>{esc(m["machine_key"])}</code>)</h3>')
        if not rows:
            page.add('<p class="note">No runs.</p>')
            continue
        common = rows[0]
        if common["common_models"]:
            page.add(f'<p class="note">Common models ({common["common_models"]}): '
                     f'{esc(common["common_model_names"])}.</p>')
        else:
            page.add('<p class="note">No model was measured by every stack: compare the own-model geomeans '
                     "with care.</p>")
        page.chart(charts.summary_bars(m, rows, colours), "")
        columns = ["stack", "framework", "models", "wins", "geomean slowdown, common models",
                   "geomean slowdown, own models", "mean memory ratio"]
        page.add(table(columns,
                       [[_swatch(colours, r["framework"]) + esc(r["stack"]), r["framework"], r["models_measured"],
                         r["wins"], ratio3(r["geomean_slowdown_common"]), ratio3(r["geomean_slowdown"]),
                         ratio3(r["mean_memory_ratio"])] for r in rows],
                       numeric=set(columns[2:]), raw={"stack"}))
    page.add("<h2>More</h2><ul>" + "".join(f'<li><a href="{h}">{esc(label)}</a></li>' for h, label in nav[1:])
             + "</ul>")
    page.add("<h2>Data files</h2>")
    page.add('<p class="note">The whole warehouse, whatever the filters: open the Parquet files with pandas, '
             "polars or Spark, the warehouse with any DuckDB client, and fetch <code>benchmark.json</code> as "
             "the original project's client-side API did.</p>")
    page.add(table(["file", "what", "size", "sha256"],
                   [[f'<a href="{esc(d["path"])}">{esc(d["path"])}</a>', d["what"], size(d["bytes"]), d["sha256"]]
                    for d in data_files], numeric={"size"}, raw={"file"}))
    page.add(f'<p class="note">Made by dlbench {esc(_version())} from the warehouse alone.</p>')
    return page


def _version() -> str:
    from . import __version__

    return __version__


def _swatch(colours, framework) -> str:
    return f'<span class="swatch" style="background:{colours(framework)}" aria-hidden="true"></span>'


# -- model pages ------------------------------------------------------------------------------------
def _model_pages(con, f: Filters, nav, colours, machines, model_rows, checks: Checks) -> list[Page]:
    runs: dict[str, dict[int, list[dict]]] = {}
    for r in query(con, "report", "rankings"):
        runs.setdefault(r["model_key"], {}).setdefault(r["machine_id"], []).append(r)
    across: dict[str, list[dict]] = {}
    if len(machines) > 1 or f.machine_ids is not None:
        for r in _rows(con, "cross_machine"):
            across.setdefault(r["model_key"], []).append(r)
    names = {m["machine_id"]: m for m in machines}
    pages = []
    for mo in model_rows:
        page = Page(model_page_name(mo["model_key"]), mo["name"], nav)
        facts = []
        if mo["batch_sizes"]:
            facts.append(f"batch size {mo['batch_sizes']} images")
        if mo["input_shapes"]:
            facts.append(f"input {mo['input_shapes']}")
        page.add(f"<h1>{esc(mo['name'])}</h1>")
        page.add(f'<p class="lead">{esc(mo["name"])} ({esc(", ".join(facts) or "batch size not given")}), '
                 f"measured on {mo['machines']} machine(s), {mo['runs']} run(s). Times are milliseconds per "
                 "minibatch; the darker part of a bar is the forward pass, the lighter the backward pass; "
                 "colours are frameworks, the same on every page. ⚠ marks a run with a "
                 '<a href="quality.html">data-quality finding</a>.</p>')
        by_machine = runs.get(mo["model_key"], {})
        shown = [m for m in machines if m["machine_id"] in by_machine]
        links = " · ".join(f'<a href="#machine-{m["machine_id"]}">{esc(m["name"])} '
                           f'(<code>{esc(m["machine_key"])}</code>)</a>' for m in shown)
        if len(shown) > NAV_MACHINES:  # folded, so that the first chart is not below a wall of links
            links = f"<details><summary>{len(shown)} machines</summary>{links}</details>"
        page.add(f"<p>{links}"
                 + (' · <a href="#across">across machines</a>' if mo["model_key"] in across else "") + "</p>")
        for m in shown:
            _model_on_machine(page, mo, names[m["machine_id"]], by_machine[m["machine_id"]], colours, checks)
        if mo["model_key"] in across:
            _across(page, mo, across[mo["model_key"]], colours)
        pages.append(page)
    return pages


def _model_on_machine(page: Page, mo: dict, m: dict, rows: list[dict], colours, checks: Checks) -> None:
    where = f"{mo['name']} on {m['name']} ({m['machine_key']})"
    page.add(f'<h2 id="machine-{m["machine_id"]}">On {esc(m["name"])} (<code>{esc(m["machine_key"])}</code>)</h2>')
    page.add(f'<p class="note">Devices: {esc(m["devices"])}. Host CPU: {esc(m["host_cpu"])}.</p>')
    title = f"{where}: time per minibatch, fastest first"
    spec = charts.stack_times([dict(r, flag=checks.words(r["flags"])) for r in rows], title, colours)
    page.chart(spec, "Forward (dark) and backward (light) stacked; the label is the total, ⚠ a data-quality "
                     "finding. The table has every run, exactly as stored.")
    with_label = any(r["label"] for r in rows)
    with_rate = any(r["images_per_s"] is not None for r in rows)
    with_reported = any(r["reported_total_ms"] is not None for r in rows)
    columns = (["rank", "stack"] + (["published as"] if with_label else [])
               + ["forward ms", "backward ms", "total ms"] + (["reported total ms"] if with_reported else [])
               + ["× fastest", "memory MB"]
               + (["images/s"] if with_rate else []) + ["data quality", "source"])
    body = []
    for r in rows:
        body.append([r["rank"], _swatch(colours, r["framework"]) + esc(r["stack"])]
                    + ([r["label"]] if with_label else [])
                    + [exact(r["forward_ms"]), exact(r["backward_ms"]), exact(r["total_ms"])]
                    + ([exact(r["reported_total_ms"])] if with_reported else [])
                    + [ratio3(r["slowdown"]), exact(r["memory_mb"])]
                    + ([exact(r["images_per_s"]) if r["images_per_s"] is None else f"{r['images_per_s']:,.1f}"]
                       if with_rate else [])
                    + [f'<span class="flag">⚠ {esc(checks.words(r["flags"]))}</span>' if r["flags"] else "",
                       f"{r['source']}:{r['line']}"])
    page.add(table(columns, body, caption=f"{where}: every run (ms per minibatch; × fastest = total / the "
                   "fastest total)", raw={"stack", "data quality"},
                   numeric={"rank", "forward ms", "backward ms", "total ms", "reported total ms", "× fastest",
                            "memory MB", "images/s"}))
    with_memory = sorted((r for r in rows if r["memory_mb"] is not None),
                         key=lambda r: (r["memory_mb"], r["stack"]))
    if with_memory:
        title = f"{where}: memory, leanest first"
        page.chart(charts.bars("memory", [dict(item=r["stack"], framework=r["framework"], memory_mb=r["memory_mb"],
                                              flag=checks.words(r["flags"])) for r in with_memory],
                               title, colours, "memory_mb", " MB"), "")
        page.add(table(["stack", "memory MB", "× leanest", "share of device memory"],
                       [[_swatch(colours, r["framework"]) + esc(r["stack"]), exact(r["memory_mb"]),
                         ratio3(r["memory_ratio"]),
                         MISSING if r["device_memory_share"] is None else f"{r['device_memory_share']:.1%}"]
                        for r in with_memory], caption=f"{where}: memory (MB, 10^6 bytes)", raw={"stack"},
                       numeric={"memory MB", "× leanest", "share of device memory"}))
    with_rate_rows = sorted((r for r in rows if r["images_per_s"] is not None),
                            key=lambda r: (-r["images_per_s"], r["stack"]))
    if with_rate_rows:
        title = f"{where}: images per second, most first"
        page.chart(charts.bars("images_per_s", [dict(item=r["stack"], framework=r["framework"],
                                                    images_per_s=r["images_per_s"], flag=checks.words(r["flags"]))
                                               for r in with_rate_rows], title, colours, "images_per_s"),
                   "Images per second = batch size / (total ms / 1000), forward and backward.")
        page.add(table(["stack", "batch size", "total ms", "images/s"],
                       [[_swatch(colours, r["framework"]) + esc(r["stack"]), r["batch_size"], exact(r["total_ms"]),
                         f"{r['images_per_s']:,.1f}"] for r in with_rate_rows],
                       caption=f"{where}: images per second = batch size / (total ms / 1000)", raw={"stack"},
                       numeric={"batch size", "total ms", "images/s"}))


def _across(page: Page, mo: dict, rows: list[dict], colours) -> None:
    page.add('<h2 id="across">Across machines</h2>')
    page.add('<p class="note">Each run against the fastest run of the same model and stack on another machine: '
             "ratio = the total time there / here (above 1: this machine is faster). Like for like: the same "
             "framework, precision and library set, known on both sides; only these compare machines, and only "
             "they are charted. The other rows (“software differs”: other libraries, or libraries not known) "
             "say more about the software than about the machines.</p>")
    same = [r for r in rows if r["like_for_like"]]
    if same:
        items = [dict(item=f"{r['stack']} on {r['machine_key']} vs {r['other_machine_key']}",
                      framework=r["framework"], ratio=r["total_ratio"], flag="") for r in same]
        title = f"{mo['name']} across machines, like for like: total elsewhere / here"
        page.chart(charts.bars("ratio", items, title, colours, "ratio", "×"), "")
    else:
        page.add('<p class="note">No like-for-like pair for this model: no chart.</p>')
    shown, note = capped(rows, "comparisons", "data/parquet/cross_machine.parquet")
    page.add(table(["machine", "stack", "total ms", "other machine", "other stack", "other total ms", "ratio",
                    "like for like"],
                   [[r["machine_key"], _swatch(colours, r["framework"]) + esc(r["stack"]), exact(r["total_ms"]),
                     r["other_machine_key"], r["other_stack"], exact(r["other_total_ms"]), ratio3(r["total_ratio"]),
                     "yes" if r["like_for_like"] else "software differs"] for r in shown], raw={"stack"},
                   caption=f"{mo['name']}: every cross-machine comparison (ms per minibatch)",
                   numeric={"total ms", "other total ms", "ratio"}))
    if note:
        page.add(note)


# -- summary pages --------------------------------------------------------------------------------
def _grouped(rows: list[dict], key: str) -> dict:
    out: dict = {}
    for r in rows:
        out.setdefault(r[key], []).append(r)
    return out


def _machine_sections(page: Page, rows: list[dict], what: str, data_hint: str):
    """(machine_key, its rows, the rows its table shows) per machine, within the page's budget of
    PAGE_ROWS table rows; notes say what was left out and where to find it."""
    budget = PAGE_ROWS
    groups = list(_grouped(rows, "machine_key").items())
    for i, (key, group) in enumerate(groups):
        if budget <= 0:
            left = sum(len(g) for _, g in groups[i:])
            page.add(f'<p class="note">{len(groups) - i:,} more machine(s) with {left:,} {what} are left out of '
                     f"this page to keep it readable; all of them are in {data_hint}.</p>")
            return
        shown = group[:budget]
        budget -= len(shown)
        yield key, group, shown
        if len(shown) < len(group):
            page.add(f'<p class="note">The first {len(shown):,} of {len(group):,} {what} of {esc(key)}; all of '
                     f"them are in {data_hint}.</p>")


def _sectioned(nav, name: str, title: str, lead: str, rows: list[dict], empty: str, what: str, relation: str,
               section) -> Page:
    """A summary page: its lead, then per machine a heading and what `section(page, machine_key,
    rows, shown_rows)` adds (a chart and a table); `empty` when there are no rows."""
    page = Page(name, title, nav)
    page.add(f"<h1>{esc(title)}</h1>")
    page.add(f'<p class="lead">{lead}</p>')
    if not rows:
        page.add(f"<p>{empty}</p>")
        return page
    for machine_key, group, shown in _machine_sections(page, rows, what, f"data/parquet/{relation}.parquet"):
        page.add(f"<h2>{esc(machine_key)}</h2>")
        section(page, machine_key, group, shown)
    return page


SPEEDUPS = ["forward speedup", "backward speedup", "total speedup", "geomean total speedup", "models"]


def _library_page(con, nav, colours) -> Page:
    def section(page: Page, machine_key: str, group: list[dict], shown: list[dict]) -> None:
        items = [dict(item=f"{r['model']} · {r['framework']} {r['framework_version']}: "
                           f"{r['libraries'] or 'none listed'} vs {r['other_libraries'] or 'none listed'}",
                      framework=r["framework"], speedup=r["total_speedup"]) for r in group]
        title = f"Library effect on {machine_key}: total-time speedup"
        page.chart(charts.bars("speedup", items, title, colours, "speedup", "×"), "")
        columns = ["model", "framework", "libraries", "vs libraries", "total ms", "other total ms"] + SPEEDUPS
        page.add(table(columns,
                       [[r["model"], f"{r['framework']} {r['framework_version']}"
                         + (f" ({r['precision']})" if r["precision"] else ""), r["libraries"], r["other_libraries"],
                         exact(r["total_ms"]), exact(r["other_total_ms"]), ratio3(r["forward_speedup"]),
                         ratio3(r["backward_speedup"]), ratio3(r["total_speedup"]), ratio3(r["geomean_total_speedup"]),
                         r["models_compared"]] for r in shown], numeric=set(columns[4:])))

    return _sectioned(nav, "library.html", "Library effect",
                      "The same framework, version and precision with two sets of libraries on the same machine "
                      "and model: speedup = the total time with the other libraries / with these (above 1: "
                      "these are faster). Versions written “unknown” are left out.",
                      query(con, "report", "library_effect"),
                      "No framework version was measured with more than one set of libraries.",
                      "pairs", "library_effect", section)


def _precision_page(con, nav, colours) -> Page:
    def section(page: Page, machine_key: str, group: list[dict], shown: list[dict]) -> None:
        items = [dict(item=f"{r['model']} · {r['stack']}", framework=r["framework"], speedup=r["total_speedup"])
                 for r in group]
        title = f"fp16 against fp32 on {machine_key}: total-time speedup"
        page.chart(charts.bars("speedup", items, title, colours, "speedup", "×"), "")
        columns = ["model", "stack", "fp32 total ms", "fp16 total ms"] + SPEEDUPS
        page.add(table(columns,
                       [[r["model"], r["stack"], exact(r["fp32_total_ms"]), exact(r["fp16_total_ms"]),
                         ratio3(r["forward_speedup"]), ratio3(r["backward_speedup"]), ratio3(r["total_speedup"]),
                         ratio3(r["geomean_total_speedup"]), r["models_compared"]] for r in shown],
                       numeric=set(columns[2:])))

    return _sectioned(nav, "precision.html", "Precision effect",
                      "A stack’s fp16 run against its fp32 run on the same machine and model: speedup = the fp32 "
                      "total time / the fp16 total time (above 1: fp16 is faster). A run that gives no precision "
                      "counts as fp32.",
                      query(con, "report", "precision_effect"), "No stack was measured in both fp16 and fp32.",
                      "pairs", "precision_effect", section)


def _versions_page(con, nav, colours) -> Page:
    def section(page: Page, machine_key: str, group: list[dict], shown: list[dict]) -> None:
        items = [dict(item=f"{r['model']} · {r['framework']} {r['framework_version']}", framework=r["framework"],
                      total_ms=r["total_ms"]) for r in group]
        title = f"Versions on {machine_key}: total time per minibatch, oldest version first"
        page.chart(charts.bars("total", items, title, colours, "total_ms", " ms"), "")
        page.add(table(["model", "framework", "version", "stack", "total ms", "previous version",
                        "previous total ms", "speedup vs previous"],
                       [[r["model"], r["framework"], r["framework_version"], r["stack"], exact(r["total_ms"]),
                         r["previous_version"], exact(r["previous_total_ms"]), ratio3(r["speedup_vs_previous"])]
                        for r in shown],
                       numeric={"total ms", "previous total ms", "speedup vs previous"}))

    return _sectioned(nav, "versions.html", "Version progress",
                      "A framework’s versions on the same machine and model, oldest first; each version’s fastest "
                      "run stands for it. Speedup = the previous version’s total time / this one’s (above 1: "
                      "this version is faster).",
                      _rows(con, "version_progress"),
                      "No framework was measured in two orderable versions on one model.",
                      "versions", "version_progress", section)


def _quality_page(con, nav, checks: Checks) -> Page:
    page = Page("quality.html", "Data quality", nav)
    page.add("<h1>Data-quality findings</h1>")
    page.add('<p class="lead">Measurements that look wrong, each with the reason and where it was written. '
             f"Errors ({esc(checks.meanings('error'))}) mean the numbers are not "
             "a measurement of the run: the model pages mark it with ⚠ and leave it out of ranks and "
             f"speedups. Notes ({esc(checks.meanings('note'))}) leave the times usable. The data is kept "
             "as published.</p>")
    rows = query(con, "report", "data_quality")
    if not rows:
        page.add("<p>No findings.</p>")
        return page
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["check"]] = counts.get(r["check"], 0) + 1
    page.add(table(["check", "findings"], [[checks.words(c), n] for c, n in counts.items()],
                   numeric={"findings"}, caption="Findings per check"))
    shown, note = capped(rows, "findings", "data/parquet/data_quality.parquet")
    page.add(table(["severity", "check", "machine", "model", "stack", "detail", "source"],
                   [[r["severity"], checks.words(r["check"]), r["machine_key"], r["model"], r["stack"],
                     finding_detail(r),
                     f"{r['source']}:{r['line']}" if r["line"] is not None else r["source"]] for r in shown]))
    page.add(note)
    return page


# -- comparisons (the runs with samples, from the view `comparisons`) ---------------------------------------
def _comparisons_page(con, nav, colours) -> Page:
    """The pairs of runs with samples from the view `comparisons` (sql/site/comparisons.sql): a chart
    of the ratios with their intervals, and the table with the test."""
    page = Page("comparisons.html", "Comparisons", nav)
    page.add("<h1>Comparisons</h1>")
    page.add('<p class="lead">Runs with samples on the same machine and model, compared on total time as '
             "<code>dlbench compare</code> does: ratio = the contender’s median / the baseline’s (above 1: "
             "the contender is slower), its interval (each median’s 95% interval, at least 6 samples a side), "
             "the Mann-Whitney p-value and asv’s mark (+ slower, - faster by more than 1.1× with p &lt; 0.01, "
             "~ not significant). Published runs without samples are in the view, ratio only.</p>")
    rows = _rows(con, "comparisons", {"max_rows": PAGE_ROWS + 1})
    if not rows:
        page.add("<p>No two runs with samples on the same machine and model.</p>")
        return page
    with_interval = [r for r in rows[:PAGE_ROWS] if r["ratio_low"] is not None and r["ratio_high"] is not None]
    if with_interval:
        items = [dict(item=f"{r['model']} · {r['contender_stack']} vs {r['baseline_stack']}", ratio=r["ratio"],
                      low=r["ratio_low"], high=r["ratio_high"], framework=r["framework"]) for r in with_interval]
        page.chart(charts.intervals(items, "Comparisons: total-time ratio with its interval (1 = no difference)",
                                    colours), "")
    shown, note = capped(rows, "comparisons", "the view comparisons (data/warehouse.duckdb)")
    page.add(table(["machine", "model", "baseline", "contender", "baseline ms", "contender ms", "samples",
                    "ratio", "interval", "p", "mark"],
                   [[r["machine_key"], r["model"], r["baseline_stack"], r["contender_stack"],
                     exact(r["baseline_ms"]), exact(r["contender_ms"]), f"{r['baseline_n']} / {r['contender_n']}",
                     ratio3(r["ratio"]),
                     MISSING if r["ratio_low"] is None else f"{ratio3(r['ratio_low'])}–{ratio3(r['ratio_high'])}",
                     MISSING if r["p_value"] is None else f"{r['p_value']:.2g}", r["mark"].strip() or "="]
                    for r in shown],
                   numeric={"baseline ms", "contender ms", "ratio", "p"},
                   caption="Every tested pair (total time, ms per minibatch)"))
    if note:
        page.add(note)
    return page
