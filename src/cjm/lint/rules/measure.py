"""Truth and measurement rules (CJM3xx): moments of truth, metrics and objectives."""

from __future__ import annotations

from typing import Iterator

from cjm.format.diagnostics import Severity
from cjm.journey import Journey
from cjm.lint.registry import Finding, Rule, register
from cjm.format.model import Direction, Metric


@register
class MomentOfTruthWithoutMetric(Rule):
    """Reports a moment of truth with no metric.

    Moments of truth are "critical moments where we can succeed or fail", so "we will
    also have to create metrics that allow us to identify and measure those points" (the
    emotion curve: metrics for the moments of truth; Step 6: highlight moments of
    truth). A touchpoint with `moment_of_truth: true` should list at least one metric.

    **Fails**

    ```yaml
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - id: payment
            name: Payment step
            moment_of_truth: true
    ```

    **Passes**

    ```yaml
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - id: payment
            name: Payment step
            moment_of_truth: true
            metrics:
              - {name: payment success rate, value: 91, target: 97, unit: "%"}
    ```
    """

    code = "CJM301"
    name = "moment-of-truth-without-metric"
    group = "measure"
    severity = Severity.warning
    summary = "A moment of truth has no metric."
    hint = "add `metrics` that show whether this moment succeeds, e.g. conversion, CSAT or drop-off"

    def check(self, journey: Journey) -> Iterator[Finding]:
        for step in journey.steps:
            if step.touchpoint.moment_of_truth and not step.touchpoint.metrics:
                yield Finding(step.path + ("moment_of_truth",), f"moment of truth '{step.id}' has no metric")


@register
class MetricWithoutTarget(Rule):
    """Reports a metric with no target.

    A KPI only tells the team something against a goal ("Make your goals as specific and
    measurable as possible"; "Continuously monitor KPIs relevant to your customer
    journey objectives"). Without a `target` nobody can say whether the touchpoint
    works.

    **Fails**

    ```yaml
    stages:
      - id: support
        name: Support
        touchpoints:
          - id: chat
            name: Live chat
            metrics:
              - {name: CSAT, value: 82, unit: "%"}
    ```

    **Passes**

    ```yaml
    stages:
      - id: support
        name: Support
        touchpoints:
          - id: chat
            name: Live chat
            metrics:
              - {name: CSAT, value: 82, target: 90, unit: "%"}
    ```
    """

    code = "CJM302"
    name = "metric-without-target"
    group = "measure"
    severity = Severity.warning
    summary = "A metric has no target."
    hint = "add `target`: the value the team aims for (and `direction: lower` when lower is better)"

    def check(self, journey: Journey) -> Iterator[Finding]:
        for step in journey.steps:
            for m, metric in enumerate(step.touchpoint.metrics):
                if metric.target is None:
                    yield Finding(step.path + ("metrics", m), f"metric '{metric.name}' at '{step.id}' has no target")


@register
class ObjectiveNotMeasurable(Rule):
    """Reports an objective without a metric or without a target.

    Step 2, set clear objectives for your map: "Make your goals as specific and
    measurable as possible", so not "increase sales" but "increase online sales by 20%
    over the next quarter". An objective needs the `metric` that measures it and the
    `target` it should reach.

    **Fails**

    ```yaml
    objectives:
      - id: more-sales
        statement: Increase online sales.
    ```

    **Passes**

    ```yaml
    objectives:
      - id: more-sales
        statement: Increase online sales by 20% over the next quarter.
        metric: online revenue growth
        baseline: 0
        target: 20
        unit: "%"
    ```
    """

    code = "CJM303"
    name = "objective-not-measurable"
    group = "measure"
    severity = Severity.warning
    summary = "An objective has no metric or no target."

    def check(self, journey: Journey) -> Iterator[Finding]:
        for i, objective in enumerate(journey.map.objectives):
            missing = [field for field in ("metric", "target") if getattr(objective, field) is None]
            if missing:
                yield Finding(
                    ("objectives", i), f"objective '{objective.id}' is not measurable: no {' and no '.join(missing)}",
                    hint="add the `metric` that measures it and the `target` it should reach",
                )


def shortfall(metric: Metric) -> float | None:
    """How far the value is on the wrong side of the target, relative to the target; None when unknown.

    A target of 0 has no relative scale, so the shortfall is then the absolute
    difference.
    """
    if metric.value is None or metric.target is None:
        return None
    gap = metric.target - metric.value if metric.direction is Direction.higher else metric.value - metric.target
    return gap / abs(metric.target) if metric.target else gap


@register
class MetricMissesTarget(Rule):
    """Reports a metric whose value misses its target by more than a margin.

    The map is the place to see where the journey underperforms ("measure and analyze
    results"; "monitor KPIs relevant to your customer journey objectives"). A metric
    more than `margin` short of its target, relative to the target (0.1 = 10%), is
    reported; `direction: lower` metrics (wait times, abandonment) miss when they are
    above the target. When the target is 0 the margin applies to the absolute
    difference.

    Off by default: most metrics on a working map sit short of ambitious targets, so
    this is a progress report rather than a gap in the map. Turn it on for a review with
    `extend-select = ["CJM304"]` in the lint configuration.

    **Fails**

    ```yaml
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - id: cart
            name: Cart page
            metrics:
              - {name: cart abandonment, value: 72, target: 60, unit: "%", direction: lower}
    ```

    **Passes**

    ```yaml
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - id: cart
            name: Cart page
            metrics:
              - {name: cart abandonment, value: 63, target: 60, unit: "%", direction: lower}
    ```
    """

    code = "CJM304"
    name = "metric-misses-target"
    group = "measure"
    severity = Severity.info
    summary = "A metric misses its target by more than a margin."
    default_enabled = False
    options = {"margin": 0.1}
    option_help = {"margin": "how far short of the target, relative to it, is tolerated (0.1 = 10%)"}
    hint = "plan `opportunities` here, or revisit the target"

    def check_options(self) -> None:
        self.require("margin", self.config["margin"] >= 0, "0 or more")

    def check(self, journey: Journey) -> Iterator[Finding]:
        margin = float(self.config["margin"])
        for step in journey.steps:
            for m, metric in enumerate(step.touchpoint.metrics):
                short = shortfall(metric)
                if short is not None and short > margin + 1e-9:  # 2.2 against 2 is 10%, not 10.0000001%
                    unit = metric.unit or ""
                    unit = unit if unit.startswith("%") or not unit else f" {unit}"
                    how = f"{short:.0%} " if metric.target else ""
                    side = "below" if metric.direction is Direction.higher else "above"
                    yield Finding(
                        step.path + ("metrics", m),
                        f"metric '{metric.name}' at '{step.id}' is {how}{side} its target: "
                        f"{metric.value:g}{unit} against {metric.target:g}{unit}",
                    )


@register
class EmotionWithoutEvidence(Rule):
    """Reports emotions that no research stands behind.

    A journey map is built on "quantitative and qualitative data" (Step 3: gather and
    analyze customer data); emotions "based on the qualitative data you've gathered,
    such as customer feedback and survey responses" are findings, emotions without it
    are guesses. With `scope: stage` (the default) a stage whose touchpoints carry
    emotions but none lists `evidence` is reported once; with `scope: touchpoint` every
    touchpoint with an emotion and no evidence is.

    **Fails**

    ```yaml
    stages:
      - id: delivery
        name: Delivery
        touchpoints:
          - {id: tracking, name: Tracking page, emotion: -0.5}
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
            evidence:
              - {source: Exit survey Q3, kind: quantitative, n: 412}
    ```
    """

    code = "CJM305"
    name = "emotion-without-evidence"
    group = "measure"
    severity = Severity.info
    summary = "Emotions have no evidence behind them."
    options = {"scope": "stage"}
    option_help = {"scope": "`stage`: one finding per stage with no evidence at all; `touchpoint`: one per touchpoint"}
    hint = "add `evidence`: the survey, analytics or interviews the emotions come from"

    def check_options(self) -> None:
        self.require("scope", self.config["scope"] in ("stage", "touchpoint"), "'stage' or 'touchpoint'")

    def check(self, journey: Journey) -> Iterator[Finding]:
        if self.config["scope"] == "touchpoint":
            for step in journey.steps:
                if step.touchpoint.emotion is not None and not step.touchpoint.evidence:
                    yield Finding(step.path + ("emotion",), f"the emotion at '{step.id}' has no evidence behind it")
            return
        for s, stage in enumerate(journey.map.stages):
            felt = [t for t in stage.touchpoints if t.emotion is not None]
            if felt and not any(t.evidence for t in stage.touchpoints):
                count = len(felt)
                yield Finding(("stages", s), f"the emotions at {count} touchpoint{'s' if count != 1 else ''} "
                                             f"of stage '{stage.id}' have no evidence behind them")
