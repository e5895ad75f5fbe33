"""What changed between two observed journeys of a map (``cjm diff OLD.observed.json NEW.observed.json``).

Per touchpoint: users and drop-off; per stage: users and conversion; the edges that appeared,
disappeared, or whose share of their source's exits moved by more than a threshold; and the
log's totals, the unmatched share among them; per segment value (``--segment``), journeys and
each stage's conversion. Edges are compared by (source, target); an edge missing from one file
may have been seen by fewer than that file's ``min_users`` users, a segment value missing from
one file by fewer than them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from cjm.evidence.observed import Edge, Observed

DEFAULT_SHARE_CHANGE = 0.05


@dataclass(frozen=True)
class TouchpointChange:
    id: str
    stage: str
    users_old: int | None
    users_new: int | None
    drop_off_old: float | None
    drop_off_new: float | None

    @property
    def kind(self) -> str:
        if self.users_old is None:
            return "added"
        if self.users_new is None:
            return "removed"
        same = (self.users_old, self.drop_off_old) == (self.users_new, self.drop_off_new)
        return "unchanged" if same else "changed"

    @property
    def users_delta(self) -> int | None:
        return None if self.users_old is None or self.users_new is None else self.users_new - self.users_old

    @property
    def drop_off_delta(self) -> float | None:
        return _delta(self.drop_off_old, self.drop_off_new)


@dataclass(frozen=True)
class EdgeChange:
    source: str | None  # None: where journeys start
    target: str | None  # None: where journeys end
    kind: str  # appeared | disappeared | changed
    share_old: float | None
    share_new: float | None
    count_old: int | None
    count_new: int | None

    @property
    def share_delta(self) -> float | None:
        return _delta(self.share_old, self.share_new)

    @property
    def label(self) -> str:
        return f"{self.source or 'start'} → {self.target or 'end'}"


@dataclass(frozen=True)
class StageChange:
    id: str
    users_old: int | None
    users_new: int | None
    conversion_old: float | None
    conversion_new: float | None

    @property
    def conversion_delta(self) -> float | None:
        return _delta(self.conversion_old, self.conversion_new)


@dataclass(frozen=True)
class SegmentChange:
    column: str
    value: str | None  # None: journeys whose first event has no value
    journeys_old: int | None  # None: not in that file
    journeys_new: int | None
    stages: tuple[StageChange, ...] = ()

    @property
    def kind(self) -> str:
        if self.journeys_old is None:
            return "added"
        if self.journeys_new is None:
            return "removed"
        same = self.journeys_old == self.journeys_new and all(
            (s.users_old, s.conversion_old) == (s.users_new, s.conversion_new) for s in self.stages)
        return "unchanged" if same else "changed"

    @property
    def label(self) -> str:
        from cjm.evidence.observed import segment_label

        return f"{self.column}={segment_label(self.value)}"


@dataclass(frozen=True)
class TotalChange:
    name: str  # events | users | journeys | unmatched_share
    old: float
    new: float

    @property
    def delta(self) -> float:
        return round(self.new - self.old, 6)


@dataclass
class ObservedDiff:
    file: str
    share_change: float = DEFAULT_SHARE_CHANGE
    status: str = "changed"  # changed | unchanged | added (no old file to compare with)
    notes: list[str] = field(default_factory=list)
    totals: list[TotalChange] = field(default_factory=list)
    touchpoints: list[TouchpointChange] = field(default_factory=list)
    stages: list[StageChange] = field(default_factory=list)
    edges: list[EdgeChange] = field(default_factory=list)
    segments: list[SegmentChange] = field(default_factory=list)

    @property
    def conversion_drops(self) -> list[StageChange]:
        return [s for s in self.stages if s.conversion_delta is not None and s.conversion_delta < -self.share_change]

    @property
    def segment_drops(self) -> list[tuple[SegmentChange, StageChange]]:
        """A segment's stage that converts worse by more than the threshold."""
        return [(segment, s) for segment in self.segments for s in segment.stages
                if s.conversion_delta is not None and s.conversion_delta < -self.share_change]

    @property
    def drop_off_rises(self) -> list[TouchpointChange]:
        return [t for t in self.touchpoints if t.drop_off_delta is not None and t.drop_off_delta > self.share_change]

    @property
    def regressed(self) -> bool:
        """A stage converts worse, or more journeys end at a touchpoint, by more than the threshold."""
        return bool(self.conversion_drops or self.drop_off_rises or self.segment_drops)

    def as_dict(self) -> dict:
        out = {"file": self.file, "status": self.status, "share_change": self.share_change, "notes": self.notes,
               "regressed": self.regressed}
        for name in ("totals", "touchpoints", "stages", "edges"):
            out[name] = []
            for change in getattr(self, name):
                item = asdict(change)
                for derived in ("kind", "delta", "users_delta", "drop_off_delta", "share_delta", "conversion_delta"):
                    if hasattr(change, derived) and derived not in item:
                        item[derived] = getattr(change, derived)
                out[name].append(item)
        out["segments"] = []
        for segment in self.segments:
            item = asdict(segment)
            item["kind"] = segment.kind
            for stage, change in zip(item["stages"], segment.stages):
                stage["conversion_delta"] = change.conversion_delta
            out["segments"].append(item)
        return out


def _delta(old: float | None, new: float | None) -> float | None:
    return None if old is None or new is None else round(new - old, 6)


def _notes(old: Observed, new: Observed) -> list[str]:
    """What makes the two files less comparable than they look."""
    a, b = old.provenance, new.provenance
    out = []
    if old.map != new.map:
        out.append(f"the files are observed journeys of different maps ({old.map!r}, {new.map!r})")
    if a.rules_sha256 != b.rules_sha256:
        out.append("the files were computed from different event rules: a touchpoint's counts may have moved because its rules did")
    if a.grain != b.grain:
        out.append(f"one journey is a {a.grain} in the old file and a {b.grain} in the new one")
    if a.min_users != b.min_users:
        out.append(f"rare edges were left out below {a.min_users} users in the old file and {b.min_users} in the new one")
    if (a.first_event, a.last_event) != (b.first_event, b.last_event):
        out.append(f"events from {a.first_event or '?'} to {a.last_event or '?'} before, "
                   f"from {b.first_event or '?'} to {b.last_event or '?'} now")
    return out


def _totals(old: Observed, new: Observed) -> list[TotalChange]:
    names = ("events", "users", "journeys", "unmatched_share")
    return [TotalChange(name, getattr(old.totals, name), getattr(new.totals, name)) for name in names]


def _touchpoints(old: Observed, new: Observed) -> list[TouchpointChange]:
    before = {t.id: t for t in old.touchpoints}
    now = {t.id: t for t in new.touchpoints}
    out = []
    for tp_id in [*now, *(i for i in before if i not in now)]:
        a, b = before.get(tp_id), now.get(tp_id)
        out.append(TouchpointChange(
            tp_id, (b or a).stage,
            a.users if a else None, b.users if b else None,
            a.drop_off if a else None, b.drop_off if b else None,
        ))
    return out


def _segments(old: Observed, new: Observed) -> list[SegmentChange]:
    before = {(c, v.value): v for c, v in old.segment_values()}
    now = {(c, v.value): v for c, v in new.segment_values()}
    out = []
    for key in [*now, *(k for k in before if k not in now)]:
        a, b = before.get(key), now.get(key)
        out.append(SegmentChange(key[0], key[1], a.totals.journeys if a else None, b.totals.journeys if b else None,
                                 tuple(_stage_changes(a.stages if a else [], b.stages if b else []))))
    return out


def _stages(old: Observed, new: Observed) -> list[StageChange]:
    return _stage_changes(old.stages, new.stages)


def _stage_changes(old_stages: list, new_stages: list) -> list[StageChange]:
    before = {s.id: s for s in old_stages}
    now = {s.id: s for s in new_stages}
    out = []
    for stage_id in [*now, *(i for i in before if i not in now)]:
        a, b = before.get(stage_id), now.get(stage_id)
        out.append(StageChange(
            stage_id, a.users if a else None, b.users if b else None,
            a.conversion if a else None, b.conversion if b else None,
        ))
    return out


def _edges(old: Observed, new: Observed, share_change: float) -> list[EdgeChange]:
    def key(edge: Edge) -> tuple[str | None, str | None]:
        return (edge.source, edge.target)

    before = {key(e): e for e in old.edges}
    now = {key(e): e for e in new.edges}
    out = []
    for k in [*now, *(k for k in before if k not in now)]:
        a, b = before.get(k), now.get(k)
        if a is None:
            kind = "appeared"
        elif b is None:
            kind = "disappeared"
        elif abs(b.share - a.share) > share_change + 1e-9:  # 0.35 against 0.30 is 5 points, not 5.0000001
            kind = "changed"
        else:
            continue
        out.append(EdgeChange(k[0], k[1], kind, a.share if a else None, b.share if b else None,
                              a.count if a else None, b.count if b else None))
    return out


def diff_observed(file: str, old: Observed, new: Observed, share_change: float = DEFAULT_SHARE_CHANGE) -> ObservedDiff:
    result = ObservedDiff(
        file=file,
        share_change=share_change,
        notes=_notes(old, new),
        totals=_totals(old, new),
        touchpoints=_touchpoints(old, new),
        stages=_stages(old, new),
        edges=_edges(old, new, share_change),
        segments=_segments(old, new),
    )
    same = (all(t.delta == 0 for t in result.totals) and not result.edges
            and all(t.kind == "unchanged" for t in result.touchpoints)
            and all((s.users_old, s.conversion_old) == (s.users_new, s.conversion_new) for s in result.stages)
            and all(segment.kind == "unchanged" for segment in result.segments))
    if same:
        result.status = "unchanged"
    return result
