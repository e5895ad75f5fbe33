"""Uniqueness and references: what makes a schema-valid map still invalid."""

from __future__ import annotations

import difflib
from typing import Iterable, Iterator

from cjm.diagnostics import Diagnostic, Path, SourceMap, diagnostic_at
from cjm.model import JourneyMap, Persona


def _suggest(name: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


class _Checker:
    def __init__(self, source: SourceMap, file: str):
        self.source = source
        self.file = file
        self.out: list[Diagnostic] = []

    def error(self, path: Path, code: str, name: str, message: str, hint: str | None = None) -> None:
        self.out.append(diagnostic_at(self.source, self.file, path, code=code, name=name, message=message, hint=hint))

    def unknown(self, path: Path, kind: str, ref: str, known: Iterable[str]) -> None:
        self.error(path, "CJM021", "unknown-reference", f"unknown {kind} '{ref}'", _suggest(ref, known))


def _element_ids(journey: JourneyMap, imported: list[Persona]) -> Iterator[tuple[str, str, Path]]:
    for i, persona in enumerate(journey.personas):
        yield persona.id, "persona", ("personas", i, "id")
    for persona in imported:
        yield persona.id, "imported persona", ("imports",)
    for s, stage in enumerate(journey.stages):
        yield stage.id, "stage", ("stages", s, "id")
        for t, touchpoint in enumerate(stage.touchpoints):
            yield touchpoint.id, "touchpoint", ("stages", s, "touchpoints", t, "id")


def check_map(journey: JourneyMap, imported: list[Persona], source: SourceMap, file: str) -> list[Diagnostic]:
    """Ids unique across personas, stages and touchpoints; every reference resolves."""
    checker = _Checker(source, file)
    first_seen: dict[str, tuple[str, Path]] = {}
    for ident, kind, path in _element_ids(journey, imported):
        if ident in first_seen:
            other_kind, other_path = first_seen[ident]
            line = source.locate(other_path).line
            checker.error(path, "CJM020", "duplicate-id",
                          f"id '{ident}' of this {kind} is already used by a {other_kind} at line {line}",
                          "ids are shared by personas, stages and touchpoints and must be unique")
        else:
            first_seen[ident] = (kind, path)

    objective_ids: dict[str, Path] = {}
    for i, objective in enumerate(journey.objectives):
        if objective.id in objective_ids:
            line = source.locate(objective_ids[objective.id]).line
            checker.error(("objectives", i, "id"), "CJM020", "duplicate-id",
                          f"objective id '{objective.id}' is already used at line {line}")
        objective_ids.setdefault(objective.id, ("objectives", i, "id"))

    persona_ids = {p.id for p in journey.personas} | {p.id for p in imported}
    touchpoint_ids = {t.id for stage in journey.stages for t in stage.touchpoints}
    for s, stage in enumerate(journey.stages):
        for o, ref in enumerate(stage.objectives):
            if ref not in objective_ids:
                checker.unknown(("stages", s, "objectives", o), "objective", ref, objective_ids)
        for t, touchpoint in enumerate(stage.touchpoints):
            base: Path = ("stages", s, "touchpoints", t)
            for n, ref in enumerate(touchpoint.next):
                if ref not in touchpoint_ids:
                    checker.unknown(base + ("next", n), "touchpoint", ref, touchpoint_ids)
            for p, ref in enumerate(touchpoint.personas or []):
                if ref not in persona_ids:
                    checker.unknown(base + ("personas", p), "persona", ref, persona_ids)
            for field in ("emotion", "target_emotion"):
                value = getattr(touchpoint, field)
                if isinstance(value, dict):
                    for ref in value:
                        if ref not in persona_ids:
                            checker.unknown(base + (field, ref), "persona", ref, persona_ids)
    return checker.out
