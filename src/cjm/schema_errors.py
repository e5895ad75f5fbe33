"""Pydantic validation errors -> diagnostics at the offending YAML position."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from cjm.diagnostics import Diagnostic, Path, SourceMap, diagnostic_at

MAX_SHOWN_INPUT = 60


def _all_field_names(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for info in model.model_fields.values():
        for sub in _models_in(info.annotation):
            names |= _all_field_names(sub, seen)
    return names


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_models_in(arg))
    for meta in getattr(annotation, "__metadata__", ()) or ():
        found.extend(_models_in(meta))
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        found.extend(_models_in(origin))
    return found


def data_path(data: Any, loc: tuple) -> Path:
    """Follow ``loc`` through the data as far as it exists, skipping pydantic's union tags."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
    return tuple(path)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_INPUT else text[: MAX_SHOWN_INPUT - 3] + "..."


def _message(error: dict, field_names: set[str]) -> tuple[str, str | None]:
    kind = error["type"]
    loc = error["loc"]
    field = str(loc[-1]) if loc else ""
    if kind == "missing":
        return f"missing required field '{field}'", None
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(field, sorted(field_names), n=1)
        return f"unknown field '{field}'", (f"did you mean '{close[0]}'?" if close else None)
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if kind not in {"model_type", "dict_type", "list_type"} and "input" in error and not isinstance(error["input"], (dict, list)):
        message = f"{message} (got {_shown(error['input'])})"
    elif kind == "model_type":
        message = "expected a mapping of fields (key: value)"
    return message, None


def schema_diagnostics(exc: ValidationError, data: Any, source: SourceMap, file: str, model: type[BaseModel]) -> list[Diagnostic]:
    names = _all_field_names(model)
    out: list[Diagnostic] = []
    seen: set[tuple] = set()
    for error in exc.errors(include_url=False):
        path = data_path(data, error["loc"])
        message, hint = _message(error, names)
        marker = (path, message)
        if marker in seen:
            continue
        seen.add(marker)
        out.append(diagnostic_at(
            source, file, path, code="CJM010", name="schema", message=message, hint=hint,
            at_key=error["type"] == "extra_forbidden",
        ))
    return out
