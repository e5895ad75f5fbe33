"""Service blueprint rules (CJM7xx): what the business does behind the moments the customer sees."""

from __future__ import annotations

from typing import Iterator

from cjm.format.diagnostics import Severity
from cjm.journey import Journey
from cjm.lint.registry import Finding, Rule, register

BLUEPRINT_FIELDS = ("frontstage", "backstage", "support_processes")


@register
class MomentWithoutBackstage(Rule):
    """Reports a moment of truth with nothing behind it: no backstage action and no support process.

    Moments of truth are where customers "form a lasting impression"; the eight steps ask
    to "identify moments of truth" and plan for them. Service blueprinting (Shostack 1984;
    Bitner, Ostrom and Morgan 2008, "Service Blueprinting: A Practical Technique for Service
    Innovation") draws what the customer sees together with what makes it happen below the
    line of visibility: "the backstage actions and support processes that enable the
    frontstage". A moment of truth whose backstage and support processes are empty is one the
    team has not yet thought through from the inside: who prepares it, and what system it
    relies on.

    The rule runs on maps that are being blueprinted, those where some touchpoint has
    `frontstage`, `backstage` or `support_processes`; a plain journey map is left alone.

    **Fails**

    ```yaml
    stages:
      - id: buy
        name: Purchase
        touchpoints:
          - id: browse
            name: Product page
            frontstage: [Product photos and sizes]
          - id: pay
            name: Payment
            moment_of_truth: true
            frontstage: [Payment form]
    ```

    **Passes**

    ```yaml
    stages:
      - id: buy
        name: Purchase
        touchpoints:
          - id: browse
            name: Product page
            frontstage: [Product photos and sizes]
          - id: pay
            name: Payment
            moment_of_truth: true
            frontstage: [Payment form]
            backstage: [Fraud check]
            support_processes: [Payment provider]
    ```
    """

    code = "CJM701"
    name = "moment-without-backstage"
    group = "blueprint"
    severity = Severity.warning
    summary = "A moment of truth has no backstage action and no support process."
    hint = "add `backstage` (what staff do out of sight) or `support_processes` (the systems and teams it relies on)"

    def check(self, journey: Journey) -> Iterator[Finding]:
        blueprinted = any(getattr(step.touchpoint, name) for step in journey.steps for name in BLUEPRINT_FIELDS)
        if not blueprinted:
            return
        for step in journey.steps:
            tp = step.touchpoint
            if tp.moment_of_truth and not tp.backstage and not tp.support_processes:
                yield Finding(step.path + ("moment_of_truth",),
                              f"moment of truth '{step.id}' has no backstage action and no support process")
