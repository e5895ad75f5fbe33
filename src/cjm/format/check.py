"""Uniqueness and references: what makes a schema-valid map still invalid.

The checks read the plain data the loader built, not the models, so they also
run on a map with schema errors and one run reports every independent problem.
Places that already have a schema error are skipped (``skip``), so a bad id is
reported once, as a schema error, and not again as an unknown reference.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Collection, Iterable, Iterator

from cjm.format.diagnostics import Diagnostic, Path, SourceMap, diagnostic_at
from cjm.format.model import LABELLED_KEYS, JourneyMap, Persona

EMOTION_FIELDS = ("emotion", "target_emotion")
MAX_SUGGESTIONS = 50  # "did you mean" hints per file


def _suggest(name: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _items(value: Any) -> list:
    return value if isinstance(value, list) else []


def _mappings(value: Any, base: Path) -> Iterator[tuple[Path, dict]]:
    for index, item in enumerate(_items(value)):
        if isinstance(item, dict):
            yield (*base, index), item


def _refs(value: Any, base: Path) -> Iterator[tuple[Path, str]]:
    for index, item in enumerate(_items(value)):
        if isinstance(item, str):
            yield (*base, index), item


class _Checker:
    def __init__(self, source: SourceMap, file: str, skip: Collection[Path]):
        self.source = source
        self.file = file
        self.skip = set(skip)
        self.around_skip = {error[:n] for error in self.skip for n in range(len(error) + 1)}
        self.out: list[Diagnostic] = []
        self.suggestions = 0

    def skipped(self, path: Path) -> bool:
        """True when a schema error sits at ``path``, above it, or inside it."""
        if not self.skip:
            return False
        return path in self.around_skip or any(path[:n] in self.skip for n in range(len(path)))

    def error(self, path: Path, code: str, name: str, message: str, hint: str | None = None, at_key: bool = False) -> None:
        if not self.skipped(path):
            self.out.append(diagnostic_at(self.source, self.file, path, code=code, name=name,
                                          message=message, hint=hint, at_key=at_key))

    def unknown(self, path: Path, kind: str, ref: str, known: Iterable[str], at_key: bool = False) -> None:
        # Each suggestion compares with every id: in a map with thousands of bad references,
        # only the first ones get one, so the run stays linear.
        self.suggestions += 1
        hint = _suggest(ref, known) if self.suggestions <= MAX_SUGGESTIONS else None
        self.error(path, "CJM021", "unknown-reference", f"unknown {kind} '{ref}'", hint, at_key)


def _element_ids(data: dict, imported: list[Persona]) -> Iterator[tuple[str, str, Path]]:
    for path, persona in _mappings(data.get("personas"), ("personas",)):
        yield persona.get("id"), "persona", (*path, "id")
    for persona in imported:
        yield persona.id, "imported persona", ("imports",)
    for stage_path, stage in _mappings(data.get("stages"), ("stages",)):
        yield stage.get("id"), "stage", (*stage_path, "id")
        for path, touchpoint in _mappings(stage.get("touchpoints"), (*stage_path, "touchpoints")):
            yield touchpoint.get("id"), "touchpoint", (*path, "id")


SUGGESTION = re.compile(r"did you mean '(?P<id>[^']+)'\?")


def suggested(hint: str | None) -> str | None:
    """The id a "did you mean" hint of :func:`check_data` proposes, if any."""
    match = SUGGESTION.search(hint or "")
    return match.group("id") if match else None


# What an id names, by the element kind that defines it: ids are shared by personas, stages and
# touchpoints; objectives have ids of their own.
REFERENCE_KINDS = {"next": "touchpoint", "personas": "persona", "objectives": "objective"}


def definitions(data: dict) -> Iterator[tuple[str, str, Path]]:
    """(id, kind, path of the ``id`` value) of every element the map itself defines: objectives,
    personas, stages and touchpoints, in file order."""
    for path, objective in _mappings(data.get("objectives"), ("objectives",)):
        if isinstance(objective.get("id"), str):
            yield objective["id"], "objective", (*path, "id")
    for ident, kind, path in _element_ids(data, []):
        if isinstance(ident, str):
            yield ident, kind, path


def references(data: dict) -> Iterator[tuple[str, str, Path, bool]]:
    """(id, kind it names, path, at_key) of every place that names an id: ``next``, a touchpoint's
    ``personas``, the persona keys of its emotions, a stage's ``objectives``. ``at_key`` is True
    where the id is a mapping key (an emotion per persona)."""
    for stage_path, stage in _mappings(data.get("stages"), ("stages",)):
        for path, ref in _refs(stage.get("objectives"), (*stage_path, "objectives")):
            yield ref, "objective", path, False
        for base, touchpoint in _mappings(stage.get("touchpoints"), (*stage_path, "touchpoints")):
            for path, ref in _refs(touchpoint.get("next"), (*base, "next")):
                yield ref, "touchpoint", path, False
            for path, ref in _refs(touchpoint.get("personas"), (*base, "personas")):
                yield ref, "persona", path, False
            for field in EMOTION_FIELDS:
                value = touchpoint.get(field)
                if isinstance(value, dict) and not LABELLED_KEYS & value.keys():
                    for ref in value:
                        if isinstance(ref, str):
                            yield ref, "persona", (*base, field, ref), True


def check_data(data: dict, imported: list[Persona] | None, source: SourceMap, file: str,
               skip: Collection[Path] = ()) -> list[Diagnostic]:
    """Ids unique across personas, stages and touchpoints; every reference resolves.

    ``imported`` is None when the imported personas are not known (an import failed):
    persona references are then not checked rather than reported falsely.
    """
    checker = _Checker(source, file, skip)
    first_seen: dict[str, tuple[str, Path]] = {}
    for ident, kind, path in _element_ids(data, imported or []):
        if not isinstance(ident, str) or checker.skipped(path):
            continue
        if ident in first_seen:
            other_kind, other_path = first_seen[ident]
            line = source.locate(other_path).line
            checker.error(path, "CJM020", "duplicate-id",
                          f"id '{ident}' of this {kind} is already used by a {other_kind} at line {line}",
                          "ids are shared by personas, stages and touchpoints and must be unique")
        else:
            first_seen[ident] = (kind, path)

    objective_ids: dict[str, Path] = {}
    for path, objective in _mappings(data.get("objectives"), ("objectives",)):
        ident = objective.get("id")
        if not isinstance(ident, str):
            continue
        if ident in objective_ids:
            line = source.locate(objective_ids[ident]).line
            checker.error((*path, "id"), "CJM020", "duplicate-id", f"objective id '{ident}' is already used at line {line}")
        objective_ids.setdefault(ident, (*path, "id"))

    elements = [(ident, kind) for ident, kind, _ in _element_ids(data, imported or []) if isinstance(ident, str)]
    persona_ids = {ident for ident, kind in elements if kind.endswith("persona")}
    touchpoint_ids = {ident for ident, kind in elements if kind == "touchpoint"}
    for stage_path, stage in _mappings(data.get("stages"), ("stages",)):
        for path, ref in _refs(stage.get("objectives"), (*stage_path, "objectives")):
            if ref not in objective_ids:
                checker.unknown(path, "objective", ref, objective_ids)
        for base, touchpoint in _mappings(stage.get("touchpoints"), (*stage_path, "touchpoints")):
            for path, ref in _refs(touchpoint.get("next"), (*base, "next")):
                if ref not in touchpoint_ids:
                    checker.unknown(path, "touchpoint", ref, touchpoint_ids)
            if imported is None:
                continue
            for path, ref in _refs(touchpoint.get("personas"), (*base, "personas")):
                if ref not in persona_ids:
                    checker.unknown(path, "persona", ref, persona_ids)
            for field in EMOTION_FIELDS:
                value = touchpoint.get(field)
                if isinstance(value, dict) and not LABELLED_KEYS & value.keys():  # per-persona scores
                    for ref in value:
                        if ref not in persona_ids:
                            checker.unknown((*base, field, ref), "persona", ref, persona_ids, at_key=True)
    analytics = data.get("analytics")
    if isinstance(analytics, dict) and not checker.skipped(("analytics",)):
        _check_where_columns(checker, data, analytics)
    return checker.out


def _check_where_columns(checker: _Checker, data: dict, analytics: dict) -> None:
    """Every ``where`` tests a column the analytics block provides (its properties, or ``event``)."""
    from cjm.evidence.presets import testable_columns

    known = testable_columns(analytics)
    for stage_path, stage in _mappings(data.get("stages"), ("stages",)):
        for base, touchpoint in _mappings(stage.get("touchpoints"), (*stage_path, "touchpoints")):
            for matcher_path, matcher in _mappings(touchpoint.get("events"), (*base, "events")):
                for path, condition in _mappings(matcher.get("where"), (*matcher_path, "where")):
                    column = condition.get("property")
                    if isinstance(column, str) and column not in known:
                        checker.suggestions += 1
                        hint = _suggest(column, known) if checker.suggestions <= MAX_SUGGESTIONS else None
                        checker.error((*path, "property"), "CJM021", "unknown-reference",
                                      f"unknown column '{column}': `where` tests `event` or a property of `analytics`",
                                      hint or f"add it to `analytics.columns.properties`; testable now: {', '.join(known)}")


def check_map(journey: JourneyMap, imported: list[Persona], source: SourceMap, file: str) -> list[Diagnostic]:
    """The same checks on a validated map."""
    return check_data(journey.model_dump(), imported, source, file)
