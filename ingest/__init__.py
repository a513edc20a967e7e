"""dlbench's library: read benchmark TOML files into a DuckDB warehouse.

`cli.py` is a thin layer over these functions; use them directly from Python:

    from ingest import ingest, connect
    ingest(["benchmark.toml"], "warehouse.duckdb")
    connect("warehouse.duckdb").sql("select * from results").show()
"""
from .errors import DlbenchError, ExitCode, Finding, InvalidInput  # noqa: F401
from .warehouse import DEFAULT_DB, check_files, connect, default_paths, ingest, refresh  # noqa: F401
