"""A touchpoint's ``events`` rules -> Ibis boolean expressions, and each event's touchpoint.

Text tests compare the column as text; number tests read it as a number (text that is not a
number fails them). A test on an empty or missing value fails; ``negated`` then holds. Case-
insensitive tests lower-case both sides (a regex gets ``(?i)``, which RE2 and Java share).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from cjm.evidence.source import PROPERTY_PREFIX, property_column
from cjm.format.model import JourneyMap
from cjm.format.model_events import EVENT_COLUMN, Condition, Matcher


REGEX_SPECIALS = set("\\.^$|?*+()[]{}")


@dataclass(frozen=True)
class RuleTouchpoint:
    """A touchpoint that has ``events`` rules; ``code`` is its place among them, in map order."""

    code: int
    id: str
    stage: str
    stage_code: int  # the stage's place in the map
    matchers: tuple[Matcher, ...]


def rule_touchpoints(journey_map: JourneyMap) -> list[RuleTouchpoint]:
    found: list[RuleTouchpoint] = []
    for stage_code, stage in enumerate(journey_map.stages):
        for touchpoint in stage.touchpoints:
            if touchpoint.events:
                found.append(RuleTouchpoint(len(found), touchpoint.id, stage.id, stage_code, tuple(touchpoint.events)))
    return found


def glob_regex(pattern: str) -> str:
    """A shell pattern (``*`` any text, ``?`` one character) as an anchored regex both engines read alike."""
    parts = [".*" if char == "*" else "." if char == "?" else "\\" + char if char in REGEX_SPECIALS else char
             for char in pattern]
    return "(?s)^" + "".join(parts) + "$"


def simple_glob(pattern: str) -> tuple[str, str] | None:
    """A shell pattern that is a plain text test (``/c/*`` is a prefix), as (operator, operand);
    engines run those much faster than a regex."""
    if "?" in pattern:
        return None
    parts = pattern.split("*")
    if len(parts) == 1:
        return "equals", pattern
    if len(parts) == 2 and not parts[1]:
        return "prefix", parts[0]
    if len(parts) == 2 and not parts[0]:
        return "suffix", parts[1]
    if len(parts) == 3 and not parts[0] and not parts[2]:
        return "contains", parts[1]
    return None


def _column(table: ir.Table, name: str) -> ir.StringValue:
    return table.event if name == EVENT_COLUMN else table[property_column(name)]


def _text_test(text: ir.StringValue, operator: str, operand, folded: bool) -> ir.BooleanValue:
    fold = (lambda value: value.lower()) if folded else (lambda value: value)
    if operator == "regex":
        return text.re_search(("(?i)" if folded else "") + operand)
    if operator == "glob":
        simple = simple_glob(operand)
        if simple is None:
            return text.re_search(("(?i)" if folded else "") + glob_regex(operand))
        operator, operand = simple
    subject = fold(text)
    if operator == "in":
        return subject.isin([value.lower() if folded else value for value in operand])
    value = operand.lower() if folded else operand
    if operator == "equals":
        return subject == value
    if operator == "prefix":
        return subject.startswith(value)
    if operator == "suffix":
        return subject.endswith(value)
    return subject.contains(value)


def condition_expr(table: ir.Table, condition: Condition) -> ir.BooleanValue:
    operator = condition.operator()
    operand = condition.operand(operator)
    column = _column(table, condition.property)
    if operator == "exists":
        present = column.notnull() & (column != "")
        test = present if operand else ~present
    elif operator in ("gt", "gte", "lt", "lte"):
        number = column.strip().try_cast("float64")
        test = {"gt": number > operand, "gte": number >= operand,
                "lt": number < operand, "lte": number <= operand}[operator]
    else:
        test = _text_test(column, operator, operand, condition.case_insensitive)
    test = test.fill_null(False)
    return ~test if condition.negated else test


def matcher_expr(table: ir.Table, matcher: Matcher) -> ir.BooleanValue:
    tests = [table.event == matcher.event] if matcher.event is not None else []
    tests.extend(condition_expr(table, condition) for condition in matcher.where)
    combined = tests[0]
    for test in tests[1:]:
        combined = combined & test
    return combined


def touchpoint_expr(table: ir.Table, touchpoint: RuleTouchpoint) -> ir.BooleanValue:
    """The event belongs to the touchpoint when any of its matchers holds."""
    names = [m.event for m in touchpoint.matchers if m.event is not None and not m.where]
    others = [m for m in touchpoint.matchers if m.where or m.event is None]
    tests = [table.event.isin(names)] if names else []  # plain names: one IN test
    tests.extend(matcher_expr(table, matcher) for matcher in others)
    combined = tests[0]
    for test in tests[1:]:
        combined = combined | test
    return combined


def match_column(code: int) -> str:
    return f"m{code}"


def assign_touchpoints(events: ir.Table, touchpoints: list[RuleTouchpoint], keep: tuple[str, ...] = ()) -> ir.Table:
    """Adds ``m<code>`` (the touchpoint's rules hold) and ``tp``: the first touchpoint in map order
    that matches, or null; the property columns, no longer needed, are left out (but those named
    in ``keep``: the segment columns)."""
    flagged = events.mutate(**{match_column(tp.code): touchpoint_expr(events, tp) for tp in touchpoints})
    first = ibis.cases(*((flagged[match_column(tp.code)], tp.code) for tp in touchpoints), else_=ibis.null("int32"))
    kept = [name for name in flagged.columns
            if not name.startswith(PROPERTY_PREFIX) or name[len(PROPERTY_PREFIX):] in keep]
    return flagged.select(*kept, tp=first.cast("int32"))
