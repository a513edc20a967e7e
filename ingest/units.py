"""Size strings and counts as written in benchmark.toml.

Convention (the one used everywhere in dlbench): the SI prefixes are decimal,
the IEC prefixes binary, case-insensitively:

    B = 1 byte, KB = 1000 B, MB = 1000**2 B, GB = 1000**3 B, TB = 1000**4 B
    KiB = 1024 B, MiB = 1024**2 B, GiB = 1024**3 B, TiB = 1024**4 B

so "1750MB" is 1,750,000,000 bytes and memory_mb in the views is the number as
written. Decimals are allowed ("336.5GB/s"); the unit is required. The string
as written is always stored beside the parsed value.
"""
from __future__ import annotations

import functools
import math
import re

UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*([a-z]+)\s*$", re.IGNORECASE)

SIZE_EXPECTED = ('a size such as "1750MB" or "12GiB" '
                 "(a non-negative number and one of B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)")
RATE_EXPECTED = 'a rate such as "336.5GB/s"'
COUNT_EXPECTED = 'a whole number such as 8 or "8"'


@functools.lru_cache(maxsize=4096)
def parse_size(text: str) -> int | None:
    """Bytes for a size string, or None when it does not parse."""
    m = _SIZE.match(text)
    if not m:
        return None
    factor = UNITS.get(m.group(2).lower())
    if factor is None:
        return None
    value = float(m.group(1)) * factor
    if not math.isfinite(value) or value >= 2**63:
        return None
    return round(value)


def parse_rate(text: str) -> int | None:
    """Bytes per second for a string such as "336.5GB/s"."""
    stripped = text.strip()
    if not stripped.lower().endswith("/s"):
        return None
    return parse_size(stripped[:-2])


def parse_count(value) -> int | None:
    """A whole number given as an integer or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 2**63 else None
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,18}\s*", value):
        return int(value)
    return None
