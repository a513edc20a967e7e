"""collect(): what `dlbench collect` calls. Runs every (model, framework) in `repeats`
fresh worker processes, then appends the successful runs to the output TOML in one
atomic write. Failed processes (crash, out of memory, unsupported precision) are in
the result, not in the file: the format has no place for a run without times; a
configuration with at least one good process is written with its good processes.

Replication: one process is one sample of the machine's state (its caches, its
neighbours, the frequency it runs at), not many: iterations of one process are not
independent. So each configuration runs in `repeats` processes, interleaved round by
round (A B A B ..., never A A B B), so that the machine's drift hits every side
alike, and every sample is written with its process.

Threads: every worker of a collect gets the same `threads` (default: the CPUs in the
collector's affinity): its affinity is pinned to that many CPUs and the framework's
intra-op threads are set to it (worker.pin_threads, Adapter.set_threads).
"""
from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import os
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from . import write
from .adapters import DEVICES, PRECISIONS, framework_key
from .errors import CollectError, DuplicateRun, FrameworkMissing, MissingDependency
from .models import get_model
from .probe import Probe, probe
from .probe import machine_key as default_machine_key
from .runner import RunResult, RunSpec, run_one

# the adapter's display name and import name, known without importing the adapter's framework
FRAMEWORK_NAMES = {"torch": ("PyTorch", "torch"), "jax": ("JAX", "jax")}
DEFAULT_OUTPUT = Path("data/collected.toml")
# processes per configuration: 1 until the ingest reads the samples nested per process that more write
# (issue 20 asks for 3 by default once it does; `--repeats 3` measures that way now)
DEFAULT_REPEATS = 1


@dataclass
class Progress:
    """What `progress` callbacks get: kind is start, step (an iteration ended; message
    "warmup 1/2" or "timed 3/10"), done, failed or written."""
    kind: str
    index: int  # 1-based position of the run
    total: int
    spec: Optional[RunSpec] = None
    result: Optional[RunResult] = None
    message: str = ""


@dataclass
class CollectResult:
    output: Path
    machine_key: str
    machine: dict  # the machine section written (without models)
    runs: list[RunResult] = field(default_factory=list)
    written: bool = False  # False when no run succeeded (the output is then untouched)
    duration_s: float = 0.0
    command: str = ""

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.runs if not r.ok]

    @property
    def succeeded(self) -> list[RunResult]:
        return [r for r in self.runs if r.ok]


def _check_installed(key: str) -> None:
    """FrameworkMissing now, not one failed worker per model later (no framework import here)."""
    display, module = FRAMEWORK_NAMES.get(key, (key, key))
    if importlib.util.find_spec(module) is None:
        raise FrameworkMissing(display, module, "no such module")


def _package_version(key: str) -> Optional[str]:
    try:
        return importlib.metadata.version(FRAMEWORK_NAMES[key][1]).split("+")[0]
    except (importlib.metadata.PackageNotFoundError, KeyError):
        return None


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity), the default --threads."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on macOS
        return os.cpu_count() or 1


def collect(frameworks: Iterable[str], models: Iterable[str], batch_size: Optional[int] = None,
            precision: str = "fp32", iterations: int = 10, warmup: int = 2, device: str = "cpu",
            output: Path = DEFAULT_OUTPUT, machine_key: Optional[str] = None, replace: bool = False,
            progress: Optional[Callable[[Progress], None]] = None, input_gradient: bool = False,
            timeout_s: Optional[float] = None, command: Optional[str] = None,
            python: Optional[str] = None, repeats: int = DEFAULT_REPEATS, threads: Optional[int] = None,
            accumulate_gradients: bool = False) -> CollectResult:
    """Measure every model with every framework and append the runs to `output`.

    batch_size None: each model's default for the device (ModelSpec.cpu_batch_size on
    a CPU, the published batch size on a GPU). Raises a CollectError subclass for
    bad arguments, a missing framework, a machine key defined differently in
    `output`, or a run already in `output` (unless replace) -- all before anything
    runs. KeyboardInterrupt stops the running worker and writes nothing.

    repeats: processes per configuration, interleaved round by round. threads: the
    intra-op threads of every framework (None: available_cpus()). accumulate_gradients:
    torch keeps its gradients between steps (torch7's semantics) instead of clearing them."""
    started = time.perf_counter()
    keys = [framework_key(f) for f in frameworks]
    specs = [get_model(m) for m in models]
    if not keys or not specs:
        raise CollectError("nothing to collect: give at least one framework and one model")
    if precision not in PRECISIONS:
        raise CollectError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
    if device not in DEVICES:
        raise CollectError(f"unknown device {device!r}; expected one of {', '.join(DEVICES)}")
    if iterations < 1 or warmup < 0:
        raise CollectError(f"iterations must be at least 1 and warmup at least 0 (got {iterations}, {warmup})")
    if batch_size is not None and batch_size < 1:
        raise CollectError(f"batch size must be at least 1 (got {batch_size})")
    if repeats < 1:
        raise CollectError(f"repeats must be at least 1 (got {repeats})")
    cpus = available_cpus()
    threads = cpus if threads is None else threads
    if not 1 <= threads <= cpus:
        raise CollectError(f"threads must be between 1 and the {cpus} CPU(s) this process may use (got {threads})")
    for module, package in (("tomli_w", "tomli-w"), ("psutil", "psutil"), ("cpuinfo", "py-cpuinfo")):
        if importlib.util.find_spec(module) is None:  # now, not after minutes of measuring
            raise MissingDependency(package)
    for k in dict.fromkeys(keys):
        _check_installed(k)
    command = command if command is not None else shlex.join(sys.argv)
    output = Path(output)

    host: Probe = probe(device)
    key = machine_key or default_machine_key(host, device)
    machine = write.machine_table(host, device)
    doc = write.read_output(output)
    write.check_machine(doc, key, machine, output)

    plan = []
    for spec in specs:
        batch = batch_size or (spec.cpu_batch_size if device == "cpu" else spec.batch_size)
        for k in keys:
            plan.append(RunSpec(k, spec.key, batch, precision, device, warmup, iterations, input_gradient,
                                threads, accumulate_gradients))
    if not replace:  # refuse before spending minutes; libraries are known only after the run, so not compared
        for rs in plan:
            name, version = FRAMEWORK_NAMES[rs.framework][0], _package_version(rs.framework)
            spec = get_model(rs.model)
            hits = write.find_conflicts(doc, key, spec.name, name, version, precision, None, rs.batch_size)
            if hits:
                raise DuplicateRun(write.duplicate_message(output, key, spec.name, name, version, precision,
                                                           rs.batch_size, hits[0][2]))

    result = CollectResult(output=output, machine_key=key, machine=machine, command=command)
    order = interleaved(plan, repeats)
    for i, (process, rs) in enumerate(order, 1):
        if progress:
            which = f" (process {process + 1}/{repeats})" if repeats > 1 else ""
            progress(Progress("start", i, len(order), rs,
                              message=f"{rs.framework} {rs.model} batch {rs.batch_size}{which}"))
        step = None
        if progress:
            def step(phase: str, j: int, n: int, i=i, rs=rs) -> None:
                progress(Progress("step", i, len(order), rs, message=f"{phase} {j}/{n}"))
        run = run_one(rs, timeout_s=timeout_s, python=python, on_step=step)
        run.process = process
        result.runs.append(run)
        if progress:
            progress(Progress("done" if run.ok else "failed", i, len(order), rs, run,
                              message="" if run.ok else run.reason or ""))

    good = [combine([r.data for r in result.succeeded if r.spec == rs]) for rs in plan
            if any(r.spec == rs for r in result.succeeded)]
    if good:
        doc = write.read_output(output)  # again: another collector may have written meanwhile
        doc = write.merge(doc, key, machine, good, command, dt.date.today(), replace, output)
        write.write_atomic(output, write.dumps(doc))
        result.written = True
        if progress:
            progress(Progress("written", len(order), len(order), message=str(output)))
    result.duration_s = time.perf_counter() - started
    return result


def interleaved(plan: list[RunSpec], repeats: int) -> list[tuple[int, RunSpec]]:
    """(process index, configuration) in the order the processes run: round by round, every
    configuration once per round (A B A B ...), so drift of the machine hits every side alike."""
    return [(r, rs) for r in range(repeats) for rs in plan]


PER_PROCESS = ("effective_parallelism", "load_before", "load_after")


def combine(processes: list[dict]) -> dict:
    """One run from the measurements of its processes (in the order they ran).

    One process: its measurement unchanged (flat samples). Several: samples nested one inner
    list per process, forward/backward the median of the per-process medians, the per-process
    figures (PER_PROCESS) as lists, memory figures the median over processes."""
    if len(processes) == 1:
        return processes[0]
    run = dict(processes[0])
    for phase in ("forward", "backward"):
        run[f"{phase}_samples"] = [list(p[f"{phase}_samples"]) for p in processes]
        run[phase] = statistics.median(statistics.median(p[f"{phase}_samples"]) for p in processes)
    for k in PER_PROCESS:
        run[k] = [p.get(k) for p in processes]
    for k in ("memory_bytes", "process_memory_bytes", "tensor_memory_bytes"):
        values = [p[k] for p in processes if p.get(k) is not None]
        run[k] = int(statistics.median(values)) if values else None
    return run


# a process whose effective parallelism is below this share of its threads was starved of CPUs
STARVED_SHARE = 0.75


def quality_notes(data: dict, cpus: Optional[int] = None) -> list[str]:
    """What makes a run's numbers doubtful, one sentence per finding: a process that ran on far fewer
    CPUs than its threads (effective parallelism below STARVED_SHARE of them), or a load average
    above the machine's CPUs before or after a timed loop (a co-tenant)."""
    cpus = cpus or os.cpu_count() or 1
    notes = []
    threads = data.get("threads")
    eff = write.per_process(data, "effective_parallelism")
    several = len(eff) > 1
    for i, e in enumerate(eff):
        if e is not None and threads and e < STARVED_SHARE * threads:
            notes.append(f"{'process %d: ' % (i + 1) if several else ''}effective parallelism {e:.2f} "
                         f"of {threads} thread(s)")
    loads = [x for k in ("load_before", "load_after") for x in write.per_process(data, k) if x is not None]
    if loads and max(loads) > cpus:
        notes.append(f"load average up to {max(loads):.2f} on {cpus} CPU(s)")
    return notes


def summary_rows(result: CollectResult) -> list[dict]:
    """One row per process for a summary table, in the order they ran; units in the column names,
    None where unknown."""
    rows = []
    for r in result.runs:
        d = r.data if r.ok else {}
        fwd, bwd = d.get("forward_samples") or [], d.get("backward_samples") or []
        notes = quality_notes(d) if r.ok else []
        spec = get_model(r.spec.model)
        rows.append({
            "model": spec.name,
            "framework": d.get("framework") or FRAMEWORK_NAMES.get(r.spec.framework, (r.spec.framework,))[0],
            "version": d.get("version"),
            "precision": r.spec.precision,
            "batch_size": r.spec.batch_size,
            "status": "ok" if r.ok else "failed",
            "forward_ms": d.get("forward"),
            "backward_ms": d.get("backward"),
            "total_ms": (d["forward"] + d["backward"]) if r.ok else None,
            "forward_min_ms": min(fwd) if fwd else None,
            "forward_max_ms": max(fwd) if fwd else None,
            "backward_min_ms": min(bwd) if bwd else None,
            "backward_max_ms": max(bwd) if bwd else None,
            "forward_iqr_ms": _iqr(fwd),
            "backward_iqr_ms": _iqr(bwd),
            "process": r.process + 1,
            "memory_mb": round(d["memory_bytes"] / 1e6, 1) if d.get("memory_bytes") is not None else None,
            "process_memory_mb": _mb(d.get("process_memory_bytes")),
            "tensor_memory_mb": _mb(d.get("tensor_memory_bytes")),
            "threads": d.get("threads"),
            "effective_parallelism": d.get("effective_parallelism"),
            "note": "; ".join(notes) or None,
            "wall_s": round(r.wall_s, 2),
            "reason": r.reason,
        })
    return rows


def _mb(n: Optional[int]) -> Optional[float]:
    return round(n / 1e6, 1) if n is not None else None


def _iqr(xs: list[float]) -> Optional[float]:
    if len(xs) < 2:
        return None
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[2] - q[0]
