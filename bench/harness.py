"""The dlbench benchmark harness (`python -m bench`, see bench/__main__.py).

It writes synthetic inputs with bench/generate.py into a scratch folder, then
runs every measurement as a fresh subprocess, side by side in the same run, so
that a time includes the interpreter start and the imports a user pays for, and
a peak memory belongs to one measurement only:

* wall time: time.perf_counter() around the child, from spawn to reap;
* peak memory of the process itself: VmHWM from /proc/self/status, read in
  the child at exit by a sitecustomize hook (a folder put first on
  PYTHONPATH). Not ru_maxrss of RUSAGE_SELF: Linux carries the spawning
  process's peak across exec into it, so it would count the harness;
* peak of its largest child (the ingest's worker processes): ru_maxrss of
  RUSAGE_CHILDREN, read by the same hook, for the children it forked and reaped;
  for the processes it starts rather than forks (the ingest's fork server) and
  those they fork (its workers), the VmHWM each writes when it ends (the harness
  waits for the command's whole session to end; a worker's RSS counts the pages
  it shares with the process it was forked from). Their CPU time is added too;
* for the ingest, also the sum of VmRSS over the process and its descendants,
  sampled every 20 ms from /proc (approximate: pages shared after a fork are
  counted in every process that maps them).

The commands are the real ones (`python cli.py ingest FILE --db X --quiet`,
...); nothing is imported from the ingest into the harness except to compare
two warehouses' contents. Figures go to a markdown file and a JSON file.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from . import generate

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "cli.py"
PY = sys.executable

# every key of results["measurements"]; each holds a positive "wall_s"
MEASUREMENT_KEYS = (
    "floor_tomli_load", "full_ingest", "handwritten_scaled", "noop_refresh", "stale_reason",
    "incremental_reingest", "full_rebuild_edited", "ingest_small", "report_small", "report_big",
    "startup_import_typer", "startup_cli_help", "startup_bare_duckdb", "startup_report_seed",
    "site_small", "site_big",
    "line_shift_incremental", "line_shift_full", "huge_splittable", "huge_top_level_key",
)
SITE_KEYS = ("site_small", "site_big")
MAX_BARS = 25  # dlbench.charts.MAX_BARS: the most bars one chart of the site may draw
# the rows of the markdown tables, by their first cell (the test checks them)
TABLE_ROWS = (
    "floor: `tomli.load`", "full ingest", "by hand: `tomli.load` + `executemany`", "no-op refresh",
    "`stale_reason()` in-process", "incremental re-ingest", "full rebuild of the edited file",
    "report", "`import typer`", "`cli.py --help`", "bare duckdb script", "`cli.py report` on the seed",
    "site",
    "incremental re-ingest after a line shift", "full rebuild of the shifted file",
    "huge file, splittable", "huge file, a top-level key first",
)
SHIFT_MODELS, SHIFT_FRAMEWORKS = 5, 6  # the line-shift file: many small machine sections (issue 9: 3,462)
HUGE_FACTOR = 8  # the huge file has this many times the big file's machines (about 210 MB by default)

HOOK = '''\
import os
_rss_file = os.environ.pop("DLBENCH_BENCH_RSS", None)
if _rss_file:
    import atexit
    import resource

    _pid = os.getpid()

    def _dlbench_bench_rss():
        if os.getpid() != _pid:  # a forked worker leaving through atexit
            return
        # VmHWM, not RUSAGE_SELF: ru_maxrss keeps the spawning process's peak across exec
        own = 0
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    own = int(line.split()[1])
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with open(_rss_file, "w") as fh:
            fh.write(f"{own} {children}\\n")

    atexit.register(_dlbench_bench_rss)
    # the processes it starts rather than forks (the ingest's fork server, and the workers that forks)
    os.environ["DLBENCH_BENCH_RSS_TREE"] = _rss_file
elif os.environ.get("DLBENCH_BENCH_RSS_TREE"):
    import atexit

    def _dlbench_bench_own(_tree=os.environ["DLBENCH_BENCH_RSS_TREE"]):
        own = 0
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    own = int(line.split()[1])
        t = os.times()
        with open(f"{_tree}.{os.getpid()}", "w") as fh:
            fh.write(f"{own} {t.user + t.system}\\n")

    atexit.register(_dlbench_bench_own)
    from multiprocessing import util as _util

    class _Mark:  # multiprocessing's children end with os._exit: their finalizers, not atexit
        pass

    _mark = _Mark()
    _util.register_after_fork(_mark, lambda _: _util.Finalize(None, _dlbench_bench_own, exitpriority=0))
'''

STALE_SCRIPT = '''\
import json, statistics, sys, time
t0 = time.perf_counter()
from dlbench.warehouse import stale_reason
t1 = time.perf_counter()
reason = stale_reason(sys.argv[1])
t2 = time.perf_counter()
warm = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    stale_reason(sys.argv[1])
    warm.append(time.perf_counter() - t)
print(json.dumps({"import_s": t1 - t0, "cold_s": t2 - t1, "warm_s": warm, "reason": reason}))
'''

VIEWS_SCRIPT = '''\
import json, sys, time
import duckdb
from dlbench import sqlfiles

def quote(name):
    return '"' + name.replace('"', '""') + '"'

db, repeats, once_above = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
con = duckdb.connect(db, read_only=True)
con.execute("SET enable_progress_bar = false")  # it would print to stdout, tty or not
out = {}
for view in sqlfiles.views():
    samples, rows = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        rows = con.execute(f"SELECT count(*) FROM (SELECT * FROM {quote(view.name)})").fetchone()[0]
        samples.append(time.perf_counter() - t)
        if samples[0] > once_above:
            break
    out[view.name] = {"rows": rows, "samples_s": samples}
con.close()
print(json.dumps(out))
'''

# What a user would write by hand: parse the whole file, walk it, insert row by row.
HANDWRITTEN_SCRIPT = '''\
import json, re, sys, time
t0 = time.perf_counter()
import duckdb, tomli
t1 = time.perf_counter()
path, db, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "rb") as fh:
    doc = tomli.load(fh)
t2 = time.perf_counter()
UNITS = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}
def size(text):
    m = re.fullmatch(r"\\s*([0-9.]+)\\s*([A-Za-z]+)\\s*", str(text))
    return float(m.group(1)) * UNITS[m.group(2).upper()] if m else float(text)
machines, models, runs, measurements = [], [], [], []
n = {"machines": 0, "models": 0, "runs": 0, "measurements": 0}
for key, m in doc.items():
    n["machines"] += 1
    if n["runs"] < limit:
        host = m.get("host", {})
        machines.append((key, m.get("name"), m.get("type"), host.get("cpu"), host.get("os")))
    for model in m.get("models", []):
        n["models"] += 1
        model_id = n["models"]
        if n["runs"] < limit:
            models.append((model_id, key, model.get("name"), model.get("batch_size")))
        for fw in model.get("frameworks", []):
            n["runs"] += 1
            run_id = n["runs"]
            take = run_id <= limit
            libs = " + ".join(f"{lib.get('name')} {lib.get('version', '')}".strip()
                              for lib in fw.get("libraries", [])) or None
            if take:
                runs.append((run_id, model_id, key, fw.get("name"), fw.get("version"), libs, fw.get("precision")))
            for k, metric in (("forward", "forward_ms"), ("backward", "backward_ms"), ("total", "total_ms"),
                              ("memory", "memory_bytes")):
                if k in fw:
                    n["measurements"] += 1
                    if take:
                        measurements.append((run_id, metric, size(fw[k]) if k == "memory" else float(fw[k])))
t3 = time.perf_counter()
con = duckdb.connect(db)
con.execute("CREATE TABLE machines (machine_key VARCHAR, name VARCHAR, type VARCHAR, cpu VARCHAR, os VARCHAR)")
con.execute("CREATE TABLE models (model_id INTEGER, machine_key VARCHAR, name VARCHAR, batch_size INTEGER)")
con.execute("CREATE TABLE runs (run_id INTEGER, model_id INTEGER, machine_key VARCHAR, framework VARCHAR, "
            "version VARCHAR, libraries VARCHAR, precision VARCHAR)")
con.execute("CREATE TABLE measurements (run_id INTEGER, metric VARCHAR, value DOUBLE)")
t4 = time.perf_counter()
con.executemany("INSERT INTO machines VALUES (?, ?, ?, ?, ?)", machines)
con.executemany("INSERT INTO models VALUES (?, ?, ?, ?)", models)
con.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)", runs)
con.executemany("INSERT INTO measurements VALUES (?, ?, ?)", measurements)
con.close()
t5 = time.perf_counter()
print(json.dumps({
    "import_s": t1 - t0, "load_s": t2 - t1, "walk_s": t3 - t2, "create_s": t4 - t3, "insert_slice_s": t5 - t4,
    "slice_runs": len(runs), "slice_rows": len(machines) + len(models) + len(runs) + len(measurements),
    "total_runs": n["runs"], "total_rows": sum(n.values())}))
'''


class MeasurementFailed(RuntimeError):
    "A measured command exited with an error"


# -- running one command -----------------------------------------------------------
@dataclass
class Sample:
    wall_s: float
    peak_self_bytes: int | None  # the process's own peak (None: it left without running atexit)
    peak_children_bytes: int | None  # its largest reaped child (0: none)
    tree_sum_bytes: int | None = None  # sampled sum of VmRSS over the tree
    stdout: str = ""
    cpu_s: float | None = None  # user + system CPU time of the process and the children it waited for


def _proc_tree(pid: int) -> list[int]:
    out, i = [pid], 0
    while i < len(out):
        try:
            for tid in os.listdir(f"/proc/{out[i]}/task"):
                with open(f"/proc/{out[i]}/task/{tid}/children") as fh:
                    out += [int(c) for c in fh.read().split()]
        except OSError:
            pass
        i += 1
    return out


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class _TreeSampler(threading.Thread):
    """The largest sum of VmRSS over a process and its descendants, polled."""

    def __init__(self, pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, sum(_rss_bytes(p) for p in _proc_tree(self.pid)))
            self.done.wait(self.interval)


class Runner:
    """Runs commands in fresh subprocesses with the memory hook installed."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.hook_dir = scratch / "_hook"
        self.hook_dir.mkdir(parents=True, exist_ok=True)
        (self.hook_dir / "sitecustomize.py").write_text(HOOK)
        self.log: list[dict] = []
        # dlbench's bytecode, compiled once as an installed or used checkout has it, so that no
        # measured command compiles its modules (see env)
        subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "dlbench"), str(ROOT / "ingest"),
                        str(self.hook_dir)], env=self.env(""), stdout=subprocess.DEVNULL, check=False)

    def env(self, rss_file: str) -> dict:
        # without PYTHONDONTWRITEBYTECODE (set in some sandboxes and CI images), which would make every
        # command compile dlbench's modules again: ~40 ms of a no-op refresh, none of it dlbench's
        skip = ("DLBENCH_DB", "DLBENCH_PAUSE_AT", "PYTHONDONTWRITEBYTECODE")
        env = {k: v for k, v in os.environ.items() if k not in skip}
        paths = [str(self.hook_dir), str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env["DLBENCH_BENCH_RSS"] = rss_file
        return env

    def run(self, cmd: list[str], cwd: Path, capture: bool = False, sample_tree: bool = False) -> Sample:
        fd, rss_file = tempfile.mkstemp(prefix="rss-", dir=self.scratch)
        os.close(fd)
        os.unlink(rss_file)
        out = tempfile.TemporaryFile(dir=self.scratch) if capture else subprocess.DEVNULL
        err = tempfile.TemporaryFile(dir=self.scratch)
        try:
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=cwd, env=self.env(rss_file), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err, start_new_session=True)
            sampler = None
            if sample_tree:
                sampler = _TreeSampler(proc.pid)
                sampler.start()
            proc.wait()
            wall = time.perf_counter() - start
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
            _wait_for_group(proc.pid)  # a fork server ends after the process: its record is then written
            if sampler:
                sampler.done.set()
                sampler.join()
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
            stdout = ""
            if capture:
                out.seek(0)
                stdout = out.read().decode("utf-8", "replace")
        finally:
            err.close()
            if capture:
                out.close()
        self.log.append({"cmd": _shown(cmd), "wall_s": wall, "rc": proc.returncode})
        if proc.returncode != 0:
            raise MeasurementFailed(f"`{_shown(cmd)}` exited with {proc.returncode}:\n{stderr[-3000:]}")
        own = children = None
        try:
            with open(rss_file) as fh:
                own_kib, children_kib = fh.read().split()
            own, children = int(own_kib) * 1024, int(children_kib) * 1024
            os.unlink(rss_file)
        except (OSError, ValueError):
            pass
        descendants = _descendant_records(rss_file)  # not reaped by the process: not in its rusage
        if descendants and children is not None:
            children = max([children] + [peak for peak, _ in descendants])
            cpu += sum(c for _, c in descendants)
        return Sample(wall, own, children, sampler.peak if sampler else None, stdout, cpu)


def _wait_for_group(pgid: int, timeout: float = 10.0) -> None:
    """Wait until no process of the group `pgid` (the measured command's session) is left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.01)


def _descendant_records(rss_file: str) -> list[tuple[int, float]]:
    """(peak RSS bytes, CPU s) of each process the measured one started rather than forked, and of
    those it forked (an ingest's fork server and its workers), as the hook wrote them; removed."""
    out = []
    folder, prefix = os.path.split(rss_file)
    for name in os.listdir(folder):
        if name.startswith(os.path.basename(prefix) + "."):
            path = os.path.join(folder, name)
            try:
                with open(path) as fh:
                    kib, cpu = fh.read().split()
                out.append((int(kib) * 1024, float(cpu)))
            except (OSError, ValueError):
                pass
            with contextlib.suppress(OSError):
                os.unlink(path)
    return out


def _last_json(stdout: str):
    """The JSON a helper script printed as its last line."""
    return json.loads(stdout.strip().splitlines()[-1])


def _shown(cmd: list[str]) -> str:
    """A command as a reader would type it (paths under the repo made relative)."""
    parts = []
    for c in cmd:
        c = str(c)
        if c == PY:
            c = "python"
        elif c.startswith(str(ROOT) + os.sep):
            c = os.path.relpath(c, ROOT)
        parts.append(c)
    return shlex.join(parts)


def _summary(samples: list[Sample], cmd: list[str]) -> dict:
    """Median wall time, every sample, and the largest peaks over the samples."""
    def peak(attr):
        values = [getattr(s, attr) for s in samples if getattr(s, attr) is not None]
        return max(values) if values else None

    return {"command": _shown(cmd), "wall_s": statistics.median(s.wall_s for s in samples),
            "samples_s": [s.wall_s for s in samples], "peak_rss_bytes": peak("peak_self_bytes"),
            "peak_child_rss_bytes": peak("peak_children_bytes"),
            "tree_sum_rss_bytes": peak("tree_sum_bytes"),
            "cpu_s": statistics.median(s.cpu_s for s in samples) if all(s.cpu_s is not None for s in samples) else None,
            "samples_cpu_s": [s.cpu_s for s in samples]}


def _repeat(fn, times: int, once_above: float) -> list[Sample]:
    """`times` samples of fn(), or one when the first takes longer than `once_above` s."""
    samples = [fn()]
    while len(samples) < times and samples[0].wall_s <= once_above:
        samples.append(fn())
    return samples


def _unlink(*paths: Path) -> None:
    for p in paths:
        for q in (p, Path(str(p) + ".wal")):
            try:
                q.unlink()
            except FileNotFoundError:
                pass


# -- machine facts ---------------------------------------------------------------------
def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine_facts() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) * 1024
    except OSError:
        pass

    def version(dist):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    git = {}
    try:
        git["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                       text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "cli.py", "ingest", "sql"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.splitlines()
        git["uncommitted"] = sorted(line[3:] for line in dirty)
    except (OSError, subprocess.CalledProcessError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_bytes": mem, "python": platform.python_version(),
            "duckdb": version("duckdb"), "tomli": version("tomli"), "typer": version("typer"),
            "kernel": platform.release(), "git": git}


# -- the inputs --------------------------------------------------------------------------
def edit_one_section(path: Path, index: int) -> dict:
    """Add 1 to the first `forward = <number>` of the index-th machine section (in place);
    the numbers are returned as written ("12", "12.5")."""
    text = path.read_text(encoding="utf-8")
    headers = list(re.finditer(r"^\[([^\[\]\n]+)\][ \t]*$", text, re.MULTILINE))
    index = min(index, len(headers) - 1)
    start = headers[index].end()
    end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
    m = re.compile(r"^([ \t]*forward = )(\d+)(\.\d+)?[ \t]*$", re.MULTILINE).search(text, start, end)
    if m is None:
        raise ValueError(f"no forward time in section [{headers[index].group(1)}] of {path}")
    old, new = m.group(2) + (m.group(3) or ""), str(int(m.group(2)) + 1) + (m.group(3) or "")
    text = text[:m.start(2)] + new + text[m.end(3) if m.group(3) else m.end(2):]
    path.write_text(text, encoding="utf-8")
    return {"machine_key": headers[index].group(1), "line": text.count("\n", 0, m.start()) + 1,
            "old": old, "new": new}


def compare_warehouses(a: Path, b: Path) -> dict:
    """Row counts and rows (as multisets) of every table of two warehouses, ignoring
    sources.ingested_at and the built_at row of warehouse_meta."""
    import duckdb

    def q(name):
        return '"' + name.replace('"', '""') + '"'

    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH {_lit(a)} AS a (READ_ONLY)")
        con.execute(f"ATTACH {_lit(b)} AS b (READ_ONLY)")

        def tables(db):
            return {r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [db]).fetchall()}

        ta, tb = tables("a"), tables("b")
        out = {"match": ta == tb, "only_in_first": sorted(ta - tb), "only_in_second": sorted(tb - ta), "tables": {}}
        for t in sorted(ta & tb):
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'a' AND table_name = ? "
                "ORDER BY column_index", [t]).fetchall()]
            cols = [c for c in cols if c not in ("ingested_at", "built_at")]
            where = " WHERE key IS DISTINCT FROM 'built_at'" if t == "warehouse_meta" else ""
            sel = ", ".join(q(c) for c in cols)
            na = con.execute(f"SELECT count(*) FROM a.{q(t)}{where}").fetchone()[0]
            nb = con.execute(f"SELECT count(*) FROM b.{q(t)}{where}").fetchone()[0]
            only_a = con.execute(f"SELECT count(*) FROM (SELECT {sel} FROM a.{q(t)}{where} EXCEPT ALL "
                                 f"SELECT {sel} FROM b.{q(t)}{where})").fetchone()[0]
            only_b = con.execute(f"SELECT count(*) FROM (SELECT {sel} FROM b.{q(t)}{where} EXCEPT ALL "
                                 f"SELECT {sel} FROM a.{q(t)}{where})").fetchone()[0]
            same = na == nb and only_a == 0 and only_b == 0
            out["tables"][t] = {"rows_first": na, "rows_second": nb, "only_in_first": only_a,
                                "only_in_second": only_b, "match": same}
            out["match"] = out["match"] and same
        return out
    finally:
        con.close()


def _count_runs(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


# -- the run -------------------------------------------------------------------------------
@dataclass
class Options:
    machines: int = 100
    models: int = 50
    frameworks: int = 20
    small_machines: int = 10
    seed: int = 0
    out: Path = ROOT / "bench" / "out"
    json_path: Path | None = None
    results: Path | None = ROOT / "bench" / "RESULTS.md"
    repeats: int = 5  # quick commands: median of this many
    big_repeats: int = 3  # floor and full ingest, interleaved
    view_repeats: int = 5
    once_above: float = 30.0  # a sample longer than this is not repeated
    slice_runs: int = 2000
    site_repeats: int = 3  # `cli.py site` at each size
    shift_machines: int = 3500  # machine sections of the line-shift file (5 models x 6 entries each)
    huge: bool = True  # measure the huge file (HUGE_FACTOR x the big file's machines), split and not
    command: str = "python -m bench"
    progress: bool = True
    only: str | None = None  # "compare": the compare case alone


def _say(opts: Options, text: str) -> None:
    if opts.progress:
        print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def run(opts: Options) -> dict:
    out = opts.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    runner = Runner(out)
    started = dt.datetime.now().astimezone()
    res: dict = {"command": opts.command, "date": started.isoformat(timespec="seconds"),
                 "seed": opts.seed, "view_repeats": opts.view_repeats, "machine": machine_facts(),
                 "load_before": _loadavg(), "measurements": {}}
    m = res["measurements"]
    _say(opts, f"load average {res['load_before']}; writing inputs to {out}")

    big, small = out / "big.toml", out / "small.toml"
    res["sizes"] = {
        "big": generate.write(big, opts.machines, opts.models, opts.frameworks, opts.seed),
        "small": generate.write(small, opts.small_machines, opts.models, opts.frameworks, opts.seed),
    }
    for s in res["sizes"].values():
        s["path"] = os.path.relpath(s["path"], ROOT) if s["path"].startswith(str(ROOT)) else s["path"]
    big_db, small_db, rebuilt_db, hand_db = out / "big.duckdb", out / "small.duckdb", out / "rebuilt.duckdb", \
        out / "handwritten.duckdb"

    # 1 + 2: the floor and the full ingest, interleaved
    floor_cmd = [PY, "-c", f"import tomli; tomli.load(open({str(big)!r}, 'rb'))"]
    ingest_cmd = [PY, str(CLI), "ingest", str(big), "--db", str(big_db), "--quiet"]
    floors, ingests = [], []
    if opts.big_repeats > 1:  # one untimed round first (as hyperfine's --warmup): file and code caches warm
        _say(opts, "floor and full ingest, a warm-up round (not timed)")
        runner.run(floor_cmd, out)
        _unlink(big_db)
        runner.run(ingest_cmd, out)
    res["load_big_rounds"] = _loadavg()
    for i in range(opts.big_repeats):
        _say(opts, f"floor and full ingest, round {i + 1} of {opts.big_repeats}")
        floors.append(runner.run(floor_cmd, out))
        _unlink(big_db)
        # not sampled: a thread polling /proc every 20 ms takes CPU from a process that uses every core
        ingests.append(runner.run(ingest_cmd, out))
        if floors[0].wall_s > opts.once_above and ingests[0].wall_s > opts.once_above:
            break
    m["floor_tomli_load"] = _summary(floors, floor_cmd)
    m["full_ingest"] = _summary(ingests, ingest_cmd)
    _unlink(big_db)  # one more ingest, for the memory of the whole process tree (sampled)
    m["full_ingest"]["tree_sum_rss_bytes"] = runner.run(ingest_cmd, out, sample_tree=True).tree_sum_bytes
    res["load_big_rounds"] += _loadavg()  # (1, 5, 15 min) before and after the rounds

    # 3: by hand, on a slice, scaled
    _say(opts, f"by hand: tomli.load + executemany of the first {opts.slice_runs:,} runs")
    _unlink(hand_db)
    hand_cmd = [PY, "-c", HANDWRITTEN_SCRIPT, str(big), str(hand_db), str(opts.slice_runs)]
    s = runner.run(hand_cmd, out, capture=True)
    _unlink(hand_db)
    inner = _last_json(s.stdout)
    factor = inner["total_rows"] / max(inner["slice_rows"], 1)
    hand = _summary([s], [PY, "-c", "<bench.harness.HANDWRITTEN_SCRIPT>", str(big), str(hand_db),
                          str(opts.slice_runs)])
    hand.update(inner, measured_wall_s=s.wall_s, scale=factor,
                wall_s=s.wall_s - inner["insert_slice_s"] + inner["insert_slice_s"] * factor,
                samples_s=[s.wall_s - inner["insert_slice_s"] + inner["insert_slice_s"] * factor])
    m["handwritten_scaled"] = hand

    # 4: a no-op refresh (the warehouse is up to date) and stale_reason in-process
    _say(opts, "no-op refresh")
    noop_cmd = [PY, str(CLI), "query", "select 1", "--db", str(big_db)]
    m["noop_refresh"] = _summary(_repeat(lambda: runner.run(noop_cmd, out), opts.repeats, opts.once_above),
                                 noop_cmd)
    stale_cmd = [PY, "-c", STALE_SCRIPT, str(big_db), str(opts.repeats)]
    s = runner.run(stale_cmd, out, capture=True)
    inner = _last_json(s.stdout)
    if inner["reason"] is not None:
        raise MeasurementFailed(f"the warehouse was stale before the no-op refresh: {inner['reason']}")
    st = _summary([s], [PY, "-c", "<bench.harness.STALE_SCRIPT>", str(big_db), str(opts.repeats)])
    st.update(process_wall_s=s.wall_s, import_s=inner["import_s"], cold_s=inner["cold_s"],
              warm_samples_s=inner["warm_s"], warm_s=statistics.median(inner["warm_s"] or [inner["cold_s"]]))
    st["wall_s"] = st["cold_s"]
    st["samples_s"] = [st["cold_s"]]
    m["stale_reason"] = st

    # 5: every view and the report, at both sizes
    has_report = subprocess.run([PY, str(CLI), "report", "--help"], cwd=out, capture_output=True,
                                env=runner.env(str(out / "rss-unused"))).returncode == 0
    res["has_report"] = has_report
    views = {}
    _say(opts, "small warehouse")
    _unlink(small_db)
    ingest_small = [PY, str(CLI), "ingest", str(small), "--db", str(small_db), "--quiet"]
    m["ingest_small"] = _summary([runner.run(ingest_small, out, sample_tree=True)], ingest_small)
    for size, db in (("small", small_db), ("big", big_db)):
        _say(opts, f"views on the {size} warehouse")
        views_cmd = [PY, "-c", VIEWS_SCRIPT, str(db), str(opts.view_repeats), str(opts.once_above)]
        s = runner.run(views_cmd, out, capture=True)
        views[size] = {name: {"rows": v["rows"], "wall_s": min(v["samples_s"]),
                              "samples_s": v["samples_s"]} for name, v in _last_json(s.stdout).items()}
        views[size + "_process"] = {"wall_s": s.wall_s, "peak_rss_bytes": s.peak_self_bytes}
        key = f"report_{size}"
        if has_report:
            _say(opts, f"report on the {size} warehouse")
            report_cmd = [PY, str(CLI), "report", "--db", str(db), "--no-refresh", "--output", os.devnull]
            m[key] = _summary(_repeat(lambda: runner.run(report_cmd, out), opts.view_repeats, opts.once_above),
                              report_cmd)
        else:
            m[key] = {"wall_s": None, "note": "n/a (no report command)"}
    res["views"] = views

    # 5 (cont.): the site at both sizes
    m.update(site_case(opts, runner, out, {"small": small_db, "big": big_db}))

    # 4 (cont.): one machine section changed, re-ingest; compare with a full rebuild
    _say(opts, "incremental re-ingest after one machine section changed")
    edits, samples = [], []
    for i in range(opts.big_repeats):  # each sample after another machine's section changed
        index = (opts.machines // 2 + i) % opts.machines
        edits.append(dict(edit_one_section(big, index), section=index + 1))
        samples.append(runner.run(ingest_cmd, out, sample_tree=True))
    res["edits"] = edits
    m["incremental_reingest"] = _summary(samples, ingest_cmd)
    _unlink(rebuilt_db)
    rebuild_cmd = [PY, str(CLI), "ingest", str(big), "--db", str(rebuilt_db), "--quiet"]
    m["full_rebuild_edited"] = _summary([runner.run(rebuild_cmd, out, sample_tree=True)], rebuild_cmd)
    res["contents"] = compare_warehouses(big_db, rebuilt_db)
    _say(opts, "re-ingested warehouse " + ("matches" if res["contents"]["match"] else "DIFFERS FROM")
         + " a full rebuild (timestamps aside)")

    # 4 (cont.): a comment line added at the top of a file of many small machine sections: every
    # section moves down a line and none changes (issue 9: 36 s incremental against 7.5 s in full)
    _say(opts, f"line shift: {opts.shift_machines:,} machine sections, one comment line added at the top")
    shift, shift_db, shift_full_db = out / "shift.toml", out / "shift.duckdb", out / "shift-full.duckdb"
    res["sizes"]["shift"] = generate.write(shift, opts.shift_machines, SHIFT_MODELS, SHIFT_FRAMEWORKS, opts.seed)
    res["sizes"]["shift"]["path"] = os.path.relpath(shift, ROOT) if str(shift).startswith(str(ROOT)) else str(shift)
    _unlink(shift_db, shift_full_db)
    runner.run([PY, str(CLI), "ingest", str(shift), "--db", str(shift_db), "--quiet"], out)
    shift.write_text("# one comment line added at the top\n" + shift.read_text(encoding="utf-8"), encoding="utf-8")
    shift_cmd = [PY, str(CLI), "ingest", str(shift), "--db", str(shift_db), "--quiet"]
    m["line_shift_incremental"] = _summary([runner.run(shift_cmd, out, sample_tree=True)], shift_cmd)
    shift_full_cmd = [PY, str(CLI), "ingest", str(shift), "--db", str(shift_full_db), "--quiet"]
    m["line_shift_full"] = _summary([runner.run(shift_full_cmd, out, sample_tree=True)], shift_full_cmd)
    res["shift_contents"] = compare_warehouses(shift_db, shift_full_db)
    _unlink(shift, shift_db, shift_full_db)

    # 4 (cont.): memory for a huge file, split into machine sections, and with a top-level key
    # before its first machine (issue 9: 4.86 GB and 114 s read in one piece, 0.94 GB and 34 s split)
    if opts.huge:
        huge, huge_db = out / "huge.toml", out / "huge.duckdb"
        _say(opts, f"huge file: {opts.machines * HUGE_FACTOR} machines, splittable, then with a top-level key")
        res["sizes"]["huge"] = generate.write(huge, opts.machines * HUGE_FACTOR, opts.models, opts.frameworks,
                                              opts.seed)
        res["sizes"]["huge"]["path"] = os.path.relpath(huge, ROOT) if str(huge).startswith(str(ROOT)) else str(huge)
        huge_cmd = [PY, str(CLI), "ingest", str(huge), "--db", str(huge_db), "--quiet"]
        _unlink(huge_db)
        m["huge_splittable"] = _summary([runner.run(huge_cmd, out, sample_tree=True)], huge_cmd)
        with open(huge, "r+", encoding="utf-8") as fh:  # the same data, a top-level key first
            text = fh.read()
            fh.seek(0)
            fh.write('title = "synthetic results"\n' + text)
        del text
        _unlink(huge_db)
        m["huge_top_level_key"] = _summary([runner.run(huge_cmd, out, sample_tree=True)], huge_cmd)
        _unlink(huge, huge_db)

    # 7: dlbench compare, two states of a warehouse with samples, at both sizes
    res["compare"] = compare_case(opts, runner, out)

    # 6: start-up on the seed, against the bare minimum
    _say(opts, "start-up on the seed")
    seed_dir = out / "seed"
    shutil.rmtree(seed_dir, ignore_errors=True)
    (seed_dir / "data").mkdir(parents=True)
    shutil.copy(ROOT / "benchmark.toml", seed_dir / "benchmark.toml")
    runner.run([PY, str(CLI), "ingest", "--quiet"], seed_dir)
    res["seed_runs"] = _count_runs(seed_dir / "warehouse.duckdb")
    startup = {
        "startup_import_typer": [PY, "-c", "import typer"],
        "startup_cli_help": [PY, str(CLI), "--help"],
        "startup_bare_duckdb": [PY, "-c", "import duckdb; con = duckdb.connect('warehouse.duckdb', read_only=True); "
                                          "con.execute('select count(*) from runs').fetchall()"],
        "startup_report_seed": [PY, str(CLI), "report", "--no-refresh"] if has_report else None,
    }
    samples = {k: [] for k in startup}
    for _ in range(opts.repeats):  # interleaved, so that a burst of load hits all alike
        for key, cmd in startup.items():
            if cmd is not None:
                samples[key].append(runner.run(cmd, seed_dir))
    for key, cmd in startup.items():
        m[key] = _summary(samples[key], cmd) if cmd else {"wall_s": None, "note": "n/a (no report command)"}

    res["load_after"] = _loadavg()
    _say(opts, f"done; load average {res['load_after']}")
    res["finished"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    res["targets"] = targets(res)
    res["log"] = runner.log
    return res


# -- the site ------------------------------------------------------------------------------
def site_facts(folder: Path) -> dict:
    """What `dlbench site` wrote: pages, charts, the most bars (rows) in one chart, the largest
    page and the whole folder, in bytes."""
    pages = charts = most = largest = 0
    for page in folder.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        pages += 1
        largest = max(largest, len(text.encode("utf-8")))
        for spec in re.findall(r'<script type="application/json" data-chart="[^"]+">(.*?)</script>', text, re.S):
            charts += 1
            most = max(most, len(json.loads(spec.replace("<\\/", "</"))["datasets"]["rows"]))
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"pages": pages, "charts": charts, "most_bars": most, "largest_page_bytes": largest,
            "site_bytes": total}


def site_case(opts: Options, runner: Runner, out: Path, dbs: dict) -> dict:
    """`cli.py site DIR --db X --no-refresh` on each warehouse of `dbs` (size -> path): wall
    time, peak memory, and what it wrote (site_facts)."""
    probe = subprocess.run([PY, "-c", "import altair, vl_convert"], capture_output=True)
    if probe.returncode != 0:
        return {f"site_{size}": {"wall_s": None, "note": "n/a (no altair/vl-convert: pip install 'dlbench[site]')"}
                for size in dbs}
    found = {}
    for size, db in dbs.items():
        _say(opts, f"site of the {size} warehouse")
        folder = out / f"site-{size}"
        cmd = [PY, str(CLI), "site", str(folder), "--db", str(db), "--no-refresh"]
        d = _summary(_repeat(lambda: runner.run(cmd, out), opts.site_repeats, opts.once_above), cmd)
        d.update(site_facts(folder), runs=_count_runs(db))
        found[f"site_{size}"] = d
    return found


def run_site_only(opts: Options) -> dict:
    """The site case alone (`python -m bench --only site`): the inputs, their warehouses, then
    `cli.py site` at both sizes."""
    out = opts.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    runner = Runner(out)
    res: dict = {"command": opts.command, "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                 "seed": opts.seed, "machine": machine_facts(), "load_before": _loadavg(), "measurements": {}}
    dbs = {}
    res["sizes"] = {}
    for size, machines in (("small", opts.small_machines), ("big", opts.machines)):
        path, db = out / f"{size}.toml", out / f"{size}.duckdb"
        _say(opts, f"writing and ingesting the {size} input")
        res["sizes"][size] = generate.write(path, machines, opts.models, opts.frameworks, opts.seed)
        _unlink(db)
        runner.run([PY, str(CLI), "ingest", str(path), "--db", str(db), "--quiet"], out)
        dbs[size] = db
    res["measurements"].update(site_case(opts, runner, out, dbs))
    res["load_after"] = _loadavg()
    res["targets"] = site_targets(res)
    return res


# -- dlbench compare ---------------------------------------------------------------------
COMPARE_SAMPLES = 20  # forward and backward samples per run
COMPARE_HEADING = "## `dlbench compare`"


def compare_case(opts: Options, runner: Runner, out: Path) -> dict:
    """`cli.py compare A.duckdb B.duckdb` on two states of the same runs (the generated file with
    COMPARE_SAMPLES forward and backward samples per run, other noise on the second), at the small
    and the big size: its wall time should grow with the samples, no faster."""
    res = {"samples_per_run": COMPARE_SAMPLES, "sizes": {}}
    for size, machines in (("small", opts.small_machines), ("big", opts.machines)):
        base = out / f"compare_{size}.toml"
        generate.write(base, machines, opts.models, opts.frameworks, opts.seed)
        dbs, ingests = [], []
        for side, noise_seed in (("a", 0), ("b", 1)):
            toml, db = out / f"compare_{size}_{side}.toml", out / f"compare_{size}_{side}.duckdb"
            _say(opts, f"compare: {size} state {side}: writing samples and ingesting")
            generate.add_samples(base, toml, COMPARE_SAMPLES, noise_seed)
            _unlink(db)
            ingests.append(runner.run([PY, str(CLI), "ingest", str(toml), "--db", str(db), "--quiet"], out).wall_s)
            dbs.append(db)
        cmd = [PY, str(CLI), "compare", str(dbs[0]), str(dbs[1]), "--format", "csv"]
        _say(opts, f"compare: {size}")
        samples = _repeat(lambda: runner.run(cmd, out, capture=True), opts.view_repeats, opts.once_above)
        runs = machines * opts.models * opts.frameworks
        d = _summary(samples, cmd)
        d.update(runs=runs, samples=2 * runs * COMPARE_SAMPLES, rows=len(samples[-1].stdout.splitlines()) - 1,
                 marks={m: sum(1 for line in samples[-1].stdout.splitlines()[1:] if line[:1] == m) for m in "+-~ "},
                 ingest_s=ingests)
        for s in samples:
            s.stdout = ""
        res["sizes"][size] = d
    return res


def compare_target(c: dict) -> dict:
    small, big = c["sizes"]["small"], c["sizes"]["big"]
    ratio = _ratio(big["wall_s"], small["wall_s"])
    return {"target": f"`dlbench compare` of two warehouses: {_runs_label(big['runs'])} ≤ 12 × "
                      f"{_runs_label(small['runs'])} runs",
            "measured": ratio, "limit": 12.0, "goal": None, "met": None if ratio is None else ratio <= 12.0,
            "note": f"{big['samples']:,} samples a side at {_runs_label(big['runs'])}: {_s(big['wall_s'])} s"}


def compare_markdown(c: dict) -> str:
    small, big = c["sizes"]["small"], c["sizes"]["big"]
    lines = [COMPARE_HEADING, "",
             f"`python cli.py compare A.duckdb B.duckdb --format csv`: two states of the same generated runs, "
             f"each run with {c['samples_per_run']} forward and {c['samples_per_run']} backward samples (the "
             "second state's samples have other noise: `bench.generate.add_samples`), the warehouses ingested "
             "first; one fresh process per sample, median wall time. The command attaches both warehouses, "
             "pairs the runs and tests every pair (total time: forward + backward per iteration).", "",
             "| runs a side | samples a side | wall s | peak RSS MB | rows | marks `+` / `-` / `~` / ` ` | "
             "ingest s, each state |", "| ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for d in (small, big):
        marks = " / ".join(str(d["marks"].get(m, 0)) for m in "+-~ ")
        lines.append(f"| {d['runs']:,} | {d['samples']:,} | {_s(d['wall_s'])} | {_mb(d['peak_rss_bytes'])} | "
                     f"{d['rows']:,} | {marks} | {', '.join(_s(x) for x in d['ingest_s'])} |")
    t = compare_target(c)
    met = "n/a" if t["met"] is None else ("**met**" if t["met"] else "not met")
    lines += ["", f"Target: {t['target']}: {_fmt_ratio(t['measured'])}, {met} ({t['note']}).", ""]
    return "\n".join(lines)


def run_compare_only(opts: Options) -> dict:
    """The compare case alone (`python -m bench --only compare`)."""
    out = opts.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    runner = Runner(out)
    res = {"command": opts.command, "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
           "machine": machine_facts(), "load_before": _loadavg()}
    res["compare"] = compare_case(opts, runner, out)
    res["load_after"] = _loadavg()
    res["log"] = runner.log
    return res


def site_targets(res: dict) -> list[dict]:
    m = res["measurements"]
    small, big = m["site_small"], m["site_big"]
    bl, sl = _runs_label(res["sizes"]["big"]["runs"]), _runs_label(res["sizes"]["small"]["runs"])
    ratio = _ratio(big.get("wall_s"), small.get("wall_s"))
    most = max(small.get("most_bars") or 0, big.get("most_bars") or 0) if big.get("wall_s") else None
    return [
        {"target": f"`cli.py site`: {bl} ≤ 12 × {sl}", "measured": ratio, "limit": 12.0, "goal": None,
         "met": None if ratio is None else ratio <= 12.0,
         "note": "" if ratio is not None else big.get("note", "")},
        {"target": f"the site's charts are bounded: ≤ {MAX_BARS} bars in any chart",
         "measured": "n/a" if most is None else f"{most} bars", "limit": None, "goal": None,
         "met": None if most is None else most <= MAX_BARS,
         "note": "" if most is None else f"{big['charts']:,} charts on {big['pages']} pages at {bl}; largest page "
                                         f"{big['largest_page_bytes'] / 1e6:,.2f} MB"},
    ]


def site_markdown(res: dict) -> list[str]:
    """The site's section of RESULTS.md."""
    m = res["measurements"]
    lines = ["## The site", "",
             "`cli.py site DIR --db X --no-refresh`: every page, chart and data file (benchmark.json, Parquet, "
             "CSV, the warehouse) of the warehouse, written to a fresh folder; median of the samples.", "",
             "| measurement | runs | wall s | peak RSS MB | pages | charts | most bars in a chart | largest page MB "
             "| site MB |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key in SITE_KEYS:
        d = m[key]
        if d.get("wall_s") is None:
            lines.append(f"| site | n/a | n/a | n/a | | | | | {d.get('note', '')} |")
            continue
        lines.append(f"| site | {_runs_label(d['runs'])} | {_s(d['wall_s'])} | {_mb(d.get('peak_rss_bytes'))} | "
                     f"{d['pages']} | {d['charts']:,} | {d['most_bars']} | {d['largest_page_bytes'] / 1e6:,.2f} | "
                     f"{_mb(d['site_bytes'])} |")
    return lines


def site_only_markdown(res: dict) -> str:
    lines = [f"Measured {res['date']} with `{res['command']}`; load average "
             f"{', '.join(map(str, res['load_before']))} before, {', '.join(map(str, res['load_after']))} after.",
             ""] + site_markdown(res) + ["", "| target | measured | met | notes |", "| --- | ---: | --- | --- |"]
    for t in res["targets"]:
        v = t["measured"]
        shown = v if isinstance(v, str) else _fmt_ratio(v)
        met = "n/a" if t["met"] is None else ("**met**" if t["met"] else "not met")
        lines.append(f"| {t['target']} | {shown} | {met} | {t['note']} |")
    return "\n".join(lines) + "\n"

def merge_section(text: str, heading: str, section: str) -> str:
    """RESULTS.md with the section under `heading` replaced by `section` (or, if it has none, followed by it)."""
    if heading in text:
        head, rest = text.split(heading, 1)
        tail = rest.split("\n## ", 1)
        return head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
    return text.rstrip("\n") + "\n\n" + section


def _measured_line(res: dict) -> str:
    f = res["machine"]
    return (f"Measured {res['date']} with `{res['command']}` ({f['cpu']}, {f['cores']} cores; load average "
            f"{', '.join(map(str, res['load_before']))} before, {', '.join(map(str, res['load_after']))} after).")


def merge_compare_section(text: str, res: dict) -> str:
    """RESULTS.md with its compare section replaced by (or, if it has none, followed by) this run's."""
    section = compare_markdown(res["compare"]).rstrip("\n").split("\n")
    section[1:1] = ["", _measured_line(res)]
    return merge_section(text, COMPARE_HEADING, "\n".join(section) + "\n")


# -- dlbench collect: fidelity -------------------------------------------------------------
COLLECT_HEADING = "## `dlbench collect`: fidelity"
FIDELITY_TOLERANCE = 0.05  # an adapter's forward + backward / the framework's plain step: within 1.00 ± this


def collect_case(opts: Options, frameworks=("torch", "jax"), model: str = "alexnet", batch_size: int = 2,
                 pairs: int = 10, iterations: int = 3) -> list[dict]:
    """dlbench.collect.fidelity.measure_fidelity for each framework: the adapter's forward + backward
    through the collector's protocol against an independent plain training step of the framework
    (torch.utils.benchmark.Timer; a hand-written jit(value_and_grad)), interleaved pair by pair."""
    from dlbench.collect.fidelity import measure_fidelity

    rows = []
    for framework in frameworks:
        n = 3 if opts.repeats == 1 else pairs  # --repeats 1: a smoke run
        _say(opts, f"collect fidelity: {framework} {model} batch {batch_size}, {n} interleaved pairs")
        rows.append(measure_fidelity(framework, model, batch_size, pairs=n, iterations=iterations))
    return rows


def collect_targets(rows: list[dict]) -> list[dict]:
    return [{"target": f"`collect` {r['framework']}: forward + backward / the plain step within "
                       f"1.00 ± {FIDELITY_TOLERANCE}",
             "measured": r["ratio"], "limit": 1 + FIDELITY_TOLERANCE, "goal": None,
             "met": abs(r["ratio"] - 1) <= FIDELITY_TOLERANCE,
             "note": f"IQR {r['ratio_q1']:.3f}-{r['ratio_q3']:.3f} over {r['pairs']} pairs"} for r in rows]


def collect_markdown(res: dict) -> str:
    rows = res["collect"]
    n = rows[0]["iterations"] if rows else 0
    lines = [COLLECT_HEADING, "", _measured_line(res), "",
             "`python -m bench --only collect`: AlexNet, fp32, CPU, in one process (dlbench/collect/fidelity.py). "
             f"Each pair times {n} steps of the adapter through the collector's protocol (forward and backward "
             f"timed apart, summed; torch's gradients cleared outside the timed region) and {n} of an independent "
             "plain training step of the framework, in alternating order: PyTorch "
             "`torch.utils.benchmark.Timer` over `model(x).backward(g)`, one step per `timeit(1)` after its setup "
             "`zero_grad(set_to_none=True)` (untimed, as the collector's), JAX a "
             "hand-written `jax.jit(jax.value_and_grad(loss))` with loss = sum(output * g). Ratio = the "
             "adapter's median step / the reference's, per pair; the median [IQR] over the pairs. The "
             "machine is shared: see the load average above and per framework.", "",
             "| framework | batch | threads | pairs | adapter fwd ms | adapter bwd ms | adapter step ms | "
             "reference step ms | ratio median [IQR] | load before, after |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(f"| {r['framework']} | {r['batch_size']} | {r['threads']} | {r['pairs']} | "
                     f"{r['adapter_forward_ms']:,.1f} | {r['adapter_backward_ms']:,.1f} | "
                     f"{r['adapter_step_ms']:,.1f} | {r['reference_step_ms']:,.1f} | "
                     f"{r['ratio']:.3f} [{r['ratio_q1']:.3f}-{r['ratio_q3']:.3f}] | "
                     f"{r['load_before']}, {r['load_after']} |")
    lines += ["", "| target | measured | met | notes |", "| --- | ---: | --- | --- |"]
    for t in collect_targets(rows):
        lines.append(f"| {t['target']} | {t['measured']:.3f} | {'**met**' if t['met'] else 'not met'} | {t['note']} |")
    return "\n".join(lines) + "\n"


def run_collect_only(opts: Options) -> dict:
    """The collect fidelity case alone (`python -m bench --only collect`)."""
    res = {"command": opts.command, "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
           "machine": machine_facts(), "load_before": _loadavg()}
    res["collect"] = collect_case(opts)
    res["load_after"] = _loadavg()
    return res


# -- targets -----------------------------------------------------------------------------
def _ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def targets(res: dict) -> list[dict]:
    m = res["measurements"]
    floor, full = m["floor_tomli_load"]["wall_s"], m["full_ingest"]["wall_s"]
    floor_peak = m["floor_tomli_load"]["peak_rss_bytes"]
    bl, sl = _runs_label(res["sizes"]["big"]["runs"]), _runs_label(res["sizes"]["small"]["runs"])
    rows = []

    def add(name, measured, limit, note="", goal=None):
        rows.append({"target": name, "measured": measured, "limit": limit, "goal": goal,
                     "met": None if measured is None else measured <= limit, "note": note})

    cpu = _ratio(m["full_ingest"].get("cpu_s"), m["floor_tomli_load"].get("cpu_s"))
    load = res.get("load_big_rounds")
    add(f"full ingest of {bl} ≤ 0.8 × bare `tomli.load` (first step ≤ 1.2 ×)", _ratio(full, floor), 0.8,
        note=f"CPU time (user + system, workers included) {_fmt_ratio(cpu)} the floor's"
             + (f"; load average {load[0]:.2f} before the rounds, {load[3]:.2f} after" if load else ""))
    fi = m["full_ingest"]
    own, child = fi["peak_rss_bytes"], fi["peak_child_rss_bytes"] or 0
    largest = max(own or 0, child) or None
    which = "the ingest process" if (own or 0) >= child else "a worker process"
    workers = f"largest worker {_mb(child)} MB" if child else "no worker processes"
    add("full ingest peak memory ≤ 1.5 × `tomli.load`'s peak", _ratio(largest, floor_peak),
        1.5, note=f"largest single process: {which} ({_mb(own)} MB own, {workers}); "
             f"sum over the process tree, sampled: {_fmt_ratio(_ratio(fi['tree_sum_rss_bytes'], floor_peak))}")
    add("no-op refresh ≤ 0.05 × full ingest", _ratio(m["noop_refresh"]["wall_s"], full), 0.05,
        note=f"whole `cli.py query \"select 1\"`; `stale_reason()` alone: "
             f"{_fmt_ratio(_ratio(m['stale_reason']['cold_s'], full))} (cold)")
    match = res["contents"]["match"]
    add("incremental re-ingest ≤ 0.2 × full ingest", _ratio(m["incremental_reingest"]["wall_s"], full), 0.2)
    if "line_shift_incremental" in m:
        shift_match = res["shift_contents"]["match"]
        add("incremental re-ingest after a line shift ≤ 1.0 × a full rebuild of the shifted file",
            _ratio(m["line_shift_incremental"]["wall_s"], m["line_shift_full"]["wall_s"]), 1.0,
            note="same rows as the full rebuild: " + ("yes" if shift_match else "NO"))
    if "huge_top_level_key" in m:
        def peak(d):
            return max(d["peak_rss_bytes"] or 0, d["peak_child_rss_bytes"] or 0) or None
        hs, hk = m["huge_splittable"], m["huge_top_level_key"]
        add("huge file with a top-level key first: peak memory ≤ 1.2 × the same data splittable",
            _ratio(peak(hk), peak(hs)), 1.2,
            note=f"largest process {_mb(peak(hk))} MB against {_mb(peak(hs))} MB; wall "
                 f"{_fmt_ratio(_ratio(hk['wall_s'], hs['wall_s']))}")
    rows.append({"target": "incremental re-ingest gives the same contents as a full rebuild",
                 "measured": "same" if match else "different", "limit": None, "goal": None, "met": match,
                 "note": "" if match else "tables differing: " + ", ".join(
                     t for t, v in res["contents"]["tables"].items() if not v["match"])})
    for name, big in res["views"]["big"].items():
        small = res["views"]["small"].get(name)
        rows_ratio = _ratio(big["rows"], small and small["rows"])
        add(f"view `{name}`: {bl} ≤ 12 × {sl}", _ratio(big["wall_s"], small and small["wall_s"]), 12.0,
            note=f"its rows grow {_fmt_ratio(rows_ratio)}" if rows_ratio and rows_ratio > 12 else "")
    report = m["report_big"]["wall_s"]
    rows.append({"target": f"whole report at {bl} ≤ 5 s", "measured": report, "limit": 5.0, "goal": None,
                 "met": None if report is None else report <= 5.0, "unit": "s",
                 "note": "" if report is not None else "n/a (no report command)"})
    rows.extend(site_targets(res))
    add("`cli.py --help` ≤ 1.3 × `import typer`",
        _ratio(m["startup_cli_help"]["wall_s"], m["startup_import_typer"]["wall_s"]), 1.3)
    add("`cli.py report` on the seed ≤ 1.5 × bare duckdb script",
        _ratio(m["startup_report_seed"]["wall_s"], m["startup_bare_duckdb"]["wall_s"]), 1.5)
    if "compare" in res:
        rows.append(compare_target(res["compare"]))
    return rows


# -- markdown ------------------------------------------------------------------------------
def _s(x) -> str:
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _mb(b) -> str:
    return "n/a" if b is None else f"{b / 1e6:,.0f}"


def _fmt_ratio(r) -> str:
    if r is None:
        return "n/a"
    return f"{r:.3f}×" if r < 0.1 else f"{r:.2f}×"


def _runs_label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else f"{n:,}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def markdown(res: dict) -> str:
    m, f = res["measurements"], res["machine"]
    big, small = res["sizes"]["big"], res["sizes"]["small"]
    bl, sl = _runs_label(big["runs"]), _runs_label(small["runs"])
    floor = m["floor_tomli_load"]
    git = f.get("git", {})
    code = git.get("commit", "?")
    if git.get("uncommitted"):
        code += " with uncommitted changes in " + ", ".join(f"`{p}`" for p in git["uncommitted"])
    lines = [
        "# dlbench benchmarks",
        "",
        f"Measured {res['date']} with",
        "",
        "```sh",
        res["command"],
        "```",
        "",
        f"- machine: {f['cpu']}, {f['cores']} cores, {_mb(f['memory_bytes'])} MB memory, Linux {f['kernel']}",
        f"- Python {f['python']}, duckdb {f['duckdb']}, tomli {f['tomli']}, typer {f['typer']}",
        f"- code: {code}",
        f"- load average (1, 5, 15 min): {', '.join(map(str, res['load_before']))} before, "
        f"{', '.join(map(str, res['load_after']))} after (the machine is shared: timings are noisy)",
        f"- inputs (bench/generate.py, seed {res.get('seed', 0)}): {big['runs']:,} runs ({big['machines']} machines × "
        f"{big['models']} models × {big['runs'] // max(big['machines'] * big['models'], 1)} framework entries, "
        f"{big['bytes'] / 1e6:.1f} MB) and {small['runs']:,} runs ({_plural(small['machines'], 'machine')}, "
        f"{small['bytes'] / 1e6:.1f} MB)",
        "",
        "Every figure is one fresh process (`python ...`, imports included), its wall time from spawn to exit.",
        "Wall times are medians of the samples (the JSON has every sample; the floor and the full ingest",
        "run once untimed before their interleaved rounds); peak memory is the largest",
        "max RSS over the samples: the process's own (its VmHWM, read at exit) and its largest child's",
        "(the ingest's worker processes, forked from its fork server: each one's VmHWM at its end, which counts",
        "the pages it shares with the fork server). MB = 10^6 bytes.",
        "",
        f"## The {bl}-run file",
        "",
        "| measurement | runs | wall s | × floor | peak RSS MB, process | peak RSS MB, largest child | notes |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]

    def row(name, size, d, notes=""):
        wall = d.get("wall_s")
        lines.append(f"| {name} | {size} | {_s(wall)} | {_fmt_ratio(_ratio(wall, floor['wall_s']))} | "
                     f"{_mb(d.get('peak_rss_bytes'))} | "
                     f"{_mb(d.get('peak_child_rss_bytes')) if d.get('peak_child_rss_bytes') else '–'} | {notes} |")

    def n(d):
        return f"{len(d.get('samples_s', []))} sample(s)"

    def cpu(d):
        return f"CPU {_s(d['cpu_s'])} s (user + system, median)" if d.get("cpu_s") is not None else ""

    row("floor: `tomli.load`", bl, floor, f"`python -c \"import tomli; tomli.load(open(p, 'rb'))\"`; {n(floor)}; "
                                          f"{cpu(floor)}")
    fi = m["full_ingest"]
    row("full ingest", bl, fi, f"`cli.py ingest FILE --db X --quiet`, X deleted first; {n(fi)}; {cpu(fi)}, "
                               f"workers included; sum of RSS over the process tree, sampled in one more run "
                               f"(not in the timed ones): ≈ {_mb(fi['tree_sum_rss_bytes'])} MB")
    h = m["handwritten_scaled"]
    row("by hand: `tomli.load` + `executemany`", bl, h,
        f"**scaled**: measured {_s(h['measured_wall_s'])} s with {h['slice_runs']:,} runs "
        f"({h['slice_rows']:,} rows) inserted, insert time × {h['scale']:.1f} to {h['total_rows']:,} rows; "
        f"load {_s(h['load_s'])} s, insert {_s(h['insert_slice_s'])} s; memory as measured (whole file parsed)")
    row("no-op refresh", bl, m["noop_refresh"],
        f"whole `cli.py query \"select 1\" --db X` on an up-to-date warehouse; {n(m['noop_refresh'])}")
    st = m["stale_reason"]
    row("`stale_reason()` in-process", bl, st,
        f"first call {_s(st['cold_s'])} s (imports duckdb), then median {_s(st['warm_s'])} s; "
        f"memory: the whole process")
    ed = res["edits"]
    changes = "; ".join(f"[{e['machine_key']}] line {e['line']}: {e['old']} → {e['new']}" for e in ed)
    match = "**yes**" if res["contents"]["match"] else "**NO** (" + ", ".join(
        t for t, v in res["contents"]["tables"].items() if not v["match"]) + ")"
    row("incremental re-ingest", bl, m["incremental_reingest"],
        f"`cli.py ingest FILE --db X --quiet` after one `forward` changed in one machine section of "
        f"{big['machines']}, another section before each sample ({changes}); {n(m['incremental_reingest'])}; "
        f"same rows as a full rebuild, timestamps aside: {match}")
    row("full rebuild of the edited file", bl, m["full_rebuild_edited"], "into a new file, for the comparison")
    if "line_shift_incremental" in m:
        sh = res["sizes"]["shift"]
        sl_ = _runs_label(sh["runs"])
        same = "**yes**" if res["shift_contents"]["match"] else "**NO**"
        row("incremental re-ingest after a line shift", sl_, m["line_shift_incremental"],
            f"another file: {sh['machines']:,} machine sections × {sh['models']} models × {SHIFT_FRAMEWORKS} entries "
            f"({sh['bytes'] / 1e6:.1f} MB); one comment line added at its top, so every section moved and none "
            f"changed; `cli.py ingest FILE --db X --quiet`; same rows as a full rebuild: {same}")
        row("full rebuild of the shifted file", sl_, m["line_shift_full"], "into a new file, for the comparison")
    if "huge_top_level_key" in m:
        hg = res["sizes"]["huge"]
        hl = _runs_label(hg["runs"])
        row("huge file, splittable", hl, m["huge_splittable"],
            f"another file: {hg['machines']:,} machines ({hg['bytes'] / 1e6:.0f} MB), `cli.py ingest FILE --db X "
            f"--quiet`; sum of RSS over the process tree, sampled: "
            f"≈ {_mb(m['huge_splittable']['tree_sum_rss_bytes'])} MB")
        row("huge file, a top-level key first", hl, m["huge_top_level_key"],
            "the same file with `title = \"...\"` as its first line (before the first machine); sum of RSS over "
            f"the process tree, sampled: ≈ {_mb(m['huge_top_level_key']['tree_sum_rss_bytes'])} MB")
    for key, size in (("report_small", sl), ("report_big", bl)):
        d = m[key]
        row("report", size, d, d.get("note") or f"`cli.py report --db X --no-refresh --output /dev/null`; {n(d)}")

    lines += ["", f"## Views: {sl} against {bl} runs", "",
              "`SELECT count(*) FROM (SELECT * FROM <view>)` on a read-only connection opened first, each view "
              f"in turn, {_plural(res.get('view_repeats', 1), 'time')}; the best sample (the least disturbed by "
              "other work on the machine). Times under 0.05 s are noisy, and a view with 0 rows (no batch sizes "
              "or fp16 runs in the synthetic data) measures its plan only.", "",
              f"| view | rows {sl} | s {sl} | rows {bl} | s {bl} | time {bl} / {sl} | rows {bl} / {sl} |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, b in res["views"]["big"].items():
        s = res["views"]["small"].get(name, {})
        lines.append(f"| `{name}` | {s.get('rows', 'n/a'):,} | {_s(s.get('wall_s'))} | {b['rows']:,} | "
                     f"{_s(b['wall_s'])} | {_fmt_ratio(_ratio(b['wall_s'], s.get('wall_s')))} | "
                     f"{_fmt_ratio(_ratio(b['rows'], s.get('rows')))} |")

    lines += [""] + site_markdown(res)

    lines += ["", "## Start-up on the seed", "",
              f"`benchmark.toml` ({res.get('seed_runs', 26)} runs) ingested into a scratch folder first; "
              f"median of {len(m['startup_cli_help'].get('samples_s', []))} runs each, interleaved.", "",
              "| command | wall s | × baseline | peak RSS MB |", "| --- | ---: | ---: | ---: |"]
    for key, name, base in (("startup_import_typer", "`import typer`", None),
                            ("startup_cli_help", "`cli.py --help`", "startup_import_typer"),
                            ("startup_bare_duckdb", "bare duckdb script", None),
                            ("startup_report_seed", "`cli.py report` on the seed", "startup_bare_duckdb")):
        d = m[key]
        ratio = _fmt_ratio(_ratio(d.get("wall_s"), m[base]["wall_s"])) if base else "baseline"
        cmd = d.get("command", d.get("note", ""))
        lines.append(f"| {name} | {_s(d.get('wall_s'))} | {ratio} | {_mb(d.get('peak_rss_bytes'))} |"
                     if d.get("wall_s") is not None else f"| {name} | n/a | n/a | {cmd} |")
    lines += ["", "Bare duckdb script: `python -c \"import duckdb; con = duckdb.connect('warehouse.duckdb', "
                  "read_only=True); con.execute('select count(*) from runs').fetchall()\"`."]

    if "compare" in res:
        lines += [""] + compare_markdown(res["compare"]).rstrip("\n").split("\n")
    lines += ["", "## Targets", "", "| target | measured | met | notes |", "| --- | ---: | --- | --- |"]
    for t in res["targets"]:
        v = t["measured"]
        shown = v if isinstance(v, str) else (f"{_s(v)} s" if t.get("unit") == "s" else _fmt_ratio(v))
        met = "n/a" if t["met"] is None else ("**met**" if t["met"] else "not met")
        if t["met"] and t.get("goal") is not None and v > t["goal"]:
            met += f" (goal ≤ {t['goal']}× not reached)"
        elif t["met"] and t.get("goal") is not None:
            met += " (goal reached)"
        lines.append(f"| {t['target']} | {shown} | {met} | {t['note']} |")
    met = sum(1 for t in res["targets"] if t["met"])
    lines += ["", f"{met} of {len(res['targets'])} targets met.", ""]
    return "\n".join(lines)
