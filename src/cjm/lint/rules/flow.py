"""Flow rules (CJM4xx): where customers go next, and where they fall off.

These read the flow graph of ``Journey``: explicit ``next`` when the map uses it anywhere,
else stage order (which has no unreachable touchpoints and no dead ends).
"""

from __future__ import annotations

from typing import Iterator

from cjm.format.diagnostics import Severity
from cjm.journey import Journey
from cjm.lint.registry import Finding, Rule, register
from cjm.format.model import StageKind

# Going back into these stages is the ongoing relationship, not a detour.
LOOP_TARGET_KINDS = frozenset({StageKind.usage, StageKind.retention, StageKind.support})
# From these stages, going back to an earlier one is a new purchase cycle.
LOOP_SOURCE_KINDS = frozenset({StageKind.usage, StageKind.retention, StageKind.support, StageKind.advocacy})


@register
class UnreachableTouchpoint(Rule):
    """Reports a touchpoint that no `next` path reaches.

    "This journey is not linear", and a map that records where customers go with `next`
    should let them get everywhere it shows ("indicate how customers move from one
    touchpoint to the next"). A touchpoint no path from the start reaches is either a
    missing `next` entry or a step nobody takes. Paths start at the first touchpoint and
    at any touchpoint of the first stage that nothing leads to. Only checked when the
    map uses `next`.

    **Fails**

    ```yaml
    stages:
      - id: discover
        name: Discover
        touchpoints:
          - {id: search-ad, name: Search ad, next: [product-page]}
      - id: buy
        name: Buy
        touchpoints:
          - {id: product-page, name: Product page, next: [checkout]}
          - {id: size-guide, name: Size guide, next: [checkout]}
          - {id: checkout, name: Checkout}
    ```

    **Passes**

    ```yaml
    stages:
      - id: discover
        name: Discover
        touchpoints:
          - {id: search-ad, name: Search ad, next: [product-page]}
      - id: buy
        name: Buy
        touchpoints:
          - {id: product-page, name: Product page, next: [size-guide, checkout]}
          - {id: size-guide, name: Size guide, next: [checkout]}
          - {id: checkout, name: Checkout}
    ```
    """

    code = "CJM401"
    name = "unreachable-touchpoint"
    group = "flow"
    severity = Severity.warning
    summary = "No `next` path reaches a touchpoint."
    hint = "add this touchpoint's id to the `next` of the touchpoints customers come from"

    def check(self, journey: Journey) -> Iterator[Finding]:
        if not journey.uses_next:
            return
        reachable = journey.reachable
        for step in journey.steps:
            if step.id not in reachable:
                yield Finding(step.path, f"touchpoint '{step.id}' cannot be reached: no `next` path leads to it")


@register
class DeadEnd(Rule):
    """Reports a touchpoint before the last stage that leads nowhere.

    When a map records `next`, a touchpoint with no way onward before the final stage is
    where the customer falls off the map ("can you identify spots where customers could
    fall off the map?"): a drop-off point nobody handles. Either the map is missing a
    `next`, or the business is missing a follow-up. Only checked when the map uses
    `next`; touchpoints in the last stage may end the journey.

    **Fails**

    ```yaml
    stages:
      - id: trial
        name: Trial
        touchpoints:
          - {id: signup, name: Sign-up, next: [setup]}
          - {id: setup, name: Setup wizard}
      - id: purchase
        name: Purchase
        touchpoints:
          - {id: upgrade, name: Upgrade}
    ```

    **Passes**

    ```yaml
    stages:
      - id: trial
        name: Trial
        touchpoints:
          - {id: signup, name: Sign-up, next: [setup]}
          - {id: setup, name: Setup wizard, next: [upgrade]}
      - id: purchase
        name: Purchase
        touchpoints:
          - {id: upgrade, name: Upgrade}
    ```
    """

    code = "CJM402"
    name = "dead-end"
    group = "flow"
    severity = Severity.warning
    summary = "A touchpoint before the last stage leads nowhere (a drop-off point)."
    hint = "add `next`: where the customer goes from here, or the follow-up that catches them"

    def check(self, journey: Journey) -> Iterator[Finding]:
        for step in journey.dead_ends():
            yield Finding(step.path, f"touchpoint '{step.id}' in stage '{step.stage.id}' is a dead end: it has no `next`")


@register
class BackwardNext(Rule):
    """Reports a `next` that goes back to an earlier stage, unless the loop is intended.

    Journeys loop ("This journey is not linear; it's a complex web of interactions"),
    but an unplanned step back, such as a checkout that sends customers back to the
    product pages, is usually friction worth a look. A loop counts as intended when:

    - the target stage has `kind: usage`, `retention` or `support` (back to the
      ongoing relationship), or
    - the source stage has `kind: usage`, `retention`, `support` or `advocacy` (a
      customer coming back to buy again).

    Any other backward `next` is reported as info; when it is intended, say so with
    `# cjm: disable=CJM403` on the `next` line.

    **Fails**

    ```yaml
    stages:
      - id: evaluate
        name: Evaluate
        kind: consideration
        touchpoints:
          - {id: pricing, name: Pricing page, next: [signup]}
      - id: trial
        name: Trial
        kind: decision
        touchpoints:
          - {id: signup, name: Sign-up, next: [pricing]}
    ```

    **Passes**

    ```yaml
    stages:
      - id: use
        name: Use
        kind: usage
        touchpoints:
          - {id: dashboard, name: Dashboard, next: [ticket]}
      - id: help
        name: Help
        kind: support
        touchpoints:
          - {id: ticket, name: Support ticket, next: [dashboard]}
    ```
    """

    code = "CJM403"
    name = "backward-next"
    group = "flow"
    severity = Severity.info
    summary = "A `next` goes back to an earlier stage without the loop being intended."

    def check(self, journey: Journey) -> Iterator[Finding]:
        for step in journey.steps:
            for n, ref in enumerate(step.touchpoint.next):
                target = journey.by_id.get(ref)
                if target is None or target.stage_index >= step.stage_index:
                    continue
                if target.stage.kind in LOOP_TARGET_KINDS or step.stage.kind in LOOP_SOURCE_KINDS:
                    continue
                yield Finding(
                    step.path + ("next", n),
                    f"'{step.id}' leads back from stage '{step.stage.id}' to '{ref}' in earlier stage '{target.stage.id}'",
                    hint="if customers really go back here, mark the loop as intended with `# cjm: disable=CJM403`",
                    at_key=False,
                )
