"""Evidence rules (CJM6xx): the map set against what customers did, from an observed file.

They run only when ``cjm lint`` is given the observed journey of the map (``--observed FILE``,
written by ``cjm evidence compute``) and read it as ``journey.observed``. Each finding points at
the part of the map to look at: a touchpoint's ``next``, ``events`` or ``emotion``, a stage, or
``analytics``. Percentages are of the observed counts, so they are as recent as the file.
"""

from __future__ import annotations

from typing import Iterator

from cjm.format.diagnostics import Severity
from cjm.evidence.observed import Observed
from cjm.journey import Journey, Step
from cjm.lint.registry import Finding, Rule, register


class EvidenceRule(Rule):
    group = "evidence"
    uses_observed = True

    def check(self, journey: Journey) -> Iterator[Finding]:
        if journey.observed is None:  # the engine does not run these without evidence; a direct call finds nothing
            return iter(())
        return self.check_observed(journey, journey.observed)

    def check_observed(self, journey: Journey, observed: Observed) -> Iterator[Finding]:
        raise NotImplementedError

    def require_share(self, key: str) -> None:
        self.require(key, 0 <= self.config[key] < 1, "from 0 up to (not including) 1, a share such as 0.1 for 10%")


def percent(share: float) -> str:
    """``38%``, ``10.4%``: one decimal, so a share just above a threshold does not read as equal to it."""
    if 0 < share < 0.0005:
        return "<0.1%"
    if 0.9995 <= share < 1:
        return ">99.9%"
    return f"{share * 100:.1f}".removesuffix(".0") + "%"


def one_line(text: str, limit: int = 60) -> str:
    """Text from the observed file (an event name from the log) for a message: one printable line,
    capped; a log can hold a megabyte in one name, or a line break and then a CI workflow command."""
    flat = "".join(c if c.isprintable() else "?" for c in text[: limit + 1])
    return flat[:limit] + ("\u2026" if len(flat) > limit else "")


def quoted(text: str, limit: int = 60) -> str:
    return f"'{one_line(text, limit)}'"


def declares(journey: Journey, source: str, target: str) -> bool:
    """The map leads from ``source`` to ``target``: directly, or only through touchpoints without
    ``events`` rules (a call, a visit to the store), where customers cannot be seen."""
    seen, todo = {source}, [source]
    while todo:
        for step in journey.successors.get(todo.pop(), []):
            if step.id == target:
                return True
            if step.id not in seen and not step.touchpoint.events:
                seen.add(step.id)
                todo.append(step.id)
    return False


def has_way_onward(journey: Journey, step: Step) -> bool:
    """The map lets the journey go on from here (a ``next``, or a later touchpoint in stage order)."""
    return bool(journey.successors.get(step.id))


@register
class UndeclaredTransition(EvidenceRule):
    """Reports a transition customers often take that the map does not show.

    A map should "take a walk along the real customer journey, not the one you think they
    should have", and "indicate how customers move from one touchpoint to the next". This is
    conformance checking from process mining (van der Aalst, *Process Mining*, 2016): the
    observed directly-follows graph (which touchpoint follows which in each journey) set
    against the map's flow, its `next` or, when the map has none, stage order. A transition from one touchpoint to another that the map
    lacks is reported when it takes more than `min_share` of all the ways out of the first
    touchpoint (journeys that end there included). Customers cannot be seen at a touchpoint
    without `events` rules (a call, a visit to the store), so a step from A to C is the map's
    own when the map leads from A to C through such touchpoints only. Transitions seen by fewer
    than the observed file's `min_users` users are not in the file and never reported.

    **Fails**

    ```yaml
    stages:
      - id: shop
        name: Shop
        touchpoints:
          - {id: catalog, name: Catalog, events: [catalog]}
          - {id: product, name: Product page, events: [product]}
          - {id: cart, name: Cart, events: [cart]}
    ```

    Observed (excerpt):

    ```json
    {"edges": [
      {"source": "catalog", "target": "product", "count": 600, "users": 310, "share": 0.6},
      {"source": "catalog", "target": "cart", "count": 250, "users": 140, "share": 0.25},
      {"source": "catalog", "target": null, "count": 150, "users": 90, "share": 0.15}
    ]}
    ```

    **Passes**

    ```yaml
    stages:
      - id: shop
        name: Shop
        touchpoints:
          - {id: catalog, name: Catalog, events: [catalog], next: [product, cart]}
          - {id: product, name: Product page, events: [product], next: [cart]}
          - {id: cart, name: Cart, events: [cart]}
    ```

    Observed (excerpt):

    ```json
    {"edges": [
      {"source": "catalog", "target": "product", "count": 600, "users": 310, "share": 0.6},
      {"source": "catalog", "target": "cart", "count": 250, "users": 140, "share": 0.25},
      {"source": "catalog", "target": null, "count": 150, "users": 90, "share": 0.15}
    ]}
    ```
    """

    code = "CJM601"
    name = "undeclared-transition"
    severity = Severity.warning
    summary = "Customers often go from one touchpoint to another the map does not lead to."
    options = {"min_share": 0.1}
    option_help = {"min_share": "report a transition taken by more than this share of the ways out of its touchpoint (0.1 = 10%)"}

    def check_options(self) -> None:
        self.require_share("min_share")

    def check_observed(self, journey: Journey, observed: Observed) -> Iterator[Finding]:
        for edge in observed.edges:
            if edge.source is None or edge.target is None or edge.share <= self.config["min_share"]:
                continue
            source, target = journey.by_id.get(edge.source), journey.by_id.get(edge.target)
            if source is None or target is None or declares(journey, source.id, target.id):
                continue
            if journey.uses_next:
                where, hint = source.path + (("next",) if source.touchpoint.next else ()), f"add '{target.id}' to the `next` of '{source.id}'"
            else:
                where, hint = source.path, (f"the map's flow is stage order, which does not lead from '{source.id}' to '{target.id}': "
                                            f"give the touchpoints `next`, or check the event rules of both")
            yield Finding(
                where,
                f"{percent(edge.share)} of the journeys at '{source.id}' go on to '{target.id}' "
                f"({edge.count:,} times, {edge.users:,} users), which the map does not show",
                hint=hint,
            )


@register
class RulesMatchNothing(EvidenceRule):
    """Reports a touchpoint whose event rules matched no event of the log.

    A touchpoint backed by data is only as good as its rules: "The effectiveness of your
    customer journey map largely depends on the accuracy and depth of the customer data you
    collect." In journey analytics terms the touchpoint is not instrumented: either the rules
    are wrong (a misspelt event name, a property test that never holds, a case mismatch) or
    the touchpoint is something nobody does any more. Either way the map claims a step the
    data does not show.

    **Fails**

    ```yaml
    stages:
      - id: shop
        name: Shop
        touchpoints:
          - {id: catalog, name: Catalog, events: [catalog]}
          - {id: cart, name: Cart, events: [add-to-cart]}
    ```

    Observed (excerpt):

    ```json
    {"touchpoints": [
      {"id": "catalog", "stage": "shop", "events": 900, "users": 300, "journeys": 500, "ends": 200, "drop_off": 0.4},
      {"id": "cart", "stage": "shop", "events": 0, "users": 0, "journeys": 0, "ends": 0, "drop_off": null}
    ]}
    ```

    **Passes**

    ```yaml
    stages:
      - id: shop
        name: Shop
        touchpoints:
          - {id: catalog, name: Catalog, events: [catalog]}
          - {id: cart, name: Cart, events: [add_to_cart]}
    ```

    Observed (excerpt):

    ```json
    {"touchpoints": [
      {"id": "catalog", "stage": "shop", "events": 900, "users": 300, "journeys": 500, "ends": 200, "drop_off": 0.4},
      {"id": "cart", "stage": "shop", "events": 300, "users": 120, "journeys": 300, "ends": 300, "drop_off": 1.0}
    ]}
    ```
    """

    code = "CJM602"
    name = "rules-match-nothing"
    severity = Severity.warning
    summary = "A touchpoint's event rules matched no event of the log."
    hint = "check the rules against the event names in the log (the observed file's `unmatched` lists the common ones)"

    def check_observed(self, journey: Journey, observed: Observed) -> Iterator[Finding]:
        for step in journey.steps:
            counts = observed.touchpoint(step.id)
            if step.touchpoint.events and counts is not None and counts.events == 0:
                yield Finding(step.path + ("events",),
                              f"the event rules of '{step.id}' matched none of the {observed.totals.events:,} events in the log")


@register
class StageDropOff(EvidenceRule):
    """Reports a stage where most of the journeys that reach it end.

    "Can you identify spots where customers could fall off the map?" A journey map "identifies
    purchase points that customers commonly get stopped at", and "It is important to know how
    customers move through your sales funnel." This is funnel analysis from journey analytics:
    of the journeys that reach a stage (an event at any of its touchpoints), the share whose
    last step is at one of its touchpoints that the map leads onward from. More than
    `max_share` is reported at the stage, naming the touchpoint where most of them end.

    The funnel runs up to the sale: the stages before the decision or purchase stage (by
    `kind`, else by name, as CJM105 finds it) are checked; a journey that reached the sale may
    end anywhere after it. A map without such a stage has every stage but the last checked.
    Journeys that end at a touchpoint the map lets them end at (no `next`) are complete, not
    lost; a stage reached by fewer than `min_journeys` journeys is too small to judge.

    **Fails**

    ```yaml
    stages:
      - id: browse
        name: Browse
        touchpoints:
          - {id: catalog, name: Catalog, events: [catalog]}
      - id: buy
        name: Buy
        touchpoints:
          - {id: cart, name: Cart, events: [cart]}
    ```

    Observed (excerpt):

    ```json
    {"touchpoints": [
      {"id": "catalog", "stage": "browse", "events": 3000, "users": 500, "journeys": 1000, "ends": 700, "drop_off": 0.7},
      {"id": "cart", "stage": "buy", "events": 400, "users": 200, "journeys": 300, "ends": 300, "drop_off": 1.0}
    ],
    "stages": [
      {"id": "browse", "users": 500, "journeys": 1000, "conversion": null},
      {"id": "buy", "users": 200, "journeys": 300, "conversion": 0.4}
    ]}
    ```

    **Passes**

    ```yaml
    stages:
      - id: browse
        name: Browse
        touchpoints:
          - {id: catalog, name: Catalog, events: [catalog]}
      - id: buy
        name: Buy
        touchpoints:
          - {id: cart, name: Cart, events: [cart]}
    ```

    Observed (excerpt):

    ```json
    {"touchpoints": [
      {"id": "catalog", "stage": "browse", "events": 3000, "users": 500, "journeys": 1000, "ends": 350, "drop_off": 0.35},
      {"id": "cart", "stage": "buy", "events": 900, "users": 350, "journeys": 650, "ends": 650, "drop_off": 1.0}
    ],
    "stages": [
      {"id": "browse", "users": 500, "journeys": 1000, "conversion": null},
      {"id": "buy", "users": 350, "journeys": 650, "conversion": 0.7}
    ]}
    ```
    """

    code = "CJM603"
    name = "stage-drop-off"
    severity = Severity.warning
    summary = "Most of the journeys that reach a stage end there."
    hint = "record at the touchpoint where they end why customers leave (`pains`) and what would keep them (`opportunities`)"
    options = {"max_share": 0.5, "min_journeys": 10}
    option_help = {
        "max_share": "report a stage where more than this share of the journeys that reach it end (0.5 = 50%)",
        "min_journeys": "stages reached by fewer journeys are not judged",
    }

    def check_options(self) -> None:
        self.require_share("max_share")
        self.require("min_journeys", self.config["min_journeys"] >= 0, "0 or more")

    def check_observed(self, journey: Journey, observed: Observed) -> Iterator[Finding]:
        stage_counts = {s.id: s for s in observed.stages}
        sale = journey.sale_stage_index
        funnel = journey.map.stages[:sale] if sale is not None else journey.map.stages[:-1]
        for index, stage in enumerate(funnel):
            counts = stage_counts.get(stage.id)
            if counts is None or not counts.journeys or counts.journeys < self.config["min_journeys"]:
                continue
            ends = {}
            for step in journey.steps_in_stage(index):
                touchpoint = observed.touchpoint(step.id)
                if touchpoint is not None and has_way_onward(journey, step):
                    ends[step.id] = touchpoint.ends
            total = sum(ends.values())
            share = total / counts.journeys
            if share > self.config["max_share"]:
                most = max(ends, key=lambda tp: ends[tp])
                yield Finding(
                    ("stages", index),
                    f"{percent(share)} of the journeys that reach stage '{stage.id}' end there "
                    f"({total:,} of {counts.journeys:,}); most at '{most}' ({ends[most]:,})",
                )


@register
class UnmappedEvents(EvidenceRule):
    """Reports a log where a large share of the events match no touchpoint's rules.

    "The effectiveness of your customer journey map largely depends on the accuracy and depth
    of the customer data you collect", and the map should "Map Customer Interactions Across
    Channels". In process mining, mapping the events of a log onto the activities of a model
    (event abstraction) decides what the discovered process can show: events no rule maps are
    left out of every journey, so transitions through them are invisible and the steps on
    either side look directly connected. More than `max_share` of the events unmapped is
    reported at `analytics`, with the commonest unmapped event names.

    **Fails**

    ```yaml
    analytics: {source: csv}
    stages:
      - id: shop
        name: Shop
        touchpoints:
          - {id: cart, name: Cart, events: [cart]}
    ```

    Observed (excerpt):

    ```json
    {"totals": {"events": 10000, "matched_events": 3000, "unmatched_events": 7000, "unmatched_share": 0.7,
                "users": 400, "journeys": 1200},
     "unmatched": [{"event": "catalog", "events": 5000, "users": 380}, {"event": "product", "events": 2000, "users": 300}]}
    ```

    **Passes**

    ```yaml
    analytics: {source: csv}
    stages:
      - id: shop
        name: Shop
        touchpoints:
          - {id: catalog, name: Catalog, events: [catalog, product]}
          - {id: cart, name: Cart, events: [cart]}
    ```

    Observed (excerpt):

    ```json
    {"totals": {"events": 10000, "matched_events": 10000, "unmatched_events": 0, "unmatched_share": 0.0,
                "users": 400, "journeys": 1200}}
    ```
    """

    code = "CJM604"
    name = "unmapped-events"
    severity = Severity.warning
    summary = "A large share of the logged events match no touchpoint's rules."
    hint = "give the touchpoints `events` rules for these events, or leave events that are no step of the journey out of the log"
    options = {"max_share": 0.2}
    option_help = {"max_share": "report when more than this share of the events match no rule (0.2 = 20%)"}

    def check_options(self) -> None:
        self.require_share("max_share")

    def check_observed(self, journey: Journey, observed: Observed) -> Iterator[Finding]:
        totals = observed.totals
        if totals.unmatched_share <= self.config["max_share"]:
            return
        common = ", ".join(f"{quoted(u.event)} ({u.events:,})" for u in observed.unmatched[:3])
        yield Finding(
            ("analytics",),
            f"{percent(totals.unmatched_share)} of the events in the log match no touchpoint's rules "
            f"({totals.unmatched_events:,} of {totals.events:,})" + (f"; the commonest: {common}" if common else ""),
        )


@register
class OverlappingRules(EvidenceRule):
    """Reports event rules of a touchpoint that match events an earlier touchpoint takes.

    Each event is one step of the journey: it belongs to the first touchpoint in map order
    whose rules match it. When a later touchpoint's rules match the same events, it silently
    gets fewer events than its rules say, and the journey "from one touchpoint to the next"
    is drawn from the wrong steps. In process mining terms the mapping of events to activities
    is ambiguous. Reported at the later touchpoint's `events` when at least `min_events` events
    overlap; make the rules exclusive (a `where` with `negated: true`, or a narrower name).

    **Fails**

    ```yaml
    stages:
      - id: shop
        name: Shop
        touchpoints:
          - id: product
            name: Product page
            events: [{where: [{property: page, prefix: /products/}]}]
          - id: reviews
            name: Reviews
            events: [{where: [{property: page, suffix: /reviews}]}]
    ```

    Observed (excerpt):

    ```json
    {"overlaps": [{"touchpoint": "product", "also": "reviews", "events": 420}]}
    ```

    **Passes**

    ```yaml
    stages:
      - id: shop
        name: Shop
        touchpoints:
          - id: product
            name: Product page
            events: [{where: [{property: page, prefix: /products/}, {property: page, suffix: /reviews, negated: true}]}]
          - id: reviews
            name: Reviews
            events: [{where: [{property: page, suffix: /reviews}]}]
    ```

    Observed (excerpt):

    ```json
    {"overlaps": []}
    ```
    """

    code = "CJM605"
    name = "overlapping-rules"
    severity = Severity.warning
    summary = "A touchpoint's event rules match events that an earlier touchpoint takes."
    options = {"min_events": 1}
    option_help = {"min_events": "report an overlap of at least this many events"}

    def check_options(self) -> None:
        self.require("min_events", self.config["min_events"] >= 1, "1 or more")

    def check_observed(self, journey: Journey, observed: Observed) -> Iterator[Finding]:
        for overlap in observed.overlaps:
            later, first = journey.by_id.get(overlap.also), journey.by_id.get(overlap.touchpoint)
            if later is None or first is None or overlap.events < self.config["min_events"]:
                continue
            yield Finding(
                later.path + ("events",),
                f"{overlap.events:,} events that the rules of '{later.id}' match went to '{first.id}', "
                f"whose rules match them too and which comes first in the map",
                hint=f"make the rules of '{first.id}' and '{later.id}' exclusive (a `where` condition with `negated: true`)",
            )


@register
class EmotionContradictsDropOff(EvidenceRule):
    """Reports a touchpoint the map calls positive where many journeys end.

    The emotion curve is the map's story of the journey ("Map Emotional Highs and Lows"), and
    a map should "take a walk along the real customer journey, not the one you think they
    should have". A touchpoint with an emotion above `min_emotion` (the mean over its personas)
    where more than `max_drop_off` of the journeys that reach it end there, although the map
    leads onward from it, is a high on the curve that the data shows as a place customers
    leave: the story contradicts the data. Touchpoints reached by fewer than `min_journeys`
    journeys are not judged.

    **Fails**

    ```yaml
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - {id: delivery-options, name: Delivery options, emotion: 1, events: [delivery]}
          - {id: payment, name: Payment, emotion: 0, events: [payment]}
    ```

    Observed (excerpt):

    ```json
    {"touchpoints": [
      {"id": "delivery-options", "stage": "checkout", "events": 800, "users": 500, "journeys": 700, "ends": 420, "drop_off": 0.6},
      {"id": "payment", "stage": "checkout", "events": 300, "users": 250, "journeys": 280, "ends": 280, "drop_off": 1.0}
    ]}
    ```

    **Passes**

    ```yaml
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - id: delivery-options
            name: Delivery options
            emotion: -1
            pains: [Delivery costs show up only now]
            opportunities: [Show delivery costs on the product page]
            events: [delivery]
          - {id: payment, name: Payment, emotion: 0, events: [payment]}
    ```

    Observed (excerpt):

    ```json
    {"touchpoints": [
      {"id": "delivery-options", "stage": "checkout", "events": 800, "users": 500, "journeys": 700, "ends": 420, "drop_off": 0.6},
      {"id": "payment", "stage": "checkout", "events": 300, "users": 250, "journeys": 280, "ends": 280, "drop_off": 1.0}
    ]}
    ```
    """

    code = "CJM606"
    name = "emotion-contradicts-drop-off"
    severity = Severity.warning
    summary = "A touchpoint the map calls positive is where many journeys end."
    hint = "check the emotion against what customers say here, and record the pain point that makes them leave"
    options = {"max_drop_off": 0.4, "min_emotion": 0.0, "min_journeys": 10}
    option_help = {
        "max_drop_off": "report when more than this share of the journeys that reach the touchpoint end there (0.4 = 40%)",
        "min_emotion": "emotions above this count as positive",
        "min_journeys": "touchpoints reached by fewer journeys are not judged",
    }

    def check_options(self) -> None:
        self.require_share("max_drop_off")
        self.require("min_emotion", -2 <= self.config["min_emotion"] < 2, "from -2 up to (not including) 2")
        self.require("min_journeys", self.config["min_journeys"] >= 0, "0 or more")

    def check_observed(self, journey: Journey, observed: Observed) -> Iterator[Finding]:
        for step in journey.steps:
            emotion = journey.average_emotion(step)
            counts = observed.touchpoint(step.id)
            if emotion is None or emotion <= self.config["min_emotion"] or counts is None or counts.drop_off is None:
                continue
            if counts.journeys < self.config["min_journeys"] or not has_way_onward(journey, step):
                continue
            if counts.drop_off > self.config["max_drop_off"]:
                yield Finding(
                    step.path + ("emotion",),
                    f"the map calls '{step.id}' positive (emotion {emotion:+g}), but {percent(counts.drop_off)} of the "
                    f"journeys that reach it end there ({counts.ends:,} of {counts.journeys:,})",
                )


@register
class StaleEvidence(EvidenceRule):
    """Reports an observed file computed from other event rules than the map has now.

    The map is "a living document", and "If you introduce significant changes to your
    product/service, evaluate how they affect your customer journey map." The same holds the
    other way round: once the `analytics` block or a touchpoint's `events` change, figures
    computed from the old rules describe other touchpoints than the map shows. The observed
    file records a fingerprint of the rules it was computed from (`provenance.rules_sha256`);
    when it differs from the map's, recompute the file with `cjm evidence compute`.

    **Fails**

    ```yaml
    stages:
      - id: shop
        name: Shop
        touchpoints:
          - {id: cart, name: Cart, events: [cart]}
    ```

    Observed (excerpt):

    ```json
    {"provenance": {"rules_sha256": "0f6c7e0d2d3b9a1e5a4c8b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f"}}
    ```

    **Passes**

    ```yaml
    stages:
      - id: shop
        name: Shop
        touchpoints:
          - {id: cart, name: Cart, events: [cart]}
    ```

    Observed (excerpt; the rest, and `rules_sha256`, as `cjm evidence compute` wrote it for this map):

    ```json
    {"totals": {"events": 900, "matched_events": 900, "unmatched_events": 0, "unmatched_share": 0.0, "users": 120, "journeys": 300}}
    ```
    """

    code = "CJM607"
    name = "stale-evidence"
    severity = Severity.warning
    summary = "The observed file was computed from other event rules than the map has."

    def check_observed(self, journey: Journey, observed: Observed) -> Iterator[Finding]:
        from cjm.evidence.fingerprint import rules_fingerprint

        now = rules_fingerprint(journey.map)
        then = observed.provenance.rules_sha256
        if then != now:
            yield Finding(
                ("analytics",),
                f"the observed file was computed from other event rules (rules_sha256 {one_line(then, 12)}, the map's now {now[:12]}…): "
                f"its figures may describe other touchpoints than the map shows",
                hint="recompute it: `cjm evidence compute MAP --events ...`",
            )


@register
class SegmentConversionGap(EvidenceRule):
    """Reports a stage where one segment of the journeys converts much worse than the others.

    A map drawn for one average customer hides the customers it fails. CX practice splits the
    funnel by who the customers are before it trusts it: Google Analytics' funnel explorations
    break each step down by a dimension such as the device category, Amplitude and Mixpanel
    compare the conversion of segments side by side, and Nielsen Norman Group advises a journey
    map per group of customers whose journeys differ, rather than one map that averages them.

    With `cjm evidence compute --segment COLUMN` (or `analytics.segments`), the observed file
    holds each stage's conversion per value of the column: of the users who reached the stage
    with rules before it, the share who reached this one. A segment whose conversion is more
    than `max_gap` (in points of share) below that of the other segments taken together is
    reported at the stage, when at least `min_users` of its users reached the stage before.

    **Fails**

    ```yaml
    stages:
      - id: cart
        name: Cart
        touchpoints:
          - {id: basket, name: Basket, events: [cart]}
      - id: pay
        name: Pay
        touchpoints:
          - {id: payment, name: Payment, events: [payment]}
    ```

    Observed (excerpt):

    ```json
    {"segments": [{"column": "platform", "values": [
      {"value": "desktop", "totals": {"journeys": 900, "users": 600},
       "stages": [{"id": "cart", "users": 600, "journeys": 900}, {"id": "pay", "users": 480, "journeys": 700, "conversion": 0.8}]},
      {"value": "mobile", "totals": {"journeys": 600, "users": 400},
       "stages": [{"id": "cart", "users": 400, "journeys": 600}, {"id": "pay", "users": 220, "journeys": 300, "conversion": 0.55}]}
    ]}]}
    ```

    **Passes**

    ```yaml
    stages:
      - id: cart
        name: Cart
        touchpoints:
          - {id: basket, name: Basket, events: [cart]}
      - id: pay
        name: Pay
        touchpoints:
          - {id: payment, name: Payment, events: [payment]}
    ```

    Observed (excerpt):

    ```json
    {"segments": [{"column": "platform", "values": [
      {"value": "desktop", "totals": {"journeys": 900, "users": 600},
       "stages": [{"id": "cart", "users": 600, "journeys": 900}, {"id": "pay", "users": 480, "journeys": 700, "conversion": 0.8}]},
      {"value": "mobile", "totals": {"journeys": 600, "users": 400},
       "stages": [{"id": "cart", "users": 400, "journeys": 600}, {"id": "pay", "users": 300, "journeys": 420, "conversion": 0.75}]}
    ]}]}
    ```
    """

    code = "CJM608"
    name = "segment-conversion-gap"
    severity = Severity.warning
    summary = "One segment of the journeys converts much worse at a stage than the others."
    hint = ("draw what that segment meets at the stage (a touchpoint of its own, `pains`, `opportunities`), "
            "or a map for it; `cjm render --observed FILE --compare A B` shows the two side by side")
    options = {"max_gap": 0.1, "min_users": 30}
    option_help = {
        "max_gap": "report a segment whose conversion is more than this below the other segments' (0.1 = 10 points)",
        "min_users": "a segment with fewer users at the stage before is not judged",
    }

    def check_options(self) -> None:
        self.require_share("max_gap")
        self.require("min_users", self.config["min_users"] >= 0, "0 or more")

    def check_observed(self, journey: Journey, observed: Observed) -> Iterator[Finding]:
        from cjm.evidence.observed import segment_label

        index_of = {stage.id: i for i, stage in enumerate(journey.map.stages)}
        for segment in observed.segments:
            if len(segment.values) < 2:
                continue
            # per stage: (value, converted users, users at the stage before) of each segment value
            table: dict[str, list[tuple[str | None, float, int]]] = {}
            for view in segment.values:
                before = None
                for counts in view.stages:
                    if counts.users is None:
                        continue
                    if before is not None and counts.conversion is not None and before:
                        table.setdefault(counts.id, []).append((view.value, counts.conversion * before, before))
                    before = counts.users
            for stage_id, rows in table.items():
                if stage_id not in index_of:
                    continue
                for value, converted, reached in rows:
                    others = [(c, r) for v, c, r in rows if v != value]
                    if reached < self.config["min_users"] or not others or not sum(r for _, r in others):
                        continue
                    own = converted / reached
                    rest = sum(c for c, _ in others) / sum(r for _, r in others)
                    if rest - own > self.config["max_gap"]:
                        yield Finding(
                            ("stages", index_of[stage_id]),
                            f"segment {one_line(segment.column)}={quoted(segment_label(value))}: {percent(own)} of its users "
                            f"who reached the stage before reach '{stage_id}' ({round(converted):,} of {reached:,}), "
                            f"against {percent(rest)} in the other segments",
                        )
