"""The observed journey (``--observed FILE``) laid over a map, for the pictures.

Which drawn edge customers took and how often, which observed transition the map lacks, which
declared one nobody took, where journeys start and how many end at each touchpoint. Everything
is keyed by the map's ids: observed ids the map does not have (a file computed from another
version of the map) are left out here, and ``observed_warnings`` names them for the command.

A touchpoint is *measured* when the observed file counts it (its ``events`` rules were applied).
Customers cannot be seen at a touchpoint without ``events`` rules, so an observed step from A to C
counts as the map's own when the map goes from A to C directly or only through such touchpoints
(a call, a visit to the store), as ``cjm lint --observed`` judges it. Repeats at one touchpoint
are one step in the evidence, so a declared self-loop is neither observed nor missed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cjm.evidence.observed import Edge, Observed, SegmentView, StageCounts, TouchpointCounts
    from cjm.journey import Journey, Step
    from cjm.format.model import JourneyMap

SEP = " \u00b7 "


@dataclass(frozen=True)
class EvidenceOptions:
    """How the evidence is drawn (``render --observed``): which journeys and what is left out."""

    segment: str | None = None  # --segment VALUE (or COLUMN=VALUE): one segment's journeys
    compare: tuple[str, ...] = ()  # --compare A B: two segments side by side, on one scale
    by: str = "stage"  # the flow's columns: stage or step
    top: int | None = None  # the flow: touchpoints per column (the rest grouped as other)
    min_share: float | None = None  # edges (diagram) and bands (flow) under this share of their source are not drawn
    top_edges: int | None = None  # the diagram: transitions the map lacks drawn per touchpoint, at most


@dataclass(frozen=True)
class Transition:
    """An observed step between two touchpoints of the map."""

    source: str
    target: str
    edge: Edge
    declared: bool  # the map goes this way (directly or through unmeasured touchpoints)
    via: tuple[str, ...] = ()  # the unmeasured touchpoints in between, by id


class Overlay:
    """One observed file read against one map."""

    def __init__(self, journey: Journey, observed: Observed, segment: SegmentView | None = None):
        self.journey = journey
        self.observed = observed
        self.segment = segment  # the counts of one segment's journeys, in place of all journeys'
        view = segment if segment is not None else observed
        known = journey.by_id
        self.touchpoints: dict[str, TouchpointCounts] = {t.id: t for t in view.touchpoints if t.id in known}
        stage_ids = {stage.id for stage in journey.map.stages}
        self.stages: dict[str, StageCounts] = {s.id: s for s in view.stages if s.id in stage_ids}
        self.starts: dict[str, Edge] = {}
        self.ends: dict[str, Edge] = {}
        self.transitions: dict[tuple[str, str], Transition] = {}
        self._ways: dict[str, dict[str, list[str]]] = {}
        self.edges = list(view.edges)
        self.totals = view.totals
        self.suppressed_edges = view.suppressed.edges
        for edge in view.edges:
            if edge.source is None and edge.target in known:
                self.starts[edge.target] = edge
            elif edge.target is None and edge.source in known:
                self.ends[edge.source] = edge
            elif edge.source in known and edge.target in known:
                via = self._declared_way(edge.source, edge.target)
                self.transitions[(edge.source, edge.target)] = Transition(
                    edge.source, edge.target, edge, via is not None, tuple(via or ()))

    def measured(self, tp_id: str) -> bool:
        return tp_id in self.touchpoints

    def unobserved(self, source: str, target: str) -> bool:
        """A declared edge between measured touchpoints that no (or too few) customers took."""
        return (source != target and self.measured(source) and self.measured(target)
                and (source, target) not in self.transitions)

    def _declared_way(self, source: str, target: str) -> list[str] | None:
        """The touchpoints without event rules the map goes through from ``source`` to ``target``
        ([] for a direct edge), or None when the map has no such way."""
        if source not in self._ways:
            self._ways[source] = self._ways_from(source)
        return self._ways[source].get(target)

    def _ways_from(self, source: str) -> dict[str, list[str]]:
        """Every touchpoint the map leads to from ``source`` through touchpoints without event rules
        only, with those in between; breadth first, so the shortest way, the same one every time."""
        successors = self.journey.successors
        ways: dict[str, list[str]] = {}
        through: dict[str, list[str]] = {source: []}
        todo = deque([source])
        while todo:
            current = todo.popleft()
            for step in successors[current]:
                ways.setdefault(step.id, through[current])
                if step.id not in through and not step.touchpoint.events:
                    through[step.id] = through[current] + [step.id]
                    todo.append(step.id)
        return ways

    def leads(self, source: str, target: str, direct: bool = True) -> bool:
        """The map goes from ``source`` to ``target``: directly (or through touchpoints without event
        rules), or with ``direct`` False through any of its touchpoints."""
        if direct:
            return self._declared_way(source, target) is not None
        seen, todo = {source}, deque([source])
        while todo:
            for step in self.journey.successors[todo.popleft()]:
                if step.id == target:
                    return True
                if step.id not in seen:
                    seen.add(step.id)
                    todo.append(step.id)
        return False

    def finish(self, step: Step) -> bool:
        """The map's journey ends here (nowhere to go in the last stage, or the last touchpoint of a
        map without ``next``): journeys that end here finish, they do not drop off."""
        if self.journey.successors[step.id]:
            return False
        return not self.journey.uses_next or step.stage_index == self.journey.last_stage_index

    @property
    def most_users(self) -> int:
        """The users of the busiest edge drawn: the widest line."""
        counts = [t.edge.users for t in self.transitions.values()] + [e.users for e in self.starts.values()]
        return max(counts, default=0)

    def not_seen_text(self) -> str:
        """What an unobserved edge means, given that rare edges are left out of the file."""
        least = self.observed.provenance.min_users
        if self.suppressed_edges and least > 1:
            return f"taken by fewer than {least} users, or by none"
        return "no customer took it"


def observed_warnings(journey_map: JourneyMap, observed: Observed, file: str) -> list[str]:
    """What does not fit between the map and the observed file; the picture leaves it out."""
    from cjm.evidence.fingerprint import rules_fingerprint

    out = []
    if observed.map != journey_map.id:
        out.append(f"{file} was computed for map {_quoted(observed.map)}, not {_quoted(journey_map.id)}")
    tp_ids = {t.id for stage in journey_map.stages for t in stage.touchpoints}
    stage_ids = {stage.id for stage in journey_map.stages}
    unknown = {t.id for t in observed.touchpoints if t.id not in tp_ids}
    unknown |= {e for edge in observed.edges for e in (edge.source, edge.target) if e is not None and e not in tp_ids}
    if unknown:
        out.append(f"{file} counts touchpoints the map does not have, left out of the picture: "
                   f"{', '.join(_quoted(i) for i in sorted(unknown))}")
    stray = sorted(s.id for s in observed.stages if s.id not in stage_ids)
    if stray:
        out.append(f"{file} counts stages the map does not have, left out of the picture: "
                   f"{', '.join(_quoted(i) for i in stray)}")
    if observed.provenance.rules_sha256 != rules_fingerprint(journey_map):
        out.append(f"{file} was computed with other event rules than the map has now; "
                   "run cjm evidence compute again for a picture of the current rules")
    return out


def _quoted(text: str, limit: int = 60) -> str:
    """An id from the file as one printable line: observed files can be hand-edited."""
    flat = "".join(c if c.isprintable() else "?" for c in text)
    return repr(flat[:limit] + ("\u2026" if len(flat) > limit else ""))


# --- words and numbers shared by the diagram, the page and the Markdown report ---------------

def count(value: int) -> str:
    return f"{value:,}"


def percent(share: float) -> str:
    """``38%``; never rounds a few to none or nearly all to all."""
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{share * 100:.0f}%"


def duration(micros: int) -> str:
    """``850 ms``, ``42 s``, ``2 min 10 s``, ``3 h 5 min``, ``4 d 2 h``."""
    seconds = micros / 1_000_000
    if seconds < 1:
        return f"{micros / 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.0f} s"
    whole = int(seconds)
    for unit, size, smaller, small_size in (("d", 86400, "h", 3600), ("h", 3600, "min", 60), ("min", 60, "s", 1)):
        if whole >= size:
            big, rest = divmod(whole, size)
            rest //= small_size
            return f"{big} {unit}" + (f" {rest} {smaller}" if rest else "")
    return f"{whole} s"  # pragma: no cover - every whole >= 60 matched above


def edge_words(edge: Edge, source_name: str) -> list[str]:
    """The facts of an observed edge as hover text."""
    users = f"{count(edge.users)} user{'s' if edge.users != 1 else ''}"
    if edge.source is None:
        return [f"{count(edge.count)} journeys of {users} start here", f"{percent(edge.share)} of all journeys"]
    lines = [f"{count(edge.count)} times by {users}", f"{percent(edge.share)} of the journeys leaving {source_name}"]
    if edge.median_us is not None:
        lines.append(f"time between: median {duration(edge.median_us)}"
                     + (f", mean {duration(edge.mean_us)}" if edge.mean_us is not None else ""))
    return lines


def touchpoint_words(counts: TouchpointCounts) -> list[str]:
    events = getattr(counts, "events", None)  # a segment's counts have no events
    lines = [f"{count(counts.journeys)} journeys, {count(counts.users)} users"
             + (f", {count(events)} events" if events is not None else "")]
    if counts.drop_off is not None:
        lines.append(f"{count(counts.ends)} journeys end here ({percent(counts.drop_off)})")
    return lines


def step_name(journey: Journey, tp_id: str) -> str:
    step: Step = journey.by_id[tp_id]
    return step.touchpoint.name
