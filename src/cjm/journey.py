"""Derived, read-only views of a valid map, computed once for lint, renderers and diff.

``Journey`` answers "the touchpoints in order", "where can the customer go from
here", "Rosa's emotion at the checkout" and "which stage is the sale" in one
place, so every rule and picture agrees on them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from cjm.format.diagnostics import Path
from cjm.format.model import JourneyMap, LabelledEmotion, Persona, Stage, StageKind, Touchpoint

if TYPE_CHECKING:
    from cjm.evidence.observed import Observed

SALE_KINDS = frozenset({StageKind.decision, StageKind.purchase})
SALE_WORDS = re.compile(r"\b(purchase|buy|buying|checkout|decision|decide|order|convert|conversion|sign[- ]?up|subscribe|pay|payment|sale|contract)\b", re.I)
NEGATIVE = -0.5  # a score at or below this reads as negative on a -2..+2 scale
POSITIVE = 0.5

# Which known channels happen online and which offline (in person, on paper, on air, by phone).
# Channels that can be either (support, partner, community, ads) are in neither set.
OFFLINE_CHANNELS = frozenset({"store", "phone", "event", "mail", "print", "word-of-mouth", "sales", "tv", "radio"})
ONLINE_CHANNELS = frozenset({
    "web", "search", "social", "email", "chat", "app", "review-site", "sms", "video", "in-product",
})


@dataclass(frozen=True)
class Step:
    """A touchpoint in journey order, with where it sits in the map."""

    index: int
    stage_index: int
    touchpoint_index: int
    stage: Stage
    touchpoint: Touchpoint

    @property
    def path(self) -> Path:
        return ("stages", self.stage_index, "touchpoints", self.touchpoint_index)

    @property
    def id(self) -> str:
        return self.touchpoint.id


def score_of(value: float | dict | LabelledEmotion | None, persona: str | None) -> float | None:
    """One persona's score from any of the emotion forms; None when the map gives none."""
    if value is None:
        return None
    if isinstance(value, LabelledEmotion):
        return value.score
    if isinstance(value, dict):
        if persona is None:
            return None
        return value.get(persona)
    return float(value)


def emotion_label(value: float | dict | LabelledEmotion | None) -> str | None:
    return value.label if isinstance(value, LabelledEmotion) else None


def channel_is_online(channel: str | None) -> bool | None:
    """True for an online channel, False for an offline one, None when the vocabulary cannot tell."""
    name = (channel or "").strip().lower()
    if name in ONLINE_CHANNELS:
        return True
    if name in OFFLINE_CHANNELS:
        return False
    return None


def mood(score: float | None) -> str:
    """``negative``, ``neutral``, ``positive`` or ``none``."""
    if score is None:
        return "none"
    if score <= NEGATIVE:
        return "negative"
    if score >= POSITIVE:
        return "positive"
    return "neutral"


class Journey:
    """Views of one valid map. ``personas`` includes imported ones; ``observed`` is what an event
    log shows for this map (``lint --observed``), None when no evidence was given."""

    def __init__(self, journey_map: JourneyMap, personas: list[Persona] | None = None,
                 observed: Observed | None = None):
        self.map = journey_map
        self.personas: list[Persona] = personas if personas is not None else list(journey_map.personas)
        self.observed = observed

    @cached_property
    def steps(self) -> list[Step]:
        out: list[Step] = []
        for s, stage in enumerate(self.map.stages):
            for t, touchpoint in enumerate(stage.touchpoints):
                out.append(Step(len(out), s, t, stage, touchpoint))
        return out

    @cached_property
    def by_id(self) -> dict[str, Step]:
        return {step.id: step for step in self.steps}

    @cached_property
    def persona_ids(self) -> list[str]:
        return [p.id for p in self.personas]

    @property
    def uses_next(self) -> bool:
        return any(step.touchpoint.next for step in self.steps)

    @cached_property
    def edges(self) -> list[tuple[Step, Step]]:
        """Where the customer can go: explicit ``next`` when the map uses it, else stage order."""
        if self.uses_next:
            return [(step, self.by_id[ref]) for step in self.steps for ref in step.touchpoint.next if ref in self.by_id]
        return list(zip(self.steps, self.steps[1:]))

    @cached_property
    def successors(self) -> dict[str, list[Step]]:
        out: dict[str, list[Step]] = {step.id: [] for step in self.steps}
        for source, target in self.edges:
            out[source.id].append(target)
        return out

    @cached_property
    def reachable(self) -> set[str]:
        """Touchpoints reachable from the first one (and from any with no way in)."""
        if not self.steps:
            return set()
        incoming = {target.id for _, target in self.edges}
        starts = [self.steps[0]] + [s for s in self.steps[1:] if s.id not in incoming and s.stage_index == 0]
        seen: set[str] = set()
        todo = [s.id for s in starts]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo.extend(t.id for t in self.successors[current])
        return seen

    @property
    def last_stage_index(self) -> int:
        return len(self.map.stages) - 1

    def dead_ends(self) -> list[Step]:
        """Touchpoints with nowhere to go that are not in the last stage: drop-off points."""
        if not self.uses_next:
            return []
        return [s for s in self.steps if not self.successors[s.id] and s.stage_index < self.last_stage_index]

    def serves(self, step: Step, persona: str) -> bool:
        chosen = step.touchpoint.personas
        return chosen is None or persona in chosen

    def personas_at(self, step: Step) -> list[str]:
        return [p for p in self.persona_ids if self.serves(step, p)]

    def emotion(self, step: Step, persona: str | None = None, *, target: bool = False) -> float | None:
        value = step.touchpoint.target_emotion if target else step.touchpoint.emotion
        return score_of(value, persona)

    def curve(self, persona: str | None, *, target: bool = False) -> list[tuple[Step, float | None]]:
        """The persona's scores along the journey; None where the map gives none (a gap, not a zero)."""
        steps = [s for s in self.steps if persona is None or self.serves(s, persona)]
        return [(s, self.emotion(s, persona, target=target)) for s in steps]

    def curve_personas(self) -> list[str | None]:
        """Whose curves there are: each persona, or one shared curve when the map has none."""
        return list(self.persona_ids) if self.persona_ids else [None]

    @cached_property
    def sale_stage_index(self) -> int | None:
        """The last stage that is the decision or purchase, by ``kind`` or else by name."""
        by_kind = [i for i, st in enumerate(self.map.stages) if st.kind in SALE_KINDS]
        if by_kind:
            return by_kind[-1]
        by_name = [i for i, st in enumerate(self.map.stages) if SALE_WORDS.search(f"{st.id.replace('-', ' ')} {st.name}")]
        return by_name[-1] if by_name else None

    def steps_in_stage(self, stage_index: int) -> list[Step]:
        return [s for s in self.steps if s.stage_index == stage_index]

    def is_online(self, step: Step) -> bool | None:
        """The touchpoint's own ``online`` flag, else what its channel says; None when unknown."""
        if step.touchpoint.online is not None:
            return step.touchpoint.online
        return channel_is_online(step.touchpoint.channel)

    def channels(self) -> list[str]:
        seen: dict[str, None] = {}
        for step in self.steps:
            if step.touchpoint.channel:
                seen.setdefault(step.touchpoint.channel.strip().lower(), None)
        return list(seen)

    def stage_average(self, stage_index: int, persona: str | None = None) -> float | None:
        scores = [self.emotion(s, persona) for s in self.steps_in_stage(stage_index)]
        if persona is None:
            scores = [self.average_emotion(s) for s in self.steps_in_stage(stage_index)]
        known = [x for x in scores if x is not None]
        return sum(known) / len(known) if known else None

    def average_emotion(self, step: Step) -> float | None:
        """Mean over the personas the touchpoint serves (or the single shared score)."""
        value = step.touchpoint.emotion
        if value is None:
            return None
        if isinstance(value, dict):
            known = [v for k, v in value.items()]
            return sum(known) / len(known) if known else None
        return score_of(value, None)
