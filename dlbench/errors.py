"""The named exceptions of dlbench, and its exit codes.

Those of reading inputs and building a warehouse live in `dlbench.ingest.errors`
(the lowest layer knows no exit codes) and are re-exported here. The exit code of
every error is assigned here, once, by class (`EXIT_CODES`, read by `exit_code`);
the CLI turns every `DlbenchError` into a message on stderr and that code.
"""
from __future__ import annotations

import enum

from .ingest.errors import (
    DlbenchError,
    Finding,
    InvalidInput,
    NotAWarehouse,
    WarehouseBusy,
    WarehouseWriteError,
)

__all__ = ["EXIT_CODES", "DlbenchError", "ExitCode", "Finding", "InputTooLarge", "Interrupted", "InvalidInput",
           "NotAWarehouse", "QueryError", "QueryInterrupted", "QueryTimeout", "Refused", "UsageError",
           "WarehouseBusy", "WarehouseDamaged", "WarehouseMissing", "WarehouseUnreadable", "WarehouseWriteError",
           "exit_code"]


class ExitCode(enum.IntEnum):
    """The exit codes of every `dlbench` command (documented in the README)."""

    OK = 0
    RUNTIME = 1  # a query failed, the warehouse could not be written, ...
    BAD_INPUT = 2  # bad input file or bad usage: nothing was written
    INTERRUPTED = 130  # Ctrl-C (SIGINT) or SIGTERM: stopped, nothing half-written (128 + SIGINT)


class Refused(DlbenchError):
    "Nothing was done: what was given (an argument, a file, a prerequisite) cannot work as it is"


class WarehouseMissing(Refused):
    "There is no warehouse at the given path and refreshing was turned off"


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


class Interrupted(DlbenchError):
    "Ctrl-C or SIGTERM stopped a command (whether a new warehouse was in place: Warehouse.replaced)"


class QueryInterrupted(Interrupted):
    "A query was stopped by Ctrl-C or SIGTERM"


class InputTooLarge(Refused):
    "A --file is not a regular file or is larger than its limit"


class UsageError(Refused):
    "The command was called with arguments that cannot work"


# The exit code of each named error; a class not listed takes its nearest listed base's.
EXIT_CODES: dict[type[BaseException], ExitCode] = {
    DlbenchError: ExitCode.RUNTIME,  # a query failed, a warehouse that cannot be written, read or replaced
    InvalidInput: ExitCode.BAD_INPUT,  # an input file has errors: nothing was written
    Refused: ExitCode.BAD_INPUT,  # bad usage, a --file too large, no warehouse with --no-refresh
    Interrupted: ExitCode.INTERRUPTED,
}


def exit_code(e: BaseException) -> ExitCode:
    """The exit code of an error: that of the nearest class of its MRO in EXIT_CODES (RUNTIME)."""
    return next((EXIT_CODES[c] for c in type(e).__mro__ if c in EXIT_CODES), ExitCode.RUNTIME)
