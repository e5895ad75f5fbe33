"""The JSON Schema of the map format, shaped for draft-07 editors (yaml-language-server)."""

from __future__ import annotations

import json
from typing import Any

from cjm.format.model import JourneyMap

SCHEMA_ID = "https://cjm.dev/schemas/cjm-map.v1.schema.json"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def _draft07(node: Any) -> Any:
    """Rewrite pydantic's 2020-12 output into plain draft-07: ``definitions``, ``anyOf``, no ``discriminator``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "discriminator":
                continue
            if key == "$ref" and isinstance(value, str):
                value = value.replace("#/$defs/", "#/definitions/")
            if key == "oneOf":  # a labelled emotion is also a valid persona mapping; either will do
                key = "anyOf"
            out["definitions" if key == "$defs" else key] = _draft07(value)
        return out
    if isinstance(node, list):
        return [_draft07(item) for item in node]
    return node


def map_schema() -> dict:
    schema = _draft07(JourneyMap.model_json_schema(mode="validation"))
    return {"$schema": DRAFT_07, "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    return json.dumps(map_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
