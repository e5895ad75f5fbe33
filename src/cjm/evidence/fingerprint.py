"""A fingerprint of a map's evidence rules, so an observed file can be told apart as stale."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cjm.format.model import JourneyMap


def rules_document(journey_map: JourneyMap) -> dict[str, Any]:
    """What the computation depends on in the map: the analytics block and every touchpoint's rules, in map order."""
    analytics = journey_map.analytics.model_dump(mode="json", by_alias=True, exclude_none=True) if journey_map.analytics else None
    touchpoints = [
        {"id": touchpoint.id, "stage": stage.id,
         "events": [m.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True) for m in touchpoint.events]}
        for stage in journey_map.stages
        for touchpoint in stage.touchpoints
    ]
    return {"analytics": analytics, "touchpoints": touchpoints}


def rules_fingerprint(journey_map: JourneyMap) -> str:
    canonical = json.dumps(rules_document(journey_map), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
