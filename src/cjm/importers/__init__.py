"""Importers: other journey formats -> a valid map, as YAML text.

An importer reads bytes and returns an ``ImportResult``: the map's YAML text, or diagnostics with
file:line:col in the input when it is not what the importer reads. ``IMPORTERS`` maps the name
used on the command line (``cjm import <name> FILE``) to the module that holds ``import_bytes``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType

from cjm.format.diagnostics import Diagnostic

IMPORTERS: dict[str, str] = {
    "mermaid": "cjm.importers.mermaid",
}


@dataclass
class ImportResult:
    yaml_text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.yaml_text is not None and not self.diagnostics


def importer(name: str) -> ModuleType:
    return importlib.import_module(IMPORTERS[name])
