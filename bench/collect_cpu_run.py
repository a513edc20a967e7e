"""The real CPU run of `dlbench collect` (issue 12): torch and jax, the four ImageNet
winners, fp32, the CPU default batch sizes, into data/collected-cpu.toml.

    python bench/collect_cpu_run.py [--output data/collected-cpu.toml] [--iterations 10] [--warmup 2] [--replace]
        [--repeats 3] [--threads N] [--accumulate-gradients]

Issue 20's protocol: --repeats processes per configuration, interleaved round by round,
every framework on --threads threads (default: the CPUs of this process's affinity); the
load average is printed before and after, and per process in the file.

Prints each run as it ends and a summary (medians and min/max of the samples) with
the total wall time. It calls dlbench.collect.collect exactly as the CLI will.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlbench.collect import collect, summary_rows  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--output", type=Path, default=Path("data/collected-cpu.toml"))
    p.add_argument("--frameworks", default="torch,jax")
    p.add_argument("--models", default="alexnet,overfeat,vgg_a,googlenet")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--replace", action="store_true")
    p.add_argument("--repeats", type=int, default=3, help="fresh processes per configuration (default 3)")
    p.add_argument("--threads", type=int, default=None, help="default: the CPUs of this process's affinity")
    p.add_argument("--accumulate-gradients", action="store_true")
    a = p.parse_args()
    t0 = time.perf_counter()
    print(f"load average before: {os.getloadavg()}", flush=True)

    def progress(ev):
        if ev.kind in ("done", "failed"):
            r = ev.result
            extra = (f"forward {r.data['forward']:.1f} ms backward {r.data['backward']:.1f} ms" if r.ok
                     else r.reason)
            print(f"[{time.perf_counter() - t0:7.1f}s] {ev.index}/{ev.total} {ev.kind:6} {ev.message or ''} "
                  f"{r.spec.framework} {r.spec.model} b{r.spec.batch_size} ({r.wall_s:.1f}s) {extra}", flush=True)

    res = collect(a.frameworks.split(","), a.models.split(","), batch_size=a.batch_size, iterations=a.iterations,
                  warmup=a.warmup, output=a.output, replace=a.replace, progress=progress, repeats=a.repeats,
                  threads=a.threads, accumulate_gradients=a.accumulate_gradients)
    print(f"machine {res.machine_key}; wrote {res.output}: {res.written}; {len(res.failed)} failed; "
          f"{res.duration_s:.1f} s in all; load average after: {os.getloadavg()}")
    cols = ["model", "framework", "batch_size", "process", "status", "forward_ms", "forward_min_ms", "forward_max_ms",
            "backward_ms", "backward_min_ms", "backward_max_ms", "process_memory_mb", "tensor_memory_mb", "threads",
            "effective_parallelism", "wall_s", "note"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in summary_rows(res):
        print("| " + " | ".join(f"{row[c]:.2f}" if isinstance(row[c], float) else str(row[c]) for c in cols) + " |")
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
