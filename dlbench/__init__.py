"""dlbench: deep-learning benchmark results (benchmark.toml) in a DuckDB warehouse.

The data flows TOML -> tables (`dlbench.ingest`) -> views (`sql/`) -> report
and exports. The `dlbench` command (`dlbench.cli`) is a thin layer over these
functions; use them directly from Python:

    from dlbench import Warehouse
    with Warehouse("warehouse.duckdb", ["benchmark.toml"]).reading() as con:  # built or refreshed first
        con.sql("select * from results").show()

The names below are loaded on first use, so that importing one small module
(`dlbench.errors`, say) does not import the whole library.
"""
from __future__ import annotations

import importlib

__version__ = "0.2.0"
DEFAULT_DB = "warehouse.duckdb"  # the warehouse file of every command (--db, $DLBENCH_DB) and function

_EXPORTS = {
    "DlbenchError": "errors", "ExitCode": "errors", "Finding": "errors", "InvalidInput": "errors",
    "Warehouse": "warehouse", "BuildResult": "warehouse", "check_files": "warehouse", "connect": "warehouse",
    "build_warehouse": "warehouse", "default_paths": "warehouse", "refresh": "warehouse",
}
__all__ = sorted(_EXPORTS) + ["DEFAULT_DB", "__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dlbench' has no attribute {name!r}")
    return getattr(importlib.import_module(f"dlbench.{module}"), name)
