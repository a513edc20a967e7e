"""The site in a real browser: headless Chromium opens the pages from disk with the network off,
runs their scripts, and the DOM it dumps holds every bar the data asks for; a screenshot is
written. Skipped, with the reason, when there is no `chromium` binary (.ci/run installs it)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("altair")
pytest.importorskip("vl_convert")

from conftest import CONVNET, SEED  # noqa: E402
from dlbench import charts  # noqa: E402
from dlbench.site import build_site  # noqa: E402

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install "
                                                          "chromium; .ci/run installs it)")]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars",
         # the network is off: every host resolves to nothing and any proxied request hits a closed port
         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost", "--proxy-server=127.0.0.1:9",
         # let the scripts run to the end before the DOM is dumped or the screenshot taken
         "--virtual-time-budget=15000"]


def chromium(profile: Path, *args) -> subprocess.CompletedProcess:
    profile.mkdir(exist_ok=True)
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *map(str, args)],
                          capture_output=True, text=True, timeout=180)


class Marks(HTMLParser):
    """Per chart (its div's id): whether it was drawn, and the bars and points Vega drew in it (the
    items of <g class="mark-rect role-mark"> and mark-symbol groups)."""

    def __init__(self):
        super().__init__()
        self.drawn: dict[str, bool] = {}
        self.count: dict[str, int] = {}
        self._chart = None
        self._depth = 0
        self._mark_depth = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if self._chart is None:
            if tag == "div" and "vega" in classes:
                self._chart, self._depth = a["id"], 1
                self.drawn[self._chart] = a.get("data-drawn") == "yes"
                self.count[self._chart] = 0
            return
        self._depth += 1
        if self._mark_depth is not None and self._depth == self._mark_depth + 1 and tag == "path":
            self.count[self._chart] += 1
        if tag == "g" and "role-mark" in classes and ({"mark-rect", "mark-symbol"} & set(classes)):
            self._mark_depth = self._depth

    def handle_endtag(self, tag):
        if self._chart is None:
            return
        if self._mark_depth == self._depth:
            self._mark_depth = None
        self._depth -= 1
        if self._depth == 0:
            self._chart = None


def expected_marks(page: Path) -> dict[str, int]:
    text = page.read_text(encoding="utf-8")
    return {cid: charts.marks(json.loads(spec.replace("<\\/", "</"))) for cid, spec in
            re.findall(r'<script type="application/json" data-chart="(chart-\d+)">(.*?)</script>', text, re.S)}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from dlbench.warehouse import build_warehouse

    tmp = tmp_path_factory.mktemp("browser")
    (tmp / "data").mkdir()
    shutil.copy(SEED, tmp / "benchmark.toml")
    shutil.copy(CONVNET, tmp / "data" / CONVNET.name)
    here = os.getcwd()
    os.chdir(tmp)  # the default files, so that the pages name them as in a checkout (benchmark.toml:59)
    try:
        build_warehouse(None, "warehouse.duckdb")
        build_site("warehouse.duckdb", "site")
    finally:
        os.chdir(here)
    return tmp


@pytest.mark.parametrize("name", ["index.html", "model-alexnet.html"])
def test_the_browser_draws_every_bar_offline(site, name):
    page = site / "site" / name
    proc = chromium(site / f"profile-{name}", "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    parsed = Marks()
    parsed.feed(proc.stdout)
    expected = expected_marks(page)
    assert expected and set(parsed.count) == set(expected)
    assert all(parsed.drawn.values()), parsed.drawn
    assert parsed.count == expected
    if name == "model-alexnet.html":
        assert parsed.count["chart-1"] == 14  # 7 stacks on the seed machine, forward and backward


def test_screenshot_of_a_model_page(site):
    shot = site / "alexnet.png"
    proc = chromium(site / "profile-shot", "--window-size=1100,1400", f"--screenshot={shot}",
                    (site / "site" / "model-alexnet.html").as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    keep = os.environ.get("DLBENCH_SCREENSHOT")  # e.g. docs/site-model-page.png, to refresh the README's
    if keep:
        shutil.copyfile(shot, keep)
