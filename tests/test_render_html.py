"""``--view map --format html``: one self-contained, accessible, escaped page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import Markup

from cjm.format.diagnostics import Diagnostic, Severity
from cjm.journey import Journey
from cjm.render import RenderError, RenderOptions, view_module
from cjm.render import html_map
from cjm.render.html_map import CSP, COLUMN_PX, TEXT_PAIRS, build_page, html_page, palette, safe_href
from cjm.render.inline_svg import UnsafeSvg, inline_svg
from cjm.render.theme import DARK, LIGHT
from cjm.format.validate import read_map
from hostile_maps import HOSTILE, hostile_journey, load_journey

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.joinpath("examples").glob("*.cjm.yaml"))
TEMPLATE = ROOT / "src" / "cjm" / "render" / "templates" / "map.html.j2"


class Page(HTMLParser):
    """Elements in document order, with attributes and the text inside each id'd element."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text_parts.append(data)

    def all(self, tag: str) -> list[dict]:
        return [attrs for t, attrs in self.elements if t == tag]

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())


def journey_of(path: Path) -> Journey:
    loaded = read_map(path)
    assert loaded.valid
    return Journey(loaded.journey, loaded.personas)


def no_pictures(journey, options, *rest):
    return Markup("<svg></svg>")


def page_data(journey: Journey, **options) -> dict:
    return build_page(journey, RenderOptions(**options), curve=no_pictures, diagram=no_pictures)


@pytest.fixture(scope="module")
def hostile_html() -> str:
    return html_page(hostile_journey())


# --- colour contrast -----------------------------------------------------------------

def luminance(color: str) -> float:
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_function_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=lambda t: t.name)
@pytest.mark.parametrize("fg, bg", TEXT_PAIRS)
def test_every_text_colour_passes_wcag_aa_on_its_background(theme, fg, bg):
    colors = palette(theme)
    assert contrast(colors[fg], colors[bg]) >= 4.5, (theme.name, fg, colors[fg], bg, colors[bg])


def test_every_colour_the_css_uses_is_in_the_palette():
    used = set(re.findall(r"var\(--([a-z0-9-]+)\)", TEMPLATE.read_text(encoding="utf-8")))
    used = {u for u in used if not u.startswith("emo-")}
    assert used <= set(palette(LIGHT)) and used <= set(palette(DARK))


# --- links ---------------------------------------------------------------------------

@pytest.mark.parametrize("url, expected", [
    ("https://example.com/a", "https://example.com/a"),
    ("HTTP://example.com", "HTTP://example.com"),
    ("docs/guide.html#size", "docs/guide.html#size"),
    ("../x.pdf", "../x.pdf"),
    ("#section", "#section"),
    ("javascript:alert(1)", None),
    ("JavaScript:alert(1)", None),
    (" javascript:alert(1)", None),
    ("\x01javascript:alert(1)", None),
    ("java\tscript:alert(1)", None),
    ("java\nscript:alert(1)", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("vbscript:msgbox", None),
    ("file:///etc/passwd", None),
    ("\\\\evil.example\\share", None),
    ("/\\evil.example", None),
    ("https:", None),
    ("", None),
    (None, None),
])
def test_links_are_http_or_relative_as_a_browser_reads_them(url, expected):
    assert safe_href(url) == expected


# --- the page ------------------------------------------------------------------------

def test_page_is_self_contained_with_a_csp_and_no_script(hostile_html):
    page = Page(hostile_html)
    metas = {m.get("http-equiv"): m.get("content") for m in page.all("meta")}
    assert metas["Content-Security-Policy"] == CSP
    assert "default-src 'none'" in CSP and "script-src 'none'" in CSP
    assert not page.all("script") and not page.all("img") and not page.all("iframe") and not page.all("link")
    for tag, attrs in page.elements:
        assert not [a for a in attrs if a.lower().startswith("on")], (tag, attrs)
        for name in ("src", "srcset", "action", "formaction", "xlink:href"):
            assert name not in attrs, (tag, attrs)
        if "href" in attrs:
            assert attrs["href"].startswith(("#", "https://example.com/")), attrs["href"]
    assert "javascript:" not in " ".join(a.get("href") or "" for a in page.all("a"))


def test_hostile_text_arrives_as_text(hostile_html):
    page = Page(hostile_html)
    journey = hostile_journey()
    for text in HOSTILE:
        assert " ".join(text.split()) in page.text
    assert "<script" not in hostile_html.lower()
    assert journey.steps[0].touchpoint.name in page.text
    # autoescape turned every markup character of map text into entities
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in hostile_html
    assert "{{ 7*7 }} {% raw %}" in page.text  # template syntax in map text is not evaluated


def test_template_never_marks_text_safe():
    source = TEMPLATE.read_text(encoding="utf-8")
    assert "|safe" not in source.replace(" ", "") and "autoescape false" not in source
    assert "{{ lane.curve.base }}" in source  # pictures: Markup from inline_svg only


def test_real_table_structure_with_scoped_headers():
    journey = journey_of(next(p for p in EXAMPLES if "checkout" in p.name))
    page = Page(html_page(journey))
    ids = [attrs["id"] for _, attrs in page.elements if attrs.get("id")]
    assert len(ids) == len(set(ids))
    scopes = [attrs.get("scope") for attrs in page.all("th")]
    assert scopes.count("colgroup") == len(journey.map.stages)
    assert scopes.count("col") >= len(journey.steps)
    assert "row" in scopes
    for attrs in page.all("td"):
        for ref in (attrs.get("headers") or "").split():
            assert ref in ids, ref
    assert len(page.all("h1")) == 1 and page.all("h2") and page.all("caption")
    svgs = page.all("svg")
    assert svgs and all(s.get("role") == "img" for s in svgs)


def test_one_column_group_per_stage_as_wide_as_its_touchpoints():
    journey = load_journey(b"""
cjm: 1
id: m
title: T
stages:
  - {id: a, name: A, touchpoints: [{id: a1, name: A1, emotion: 1}, {id: a2, name: A2, emotion: 0}, {id: a3, name: A3}]}
  - {id: b, name: B}
  - {id: c, name: C, touchpoints: [{id: c1, name: C1, emotion: -1}]}
""")
    html = html_page(journey)
    groups = re.findall(r"<colgroup>((?:<col class=\"tp\">)+)</colgroup>", html)
    assert [g.count("<col") for g in groups] == [3, 1, 1]
    assert re.findall(r'<th scope="colgroup" colspan="(\d+)"', html) == ["3", "1", "1"]
    assert "no touchpoints" in html


def test_curve_points_are_asked_for_at_the_column_centres():
    journey = load_journey(b"""
cjm: 1
id: m
title: T
personas: [{id: p, name: P}, {id: q, name: Q}]
stages:
  - {id: a, name: A, touchpoints: [{id: a1, name: A1, emotion: 1}, {id: a2, name: A2, personas: [q], emotion: 0}]}
  - {id: b, name: B}
  - {id: c, name: C, touchpoints: [{id: c1, name: C1, emotion: -1}]}
""")
    calls = []

    def curve(journey_, options, columns, prefix):
        calls.append((options.theme, options.persona, html_map.column_positions(columns), len(columns)))
        return Markup("<svg></svg>")

    build_page(journey, RenderOptions(), curve=curve, diagram=no_pictures)
    centres = [0.5 * COLUMN_PX, 1.5 * COLUMN_PX, 3.5 * COLUMN_PX]  # column 2 is stage B's placeholder
    assert calls == [("light", None, centres, 4), ("dark", None, centres, 4)]
    calls.clear()
    build_page(journey, RenderOptions(persona="p"), curve=curve, diagram=no_pictures)
    assert calls[0] == ("light", "p", [0.5 * COLUMN_PX, 2.5 * COLUMN_PX], 3)


def test_real_curve_is_as_wide_as_the_columns():
    journey = journey_of(EXAMPLES[0])
    page = page_data(journey)
    lane = next(lane for lane in build_page(journey, RenderOptions(), diagram=no_pictures)["lanes"] if lane.key == "curve")
    width = len(page["columns"]) * COLUMN_PX
    for picture in lane.curve.values():
        assert re.match(r'<svg [^>]*viewBox="0 0 %s ' % re.escape(f"{width:g}"), str(picture))
    assert 'id="light-' in str(lane.curve["base"]) and 'id="dark-' in str(lane.curve["dark"])


def test_empty_lanes_are_left_out():
    journey = load_journey(b"""
cjm: 1
id: m
title: T
stages:
  - {id: a, name: A, touchpoints: [{id: a1, name: A1, actions: [Looks], pains: [Slow]}]}
""")
    keys = [lane.key for lane in page_data(journey)["lanes"]]
    assert keys == ["actions", "pains"]
    html = html_page(journey)
    for heading in ("Evidence", "Metrics", "Thinking", "Emotion curve", "Customer goal", "Opportunities"):
        assert f">{heading}</th>" not in html


def test_lanes_in_the_order_the_practice_draws_them():
    journey = journey_of(next(p for p in EXAMPLES if "checkout" in p.name))
    headings = [lane.heading for lane in page_data(journey)["lanes"]]
    assert headings == ["Customer goal", "Touchpoint", "Doing", "Thinking", "Emotion curve", "Feeling", "Pain points",
                        "Opportunities", "Moments of truth", "Metrics", "Frontstage", "Backstage", "Content",
                        "Stage content", "Evidence"]


def test_touchpoint_facts_and_metrics_in_words_and_symbols():
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
        channel: store
        medium: paid
        online: false
        moment_of_truth: true
        metrics:
          - {name: conversion, value: 61, target: 70, unit: "%"}
          - {name: wait, value: 40, target: 60, unit: s, direction: lower}
""")
    text = Page(html_page(journey)).text
    assert "channel: store" in text and "medium: paid" in text and "where: offline" in text
    assert "conversion 61% \u00b7 target \u2265 70% \u2718 target missed" in text
    assert "wait 40 s \u00b7 target \u2264 60 s \u2714 target met" in text
    assert "Moment of truth" in text


def test_header_objectives_personas_and_stale_review(monkeypatch):
    monkeypatch.setenv("CJM_TODAY", "2026-01-01")
    journey = journey_of(next(p for p in EXAMPLES if "saas" in p.name))
    text = Page(html_page(journey)).text
    assert journey.map.title in text and journey.map.owner in text
    assert "Last review 2026-09-30" in text
    for objective in journey.map.objectives:
        assert objective.statement in text
    assert "9% 14%" in text  # baseline and target of the first objective
    for persona in journey.personas:
        assert persona.name in text and persona.goals[0] in text
    monkeypatch.setenv("CJM_TODAY", "2028-01-01")
    assert "stale: older than 183 days" in Page(html_page(journey)).text


def test_persona_view_shows_that_persona_only():
    journey = journey_of(next(p for p in EXAMPLES if "saas" in p.name))
    page = page_data(journey, persona="jonas")
    assert [entry["p"].id for entry in page["personas"]] == ["jonas"]
    shown = [c.step.id for c in page["columns"] if c.step]
    assert shown == [s.id for s in journey.steps if journey.serves(s, "jonas")]
    text = Page(html_page(journey, RenderOptions(persona="jonas"))).text
    assert "The journey of Jonas" in text and "Priya, engineering" not in text
    with pytest.raises(RenderError, match="no persona 'nobody'"):
        page_data(journey, persona="nobody")


def _finding(path, code="CJM101", severity=Severity.warning, message="something to fix") -> Diagnostic:
    return Diagnostic(code, "rule-name", message, "map.cjm.yaml", 3, 5, severity, path)


def test_findings_are_listed_and_marked_on_the_cells_they_concern():
    journey = journey_of(next(p for p in EXAMPLES if "saas" in p.name))
    pricing = journey.by_id["pricing-page"]
    findings = (
        _finding(pricing.path + ("pains", 0)),
        _finding(pricing.path + ("next",), code="CJM301", severity=Severity.error),
        _finding(("stages", 1, "customer_goal"), code="CJM102"),
        _finding(("reviewed",), code="CJM501"),
        _finding(("personas", 1, "channels", 0), code="CJM103"),
        _finding(("objectives", 0), code="CJM201", severity=Severity.info),
    )
    page = page_data(journey, findings=findings)
    where = {f.diagnostic.code: f.anchor for f in page["findings"]}
    s, t = pricing.stage_index, pricing.touchpoint_index
    assert where == {"CJM101": f"pains-tp-{s}-{t}", "CJM301": f"tp-{s}-{t}", "CJM102": "customer_goal-1",
                     "CJM501": "map-title", "CJM103": "persona-1", "CJM201": "objective-0"}
    assert [f.diagnostic.code for f in page["findings"]][0] == "CJM301"  # errors first
    html = html_page(journey, RenderOptions(findings=findings))
    cell = re.search(rf'<td id="pains-tp-{s}-{t}"[^>]*>(.*?)</td>', html, re.S).group(1)
    assert 'href="#finding-' in cell and "CJM101" in cell
    listing = Page(html).text
    assert "Lint findings" in listing and "map.cjm.yaml:3:5" in listing


def test_a_finding_on_a_hidden_touchpoint_goes_to_its_stage():
    journey = journey_of(next(p for p in EXAMPLES if "saas" in p.name))
    hidden = next(s for s in journey.steps if not journey.serves(s, "jonas"))
    page = page_data(journey, persona="jonas", findings=(_finding(hidden.path + ("pains", 0)),))
    assert page["findings"][0].anchor == f"stage-{hidden.stage_index}"


def test_without_dot_the_diagram_is_left_out_with_a_note(monkeypatch):
    import cjm.render.dot as dot

    monkeypatch.setattr(dot.shutil, "which", lambda name: None)
    journey = journey_of(EXAMPLES[0])
    html = html_page(journey)
    assert "The flow diagram is left out: Graphviz" in html
    assert html.count("<svg") == 4  # the light and dark emotion curve and service blueprint only
    assert 'id="flow-h"' in html and "blueprint-h" in html


def test_with_dot_the_diagram_is_inline_svg_with_a_title():
    journey = journey_of(EXAMPLES[0])
    page = build_page(journey, RenderOptions(), curve=no_pictures)
    light = str(page["diagram"]["base"])
    assert light.startswith("<svg") and "<title>Flow diagram of" in light and "<!DOCTYPE" not in light


def test_output_is_deterministic():
    journey = journey_of(EXAMPLES[-1])
    assert html_page(journey) == html_page(journey)


def test_view_registry_renders_html_and_refuses_other_formats():
    view = view_module("map")
    assert view.FORMATS == ("html", "md", "pdf", "png")  # pdf and png: tests/test_map_print.py
    journey = journey_of(EXAMPLES[0])
    assert view.render(journey, "html", RenderOptions()).startswith(b"<!DOCTYPE html>")
    with pytest.raises(RenderError):
        view.render(journey, "svg", RenderOptions())


# --- inline SVG ----------------------------------------------------------------------

def test_inline_svg_keeps_drawing_and_drops_everything_active():
    svg = """<?xml version="1.0"?><!DOCTYPE svg><!-- c -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)"
     aria-labelledby="t">
  <title id="t">Curve</title>
  <script>alert(1)</script>
  <style>body{background:url(http://evil.example/x)}</style>
  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>
  <image href="http://evil.example/x.png"/>
  <defs><linearGradient id="g"/></defs>
  <rect id="r" fill="url(#g)" style="fill:url(http://evil.example/p)" onclick="x()"/>
  <a xlink:href="javascript:alert(1)" href="https://evil.example"><text>t</text></a>
  <use xlink:href="#r"/>
</svg>"""
    out = str(inline_svg(svg, "p-"))
    for gone in ("script", "style", "foreignObject", "image", "onload", "onclick", "evil", "javascript", "<!--", "DOCTYPE", "<?xml"):
        assert gone not in out, gone
    assert 'id="p-g"' in out and 'fill="url(#p-g)"' in out and 'xlink:href="#p-r"' in out
    assert 'aria-labelledby="p-t"' in out and 'role="img"' in out and "<title" in out
    assert out.count("<title") == 1


def test_inline_svg_adds_a_title_and_refuses_what_is_not_svg():
    out = str(inline_svg('<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>', "x-", title="A <picture>"))
    assert out.startswith("<svg") and "<title>A &lt;picture&gt;</title>" in out
    with pytest.raises(UnsafeSvg):
        inline_svg("<html/>", "x-")
    with pytest.raises(UnsafeSvg):
        inline_svg("<svg", "x-")


def test_default_follows_the_system_setting_and_dark_theme_is_dark_everywhere():
    journey = journey_of(EXAMPLES[0])
    auto = html_page(journey)
    assert "prefers-color-scheme: dark" in auto and f"--bg: {LIGHT.background};" in auto
    assert auto.count('class="pic-dark"') == 1 and auto.count('class="pic-base"') == 1
    dark = html_page(journey, RenderOptions(theme="dark"))
    assert "prefers-color-scheme" not in dark and "pic-dark" not in dark.split("</style>")[1]
    assert f"--bg: {DARK.background};" in dark and "color-scheme: dark;" in dark
    with pytest.raises(RenderError, match="unknown theme"):
        page_data(journey, theme="sepia")


def test_a_curve_that_cannot_be_drawn_leaves_the_scores_and_a_note():
    def broken(*args):
        raise RenderError("too many touchpoints to draw")

    journey = journey_of(EXAMPLES[0])
    page = build_page(journey, RenderOptions(), curve=broken, diagram=no_pictures)
    assert "curve" not in [lane.key for lane in page["lanes"]] and "emotion" in [lane.key for lane in page["lanes"]]
    assert page["notes"] == ["The emotion curve is left out: too many touchpoints to draw"]


def test_a_map_too_big_for_a_grid_is_refused_with_what_to_do_instead(monkeypatch):
    monkeypatch.setattr(html_map, "MAX_COLUMNS", 3)
    journey = journey_of(EXAMPLES[0])
    with pytest.raises(RenderError, match=r"at most 3 touchpoints .*\(--persona\)"):
        page_data(journey)
