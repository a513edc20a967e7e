"""PyTorch (eager, NCHW) from the layer specs in models.py. torch is imported in available().

A timed step is what a PyTorch user's training step is: the gradients are cleared with
`zero_grad(set_to_none=True)` before it, outside the timed region (`before_step`), so the
backward allocates fresh gradients instead of adding into the old ones. Without that (the
protocol before issue 20), every backward after the first ran a memory-bound add over all
the parameters (AccumulateGrad: 39.6 ms of a 223 ms AlexNet backward in the profiler; the
backward 1.09-1.20x slower). torch7 folded the accumulation into its GEMM (beta = 1), where
it cost nothing; `accumulate_gradients=True` (`--accumulate-gradients`) keeps its semantics
anyway, and is recorded on the run.

tensor_memory: the parameters, their gradients (when kept), the input and the output
gradient, plus the peak of what one step allocates, from the profiler's memory events
(`profile_memory=True`) on a CPU, `torch.cuda.max_memory_allocated` on a GPU (untested).
"""
from __future__ import annotations

import re
from typing import Any

from ..errors import DeviceUnavailable, FrameworkMissing, PrecisionUnsupported
from ..models import AvgPool, Concat, Conv, Flatten, Linear, MaxPool, ModelSpec, ReLU, Threshold, output_shape
from .base import Adapter


class TorchAdapter(Adapter):
    name = "PyTorch"
    key = "torch"
    module = "torch"

    def available(self) -> None:
        try:
            import torch  # noqa: F401
        except Exception as e:  # ImportError, or a broken install failing in its own import
            raise FrameworkMissing("PyTorch", "torch", str(e)) from e
        self.torch = torch

    def versions(self) -> dict:
        torch = self.torch
        libs: list[tuple[str, str]] = []
        if self.device == "cuda":
            libs.append(("CUDA", str(torch.version.cuda)))
            if torch.backends.cudnn.is_available():
                v = torch.backends.cudnn.version()  # e.g. 90100 -> 9.1.0
                libs.append(("cuDNN", f"{v // 10000}.{v // 100 % 100}.{v % 100}" if v and v >= 10000 else str(v)))
        else:
            config = torch.__config__.show()
            m = re.search(r"MKL-DNN v([0-9][0-9.]*)", config) or re.search(r"oneDNN v([0-9][0-9.]*)", config)
            if torch.backends.mkldnn.is_available() and m:
                libs.append(("oneDNN", m.group(1)))
            m = re.search(r"Math Kernel Library Version ([0-9][0-9.]*)", config)
            if m:
                libs.append(("MKL", m.group(1)))
        return {"version": torch.__version__.split("+")[0], "libraries": libs}

    def build_text(self) -> str | None:
        cuda = self.torch.version.cuda  # None in a CPU-only build
        return f"cuda {cuda}" if cuda else "cpu"

    def build(self, spec: ModelSpec, batch_size: int, precision: str, device: str,
              input_gradient: bool = False, accumulate_gradients: bool = False) -> None:
        torch = self.torch
        self.spec, self.batch_size, self.precision, self.device = spec, batch_size, precision, device
        self.input_gradient, self.accumulate_gradients = input_gradient, accumulate_gradients
        if device == "cuda":
            if not torch.cuda.is_available():
                raise DeviceUnavailable("device cuda requested but torch.cuda.is_available() is False")
            torch.backends.cudnn.benchmark = True  # as benchmark.lua: cudnn.benchmark = true
        self.dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
        self._check_precision()
        torch.manual_seed(0)
        self.model = _sequential(torch.nn, spec.layers).to(device=device, dtype=self.dtype)
        self.model.train()

    def _check_precision(self) -> None:
        """A tiny conv forward+backward in the dtype, so an unsupported precision is a clear error."""
        if self.precision == "fp32":
            return
        torch = self.torch
        try:
            conv = torch.nn.Conv2d(3, 4, 3).to(self.device, self.dtype)
            x = torch.randn(2, 3, 8, 8, device=self.device, dtype=self.dtype, requires_grad=True)
            torch.nn.functional.max_pool2d(conv(x), 2).sum().backward()
        except Exception as e:
            raise PrecisionUnsupported(
                f"PyTorch {torch.__version__} cannot run {self.precision} on {self.device}: "
                f"{type(e).__name__}: {e}") from e

    def make_input(self) -> None:
        torch = self.torch
        spec = self.spec
        assert spec is not None, "build() comes before make_input()"
        g = torch.Generator().manual_seed(1)
        self.x = torch.randn((self.batch_size,) + spec.input_shape, generator=g).to(self.device, self.dtype)
        self.x.requires_grad_(self.input_gradient)
        out = (self.batch_size,) + output_shape(spec.layers, spec.input_shape)
        self.grad_out = torch.randn(out, generator=g).to(self.device, self.dtype)

    def before_step(self) -> None:
        if not self.accumulate_gradients:
            self.model.zero_grad(set_to_none=True)
            if self.x.grad is not None:
                self.x.grad = None

    def forward(self):
        return self.model(self.x)

    def backward(self, handle):
        handle.backward(self.grad_out)
        return None

    def synchronize(self) -> None:
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)

    def threads(self) -> int:
        return self.torch.get_num_threads()

    def set_threads(self, n: int) -> None:
        self.torch.set_num_threads(n)

    def reset_memory_baseline(self) -> None:
        super().reset_memory_baseline()
        if self.device == "cuda" and self.torch.cuda.is_available():
            self.torch.cuda.reset_peak_memory_stats()

    def peak_memory_bytes(self) -> int | None:
        if self.device == "cuda":  # untested here: no GPU on the machine this was written on
            return int(self.torch.cuda.max_memory_allocated())
        return super().peak_memory_bytes()

    def _live_bytes(self) -> int:
        """Bytes of the tensors a step starts with: parameters, their gradients, input, output gradient."""
        seen: dict[int, int] = {}
        tensors = [self.x, self.grad_out, self.x.grad]
        for p in self.model.parameters():
            tensors += [p, p.grad]
        for t in tensors:
            if t is not None:
                st = t.untyped_storage()
                seen[st.data_ptr()] = st.nbytes()
        return sum(seen.values())

    def tensor_memory_bytes(self) -> int | None:
        """One untimed step's peak tensor memory (see the module docstring); None if the profiler
        gives no memory events."""
        torch = self.torch
        if self.device == "cuda":  # untested here: no GPU on the machine this was written on
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.before_step()
            self.backward(self.forward())
            torch.cuda.synchronize()
            return int(torch.cuda.max_memory_allocated())
        from torch.profiler import ProfilerActivity, profile

        self.before_step()
        start = self._live_bytes()
        try:
            with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
                self.backward(self.forward())
            events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
        except Exception:  # the memory events are the profiler's internals; never fail a run on them
            return None
        if not events:
            return None
        now = peak = 0
        for e in sorted(events, key=lambda e: e.start_ns()):
            now += e.nbytes()  # negative for a free
            peak = max(peak, now)
        return start + peak


def _sequential(nn, layers):
    return nn.Sequential(*[_module(nn, layer) for layer in layers])


def _module(nn, layer):
    if isinstance(layer, Conv):
        return nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel, layer.stride, layer.pad)
    if isinstance(layer, MaxPool):
        return nn.MaxPool2d(layer.kernel, layer.stride, layer.pad)  # floor mode, as torch7
    if isinstance(layer, AvgPool):
        return nn.AvgPool2d(layer.kernel, layer.stride)
    if isinstance(layer, ReLU):
        return nn.ReLU(inplace=True)  # nn.ReLU(true) in the lua
    if isinstance(layer, Threshold):
        return nn.Threshold(layer.threshold, layer.value)
    if isinstance(layer, Flatten):
        return nn.Flatten()
    if isinstance(layer, Linear):
        return nn.Linear(layer.in_features, layer.out_features)
    if isinstance(layer, Concat):
        return _Concat(nn, layer)
    raise TypeError(f"no PyTorch module for {layer!r}")


def _Concat(nn, layer):
    import torch

    module: Any = nn.Module  # torch is imported lazily, so its class is a value here

    class Concat(module):
        """nn.Concat(2) of torch7: every branch on the same input, joined on channels."""

        def __init__(self):
            super().__init__()
            self.branches = nn.ModuleList(_sequential(nn, b) for b in layer.branches)

        def forward(self, x):
            return torch.cat([b(x) for b in self.branches], dim=1)

    return Concat()
