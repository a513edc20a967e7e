"""Bad input never crashes and never writes (issue 5).

Every file in tests/data/bad/ (plus a few generated here: a directory, UTF-16,
binary garbage, a 100k-character name, a missing file, one file named twice)
is ingested by a real `cli.py ingest` over a warehouse built from the seed.
Each case checks the exact error lines, the exit code, that there is no
traceback, that the warehouse file is byte-for-byte unchanged, and that
`validate` (text and --format json) reports the same findings.
Two files in the corpus are VALID (unicode-names, sql-names): they must ingest,
and their names read back exactly.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import tomli

from conftest import ROOT, SEED, cli, run_cli, sha256
from dlbench.warehouse import build_warehouse as ingest
from dlbench.errors import Finding

BAD_DIR = ROOT / "tests" / "data" / "bad"
TIME = "expected a positive number of milliseconds such as 25 or 25.5"
SIZE = ('expected a size such as "1750MB" or "12GiB" (a non-negative number and one of B, KB, MB, GB, TB, '
        'KiB, MiB, GiB, TiB)')
SYNTAX = "expected valid TOML (see https://toml.io)"
DUPLICATE = "expected each machine, model, framework, version, libraries and precision at most once"
NO_MACHINE = "no machine sections found; expected at least one machine table such as [nvidia-titan-x] with name = ..."
NONFINITE = "expected a finite number (unknown keys are kept as JSON, which has no nan or inf)"
NOT_UTF8 = "expected a TOML file encoded as UTF-8"
DATE = ("a TOML date such as 2016-02-28 (without quotes), the day the source measured it, or a year such as 2015 "
        "when only the year is known")


def _one(name: str, code: int, *errors: str):
    """A case that ingests bad/<name>.toml alone."""
    return [f"bad/{name}.toml"], code, list(errors)


# case -> (files as given to ingest/validate, exit code, the exact error lines)
CASES = {
    # TOML syntax
    "syntax-unclosed-header": _one("syntax-unclosed-header", 2,
        "bad/syntax-unclosed-header.toml:6:12: TOML syntax error: Expected ']' at the end of a table declaration; "
        + SYNTAX),
    "syntax-missing-value": _one("syntax-missing-value", 2,
        "bad/syntax-missing-value.toml:24:16: gpu.models[0].frameworks[0].forward: TOML syntax error: Invalid value; " + SYNTAX),
    "syntax-duplicate-key": _one("syntax-duplicate-key", 2,
        "bad/syntax-duplicate-key.toml:5:3: gpu.name: TOML syntax error: Cannot overwrite a value; " + SYNTAX),
    "syntax-bare-word": _one("syntax-bare-word", 2,
        "bad/syntax-bare-word.toml:4:10: gpu.type: TOML syntax error: Invalid value; " + SYNTAX),
    "truncated": _one("truncated", 2,
        "bad/truncated.toml:23:18: gpu.models[0].frameworks[0].version: TOML syntax error: Unterminated string; " + SYNTAX),
    # nothing in it
    "empty": _one("empty", 2, "bad/empty.toml:1:1: " + NO_MACHINE),
    "comments-only": _one("comments-only", 2, "bad/comments-only.toml:1:1: " + NO_MACHINE),
    "not-a-table": _one("not-a-table", 2, "bad/not-a-table.toml:1:1: " + NO_MACHINE),
    # wrong types, level by level
    "type-machine-name": _one("type-machine-name", 2,
        'bad/type-machine-name.toml:3:3: gpu.name: wrong type: got the integer 50; '
        'expected a string such as "Nvidia Titan X"'),
    "type-host": _one("type-host", 2,
        'bad/type-host.toml:5:3: gpu.host: wrong type: got the string "x"; expected a table ([gpu.host])'),
    "type-host-cores": _one("type-host-cores", 2,
        'bad/type-host-cores.toml:8:5: gpu.host.cores: not a whole number: got an array; '
        'expected a whole number such as 8 or "8"'),
    "type-devices": _one("type-devices", 2,
        'bad/type-devices.toml:5:3: gpu.devices: wrong type: got the string "x"; '
        'expected an array of tables ([[gpu.devices]])'),
    "type-device-quantity": _one("type-device-quantity", 2,
        'bad/type-device-quantity.toml:14:5: gpu.devices[0].quantity: not a whole number: got the string "one"; '
        'expected a whole number such as 8 or "8"'),
    "type-models": _one("type-models", 2,
        'bad/type-models.toml:4:3: gpu.models: wrong type: got the string "x"; '
        'expected an array of tables ([[gpu.models]])'),
    "type-model-batch-size": _one("type-model-batch-size", 2,
        "bad/type-model-batch-size.toml:18:5: gpu.models[0].batch_size: not a whole number: got the float 1.5; "
        "expected a positive whole number such as 128"),
    "type-frameworks": _one("type-frameworks", 2,
        "bad/type-frameworks.toml:7:5: gpu.models[0].frameworks: wrong type: got the integer 3; "
        "expected an array of tables ([[gpu.models.frameworks]])"),
    "type-forward": _one("type-forward", 2,
        'bad/type-forward.toml:24:7: gpu.models[0].frameworks[0].forward: wrong type: got the string "25ms"; '
        + TIME),
    "type-version": _one("type-version", 2,
        "bad/type-version.toml:23:7: gpu.models[0].frameworks[0].version: wrong type: got the float 0.2; "
        'expected a string such as "0.2" or "07/03/2016"'),
    "type-date": _one("type-date", 2,
        "bad/type-date.toml:20:5: gpu.models[0].date: wrong type: got the datetime 2016-02-28 10:00:00; "
        f"expected {DATE}",
        "bad/type-date.toml:25:7: gpu.models[0].frameworks[0].date: wrong type: got the string \"2016-02-28\"; "
        f"expected {DATE}"),
    "type-libraries": _one("type-libraries", 2,
        "bad/type-libraries.toml:27:7: gpu.models[0].frameworks[0].libraries: wrong type: got the integer 5; "
        "expected an array of tables ([[...frameworks.libraries]])"),
    "type-library-version": _one("type-library-version", 2,
        "bad/type-library-version.toml:30:9: gpu.models[0].frameworks[0].libraries[0].version: wrong type: "
        'got the integer 4; expected a string such as "4"'),
    # missing keys, level by level
    "missing-machine-name": _one("missing-machine-name", 2,
        "bad/missing-machine-name.toml:2:1: gpu: missing required key 'name'; "
        'expected name = a string such as "Nvidia Titan X"'),
    "missing-model-name": _one("missing-model-name", 2,
        "bad/missing-model-name.toml:16:3: gpu.models[0]: missing required key 'name'; "
        'expected name = a string such as "Alexnet"'),
    "missing-framework-name": _one("missing-framework-name", 2,
        "bad/missing-framework-name.toml:21:5: gpu.models[0].frameworks[0]: missing required key 'name'; "
        'expected name = a string such as "Torch"'),
    "missing-framework-version": _one("missing-framework-version", 2,
        "bad/missing-framework-version.toml:21:5: gpu.models[0].frameworks[0]: missing required key 'version'; "
        'expected version = a string such as "0.2" or "07/03/2016"'),
    "missing-timing": _one("missing-timing", 2,
        "bad/missing-timing.toml:21:5: gpu.models[0].frameworks[0]: missing timing: neither 'forward' nor "
        "'backward' is given; expected forward = <ms> and/or backward = <ms>"),
    "missing-library-name": _one("missing-library-name", 2,
        "bad/missing-library-name.toml:28:7: gpu.models[0].frameworks[0].libraries[0]: missing required key "
        "'name'; expected name = a string such as \"cuDNN\""),
    # the same run twice, one machine two ways
    "duplicate-run": _one("duplicate-run", 2,
        "bad/duplicate-run.toml:32:5: gpu.models[0].frameworks[1]: the same run as bad/duplicate-run.toml:21 "
        "(machine 'gpu', Torch 7 + cuDNN 4); " + DUPLICATE),
    "duplicate-of-seed": (["benchmark.toml", "bad/duplicate-of-seed.toml"], 2, [
        "bad/duplicate-of-seed.toml:23:5: nvidia-titan-x.models[0].frameworks[0]: the same run as "
        "benchmark.toml:27 (machine 'nvidia-titan-x', Leaf 0.2 + cuDNN 4); " + DUPLICATE]),
    "machine-differs": (["benchmark.toml", "bad/machine-differs.toml"], 2, [
        "bad/machine-differs.toml:2:1: nvidia-titan-x: machine 'nvidia-titan-x' is defined differently in "
        "benchmark.toml:4 (host differs); expected the same name, type, host and devices in every file that has "
        "this machine"]),
    # numbers
    "nan-time": _one("nan-time", 2,
        "bad/nan-time.toml:24:7: gpu.models[0].frameworks[0].forward: not a finite number: got nan; " + TIME),
    "inf-time": _one("inf-time", 2,
        "bad/inf-time.toml:25:7: gpu.models[0].frameworks[0].backward: not a finite number: got -inf; " + TIME),
    "nan-extra": _one("nan-extra", 2,
        "bad/nan-extra.toml:27:7: gpu.models[0].frameworks[0].power_watts: not a finite number: got nan; "
        + NONFINITE),
    "zero-time": _one("zero-time", 2,
        "bad/zero-time.toml:24:7: gpu.models[0].frameworks[0].forward: must be positive: got 0; " + TIME),
    "negative-time": _one("negative-time", 2,
        "bad/negative-time.toml:25:7: gpu.models[0].frameworks[0].backward: must be positive: got -3.5; " + TIME),
    # 1e400 overflows a double: TOML readers (tomli) give inf, so it is "not a finite number"
    "huge-float": _one("huge-float", 2,
        "bad/huge-float.toml:24:7: gpu.models[0].frameworks[0].forward: not a finite number: got inf; " + TIME),
    "huge-int": _one("huge-int", 2,
        "bad/huge-int.toml:24:7: gpu.models[0].frameworks[0].forward: is implausibly large: "
        "got integer 100000000000000000000000000000...; " + TIME + ", below 1e12"),
    "huge-count": _one("huge-count", 2,
        "bad/huge-count.toml:8:5: gpu.host.cores: is too large: got the integer 3000000000; "
        "expected a whole number up to 2147483647"),
    "size-unit": _one("size-unit", 2,
        'bad/size-unit.toml:26:7: gpu.models[0].frameworks[0].memory: not a size: got the string "12 XB"; ' + SIZE),
    "size-negative": _one("size-negative", 2,
        'bad/size-negative.toml:13:5: gpu.devices[0].memory: not a size: got the string "-5MB"; ' + SIZE),
    "bad-shape": _one("bad-shape", 2,
        'bad/bad-shape.toml:19:5: gpu.models[0].input: not a shape: got the string "3x224x"; '
        'expected a shape such as "3x224x224"'),
    # VALID: unicode, quotes and SQL text in every name
    "unicode-names": _one("unicode-names", 0),
    "sql-names": _one("sql-names", 0),
    # files made by the test (see GENERATED)
    "directory": _one("directory", 2, "bad/directory.toml: is a directory; expected a TOML file"),
    "no-such-file": _one("no-such-file", 2, "bad/no-such-file.toml: no such file; expected an existing TOML file"),
    "utf16": _one("utf16", 2,
        "bad/utf16.toml:1:1: file is not UTF-8 text (it starts with a UTF-16 byte order mark); " + NOT_UTF8),
    "utf16-no-bom": _one("utf16-no-bom", 2,
        "bad/utf16-no-bom.toml:1:1: file contains NUL bytes; it looks binary; expected a TOML text file"),
    "binary": _one("binary", 2, "bad/binary.toml:1:1: file is not UTF-8 text (byte 0x89 at offset 0); " + NOT_UTF8),
    "long-name": _one("long-name", 2,
        "bad/long-name.toml:5:5: gpu.models[0].name: is 100000 characters long; expected at most 500 characters"),
    "same-file-twice": (["bad/sql-names.toml", "bad/sql-names.toml"], 2, [
        "bad/sql-names.toml: is the same file as bad/sql-names.toml, given twice; expected each file once"]),
}

_SMALL = '[gpu]\n  name = "GPU box"\n\n  [[gpu.models]]\n    name = "Alexnet"\n'
# files that cannot (or should not) be committed: made in the test's folder
GENERATED = {
    "directory": lambda p: p.mkdir(),
    "utf16": lambda p: p.write_bytes(_SMALL.encode("utf-16")),  # with its byte order mark
    "utf16-no-bom": lambda p: p.write_bytes(_SMALL.encode("utf-16-le")),
    "binary": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
    "long-name": lambda p: p.write_text(_SMALL.replace("Alexnet", "x" * 100_000)),
}


@pytest.fixture(scope="module")
def seed_template(tmp_path_factory) -> Path:
    """One warehouse built from the seed; each test works on a copy."""
    folder = tmp_path_factory.mktemp("template")
    db = folder / "warehouse.duckdb"
    ingest([str(SEED)], str(db))
    return db


@pytest.fixture
def bad_project(project, seed_template):
    """The project folder with the corpus in bad/ and a seed warehouse."""
    shutil.copytree(BAD_DIR, project / "bad")
    shutil.copy(seed_template, project / "warehouse.duckdb")
    for name, make in GENERATED.items():
        make(project / "bad" / f"{name}.toml")
    return project


def test_corpus_is_complete():
    """Every committed corpus file has a case, and there are at least 25 of them."""
    committed = {p.stem for p in BAD_DIR.iterdir()}
    assert len(committed) >= 25
    assert committed <= set(CASES)
    assert set(CASES) - committed == set(GENERATED) | {"no-such-file", "same-file-twice"}


def _lines(stderr: str, severity: str) -> list[str]:
    prefix = f"{severity}: "
    return [line[len(prefix):] for line in stderr.splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(bad_project, case):
    files, code, errors = CASES[case]
    db = bad_project / "warehouse.duckdb"
    before = sha256(db)

    proc = run_cli("ingest", *files, cwd=bad_project)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == code, proc.stderr
    assert _lines(proc.stderr, "error") == errors
    if code == 2:
        assert proc.stdout == ""
        assert proc.stderr.splitlines()[-1] == f"Error: {len(errors)} error(s) in the input; nothing was written."
        assert sha256(db) == before
    else:
        assert proc.stdout.startswith(f"Ingested {len(files)} file(s) into warehouse.duckdb in ")
        assert sha256(db) != before
    assert not [p.name for p in bad_project.iterdir() if ".tmp-" in p.name]
    after = sha256(db)

    # validate says the same, in text ...
    text = cli("validate", *files)
    assert text.exit_code == code
    assert _lines(text.stderr, "error") == errors
    assert text.stderr.splitlines()[-1] == (
        f"{len(files)} file(s) {'invalid' if errors else 'valid'}: {len(errors)} error(s), "
        f"{len(_lines(text.stderr, 'warning'))} warning(s)")
    # ... and in JSON, finding for finding
    as_json = cli("validate", "--format", "json", *files)
    assert as_json.exit_code == code
    report = json.loads(as_json.stdout)
    assert report["files"] == files
    assert report["errors"] == len(errors)
    findings = [Finding(**f) for f in report["findings"]]
    assert [str(f) for f in findings if f.severity == "error"] == errors
    assert [f"{f.severity}: {f}" for f in findings] == [
        line for line in text.stderr.splitlines() if line.startswith(("error: ", "warning: "))]
    assert report["warnings"] == len(findings) - len(errors)
    assert sha256(db) == after  # validate writes nothing


def test_library_never_raises_on_the_corpus(bad_project):
    """check_files, the function behind validate and ingest, returns findings for every file."""
    from dlbench.warehouse import check_files

    for case, (files, code, errors) in sorted(CASES.items()):
        _, findings = check_files(files)
        assert [str(f) for f in findings if f.severity == "error"] == errors, case


# -- the valid files: names read back exactly ----------------------------------
def _names(doc: dict) -> dict[str, set]:
    """Every name in a parsed document, by table."""
    out = {"machine_key": set(), "machines": set(), "models": set(), "frameworks": set(), "versions": set(),
           "libraries": set()}
    for key, machine in doc.items():
        out["machine_key"].add(key)
        out["machines"].add(machine["name"])
        for model in machine.get("models", []):
            out["models"].add(model["name"])
            for fw in model.get("frameworks", []):
                out["frameworks"].add(fw["name"])
                out["versions"].add(fw["version"])
                out["libraries"].update(lib["name"] for lib in fw.get("libraries", []))
    return out


@pytest.mark.parametrize("name", ["unicode-names", "sql-names"])
def test_names_read_back_exactly(bad_project, name):
    path = f"bad/{name}.toml"
    assert run_cli("ingest", path, cwd=bad_project).returncode == 0
    want = _names(tomli.loads((bad_project / path).read_text(encoding="utf-8")))
    con = duckdb.connect("warehouse.duckdb", read_only=True)
    got = {
        "machine_key": {r[0] for r in con.execute("select machine_key from machines").fetchall()},
        "machines": {r[0] for r in con.execute("select name from machines").fetchall()},
        "models": {r[0] for r in con.execute("select name from models").fetchall()},
        "frameworks": {r[0] for r in con.execute("select name from frameworks").fetchall()},
        "versions": {r[0] for r in con.execute("select version from frameworks").fetchall()},
        "libraries": {r[0] for r in con.execute("select name from run_libraries").fetchall()},
    }
    assert got == want
    # a name goes into SQL as a parameter and matches itself, and only itself
    for model in want["models"]:
        assert con.execute("select count(*) from models where name = ?", [model]).fetchone() == (1,)
    con.close()
    # the CLI's JSON output gives the same strings back
    proc = run_cli("query", "select name from models", "--format", "json", "--no-refresh", cwd=bad_project)
    assert proc.returncode == 0, proc.stderr
    assert {r["name"] for r in json.loads(proc.stdout)} == want["models"]
    # and the tables the names could have attacked are all there
    proc = run_cli("query", "select (select count(*) from runs) as runs, (select count(*) from machines) as m, "
                   "(select count(*) from frameworks) as f", "--format", "json", "--no-refresh", cwd=bad_project)
    assert json.loads(proc.stdout) == [{"runs": 1, "m": 1, "f": 1}]


def test_report_filter_with_sql_in_the_name(bad_project):
    """--model "x'; drop table runs; --" is a name to look up, not SQL."""
    import cli as cli_module

    if "report" not in {c.name or c.callback.__name__ for c in cli_module.app.registered_commands}:
        pytest.skip("the report command is not there yet")
    assert run_cli("ingest", "benchmark.toml", "bad/sql-names.toml", cwd=bad_project).returncode == 0
    if run_cli("report", "--no-refresh", cwd=bad_project).returncode != 0:
        pytest.skip("the report command does not work on this warehouse yet (its own tests say why)")
    before = sha256(bad_project / "warehouse.duckdb")
    evil = "x'; drop table runs; --"
    proc = run_cli("report", "--model", evil, "--no-refresh", cwd=bad_project)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert evil in proc.stdout
    assert "Alexnet" not in proc.stdout  # the filter kept only that model
    # a name that matches nothing is a usage error naming it, not SQL
    proc = run_cli("report", "--model", "y'; drop table runs; --", "--no-refresh", cwd=bad_project)
    assert proc.returncode == 2
    assert "y'; drop table runs; --" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sha256(bad_project / "warehouse.duckdb") == before
    proc = run_cli("query", "select count(*) as runs from runs", "--no-refresh", cwd=bad_project)
    assert proc.stdout == "runs\n27\n"
