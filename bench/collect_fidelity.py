"""Fidelity of `dlbench collect` on this machine: its median vs a bare loop of the
framework, and its per-run start-up overhead (dlbench/collect/fidelity.py).

    python bench/collect_fidelity.py [--model alexnet] [--batch-size 16] [--iterations 10] [--rounds 2]

Prints one markdown row per framework and writes the JSON to bench/collect-fidelity.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlbench.collect.fidelity import measure_fidelity  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--frameworks", default="torch,jax")
    p.add_argument("--model", default="alexnet")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--json", type=Path, default=Path(__file__).with_name("collect-fidelity.json"))
    a = p.parse_args()
    rows = [measure_fidelity(f, a.model, a.batch_size, a.iterations, a.warmup, a.rounds)
            for f in a.frameworks.split(",")]
    a.json.write_text(json.dumps(rows, indent=2) + "\n")
    print("| framework | model | batch | bare fwd+bwd ms | collector fwd+bwd ms | ratio fwd | ratio bwd | "
          "ratio total | start-up ms | wall overhead ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['framework']} | {r['model']} | {r['batch_size']} | {r['bare_total_ms']:.1f} | "
              f"{r['collector_total_ms']:.1f} | {r['ratio_forward']:.3f} | {r['ratio_backward']:.3f} | "
              f"{r['ratio_total']:.3f} | {r['startup_ms']:.0f} | {r['wall_overhead_ms']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
