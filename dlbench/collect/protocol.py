"""The measuring loop, run inside one fresh worker process (and by fidelity.py).

Follows convnet-benchmarks' benchmark.lua: build the model and a random batch,
`warmup` untimed forward+backward passes (nDryRuns there), then `iterations`
timed ones. Unlike the lua, which times 10 forwards in one block and then 10
backwards, each iteration here times its forward and its backward apart, with
a synchronisation before every clock read, so every sample is kept (in
iteration order) and the median is robust to a noisy shared machine. The clock
is time.perf_counter_ns.
"""
from __future__ import annotations

import gc
import statistics
import time
from typing import Callable

from .adapters.base import Adapter
from .models import ModelSpec

CLOCK = "time.perf_counter_ns"


def ms(ns: int) -> float:
    """Nanoseconds to milliseconds, rounded to the nanosecond the clock gives."""
    return round(ns / 1e6, 6)


def timed_loop(adapter: Adapter, warmup: int, iterations: int,
               on_step: Callable[[str, int, int], None] | None = None) -> tuple[list[float], list[float]]:
    """(forward_ms, backward_ms) samples, one of each per timed iteration, in order.
    on_step(phase, i, n) after each warm-up ("warmup") and timed ("timed") iteration,
    outside the timed region (the CLI's progress bar)."""
    clock = time.perf_counter_ns
    for i in range(warmup):
        h = adapter.forward()
        adapter.synchronize()
        adapter.backward(h)
        adapter.synchronize()
        del h
        if on_step:
            on_step("warmup", i + 1, warmup)
    gc.collect()  # benchmark.lua calls collectgarbage() between phases too
    forward, backward = [], []
    for _ in range(iterations):
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
    return forward, backward


def measure(adapter: Adapter, spec: ModelSpec, batch_size: int, precision: str, device: str,
            warmup: int, iterations: int, input_gradient: bool = False,
            on_step: Callable[[str, int, int], None] | None = None) -> dict:
    """Import, build, warm up and time one (framework, model, precision); plain data out."""
    clock = time.perf_counter_ns
    t0 = clock()
    adapter.available()
    t1 = clock()
    adapter.reset_memory_baseline()
    adapter.build(spec, batch_size, precision, device, input_gradient=input_gradient)
    adapter.make_input()
    t2 = clock()
    forward, backward = timed_loop(adapter, warmup, iterations, on_step)
    t3 = clock()
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
        "warmup": warmup,
        "iterations": iterations,
        "clock": CLOCK,
        "forward_samples": forward,
        "backward_samples": backward,
        "forward": statistics.median(forward),
        "backward": statistics.median(backward),
        "threads": adapter.threads(),
        "parameter_count": adapter.parameter_count(),
        "memory_bytes": adapter.peak_memory_bytes(),
        "import_ms": ms(t1 - t0),
        "build_ms": ms(t2 - t1),
        "loop_ms": ms(t3 - t2),
    }
