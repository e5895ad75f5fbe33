"""The ids of one checked map: where each is defined and every place that names it.

Made from the plain data of a map whose YAML parsed (``cjm.format.check`` says what defines and
what names an id), so it works on a map with schema errors too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FilePath

from cjm.format.check import definitions, references
from cjm.format.diagnostics import Path
from cjm.format.validate import LoadedMap

# personas, stages and touchpoints share one namespace; objectives have their own
NAMESPACE = {"persona": "element", "stage": "element", "touchpoint": "element", "objective": "objective"}


@dataclass(frozen=True)
class Place:
    """One id at one place: its definition (``path`` ends in ``id``) or a reference to it."""

    ident: str
    kind: str  # persona, stage, touchpoint, objective
    path: Path
    at_key: bool = False  # the id is a mapping key (an emotion per persona)
    definition: bool = False


class MapIndex:
    def __init__(self, loaded: LoadedMap):
        self.loaded = loaded
        self.file: FilePath = loaded.path
        data = loaded.data if isinstance(loaded.data, dict) else {}
        self.data = data
        self.defined: list[Place] = [Place(i, k, p, definition=True) for i, k, p in definitions(data)]
        self.named: list[Place] = [Place(i, k, p, at_key) for i, k, p, at_key in references(data)]
        self.at: dict[Path, Place] = {p.path: p for p in (*self.named, *self.defined)}
        self.by_id: dict[tuple[str, str], Place] = {}
        for place in self.defined:
            self.by_id.setdefault((NAMESPACE[place.kind], place.ident), place)
        imports = data.get("imports")
        self.imports: dict[Path, str] = {("imports", i): ref for i, ref in enumerate(imports)
                                         if isinstance(ref, str)} if isinstance(imports, list) else {}

    def definition(self, ident: str, kind: str) -> Place | None:
        place = self.by_id.get((NAMESPACE[kind], ident))
        if place is None or (kind != place.kind and kind != "element"):
            return None
        return place

    def ids(self, kind: str) -> list[Place]:
        return [p for p in self.defined if p.kind == kind]

    def references_to(self, ident: str, kind: str) -> list[Place]:
        return [p for p in self.named if p.ident == ident and NAMESPACE[p.kind] == NAMESPACE[kind]]

    def element(self, place: Place) -> dict:
        """The mapping an id defines (for a definition), {} when the data does not hold one."""
        node: object = self.data
        for part in place.path[:-1]:
            try:
                node = node[part]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                return {}
        return node if isinstance(node, dict) else {}

    def value(self, path: Path) -> object:
        node: object = self.data
        for part in path:
            try:
                node = node[part]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def import_target(self, ref: str) -> FilePath:
        return (self.file.parent / ref).resolve()
