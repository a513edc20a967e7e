"""python -m bench: measure dlbench's ingest, refresh, views, report and start-up.

    python -m bench                      # 100 x 50 x 20 = 100,000 runs, 10,000 for the small size
    python -m bench --only compare       # the dlbench compare case alone, its section of RESULTS.md
    python -m bench --machines 2 --small-machines 1 --models 3 --frameworks 4 --skip-slow \\
        --out /tmp/b --results /tmp/b/RESULTS.md      # a smoke run
    python -m bench --only site          # the site case alone: its section, printed (RESULTS.md untouched)
    python -m bench --only collect       # dlbench collect against plain framework steps: its section of RESULTS.md

Writes the markdown table to --results (default bench/RESULTS.md) and to stdout,
and every figure as JSON to --json (default <out>/results.json). See bench/harness.py.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from . import harness


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse(argv=None) -> harness.Options:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--machines", type=_count, default=100, help="machines in the big file (default 100)")
    p.add_argument("--models", type=_count, default=50, help="models per machine, both sizes (default 50)")
    p.add_argument("--frameworks", type=_count, default=20, help="framework entries per model (default 20)")
    p.add_argument("--small-machines", type=_count, default=10,
                   help="machines in the small file, for the views' and report's ratios (default 10)")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    p.add_argument("--out", type=Path, default=harness.ROOT / "bench" / "out",
                   help="scratch folder for inputs and warehouses (default bench/out, git-ignored)")
    p.add_argument("--json", type=Path, default=None, help="write every figure here (default <out>/results.json)")
    p.add_argument("--results", type=Path, default=None,
                   help="write the markdown tables here (default bench/RESULTS.md; with --only: nowhere)")
    p.add_argument("--only", choices=["site", "compare", "collect"], default=None,
                   help="run one case alone: site (`cli.py site` at both sizes; its figures go to stdout and "
                        "<out>/site.json), compare or collect (the adapters against plain training steps of "
                        "torch and jax; needs the collect extra); for these two, their section of --results is "
                        "replaced, the rest kept")
    p.add_argument("--site-repeats", type=_count, default=3, help="samples of `cli.py site` at each size (default 3)")
    p.add_argument("--repeats", type=_count, default=5, help="samples of each quick command (default 5)")
    p.add_argument("--big-repeats", type=_count, default=3,
                   help="samples of the floor and the full ingest, interleaved (default 3)")
    p.add_argument("--view-repeats", type=_count, default=5,
                   help="samples of each view (the best is kept) and of each report (the median) (default 5)")
    p.add_argument("--once-above", type=float, default=30.0, metavar="SECONDS",
                   help="take one sample only of a measurement whose first sample is slower (default 30)")
    p.add_argument("--slice-runs", type=_count, default=2000,
                   help="runs inserted by the by-hand approach before scaling (default 2000)")
    p.add_argument("--shift-machines", type=_count, default=3500,
                   help="machine sections of the line-shift file, 5 models x 6 entries each (default 3500)")
    p.add_argument("--no-huge", action="store_true",
                   help=f"skip the huge file ({harness.HUGE_FACTOR} x --machines machines, read split and not)")
    p.add_argument("--skip-slow", action="store_true", help="one sample of everything (for smoke tests)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr, no table on stdout")
    a = p.parse_args(argv)
    shown = "python -m bench" + (" " + shlex.join(sys.argv[1:] if argv is None else list(argv))
                                 if (sys.argv[1:] if argv is None else argv) else "")
    one = a.skip_slow
    return harness.Options(
        machines=a.machines, models=a.models, frameworks=a.frameworks, small_machines=a.small_machines,
        seed=a.seed, out=a.out, json_path=a.json or a.out / ("site.json" if a.only else "results.json"),
        results=a.results or (None if a.only == "site" else harness.ROOT / "bench" / "RESULTS.md"),
        repeats=1 if one else a.repeats, big_repeats=1 if one else a.big_repeats,
        view_repeats=1 if one else a.view_repeats, once_above=a.once_above, slice_runs=a.slice_runs,
        site_repeats=1 if one else a.site_repeats, shift_machines=a.shift_machines, huge=not a.no_huge,
        command=shown, progress=not a.quiet, only=a.only)


def main(argv=None) -> int:
    opts = parse(argv)
    only = opts.only
    if only == "compare":
        return compare_only(opts)
    if only == "collect":
        return collect_only(opts)
    try:
        res = harness.run_site_only(opts) if only == "site" else harness.run(opts)
    except harness.MeasurementFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    text = harness.site_only_markdown(res) if only == "site" else harness.markdown(res)
    opts.json_path.parent.mkdir(parents=True, exist_ok=True)
    opts.json_path.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if opts.results is not None:
        opts.results.parent.mkdir(parents=True, exist_ok=True)
        opts.results.write_text(text, encoding="utf-8")
    if opts.progress:
        print(text)
    return 0


def compare_only(opts: harness.Options) -> int:
    try:
        res = harness.run_compare_only(opts)
    except harness.MeasurementFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    path = opts.json_path.with_name("compare.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if opts.results is not None:
        old = opts.results.read_text(encoding="utf-8") if opts.results.exists() else ""
        opts.results.parent.mkdir(parents=True, exist_ok=True)
        opts.results.write_text(harness.merge_compare_section(old, res), encoding="utf-8")
    if opts.progress:
        print(harness.compare_markdown(res["compare"]))
    return 0


def collect_only(opts: harness.Options) -> int:
    res = harness.run_collect_only(opts)
    path = opts.json_path.with_name("collect.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text = harness.collect_markdown(res)
    if opts.results is not None:
        old = opts.results.read_text(encoding="utf-8") if opts.results.exists() else ""
        opts.results.parent.mkdir(parents=True, exist_ok=True)
        opts.results.write_text(harness.merge_section(old, harness.COLLECT_HEADING, text), encoding="utf-8")
    if opts.progress:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
