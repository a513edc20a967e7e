"""Findings and the errors of reading inputs and building a warehouse.

The exit code of each error is the CLI's business: `dlbench.errors.exit_code` maps these
classes. Every problem with an input file is a `Finding`: where it is (file, line,
column, key path), what is wrong and what was expected. Findings are collected
for a whole run and reported together; errors stop an ingest, warnings do not.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Finding:
    """One problem found in one input file."""

    severity: str  # "error" or "warning"
    file: str
    line: int  # 0 (null in JSON) for a problem with the whole file: a directory, a missing file
    column: int
    path: str  # key path such as nvidia-titan-x.models[0].frameworks[2].forward
    message: str  # what is wrong
    expected: str = ""  # what was expected instead
    machine_key: str | None = field(default=None, compare=False)  # the section it is in, if any

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}: " if self.line else f"{self.file}: "
        key = f"{self.path}: " if self.path else ""
        tail = f"; expected {self.expected}" if self.expected else ""
        return f"{where}{key}{self.message}{tail}"

    def as_dict(self) -> dict:
        d = asdict(self)
        del d["machine_key"]
        if not self.line:  # the whole file: no position to give
            d["line"] = d["column"] = None
        return d


class DlbenchError(Exception):
    "Base class of the errors dlbench reports without a traceback"


class InvalidInput(DlbenchError):
    "An input file has errors; nothing was written"

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        errors = [f for f in findings if f.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the input; nothing was written")


class WarehouseBusy(DlbenchError):
    "Another process holds the warehouse lock for longer than we may wait"


class WarehouseWriteError(DlbenchError):
    "The warehouse could not be written; the previous one is unchanged"


class NotAWarehouse(DlbenchError):
    "The --db path exists but is not a dlbench warehouse (or not a regular file): it is never replaced"
