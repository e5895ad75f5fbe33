"""A semantic diff of two versions of a map: what changed for the customer, not which lines."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Iterable

from cjm.format.diagnostics import Diagnostic, Severity
from cjm.journey import Journey, Step


@dataclass(frozen=True)
class Change:
    """An element added, removed, renamed or moved."""

    kind: str  # added | removed | renamed | moved
    element: str  # stage | touchpoint
    id: str
    name: str
    detail: str = ""


@dataclass(frozen=True)
class EmotionChange:
    touchpoint: str
    persona: str | None
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old


@dataclass(frozen=True)
class StageAverage:
    stage: str
    name: str
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else round(self.new - self.old, 3)


@dataclass(frozen=True)
class TextChange:
    """A pain point or opportunity that appeared or went away at a touchpoint."""

    kind: str  # added | resolved
    field: str  # pains | opportunities
    touchpoint: str
    text: str


@dataclass(frozen=True)
class MetricChange:
    touchpoint: str
    metric: str
    old: float | None
    new: float | None
    target: float | None
    trend: str  # toward | away | unchanged | new | removed | no-target


@dataclass(frozen=True)
class FindingChange:
    kind: str  # introduced | fixed
    code: str
    severity: str
    message: str


@dataclass
class MapDiff:
    file: str
    status: str = "changed"  # changed | added | deleted | unchanged
    elements: list[Change] = field(default_factory=list)
    emotions: list[EmotionChange] = field(default_factory=list)
    stage_averages: list[StageAverage] = field(default_factory=list)
    texts: list[TextChange] = field(default_factory=list)
    metrics: list[MetricChange] = field(default_factory=list)
    moments: list[Change] = field(default_factory=list)
    findings: list[FindingChange] = field(default_factory=list)

    @property
    def emotion_drops(self) -> list[EmotionChange]:
        return [e for e in self.emotions if e.delta is not None and e.delta < 0]

    @property
    def new_errors(self) -> list[FindingChange]:
        return [f for f in self.findings if f.kind == "introduced" and f.severity == Severity.error.value]

    @property
    def regressed(self) -> bool:
        return bool(self.emotion_drops or self.new_errors)

    @property
    def empty(self) -> bool:
        return not any((self.elements, self.emotions, self.texts, self.metrics, self.moments, self.findings)) and not any(
            s.delta for s in self.stage_averages)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["regressed"] = self.regressed
        for item, change in zip(out["emotions"], self.emotions):
            item["delta"] = change.delta
        for item, change in zip(out["stage_averages"], self.stage_averages):
            item["delta"] = change.delta
        return out


def _element_changes(old: Journey, new: Journey) -> list[Change]:
    out: list[Change] = []
    old_stages = {s.id: (i, s) for i, s in enumerate(old.map.stages)}
    new_stages = {s.id: (i, s) for i, s in enumerate(new.map.stages)}
    for sid, (_, stage) in new_stages.items():
        if sid not in old_stages:
            out.append(Change("added", "stage", sid, stage.name))
        elif old_stages[sid][1].name != stage.name:
            out.append(Change("renamed", "stage", sid, stage.name, f"was '{old_stages[sid][1].name}'"))
    out.extend(Change("removed", "stage", sid, stage.name) for sid, (_, stage) in old_stages.items() if sid not in new_stages)
    kept_old = [sid for sid in old_stages if sid in new_stages]
    kept_new = [sid for sid in new_stages if sid in old_stages]
    if kept_old != kept_new:
        out.append(Change("moved", "stage", "", "", "stage order: " + " → ".join(kept_new)))
    for tid, step in new.by_id.items():
        before = old.by_id.get(tid)
        if before is None:
            out.append(Change("added", "touchpoint", tid, step.touchpoint.name, f"in stage '{step.stage.id}'"))
            continue
        if before.touchpoint.name != step.touchpoint.name:
            out.append(Change("renamed", "touchpoint", tid, step.touchpoint.name, f"was '{before.touchpoint.name}'"))
        if before.stage.id != step.stage.id:
            out.append(Change("moved", "touchpoint", tid, step.touchpoint.name, f"from stage '{before.stage.id}' to '{step.stage.id}'"))
    out.extend(Change("removed", "touchpoint", tid, step.touchpoint.name, f"from stage '{step.stage.id}'")
               for tid, step in old.by_id.items() if tid not in new.by_id)
    return out


def _scores(journey: Journey, step: Step) -> dict[str | None, float | None]:
    return {p: journey.emotion(step, p) for p in (journey.personas_at(step) or [None])}


def _emotion_changes(old: Journey, new: Journey) -> list[EmotionChange]:
    out: list[EmotionChange] = []
    for tid, step in new.by_id.items():
        before = old.by_id.get(tid)
        if before is None:
            continue
        old_scores, new_scores = _scores(old, before), _scores(new, step)
        for persona in dict.fromkeys([*old_scores, *new_scores]):
            a, b = old_scores.get(persona), new_scores.get(persona)
            if a != b:
                out.append(EmotionChange(tid, persona, a, b))
    return out


def _stage_averages(old: Journey, new: Journey) -> list[StageAverage]:
    old_index = {s.id: i for i, s in enumerate(old.map.stages)}
    out = []
    for i, stage in enumerate(new.map.stages):
        before = old.stage_average(old_index[stage.id]) if stage.id in old_index else None
        out.append(StageAverage(stage.id, stage.name, before, new.stage_average(i)))
    return out


def _text_changes(old: Journey, new: Journey) -> list[TextChange]:
    out: list[TextChange] = []
    for field_name in ("pains", "opportunities"):
        for tid in dict.fromkeys([*old.by_id, *new.by_id]):
            a = set(getattr(old.by_id[tid].touchpoint, field_name)) if tid in old.by_id else set()
            b = set(getattr(new.by_id[tid].touchpoint, field_name)) if tid in new.by_id else set()
            out.extend(TextChange("added", field_name, tid, text) for text in sorted(b - a))
            out.extend(TextChange("resolved", field_name, tid, text) for text in sorted(a - b))
    return out


def _trend(old: float | None, new: float | None, target: float | None, lower_is_better: bool) -> str:
    if target is None:
        return "no-target"
    if old is None or new is None or old == new:
        return "unchanged"
    closer = abs(new - target) < abs(old - target)
    return "toward" if closer else "away"


def _metric_changes(old: Journey, new: Journey) -> list[MetricChange]:
    out: list[MetricChange] = []
    for tid in dict.fromkeys([*old.by_id, *new.by_id]):
        a = {m.name: m for m in old.by_id[tid].touchpoint.metrics} if tid in old.by_id else {}
        b = {m.name: m for m in new.by_id[tid].touchpoint.metrics} if tid in new.by_id else {}
        for name in dict.fromkeys([*a, *b]):
            before, after = a.get(name), b.get(name)
            if after is None:
                out.append(MetricChange(tid, name, before.value, None, before.target, "removed"))
            elif before is None:
                out.append(MetricChange(tid, name, None, after.value, after.target, "new"))
            elif (before.value, before.target) != (after.value, after.target):
                trend = _trend(before.value, after.value, after.target, after.direction.value == "lower")
                out.append(MetricChange(tid, name, before.value, after.value, after.target, trend))
    return out


def _moment_changes(old: Journey, new: Journey) -> list[Change]:
    out = []
    for tid, step in new.by_id.items():
        was = old.by_id[tid].touchpoint.moment_of_truth if tid in old.by_id else False
        if step.touchpoint.moment_of_truth and not was:
            out.append(Change("gained", "moment of truth", tid, step.touchpoint.name))
    for tid, step in old.by_id.items():
        now = new.by_id[tid].touchpoint.moment_of_truth if tid in new.by_id else False
        if step.touchpoint.moment_of_truth and not now:
            out.append(Change("lost", "moment of truth", tid, step.touchpoint.name))
    return out


def _finding_key(diag: Diagnostic) -> tuple[str, str, str]:
    return (diag.code, diag.severity.value, diag.message)


def finding_changes(old: Iterable[Diagnostic], new: Iterable[Diagnostic]) -> list[FindingChange]:
    """Findings compared by code and message (line numbers move when a map is edited)."""
    a, b = Counter(map(_finding_key, old)), Counter(map(_finding_key, new))
    out = [FindingChange("introduced", *key) for key in sorted((b - a).elements())]
    out += [FindingChange("fixed", *key) for key in sorted((a - b).elements())]
    return out


def diff_journeys(file: str, old: Journey, new: Journey,
                  old_findings: Iterable[Diagnostic] = (), new_findings: Iterable[Diagnostic] = ()) -> MapDiff:
    result = MapDiff(
        file=file,
        elements=_element_changes(old, new),
        emotions=_emotion_changes(old, new),
        stage_averages=_stage_averages(old, new),
        texts=_text_changes(old, new),
        metrics=_metric_changes(old, new),
        moments=_moment_changes(old, new),
        findings=finding_changes(old_findings, new_findings),
    )
    if result.empty:
        result.status = "unchanged"
    return result
