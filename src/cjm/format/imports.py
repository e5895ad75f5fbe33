"""Imports: personas shared from other map files inside the project root.

Paths are relative POSIX paths, resolved from the importing file with symlinks
followed, and only then required to sit inside the project root. Nothing from a
file outside the root is read, so no error can echo its content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from pydantic import ValidationError

from cjm.format.diagnostics import Diagnostic, SourceMap, diagnostic_at
from cjm.format.load import Limits, parse_text
from cjm.format.model import JourneyMap, Persona
from cjm.project import display_name
from cjm.format.schema_errors import schema_diagnostics

MAX_IMPORT_DEPTH = 8
MAX_IMPORTED_FILES = 64
IMPORT_SUFFIXES = (".yaml", ".yml")


class FileReader(Protocol):
    """Where imported files are read from: the disk, or a workspace whose open buffers win."""

    def is_file(self, path: Path) -> bool: ...

    def read_bytes(self, path: Path) -> bytes: ...


class DiskReader:
    def is_file(self, path: Path) -> bool:
        return path.is_file()

    def read_bytes(self, path: Path) -> bytes:
        return path.read_bytes()


DISK = DiskReader()


@dataclass
class ImportResult:
    personas: list[Persona] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every import was read: ``personas`` holds all the personas the map can refer to."""
        return not self.diagnostics


@dataclass
class _Budget:
    files: int = 0
    bytes: int = 0
    seen: set[Path] = field(default_factory=set)


def _refusal(ref: str) -> str | None:
    if not ref.strip():
        return "an import path is empty"
    if "\\" in ref or (len(ref) > 1 and ref[1] == ":"):
        return f"import '{ref}' must be a relative POSIX path (use '/')"
    if PurePosixPath(ref).is_absolute():
        return f"import '{ref}' must be relative to the importing file, not absolute"
    if not ref.endswith(IMPORT_SUFFIXES):
        return f"import '{ref}' must name a .yaml or .yml file"
    return None


def resolve_imports(imports: list[str], path: Path, source: SourceMap, file: str, root: Path,
                    limits: Limits, _chain: tuple[Path, ...] = (), _budget: _Budget | None = None,
                    reader: FileReader = DISK) -> ImportResult:
    """Load the personas of every file in ``imports`` (the map at ``path``'s list), recursively,
    reading each through ``reader``."""
    result = ImportResult()
    budget = _budget or _Budget()
    chain = _chain or (path.resolve(),)

    def fail(index: int, message: str, hint: str | None = None) -> None:
        result.diagnostics.append(diagnostic_at(source, file, ("imports", index), code="CJM030",
                                                name="import", message=message, hint=hint))

    for index, ref in enumerate(imports):
        refusal = _refusal(ref)
        if refusal:
            fail(index, refusal)
            continue
        target = (path.parent / ref).resolve()
        if target != root and root not in target.parents:
            fail(index, f"import '{ref}' leaves the project root", f"the root is {display_name(root)}")
            continue
        if target in chain:
            cycle = " -> ".join(display_name(p) for p in (*chain, target))
            fail(index, f"import cycle: {cycle}")
            continue
        if len(chain) > MAX_IMPORT_DEPTH:
            fail(index, f"imports nest deeper than {MAX_IMPORT_DEPTH} files")
            continue
        if not reader.is_file(target):
            fail(index, f"imported file '{ref}' {'is not a regular file' if target.exists() else 'does not exist'}")
            continue
        if target in budget.seen:  # imported twice through different files: share it once
            continue
        budget.seen.add(target)
        budget.files += 1
        if budget.files > MAX_IMPORTED_FILES:
            fail(index, f"more than {MAX_IMPORTED_FILES} imported files in all")
            continue
        try:
            raw = reader.read_bytes(target)
        except OSError as exc:
            fail(index, f"cannot read imported file '{ref}': {exc.strerror}")
            continue
        budget.bytes += len(raw)
        if budget.bytes > limits.max_bytes:
            fail(index, f"imported files exceed {limits.max_bytes:,} bytes in all")
            continue
        imported_file = display_name(target)
        parsed = parse_text(raw, imported_file, limits)
        if parsed.data is None or parsed.diagnostics:
            result.diagnostics.extend(parsed.diagnostics)
            fail(index, f"imported file '{ref}' is not a valid map")
            continue
        try:
            imported = JourneyMap.model_validate(parsed.data)
        except ValidationError as exc:
            result.diagnostics.extend(schema_diagnostics(exc, parsed.data, parsed.source, imported_file, JourneyMap))
            fail(index, f"imported file '{ref}' is not a valid map")
            continue
        result.files.append(target)
        nested = resolve_imports(imported.imports, target, parsed.source, imported_file, root, limits,
                                 (*chain, target), budget, reader)
        result.diagnostics.extend(nested.diagnostics)
        if nested.diagnostics and not _chain:  # say so in the file the user named, not only deep down
            fail(index, f"imported file '{ref}' has problems with its own imports")
        result.files.extend(nested.files)
        result.personas.extend(imported.personas)
        result.personas.extend(nested.personas)
    return result
