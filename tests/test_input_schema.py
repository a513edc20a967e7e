"""`dlbench schema`: the JSON Schema of the input format agrees with the validator (issue 12).

The schema is a file shipped in the package (dlbench/input.schema.json); the validator
(dlbench.ingest.document) is the authority. These tests hold them together with the
`jsonschema` package: both datasets and every good fixture pass, the type errors of
the bad-input corpus fail at the validator's location, every known key given a
palette of wrong values fails exactly where the validator fails, and the patterns
accept exactly what the parsers in `units` accept. Documents are converted as taplo
converts TOML for a schema (dates to strings, nan/inf to null) before validating.
"""
from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
import tomli
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator, Draft202012Validator  # the test extra installs it

from conftest import CONVNET, ROOT, SEED, run_cli
from dlbench.ingest import document
from dlbench.ingest.document import FileResult, format_path, read_text
from dlbench.ingest.units import parse_count, parse_rate, parse_size
from dlbench.input_schema import DRAFT, as_json, schema, schema_text

SCHEMA = schema()
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
# taplo's validator (the jsonschema crate as taplo uses it) may read the schema as draft-07
DRAFT7 = Draft7Validator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)
BAD = ROOT / "tests" / "data" / "bad"


def schema_errors(doc: dict, validator=VALIDATOR) -> set[str]:
    """The key paths (as the validator writes them) where the schema finds an error."""
    return {format_path(e.absolute_path) for e in validator.iter_errors(as_json(doc))}


def validator_errors(text: str) -> set[str]:
    result = read_text(text, FileResult(path="t.toml", abs_path="/t.toml"))
    return {f.path for f in result.findings if f.severity == "error"}


# -- the schema itself and the command ---------------------------------------
def test_schema_is_draft_2020_12():
    assert SCHEMA["$schema"] == DRAFT == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)


def _patterns(node):
    if isinstance(node, dict):
        yield from ([node["pattern"]] if isinstance(node.get("pattern"), str) else [])
        for v in node.values():
            yield from _patterns(v)
    elif isinstance(node, list):
        for v in node:
            yield from _patterns(v)


def test_patterns_are_portable():
    """No lookaround or backreference, which regex engines such as Rust's `regex` lack; anchored."""
    patterns = list(_patterns(SCHEMA))
    assert len(patterns) == 6
    for p in patterns:
        assert "(?" not in p and "\\1" not in p, p
        assert p == "\\S" or (p.startswith("^") and p.endswith("$")), p


def test_command_prints_the_shipped_schema(project):
    shipped = (ROOT / "dlbench" / "input.schema.json").read_text(encoding="utf-8")
    proc = run_cli("schema", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == shipped == schema_text()
    assert proc.stderr == ""
    assert json.loads(proc.stdout) == SCHEMA


def test_command_writes_the_schema_to_a_file(project):
    proc = run_cli("schema", "--output", "out/benchmark.schema.json", cwd=project)
    assert proc.returncode == 1  # the folder does not exist: a clean error, nothing written
    assert proc.stderr.startswith("Error: cannot write out/benchmark.schema.json: ")
    assert "Traceback" not in proc.stderr
    proc = run_cli("schema", "--output", "benchmark.schema.json", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert json.loads((project / "benchmark.schema.json").read_text(encoding="utf-8")) == SCHEMA


@pytest.mark.slow  # builds a wheel
def test_a_built_wheel_carries_the_schema(tmp_path):
    """A non-editable install (a wheel) has the schema file, and `schema_text` reads it there."""
    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ there
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("dlbench", "ingest", "sql"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                            str(source)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("dlbench-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert "dlbench/input.schema.json" in z.namelist()
    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                              str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    code = "import dlbench.input_schema as s, sys; print(s.__file__); sys.stdout.write(s.schema_text())"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(target)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    where, _, text = proc.stdout.partition("\n")
    assert where.startswith(str(target))
    assert json.loads(text) == SCHEMA


# -- the keys of every level ----------------------------------------------------
LEVELS = {  # schema $defs name -> the validator's key set
    "machine": document.MACHINE_KEYS, "host": document.HOST_KEYS, "device": document.DEVICE_KEYS,
    "model": document.MODEL_KEYS, "framework": document.FRAMEWORK_KEYS, "library": document.LIBRARY_KEYS,
}


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_every_level_has_the_validators_keys(level):
    in_schema = set(SCHEMA["$defs"][level]["properties"])
    assert LEVELS[level] <= in_schema
    # `date` (a TOML date on a model or a framework entry) comes with issue 11's validator
    assert in_schema - LEVELS[level] <= ({"date"} if level in ("model", "framework") else set())
    # unknown keys are allowed (they are warnings), but not nan or inf (they are kept as JSON)
    assert SCHEMA["$defs"][level]["additionalProperties"] == {"$ref": "#/$defs/kept"}
    for key, spec in SCHEMA["$defs"][level]["properties"].items():
        assert spec.get("description"), (level, key)


# -- files that pass -------------------------------------------------------------
GOOD = [SEED, CONVNET, *sorted((ROOT / "data").glob("*.toml")), *sorted((ROOT / "tests" / "data").glob("*.toml")),
        BAD / "unicode-names.toml", BAD / "sql-names.toml"]


@pytest.mark.parametrize("path", sorted(set(GOOD)), ids=lambda p: str(p.relative_to(ROOT)))
def test_good_files_pass(path):
    text = path.read_text(encoding="utf-8")
    assert validator_errors(text) == set()
    assert schema_errors(tomli.loads(text)) == set()
    assert schema_errors(tomli.loads(text), DRAFT7) == set()


# -- the bad-input corpus: the schema fails where the validator does ---------------
CORPUS = {  # file in tests/data/bad -> the key path of its one error (a set where it has several)
    "type-machine-name": "gpu.name",
    "type-host": "gpu.host",
    "type-host-cores": "gpu.host.cores",
    "type-devices": "gpu.devices",
    "type-device-quantity": "gpu.devices[0].quantity",
    "type-models": "gpu.models",
    "type-model-batch-size": "gpu.models[0].batch_size",
    "type-frameworks": "gpu.models[0].frameworks",
    "type-forward": "gpu.models[0].frameworks[0].forward",
    "type-version": "gpu.models[0].frameworks[0].version",
    "type-libraries": "gpu.models[0].frameworks[0].libraries",
    "type-library-version": "gpu.models[0].frameworks[0].libraries[0].version",
    "bad-shape": "gpu.models[0].input",
    "size-unit": "gpu.models[0].frameworks[0].memory",
    "size-negative": "gpu.devices[0].memory",
    "zero-time": "gpu.models[0].frameworks[0].forward",
    "negative-time": "gpu.models[0].frameworks[0].backward",
    "nan-time": "gpu.models[0].frameworks[0].forward",
    "inf-time": "gpu.models[0].frameworks[0].backward",
    "huge-float": "gpu.models[0].frameworks[0].forward",
    "huge-int": "gpu.models[0].frameworks[0].forward",
    "huge-count": "gpu.host.cores",
    "nan-extra": "gpu.models[0].frameworks[0].power_watts",
    "missing-machine-name": "gpu",
    "missing-model-name": "gpu.models[0]",
    "missing-framework-name": "gpu.models[0].frameworks[0]",
    "missing-framework-version": "gpu.models[0].frameworks[0]",
    "missing-timing": "gpu.models[0].frameworks[0]",
    "missing-library-name": "gpu.models[0].frameworks[0].libraries[0]",
    "several-errors": {"gpu.host.cores", "gpu.devices[0].memory", "gpu.devices[0].quantity",
                       "gpu.models[0].frameworks[0].memory"},
    "empty": "",
    "comments-only": "",
    "not-a-table": "",
}
# what only `validate` can find: syntax (no document to check), and checks across runs and files
NOT_FOR_A_SCHEMA = {"syntax-bare-word", "syntax-duplicate-key", "syntax-missing-value", "syntax-unclosed-header",
                    "truncated", "duplicate-run", "duplicate-of-seed", "machine-differs", "machine-differs-devices",
                    "unicode-names", "sql-names",
                    "type-date"}  # a quoted date is a string, as taplo maps a TOML date: only validate tells them apart
# cases that tests/test_bad_input.py makes rather than commits: their text
GENERATED = {"empty": ""}


def test_the_corpus_is_covered():
    assert {p.stem for p in BAD.glob("*.toml")} | set(GENERATED) == set(CORPUS) | NOT_FOR_A_SCHEMA


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_corpus_fails_at_the_validators_location(case):
    text = GENERATED[case] if case in GENERATED else (BAD / f"{case}.toml").read_text(encoding="utf-8")
    want = CORPUS[case] if isinstance(CORPUS[case], set) else {CORPUS[case]}
    assert validator_errors(text) == want
    assert schema_errors(tomli.loads(text)) == want
    assert schema_errors(tomli.loads(text), DRAFT7) == want


def test_a_name_too_long_fails_where_the_validator_fails():
    text = '[gpu]\n  name = "GPU box"\n\n  [[gpu.models]]\n    name = "' + "x" * 100_000 + '"\n'
    assert validator_errors(text) == schema_errors(tomli.loads(text)) == {"gpu.models[0].name"}


# -- every known key against a palette of values -----------------------------------
# one line per key; the comment names its level, so that `name` is replaced on one level only
TEMPLATE = """\
[box]
  name = "Box" #machine
  type = "GPU" #machine
  [box.host]
    os = "linux" #host
    cpu = "Some CPU" #host
    cores = 8 #host
    cache = "8MB" #host
    ram = "8GB" #host
  [[box.devices]]
    name = "GPU" #device
    memory = "12GB" #device
    cores = "3072" #device
    memory_bandwith = "336.5GB/s" #device
    quantity = 1 #device
  [[box.models]]
    name = "Alexnet" #model
    type = "model" #model
    details = "https://example.org" #model
    batch_size = 128 #model
    input = "3x224x224" #model
    label = "AlexNet [OWT]" #model
    [[box.models.frameworks]]
      name = "Torch" #framework
      version = "7" #framework
      forward = 25 #framework
      backward = 63 #framework
      total = 88 #framework
      memory = "1750MB" #framework
      precision = "fp32" #framework
      label = "Torch (cuDNN 4)" #framework
      forward_samples = [25.0, 24.5, 25.5] #framework
      backward_samples = [63, 62, 64] #framework
      threads = 8 #framework
      warmup = 2 #framework
      iterations = 3 #framework
      input_gradient = false #framework
      clock = "time.perf_counter_ns" #framework
      command = "dlbench collect" #framework
      mode = "training" #framework
      [[box.models.frameworks.libraries]]
        name = "cuDNN" #library
        version = "4" #library
"""
PALETTE = [
    "5", "0", "-1", "1.5", "8.0", "1e-300", "1e12", "999999999999.5", "2147483647", "2147483648", "3000000000",
    "true", "nan", "-inf", "2016-02-28", "1979-05-27T07:32:00Z", "07:32:00",
    '"x"', '""', '"   "', '"8"', '" 8 "', '"0"', '"0000"', '"2147483647"', '"2147483648"', '"1234567890123456789"',
    '"12GB"', '"12 gib"', '".5MB"', '"12 XB"', '"-5MB"', '"12"', '"336.5GB/s"', '"1 kb / S"', '"3x224x224"',
    '"3x224x"', '"224"', '"' + "a" * 500 + '"', '"' + "a" * 501 + '"',
    "[]", "[1]", "[25.0, 24.5]", "[0]", "[1, nan]", '["1"]', "[[1]]", "{ a = 1 }", "{}",
]
KEYS = [(m.group(2), m.group(1)) for m in re.finditer(r"^\s*(\w+) = .* #(\w+)$", TEMPLATE, re.M)]


def _mutated(level: str, key: str, literal: str | None) -> str:
    line = re.compile(rf"^(\s*){key} = .* #{level}$", re.M)
    assert len(line.findall(TEMPLATE)) == 1
    return line.sub(lambda m: "" if literal is None else f"{m.group(1)}{key} = {literal}", TEMPLATE)


def test_the_template_is_good_and_has_every_scalar_key():
    assert validator_errors(TEMPLATE) == schema_errors(tomli.loads(TEMPLATE)) == set()
    tables = {"host", "devices", "models", "frameworks", "libraries"}
    for level, keys in LEVELS.items():  # date: test_date_is_a_toml_date puts it in
        assert {k for lvl, k in KEYS if lvl == level} == keys - tables - {"date"}, level


TEXT = {"required_text", "text"}  # the $defs of free text
COUNTS = {"count", "positive_count", "whole", "positive_whole"}
DATES = ("2016-02-28", "1979-05-27T07:32:00Z", "07:32:00")  # TOML dates and times


def _kind(level: str, key: str) -> str:
    return SCHEMA["$defs"][level]["properties"][key].get("$ref", "").rsplit("/", 1)[-1]


@pytest.mark.parametrize("level, key", KEYS, ids=[f"{lvl}.{k}" for lvl, k in KEYS])
def test_a_wrong_value_fails_where_the_validator_fails(level, key):
    """Every value of the palette, and the key left out, in place of one known key."""
    differ = []
    for literal in PALETTE + [None]:
        if literal is None and key in ("forward", "backward"):
            continue  # its samples are then given without it: see test_samples_need_their_timing
        if literal in DATES and _kind(level, key) in TEXT:
            continue  # a schema sees a TOML date as its text, as taplo does: see test_a_date_where_text_belongs
        if literal == "8.0" and _kind(level, key) in COUNTS:
            continue  # JSON has one number 8 = 8.0: see test_a_whole_float_where_a_count_belongs
        text = _mutated(level, key, literal)
        want = validator_errors(text)
        got = schema_errors(tomli.loads(text))
        if got != want:
            differ.append((literal, got, want))
    assert differ == []


def test_a_whole_float_where_a_count_belongs():
    """JSON has no integer apart from the number: 8.0 is an integer to JSON Schema (and to taplo's
    validator), so `cores = 8.0` passes the schema; `validate` wants 8 or "8"."""
    text = _mutated("host", "cores", "8.0")
    assert validator_errors(text) == {"box.host.cores"}
    assert schema_errors(tomli.loads(text)) == set()
    assert schema_errors(tomli.loads(_mutated("host", "cores", "8.5"))) == {"box.host.cores"}


def test_a_size_beyond_what_the_warehouse_holds():
    """The parsers refuse a size of 2**63 bytes (about 9.2 EB) or more, which a BIGINT cannot hold;
    a pattern cannot do arithmetic, so the schema lets it pass."""
    text = _mutated("framework", "memory", '"10000000TB"')
    assert validator_errors(text) == {"box.models[0].frameworks[0].memory"}
    assert schema_errors(tomli.loads(text)) == set()


def test_a_date_where_text_belongs():
    """The one thing a JSON Schema cannot see: taplo hands a TOML date to it as a string,
    so `version = 2016-02-28` passes the schema; `validate` says it is not a string."""
    text = _mutated("framework", "version", "2016-02-28")
    assert validator_errors(text) == {"box.models[0].frameworks[0].version"}
    assert schema_errors(tomli.loads(text)) == set()


def test_samples_need_their_timing():
    """Samples without their timing fail: the validator names the samples key, the schema the entry."""
    text = _mutated("framework", "forward", None)
    assert validator_errors(text) == {"box.models[0].frameworks[0].forward_samples"}
    assert schema_errors(tomli.loads(text)) == {"box.models[0].frameworks[0]"}
    assert schema_errors(tomli.loads(text), DRAFT7) == {"box.models[0].frameworks[0]"}  # `dependencies`
    # both timings missing: only the timing is reported by the validator; the schema says it too
    text = _mutated("framework", "backward", None).replace("      forward = 25 #framework\n", "")
    assert "box.models[0].frameworks[0]" in schema_errors(tomli.loads(text))


# -- dates, as taplo maps them --------------------------------------------------------
def test_toml_dates_become_strings_as_taplo_writes_them():
    doc = tomli.loads("d = 2016-02-28\nodt = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00.5-07:00\n"
                      "ldt = 1979-05-27T07:32:00.999000\nlt = 07:32:00\nlt2 = 00:32:00.25\nx = nan\n"
                      "nested = [{ d = 2016-03-03 }, inf]\n")
    assert isinstance(doc["d"], datetime.date)
    assert as_json(doc) == {
        "d": "2016-02-28", "odt": "1979-05-27T07:32:00Z", "odt2": "1979-05-27T00:32:00.5-07:00",
        "ldt": "1979-05-27T07:32:00.999", "lt": "07:32:00", "lt2": "00:32:00.25", "x": None,
        "nested": [{"d": "2016-03-03"}, None],
    }


@pytest.mark.parametrize("where", ["model", "framework"])
@pytest.mark.parametrize("literal, ok, validator_ok", [
    ("2016-02-28", True, True), ("2015", True, True), ("2016-02-28T10:00:00", False, False),
    ("07:32:00", False, False), ('"yesterday"', False, False), ("20160228", False, False),
    # a quoted date: a string to both, and taplo maps a TOML date to the same string, so the schema
    # cannot tell them apart; validate refuses it (tests/data/bad/type-date.toml)
    ('"2016-02-28"', True, False),
])
def test_date_is_a_toml_date(where, literal, ok, validator_ok):
    anchor = '    input = "3x224x224" #model\n' if where == "model" else '      label = "Torch (cuDNN 4)" #framework\n'
    text = TEMPLATE.replace(anchor, anchor + f"{anchor[:len(anchor) - len(anchor.lstrip())]}date = {literal}\n")
    path = "box.models[0]" + ("" if where == "model" else ".frameworks[0]") + ".date"
    assert schema_errors(tomli.loads(text)) == (set() if ok else {path})
    assert validator_errors(text) == (set() if validator_ok else {path})


def test_libraries_may_be_empty():
    """`libraries = []` means "none" (absent means "not known"): both are valid."""
    text = TEMPLATE.split("      [[box.models.frameworks.libraries]]")[0] + "      libraries = []\n"
    assert validator_errors(text) == schema_errors(tomli.loads(text)) == set()


# -- the patterns accept exactly what the parsers accept ---------------------------------
def _pattern(name: str) -> re.Pattern:
    spec = SCHEMA["$defs"][name]
    text = spec["pattern"] if "pattern" in spec else next(s["pattern"] for s in spec["oneOf"] if "pattern" in s)
    return re.compile(text)


UNIT = st.sampled_from(["B", "b", "KB", "kB", "Kb", "MB", "mb", "GB", "gB", "TB", "KiB", "kib", "MIB", "GiB",
                        "TiB", "tIb", "iB", "XB", "K", "KiiB", "", "MBs"])
NUMBER = st.from_regex(r"\A(-?[0-9]{0,6}(\.[0-9]{0,4})?|\.[0-9]{1,3}|[0-9]e3)\Z")
SPACE = st.sampled_from(["", " ", "  ", "\t"])


@settings(max_examples=400, deadline=None)
@given(SPACE, NUMBER, SPACE, UNIT, SPACE)
def test_size_pattern_is_parse_size(a, number, b, unit, c):
    text = a + number + b + unit + c
    assert bool(_pattern("size").search(text)) == (parse_size(text) is not None), text


@settings(max_examples=300, deadline=None)
@given(SPACE, NUMBER, SPACE, UNIT, SPACE, st.sampled_from(["/s", "/S", "/ s", "s", "/m", ""]), SPACE)
def test_rate_pattern_is_parse_rate(a, number, b, unit, c, per, d):
    text = a + number + b + unit + c + per + d
    assert bool(_pattern("rate").search(text)) == (parse_rate(text) is not None), text


def _count_ok(text: str, positive: bool) -> bool:
    n = parse_count(text)
    return n is not None and n <= document.MAX_COUNT and not (positive and n == 0)


@settings(max_examples=300, deadline=None)
@given(SPACE, st.from_regex(r"\A(0{0,9}[0-9]{0,12}|214748364[0-9]|21474836[0-9]{2}|-?[0-9]{1,3}|[0-9]+x|)\Z"),
       SPACE)
def test_count_patterns_are_parse_count(a, digits, b):
    text = a + digits + b
    assert bool(_pattern("count").search(text)) == _count_ok(text, False), text
    assert bool(_pattern("positive_count").search(text)) == _count_ok(text, True), text


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A([0-9x]{0,8}|[0-9]{1,3}(x[0-9]{1,3}){0,3}|3X224| 3x2)\Z"))
def test_shape_pattern_is_the_validators(text):
    toml = TEMPLATE.replace('input = "3x224x224"', f"input = {json.dumps(text)}")
    assert (validator_errors(toml) == set()) == bool(_pattern("shape").search(text)), text
