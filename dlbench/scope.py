"""The scope of a report, a site or a comparison: the --machine, --model and --framework filters
(and --baseline, --include-flagged), resolved once against the warehouse's names.

    scope = resolve(con, Filters(models=["alexnet"]))
    apply(con, scope)   # the temporary table `scope` and the macro in_scope(...) (sql/report/scope.sql)

Every query of sql/report and sql/site keeps its rows with in_scope(machine_id, model_key,
framework_key); `dlbench compare` can resolve its names with the same `resolve`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import UsageError
from .sqlfiles import query, read_sql


class NoMatch(UsageError):
    "A --machine, --model, --framework or --baseline value names nothing in the warehouse"


@dataclass
class Filters:
    """What the user asked for, as given, and what it resolved to (None: everything)."""

    machines: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    frameworks: list[str] = field(default_factory=list)
    baseline: str | None = None
    machine_ids: list[int] | None = None
    model_keys: list[str] | None = None
    framework_keys: list[str] | None = None
    baseline_name: str | None = None
    include_flagged: bool = False  # rank and average runs with an error-level finding too

    @property
    def any(self) -> bool:
        return bool(self.machines or self.models or self.frameworks)

    @property
    def params(self) -> dict:
        """The named parameters of sql/report/scope.sql ($machine_ids, ...)."""
        return {"machine_ids": self.machine_ids, "model_keys": self.model_keys, "frameworks": self.framework_keys,
                "baseline": self.baseline_name, "include_flagged": self.include_flagged}


def resolve(con, filters: Filters) -> Filters:
    """Fill in what each filter value names; raise NoMatch listing the known names when
    a value names nothing."""
    wanted_frameworks = list(filters.frameworks) + ([filters.baseline] if filters.baseline else [])
    found: dict[tuple[str, str], list[str]] = {}
    for row in query(con, "report", "filters", {"machines": list(filters.machines), "models": list(filters.models),
                                                "frameworks": wanted_frameworks}):
        matched = found.setdefault((row["kind"], row["value"]), [])
        if row["key"] is not None:
            matched.append(row["key"])
    missing = [(kind, value) for (kind, value), matched in found.items() if not matched]
    if missing:
        raise NoMatch(_no_match(con, missing))

    def keys(kind: str, values: list[str]) -> list[str] | None:
        if not values:
            return None
        return sorted({k for v in values for k in found[(kind, v)]})

    ids = keys("machine", filters.machines)
    filters.machine_ids = [int(i) for i in ids] if ids is not None else None
    filters.model_keys = keys("model", filters.models)
    filters.framework_keys = keys("framework", filters.frameworks)
    if filters.baseline:
        filters.baseline_name = filters.baseline
        for row in query(con, "report", "known_names"):
            if row["kind"] == "framework" and row["name"].lower() == filters.baseline.lower():
                filters.baseline_name = row["name"]
                break
    return filters


def _no_match(con, missing: list[tuple[str, str]]) -> str:
    known: dict[str, list[str]] = {}
    for row in query(con, "report", "known_names"):
        known.setdefault(row["kind"], []).append(row["name"])
    lines = []
    for kind in ("machine", "model", "framework"):
        values = [v for k, v in missing if k == kind]
        if values:
            shown = ", ".join(repr(v) for v in sorted(set(values)))
            lines.append(f"no {kind} named {shown} in the warehouse; known {kind}s: "
                         f"{', '.join(known.get(kind, [])) or 'none'}")
    return "\n".join(lines)


def apply(con, filters: Filters) -> None:
    """Make `filters` the connection's scope: the temporary table `scope` and the macro in_scope
    that the queries of sql/report and sql/site read (a read-only connection takes them too)."""
    table, macro = (s.strip() for s in _body(read_sql("report", "scope")).split(";") if s.strip())
    con.execute(table, filters.params)
    con.execute(macro)


def _body(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
