"""``compute_observed``: a map's rules applied to event logs -> the observed journey.

The same Ibis expressions (``pipeline``) run on DuckDB or Spark. The matched events, the steps
and the journeys are each computed once into an engine-side table; every part of the file is
then one small query over them. Shares, means and the order of the output are settled here, in
exact integer arithmetic, so every engine gives the same bytes.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from cjm import __version__
from cjm.evidence import engines, pipeline
from cjm.evidence.fingerprint import rules_fingerprint
from cjm.evidence.matching import assign_touchpoints, rule_touchpoints
from cjm.evidence.observed import (Edge, FlowLink, FlowNode, Flows, Input, LeftOut, Observed, Overlap, Provenance,
                                   Segment, SegmentTotals, SegmentTouchpoint, SegmentView, StageCounts, Suppressed,
                                   Totals, TouchpointCounts, UnmatchedEvent, Variant, readable_text)
from cjm.evidence.presets import resolve_columns
from cjm.evidence.source import (InputFile, SourceError, expand_inputs, file_digest, raw_time_sample,
                                 read_events, shown)
from cjm.format.model import JourneyMap

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_MICROSECOND = timedelta(microseconds=1)
DIGITS = 6  # shares are rounded to this many decimals
MOST_SEGMENT_VALUES = 20  # per segment column, the largest values kept


class EvidenceError(Exception):
    """The map or the options cannot give evidence (no analytics, no rules, a bad time)."""


def parse_time(text: str | datetime, what: str) -> int:
    """An ISO date or time (no zone: UTC) -> microseconds since 1970."""
    if isinstance(text, datetime):
        moment = text
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise EvidenceError(f"{what} '{text}' is not an ISO date or time (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // ONE_MICROSECOND


def iso_time(micros: int | None) -> str | None:
    if micros is None:
        return None
    moment = EPOCH + timedelta(microseconds=micros)
    text = f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S")  # %Y does not pad years before 1000
    return f"{text}.{moment.microsecond:06d}Z" if moment.microsecond else f"{text}Z"


def _share(part: int, whole: int) -> float:
    return round(part / whole, DIGITS) if whole else 0.0


def _rounded(value: float | None) -> int | None:
    """The nearest integer, halves up (durations are never negative)."""
    return None if value is None else int(value + 0.5)


def _rows(expr: Any) -> list[dict[str, Any]]:
    return expr.to_pyarrow().to_pylist()


def segment_columns(journey_map: JourneyMap, segments: list[str] | None) -> tuple[str, ...]:
    """The columns to split journeys by: ``segments`` when given, else ``analytics.segments``; each a
    column name, once."""
    import re

    from cjm.format.model_events import COLUMN_PATTERN

    named = list(segments) if segments else list(getattr(journey_map.analytics, "segments", None) or [])
    for name in named:
        if not re.match(COLUMN_PATTERN, name) or len(name) > 128:
            raise EvidenceError(f"--segment '{name}' is not a column name (letters, digits and _, not starting with a digit)")
    return tuple(dict.fromkeys(named))


def plan_for(journey_map: JourneyMap, grain: str | None = None, segments: list[str] | None = None) -> pipeline.Plan:
    """The computation's shape for a map; ``EvidenceError`` when the map cannot give evidence."""
    analytics = journey_map.analytics
    if analytics is None:
        raise EvidenceError(f"map '{journey_map.id}' has no `analytics` block: name the event log's columns there first")
    touchpoints = rule_touchpoints(journey_map)
    if not touchpoints:
        raise EvidenceError(f"map '{journey_map.id}' has no touchpoint with `events` rules: nothing would be matched")
    columns = resolve_columns(analytics)
    return pipeline.Plan(
        touchpoints=tuple(touchpoints),
        grain=grain or analytics.grain.value,
        has_session=columns.session is not None,
        has_seq=columns.seq is not None,
        session_gap_us=analytics.session_gap_minutes * 60 * 1_000_000,
        min_users=analytics.min_users,
        segments=segment_columns(journey_map, segments),
    )


def compute_observed(journey_map: JourneyMap, inputs: list[str], *, engine: str = "duckdb", grain: str | None = None,
                     since: str | datetime | None = None, until: str | datetime | None = None,
                     segments: list[str] | None = None, verbose: bool = False) -> Observed:
    """Apply the map's rules to the event logs ``inputs`` (files or globs) on ``engine``; with
    ``segments`` (or the map's ``analytics.segments``), also per value of each of those columns."""
    plan = plan_for(journey_map, grain, segments)
    if plan.grain not in ("user", "session"):
        raise EvidenceError(f"grain '{plan.grain}' is neither 'user' nor 'session'")
    since_us = parse_time(since, "--since") if since is not None else None
    until_us = parse_time(until, "--until") if until is not None else None
    if since_us is not None and until_us is not None and since_us >= until_us:
        raise EvidenceError("--since must be before --until")
    files = expand_inputs(inputs)
    digests = [file_digest(item.path) for item in files]
    columns = with_columns(resolve_columns(journey_map.analytics), plan.segments)

    backend = engines.connect(engine, verbose=verbose)
    events = assign_touchpoints(read_events(backend, files, columns), list(plan.touchpoints), plan.segments)
    with ExitStack() as stack:  # engine-side tables, dropped when done

        def cache(expr: Any) -> Any:
            return stack.enter_context(engines.cached(backend, expr))

        # Times are parsed once, into the cached table, and the window is a filter on that column:
        # filtered before, Spark would push the filter through the parse and inline the whole parse
        # into the predicate, generated code too large to compile (it then logs it and interprets).
        events = _in_window(cache(events), since_us, until_us)
        [total] = _rows(pipeline.totals(events))
        if total["untimed"]:
            raise _untimed_error(total["untimed"], backend, files, columns)
        parts = _assemble(journey_map, plan, total, events, cache(pipeline.steps(events, plan)), cache)
    provenance = Provenance(
        cjm=__version__, engine=engine, engine_version=engines.engine_version(backend),
        inputs=[Input(path=readable_text(item.given), sha256=sha, bytes=size) for item, (sha, size) in zip(files, digests)],
        since=iso_time(since_us), until=iso_time(until_us),
        first_event=iso_time(total["first_us"]), last_event=iso_time(total["last_us"]),
        grain=plan.grain, session_gap_minutes=journey_map.analytics.session_gap_minutes if plan.cuts_sessions else None,
        min_users=plan.min_users, rules_sha256=rules_fingerprint(journey_map), order=plan.order_text,
    )
    return Observed(map=journey_map.id, provenance=provenance, **parts)


def _in_window(events: Any, since_us: int | None, until_us: int | None) -> Any:
    """Events in [since, until); events without a time stay, to be reported."""
    bounds = []
    if since_us is not None:
        bounds.append(events.ts_us >= since_us)
    if until_us is not None:
        bounds.append(events.ts_us < until_us)
    if not bounds:
        return events
    return events.filter(events.ts_us.isnull() | (bounds[0] & bounds[-1]))


def _untimed_error(count: int, backend: Any, files: list[InputFile], columns: Any) -> SourceError:
    sample = raw_time_sample(backend, files, columns)
    where, value = sample if sample else (files[0].given, None)
    example = "an empty value" if value in (None, "") else shown(value)
    return SourceError(f"{where}: {count} event(s) have a time in '{columns.ts}' that cannot be read, "
                       f"e.g. {example} (ISO 8601 text, or a number of seconds, ms or us since 1970; years 1 to 9999)")


def _assemble(journey_map: JourneyMap, plan: pipeline.Plan, total: dict[str, Any], events: Any, step_rows: Any,
              cache: Callable[[Any], Any]) -> dict[str, Any]:
    edges, suppressed_edges, journeys = _edges(plan, step_rows)
    journey_rows = cache(pipeline.journeys(step_rows, plan))
    [reached] = _rows(pipeline.reach(journey_rows, plan))
    touchpoints, overlaps = _touchpoints(plan, events, reached)
    all_variants = cache(pipeline.variants(journey_rows, plan))
    variants = [Variant(path=row["path"].split(" > "), journeys=row["journeys"], users=row["users"],
                        share=_share(row["journeys"], journeys))
                for row in _rows(pipeline.top_variants(all_variants, plan))]
    flows = _flows(plan, step_rows, journey_map).get(None, [])
    segments = _segments(journey_map, plan, step_rows, journey_rows) if plan.segments else []
    all_unmatched = pipeline.unmatched(events)
    unmatched = [UnmatchedEvent(event=readable_text(row["event"]), events=row["events"], users=row["users"])
                 for row in _rows(pipeline.top_unmatched(all_unmatched, plan))]
    unmatched_events = total["events"] - total["matched"]
    return {
        "totals": Totals(events=total["events"], matched_events=total["matched"], unmatched_events=unmatched_events,
                         unmatched_share=_share(unmatched_events, total["events"]), users=total["users"],
                         journeys=journeys),
        "touchpoints": touchpoints,
        "edges": edges,
        "stages": _stages(journey_map, plan, reached),
        "variants": variants,
        "unmatched": unmatched,
        "overlaps": overlaps,
        "suppressed": Suppressed(edges=suppressed_edges, variants=_suppressed(all_variants, plan),
                                 unmatched=_suppressed(all_unmatched, plan)),
        "flows": flows,
        "segments": segments,
    }


def with_columns(columns: Any, segments: tuple[str, ...]) -> Any:
    """The log's columns, with the segment columns read as properties too."""
    from dataclasses import replace

    return replace(columns, properties=tuple(dict.fromkeys([*columns.properties, *segments])))


def _suppressed(table: Any, plan: pipeline.Plan) -> int:
    [row] = _rows(pipeline.suppressed(table, plan))
    return row["suppressed"]


def _flows(plan: pipeline.Plan, step_rows: Any, journey_map: JourneyMap, by: str | None = None
           ) -> dict[Any, list[Flows]]:
    """The flows by step and by stage (per segment value with ``by``; key None without)."""
    out: dict[Any, list[Flows]] = {}
    parts = (("step", pipeline.step_sequence(step_rows, plan), pipeline.STEP_COLUMNS),
             ("stage", pipeline.stage_sequence(step_rows, plan), None))
    for kind, sequence, last in parts:
        rows = _rows(pipeline.flows(sequence, plan, last, by))
        grouped: dict[Any, list[dict[str, Any]]] = {}
        for row in rows:
            grouped.setdefault(row.get("segment"), []).append(row)
        for key, found in grouped.items():
            out.setdefault(key, []).append(_flow(kind, found, plan, last if last is not None else len(journey_map.stages)))
    return out


def _flow(kind: str, rows: list[dict[str, Any]], plan: pipeline.Plan, columns: int) -> Flows:
    place = {tp.id: tp.code for tp in plan.touchpoints}
    nodes: dict[tuple[int, str], list[int]] = {}
    links, suppressed = [], 0
    for row in rows:
        node = nodes.setdefault((row["column"], row["source"]), [0, 0, 0])
        node[0] += row["journeys"]
        node[2] += row["starts"]
        if row["target"] is None:
            node[1] += row["journeys"]
        elif kind == "step" and row["column"] >= columns:
            continue  # past the last column
        elif row["users"] >= plan.min_users:
            links.append(FlowLink(column=row["column"], source=row["source"], target=row["target"],
                                  journeys=row["journeys"], users=row["users"]))
        else:
            suppressed += 1
    links.sort(key=lambda link: (link.column, place[link.source], place[link.target]))
    return Flows(by=kind, columns=columns, suppressed=suppressed,
                 nodes=[FlowNode(column=column, touchpoint=tp, journeys=counts[0], starts=counts[2], ends=counts[1])
                        for (column, tp), counts in sorted(nodes.items(), key=lambda item: (item[0][0], place[item[0][1]]))],
                 links=links)


def _segments(journey_map: JourneyMap, plan: pipeline.Plan, step_rows: Any, journey_rows: Any) -> list[Segment]:
    """One ``Segment`` per segment column: its values with at least ``min_users`` users, largest first."""
    result = []
    for key, column in zip(plan.segment_keys, plan.segments):
        reached = {row["segment"]: row for row in _rows(pipeline.reach(journey_rows, plan, key))}
        sizes = sorted(reached, key=lambda value: (-reached[value]["journeys"], value))
        small = [value for value in sizes if reached[value]["users"] < plan.min_users]
        kept = [value for value in sizes if value not in small]
        beyond = kept[MOST_SEGMENT_VALUES:]
        kept = kept[:MOST_SEGMENT_VALUES]
        edges: dict[Any, list[dict[str, Any]]] = {}
        for row in _rows(pipeline.edges(step_rows, plan, key)):
            edges.setdefault(row["segment"], []).append(row)
        all_variants = pipeline.variants(journey_rows, plan, key)
        variants: dict[Any, list[Variant]] = {}
        for row in _rows(pipeline.top_variants(all_variants, plan, "segment")):
            variants.setdefault(row["segment"], []).append(row)
        suppressed_variants = {row["segment"]: row["suppressed"] for row in _rows(pipeline.suppressed(all_variants, plan, "segment"))}
        flows = _flows(plan, step_rows, journey_map, key)
        views = []
        for value in kept:
            row = reached[value]
            kept_edges, dropped, journeys = _edge_list(plan, edges.get(value, []))
            found = sorted(variants.get(value, []), key=lambda v: (-v["journeys"], v["path"]))
            touchpoints = [SegmentTouchpoint(id=t.id, stage=t.stage, users=t.users, journeys=t.journeys, ends=t.ends,
                                             drop_off=t.drop_off)
                           for t in _touchpoints(plan, None, row)[0]]
            views.append(SegmentView(
                value=None if value == pipeline.NO_VALUE else readable_text(value),
                totals=SegmentTotals(journeys=row["journeys"], users=row["users"]),
                touchpoints=touchpoints, edges=kept_edges, stages=_stages(journey_map, plan, row),
                variants=[Variant(path=v["path"].split(" > "), journeys=v["journeys"], users=v["users"],
                                  share=_share(v["journeys"], journeys)) for v in found],
                flows=flows.get(value, []),
                suppressed=Suppressed(edges=dropped, variants=suppressed_variants.get(value, 0))))
        result.append(Segment(
            column=column, values=views,
            under_min_users=LeftOut(values=len(small), journeys=sum(reached[v]["journeys"] for v in small)),
            beyond_most=LeftOut(values=len(beyond), journeys=sum(reached[v]["journeys"] for v in beyond))))
    return result


def _touchpoints(plan: pipeline.Plan, events: Any, reached: dict[str, Any]) -> tuple[list[TouchpointCounts], list[Overlap]]:
    """Counts per touchpoint; without ``events`` (a segment), every touchpoint has 0 events."""
    found = {row["id"]: row for row in _rows(pipeline.touchpoint_events(events, plan))} if events is not None else {}
    counts, overlaps = [], []
    for tp in plan.touchpoints:
        row = found.get(tp.id, {})
        journeys, ends = reached[f"journeys_{tp.code}"] or 0, reached[f"ends_{tp.code}"] or 0
        counts.append(TouchpointCounts(id=tp.id, stage=tp.stage, events=row.get("events", 0),
                                       users=reached[f"users_{tp.code}"] or 0, journeys=journeys, ends=ends,
                                       drop_off=_share(ends, journeys) if journeys else None))
        overlaps.extend(Overlap(touchpoint=tp.id, also=other.id, events=row[f"also_{other.code}"])
                        for other in plan.touchpoints[tp.code + 1:] if row.get(f"also_{other.code}"))
    return counts, overlaps


def _edges(plan: pipeline.Plan, step_rows: Any) -> tuple[list[Edge], int, int]:
    """The kept edges in map order, how many were suppressed, and the journeys (one start edge each)."""
    return _edge_list(plan, _rows(pipeline.edges(step_rows, plan)))


def _edge_list(plan: pipeline.Plan, rows: list[dict[str, Any]]) -> tuple[list[Edge], int, int]:
    place = {tp.id: tp.code for tp in plan.touchpoints}
    rows.sort(key=lambda row: (-1 if row["source"] is None else place[row["source"]],
                               len(place) if row["target"] is None else place[row["target"]]))
    kept = [Edge(source=row["source"], target=row["target"], count=row["count"], journeys=row["journeys"], users=row["users"],
                 share=round(row["share"], DIGITS), median_us=_rounded(row["median_us"]),
                 mean_us=(2 * row["total_us"] + row["timed"]) // (2 * row["timed"]) if row["timed"] else None)
            for row in rows if row["kept"]]
    return kept, len(rows) - len(kept), sum(row["count"] for row in rows if row["source"] is None)


def _stages(journey_map: JourneyMap, plan: pipeline.Plan, reached: dict[str, Any]) -> list[StageCounts]:
    with_rules = set(plan.stage_codes())
    result, previous = [], None
    for code, stage in enumerate(journey_map.stages):
        if code not in with_rules:
            result.append(StageCounts(id=stage.id))
            continue
        conversion = None
        if previous is not None:
            before = reached[f"stage_users_{previous}"] or 0
            conversion = _share(reached[f"both_{code}"] or 0, before) if before else None
        result.append(StageCounts(id=stage.id, users=reached[f"stage_users_{code}"] or 0,
                                  journeys=reached[f"stage_journeys_{code}"] or 0, conversion=conversion))
        previous = code
    return result
