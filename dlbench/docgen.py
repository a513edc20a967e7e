"""The docs' reference tables, generated from the code (as sqlite-utils does with cog).

README.md, CONTRIBUTING.md and docs/*.md hold blocks

    <!-- [[[generated: views]]] -->
    ...
    <!-- [[[end]]] -->

whose text is what BLOCKS["views"]() gives now. `python -m dlbench.docgen --check` exits 1 and
names every block that differs (tests/test_docs.py runs it); `--write` rewrites them. Run it from a
checkout: it reads the Typer app, the SQL files, and the sources of dlbench/, ingest/ and bench/.

Each vocabulary is read by one small function (`quality_checks`, `marks`), so that when these
move into seed tables only that function changes.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import sqlfiles

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("README.md", "CONTRIBUTING.md", "docs/*.md")
BLOCK = re.compile(r"(<!-- \[\[\[generated: ([\w-]+)\]\]\] -->\n)(.*?)(<!-- \[\[\[end\]\]\] -->)", re.S)

# What each environment variable does: a variable the code reads and this lacks fails the check.
ENV = {
    "DLBENCH_DB": "the warehouse path when `--db` is not given (default `warehouse.duckdb`)",
    "DLBENCH_QUERY_TIMEOUT": "`query`'s time limit in seconds when `--timeout` is not given (default 300; 0: none)",
    "DLBENCH_MEMORY_LIMIT": "`query`'s DuckDB memory limit when `--memory-limit` is not given (default `2GB`)",
    "DLBENCH_LOCK_TIMEOUT": "seconds an ingest waits for the warehouse lock before giving up with exit 1 "
                            "(default 600)",
    "DLBENCH_WORKERS": "processes that read the machine sections of a big file (default: the cores, at most 8)",
    "DLBENCH_PAUSE_AT": "**test hook**: at the named stage of an ingest (`schema`, `checked`, `loaded`, `views`, "
                        "`before-rename`, `renamed`: the `stage()` calls in `ingest/build.py`) the process prints "
                        "`dlbench: paused at <stage>` on stderr and waits to be killed, or resumed with SIGUSR1; "
                        "`tests/test_crash.py` kills it at each stage up to `before-rename`",
    "DLBENCH_COLLECT_CRASH": "**test hook**: `FRAMEWORK:MODEL[:HOW]` makes the collector's worker for that run "
                             "crash on purpose: `kill` (SIGKILL, as the out-of-memory killer; the default), "
                             "`abort`, `raise` or `hang` (for the Ctrl-C test); `tests/collect/test_collect_run.py` "
                             "checks that a crashed run becomes a failed run",
    "DLBENCH_BENCH_RSS": "internal to the benchmark harness: where a measured process writes its peak memory",
    "DLBENCH_BENCH_RSS_TREE": "internal to the benchmark harness: where each process a measured ingest starts "
                              "(its fork server's workers) writes its own peak memory and CPU time",
    "DLBENCH_SCREENSHOT": "**test hook**: a path such as `docs/site-model-page.png` where "
                          "`tests/test_site_browser.py -k screenshot` saves the site's model page",
    "UPDATE_GOLDEN": "**test hook**: `1` rewrites the golden reports in `tests/golden/` instead of comparing",
}
ENV_READERS = ("dlbench", "ingest", "bench", "tests")  # the folders searched for the variables' names
ENV_NAME = re.compile(r"""["'](DLBENCH_[A-Z0-9_]+|UPDATE_GOLDEN)\b""")


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """A table cell: one line, `|` escaped, and outside code spans a `<` that would open an HTML tag as
    `&lt;` (GitHub drops what looks like a tag, such as the `<machine>` of [[<machine>.devices]])."""
    parts = text.replace("|", "\\|").replace("\n", " ").split("`")
    return "`".join(p if i % 2 else re.sub(r"<(?=[A-Za-z/!])", "&lt;", p) for i, p in enumerate(parts))


def code(text: str) -> str:
    return f"`{text}`" if text else ""


# -- views and macros --------------------------------------------------------------------------
def _one_row(obj: sqlfiles.SqlObject) -> str:
    """The first sentence of the header's `One row per ...` line."""
    found = re.search(r"(One row per .*?[.;])(?:\s|$)", " ".join(obj.comment))
    return found.group(1) if found else ""


def _grain(obj: sqlfiles.SqlObject) -> str:
    """The machine-readable `-- grain: ...` line of the header, if it has one."""
    return next((code(line.split(":", 1)[1].strip()) for line in obj.comment if line.lower().startswith("grain:")),
                "")


def views_block() -> str:
    views = sqlfiles.views()
    rows = [(f"[`{v.name}`](../sql/{v.path})", v.description, _one_row(v), _grain(v)) for v in views]
    if not any(r[3] for r in rows):  # no view declares its grain on a line of its own (yet)
        return table(["view", "what it is", "one row is"], [r[:3] for r in rows])
    return table(["view", "what it is", "one row is", "grain"], rows)


def macros() -> list[tuple[str, str, str, str, str]]:
    """(name, signature, description, use, file) of every macro, in file order (a file may make several)."""
    out = []
    for obj in sqlfiles.macros():
        uses = [line.split(":", 1)[1].strip() for line in obj.comment if line.startswith("Use:")]
        for name, args in sqlfiles.created_macros(obj):
            use = next((u for u in uses if re.search(rf"\b{name}\(", u)), "")
            out.append((name, f"{name}({', '.join(a.strip() for a in args.split(','))})", obj.description, use,
                        obj.path))
    return out


def macros_block() -> str:
    return table(["macro", "what it gives", "use"],
                 [(f"[`{sig}`](../sql/{path})", desc, code(use)) for _, sig, desc, use, path in macros()])


def tables_block() -> str:
    """The warehouse tables with the comment above each CREATE TABLE of sql/schema (what one row is, its grain)."""
    rows = []
    for comment, name in re.findall(r"((?:^--[^\n]*\n)+)CREATE TABLE (\w+)", sqlfiles.schema_sql(), re.M):
        rows.append((f"`{name}`", " ".join(line[2:].strip() for line in comment.splitlines())))
    return table(["table", "one row is"], rows)


# -- commands ----------------------------------------------------------------------------------
def _commands() -> list[tuple[str, Any]]:
    """Every command of the Typer app as (name, click command), subcommands as 'export json'."""
    import typer

    from .cli import app

    out: list[tuple[str, Any]] = []

    def walk(group, prefix: str) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                walk(command, f"{prefix}{name} ")
            else:
                out.append((prefix + name, command))

    walk(typer.main.get_command(app), "")
    return out


def _param(p) -> tuple[str, str, str]:
    """(the option as typed, its default, its help) of one click parameter."""
    if p.param_type_name == "argument":
        shown = (p.metavar or p.name.upper()) + ("..." if p.nargs == -1 else "")
        return code(shown if p.required else f"[{shown}]"), "", p.help or ""
    names = ", ".join(p.opts + p.secondary_opts)
    if not p.is_flag:
        names += " " + (p.metavar or p.opts[0].lstrip("-").upper().replace("-", "_"))
    default = "" if p.default in (None, False, ()) or p.is_flag else code(str(p.default))
    if p.envvar:
        default += f" (`${p.envvar}`)"
    return code(names), default, (p.help or "") + (" Repeatable." if p.multiple and "epeatable" not in (
        p.help or "") else "")


def commands_block() -> str:
    found = _commands()
    summary = table(["command", "what it does", "`--db`"], [
        (f"[`{name}`](#dlbench-{name.replace(' ', '-')})", (c.help or "").strip().split("\n")[0],
         "yes" if any(p.name == "db" for p in c.params) else "no") for name, c in found])
    parts = [summary]
    for name, c in found:
        params = [_param(p) for p in c.params]
        parts.append(f"### dlbench {name}\n\n{(c.help or '').strip().split(chr(10) + chr(10))[0]}\n")
        if params:
            parts.append(table(["argument or option", "default", "what"], params))
    return "\n".join(parts)


# -- environment variables ----------------------------------------------------------------------
def env_reads(root: Path = ROOT) -> dict[str, list[str]]:
    """Every DLBENCH_* (and UPDATE_GOLDEN) name quoted in the Python files of ENV_READERS, with the files."""
    found: dict[str, list[str]] = {}
    for folder in ENV_READERS:
        for path in sorted((root / folder).rglob("*.py")):
            if "out" in path.relative_to(root).parts or path == Path(__file__).resolve():
                continue
            for name in sorted(set(ENV_NAME.findall(path.read_text(encoding="utf-8")))):
                found.setdefault(name, []).append(path.relative_to(root).as_posix())
    return dict(sorted(found.items()))


def env_block() -> str:
    reads = env_reads()
    rows = [(code(name), ", ".join(code(f) for f in files if not f.startswith("tests/")) or
             ", ".join(code(f) for f in files), ENV.get(name, "")) for name, files in reads.items()]
    return table(["variable", "named in", "what it does"], rows)


def env_problems(root: Path = ROOT) -> list[str]:
    reads = env_reads(root)
    return ([f"{name} is read by {', '.join(files)} but has no meaning in dlbench.docgen.ENV"
             for name, files in reads.items() if name not in ENV] +
            [f"{name} is in dlbench.docgen.ENV but nothing reads it" for name in ENV if name not in reads])


# -- vocabularies -------------------------------------------------------------------------------
def quality_checks() -> list[tuple[str, str, str]]:
    """(code, severity, what it tests) of every data-quality check: the seed quality_checks."""
    return [(c["check"], c["severity"], c["tests"])
            for c in sorted(sqlfiles.seed("quality_checks").dicts(), key=lambda c: c["position"])]


def quality_block() -> str:
    return table(["check", "severity", "when"], [(code(c), s, w) for c, s, w in quality_checks()])


def marks() -> list[tuple[str, str, list[str]]]:
    """(mark, meaning, the --fail-on values that fail on it) of compare's marks, at the default factor
    and alpha: compare.LEGEND (the seed compare_marks) and compare.Comparison.failed (its fails_* columns)."""
    from .compare import FAIL_ON, LEGEND, Comparison

    def fails(mark: str) -> list[str]:
        return [f for f in FAIL_ON if Comparison("a", "b", "total_ms", 1.1, 0.01, [{"mark": mark}]).failed(f)]

    return [(m, text.format(factor="1.1", alpha="0.01"), fails(m)) for m, text in LEGEND.items()]


def marks_block() -> str:
    return table(["mark", "meaning (factor 1.1, alpha 0.01)", "fails `--fail-on`"],
                 [("` `" if m == " " else code(m), text, ", ".join(code(f) for f in fails) or "never")
                  for m, text, fails in marks()])


BLOCKS: dict[str, Callable[[], str]] = {
    "views": views_block,
    "macros": macros_block,
    "tables": tables_block,
    "commands": commands_block,
    "env": env_block,
    "quality": quality_block,
    "marks": marks_block,
}


# -- the files ----------------------------------------------------------------------------------
def pages(root: Path = ROOT) -> list[Path]:
    return sorted({p for pattern in PAGES for p in root.glob(pattern)})


def regenerate(text: str, where: str = "") -> str:
    """The text with every generated block filled in from the code; KeyError for an unknown block."""
    def fill(m: re.Match) -> str:
        if m.group(2) not in BLOCKS:
            raise KeyError(f"{where}: unknown generated block {m.group(2)!r}; expected one of {', '.join(BLOCKS)}")
        return m.group(1) + BLOCKS[m.group(2)]() + m.group(4)
    return BLOCK.sub(fill, text)


def stale(root: Path = ROOT) -> list[str]:
    """The pages whose generated blocks differ from the code, each with the names of its blocks."""
    out = []
    for page in pages(root):
        text = page.read_text(encoding="utf-8")
        new = regenerate(text, page.name)
        if new != text:
            old_blocks = {m.group(2): m.group(3) for m in BLOCK.finditer(text)}
            names = [m.group(2) for m in BLOCK.finditer(new) if old_blocks.get(m.group(2)) != m.group(3)]
            out.append(f"{page.relative_to(root)}: {', '.join(names)}")
    return out


# -- links -------------------------------------------------------------------------------------
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown text (lower case, punctuation dropped,
    spaces as hyphens, a repeated heading numbered -1, -2, ...)."""
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} (.+)$", FENCE.sub("", text), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        seen[slug] = seen.get(slug, -1) + 1
        if seen[slug]:
            seen[f"{slug}-{seen[slug]}"] = 0
    return set(seen)


def broken_links(root: Path = ROOT) -> list[str]:
    """Every relative link of the pages (outside code blocks) whose file or heading does not exist."""
    out = []
    for page in pages(root):
        text = page.read_text(encoding="utf-8")
        for target in LINK.findall(FENCE.sub("", text)):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(root)}: ({target})"
            if not file.exists():
                out.append(f"{where}: no file {path}")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text(encoding="utf-8")):
                out.append(f"{where}: {path or page.name} has no heading #{anchor}")
    return out


def main(argv: list[str]) -> int:
    if argv not in (["--check"], ["--write"]):
        print("usage: python -m dlbench.docgen --check | --write", file=sys.stderr)
        return 2
    if not (ROOT / "pyproject.toml").is_file():
        print(f"docgen: {ROOT} is not a dlbench checkout; run it from one (pip install -e .)", file=sys.stderr)
        return 2
    problems = env_problems() + broken_links()
    for line in problems:
        print(f"docgen: {line}", file=sys.stderr)
    if argv == ["--write"]:
        for page in pages():
            text = page.read_text(encoding="utf-8")
            new = regenerate(text, page.name)
            if new != text:
                page.write_text(new, encoding="utf-8")
                print(f"docgen: wrote {page.relative_to(ROOT)}", file=sys.stderr)
        return 1 if problems else 0
    old = stale()
    for line in old:
        print(f"docgen: stale: {line} (python -m dlbench.docgen --write regenerates it)", file=sys.stderr)
    return 1 if old or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
