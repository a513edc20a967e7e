"""The fast path (ingest/vector.py) against the reference (tomli and document's reader).

The property: for every input, valid or not, reading a file with the fast path gives
what the reference gives: the same rows in every table, the same ids, the same
findings (warnings and errors, with their lines, columns and words, in the same
order), the same machine definitions and section facts. Hypothesis (derandomized)
writes files with bench/generate.py and mutates them line by line: values of other
types and forms, keys renamed, lines deleted, doubled, swapped or inserted, headers
changed, comments, blanks and CRLF endings.

Both readers run on the same split of the file into sections (PARALLEL_MIN_BYTES is
lowered so that small files are split too), in this process.
"""
from __future__ import annotations

import collections
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bench.generate import generate
from dlbench.ingest import build, document, pipeline, units, vector
from dlbench.warehouse import catalog

ID_TABLES = {"machines": "machine_id", "devices": "device_id", "frameworks": "framework_id"}


@pytest.fixture(autouse=True)
def _split_small_files(monkeypatch):
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv("DLBENCH_WORKERS", "1")  # read in this process: no fork per example


def read(path: Path, fast: bool):
    """What check_files gives with one reader: (rows by table, findings, results), or the
    exception it raised."""
    rows: dict[str, list] = collections.defaultdict(list)
    tables_seen: dict[str, list] = {}

    def sink(table, data):
        if not isinstance(data, dict):
            assert fast and table in ("runs", "measurements", "run_libraries"), table
            data = data.to_pydict()
        columns = sorted(data)
        tables_seen.setdefault(table, columns)
        assert tables_seen[table] == columns, (table, columns)
        rows[table] += zip(*(data[c] for c in columns))

    try:
        results, findings = build.check_files([str(path)], sink, fast=fast)
    except pipeline.SplitUnsafe as e:
        return type(e).__name__
    return rows, findings, results


def same(path: Path) -> str:
    """Assert that both readers agree on `path`; what happened (for hypothesis' statistics)."""
    fast, ref = read(path, True), read(path, False)
    if isinstance(ref, str) or isinstance(fast, str):
        assert fast == ref
        return ref
    (frows, ffind, fres), (rrows, rfind, rres) = fast, ref
    assert ffind == rfind
    (f,), (r,) = fres, rres
    assert (f.machines, f.machine_lines, f.sections, f.root_extra) == (r.machines, r.machine_lines, r.sections,
                                                                        r.root_extra)
    if any(x.severity == "error" for x in rfind):
        return "error"  # rows were not all read: what matters is the same findings
    assert set(frows) == set(rrows)
    for table in rrows:
        if table in ID_TABLES:  # a machine, device or framework may come twice; the builder keeps one
            assert set(frows[table]) == set(rrows[table]), table
        else:
            assert sorted(frows[table], key=repr) == sorted(rrows[table], key=repr), table
    for table in ("source_machines", "models", "runs", "measurements"):
        assert f.counts.get(table, 0) == r.counts.get(table, 0), table
    read_fast = "all" if not f.run_keys else "some" if f.fast_run_ids and len(f.fast_run_ids[0]) else "none"
    return ("ok with warnings" if rfind else "ok") + f", fast path read {read_fast}"


# -- the whole warehouse, both ways ----------------------------------------------------------------
def _tables(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        out = {}
        for t in names:
            cols = [c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                                              "ORDER BY column_index", [t]).fetchall()
                    if c not in ("ingested_at",)]
            where = " WHERE key NOT IN ('built_at')" if t == "warehouse_meta" else ""
            quoted = ", ".join(f'"{c}"' for c in cols)
            out[t] = sorted(con.execute(f'SELECT {quoted} FROM "{t}"{where}').fetchall(), key=repr)
    return out


def test_the_warehouse_is_the_same_table_by_table(tmp_path):
    text = generate(machines=6, models=5, frameworks=9, seed=3)
    src = tmp_path / "big.toml"
    src.write_text(text, encoding="utf-8")
    findings = {}
    for fast in (True, False):
        findings[fast] = build.build(str(tmp_path / f"{fast}.duckdb"), catalog(), [str(src)], "spec", fast=fast)
    assert findings[True] == findings[False] and findings[True]  # the synthetic data has warnings
    fast, ref = _tables(tmp_path / "True.duckdb"), _tables(tmp_path / "False.duckdb")
    assert fast == ref
    assert len(ref["runs"]) == 6 * 5 * 9 and len(ref["measurements"]) > 2 * len(ref["runs"])


def test_the_fast_path_reads_the_common_shape(tmp_path):
    """Not a fallback in disguise: the synthetic file is read by the fast path, all of it."""
    src = tmp_path / "big.toml"
    src.write_text(generate(machines=4, models=3, frameworks=6, seed=1), encoding="utf-8")
    arrow = []
    result = pipeline.read(str(src), lambda t, d: arrow.append((t, isinstance(d, pa.Table))), fast=True)
    assert ("runs", True) in arrow and ("measurements", True) in arrow and ("run_libraries", True) in arrow
    assert result.run_keys == [] and sum(len(a) for a in result.fast_run_ids) == 4 * 3 * 6
    assert same(src) == "ok with warnings, fast path read all"


def test_a_run_given_twice_is_named_by_the_reference(tmp_path):
    text = generate(machines=2, models=2, frameworks=3, seed=2)
    sections = pipeline.split_sections(text)
    # the first framework entry of the first model written again after it: the same stack twice
    lines = text[sections[0].start:sections[0].end].splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().endswith(".models.frameworks]]"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("[[")
               and lines[i].strip().endswith(".models.frameworks]]"))
    doubled = lines[:end] + lines[start:end] + lines[end:]
    src = tmp_path / "twice.toml"
    src.write_text("\n".join(doubled) + "\n" + text[sections[1].start:], encoding="utf-8")
    rows, findings, _ = read(src, True)
    errors = [f for f in findings if f.severity == "error"]
    assert len(errors) == 1 and errors[0].message.startswith("the same run as ")
    assert errors[0].line == start + len(lines[start:end]) + 1  # the copy, which comes second
    assert same(src) == "error"


# -- the vectorised checks against the reference's, value by value ----------------------------------
@settings(max_examples=300, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
       | st.sampled_from(["\u3000", " \t", "\u2028x", "x" * 500, "x" * 501, "\u0085", "\xa0a"]))
def test_plain_text_is_the_reference_s(s):
    if any(c < " " and c != "\t" or c == "\x7f" for c in s):
        return  # not in a value the fast path reads (the grammar has no control characters)
    assert vector._plain(pa.array([s])).to_pylist() == [document._plain_text(s)]


@settings(max_examples=300, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.from_regex(r"[0-9]{1,14}(\.[0-9]{1,7})?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|kb|mB|X|Bytes)", fullmatch=True)
       | st.sampled_from(["1750MB", "0MB", " 12GB", "12 GB", ".5GB", "9999999999TB", "1e3MB", "12GiB"]))
def test_sizes_are_the_reference_s(text):
    value, bad = vector._sizes(pa.array([text]))
    expected = units.parse_size(text)
    if bad[0].as_py():
        event("left to the reference reader")
        return
    event("read here")
    assert value.to_pylist() == [expected]


def test_sizes_as_files_write_them_are_read_here():
    """The check above must not pass by leaving every size to the reference reader."""
    texts = ["1750MB", "12GiB", "0MB", "336.5GB", "8GB", "1.5TB"]
    value, bad = vector._sizes(pa.array(texts))
    assert bad.to_pylist() == [False] * len(texts)
    assert value.to_pylist() == [units.parse_size(t) for t in texts]


# -- the property: any file, mutated or not -----------------------------------------------------------
VALUES = ["0", "-1", "1e3", "25.0", "25.10", "0.0001", "0.00001", "007", "1_000", "0x10", "12345678901234",
          "123456789.1234567", "999999999999", "1000000000000", '"x"', '""', '" "', '"\\t"', '"\u3000"',
          "true", "1979-05-27", "2016-02-30", '"1750 MB"', '"1750mb"', '"12GiB"', '"0MB"', '"9999999999TB"',
          "nan", "inf", "[1, 2]", "[]", "{a = 1}", "'lit'", '"a\\"b"', '"\u00e9"', '"' + "x" * 501 + '"',
          '"x" # comment', "25 # c", '"two" "strings"', "", '"""multi"""', '"\\u0041"']
KEYS = ["name", "version", "forward", "backward", "total", "memory", "precision", "label", "date", "libraries",
        "forward_samples", "threads", "colour", "frameworks", "devices", "host", "models", "type", "quantity"]
LINES = ["", "# a comment", "   ", "\t# tab", "[[{k}.models.frameworks]]", "[[{k}.models.frameworks.libraries]]",
         "[[{k}.models]]", "[{k}.host]", "[[{k}.devices]]", "[{k}.other]", "[[{k}.models.frameworks.other]]",
         "[[other.models.frameworks]]", 'name = "Torch"', "forward=10", "  backward = 20  ", 'memory = "1GB"',
         "total = 1", 'precision = "fp16"', "[ {k}.host ]", "[[{k}.models.frameworks]] # c", 'x.y = 1',
         '"quoted" = 1', "key = \"unterminated"]


@st.composite
def mutated(draw):
    machines = draw(st.integers(1, 3))
    text = generate(machines=machines, models=draw(st.integers(1, 3)), frameworks=draw(st.integers(1, 5)),
                    seed=draw(st.integers(0, 50)))
    lines = text.split("\n")
    key = draw(st.sampled_from([line[1:-1] for line in lines if line.startswith("[") and "." not in line]))
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        what = draw(st.sampled_from(["value", "key", "delete", "double", "insert", "swap", "header", "crlf"]))
        event(what)
        line = lines[i]
        if what == "value" and " = " in line:
            lines[i] = line.split(" = ", 1)[0] + " = " + draw(st.sampled_from(VALUES))
        elif what == "key" and " = " in line:
            indent = line[:len(line) - len(line.lstrip())]
            lines[i] = indent + draw(st.sampled_from(KEYS)) + " = " + line.split(" = ", 1)[1]
        elif what == "delete":
            del lines[i]
        elif what == "double":
            lines.insert(i, line)
        elif what == "insert":
            lines.insert(i, draw(st.sampled_from(LINES)).format(k=key))
        elif what == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif what == "header" and line.lstrip().startswith("["):
            lines[i] = line[:len(line) - len(line.lstrip())] + draw(st.sampled_from(LINES[4:12])).format(k=key)
        elif what == "crlf":
            lines[i] = line + "\r"
    return "\n".join(lines)


@settings(max_examples=250, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(text=mutated())
def test_fast_and_reference_agree_on_every_input(tmp_path_factory, text):
    src = tmp_path_factory.mktemp("v") / "bench.toml"
    src.write_text(text, encoding="utf-8")
    event(same(src))


def test_both_readers_give_the_same_ids_for_workloads_and_stacks(tmp_path):
    """The natural key's model part (batch size, input, shape keys, a model's date) and stack_id: the
    fast path builds them from what the reference reader gives it, so the ids are the same."""
    text = ('[m]\nname = "M"\ntype = "GPU"\n'
            '\n[[m.models]]\nname = "GEMM"\ntype = "kernel"\nop = "gemm"\nm = 1760\nn = 128\nk = 1760\n'
            'batch_size = 64\ninput = "3x224x224"\ndate = 2016-02-28\n'
            '\n[[m.models.frameworks]]\nname = "Torch"\nversion = "Unknown"\nforward = 10\nbackward = 20\n'
            'memory = "1GB"\nprecision = "FP16"\n'
            '\n[[m.models.frameworks.libraries]]\nname = "cuDNN"\nversion = "R4"\n'
            '\n[[m.models.frameworks]]\nname = "torch"\nversion = "unknown"\nforward = 11\nbackward = 20\n'
            'memory = "1GB"\nprecision = "fp16"\n'
            '\n[[m.models.frameworks.libraries]]\nname = "cudnn"\nversion = "4"\n')
    src = tmp_path / "kernel.toml"
    src.write_text(text, encoding="utf-8")
    assert same(src) == "ok with warnings, fast path read all"  # warnings: op, m, n, k are not known keys yet
    rows, _, _ = read(src, True)
    columns = sorted(["run_id", "machine_id", "model_id", "framework_id", "source_id", "position", "line",
                      "precision", "label", "libraries", "has_libraries", "extra", "date", "stack_id",
                      "base_stack_id", "config_id"])
    runs = [dict(zip(columns, r)) for r in rows["runs"]]
    # two runs (the stack written two ways) of one stack: case and an unpublished version do not matter
    assert len({r["run_id"] for r in runs}) == 2 and len({r["stack_id"] for r in runs}) == 1
    assert runs[0]["stack_id"] == document.stack_ids_of("TORCH", "unknown", [("CUDNN", "4")], True, "fp16")[0]
