"""The docs cannot go stale: their reference tables are generated from the code (dlbench/docgen.py),
every environment variable the code reads is documented, and every relative link lands."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, cli
from dlbench import docgen, sqlfiles


def test_generated_blocks_are_what_the_code_gives():
    assert docgen.stale() == [], "run python -m dlbench.docgen --write and commit the result"


def test_every_environment_variable_read_is_documented():
    assert docgen.env_problems() == []
    documented = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for name in docgen.env_reads():
        assert f"| `{name}` |" in documented, name


def test_every_relative_link_points_to_a_file_and_heading():
    assert docgen.broken_links() == []


def test_the_check_command_exits_0_now():
    proc = subprocess.run([sys.executable, "-m", "dlbench.docgen", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert (proc.returncode, proc.stderr) == (0, "")


def test_a_stale_block_is_named_and_rewritten(tmp_path):
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "marks.md"
    page.write_text("# Marks\n\n<!-- [[[generated: marks]]] -->\n| old |\n<!-- [[[end]]] -->\n\nafter\n")
    assert docgen.stale(tmp_path) == ["docs/marks.md: marks"]
    page.write_text(docgen.regenerate(page.read_text()))
    assert docgen.stale(tmp_path) == []
    text = page.read_text()
    assert text.startswith("# Marks\n\n<!-- [[[generated: marks]]] -->\n| mark |") and text.endswith(
        "<!-- [[[end]]] -->\n\nafter\n")
    assert "| `+` | slower: ratio above 1.1 and p < 0.01 (a regression: `--fail-on regression` fails on it) | " \
           "`regression`, `change` |" in text


def test_an_undocumented_variable_fails_the_check(tmp_path):
    name = "DLBENCH" + "_NEW_LIMIT"  # spelled apart, so that this file does not name it
    (tmp_path / "ingest").mkdir()
    (tmp_path / "ingest" / "new.py").write_text(f'import os\nLIMIT = os.environ.get("{name}")\n')
    assert docgen.env_reads(tmp_path) == {name: ["ingest/new.py"]}
    problems = docgen.env_problems(tmp_path)
    assert problems[0] == f"{name} is read by ingest/new.py but has no meaning in dlbench.docgen.ENV"
    assert f"{'DLBENCH'}_DB is in dlbench.docgen.ENV but nothing reads it" in problems


def test_a_broken_link_or_anchor_is_found(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# dlbench\n\n[ok](docs/a.md#the-a-page) [gone](docs/b.md) "
                                        "[no heading](docs/a.md#nothing) [web](https://example.org)\n\n"
                                        "```\n[in code](nowhere.md)\n```\n")
    (tmp_path / "docs" / "a.md").write_text("# The `a` page\n\n[back](../README.md#dlbench)\n")
    assert docgen.broken_links(tmp_path) == ["README.md: (docs/b.md): no file docs/b.md",
                                             "README.md: (docs/a.md#nothing): docs/a.md has no heading #nothing"]


def test_anchors_are_githubs():
    text = "# Measuring: `dlbench collect`\n## A, b\n## A, b\n```\n# not a heading\n```\n"
    assert docgen.anchors(text) == {"measuring-dlbench-collect", "a-b", "a-b-1"}


def test_the_views_command_lists_every_macro_and_view():
    """`speedup_vs_stack` is made by the same file as `speedup_vs`, and was missing from `views`."""
    result = cli("views")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == [f"{m}(...)" for m, *_ in docgen.macros()] + [v.name for v in sqlfiles.views()]
    assert "speedup_vs_stack(...)" in names and set(names) >= {f"{m}(...)" for m in sqlfiles.macro_names()}


def test_every_command_and_option_is_in_the_commands_page():
    page = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    for name, command in docgen._commands():
        section = page.split(f"### dlbench {name}\n", 1)[1].split("\n#", 1)[0]
        for p in command.params:
            shown = ", ".join(p.opts) if p.param_type_name == "option" else (p.metavar or p.name.upper())
            assert shown in section, (name, shown)


def test_table_cells_stay_one_cell_and_show_what_looks_like_a_tag():
    assert docgen.table(["a", "b"], [("x | y", "[[<machine>.devices]], p < 0.01, `<stage>`")]) == (
        "| a | b |\n| --- | --- |\n| x \\| y | [[&lt;machine>.devices]], p < 0.01, `<stage>` |\n")


def test_every_table_of_the_schema_is_listed():
    rows = docgen.tables_block().splitlines()[2:]
    assert [r.split("`")[1] for r in rows] == sqlfiles.tables()
    assert all(r.count(" | ") == 1 and r.endswith(" |") and len(r) > 20 for r in rows)


def test_a_views_grain_line_gets_its_own_column(monkeypatch):
    """Views that declare `-- grain: ...` on a line of their own show it beside what one row is."""
    view = sqlfiles.SqlObject("x", "view", "views/x.sql", "-- A thing.\n-- One row per run (run_id): a run; more.\n"
                                                         "-- grain: run_id\nSELECT 1")
    monkeypatch.setattr(sqlfiles, "views", lambda: [view])
    assert docgen.views_block().splitlines() == [
        "| view | what it is | one row is | grain |", "| --- | --- | --- | --- |",
        "| [`x`](../sql/views/x.sql) | A thing. | One row per run (run_id): a run; | `run_id` |"]
