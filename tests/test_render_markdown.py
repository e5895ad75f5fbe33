"""``--view map --format md``: the Markdown report, read back with a CommonMark + GFM-tables parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from cjm.journey import Journey
from cjm.render import RenderError, RenderOptions, view_module
from cjm.render.markdown import fence, inline, report
from cjm.render.mermaid import journey_source
from cjm.format.validate import read_map
from hostile_maps import HOSTILE, hostile_journey, load_journey

EXAMPLES = sorted(Path(__file__).resolve().parent.parent.joinpath("examples").glob("*.cjm.yaml"))
PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def flat(text: str) -> str:
    return " ".join(text.split())


def plain(inline_token) -> str:
    """The text of an inline token; any markup inside (emphasis, links, code, html) fails the test."""
    kinds = {child.type for child in inline_token.children or []}
    assert kinds <= {"text"}, (kinds, inline_token.content)
    return "".join(child.content for child in inline_token.children or [])


def tables(tokens) -> list[list[list[str]]]:
    """Each table as rows of cell texts (header row first)."""
    out, row, in_table = [], None, False
    for token in tokens:
        if token.type == "table_open":
            out.append([])
            in_table = True
        elif token.type == "table_close":
            in_table = False
        elif in_table and token.type == "tr_open":
            row = []
            out[-1].append(row)
        elif in_table and token.type == "inline":
            row.append(plain(token))
    return out


@pytest.mark.parametrize("text, expected", [
    ("a | b", "a \\| b"),
    ("back\\slash", "back\\\\slash"),
    ("two\nlines", "two lines"),
    ("# not a heading", "\\# not a heading"),
    ("> not a quote", "&gt; not a quote"),
    ("- not a list", "\\- not a list"),
    ("12. not a list", "12\\. not a list"),
    ("3.5 days", "3.5 days"),
    ("<b>bold</b> & co", "&lt;b&gt;bold&lt;/b&gt; &amp; co"),
    ("*a* _b_ `c` [d](e) ~~f~~ $g$ @h", "\\*a\\* \\_b\\_ \\`c\\` \\[d\\](e) \\~\\~f\\~\\~ \\$g\\$ \\@h"),
])
def test_inline_escaping(text, expected):
    assert inline(text) == expected


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_reads_back_as_the_same_text(text):
    tokens = PARSER.parse(f"| h |\n| --- |\n| {inline(text)} |\n\n{inline(text)}\n")
    assert tables(tokens) == [[["h"], [flat(text)]]]
    paragraph = [t for t in tokens if t.type == "inline"][-1]
    assert plain(paragraph) == flat(text)


def test_a_fence_is_longer_than_any_backtick_run_inside():
    assert fence("plain", "mermaid") == "```mermaid\nplain\n```\n"
    body = "a ```` b\n```\n"
    block = fence(body)
    assert block.startswith("`````\n") and block.endswith("\n`````\n")
    assert [t.content for t in PARSER.parse(block) if t.type == "fence"] == [body]


def test_hostile_map_report_has_only_our_structure():
    journey = hostile_journey()
    text = report(journey)
    tokens = PARSER.parse(text)
    assert not [t for t in tokens if t.type in ("html_block", "html_inline")]
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0] == inline(journey.map.title)
    assert [t.tag for t in tokens if t.type == "heading_open"] == ["h1"] + ["h2"] * (len(headings) - 1)
    assert headings[1:] == ["Objectives", "Personas", "Journey", "Pain points", "Opportunities",
                            "Moments of truth", "Metrics"]
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1 and fences[0].info == "mermaid"
    assert fences[0].content == journey_source(journey)
    pains = tables(tokens)[1]
    assert pains[0] == ["Stage", "Touchpoint", "Pain point"]
    expected = [[flat(s.stage.name), flat(s.touchpoint.name), flat(p)] for s in journey.steps for p in s.touchpoint.pains]
    assert pains[1:] == expected
    for table in tables(tokens):
        assert len({len(row) for row in table}) == 1


def test_header_facts_objectives_and_stale_review(monkeypatch):
    monkeypatch.setenv("CJM_TODAY", "2026-01-01")
    journey = load_journey(b"""
cjm: 1
id: m
title: Checkout
description: "First paragraph.\\n\\nSecond one."
owner: Web team
reviewed: 2025-03-01
objectives: [{id: o, statement: Sell more, metric: conversion, baseline: 2.1, target: 2.8, unit: "%", due: 2026-06-30}]
stages: []
""")
    text = report(journey)
    assert text.startswith("# Checkout\n\nFirst paragraph.\n\nSecond one.\n\n- **Owner:** Web team\n")
    assert "- **Last review:** \u26a0 2025-03-01 (306 days ago; stale: older than 183 days)" in text
    assert "| Sell more | conversion | 2.1% | 2.8% | 2026-06-30 |" in text
    monkeypatch.setenv("CJM_TODAY", "2025-04-01")
    assert "- **Last review:** 2025-03-01 (31 days ago)\n" in report(journey)


def test_metrics_say_met_or_missed_in_words_reading_the_direction():
    journey = load_journey(b"""
cjm: 1
id: m
title: T
stages:
  - id: s
    name: S
    touchpoints:
      - id: t
        name: T
        moment_of_truth: true
        emotion: -1
        metrics:
          - {name: conversion, value: 61, target: 70, unit: "%"}
          - {name: wait, value: 40, target: 60, unit: s, direction: lower}
          - {name: csat, value: 4.5}
""")
    rows = tables(PARSER.parse(report(journey)))[-1]
    assert rows[1][2:7] == ["conversion", "61%", "70%", "higher is better", "\u2718 target missed"]
    assert rows[2][2:7] == ["wait", "40 s", "60 s", "lower is better", "\u2714 target met"]
    assert rows[3][6] == "\u2013 no target or no value"
    moments = tables(PARSER.parse(report(journey)))[-2]
    assert moments[1][2] == "\u22121 (negative)"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_render_through_the_map_view(path):
    loaded = read_map(path)
    journey = Journey(loaded.journey, loaded.personas)
    view = view_module("map")
    assert "md" in view.FORMATS
    text = view.render(journey, "md", RenderOptions()).decode("utf-8")
    assert text == report(journey)
    tokens = PARSER.parse(text)
    assert not [t for t in tokens if t.type in ("html_block", "html_inline")]
    assert sum(1 for t in tokens if t.type == "fence") == 1


def test_persona_view_and_unknown_persona():
    journey = hostile_journey()
    text = report(journey, "p2")
    assert "Persona view" in text
    assert text.count("\n- **") == 5  # owner, review, counts, persona view + one persona card
    with pytest.raises(RenderError, match="no persona 'zz'"):
        report(journey, "zz")


def test_today_comes_from_cjm_today_then_source_date_epoch(monkeypatch):
    from cjm.render.mapfacts import today

    monkeypatch.delenv("CJM_TODAY", raising=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert today().isoformat() == "2026-01-01"
    monkeypatch.setenv("CJM_TODAY", "2027-02-03")
    assert today().isoformat() == "2027-02-03"
    monkeypatch.setenv("CJM_TODAY", "soon")
    with pytest.raises(RenderError, match="CJM_TODAY"):
        today()
