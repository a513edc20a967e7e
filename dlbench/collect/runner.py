"""Run each measurement in a fresh subprocess and collect its JSON.

A run that crashes, is killed (out of memory) or times out becomes a failed
RunResult with the reason; the caller goes on with the next run. On Ctrl-C the
child is killed and KeyboardInterrupt propagates: nothing is returned, so the
caller writes nothing.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

# the folder holding the `dlbench` package, put first on the child's PYTHONPATH
# (dlbench/ may be a namespace package until the new layout lands)
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
STDERR_TAIL = 2000  # characters of a crashed child's output kept in the reason


@dataclass(frozen=True)
class RunSpec:
    """One measurement: what the worker gets as --spec JSON."""
    framework: str  # adapter key: torch, jax
    model: str  # model key: alexnet, overfeat, vgg_a, googlenet
    batch_size: int
    precision: str = "fp32"
    device: str = "cpu"
    warmup: int = 2
    iterations: int = 10
    input_gradient: bool = False
    threads: int | None = None  # None: the framework's default (the worker pins nothing)
    accumulate_gradients: bool = False


@dataclass
class RunResult:
    spec: RunSpec
    ok: bool
    reason: str | None = None  # why it failed
    data: dict = field(default_factory=dict)  # the worker's measurement when ok
    wall_s: float = 0.0  # spawn to reap, as seen by the collector
    process: int = 0  # which of its configuration's processes this was (0-based, in the order they ran)

    def as_dict(self) -> dict:
        return {"spec": asdict(self.spec), "ok": self.ok, "reason": self.reason, "data": self.data,
                "wall_s": self.wall_s, "process": self.process}


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


def _tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    text = text.strip()
    return text[-STDERR_TAIL:]


POLL_S = 0.2  # how often the progress file is read while a worker runs


def run_one(spec: RunSpec, timeout_s: float | None = None, python: str | None = None,
            on_step: Callable[[str, int, int], None] | None = None) -> RunResult:
    """Run `spec` in a new process (`python -m dlbench.collect.worker`) and wait for it.
    on_step(phase, i, n) is called for each iteration the worker reports."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    with tempfile.TemporaryDirectory(prefix="dlbench-collect-") as tmp:
        out = Path(tmp) / "result.json"
        log = Path(tmp) / "output.txt"
        steps = Path(tmp) / "progress.txt"
        payload = dict(asdict(spec), spawned_at_ns=time.time_ns())
        cmd = [python or sys.executable, "-m", "dlbench.collect.worker", "--spec", json.dumps(payload),
               "--out", str(out), "--progress", str(steps)]
        start = time.perf_counter()
        with open(log, "wb") as logf:
            # a new session: Ctrl-C reaches the collector only, which then kills the child itself
            child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)
            seen = 0
            try:
                while True:
                    try:
                        rc = child.wait(timeout=POLL_S)
                        break
                    except subprocess.TimeoutExpired:
                        if timeout_s is not None and time.perf_counter() - start > timeout_s:
                            _kill(child)
                            return RunResult(spec, False, f"timed out after {timeout_s:g} s; killed",
                                             wall_s=time.perf_counter() - start)
                        seen = _report_steps(steps, seen, on_step)
                _report_steps(steps, seen, on_step)
            except BaseException:  # KeyboardInterrupt, SystemExit: stop the child, write nothing
                _kill(child)
                raise
        wall = time.perf_counter() - start
        result = None
        if out.exists():
            try:
                result = json.loads(out.read_text())
            except (OSError, ValueError) as e:
                return RunResult(spec, False, f"unreadable result from the worker: {e}", wall_s=wall)
        if result is not None and result.get("ok"):
            return RunResult(spec, True, data=result, wall_s=wall)
        if result is not None:
            return RunResult(spec, False, result.get("reason") or "failed", wall_s=wall)
        if rc < 0:
            name = _signal_name(-rc)
            hint = " (the out-of-memory killer sends this; is the batch too large?)" if -rc == signal.SIGKILL else ""
            reason = f"worker killed by {name}{hint}"
        else:
            reason = f"worker exited with status {rc}"
        tail = _tail(log)
        if tail:
            reason += "; its output ends: " + tail.splitlines()[-1][:500]
        return RunResult(spec, False, reason, data={"output_tail": tail}, wall_s=wall)


def _report_steps(path: Path, seen: int, on_step) -> int:
    """Pass the progress lines after the first `seen` to on_step; the new count."""
    if on_step is None or not path.exists():
        return seen
    lines = path.read_text().splitlines()
    for line in lines[seen:]:
        parts = line.split()
        if len(parts) == 3:
            on_step(parts[0], int(parts[1]), int(parts[2]))
    return max(seen, len(lines))


def _kill(child: subprocess.Popen) -> None:
    """Kill the worker and its whole session (it may have started helpers), then reap it."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        child.kill()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
