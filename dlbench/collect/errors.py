"""The collector's named errors (the CLI turns each into a message and an exit code)."""
from __future__ import annotations

from ..errors import Refused


class CollectError(Refused):
    """Base of every error the collector raises on purpose (bad arguments, a missing
    framework, a run already in the output): exit code 2, nothing measured or written."""


class FrameworkMissing(CollectError):
    """A framework (torch, jax) is not importable."""

    def __init__(self, framework: str, module: str, detail: str = ""):
        self.framework = framework
        super().__init__(
            f"{framework} is not installed (import {module} failed{': ' + detail if detail else ''}). "
            f"Install the collector's frameworks with: pip install 'dlbench[collect]'")


class MissingDependency(CollectError):
    """A package the collector itself needs (psutil, py-cpuinfo, tomli-w) is not installed."""

    def __init__(self, package: str):
        super().__init__(f"{package} is not installed; the collector needs it. "
                         f"Install the collector's dependencies with: pip install 'dlbench[collect]'")


class UnknownModel(CollectError):
    """A model name that is not one of the four ImageNet winners."""


class UnknownFramework(CollectError):
    """A framework name with no adapter."""


class PrecisionUnsupported(CollectError):
    """The framework cannot run this precision on this device (e.g. fp16 on some CPUs)."""


class DeviceUnavailable(CollectError):
    """The requested device (e.g. cuda) is not there."""


class DuplicateRun(CollectError):
    """The output already has a run with the same identity; use replace=True (--replace)."""


class MachineMismatch(CollectError):
    """The output already has this machine key with a different host or devices."""


class OutputUnreadable(CollectError):
    """The existing output file does not parse as TOML or is not in the benchmark format."""
