"""How faithful is the collector? Compare its median with a bare loop of the framework.

`measure_fidelity` times, in this process, a bare loop written directly against the
framework (the same model, batch and inputs, timed the same way: perf_counter_ns
with a sync before each clock read, forward and backward apart), and runs the
collector's own worker for the same (framework, model, batch) in a fresh process.
The ratio collector / bare near 1.0 says the adapter layer and the subprocess add
nothing to the times; the start-up overhead is what each collected run costs
before its first timed iteration (spawn + interpreter + import + build), and the
wall overhead is everything of the run's wall time that is not the timed loop.

The two are run alternately (`rounds` times each) so a noisy machine's drift hits
both alike; the figures are medians over the rounds.
"""
from __future__ import annotations

import statistics
import time

from .adapters import get_adapter
from .adapters.jax_adapter import JaxAdapter
from .adapters.torch_adapter import TorchAdapter
from .models import get_model
from .protocol import ms
from .runner import RunSpec, run_one


def bare_loop(framework: str, model: str, batch_size: int, warmup: int, iterations: int,
              precision: str = "fp32") -> tuple[list[float], list[float]]:
    """(forward_ms, backward_ms) from a loop written against the framework itself."""
    spec = get_model(model)
    a = get_adapter(framework)
    a.available()
    a.build(spec, batch_size, precision, "cpu")
    a.make_input()
    clock = time.perf_counter_ns
    fwd, bwd = [], []
    if a.key == "torch":
        assert isinstance(a, TorchAdapter)
        net, x, g = a.model, a.x, a.grad_out
        for i in range(warmup + iterations):
            t0 = clock()
            out = net(x)
            t1 = clock()
            out.backward(g)
            t2 = clock()
            del out
            if i >= warmup:
                fwd.append(ms(t1 - t0))
                bwd.append(ms(t2 - t1))
    elif a.key == "jax":
        import jax

        assert isinstance(a, JaxAdapter)
        apply, params, x, g = a._apply, a.params, a.x, a.grad_out
        f = jax.jit(lambda p, x: jax.vjp(lambda q: apply(q, x), p))
        b = jax.jit(lambda vjp_fn, g: vjp_fn(g))
        for i in range(warmup + iterations):
            t0 = clock()
            out = jax.block_until_ready(f(params, x))
            t1 = clock()
            jax.block_until_ready(b(out[1], g))
            t2 = clock()
            del out
            if i >= warmup:
                fwd.append(ms(t1 - t0))
                bwd.append(ms(t2 - t1))
    else:
        raise NotImplementedError(f"no bare loop for {framework}")
    return fwd, bwd


def measure_fidelity(framework: str, model: str, batch_size: int, iterations: int = 10, warmup: int = 2,
                     rounds: int = 2, precision: str = "fp32") -> dict:
    """Bare-loop and collector medians, their ratio, and the collector's per-run overheads."""
    bare_f, bare_b, col_f, col_b, startup, wall_over, walls = [], [], [], [], [], [], []
    for _ in range(rounds):
        f, b = bare_loop(framework, model, batch_size, warmup, iterations, precision)
        bare_f.append(statistics.median(f))
        bare_b.append(statistics.median(b))
        r = run_one(RunSpec(framework, model, batch_size, precision, "cpu", warmup, iterations))
        if not r.ok:
            raise RuntimeError(f"the collector's run failed: {r.reason}")
        d = r.data
        col_f.append(d["forward"])
        col_b.append(d["backward"])
        startup.append(d["spawn_ms"] + d["import_ms"] + d["build_ms"])
        wall_over.append(r.wall_s * 1000 - d["loop_ms"])
        walls.append(r.wall_s)
    med = statistics.median
    bare_total, col_total = med(bare_f) + med(bare_b), med(col_f) + med(col_b)
    return {
        "framework": framework, "model": model, "batch_size": batch_size, "iterations": iterations,
        "warmup": warmup, "rounds": rounds,
        "bare_forward_ms": med(bare_f), "bare_backward_ms": med(bare_b), "bare_total_ms": bare_total,
        "collector_forward_ms": med(col_f), "collector_backward_ms": med(col_b), "collector_total_ms": col_total,
        "ratio_forward": med(col_f) / med(bare_f), "ratio_backward": med(col_b) / med(bare_b),
        "ratio_total": col_total / bare_total,
        "startup_ms": med(startup),  # spawn + interpreter + import + build, per run
        "wall_overhead_ms": med(wall_over),  # the run's wall time minus its warm-up and timed loop's
        "run_wall_s": med(walls),
        "bare_forward_medians_ms": bare_f, "collector_forward_medians_ms": col_f,
        "bare_backward_medians_ms": bare_b, "collector_backward_medians_ms": col_b,
    }
