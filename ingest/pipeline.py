"""Reading big files fast: machine sections in parallel, rows streamed in batches.

A benchmark file is a run of machine sections (`[key]` and every table below
it). When a file can be split safely — each machine key heading one section,
and before the first `[key]` header only comments or top-level values that
parse on their own (read first, in this process) — the sections are read
in batches by worker processes (one per core), each batch parsed with tomli,
checked and turned into columns, and the columns are streamed into the
warehouse as they arrive. So the cost is the parser's, shared by the cores,
and memory stays bounded by a batch rather than the whole document.

The workers are never forked from the caller (which may hold threads: torch,
jax, a web server; a fork can deadlock them): they come from a fork server
(started with the reader's modules imported, once per process), or are spawned
where there is none. A job is small — the path, a byte range, the sections in
it and the file's stat — and a worker reads its range from the file itself,
checking that the file is still the one this process read.

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
import threading
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass
from typing import NamedTuple

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


class FileChanged(SplitUnsafe):
    "The file changed while its sections were read; read it again in one piece"


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


@dataclass(frozen=True)
class Span:
    """Where a batch's text lies in its file, for a worker that reads it itself: the bytes
    [start, end), the text offset of byte `start`, and the file's stat as it was before this
    process read it (size, mtime_ns, ctime_ns, inode, device)."""
    start: int
    end: int
    offset: int
    stat: tuple[int, ...]


class Job(NamedTuple):
    """One batch of consecutive sections (offsets in the file's text), small and picklable."""
    path: str
    sections: list[Section]
    fast: bool
    source: Span | str  # where its text is: a byte range of the file, or the file's text itself


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _batch_text(job: Job) -> tuple[str, list[Section]]:
    """The text a job's sections are in, and the sections with offsets in it. A worker reads
    its byte range from the file (never blocking: a FIFO put in its place fails the stat check)
    and raises FileChanged when the file is not the one this process read, or the range is not
    the text it had."""
    if isinstance(job.source, str):
        return job.source, job.sections
    span, first, last = job.source, job.sections[0], job.sections[-1]
    try:
        fd = os.open(job.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as fh:
            same = _identity(os.fstat(fd)) == span.stat
            fh.seek(span.start)
            data = fh.read(span.end - span.start) if same else b""
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        same, text = False, ""
    if not same or len(text) != last.end - first.start or TOP_HEADER.match(text) is None:
        raise FileChanged(f"{job.path} changed while it was read")
    at = span.offset
    return text, [Section(s.key, s.start - at, s.end - at, s.line_offset) for s in job.sections]


def _read_batch(job: Job) -> tuple[FileResult, list[dict]]:
    """Read some consecutive sections of a file: their findings and facts, and their columns
    in pieces, in the order of the sections (a piece of Arrow tables for each run of sections
    the fast path read, a piece of lists for each the reference reader read)."""
    text, sections = _batch_text(job)
    batch = FileResult(path=job.path, abs_path=os.path.abspath(job.path))
    pieces: list[dict] = []
    if job.fast:
        _read_fast(job.path, text, sections, batch, pieces)
    else:
        pieces.append(_read_reference(job.path, text, sections, batch))
    batch.sections = section_facts(text, sections)
    return batch, pieces


def _read_reference(path: str, text: str, sections: list[Section], batch: FileResult) -> dict:
    """Read sections with tomli and the reference reader, one by one; their columns."""
    rows: dict[str, list[dict]] = {t: [] for t in ROW_TABLES}
    for sec in sections:
        part = FileResult(path=path, abs_path=batch.abs_path)
        read_text(text[sec.start:sec.end], part, sec.line_offset)
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


def _read_fast(path: str, text: str, sections: list[Section], batch: FileResult, pieces: list[dict]) -> None:
    """Read sections with the fast path (ingest.vector), and those it leaves with the reference reader."""
    from . import vector

    try:
        read = vector.read(path, text, sections)
    except vector.NotFast as e:
        i = 0
        while i < len(sections):
            j = i
            while j < len(sections) and j not in e.sections:
                j += 1
            if j > i:  # a run of sections the fast path may read
                _read_fast(path, text, sections[i:j], batch, pieces)
            if j < len(sections):
                pieces.append(_read_reference(path, text, [sections[j]], batch))
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
    batch, (cols,) = _read_batch(Job(path, sections, False, text))
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


def _quiet_worker(main: int) -> None:
    """A worker leaves Ctrl-C to the main process (it reaches the whole process group, and
    the main process stops the workers), dies with the main process (a killed ingest leaves
    no worker waiting for work: a worker holds both ends of its queue, and the fork server
    lives while a worker does), and prints no traceback of its own: its real errors travel
    to the main process with its result."""
    import gc

    gc.disable()  # a worker lives for one read, and its data has no cycles to collect
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.stderr = open(os.devnull, "w")
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux): the parent
    try:
        watched = os.pidfd_open(main)  # Linux 5.3: readable once the main process has ended
    except ProcessLookupError:  # it has already
        os._exit(0)
    except (AttributeError, OSError):
        return
    threading.Thread(target=_exit_when_ended, args=(watched,), name="dlbench-watch", daemon=True).start()


def _exit_when_ended(pidfd: int) -> None:
    import select

    select.select([pidfd], [], [])
    os._exit(0)


def workers_default() -> int:
    return max(1, min(os.cpu_count() or 1, int(os.environ.get("DLBENCH_WORKERS", "0")) or 8))


@contextlib.contextmanager
def _quiet_start():
    """While this thread starts processes (the fork server and the resource tracker, or spawned
    workers), what they inherit makes them as quiet as a worker: SIGINT ignored (Python there
    raises no KeyboardInterrupt while it imports) and stderr /dev/null (a worker that starts as
    an interrupted ingest removes its semaphores prints no traceback before its initializer, nor
    the tracker a warning after a killed ingest). Meanwhile SIGINT is blocked here, so that a
    Ctrl-C reaches this process when it is over (unless another thread of it took the signal in
    those milliseconds), and this process's own stderr is back when it is. Only the main thread
    may change a handler; elsewhere the processes start as they are."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    with contextlib.ExitStack() as undo:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        undo.callback(signal.pthread_sigmask, signal.SIG_UNBLOCK, {signal.SIGINT})
        undo.callback(signal.signal, signal.SIGINT, signal.signal(signal.SIGINT, signal.SIG_IGN))
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stderr.flush()
        saved = os.dup(2)
        undo.callback(os.close, saved)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        undo.callback(os.dup2, saved, 2)
        yield


# what a worker needs, imported once by the fork server
WORKER_MODULES = [__name__, __package__ + ".vector"]


@contextlib.contextmanager
def _without_main():
    """While this process starts workers: multiprocessing makes each new process import the
    caller's main script again (to find functions defined there), unless the script's __spec__
    names a package's `__main__`. The workers run this module only, so they start as if it did:
    the caller's script needs no `if __name__ == "__main__":` guard, none of it runs twice, and a
    worker does not import the command line (typer) for nothing."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    from importlib.machinery import ModuleSpec

    main.__spec__ = ModuleSpec(__package__ + ".__main__", None)  # never imported: a marker
    try:
        yield
    finally:
        main.__spec__ = None


def _context():
    """The multiprocessing context of the workers: a fork server where there is one (started now,
    so that it imports the reader's modules while this process reads the file), else spawn;
    never a fork of this process."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(WORKER_MODULES)
    with _quiet_start():
        forkserver.ensure_running()
    return ctx


class Reading:
    """A file being read: loaded, split and handed to worker processes by start(), its
    batches consumed by read(). close() stops the workers (read() does, when done)."""

    def __init__(self, path: str, result: FileResult, text: str | None, jobs: list[Job], pool=None,
                 batches=None, size: int = 0):
        self.path, self.result, self.text = path, result, text  # the text: only for a read in one piece
        self.jobs, self.pool, self.batches = jobs, pool, batches  # no jobs: read in one piece
        self.loaded = text is not None or bool(jobs)  # False: the file could not be read as text
        self.size = size or (len(text) if text is not None else 0)  # characters of text

    def close(self) -> None:
        if self.pool is not None:
            # drop the batches not started, wait for the others
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def start(path: str, workers: int | None = None, split: bool = True, fast: bool | None = None) -> Reading:
    """Load `path` and, for a big file, split it and start reading its batches in worker
    processes (a caller that starts a read before it imports duckdb lets the workers parse
    while it creates the warehouse). See read()."""
    size = regular_size(path) if split else 0
    big = size >= PARALLEL_MIN_BYTES
    workers = workers or workers_default()
    batch_bytes = FAST_BATCH_BYTES if fast is not False else BATCH_BYTES
    # a file of two batches or more: the fork server starts now, and imports while this process reads
    ctx = _context() if big and workers > 1 and size > batch_bytes and not _WORKERS_FAILED else None
    if fast is not False and big:
        # the fast path's imports (pyarrow: a sixth of a second, for the workers' Arrow tables) on a
        # thread, while this one reads and hashes the file (which lets go of the GIL)
        import importlib

        threading.Thread(target=importlib.import_module, args=(__package__ + ".vector",),
                         name="dlbench-import", daemon=True).start()
    try:
        before = _identity(os.stat(path))
    except OSError:
        before = ()
    result, text = load_file(path)
    if text is None:
        return Reading(path, result, None, [])
    sections = split_sections(text, prefix=True) if split and len(text) >= PARALLEL_MIN_BYTES else None
    if sections is not None and not _read_prefix(result, text[:sections[0].start], sections):
        sections = None
    if sections is None:
        return Reading(path, result, text, [])
    fast = fast is not False
    batches = _batches(sections, batch_bytes)
    if workers < 2 or len(batches) < 2 or before[:1] != (result.size_bytes,) or _WORKERS_FAILED:
        # in this process, from the text (a file that changed as it was read: its text is what it has)
        jobs = [Job(path, b, fast, text) for b in batches]
        return Reading(path, result, text, jobs, None, map(_read_batch, jobs))
    ctx = ctx or _context()
    jobs = [Job(path, b, fast, span) for b, span in zip(batches, _spans(path, text, batches, before))]
    try:
        pool, results = _pool(ctx, workers, jobs)
    except Exception:  # no worker process could start: read in this process
        _workers_failed()
        jobs = [Job(path, b, fast, text) for b in batches]
        return Reading(path, result, text, jobs, None, map(_read_batch, jobs))
    # the workers read the file themselves: this process's copy of its text goes, and its memory
    # goes to the warehouse's rows instead
    return Reading(path, result, None, jobs, pool, results, len(text))


def _pool(ctx, workers: int, jobs: list[Job]):
    """An executor reading `jobs` (not multiprocessing.Pool: a Pool whose workers were killed, by
    SIGTERM to the process group, can hang its own shutdown; an executor notices dead workers),
    and the iterator of its results. From a fork server, the jobs are handed over on a thread:
    the first waits for the server to have imported the reader, and meanwhile this process goes
    on (it creates the warehouse)."""
    from concurrent.futures import ProcessPoolExecutor

    spawn = ctx.get_start_method() == "spawn"  # else a fork server, started quietly by _context()
    with _quiet_start() if spawn else contextlib.nullcontext():
        pool = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=ctx, initializer=_quiet_worker,
                                   initargs=(os.getpid(),))
        if spawn:
            try:
                with _without_main():
                    return pool, pool.map(_read_batch, jobs)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    futures: list = []
    failed: list[BaseException] = []

    def submit() -> None:
        try:
            with _without_main():
                futures.extend(pool.submit(_read_batch, job) for job in jobs)
        except BaseException as e:  # shut down meanwhile (Ctrl-C), or no worker could start
            failed.append(e)

    handing = threading.Thread(target=submit, name="dlbench-submit", daemon=True)
    handing.start()

    def results():
        handing.join()
        if failed:
            raise BrokenExecutor(f"no worker process could start: {failed[0]!r}")
        for future in futures:
            yield future.result()

    return pool, results()


_WORKERS_FAILED = False  # no worker process could start in this process: read every file here


def _workers_failed() -> None:
    """Read without workers from now on: they cannot start here (no /dev/shm for their queues' locks,
    a process limit), and would not the next time either."""
    global _WORKERS_FAILED
    _WORKERS_FAILED = True


def _spans(path: str, text: str, batches: list[list[Section]], stat: tuple[int, ...]) -> list[Span]:
    """Where each batch's text is in the file: bytes are characters in an ASCII text (after a
    byte order mark, which the text lost), else counted by encoding the text between."""
    with open(path, "rb") as fh:
        at = 3 if fh.read(3) == b"\xef\xbb\xbf" else 0
    if text.isascii():
        return [Span(at + b[0].start, at + b[-1].end, b[0].start, stat) for b in batches]
    spans, char = [], 0
    for b in batches:
        at += len(text[char:b[0].start].encode())
        end = at + len(text[b[0].start:b[-1].end].encode())
        spans.append(Span(at, end, b[0].start, stat))
        at, char = end, b[-1].end
    return spans


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
    done = 0
    try:
        if not reading.loaded:
            return result
        if not reading.jobs:
            assert text is not None
            read_text(text, result)
            _sink(result, columns(result.rows), sink)
            result.rows = {}
            return result
        for job, (batch, pieces) in zip(reading.jobs, reading.batches):
            _merge(result, batch, pieces, sink)
            done += job[1][-1].end - job[1][0].start
            if on_progress:
                on_progress(done, reading.size)
    except BrokenExecutor:
        if done == 0:  # not one batch came back: the workers could not start (see _workers_failed)
            _workers_failed()
            raise SplitUnsafe(f"{path}: no worker process could read it; read it in one piece") from None
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
