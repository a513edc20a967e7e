"""The named exceptions of dlbench, and its exit codes.

Those of reading inputs and building a warehouse live in `dlbench.ingest.errors`
and are re-exported here; the CLI turns every `DlbenchError` into a message on
stderr and its `exit_code`.
"""
from __future__ import annotations

from .ingest.errors import (
    DlbenchError,
    ExitCode,
    Finding,
    InvalidInput,
    NotAWarehouse,
    WarehouseBusy,
    WarehouseWriteError,
)

__all__ = ["DlbenchError", "ExitCode", "Finding", "InputTooLarge", "InvalidInput", "NotAWarehouse", "QueryError",
           "QueryInterrupted", "QueryTimeout", "UsageError", "WarehouseBusy", "WarehouseDamaged",
           "WarehouseMissing", "WarehouseUnreadable", "WarehouseWriteError"]


class WarehouseMissing(DlbenchError):
    "There is no warehouse at the given path and refreshing was turned off"

    exit_code = ExitCode.BAD_INPUT


class WarehouseUnreadable(DlbenchError):
    "The warehouse file exists but DuckDB cannot open it (not a database, or damaged)"


class WarehouseDamaged(WarehouseUnreadable):
    "The warehouse is a dlbench warehouse that DuckDB finds damaged (it is rebuilt unless --no-refresh)"

    def __init__(self, db: str, detail: str):
        self.db = db
        self.detail = detail.strip().splitlines()[0] if detail.strip() else "unknown damage"
        super().__init__(f"the warehouse {db} is damaged ({self.detail}); nothing was changed. "
                         "Run without --no-refresh, or `python cli.py ingest`, to rebuild it from its sources")


class QueryError(DlbenchError):
    "A query failed or was refused"


class QueryTimeout(QueryError):
    "A query ran longer than --timeout and was stopped"


class QueryInterrupted(DlbenchError):
    "A query was stopped by Ctrl-C or SIGTERM"

    exit_code = ExitCode.INTERRUPTED


class InputTooLarge(DlbenchError):
    "A --file is not a regular file or is larger than its limit"

    exit_code = ExitCode.BAD_INPUT


class UsageError(DlbenchError):
    "The command was called with arguments that cannot work"

    exit_code = ExitCode.BAD_INPUT
