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
from cjm.evidence.observed import (Edge, Input, Observed, Overlap, Provenance, StageCounts, Suppressed, Totals,
                                   TouchpointCounts, UnmatchedEvent, Variant, readable_text)
from cjm.evidence.presets import resolve_columns
from cjm.evidence.source import (InputFile, SourceError, expand_inputs, file_digest, raw_time_sample,
                                 read_events, shown)
from cjm.format.model import JourneyMap

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_MICROSECOND = timedelta(microseconds=1)
DIGITS = 6  # shares are rounded to this many decimals


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


def plan_for(journey_map: JourneyMap, grain: str | None = None) -> pipeline.Plan:
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
    )


def compute_observed(journey_map: JourneyMap, inputs: list[str], *, engine: str = "duckdb", grain: str | None = None,
                     since: str | datetime | None = None, until: str | datetime | None = None) -> Observed:
    """Apply the map's rules to the event logs ``inputs`` (files or globs) on ``engine``."""
    plan = plan_for(journey_map, grain)
    if plan.grain not in ("user", "session"):
        raise EvidenceError(f"grain '{plan.grain}' is neither 'user' nor 'session'")
    since_us = parse_time(since, "--since") if since is not None else None
    until_us = parse_time(until, "--until") if until is not None else None
    if since_us is not None and until_us is not None and since_us >= until_us:
        raise EvidenceError("--since must be before --until")
    files = expand_inputs(inputs)
    digests = [file_digest(item.path) for item in files]
    columns = resolve_columns(journey_map.analytics)

    backend = engines.connect(engine)
    events = _in_window(assign_touchpoints(read_events(backend, files, columns), list(plan.touchpoints)), since_us, until_us)
    with ExitStack() as stack:  # engine-side tables, dropped when done

        def cache(expr: Any) -> Any:
            return stack.enter_context(engines.cached(backend, expr))

        events = cache(events)
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
    }


def _suppressed(table: Any, plan: pipeline.Plan) -> int:
    [row] = _rows(pipeline.suppressed(table, plan))
    return row["suppressed"]


def _touchpoints(plan: pipeline.Plan, events: Any, reached: dict[str, Any]) -> tuple[list[TouchpointCounts], list[Overlap]]:
    found = {row["id"]: row for row in _rows(pipeline.touchpoint_events(events, plan))}
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
    place = {tp.id: tp.code for tp in plan.touchpoints}
    rows = _rows(pipeline.edges(step_rows, plan))
    leaving: dict[str | None, int] = {}
    for row in rows:
        leaving[row["source"]] = leaving.get(row["source"], 0) + row["count"]
    rows.sort(key=lambda row: (-1 if row["source"] is None else place[row["source"]],
                               len(place) if row["target"] is None else place[row["target"]]))
    kept = [Edge(source=row["source"], target=row["target"], count=row["count"], users=row["users"],
                 share=_share(row["count"], leaving[row["source"]]), median_us=_rounded(row["median_us"]),
                 mean_us=(2 * row["total_us"] + row["timed"]) // (2 * row["timed"]) if row["timed"] else None)
            for row in rows if row["kept"]]
    return kept, len(rows) - len(kept), leaving.get(None, 0)


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
