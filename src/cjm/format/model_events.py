"""The format's evidence parts: the event source of a map (``analytics``) and the rules that map
events to a touchpoint (``events``). Both are optional; a map without them is unchanged.

A touchpoint's ``events`` is a list of matchers. A matcher is an event name, or a mapping with
``event`` and/or ``where``; conditions inside one matcher must all hold, and an event belongs to
the touchpoint when any matcher holds. Text tests (``equals`` ... ``regex``) compare text; ``gt``,
``gte``, ``lt``, ``lte`` compare numbers. Regular expressions are held to the subset that RE2
(DuckDB, BigQuery) and Java (Spark) both accept, so a rule means the same on every engine.
"""

import re
from enum import Enum
from typing import Annotated, Any, Union

from pydantic import AfterValidator, ConfigDict, Discriminator, Field, StringConstraints, Tag, model_validator

from cjm.format.model_base import Model, empty_list

try:  # the parser behind ``re``; its name lost the ``sre_`` prefix in Python 3.11
    from re import _constants as _re_constants, _parser as _re_parser
except ImportError:  # pragma: no cover - older layouts
    import sre_constants as _re_constants  # type: ignore[no-redef]
    import sre_parse as _re_parser  # type: ignore[no-redef]

COLUMN_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
TEXT_OPERATORS = ("equals", "in", "prefix", "suffix", "contains", "glob", "regex")
NUMBER_OPERATORS = ("gt", "gte", "lt", "lte")
OPERATORS = (*TEXT_OPERATORS, "exists", *NUMBER_OPERATORS)
EVENT_COLUMN = "event"  # in ``where``, the event name itself

_NOT_PORTABLE = {
    _re_constants.ASSERT: "lookahead or lookbehind",
    _re_constants.ASSERT_NOT: "negative lookahead or lookbehind",
    _re_constants.GROUPREF: "a backreference",
    _re_constants.GROUPREF_EXISTS: "a conditional group",
}
for _name, _what in (("POSSESSIVE_REPEAT", "a possessive quantifier"), ("ATOMIC_GROUP", "an atomic group")):
    if hasattr(_re_constants, _name):
        _NOT_PORTABLE[getattr(_re_constants, _name)] = _what


def _first_unportable(node: Any) -> str | None:
    if isinstance(node, _re_parser.SubPattern):
        for op, argument in node:
            found = _NOT_PORTABLE.get(op) or _first_unportable(argument)
            if found:
                return found
    elif isinstance(node, (list, tuple)):
        for part in node:
            found = _first_unportable(part)
            if found:
                return found
    return None


def portable_regex(pattern: str) -> str:
    """``pattern`` if it compiles and stays inside what RE2 and Java regexes share."""
    try:
        parsed = _re_parser.parse(pattern)
    except re.error as error:
        raise ValueError(f"not a valid regular expression: {error.msg} at position {error.pos}") from None
    construct = _first_unportable(parsed)
    if construct:
        raise ValueError(f"{construct} is not in the regex subset that DuckDB, BigQuery and Spark all accept (RE2)")
    if "\\Z" in pattern:
        raise ValueError(r"'\Z' is not in the RE2 subset; use '$'")
    return pattern


Column = Annotated[
    str,
    StringConstraints(pattern=COLUMN_PATTERN, max_length=128),
    Field(description="A column of the event log, e.g. `user_id`."),
]
Value = Annotated[str, StringConstraints(max_length=2000)]
Pattern = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Bound = Annotated[float, Field(allow_inf_nan=False)]


class Preset(str, Enum):
    csv = "csv"
    ga4 = "ga4"
    segment = "segment"
    snowplow = "snowplow"


class Grain(str, Enum):
    user = "user"
    session = "session"


class TimeUnit(str, Enum):
    auto = "auto"
    s = "s"
    ms = "ms"
    us = "us"


class Columns(Model):
    """Which columns of the event log hold what; over a preset, only the ones named change."""

    actor: Column | None = Field(None, description="The user key: whose journey an event belongs to.")
    ts: Column | None = Field(None, description="When the event happened: a timestamp, or a number of `ts_unit` since 1970.")
    event: Column | None = Field(None, description="The event's name.")
    session: Column | None = Field(None, description="The session key, when the log has one.")
    seq: Column | None = Field(None, description="A number that orders events of the same actor with the same time.")
    properties: list[Column] = Field(default_factory=empty_list, description="Columns that `where` conditions may test.")


class Analytics(Model):
    """Where the map's evidence comes from: the event log's shape and how journeys are cut."""

    source: Preset | None = Field(None, description="A preset for a known log: `csv`, `ga4`, `segment` or `snowplow`.")
    columns: Columns | None = Field(None, description="Column names; over a preset, only those that differ.")
    ts_unit: TimeUnit = Field(TimeUnit.auto, description="How a numeric `ts` counts time: `s`, `ms`, `us`, or `auto` (the preset's).")
    grain: Grain = Field(Grain.session, description="One journey per `session` or per `user`.")
    session_gap_minutes: Annotated[int, Field(ge=1, le=10080)] = Field(
        30, description="With no session column, a new session starts after this many minutes without events.")
    min_users: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        5, description="Edges and paths seen by fewer users are left out of every output.")
    segments: Annotated[list[Column], Field(max_length=10)] | None = Field(
        None, description="Log columns to split the journeys by (`cjm evidence compute --segment`): a journey "
                          "belongs to the value its first event has.")

    @model_validator(mode="after")
    def _columns_named(self) -> "Analytics":
        if self.source is None:
            missing = [name for name in ("actor", "ts", "event") if getattr(self.columns, name, None) is None]
            if missing:
                raise ValueError("without a `source` preset, `columns` must name " + ", ".join(f"`{m}`" for m in missing))
        return self


class Condition(Model):
    """One test on a column of the event; name the column and exactly one operator."""

    model_config = ConfigDict(populate_by_name=True)

    property: Column = Field(description="The column tested: one of `analytics.columns.properties`, or `event`.")
    equals: Value | None = Field(None, description="The text is exactly this.")
    in_: list[Value] | None = Field(None, alias="in", min_length=1, max_length=1000, description="The text is one of these.")
    prefix: Pattern | None = Field(None, description="The text starts with this.")
    suffix: Pattern | None = Field(None, description="The text ends with this.")
    contains: Pattern | None = Field(None, description="The text contains this.")
    glob: Pattern | None = Field(None, description="The text matches this shell pattern (`*`, `?`).")
    regex: Annotated[Pattern, AfterValidator(portable_regex)] | None = Field(
        None, description="The text matches this regular expression somewhere (RE2 subset: no lookaround, no backreferences).")
    exists: bool | None = Field(None, description="`true`: the column has a value; `false`: it is empty.")
    gt: Bound | None = Field(None, description="The number is greater than this.")
    gte: Bound | None = Field(None, description="The number is at least this.")
    lt: Bound | None = Field(None, description="The number is less than this.")
    lte: Bound | None = Field(None, description="The number is at most this.")
    negated: bool = Field(False, description="Holds when the test does not.")
    case_insensitive: bool = Field(False, description="Text tests ignore case.")

    def operator(self) -> str:  # a method: the field ``property`` shadows the decorator here
        return next(name for name in OPERATORS if self.operand(name) is not None)

    def operand(self, name: str) -> Any:
        return getattr(self, "in_" if name == "in" else name)

    @model_validator(mode="after")
    def _one_operator(self) -> "Condition":
        given = [name for name in OPERATORS if self.operand(name) is not None]
        if len(given) != 1:
            listed = ", ".join(f"`{name}`" for name in given) if given else "none"
            raise ValueError(f"a condition takes exactly one of {', '.join(OPERATORS)} (given: {listed})")
        return self


class Matcher(Model):
    """Events that belong to a touchpoint: an event name and/or conditions, all of which must hold."""

    event: Value | None = Field(None, description="The event's name, exactly.")
    where: list[Condition] = Field(default_factory=empty_list, max_length=100, description="Conditions on the event's columns.")

    @model_validator(mode="after")
    def _says_something(self) -> "Matcher":
        if self.event is None and not self.where:
            raise ValueError("a matcher needs `event`, `where`, or both")
        return self


def _matcher_kind(value: Any) -> str:
    return "name" if isinstance(value, str) else "matcher"


def _matchers(items: list) -> list[Matcher]:
    return [Matcher.model_construct(event=item, where=[]) if isinstance(item, str) else item for item in items]


Events = Annotated[
    list[
        Annotated[
            Union[Annotated[Pattern, Tag("name")], Annotated[Matcher, Tag("matcher")]],
            Discriminator(_matcher_kind),
        ]
    ],
    AfterValidator(_matchers),
    Field(max_length=200, description="Which logged events are this touchpoint: event names, or `{event, where}` matchers."),
]
