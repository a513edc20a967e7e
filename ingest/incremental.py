"""Re-ingest only what changed: the machine sections of a big file.

A full build of a big file records the sha256 of each machine section
(`source_sections`). When the same files are ingested again and only some
sections of some files changed, `update` copies the old warehouse to a temp
file, deletes the rows of the changed sections, reads and inserts just those
sections, moves the line numbers of the sections that only shifted, and
renames the copy into place — the same contents as a full rebuild (a test
compares them), for a fraction of the cost.

Lines that only moved (a comment added above them) are not a change: their
stored line numbers are moved in one UPDATE per table, whatever the number of
sections. And an update never costs more than a full build: when more than
half of a file's text changed, the caller builds in full.

Anything it does not handle returns None, and the caller does a full build:
a different set of files, a changed file that was not read section by section
(small files are cheap to rebuild), a file that can no longer be split, a
warehouse built by another version, or one with a write-ahead log beside it
(a copy of the file would leave the log's changes out). The caller checks
first that the warehouse reads in full (a damaged one is rebuilt, never copied).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os

from . import files, pipeline
from .document import (
    FileResult,
    check_across,
    definition_sha256,
    duplicate_run,
    load_file,
    run_id_of,
    source_id_for,
    stable_id,
)
from .errors import Finding, InvalidInput

MAX_CHANGED_SHARE = 0.5  # more of a file's text changed than this: a full build instead

# tables whose rows belong to one (source, machine) section
_SECTION_ROWS = (
    ("measurements", "run_id IN (SELECT run_id FROM runs WHERE source_id = ? AND machine_id = ?)"),
    ("samples", "run_id IN (SELECT run_id FROM runs WHERE source_id = ? AND machine_id = ?)"),
    ("run_libraries", "run_id IN (SELECT run_id FROM runs WHERE source_id = ? AND machine_id = ?)"),
    ("runs", "source_id = ? AND machine_id = ?"),
    ("models", "source_id = ? AND machine_id = ?"),
    ("source_machines", "source_id = ? AND machine_id = ?"),
)


def update(db: str, file_list: list[str], spec: str, builder_cls, schema_version: str):
    """Apply the changed sections to a copy of `db` and rename it into place.

    Returns the findings (warnings) of the whole warehouse, or None when a full
    build is needed. Raises InvalidInput when a changed section has errors."""
    import duckdb

    if not os.path.exists(db) or os.path.exists(db + ".wal"):
        return None
    try:
        with contextlib.closing(duckdb.connect(db, read_only=True)) as con:
            meta = dict(con.execute("SELECT key, value FROM warehouse_meta").fetchall())
            sources = con.execute("SELECT source_id, path, abs_path, sha256 FROM sources").fetchall()
            stored = con.execute("SELECT source_id, machine_key, sha256, first_line, line_count "
                                 "FROM source_sections").fetchall()
    except duckdb.Error:
        return None
    if meta.get("schema_version") != schema_version or meta.get("spec") != spec:
        return None
    wanted = [(source_id_for(p), os.path.abspath(p)) for p in file_list]
    if sorted(wanted) != sorted((sid, a) for sid, _, a, _ in sources) or len(set(wanted)) != len(wanted):
        return None
    by_source: dict[int, dict[str, tuple]] = {}
    for sid, key, sha, first, count in stored:
        by_source.setdefault(sid, {})[key] = (sha, first, count)

    plans = []  # (source_id, FileResult, changed sections, shifted {key: delta}, removed keys, sections)
    old_sha = {sid: sha for sid, _, _, sha in sources}
    for path in file_list:
        sid = source_id_for(path)
        if files.file_sha256(path) == old_sha[sid]:
            continue
        old = by_source.get(sid)
        if not old:
            return None
        result, text = load_file(path)
        if text is None:
            return None
        sections = pipeline.split_sections(text)
        if sections is None or len(text) < pipeline.PARALLEL_MIN_BYTES:
            return None
        facts = pipeline.section_facts(text, sections)
        changed, shifted = [], {}
        for sec, fact in zip(sections, facts):
            before = old.get(sec.key)
            if before is None or before[0] != fact["sha256"]:
                changed.append(sec)
            elif before[1] != fact["first_line"]:
                shifted[sec.key] = fact["first_line"] - before[1]
        if sum(sec.end - sec.start for sec in changed) > len(text) * MAX_CHANGED_SHARE:
            return None  # reading most of the file again: a full build is as cheap, and simpler
        removed = set(old) - {s.key for s in sections}
        result.sections = facts
        plans.append((sid, result, text, changed, shifted, removed))
    if not plans:
        return _stored_findings(db)

    builder = builder_cls(db, copy_from=db)
    try:
        return _apply(builder, plans, spec)
    except BaseException:
        builder.discard()
        raise


def _apply(builder, plans, spec) -> list[Finding]:
    con = builder.connection
    con.execute("BEGIN TRANSACTION")
    builder.load_stored_ids()
    for sid, result, text, changed, shifted, removed in plans:
        for key in removed | {s.key for s in changed}:
            _delete_section(builder, sid, key)
        _shift_sections(con, sid, shifted)
        # read the changed sections (in this process: there are few)
        read, cols = pipeline.read_sections(result.path, text, changed)
        errors = [f for f in read.findings if f.severity == "error"]
        errors += check_across([read])
        errors += _collisions(con, sid, read)
        errors += _definition_conflicts(con, sid, read)
        if errors:
            raise InvalidInput(errors + [f for f in read.findings if f.severity == "warning"])
        for table, data in cols.items():
            if table == "machines" or table == "devices":
                _replace_machine_rows(builder, sid, table, data)
            else:
                builder.sink(table, data)
        _refresh_source(builder, sid, result, read.findings)
    con.execute("DELETE FROM frameworks WHERE framework_id NOT IN (SELECT framework_id FROM runs)")
    con.execute("UPDATE warehouse_meta SET value = ? WHERE key = 'built_at'",
                [dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")])
    con.execute("COMMIT")
    builder.finish_copy()
    return _stored_findings(builder.db)


def _delete_section(builder, sid: int, key: str) -> None:
    con = builder.connection
    machine_id = stable_id("machine", key)
    for table, where in _SECTION_ROWS:
        con.execute(f"DELETE FROM {table} WHERE {where}", [sid, machine_id])
    con.execute("DELETE FROM ingest_warnings WHERE source_id = ? AND machine_key = ?", [sid, key])
    others = con.execute("SELECT count(*) FROM source_machines WHERE machine_id = ?", [machine_id]).fetchone()[0]
    if not others:  # the machine was only here: its definition goes with it (and may come back)
        con.execute("DELETE FROM devices WHERE machine_id = ?", [machine_id])
        con.execute("DELETE FROM machines WHERE machine_id = ?", [machine_id])
        builder.forget("machines", machine_id)
        builder.load_stored_ids("devices")


def _shift_sections(con, sid: int, shifted: dict[str, int]) -> None:
    """Move the stored lines of the sections that only moved: {machine key: lines moved}.
    One UPDATE per table for all of them (a statement per section and table took
    36 s for 3,462 sections after one line was added at the top)."""
    if not shifted:
        return
    keys = list(shifted)
    con.execute("CREATE OR REPLACE TEMP TABLE _shift AS SELECT unnest(?::VARCHAR[]) AS machine_key, "
                "unnest(?::BIGINT[]) AS machine_id, unnest(?::BIGINT[]) AS delta",
                [keys, [stable_id("machine", k) for k in keys], [shifted[k] for k in keys]])
    for table in ("runs", "models", "source_machines"):
        con.execute(f"UPDATE {table} SET line = {table}.line + s.delta FROM _shift s "
                    f"WHERE {table}.source_id = ? AND {table}.machine_id = s.machine_id", [sid])
    con.execute("UPDATE run_libraries SET line = run_libraries.line + s.delta FROM runs r, _shift s "
                "WHERE run_libraries.run_id = r.run_id AND r.source_id = ? AND r.machine_id = s.machine_id", [sid])
    con.execute("UPDATE ingest_warnings SET line = ingest_warnings.line + s.delta FROM _shift s "
                "WHERE ingest_warnings.source_id = ? AND ingest_warnings.machine_key = s.machine_key", [sid])
    con.execute("UPDATE source_sections SET first_line = source_sections.first_line + s.delta FROM _shift s "
                "WHERE source_sections.source_id = ? AND source_sections.machine_key = s.machine_key", [sid])
    con.execute("UPDATE machines SET line = machines.line + s.delta, host_line = machines.host_line + s.delta "
                "FROM _shift s WHERE machines.machine_id = s.machine_id AND machines.source_id = ?", [sid])
    con.execute("UPDATE devices SET line = devices.line + s.delta FROM _shift s, machines m "
                "WHERE devices.machine_id = s.machine_id AND m.machine_id = s.machine_id AND m.source_id = ?", [sid])
    con.execute("DROP TABLE _shift")


def _replace_machine_rows(builder, sid: int, table: str, data: dict) -> None:
    """Machines and devices: insert when new; when another file also has the machine
    (same definition, checked), keep the row but take this file's lines if it is the first."""
    con = builder.connection
    column = builder.id_column(table)
    fresh = [i for i, v in enumerate(data[column]) if not builder.is_stored(table, v)]
    if fresh:
        builder.sink(table, {c: [vals[i] for i in fresh] for c, vals in data.items()})
    for i, v in enumerate(data[column]):
        if i in fresh:
            continue
        if table == "machines":
            con.execute("UPDATE machines SET line = ?, host_line = ? WHERE machine_id = ? AND source_id = ?",
                        [data["line"][i], data["host_line"][i], v, sid])
        else:
            con.execute("UPDATE devices SET line = ? WHERE device_id = ? AND machine_id IN "
                        "(SELECT machine_id FROM machines WHERE source_id = ?)", [data["line"][i], v, sid])


def _collisions(con, sid: int, read: FileResult) -> list[Finding]:
    """The same run as one already in another section or file."""
    if not read.run_keys:
        return []
    ids = [run_id_of(natural) for natural, *_ in read.run_keys]
    clash = con.execute("""WITH new_runs AS (SELECT unnest(?::BIGINT[]) AS run_id, unnest(range(?)) AS i)
                           SELECT n.i, s.path, r.line FROM new_runs n JOIN runs r USING (run_id)
                           JOIN sources s ON s.source_id = r.source_id""", [ids, len(ids)]).fetchall()
    return [duplicate_run(read.path, read.run_keys[i], opath, oline) for i, opath, oline in clash]


def _definition_conflicts(con, sid: int, read: FileResult) -> list[Finding]:
    out = []
    for key, definition in read.machines.items():
        sha = definition_sha256(definition)
        other = con.execute("""SELECT s.path, sm.line FROM source_machines sm JOIN sources s USING (source_id)
                               WHERE sm.machine_id = ? AND sm.source_id <> ? AND sm.definition_sha256 <> ?
                               ORDER BY s.path LIMIT 1""", [stable_id("machine", key), sid, sha]).fetchone()
        if other:
            out.append(Finding("error", read.path, read.machine_lines[key], 1, key,
                               f"machine '{key}' is defined differently in {other[0]}:{other[1]}",
                               "the same name, type, host and devices in every file that has this machine",
                               machine_key=key))
    return out


def _refresh_source(builder, sid: int, result: FileResult, findings: list[Finding]) -> None:
    """The source row and its sections, as a full build would write them."""
    con = builder.connection
    builder.sink_warnings(findings, {f.file: sid for f in findings})
    con.execute("DELETE FROM source_sections WHERE source_id = ?", [sid])
    builder.sink("source_sections", {"source_id": [sid] * len(result.sections),
                                     **{c: [s[c] for s in result.sections] for c in result.sections[0]}})
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    con.execute("""UPDATE sources SET sha256 = ?, size_bytes = ?, ingested_at = ?,
                       machines = (SELECT count(*) FROM source_machines WHERE source_id = ?),
                       models = (SELECT count(*) FROM models WHERE source_id = ?),
                       runs = (SELECT count(*) FROM runs WHERE source_id = ?),
                       measurements = (SELECT count(*) FROM measurements WHERE run_id IN
                                       (SELECT run_id FROM runs WHERE source_id = ?)),
                       warnings = (SELECT count(*) FROM ingest_warnings WHERE source_id = ?)
                   WHERE source_id = ?""",
                [result.sha256, result.size_bytes, now, sid, sid, sid, sid, sid, sid])


def _stored_findings(db: str) -> list[Finding]:
    import duckdb

    with contextlib.closing(duckdb.connect(db, read_only=True)) as con:
        rows = con.execute("""SELECT file, line, "column", key_path, message, expected, machine_key
                              FROM ingest_warnings ORDER BY file, line, "column" """).fetchall()
    return [Finding("warning", f, line, col, path, msg, exp, machine_key=mk)
            for f, line, col, path, msg, exp, mk in rows]

