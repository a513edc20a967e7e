"""Plain JAX (lax convolutions and reduce_window, NCHW) from the layer specs in models.py.

The forward is `jax.vjp(jax.jit(apply), params)`, called outside jit: it runs the compiled
forward and keeps, as residuals, the activations backward needs and *references* to the
weights (the very parameter arrays: no copy). The backward is the returned pullback
applied to the output gradient, also outside jit (it runs a compiled, cached program). So
forward and backward time apart, as in benchmark.lua, and forward + backward is a plain
training step.

Why not the protocol before issue 20, `jax.jit(lambda p, x: jax.vjp(...))`: a jitted
function's outputs are fresh buffers, so its residual outputs were copies of every weight
(244 MB of AlexNet's 264 MB of residuals), timed as forward: forward + backward was 1.12-
1.27x a plain `jit(value_and_grad)` step, the forward 1.85x `jit(apply)`. Measured with
`vjp(jit(apply))` outside jit: 0.96-1.01x of that step (issue 20). Not `jax.jit` of the
returned pullback either: that recompiles on every call (5.6x slower). And not
"forward = jit(apply), backward = step - forward" (convnet-benchmarks' TensorFlow script):
it computes the forward twice per iteration and its backward samples are differences of
two noisy times; this forward is a training forward, as torch's (autograd records) is.

tensor_memory: the compiled training step's own account (`memory_analysis()`: arguments +
outputs + temporaries - aliased) on a CPU, `memory_stats()["peak_bytes_in_use"]` on a GPU
(untested). jax is imported in available().
"""
from __future__ import annotations

import os
from typing import Any

from ..errors import DeviceUnavailable, FrameworkMissing, PrecisionUnsupported
from ..models import AvgPool, Concat, Conv, Flatten, Linear, MaxPool, ModelSpec, ReLU, Threshold, output_shape
from .base import Adapter


class JaxAdapter(Adapter):
    name = "JAX"
    key = "jax"
    module = "jax"

    def available(self) -> None:
        try:
            import jax
            import jax.numpy  # noqa: F401
            import jaxlib  # noqa: F401
        except Exception as e:
            raise FrameworkMissing("JAX", "jax", str(e)) from e
        self.jax = jax

    def versions(self) -> dict:
        import jaxlib

        libs = [("jaxlib", jaxlib.__version__)]
        try:
            import jax.extend.backend

            backend = jax.extend.backend.get_backend(self._platform())
            if backend.platform_version and backend.platform_version != backend.platform:
                libs.append(("XLA " + backend.platform, backend.platform_version))  # e.g. the CUDA/cuDNN build on GPU
        except Exception:  # the backend's version is a nicety; never fail a run on it
            pass
        return {"version": self.jax.__version__, "libraries": libs}

    def _platform(self) -> str:
        return "gpu" if self.device == "cuda" else "cpu"

    def build(self, spec: ModelSpec, batch_size: int, precision: str, device: str,
              input_gradient: bool = False, accumulate_gradients: bool = False) -> None:
        """accumulate_gradients: JAX has no gradients to accumulate into; a step always returns fresh ones."""
        jax = self.jax
        import jax.numpy as jnp

        self.spec, self.batch_size, self.precision, self.device = spec, batch_size, precision, device
        self.input_gradient, self.accumulate_gradients = input_gradient, False
        try:
            self.dev = jax.devices(self._platform())[0]
        except RuntimeError as e:
            raise DeviceUnavailable(f"device {device} requested but JAX has no {self._platform()} backend: {e}") from e
        self.dtype = {"fp32": jnp.float32, "bf16": jnp.bfloat16, "fp16": jnp.float16}[precision]
        self._check_precision()
        self.params = jax.device_put(_init(jnp, spec.layers, self.dtype), self.dev)
        layers = spec.layers

        def apply(params, x):
            return _apply(jax, jnp, layers, params, x)

        japply = jax.jit(apply)
        if input_gradient:
            self._fwd = lambda p, x: jax.vjp(japply, p, x)
        else:
            self._fwd = lambda p, x: jax.vjp(lambda q: japply(q, x), p)
        self._apply = apply

    def _check_precision(self) -> None:
        if self.precision == "fp32":
            return
        jax = self.jax
        import jax.numpy as jnp

        try:
            x = jax.device_put(jnp.ones((2, 3, 8, 8), self.dtype), self.dev)
            w = jax.device_put(jnp.ones((4, 3, 3, 3), self.dtype), self.dev)
            f = lambda w, x: jax.lax.conv_general_dilated(  # noqa: E731
                x, w, (1, 1), "VALID", dimension_numbers=("NCHW", "OIHW", "NCHW")).sum()
            jax.block_until_ready(jax.jit(jax.grad(f, argnums=(0, 1)))(w, x))
        except Exception as e:
            raise PrecisionUnsupported(
                f"JAX {jax.__version__} cannot run {self.precision} on {self.device}: {type(e).__name__}: {e}") from e

    def make_input(self) -> None:
        jax = self.jax
        import jax.numpy as jnp
        import numpy as np

        spec = self.spec
        assert spec is not None, "build() comes before make_input()"
        rng = np.random.default_rng(1)
        shape = (self.batch_size,) + spec.input_shape
        self.x = jax.device_put(jnp.asarray(rng.standard_normal(shape, dtype=np.float32), self.dtype), self.dev)
        out = (self.batch_size,) + output_shape(spec.layers, spec.input_shape)
        self.grad_out = jax.device_put(jnp.asarray(rng.standard_normal(out, dtype=np.float32), self.dtype), self.dev)
        self._last = (self.x, self.grad_out)

    def forward(self):
        self._last = self._fwd(self.params, self.x)  # (output, vjp function holding the residuals)
        return self._last

    def backward(self, handle):
        _, vjp_fn = handle
        self._last = vjp_fn(self.grad_out)
        return self._last

    def synchronize(self) -> None:
        self.jax.block_until_ready(self._last)

    def parameter_count(self) -> int:
        return int(sum(leaf.size for leaf in self.jax.tree_util.tree_leaves(self.params)))

    def threads(self) -> int:
        # XLA:CPU sizes its intra-op pool to the CPUs it may use and exposes no getter;
        # this is that number, not a reading of XLA's pool.
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:
            return os.cpu_count() or 1

    def peak_memory_bytes(self) -> int | None:
        if self.device == "cuda":  # untested here: no GPU on the machine this was written on
            stats = self.dev.memory_stats() or {}
            if "peak_bytes_in_use" in stats:
                return int(stats["peak_bytes_in_use"])
        return super().peak_memory_bytes()

    def tensor_memory_bytes(self) -> int | None:
        if self.device == "cuda":  # untested here: no GPU on the machine this was written on
            return self.peak_memory_bytes() if "peak_bytes_in_use" in (self.dev.memory_stats() or {}) else None
        jax, apply = self.jax, self._apply
        argnums = (0, 1) if self.input_gradient else (0,)

        def step(p, x, g):
            return jax.vjp(apply, p, x)[1](g)[:len(argnums)]

        try:
            m = jax.jit(step).lower(self.params, self.x, self.grad_out).compile().memory_analysis()
            total = (m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes
                     - m.alias_size_in_bytes)
        except Exception:  # not every backend or version gives an analysis; never fail a run on it
            return None
        return int(total) if total > 0 else None


def _init(jnp, layers, dtype, rng=None):
    """Parameters for `layers`, one entry per layer (() for layers without weights).

    Weights ~ N(0, 1/fan_in) (so activations stay finite), biases zero; drawn with
    numpy, since jax.random compiles a program per shape (a minute for GoogLeNet on
    two cores). The values do not change the timing, only the shapes do."""
    import numpy as np

    rng = np.random.default_rng(0) if rng is None else rng
    params: list[Any] = []  # a layer's (weight, bias), a Concat's branches, () for no parameters
    for layer in layers:
        if isinstance(layer, Conv):
            fan_in = layer.in_channels * layer.kernel ** 2
            shape = (layer.out_channels, layer.in_channels, layer.kernel, layer.kernel)
            w = rng.standard_normal(shape, dtype=np.float32) / np.float32(fan_in ** 0.5)
            params.append((jnp.asarray(w, dtype), jnp.zeros((layer.out_channels,), dtype)))
        elif isinstance(layer, Linear):
            w = rng.standard_normal((layer.in_features, layer.out_features), dtype=np.float32)
            w /= np.float32(layer.in_features ** 0.5)
            params.append((jnp.asarray(w, dtype), jnp.zeros((layer.out_features,), dtype)))
        elif isinstance(layer, Concat):
            params.append(tuple(_init(jnp, b, dtype, rng) for b in layer.branches))
        else:
            params.append(())
    return params


def _apply(jax, jnp, layers, params, x):
    lax = jax.lax
    for layer, p in zip(layers, params):
        if isinstance(layer, Conv):
            w, b = p
            conv_pad = ((layer.pad, layer.pad), (layer.pad, layer.pad))
            x = lax.conv_general_dilated(x, w, (layer.stride, layer.stride), conv_pad,
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
            x = x + b[None, :, None, None]
        elif isinstance(layer, MaxPool):
            pad = ((0, 0), (0, 0), (layer.pad, layer.pad), (layer.pad, layer.pad))
            x = lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, layer.kernel, layer.kernel),
                                  (1, 1, layer.stride, layer.stride), pad)  # floor mode: VALID windows
        elif isinstance(layer, AvgPool):
            x = lax.reduce_window(x, 0.0, lax.add, (1, 1, layer.kernel, layer.kernel),
                                  (1, 1, layer.stride, layer.stride), "VALID") / (layer.kernel ** 2)
        elif isinstance(layer, ReLU):
            x = jnp.maximum(x, 0)
        elif isinstance(layer, Threshold):
            x = jnp.where(x > layer.threshold, x, jnp.asarray(layer.value, x.dtype))
        elif isinstance(layer, Flatten):
            x = x.reshape(x.shape[0], -1)
        elif isinstance(layer, Linear):
            w, b = p
            x = x @ w + b
        elif isinstance(layer, Concat):
            x = jnp.concatenate([_apply(jax, jnp, br, bp, x) for br, bp in zip(layer.branches, p)], axis=1)
        else:
            raise TypeError(f"no JAX op for {layer!r}")
    return x
