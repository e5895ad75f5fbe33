"""One map file -> a validated map or diagnostics: load, model, imports, check."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from pydantic import ValidationError

from cjm.format.check import check_data
from cjm.format.diagnostics import Diagnostic, Severity, SourceMap
from cjm.format.load import Limits, parse_text
from cjm.format.model import JourneyMap, Persona
from cjm.project import display_name, find_root
from cjm.format.schema_errors import schema_diagnostics, schema_error_paths

if TYPE_CHECKING:
    from cjm.format.imports import FileReader


@dataclass
class LoadedMap:
    """A map file after validation.

    ``journey`` is the model when the data met the schema (None otherwise); ``valid`` says
    whether the file has no errors at all, references and imports included.
    """

    path: Path
    file: str
    source: SourceMap
    journey: JourneyMap | None = None
    imported_personas: list[Persona] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    root: Path | None = None
    data: dict | None = None  # the plain data the YAML holds, when it parses (also for a map with schema errors)

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


@dataclass(frozen=True)
class Verdict:
    """What validating one file concluded, without the map: small enough to keep for thousands of files."""

    file: str
    valid: bool
    diagnostics: tuple[Diagnostic, ...]


def _verdict(path: Path, limits: Limits) -> Verdict:
    loaded = read_map(path, limits)
    return Verdict(loaded.file, loaded.valid, tuple(loaded.diagnostics))


def validate_files(paths: Sequence[Path], limits: Limits = Limits(), jobs: int = 0) -> list[Verdict]:
    """Validate many files, in order; with many files, in ``jobs`` worker processes (0: one per CPU)."""
    from cjm.workers import map_in_workers

    return list(map_in_workers(partial(_verdict, limits=limits), paths, jobs))


def read_bytes(path: Path, limits: Limits = Limits()) -> bytes:
    """A map file's bytes as ``read_map`` reads them: at most one byte past the limit (enough to say it is too big)."""
    return _read_limited(path, limits.max_bytes)


def _read_limited(path: Path, max_bytes: int) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(max_bytes + 1)


def validate_bytes(raw: bytes, path: Path, file: str, limits: Limits = Limits(), root: Path | None = None,
                   reader: FileReader | None = None) -> LoadedMap:
    """Validate one map's bytes; ``path`` is where it lives (imports resolve from it), ``file`` its display name.

    Imported files are read through ``reader`` (default: the disk); a workspace passes itself, so an
    editor's open buffer of a personas file is what the map imports.
    """
    with _gc_paused():
        parsed = parse_text(raw, file, limits)
        loaded = LoadedMap(path, file, parsed.source, diagnostics=list(parsed.diagnostics))
        if parsed.data is None:  # after duplicate keys there is data: keep going, to report the rest
            return loaded
        data = loaded.data = parsed.data
        try:
            journey: JourneyMap | None = JourneyMap.model_validate(data)
            skip: set[tuple] = set()
        except ValidationError as exc:
            # Keep going: imports and references are checked on the plain data, away from the
            # places with schema errors, so one run reports every independent problem.
            journey = None
            loaded.diagnostics.extend(schema_diagnostics(exc, data, parsed.source, file, JourneyMap))
            skip = schema_error_paths(exc, data)
        imports = data.get("imports")
        known: list[Persona] | None = []
        if imports:
            if journey is None and (not isinstance(imports, list) or any(p[:1] == ("imports",) for p in skip)):
                known = None  # the import list itself is broken: the personas it brings are unknown
            else:
                from cjm.format.imports import DISK, resolve_imports  # only maps with imports need it

                loaded.root = root or find_root(path)
                imported = resolve_imports([ref for ref in imports if isinstance(ref, str)], path,
                                           parsed.source, file, loaded.root, limits, reader=reader or DISK)
                loaded.imported_personas = imported.personas
                loaded.diagnostics.extend(imported.diagnostics)
                known = imported.personas if imported.complete else None
        loaded.diagnostics.extend(check_data(data, known, parsed.source, file, skip))
        loaded.journey = journey
    return loaded
