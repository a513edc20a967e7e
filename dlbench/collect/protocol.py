"""The measuring loop, run inside one fresh worker process (and by fidelity.py).

Follows convnet-benchmarks' benchmark.lua: build the model and a random batch,
`warmup` untimed forward+backward passes (nDryRuns there), then `iterations`
timed ones. Unlike the lua, which times 10 forwards in one block and then 10
backwards, each iteration here times its forward and its backward apart, with
a synchronisation before every clock read, so every sample is kept (in
iteration order) and the median is robust to a noisy shared machine. The clock
is time.perf_counter_ns.

What is timed: the adapter's forward (a training forward) and its backward, each
ended by a synchronisation. What is not: `before_step` (torch clears the gradients
there), dropping the forward's handle, and the progress callback. Over the whole
timed loop the process's CPU time (every thread's) is divided by the wall time:
`effective_parallelism`, the threads that really ran (below the threads asked for
when a co-tenant took the CPUs); the 1-minute load average is read just before and
just after the loop.
"""
from __future__ import annotations

import gc
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

from .adapters.base import Adapter
from .models import ModelSpec

CLOCK = "time.perf_counter_ns"


def ms(ns: int) -> float:
    """Nanoseconds to milliseconds, rounded to the nanosecond the clock gives."""
    return round(ns / 1e6, 6)


def load_average() -> float | None:
    """The 1-minute load average (None where the OS has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


@dataclass
class Loop:
    """What timed_loop measured: the samples, and how the machine was over the timed loop."""
    forward: list[float] = field(default_factory=list)  # ms, one per timed iteration, in order
    backward: list[float] = field(default_factory=list)
    cpu_s: float = 0.0  # the process's CPU time (all threads) over the timed loop
    wall_s: float = 0.0
    load_before: float | None = None
    load_after: float | None = None

    @property
    def effective_parallelism(self) -> float | None:
        return round(self.cpu_s / self.wall_s, 3) if self.wall_s > 0 else None


def timed_loop(adapter: Adapter, warmup: int, iterations: int,
               on_step: Callable[[str, int, int], None] | None = None) -> Loop:
    """The forward_ms and backward_ms samples, one of each per timed iteration, in order, and
    the CPU time, wall time and load over the timed loop. on_step(phase, i, n) after each
    warm-up ("warmup") and timed ("timed") iteration, outside the timed region (the CLI's
    progress bar)."""
    clock = time.perf_counter_ns
    for i in range(warmup):
        adapter.before_step()
        h = adapter.forward()
        adapter.synchronize()
        adapter.backward(h)
        adapter.synchronize()
        del h
        if on_step:
            on_step("warmup", i + 1, warmup)
    gc.collect()  # benchmark.lua calls collectgarbage() between phases too
    loop = Loop(load_before=load_average())
    forward, backward = loop.forward, loop.backward
    cpu0, wall0 = time.process_time_ns(), clock()
    for _ in range(iterations):
        adapter.before_step()
        adapter.synchronize()
        t0 = clock()
        h = adapter.forward()
        adapter.synchronize()
        t1 = clock()
        adapter.backward(h)
        adapter.synchronize()
        t2 = clock()
        del h  # drop the forward's saved activations before the next forward
        forward.append(ms(t1 - t0))
        backward.append(ms(t2 - t1))
        if on_step:
            on_step("timed", len(forward), iterations)
    loop.cpu_s, loop.wall_s = (time.process_time_ns() - cpu0) / 1e9, (clock() - wall0) / 1e9
    loop.load_after = load_average()
    return loop


def measure(adapter: Adapter, spec: ModelSpec, batch_size: int, precision: str, device: str,
            warmup: int, iterations: int, input_gradient: bool = False,
            on_step: Callable[[str, int, int], None] | None = None, threads: int | None = None,
            accumulate_gradients: bool = False) -> dict:
    """Import, build, warm up and time one (framework, model, precision); plain data out.
    threads: the intra-op threads to set (the caller has set the CPU affinity already)."""
    clock = time.perf_counter_ns
    t0 = clock()
    adapter.available()
    if threads is not None:
        adapter.set_threads(threads)
    t1 = clock()
    adapter.reset_memory_baseline()
    adapter.build(spec, batch_size, precision, device, input_gradient=input_gradient,
                  accumulate_gradients=accumulate_gradients)
    adapter.make_input()
    t2 = clock()
    loop = timed_loop(adapter, warmup, iterations, on_step)
    forward, backward = loop.forward, loop.backward
    t3 = clock()
    memory, process_memory = adapter.peak_memory_bytes(), adapter.process_memory_bytes()  # before the next line
    tensor_memory = adapter.tensor_memory_bytes()
    versions = adapter.versions()
    return {
        "framework": adapter.name,
        "framework_key": adapter.key,
        "version": versions["version"],
        "libraries": [list(lib) for lib in versions["libraries"]],
        "model": spec.key,
        "model_name": spec.name,
        "input": spec.input_text,
        "batch_size": batch_size,
        "precision": precision,
        "device": device,
        "input_gradient": input_gradient,
        "accumulate_gradients": adapter.accumulate_gradients,
        "warmup": warmup,
        "iterations": iterations,
        "clock": CLOCK,
        "forward_samples": forward,
        "backward_samples": backward,
        "forward": statistics.median(forward),
        "backward": statistics.median(backward),
        "threads": adapter.threads(),
        "affinity_cpus": _affinity_size(),
        "effective_parallelism": loop.effective_parallelism,
        "load_before": loop.load_before,
        "load_after": loop.load_after,
        "build": adapter.build_text(),
        "parameter_count": adapter.parameter_count(),
        "memory_bytes": memory,
        "process_memory_bytes": process_memory,
        "tensor_memory_bytes": tensor_memory,
        "import_ms": ms(t1 - t0),
        "build_ms": ms(t2 - t1),
        "loop_ms": ms(t3 - t2),
    }


def _affinity_size() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on macOS
        return None
