"""The input files themselves, before any TOML: what a path is, its size, its bytes, its sha256.

Standard library only, so that opening the warehouse and checking whether it is up to date
(a stat, and a sha256 when the stat changed) imports no reader.
"""
from __future__ import annotations

import hashlib
import os
import stat
import sys

from .errors import NotAWarehouse

MAX_INPUT_BYTES = 1 << 30  # 1 GiB: an input file above this is refused (real files are a few MB)
DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


class NotARegularFile(OSError):
    "A path names a directory, FIFO, device or socket, or a file above the size limit"


def file_kind(mode: int) -> str:
    """What a path that is not a regular file is, in words (\"a FIFO (named pipe)\")."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def regular_size(path: str) -> int:
    """The size of a regular file; 0 for anything else (which is read, and reported, later)."""
    try:
        st = os.stat(path)
    except OSError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def read_regular(path: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them.

    Opened without blocking and checked on the open descriptor, so a FIFO never
    hangs and a device (/dev/zero) is never read; raises NotARegularFile for
    those and for a file above `limit`, OSError when it cannot be read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
        os.close(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotARegularFile(f"is {file_kind(st.st_mode)}")
        raise NotARegularFile(f"is {st.st_size:,} bytes, above the limit of {limit:,} bytes")
    with open(fd, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise NotARegularFile(f"is above the limit of {limit:,} bytes")
    return data


def file_sha256(path: str) -> str | None:
    """The sha256 of a regular file; None when it is missing, unreadable or not a
    regular file (a FIFO would block, a device never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    with open(fd, "rb") as fh:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            if sys.version_info >= (3, 11):
                return hashlib.file_digest(fh, "sha256").hexdigest()
            digest = hashlib.sha256()  # Python 3.10 (requires-python) has no file_digest
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
            return digest.hexdigest()
        except OSError:
            return None


def database_kind(db: str) -> str:
    """What is at `db`, from its kind and first bytes alone: "missing", "duckdb" (a regular
    file with DuckDB's header) or "foreign". Raises NotAWarehouse for a path that is not a
    regular file (never opened: a FIFO would block) or cannot be read."""
    try:
        st = os.stat(db)
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        raise NotAWarehouse(f"{db} cannot be inspected ({e.strerror}); nothing was changed") from None
    if not stat.S_ISREG(st.st_mode):
        raise NotAWarehouse(f"{db} is {file_kind(st.st_mode)}, not a dlbench warehouse; nothing was changed")
    try:
        with open(db, "rb") as fh:
            head = fh.read(16)
    except OSError as e:
        raise NotAWarehouse(f"{db} cannot be read ({e.strerror}); nothing was changed") from None
    return "duckdb" if head[8:12] == DUCKDB_MAGIC else "foreign"
