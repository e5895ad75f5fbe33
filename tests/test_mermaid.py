"""Mermaid journey export: score mapping, escaping against Mermaid's own lexer rules, the view."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cjm.importers.mermaid import decode
from cjm.journey import Journey
from cjm.render import RenderError, RenderOptions, view_module
from cjm.render.mermaid import NO_EMOTION_MARK, escape, from_mermaid_score, journey_source, to_mermaid_score
from cjm.format.validate import read_map
from hostile_maps import HOSTILE, hostile_journey, load_journey

EXAMPLES = sorted(Path(__file__).resolve().parent.parent.joinpath("examples").glob("*.cjm.yaml"))

# Mermaid replaces entity codes before lexing (encodeEntities: #\w+; -> placeholder); these are
# the journey lexer's token rules (journey.jison) for what may follow, applied to one line.
ENTITY = re.compile(r"#\w+;")
TASK = re.compile(r"^\s*[^#:\n;]+:[^#\n;]+$")
TITLE = re.compile(r"^\s*title\s[^#\n;]+$")
SECTION = re.compile(r"^\s*section\s[^#:\n;]+$")
ACC_DESCR = re.compile(r"^\s*accDescr\s*:\s*[^\n]*$")
KEYWORD_START = re.compile(r"^\s*(journey|title|section|accTitle|accDescr)", re.IGNORECASE)


def lexes_as(line: str) -> str:
    """Which journey statement Mermaid's lexer reads ``line`` as, or 'invalid'."""
    text = ENTITY.sub("E", line)
    if "%%" in text or "\n" in text:
        return "invalid"
    if text.strip() == "journey":
        return "journey"
    if TITLE.match(text):
        return "title"
    if ACC_DESCR.match(text):
        return "accDescr"
    if SECTION.match(text):
        return "section"
    if TASK.match(text) and not KEYWORD_START.match(text):
        return "task"
    return "invalid"


def journey_of(path: Path) -> Journey:
    loaded = read_map(path)
    assert loaded.valid
    return Journey(loaded.journey, loaded.personas)


@pytest.mark.parametrize("score, expected", [
    (-2, 1), (-1.5, 2), (-1, 2), (-0.5, 3), (0, 3), (0.25, 3), (0.5, 4), (1, 4), (1.5, 5), (2, 5),
])
def test_scores_map_linearly_to_1_to_5_rounding_half_up(score, expected):
    assert to_mermaid_score(score) == expected


@pytest.mark.parametrize("value, expected", [(1, -2), (2, -1), (3, 0), (4, 1), (5, 2), (3.5, 0.5)])
def test_scores_map_back(value, expected):
    assert from_mermaid_score(value) == expected


@pytest.mark.parametrize("score", [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2])
def test_round_trip_moves_a_score_by_half_a_step_at_most(score):
    assert abs(from_mermaid_score(to_mermaid_score(score)) - score) <= 0.5


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_has_no_mermaid_syntax_left(text):
    out = escape(text, statement_start=True)
    bare = ENTITY.sub("", out)
    assert not set(bare) & set("#:;,%\"'<>&`{}\n\r"), bare
    assert lexes_as(f"    {out}: 3: {escape(text)}") == "task"
    assert lexes_as(f"    section {escape(text)}") == "section"
    assert lexes_as(f"    title {escape(text)}") == "title"


@pytest.mark.parametrize("name", ["Journey planner", "Title page", "section 2 review", "accTitle", "ACCDESCR x"])
def test_a_task_name_starting_with_a_keyword_is_not_read_as_the_keyword(name):
    out = escape(name, statement_start=True)
    assert not KEYWORD_START.match(out)
    assert decode(out, 1, 1) == name


def test_line_breaks_become_spaces():
    assert escape("one\ntwo\r\nthree\u2028four") == "one two three four"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60))
def test_escape_then_decode_gives_the_text_back(text):
    expected = " ".join(text.split()) or " "
    assert decode(escape(text, statement_start=True), 1, 1) == expected


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_exported_line_is_a_journey_statement(path):
    journey = journey_of(path)
    lines = journey_source(journey).splitlines()
    assert lines[0] == "journey"
    kinds = [lexes_as(line) if line.strip() != NO_EMOTION_MARK else "mark" for line in lines]
    assert "invalid" not in kinds, [line for line, kind in zip(lines, kinds) if kind == "invalid"]
    assert kinds.count("section") == len(journey.map.stages)
    tasks = [line for line, kind in zip(lines, kinds) if kind == "task"]
    assert len(tasks) >= len(journey.steps)


def test_hostile_map_exports_only_journey_statements():
    lines = journey_source(hostile_journey()).splitlines()
    assert all(lexes_as(line) != "invalid" or line.strip() == NO_EMOTION_MARK for line in lines), lines


def test_personas_who_feel_differently_get_a_line_each():
    journey = load_journey(b"""
cjm: 1
id: m
title: T
personas: [{id: rosa, name: "Rosa, buyer"}, {id: tom, name: Tom}]
stages:
  - id: s
    name: Checkout
    touchpoints:
      - {id: pay, name: Pay, emotion: {rosa: -1, tom: 1}}
      - {id: ship, name: Ship, emotion: 1}
      - {id: gift, name: Gift note, personas: [tom], emotion: {tom: 2}}
""")
    assert journey_source(journey).splitlines()[3:] == [
        "        Pay: 2: Rosa#44; buyer",
        "        Pay: 4: Tom",
        "        Ship: 4: Rosa#44; buyer, Tom",
        "        Gift note: 5: Tom",
    ]


def test_a_touchpoint_without_emotion_is_marked_and_neutral():
    journey = load_journey(b"""
cjm: 1
id: m
title: T
stages:
  - id: s
    name: S
    touchpoints:
      - {id: a, name: A}
      - {id: b, name: B, emotion: -2}
""")
    assert journey_source(journey).splitlines()[2:] == [
        "    section S", f"        {NO_EMOTION_MARK}", "        A: 3", "        B: 1"]


def test_persona_view_keeps_that_persona_only():
    journey = journey_of(next(p for p in EXAMPLES if "saas" in p.name))
    source = journey_source(journey, "jonas")
    tasks = [line for line in source.splitlines() if lexes_as(line) == "task"]
    assert tasks and all(line.rsplit(": ", 1)[1].startswith("Jonas") for line in tasks)
    assert "Priya" not in source.split("accDescr")[0] + "".join(tasks)
    assert len(tasks) == sum(1 for s in journey.steps if journey.serves(s, "jonas"))


def test_duplicate_persona_names_are_told_apart():
    journey = load_journey(b"""
cjm: 1
id: m
title: T
personas: [{id: a, name: Sam}, {id: b, name: Sam}]
stages: [{id: s, name: S, touchpoints: [{id: t, name: T, emotion: 0}]}]
""")
    assert journey_source(journey).splitlines()[-1] == "        T: 3: Sam (a), Sam (b)"


def test_the_journey_view_writes_mermaid_and_refuses_an_unknown_persona():
    view = view_module("journey")
    assert view.FORMATS == ("mermaid",)
    journey = journey_of(EXAMPLES[0])
    assert view.render(journey, "mermaid", RenderOptions()).decode("utf-8") == journey_source(journey)
    with pytest.raises(RenderError, match="no persona 'nobody'"):
        view.render(journey, "mermaid", RenderOptions(persona="nobody"))
