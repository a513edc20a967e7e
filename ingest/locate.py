"""Where things are in a TOML file: the line and column of a table or a key.

tomli gives values without positions, so dlbench finds them in the text.
Two scanners share one way of resolving table headers:

* `header_lines` looks at table headers only (fast: one regex over the text);
  it gives the line where every table and array-of-tables entry starts, which
  is all an ingest needs (each run records the line its entry starts on).
  When a header-like line could sit inside a value (a multi-line string, a
  multi-line array or inline table), it scans with a lexer that follows the
  TOML grammar instead, so a `[[...]]` line inside a string is not a header.
* `KeyLocator` walks every line with a small lexer that understands strings,
  multi-line strings and arrays; it is used only to place findings, so it runs
  only when there is something to report.

Lines end with LF or CRLF: both give the same line numbers.

Paths are tuples of keys (str) and array indexes (int), e.g.
("nvidia-titan-x", "models", 0, "frameworks", 2, "forward").
"""
from __future__ import annotations

import functools
import re

_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\\n]|\\.)*"'
_LITERAL = r"'[^'\n]*'"
_KEY = rf"(?:{_BARE}|{_BASIC}|{_LITERAL})"
_DOTTED = rf"{_KEY}(?:[ \t]*\.[ \t]*{_KEY})*"
HEADER_RE = re.compile(
    rf"^[ \t]*(\[\[?)[ \t]*({_DOTTED})[ \t]*\]\]?[ \t]*(?:#[^\r\n]*)?\r?$", re.MULTILINE
)
# what could put a header-like line inside a value: a multi-line string, or an array or
# inline table that is not closed on the line it opens (a line that ends otherwise)
_RISKY = re.compile(r'"""|\'\'\'|=[ \t]*[\[{](?![^\n]*[\]}][ \t]*\r?$)', re.MULTILINE)
# the lexer's tokens: comments, the four kinds of strings, brackets and newlines
_TOKEN = re.compile(r'''
    (?P<comment>\#[^\n]*)
  | (?P<mlbasic>"""(?:[^"\\]|\\[\s\S]|"{1,2}(?!"))*"{3,5})
  | (?P<mlliteral>\'\'\'(?:[^']|'{1,2}(?!'))*'{3,5})
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'[^'\n]*')
  | (?P<open>[\[{])
  | (?P<close>[\]}])
  | (?P<newline>\n)
''', re.VERBOSE)
_PLAIN_DOTTED = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_KEY_PART = re.compile(rf"[ \t]*({_KEY})[ \t]*(\.)?")

Path = tuple


@functools.lru_cache(maxsize=4096)
def split_key(dotted: str) -> tuple[str, ...]:
    """Split a dotted TOML key into its parts, unquoting quoted parts."""
    if _PLAIN_DOTTED.fullmatch(dotted):
        return tuple(dotted.split("."))
    parts, pos = [], 0
    while pos < len(dotted):
        m = _KEY_PART.match(dotted, pos)
        if not m:
            break
        parts.append(_unquote(m.group(1)))
        pos = m.end()
        if not m.group(2):
            break
    return tuple(parts)


def _unquote(key: str) -> str:
    if key.startswith('"'):
        import json

        try:
            return json.loads(key)
        except ValueError:
            return key[1:-1]
    if key.startswith("'"):
        return key[1:-1]
    return key


class _Tables:
    """Resolves headers to paths, counting array-of-tables entries."""

    def __init__(self):
        self.counts: dict[Path, int] = {}

    def _resolve(self, parts) -> Path:
        path: Path = ()
        for part in parts:
            path = path + (part,)
            n = self.counts.get(path)
            if n:
                path = path + (n - 1,)
        return path

    def header(self, is_array: bool, parts) -> Path:
        if not parts:
            return ()
        if not is_array:
            return self._resolve(parts)
        parent = self._resolve(parts[:-1])
        key = parent + (parts[-1],)
        n = self.counts.get(key, 0)
        self.counts[key] = n + 1
        return key + (n,)


def _tokens(text: str):
    """Walk `text` token by token as the TOML grammar nests values: yield ("header", match) for
    each table header outside any value, and ("open", depth, token) for each array or inline
    table opened (depth counted from 1)."""
    depth, pos, line_start = 0, 0, 0
    search = _TOKEN.search
    while True:
        t = search(text, pos)
        if t is None:
            return
        kind = t.lastgroup
        pos = t.end()
        if kind == "newline":
            line_start = pos
        elif kind == "open":
            if depth == 0 and not text[line_start:t.start()].strip(" \t"):
                m = HEADER_RE.match(text, line_start)
                if m:
                    yield "header", m, line_start
                    pos = m.end()
                    continue
            depth += 1
            yield "open", t, line_start, depth
        elif kind == "close":
            depth = max(0, depth - 1)


def _headers(text: str):
    """The table headers of `text` (HEADER_RE matches) that the TOML grammar takes as headers."""
    if not _RISKY.search(text):
        yield from HEADER_RE.finditer(text)  # no value can span lines: every match is a header
        return
    for event in _tokens(text):
        if event[0] == "header":
            yield event[1]


def nesting_position(text: str, limit: int, line_offset: int = 0) -> tuple[int, int] | None:
    """(line, column) of the first array or inline table nested more than `limit` deep."""
    for event in _tokens(text):
        if event[0] == "open" and event[3] > limit:
            t, line_start = event[1], event[2]
            return (text.count("\n", 0, t.start()) + 1 + line_offset, t.start() - line_start + 1)
    return None


def header_lines(text: str, line_offset: int = 0) -> dict[Path, tuple[int, int]]:
    """(line, column), 1-based, of every table header in `text`, by resolved path."""
    counts: dict[Path, int] = {}  # array-of-tables path -> entries so far
    found: dict[Path, tuple[int, int]] = {}
    line, last = 1 + line_offset, 0
    count = text.count
    for m in _headers(text):
        start = m.start()
        line += count("\n", last, start)
        last = start
        parts = split_key(m.group(2))
        path: Path = ()
        for part in parts[:-1]:
            path += (part,)
            n = counts.get(path)
            if n:
                path += (n - 1,)
        path += (parts[-1],)
        if m.group(1) == "[[":
            n = counts.get(path, 0)
            counts[path] = n + 1
            path += (n,)
        else:
            n = counts.get(path)
            if n:
                path += (n - 1,)
        if path not in found:
            found[path] = (line, m.start(1) - start + 1)
    return found


class KeyLocator:
    """Line and column of every table and key in a TOML text (1-based)."""

    def __init__(self, text: str, line_offset: int = 0):
        self.positions: dict[Path, tuple[int, int]] = {}
        self.at_line: dict[int, tuple[Path, int]] = {}  # line -> (the key or table written there, column)
        self._under: dict[Path, tuple[int, int]] | None = None
        self._scan(text, line_offset)

    def find(self, path: Path) -> tuple[int, int]:
        """The position of `path`; of the first key written under it, when it is only
        implied (`[[a]]` implies `a`, `[a.b]` implies `a`); else of its nearest ancestor."""
        path = tuple(path)
        if path in self.positions:
            return self.positions[path]
        if self._under is None:  # built once, on the first miss
            self._under = {}
            for p, at in self.positions.items():
                for n in range(1, len(p)):
                    prefix = p[:n]
                    if prefix not in self._under or at < self._under[prefix]:
                        self._under[prefix] = at
        while path:
            if path in self.positions:
                return self.positions[path]
            if path in self._under:
                return self._under[path]
            path = path[:-1]
        return (1, 1)

    def _scan(self, text: str, line_offset: int) -> None:
        tables = _Tables()
        current: Path = ()
        lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
        i = 0
        while i < len(lines):
            raw = lines[i]
            lineno = i + 1 + line_offset
            stripped = raw.lstrip()
            col = len(raw) - len(stripped) + 1
            i += 1
            if not stripped or stripped.startswith("#"):
                continue
            m = HEADER_RE.match(raw)
            if m:
                current = tables.header(m.group(1) == "[[", split_key(m.group(2)))
                self.positions.setdefault(current, (lineno, col))
                self.at_line[lineno] = (current, col)
                continue
            eq = _key_end(stripped)
            if eq is None:
                continue
            parts = split_key(stripped[:eq])
            if parts:
                self.positions.setdefault(current + tuple(parts), (lineno, col))
                self.at_line[lineno] = (current + tuple(parts), col)
            # skip the lines a multi-line value spans
            i = _value_end(lines, i - 1, (len(raw) - len(stripped)) + eq + 1)


def _key_end(stripped: str) -> int | None:
    """Index of the '=' that ends the key of a key/value line, or None."""
    pos = 0
    while pos < len(stripped):
        ch = stripped[pos]
        if ch == "=":
            return pos
        if ch in "\"'":
            close = stripped.find(ch, pos + 1)
            while ch == '"' and close > 0 and stripped[close - 1] == "\\":
                close = stripped.find(ch, close + 1)
            if close < 0:
                return None
            pos = close + 1
            continue
        if ch == "#":
            return None
        pos += 1
    return None


def _value_end(lines: list[str], i: int, start: int) -> int:
    """Index of the first line after the value that starts at lines[i][start:]."""
    depth = 0
    in_str = None  # '"', "'", '"""' or "'''"
    while i < len(lines):
        s = lines[i]
        pos = start
        while pos < len(s):
            if in_str:
                if in_str in ('"', '"""') and s[pos] == "\\":
                    pos += 2
                    continue
                if s.startswith(in_str, pos):
                    pos += len(in_str)
                    in_str = None
                    continue
                pos += 1
                continue
            ch = s[pos]
            if ch == "#":
                break
            if s.startswith('"""', pos) or s.startswith("'''", pos):
                in_str = s[pos : pos + 3]
                pos += 3
                continue
            if ch in "\"'":
                in_str = ch
            elif ch in "[{":
                depth += 1
            elif ch in "]}":
                depth -= 1
            pos += 1
        if in_str in ('"', "'"):
            in_str = None  # a single-line string cannot span lines
        i += 1
        start = 0
        if depth <= 0 and in_str is None:
            return i
    return i
