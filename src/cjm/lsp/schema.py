"""Fields, their descriptions and their values, read from the format's JSON Schema (which is made
from the models, so the descriptions are the models' own)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cjm.format.diagnostics import Path


@lru_cache(maxsize=1)
def _schema() -> dict:
    from cjm.format.schema import map_schema

    return map_schema()


def _options(node: Any, depth: int = 0) -> list[dict]:
    """The concrete alternatives of a schema node: references followed, anyOf/oneOf/allOf opened."""
    if not isinstance(node, dict) or depth > 8:
        return []
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        target = _schema()["definitions"].get(ref.rsplit("/", 1)[1])
        merged = {**(target or {}), **{k: v for k, v in node.items() if k != "$ref"}}
        return _options(merged, depth + 1)
    out: list[dict] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in node.get(key, []):
            for concrete in _options(option, depth + 1):
                # an alternative without its own words takes the words of the field around it
                if "description" not in concrete and "description" in node:
                    concrete = {**concrete, "description": node["description"]}
                out.append(concrete)
    if out:
        return out
    return [node]


def options(node: Any) -> list[dict]:
    """The concrete alternatives of a schema node (public name of ``_options``)."""
    return _options(node)


def nodes_at(path: Path) -> list[dict]:
    """Every schema alternative for the value at a model path (empty where the format has none)."""
    nodes = _options(_schema())
    for part in path:
        following: list[dict] = []
        for node in nodes:
            if isinstance(part, int):
                if "items" in node:
                    following.extend(_options(node["items"]))
            else:
                properties = node.get("properties", {})
                if part in properties:
                    following.extend(_options(properties[part]))
                elif isinstance(node.get("additionalProperties"), dict):
                    following.extend(_options(node["additionalProperties"]))
                elif node.get("patternProperties"):
                    for value in node["patternProperties"].values():
                        following.extend(_options(value))
        nodes = following
        if not nodes:
            return []
    return nodes


def fields_at(path: Path) -> dict[str, dict]:
    """The named fields of the mapping at a model path: name -> schema node."""
    out: dict[str, dict] = {}
    for node in nodes_at(path):
        for name, value in node.get("properties", {}).items():
            out.setdefault(name, value)
    return out


def item_fields_at(path: Path) -> dict[str, dict]:
    """The fields of the items of the list at a model path (a list of mappings), else empty."""
    return fields_at((*path, 0))


def required_at(path: Path) -> set[str]:
    return {name for node in nodes_at(path) for name in node.get("required", [])}


def description(node: dict) -> str:
    for option in [node, *_options(node)]:
        if option.get("description"):
            return option["description"]
    return ""


def type_name(node: dict) -> str:
    names: list[str] = []
    for option in _options(node):
        kind = option.get("type")
        if kind == "array":
            items = _options(option.get("items", {}))
            inner = items[0].get("title") or items[0].get("type", "value") if items else "value"
            names.append(f"list of {inner}")
        elif option.get("enum"):
            names.append(" | ".join(str(v) for v in option["enum"]))
        elif kind == "object" and option.get("title") and option.get("properties"):
            names.append(option["title"])
        elif kind == "object":
            names.append("mapping")
        elif kind == "null":
            continue
        elif kind:
            names.append(str(kind))
        elif "const" in option:
            names.append(str(option["const"]))
    return " or ".join(dict.fromkeys(names)) or "value"


def values_at(path: Path) -> list[str]:
    """The values a scalar at a model path can take, when the format names them: enums, booleans."""
    out: list[str] = []
    for node in nodes_at(path):
        out.extend(str(v) for v in node.get("enum", []))
        if node.get("type") == "boolean":
            out.extend(["true", "false"])
        if "const" in node:
            out.append(str(node["const"]))
    return list(dict.fromkeys(out))


def is_list(path: Path) -> bool:
    return any(node.get("type") == "array" for node in nodes_at(path))
