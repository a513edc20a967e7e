"""Numbers and names for reading, once for the report, the site and the charts.

    fmt_ms(82.0) -> "82"     fmt_ratio(0.6667) -> "0.67"    fmt_rate(193.4) -> "193"
    exact(80.96) -> "80.96"  ratio3(0.6667) -> "0.667"      size(2_500_000) -> "2.5 MB"
    label(0.4567) -> "0.46"  sha_prefix(sha) -> its first 12 digits   slug("VGG [A]") -> "vgg-a"

A value that was not measured is MISSING (never 0). Units are in the callers' column names.
"""
from __future__ import annotations

import re

MISSING = "—"  # a value that was not measured (never shown as 0)
SHA_DIGITS = 12  # a sha256 as the report names a file by it


def fmt_ms(v) -> str:
    """Milliseconds (and megabytes) in the report: no decimals when whole, else one."""
    if v is None:
        return MISSING
    v = float(v)
    return f"{v:,.0f}" if v == round(v) else f"{v:,.1f}"


def fmt_ratio(v, missing: str = MISSING) -> str:
    """A ratio (speedup, slowdown, geometric mean) in the report: two decimals."""
    return missing if v is None else f"{float(v):.2f}"


def fmt_rate(v) -> str:
    """Images per second: whole numbers from 100 up, else one decimal."""
    if v is None:
        return MISSING
    v = float(v)
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def fmt_count(v) -> str:
    return MISSING if v is None else str(v)


def exact(v) -> str:
    """A measurement as stored, on the site: 82 for 82.0, 80.96 for 80.96; thousands separated."""
    if v is None:
        return MISSING
    v = float(v)
    if v == round(v):
        return f"{v:,.0f}"
    return f"{v:,.6f}".rstrip("0").rstrip(".")


def ratio3(v) -> str:
    """A ratio on the site: three decimals."""
    return MISSING if v is None else f"{float(v):.3f}"


def size(n) -> str:
    """A file's size in bytes as MB (10^6), or KB under 0.1 MB."""
    return f"{n / 1e6:,.1f} MB" if n >= 1e5 else f"{n / 1e3:,.1f} KB"


def label(v) -> str:
    """A number for a chart's label: no decimals when whole or from 100 up, else one (or two below 10)."""
    v = float(v)
    if v == round(v) or abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"


def sha_prefix(sha: str) -> str:
    return sha[:SHA_DIGITS]


def slug(text: str) -> str:
    """A name for a file or an anchor: lower-case letters and digits, runs of anything else as one
    "-" ("VGG [A]" -> "vgg-a"); "x" when nothing is left."""
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-") or "x"
