"""Reading big files fast: machine sections in parallel, rows streamed in batches.

A benchmark file is a run of machine sections (`[key]` and every table below
it). When a file can be split safely — each machine key heading one section,
and before the first `[key]` header only comments or top-level values that
parse on their own (read first, in this process) — the sections are read
in batches by worker processes (one per core), each batch parsed with tomli,
checked and turned into columns, and the columns are streamed into the
warehouse as they arrive. So the cost is the parser's, shared by the cores,
and memory stays bounded by a batch rather than the whole document.

Anything odd falls back to reading the whole file in one piece, which gives
exactly the same rows and findings: a section that does not parse (a split
inside a multi-line string, a real syntax error whose position must be the
file's), or a section that turns out to hold another machine's tables.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
import signal
import sys
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass

from .document import ROW_TABLES, FileResult, columns, load_file, read_text
from .errors import WarehouseWriteError
from .files import regular_size
from .locate import _KEY, split_key

PARALLEL_MIN_BYTES = 1 << 20  # smaller files are read in one piece
BATCH_BYTES = 1 << 19  # text per batch sent to a worker
# text per batch of the fast path: its cost per batch is higher (a few Arrow calls, one insert per
# table), its memory per byte lower
FAST_BATCH_BYTES = 1 << 22
TOP_HEADER = re.compile(rf"^[ \t]*\[[ \t]*({_KEY})[ \t]*\][ \t]*(?:#[^\r\n]*)?\r?$", re.MULTILINE)
_CANDIDATE = re.compile(r"\n[ \t]*\[(?!\[)")
_PREFIX_OK = re.compile(r"(?:[ \t]*(?:#[^\n]*)?(?:\r?\n|\Z))*\Z")


class SplitUnsafe(Exception):
    "The file cannot be read section by section; read it in one piece"


@dataclass(frozen=True)
class Section:
    key: str  # the machine key
    start: int  # offsets in the text
    end: int
    line_offset: int  # lines before the section's first line


def _top_headers(text: str):
    """TOP_HEADER's matches, found fast: only a line that starts with `[` (after blanks), not `[[`,
    can be one (a regex that starts with a line break lets re skip to the next one)."""
    for start in itertools.chain((0,), (m.start() + 1 for m in _CANDIDATE.finditer(text))):
        m = TOP_HEADER.match(text, start)
        if m:
            yield m


def split_sections(text: str, prefix: bool = False) -> list[Section] | None:
    """The machine sections of `text`, or None when it cannot be split safely.

    Text before the first section must be comments, or with `prefix`, anything
    (the caller reads it on its own and checks it holds top-level values only)."""
    found = list(_top_headers(text))
    if not found or not (prefix or _PREFIX_OK.match(text, 0, found[0].start())):
        return None
    keys = [split_key(m.group(1))[0] for m in found]
    if len(set(keys)) != len(keys):
        return None
    sections, line, last = [], 0, 0
    for i, m in enumerate(found):
        line += text.count("\n", last, m.start())
        last = m.start()
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        sections.append(Section(keys[i], m.start(), end, line))
    return sections


def section_facts(text: str, sections: list[Section]) -> list[dict]:
    """What source_sections stores of each section: key, sha256, first line, line count."""
    return [dict(machine_key=s.key, sha256=hashlib.sha256(text[s.start:s.end].encode()).hexdigest(),
                 first_line=s.line_offset + 1, line_count=text.count("\n", s.start, s.end))
            for s in sections]


_TEXT: str | None = None  # the file being read, shared with forked workers


def _read_batch(job: tuple[str, list[Section], bool]) -> tuple[FileResult, list[dict]]:
    """Read some consecutive sections of _TEXT: their findings and facts, and their columns
    in pieces, in the order of the sections (a piece of Arrow tables for each run of sections
    the fast path read, a piece of lists for each the reference reader read)."""
    path, sections, fast = job
    assert _TEXT is not None, "set by the parent before the workers fork"
    batch = FileResult(path=path, abs_path=os.path.abspath(path))
    pieces: list[dict] = []
    if fast:
        _read_fast(path, sections, batch, pieces)
    else:
        pieces.append(_read_reference(path, sections, batch))
    batch.sections = section_facts(_TEXT, sections)
    return batch, pieces


def _read_reference(path: str, sections: list[Section], batch: FileResult) -> dict:
    """Read sections with tomli and the reference reader, one by one; their columns."""
    assert _TEXT is not None
    rows: dict[str, list[dict]] = {t: [] for t in ROW_TABLES}
    for sec in sections:
        part = FileResult(path=path, abs_path=batch.abs_path)
        read_text(_TEXT[sec.start:sec.end], part, sec.line_offset)
        syntax = any(f.message.startswith("TOML syntax error") for f in part.findings)
        if syntax or set(part.machines) != {sec.key} or part.root_extra:
            raise SplitUnsafe(f"{path}: section [{sec.key}] cannot be read on its own")
        batch.findings += part.findings
        batch.machines.update(part.machines)
        batch.machine_lines.update(part.machine_lines)
        batch.run_keys += part.run_keys
        for t in ROW_TABLES:
            rows[t] += part.rows.get(t, ())
    return columns(rows)


def _read_fast(path: str, sections: list[Section], batch: FileResult, pieces: list[dict]) -> None:
    """Read sections with the fast path (ingest.vector), and those it leaves with the reference reader."""
    from . import vector

    assert _TEXT is not None
    try:
        read = vector.read(path, _TEXT, sections)
    except vector.NotFast as e:
        i = 0
        while i < len(sections):
            j = i
            while j < len(sections) and j not in e.sections:
                j += 1
            if j > i:  # a run of sections the fast path may read
                _read_fast(path, sections[i:j], batch, pieces)
            if j < len(sections):
                pieces.append(_read_reference(path, [sections[j]], batch))
            i = j + 1
        return
    batch.findings += read.result.findings
    batch.machines.update(read.result.machines)
    batch.machine_lines.update(read.result.machine_lines)
    batch.fast_run_ids.append(read.run_ids)
    pieces.append(read.tables)


def read_sections(path: str, text: str, sections: list[Section]) -> tuple[FileResult, dict]:
    """Read some sections of `text` in this process with the reference reader: their findings
    and columns (an incremental update reads the few that changed)."""
    global _TEXT
    _TEXT = text
    try:
        batch, (cols,) = _read_batch((path, sections, False))
    finally:
        _TEXT = None
    return batch, cols


def _batches(sections: list[Section], batch_bytes: int) -> list[list[Section]]:
    out, current, size = [], [], 0
    for sec in sections:
        current.append(sec)
        size += sec.end - sec.start
        if size >= batch_bytes:
            out.append(current)
            current, size = [], 0
    if current:
        out.append(current)
    return out


def _quiet_worker(parent: int) -> None:
    """A worker leaves Ctrl-C to its parent (it reaches the whole process group, and the
    parent stops the workers), dies with its parent (a killed ingest leaves no worker
    waiting for work), and prints no traceback of its own: its real errors travel to
    the parent with its result."""
    import gc

    gc.disable()  # a worker lives for one read, and its data has no cycles to collect
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.stderr = open(os.devnull, "w")
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    if os.getppid() != parent:  # the parent died before that
        os._exit(0)


def workers_default() -> int:
    return max(1, min(os.cpu_count() or 1, int(os.environ.get("DLBENCH_WORKERS", "0")) or 8))


class Reading:
    """A file being read: loaded, split and handed to worker processes by start(), its
    batches consumed by read(). close() stops the workers (read() does, when done)."""

    def __init__(self, path: str, result: FileResult, text: str | None, jobs: list, pool=None, batches=None):
        self.path, self.result, self.text = path, result, text
        self.jobs, self.pool, self.batches = jobs, pool, batches  # no jobs: read in one piece
        self.loaded = text is not None  # False: the file could not be read as text (see result.findings)
        self.size = len(text) if text is not None else 0

    def close(self) -> None:
        global _TEXT
        if self.pool is not None:
            # drop the batches not started, wait for the others
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
            import gc

            gc.unfreeze()  # what start() froze for the fork is collectable again
        _TEXT = None


def start(path: str, workers: int | None = None, split: bool = True, fast: bool | None = None) -> Reading:
    """Load `path` and, for a big file, split it and start reading its batches in worker
    processes (forked now: a caller that starts a read before it imports duckdb lets the
    workers parse while it creates the warehouse). See read()."""
    global _TEXT
    importing = None
    if fast is not False and split and regular_size(path) >= PARALLEL_MIN_BYTES:
        # the fast path's imports (pyarrow: a sixth of a second) on a thread, while this one reads and
        # hashes the file (which lets go of the GIL); joined before the fork
        import importlib
        import threading

        importing = threading.Thread(target=importlib.import_module, args=(__package__ + ".vector",),
                                     name="dlbench-import", daemon=True)
        importing.start()
    result, text = load_file(path)
    if text is None:
        return Reading(path, result, None, [])
    sections = split_sections(text, prefix=True) if split and len(text) >= PARALLEL_MIN_BYTES else None
    if sections is not None and not _read_prefix(result, text[:sections[0].start], sections):
        sections = None
    if sections is None:
        return Reading(path, result, text, [])
    fast = fast is not False
    jobs = [(path, b, fast) for b in _batches(sections, FAST_BATCH_BYTES if fast else BATCH_BYTES)]
    workers = workers or workers_default()
    _TEXT = text
    if workers > 1 and len(jobs) > 1:
        # an executor, not multiprocessing.Pool: a Pool whose workers were killed (SIGTERM to the
        # process group) can hang its own shutdown; an executor notices dead workers
        import gc
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if importing is not None:
            importing.join()
        if fast:
            from . import vector  # noqa: F401  (pyarrow: imported once, here, rather than by each worker)
        gc.freeze()  # the objects so far stay out of the workers' collections (and their pages shared)
        pool = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=multiprocessing.get_context("fork"),
                                   initializer=_quiet_worker, initargs=(os.getpid(),))
        try:
            reading = Reading(path, result, text, jobs, pool, pool.map(_read_batch, jobs))
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            _TEXT = None
            raise
        # the workers have forked with the text (a fork executor starts them all at the first job): this
        # process needs no copy of it, and its memory goes to the warehouse's rows instead
        reading.text = _TEXT = None
        return reading
    return Reading(path, result, text, jobs, None, map(_read_batch, jobs))


def read(path: str, sink=None, workers: int | None = None, split: bool = True,
         on_progress=None, fast: bool | None = None, started: Reading | None = None) -> FileResult:
    """Read and check one file; stream its rows, as columns, into sink(table, columns)
    (columns: a dict of lists, or an Arrow table from the fast path).

    on_progress(done_bytes, total_bytes) is called after each batch of a big file.
    `fast` (default True): read the sections of a split file that the fast path can read
    with it (ingest.vector); False reads every section with the reference reader.
    `started`: what start() began for this file (else read() starts it).

    Never raises for bad input (see the findings); raises SplitUnsafe when a split
    read has to be redone in one piece (the caller must discard what it sank)."""
    reading = started or start(path, workers, split, fast)
    result, text = reading.result, reading.text
    try:
        if not reading.loaded:
            return result
        if not reading.jobs:
            assert text is not None
            read_text(text, result)
            _sink(result, columns(result.rows), sink)
            result.rows = {}
            return result
        done = 0
        for job, (batch, pieces) in zip(reading.jobs, reading.batches):
            _merge(result, batch, pieces, sink)
            done += job[1][-1].end - job[1][0].start
            if on_progress:
                on_progress(done, reading.size)
    except BrokenExecutor:
        raise WarehouseWriteError(f"cannot build the warehouse: a worker process reading {path} died; "
                                  "the previous warehouse is unchanged") from None
    finally:
        reading.close()
    return result


def _read_prefix(result: FileResult, prefix: str, sections: list[Section]) -> bool:
    """Read what comes before the first machine section into `result`: True when it
    is comments or top-level values only (so the sections can be read apart), else
    False with `result` untouched (the file is then read in one piece)."""
    if _PREFIX_OK.match(prefix):
        return True
    part = FileResult(path=result.path, abs_path=result.abs_path)
    read_text(prefix, part, 0, whole=False)
    if part.errors or part.machines or set(part.root_extra) & {s.key for s in sections}:
        return False
    result.findings += part.findings
    result.root_extra.update(part.root_extra)
    return True


def _merge(result: FileResult, batch: FileResult, pieces: list[dict], sink) -> None:
    result.findings += batch.findings
    result.machines.update(batch.machines)
    result.machine_lines.update(batch.machine_lines)
    result.run_keys += batch.run_keys
    result.fast_run_ids += batch.fast_run_ids
    result.sections += batch.sections
    for cols in pieces:
        _sink(result, cols, sink)


def _sink(result: FileResult, cols: dict, sink) -> None:
    for table, data in cols.items():
        n = len(next(iter(data.values()))) if isinstance(data, dict) else data.num_rows
        result.counts[table] = result.counts.get(table, 0) + n
    if sink is not None and not result.errors:
        for table, data in cols.items():
            sink(table, data)
