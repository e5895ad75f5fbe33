"""Emotion rules (CJM2xx): how the customer feels, where it drops, and what is planned."""

from __future__ import annotations

from typing import Iterator

from cjm.format.diagnostics import Path, Severity
from cjm.journey import Journey, Step, mood
from cjm.lint.registry import Finding, Rule, register


def whose(journey: Journey, step: Step) -> list[str | None]:
    """The personas a touchpoint's emotion speaks for: those it serves, or the one shared curve."""
    return journey.personas_at(step) if journey.persona_ids else [None]


def emotion_path(step: Step, personas: list[str | None], field: str = "emotion") -> Path:
    """The emotion key, or one persona's entry when the emotion is a per-persona mapping."""
    value = getattr(step.touchpoint, field)
    if isinstance(value, dict) and len(personas) == 1 and personas[0] in value:
        return step.path + (field, personas[0])
    return step.path + (field,)


def for_whom(personas: list[str | None]) -> str:
    named = [p for p in personas if p is not None]
    if not named:
        return ""
    label = "persona" if len(named) == 1 else "personas"
    return f" for {label} " + ", ".join(f"'{p}'" for p in named)


def fmt(score: float) -> str:
    return f"{score:g}"


@register
class MissingEmotion(Rule):
    """Reports a touchpoint with no emotion for a persona it serves.

    The emotion at each touchpoint is what turns a list of steps into a journey map
    ("Incorporate Customer Emotions and Behaviors"; on the emotion curve, "Each point is
    defined by two aspects: the channel by which it is produced and by the emotion it
    arouses"). A missing score is a gap in the emotion curve, not a neutral moment. A
    touchpoint serves every persona unless it lists `personas`; a single score applies
    to all of them, a mapping must name each.

    **Fails**

    ```yaml
    personas:
      - {id: rosa, name: Rosa}
      - {id: tom, name: Tom}
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - id: cart
            name: Cart page
            emotion: {rosa: 1}
    ```

    **Passes**

    ```yaml
    personas:
      - {id: rosa, name: Rosa}
      - {id: tom, name: Tom}
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - id: cart
            name: Cart page
            emotion: {rosa: 1, tom: -0.5}
    ```
    """

    code = "CJM201"
    name = "missing-emotion"
    group = "emotion"
    severity = Severity.warning
    summary = "A touchpoint has no emotion for a persona it serves."
    hint = "add `emotion`: a score from -2 to +2, or one per persona"

    def check(self, journey: Journey) -> Iterator[Finding]:
        for step in journey.steps:
            personas = whose(journey, step)
            if not personas:
                continue
            if step.touchpoint.emotion is None:
                yield Finding(step.path, f"touchpoint '{step.id}' has no emotion{for_whom(personas)}")
                continue
            missing = [p for p in personas if journey.emotion(step, p) is None]
            if missing:
                yield Finding(step.path + ("emotion",), f"touchpoint '{step.id}' has no emotion{for_whom(missing)}")


@register
class EmotionDrop(Rule):
    """Reports a sharp drop in a persona's emotion from one touchpoint to the next.

    Lows in the emotion curve are the "spots where customers could fall off the map"
    (plot the customers' actions; "map emotional highs and lows"). A fall of `threshold`
    points or more between consecutive scored touchpoints of a persona's curve, in
    journey order, marks such a spot. Touchpoints without a score are skipped (CJM201
    reports them).

    **Fails**

    ```yaml
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - {id: cart, name: Cart page, emotion: 1}
          - {id: account-gate, name: Forced sign-up, emotion: -1}
    ```

    **Passes**

    ```yaml
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - {id: cart, name: Cart page, emotion: 1}
          - {id: guest-checkout, name: Guest checkout, emotion: 0.5}
    ```
    """

    code = "CJM202"
    name = "emotion-drop"
    group = "emotion"
    severity = Severity.warning
    summary = "A persona's emotion drops sharply between consecutive touchpoints."
    options = {"threshold": 2.0}
    option_help = {"threshold": "the fall in points (on the -2..+2 scale) that counts as sharp"}

    def check_options(self) -> None:
        self.require("threshold", 0 < self.config["threshold"] <= 4, "more than 0 and at most 4 (the whole scale)")

    def check(self, journey: Journey) -> Iterator[Finding]:
        threshold = float(self.config["threshold"])
        drops: dict[tuple, list[str | None]] = {}
        for persona in journey.curve_personas():
            scored = [(step, score) for step, score in journey.curve(persona) if score is not None]
            for (before, high), (step, low) in zip(scored, scored[1:]):
                if high - low >= threshold:
                    drops.setdefault((step.index, before.index, high, low), []).append(persona)
        for (index, before_index, high, low), personas in sorted(drops.items(), key=lambda item: item[0][:2]):
            step, before = journey.steps[index], journey.steps[before_index]
            yield Finding(
                emotion_path(step, personas),
                f"emotion drops by {fmt(high - low)} from {fmt(high)} at '{before.id}' to {fmt(low)} at '{step.id}'{for_whom(personas)}",
                hint=_drop_hint(step),
            )


def _drop_hint(step: Step) -> str | None:
    if not step.touchpoint.opportunities:
        return "find out what goes wrong here and plan `opportunities` to soften the fall"
    if step.touchpoint.target_emotion is None:
        return "set `target_emotion` to say how far the planned opportunities should lift this moment"
    return None


@register
class NegativeFirstOrLastImpression(Rule):
    """Reports a journey that starts or ends on a negative emotion for a persona.

    Step 6, highlight moments of truth, says to focus on first and last impressions:
    "The first impression sets the tone for the entire experience, and the last
    impression can be crucial for repeat business and referrals". The first and last
    touchpoints of each persona's curve should not be negative (a score of -0.5 or
    lower). A first or last touchpoint with no score is left to CJM201.

    **Fails**

    ```yaml
    stages:
      - id: buy
        name: Buy
        touchpoints:
          - {id: product-page, name: Product page, emotion: 1}
          - {id: refund, name: Refund request, emotion: -1}
    ```

    **Passes**

    ```yaml
    stages:
      - id: buy
        name: Buy
        touchpoints:
          - {id: product-page, name: Product page, emotion: 1}
          - {id: refund, name: Refund request, emotion: -1}
          - {id: refund-done, name: Refund confirmed, emotion: 0.5}
    ```
    """

    code = "CJM203"
    name = "negative-first-or-last-impression"
    group = "emotion"
    severity = Severity.warning
    summary = "The first or the last touchpoint of a persona's journey is negative."
    hint = "first and last impressions stay with customers: plan how to make this moment at least neutral"

    def check(self, journey: Journey) -> Iterator[Finding]:
        ends: dict[tuple[int, str, float], list[str | None]] = {}
        for persona in journey.curve_personas():
            curve = journey.curve(persona)
            if not curve:
                continue
            for which, (step, score) in (("first", curve[0]), ("last", curve[-1])):
                if mood(score) == "negative" and (which == "first" or len(curve) > 1):
                    ends.setdefault((step.index, which, score), []).append(persona)
        for (index, which, score), personas in sorted(ends.items()):
            step = journey.steps[index]
            yield Finding(
                emotion_path(step, personas),
                f"the {which} impression is negative: '{step.id}' scores {fmt(score)}{for_whom(personas)}",
            )


@register
class NegativeWithoutOpportunity(Rule):
    """Reports a negative emotion at a touchpoint with no opportunity planned.

    A low point on the map is only useful with a plan attached ("Create Action Plans for
    Each Moment: develop specific strategies to enhance positive moments and address
    negative ones"; "prioritize and fix roadblocks"). A touchpoint where any persona's
    score is -0.5 or lower should list at least one `opportunities` entry.

    **Fails**

    ```yaml
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - id: account-gate
            name: Forced sign-up
            emotion: -1.5
    ```

    **Passes**

    ```yaml
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - id: account-gate
            name: Forced sign-up
            emotion: -1.5
            opportunities: [Offer guest checkout]
    ```
    """

    code = "CJM204"
    name = "negative-without-opportunity"
    group = "emotion"
    severity = Severity.warning
    summary = "A negative emotion has no opportunity or action planned."
    hint = "add `opportunities`: what the team will do to improve this moment"

    def check(self, journey: Journey) -> Iterator[Finding]:
        for step in journey.steps:
            if step.touchpoint.opportunities:
                continue
            negative = [p for p in whose(journey, step) if mood(journey.emotion(step, p)) == "negative"]
            if negative:
                yield Finding(
                    emotion_path(step, negative),
                    f"touchpoint '{step.id}' is negative{for_whom(negative)} but plans no opportunities",
                )


@register
class TargetBelowEmotion(Rule):
    """Reports a `target_emotion` lower than the current `emotion`.

    The target emotion is the to-be state the action plan works towards ("apply insights
    to optimize the journey"); a target below today's score plans to make the experience
    worse, which is almost always the two values swapped or a stale target.

    **Fails**

    ```yaml
    stages:
      - id: delivery
        name: Delivery
        touchpoints:
          - id: tracking
            name: Tracking page
            emotion: 1
            target_emotion: -0.5
    ```

    **Passes**

    ```yaml
    stages:
      - id: delivery
        name: Delivery
        touchpoints:
          - id: tracking
            name: Tracking page
            emotion: -0.5
            target_emotion: 1
    ```
    """

    code = "CJM205"
    name = "target-below-emotion"
    group = "emotion"
    severity = Severity.warning
    summary = "`target_emotion` is lower than `emotion`."
    hint = "the target is the emotion you want to reach; check whether the two values are swapped"

    def check(self, journey: Journey) -> Iterator[Finding]:
        for step in journey.steps:
            if step.touchpoint.target_emotion is None:
                continue
            below: dict[tuple[float, float], list[str | None]] = {}
            for persona in whose(journey, step):
                now, target = journey.emotion(step, persona), journey.emotion(step, persona, target=True)
                if now is not None and target is not None and target < now:
                    below.setdefault((target, now), []).append(persona)
            for (target, now), personas in below.items():
                yield Finding(
                    emotion_path(step, personas, "target_emotion"),
                    f"target_emotion {fmt(target)} is lower than emotion {fmt(now)} at '{step.id}'{for_whom(personas)}",
                )
