"""The JSON Schema of the input format, and a parsed TOML document as a schema validator sees it.

The schema is one file, `input.schema.json`, shipped in the package: editors that
validate TOML against JSON Schema (taplo, Even Better TOML) can point at it by path or
URL without running dlbench, and `dlbench schema` prints it. The validator in
`dlbench.ingest.document` stays the authority; the tests hold the two together (each
level's keys, the patterns against the parsers in `units`, the datasets, the
bad-input corpus).

A schema validates JSON, and TOML has dates and times JSON lacks: `as_json` maps a
document as taplo does before it validates (a date or time becomes its RFC 3339 text,
nan and inf become null as serde_json makes them).
"""
from __future__ import annotations

import datetime
import json
import math
from importlib import resources

SCHEMA_FILE = "input.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema_text() -> str:
    """The schema, exactly as shipped."""
    return resources.files("dlbench").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def schema() -> dict:
    """The schema, parsed."""
    return json.loads(schema_text())


def _time_text(t: datetime.time) -> str:
    # taplo writes [hour]:[minute]:[second] and the fraction only when there is one, without trailing zeros
    text = f"{t.hour:02}:{t.minute:02}:{t.second:02}"
    if t.microsecond:
        text += "." + f"{t.microsecond:06}".rstrip("0")
    return text


def _offset_text(offset: datetime.timedelta) -> str:
    if not offset:
        return "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02}:{abs(minutes) % 60:02}"


def as_json(value):
    """A value parsed by tomli as taplo hands it to a JSON Schema validator.

    Offset date-times become "1979-05-27T07:32:00Z" (or "+hh:mm"), local date-times
    "1979-05-27T07:32:00", local dates "1979-05-27", local times "07:32:00"; a fraction
    of a second is written without trailing zeros; nan and inf become None (null)."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime.datetime):
        text = f"{value.date().isoformat()}T{_time_text(value.time())}"
        offset = value.utcoffset()
        return text if offset is None else text + _offset_text(offset)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return _time_text(value)
    return value
