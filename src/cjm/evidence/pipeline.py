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

ORDER_WITH_SEQ = "ts, seq, event, touchpoint order"
ORDER_WITHOUT_SEQ = "ts, event, touchpoint order"
TOP = 20  # variants and unmatched event names kept
STEP_DIGITS = 10  # a step's index, zero-padded, sorts a journey's steps as text


@dataclass(frozen=True)
class Plan:
    """What shapes the computation besides the rules."""

    touchpoints: tuple[RuleTouchpoint, ...]
    grain: str  # "user" or "session"
    has_session: bool  # the log has a session column
    has_seq: bool
    session_gap_us: int  # cuts sessions when the log has no session column
    min_users: int

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


def _stage_of(code: ir.IntegerValue, touchpoints: tuple[RuleTouchpoint, ...]) -> ir.IntegerValue:
    return ibis.cases(*((code == tp.code, tp.stage_code) for tp in touchpoints), else_=ibis.null("int32"))


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
    """One row per step: ``actor``, the journey keys, ``tp``, ``prev_tp`` (null: the journey starts
    here), ``gap_us`` (first event of this step minus last event of the previous one), ``step``
    (1, 2, ...) and ``is_last``."""
    matched = with_journeys(events, plan)
    matched = matched.filter(matched.tp.notnull())
    keys = plan.journey_keys
    in_journey = ibis.window(group_by=[matched[k] for k in keys], order_by=_event_order(matched, plan))
    marked = matched.mutate(prev_tp=matched.tp.lag().over(in_journey), _prev_us=matched.ts_us.lag().over(in_journey))
    starts = marked.filter(marked.prev_tp.isnull() | (marked.prev_tp != marked.tp))
    starts = starts.select(*keys, "ts_us", *(["seq"] if plan.has_seq else []), "event", "tp", "prev_tp",
                           gap_us=starts.ts_us - starts._prev_us)
    in_steps = ibis.window(group_by=[starts[k] for k in keys], order_by=_event_order(starts, plan))
    numbered = starts.mutate(step=ibis.row_number().over(in_steps) + 1, _next_tp=starts.tp.lead().over(in_steps))
    return numbered.select(*keys, "tp", "prev_tp", "gap_us", "step", is_last=numbered._next_tp.isnull())


def totals(events: ir.Table) -> ir.Table:
    """One row: events, matched, users, first_us, last_us, and ``untimed``: events whose time could not be read."""
    return events.aggregate(
        events=events.count(),
        matched=events.tp.count(),
        users=events.actor.nunique(),
        first_us=events.ts_us.min(),
        last_us=events.ts_us.max(),
        untimed=events.ts_us.isnull().ifelse(1, 0).sum().fill_null(0),
    )


def touchpoint_counts(events: ir.Table, step_rows: ir.Table, plan: Plan) -> ir.Table:
    """Per touchpoint that anything matched: events, users, journeys reaching it, journeys ending
    there, and ``also_<code>``: how many of its events another touchpoint's rules also matched."""
    matched = events.filter(events.tp.notnull())
    counts = matched.group_by("tp").aggregate(
        events=matched.count(),
        users=matched.actor.nunique(),
        **{f"also_{tp.code}": matched[match_column(tp.code)].ifelse(1, 0).sum() for tp in plan.touchpoints},
    )
    per_journey = step_rows.group_by([*plan.journey_keys, "tp"]).aggregate(ended=step_rows.is_last.ifelse(1, 0).max())
    reach = per_journey.group_by("tp").aggregate(journeys=per_journey.count(), ends=per_journey.ended.sum())
    joined = counts.left_join(reach, counts.tp == reach.tp)
    return joined.select(
        id=_label(joined.tp, plan.touchpoints), events=joined.events, users=joined.users,
        journeys=joined.journeys.fill_null(0), ends=joined.ends.fill_null(0),
        **{f"also_{tp.code}": joined[f"also_{tp.code}"] for tp in plan.touchpoints},
    )


def _medians(rows: ir.Table) -> ir.Table:
    """Per (source, target): the exact median of ``gap_us`` (the mean of the two middle values
    when their number is even), by ranking; several warehouses have no median aggregate."""
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
    moves = step_rows.select(step_rows.actor, source=step_rows.prev_tp, target=step_rows.tp, gap_us=step_rows.gap_us)
    last = step_rows.filter(step_rows.is_last)
    ends = last.select(last.actor, source=last.tp, target=ibis.null("int32"), gap_us=ibis.null("int64"))
    rows = moves.union(ends)
    grouped = rows.group_by("source", "target").aggregate(
        count=rows.count(),
        users=rows.actor.nunique(),
        total_us=rows.gap_us.sum(),
        timed=rows.gap_us.count(),
    )
    medians = _medians(moves)  # start and end edges have no times
    joined = grouped.left_join(medians, (grouped.source == medians.source_) & (grouped.target == medians.target_))
    leaving = ibis.window(group_by=joined.source)
    shared = joined.mutate(share=joined["count"] / joined["count"].sum().over(leaving))
    return shared.select(
        source=_label(shared.source, plan.touchpoints), target=_label(shared.target, plan.touchpoints),
        count=shared["count"], users=shared.users, share=shared.share, median_us=shared.median_us,
        total_us=shared.total_us, timed=shared.timed, kept=shared.users >= plan.min_users,
    )


def stages(step_rows: ir.Table, plan: Plan) -> ir.Table:
    """One row: per stage with rules, ``users_<s>``, ``journeys_<s>`` and ``both_<s>`` (users who
    reached this stage and the previous stage with rules)."""
    codes = plan.stage_codes()
    staged = step_rows.mutate(_stage=_stage_of(step_rows.tp, plan.touchpoints))
    per_journey = staged.group_by(plan.journey_keys).aggregate(
        **{f"s{c}": (staged._stage == c).ifelse(1, 0).max() for c in codes})
    per_actor = per_journey.group_by("actor").aggregate(
        **{f"s{c}": per_journey[f"s{c}"].max() for c in codes},
        **{f"j{c}": per_journey[f"s{c}"].sum() for c in codes})
    both = {f"both_{c}": (per_actor[f"s{p}"] * per_actor[f"s{c}"]).sum() for p, c in zip(codes, codes[1:])}
    return per_actor.aggregate(
        **{f"users_{c}": per_actor[f"s{c}"].sum() for c in codes},
        **{f"journeys_{c}": per_actor[f"j{c}"].sum() for c in codes},
        **both,
    )


def variants(step_rows: ir.Table, plan: Plan) -> ir.Table:
    """Every distinct path (touchpoint ids joined by `` > ``) with journeys and users.

    Written without ordered aggregation, which PySpark lacks: each step becomes the text
    ``<zero-padded index>:<id>``; a journey's texts are collected, sorted and the prefix cut.
    """
    keyed = step_rows.mutate(
        _step=step_rows.step.cast("string").lpad(STEP_DIGITS, "0") + ":" + _label(step_rows.tp, plan.touchpoints))
    per_journey = keyed.group_by(plan.journey_keys).aggregate(_steps=keyed._step.collect())
    paths = per_journey.select(
        per_journey.actor, path=per_journey._steps.sort().map(lambda step: step.substr(STEP_DIGITS + 1)).join(" > "))
    return paths.group_by("path").aggregate(journeys=paths.count(), users=paths.actor.nunique())


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
