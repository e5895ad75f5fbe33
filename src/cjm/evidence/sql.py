"""``evidence_sql``: the evidence computation as SQL, for teams that run it in their warehouse.

The same Ibis expressions as ``compute``, compiled against an unbound table with the log's
columns. One statement per part of the observed file (totals, touchpoint events, journeys and
users per touchpoint and stage, edges, variants, unmatched events), each reading the table from
scratch; suppression (``min_users``) is applied as in the file. Medians are taken by ranking,
since several warehouses have no median aggregate. The table's time column is taken to be a
TIMESTAMP, or an integer when ``ts_unit`` (or the preset) says how it counts (``--ts-type``).
"""

from __future__ import annotations

import importlib
from dataclasses import replace

import ibis
import ibis.expr.types as ir

from cjm import __version__
from cjm.evidence import pipeline
from cjm.evidence.compute import EvidenceError, plan_for, with_columns
from cjm.evidence.matching import assign_touchpoints
from cjm.evidence.presets import ResolvedColumns, resolve_columns
from cjm.evidence.source import normalise
from cjm.format.model import JourneyMap

# Names ``--dialect`` takes for Ibis's compilers; ``spark`` is PySpark's.
ALIASES = {"spark": "pyspark", "postgresql": "postgres", "sqlserver": "mssql", "tsql": "mssql"}
TS_TYPES = ("timestamp", "text", "number")


def dialects() -> list[str]:
    """The dialects Ibis compiles to (its compilers' module names), plus the aliases."""
    import ibis.backends.sql.compilers as compilers

    names = {getattr(compilers, name).__module__.rsplit(".", 1)[-1] for name in compilers.__all__}
    return sorted(names | set(ALIASES))


def _schema(columns: ResolvedColumns, ts_type: str | None) -> dict[str, str]:
    if ts_type is None:
        ts_type = "number" if columns.ts_unit in ("s", "ms", "us") else "timestamp"
    schema = {columns.actor: "string", columns.ts: {"timestamp": "timestamp('UTC')", "text": "string", "number": "int64"}[ts_type],
              columns.event: "string"}
    if columns.session:
        schema.setdefault(columns.session, "string")
    if columns.seq:
        schema.setdefault(columns.seq, "int64")
    for name in columns.properties:
        schema.setdefault(name, "string")
    return schema


def _table(name: str, schema: dict[str, str]) -> ir.Table:
    if not name.isprintable():  # a line break would end the SQL comment that names the table
        raise EvidenceError(f"table {name!r} holds a line break or another control character")
    parts = name.split(".")
    if len(parts) > 3 or not all(parts):
        raise EvidenceError(f"table '{name}' is not NAME, DATASET.NAME or CATALOG.DATASET.NAME")
    catalog, database = ([None, None] + parts[:-1])[-2:]
    return ibis.table(schema, name=parts[-1], catalog=catalog, database=database)


def _kept_edges(edges: ir.Table, plan: pipeline.Plan, by: str | None = None) -> ir.Table:
    place = ibis.cases(*((edges.source == tp.id, tp.code) for tp in plan.touchpoints), else_=-1)
    target_place = ibis.cases(*((edges.target == tp.id, tp.code) for tp in plan.touchpoints), else_=len(plan.touchpoints))
    return edges.filter(edges.kept).order_by([*([edges.segment] if by else []), place, target_place]).select(
        *(["segment"] if by else []), "source", "target", "count", "journeys", "users", "share", "median_us",
        mean_us=(edges.total_us / edges.timed))


def statements(journey_map: JourneyMap, table: str, grain: str | None = None, ts_type: str | None = None,
               segments: list[str] | None = None) -> list[tuple[str, ir.Table]]:
    """(what, expression) for each part of the observed file."""
    plan = replace(plan_for(journey_map, grain, segments), median_by_rank=True)
    columns = with_columns(resolve_columns(journey_map.analytics), plan.segments)
    events = assign_touchpoints(normalise(_table(table, _schema(columns, ts_type)), columns), list(plan.touchpoints),
                                plan.segments)
    step_rows = pipeline.steps(events, plan)
    edges = _kept_edges(pipeline.edges(step_rows, plan), plan)
    journey_rows = pipeline.journeys(step_rows, plan)
    flows = [
        (f"flow by step (the first {pipeline.STEP_COLUMNS} steps; links taken by fewer than {plan.min_users} users "
         "are left out of the file, nodes are the sums over all rows)",
         pipeline.flows(pipeline.step_sequence(step_rows, plan), plan, pipeline.STEP_COLUMNS)),
        ("flow by stage (column: the stage's place in the map, from 0)",
         pipeline.flows(pipeline.stage_sequence(step_rows, plan), plan)),
    ]
    per_segment = []
    for key, column in zip(plan.segment_keys, plan.segments):
        per_segment += [
            (f"segment {column}: journeys, users and reach per value (a journey's value at its first event; "
             f"values with fewer than {plan.min_users} users are suppressed)", pipeline.reach(journey_rows, plan, key)),
            (f"segment {column}: edges per value", _kept_edges(pipeline.edges(step_rows, plan, key), plan, key)),
            (f"segment {column}: variants per value (top {pipeline.TOP})",
             pipeline.top_variants(pipeline.variants(journey_rows, plan, key), plan, "segment")),
            (f"segment {column}: flow by step per value",
             pipeline.flows(pipeline.step_sequence(step_rows, plan), plan, pipeline.STEP_COLUMNS, key)),
            (f"segment {column}: flow by stage per value", pipeline.flows(pipeline.stage_sequence(step_rows, plan), plan, None, key)),
        ]
    return [
        ("totals (untimed: events whose time could not be read)", pipeline.totals(events)),
        ("touchpoint events (also_<n>: of its events, how many the rules of touchpoint n also matched; "
         "n counts the touchpoints with rules from 0, in map order)", pipeline.touchpoint_events(events, plan)),
        ("journeys and users reaching each touchpoint <n> and stage <s> (stages counted from 0 in map order; "
         "both_<s>: users who reached stage s and the stage with rules before it)", pipeline.reach(journey_rows, plan)),
        (f"edges (share counted before edges seen by fewer than {plan.min_users} users were left out)", edges),
        (f"variants (top {pipeline.TOP})", pipeline.top_variants(pipeline.variants(journey_rows, plan), plan)),
        (f"unmatched events (top {pipeline.TOP})", pipeline.top_unmatched(pipeline.unmatched(events), plan)),
        *flows,
        *per_segment,
    ]


def evidence_sql(journey_map: JourneyMap, dialect: str, table: str, grain: str | None = None,
                 ts_type: str | None = None, segments: list[str] | None = None) -> str:
    if dialect.lower() not in dialects():
        raise EvidenceError(f"unknown SQL dialect '{dialect}' (choose from {', '.join(dialects())})")
    plan = plan_for(journey_map, grain, segments)
    header = [f"-- cjm {__version__} evidence sql: map '{journey_map.id}', table {table}, dialect {dialect}",
              f"-- grain {plan.grain}; events ordered by {plan.order_text}; min_users {plan.min_users}"]
    if plan.cuts_sessions:
        header.append(f"-- sessions cut after {plan.session_gap_us // 60_000_000} minutes without events")
    compiler = ALIASES.get(dialect.lower(), dialect.lower())
    if compiler == "pyspark":  # its compiler reads options that the PySpark backend registers
        try:
            importlib.import_module("ibis.backends.pyspark").Backend.register_options()
        except ImportError:
            raise EvidenceError("the spark dialect needs pyspark: pip install 'cjm[spark]'") from None
    parts = ["\n".join(header)]
    if plan.segments:
        header.append(f"-- segments: {', '.join(plan.segments)} (empty text: the journey's first event has no value)")
    for what, expr in statements(journey_map, table, grain, ts_type, segments):
        try:
            text = ibis.to_sql(expr, dialect=compiler)
        except Exception as error:  # an operation the dialect lacks
            raise EvidenceError(f"the {what.split(' (')[0]} cannot be written in {dialect}: {error}") from None
        parts.append(f"-- {what}\n{str(text).strip()};")
    return "\n\n".join(parts) + "\n"
