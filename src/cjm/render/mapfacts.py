"""Facts the map views (HTML, Markdown, Mermaid) state the same way: review age, metric status, numbers.

"Today" is ``CJM_TODAY`` (YYYY-MM-DD) when set, as for ``cjm lint``, else the day of
``SOURCE_DATE_EPOCH`` when set, else the system date: a build can be reproduced byte for byte, and
nothing else in the output depends on the clock.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from cjm.journey import Journey, Step
from cjm.format.model import Direction, Metric
from cjm.render import RenderError

STALE_AFTER_DAYS = 183  # about six months: maps are living documents, reviewed twice a year


def today() -> dt.date:
    if os.environ.get("CJM_TODAY", "").strip():
        from cjm.lint.registry import today as lint_today

        try:
            return lint_today()
        except ValueError as exc:
            raise RenderError(str(exc)) from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


def steps_by_stage(journey: Journey) -> dict[int, list[Step]]:
    """Stage index -> its touchpoints in order, in one pass (``Journey.steps_in_stage`` scans all)."""
    out: dict[int, list[Step]] = {}
    for step in journey.steps:
        out.setdefault(step.stage_index, []).append(step)
    return out


def check_persona(journey: Journey, persona: str | None) -> None:
    """Refuse a ``--persona`` the map does not have, naming the ones it does."""
    if persona is None or persona in journey.persona_ids:
        return
    known = ", ".join(journey.persona_ids) or "none"
    raise RenderError(f"no persona '{persona}' in this map (personas: {known})")


@dataclass(frozen=True)
class Review:
    date: dt.date | None
    age_days: int | None
    stale: bool

    @property
    def summary(self) -> str:
        if self.date is None:
            return "never (no review date)"
        text = self.date.isoformat()
        if self.age_days is None or self.age_days < 0:
            return text
        when = "today" if self.age_days == 0 else f"{self.age_days} day{'s' if self.age_days != 1 else ''} ago"
        if self.stale:
            return f"{text} ({when}; stale: older than {STALE_AFTER_DAYS} days)"
        return f"{text} ({when})"


def review(journey: Journey, on: dt.date | None = None) -> Review:
    reviewed = journey.map.reviewed
    if reviewed is None:
        return Review(None, None, True)
    age = ((on or today()) - reviewed).days
    return Review(reviewed, age, age > STALE_AFTER_DAYS)


def number(value: float | None, unit: str | None = None) -> str:
    """``61.0`` -> ``61``, ``0.45`` -> ``0.45``; the unit follows (``%`` without a space)."""
    if value is None:
        return ""
    text = f"{value:.6g}" if value != int(value) or abs(value) >= 1e15 else str(int(value))
    if not unit:
        return text
    return f"{text}{unit}" if unit.strip() == "%" else f"{text} {unit.strip()}"


def signed(score: float | None) -> str:
    """An emotion score with its sign: ``+1``, ``-0.5``, ``0``."""
    if score is None:
        return "no score"
    text = number(score)
    return f"+{text}" if score > 0 else text.replace("-", "\u2212")


@dataclass(frozen=True)
class MetricStatus:
    state: str  # met | missed | unknown
    symbol: str
    words: str


MET = MetricStatus("met", "\u2714", "target met")
MISSED = MetricStatus("missed", "\u2718", "target missed")
UNKNOWN = MetricStatus("unknown", "\u2013", "no target or no value")


def metric_status(metric: Metric) -> MetricStatus:
    """Met or missed against the target, reading ``direction`` (is higher or lower better)."""
    if metric.value is None or metric.target is None:
        return UNKNOWN
    if metric.direction is Direction.lower:
        return MET if metric.value <= metric.target else MISSED
    return MET if metric.value >= metric.target else MISSED


def metric_text(metric: Metric) -> str:
    """``checkout conversion: 61% (target 70%, higher is better)``."""
    value = number(metric.value, metric.unit) if metric.value is not None else "no value"
    parts = [f"{metric.name}: {value}"]
    if metric.target is not None:
        better = "higher" if metric.direction is Direction.higher else "lower"
        parts.append(f"(target {number(metric.target, metric.unit)}, {better} is better)")
    return " ".join(parts)


def metric_figures(metric: Metric) -> str:
    """``61% · target ≥ 70%``: the value, and the target with the side that is better."""
    value = number(metric.value, metric.unit) if metric.value is not None else "no value"
    if metric.target is None:
        return value
    side = "\u2265" if metric.direction is Direction.higher else "\u2264"
    return f"{value} \u00b7 target {side} {number(metric.target, metric.unit)}"
