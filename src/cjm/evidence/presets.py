"""Which columns of an event log hold what: the presets of known logs and a map's own choices.

Pure data (no engine imports): ``cjm validate`` uses it to check that every ``where`` names a
column the analytics block provides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cjm.format.model_events import EVENT_COLUMN


@dataclass(frozen=True)
class ResolvedColumns:
    """The columns of one log, after a preset's defaults and the map's ``columns`` are combined."""

    actor: str
    ts: str
    event: str
    session: str | None
    seq: str | None
    properties: tuple[str, ...]
    ts_unit: str  # "s", "ms", "us", or "auto" (numbers told apart by size)

    def used(self) -> tuple[str, ...]:
        """Every column the computation reads, once each, in a stable order."""
        named = [self.actor, self.ts, self.event, self.session, self.seq, *self.properties]
        return tuple(dict.fromkeys(name for name in named if name))


# Field defaults per preset; ``ts_unit`` is how the preset's numeric time counts.
PRESETS: dict[str, dict[str, Any]] = {
    "csv": {"actor": "user_id", "ts": "timestamp", "event": "event", "properties": ()},
    # The BigQuery export of GA4, flattened to columns.
    "ga4": {"actor": "user_pseudo_id", "ts": "event_timestamp", "event": "event_name",
            "session": "ga_session_id", "seq": "batch_event_index", "ts_unit": "us",
            "properties": ("page_location", "page_referrer", "source", "medium")},
    # Segment's `tracks` table.
    "segment": {"actor": "anonymous_id", "ts": "timestamp", "event": "event",
                "properties": ("context_page_path", "context_page_url")},
    # Snowplow's `atomic.events`.
    "snowplow": {"actor": "domain_userid", "ts": "derived_tstamp", "event": "event_name",
                 "session": "domain_sessionid", "properties": ("page_urlpath", "page_url", "refr_medium")},
}


def _value(raw: Any, key: str) -> Any:
    return raw.get(key) if isinstance(raw, dict) else getattr(raw, key, None)


def _plain(raw: Any) -> Any:
    """An enum member's value, or the value itself."""
    return getattr(raw, "value", raw)


def resolve_columns(analytics: Any) -> ResolvedColumns:
    """The columns of a validated ``Analytics`` block (or its plain mapping)."""
    preset = PRESETS.get(_plain(_value(analytics, "source")), {})
    columns = _value(analytics, "columns") or {}
    fields = {name: _value(columns, name) or preset.get(name)
              for name in ("actor", "ts", "event", "session", "seq")}
    properties = tuple(dict.fromkeys([*preset.get("properties", ()), *(_value(columns, "properties") or ())]))
    unit = _plain(_value(analytics, "ts_unit")) or "auto"
    if unit == "auto":
        unit = preset.get("ts_unit", "auto")
    return ResolvedColumns(fields["actor"], fields["ts"], fields["event"], fields["session"], fields["seq"],
                           properties, unit)


def testable_columns(analytics: Any) -> list[str]:
    """What a ``where`` ``property`` may name: the event name and the block's property columns.

    Works on the plain mapping of a map that may have schema errors elsewhere: only the
    parts that are well formed are read.
    """
    source = _plain(_value(analytics, "source"))
    columns = _value(analytics, "columns")
    declared = _value(columns, "properties") if columns is not None else None
    preset = PRESETS.get(source, {}) if isinstance(source, str) else {}
    names = [EVENT_COLUMN, *preset.get("properties", ())]
    if isinstance(declared, (list, tuple)):
        names.extend(name for name in declared if isinstance(name, str))
    return list(dict.fromkeys(names))
