"""The map format, version 1: the only definition of what a journey map is.

The loader hands these models plain data whose scalars are all strings (see
``cjm.format.load``), so YAML 1.1 guessing never happens: pydantic's lax mode turns
``"1"`` into a number where a number is wanted and leaves text as written.
Every field has a description; it becomes editor hover text and reference docs.
Annotations are evaluated as written (no ``from __future__ import annotations``):
pydantic then need not resolve them from strings, which makes start-up faster.
"""

import datetime as dt
import math
import re
from enum import Enum
from typing import Annotated, Any, Union

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    WithJsonSchema,
)

from cjm.format.model_base import Model, empty_dict, empty_list
from cjm.format.model_events import Analytics, Events

FORMAT_VERSION = 1

SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SAFE_URL = re.compile(r"^(?:https?://|(?![a-zA-Z][a-zA-Z0-9+.-]*:))", re.IGNORECASE)
# Browsers drop leading spaces and control characters and every tab and newline of a link before
# reading its scheme, so " javascript:" and "java<TAB>script:" run script: judge links as they read them.
URL_IGNORED_BY_BROWSERS = re.compile(r"^[\x00-\x20]+|[\t\n\r]")

KNOWN_CHANNELS = (
    "web", "search", "social", "email", "ads", "store", "phone", "chat", "app",
    "review-site", "event", "word-of-mouth", "sales", "support", "sms", "mail",
    "partner", "community", "video", "print", "tv", "radio", "in-product",
)


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and not ISO_DATE.match(value.strip()):
        raise ValueError("expected an ISO date such as 2026-03-31 (YYYY-MM-DD)")
    return value.strip() if isinstance(value, str) else value


def _safe_url(value: str) -> str:
    seen = value
    if "&" in seen:  # Markdown and HTML readers decode character references in links: "jav&#x09;ascript:"
        import html

        seen = html.unescape(seen)
    if not SAFE_URL.match(URL_IGNORED_BY_BROWSERS.sub("", seen)):
        raise ValueError("a link must be http(s) or a relative path")
    return value


def _format_version(value: int) -> int:
    if value != FORMAT_VERSION:
        raise ValueError(f"unsupported format version {value}; this cjm reads version {FORMAT_VERSION}")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


Id = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN, max_length=64),
    Field(description="A slug: lower-case letters, digits, '-' or '_', e.g. `checkout-page`."),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(max_length=20000)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Number = Annotated[float, Field(allow_inf_nan=False), AfterValidator(_finite)]
Score = Annotated[
    float,
    Field(ge=-2, le=2, allow_inf_nan=False, description="Emotion from -2 (very negative) to +2 (very positive); 0 is neutral."),
]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_safe_url)]


class Medium(str, Enum):
    owned = "owned"
    paid = "paid"
    earned = "earned"


class EvidenceKind(str, Enum):
    quantitative = "quantitative"
    qualitative = "qualitative"


class Direction(str, Enum):
    higher = "higher"
    lower = "lower"


class StageKind(str, Enum):
    awareness = "awareness"
    consideration = "consideration"
    decision = "decision"
    purchase = "purchase"
    onboarding = "onboarding"
    usage = "usage"
    retention = "retention"
    support = "support"
    advocacy = "advocacy"
    other = "other"


class Objective(Model):
    """A specific, measurable goal the map serves ("increase online sales by 20% next quarter")."""

    id: Id
    statement: Text = Field(description="What the business wants to achieve, in one sentence.")
    metric: Text | None = Field(None, description="The KPI that measures it, e.g. `checkout conversion`.")
    baseline: Number | None = Field(None, description="Where the metric stands today.")
    target: Number | None = Field(None, description="Where the metric should get to.")
    unit: Text | None = Field(None, description="Unit of baseline and target, e.g. `%`.")
    due: IsoDate | None = Field(None, description="When the target should be met (YYYY-MM-DD).")


class Persona(Model):
    """A semi-fictional customer, based on research, whose journey the map follows."""

    id: Id
    name: Text = Field(description="The persona's name, e.g. `Rosa, repeat buyer`.")
    description: LongText | None = Field(None, description="Who they are, in a few sentences.")
    demographics: dict[Text, Text] = Field(default_factory=empty_dict, description="Facts such as age or role, as text.")
    goals: list[Text] = Field(default_factory=empty_list, description="What they want to achieve.")
    challenges: list[Text] = Field(default_factory=empty_list, description="What stands in their way.")
    behaviors: list[Text] = Field(default_factory=empty_list, description="How they typically act.")
    channels: list[Text] = Field(default_factory=empty_list, description="Channels they use, e.g. `social`, `store`.")


class ContentAsset(Model):
    """A piece of content that serves a stage or a touchpoint."""

    title: Text = Field(description="What the asset is, e.g. `Size guide`.")
    kind: Text | None = Field(None, description="Format, e.g. `article`, `video`, `faq`.")
    url: Url | None = Field(None, description="Where it lives: an http(s) link or a relative path.")
    owner: Text | None = Field(None, description="Team responsible for it.")


def _asset_kind(value: Any) -> str:
    return "text" if isinstance(value, str) else "asset"


def _assets(items: list[ContentAsset | str]) -> list[ContentAsset]:
    return [ContentAsset.model_construct(title=item) if isinstance(item, str) else item for item in items]


Content = Annotated[
    list[
        Annotated[
            Union[Annotated[Text, Tag("text")], Annotated[ContentAsset, Tag("asset")]],
            Discriminator(_asset_kind),
        ]
    ],
    AfterValidator(_assets),
    Field(description="Content assets: a title, or `{title, kind, url, owner}`."),
]


class Metric(Model):
    """A KPI measured at a touchpoint, against a target."""

    name: Text = Field(description="What is measured, e.g. `CSAT` or `conversion`.")
    value: Number | None = Field(None, description="The latest measured value.")
    target: Number | None = Field(None, description="The value the team aims for.")
    unit: Text | None = Field(None, description="Unit, e.g. `%` or `s`.")
    source: Text | None = Field(None, description="Where the value comes from, e.g. `GA4`.")
    direction: Direction = Field(Direction.higher, description="Whether a `higher` or `lower` value is better.")


class Evidence(Model):
    """Research behind what the map says about a touchpoint."""

    source: Text = Field(description="Where it comes from, e.g. `exit survey Q1`.")
    kind: EvidenceKind = Field(description="`quantitative` (analytics, surveys) or `qualitative` (interviews).")
    date: IsoDate | None = Field(None, description="When it was collected (YYYY-MM-DD).")
    n: Annotated[int, Field(ge=0)] | None = Field(None, description="Sample size.")
    url: Url | None = Field(None, description="Link to the research: http(s) or relative.")


class LabelledEmotion(Model):
    """An emotion score with a word for it."""

    score: Score
    label: Text | None = Field(None, description="A word for the feeling, e.g. `relieved`.")


LABELLED_KEYS = frozenset({"score", "label"})  # a mapping with these is a labelled emotion, not per persona


def _emotion_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "labelled" if LABELLED_KEYS & value.keys() else "per_persona"
    if isinstance(value, LabelledEmotion):
        return "labelled"
    return "number"


Emotion = Annotated[
    Union[
        Annotated[Score, Tag("number")],
        Annotated[dict[Id, Score], Tag("per_persona")],
        Annotated[LabelledEmotion, Tag("labelled")],
    ],
    Discriminator(_emotion_kind),
    Field(
        description=(
            "A score from -2 to +2 for every persona, a mapping persona id -> score, "
            "or `{score, label}`."
        )
    ),
]


class Touchpoint(Model):
    """A point where the customer interacts with the brand."""

    id: Id
    name: Text = Field(description="What happens here, e.g. `Product page`.")
    channel: Text | None = Field(None, description="Where: web, search, social, email, ads, store, phone, chat, app, review-site, event, word-of-mouth, sales, support, ...")
    medium: Medium | None = Field(None, description="`owned`, `paid` or `earned` channel.")
    online: bool | None = Field(None, description="Whether the touchpoint happens online.")
    owner: Text | None = Field(None, description="Team responsible for the touchpoint.")
    personas: list[Id] | None = Field(None, description="Persona ids this touchpoint serves; all personas when left out.")
    actions: list[Text] = Field(default_factory=empty_list, description="What the customer does.")
    thoughts: list[Text] = Field(default_factory=empty_list, description="What the customer thinks or asks.")
    pains: list[Text] = Field(default_factory=empty_list, description="Pain points and roadblocks.")
    opportunities: list[Text] = Field(default_factory=empty_list, description="Planned actions and ideas to improve it.")
    frontstage: list[Text] = Field(default_factory=empty_list, description="What the business does that the customer sees (the blueprint's frontstage: above the line of visibility).")
    backstage: list[Text] = Field(default_factory=empty_list, description="What the business does out of sight (the blueprint's backstage: below the line of visibility).")
    physical_evidence: list[Text] = Field(default_factory=empty_list, description="What the customer sees, touches or keeps here, e.g. `order confirmation email`, `parcel label` (the service blueprint's physical evidence; Bitner, Ostrom and Morgan 2008).")
    support_processes: list[Text] = Field(default_factory=empty_list, description="Internal services, systems and teams the frontstage and backstage rely on, e.g. `payment provider`, `warehouse system` (the blueprint's support processes, below the line of internal interaction).")
    fail_points: list[Text] = Field(default_factory=empty_list, description="How the service can fail here, e.g. `card declined` (fail points, Shostack 1984); drawn as F on the blueprint.")
    wait_time: Text | None = Field(None, description="How long the customer waits here, e.g. `2-3 working days` (a wait point, Shostack 1984); drawn as W on the blueprint.")
    content: Content = Field(default_factory=empty_list)
    emotion: Emotion | None = Field(None, description="The as-is emotion: a score from -2 to +2, a mapping persona id -> score, or `{score, label}`.")
    target_emotion: Emotion | None = Field(None, description="The to-be emotion, in the same forms as `emotion`.")
    moment_of_truth: bool = Field(False, description="A pivotal moment where customers form a lasting impression.")
    metrics: list[Metric] = Field(default_factory=empty_list, description="KPIs measured here.")
    evidence: list[Evidence] = Field(default_factory=empty_list, description="Research behind the emotions and pains.")
    next: list[Id] = Field(default_factory=empty_list, description="Touchpoint ids the customer can go to next; loops are allowed.")
    events: Events = Field(default_factory=empty_list)


class Stage(Model):
    """A phase of the journey; stages are ordered as written."""

    id: Id
    name: Text = Field(description="The stage's name, e.g. `Consideration`.")
    kind: StageKind | None = Field(None, description="Which phase of the buyer journey this is (awareness ... advocacy).")
    description: LongText | None = Field(None, description="What this stage covers.")
    customer_goal: Text | None = Field(None, description="What the customer wants to get done here.")
    objectives: list[Id] = Field(default_factory=empty_list, description="Ids of map objectives this stage serves.")
    content: Content = Field(default_factory=empty_list)
    touchpoints: list[Touchpoint] = Field(default_factory=empty_list, description="Touchpoints in this stage, in order.")


class JourneyMap(Model):
    """A customer journey map."""

    model_config = ConfigDict(title="cjm journey map, format version 1", defer_build=False)

    cjm: Annotated[
        int,
        AfterValidator(_format_version),
        WithJsonSchema({"const": FORMAT_VERSION, "type": "integer"}),
    ] = Field(description="Format version; always 1.")
    id: Id
    title: Text = Field(description="The map's title.")
    description: LongText | None = Field(None, description="What journey this is and why it was mapped.")
    owner: Text | None = Field(None, description="Team or person who keeps the map up to date.")
    reviewed: IsoDate | None = Field(None, description="When the map was last reviewed (YYYY-MM-DD).")
    objectives: list[Objective] = Field(default_factory=empty_list, description="What the map is for, measurably.")
    personas: list[Persona] = Field(default_factory=empty_list, description="Customers whose journey is mapped.")
    stages: list[Stage] = Field(default_factory=empty_list, description="Stages in journey order.")
    analytics: Analytics | None = Field(None, description="The event log that shows what customers actually did (`cjm evidence`).")
    imports: list[Annotated[str, StringConstraints(min_length=1, max_length=1000)]] = Field(
        default_factory=empty_list,
        description="Relative paths of other map files whose personas are shared into this map.",
    )
