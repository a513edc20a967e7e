"""The collector's TOML: the seed's format (benchmark.toml) plus the samples.

    [<machine key>]                        name, type, host, devices (from the probe)
    [[<key>.models]]                       name, type, batch_size, input
    [[<key>.models.frameworks]]            one per run: name, version, build, precision,
                                           forward, backward (ms), memory, process_memory,
                                           tensor_memory, date, threads,
                                           effective_parallelism, load_before, load_after,
                                           warmup, iterations, input_gradient,
                                           accumulate_gradients, clock, command,
                                           forward_samples, backward_samples
    [[<key>.models.frameworks.libraries]]  name, version

A run is one configuration measured in one or more fresh processes (`repeats`).
forward_samples / backward_samples: the timed iterations in order (ms); with one
process a flat array, with several one inner array per process, in the order the
processes ran (`[[...], [...], [...]]`), each array on one line. forward and
backward: the median of the per-process medians (one process: the median).
effective_parallelism, load_before, load_after: one number per process, in the same
order. memory: the figure the warehouse reads today (CPU: process_memory; GPU: the
allocator's peak); process_memory: the growth of the worker's resident set
(compiler, heap retention and code pages included); tensor_memory: the framework's
own account of a step's tensors (see the adapters); the median over processes.

New runs are appended to an existing file. A run whose identity (machine,
model, framework, version, precision, libraries, batch size) is already there
is a DuplicateRun unless replace=True, which replaces it. The warehouse's
validator does not count the batch size in a run's identity yet, so the same
run at another batch size is refused too (it would make the file invalid);
replace=True replaces it. The file is written whole to a temporary file and
moved over the old one (os.replace), so it is never half-written. Comments in
an existing file are not kept (the header below is written each time).
"""
from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

from ..ingest.document import model_key
from .errors import DuplicateRun, MachineMismatch, OutputUnreadable
from .probe import Probe

# Keys the collector writes on a framework entry that ingest/document.py does not know yet
# (each is a validator warning until the ingest side adds it):
KEYS_THE_VALIDATOR_DOES_NOT_KNOW = {
    "build",  # which build of the framework ran: "cpu", "cuda 12.4"
    "process_memory", "tensor_memory",  # sizes as memory is ("833MB")
    "effective_parallelism", "load_before", "load_after",  # arrays of numbers, one per process
    "accumulate_gradients",  # true or false: torch7's accumulating backward (--accumulate-gradients)
}

HEADER = """\
# Written by `dlbench collect` (dlbench/collect/write.py); new runs are appended.
# One [[<machine>.models.frameworks]] entry per run. Times are milliseconds per
# minibatch: forward and backward are the medians of forward_samples and
# backward_samples (every timed iteration, in order, after `warmup` untimed ones).
# Samples: one inner array per process when a run has several. memory is the peak over
# the worker's baseline (CPU: resident set; GPU: allocator peak); process_memory the
# resident set's growth, tensor_memory the framework's own account of a step's tensors.

"""


def size_text(n: int | None, decimal: bool = True, mb: bool = False) -> str | None:
    """Bytes as the format writes sizes: "25.3GB" (decimal), "1750MB" (mb: always MB, as the
    seed's memory; a run's memory keeps 1 MB resolution), or "1MiB" (not decimal, when exact)."""
    if n is None:
        return None
    if not decimal:
        for unit, f in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
            if n % f == 0:
                return f"{n // f}{unit}"
        return f"{n}B"
    if n >= 10**9 and not mb:
        return f"{round(n / 1e9, 1):g}GB"
    return f"{round(n / 1e6)}MB"


def machine_table(p: Probe, device: str = "cpu") -> dict:
    """The machine section (without models) for a probe."""
    host = {"os": p.os, "cpu": p.cpu, "cores": p.logical_cores}
    if p.cache_bytes:
        host["cache"] = size_text(p.cache_bytes, decimal=False)
    host["ram"] = size_text(p.ram_bytes)
    if device == "cuda" and p.gpus:
        devices = []
        for g in p.gpus:
            d: dict[str, object] = {"name": g.name}
            if g.memory_bytes:
                d["memory"] = size_text(g.memory_bytes, decimal=False)
            if g.cores:
                d["cores"] = g.cores
            d["quantity"] = g.quantity
            devices.append(d)
        return {"name": p.gpus[0].name, "type": "GPU", "host": host, "devices": devices}
    cpu_device: dict[str, object] = {"name": p.cpu, "memory": size_text(p.ram_bytes)}
    if p.physical_cores:
        cpu_device["cores"] = p.physical_cores  # host.cores is the logical count, as in the seed
    cpu_device["quantity"] = 1
    return {"name": p.cpu, "type": "CPU", "host": host, "devices": [cpu_device]}


def framework_entry(data: dict, command: str, date: dt.date) -> dict:
    """One [[...frameworks]] entry from a worker's measurement."""
    entry = {"name": data["framework"], "version": data["version"]}
    if data.get("build"):
        entry["build"] = data["build"]
    entry.update({
        "precision": data["precision"],
        "forward": data["forward"],
        "backward": data["backward"],
    })
    for key in ("memory", "process_memory", "tensor_memory"):
        if data.get(key + "_bytes") is not None:
            entry[key] = size_text(data[key + "_bytes"], mb=True)
    entry.update({"date": date, "threads": data["threads"]})
    for key in ("effective_parallelism", "load_before", "load_after"):
        values = per_process(data, key)
        if values and all(v is not None for v in values):
            entry[key] = values
    entry.update({
        "warmup": data["warmup"],
        "iterations": data["iterations"],
        "input_gradient": data["input_gradient"],
        "accumulate_gradients": bool(data.get("accumulate_gradients", False)),
        "clock": data["clock"],
        "command": command,
        "forward_samples": [list(x) if isinstance(x, list) else x for x in data["forward_samples"]],
        "backward_samples": [list(x) if isinstance(x, list) else x for x in data["backward_samples"]],
    })
    if data.get("libraries"):
        entry["libraries"] = [{"name": n, "version": v} for n, v in data["libraries"]]
    return entry


def per_process(data: dict, key: str) -> list:
    """A per-process figure of a measurement as a list, one per process ([] when absent)."""
    v = data.get(key)
    return [] if v is None else list(v) if isinstance(v, list) else [v]


def _libs(entry: dict) -> tuple:
    return tuple(sorted((lib.get("name", ""), lib.get("version") or "") for lib in entry.get("libraries") or []))


def run_identity(machine: str, model: dict, entry: dict) -> tuple:
    """(machine, model, framework, version, precision, libraries, batch size) of an entry."""
    return (machine, model_key(model.get("name", "")), entry.get("name"), entry.get("version"),
            entry.get("precision") or "", _libs(entry), model.get("batch_size"))


def read_output(path: Path) -> dict:
    """The existing output as a dict ({} when there is none)."""
    import tomli

    if not path.exists():
        return {}
    try:
        with open(path, "rb") as f:
            return tomli.load(f)
    except (OSError, tomli.TOMLDecodeError) as e:
        raise OutputUnreadable(f"{path}: cannot read the existing output ({e}); "
                               "fix it or choose another output file") from e


def check_machine(doc: dict, key: str, machine: dict, path: Path) -> None:
    old = doc.get(key)
    if old is None:
        return
    if not isinstance(old, dict):
        raise OutputUnreadable(f"{path}: top-level key '{key}' is not a machine table")
    old_def = {k: v for k, v in old.items() if k != "models"}
    if old_def != machine:
        differ = sorted(k for k in set(old_def) | set(machine) if old_def.get(k) != machine.get(k))
        raise MachineMismatch(
            f"{path} already has machine '{key}' with a different {', '.join(differ)}; "
            f"pass another machine key (--machine) or another output file")


def find_conflicts(doc: dict, key: str, model_name: str, framework: str, version: str | None, precision: str,
                   libraries: tuple | None, batch_size: int) -> list[tuple[int, int, bool]]:
    """Entries of `doc` a new run would clash with: (model index, framework index, same batch).

    version or libraries None: match any (the check before running, when only the
    package version is known)."""
    out = []
    for i, model in enumerate((doc.get(key) or {}).get("models") or []):
        if model_key(model.get("name", "")) != model_key(model_name):
            continue
        for j, entry in enumerate(model.get("frameworks") or []):
            if entry.get("name") != framework or (entry.get("precision") or "") != precision:
                continue
            if version is not None and entry.get("version") != version:
                continue
            if libraries is not None and _libs(entry) != libraries:
                continue
            out.append((i, j, model.get("batch_size") == batch_size))
    return out


def duplicate_message(path: Path, key: str, model_name: str, framework: str, version: str | None, precision: str,
                      batch_size: int, same_batch: bool) -> str:
    stack = f"{framework} {version}" if version else framework
    if same_batch:
        return (f"{path} already has this run (machine '{key}', {model_name}, {stack}, {precision}, "
                f"batch {batch_size}). Use replace=True (--replace) to replace it.")
    return (f"{path} already has {model_name} with {stack} {precision} on machine '{key}' at another batch "
            f"size; the warehouse counts one such run per machine (batch size is not part of a run's identity "
            f"yet). Use replace=True (--replace) to replace it, or write to another file.")


def merge(doc: dict, key: str, machine: dict, runs: list[dict], command: str, date: dt.date, replace: bool,
          path: Path) -> dict:
    """`doc` with `runs` (worker measurements) added under machine `key`; raises DuplicateRun."""
    check_machine(doc, key, machine, path)
    section = doc.get(key)
    if section is None:
        section = doc[key] = dict(machine)
    models = section.setdefault("models", [])
    for data in runs:
        entry = framework_entry(data, command, date)
        conflicts = find_conflicts(doc, key, data["model_name"], entry["name"], entry["version"],
                                   entry["precision"], _libs(entry), data["batch_size"])
        if conflicts and not replace:
            raise DuplicateRun(duplicate_message(path, key, data["model_name"], entry["name"], entry["version"],
                                                 entry["precision"], data["batch_size"], conflicts[0][2]))
        for i, j, _ in sorted(conflicts, reverse=True):
            del models[i]["frameworks"][j]
        target = None
        for model in models:
            if (model_key(model.get("name", "")) == model_key(data["model_name"])
                    and model.get("batch_size") == data["batch_size"] and model.get("input") == data["input"]):
                target = model
                break
        if target is None:
            target = {"name": data["model_name"], "type": "model", "batch_size": data["batch_size"],
                      "input": data["input"], "frameworks": []}
            models.append(target)
        target.setdefault("frameworks", []).append(entry)
    section["models"] = [m for m in models if m.get("frameworks")]
    return doc


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    import tomli_w

    return k if _BARE.match(k) else tomli_w.dumps({k: 0}).split(" = ")[0]


def _value(v) -> str:
    """A TOML value: tomli-w's formatting, but lists of plain values (and lists of such lists: the
    samples of several processes) on one line, so samples stay readable."""
    import tomli_w

    if isinstance(v, list) and not any(isinstance(x, dict) for x in v) and all(
            not isinstance(x, list) or not any(isinstance(y, (dict, list)) for y in x) for x in v):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return tomli_w.dumps({"v": v})[len("v = "):].rstrip("\n")


def _is_tables(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _emit(lines: list[str], path: list[str], table: dict, aot: bool) -> None:
    """One table in the seed's layout: header indented 2 per level below the machine, keys 2 more,
    plain keys first, then sub-tables, then arrays of tables."""
    depth = len(path)
    pad = "  " * (depth - 1)
    name = ".".join(_key(p) for p in path)
    lines.append("")
    lines.append(f"{pad}[[{name}]]" if aot else f"{pad}[{name}]")
    for k, v in table.items():
        if not isinstance(v, dict) and not _is_tables(v):
            lines.append(f"{pad}  {_key(k)} = {_value(v)}")
    for k, v in table.items():
        if isinstance(v, dict):
            _emit(lines, path + [k], v, False)
    for k, v in table.items():
        if _is_tables(v):
            for item in v:
                _emit(lines, path + [k], item, True)


def dumps(doc: dict) -> str:
    """The document in benchmark.toml's layout (tomli-w, which inlines short arrays of
    tables, formats the values only). Top-level values that are not tables come first."""
    lines = [HEADER.rstrip("\n")]
    plain = {k: v for k, v in doc.items() if not isinstance(v, dict)}
    if plain:
        lines.append("")
        lines += [f"{_key(k)} = {_value(v)}" for k, v in plain.items()]
    for k, v in doc.items():
        if isinstance(v, dict):
            _emit(lines, [k], v, False)
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
