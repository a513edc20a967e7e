"""Read one benchmark TOML file: check every value and turn it into table rows.

`read_file` never raises for bad input: it returns a `FileResult` whose
`findings` say what is wrong (file, line, column, key path, what was
expected) and, when there are no errors, the rows for every warehouse table.
Checks that need more than one file (the same run twice, one machine defined
differently in two files) are in `check_across`.

Nothing is dropped: keys this module does not know are kept (numbers on a
framework entry as measurements, anything else in the `extra` JSON column of
the table they belong to) and reported as warnings.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import NamedTuple

import tomli

from .errors import Finding
from .files import MAX_INPUT_BYTES, NotARegularFile, read_regular
from .locate import KeyLocator, header_lines, nesting_position
from .units import (
    COUNT_EXPECTED,
    RATE_EXPECTED,
    SIZE_EXPECTED,
    parse_count,
    parse_rate,
    parse_size,
)

MAX_TEXT = 500  # characters in a name, version or other label
MAX_MS = 1e12  # a timing above this (about 31 years) is a typo
MAX_COUNT = 2**31 - 1  # cores, quantity, batch_size are INTEGER columns
MAX_DEPTH = 100  # levels of tables, arrays and inline tables a value may be nested (real files use 5)
DEPTH_EXPECTED = f"at most {MAX_DEPTH} levels"
NONFINITE_EXPECTED = "a finite number (unknown keys are kept as JSON, which has no nan or inf)"
TIME_EXPECTED = "a positive number of milliseconds such as 25 or 25.5"
TEXT_EXPECTED = 'a string such as "Torch"'
DATE_EXPECTED = ("a TOML date such as 2016-02-28 (without quotes), the day the source measured it, "
                 "or a year such as 2015 when only the year is known")

# The keys each level knows; everything else is kept in `extra`.
MACHINE_KEYS = {"name", "type", "host", "devices", "models"}
HOST_KEYS = {"os", "cpu", "cores", "cache", "ram"}
DEVICE_KEYS = {"name", "memory", "cores", "memory_bandwith", "quantity"}
MODEL_KEYS = {"name", "type", "details", "batch_size", "input", "frameworks",
              "label", "date"}
FRAMEWORK_KEYS = {
    "name", "version", "forward", "backward", "total", "memory",
    "precision", "label", "libraries", "date", "forward_samples", "backward_samples",
}
# How a run was measured, as `dlbench collect` records it: checked, kept in runs.extra
# (json_extract(extra, '$.threads')), no warning. key -> what it must be
RUN_METADATA = {
    "threads": "a positive whole number: the threads the framework used",
    "warmup": "a whole number: untimed iterations before the timed ones",
    "iterations": "a positive whole number: timed iterations",
    "input_gradient": "true or false: whether the gradient of the input image was computed",
    "clock": 'a string naming the clock, such as "time.perf_counter_ns"',
    "command": "a string: the command line that measured the run",
    "mode": 'a string such as "training" (the default: forward and backward) or "inference"',
}
FRAMEWORK_KEYS |= RUN_METADATA.keys()
# raw samples of a timing: key -> (metric, the timing key it belongs to)
SAMPLES = {"forward_samples": ("forward_ms", "forward"), "backward_samples": ("backward_ms", "backward")}
MAX_SAMPLES = 1_000_000  # per run and metric
SAMPLES_EXPECTED = "an array of positive numbers of milliseconds, one per timed iteration, such as [25.1, 24.9]"
LIBRARY_KEYS = {"name", "version"}
# framework keys that become measurements: key -> (metric, unit)
TIMINGS = {"forward": "forward_ms", "backward": "backward_ms", "total": "total_ms"}
KNOWN_METRICS = {"forward_ms", "backward_ms", "total_ms", "memory_bytes"}
HINTS = {"memory_bandwidth": "memory_bandwith (spelled so in this format)"}
# How far a reported total may be from forward + backward before it is a finding: published times
# are rounded one by one. The one definition: the build records it in warehouse_meta
# (total_tolerance_ms), where the view run_flags reads it.
TOTAL_TOLERANCE_MS = 1.0
_INPUT = re.compile(r"^[0-9]+(x[0-9]+)*$")


def stable_id(*parts) -> int:
    """A 52-bit id from a natural key: the same key gives the same id in every
    ingest, and it fits a JSON number without loss."""
    return id_of_text(key_text(*parts).encode())


# The model entry's keys that describe it rather than say what was measured; every other key of
# a model entry (type unless "model", op, shape keys such as m, n, k or in_channels, height, width,
# sequence_length, ...) is part of its workload, and so of the natural key of its runs.
NOT_WORKLOAD = frozenset({"name", "details", "label", "frameworks", "date", "batch_size", "input"})


class Workload(NamedTuple):
    """The part of a run's natural key its model entry gives (the first fields of RunKey)."""

    machine: str  # the machine key
    model: str  # model_key(name)
    workload: str  # the model entry's other identifying keys (NOT_WORKLOAD aside) as canonical JSON; "{}": none
    batch_size: int | None
    input_shape: str | None
    date: str | None  # the model's date: a run's own date replaces it (RunKey.date)


class RunKey(NamedTuple):
    """A run's natural key, the one definition: two framework entries are one run (the second is
    refused as "the same run as ...") exactly when every field is equal, and run_id is its hash
    (run_id_of). Both readers (this module and ingest.vector) build it here (run_key, key_text).

    The workload (model key, the model's other identifying keys such as type, op and shape, batch
    size, input shape), how it ran (mode, default "training"; threads), when (the run's date, else
    its model's), and the stack as written (framework, version, library set, precision)."""

    machine: str
    model: str
    workload: str
    batch_size: int | None
    input_shape: str | None
    date: str | None
    mode: str  # lower case; "training" when not given
    threads: int | None
    framework: str
    version: str
    libraries: tuple  # sorted (name, version or "") pairs, as written
    precision: str  # as written, "" when not given


def workload_of(machine: str, mkey: str, m: dict, batch_size, input_shape, date) -> Workload:
    """The model entry's part of its runs' natural key."""
    keys = {k: _jsonable(v) for k, v in m.items() if k not in NOT_WORKLOAD and not (k == "type" and v == "model")}
    text = json.dumps(keys, sort_keys=True, ensure_ascii=False, default=str) if keys else "{}"
    return Workload(machine, mkey, text, batch_size, input_shape, date)


def library_key(libs) -> tuple:
    """The library set of a natural key: (name, version or "") pairs, sorted (one library as is)."""
    return ((libs[0][0], libs[0][1] or ""),) if len(libs) == 1 else tuple(sorted((n, v or "") for n, v in libs))


def run_key(w: Workload, framework: str, version: str, libs, precision: str | None, mode=None, threads=None,
            date: str | None = None) -> RunKey:
    """A run's natural key from its model's part and its entry's values."""
    return RunKey(*w[:5], date or w.date, (mode or "training").lower(), threads, framework, version,
                  library_key(libs), precision or "")


def key_text(*parts) -> str:
    """The text stable_id hashes for `parts` (joined with \x1f; as JSON when a part holds \x1f)."""
    key = "\x1f".join(map(str, parts))
    # a part that holds \x1f itself would make two keys collide, so such keys are JSON (which escapes it)
    if key.count("\x1f") != len(parts) - 1:
        key = "\x1e" + json.dumps([str(p) for p in parts])
    return key


def id_of_text(key: bytes) -> int:
    """A 52-bit id of a key's text: blake2b, so the same in every process, DuckDB version and Spark."""
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") >> 12


def run_id_of(natural: RunKey) -> int:
    """A run's id from its natural key (RunKey)."""
    return stable_id("run", *natural)


def config_id_of(natural: RunKey) -> int:
    """The id of a run's configuration: the run_id it would have without its date. The same
    configuration measured on two days is two runs (two run_ids) of one config_id: what two states
    of a comparison pair on (dlbench compare old.toml new.toml, collected on different days); a run
    with no date has config_id = run_id."""
    return run_id_of(natural._replace(date=None))


def stack_ids_of(framework: str, version: str, libs, has_libraries: bool, precision: str | None) -> tuple[int, int]:
    """A stack's ids, (stack_id, base_stack_id): what every view groups, pairs and partitions runs
    of one stack by (`stack` and `base_stack`, the display strings, only show them); base_stack_id
    leaves the precision out (it pairs an fp16 run with the fp32 run of its stack).

    Case does not matter (as results.framework_key); a version "unknown" in any case is not
    published, the same as another "unknown"; the library set as results.libraries_key
    normalises it (lower case, a leading R dropped from a version: "R4" = "4"), a version
    "unknown" the same as none; no `libraries` key (not known) is not `libraries = []` (none:
    native); the precision as results.precision_key (lower case, none given = fp32)."""
    ver = version.lower()
    lib_set = None
    if has_libraries:
        lib_set = tuple(sorted((n.lower(), _library_version(v)) for n, v in libs))
    base = stable_id("base_stack", framework.lower(), "" if ver == "unknown" else ver, lib_set)
    return stable_id("stack", base, (precision or "fp32").lower()), base


def _library_version(v: str | None) -> str:
    if v is None or v.lower() == "unknown":
        return ""
    return (v[1:] if re.match(r"[Rr][0-9]", v) else v).lower()


def model_key(name: str) -> str:
    """The canonical key of a model name: letters and digits, lower case, so that
    "Alexnet" and "AlexNet", "VGG [A]" and "VGG-A" are the same model."""
    return re.sub(r"[^0-9a-z]+", "", name.casefold()) or name


def libraries_label(libraries: list[tuple[str, str | None]]) -> str:
    if len(libraries) == 1:
        n, v = libraries[0]
        return f"{n} {v}" if v else n
    return " + ".join([f"{n} {v}" if v else n for n, v in libraries])


def format_path(path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part, ensure_ascii=False)
            out += ("." if out else "") + key
    return out


def describe(value) -> str:
    """How a value reads in a message: its TOML type and a short rendering."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the integer {value if abs(value) < 10**30 else str(value)[:30] + '...'}"
    if isinstance(value, float):
        return f"the float {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the string {json.dumps(shown, ensure_ascii=False)}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"the {type(value).__name__} {value}"


def _nonfinite(value, at=(), limit=MAX_DEPTH) -> tuple[tuple, float | None] | None:
    """(path within `value`, the number) of the first nan or inf in `value`, or None;
    (path, None) when `value` is nested more than `limit` levels deep. Iterative, so
    that no nesting can exhaust Python's stack."""
    stack = [(value, at)]
    while stack:
        v, at = stack.pop()
        if isinstance(v, float):
            if not math.isfinite(v):
                return at, v
            continue
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else None
        if items is None:
            continue
        if len(at) >= limit:
            return at + (next(iter(items))[0],), None
        stack.extend((child, at + (k,)) for k, child in reversed(list(items)))
    return None


def _jsonable(value):
    """A TOML value as JSON can hold it (dates and times become ISO strings)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# the tables whose rows a file's reader makes (the build adds sources, source_sections,
# ingest_warnings and warehouse_meta); each is a table of sql/schema/tables.sql
ROW_TABLES = ("machines", "devices", "models", "frameworks", "runs", "run_libraries", "measurements", "samples",
              "source_machines")
# the keys run_fast reads; any other key takes the general path
_FAST_KEYS = FRAMEWORK_KEYS - SAMPLES.keys() - RUN_METADATA.keys()
# the columns of the rows that are stored as tuples (see _Reader._store)
TUPLE_COLUMNS = {
    "runs": ("run_id", "machine_id", "model_id", "framework_id", "source_id", "position", "line", "precision",
             "label", "libraries", "has_libraries", "extra",
             "date", "stack_id", "base_stack_id", "config_id"),
    "measurements": ("run_id", "metric", "key", "value", "unit", "written"),
    "samples": ("run_id", "metric", "iteration", "value_ms", "written"),
}
def columns(rows: dict[str, list]) -> dict[str, dict[str, list]]:
    """Rows (dicts, or tuples in TUPLE_COLUMNS order) to columns, table by table (empty tables left out)."""
    out = {}
    for table, items in rows.items():
        if not items:
            continue
        if isinstance(items[0], tuple):
            out[table] = dict(zip(TUPLE_COLUMNS[table], map(list, zip(*items))))
        else:
            out[table] = {c: [r[c] for r in items] for c in items[0]}
    return out


FAST = True  # run_fast for common entries; tests turn it off to compare with the general path


def date_text(v) -> str | None:
    """A measurement date as stored: ISO text for a TOML date, four digits for a year;
    None when `v` is neither (a date-time, a string, ...)."""
    if type(v) is datetime.date:
        return v.isoformat()
    if type(v) is int and 1000 <= v <= 9999:
        return str(v)
    return None


def _plain_text(v) -> bool:
    """What text_value accepts without a word: a non-blank string of at most MAX_TEXT characters."""
    return type(v) is str and 0 < len(v) <= MAX_TEXT and not v.isspace()


# one measurement as read: (key, metric, value, unit, written); unit None for a unitless number
Measured = tuple[str, str, float, "str | None", str]


def _written(value) -> str:
    """A number or string as JSON text, exactly as TOML wrote it (25, 25.5, "1750MB")."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'  # what json.dumps gives, without its cost
    return json.dumps(value, ensure_ascii=False)


def _extra_json(extra: dict) -> str | None:
    return json.dumps(_jsonable(extra), sort_keys=True, ensure_ascii=False) if extra else None


@dataclass
class FileResult:
    """What reading one file gave: findings and, when it has no errors, rows."""

    path: str  # as the user named it (used in messages)
    abs_path: str
    sha256: str = ""
    size_bytes: int = 0
    findings: list[Finding] = field(default_factory=list)
    rows: dict[str, list[dict]] = field(default_factory=dict)
    machines: dict[str, dict] = field(default_factory=dict)  # key -> definition
    machine_lines: dict[str, int] = field(default_factory=dict)
    run_keys: list[tuple[RunKey, int, int, tuple]] = field(default_factory=list)  # key, line, col, path
    # the ids of the runs read by the fast path (ingest.vector), which keeps no natural keys: Arrow arrays
    fast_run_ids: list = field(default_factory=list)
    root_extra: dict = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # rows per table, when rows were streamed
    sections: list[dict] = field(default_factory=list)  # machine sections, when read split

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


class _Findings:
    """Where a key path is in the file, and the findings of one file: an error or a warning with its
    line, column, key path, what is wrong and what was expected."""

    def __init__(self, result: FileResult, text: str, line_offset: int = 0):
        self.r = result
        self.text = text
        self.line_offset = line_offset
        self.headers = header_lines(text, line_offset)
        self._locator: KeyLocator | None = None
        self.too_deep = False  # a value nested too deep was reported: it must not be walked again

    def pos(self, path) -> tuple[int, int]:
        path = tuple(path)
        hit = self.headers.get(path)
        if hit:
            return hit
        if self._locator is None:
            self._locator = KeyLocator(self.text, self.line_offset)
        return self._locator.find(path)

    def line(self, path) -> int:
        return self.pos(path)[0]

    def add(self, severity, path, message, expected=""):
        line, col = self.pos(path)
        shown = format_path(path)
        if len(shown) > 200:  # a path nested too deep
            shown = shown[:100] + " ... " + shown[-60:]
        self.r.findings.append(
            Finding(severity, self.r.path, line, col, shown, message, expected,
                    machine_key=path[0] if path and isinstance(path[0], str) else None)
        )

    def error(self, path, message, expected=""):
        self.add("error", path, message, expected)

    def warn(self, path, message, expected=""):
        self.add("warning", path, message, expected)


class _Checks(_Findings):
    """The checks of one value each: its type, its range, its unit; an error (or a warning) when it
    is wrong, and the value as it is stored when it is right."""

    def table(self, value, path, what) -> dict | None:
        if isinstance(value, dict):
            return value
        self.error(path, f"wrong type: got {describe(value)}", f"a table ({what})")
        return None

    def tables(self, value, path, what) -> list[dict]:
        if value is None:
            return []
        if isinstance(value, list):
            for v in value:
                if not isinstance(v, dict):
                    break
            else:
                return value
        self.error(path, f"wrong type: got {describe(value)}", f"an array of tables ([[{what}]])")
        return []

    def text_value(self, t: dict, key: str, path, required=False, expected=TEXT_EXPECTED):
        v = t.get(key)
        if type(v) is str and 0 < len(v) <= MAX_TEXT and not v.isspace():
            return v  # the common case, checked first: ingest time is mostly spent here
        if key not in t:
            if required:
                self.error(path, f"missing required key '{key}'", expected.replace("a string", f"{key} = a string", 1))
            return None
        v = t[key]
        if not isinstance(v, str):
            self.error(path + (key,), f"wrong type: got {describe(v)}", expected)
            return None
        if required and not v.strip():
            self.error(path + (key,), "is empty", expected)
            return None
        if len(v) > MAX_TEXT:
            self.error(path + (key,), f"is {len(v)} characters long", f"at most {MAX_TEXT} characters")
            return None
        return v

    def date_value(self, t: dict, key: str, path) -> str | None:
        """A TOML date (a local date: not a date-time, not a string) or a year (an integer),
        as ISO text ("2016-02-28", "2015"), or None."""
        v = t.get(key)
        text = date_text(v)
        if text is None and v is not None:
            self.error(path + (key,), f"wrong type: got {describe(v)}", DATE_EXPECTED)
        return text

    def count_value(self, t, key, path, positive=False):
        """(value, text as written or None)"""
        if key not in t:
            return None, None
        v = t[key]
        n = parse_count(v)
        if isinstance(v, int) and not isinstance(v, bool) and v > MAX_COUNT:
            self.error(path + (key,), f"is too large: got {describe(v)}", f"a whole number up to {MAX_COUNT}")
            return None, None
        if n is None or (positive and n == 0):
            self.error(path + (key,), f"not a whole number: got {describe(v)}",
                       "a positive whole number such as 128" if positive else COUNT_EXPECTED)
            return None, None
        if n > MAX_COUNT:
            self.error(path + (key,), f"is too large: got {describe(v)}", f"a whole number up to {MAX_COUNT}")
            return None, None
        return n, (v if isinstance(v, str) else None)

    def size_value(self, t, key, path, parse=parse_size, expected=SIZE_EXPECTED):
        if key not in t:
            return None, None
        v = t[key]
        if not isinstance(v, str):
            self.error(path + (key,), f"wrong type: got {describe(v)}", expected)
            return None, None
        n = parse(v)
        if n is None:
            self.error(path + (key,), f"not a size: got {describe(v)}", expected)
            return None, None
        return n, v

    def time_value(self, t, key, path):
        v = t[key]
        if (type(v) is int or type(v) is float) and 0 < v < MAX_MS:
            return v  # the common case (nan fails the comparison and is reported below)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.error(path + (key,), f"wrong type: got {describe(v)}", TIME_EXPECTED)
            return None
        if isinstance(v, float) and not math.isfinite(v):
            self.error(path + (key,), f"not a finite number: got {v}", TIME_EXPECTED)
            return None
        if v <= 0:
            self.error(path + (key,), f"must be positive: got {v}", TIME_EXPECTED)
            return None
        if v >= MAX_MS:
            self.error(path + (key,), f"is implausibly large: got {describe(v)[4:]}", f"{TIME_EXPECTED}, below 1e12")
            return None
        return v

    def unknown(self, t: dict, known: set, path, what) -> dict:
        if t.keys() <= known:
            return {}
        extra = {k: v for k, v in t.items() if k not in known}
        for k in list(extra):
            if not self.finite(extra[k], path + (k,)):
                del extra[k]  # reported as an error: nothing is stored
                continue
            hint = HINTS.get(k)
            self.warn(path + (k,), f"unknown key '{k}' in {what}; kept in its extra column",
                      f"did you mean {hint}?" if hint else "")
        return extra

    def finite(self, value, path) -> bool:
        """False, with an error, when `value` holds a nan or inf (kept values are JSON)
        or is nested more than MAX_DEPTH levels deep."""
        bad = _nonfinite(value, limit=MAX_DEPTH - len(path))
        if bad is None:
            return True
        if bad[1] is None:
            self.too_deep = True
            self.error(path + bad[0], "nested too deep", DEPTH_EXPECTED)
        else:
            self.error(path + bad[0], f"not a finite number: got {bad[1]}", NONFINITE_EXPECTED)
        return False

    def metadata_value(self, f: dict, key: str, path) -> bool:
        """True when a RUN_METADATA key holds what it must; else an error."""
        v, expected = f[key], RUN_METADATA[key]
        if key == "input_gradient":
            ok = type(v) is bool
        elif key in ("clock", "command", "mode"):
            return self.text_value(f, key, path, expected=expected) is not None
        else:
            ok = type(v) is int and (v >= 0 if key == "warmup" else v > 0) and v <= MAX_COUNT
        if not ok:
            self.error(path + (key,), f"wrong value: got {describe(v)}", expected)
        return ok

    def samples_value(self, f: dict, key: str, path, values) -> tuple | None:
        """(metric, [(value, written)]) of a `forward_samples`/`backward_samples` array,
        or None after an error; a warning when its timing lies outside the samples."""
        v = f[key]
        metric, timing = SAMPLES[key]
        if type(v) is not list or not v:
            what = "an empty array" if type(v) is list else describe(v)
            self.error(path + (key,), f"wrong type: got {what}", SAMPLES_EXPECTED)
            return None
        if len(v) > MAX_SAMPLES:
            self.error(path + (key,), f"too many samples: {len(v):,}", f"at most {MAX_SAMPLES:,} per run")
            return None
        ok = True
        for i, x in enumerate(v):
            if not ((type(x) is int or type(x) is float) and 0 < x < MAX_MS):
                ok = self.time_value(v, i, path + (key,)) is not None and ok
        if not ok:
            return None
        if timing not in f:
            self.error(path + (key,), f"'{key}' is given without '{timing}'",
                       f"{timing} = <ms>, the summary of the samples (the collector writes their median)")
            return None
        given = [val for _, m, val, _, _ in values if m == metric]
        if given and not min(v) <= given[0] <= max(v):
            self.warn(path + (timing,), f"{timing} = {given[0]:g} ms lies outside its {len(v)} samples "
                      f"({min(v):g} to {max(v):g} ms)", f"a summary of '{key}' such as their median")
        return metric, [(float(x), str(x) if type(x) is int else None) for x in v]


class _Reader(_Checks):
    """The walk over a document, level by level (machine, host, devices, models, framework entries,
    libraries), building the rows of ROW_TABLES from the checked values."""

    def __init__(self, result: FileResult, text: str, line_offset: int = 0):
        super().__init__(result, text, line_offset)
        self.rows: dict[str, list] = {t: [] for t in ROW_TABLES}
        self._frameworks: dict[tuple[str, str], int] = {}
        self._stacks: dict[tuple, tuple[int, int]] = {}  # (name, version, libraries, has_libraries, precision) -> ids
        self._model_seen: dict[tuple, int] = {}

    def read(self, doc: dict, source_id: int, whole: bool = True) -> None:
        """Check `doc` and make its rows; `whole` is False for the part of a file
        before its first machine section, which needs no machine of its own."""
        self.source_id = source_id
        machines = 0
        for key, value in doc.items():
            if not isinstance(value, dict):
                if not self.finite(value, (key,)):
                    continue
                self.r.root_extra[key] = _jsonable(value)  # dates as ISO strings, as in every extra
                self.warn((key,), f"top-level key '{key}' is not a machine table; kept in sources.extra",
                          f"a machine table such as [{key}]")
                continue
            machines += 1
            self.machine(key, value)
        if not machines and whole:
            self.error((), "no machine sections found",
                       "at least one machine table such as [nvidia-titan-x] with name = ...")

    def machine(self, key: str, m: dict) -> None:
        path = (key,)
        machine_id = stable_id("machine", key)
        name = self.text_value(m, "name", path, required=True, expected='a string such as "Nvidia Titan X"')
        mtype = self.text_value(m, "type", path, expected='a string such as "GPU" or "CPU"')
        extra = self.unknown(m, MACHINE_KEYS, path, "a machine")
        row = dict(machine_id=machine_id, machine_key=key, name=name, type=mtype,
                   source_id=self.source_id, line=self.line(path), extra=_extra_json(extra),
                   has_host="host" in m)
        host = {}
        if "host" in m:
            host = self.table(m["host"], path + ("host",), f"[{key}.host]") or {}
        hp = path + ("host",)
        row["host_os"] = self.text_value(host, "os", hp, expected='a string such as "linux/arch"')
        row["host_cpu"] = self.text_value(host, "cpu", hp, expected='a string such as "Intel(R) Core(TM) i7-2600K"')
        row["host_cores"], row["host_cores_text"] = self.count_value(host, "cores", hp)
        row["host_cache_bytes"], row["host_cache_text"] = self.size_value(host, "cache", hp)
        row["host_ram_bytes"], row["host_ram_text"] = self.size_value(host, "ram", hp)
        row["host_extra"] = _extra_json(self.unknown(host, HOST_KEYS, hp, "a host"))
        row["host_line"] = self.line(hp) if "host" in m else None
        devices = self.tables(m.get("devices"), path + ("devices",), f"{key}.devices")
        device_bytes = 0
        device_rows = []
        for i, d in enumerate(devices):
            drow = self.device(key, machine_id, i, d)
            device_rows.append(drow)
            if drow["memory_bytes"]:
                device_bytes += drow["memory_bytes"] * (drow["quantity"] if drow["quantity"] is not None else 1)
        row["has_devices"] = "devices" in m
        self.rows["machines"].append(row)
        self.rows["devices"].extend(device_rows)
        # the definition that must agree when a machine is in several files
        definition = {k: v for k, v in m.items() if k != "models"}
        self.r.machines[key] = definition
        self.rows["source_machines"].append(dict(
            source_id=self.source_id, machine_id=machine_id, line=row["line"], has_models="models" in m,
            definition_sha256="" if self.too_deep else definition_sha256(definition)))
        self.r.machine_lines[key] = row["line"]
        models = self.tables(m.get("models"), path + ("models",), f"{key}.models")
        for i, model in enumerate(models):
            self.model(key, machine_id, i, model, device_bytes)

    def device(self, key, machine_id, i, d) -> dict:
        path = (key, "devices", i)
        row = dict(device_id=stable_id("device", key, i), machine_id=machine_id, position=i,
                   line=self.line(path))
        row["name"] = self.text_value(d, "name", path, expected='a string such as "Nvidia Titan X"')
        row["memory_bytes"], row["memory_text"] = self.size_value(d, "memory", path)
        row["cores"], row["cores_text"] = self.count_value(d, "cores", path)
        row["memory_bandwidth_bytes_per_s"], row["memory_bandwidth_text"] = self.size_value(
            d, "memory_bandwith", path, parse=parse_rate, expected=RATE_EXPECTED)
        row["quantity"], row["quantity_text"] = self.count_value(d, "quantity", path)
        row["extra"] = _extra_json(self.unknown(d, DEVICE_KEYS, path, "a device"))
        return row

    def model(self, key, machine_id, i, m, device_bytes) -> None:
        path, work, model_id = self.model_row(key, machine_id, i, m, has_frameworks="frameworks" in m)
        frameworks = self.tables(m.get("frameworks"), path + ("frameworks",), f"{key}.models.frameworks")
        for j, f in enumerate(frameworks):
            if not (FAST and self.run_fast(path + ("frameworks", j), machine_id, work, model_id, f, device_bytes)):
                self.run(path + ("frameworks", j), machine_id, work, model_id, f, device_bytes)

    def model_row(self, key, machine_id, i, m, has_frameworks: bool) -> tuple[tuple, Workload, int]:
        """Check a model's own keys and make its row: (its path, its runs' part of the natural key, its model_id)."""
        path = (key, "models", i)
        name = self.text_value(m, "name", path, required=True, expected='a string such as "Alexnet"')
        mkey = model_key(name) if name else f"#{i}"
        seen = self._model_seen.get((key, mkey), 0)
        self._model_seen[(key, mkey)] = seen + 1
        model_id = stable_id("model", key, mkey, self.r.path, seen)
        batch, batch_text = self.count_value(m, "batch_size", path, positive=True)
        input_shape = self.text_value(m, "input", path, expected='a shape such as "3x224x224"')
        if input_shape is not None and not _INPUT.match(input_shape):
            self.error(path + ("input",), f"not a shape: got {describe(input_shape)}", 'a shape such as "3x224x224"')
        extra = self.unknown(m, MODEL_KEYS, path, "a model")
        date = self.date_value(m, "date", path)
        self.rows["models"].append(dict(
            model_id=model_id, machine_id=machine_id, source_id=self.source_id, position=i,
            name=name, model_key=mkey, has_frameworks=has_frameworks,
            type=self.text_value(m, "type", path, expected='a string such as "model"'),
            details=self.text_value(m, "details", path, expected="a string (a link or a description)"),
            batch_size=batch, batch_size_text=batch_text, input_shape=input_shape,
            label=self.text_value(m, "label", path, expected="a string (the model's name as published)"),
            date=date, line=self.line(path), extra=_extra_json(extra)))
        return path, workload_of(key, mkey, m, batch, input_shape, date), model_id

    def run(self, path, machine_id, work: Workload, model_id, f, device_bytes) -> None:
        name = self.text_value(f, "name", path, required=True, expected='a string such as "Torch"')
        version = self.text_value(f, "version", path, required=True, expected='a string such as "0.2" or "07/03/2016"')
        precision = self.text_value(f, "precision", path, expected='a string such as "fp32" or "fp16"')
        label = self.text_value(f, "label", path, expected="a string (the stack's name as published)")
        date = self.date_value(f, "date", path)
        libs = []
        lib_rows = []
        unnamed_library = False
        for pos, lib in enumerate(self.tables(f.get("libraries"), path + ("libraries",), "...frameworks.libraries")):
            lp = path + ("libraries", pos)
            lname = self.text_value(lib, "name", lp, required=True, expected='a string such as "cuDNN"')
            lversion = self.text_value(lib, "version", lp, expected='a string such as "4"')
            libs.append((lname, lversion))
            unnamed_library = unnamed_library or lname is None
            lib_rows.append(dict(position=pos, name=lname, version=lversion, line=self.line(lp),
                                 extra=_extra_json(self.unknown(lib, LIBRARY_KEYS, lp, "a library"))))
        # measurements: timings, memory, and any other number the entry carries
        values: list[Measured] = []
        for k, metric in TIMINGS.items():
            if k in f:
                v = self.time_value(f, k, path)
                if v is not None:
                    values.append((k, metric, float(v), "ms", _written(v)))
        if not ("forward" in f or "backward" in f):
            self.error(path, "missing timing: neither 'forward' nor 'backward' is given",
                       "forward = <ms> and/or backward = <ms>")
        samples = [s for k in SAMPLES if k in f for s in [self.samples_value(f, k, path, values)] if s]
        memory, memory_text = self.size_value(f, "memory", path)
        if memory is not None or "memory" not in f:
            self._memory(path, values, memory, memory_text, device_bytes)
        extra = {}
        for k, v in (() if f.keys() <= FRAMEWORK_KEYS else f.items()):
            if k in FRAMEWORK_KEYS:
                continue
            numeric = isinstance(v, (int, float)) and not isinstance(v, bool) and k not in KNOWN_METRICS
            if numeric and _nonfinite(v) is None and abs(v) < 1e308:
                values.append((k, k, float(v), None, _written(v)))
                self.warn(path + (k,), f"unknown key '{k}' on a framework entry; kept as measurement '{k}'")
            elif self.finite(v, path + (k,)):
                extra[k] = v
                self.warn(path + (k,), f"unknown key '{k}' on a framework entry; kept in runs.extra")
        for k in RUN_METADATA.keys() & f.keys():
            if self.metadata_value(f, k, path):
                extra[k] = f[k]
        if "total" in f:
            self._total(path, values)
        if name is None or version is None or unnamed_library:
            return  # an error was reported; no key to build
        self._store(path, machine_id, work, model_id, f, name, version, precision, label, libs, lib_rows, values,
                    extra, date, samples)

    def run_fast(self, path, machine_id, work: Workload, model_id, f, device_bytes) -> bool:
        """The common framework entry — known keys, each of the right type — in few steps.

        Most of an ingest's own time goes to these entries, so this checks exactly
        what run() checks, but only the good case; False means something is unusual
        (nothing is recorded then), and run() reads the entry, reporting what is wrong."""
        if not f.keys() <= _FAST_KEYS:
            return False
        name, version = f.get("name"), f.get("version")
        precision, label = f.get("precision"), f.get("label")
        if not (_plain_text(name) and _plain_text(version) and (precision is None or _plain_text(precision))
                and (label is None or _plain_text(label))):
            return False
        date = date_text(f.get("date"))
        if date is None and "date" in f:
            return False
        values: list[Measured] = []
        for k, metric in TIMINGS.items():
            v = f.get(k)
            if v is not None:
                if not ((type(v) is int or type(v) is float) and 0 < v < MAX_MS):
                    return False
                values.append((k, metric, float(v), "ms", _written(v)))
        if "forward" not in f and "backward" not in f:
            return False
        memory_text = f.get("memory")
        memory = None
        if memory_text is not None:
            memory = parse_size(memory_text) if type(memory_text) is str else None
            if memory is None:
                return False
        libs, lib_rows = [], []
        given = f.get("libraries")
        if given is not None:
            if type(given) is not list:
                return False
            for pos, lib in enumerate(given):
                if type(lib) is not dict or not lib.keys() <= LIBRARY_KEYS:
                    return False
                lname, lversion = lib.get("name"), lib.get("version")
                if not (_plain_text(lname) and (lversion is None or _plain_text(lversion))):
                    return False
                libs.append((lname, lversion))
                lib_rows.append(dict(position=pos, name=lname, version=lversion,
                                     line=self.line(path + ("libraries", pos)), extra=None))
        self._memory(path, values, memory, memory_text, device_bytes)
        if "total" in f:
            self._total(path, values)
        self._store(path, machine_id, work, model_id, f, name, version, precision, label, libs, lib_rows, values,
                    {}, date)
        return True

    def _memory(self, path, values, memory, memory_text, device_bytes) -> None:
        """The memory measurement, or the warning that there is none."""
        if memory is None:
            self.warn(path, "no 'memory' given; memory comparisons will leave this run out",
                      'memory = "<size>" such as "1750MB"')
            return
        values.append(("memory", "memory_bytes", float(memory), "bytes", _written(memory_text)))
        if device_bytes and memory > device_bytes:
            self.warn(path + ("memory",), f"memory {memory_text} is above the machine's total device memory "
                      f"({device_bytes / 1e6:g}MB)", "at most the devices' memory")

    def _total(self, path, values) -> None:
        """A warning when the reported total is not forward + backward within TOTAL_TOLERANCE_MS."""
        times = {metric: v for _, metric, v, _, _ in values}
        if "total_ms" in times and "forward_ms" in times and "backward_ms" in times:
            both = times["forward_ms"] + times["backward_ms"]
            if abs(times["total_ms"] - both) > TOTAL_TOLERANCE_MS:
                self.warn(path + ("total",), f"reported total {times['total_ms']:g} ms differs from forward + "
                          f"backward = {both:g} ms by more than {TOTAL_TOLERANCE_MS:g} ms",
                          f"forward + backward within {TOTAL_TOLERANCE_MS:g} ms")

    def _store(self, path, machine_id, work: Workload, model_id, f, name, version, precision, label, libs, lib_rows,
               values, extra, date=None, samples=()) -> None:
        """The rows of one checked framework entry."""
        natural = run_key(work, name, version, libs, precision, extra.get("mode"), extra.get("threads"), date)
        run_id = run_id_of(natural)
        line, col = self.pos(path)
        self.r.run_keys.append((natural, line, col, path))
        stack = (name, version, natural.libraries, "libraries" in f, precision)
        stack_ids = self._stacks.get(stack)
        if stack_ids is None:  # a missing library version is "" in natural.libraries: the same stack ids
            stack_ids = self._stacks[stack] = stack_ids_of(*stack)
        framework_id = self._frameworks.get((name, version))
        if framework_id is None:
            framework_id = self._frameworks[(name, version)] = stable_id("framework", name, version)
            self.rows["frameworks"].append(dict(framework_id=framework_id, name=name, version=version))
        # runs and measurements are the bulk: tuples in TUPLE_COLUMNS order, not dicts
        self.rows["runs"].append((
            run_id, machine_id, model_id, framework_id, self.source_id, path[-1], line, precision, label,
            libraries_label(libs) if libs else None, "libraries" in f, _extra_json(extra), date, *stack_ids,
            run_id if natural.date is None else config_id_of(natural)))
        for lr in lib_rows:
            lr["run_id"] = run_id
            self.rows["run_libraries"].append(lr)
        measurements = self.rows["measurements"]
        for k, metric, v, unit, written in values:
            measurements.append((run_id, metric, k, v, unit, written))
        for metric, points in samples:
            self.rows["samples"].extend((run_id, metric, i, v, w) for i, (v, w) in enumerate(points, 1))


class ModelRead(NamedTuple):
    """What the runs of a model read elsewhere need of it (SkeletonReader.models)."""

    machine_key: str
    machine_id: int
    position: int  # in its machine's models
    model_id: int
    workload: Workload  # its runs' part of the natural key
    device_bytes: int  # the machine's device memory
    findings_before: int  # findings made before its runs' (the reference walk reads them next)


class SkeletonReader(_Reader):
    """The machines, hosts, devices and models of a text whose framework entries are read
    elsewhere (ingest.vector reads them, vectorised): every check and row of _Reader for
    those levels, and for each model, in the order written, what its runs need.

    The text is the file's lines without the framework entries' (which are complete lines, so
    that what remains is the same TOML); `line_map[k]` is the file's number of its line k + 1.
    `has_frameworks[k]` says whether the k-th model of the text has framework entries."""

    def __init__(self, result: FileResult, text: str, line_map: list[int], has_frameworks: list[bool]):
        super().__init__(result, text, 0)
        self.line_map = line_map
        self.has_frameworks = has_frameworks
        self.models: list[ModelRead] = []  # per model, in the order written

    def pos(self, path) -> tuple[int, int]:
        line, col = super().pos(path)
        return self.line_map[line - 1], col

    def model(self, key, machine_id, i, m, device_bytes) -> None:
        k = len(self.models)
        has = self.has_frameworks[k] if k < len(self.has_frameworks) else False
        _, work, model_id = self.model_row(key, machine_id, i, m, has_frameworks=has)
        self.models.append(ModelRead(key, machine_id, i, model_id, work, device_bytes, len(self.r.findings)))


def read_skeleton(text: str, result: FileResult, line_map: list[int],
                  has_frameworks: list[bool]) -> SkeletonReader | None:
    """Parse `text` (a file's lines without the framework entries') with tomli and read it with
    a SkeletonReader; None when it does not parse (the caller falls back to read_text)."""
    try:
        doc = tomli.loads(text)
    except (tomli.TOMLDecodeError, RecursionError):
        return None
    reader = SkeletonReader(result, text, line_map, has_frameworks)
    reader.read(doc, source_id_for(result.path))
    return reader


def _decode(data: bytes, result: FileResult) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        result.findings.append(Finding("error", result.path, 1, 1, "",
                                       "file is not UTF-8 text (it starts with a UTF-16 byte order mark)",
                                       "a TOML file encoded as UTF-8"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        result.findings.append(Finding("error", result.path, line, col, "",
                                       f"file is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})",
                                       "a TOML file encoded as UTF-8"))
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        result.findings.append(Finding("error", result.path, line, 1, "", "file contains NUL bytes; it looks binary",
                                       "a TOML text file"))
        return None
    return text


def source_id_for(path: str) -> int:
    return stable_id("source", os.path.normpath(path))


def read_file(path: str) -> FileResult:
    """Read, check and normalize one file. Never raises for bad input."""
    result, text = load_file(path)
    if text is None:
        return result
    return read_text(text, result)


def load_file(path: str) -> tuple[FileResult, str | None]:
    """The file's text (None, with an error finding, when it cannot be read as UTF-8 text)."""
    result = FileResult(path=path, abs_path=os.path.abspath(path))
    try:
        data = read_regular(path)
    except NotARegularFile as e:
        expected = ("a TOML file" if "limit" not in str(e) else
                    f"a TOML file of at most {MAX_INPUT_BYTES:,} bytes ({MAX_INPUT_BYTES >> 30} GiB)")
        result.findings.append(Finding("error", path, 0, 0, "", str(e), expected))
        return result, None
    except FileNotFoundError:
        result.findings.append(Finding("error", path, 0, 0, "", "no such file", "an existing TOML file"))
        return result, None
    except OSError as e:
        result.findings.append(Finding("error", path, 0, 0, "", f"cannot be read: {e.strerror}",
                                       "a readable TOML file"))
        return result, None
    result.sha256 = hashlib.sha256(data).hexdigest()
    result.size_bytes = len(data)
    return result, _decode(data, result)


def read_text(text: str, result: FileResult, line_offset: int = 0, whole: bool = True) -> FileResult:
    """Parse and check `text` (which starts at line line_offset + 1 of its file);
    `whole` is False for the part of a file before its first machine section."""
    try:
        doc = tomli.loads(text)
    except tomli.TOMLDecodeError as e:
        result.findings.append(_syntax_error(text, result.path, e, line_offset))
        return result
    except RecursionError:  # tomli's own limit (400 levels of arrays and inline tables)
        line, col = nesting_position(text, MAX_DEPTH, line_offset) or (1 + line_offset, 1)
        result.findings.append(Finding("error", result.path, line, col, "", "nested too deep", DEPTH_EXPECTED))
        return result
    reader = _Reader(result, text, line_offset)
    reader.read(doc, source_id_for(result.path), whole)
    if not result.errors:
        result.rows = reader.rows
    return result


def _syntax_error(text: str, path: str, e, line_offset: int) -> Finding:
    """A TOML syntax error at tomli's position, naming the key or table written on that line."""
    line = getattr(e, "lineno", 1) or 1
    col = getattr(e, "colno", 1) or 1
    msg = getattr(e, "msg", str(e))
    key = ""
    written = KeyLocator(text).at_line.get(line)
    if written:
        key = format_path(written[0])
        if msg.startswith(("Cannot overwrite", "Cannot declare")):
            col = written[1]  # the key given twice, not the end of its value
    return Finding("error", path, line + line_offset, col, key, f"TOML syntax error: {msg}",
                   "valid TOML (see https://toml.io)")


def check_across(results: list[FileResult]) -> list[Finding]:
    """Errors that need all files: a run given twice, a machine defined differently."""
    findings: list[Finding] = []
    runs: dict[tuple, tuple[str, int]] = {}
    machines: dict[str, tuple[dict, str, int]] = {}
    for r in results:
        for key, definition in r.machines.items():
            line = r.machine_lines[key]
            if key in machines:
                other, opath, oline = machines[key]
                if other != definition:
                    differ = sorted(k for k in set(other) | set(definition) if other.get(k) != definition.get(k))
                    findings.append(Finding("error", r.path, line, 1, key,
                        f"machine '{key}' is defined differently in {opath}:{oline} "
                        f"({', '.join(differ)} {'differ' if len(differ) > 1 else 'differs'})",
                        "the same name, type, host and devices in every file that has this machine",
                        machine_key=key))
            else:
                machines[key] = (definition, r.path, line)
        for natural, line, col, path in r.run_keys:
            if natural in runs:
                findings.append(duplicate_run(r.path, (natural, line, col, path), *runs[natural]))
            else:
                runs[natural] = (r.path, line)
    return findings


def duplicate_run(file: str, entry: tuple, other_file: str, other_line: int) -> Finding:
    """The error for a run (an entry of FileResult.run_keys) given again after other_file:other_line."""
    natural, line, col, path = entry
    k: RunKey = natural
    stack = f"{k.framework} {k.version}" + "".join(f" + {n} {v}".rstrip() for n, v in k.libraries)
    stack += f" {k.precision}" if k.precision else ""
    return Finding("error", file, line, col, format_path(path),
                   f"the same run as {other_file}:{other_line} (machine '{k.machine}', {stack})",
                   "each machine, workload, mode, threads, date, framework, version, libraries and precision "
                   "at most once",
                   machine_key=k.machine)


def definition_sha256(definition: dict) -> str:
    """The fingerprint of a machine's definition (name, type, host, devices) that files must agree on."""
    return hashlib.sha256(json.dumps(_jsonable(definition), sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()
