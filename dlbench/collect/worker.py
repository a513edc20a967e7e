"""One measurement in a fresh process: `python -m dlbench.collect.worker --spec JSON --out FILE`.

The runner starts one of these per (framework, model, precision), so caches and
allocator state never carry over from one run to the next. It writes one JSON
object to --out: the measurement (`"ok": true`) or the reason it could not run
(`"ok": false`, for the collector's own errors such as an unsupported
precision). Anything else (a crash, the out-of-memory killer) leaves no file and
the runner reports the exit status and the end of stderr.

Threads: a spec with `threads` N pins this process to N of the CPUs it may use
(`os.sched_setaffinity`, before any framework is imported: XLA:CPU sizes its pool
to the affinity and obeys nothing else) and sets OMP_NUM_THREADS / MKL_NUM_THREADS
to N; the adapter then sets the framework's own knob (`torch.set_num_threads`). For
N = 1 XLA_FLAGS gets `--xla_cpu_multi_thread_eigen=false` too (the flag this jaxlib
has; XLA's old `intra_op_parallelism_threads` is no XLA_FLAGS flag).

Test hook: DLBENCH_COLLECT_CRASH="<framework>:<model>[:kill|abort|raise|hang]" makes the
matching run die after building its model (SIGKILL by default, as the
out-of-memory killer would), so tests can check the other runs go on.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

CRASH_ENV = "DLBENCH_COLLECT_CRASH"


def _write_json(path: str, data: dict) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def _maybe_crash(framework: str, model: str) -> None:
    hook = os.environ.get(CRASH_ENV, "")
    if not hook:
        return
    parts = hook.split(":")
    if parts[:2] != [framework, model]:
        return
    how = parts[2] if len(parts) > 2 else "kill"
    sys.stderr.write(f"{CRASH_ENV}={hook}: crashing on purpose ({how})\n")
    sys.stderr.flush()
    if how == "abort":
        os.abort()
    if how == "raise":
        raise RuntimeError("crash requested by " + CRASH_ENV)
    if how == "hang":  # for the Ctrl-C test: a run that never ends by itself
        time.sleep(3600)
    os.kill(os.getpid(), signal.SIGKILL)


def pin_threads(n: int) -> list[int]:
    """This process on the first `n` CPUs of its affinity, and the thread variables set; the CPUs."""
    try:
        cpus = sorted(os.sched_getaffinity(0))[:n]
        os.sched_setaffinity(0, cpus)
    except AttributeError:  # no affinity on this OS (macOS): the variables only
        cpus = list(range(n))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    if n == 1 and "xla_cpu_multi_thread_eigen" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
    return cpus


def main(argv=None) -> int:
    started_ns = time.time_ns()
    p = argparse.ArgumentParser(prog="python -m dlbench.collect.worker")
    p.add_argument("--spec", required=True, help="the run as JSON (see runner.RunSpec)")
    p.add_argument("--out", required=True, help="where to write the result JSON")
    p.add_argument("--progress", help="append a line 'PHASE I N' here after each iteration")
    args = p.parse_args(argv)
    progress = open(args.progress, "a", buffering=1) if args.progress else None

    def on_step(phase: str, i: int, n: int) -> None:
        if progress is not None:
            progress.write(f"{phase} {i} {n}\n")

    spec = json.loads(args.spec)
    if spec.get("threads"):
        pin_threads(int(spec["threads"]))  # before the framework's import

    from .adapters import get_adapter
    from .errors import CollectError
    from .models import get_model
    from .protocol import measure

    spawn_ms = max(0.0, (started_ns - spec.get("spawned_at_ns", started_ns)) / 1e6)
    adapter = get_adapter(spec["framework"])
    model = get_model(spec["model"])
    try:
        if os.environ.get(CRASH_ENV):
            orig_make_input = adapter.make_input

            def make_input():
                orig_make_input()
                _maybe_crash(adapter.key, model.key)

            vars(adapter)["make_input"] = make_input  # shadows the method on this instance only
        result = measure(adapter, model, spec["batch_size"], spec["precision"], spec["device"],
                         spec["warmup"], spec["iterations"], spec.get("input_gradient", False), on_step,
                         threads=spec.get("threads"), accumulate_gradients=spec.get("accumulate_gradients", False))
    except CollectError as e:
        _write_json(args.out, {"ok": False, "reason": f"{type(e).__name__}: {e}"})
        return 3
    result["ok"] = True
    result["spawn_ms"] = round(spawn_ms, 3)
    _write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
