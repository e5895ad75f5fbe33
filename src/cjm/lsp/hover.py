"""Hover: a field's description from the model; what an id names (name, stage, channel, emotion
per persona, pains); the rule behind a diagnostic, with its documentation."""

from __future__ import annotations

from functools import lru_cache

from cjm.format.diagnostics import Diagnostic, Path
from cjm.lsp import schema
from cjm.lsp.analysis import Snapshot
from cjm.lsp.index import MapIndex, Place


def field_text(path: Path) -> str | None:
    """The description of the field named by the last part of ``path``."""
    if not path or not isinstance(path[-1], str):
        return None
    node = schema.fields_at(path[:-1]).get(path[-1])
    if node is None:
        return None
    return f"**{path[-1]}** ({schema.type_name(node)})\n\n{schema.description(node)}"


def _emotion(value: object) -> str:
    if isinstance(value, dict) and "score" in value:
        label = f" ({value['label']})" if value.get("label") else ""
        return f"{value['score']}{label} for every persona"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return f"{value} for every persona" if value is not None else ""


def id_text(place: Place, index: MapIndex, snapshot: Snapshot | None) -> str:
    """What the id names, from the index of the file that defines it."""
    element = index.element(place)
    name = element.get("name") or element.get("statement") or ""
    lines = [f"**{place.kind} `{place.ident}`**" + (f": {name}" if name else "")]
    where = index.file.name if snapshot is None or index.file != snapshot.path else None
    if place.kind == "touchpoint":
        stage = index.element(Place("", "stage", (*place.path[:2], "id")))
        lines.append(f"- stage: {stage.get('name') or stage.get('id') or '?'}")
        if element.get("channel"):
            lines.append(f"- channel: {element['channel']}")
        emotions = _emotions(place, index, snapshot)
        if emotions:
            lines.append(f"- emotion: {emotions}")
        pains = [p for p in element.get("pains") or [] if isinstance(p, str)] if isinstance(element.get("pains"), list) else []
        if pains:
            lines.append("- pains: " + "; ".join(pains))
    elif place.kind == "persona":
        if element.get("description"):
            lines.append(str(element["description"]).strip())
    elif place.kind == "stage":
        touchpoints = element.get("touchpoints")
        if element.get("kind"):
            lines.append(f"- kind: {element['kind']}")
        lines.append(f"- touchpoints: {len(touchpoints) if isinstance(touchpoints, list) else 0}")
    elif place.kind == "objective":
        if element.get("metric"):
            lines.append(f"- metric: {element['metric']}")
        if element.get("baseline") is not None or element.get("target") is not None:
            lines.append(f"- from {element.get('baseline', '?')} to {element.get('target', '?')} {element.get('unit') or ''}".rstrip())
    if where:
        lines.append(f"\n(defined in {where})")
    return "\n".join(lines)


def _emotions(place: Place, index: MapIndex, snapshot: Snapshot | None) -> str:
    """Each persona's emotion at a touchpoint, as the map's derived views say, when the map is valid."""
    journey = snapshot.journey if snapshot is not None and index.file == snapshot.path else None
    if journey is not None and place.ident in journey.by_id:
        step = journey.by_id[place.ident]
        parts = []
        for persona in journey.personas_at(step):
            score = journey.emotion(step, persona)
            parts.append(f"{persona} {score:+g}" if score is not None else f"{persona} none")
        if parts:
            return ", ".join(parts)
    return _emotion(index.element(place).get("emotion"))


@lru_cache(maxsize=1)
def _codes() -> dict[str, tuple[str, str, str]]:
    from cjm.lint.select import VALIDATION_CODES, catalog

    out = {code: (name, summary, "") for code, (name, summary) in VALIDATION_CODES.items()}
    out.update({code: (info.name, info.summary, info.doc) for code, info in catalog().items()})
    return out


def rule_text(diag: Diagnostic, docs_base: str | None) -> str:
    """The finding, its rule's summary and documentation (the rule's own text, with its examples),
    and the address of its page."""
    from cjm.links import rule_url

    name, summary, doc = _codes().get(diag.code, (diag.name, "", ""))
    text = f"**{diag.code}** {name}: {diag.message}"
    if diag.hint:
        text += f"\n\nHint: {diag.hint}"
    if summary:
        text += f"\n\n{summary}"
    if doc and doc.strip() != summary.strip():
        text += f"\n\n{doc}"
    return text + f"\n\n[Documentation of {diag.code}]({rule_url(diag.code, docs_base)})"
