"""Unit tests with real values for the small pure modules: sizes and counts (ingest/units.py),
positions in a TOML text (ingest/locate.py) and the output formats (dlbench/output.py)."""
from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest

from dlbench.ingest.locate import KeyLocator, header_lines, split_key
from dlbench.ingest.units import parse_count, parse_rate, parse_size
from dlbench.output import FORMATS, markdown, render

KB, MB, GB, TB = 1000, 1000**2, 1000**3, 1000**4
KiB, MiB, GiB, TiB = 1024, 1024**2, 1024**3, 1024**4


# -- units: SI prefixes decimal, IEC binary, any case ------------------------------------------
@pytest.mark.parametrize("text, size", [
    ("512B", 512), ("512b", 512), ("0B", 0),
    ("3KB", 3 * KB), ("3kb", 3 * KB), ("3Kb", 3 * KB),
    ("1750MB", 1750 * MB), ("1750mb", 1750 * MB), ("1750Mb", 1750 * MB),  # Mb is megabytes here, not megabits
    ("12GB", 12 * GB), ("12gb", 12 * GB), ("8GB", 8_000_000_000),
    ("2TB", 2 * TB), ("2tb", 2 * TB),
    ("1.5 KiB", 1536), ("1kib", KiB), ("1KIB", KiB),
    ("256MiB", 256 * MiB), ("256mib", 256 * MiB),
    ("12GiB", 12 * GiB), ("12gib", 12 * GiB), ("12GIB", 12_884_901_888),
    ("1TiB", TiB), ("1tib", 1_099_511_627_776),
    (" 2 TB ", 2 * TB), ("2\tGB", 2 * GB),  # blanks around and between
    (".5KB", 500), ("0.25GB", 250 * MB), ("336.5GB", 336_500_000_000),
    ("9000PB".replace("P", "T"), 9000 * TB),
])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", [
    "12 XB", "12PB", "12 G B", "12GB/s",  # unknown units (PB is not one of them)
    "-5MB", "+5MB", "MB", "12", "", "   ",  # a sign, no number, no unit, nothing
    "1e3MB", "1.MB", "1,750MB", "twelve GB", "0x10MB", "12 MB extra",
    "10000000TB",  # 10**19 bytes: more than a BIGINT holds
    "9223372036854775807B",  # 2**63 - 1 as a float rounds up to 2**63
])
def test_not_sizes(text):
    assert parse_size(text) is None


@pytest.mark.parametrize("text, rate", [
    ("336.5GB/s", 336_500_000_000), (" 336.5 GB/s ", 336_500_000_000), ("1GiB/S", GiB), ("480 gb/s", 480 * GB),
    ("12.5MB/s", 12_500_000),
])
def test_rates(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["336.5GB", "GB/s", "5 /s", "5/s", "-1GB/s", "1GB/h", ""])
def test_not_rates(text):
    assert parse_rate(text) is None


@pytest.mark.parametrize("value, count", [
    (8, 8), (0, 0), ("8", 8), (" 8 ", 8), ("0", 0), ("3072", 3072),
    (2**63 - 1, 2**63 - 1), ("999999999999999999", 999_999_999_999_999_999),
])
def test_counts(value, count):
    assert parse_count(value) == count


@pytest.mark.parametrize("value", [
    True, False, -1, 2**63, 1.5, 8.0, "1.5", "one", "-8", "", "8 cores", "0" * 19, None, [8],
])
def test_not_counts(value):
    assert parse_count(value) is None


# -- locate: where a table or key is written ---------------------------------------------------
TEXT = '''# a comment line
[gpu]
  name = "GPU box"
  "quoted key" = 1
  'literal.key' = 2
  a.b . c = 3
  inline = { x = 1, y = [1, 2] }
  arr = [
    1,
    "]", # ]
  ]
  ml = """
  x = 5
  [not-a-table]
  """
  after = 1

  [gpu.host]   # the host
    cores = 8

  [[gpu.models]]
    name = "A"
    [[gpu.models.frameworks]]
      name = "T"
      forward = 1
    [[gpu.models.frameworks]]
      name = "U"
  [[ gpu . models ]]
    name = "B"
    [[gpu.models.frameworks]]
      name = "V"
["größe \\"ü\\" 機械"]
name = "x"
[ 'lit.eral' . "q\\u0041" ]
k = 1
'''


def test_key_positions():
    """Every key and table of TEXT at its line and column (1-based, the column of its first character)."""
    assert KeyLocator(TEXT).positions == {
        ("gpu",): (2, 1),
        ("gpu", "name"): (3, 3),
        ("gpu", "quoted key"): (4, 3),  # quotes removed
        ("gpu", "literal.key"): (5, 3),  # a dot inside quotes is part of the key
        ("gpu", "a", "b", "c"): (6, 3),  # a dotted key, blanks around a dot allowed
        ("gpu", "inline"): (7, 3),  # an inline table's keys are not placed on their own
        ("gpu", "arr"): (8, 3),  # a multi-line array, with "]" in a string and in a comment
        ("gpu", "ml"): (12, 3),  # a multi-line string: "x = 5" and "[not-a-table]" are text
        ("gpu", "after"): (16, 3),
        ("gpu", "host"): (18, 3),
        ("gpu", "host", "cores"): (19, 5),
        ("gpu", "models", 0): (21, 3),  # arrays of tables: one index per [[...]] entry
        ("gpu", "models", 0, "name"): (22, 5),
        ("gpu", "models", 0, "frameworks", 0): (23, 5),
        ("gpu", "models", 0, "frameworks", 0, "name"): (24, 7),
        ("gpu", "models", 0, "frameworks", 0, "forward"): (25, 7),
        ("gpu", "models", 0, "frameworks", 1): (26, 5),
        ("gpu", "models", 0, "frameworks", 1, "name"): (27, 7),
        ("gpu", "models", 1): (28, 3),  # "[[ gpu . models ]]" is the same array
        ("gpu", "models", 1, "name"): (29, 5),
        ("gpu", "models", 1, "frameworks", 0): (30, 5),  # counted again under the second model
        ("gpu", "models", 1, "frameworks", 0, "name"): (31, 7),
        ('größe "ü" 機械',): (32, 1),  # escapes in a quoted header are decoded
        ('größe "ü" 機械', "name"): (33, 1),
        ("lit.eral", "qA"): (34, 1),  # a literal and a basic part, \\u0041 decoded
        ("lit.eral", "qA", "k"): (35, 1),
    }
    lines = TEXT.splitlines()
    assert lines[25 - 1][7 - 1:].startswith("forward")
    assert lines[30 - 1][5 - 1:].startswith("[[gpu.models.frameworks]]")


def test_find_falls_back_to_the_nearest_written_ancestor():
    located = KeyLocator(TEXT)
    assert located.find(("gpu", "inline", "x")) == (7, 3)  # inside an inline table: the inline table
    assert located.find(("gpu", "models", 1, "frameworks", 0, "forward")) == (30, 5)  # missing key: its entry
    assert located.find(["gpu", "host", "ram"]) == (18, 3)  # a list works as a path too
    assert located.find(("nowhere", "at", "all")) == (1, 1)
    assert located.find(()) == (1, 1)


def test_line_offset():
    """A section read on its own (incremental ingest) is placed at its line in the whole file."""
    assert KeyLocator("[m]\nname = 1\n", line_offset=40).positions == {("m",): (41, 1), ("m", "name"): (42, 1)}
    assert header_lines("[m]\n\n[[m.models]]\n", line_offset=40) == {("m",): (41, 1), ("m", "models", 0): (43, 1)}


def test_header_lines_agree_with_the_key_locator():
    """header_lines is the fast scan (headers only) an ingest uses: the same tables at the same places."""
    text = TEXT.replace("  [not-a-table]\n", "")  # header_lines does not skip multi-line strings
    tables = {p: at for p, at in KeyLocator(text).positions.items()
              if p in header_lines(text)}
    assert header_lines(text) == tables
    assert list(header_lines(text)) == [
        ("gpu",), ("gpu", "host"), ("gpu", "models", 0), ("gpu", "models", 0, "frameworks", 0),
        ("gpu", "models", 0, "frameworks", 1), ("gpu", "models", 1), ("gpu", "models", 1, "frameworks", 0),
        ('größe "ü" 機械',), ("lit.eral", "qA")]


def test_header_lines_of_the_seed():
    from conftest import SEED

    found = header_lines(SEED.read_text())
    assert found[("nvidia-titan-x",)] == (4, 1)
    assert found[("nvidia-titan-x", "devices", 0)] == (15, 3)
    assert found[("nvidia-titan-x", "models", 0, "frameworks", 0)] == (27, 5)  # Leaf 0.2 + cuDNN 4 (the README)
    assert sum(1 for p in found if len(p) == 5 and p[3] == "frameworks") == 26  # the seed's 26 runs


def test_a_header_with_a_comment_and_a_broken_header():
    assert header_lines("[a] # note\n[b\n[[c]]  \n") == {("a",): (1, 1), ("c", 0): (3, 1)}


@pytest.mark.parametrize("dotted, parts", [
    ("plain", ("plain",)),
    ("plain-key_1.x", ("plain-key_1", "x")),
    ("a . b", ("a", "b")),
    ('a."b.c".\'d\'', ("a", "b.c", "d")),
    ('"a\\tb"', ("a\tb",)),
    ('"\\u00fc"', ("ü",)),
    ("'C:\\path'", ("C:\\path",)),  # a literal string keeps its backslash
    ('"машина"."GPU 1"', ("машина", "GPU 1")),
])
def test_split_key(dotted, parts):
    assert split_key(dotted) == parts


# -- output: the four formats ----------------------------------------------------------------------
COLUMNS = ["stack", "forward_ms", "memory_mb", "note"]
ROWS = [
    ("Torch 7 + cuDNN 4", 25.0, 1750, None),
    ("Größe 🚀", 1234.5, None, "a|b\nc"),
    ("x", None, None, None),
]


def test_markdown():
    assert render(COLUMNS, ROWS, "markdown") == (
        "| stack             | forward_ms | memory_mb | note   |\n"
        "| ----------------- | ---------: | --------: | ------ |\n"  # numbers (and NULLs) align right
        "| Torch 7 + cuDNN 4 |       25.0 |      1750 |        |\n"  # NULL: an empty cell
        "| Größe 🚀           |     1234.5 |           | a\\|b c |\n"  # | escaped, a newline is a space
        "| x                 |            |           |        |\n")


def test_markdown_digits_and_alignment():
    assert markdown(COLUMNS[:2], ROWS, digits=1) == (
        "| stack             | forward_ms |\n"
        "| ----------------- | ---------: |\n"
        "| Torch 7 + cuDNN 4 |       25.0 |\n"
        "| Größe 🚀           |    1,234.5 |\n"  # thousands separated from 1000 on
        "| x                 |            |\n")
    assert markdown(["n", "s"], [(1, "x"), (-20, "yy")], digits=2, align_right={"s"}) == (
        "|   n |   s |\n"
        "| --: | --: |\n"
        "|   1 |   x |\n"
        "| -20 |  yy |\n")
    # columns are at least 3 wide; no rows gives the head alone; a column of NULLs aligns left
    assert markdown(["a", "bb"], []) == "| a   | bb  |\n| --- | --- |\n"
    assert markdown(["a"], [(None,), (None,)]) == "| a   |\n| --- |\n|     |\n|     |\n"


def test_markdown_pads_by_characters():
    """Wide characters (CJK, most emoji) count as one: the table is right in characters, not on screen."""
    table = markdown(["name"], [("機械",), ("abcd",)])
    assert table.splitlines() == ["| name |", "| ---- |", "| 機械   |", "| abcd |"]


def test_csv():
    assert render(COLUMNS, ROWS, "csv") == (
        "stack,forward_ms,memory_mb,note\n"
        "Torch 7 + cuDNN 4,25.0,1750,\n"  # NULL: an empty field
        'Größe 🚀,1234.5,,"a|b\nc"\n'  # a newline is quoted, not escaped
        "x,,,\n")
    assert render(["a,b", 'say "hi"'], [("1,5", 'he said "no"')], "csv") == (
        '"a,b","say ""hi"""\n"1,5","he said ""no"""\n')


def test_json_and_ndjson():
    records = [
        {"stack": "Torch 7 + cuDNN 4", "forward_ms": 25.0, "memory_mb": 1750, "note": None},
        {"stack": "Größe 🚀", "forward_ms": 1234.5, "memory_mb": None, "note": "a|b\nc"},
        {"stack": "x", "forward_ms": None, "memory_mb": None, "note": None},
    ]
    as_json = render(COLUMNS, ROWS, "json")
    assert json.loads(as_json) == records
    assert as_json.startswith('[\n  {\n    "stack": "Torch 7 + cuDNN 4",\n    "forward_ms": 25.0,\n')
    assert '"stack": "Größe 🚀"' in as_json  # unicode as it is, not \u escapes
    assert '"memory_mb": null' in as_json
    ndjson = render(COLUMNS, ROWS, "ndjson")
    assert ndjson.splitlines()[1] == ('{"stack": "Größe 🚀", "forward_ms": 1234.5, "memory_mb": null, '
                                      '"note": "a|b\\nc"}')
    assert [json.loads(line) for line in ndjson.splitlines()] == records
    assert render(["a"], [], "json") == "[]\n"
    assert render(["a"], [], "ndjson") == ""
    assert render(["a"], [], "csv") == "a\n"


def test_values_json_has_no_word_for():
    """nan and inf are NULL (JSON has no such numbers); decimals, dates, intervals and blobs get plain forms."""
    values = [float("nan"), float("inf"), float("-inf"), decimal.Decimal("1.50"), dt.date(2016, 3, 7),
              dt.datetime(2016, 3, 7, 1, 2, 3), dt.time(12, 30), dt.timedelta(seconds=90), b"\x01\xff", True,
              10**20, 1e-7]
    rows = [(v,) for v in values]
    assert json.loads(render(["v"], rows, "json")) == [
        {"v": v} for v in [None, None, None, 1.5, "2016-03-07", "2016-03-07T01:02:03", "12:30:00", 90.0, "01ff",
                           True, 10**20, 1e-7]]
    assert render(["v"], rows, "csv").splitlines() == [
        "v", '""', '""', '""', "1.5", "2016-03-07", "2016-03-07T01:02:03", "12:30:00", "90.0", "01ff", "True",
        "100000000000000000000", "1e-07"]
    assert "NaN" not in render(["v"], rows, "ndjson") and "Infinity" not in render(["v"], rows, "ndjson")


def test_unknown_format():
    assert FORMATS == ("markdown", "csv", "json", "ndjson")
    with pytest.raises(ValueError, match=r"^unknown format 'xml'; expected one of markdown, csv, json, ndjson$"):
        render(["a"], [], "xml")
