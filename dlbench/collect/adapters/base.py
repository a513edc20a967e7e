"""The interface every framework adapter implements.

An adapter runs in the worker subprocess, one model at a time:

    a = TorchAdapter()                 # cheap: nothing imported yet
    a.available()                      # imports the framework, or raises FrameworkMissing
    a.build(spec, batch_size, "fp32", "cpu")
    a.make_input()
    a.before_step()                    # untimed: torch clears the parameters' gradients here
    h = a.forward(); a.synchronize()   # the training forward: keeps what backward needs
    a.backward(h); a.synchronize()     # gradients of every parameter (and of the image if asked)
    a.tensor_memory_bytes()            # untimed, after the loop: the framework's own account

Adding a framework (TensorFlow, ONNX Runtime) is one new module in this package
with a class implementing `Adapter` plus one line in `adapters/__init__.py`.

Backward follows convnet-benchmarks' benchmark.lua: `updateGradInput` +
`accGradParameters` with the output itself as the gradient of the output (no
loss). The lua sets `features:get(1).gradInput = nil`, so torch7 never computes
the gradient of the image itself; `input_gradient=False` (the default) matches
that, `True` adds it. Every other layer's input gradient is computed either way,
since the parameters' gradients need it.

Each timed step starts as a user's training step of that framework starts: torch's
gradients are cleared (`zero_grad(set_to_none=True)`, in `before_step`, outside the
timed region) unless `accumulate_gradients` keeps torch7's accumulating semantics.
"""
from __future__ import annotations

import abc
import os
import sys
from typing import Any

from ..models import ModelSpec

PRECISIONS = ("fp32", "bf16", "fp16")
DEVICES = ("cpu", "cuda")


class Adapter(abc.ABC):
    """One framework. Subclasses import the framework lazily, in `available()`."""

    name: str = ""  # as written to the TOML: "PyTorch", "JAX"
    key: str = ""  # as given on the command line: torch, jax
    module: str = ""  # the import that must work

    def __init__(self) -> None:
        self.spec: ModelSpec | None = None
        self.batch_size = 0
        self.precision = "fp32"
        self.device = "cpu"
        self.input_gradient = False
        self.accumulate_gradients = False  # torch7's accGradParameters: add into the old gradients
        self._baseline_rss: int | None = None

    # -- availability and versions -------------------------------------------
    @abc.abstractmethod
    def available(self) -> None:
        """Import the framework; raise FrameworkMissing (naming the pip command) if that fails."""

    @abc.abstractmethod
    def versions(self) -> dict:
        """{"version": "2.13.0", "libraries": [("oneDNN", "3.12.0"), ...]} for this device."""

    # -- the model ----------------------------------------------------------
    def build_text(self) -> str | None:
        """Which build of the framework ran ("cpu", "cuda 12.4"), when the framework says; None if not."""
        return None

    @abc.abstractmethod
    def build(self, spec: ModelSpec, batch_size: int, precision: str, device: str,
              input_gradient: bool = False, accumulate_gradients: bool = False) -> None:
        """Build `spec` with fresh random weights on `device` in `precision`.

        Raises PrecisionUnsupported or DeviceUnavailable with a clear message."""

    @abc.abstractmethod
    def make_input(self) -> None:
        """A random batch (batch_size, C, H, W) and the output gradient, on the device."""

    @abc.abstractmethod
    def forward(self) -> Any:
        """The training forward pass; returns a handle for `backward`."""

    @abc.abstractmethod
    def backward(self, handle: Any) -> Any:
        """Gradients of the parameters (and of the input when input_gradient) from `handle`."""

    def before_step(self) -> None:
        """Untimed, before every forward: what a training step of this framework does first
        (torch: clear the gradients). Nothing by default."""
        return None

    def forward_backward(self) -> Any:
        """One training step without the optimizer: forward then backward."""
        self.before_step()
        return self.backward(self.forward())

    @abc.abstractmethod
    def synchronize(self) -> None:
        """Wait until every queued computation has finished (block_until_ready, cuda.synchronize)."""

    @abc.abstractmethod
    def parameter_count(self) -> int:
        """Number of trainable scalars in the built model."""

    @abc.abstractmethod
    def threads(self) -> int:
        """Intra-op threads the framework uses on the CPU."""

    def set_threads(self, n: int) -> None:
        """Make the framework use `n` intra-op threads (after available(); the worker has already
        set the process's CPU affinity to `n` CPUs). Nothing by default (XLA:CPU obeys the affinity)."""
        return None

    # -- memory ---------------------------------------------------------------
    def reset_memory_baseline(self) -> None:
        """Call after the import and before build(): CPU peak memory is measured over this."""
        self._baseline_rss = current_rss_bytes()

    def process_memory_bytes(self) -> int | None:
        """This process's peak resident set over its baseline (taken by reset_memory_baseline):
        model, activations, gradients, but also the JIT compiler's memory, heap retention and
        code pages. On every device (it is host memory)."""
        peak = peak_rss_bytes()
        if peak is None or self._baseline_rss is None:
            return None
        return max(0, peak - self._baseline_rss)

    def peak_memory_bytes(self) -> int | None:
        """The `memory` figure as written before tensor_memory existed: CPU, process_memory_bytes;
        GPU adapters override with the allocator's peak."""
        return self.process_memory_bytes()

    def tensor_memory_bytes(self) -> int | None:
        """The framework's own account of the memory one training step's tensors need (parameters,
        input, activations, gradients, temporaries), when it has one; None when not. Called once,
        after the timed loop (it may run an untimed, profiled step)."""
        return None


def current_rss_bytes() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def peak_rss_bytes() -> int | None:
    """The process's peak resident set size, in bytes.

    Linux: VmHWM, the high-water mark of this process image's own memory (reset
    at exec). Not getrusage's ru_maxrss: Linux carries the parent's resident set
    at fork into it across exec, so a child spawned from a big process (a test
    run that imported torch) would report the parent's size. psutil has no peak
    on Linux, hence the one line of /proc. macOS: ru_maxrss (bytes there).
    Windows: psutil's peak working set."""
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/{os.getpid()}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
    if sys.platform == "win32":
        import psutil

        return getattr(psutil.Process().memory_info(), "peak_wset", None)
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
