"""The emotion curve: its data (points, gaps, bands, stages), its layout and the SVG parsed as XML."""

from __future__ import annotations

import math
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from cjm.journey import Journey
from cjm.render import RenderError, RenderOptions
from cjm.render import convert, curve
from cjm.render.svg import el, num, text_width, wrap
from cjm.render.theme import DARK, LIGHT, THEMES
from cjm.format.validate import read_map, validate_bytes

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SHOP = EXAMPLES / "online-shop-checkout.cjm.yaml"
NS = {"s": "http://www.w3.org/2000/svg"}
HOSTILE = [
    "</svg><script>alert(1)</script>",
    "Tom & Jerry's \"quoted\" <b>bold</b>",
    "]]> <![CDATA[ x ]]>",
    "Café 🛒🎉 checkout 👩‍👩‍👧",
    "הזמנה ותשלום دفع الطلب",
    "javascript:alert(1) onload=alert(1)",
    "C1\u0086control\u009bchars",
    "bidi \u202eoverride\u202c and \u2067isolate\u2069",
    "x" * 1900,
]


# --- helpers ------------------------------------------------------------------

def journey_of(path: Path) -> Journey:
    loaded = read_map(path)
    assert loaded.valid, loaded.diagnostics
    return Journey(loaded.journey, loaded.personas)


def journey_from(data: dict) -> Journey:
    raw = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
    loaded = validate_bytes(raw, Path("t.cjm.yaml"), "t.cjm.yaml")
    assert loaded.valid, [d.message for d in loaded.diagnostics]
    return Journey(loaded.journey, loaded.personas)


def touchpoint(tid: str, name: str | None = None, **fields) -> dict:
    return {"id": tid, "name": name or tid.replace("-", " ").title(), **fields}


def a_map(stages: list[dict], personas: list[str] = ("rosa", "tom"), **top) -> dict:
    return {"cjm": 1, "id": "t", "title": top.pop("title", "Test map"),
            "personas": [{"id": p, "name": f"{p.title()}, a persona"} for p in personas],
            "stages": stages, **top}


def generated(n: int, name=lambda i: f"Touchpoint number {i}", per_stage: int = 10) -> Journey:
    stages = []
    for s in range(math.ceil(n / per_stage)):
        count = min(per_stage, n - s * per_stage)
        stages.append({"id": f"s{s}", "name": f"Stage {s}", "touchpoints": [
            touchpoint(f"t{s}-{k}", name(s * per_stage + k),
                       emotion={"rosa": ((s * per_stage + k) % 5) - 2, "tom": ((s * per_stage + k) % 3) - 1},
                       moment_of_truth=(k == 0), pains=["slow"] if k % 4 == 0 else [])
            for k in range(count)]})
    return journey_from(a_map(stages))


def parse(svg: str | bytes) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)


def texts(root: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{{{NS['s']}}}text")]


def titles(root: ET.Element) -> list[str]:
    return [node.text or "" for node in root.iter(f"{{{NS['s']}}}title")]


def series_of(data: curve.CurveData, persona: str | None, target: bool = False) -> curve.Series:
    return next(s for s in data.series if s.persona == persona and s.target == target)


def overlaps(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    """Separating axis test for two convex quadrilaterals."""
    for poly in (a, b):
        for i in range(len(poly)):
            (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % len(poly)]
            nx, ny = y2 - y1, x1 - x2
            pa = [nx * x + ny * y for x, y in a]
            pb = [nx * x + ny * y for x, y in b]
            if max(pa) <= min(pb) + 1e-6 or max(pb) <= min(pa) + 1e-6:
                return False
    return True


def contrast(fg: str, bg: str) -> float:
    def lum(color: str) -> float:
        rgb = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


GAP_MAP = a_map([
    {"id": "look", "name": "Look", "touchpoints": [
        touchpoint("ad", emotion=1),
        touchpoint("site", emotion={"rosa": 1.5}),  # tom has no emotion here: a gap in his line
        touchpoint("chat", personas=["tom"], emotion=-1, pains=["slow answer", "bot loops"]),
    ]},
    {"id": "empty", "name": "Nothing happens here"},
    {"id": "buy", "name": "Buy", "kind": "purchase", "touchpoints": [
        touchpoint("cart", emotion={"rosa": -1, "tom": -2}, target_emotion={"rosa": 1}, moment_of_truth=True,
                   pains=["delivery costs"]),
        touchpoint("pay", emotion={"score": 1, "label": "relieved"}),
    ]},
])


# --- data ---------------------------------------------------------------------

def curve_from_the_yaml(path: Path, persona: str) -> list[tuple[str, float | None]]:
    """A persona's (touchpoint, score) pairs read straight from the file by the format's rules, to
    check cjm against: the touchpoints that list no personas or list this one, in stage order; an
    emotion is a number for everyone, ``{score, label}``, or one of those per persona; none is a gap."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # every scalar as text
    pairs = []
    for stage in data["stages"]:
        for point in stage.get("touchpoints", []):
            if "personas" in point and persona not in point["personas"]:
                continue
            emotion = point.get("emotion")
            if isinstance(emotion, dict) and "score" not in emotion:
                emotion = emotion.get(persona)
            if isinstance(emotion, dict):
                emotion = emotion["score"]
            pairs.append((point["id"], None if emotion is None else float(emotion)))
    return pairs


def test_points_follow_the_journey_order_for_each_persona():
    journey = journey_of(SHOP)
    data = curve.curve_data(journey)
    ids = [point["id"] for stage in yaml.safe_load(SHOP.read_text(encoding="utf-8"))["stages"]
           for point in stage.get("touchpoints", [])]
    assert [t.id for t in data.touchpoints] == ids
    assert journey.persona_ids == ["rosa", "tom"]
    for persona in journey.persona_ids:
        line = series_of(data, persona)
        expected = curve_from_the_yaml(SHOP, persona)
        assert len(expected) >= 20 and any(score is not None for _, score in expected)
        assert [(p.touchpoint, p.score) for p in line.points] == expected
        assert [p.index for p in line.points] == sorted(p.index for p in line.points)
    # read by eye in the file: the account gate is -1 for Rosa and -2 for Tom; the social ad is Rosa's only
    rosa, tom = (dict((p.touchpoint, p.score) for p in series_of(data, who).points) for who in ("rosa", "tom"))
    assert (rosa["account-gate"], tom["account-gate"]) == (-1.0, -2.0)
    assert (rosa["social-ad"], "social-ad" in tom, tom["missed-delivery"], "missed-delivery" in rosa) == (0.5, False, -1.5, False)


def test_a_missing_emotion_is_a_gap_that_splits_the_line_not_a_zero():
    data = curve.curve_data(journey_from(GAP_MAP))
    tom = series_of(data, "tom")
    assert [(p.touchpoint, p.score) for p in tom.points] == [
        ("ad", 1.0), ("site", None), ("chat", -1.0), ("cart", -2.0), ("pay", 1.0)]
    assert [[p.touchpoint for p in run] for run in tom.segments()] == [["ad"], ["chat", "cart", "pay"]]
    rosa = series_of(data, "rosa")
    assert [[p.touchpoint for p in run] for run in rosa.segments()] == [["ad", "site", "cart", "pay"]]


def test_the_svg_line_breaks_at_the_gap_and_draws_no_point_there():
    journey = journey_from(GAP_MAP)
    data = curve.curve_data(journey)
    layout = curve.curve_layout(data)
    root = parse(curve.curve_svg(journey))
    tom_lines = root.findall(".//s:polyline[@data-persona='tom'][@class='cjm-as-is']", NS)
    assert len(tom_lines) == 1  # "ad" stands alone, "chat..pay" is one run
    assert len(tom_lines[0].get("points").split()) == 3
    site_x = layout.xs[1]
    tom_points = root.find(".//s:g[@class='cjm-points'][@data-persona='tom']", NS)
    tooltips = [t.text for t in tom_points.iter(f"{{{NS['s']}}}title")]
    assert not any(t.startswith("Site") for t in tooltips)
    assert len(tooltips) == 4
    assert all(abs(float(v) - site_x) > 6 for line in tom_lines for v in line.get("points").replace(",", " ").split()[::2])


def test_a_persona_is_drawn_only_at_touchpoints_that_serve_it():
    data = curve.curve_data(journey_from(GAP_MAP))
    assert "chat" not in [p.touchpoint for p in series_of(data, "rosa").points]
    assert "chat" in [p.touchpoint for p in series_of(data, "tom").points]


def test_bands_cover_the_scale_with_the_mood_thresholds():
    data = curve.curve_data(journey_from(GAP_MAP))
    assert [(b.mood, b.low, b.high) for b in data.bands] == [
        ("positive", 0.5, 2.0), ("neutral", -0.5, 0.5), ("negative", -2.0, -0.5)]
    root = parse(curve.curve_svg(journey_from(GAP_MAP)))
    fills = {r.get("fill") for r in root.iterfind(".//s:g[@class='cjm-scale']/s:rect", NS)}
    assert fills == set(LIGHT.band_fill.values())
    assert {"positive", "neutral", "negative"} <= set(texts(root))


def test_stage_spans_partition_the_touchpoints_and_keep_empty_stages():
    data = curve.curve_data(journey_from(GAP_MAP))
    assert [(s.id, s.first, s.count) for s in data.stages] == [("look", 0, 3), ("empty", 3, 0), ("buy", 3, 2)]
    layout = curve.curve_layout(data)
    boxes = layout.stages
    assert all(a.x1 == pytest.approx(b.x0) for a, b in zip(boxes, boxes[1:]))
    assert boxes[1].x1 > boxes[1].x0  # the empty stage still shows
    for stage, box in zip(data.stages, boxes):
        for i in range(stage.first, stage.first + stage.count):
            assert box.x0 < layout.xs[i] < box.x1


def test_to_be_curve_uses_targets_and_follows_as_is_elsewhere():
    data = curve.curve_data(journey_from(GAP_MAP))
    to_be = series_of(data, "rosa", target=True)
    assert [(p.touchpoint, p.score, p.planned) for p in to_be.points] == [
        ("ad", 1.0, False), ("site", 1.5, False), ("cart", 1.0, True), ("pay", 1.0, False)]
    assert not any(s.target for s in data.series if s.persona == "tom")  # no targets for tom
    root = parse(curve.curve_svg(journey_from(GAP_MAP)))
    dashed = root.findall(".//s:polyline[@class='cjm-to-be']", NS)
    assert dashed and all(line.get("stroke-dasharray") for line in dashed)
    hollow = root.findall(".//s:g[@class='cjm-points-to-be']/*", NS)
    assert len(hollow) == 1 and "to-be: +1" in hollow[0].find("s:title", NS).text
    assert "as-is -1" in hollow[0].find("s:title", NS).text


def test_no_targets_means_no_to_be_curve_and_no_legend_entry():
    data = curve.curve_data(journey_from(a_map([{"id": "a", "name": "A", "touchpoints": [
        touchpoint("x", emotion=1), touchpoint("y", emotion=-1)]}])))
    assert not data.has_target
    layout = curve.curve_layout(data)
    assert "target" not in [item.kind for item in layout.legend]


def test_map_without_personas_draws_one_shared_curve():
    journey = journey_from(a_map([{"id": "a", "name": "A", "touchpoints": [
        touchpoint("x", emotion=1), touchpoint("y", emotion={"score": -1, "label": "annoyed"})]}], personas=[]))
    data = curve.curve_data(journey)
    assert [(s.persona, s.name) for s in data.series] == [(None, curve.NO_PERSONA_NAME)]
    root = parse(curve.curve_svg(journey))
    assert "Y\nCustomer: -1 (annoyed)" in titles(root)


def test_persona_option_draws_that_persona_only_on_its_touchpoints_in_its_colour():
    journey = journey_of(SHOP)
    data = curve.curve_data(journey, RenderOptions(persona="tom"))
    assert {s.persona for s in data.series} == {"tom"}
    assert [t.id for t in data.touchpoints] == [s.id for s in journey.steps if journey.serves(s, "tom")]
    assert series_of(data, "tom").slot == journey.persona_ids.index("tom")
    root = parse(curve.curve_svg(journey, RenderOptions(persona="tom")))
    assert {line.get("stroke") for line in root.iterfind(".//s:polyline", NS)} == {LIGHT.persona_colors[1]}
    assert "Tom" in root.find("s:title", NS).text


def test_unknown_persona_is_a_clear_error():
    with pytest.raises(RenderError, match="no persona 'nobody'.*rosa, tom"):
        curve.curve_data(journey_of(SHOP), RenderOptions(persona="nobody"))


# --- svg ----------------------------------------------------------------------

def test_root_is_an_accessible_image_with_title_and_description():
    root = parse(curve.render(journey_of(SHOP), "svg"))
    assert root.tag == f"{{{NS['s']}}}svg"
    assert root.get("role") == "img"
    ids = root.get("aria-labelledby").split()
    assert [child.tag.split("}")[1] for child in root[:2]] == ["title", "desc"]
    assert [child.get("id") for child in root[:2]] == ids
    assert "Northtrail" in root[0].text
    desc = root[1].text
    assert "30 touchpoints in 5 stages" in desc and "lowest" in desc and "Moments of truth" in desc
    width, height = float(root.get("width")), float(root.get("height"))
    assert root.get("viewBox") == f"0 0 {num(width)} {num(height)}"


def test_every_point_has_a_tooltip_with_touchpoint_persona_score_and_label():
    journey = journey_from(GAP_MAP)
    root = parse(curve.curve_svg(journey))
    tips = [t.text for g in root.iterfind(".//s:g[@class='cjm-points']", NS) for t in g.iter(f"{{{NS['s']}}}title")]
    assert "Cart\nRosa, a persona: -1" in tips
    assert "Pay\nTom, a persona: +1 (relieved)" in tips
    known = sum(1 for s in curve.curve_data(journey).series if not s.target for p in s.points if p.score is not None)
    assert len(tips) == known


def test_personas_differ_in_colour_and_marker_shape_and_are_in_the_legend():
    journey = journey_of(EXAMPLES / "bank-branch-service.cjm.yaml")
    root = parse(curve.curve_svg(journey))
    shapes, colours = [], []
    for group in root.iterfind(".//s:g[@class='cjm-points']", NS):
        kinds = {(child.tag.split("}")[1], len(child.get("points", "").split())) for child in group
                 if child.tag != f"{{{NS['s']}}}circle" or child.get("fill") != "none"}
        assert len(kinds) == 1
        shapes.append(kinds.pop())
        colours.append(group[0].get("fill"))
    assert len(shapes) == len(set(shapes)) == 3
    assert len(set(colours)) == 3
    legend = " ".join(texts(root.find(".//s:g[@class='cjm-legend']", NS)))
    for persona in journey.personas:
        assert persona.name[:20] in legend
    assert "to-be" in legend and "moment of truth" in legend and "pain points" in legend


def test_moments_of_truth_are_marked_on_the_curve():
    journey = journey_from(GAP_MAP)
    root = parse(curve.curve_svg(journey))
    marks = root.findall(".//s:g[@class='cjm-moments']/s:g", NS)
    assert [m.find("s:title", NS).text for m in marks] == ["Moment of truth: Cart"]
    rings = [c for c in root.iter(f"{{{NS['s']}}}circle") if c.get("fill") == "none" and c.get("r") == "10"]
    assert len(rings) == 2  # around rosa's and tom's point at the cart


def test_pain_points_are_marked_and_can_be_hidden():
    journey = journey_from(GAP_MAP)
    root = parse(curve.curve_svg(journey))
    badges = root.findall(".//s:g[@class='cjm-pains']/s:g", NS)
    assert [b.find("s:title", NS).text for b in badges] == [
        "Pain points at Chat:\n- slow answer\n- bot loops", "Pain points at Cart:\n- delivery costs"]
    assert ["".join(b.find("s:text", NS).itertext()) for b in badges] == ["2", "1"]
    hidden = parse(curve.curve_svg(journey, RenderOptions(show_pains=False)))
    assert hidden.find(".//s:g[@class='cjm-pains']", NS) is None
    assert not any("pain" in t for t in texts(hidden))


# What the picture shows of a hostile name, worked out by hand: C1 control characters, which XML
# discourages, are dropped; everything else (markup, bidi controls, emoji, 1,900 characters) stays.
SHOWN_AS = {"C1\u0086control\u009bchars": "C1controlchars"}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_stays_text(name):
    journey = journey_from(a_map([{"id": "s", "name": name, "touchpoints": [
        touchpoint("a", name, emotion=1, pains=[name], moment_of_truth=True),
        touchpoint("b", "plain", emotion=-1)]}], title=name))
    svg = curve.render(journey, "svg")
    root = parse(svg)
    for node in root.iter():
        tag = node.tag.split("}")[1]
        assert tag != "script" and tag not in ("a", "image", "use", "foreignObject")
        for key, value in node.attrib.items():
            assert not key.lower().startswith("on")
            assert "href" not in key
            assert "javascript" not in value.lower()
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", svg.decode("utf-8"))
    expected = SHOWN_AS.get(name, name)
    assert root.find("s:title", NS).text == f"{expected}: emotion curve"
    assert any(t == expected for t in titles(root))  # the full name, unchanged, as a tooltip
    if len(expected) < 100:
        assert any(expected in t for t in texts(root))


def test_many_long_touchpoint_names_do_not_overlap():
    journey = generated(50, name=lambda i: f"A rather long touchpoint name number {i} that needs wrapping")
    layout = curve.curve_layout(curve.curve_data(journey))
    assert all(len(label.lines) == curve.LABEL_LINES for label in layout.labels)
    boxes = [label.corners() for label in layout.labels]
    for i in range(len(boxes)):
        for j in range(i + 1, min(i + 4, len(boxes))):
            assert not overlaps(boxes[i], boxes[j]), (i, j)
    for box in boxes:
        assert all(0 <= x <= layout.width and 0 <= y <= layout.height for x, y in box)
    assert all(text_width(line, curve.SMALL) <= curve.LABEL_WIDTH for label in layout.labels for line in label.lines)


def test_names_of_the_examples_do_not_overlap_or_leave_the_picture():
    for path in sorted(EXAMPLES.glob("*.cjm.yaml")):
        layout = curve.curve_layout(curve.curve_data(journey_of(path)))
        boxes = [label.corners() for label in layout.labels]
        for a, b in zip(boxes, boxes[1:]):
            assert not overlaps(a, b), path
        assert all(0 <= x <= layout.width and 0 <= y <= layout.height for box in boxes for x, y in box), path
        # below the plot and clear of the ring around a point at -2
        assert min(y for box in boxes for _, y in box) >= layout.plot_bottom + curve.RING_R, path


def test_the_picture_grows_wider_rather_than_squashing():
    small = curve.curve_layout(curve.curve_data(generated(10)))
    big = curve.curve_layout(curve.curve_data(generated(300)))
    assert big.width > 300 * curve.MIN_STEP
    gaps = [b - a for a, b in zip(big.xs, big.xs[1:])]
    assert min(gaps) >= curve.MIN_STEP - 1e-6
    assert small.plot_bottom - small.plot_top == pytest.approx(curve.PLOT_HEIGHT)
    assert big.plot_bottom - big.plot_top == pytest.approx(curve.PLOT_HEIGHT)


def test_a_long_stage_name_widens_its_stage_then_wraps_within_it():
    def one_touchpoint_stage_named(name: str) -> Journey:  # beside a stage wide enough that nothing stretches
        return journey_from(a_map([
            {"id": "s", "name": name, "touchpoints": [touchpoint("a", emotion=0)]},
            {"id": "t", "name": "T", "touchpoints": [touchpoint(f"b{i}", emotion=0) for i in range(15)]}]))

    long = "Post-purchase support, returns, refunds and advocacy"
    journey = one_touchpoint_stage_named(long)
    layout = curve.curve_layout(curve.curve_data(journey))
    box = layout.stages[0]
    assert box.x1 - box.x0 == pytest.approx(curve.STAGE_WIDTH)
    assert 1 < len(box.lines) <= curve.STAGE_LINES
    assert all(text_width(line, curve.FONT * curve.BOLD) <= box.x1 - box.x0 - 2 * curve.PAD for line in box.lines)
    assert " ".join(box.lines) == long
    longer = long + " programmes for the long tail of loyal customers"
    journey = one_touchpoint_stage_named(longer)
    layout = curve.curve_layout(curve.curve_data(journey))
    assert len(layout.stages[0].lines) == curve.STAGE_LINES and layout.stages[0].lines[-1].endswith("…")
    stage_titles = titles(parse(curve.curve_svg(journey)).find(".//s:g[@class='cjm-stages']", NS))
    assert stage_titles[0] == longer


def test_300_touchpoints_render_as_valid_svg():
    journey = generated(300)
    root = parse(curve.render(journey, "svg"))
    assert len(root.findall(".//s:g[@class='cjm-touchpoints']/s:text", NS)) == 300
    assert len(root.findall(".//s:g[@class='cjm-moments']/s:g", NS)) == 30


def test_an_empty_journey_still_renders():
    journey = journey_from(a_map([{"id": "s", "name": "Only a stage"}]))
    root = parse(curve.render(journey, "svg"))
    assert "No touchpoints in this map" in texts(root)
    root = parse(curve.render(journey_from(a_map([])), "svg"))
    assert root.get("role") == "img"
    assert parse(curve.curve_svg(journey, column_x=[], width=300)).get("width") == "300"


# --- columns fixed by a caller (the HTML journey map) --------------------------

def test_column_x_fixes_each_touchpoint_position():
    journey = journey_from(GAP_MAP)
    columns = [200.0, 360.0, 520.0, 680.0, 840.0]
    layout = curve.curve_layout(curve.curve_data(journey), column_x=columns, width=1000)
    assert list(layout.xs) == columns and layout.width == 1000
    assert layout.labels[0].angle == 45
    root = parse(curve.curve_svg(journey, column_x=columns, width=1000, id_prefix="grid-curve"))
    assert root.get("width") == "1000"
    assert root.get("aria-labelledby") == "grid-curve-title grid-curve-desc"
    for group in root.iterfind(".//s:g[@class='cjm-points']", NS):
        for shape in group:
            x = float(shape.get("cx") or (float(shape.get("x")) + float(shape.get("width")) / 2))
            assert min(abs(x - c) for c in columns) <= layout.dodge + 0.01
    boxes = layout.stages
    assert boxes[0].x0 == pytest.approx(120) and boxes[-1].x1 == pytest.approx(920)


def test_narrow_columns_set_names_upright_and_labels_can_be_left_out():
    journey = journey_from(GAP_MAP)
    data = curve.curve_data(journey)
    layout = curve.curve_layout(data, column_x=[100, 120, 140, 160, 180])
    assert {label.angle for label in layout.labels} == {90}
    assert curve.curve_layout(data, column_x=[100, 200, 300, 400, 500], labels=False).labels == ()
    with pytest.raises(ValueError, match="5 touchpoints"):
        curve.curve_layout(data, column_x=[1, 2])


# --- themes and contrast ---------------------------------------------------------

@pytest.mark.parametrize("theme", sorted(THEMES))
def test_text_colours_meet_aa_contrast_on_what_lies_behind_them(theme):
    palette = THEMES[theme]
    pairs = {palette.foreground: [palette.background, palette.stage_fill],
             palette.muted: [palette.background, *palette.band_fill.values()],
             palette.pain_text: [palette.pain_fill]}
    for fg, backs in pairs.items():
        for bg in backs:
            assert contrast(fg, bg) >= 4.5, (theme, fg, bg)
    root = parse(curve.curve_svg(journey_of(SHOP), RenderOptions(theme=theme)))
    assert root.find("s:rect", NS).get("fill") == palette.background
    parents = {child: parent for parent in root.iter() for child in parent}
    for node in root.iter(f"{{{NS['s']}}}text"):
        fill, up = node.get("fill"), node
        while fill is None:
            up = parents[up]
            fill = up.get("fill")
        assert fill in pairs, (theme, fill, "".join(node.itertext()))


def test_unknown_theme_and_format_are_clear_errors():
    journey = journey_from(GAP_MAP)
    with pytest.raises(RenderError, match="unknown theme 'neon'"):
        curve.render(journey, "svg", RenderOptions(theme="neon"))
    with pytest.raises(RenderError, match="not dot"):
        curve.render(journey, "dot")


# --- formats and determinism --------------------------------------------------------

@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.cjm.yaml")), ids=lambda p: p.name)
def test_every_example_renders_in_every_format(path):
    journey = journey_of(path)
    assert curve.FORMATS[0] == "svg"
    svg = curve.render(journey, "svg")
    assert svg.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    parse(svg)
    assert curve.render(journey, "png").startswith(b"\x89PNG\r\n\x1a\n")
    pdf = curve.render(journey, "pdf")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize("fmt", curve.FORMATS)
def test_rendering_twice_gives_identical_bytes(fmt):
    assert curve.render(journey_of(SHOP), fmt) == curve.render(journey_of(SHOP), fmt)


def test_pdf_is_identical_across_processes_and_carries_no_date():
    script = ("import sys; from pathlib import Path; from cjm.format.validate import read_map; "
              "from cjm.journey import Journey; from cjm.render import curve; "
              f"m = read_map(Path({str(SHOP)!r})); "
              "sys.stdout.buffer.write(curve.render(Journey(m.journey, m.personas), 'pdf'))")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] == curve.render(journey_of(SHOP), "pdf")
    assert b"CreationDate" not in runs[0] and b"ModDate" not in runs[0]


def test_blanking_the_pdf_date_keeps_every_byte_offset_valid():
    pdf = curve.render(journey_of(SHOP), "pdf")
    start = int(re.search(rb"startxref\s+(\d+)", pdf).group(1))
    assert pdf[start:start + 4] == b"xref"
    table = re.search(rb"xref\s+0 (\d+)\s+(.*?)trailer", pdf, re.S)
    entries = re.findall(rb"(\d{10}) (\d{5}) n", table.group(2))
    assert entries
    for number, (offset, _) in enumerate(entries, start=1):
        assert pdf[int(offset):].startswith(f"{number} 0 obj".encode())
    dated = b"%PDF-1.5\n1 0 obj\n<< /Producer (x)\n   /CreationDate (D:20260101120000+01'00')\n>>\nendobj\n"
    blanked = convert.without_dates(dated)
    assert len(blanked) == len(dated) and b"D:2026" not in blanked


def test_png_dpi_scales_the_image_and_is_recorded():
    journey = journey_from(GAP_MAP)
    width = float(parse(curve.render(journey, "svg")).get("width"))
    for dpi in (96, 192):
        png = curve.render(journey, "png", RenderOptions(dpi=dpi))
        assert struct.unpack(">I", png[16:20])[0] == round(width * dpi / 96)
        at = png.index(b"pHYs")
        x, y, unit = struct.unpack(">IIB", png[at + 4:at + 13])
        assert x == y == round(dpi / 0.0254) and unit == 1
    assert png.index(b"pHYs") < png.index(b"IDAT")


def test_a_png_too_large_for_cairo_is_a_clear_error():
    with pytest.raises(RenderError, match="too large.*lower --dpi"):
        curve.render(generated(300), "png", RenderOptions(dpi=600))
    with pytest.raises(RenderError, match="--dpi must be between"):
        curve.render(journey_from(GAP_MAP), "png", RenderOptions(dpi=0))


def test_missing_cairo_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cairosvg", None)
    journey = journey_from(GAP_MAP)
    with pytest.raises(RenderError, match="needs cairosvg and the cairo library.*apt-get install libcairo2"):
        curve.render(journey, "pdf")
    assert curve.render(journey, "svg").startswith(b"<?xml")


def test_curve_module_does_not_import_cairosvg():
    code = "import sys, cjm.render.curve, cjm.render.curve_draw; print('cairosvg' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- the svg builder and text measurement ---------------------------------------------

def test_builder_escapes_text_and_attributes_and_drops_what_xml_cannot_hold():
    node = el("text", {"x": 1.5, "data-name": 'a"b<c>&d\ne'}, text="</text><script>&amp;\x00\x1b\x85\ufffe")
    out = node.serialize()
    assert out == '<text x="1.5" data-name="a&quot;b&lt;c&gt;&amp;d&#10;e">&lt;/text&gt;&lt;script&gt;&amp;amp;</text>'
    back = ET.fromstring(out)
    assert back.get("data-name") == 'a"b<c>&d\ne' and back.text == "</text><script>&amp;"


def test_builder_refuses_names_that_are_not_xml_names():
    with pytest.raises(ValueError):
        el("text", {'x="1" onload': 1}).serialize()
    with pytest.raises(ValueError):
        el("g><script").serialize()


def test_numbers_are_short_and_stable():
    assert [num(v) for v in (1.0, 1.234, -0.001, 120.5, 0)] == ["1", "1.23", "0", "120.5", "0"]


def test_wrap_keeps_lines_within_width_and_marks_what_it_cuts():
    lines = wrap("Supercalifragilisticexpialidocious and a few more words to wrap", 60, 11, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(text_width(line, 11) <= 60 for line in lines)
    assert wrap("short", 60, 11, 2) == ["short"]
    assert wrap("", 60, 11, 2) == [""]


def test_text_width_counts_wide_characters_wider():
    assert text_width("iiii", 10) < text_width("abcd", 10) < text_width("MMMM", 10) < text_width("注文確認", 10)
    assert text_width("🛒", 10) >= 10
    assert text_width("e\u0301", 10) == text_width("e", 10)  # a combining accent takes no room


def test_a_wider_picture_asked_for_stretches_the_plot_to_fill_it():
    data = curve.curve_data(journey_from(GAP_MAP))
    layout = curve.curve_layout(data, width=2000)
    assert layout.width == 2000 and layout.plot_right == pytest.approx(2000 - curve.MARGIN)
    assert layout.xs[-1] > 1500


def test_many_personas_keep_distinct_colour_and_shape_pairs_and_the_legend_wraps():
    ids = [f"p{i}" for i in range(12)]
    journey = journey_from(a_map([{"id": "s", "name": "S", "touchpoints": [
        touchpoint(f"t{k}", emotion=k % 3 - 1) for k in range(6)]}], personas=ids))
    data = curve.curve_data(journey)
    layout = curve.curve_layout(data)
    root = parse(curve.curve_svg(journey))
    pairs = set()
    for group in root.iterfind(".//s:g[@class='cjm-points']", NS):
        first = group[0]
        pairs.add((first.get("fill"), first.tag, len(first.get("points", "").split())))
    assert len(pairs) == 12
    rows = {item.y for item in layout.legend}
    assert len(rows) > 1
    for item in layout.legend:
        assert item.x + curve.LEGEND_SYMBOL + 6 + text_width(item.text, curve.FONT) <= layout.width - curve.MARGIN + 1e-6


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.cjm.yaml")), ids=lambda p: p.name)
def test_stage_names_that_fit_are_never_broken_inside_a_word(path):
    journey = journey_of(path)
    for persona in [None, *journey.persona_ids]:
        data = curve.curve_data(journey, RenderOptions(persona=persona))
        layout = curve.curve_layout(data)
        for stage, box in zip(data.stages, layout.stages):
            if not box.lines[-1].endswith("…"):
                assert " ".join(box.lines).split() == stage.name.split(), (persona, box.lines)


def test_conversion_refuses_an_svg_too_big_to_convert_in_reasonable_time():
    from cjm.render import RenderError
    from cjm.render.convert import MAX_ELEMENTS, to_pdf, to_png

    huge = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' + b"<g/>" * (MAX_ELEMENTS + 1) + b"</svg>"
    for convert in (to_pdf, to_png):
        with pytest.raises(RenderError, match="too many to convert"):
            convert(huge)


def _plain_svg(width: int, height: int = 400) -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f'<rect width="{width}" height="{height}" fill="#fff"/><text x="10" y="20">hi</text></svg>').encode()


def test_a_picture_wider_than_a_pdf_page_is_shrunk_onto_it_or_refused():
    media = re.compile(rb"/MediaBox \[ 0 0 ([0-9.]+) ([0-9.]+) \]")
    assert media.search(convert.to_pdf(_plain_svg(1000))).groups() == (b"750", b"300")
    width, height = media.search(convert.to_pdf(_plain_svg(30000))).groups()
    assert float(width) == convert.PDF_MAX_POINTS and float(height) == pytest.approx(300 * 14400 / 22500, abs=1)
    with pytest.raises(RenderError, match="77,000 x 400 pixels is too large for a PDF page"):
        convert.to_pdf(_plain_svg(77000))
