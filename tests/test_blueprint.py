"""The service blueprint (``--view blueprint``) read back from its SVG: every lane and line in
order, each touchpoint's items in its lane and its column, fail and wait points, hostile text as
text; PNG and PDF; and the blueprint on the journey map page."""

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
from hostile_maps import HOSTILE

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


def root_of(journey: Journey, **options) -> ET.Element:
    return ET.fromstring(blueprint.render(journey, "svg", RenderOptions(**options)))


def by_id(root: ET.Element) -> dict[str, ET.Element]:
    return {e.get("id"): e for e in root.iter() if e.get("id")}


def texts(element: ET.Element) -> list[tuple[float, float, str]]:
    return [(float(t.get("x")), float(t.get("y")), t.text or "") for t in element.iter(f"{SVG}text")]


def band(element: ET.Element) -> tuple[float, float]:
    rect = element.find(f"{SVG}rect")
    return float(rect.get("y")), float(rect.get("y")) + float(rect.get("height"))


def test_every_lane_and_line_is_drawn_in_order() -> None:
    root = root_of(journey_at(BANK))
    found = by_id(root)
    tops = [band(found[f"lane-{key}"])[0] for key in LANES]
    assert tops == sorted(tops)
    headings = [" ".join(t for _, _, t in texts(found[f"lane-{key}"])) for key in LANES]
    assert headings == ["Physical evidence", "Customer actions", "Frontstage", "Backstage", "Support processes"]
    lines = {}
    for name in ("interaction", "visibility", "internal-interaction"):
        line = found[f"line-{name}"].find(f"{SVG}line")
        lines[name] = float(line.get("y1"))
    # each line between the lanes it separates
    assert band(found["lane-actions"])[1] <= lines["interaction"] <= band(found["lane-frontstage"])[0]
    assert band(found["lane-frontstage"])[1] <= lines["visibility"] <= band(found["lane-backstage"])[0]
    assert band(found["lane-backstage"])[1] <= lines["internal-interaction"] <= band(found["lane-support_processes"])[0]
    words = {name: " ".join(t for _, _, t in texts(found[f"line-{name}"])) for name in lines}
    assert words == {"interaction": "Line of interaction", "visibility": "Line of visibility",
                     "internal-interaction": "Line of internal interaction"}


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.cjm.yaml")), ids=lambda p: p.name)
def test_every_item_is_in_its_lane_and_its_column(path: Path) -> None:
    journey = journey_at(path)
    root = root_of(journey)
    found = by_id(root)
    lanes = {key: band(found[f"lane-{key}"]) for key in LANES}
    for step in journey.steps:
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
