"""Charts of the views' rows: Vega-Lite specifications built with Altair, and SVG made offline.

Shared by `dlbench site` (the specs go into the pages, rendered by the Vega runtime that
the site carries) and `report --charts DIR` (SVG files rendered here by vl-convert, which
runs Vega in-process: no browser, no network).

    from dlbench import charts
    spec = charts.stack_times(rows, title="Alexnet on Nvidia Titan X", colours=charts.Colours(["Caffe"]))
    svg = charts.to_svg(spec)

Each chart kind is one Altair chart built once (`_template`, validated against the
Vega-Lite schema) over a named dataset; a chart is that template with its title, size and
rows filled in, so a site with thousands of charts does not pay Altair's validation for
each. Every chart has a title, axis titles with units, and the framework as its colour,
one colour per framework everywhere (`Colours`). A chart shows at most MAX_BARS bars
(the fastest); the table under it has every row.

Altair and vl-convert-python are the `site` extra: `pip install 'dlbench[site]'`.
"""
from __future__ import annotations

import copy
import functools

from .errors import DlbenchError
from .fmt import label, slug

MAX_BARS = 25  # bars in one chart; more become a wall. The table under the chart has them all.
BAR_STEP_PX = 22  # height of one bar's band
WIDTH_PX = 560
DATASET = "rows"
# one colour per framework: Tableau 20 reordered so that neighbours differ (dark, then light)
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
INSTALL_HINT = "pip install 'dlbench[site]'"


class ChartsUnavailable(DlbenchError):
    "Altair or vl-convert-python, needed for charts, is not installed"


def _optional(module: str, package: str):
    """An optional module of the site extra, or ChartsUnavailable naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ChartsUnavailable(f"charts need {package}, which is not installed ({e}); install it with "
                                f"{INSTALL_HINT}") from None


def altair():
    """The altair module, or ChartsUnavailable naming the extra to install."""
    return _optional("altair", "Altair")


def vl_convert():
    """The vl_convert module, or ChartsUnavailable naming the extra to install."""
    return _optional("vl_convert", "vl-convert-python")


def require() -> None:
    """Fail early, before anything is written, when the chart libraries are missing."""
    altair()
    vl_convert()


def vegalite_version() -> str:
    """The Vega-Lite version Altair writes ("6.4"), for vl-convert's runtime and renderer."""
    major, minor = altair().SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return f"{major}.{minor}"


def to_svg(spec: dict) -> str:
    """The chart as an SVG document, rendered in-process; any URL is refused (the data is inline)."""
    return vl_convert().vegalite_to_svg(spec, vl_version=vegalite_version(), allowed_base_urls=[])


def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed in one classic script that defines window.vegaEmbed.

    Bundling takes vl-convert seconds, so the result is kept in the user's cache folder
    ($XDG_CACHE_HOME or ~/.cache, dlbench/), one file per vl-convert and Vega-Lite version;
    when that folder cannot be written the bundle is made each time."""
    import os
    from importlib import metadata
    from pathlib import Path

    vlc = vl_convert()
    version = vegalite_version()
    try:
        vlc_version = metadata.version("vl-convert-python")
    except metadata.PackageNotFoundError:
        vlc_version = "unknown"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dlbench"
    path = cache / f"vega-bundle-vlc{vlc_version}-vl{version}.js"
    try:
        text = path.read_text(encoding="utf-8")
        if "window.vegaEmbed" in text[-2000:]:  # whole: the bundle ends by defining it
            return text
    except OSError:
        pass
    text = vlc.javascript_bundle(vl_version=version)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
    return text


class Colours:
    """One colour per framework name (case-insensitive), the same on every chart of a site: the
    palette in the order of the sorted names of every framework in the warehouse."""

    def __init__(self, frameworks):
        names = sorted({f.lower() for f in frameworks if f is not None})
        self.index = {name: i for i, name in enumerate(names)}

    def __call__(self, framework: str | None) -> str:
        if framework is None:
            return "#7f7f7f"
        i = self.index.get(framework.lower())
        if i is None:
            i = len(self.index)
            self.index[framework.lower()] = i
        return PALETTE[i % len(PALETTE)]

    def scale(self, frameworks) -> dict:
        """A colour scale for the frameworks of one chart (in order of first appearance)."""
        domain = list(dict.fromkeys(frameworks))
        return {"domain": domain, "range": [self(f) for f in domain]}


# -- the chart kinds ----------------------------------------------------------------------------
def _height(bars: int) -> int:
    return max(bars, 1) * BAR_STEP_PX


@functools.lru_cache(maxsize=None)
def _template(kind: str) -> dict:
    """The Vega-Lite spec of one chart kind, built with Altair (validated), over DATASET."""
    alt = altair()
    data = alt.NamedData(DATASET)
    colour = alt.Color("framework:N", title="framework", legend=alt.Legend(orient="bottom", columns=4))
    label_axis = dict(labelLimit=420)
    if kind == "stack_times":
        y = alt.Y("stack:N", title="stack", sort=[],
                  axis=alt.Axis(titleAngle=0, titleAlign="right", titleBaseline="bottom", titleX=0, titleY=-4,
                                **label_axis))
        bars = alt.Chart(data).transform_fold(
            ["forward", "backward", "total, not split"], as_=["phase", "ms"]
        ).transform_filter("datum.ms != null").mark_bar().encode(
            x=alt.X("ms:Q", title="time per minibatch (ms), forward + backward", stack="zero"),
            y=y,
            color=colour,
            opacity=alt.Opacity("phase:N", title="phase",
                                scale=alt.Scale(domain=["forward", "backward", "total, not split"],
                                                range=[1.0, 0.5, 0.25]),
                                legend=alt.Legend(orient="bottom", symbolFillColor="#555", symbolStrokeWidth=0)),
            order=alt.Order("phase_order:Q"),
            tooltip=[alt.Tooltip("stack:N"), alt.Tooltip("phase:N"), alt.Tooltip("ms:Q", title="ms"),
                     alt.Tooltip("total_ms:Q", title="total ms")],
        ).transform_calculate(
            phase_order="datum.phase == 'forward' ? 0 : datum.phase == 'backward' ? 1 : 2")
        labels = alt.Chart(data).mark_text(align="left", dx=4, baseline="middle").encode(
            x=alt.X("total_ms:Q"), y=y, text=alt.Text("label:N"))
        chart = alt.layer(bars, labels)
    elif kind in ("memory", "images_per_s", "slowdown", "ratio", "speedup", "total"):
        field, title = {
            "memory": ("memory_mb", "memory (MB, 10^6 bytes)"),
            "total": ("total_ms", "total time per minibatch (ms)"),
            "images_per_s": ("images_per_s", "images per second (forward + backward)"),
            "slowdown": ("geomean_slowdown", "geometric-mean slowdown (× the fastest; 1 = fastest)"),
            "ratio": ("ratio", "total time elsewhere / here (×; above 1: this machine is faster)"),
            "speedup": ("speedup", "speedup (×; above 1: faster)"),
        }[kind]
        y = alt.Y("item:N", title=None, sort=[], axis=alt.Axis(**label_axis))
        bars = alt.Chart(data).mark_bar().encode(
            x=alt.X(f"{field}:Q", title=title), y=y, color=colour,
            tooltip=[alt.Tooltip("item:N", title="what"), alt.Tooltip(f"{field}:Q", title=title)])
        labels = alt.Chart(data).mark_text(align="left", dx=4, baseline="middle").encode(
            x=alt.X(f"{field}:Q"), y=y, text=alt.Text("label:N"))
        layers = [bars, labels]
        if kind in ("ratio", "speedup", "slowdown"):
            layers.append(alt.Chart(alt.Data(values=[{"one": 1}])).mark_rule(color="#333", strokeDash=[4, 3])
                          .encode(x="one:Q"))
        chart = alt.layer(*layers)
    elif kind == "interval":
        y = alt.Y("item:N", title=None, sort=[], axis=alt.Axis(**label_axis))
        x_title = "ratio contender / baseline (×), with its interval"
        points = alt.Chart(data).mark_point(filled=True, size=60).encode(
            x=alt.X("ratio:Q", title=x_title, scale=alt.Scale(zero=False)), y=y, color=colour,
            tooltip=[alt.Tooltip("item:N", title="what"), alt.Tooltip("ratio:Q"),
                     alt.Tooltip("low:Q"), alt.Tooltip("high:Q")])
        bars = alt.Chart(data).mark_errorbar(ticks=True).encode(
            x=alt.X("low:Q", title=x_title), x2="high:Q", y=y, color=colour)
        rule = alt.Chart(alt.Data(values=[{"one": 1}])).mark_rule(color="#333", strokeDash=[4, 3]).encode(
            x="one:Q")
        chart = alt.layer(bars, points, rule)
    else:
        raise ValueError(f"no chart kind {kind!r}")
    chart = (chart.properties(width=WIDTH_PX, height=100, title="?")
             .configure_axis(labelFontSize=12, titleFontSize=13)
             .configure_legend(labelFontSize=12, titleFontSize=12)
             .configure_title(fontSize=14, anchor="start")
             .configure_view(stroke=None))
    return chart.to_dict(validate=True)


def _fill(kind: str, title: str | list[str], rows: list[dict], colours: Colours, bars: int) -> dict:
    spec = copy.deepcopy(_template(kind))
    spec["title"] = {"text": title} if isinstance(title, str) else {"text": title[0], "subtitle": title[1:]}
    spec["height"] = _height(bars)
    spec["datasets"] = {DATASET: rows}
    for layer in spec["layer"]:
        enc = layer.get("encoding", {})
        if "opacity" in enc:  # the legend names only the phases drawn
            scale = enc["opacity"]["scale"]
            used = [i for i, phase in enumerate(scale["domain"]) if any(r.get(phase) is not None for r in rows)]
            scale["domain"] = [scale["domain"][i] for i in used]
            scale["range"] = [scale["range"][i] for i in used]
        if "color" in enc:
            enc["color"]["scale"] = colours.scale(r["framework"] for r in rows)
        if "y" in enc:
            key = "stack" if kind == "stack_times" else "item"
            enc["y"]["sort"] = list(dict.fromkeys(r[key] for r in rows))
    return spec


def bounded(rows: list, limit: int = MAX_BARS) -> tuple[list, str | None]:
    """The first `limit` rows, and a note when some were left out of the chart."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], f"the first {limit} of {len(rows):,}; the table has them all"


def distinct(rows: list[dict], key: str) -> list[dict]:
    """The rows with `key` made distinct: Vega-Lite draws rows with the same name as one bar, and two
    stacks can read alike ("Torch" version "1 2" and "Torch 1" version "2"); the second of a name
    is shown as "NAME (2)", the third "NAME (3)"."""
    seen: dict[str, int] = {}
    for r in rows:
        n = seen[r[key]] = seen.get(r[key], 0) + 1
        if n > 1:
            r[key] = f"{r[key]} ({n})"
    return rows


def stack_times(runs: list[dict], title: str, colours: Colours) -> dict | None:
    """Forward and backward time of each stack, stacked, the total labelled, fastest first.

    `runs`: rows with stack, framework, forward_ms, backward_ms, total_ms and flag (a short
    text, "" when the run is not flagged), fastest first; runs without a total are left out.
    None when no run has a total."""
    rows = []
    for r in runs:
        if r["total_ms"] is None:
            continue
        split = r["forward_ms"] is not None and r["backward_ms"] is not None
        rows.append({
            "stack": r["stack"], "framework": r["framework"],
            "forward": r["forward_ms"] if split else None,
            "backward": r["backward_ms"] if split else None,
            "total, not split": None if split else r["total_ms"],
            "total_ms": r["total_ms"],
            "label": f"{label(r['total_ms'])} ms" + (f"  ⚠ {r['flag']}" if r.get("flag") else ""),
        })
    if not rows:
        return None
    rows, note = bounded(distinct(rows, "stack"))
    return _fill("stack_times", [title] + ([note] if note else []), rows, colours, len(rows))


def bars(kind: str, items: list[dict], title: str, colours: Colours, field: str, unit: str = "") -> dict | None:
    """One bar per item (rows with item, framework and `field`), in the order given, labelled
    with the value; kinds: memory, images_per_s, slowdown, ratio, speedup, total."""
    rows = [{"item": r["item"], "framework": r["framework"], field: r[field],
             "label": label(r[field]) + unit + (f"  ⚠ {r['flag']}" if r.get("flag") else "")}
            for r in items if r[field] is not None]
    if not rows:
        return None
    rows, note = bounded(distinct(rows, "item"))
    return _fill(kind, [title] + ([note] if note else []), rows, colours, len(rows))


def intervals(items: list[dict], title: str, colours: Colours) -> dict | None:
    """A point per item at its ratio, with an error bar from low to high."""
    rows = [{"item": r["item"], "framework": r["framework"], "ratio": r["ratio"], "low": r["low"],
             "high": r["high"]} for r in items if r["ratio"] is not None]
    if not rows:
        return None
    rows, note = bounded(distinct(rows, "item"))
    return _fill("interval", [title] + ([note] if note else []), rows, colours, len(rows))


def marks(spec: dict) -> int:
    """How many bars (or points) the chart draws: what a renderer must show."""
    rows = spec["datasets"][DATASET]
    if spec["layer"][0].get("transform", [{}])[0].get("fold"):
        return sum(1 for r in rows for p in ("forward", "backward", "total, not split") if r[p] is not None)
    return len(rows)


# -- the report's charts (`report --charts DIR`) ---------------------------------------------------
class ReportCharts:
    """Writes the report's charts into `directory` as SVG files and gives the markdown that
    links them (`link`/FILE; link defaults to the directory as given)."""

    def __init__(self, directory, link: str | None, frameworks):
        from pathlib import Path

        require()
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ChartsUnavailable(f"cannot create the charts folder {directory}: {e.strerror or e}") from None
        self.link = (link if link is not None else str(directory)).replace("\\", "/").rstrip("/")
        self.colours = Colours(frameworks)
        self.files: list[str] = []

    def _write(self, name: str, spec: dict | None, alt_text: str) -> list[str]:
        if spec is None:
            return []
        base, n = name, 2
        while f"{name}.svg" in self.files:
            name, n = f"{base}-{n}", n + 1
        fname = f"{name}.svg"
        try:
            (self.directory / fname).write_text(to_svg(spec), encoding="utf-8")
        except OSError as e:
            raise ChartsUnavailable(f"cannot write {self.directory / fname}: {e.strerror or e}") from None
        self.files.append(fname)
        shown = alt_text.replace("[", "(").replace("]", ")")
        return [f"![{shown}]({self.link}/{fname})\n"]

    def ranking(self, machine: dict, model: dict, rows: list[dict]) -> list[str]:
        """The stacks' forward and backward times of one machine and model (report rows)."""
        title = f"{model['name']} on {machine['name']} ({machine['machine_key']}): time per minibatch, fastest first"
        spec = stack_times([dict(r, flag="") for r in rows], title, self.colours)
        return self._write(f"{slug(machine['machine_key'])}--{slug(model['model_key'])}", spec, title)

    def summary(self, machine: dict, rows: list[dict]) -> list[str]:
        """The framework summary of one machine: geometric-mean slowdown per stack."""
        spec = summary_bars(machine, rows, self.colours)
        return self._write(f"summary--{slug(machine['machine_key'])}", spec, summary_title(machine))


def summary_title(machine: dict) -> str:
    return (f"Framework summary on {machine['name']} ({machine['machine_key']}): geometric-mean slowdown "
            "per stack (lower is better)")


def summary_bars(machine: dict, rows: list[dict], colours: Colours) -> dict | None:
    """The framework summary of one machine (the rows of sql/report/framework_summary.sql), for the
    report and the site: the geometric-mean slowdown per stack over the models common to the
    machine's stacks where there are some (as the table's first column), else over its own."""
    key = "geomean_slowdown_common" if rows and rows[0].get("geomean_slowdown_common") is not None \
        else "geomean_slowdown"
    return bars("slowdown", [dict(item=r["stack"], framework=r["framework"], geomean_slowdown=r[key])
                             for r in rows], summary_title(machine), colours, "geomean_slowdown", "×")
