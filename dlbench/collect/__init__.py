"""dlbench collect: measure forward/backward times of the convnet-benchmarks ImageNet
winners with real frameworks (PyTorch, JAX) on this machine, and append them to a
benchmark TOML file. Importing this package imports no framework; each run
happens in its own worker process (dlbench.collect.worker).

    from dlbench.collect import collect, summary_rows
    result = collect(["torch", "jax"], ["alexnet"], batch_size=8, output=Path("data/collected.toml"))
"""
from .api import DEFAULT_OUTPUT, CollectResult, Progress, collect, summary_rows
from .errors import (
    CollectError,
    DeviceUnavailable,
    DuplicateRun,
    FrameworkMissing,
    MachineMismatch,
    MissingDependency,
    OutputUnreadable,
    PrecisionUnsupported,
    UnknownFramework,
    UnknownModel,
)
from .models import MODELS
from .runner import RunResult, RunSpec

__all__ = [
    "DEFAULT_OUTPUT", "MODELS", "CollectError", "CollectResult", "DeviceUnavailable", "DuplicateRun",
    "FrameworkMissing", "MachineMismatch", "MissingDependency", "OutputUnreadable", "PrecisionUnsupported",
    "Progress", "RunResult",
    "RunSpec", "UnknownFramework", "UnknownModel", "collect", "summary_rows",
]
