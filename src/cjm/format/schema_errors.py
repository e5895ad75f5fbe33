"""Pydantic validation errors -> diagnostics at the offending YAML position, in plain words.

Pydantic's messages ("Input should be a valid number, unable to parse string as
a number") describe its own machinery; a map author wants to know what the field
accepts. Each error type gets a short lower-case message, the value that was
given, and where possible a hint (a near-miss field or choice, what an emotion
may be, what the field is for).
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError

from cjm.format.diagnostics import Diagnostic, Path, SourceMap, diagnostic_at

MAX_SHOWN_INPUT = 60
MAX_SHOWN_ERRORS = 1000  # per file; more are counted, not listed
EMOTION_FIELDS = frozenset({"emotion", "target_emotion"})
# Tags of the discriminated unions in model.py; they appear in pydantic's ``loc`` but not in the file.
UNION_TAGS = frozenset({"number", "per_persona", "labelled", "text", "asset"})
EMOTION_FORMS = "a number from -2 to 2, a mapping persona id -> number, or {score, label}"
PLAIN_VALUE = re.compile(r"^[\w.+-]{1,40}$")
DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")

GENERIC = {
    "string_type": "expected text",
    "string_too_short": "text must not be empty",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "finite_number": "expected a finite number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping of fields (key: value)",
    "model_attributes_type": "expected a mapping of fields (key: value)",
    "date_type": "expected a date (YYYY-MM-DD)",
}
NO_INPUT_SHOWN = frozenset({"missing", "extra_forbidden", "string_too_long", "int_parsing_size"})


def _fields_at(model: type[BaseModel], loc: tuple) -> dict[str, Any]:
    """The fields of the model(s) that hold the last element of ``loc``."""
    return _fields_along(model, tuple(part for part in loc[:-1] if isinstance(part, str)))


@lru_cache(maxsize=256)
def _fields_along(model: type[BaseModel], names: tuple[str, ...]) -> dict[str, Any]:
    candidates = [model]
    for part in names:
        owners = [m for m in candidates if part in m.model_fields]
        if owners:
            candidates = _models_in(owners[0].model_fields[part].annotation) or candidates
    fields: dict[str, Any] = {}
    for candidate in candidates:
        fields.update(candidate.model_fields)
    return fields


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_models_in(arg))
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


def error_path(data: Any, loc: tuple) -> Path:
    """Like ``data_path``, but keeping a last part the data lacks (the name of a missing field)."""
    path = data_path(data, loc)
    last = loc[-1] if loc else None
    if isinstance(last, str) and last != "[key]" and last not in UNION_TAGS and (not path or path[-1] != last):
        return (*path, last)
    return path


def _shown(value: Any) -> str:
    """The value as the author wrote it: ``3``, ``'high'``, ``a list``."""
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str) and PLAIN_VALUE.match(value):
        return value if re.match(r"^[+-]?[\d.]", value) else repr(value)
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_INPUT else text[: MAX_SHOWN_INPUT - 4] + "...'"


def _field_name(loc: tuple) -> str:
    for part in reversed(loc):
        if isinstance(part, str) and part not in UNION_TAGS and part != "[key]":
            return part
    return "value"


def _emotion_message(error: dict) -> str | None:
    """Emotion errors say what an emotion may be, whatever branch of the union failed."""
    loc = error["loc"]
    fields = [part for part in loc if part in EMOTION_FIELDS]
    if not fields or error["type"] in {"missing", "extra_forbidden", "string_pattern_mismatch", "string_too_long"}:
        return None
    field = fields[-1]
    after = loc[loc.index(field) + 1:]
    got = _shown(error.get("input"))
    if after[:1] == ("per_persona",) and len(after) >= 2:
        return f"{field} for persona '{after[1]}' must be a number from -2 to 2 (got {got})"
    if after[:1] == ("labelled",):
        return f"{field} score must be a number from -2 to 2 (got {got})"
    if error["type"] in {"greater_than_equal", "less_than_equal"}:
        return f"{field} must be from -2 to 2 (got {got})"
    return f"{field} must be {EMOTION_FORMS} (got {got})"


def _choices(error: dict) -> list[str]:
    return re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))


def _describe(model: type[BaseModel], loc: tuple) -> str | None:
    info = _fields_at(model, loc).get(str(loc[-1])) if loc else None
    return f"{loc[-1]}: {info.description}" if info is not None and info.description else None


def message_for(error: dict, model: type[BaseModel]) -> tuple[str, str | None]:
    """A short message and an optional hint for one pydantic error."""
    kind = error["type"]
    loc = error["loc"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    field = _field_name(loc)
    hint: str | None = None
    if kind == "missing":
        return f"missing required field '{field}'", _describe(model, loc)
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(field, sorted(_fields_at(model, loc)), n=1)
        return f"unknown field '{field}'", (f"did you mean '{close[0]}'?" if close else None)
    emotion = _emotion_message(error)
    if emotion is not None:
        return emotion, None
    if kind == "value_error":
        message = str(ctx.get("error") or error["msg"]).removeprefix("Value error, ")
    elif kind == "string_pattern_mismatch":
        message = "not a valid id"
        hint = "ids are slugs: lower-case letters and digits joined by '-' or '_', e.g. checkout-page"
    elif kind == "string_too_long":
        message = f"too long: at most {ctx.get('max_length')} characters"
    elif kind == "int_parsing_size":
        message = "the number is too large"
    elif kind == "enum":
        choices = _choices(error)
        message = f"expected one of {', '.join(choices)}"
        close = [c for c in choices if isinstance(value, str) and value and c.startswith(value.lower())]
        close = close or (difflib.get_close_matches(str(value), choices, n=1) if isinstance(value, str) else [])
        hint = f"did you mean '{close[0]}'?" if close else None
    elif kind == "greater_than_equal":
        message = f"must be at least {ctx.get('ge')}"
    elif kind == "greater_than":
        message = f"must be more than {ctx.get('gt')}"
    elif kind == "less_than_equal":
        message = f"must be at most {ctx.get('le')}"
    elif kind == "less_than":
        message = f"must be less than {ctx.get('lt')}"
    elif kind.startswith("date"):
        reason = ctx.get("error")
        message = f"not a valid date{f': {reason}' if reason else ''}"
    elif kind == "model_type" and "content" in loc:
        message = "expected a title or {title, kind, url, owner}"
    elif kind in GENERIC:
        message = GENERIC[kind]
        if kind == "float_parsing" and isinstance(value, str) and DECIMAL_COMMA.match(value):
            hint = "write decimals with a point, e.g. 2.5"
    else:
        message = error["msg"].replace("Input should be", "expected")
        message = message[:1].lower() + message[1:]
    if kind not in NO_INPUT_SHOWN and "input" in error:
        message = f"{message} (got {_shown(value)})"
    return message, hint


def schema_error_paths(exc: ValidationError, data: Any) -> set[Path]:
    """Where in the data each schema error is, to keep later checks off those places."""
    return {error_path(data, error["loc"]) for error in exc.errors(include_url=False)}


def schema_diagnostics(exc: ValidationError, data: Any, source: SourceMap, file: str, model: type[BaseModel]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple] = set()
    errors = exc.errors(include_url=False)
    for error in errors[:MAX_SHOWN_ERRORS]:
        path = data_path(data, error["loc"])
        message, hint = message_for(error, model)
        marker = (path, message)
        if marker in seen:
            continue
        seen.add(marker)
        out.append(diagnostic_at(
            source, file, path, code="CJM010", name="schema", message=message, hint=hint,
            at_key=error["type"] == "extra_forbidden" or error["loc"][-1:] == ("[key]",),
        ))
    if len(errors) > MAX_SHOWN_ERRORS:
        out.append(diagnostic_at(source, file, (), code="CJM010", name="schema",
                                 message=f"{len(errors) - MAX_SHOWN_ERRORS:,} more schema errors not shown",
                                 hint=f"fix the first {MAX_SHOWN_ERRORS:,} and run again"))
    return out
