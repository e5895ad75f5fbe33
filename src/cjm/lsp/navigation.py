"""Go to definition, find references, document and workspace symbols, across imported files.

A map is known to the server as a ``Known``: its index (ids defined and named), how to turn its
positions into the client's (a ``View``), and the files it imports. Open maps come from their
snapshots; closed maps under the workspace folders are read through the workspace.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path as FilePath

from lsprotocol import types

from cjm.lsp.context import View
from cjm.lsp.index import MapIndex, Place


def same_file(a: FilePath, b: FilePath) -> bool:
    return a == b or os.path.realpath(a) == os.path.realpath(b)


@dataclass
class Known:
    uri: str
    index: MapIndex
    view: View
    imports: list[FilePath] = field(default_factory=list)

    def imports_file(self, file: FilePath) -> bool:
        return any(same_file(file, imported) for imported in self.imports)


@dataclass
class Target:
    """The id under the cursor, with the map that defines it (None: defined nowhere known)."""

    place: Place  # where the cursor is
    defined: Known | None
    definition: Place | None


def target_at(here: Known, imported: list[Known], position: types.Position) -> Target | None:
    found = here.view.path_at(position)
    if found is None:
        return None
    path, _on_key = found
    place = here.index.at.get(path)
    if place is None:
        return None
    if place.definition:
        return Target(place, here, place)
    definition = here.index.definition(place.ident, place.kind)
    if definition is not None:
        return Target(place, here, definition)
    if place.kind == "persona":
        for other in imported:
            definition = other.index.definition(place.ident, "persona")
            if definition is not None:
                return Target(place, other, definition)
    return Target(place, None, None)


def import_at(here: Known, position: types.Position) -> FilePath | None:
    found = here.view.path_at(position)
    if found is None or found[0] not in here.index.imports:
        return None
    return here.index.import_target(here.index.imports[found[0]])


def location(known: Known, place: Place) -> types.Location | None:
    found = known.view.path_range(place.path, place.at_key)
    return types.Location(uri=known.uri, range=found) if found is not None else None


def places_of(target: Target, maps: list[Known]) -> list[tuple[Known, Place]]:
    """The definition and every reference of the target's id, in every known map that sees it:
    the defining map, and (for a persona) the maps that import the defining file without defining
    the id themselves."""
    if target.defined is None or target.definition is None:
        return []
    ident, kind = target.definition.ident, target.definition.kind
    out: list[tuple[Known, Place]] = []
    seen: set[str] = set()
    for known in [target.defined, *maps]:
        real = os.path.realpath(known.index.file)
        if real in seen:
            continue
        if same_file(known.index.file, target.defined.index.file):
            seen.add(real)
            out.append((known, target.definition))
            out.extend((known, p) for p in known.index.references_to(ident, kind))
        elif kind == "persona" and known.imports_file(target.defined.index.file) and known.index.definition(ident, kind) is None:
            seen.add(real)
            out.extend((known, p) for p in known.index.references_to(ident, kind))
    return out


SYMBOL_KIND = {"stage": types.SymbolKind.Namespace, "touchpoint": types.SymbolKind.Event,
               "persona": types.SymbolKind.Class, "objective": types.SymbolKind.Constant}


def _name(index: MapIndex, place: Place) -> str:
    element = index.element(place)
    return str(element.get("name") or element.get("statement") or place.ident)


def document_symbols(known: Known) -> list[types.DocumentSymbol]:
    """Stages with their touchpoints, then personas and objectives."""
    index, view = known.index, known.view
    out: list[types.DocumentSymbol] = []
    stages: dict[tuple, types.DocumentSymbol] = {}

    def symbol(place: Place) -> types.DocumentSymbol | None:
        element_path = place.path[:-1]
        whole = view.path_range(element_path) if element_path in view.source.spans else None
        selection = view.path_range(place.path)
        if whole is None or selection is None:
            return None
        if (selection.start.line, selection.start.character) < (whole.start.line, whole.start.character):
            whole = types.Range(start=selection.start, end=whole.end)
        return types.DocumentSymbol(name=_name(index, place), detail=f"{place.kind} {place.ident}",
                                    kind=SYMBOL_KIND[place.kind], range=whole, selection_range=selection, children=[])

    for place in index.defined:
        if place.kind == "stage":
            made = symbol(place)
            if made is not None:
                stages[place.path[:2]] = made
                out.append(made)
    for place in index.defined:
        if place.kind == "touchpoint":
            made = symbol(place)
            parent = stages.get(place.path[:2])
            if made is not None and parent is not None:
                parent.children.append(made)
    for kind in ("persona", "objective"):
        for place in index.defined:
            if place.kind == kind:
                made = symbol(place)
                if made is not None:
                    out.append(made)
    return out


def _matches(query: str, *names: str) -> bool:
    """Every character of the query, in order, in one of the names (case-insensitive)."""
    query = query.lower()
    for name in names:
        at = 0
        name = name.lower()
        for char in query:
            at = name.find(char, at) + 1
            if not at:
                break
        else:
            return True
    return False


def workspace_symbols(query: str, maps: list[Known], limit: int = 500) -> list[types.WorkspaceSymbol]:
    out: list[types.WorkspaceSymbol] = []
    for known in maps:
        title = str(known.index.data.get("id") or known.index.file.name)
        for place in known.index.defined:
            name = _name(known.index, place)
            if query and not _matches(query, place.ident, name):
                continue
            where = known.view.path_range(place.path)
            if where is None:
                continue
            out.append(types.WorkspaceSymbol(name=f"{place.ident} ({name})" if name != place.ident else name,
                                             kind=SYMBOL_KIND[place.kind], container_name=title,
                                             location=types.Location(uri=known.uri, range=where)))
            if len(out) >= limit:
                return out
    return out
