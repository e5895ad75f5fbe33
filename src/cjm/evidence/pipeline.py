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
from cjm.evidence.source import unreadable_time

ORDER_WITH_SEQ = "ts, seq, event, touchpoint order"
ORDER_WITHOUT_SEQ = "ts, event, touchpoint order"
TOP = 20  # variants and unmatched event names kept


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


def _label(code: ir.IntegerValue, touchpoints: tuple[RuleTouchpoint, ...]) -> ir.StringValue:
    """Touchpoint code -> its id (null stays null)."""
    return ibis.cases(*((code == tp.code, tp.id) for tp in touchpoints), else_=ibis.null("string"))


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
                            _next_tp=matched.tp.lead().over(in_journey), position=ibis.row_number().over(in_journey))
    is_start = marked.prev_tp.isnull() | (marked.prev_tp != marked.tp)
    is_end = marked._next_tp.isnull()
    return marked.filter(is_start | is_end).select(
        *keys, "tp", "position", prev_tp=is_start.ifelse(marked.prev_tp, ibis.null("int32")),
        gap_us=is_start.ifelse(marked.ts_us - marked._prev_us, ibis.null("int64")), is_start=is_start, is_end=is_end)


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
    scale = 10 ** len(str(len(plan.touchpoints)))
    rows = step_rows
    per_journey = rows.group_by(plan.journey_keys).aggregate(
        _steps=(rows.position.cast("int64") * scale + rows.tp).collect(where=rows.is_start),
        ended=rows.is_end.ifelse(rows.tp, ibis.null("int32")).max(),
        **{f"t{tp.code}": (rows.tp == tp.code).ifelse(1, 0).max() for tp in plan.touchpoints},
    )
    return per_journey.select(
        "actor", path=per_journey._steps.sort().map(lambda step: (step % scale).cast("string")).join(" "),
        ended=per_journey.ended, **{f"t{tp.code}": per_journey[f"t{tp.code}"] for tp in plan.touchpoints})


def _stage_flag(table: ir.Table, plan: Plan, stage_code: int) -> ir.IntegerValue:
    flags = [table[f"t{tp.code}"] for tp in plan.touchpoints if tp.stage_code == stage_code]
    return flags[0] if len(flags) == 1 else ibis.greatest(*flags)


def reach(journey_rows: ir.Table, plan: Plan) -> ir.Table:
    """One row: per touchpoint ``journeys_<code>`` (journeys reaching it), ``ends_<code>``
    (journeys ending there), ``users_<code>``; per stage with rules ``stage_users_<s>``,
    ``stage_journeys_<s>`` and ``both_<s>`` (users who reached it and the stage with rules
    before it)."""
    codes = [tp.code for tp in plan.touchpoints]
    stages = plan.stage_codes()
    by_journey = journey_rows.aggregate(
        journeys=journey_rows.count(),
        **{f"journeys_{c}": journey_rows[f"t{c}"].sum() for c in codes},
        **{f"ends_{c}": (journey_rows.ended == c).ifelse(1, 0).sum() for c in codes},
        **{f"stage_journeys_{s}": _stage_flag(journey_rows, plan, s).sum() for s in stages},
    )
    per_actor = journey_rows.group_by("actor").aggregate(**{f"t{c}": journey_rows[f"t{c}"].max() for c in codes})
    per_actor = per_actor.mutate(**{f"s{s}": _stage_flag(per_actor, plan, s) for s in stages})
    by_actor = per_actor.aggregate(
        **{f"users_{c}": per_actor[f"t{c}"].sum() for c in codes},
        **{f"stage_users_{s}": per_actor[f"s{s}"].sum() for s in stages},
        **{f"both_{s}": (per_actor[f"s{p}"] * per_actor[f"s{s}"]).sum() for p, s in zip(stages, stages[1:])},
    )
    return by_journey.cross_join(by_actor)


def _medians(rows: ir.Table) -> ir.Table:
    """Per (source, target): the exact median of ``gap_us`` (the mean of the two middle values
    when their number is even), by ranking, for warehouses without a median aggregate."""
    timed = rows.filter(rows.gap_us.notnull())
    edge = [timed.source, timed.target]
    ranked = timed.mutate(_rank=ibis.row_number().over(ibis.window(group_by=edge, order_by=timed.gap_us)),
                          _timed=timed.gap_us.count().over(ibis.window(group_by=edge)))
    middle = ranked.filter((ranked._rank == (ranked._timed - 1) // 2) | (ranked._rank == ranked._timed // 2))
    return middle.group_by(source_=middle.source, target_=middle.target).aggregate(median_us=middle.gap_us.mean())


def edges(step_rows: ir.Table, plan: Plan) -> ir.Table:
    """Directly-follows edges with count, distinct users, share of the source's exits (before
    suppression), median and total time between steps; start edges have no source, end edges
    no target. Edges seen by fewer than ``min_users`` users are left out; ``kept`` says which."""
    starts = step_rows.filter(step_rows.is_start)
    moves = starts.select(starts.actor, source=starts.prev_tp, target=starts.tp, gap_us=starts.gap_us)
    last = step_rows.filter(step_rows.is_end)
    ends = last.select(last.actor, source=last.tp, target=ibis.null("int32"), gap_us=ibis.null("int64"))
    rows = moves.union(ends)
    per_user = rows.group_by("source", "target", "actor").aggregate(
        count=rows.count(), total_us=rows.gap_us.sum(), timed=rows.gap_us.count())
    grouped = per_user.group_by("source", "target").aggregate(
        count=per_user["count"].sum(), users=per_user.count(),
        total_us=per_user.total_us.sum(), timed=per_user.timed.sum())
    if plan.median_by_rank:
        medians = _medians(moves)  # start and end edges have no times
    else:
        medians = moves.group_by(source_=moves.source, target_=moves.target).aggregate(median_us=moves.gap_us.median())
    joined = grouped.left_join(medians, (grouped.source == medians.source_) & (grouped.target == medians.target_))
    leaving = ibis.window(group_by=joined.source)
    shared = joined.mutate(share=joined["count"] / joined["count"].sum().over(leaving))
    return shared.select(
        source=_label(shared.source, plan.touchpoints), target=_label(shared.target, plan.touchpoints),
        count=shared["count"], users=shared.users, share=shared.share, median_us=shared.median_us,
        total_us=shared.total_us, timed=shared.timed, kept=shared.users >= plan.min_users,
    )


def variants(journey_rows: ir.Table, plan: Plan) -> ir.Table:
    """Every distinct path (touchpoint ids joined by `` > ``) with journeys and users; the ids
    are put in once per distinct path."""
    per_user = journey_rows.group_by("path", "actor").aggregate(journeys=journey_rows.count())
    counted = per_user.group_by("path").aggregate(journeys=per_user.journeys.sum(), users=per_user.count())
    named = counted.path.split(" ").map(lambda code: _label(code.cast("int32"), plan.touchpoints)).join(" > ")
    return counted.select(path=named, journeys=counted.journeys, users=counted.users)


def unmatched(events: ir.Table) -> ir.Table:
    """Event names no rule matched, with events and users."""
    left = events.filter(events.tp.isnull())
    return left.group_by("event").aggregate(events=left.count(), users=left.actor.nunique())


def top(table: ir.Table, plan: Plan, order: list) -> ir.Table:
    """The first ``TOP`` rows seen by at least ``min_users`` users."""
    return table.filter(table.users >= plan.min_users).order_by(order).limit(TOP)


def top_variants(all_variants: ir.Table, plan: Plan) -> ir.Table:
    return top(all_variants, plan, [ibis.desc(all_variants.journeys), all_variants.path])


def top_unmatched(all_unmatched: ir.Table, plan: Plan) -> ir.Table:
    return top(all_unmatched, plan, [ibis.desc(all_unmatched.events), all_unmatched.event])


def suppressed(table: ir.Table, plan: Plan) -> ir.Table:
    """One row: how many rows are seen by fewer than ``min_users`` users."""
    return table.aggregate(suppressed=(table.users < plan.min_users).ifelse(1, 0).sum().fill_null(0))
