"""The fast path of an ingest: the common shape of a benchmark file, read with vectorised Arrow compute.

A big file is read in batches of whole machine sections (ingest.pipeline). Most
of a batch is framework entries written one way: `[[<machine>.models.frameworks]]`
tables of `name`, `version`, `forward`, `backward`, `total`, `memory`,
`precision`, `label` and `[[...libraries]]` tables of `name` and `version`, one
plain value per line. This module reads that shape with Arrow compute, a whole
batch at a time instead of a value at a time:

1. the text is split into lines, and every line must be one of the strict
   grammar's forms (LINE): blank, a comment, a table header with bare keys, or
   `key = value` where the value is a basic string, a literal string or a bare
   token (a number, a boolean, a date), each complete on its line. So no line can
   open a value that spans lines, and the headers are exactly the tables;
2. headers are classified (machine, host, device, model, framework entry,
   library), framework entries and libraries must follow a model, and the key
   lines under them must be the known keys with the types they need (FW_VALUE:
   plain strings without escapes, positive numbers written canonically), each at
   most once per table;
3. everything else of the batch (machines, hosts, devices, models: a few percent
   of the lines) is read by the reference reader (document.SkeletonReader), on
   the batch's lines without the framework entries' (which leaves the same TOML),
   so it parses with tomli and gets every check, row and finding of those levels,
   placed at the file's lines;
4. the entries are pivoted into columns and checked as vectors (names are plain
   text of at most 500 characters, timings positive, the memory a size), their
   warnings (no memory, memory above the devices', a total that is not forward +
   backward) made for the rows that need one, and the rows of `runs`,
   `measurements` and `run_libraries` built as Arrow tables, with the ids the
   reference computes (run_id_of on the same natural key).

A section that is not in that shape, or whose values would give an error, is
not read here: `read` names it, and the caller reads it with tomli and the
reference reader (document.read_text), which produce every error message. So
the fast path never decides that a file is bad; it only reads good files faster,
and gives the same tables, ids and warnings as the reference (the property test
in tests/test_vector.py checks it on generated and mutated files).
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from .document import (
    MAX_TEXT,
    TOTAL_TOLERANCE_MS,
    FileResult,
    columns,
    id_of_text,
    key_text,
    libraries_label,
    library_key,
    read_skeleton,
    run_key,
    source_id_for,
    stable_id,
    stack_ids_of,
)
from .errors import Finding
from .units import UNITS

# every line of a batch: blank, a comment, a header with bare keys, or key = one complete value
_STRING = r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[^\x00-\x1f\x7f])*"'
_LITERAL = r"'[^'\x00-\x08\x0a-\x1f\x7f]*'"
_COMMENT = r"(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?"
LINE = (r"^[ \t]*(?:\[\[?[ \t]*[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*[ \t]*\]\]?"
        rf"|[A-Za-z0-9_-]+[ \t]*=[ \t]*(?:{_STRING}|{_LITERAL}|[0-9A-Za-z_:.+-]+))?[ \t]*{_COMMENT}$")
# the headers of a section, as the fast path takes them (no spaces inside, no comment after); their
# index is the header's kind
HEADERS = ("[{}]", "[{}.host]", "[[{}.devices]]", "[[{}.models]]", "[[{}.models.frameworks]]",
           "[[{}.models.frameworks.libraries]]")
MACHINE, HOST, DEVICE, MODEL, FW, LIB = range(len(HEADERS))
# the value of a key line of a framework entry or a library (`key = value`, nothing after it): a string
# without escapes or control characters, or a positive number written as Python writes it back (so the
# number as written is repr(value)): an integer below 1e12, or a float with at most 9 + 6 digits
VALUE = (r'^(?:"[^"\\\x00-\x08\x0a-\x1f\x7f]*"'
         r"|0|[1-9][0-9]{0,11}|(?:0|[1-9][0-9]{0,8})\.(?:0|[0-9]{0,5}[1-9]))$")
# a memory size as most files write it ("1750MB"); anything else is left to units.parse_size
SIZE = r"^(?P<n>[0-9]{1,12}(?:\.[0-9]{1,6})?)(?P<u>[A-Za-z]{1,3})$"
# what str.isspace() is true for: a plain text has a character outside this set
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
NOT_BLANK = rf"[^{_SPACE}]"
FW_KEYS = ("name", "version", "forward", "backward", "total", "memory", "precision", "label")
LIB_KEYS = ("name", "version")
STRING_KEYS = ("name", "version", "memory", "precision", "label")
TIMINGS = (("forward", "forward_ms"), ("backward", "backward_ms"), ("total", "total_ms"))
_NO_VERSION = "\x1d"  # a library without a version, in the text that identifies a stack


class NotFast(Exception):
    "Some sections are not in the shape this module reads (their indexes in the batch)"

    def __init__(self, sections: set[int]):
        super().__init__(f"{len(sections)} section(s) left to the reference reader")
        self.sections = sections


@dataclass
class Batch:
    """What the fast path read of some machine sections: like document.read_text's
    FileResult, with the big tables as Arrow tables and the runs as ids only."""

    result: FileResult
    tables: dict[str, pa.Table | dict[str, list]]
    run_ids: pa.Array


def _count(size: int) -> pa.Array:
    """1, 2, ..., size."""
    return pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), size))


def _scatter(positions: pa.Array, values: pa.Array, size: int) -> pa.Array:
    """An array of `size` with values[k] at positions[k] (unique) and null elsewhere."""
    where = pc.index_in(_count(size), value_set=pc.add(pc.cast(positions, pa.int64()), 1))
    return values.take(where)


def _ranks(mask: pa.Array) -> pa.Array:
    """For each element, how many true elements of `mask` come before it or are it, less one."""
    return pc.subtract(pc.cumulative_sum(pc.cast(mask, pa.int64())), 1)


def _at_last(where: pa.Array, mask: pa.Array) -> pa.Array:
    """For each element: how many true elements of `mask` there were up to the last true
    element of `where` (it included)."""
    return pc.fill_null_forward(pc.if_else(where, pc.cumulative_sum(pc.cast(mask, pa.int64())),
                                           pa.scalar(None, pa.int64())))


def _plain(strings: pa.Array) -> pa.Array:
    """Where a string is what document._plain_text accepts: at most MAX_TEXT characters, not
    only blanks (str.isspace; the strings here hold no control characters)."""
    ascii_ = pc.equal(pc.binary_length(strings), pc.utf8_length(strings))
    blank = pc.equal(pc.ascii_trim(strings, characters=" \t"), "")
    if not pc.all(ascii_).as_py():  # blanks outside ASCII: the full set of str.isspace()
        blank = pc.if_else(ascii_, blank, pc.invert(pc.match_substring_regex(strings, NOT_BLANK)))
    return pc.and_(pc.less_equal(pc.utf8_length(strings), MAX_TEXT), pc.invert(blank))


def _check(wrong: pa.Array, section: pa.Array) -> None:
    """Raise NotFast with the sections where `wrong` is true (or null)."""
    wrong = pc.fill_null(wrong, True)
    if pc.any(wrong).as_py():
        raise NotFast(set(pc.unique(section.filter(wrong)).to_pylist()))


def read(file: str, text: str, sections: list) -> Batch:
    """Read the machine `sections` (pipeline.Section, consecutive) of `text`.

    Raises NotFast naming the sections (indexes in `sections`) that must be read by
    the reference reader instead; the others can then be read here, in runs of
    consecutive sections."""
    first, last = sections[0], sections[-1]
    line0 = first.line_offset
    source_id = source_id_for(file)
    lines = pc.split_pattern(pa.array([text[first.start:last.end]], pa.string()), "\n").flatten()
    n = len(lines)
    starts = [s.line_offset - line0 for s in sections]
    section = pc.run_end_decode(pa.RunEndEncodedArray.from_arrays(
        pa.array(starts[1:] + [n], pa.int32()), pa.array(range(len(sections)), pa.int64())))
    lineno = pc.add(_count(n), line0)  # the file's line numbers

    # 1. what each line is
    stripped = pc.ascii_ltrim(lines, characters=" \t")
    is_header = pc.starts_with(stripped, "[")
    is_key = pc.invert(pc.or_(is_header, pc.or_(pc.equal(stripped, ""), pc.starts_with(stripped, "#"))))

    # 2. headers: their kind and machine, what they follow (each matched whole against its section's forms)
    header = lines.filter(is_header)
    h_section = section.filter(is_header)
    h_stripped = stripped.filter(is_header)
    h_col = pc.add(pc.subtract(pc.utf8_length(header), pc.utf8_length(h_stripped)), 1)
    h_line = lineno.filter(is_header)
    forms = pa.array([form.format(s.key) for s in sections for form in HEADERS])
    kind = pc.subtract(pc.index_in(pc.utf8_rtrim(h_stripped, characters=" \t"), value_set=forms),
                       pc.multiply(h_section, len(HEADERS)))
    wrong = pc.or_kleene(pc.less(kind, 0), pc.greater_equal(kind, len(HEADERS)))
    kind = pc.fill_null(kind, -1)
    prev = pa.concat_arrays([pa.array([-1], kind.type), kind.slice(0, max(len(kind) - 1, 0))])
    wrong = pc.or_kleene(wrong, pc.and_(pc.equal(kind, FW), pc.invert(pc.is_in(prev, pa.array([MODEL, FW, LIB],
                                                                                            kind.type)))))
    wrong = pc.or_kleene(wrong, pc.and_(pc.equal(kind, LIB), pc.invert(pc.is_in(prev, pa.array([FW, LIB],
                                                                                             kind.type)))))
    _check(wrong, h_section)
    region = kind.take(_ranks(is_header))  # the kind of table each line is in
    in_fw = pc.greater_equal(region, FW)
    # every other line in the strict grammar (the key lines of the entries are held to a stricter one below)
    rest = pc.invert(pc.or_(is_header, pc.and_(is_key, in_fw)))
    _check(pc.invert(pc.match_substring_regex(lines.filter(rest), LINE)), section.filter(rest))

    # 3. machines, hosts, devices and models: the reference reader, on the text without the entries
    model_key = pc.and_(is_key, pc.equal(region, MODEL))
    frameworks_key = pc.match_substring_regex(stripped.filter(model_key), r"^frameworks[ \t]*=")
    _check(frameworks_key, section.filter(model_key))  # `frameworks = ...` beside [[...frameworks]]: tomli's to judge
    keep = pc.invert(in_fw)
    kept = lines.filter(keep)
    skeleton_text = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(kept)], pa.int32()), kept),
                                   "\n")[0].as_py()
    fw_header, model_header, lib_header = pc.equal(kind, FW), pc.equal(kind, MODEL), pc.equal(kind, LIB)
    n_fw, n_lib = pc.sum(fw_header).as_py() or 0, pc.sum(lib_header).as_py() or 0
    n_models = pc.sum(model_header).as_py() or 0
    fw_model = _ranks(model_header).filter(fw_header)  # each entry's model, counted over the batch
    has_fw = [False] * n_models
    for m in pc.unique(fw_model).to_pylist():
        has_fw[m] = True
    part = FileResult(path=file, abs_path="")
    skeleton = read_skeleton(skeleton_text, part, lineno.filter(keep).to_pylist(), has_fw)
    if (skeleton is None or part.errors or set(part.machines) != {s.key for s in sections} or part.root_extra
            or len(skeleton.models) != n_models):
        raise NotFast(set(range(len(sections))))  # the reference reader says why
    models = skeleton.models
    if not n_fw:  # no framework entries: the reader read it all
        part.rows = {}
        return Batch(part, columns(skeleton.rows), pa.array([], pa.int64()))

    # 4. the key lines of the framework entries and libraries: known keys, each once, of the right type
    fw_lines = pc.and_(is_key, in_fw)
    v_section = section.filter(fw_lines)
    split = pc.split_pattern(stripped.filter(fw_lines), " = ", max_splits=1)
    _check(pc.not_equal(pc.list_value_length(split), 2), v_section)
    v_key = pc.list_element(split, 0)
    v_text = pc.list_element(split, 1)
    is_str = pc.starts_with(v_text, '"')
    v_string = pc.utf8_slice_codeunits(v_text, 1, -1)
    v_kind = region.filter(fw_lines)
    is_fw_value = pc.equal(v_kind, FW)
    known = pc.if_else(is_fw_value, pc.is_in(v_key, pa.array(FW_KEYS)), pc.is_in(v_key, pa.array(LIB_KEYS)))
    wrong = pc.or_(pc.invert(known), pc.invert(pc.match_substring_regex(v_text, VALUE)))
    wrong = pc.or_(wrong, pc.not_equal(is_str, pc.is_in(v_key, pa.array(STRING_KEYS))))
    wrong = pc.or_(wrong, pc.and_(pc.and_(is_str, pc.not_equal(v_key, "memory")), pc.invert(_plain(v_string))))
    _check(wrong, v_section)
    v_header = _ranks(is_header).filter(fw_lines)  # the header of the table each value is in
    v_line = lineno.filter(fw_lines)
    v_col = pc.add(pc.subtract(pc.utf8_length(lines.filter(fw_lines)), pc.utf8_length(stripped.filter(fw_lines))), 1)
    fw_rank = _ranks(fw_header)  # per header: the entry it is or is in
    lib_rank = _ranks(lib_header)
    v_entry = pc.if_else(is_fw_value, fw_rank.take(v_header), lib_rank.take(v_header))

    def pivot(kind_mask, key: str, size: int, *arrays: pa.Array) -> list[pa.Array]:
        """The values of `key` in each entry (or library): null where it is not given."""
        sel = pc.and_(kind_mask, pc.equal(v_key, key))
        at = v_entry.filter(sel)
        if len(at) > 1:
            _check(pc.less_equal(at.slice(1), at.slice(0, len(at) - 1)), v_section.filter(sel).slice(1))  # twice
        return [_scatter(at, a.filter(sel), size) for a in arrays]

    lib_value = pc.invert(is_fw_value)
    name, = pivot(is_fw_value, "name", n_fw, v_string)
    version, = pivot(is_fw_value, "version", n_fw, v_string)
    precision, = pivot(is_fw_value, "precision", n_fw, v_string)
    label, = pivot(is_fw_value, "label", n_fw, v_string)
    memory_text, memory_line, memory_col = pivot(is_fw_value, "memory", n_fw, v_string, v_line, v_col)
    written = {k: pivot(is_fw_value, k, n_fw, v_text)[0] for k, _ in TIMINGS}
    total_line, total_col = pivot(is_fw_value, "total", n_fw, v_line, v_col)
    lib_name, = pivot(lib_value, "name", n_lib, v_string)
    lib_version, = pivot(lib_value, "version", n_lib, v_string)
    values = {k: pc.cast(w, pa.float64()) for k, w in written.items()}
    memory, memory_bad = _sizes(memory_text)
    fw_section = h_section.filter(fw_header)
    _check(pc.or_(pc.is_null(name), pc.is_null(version)), fw_section)
    _check(pc.and_(pc.is_null(values["forward"]), pc.is_null(values["backward"])), fw_section)
    for k, _ in TIMINGS:
        _check(pc.fill_null(pc.less_equal(values[k], 0), False), fw_section)
    _check(memory_bad, fw_section)
    _check(pc.is_null(lib_name), h_section.filter(lib_header))

    # 5. positions, stacks and ids
    fw_position = pc.subtract(fw_rank, _at_last(model_header, fw_header)).filter(fw_header)
    lib_offsets = _at_last(fw_header, lib_header)
    lib_start = lib_offsets.filter(fw_header)  # each entry's first library, counted over the batch
    lib_position = pc.subtract(lib_rank, lib_offsets).filter(lib_header)
    lib_entry = fw_rank.filter(lib_header)
    lib_text = pc.binary_join_element_wise(lib_name, pc.fill_null(lib_version, _NO_VERSION), "\x1e")
    libs = pc.binary_join(pa.ListArray.from_arrays(pa.concat_arrays([pc.cast(lib_start, pa.int32()),
                                                                     pa.array([n_lib], pa.int32())]), lib_text),
                          "\x1c")
    stack = pc.dictionary_encode(pc.binary_join_element_wise(name, version, libs, pc.fill_null(precision, ""),
                                                             "\x1f"))
    suffixes, framework_ids, labels, stack_ids, base_stack_ids = [], [], [], [], []
    frameworks: dict[tuple[str, str], int] = {}
    for text_of in stack.dictionary.to_pylist():
        nm, ver, lib_joined, prec = text_of.split("\x1f")
        lib = [(ln, None if lv == _NO_VERSION else lv) for ln, lv in
               (item.split("\x1e") for item in lib_joined.split("\x1c"))] if lib_joined else []
        suffixes.append(key_text(nm, ver, library_key(lib), prec))
        sid, base = stack_ids_of(nm, ver, lib, bool(lib), prec or None)  # libraries written as tables: known
        stack_ids.append(sid)
        base_stack_ids.append(base)
        fid = frameworks.get((nm, ver))
        if fid is None:
            fid = frameworks[(nm, ver)] = stable_id("framework", nm, ver)
            skeleton.rows["frameworks"].append(dict(framework_id=fid, name=nm, version=ver))  # as _Reader._store
        framework_ids.append(fid)
        labels.append(libraries_label(lib) if lib else None)
    # run_id_of(run_key(...)) as stable_id joins it: the model's part, then the stack's (an entry read
    # here has no mode, threads or date of its own); no part holds \x1f (plain strings, JSON)
    prefixes = pa.array([key_text("run", *run_key(m.workload, "", "", (), None)[:-4], "") for m in models],
                        pa.string()).take(fw_model)
    stack_suffixes = pa.array(suffixes, pa.string()).take(stack.indices)
    keys = pc.binary_join_element_wise(prefixes, stack_suffixes, "")
    run_id = pa.array([id_of_text(k) for k in keys.cast(pa.binary()).to_pylist()], pa.int64())
    # config_id_of: the run_id without the date, which is the run_id itself for a model with no date
    config_id = run_id
    if any(m.workload.date is not None for m in models):
        config_prefixes = pa.array([key_text("run", *run_key(m.workload._replace(date=None), "", "", (), None)[:-4], "")
                                    for m in models], pa.string()).take(fw_model)
        config_keys = pc.binary_join_element_wise(config_prefixes, stack_suffixes, "")
        config_id = pa.array([id_of_text(k) for k in config_keys.cast(pa.binary()).to_pylist()], pa.int64())
    machine_ids = pa.array([m.machine_id for m in models], pa.int64())
    model_ids = pa.array([m.model_id for m in models], pa.int64())
    has_libraries = pc.greater(pc.subtract(pa.concat_arrays([lib_start.slice(1), pa.array([n_lib], pa.int64())]),
                                           lib_start), 0)
    none = pa.nulls(n_fw, pa.string())
    fw_line = h_line.filter(fw_header)
    tables: dict = {"runs": pa.table({
        "run_id": run_id, "machine_id": machine_ids.take(fw_model), "model_id": model_ids.take(fw_model),
        "framework_id": pa.array(framework_ids, pa.int64()).take(stack.indices),
        "source_id": pa.repeat(pa.scalar(source_id, pa.int64()), n_fw),
        "position": pc.cast(fw_position, pa.int32()), "line": pc.cast(fw_line, pa.int32()),
        "precision": precision, "label": label, "libraries": pa.array(labels, pa.string()).take(stack.indices),
        "has_libraries": has_libraries, "extra": none, "date": none,
        "stack_id": pa.array(stack_ids, pa.int64()).take(stack.indices),
        "base_stack_id": pa.array(base_stack_ids, pa.int64()).take(stack.indices), "config_id": config_id})}
    tables["run_libraries"] = pa.table({
        "position": pc.cast(lib_position, pa.int32()), "name": lib_name, "version": lib_version,
        "line": pc.cast(h_line.filter(lib_header), pa.int32()), "extra": pa.nulls(n_lib, pa.string()),
        "run_id": run_id.take(lib_entry)})
    parts, order = [], []
    for rank, (key, metric) in enumerate(TIMINGS):
        sel = pc.is_valid(values[key])
        parts.append(_measurements(run_id.filter(sel), metric, key, values[key].filter(sel), "ms",
                                   written[key].filter(sel)))
        order.append(pc.add(pc.multiply(pc.indices_nonzero(sel), 4), rank))
    sel = pc.is_valid(memory)
    parts.append(_measurements(run_id.filter(sel), "memory_bytes", "memory", pc.cast(memory.filter(sel), pa.float64()),
                               "bytes", pc.binary_join_element_wise('"', memory_text.filter(sel), '"', "")))
    order.append(pc.add(pc.multiply(pc.indices_nonzero(sel), 4), 3))
    # in the reference's order: by run, then forward, backward, total, memory
    tables["measurements"] = pa.concat_tables(parts).take(pc.sort_indices(pa.chunked_array(order)))
    tables = {t: data for t, data in tables.items() if data.num_rows}  # as columns(): no empty tables
    tables.update(columns(skeleton.rows))  # machines, devices, models, source_machines, frameworks

    # 6. the warnings of the entries, placed among the reader's where the reference walk makes them
    device_bytes = pa.array([m.device_bytes for m in models], pa.int64()).take(fw_model)
    no_memory = pc.is_null(memory)
    above = pc.fill_null(pc.and_(pc.greater(device_bytes, 0), pc.greater(memory, device_bytes)), False)
    both = pc.add(values["forward"], values["backward"])
    off = pc.fill_null(pc.greater(pc.abs(pc.subtract(values["total"], both)), TOTAL_TOLERANCE_MS), False)
    flagged = pc.indices_nonzero(pc.or_(pc.or_(no_memory, above), off))
    per_model: dict[int, list[Finding]] = {}
    fw_col = h_col.filter(fw_header)

    def get(a: pa.Array) -> list:
        return a.take(flagged).to_pylist()

    for (m, miss, hi, bad_total, line, col, mline, mcol, tline, tcol, mtext, dbytes, fwd, bwd, tot, pos) in zip(
            get(fw_model), get(no_memory), get(above), get(off), get(fw_line), get(fw_col), get(memory_line),
            get(memory_col), get(total_line), get(total_col), get(memory_text), get(device_bytes),
            get(values["forward"]), get(values["backward"]), get(values["total"]), get(fw_position)):
        key = models[m].machine_key
        at = f"{key}.models[{models[m].position}].frameworks[{pos}]"  # format_path of a bare key's entry
        out = per_model.setdefault(m, [])
        if miss:
            out.append(Finding("warning", file, line, col, at,
                               "no 'memory' given; memory comparisons will leave this run out",
                               'memory = "<size>" such as "1750MB"', machine_key=key))
        elif hi:
            out.append(Finding("warning", file, mline, mcol, at + ".memory",
                               f"memory {mtext} is above the machine's total device memory ({dbytes / 1e6:g}MB)",
                               "at most the devices' memory", machine_key=key))
        if bad_total:
            out.append(Finding("warning", file, tline, tcol, at + ".total",
                               f"reported total {tot:g} ms differs from forward + backward = {fwd + bwd:g} ms by "
                               f"more than {TOTAL_TOLERANCE_MS:g} ms",
                               f"forward + backward within {TOTAL_TOLERANCE_MS:g} ms", machine_key=key))
    result = FileResult(path=file, abs_path="")
    done = 0
    for m, found in sorted(per_model.items()):
        mark = models[m].findings_before
        result.findings += part.findings[done:mark] + found
        done = mark
    result.findings += part.findings[done:]
    result.machines, result.machine_lines = part.machines, part.machine_lines
    return Batch(result, tables, run_id)


def _measurements(run_id, metric, key, value, unit, written) -> pa.Table:
    n = len(run_id)
    return pa.table({"run_id": run_id, "metric": pa.repeat(pa.scalar(metric), n), "key": pa.repeat(pa.scalar(key), n),
                     "value": value, "unit": pa.repeat(pa.scalar(unit), n), "written": pc.cast(written, pa.string())})


def _sizes(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """units.parse_size over an array: (bytes, null where absent; true where a size does not
    parse here: the reference reader then reads the entry)."""
    m = pc.extract_regex(text, SIZE)
    factor = pc.index_in(pc.utf8_lower(pc.struct_field(m, "u")), value_set=pa.array(list(UNITS)))
    factors = pa.array(list(UNITS.values()), pa.float64())
    value = pc.multiply(pc.cast(pc.struct_field(m, "n"), pa.float64()), factors.take(factor))
    value = pc.round(value, round_mode="half_to_even")
    bad = pc.and_(pc.is_valid(text), pc.or_kleene(pc.is_null(value), pc.greater_equal(value, 2.0**63)))
    bad = pc.fill_null(bad, True)
    return pc.cast(pc.if_else(bad, pa.scalar(None, pa.float64()), value), pa.int64()), bad
