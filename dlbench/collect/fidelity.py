"""Does an adapter's forward + backward cost what the framework's plain training step costs?

`measure_fidelity` times, in this process and interleaved pair by pair, the collector's own
adapter through the protocol (protocol.timed_loop: forward and backward timed apart, the
sum per iteration) and an independent reference written directly against the framework,
on the same model, batch and inputs:

* PyTorch: `torch.utils.benchmark.Timer` over `model(x).backward(g)` with
  `model.zero_grad(set_to_none=True)` as its setup, one step per `timeit(1)`, so the
  gradients are cleared before every step and untimed, as the collector clears them
  (freeing AlexNet's 244 MB of gradients took 25-100 ms on the 2-core VM this was
  measured on: inside the timed statement the reference was 0.87-0.91x the adapter's
  speed for that alone); the threads set to the collector's (Timer's default is one);
* JAX: a hand-written `jax.jit(jax.value_and_grad(loss))` step, loss = sum(output * g),
  whose gradients are the adapter's (g is the output gradient), timed with
  perf_counter_ns around `block_until_ready`.

Neither reference shares code with the adapters, so a bias of the adapters (gradients that
accumulate, weights copied by the forward) shows as a ratio away from 1; the collector's
own loop against itself (the fidelity check before issue 20) could not see either.

Each pair times `iterations` steps of one side, then of the other (the order alternates
pair by pair, so neither side always runs on a warmer machine); the pair's ratio is the
adapter's median step / the reference's median step. The figures are the median and
quartiles of the ratios over the pairs, with the load average before and after.
"""
from __future__ import annotations

import statistics
import time

from .adapters import get_adapter
from .models import get_model
from .protocol import load_average, ms, timed_loop


def _quartiles(xs: list[float]) -> tuple[float, float]:
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def _reference(adapter):
    """A function timing `n` steps of the framework's plain training step: their ms, in order."""
    clock = time.perf_counter_ns
    if adapter.key == "torch":
        import torch.utils.benchmark as tb

        timer = tb.Timer(stmt="model(x).backward(g)", setup="model.zero_grad(set_to_none=True)",
                         globals={"model": adapter.model, "x": adapter.x, "g": adapter.grad_out},
                         num_threads=adapter.torch.get_num_threads(), label="plain torch step")

        def run(n: int) -> list[float]:  # timeit(1): the setup (untimed) before every step
            return [timer.timeit(1).median * 1e3 for _ in range(n)]
        return run, "torch.utils.benchmark.Timer: model(x).backward(g), setup zero_grad(set_to_none=True)"
    if adapter.key == "jax":
        import jax
        import jax.numpy as jnp

        apply, x, g = adapter._apply, adapter.x, adapter.grad_out
        step = jax.jit(jax.value_and_grad(lambda p: jnp.sum(apply(p, x) * g)))
        params = adapter.params

        def run(n: int) -> list[float]:
            out = []
            for _ in range(n):
                t0 = clock()
                jax.block_until_ready(step(params))
                out.append(ms(clock() - t0))
            return out
        return run, "jax.jit(jax.value_and_grad(sum(apply(params, x) * g)))"
    raise NotImplementedError(f"no reference step for {adapter.key}")


def measure_fidelity(framework: str, model: str = "alexnet", batch_size: int = 4, pairs: int = 10,
                     iterations: int = 5, warmup: int = 2, precision: str = "fp32") -> dict:
    """The adapter's step against the framework's plain step, interleaved over `pairs` pairs."""
    a = get_adapter(framework)
    a.available()
    a.build(get_model(model), batch_size, precision, "cpu")
    a.make_input()
    reference, what = _reference(a)
    timed_loop(a, warmup, 0)  # warm-up (and compile) both sides before the first pair
    reference(warmup)
    load_before = load_average()
    ratios, adapter_ms, reference_ms, fwd_ms, bwd_ms = [], [], [], [], []
    for i in range(pairs):
        sides = ["adapter", "reference"] if i % 2 == 0 else ["reference", "adapter"]
        for side in sides:
            if side == "adapter":
                loop = timed_loop(a, 0, iterations)
                adapter_ms.append(statistics.median(f + b for f, b in zip(loop.forward, loop.backward)))
                fwd_ms.append(statistics.median(loop.forward))
                bwd_ms.append(statistics.median(loop.backward))
            else:
                reference_ms.append(statistics.median(reference(iterations)))
        ratios.append(adapter_ms[-1] / reference_ms[-1])
    q1, q3 = _quartiles(ratios)
    med = statistics.median
    return {
        "framework": framework, "model": model, "batch_size": batch_size, "pairs": pairs,
        "iterations": iterations, "warmup": warmup, "reference": what,
        "threads": a.threads(),
        "adapter_step_ms": med(adapter_ms), "adapter_forward_ms": med(fwd_ms), "adapter_backward_ms": med(bwd_ms),
        "reference_step_ms": med(reference_ms),
        "ratio": med(ratios), "ratio_q1": q1, "ratio_q3": q3,
        "ratios": ratios, "adapter_step_medians_ms": adapter_ms, "reference_step_medians_ms": reference_ms,
        "load_before": load_before, "load_after": load_average(),
    }
