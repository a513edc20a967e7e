"""The README and its pages stay true: their examples are checked against what the commands print."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import tomli

from conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text()
COMMANDS = (ROOT / "docs" / "commands.md").read_text()


def block_after(marker: str, text: str = README) -> str:
    start = text.index(marker)
    fence = text.index("```", start)
    body_start = text.index("\n", fence) + 1
    return text[body_start:text.index("```", body_start)]


def test_validation_example(project):
    text = block_after("## Validation", COMMANDS)
    file_part, _, run_part = text.partition("$ python3 cli.py validate bad.toml")
    Path("bad.toml").write_text(file_part.split("$ cat bad.toml\n", 1)[1])
    proc = run_cli("validate", "bad.toml", cwd=project)
    shown = run_part.split("\n", 1)[1].splitlines()
    assert shown[-1] == f"exit {proc.returncode}"
    assert proc.stderr.splitlines() == shown[:-1]


def test_report_example_is_the_start_of_the_golden_report():
    """The README shows what its first command prints in a fresh clone (tests/golden/report_default.md,
    checked by tests/test_report.py::test_golden_default), and says how many files and runs it reads."""
    excerpt = block_after("## What you get")
    golden = (ROOT / "tests" / "golden" / "report_default.md").read_text()
    assert golden.startswith(excerpt)
    files = len(list((ROOT / "data").glob("*.toml"))) + 1
    runs = sum(len(m.get("frameworks", [])) for path in [ROOT / "benchmark.toml", *(ROOT / "data").glob("*.toml")]
               for v in tomli.loads(path.read_text()).values() if isinstance(v, dict) for m in v.get("models", []))
    assert f"`dlbench: rebuilt warehouse.duckdb from {files} file(s) ({runs} runs) ...`" in README


def test_the_commands_page_shows_the_rebuild_line_of_a_fresh_clone():
    """docs/commands.md quotes the whole line the README's first command prints on stderr (the same
    count the README gives; tests/test_report.py::test_golden_default checks the line's shape)."""
    line = block_after("They say why on stderr; in a fresh clone:", COMMANDS).strip()
    counts = re.search(r"`dlbench: rebuilt warehouse.duckdb from (\d+ file\(s\) \(\d+ runs\)) \.\.\.`", README)
    assert line == f"dlbench: rebuilt warehouse.duckdb from {counts.group(1)}: there is no warehouse yet"


def test_trace_example(project):
    shutil.copy(ROOT / "data" / "convnet-benchmarks.toml", project / "data")
    text = block_after("Every number traces to its source line")
    command, *output = text.splitlines()
    sql = re.search(r'query "(.*)" --format markdown$', command).group(1)
    proc = run_cli("query", sql, "--format", "markdown", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == output


def test_ci_runs_the_readme_test_command():
    command = block_after("builds `warehouse.duckdb` from").strip()
    assert command == "python3 -m pip install -e '.[test]' && python3 -m pytest"
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command in lines  # word for word, on a line of its own
    assert lines[lines.index(command) + 1:] == ["python3 -m ruff check .", "python3 -m mypy"]  # then the linters
