"""dlbench's library: read benchmark TOML files into a DuckDB warehouse.

`cli.py` is a thin layer over these functions; use them directly from Python:

    from ingest import ingest, connect
    ingest(["benchmark.toml"], "warehouse.duckdb")
    connect("warehouse.duckdb").sql("select * from results").show()

The names below are loaded on first use, so that importing one small module
(`ingest.errors`, say) does not import the whole library.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "DlbenchError": "errors", "ExitCode": "errors", "Finding": "errors", "InvalidInput": "errors",
    "DEFAULT_DB": "warehouse", "check_files": "warehouse", "connect": "warehouse",
    "default_paths": "warehouse", "ingest": "warehouse", "refresh": "warehouse",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ingest' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ingest.{module}"), name)
