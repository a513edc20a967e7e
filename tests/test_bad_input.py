"""Bad input never crashes and never writes (issue 5), checked against one corpus (issue 10).

The corpus is tests/data/bad/: one small TOML file per kind of bad input, each carrying
its expectation in its header (the format is in tests/data/bad/README.md):

    # what is wrong in this file
    # expect: exit 2
    # expect: error: bad/<file>.toml:LINE:COL: <the finding exactly as printed>

A few cases cannot be committed files (a directory, UTF-16, Latin-1, binary garbage, an
empty file, a 100k-character name, a missing file, one file named twice): GENERATED
below makes them and says what to expect of them in the same terms.

Every case is checked in-process (check_files and build_warehouse: the exact findings,
the warehouse byte-for-byte unchanged); the cases in END_TO_END also run as real
`python cli.py ingest` and `validate` processes (exit code, stderr, no traceback, the
warehouse unchanged, `validate --format json` finding for finding).

To write a new file's header: `python tests/test_bad_input.py NAME` prints the `# expect:`
lines for tests/data/bad/NAME.toml as it is now (see the README for the steps).
"""
from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
import tomli

from conftest import ROOT, SEED, cli, run_cli, sha256
from dlbench.errors import ExitCode, Finding, InvalidInput
from dlbench.errors import exit_code as exit_code_of
from dlbench.warehouse import build_warehouse, check_files

BAD_DIR = ROOT / "tests" / "data" / "bad"
EXPECT = "# expect: "
NOT_CORPUS = {"README.md"}  # the only file in tests/data/bad/ that is not a case


@dataclass
class Case:
    """What ingesting `files` (paths as given, relative to a folder holding the seed as
    benchmark.toml and the corpus as bad/) must do."""

    name: str
    exit: int
    findings: list[str]  # "error: ..." and "warning: ..." lines, in the order validate prints them
    files: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f.removeprefix("error: ") for f in self.findings if f.startswith("error: ")]


class NoExpectation(ValueError):
    "A corpus file without a valid `# expect:` header"


def read_header(path: Path) -> Case:
    """The case a corpus file's header describes (tests/data/bad/README.md has the format)."""
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    if any(line.startswith(EXPECT) for line in lines[len(header):]):
        raise NoExpectation(f"{path.name}: an `{EXPECT}` line below the header (the first non-comment line)")
    exit_code, files, findings = None, None, []
    for line in header:
        if not line.startswith(EXPECT):
            continue
        word, _, rest = line[len(EXPECT):].partition(" ")
        if word == "exit" and exit_code is None and rest in ("0", "2"):
            exit_code = int(rest)
        elif word == "files" and files is None and rest.split():
            files = rest.split()
        elif word in ("error:", "warning:") and rest:
            findings.append(f"{word} {rest}")
        else:
            raise NoExpectation(f"{path.name}: cannot read {line!r}; expected `{EXPECT}exit 0|2`, "
                                f"`{EXPECT}error: ...`, `{EXPECT}warning: ...` or `{EXPECT}files ...` (once each "
                                "for exit and files)")
    if exit_code is None:
        raise NoExpectation(f"{path.name}: no `{EXPECT}exit 0|2` line in its header")
    case = Case(path.stem, exit_code, findings, files or [f"bad/{path.name}"])
    if (case.exit == ExitCode.BAD_INPUT) != bool(case.errors):
        raise NoExpectation(f"{path.name}: exit {case.exit} with {len(case.errors)} error line(s); expected "
                            "exit 2 with at least one error, or exit 0 with none")
    return case


def committed_cases() -> dict[str, Case]:
    """The corpus files whose header reads; test_every_corpus_file_carries_its_expectation names the others."""
    cases = {}
    for path in sorted(BAD_DIR.iterdir()):
        if path.name not in NOT_CORPUS:
            try:
                cases[path.stem] = read_header(path)
            except NoExpectation:
                pass
    return cases


# -- the cases that are not committed files ------------------------------------------
NO_MACHINE = "no machine sections found; expected at least one machine table such as [nvidia-titan-x] with name = ..."
NOT_UTF8 = "expected a TOML file encoded as UTF-8"
_SMALL = '[gpu]\n  name = "GPU box"\n\n  [[gpu.models]]\n    name = "Alexnet"\n'

# name -> (how to make bad/<name>.toml in the test's folder, or None, the case)
GENERATED = {
    "directory": (lambda p: p.mkdir(), Case(
        "directory", 2, ["error: bad/directory.toml: is a directory; expected a TOML file"])),
    "empty": (lambda p: p.write_bytes(b""), Case(  # a header would make it comments-only.toml
        "empty", 2, ["error: bad/empty.toml:1:1: " + NO_MACHINE])),
    "utf16": (lambda p: p.write_bytes(_SMALL.encode("utf-16")), Case(  # with its byte order mark
        "utf16", 2, ["error: bad/utf16.toml:1:1: file is not UTF-8 text (it starts with a UTF-16 byte order "
                     "mark); " + NOT_UTF8])),
    "utf16-no-bom": (lambda p: p.write_bytes(_SMALL.encode("utf-16-le")), Case(
        "utf16-no-bom", 2, ["error: bad/utf16-no-bom.toml:1:1: file contains NUL bytes; it looks binary; "
                            "expected a TOML text file"])),
    # an editor would re-save a committed Latin-1 file as UTF-8
    "latin1": (lambda p: p.write_bytes('[m]\nname = "Caf\u00e9"\n'.encode("latin-1")), Case(
        "latin1", 2, ["error: bad/latin1.toml:2:12: file is not UTF-8 text (byte 0xe9 at offset 15); " + NOT_UTF8])),
    "binary": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4), Case(
        "binary", 2, ["error: bad/binary.toml:1:1: file is not UTF-8 text (byte 0x89 at offset 0); " + NOT_UTF8])),
    "long-name": (lambda p: p.write_text(_SMALL.replace("Alexnet", "x" * 100_000)), Case(
        "long-name", 2, ["error: bad/long-name.toml:5:5: gpu.models[0].name: is 100000 characters long; expected "
                         "at most 500 characters"])),
    "no-such-file": (None, Case(
        "no-such-file", 2, ["error: bad/no-such-file.toml: no such file; expected an existing TOML file"])),
    "same-file-twice": (None, Case(
        "same-file-twice", 2, ["error: bad/sql-names.toml: is the same file as bad/sql-names.toml, given "
                               "twice; expected each file once"], ["bad/sql-names.toml", "bad/sql-names.toml"])),
}
for _name, (_, _case) in GENERATED.items():
    _case.files = _case.files or [f"bad/{_name}.toml"]

CASES = {**committed_cases(), **{name: case for name, (_, case) in GENERATED.items()}}
# run as real processes too (three each; all but the first are marked slow): syntax, two files,
# several errors, valid, not a file, not text, named twice
END_TO_END = ["syntax-unclosed-header", "duplicate-of-seed", "several-errors", "sql-names", "directory",
              "binary", "same-file-twice"]


def make_folder(folder: Path) -> Path:
    """benchmark.toml (the seed), an empty data/, the corpus in bad/ and the generated files."""
    shutil.copy(SEED, folder / "benchmark.toml")
    (folder / "data").mkdir()
    shutil.copytree(BAD_DIR, folder / "bad")
    for name, (make, _) in GENERATED.items():
        if make:
            make(folder / "bad" / f"{name}.toml")
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """One folder for the module: the corpus and a warehouse built from the seed alone."""
    folder = make_folder(tmp_path_factory.mktemp("corpus"))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        build_warehouse(["benchmark.toml"], "warehouse.duckdb")
    return folder


def _printed(findings: list[Finding]) -> list[str]:
    return [f"{f.severity}: {f}" for f in findings]


# -- the corpus itself -----------------------------------------------------------------
def test_every_corpus_file_carries_its_expectation():
    lacking = []
    for path in sorted(BAD_DIR.iterdir()):
        if path.name in NOT_CORPUS:
            continue
        try:
            read_header(path)
        except NoExpectation as e:
            lacking.append(str(e))
    assert lacking == [], "see tests/data/bad/README.md for the header format"
    committed = committed_cases()
    assert len(committed) >= 40
    assert not set(committed) & set(GENERATED)
    assert {c.exit for c in committed.values()} == {0, 2}


def test_a_file_without_a_header_is_caught(tmp_path):
    """The check above can fail: a file with no expectation, or a malformed one, is named."""
    (tmp_path / "plain.toml").write_text('# a comment but no expectation\n[gpu]\nname = "x"\n')
    (tmp_path / "typo.toml").write_text("# expect: exit 2\n# expect: eror: x.toml:1:1: m\n")
    (tmp_path / "late.toml").write_text("# expect: exit 0\n[gpu]\n# expect: error: x\n")
    (tmp_path / "zero-with-error.toml").write_text("# expect: exit 0\n# expect: error: x\n")
    messages = []
    for path in sorted(tmp_path.iterdir()):
        with pytest.raises(NoExpectation) as info:
            read_header(path)
        messages.append(str(info.value).split(";")[0])
    assert messages == [
        "late.toml: an `# expect: ` line below the header (the first non-comment line)",
        "plain.toml: no `# expect: exit 0|2` line in its header",
        "typo.toml: cannot read '# expect: eror: x.toml:1:1: m'",
        "zero-with-error.toml: exit 0 with 1 error line(s)",
    ]


def test_a_header_reads_back():
    case = read_header(BAD_DIR / "duplicate-of-seed.toml")
    assert case.exit == 2
    assert case.files == ["benchmark.toml", "bad/duplicate-of-seed.toml"]
    assert case.errors == [
        "bad/duplicate-of-seed.toml:28:5: nvidia-titan-x.models[0].frameworks[0]: the same run as benchmark.toml:27 "
        "(machine 'nvidia-titan-x', Leaf 0.2 + cuDNN 4); expected each machine, workload, mode, "
        "threads, date, framework, version, libraries and precision at most once"]
    # the line numbers count the header: line 28 of the file is the entry the error is about
    text = (BAD_DIR / "duplicate-of-seed.toml").read_text().splitlines()
    assert text[28 - 1] == "    [[nvidia-titan-x.models.frameworks]]"
    assert text[28:30] == ['      name = "Leaf"', '      version = "0.2"']


# -- every case, in-process --------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_findings_in_process(corpus, tmp_path, monkeypatch, name):
    """check_files gives exactly the header's findings; build_warehouse refuses with the same
    ones and leaves the warehouse byte-for-byte as it was (or, for a valid file, builds)."""
    case = CASES[name]
    monkeypatch.chdir(corpus)
    _, findings = check_files(case.files)
    assert _printed(findings) == case.findings

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(corpus / "warehouse.duckdb", db)
    before = sha256(db)
    if case.exit == ExitCode.BAD_INPUT:
        with pytest.raises(InvalidInput) as info:
            build_warehouse(case.files, str(db))
        assert _printed(info.value.findings) == case.findings
        assert exit_code_of(info.value) == case.exit
        assert sha256(db) == before
    else:
        summary = build_warehouse(case.files, str(db))
        assert _printed(summary.warnings) == case.findings
        assert summary.files == case.files
        assert sha256(db) != before
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]


# -- a few cases, as real processes ---------------------------------------------------------
def _lines(stderr: str, severity: str) -> list[str]:
    prefix = f"{severity}: "
    return [line[len(prefix):] for line in stderr.splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("name", [END_TO_END[0]] + [pytest.param(n, marks=pytest.mark.slow) for n in END_TO_END[1:]])
def test_end_to_end(corpus, tmp_path, monkeypatch, name):
    case = CASES[name]
    folder = tmp_path / "project"
    shutil.copytree(corpus, folder, symlinks=True)
    monkeypatch.chdir(folder)
    db = folder / "warehouse.duckdb"
    before = sha256(db)

    proc = run_cli("ingest", *case.files, cwd=folder)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == case.exit, proc.stderr
    assert _lines(proc.stderr, "error") == case.errors
    if case.exit == ExitCode.BAD_INPUT:
        assert proc.stdout == ""
        assert proc.stderr.splitlines()[-1] == f"Error: {len(case.errors)} error(s) in the input; nothing was written."
        assert sha256(db) == before
    else:
        assert proc.stdout.startswith(f"Ingested {len(case.files)} file(s) into warehouse.duckdb in ")
        assert sha256(db) != before
    assert not [p.name for p in folder.iterdir() if ".tmp-" in p.name]
    after = sha256(db)

    # validate says the same, in text ...
    text = run_cli("validate", *case.files, cwd=folder)
    assert "Traceback" not in text.stderr
    assert text.returncode == case.exit
    assert [line for line in text.stderr.splitlines() if line.startswith(("error: ", "warning: "))] == case.findings
    assert text.stderr.splitlines()[-1] == (
        f"{len(case.files)} file(s) {'invalid' if case.errors else 'valid'}: {len(case.errors)} error(s), "
        f"{len(case.findings) - len(case.errors)} warning(s)")
    # ... and in JSON, finding for finding
    as_json = run_cli("validate", "--format", "json", *case.files, cwd=folder)
    assert as_json.returncode == case.exit
    report = json.loads(as_json.stdout)
    assert report["files"] == case.files
    assert report["errors"] == len(case.errors)
    assert report["warnings"] == len(case.findings) - len(case.errors)
    assert _printed([Finding(**f) for f in report["findings"]]) == case.findings
    assert sha256(db) == after  # validate writes nothing


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


@pytest.fixture
def bad_project(project):
    """The project folder with the corpus in bad/ and no warehouse."""
    shutil.copytree(BAD_DIR, project / "bad")
    return project


@pytest.mark.parametrize("name", ["unicode-names", "sql-names"])
def test_names_read_back_exactly(bad_project, name):
    path = f"bad/{name}.toml"
    build_warehouse([path], "warehouse.duckdb")
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
    result = cli("query", "select name from models", "--format", "json", "--no-refresh")
    assert result.exit_code == 0, result.stderr
    assert {r["name"] for r in json.loads(result.stdout)} == want["models"]
    # and the tables the names could have attacked are all there
    result = cli("query", "select (select count(*) from runs) as runs, (select count(*) from machines) as m, "
                 "(select count(*) from frameworks) as f", "--format", "json", "--no-refresh")
    assert json.loads(result.stdout) == [{"runs": 1, "m": 1, "f": 1}]


@pytest.mark.slow  # three processes
def test_report_filter_with_sql_in_the_name(bad_project):
    """--model "x'; drop table runs; --" is a name to look up, not SQL."""
    build_warehouse(["benchmark.toml", "bad/sql-names.toml"], "warehouse.duckdb")
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


def main(names: list[str]) -> None:
    """Print the `# expect:` lines of tests/data/bad/NAME.toml as the file is now."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = make_folder(Path(tmp))
        for name in names:
            name = Path(name).stem
            path = f"bad/{name}.toml"
            files = [path]
            for line in (BAD_DIR / f"{name}.toml").read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith(f"{EXPECT}files "):
                    files = line[len(f"{EXPECT}files "):].split()
            with pytest.MonkeyPatch.context() as mp:
                mp.chdir(folder)
                _, findings = check_files(files)
            print(f"{name}.toml:")
            print(f"{EXPECT}exit {2 if any(f.severity == 'error' for f in findings) else 0}")
            if files != [path]:
                print(f"{EXPECT}files {' '.join(files)}")
            for line in _printed(findings):
                print(f"{EXPECT}{line}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python tests/test_bad_input.py NAME [NAME...]  (NAME of a file in tests/data/bad/)")
    main(sys.argv[1:])
