"""Coverage rules (CJM1xx): every stage, persona and channel is on the map."""

from __future__ import annotations

import difflib
from typing import Iterator

from cjm.format.diagnostics import Path, Severity
from cjm.journey import Journey, channel_is_online
from cjm.lint.registry import Finding, Rule, register
from cjm.format.model import KNOWN_CHANNELS, Persona


def served_by_stage(journey: Journey) -> list[set[str]]:
    """For each stage, the ids of the personas that at least one of its touchpoints serves."""
    out: list[set[str]] = [set() for _ in journey.map.stages]
    for step in journey.steps:
        out[step.stage_index].update(journey.personas_at(step))
    return out


def persona_path(journey: Journey, persona: Persona) -> Path:
    """Where a persona is written: in this map, or (for an imported one) at the ``imports`` key."""
    for i, own in enumerate(journey.map.personas):
        if own.id == persona.id:
            return ("personas", i)
    return ("imports",)


@register
class StageWithoutTouchpoints(Rule):
    """Reports a stage that lists no touchpoints.

    A stage is only on the map once it says where the customer meets the brand in it.
    Mapping the journey means plotting its touchpoints stage by stage (Step 5, map out
    the customer journey: "For each stage of the journey, plot the identified
    touchpoints"); an empty stage is a phase of the journey nobody has looked at yet.

    **Fails**

    ```yaml
    stages:
      - id: delivery
        name: Delivery
    ```

    **Passes**

    ```yaml
    stages:
      - id: delivery
        name: Delivery
        touchpoints:
          - id: tracking-page
            name: Parcel tracking page
    ```
    """

    code = "CJM101"
    name = "stage-without-touchpoints"
    group = "coverage"
    severity = Severity.warning
    summary = "A stage has no touchpoints."
    hint = "add the touchpoints where customers meet you in this stage, or remove the stage"

    def check(self, journey: Journey) -> Iterator[Finding]:
        for s, stage in enumerate(journey.map.stages):
            if not stage.touchpoints:
                yield Finding(("stages", s), f"stage '{stage.id}' has no touchpoints")


@register
class StageWithoutContent(Rule):
    """Reports a stage where neither the stage nor any of its touchpoints lists content.

    A journey map shows "the content needed to make a purchase" and "the gaps in
    content" (why map at all: gaps in content). A stage with touchpoints but no guide,
    FAQ, email or page behind any of them is such a gap: the customer arrives with
    questions and finds nothing that answers them. Stages without touchpoints are left
    to CJM101.

    **Fails**

    ```yaml
    stages:
      - id: returns
        name: Returns
        touchpoints:
          - id: returns-portal
            name: Returns portal
    ```

    **Passes**

    ```yaml
    stages:
      - id: returns
        name: Returns
        content: [Returns policy]
        touchpoints:
          - id: returns-portal
            name: Returns portal
    ```
    """

    code = "CJM102"
    name = "stage-without-content"
    group = "coverage"
    severity = Severity.warning
    summary = "A stage and its touchpoints list no content assets (a gap in content)."
    hint = "list the guides, FAQs, emails or pages that serve this stage under `content`"

    def check(self, journey: Journey) -> Iterator[Finding]:
        for s, stage in enumerate(journey.map.stages):
            if stage.touchpoints and not stage.content and not any(t.content for t in stage.touchpoints):
                yield Finding(("stages", s), f"stage '{stage.id}' has no content: neither the stage nor its touchpoints list any")


@register
class PersonaNotServed(Rule):
    """Reports a persona of this map that no touchpoint serves.

    The map follows its personas (meet your customers: "Create buyer personas for each
    of your customers"); a persona that appears at no touchpoint has no journey on the
    map at all. A touchpoint serves every persona unless it lists `personas`. Only the
    map's own personas are checked: a map that imports a shared persona file may follow
    just some of them. Maps without touchpoints (persona libraries) are skipped.

    **Fails**

    ```yaml
    personas:
      - {id: rosa, name: Rosa}
      - {id: tom, name: Tom}
    stages:
      - id: checkout
        name: Checkout
        touchpoints:
          - {id: cart, name: Cart page, personas: [rosa]}
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
          - {id: cart, name: Cart page, personas: [rosa, tom]}
    ```
    """

    code = "CJM103"
    name = "persona-not-served"
    group = "coverage"
    severity = Severity.warning
    summary = "A persona is served by no touchpoint."

    def check(self, journey: Journey) -> Iterator[Finding]:
        if not journey.steps:
            return
        served = set().union(*served_by_stage(journey))
        for i, persona in enumerate(journey.map.personas):
            if persona.id not in served:
                yield Finding(
                    ("personas", i), f"persona '{persona.id}' is served by no touchpoint",
                    hint=f"add '{persona.id}' to the `personas` of the touchpoints they use, or remove the persona",
                )


@register
class PersonaSkipsStage(Rule):
    """Reports a stage that a persona never passes through.

    Each persona should be followed through every stage ("outline the stages of the
    journey" for each persona): when no touchpoint of a stage serves a persona, either
    the map misses how that persona gets through the stage, or the stage is not part of
    their journey, which is worth saying out loud. Personas that no touchpoint serves at
    all are left to CJM103, and stages without touchpoints to CJM101.

    **Fails**

    ```yaml
    personas:
      - {id: rosa, name: Rosa}
      - {id: tom, name: Tom}
    stages:
      - id: discover
        name: Discover
        touchpoints:
          - {id: search-ad, name: Search ad}
      - id: checkout
        name: Checkout
        touchpoints:
          - {id: cart, name: Cart page, personas: [rosa]}
    ```

    **Passes**

    ```yaml
    personas:
      - {id: rosa, name: Rosa}
      - {id: tom, name: Tom}
    stages:
      - id: discover
        name: Discover
        touchpoints:
          - {id: search-ad, name: Search ad}
      - id: checkout
        name: Checkout
        touchpoints:
          - {id: cart, name: Cart page, personas: [rosa]}
          - {id: guest-checkout, name: Guest checkout, personas: [tom]}
    ```
    """

    code = "CJM104"
    name = "persona-skips-stage"
    group = "coverage"
    severity = Severity.info
    summary = "A persona never passes through a stage."

    def check(self, journey: Journey) -> Iterator[Finding]:
        by_stage = served_by_stage(journey)
        followed = [p for p in journey.persona_ids if any(p in served for served in by_stage)]
        for s, stage in enumerate(journey.map.stages):
            for persona in followed:
                if stage.touchpoints and persona not in by_stage[s]:
                    yield Finding(
                        ("stages", s), f"persona '{persona}' never passes through stage '{stage.id}'",
                        hint=f"if they do, add '{persona}' to the `personas` of a touchpoint here",
                    )


@register
class JourneyEndsAtSale(Rule):
    """Reports a map whose last stage is the decision or purchase.

    The journey goes on past the sale: delivery, onboarding, use, support, renewal and
    recommendation decide whether a customer comes back (the journey runs from first
    awareness "to the point where they make a purchase and beyond"; stages awareness,
    consideration, decision and post-purchase; "the last impression can be crucial for
    repeat business and referrals"). The sale stage is the last stage of kind
    `decision` or `purchase`, else the last whose name reads like one (checkout, order,
    sign-up ...). A map with no such stage is not reported.

    **Fails**

    ```yaml
    stages:
      - {id: discover, name: Discover, kind: awareness}
      - {id: checkout, name: Checkout, kind: purchase}
    ```

    **Passes**

    ```yaml
    stages:
      - {id: discover, name: Discover, kind: awareness}
      - {id: checkout, name: Checkout, kind: purchase}
      - {id: delivery, name: Delivery, kind: onboarding}
    ```
    """

    code = "CJM105"
    name = "journey-ends-at-sale"
    group = "coverage"
    severity = Severity.warning
    summary = "No stage comes after the purchase or decision."
    hint = "map what happens after the sale: delivery, onboarding, use, support, renewal, advocacy"

    def check(self, journey: Journey) -> Iterator[Finding]:
        sale = journey.sale_stage_index
        if sale is not None and sale == journey.last_stage_index:
            stage = journey.map.stages[sale]
            yield Finding(("stages", sale), f"the journey ends at stage '{stage.id}', the sale: no stage comes after it")


@register
class SingleChannel(Rule):
    """Reports a journey whose touchpoints all use one channel, or name none.

    Customers meet a brand on owned, paid and third-party channels, online and offline
    (map out "all the places customers can interact with your brand"; "These touchpoints
    can be both online and offline"). A map with a single channel usually maps one
    team's funnel rather than the customer's journey: the search, the review site, the
    friend's advice and the support call are missing. A map with touchpoints but no
    `channel` anywhere cannot show it either way and is reported too.

    **Fails**

    ```yaml
    stages:
      - id: buy
        name: Buy
        touchpoints:
          - {id: product-page, name: Product page, channel: web}
          - {id: checkout, name: Checkout, channel: web}
    ```

    **Passes**

    ```yaml
    stages:
      - id: buy
        name: Buy
        touchpoints:
          - {id: review, name: Review site, channel: review-site}
          - {id: checkout, name: Checkout, channel: web}
    ```
    """

    code = "CJM106"
    name = "single-channel"
    group = "coverage"
    severity = Severity.warning
    summary = "Every touchpoint uses the same channel (not omni-channel)."
    hint = "add the touchpoints on other channels: search, social, review sites, email, store, phone ..."

    def check(self, journey: Journey) -> Iterator[Finding]:
        if not journey.steps:
            return
        channels = journey.channels()
        if not channels:
            yield Finding(("stages",), "no touchpoint names its `channel`, so the map cannot show the channel mix")
        elif len(channels) == 1:
            count = len(journey.steps)
            yield Finding(("stages",), f"all {count} touchpoint{'s' if count != 1 else ''} use the single channel '{channels[0]}'")


@register
class OnlineOfflineMismatch(Rule):
    """Reports personas who use offline channels when every touchpoint is online, or the reverse.

    Touchpoints "can happen online or offline ... through marketing, in person, or over
    the phone", and personas record the channels they use ("what channels do they use to
    reach you?"). When a persona lists a store, the phone or print but the map is all
    web and email, part of their journey is missing (and the other way round). A persona
    channel that some touchpoint uses is covered, whatever its kind.

    A touchpoint is online or offline by its `online` field, else by its channel: store,
    phone, event, mail, print, word-of-mouth, sales, tv and radio are offline; web,
    search, social, email, chat, app, review-site, sms, video and in-product are online;
    others (support, partner, community, ads ...) count as unknown and are left out.

    **Fails**

    ```yaml
    personas:
      - {id: walter, name: Walter, channels: [store, phone]}
    stages:
      - id: open-account
        name: Open an account
        touchpoints:
          - {id: web-form, name: Online form, channel: web}
    ```

    **Passes**

    ```yaml
    personas:
      - {id: walter, name: Walter, channels: [store, phone]}
    stages:
      - id: open-account
        name: Open an account
        touchpoints:
          - {id: web-form, name: Online form, channel: web}
          - {id: branch-visit, name: Branch appointment, channel: store}
    ```
    """

    code = "CJM107"
    name = "online-offline-mismatch"
    group = "coverage"
    severity = Severity.warning
    summary = "Touchpoints are all online (or all offline) while personas use channels of the other kind."

    def check(self, journey: Journey) -> Iterator[Finding]:
        kinds = {journey.is_online(step) for step in journey.steps} - {None}
        if len(kinds) != 1:
            return
        all_online = kinds.pop()
        mapped, other = ("online", "offline") if all_online else ("offline", "online")
        used = set(journey.channels())
        for persona in journey.personas:
            for c, channel in enumerate(persona.channels):
                if channel_is_online(channel) is (not all_online) and channel.strip().lower() not in used:
                    path = persona_path(journey, persona)
                    if path[0] == "personas":
                        path = path + ("channels", c)
                    yield Finding(
                        path, f"persona '{persona.id}' uses {other} channel '{channel}' but every touchpoint is {mapped}",
                        hint=f"map where '{persona.id}' meets you {other}, or drop the channel from the persona",
                    )
                    break


@register
class UnknownChannel(Rule):
    """Reports a channel outside the known vocabulary.

    A shared channel vocabulary is what makes maps comparable, lets cjm tell online from
    offline touchpoints (CJM107) and counts the channel mix (CJM106) (on the emotion
    curve, "Each point is defined by two aspects: the channel by which it is produced
    and by the emotion it arouses"). Known channels: web, search, social, email, ads,
    store, phone, chat, app, review-site, event, word-of-mouth, sales, support, sms,
    mail, partner, community, video, print, tv, radio, in-product. Case does not matter.
    Channels of imported personas are checked in their own file.

    **Fails**

    ```yaml
    stages:
      - id: discover
        name: Discover
        touchpoints:
          - {id: insta-ad, name: Instagram ad, channel: instagram}
    ```

    **Passes**

    ```yaml
    stages:
      - id: discover
        name: Discover
        touchpoints:
          - {id: insta-ad, name: Instagram ad, channel: social}
    ```
    """

    code = "CJM108"
    name = "unknown-channel"
    group = "coverage"
    severity = Severity.info
    summary = "A channel is not in the known channel vocabulary."

    def check(self, journey: Journey) -> Iterator[Finding]:
        for i, persona in enumerate(journey.map.personas):
            for c, channel in enumerate(persona.channels):
                if not _known(channel):
                    yield self._finding(("personas", i, "channels", c), channel, f"persona '{persona.id}'")
        for step in journey.steps:
            channel = step.touchpoint.channel
            if channel is not None and not _known(channel):
                yield self._finding(step.path + ("channel",), channel, f"touchpoint '{step.id}'")

    def _finding(self, path: Path, channel: str, where: str) -> Finding:
        close = difflib.get_close_matches(channel.strip().lower(), KNOWN_CHANNELS, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"known channels: {', '.join(KNOWN_CHANNELS)}"
        return Finding(path, f"{where} uses unknown channel '{channel}'", hint=hint, at_key=False)


def _known(channel: str) -> bool:
    return channel.strip().lower() in KNOWN_CHANNELS
