"""Upkeep rules (CJM5xx): a living document, reviewed and owned."""

from __future__ import annotations

from typing import Iterator

from cjm.format.diagnostics import Severity
from cjm.journey import Journey
from cjm.lint.registry import Finding, Rule, register, today


@register
class ReviewOverdue(Rule):
    """Reports a map with no `reviewed` date, one reviewed too long ago, or one dated in the future.

    The map "should be viewed as a living document": "Consider updating or making
    changes to it every 6 months or so" (and on the emotion curve: "The CJM is a living
    document, you will have to modify as time passes"). `reviewed` records when the team
    last walked through the map; more than `max_age_days` ago (default 183, about six
    months) means it is due. A date after today is a typo.

    Today is the system date, or `CJM_TODAY=YYYY-MM-DD` for reproducible runs.

    **Fails**

    ```yaml
    owner: E-commerce team
    reviewed: 2019-03-01
    ```

    **Passes** (until six months after the date)

    ```yaml
    owner: E-commerce team
    reviewed: 2026-10-01
    ```
    """

    code = "CJM501"
    name = "review-overdue"
    group = "upkeep"
    severity = Severity.warning
    summary = "The map's `reviewed` date is missing or older than six months."
    options = {"max_age_days": 183}
    option_help = {"max_age_days": "how many days after `reviewed` the map is due for review"}

    def check_options(self) -> None:
        self.require("max_age_days", self.config["max_age_days"] >= 0, "0 or more")

    def check(self, journey: Journey) -> Iterator[Finding]:
        reviewed = journey.map.reviewed
        if reviewed is None:
            yield Finding((), "the map has no `reviewed` date",
                          hint=f"review the map with the team and add `reviewed: {today().isoformat()}`")
            return
        age = (today() - reviewed).days
        if age < 0:
            yield Finding(("reviewed",), f"`reviewed` date {reviewed.isoformat()} is in the future")
        elif age > self.config["max_age_days"]:
            yield Finding(
                ("reviewed",), f"the map was last reviewed on {reviewed.isoformat()}, {age} days ago "
                               f"(more than {self.config['max_age_days']})",
                hint="walk through the map with the team against fresh data, then update `reviewed`",
            )


@register
class MapWithoutOwner(Rule):
    """Reports a map with no `owner`.

    A living document needs someone who keeps it alive: "involve your team in regular
    reviews", "schedule regular meetings with your team to review the customer journey
    map" (Step 8: test and refine). The `owner` is the team or person who calls those
    reviews and keeps the map up to date.

    **Fails**

    ```yaml
    title: Online shop checkout
    reviewed: 2026-10-01
    ```

    **Passes**

    ```yaml
    title: Online shop checkout
    owner: E-commerce CX team
    reviewed: 2026-10-01
    ```
    """

    code = "CJM502"
    name = "map-without-owner"
    group = "upkeep"
    severity = Severity.warning
    summary = "The map has no owner."
    hint = "add `owner`: the team or person who keeps the map up to date"

    def check(self, journey: Journey) -> Iterator[Finding]:
        if journey.map.owner is None:
            yield Finding((), "the map has no `owner`")


@register
class PainWithoutOwner(Rule):
    """Reports a touchpoint with pain points but no `owner`.

    Pain points only get fixed when a team owns them ("prioritize and fix roadblocks";
    "involve cross-functional teams": website, service and marketing each own their
    part). A touchpoint that lists `pains` should name the team responsible for it.

    **Fails**

    ```yaml
    stages:
      - id: delivery
        name: Delivery
        touchpoints:
          - id: missed-delivery
            name: Missed-delivery card
            pains: [No way to rebook online]
    ```

    **Passes**

    ```yaml
    stages:
      - id: delivery
        name: Delivery
        touchpoints:
          - id: missed-delivery
            name: Missed-delivery card
            owner: Logistics team
            pains: [No way to rebook online]
    ```
    """

    code = "CJM503"
    name = "pain-without-owner"
    group = "upkeep"
    severity = Severity.warning
    summary = "A touchpoint with pain points has no owner."
    hint = "add `owner`: the team that will fix these pains"

    def check(self, journey: Journey) -> Iterator[Finding]:
        for step in journey.steps:
            if step.touchpoint.pains and step.touchpoint.owner is None:
                count = len(step.touchpoint.pains)
                yield Finding(step.path, f"touchpoint '{step.id}' has {count} pain{'s' if count != 1 else ''} but no `owner`")
