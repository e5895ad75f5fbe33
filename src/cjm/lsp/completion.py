"""Completion: field names where a key goes, the values a field takes (channel, medium, kind,
booleans ...), and ids where ids go (touchpoints in ``next``, personas in ``personas`` and as
emotion keys, objectives in a stage's ``objectives``, map files in ``imports``)."""

from __future__ import annotations

from lsprotocol import types

from cjm.format.check import EMOTION_FIELDS, REFERENCE_KINDS, definitions
from cjm.format.diagnostics import Path
from cjm.format.model import KNOWN_CHANNELS
from cjm.lsp import schema
from cjm.lsp.analysis import Snapshot
from cjm.lsp.context import MARK, Completing


def _value(data: object, path: Path) -> object:
    for part in path:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _id_kind(path: Path) -> str | None:
    """The kind of id a list (or mapping) at ``path`` holds, if it holds ids."""
    if not path or not isinstance(path[-1], str):
        return None
    if path[-1] in EMOTION_FIELDS and len(path) == 5:
        return "persona"
    if path[-1] in REFERENCE_KINDS and not schema.item_fields_at(path):
        return REFERENCE_KINDS[path[-1]]
    return None


def _ids(kind: str, context: Completing, snapshot: Snapshot | None) -> list[tuple[str, str]]:
    """(id, what it is) of every ``kind`` the map (as typed) and its imports define."""
    out = {ident: kind for ident, k, _ in definitions(context.data) if k == kind}
    details = {ident: _name(context.data, path) for ident, k, path in definitions(context.data) if k == kind}
    if kind == "persona" and snapshot is not None:
        for index in snapshot.imported_indexes:
            for place in index.ids("persona"):
                out.setdefault(place.ident, "imported persona")
                details.setdefault(place.ident, str(index.element(place).get("name") or ""))
    out.pop(MARK, None)
    return [(ident, details.get(ident) or out[ident]) for ident in out]


def _name(data: dict, path: Path) -> str:
    element = _value(data, path[:-1])
    return str(element.get("name") or element.get("statement") or "") if isinstance(element, dict) else ""


def _present(context: Completing, path: Path) -> set[str]:
    value = _value(context.data, path)
    if isinstance(value, dict):
        return {str(k) for k in value}
    if isinstance(value, list):
        return {str(v) for v in value if isinstance(v, str)}
    return set()


def items(context: Completing, snapshot: Snapshot | None) -> list[types.CompletionItem]:
    path = context.path
    if context.role == "key":
        kind = _id_kind(path)
        if kind is not None:
            return _id_items(kind, context, snapshot, exclude=_present(context, path), suffix=": " if kind == "persona" and path[-1] in EMOTION_FIELDS else "")
        return _field_items(path, exclude=_present(context, path) - {MARK})
    if context.role == "item":
        parent = path[:-1]
        kind = _id_kind(parent)
        if kind is not None:
            return _id_items(kind, context, snapshot, exclude=_present(context, parent) - {MARK})
        if parent and parent[-1] == "imports":
            return _file_items(snapshot)
        return _field_items(path, exclude=set())
    if context.role in ("flow-list", "flow-map"):
        kind = _id_kind(path)
        if kind is None:
            return []
        typed = {part.strip().split(":")[0] for part in context.typed.strip("[]{}").split(",")}
        typed.discard(context.prefix)
        return _id_items(kind, context, snapshot, exclude=typed, suffix=": " if context.role == "flow-map" else "")
    # a scalar value
    key = path[-1] if path else None
    if key == "channel":
        return [types.CompletionItem(label=c, kind=types.CompletionItemKind.EnumMember, detail="known channel")
                for c in KNOWN_CHANNELS]
    kind = _id_kind(path)
    if kind is not None:
        return _id_items(kind, context, snapshot, exclude=set())
    values = schema.values_at(path)
    return [types.CompletionItem(label=v, kind=types.CompletionItemKind.EnumMember) for v in values]


def _field_items(path: Path, exclude: set[str]) -> list[types.CompletionItem]:
    fields = schema.fields_at(path)
    required = schema.required_at(path)
    out = []
    for order, (name, node) in enumerate(fields.items()):
        if name in exclude:
            continue
        is_list = any(n.get("type") == "array" for n in schema.options(node))
        is_object = not is_list and any(n.get("properties") for n in schema.options(node))
        out.append(types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.Field,
            detail=schema.type_name(node) + (" (required)" if name in required else ""),
            documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=schema.description(node)),
            insert_text=f"{name}:" + ("" if is_list or is_object else " "),
            sort_text=f"{0 if name in required else 1}{order:03d}",
        ))
    return out


def _id_items(kind: str, context: Completing, snapshot: Snapshot | None, exclude: set[str], suffix: str = "") -> list[types.CompletionItem]:
    return [types.CompletionItem(label=ident, kind=types.CompletionItemKind.Reference, detail=f"{kind}: {detail}" if detail != kind else kind,
                                 insert_text=ident + suffix)
            for ident, detail in _ids(kind, context, snapshot) if ident not in exclude]


def _file_items(snapshot: Snapshot | None) -> list[types.CompletionItem]:
    """Map files below the map's folder (as ``cjm validate FOLDER`` finds them), relative to it."""
    if snapshot is None:
        return []
    from cjm.project import discover_maps

    here = snapshot.path.parent
    try:
        found = discover_maps([here])[:200]
    except (OSError, ValueError):
        return []
    return [types.CompletionItem(label=file.relative_to(here).as_posix(), kind=types.CompletionItemKind.File)
            for file in found if file.resolve() != snapshot.path.resolve()]
