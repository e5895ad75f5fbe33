"""The evidence computation as Ibis expressions: written once, run on DuckDB or Spark
(``compute``), compiled to warehouse SQL (``sql``).

Input: the normalised events (``source.normalise``) with their touchpoint (``matching``).
Journeys are made of the matched events of one actor (grain ``user``) or one session; inside
a journey, events are ordered by time, then ``seq``, then event name, then touchpoint order,
and consecutive events at the same touchpoint are one step.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from cjm.evidence.matching import RuleTouchpoint, match_column
from cjm.evidence.source import property_column, unreadable_time

ORDER_WITH_SEQ = "ts, seq, event, touchpoint order"
ORDER_WITHOUT_SEQ = "ts, event, touchpoint order"
TOP = 20  # variants and unmatched event names kept
STEP_COLUMNS = 6  # the flow by step counts the first this many steps of each journey
NO_VALUE = ""  # a journey's segment value when its first event has none


@dataclass(frozen=True)
class Plan:
    """What shapes the computation besides the rules."""

    touchpoints: tuple[RuleTouchpoint, ...]
    grain: str  # "user" or "session"
    has_session: bool  # the log has a session column
    has_seq: bool
    session_gap_us: int  # cuts sessions when the log has no session column
    min_users: int
    median_by_rank: bool = False  # for SQL dialects without a median aggregate
    segments: tuple[str, ...] = ()  # log columns that split the journeys (their value at a journey's first event)

    @property
    def cuts_sessions(self) -> bool:
        return self.grain == "session" and not self.has_session

    @property
    def journey_keys(self) -> list[str]:
        if self.grain == "user":
            return ["actor"]
        return ["actor", "session" if self.has_session else "journey"]

    @property
    def order_text(self) -> str:
        return ORDER_WITH_SEQ if self.has_seq else ORDER_WITHOUT_SEQ

    def stage_codes(self) -> list[int]:
        """Stages that have a touchpoint with rules, in map order."""
        return sorted({tp.stage_code for tp in self.touchpoints})

    @property
    def segment_keys(self) -> list[str]:
        """The step and journey columns that hold each segment column's value, in ``segments`` order."""
        return [segment_key(i) for i in range(len(self.segments))]


def segment_key(index: int) -> str:
    return f"g{index}"


def _label(code: ir.IntegerValue, touchpoints: tuple[RuleTouchpoint, ...]) -> ir.StringValue:
    """Touchpoint code -> its id (null, or a code of no touchpoint, gives null: the cases' default)."""
    return ibis.cases(*((code == tp.code, tp.id) for tp in touchpoints))


def _event_order(table: ir.Table, plan: Plan) -> list:
    order = [table.ts_us]
    if plan.has_seq:
        order.append(ibis.asc(table.seq, nulls_first=True))
    return [*order, table.event, table.tp]


def with_journeys(events: ir.Table, plan: Plan) -> ir.Table:
    """Adds ``journey`` (a session number per actor) when sessions are cut by the inactivity gap.

    The gap is measured over every event of the actor, matched or not. Events with the same
    time always fall in the same session: the running count of session starts is taken over
    a RANGE frame, so it does not depend on how ties happen to be ordered.
    """
    if not plan.cuts_sessions:
        return events
    by_time = ibis.window(group_by=events.actor, order_by=events.ts_us)
    previous = events.mutate(_previous_us=events.ts_us.lag().over(by_time))
    starts = previous.mutate(
        _starts=(previous._previous_us.isnull() | (previous.ts_us - previous._previous_us > plan.session_gap_us)).ifelse(1, 0))
    running = ibis.range_window(preceding=None, following=0, group_by=starts.actor, order_by=starts.ts_us)
    return starts.mutate(journey=starts._starts.sum().over(running)).drop("_previous_us", "_starts")


def steps(events: ir.Table, plan: Plan) -> ir.Table:
    """The rows of the matched events where a step starts or the journey ends, from one ordered
    pass: ``actor``, the journey keys, ``tp``, ``prev_tp`` (the previous step's touchpoint; null
    at the journey's start), ``gap_us`` (first event of this step minus the last event of the
    previous one), ``position`` (the event's place in its journey), ``is_start`` and ``is_end``
    (the journey's last event; it may also start a step)."""
    matched = with_journeys(events, plan)
    matched = matched.filter(matched.tp.notnull())
    keys = plan.journey_keys
    in_journey = ibis.window(group_by=[matched[k] for k in keys], order_by=_event_order(matched, plan))
    marked = matched.mutate(prev_tp=matched.tp.lag().over(in_journey), _prev_us=matched.ts_us.lag().over(in_journey),
                            _next_tp=matched.tp.lead().over(in_journey), position=ibis.row_number().over(in_journey),
                            **_first_values(matched, plan, in_journey))
    is_start = marked.prev_tp.isnull() | (marked.prev_tp != marked.tp)
    is_end = marked._next_tp.isnull()
    rows = marked.filter(is_start | is_end).select(
        *keys, "tp", "position", prev_tp=is_start.ifelse(marked.prev_tp, ibis.null("int32")),
        gap_us=is_start.ifelse(marked.ts_us - marked._prev_us, ibis.null("int64")), is_start=is_start, is_end=is_end,
        *plan.segment_keys)
    return rows


def _first_values(matched: ir.Table, plan: Plan, in_journey) -> dict:
    """Each segment column (``g<i>``): its value at the journey's first event (``NO_VALUE`` when that
    event has none), on every event of the journey, in the same ordered pass as the steps: a
    journey belongs to one segment of each column."""
    return {key: matched[property_column(column)].fill_null(NO_VALUE).first().over(in_journey)
            for key, column in zip(plan.segment_keys, plan.segments)}


def totals(events: ir.Table) -> ir.Table:
    """One row: events, matched, users, first_us, last_us, and ``untimed``: events whose time could not
    be read or is outside years 1 to 9999."""
    return events.aggregate(
        events=events.count(),
        matched=events.tp.count(),
        users=events.actor.nunique(),
        first_us=events.ts_us.min(),
        last_us=events.ts_us.max(),
        untimed=unreadable_time(events.ts_us).ifelse(1, 0).sum().fill_null(0),
    )


def touchpoint_events(events: ir.Table, plan: Plan) -> ir.Table:
    """Per touchpoint that anything matched: ``events``, and ``also_<code>``: how many of them
    another touchpoint's rules also matched."""
    matched = events.filter(events.tp.notnull())
    counts = matched.group_by("tp").aggregate(
        events=matched.count(),
        **{f"also_{tp.code}": matched[match_column(tp.code)].ifelse(1, 0).sum() for tp in plan.touchpoints},
    )
    return counts.select(id=_label(counts.tp, plan.touchpoints), events=counts.events,
                         **{f"also_{tp.code}": counts[f"also_{tp.code}"] for tp in plan.touchpoints})


def journeys(step_rows: ir.Table, plan: Plan) -> ir.Table:
    """One row per journey: ``actor``, ``path`` (the touchpoint codes of its steps, in order,
    joined by spaces), ``ended`` (the code of its last touchpoint) and ``t<code>`` (1 when it
    reaches the touchpoint).

    The path is built without ordered aggregation, which PySpark lacks: each step becomes the
    number ``position * K + code``; sorting a journey's numbers puts them in step order, and
    ``% K`` gives the codes back.
    """
    scale = _scale(plan)
    rows = step_rows
    per_journey = rows.group_by(plan.journey_keys).aggregate(
        _steps=(rows.position.cast("int64") * scale + rows.tp).collect(where=rows.is_start),
        ended=rows.is_end.ifelse(rows.tp, ibis.null("int32")).max(),
        **{f"t{tp.code}": (rows.tp == tp.code).ifelse(1, 0).max() for tp in plan.touchpoints},
        **{key: rows[key].max() for key in plan.segment_keys},
    )
    return per_journey.select(
        "actor", path=per_journey._steps.sort().map(lambda step: (step % scale).cast("string")).join(" "),
        ended=per_journey.ended, **{f"t{tp.code}": per_journey[f"t{tp.code}"] for tp in plan.touchpoints},
        **{key: per_journey[key] for key in plan.segment_keys})


def _scale(plan: Plan) -> int:
    """A power of ten above every touchpoint code: ``n * scale + code`` keeps both."""
    return 10 ** len(str(len(plan.touchpoints)))


def _stage_flag(table: ir.Table, plan: Plan, stage_code: int) -> ir.IntegerValue:
    flags = [table[f"t{tp.code}"] for tp in plan.touchpoints if tp.stage_code == stage_code]
    return flags[0] if len(flags) == 1 else ibis.greatest(*flags)


def reach(journey_rows: ir.Table, plan: Plan, by: str | None = None) -> ir.Table:
    """One row (one per segment value with ``by``, in ``segment``, with its ``users``): per
    touchpoint ``journeys_<code>`` (journeys reaching it), ``ends_<code>`` (journeys ending there),
    ``users_<code>``; per stage with rules ``stage_users_<s>``, ``stage_journeys_<s>`` and
    ``both_<s>`` (users who reached it and the stage with rules before it)."""
    codes = [tp.code for tp in plan.touchpoints]
    stages = plan.stage_codes()
    group = [by] if by else []
    by_journey = journey_rows.aggregate(
        by=group,
        journeys=journey_rows.count(),
        **{f"journeys_{c}": journey_rows[f"t{c}"].sum() for c in codes},
        **{f"ends_{c}": (journey_rows.ended == c).ifelse(1, 0).sum() for c in codes},
        **{f"stage_journeys_{s}": _stage_flag(journey_rows, plan, s).sum() for s in stages},
    )
    per_actor = journey_rows.group_by(["actor", *group]).aggregate(**{f"t{c}": journey_rows[f"t{c}"].max() for c in codes})
    per_actor = per_actor.mutate(**{f"s{s}": _stage_flag(per_actor, plan, s) for s in stages})
    by_actor = per_actor.aggregate(
        by=group,
        **({"users": per_actor.count()} if by else {}),
        **{f"users_{c}": per_actor[f"t{c}"].sum() for c in codes},
        **{f"stage_users_{s}": per_actor[f"s{s}"].sum() for s in stages},
        **{f"both_{s}": (per_actor[f"s{p}"] * per_actor[f"s{s}"]).sum() for p, s in zip(stages, stages[1:])},
    )
    if by is None:
        return by_journey.cross_join(by_actor)
    joined = by_journey.join(by_actor, by)
    return joined.rename(segment=by)


def _medians(rows: ir.Table, group: list[str]) -> ir.Table:
    """Per (source, target, segment): the exact median of ``gap_us`` (the mean of the two middle values
    when their number is even), by ranking, for warehouses without a median aggregate."""
    timed = rows.filter(rows.gap_us.notnull())
    edge = [timed.source, timed.target, *(timed[g] for g in group)]
    ranked = timed.mutate(_rank=ibis.row_number().over(ibis.window(group_by=edge, order_by=timed.gap_us)),
                          _timed=timed.gap_us.count().over(ibis.window(group_by=edge)))
    middle = ranked.filter((ranked._rank == (ranked._timed - 1) // 2) | (ranked._rank == ranked._timed // 2))
    return middle.group_by(source_=middle.source, target_=middle.target, **{f"{g}_": middle[g] for g in group}).aggregate(
        median_us=middle.gap_us.mean())


def edges(step_rows: ir.Table, plan: Plan, by: str | None = None) -> ir.Table:
    """Directly-follows edges with count, distinct journeys and users, share of the source's exits (before
    suppression), median and total time between steps; start edges have no source, end edges
    no target. Edges seen by fewer than ``min_users`` users are left out; ``kept`` says which.
    With ``by`` (a segment key), per segment value (``segment``), shares within the segment."""
    group = [by] if by else []
    keys = plan.journey_keys
    starts = step_rows.filter(step_rows.is_start)
    moves = starts.select(*keys, *group, source=starts.prev_tp, target=starts.tp, gap_us=starts.gap_us)
    last = step_rows.filter(step_rows.is_end)
    ends = last.select(*keys, *group, source=last.tp, target=ibis.null("int32"), gap_us=ibis.null("int64"))
    rows = moves.union(ends)
    per_journey = rows.group_by("source", "target", *group, *keys).aggregate(
        count=rows.count(), total_us=rows.gap_us.sum(), timed=rows.gap_us.count())
    per_user = per_journey.group_by("source", "target", *group, "actor").aggregate(
        count=per_journey["count"].sum(), journeys=per_journey.count(), total_us=per_journey.total_us.sum(),
        timed=per_journey.timed.sum())
    grouped = per_user.group_by("source", "target", *group).aggregate(
        count=per_user["count"].sum(), journeys=per_user.journeys.sum(), users=per_user.count(),
        total_us=per_user.total_us.sum(), timed=per_user.timed.sum())
    if plan.median_by_rank:
        medians = _medians(moves, group)  # start and end edges have no times
    else:
        medians = moves.group_by(source_=moves.source, target_=moves.target, **{f"{g}_": moves[g] for g in group}).aggregate(
            median_us=moves.gap_us.median())
    same = (grouped.source == medians.source_) & (grouped.target == medians.target_)
    for g in group:
        same &= grouped[g] == medians[f"{g}_"]
    joined = grouped.left_join(medians, same)
    leaving = ibis.window(group_by=[joined.source, *(joined[g] for g in group)])
    shared = joined.mutate(share=joined["count"] / joined["count"].sum().over(leaving))
    return shared.select(
        source=_label(shared.source, plan.touchpoints), target=_label(shared.target, plan.touchpoints),
        count=shared["count"], journeys=shared.journeys, users=shared.users, share=shared.share, median_us=shared.median_us,
        total_us=shared.total_us, timed=shared.timed, kept=shared.users >= plan.min_users,
        **{"segment": shared[g] for g in group},
    )


def variants(journey_rows: ir.Table, plan: Plan, by: str | None = None) -> ir.Table:
    """Every distinct path (touchpoint ids joined by `` > ``) with journeys and users (per segment
    value with ``by``); the ids are put in once per distinct path."""
    group = [by] if by else []
    per_user = journey_rows.group_by("path", *group, "actor").aggregate(journeys=journey_rows.count())
    counted = per_user.group_by("path", *group).aggregate(journeys=per_user.journeys.sum(), users=per_user.count())
    named = counted.path.split(" ").map(lambda code: _label(code.cast("int32"), plan.touchpoints)).join(" > ")
    return counted.select(path=named, journeys=counted.journeys, users=counted.users,
                          **{"segment": counted[g] for g in group})


def step_sequence(step_rows: ir.Table, plan: Plan) -> ir.Table:
    """Each step of each journey as ``column`` (its number, from 1) and ``tp``."""
    starts = step_rows.filter(step_rows.is_start)
    order = ibis.window(group_by=[starts[k] for k in plan.journey_keys], order_by=starts.position)
    return starts.select(*plan.journey_keys, *plan.segment_keys, "tp", column=ibis.row_number().over(order) + 1)


def stage_sequence(step_rows: ir.Table, plan: Plan) -> ir.Table:
    """Each stage a journey reaches, as ``column`` (the stage's place in the map) and ``tp``: the
    touchpoint of its first step in that stage."""
    starts = step_rows.filter(step_rows.is_start)
    stage = ibis.cases(*((starts.tp == tp.code, tp.stage_code) for tp in plan.touchpoints), else_=ibis.null("int32"))
    scale = _scale(plan)
    entries = starts.group_by(*plan.journey_keys, *plan.segment_keys, column=stage).aggregate(
        _first=(starts.position.cast("int64") * scale + starts.tp).min())
    return entries.select(*plan.journey_keys, *plan.segment_keys, "column", tp=(entries._first % scale).cast("int32"))


def flows(sequence: ir.Table, plan: Plan, last_column: int | None = None, by: str | None = None) -> ir.Table:
    """Per (``column``, ``source``, ``target``): the journeys (and their distinct ``users``) that are at
    ``source`` in that column of the sequence and at ``target`` in its next entry (null: the journey's
    sequence ends there), and ``starts``: how many of them begin there; columns past ``last_column``
    are left out. Per segment value with ``by``."""
    group = [by] if by else []
    following = ibis.window(group_by=[sequence[k] for k in plan.journey_keys], order_by=sequence.column)
    linked = sequence.mutate(target=sequence.tp.lead().over(following),
                             _first=sequence.tp.lag().over(following).isnull().ifelse(1, 0))
    if last_column is not None:
        linked = linked.filter(linked.column <= last_column)
    counted = linked.group_by("column", "tp", "target", *group).aggregate(
        journeys=linked.count(), users=linked.actor.nunique(), starts=linked._first.sum())
    return counted.select(
        column=counted.column.cast("int64"), source=_label(counted.tp, plan.touchpoints),
        target=_label(counted.target, plan.touchpoints), journeys=counted.journeys, users=counted.users,
        starts=counted.starts,
        **{"segment": counted[g] for g in group})


def unmatched(events: ir.Table) -> ir.Table:
    """Event names no rule matched, with events and users."""
    left = events.filter(events.tp.isnull())
    return left.group_by("event").aggregate(events=left.count(), users=left.actor.nunique())


def top(table: ir.Table, plan: Plan, order: list, by: str | None = None) -> ir.Table:
    """The first ``TOP`` rows seen by at least ``min_users`` users (per segment value with ``by``);
    ``order``: (column, descending) pairs."""
    seen = table.filter(table.users >= plan.min_users)
    keys = [ibis.desc(seen[name]) if descending else seen[name] for name, descending in order]
    if by is None:
        return seen.order_by(keys).limit(TOP)
    ranked = seen.mutate(_rank=ibis.row_number().over(group_by=seen[by], order_by=keys))
    return ranked.filter(ranked._rank < TOP).drop("_rank")


def top_variants(all_variants: ir.Table, plan: Plan, by: str | None = None) -> ir.Table:
    return top(all_variants, plan, [("journeys", True), ("path", False)], by)


def top_unmatched(all_unmatched: ir.Table, plan: Plan) -> ir.Table:
    return top(all_unmatched, plan, [("events", True), ("event", False)])


def suppressed(table: ir.Table, plan: Plan, by: str | None = None) -> ir.Table:
    """One row (per segment value with ``by``): how many rows are seen by fewer than ``min_users`` users."""
    return table.aggregate(by=[by] if by else [],
                           suppressed=(table.users < plan.min_users).ifelse(1, 0).sum().fill_null(0))
