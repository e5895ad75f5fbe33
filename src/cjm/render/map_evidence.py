"""``--view map --observed FILE``: what customers did, as lanes of the journey map page and as
tables of the Markdown report.

- the funnel lane, one cell per stage: users who reached the stage and the conversion from the
  previous measured stage, each a figure in words and a bar (the bar is decoration: the words
  carry the value, so screen readers, print and copy-paste lose nothing);
- the observed lane, one cell per touchpoint: journeys that reached it and the share that ended
  there (finished, where the map's journey ends);
- a summary line and the provenance (inputs, window, grain, engine) under the grid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cjm.render.overlay import EvidenceOptions, Overlay, count, percent

if TYPE_CHECKING:
    from cjm.evidence.observed import Observed, SegmentView
    from cjm.journey import Journey
    from cjm.render.html_map import Column, Lane, StageHead

AFTER = ("customer_goal", "touchpoint", "actions", "thoughts", "curve")  # the lanes go below these


def lane_position(keys: list[str]) -> int:
    """Where the evidence lanes go: right below the emotion curve (or where it would be)."""
    return max((i + 1 for i, key in enumerate(keys) if key in AFTER), default=0)


def summary(observed: Observed) -> str:
    """``3,605 journeys (sessions) of 600 users, 2020-01-01 to 2020-04-30``."""
    provenance = observed.provenance
    text = f"{count(observed.totals.journeys)} journeys ({provenance.grain}s) of {count(observed.totals.users)} users"
    if provenance.first_event and provenance.last_event:
        text += f", {provenance.first_event[:10]} to {provenance.last_event[:10]}"
    return text


def provenance(observed: Observed) -> str:
    """Where the counts come from, in one sentence."""
    p = observed.provenance
    inputs = ", ".join(f"{i.path} (sha256 {i.sha256[:12]})" for i in p.inputs) or "no input files"
    unmatched = observed.totals.unmatched_share
    return (f"Observed counts from {inputs}, computed by cjm {p.cjm} on {p.engine} {p.engine_version}. "
            f"{percent(unmatched)} of the events matched no touchpoint's rules. Transitions and paths taken by "
            f"fewer than {p.min_users} users are left out; the counts per stage and touchpoint are complete.")


def compared(observed: Observed, evidence: EvidenceOptions | None) -> list[tuple[str, SegmentView]]:
    """The segments the funnel lane shows side by side: the two of ``--compare``, else every value of
    the first segment column (none with ``--segment``: the lanes then show that segment alone)."""
    from cjm.evidence.observed import segment_label

    if evidence is not None and evidence.compare:
        return [(f"{column}={segment_label(view.value)}", view)
                for column, view in (observed.find_segment(wanted) for wanted in evidence.compare)]
    if (evidence is not None and evidence.segment) or not observed.segments:
        return []
    first = observed.segments[0]
    return [(f"{first.column}={segment_label(view.value)}", view) for view in first.values]


def lanes(journey: Journey, observed: Observed, columns: list[Column], heads: list[StageHead],
          evidence: EvidenceOptions | None = None) -> list[Lane]:
    """The funnel lane (per stage; with segments, each segment's conversion beside the others') and
    the observed lane (per touchpoint)."""
    from cjm.render.html_map import Cell, Item, Lane, Target

    segment = observed.find_segment(evidence.segment)[1] if evidence is not None and evidence.segment else None
    overlay = Overlay(journey, observed, segment)
    sides = compared(observed, evidence)
    most = max((s.users or 0 for s in overlay.stages.values()), default=0)
    cells = []
    for head in heads:
        stage_id = journey.map.stages[head.index].id
        stage = overlay.stages.get(stage_id)
        items = []
        if stage is None or stage.users is None:
            items.append(Item("not measured (no event rules)"))
        else:
            items.append(Item(f"{count(stage.users)} users", "bar", value=stage.users / most if most else 0.0,
                              detail=f"in {count(stage.journeys or 0)} journeys"))
            if stage.conversion is not None:
                items.append(Item(percent(stage.conversion), "bar", label="from the stage before", value=stage.conversion))
            for name, view in sides:  # one scale for every segment: the bar is the share itself
                counts = next((s for s in view.stages if s.id == stage_id), None)
                if counts is None or counts.users is None:
                    continue
                if counts.conversion is not None:
                    items.append(Item(percent(counts.conversion), "bar", label=name, value=counts.conversion,
                                      detail=f"{count(counts.users)} users"))
                else:
                    items.append(Item(f"{count(counts.users)} users", "text", label=name))
        cells.append(Cell(Target(f"funnel-{head.index}"), items, span=head.span, header=head.anchor))
    title = "Observed funnel" + (f" ({evidence.segment})" if segment is not None else "")
    funnel = Lane("funnel", title, cells, Target("lane-funnel"), wide=True)

    most = max((t.journeys for t in overlay.touchpoints.values()), default=0)
    cells = []
    for col in columns:
        target = Target(f"observed-{col.anchor}")
        if col.step is None:
            cells.append(Cell(target, [], header=f"stage-{col.stage_index}", placeholder=True))
            continue
        counts = overlay.touchpoints.get(col.step.id)
        if counts is None:
            items = [Item("not measured (no event rules)")]
        else:
            ending = "finish" if overlay.finish(col.step) else "end"
            items = [Item(f"{count(counts.journeys)} journeys", "bar", value=counts.journeys / most if most else 0.0,
                          detail=f"of {count(counts.users)} users")]
            if counts.drop_off is not None:
                items.append(Item(f"{percent(counts.drop_off)} {ending} here"))
        cells.append(Cell(target, items, header=f"{col.anchor} stage-{col.stage_index}"))
    return [funnel, Lane("observed", "Observed at the touchpoint", cells, Target("lane-observed"))]


def markdown(journey: Journey, observed: Observed, persona: str | None) -> list[str]:
    """The funnel and the touchpoints as Markdown tables, with the summary and provenance."""
    from cjm.render.markdown import inline, table

    overlay = Overlay(journey, observed)
    out = ["## Observed", "", inline(summary(observed)) + ".", "", inline(provenance(observed)), ""]
    rows = []
    for stage in journey.map.stages:
        counts = overlay.stages.get(stage.id)
        if counts is None or counts.users is None:
            rows.append([inline(stage.name), "not measured", "", ""])
            continue
        conversion = percent(counts.conversion) if counts.conversion is not None else ""
        rows.append([inline(stage.name), count(counts.users), count(counts.journeys or 0), conversion])
    out += ["### Funnel", ""] + table(["Stage", "Users", "Journeys", "From the stage before"], rows) + [""]
    rows = []
    for step in journey.steps:
        if persona is not None and not journey.serves(step, persona):
            continue
        counts = overlay.touchpoints.get(step.id)
        where = [inline(step.stage.name), inline(step.touchpoint.name)]
        if counts is None:
            rows.append(where + ["not measured", "", "", ""])
            continue
        share = percent(counts.drop_off) if counts.drop_off is not None else ""
        ending = " (finish)" if share and overlay.finish(step) else ""
        rows.append(where + [count(counts.journeys), count(counts.users), count(counts.ends), share + ending])
    out += ["### Touchpoints", ""]
    out += table(["Stage", "Touchpoint", "Journeys", "Users", "Ended here", "Share ended"], rows) + [""]
    return out
