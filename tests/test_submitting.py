"""docs/submitting.md and the key table of docs/data-structure.md stay true (issue 12).

The key table lists exactly the schema's keys, level by level; the `--format github`
example prints what it shows; the submitter's and the reviewers' commands work on a
new data file; and the workflow's command, run in a real git checkout with a base
branch, validates exactly the data files the branch adds or changes.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from dlbench.input_schema import schema

SAMPLES = ROOT / "tests" / "data" / "samples.toml"


def page(name: str) -> str:
    return (ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8")


def section(text: str, title: str) -> str:
    """From the heading `title` to the next heading of its level or above."""
    start = text.index(f"\n{title}\n") if not text.startswith(f"{title}\n") else 0
    level = title.split(" ", 1)[0]
    ends = [text.find(f"\n{'#' * n} ", start + 1) for n in range(1, len(level) + 1)]
    return text[start:min([e for e in ends if e != -1], default=len(text))]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


# -- the key table ---------------------------------------------------------------
def test_key_table_lists_the_schemas_keys():
    table = section(page("data-structure"), "## Keys").split("| --- | --- | --- | --- |\n", 1)[1].split("\n\n", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()]
    listed = {(level.split()[0], key.strip("`")) for level, key, _type, _meaning in rows}
    assert len(listed) == len(rows)  # no key twice
    defs = schema()["$defs"]
    expected = {(level, key) for level in ("machine", "host", "device", "model", "framework", "library")
                for key in defs[level]["properties"] if key not in ("host", "devices", "models", "frameworks")}
    assert listed == expected


# -- the --format github example -----------------------------------------------------
def test_github_format_example(project):
    validation = section(page("commands"), "## Validation")
    bad = blocks(validation, "text")[0].split("$ cat bad.toml\n", 1)[1].split("$ python3", 1)[0]
    Path("bad.toml").write_text(bad)
    example = blocks(validation, "text")[1]
    command, *shown = example.splitlines()
    assert command == "$ python3 cli.py validate --format github bad.toml"
    proc = run_cli(*shlex.split(command)[3:], cwd=project)
    assert proc.returncode == 2
    assert proc.stdout.splitlines() == shown


# -- the submitter's and the reviewers' commands ------------------------------------------
def _commands(text: str) -> list[list[str]]:
    """Every `python3 cli.py ...` command of the text's sh blocks and inline code."""
    found = [line.split("#")[0].strip() for block in blocks(text, "sh") for line in block.splitlines()]
    found += re.findall(r"`(python3 cli\.py [^`]+)`", text)
    return [shlex.split(c) for c in found if c.startswith("python3 cli.py ")]


@pytest.mark.slow  # every command of the Submitting section, each a process
def test_submitting_commands_work_on_a_new_file(project):
    """validate (the file, then every file), report --machine, the reviewers' query: all on data/my-box.toml.
    `collect` lands with its own issue and is checked there."""
    text = page("submitting")
    Path("data/my-box.toml").write_text(SAMPLES.read_text().replace("cpu-box", "my-box"))
    commands = _commands(text)
    assert [c[2] for c in commands] == ["collect", "validate", "validate", "report", "validate", "query", "validate"]
    for command in commands:
        if command[2] == "collect":
            continue
        proc = run_cli(*command[2:], cwd=project)
        assert proc.returncode == 0, (command, proc.stderr)
        assert "Traceback" not in proc.stderr
    alone = run_cli("validate", "data/my-box.toml", cwd=project)
    assert "`1 file(s) valid: 0 error(s), 0 warning(s)`" in text
    assert alone.stderr.splitlines()[-1] == "1 file(s) valid: 0 error(s), 0 warning(s)"
    report = run_cli("report", "--machine", "my-box", "--no-refresh", cwd=project)
    assert "A CPU box" in report.stdout and "Nvidia Titan X" not in report.stdout
    query = [c for c in commands if c[2] == "query"][0]
    rows = run_cli(*query[2:], "--format", "csv", "--no-refresh", cwd=project).stdout.splitlines()
    assert rows[0] == "machine,model,stack,batch_size,images_per_s"
    assert any(r.startswith("A CPU box,AlexNet,") for r in rows)


def test_a_duplicate_of_a_published_run_is_found_by_validate_with_every_file(project):
    shutil.copy(ROOT / "tests" / "data" / "bad" / "duplicate-of-seed.toml", project / "data" / "dup.toml")
    assert run_cli("validate", "data/dup.toml", cwd=project).returncode == 0  # alone, it looks fine
    together = run_cli("validate", cwd=project)
    assert together.returncode == 2
    assert "the same run as benchmark.toml:27" in together.stderr


# -- the workflow ------------------------------------------------------------------------
WORKFLOW = blocks(page("submitting"), "yaml")[0]


def test_workflow_is_ten_lines_on_pull_requests_touching_data():
    lines = WORKFLOW.splitlines()
    assert len(lines) == 10
    assert lines[:3] == ["name: Validate data", "on:", '  pull_request: {paths: ["data/*.toml"]}']
    assert "      - uses: actions/checkout@v4" in lines and "        with: {fetch-depth: 0}" in lines
    assert lines[-1].startswith("      - run: ")


def _git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
                            GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org"))


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_workflow_validates_the_changed_data_files(tmp_path):
    """The run step in a clone whose origin has the base branch, as actions/checkout leaves it with
    fetch-depth 0: the new bad file and the changed good file are validated, nothing else."""
    origin = tmp_path / "origin"
    (origin / "data").mkdir(parents=True)
    shutil.copy(ROOT / "benchmark.toml", origin)
    shutil.copy(ROOT / "data" / "convnet-benchmarks.toml", origin / "data")
    (origin / "data" / "old.toml").write_text(SAMPLES.read_text())
    _git("init", "-q", "-b", "main", cwd=origin)
    _git("add", ".", cwd=origin)
    _git("commit", "-q", "-m", "base", cwd=origin)
    work = tmp_path / "work"
    _git("clone", "-q", str(origin), str(work), cwd=tmp_path)
    _git("checkout", "-q", "-b", "pr", cwd=work)
    shutil.copy(ROOT / "tests" / "data" / "bad" / "type-forward.toml", work / "data" / "new box.toml")
    (work / "data" / "old.toml").write_text(SAMPLES.read_text().replace("AlexNet", "AlexNet v2"))
    (work / "notes.md").write_text("not data\n")
    _git("add", ".", cwd=work)
    _git("commit", "-q", "-m", "pr", cwd=work)
    run = WORKFLOW.splitlines()[-1].split("- run: ", 1)[1]
    # the install is the workflow's own; here the package is already installed
    command = run.split(" && ")[-1].replace(".venv/bin/dlbench", f"{shlex.quote(sys.executable)} -m dlbench")
    proc = subprocess.run(["bash", "-e", "-c", command], cwd=work, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, GITHUB_BASE_REF="main", PYTHONPATH=str(ROOT)))
    # a name with a space is split by the shell: it fails loudly, never passes unseen
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.splitlines() == [
        "::error file=data/new,title=dlbench validate::no such file; expected an existing TOML file",
        "::error file=box.toml,title=dlbench validate::no such file; expected an existing TOML file",
    ]
    assert proc.stderr.splitlines()[-1] == "3 file(s) invalid: 2 error(s), 0 warning(s)"
    _git("mv", "data/new box.toml", "data/new-box.toml", cwd=work)
    _git("commit", "-q", "-m", "rename", cwd=work)
    proc = subprocess.run(["bash", "-e", "-c", command], cwd=work, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, GITHUB_BASE_REF="main", PYTHONPATH=str(ROOT)))
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.splitlines() == [
        "::error file=data/new-box.toml,line=26,col=7,title=gpu.models[0].frameworks[0].forward::wrong type: "
        'got the string "25ms"; expected a positive number of milliseconds such as 25 or 25.5',
    ]
    assert proc.stderr.splitlines()[-1] == "2 file(s) invalid: 1 error(s), 0 warning(s)"
