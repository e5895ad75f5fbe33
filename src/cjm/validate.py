"""One map file -> a validated map or diagnostics: load, model, imports, check."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from pydantic import ValidationError

from cjm.check import check_map
from cjm.diagnostics import Diagnostic, Severity, SourceMap
from cjm.imports import resolve_imports
from cjm.load import Limits, parse_text
from cjm.model import JourneyMap, Persona
from cjm.project import display_name, find_root
from cjm.schema_errors import schema_diagnostics


@dataclass
class LoadedMap:
    """A map file after validation; ``journey`` is None when the map is invalid."""

    path: Path
    file: str
    source: SourceMap
    journey: JourneyMap | None = None
    imported_personas: list[Persona] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    root: Path | None = None

    @property
    def valid(self) -> bool:
        return self.journey is not None and not any(d.severity is Severity.error for d in self.diagnostics)

    @property
    def personas(self) -> list[Persona]:
        """The map's own personas and those it imports."""
        own = self.journey.personas if self.journey else []
        return [*own, *self.imported_personas]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building many small objects triggers collections that find nothing; pause them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_map(path: Path, limits: Limits = Limits()) -> LoadedMap:
    file = display_name(path)
    try:
        raw = _read_limited(path, limits.max_bytes)
    except OSError as exc:
        return LoadedMap(path, file, SourceMap(), diagnostics=[
            Diagnostic("CJM000", "unreadable", f"cannot read file: {exc.strerror or exc}", file)])
    return validate_bytes(raw, path, file, limits)


def _read_limited(path: Path, max_bytes: int) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(max_bytes + 1)


def validate_bytes(raw: bytes, path: Path, file: str, limits: Limits = Limits(), root: Path | None = None) -> LoadedMap:
    with _gc_paused():
        parsed = parse_text(raw, file, limits)
        loaded = LoadedMap(path, file, parsed.source, diagnostics=list(parsed.diagnostics))
        if parsed.data is None or parsed.diagnostics:
            return loaded
        try:
            journey = JourneyMap.model_validate(parsed.data)
        except ValidationError as exc:
            loaded.diagnostics.extend(schema_diagnostics(exc, parsed.data, parsed.source, file, JourneyMap))
            return loaded
        if journey.imports:
            loaded.root = root or find_root(path)
            imported = resolve_imports(journey, path, parsed.source, file, loaded.root, limits)
            loaded.imported_personas = imported.personas
            loaded.diagnostics.extend(imported.diagnostics)
        loaded.diagnostics.extend(check_map(journey, loaded.imported_personas, parsed.source, file))
        loaded.journey = journey
    return loaded
