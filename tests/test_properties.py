"""Property: any mutation of the seed document is either ingested or refused with
InvalidInput, `validate` and `ingest` agree, and what is ingested reads back.

Hypothesis (derandomized, so CI sees the same examples every run) mutates the
parsed benchmark.toml: deletes keys, changes a value's type, duplicates entries,
renames keys, puts random strings and numbers (nan, inf, negative, huge) and
empty tables anywhere; a small TOML writer below turns it back into text.
"""
from __future__ import annotations

import copy
import json
import math
import re
import tempfile
from pathlib import Path

import duckdb
import pytest
import tomli
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import SEED, cli
from dlbench.errors import Finding, InvalidInput
from dlbench.warehouse import build_warehouse as ingest

pytestmark = pytest.mark.slow  # hypothesis ingests 150 mutated documents

SEED_DOC = tomli.loads(SEED.read_text())


# -- a tiny TOML writer ----------------------------------------------------------
_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _string(s: str) -> str:
    out = json.dumps(s, ensure_ascii=False)  # JSON string escapes are TOML basic-string escapes ...
    return out.replace("\x7f", "\\u007f")  # ... except that TOML wants DEL escaped too


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else _string(k)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def _is_array_of_tables(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _table(lines: list[str], path: tuple, table: dict) -> None:
    for k, v in table.items():
        if not isinstance(v, dict) and not _is_array_of_tables(v):
            lines.append(f"{_key(k)} = {_value(v)}")
    for k, v in table.items():
        header = ".".join(_key(p) for p in path + (k,))
        if isinstance(v, dict):
            lines += ["", f"[{header}]"]
            _table(lines, path + (k,), v)
        elif _is_array_of_tables(v):
            for item in v:
                lines += ["", f"[[{header}]]"]
                _table(lines, path + (k,), item)


def dumps(doc: dict) -> str:
    lines: list[str] = []
    _table(lines, (), doc)
    return "\n".join(lines) + "\n"


def _same(v):
    """A value with nan made comparable (nan != nan)."""
    if isinstance(v, float) and math.isnan(v):
        return "<nan>"
    if isinstance(v, dict):
        return {k: _same(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_same(x) for x in v]
    return v


def test_writer_round_trips_the_seed():
    assert tomli.loads(dumps(SEED_DOC)) == SEED_DOC


# -- mutations ---------------------------------------------------------------------
KNOWN_KEYS = ["name", "type", "host", "os", "cpu", "cores", "cache", "ram", "devices", "memory", "memory_bandwith",
              "quantity", "models", "details", "batch_size", "input", "frameworks", "version", "forward",
              "backward", "total", "precision", "label", "libraries", "memory_bandwidth", "power_watts",
              "forward_ms", "nvidia-titan-x"]
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), text)
numbers = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from([0, -1, 2**31, 2**63, 10**30, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, -25.5, 1e-300, 1e12, 1e308]),
)
strings = st.one_of(text, st.sampled_from(
    ["25ms", "12 XB", "-5MB", "1750MB", "12GiB", "336.5GB/s", "3x224x224", "3x", "", " ", "8", "one",
     "x'; drop table runs; --", "\x1f", "Ünïcödé \"q\" 'q'", "a" * 600]))
scalars = st.one_of(numbers, strings, st.booleans())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=6)


def _locations(node, out, depth=0):
    """(container, key) of every value in the document."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in list(items):
        out.append((node, k))
        _locations(v, out, depth + 1)
    return out


def mutate(data, doc: dict) -> list[str]:
    """Apply 1 to 3 random edits to `doc` in place; return what was done (for the failure report)."""
    done = []
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        where = _locations(doc, [])
        if not where:
            break
        container, k = where[data.draw(st.integers(0, len(where) - 1), label="where")]
        op = data.draw(st.sampled_from(["delete", "retype", "duplicate", "rename", "empty", "number", "string"]),
                       label="op")
        current = container[k]
        if op == "delete":
            del container[k]
        elif op == "retype":
            container[k] = data.draw(values, label="value")
        elif op == "duplicate":
            if isinstance(container, list):
                container.append(copy.deepcopy(current))
            else:
                container[data.draw(keys, label="copy as")] = copy.deepcopy(current)
        elif op == "rename":
            if isinstance(container, dict):
                new = data.draw(keys, label="new key")
                container[new] = container.pop(k)
        elif op == "empty":
            if isinstance(current, dict):
                container[k] = {}
            elif isinstance(current, list):
                container[k] = []
        elif op == "number":
            container[k] = data.draw(numbers, label="number")
        elif op == "string":
            container[k] = data.draw(strings, label="string")
        done.append(f"{op} {k!r}")
    return done


# -- the property ------------------------------------------------------------------
_work = tempfile.TemporaryDirectory(prefix="dlbench-properties-")


@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_mutated_seed_is_ingested_or_refused(data):
    doc = copy.deepcopy(SEED_DOC)
    mutate(data, doc)
    text = dumps(doc)
    assert _same(tomli.loads(text)) == _same(doc)  # the writer wrote what we meant

    folder = Path(_work.name)
    path, db = folder / "mutated.toml", folder / "warehouse.duckdb"
    path.write_text(text, encoding="utf-8")
    checked = cli("validate", "--format", "json", str(path))
    assert checked.exit_code in (0, 2), checked.stderr
    findings = [Finding(**f) for f in json.loads(checked.stdout)["findings"]]
    errors = [f for f in findings if f.severity == "error"]
    try:
        summary = ingest([str(path)], str(db))
    except InvalidInput as e:
        assert errors, "ingest refused a file that validate accepted"
        assert e.findings == findings
        assert checked.exit_code == 2
        event("refused")
        return
    event("ingested")
    assert not errors, "ingest accepted a file that validate refused"
    assert checked.exit_code == 0
    assert summary.warnings == findings  # only warnings, the same ones
    _check_warehouse(db, doc)


def _check_warehouse(db: Path, doc: dict) -> None:
    """The warehouse holds what the document says."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        machines = {k for k, v in doc.items() if isinstance(v, dict)}
        assert {r[0] for r in con.execute("select machine_key from machines").fetchall()} == machines
        runs = sum(len(m.get("frameworks", [])) for v in doc.values() if isinstance(v, dict)
                   for m in v.get("models", []))
        assert con.execute("select count(*) from runs").fetchone() == (runs,)
        # every JSON column parses as strict JSON (no NaN, no Infinity)
        for table, column in (("machines", "extra"), ("machines", "host_extra"), ("devices", "extra"),
                              ("models", "extra"), ("runs", "extra"), ("run_libraries", "extra"),
                              ("sources", "extra"), ("measurements", "written")):
            for (value,) in con.execute(f"select {column} from {table} where {column} is not null").fetchall():
                json.loads(value, parse_constant=_refuse)
    finally:
        con.close()
    exported = cli("export", "json", "--db", str(db))
    assert exported.exit_code == 0, exported.stderr
    assert _same(json.loads(exported.stdout, parse_constant=_refuse)) == _same(_as_json(doc))


def _refuse(name):
    raise AssertionError(f"{name} in JSON")


def _as_json(v):
    if isinstance(v, dict):
        return {k: _as_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_as_json(x) for x in v]
    return v
