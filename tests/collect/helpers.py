"""Shared by the collector's tests: which frameworks are importable, and the validator."""
from __future__ import annotations

import importlib
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
    """The warehouse validator's findings for a file (ingest.document, or dlbench.ingest.document
    after the move to the new layout); skips when neither imports."""
    for name in ("dlbench.ingest.document", "ingest.document"):
        try:
            module = importlib.import_module(name)
            break
        except ImportError:
            continue
    else:
        pytest.skip("the warehouse validator (ingest.document) is not importable")
    return module.read_file(str(path))
