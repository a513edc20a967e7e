"""Framework adapters. Importing this package imports no framework."""
from __future__ import annotations

import importlib

from ..errors import UnknownFramework
from .base import DEVICES, PRECISIONS, Adapter

# command-line key -> "module:Class"; a new framework is one new module and one line here
ADAPTERS = {
    "torch": "dlbench.collect.adapters.torch_adapter:TorchAdapter",
    "jax": "dlbench.collect.adapters.jax_adapter:JaxAdapter",
}
ALIASES = {"pytorch": "torch"}


def framework_key(name: str) -> str:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in ADAPTERS:
        raise UnknownFramework(f"unknown framework {name!r}; expected one of {', '.join(ADAPTERS)}")
    return key


def get_adapter(name: str) -> Adapter:
    """A new adapter for a framework key (torch, jax); the framework itself is not imported yet."""
    module, cls = ADAPTERS[framework_key(name)].split(":")
    return getattr(importlib.import_module(module), cls)()


__all__ = ["ADAPTERS", "Adapter", "DEVICES", "PRECISIONS", "framework_key", "get_adapter"]
