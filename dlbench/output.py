"""Rows to text: the one set of output formats every command that prints rows uses."""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math

FORMATS = ("markdown", "csv", "json", "ndjson")


def _jsonable(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (dt.date, dt.datetime, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return v


def _cell(v, digits: int | None) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if digits is not None:
            return f"{v:,.{digits}f}" if abs(v) >= 1000 else f"{v:.{digits}f}"
        return repr(v)
    return str(v)


def markdown(columns: list[str], rows: list[tuple], digits: int | None = None,
             align_right: set[str] | None = None) -> str:
    """A GitHub-flavoured markdown table; `|` in values is escaped."""
    def esc(s: str) -> str:
        if "|" not in s and "\n" not in s:  # most cells: skip the copies (the report has ~1M cells)
            return s
        return s.replace("|", "\\|").replace("\n", " ")

    numeric = set(align_right or ())
    for i, c in enumerate(columns):
        if rows and all(isinstance(r[i], (int, float)) or r[i] is None for r in rows) and any(
                r[i] is not None for r in rows):
            numeric.add(c)
    cells = [[esc(_cell(v, digits)) for v in r] for r in rows]
    head = [esc(c) for c in columns]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(head)]
    widths = [max(w, 3) for w in widths]

    justify = [str.rjust if c in numeric else str.ljust for c in columns]

    def line(values):
        return "| " + " | ".join([j(v, w) for j, v, w in zip(justify, values, widths)]) + " |"

    sep = "| " + " | ".join(("-" * (w - 1) + ":") if columns[i] in numeric else "-" * w
                            for i, w in enumerate(widths)) + " |"
    return "\n".join([line(head), sep] + [line(r) for r in cells]) + "\n"


def render(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "markdown":
        return markdown(columns, rows)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[_jsonable(v) for v in r] for r in rows])
        return buf.getvalue()
    records = [{c: _jsonable(v) for c, v in zip(columns, r)} for r in rows]
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "ndjson":
        return "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
