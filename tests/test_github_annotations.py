"""`validate --format github`: findings as GitHub Actions workflow commands (issue 12).

The lines are checked exactly, including a file name and a key that need escaping
as actions/toolkit escapes them (packages/core/src/command.ts): %, CR and LF in the
message; those and `:` and `,` in a property value."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, run_cli, sha256
from dlbench.annotations import escape_data, escape_property, github_annotation
from dlbench.errors import Finding

BAD = ROOT / "tests" / "data" / "bad"


def test_escaping_follows_the_toolkit():
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext%3A a%2C b"
    # % first, so that an escape is never escaped twice
    assert escape_data("%0A") == "%250A"
    assert escape_property("a%3Ab") == "a%253Ab"


def test_one_finding_is_one_command():
    f = Finding("error", "data/box.toml", 24, 7, "box.models[0].forward", 'wrong type: got the string "25ms"',
                "a positive number of milliseconds such as 25 or 25.5")
    assert github_annotation(f) == (
        '::error file=data/box.toml,line=24,col=7,title=box.models[0].forward::wrong type: got the string "25ms"; '
        "expected a positive number of milliseconds such as 25 or 25.5")
    w = Finding("warning", "a.toml", 3, 1, "", "top-level note")
    assert github_annotation(w) == "::warning file=a.toml,line=3,col=1,title=dlbench validate::top-level note"
    # no position (a file that cannot be read): no line or col, which GitHub would reject as 0
    missing = Finding("error", "x.toml", 0, 0, "", "no such file", "an existing TOML file")
    assert github_annotation(missing) == "::error file=x.toml,title=dlbench validate::no such file; expected an existing TOML file"


def test_corpus_file_gives_the_exact_command(project):
    (project / "bad").mkdir()
    for name in ("type-forward", "missing-timing"):
        (project / "bad" / f"{name}.toml").write_bytes((BAD / f"{name}.toml").read_bytes())
    proc = run_cli("validate", "--format", "github", "bad/type-forward.toml", "bad/missing-timing.toml",
                   "bad/absent.toml", cwd=project)
    assert proc.returncode == 2
    assert proc.stdout.splitlines() == [
        "::error file=bad/type-forward.toml,line=26,col=7,title=gpu.models[0].frameworks[0].forward::wrong type: "
        'got the string "25ms"; expected a positive number of milliseconds such as 25 or 25.5',
        "::error file=bad/missing-timing.toml,line=23,col=5,title=gpu.models[0].frameworks[0]::missing timing: "
        "neither 'forward' nor 'backward' is given; expected forward = <ms> and/or backward = <ms>",
        "::error file=bad/absent.toml,title=dlbench validate::no such file; expected an existing TOML file",
    ]
    assert proc.stderr == "3 file(s) invalid: 3 error(s), 0 warning(s)\n"


ODD = '''[box]
  name = "Box"
  "odd\\r\\nkey, 100%" = 1

  [[box.models]]
    name = "Alexnet"

    [[box.models.frameworks]]
      name = "Torch"
      version = "7"
      forward = "25%"
'''


def test_a_path_and_a_message_that_need_escaping(project):
    """A file name with `,`, `:` and `%`; a key with CR, LF, `,` and `%`; a value with `%`."""
    name = "data/odd, name: 100%.toml"
    Path(name).write_text(ODD)
    before = sha256(Path(name))
    proc = run_cli("validate", "--format", "github", name, cwd=project)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    file = "data/odd%2C name%3A 100%25.toml"
    assert proc.stdout.splitlines() == [
        f'::warning file={file},line=3,col=3,title=box."odd\\r\\nkey%2C 100%25"::unknown key '
        "'odd%0D%0Akey, 100%25' in a machine; kept in its extra column",
        f"::error file={file},line=11,col=7,title=box.models[0].frameworks[0].forward::wrong type: "
        'got the string "25%25"; expected a positive number of milliseconds such as 25 or 25.5',
        f"::warning file={file},line=8,col=5,title=box.models[0].frameworks[0]::no 'memory' given; "
        'memory comparisons will leave this run out; expected memory = "<size>" such as "1750MB"',
    ]
    # every command is one line: the CR and LF of the key are escaped, not printed
    assert proc.stdout.count("\n") == 3 and "\r" not in proc.stdout
    assert proc.stderr == "1 file(s) invalid: 1 error(s), 2 warning(s)\n"
    assert sha256(Path(name)) == before


@pytest.mark.parametrize("files, code, severities", [
    (["benchmark.toml"], 0, ["warning"]),  # the seed: one run without memory
    (["bad.toml"], 2, ["error"]),
    (["benchmark.toml", "bad.toml"], 2, ["warning", "error"]),
])
def test_exit_codes_and_findings_as_for_text(project, files, code, severities):
    """The same findings, in the same order, and the same exit code and summary as the text format."""
    Path("bad.toml").write_bytes((BAD / "type-version.toml").read_bytes())
    text = run_cli("validate", *files, cwd=project)
    github = run_cli("validate", "--format", "github", *files, cwd=project)
    assert text.returncode == github.returncode == code
    assert [line.split(":", 1)[0] for line in text.stderr.splitlines()[:-1]] == severities
    assert [line[2:].split(" ", 1)[0] for line in github.stdout.splitlines()] == severities
    assert github.stderr.splitlines() == text.stderr.splitlines()[-1:]


def test_unknown_format_is_a_usage_error(project):
    proc = run_cli("validate", "--format", "gitlab", "benchmark.toml", cwd=project)
    assert proc.returncode == 2
    assert "expected text, json or github" in proc.stderr
