"""The named exceptions of dlbench, and its exit codes.

Those of reading inputs and building a warehouse live in `dlbench.ingest.errors`
and are re-exported here; the CLI turns every `DlbenchError` into a message on
stderr and its `exit_code`.
"""
from __future__ import annotations

from .ingest.errors import (DlbenchError, ExitCode, Finding, InvalidInput, WarehouseBusy,
                            WarehouseWriteError)

__all__ = ["DlbenchError", "ExitCode", "Finding", "InvalidInput", "QueryError", "UsageError",
           "WarehouseBusy", "WarehouseMissing", "WarehouseUnreadable", "WarehouseWriteError"]


class WarehouseMissing(DlbenchError):
    "There is no warehouse at the given path and refreshing was turned off"

    exit_code = ExitCode.BAD_INPUT


class WarehouseUnreadable(DlbenchError):
    "The warehouse file exists but DuckDB cannot open it (not a database, or damaged)"


class QueryError(DlbenchError):
    "A query failed or was refused"


class UsageError(DlbenchError):
    "The command was called with arguments that cannot work"

    exit_code = ExitCode.BAD_INPUT
