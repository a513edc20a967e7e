"""Shared by the collector's tests: which frameworks are importable, and the validator."""
from __future__ import annotations

import importlib.util

import pytest


def have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


needs_torch = pytest.mark.skipif(not have("torch"), reason="torch is not installed (pip install 'dlbench[collect]')")
needs_jax = pytest.mark.skipif(not have("jax"), reason="jax is not installed (pip install 'dlbench[collect]')")
needs_tomli_w = pytest.mark.skipif(not have("tomli_w"), reason="tomli-w is not installed (pip install 'dlbench[collect]')")
FRAMEWORKS = [pytest.param("torch", marks=needs_torch), pytest.param("jax", marks=needs_jax)]


def read_with_validator(path):
    """The warehouse validator's findings for a file (dlbench.ingest.document)."""
    from dlbench.ingest.document import read_file

    return read_file(str(path))
