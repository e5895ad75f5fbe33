"""The service blueprint (``--view blueprint``) read back from its SVG: every lane and line in
order in every band, each touchpoint's items in its lane and its column, drawn once; the bands a
long journey wraps into (near 3:2, whole stages); fail and wait points, hostile text as text; PNG
and PDF; and the blueprint on the journey map page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from cjm.format.validate import read_map, validate_bytes
from cjm.journey import Journey
from cjm.render import RenderError, RenderOptions, view_module
from cjm.render import blueprint
from cjm.render.blueprint_bands import MAX_ASPECT, cut
from hostile_maps import HOSTILE
from map_testing import generated_map

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "examples" / "bank-branch-service.cjm.yaml"
SVG = "{http://www.w3.org/2000/svg}"
LANES = ["physical_evidence", "actions", "frontstage", "backstage", "support_processes"]


def journey_at(path: Path) -> Journey:
    loaded = read_map(path)
    assert loaded.valid
    return Journey(loaded.journey, loaded.personas)


def journey_of(data: dict) -> Journey:
    raw = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
    loaded = validate_bytes(raw, Path("m.cjm.yaml"), "m.cjm.yaml")
    assert loaded.valid, [d.message for d in loaded.diagnostics]
    return Journey(loaded.journey, loaded.personas)


def journey_from_text(text: str) -> Journey:
    loaded = validate_bytes(text.encode("utf-8"), Path("m.cjm.yaml"), "m.cjm.yaml")
    assert loaded.valid
    return Journey(loaded.journey, loaded.personas)


def root_of(journey: Journey, **options) -> ET.Element:
    return ET.fromstring(blueprint.render(journey, "svg", RenderOptions(**options)))


def by_id(root: ET.Element) -> dict[str, ET.Element]:
    return {e.get("id"): e for e in root.iter() if e.get("id")}


def texts(element: ET.Element) -> list[tuple[float, float, str]]:
    return [(float(t.get("x")), float(t.get("y")), t.text or "") for t in element.iter(f"{SVG}text")]


def band(element: ET.Element) -> tuple[float, float]:
    rect = element.find(f"{SVG}rect")
    return float(rect.get("y")), float(rect.get("y")) + float(rect.get("height"))


def bands(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "band"]


def suffix(n: int) -> str:
    """The end of a lane's or a line's id in band ``n``: none in the first band."""
    return f"-{n}" if n else ""


def columns_in(element: ET.Element) -> list[str]:
    return [g.get("id") for g in element.iter(f"{SVG}g") if g.get("class") in ("touchpoint", "empty-stage")]


def aspect(root: ET.Element) -> float:
    return float(root.get("width")) / float(root.get("height"))


EXAMPLES = sorted((ROOT / "examples").glob("*.cjm.yaml"))


def check_lanes_and_lines(found: dict[str, ET.Element], end: str = "") -> None:
    tops = [band(found[f"lane-{key}{end}"])[0] for key in LANES]
    assert tops == sorted(tops)
    headings = [" ".join(t for _, _, t in texts(found[f"lane-{key}{end}"])) for key in LANES]
    assert headings == ["Physical evidence", "Customer actions", "Frontstage", "Backstage", "Support processes"]
    lines = {}
    for name in ("interaction", "visibility", "internal-interaction"):
        line = found[f"line-{name}{end}"].find(f"{SVG}line")
        lines[name] = float(line.get("y1"))
    # each line between the lanes it separates
    assert band(found[f"lane-actions{end}"])[1] <= lines["interaction"] <= band(found[f"lane-frontstage{end}"])[0]
    assert band(found[f"lane-frontstage{end}"])[1] <= lines["visibility"] <= band(found[f"lane-backstage{end}"])[0]
    assert (band(found[f"lane-backstage{end}"])[1] <= lines["internal-interaction"]
            <= band(found[f"lane-support_processes{end}"])[0])
    words = {name: " ".join(t for _, _, t in texts(found[f"line-{name}{end}"])) for name in lines}
    assert words == {"interaction": "Line of interaction", "visibility": "Line of visibility",
                     "internal-interaction": "Line of internal interaction"}


def test_every_lane_and_line_is_drawn_in_order() -> None:
    check_lanes_and_lines(by_id(root_of(journey_at(BANK))))


@pytest.mark.parametrize("path", EXAMPLES + [10, 30, 60], ids=lambda p: getattr(p, "name", f"generated-{p}"))
def test_every_band_has_every_lane_and_line_and_the_bands_stack(path) -> None:
    journey = journey_at(path) if isinstance(path, Path) else journey_from_text(generated_map(path))
    root = root_of(journey)
    drawn = bands(root)
    assert [b.get("id") for b in drawn] == [f"band-{n}" for n in range(len(drawn))]
    bottom = 0.0
    for n, group in enumerate(drawn):
        found = by_id(group)
        assert {key for key in found if key.startswith(("lane-", "line-"))} == (
            {f"lane-{key}{suffix(n)}" for key in LANES}
            | {f"line-{name}{suffix(n)}" for name in ("interaction", "visibility", "internal-interaction")})
        check_lanes_and_lines(found, suffix(n))
        top = min(float(r.get("y")) for r in group.iter(f"{SVG}rect"))
        assert top > bottom  # below the band above, nothing shared
        bottom = max(float(r.get("y")) + float(r.get("height")) for r in group.iter(f"{SVG}rect"))
    assert len({e.get("id") for e in root.iter() if e.get("id")}) == len([e for e in root.iter() if e.get("id")])


@pytest.mark.parametrize("path", EXAMPLES + [10, 30, 60], ids=lambda p: getattr(p, "name", f"generated-{p}"))
def test_the_picture_is_near_three_to_two_and_every_touchpoint_is_drawn_once(path) -> None:
    journey = journey_at(path) if isinstance(path, Path) else journey_from_text(generated_map(path))
    root = root_of(journey)
    assert 1 / 3 <= aspect(root) <= MAX_ASPECT, aspect(root)
    drawn = [tp for group in bands(root) for tp in columns_in(group)]
    assert sorted(tp for tp in drawn if tp.startswith("tp-")) == sorted(f"tp-{step.index}" for step in journey.steps)
    assert len(drawn) == len(set(drawn))
    # in journey order, band after band, left to right
    numbers = [int(tp[3:]) for tp in drawn if tp.startswith("tp-")]
    assert numbers == sorted(numbers)
    # the picture is as wide as its widest band
    widest = max(float(g.find(f"{SVG}g/{SVG}rect").get("width")) for g in bands(root))
    assert float(root.get("width")) == pytest.approx(widest + 20, abs=1)


@pytest.mark.parametrize("path", EXAMPLES + [10, 30, 60], ids=lambda p: getattr(p, "name", f"generated-{p}"))
def test_a_stage_is_split_only_when_it_is_wider_than_a_band(path) -> None:
    journey = journey_at(path) if isinstance(path, Path) else journey_from_text(generated_map(path))
    root = root_of(journey)
    stage_of = {f"tp-{step.index}": step.stage_index for step in journey.steps}
    stage_of.update({f"empty-{s}": s for s in range(len(journey.map.stages))})
    per_band = [[stage_of[c] for c in columns_in(group)] for group in bands(root)]
    widest = max(len(columns) for columns in per_band)
    for s, stage in enumerate(journey.map.stages):
        holding = [n for n, columns in enumerate(per_band) if s in columns]
        if len(holding) > 1:
            assert sum(columns.count(s) for columns in per_band) > widest, (stage.id, per_band)
            assert holding == list(range(holding[0], holding[-1] + 1))
        for n in holding[1:]:  # headed again, marked, in every band it goes on in
            header = by_id(bands(root)[n])[f"stage-{s}-{n}"]
            assert "(continued)" in " ".join(t for _, _, t in texts(header))
        assert f"stage-{s}" in by_id(bands(root)[holding[0]])


def test_a_map_that_fits_two_to_one_stays_one_band_as_before() -> None:
    journey = journey_of({"cjm": 1, "id": "s", "title": "Small", "stages": [
        {"id": f"s{k}", "name": f"Stage {k}", "touchpoints": [
            {"id": f"t{k}{i}", "name": f"T{k}{i}", "actions": ["Does it"], "frontstage": ["Desk"]} for i in range(2)]}
        for k in range(2)]})
    root = root_of(journey)
    assert len(bands(root)) == 1 and aspect(root) <= MAX_ASPECT
    assert float(root.get("width")) == blueprint.GUTTER + 4 * (blueprint.COLUMN + blueprint.GAP) - blueprint.GAP + 20
    assert not [e for e in root.iter() if (e.get("class") or "").startswith("band-rule")]


def test_the_customer_actions_arrows_stay_within_a_band() -> None:
    root = root_of(journey_at(BANK))
    assert len(bands(root)) > 1
    for group in bands(root):
        columns = columns_in(group)
        arrows = [e for e in group.iter(f"{SVG}line") if e.get("class") == "action-flow"]
        assert arrows and len(arrows) < len(columns)
        for arrow in arrows:  # from one column's right edge to the next one's left
            assert 0 < float(arrow.get("x2")) - float(arrow.get("x1")) <= blueprint.GAP
    assert not [e for e in root.iter(f"{SVG}line") if e.get("class") == "action-flow" and e not in
                [a for g in bands(root) for a in g.iter(f"{SVG}line")]]


def test_the_cut_keeps_stages_whole_and_evens_out_a_stage_wider_than_a_band() -> None:
    stages = [0] * 4 + [1] * 3 + [2] * 3 + [3] * 10 + [4] * 2
    assert cut(stages, 22) == [(0, 22)]
    # the 10 of stage 3 as 5 and 5, and stage 4 beside the second half
    assert cut(stages, 7) == [(0, 7), (7, 10), (10, 15), (15, 22)]
    # 10 as 4, 3 and 3; stage 4 does not fit beside the last 3
    assert cut(stages, 4) == [(0, 4), (4, 7), (7, 10), (10, 14), (14, 17), (17, 20), (20, 22)]
    assert cut(stages, 3)[:2] == [(0, 2), (2, 4)]  # 4 as 2 and 2, not 3 and 1
    assert cut(stages, 10) == [(0, 10), (10, 20), (20, 22)]
    assert cut(stages, 1) == [(i, i + 1) for i in range(22)]
    assert cut([], 1) == [(0, 0)]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_item_is_in_its_lane_and_its_column(path: Path) -> None:
    journey = journey_at(path)
    root = root_of(journey)
    found = by_id(root)
    band_of = {tp: n for n, group in enumerate(bands(root)) for tp in columns_in(group)}
    for step in journey.steps:
        n = band_of[f"tp-{step.index}"]  # the lanes of the touchpoint's own band
        lanes = {key: band(found[f"lane-{key}{suffix(n)}"]) for key in LANES}
        column = found[f"tp-{step.index}"]
        head = column.find(f"{SVG}rect")
        x0, x1 = float(head.get("x")), float(head.get("x")) + float(head.get("width"))
        assert " ".join(step.touchpoint.name.split())[:12] in " ".join(t for _, _, t in texts(column))
        for key in LANES:
            items = getattr(step.touchpoint, key)
            cell = found.get(f"cell-{key}-{step.index}")
            shown = texts(cell) if cell is not None else []
            top, bottom = lanes[key]
            assert all(x0 <= x <= x1 and top <= y <= bottom for x, y, _ in shown), (step.id, key)
            words = "".join(t for _, _, t in shown).replace(" ", "")
            for item in items:  # long items end in an ellipsis: their start is there
                assert "".join(item.split())[:20] in words, (step.id, key, item)
            assert len(cell.findall(f"{SVG}rect")) == len(items) if cell is not None else not items


def test_fail_points_wait_points_and_moments_of_truth_are_marked() -> None:
    journey = journey_at(BANK)
    found = by_id(root_of(journey))
    for step in journey.steps:
        column = found[f"tp-{step.index}"]
        fails = [g for g in column.iter(f"{SVG}g") if g.get("class") == "fail-point"]
        waits = [g for g in column.iter(f"{SVG}g") if g.get("class") == "wait-point"]
        stars = [g for g in column.iter(f"{SVG}g") if g.get("class") == "moment-of-truth"]
        assert len(fails) == len(step.touchpoint.fail_points)
        assert len(waits) == (1 if step.touchpoint.wait_time else 0)
        assert len(stars) == (1 if step.touchpoint.moment_of_truth else 0)
        for mark in fails:
            assert texts(mark)[0][2] == "F"
        for mark in waits:
            assert texts(mark)[0][2] == "W"
    assert any(step.touchpoint.fail_points for step in journey.steps)
    assert any(step.touchpoint.wait_time for step in journey.steps)


def test_hostile_text_is_text() -> None:
    data = {"cjm": 1, "id": "h", "title": HOSTILE[0], "stages": [
        {"id": "s", "name": HOSTILE[1], "touchpoints": [
            {"id": f"t{i}", "name": text, "frontstage": [text], "backstage": [text], "fail_points": [text],
             "wait_time": text, "physical_evidence": [text], "support_processes": [text]}
            for i, text in enumerate(HOSTILE)]}]}
    raw = blueprint.render(journey_of(data), "svg", RenderOptions())
    root = ET.fromstring(raw)
    assert not [e for e in root.iter() if e.tag in (f"{SVG}script", f"{SVG}foreignObject", f"{SVG}image")]
    assert not [k for e in root.iter() for k in e.attrib if k.lower().startswith("on")]
    assert not [e for e in root.iter() if any(k.endswith("href") for k in e.attrib)]  # no link at all
    assert b"<script" not in raw and b"<img" not in raw  # markup in the map is escaped text
    assert any(HOSTILE[0] in (t.text or "") for t in root.iter(f"{SVG}text"))


def test_an_empty_stage_keeps_its_column_and_a_map_without_stages_draws() -> None:
    journey = journey_of({"cjm": 1, "id": "e", "title": "E", "stages": [
        {"id": "a", "name": "A", "touchpoints": [{"id": "x", "name": "X", "frontstage": ["Desk"]}]},
        {"id": "b", "name": "B"}]})
    found = by_id(root_of(journey))
    assert "empty-1" in found and "tp-0" in found
    assert "lane-backstage" in by_id(root_of(journey_of({"cjm": 1, "id": "n", "title": "Nothing"})))


def test_png_and_pdf_and_the_registered_view() -> None:
    journey = journey_at(BANK)
    module = view_module("blueprint")
    assert module.FORMATS == ("svg", "png", "pdf")
    assert module.render(journey, "png", RenderOptions(dpi=30)).startswith(b"\x89PNG")
    pdf = module.render(journey, "pdf", RenderOptions())
    assert pdf.startswith(b"%PDF-") and pdf == module.render(journey, "pdf", RenderOptions())
    with pytest.raises(RenderError, match="writes svg, png, pdf"):
        module.render(journey, "dot", RenderOptions())


def test_persona_and_dark_theme() -> None:
    journey = journey_at(ROOT / "examples" / "online-shop-checkout.cjm.yaml")
    everyone = by_id(root_of(journey))
    rosa = by_id(root_of(journey, persona="rosa", theme="dark"))
    shown = lambda found: {k for k in found if re.fullmatch(r"tp-\d+", k)}  # noqa: E731
    assert shown(rosa) < shown(everyone)
    with pytest.raises(RenderError, match="no persona 'nobody'"):
        root_of(journey, persona="nobody")


def test_the_map_page_shows_the_blueprint_when_the_map_has_one() -> None:
    from cjm.render.html_map import build_page

    stand_in = lambda *args, **kwargs: None  # noqa: E731
    page = build_page(journey_at(BANK), RenderOptions(), curve=stand_in, diagram=stand_in)
    assert page["blueprint"] is not None and "line-visibility" in str(page["blueprint"]["base"])
    plain = journey_of({"cjm": 1, "id": "p", "title": "P", "stages": [{"id": "s", "name": "S", "touchpoints": [{"id": "a", "name": "A"}]}]})
    assert build_page(plain, RenderOptions(), curve=stand_in, diagram=stand_in)["blueprint"] is None


def test_the_catalog_has_a_blueprint_page_for_a_blueprinted_map() -> None:
    from cjm.site import build_site, plan

    loaded = read_map(BANK)
    site = build_site(plan([loaded]), lambda m: [], render=lambda view, journey, fmt, options: f"<{view}>".encode())
    [entry] = site.entries
    assert ("Blueprint", f"maps/{entry.slug}/blueprint.svg") in [(link.label, link.href) for link in entry.links]
    assert site.files[f"maps/{entry.slug}/blueprint.svg"] == b"<blueprint>"
