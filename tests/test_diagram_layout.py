"""The diagram's default ``columns`` layout read back from the SVG Graphviz makes of it: a picture
that reads when fitted to a page (aspect, text size), every touchpoint and every ``next`` edge
drawn exactly once, nothing overlapping, loops back that stay short; the plan's arithmetic; and
the long maps (200 touchpoints) through the command, within the time limit or with a message."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cjm.format.validate import read_map
from cjm.journey import Journey
from cjm.render import RenderOptions, diagram
from cjm.render.diagram_layout import MAX_WIDTH, Box, place, plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.cjm.yaml"))
SVG = "{http://www.w3.org/2000/svg}"
FIT_PX = 1600
MIN_TEXT_PX = 9

needs_dot = pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="Graphviz dot is not installed (make setup installs it)")


def generated(touchpoints: int, folder: Path) -> Path:
    from map_testing import generated_map

    path = folder / f"generated-{touchpoints}.cjm.yaml"
    path.write_text(generated_map(touchpoints), encoding="utf-8")
    return path


def journey_at(path: Path) -> Journey:
    loaded = read_map(path)
    assert loaded.valid
    return Journey(loaded.journey, loaded.personas)


def svg_root(journey: Journey, **options) -> ET.Element:
    return ET.fromstring(diagram.render(journey, "svg", RenderOptions(**options)))


def size_pt(root: ET.Element) -> tuple[float, float]:
    return float(root.get("width").removesuffix("pt")), float(root.get("height").removesuffix("pt"))


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == cls]


def title(group: ET.Element) -> str:
    return group.find(f"{SVG}title").text


def box(group: ET.Element) -> tuple[float, float, float, float]:
    """The bounding box of a node's outline (its first polygon or path)."""
    numbers = []
    for shape in group.iter():
        if shape.tag == f"{SVG}polygon":
            numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("points"))]
            break
        if shape.tag == f"{SVG}path":
            numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d"))]
            break
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def check_reads_on_a_page(journey: Journey, root: ET.Element) -> None:
    width, height = size_pt(root)
    assert 1 / 3 <= width / height <= 3, f"aspect {width / height:.2f} for {len(journey.steps)} touchpoints"
    nodes = {title(g): g for g in groups(root, "node")}
    sizes = [float(t.get("font-size")) for step in journey.steps for t in nodes[f"t{step.index}"].iter(f"{SVG}text")]
    assert min(sizes) * FIT_PX / width >= MIN_TEXT_PX, f"{min(sizes) * FIT_PX / width:.1f} px text at {FIT_PX} px wide"


def check_drawn_once(journey: Journey, root: ET.Element) -> None:
    nodes = [title(g) for g in groups(root, "node")]
    for step in journey.steps:
        assert nodes.count(f"t{step.index}") == 1
    edge_ids = [g.get("id") for g in groups(root, "edge")]
    loops = {g.get("id") for g in groups(root, "node") if (g.get("id") or "").startswith("loops-")}
    for source, target in diagram.flow(journey, journey.steps):
        drawn = edge_ids.count(f"flow-t{source.index}-t{target.index}")
        in_connector = sum(1 for ident in loops
                           if ident.split("-")[1] == f"t{source.index}" and f"t{target.index}" in ident.split("-")[2:])
        assert drawn + in_connector == 1, (source.id, target.id, drawn, in_connector)
        if in_connector:
            assert target.stage_index != source.stage_index and target.index <= source.index
    assert len([i for i in edge_ids if i.startswith("flow-")]) == len(set(i for i in edge_ids if i.startswith("flow-")))


def check_nothing_overlaps(root: ET.Element) -> None:
    boxes = [(title(g), box(g)) for g in groups(root, "node") if re.fullmatch(r"[tpd]\d+", title(g))]  # connectors are plain text
    for i, (a, (ax0, ay0, ax1, ay1)) in enumerate(boxes):
        for b, (bx0, by0, bx1, by1) in boxes[i + 1:]:
            overlap = min(ax1, bx1) - max(ax0, bx0), min(ay1, by1) - max(ay0, by0)
            assert min(overlap) <= 0.5, f"{a} and {b} overlap"


def check_loops_stay_short(journey: Journey, root: ET.Element) -> None:
    width, _ = size_pt(root)
    for g in groups(root, "edge"):
        ident = g.get("id") or ""
        match = re.fullmatch(r"flow-t(\d+)-t(\d+)", ident)
        if not match or int(match.group(2)) > int(match.group(1)):
            continue
        path = next(g.iter(f"{SVG}path"))
        xs = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))][0::2]
        assert max(xs) - min(xs) < width / 2, f"the loop {ident} crosses half the picture"


@needs_dot
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_reads_on_a_page(path: Path) -> None:
    journey = journey_at(path)
    root = svg_root(journey)
    check_reads_on_a_page(journey, root)
    check_drawn_once(journey, root)
    check_nothing_overlaps(root)
    check_loops_stay_short(journey, root)


@needs_dot
@pytest.mark.parametrize("touchpoints", [10, 30, 60])
def test_generated_maps_read_on_a_page(touchpoints: int, tmp_path: Path) -> None:
    journey = journey_at(generated(touchpoints, tmp_path))
    root = svg_root(journey)
    check_reads_on_a_page(journey, root)
    check_drawn_once(journey, root)
    check_nothing_overlaps(root)
    check_loops_stay_short(journey, root)


@needs_dot
def test_the_line_layout_stays_one_line() -> None:
    journey = journey_at(ROOT / "examples" / "online-shop-checkout.cjm.yaml")
    width, height = size_pt(svg_root(journey, layout="line"))
    assert width / height > 5  # what the columns layout is for
    columns_width, columns_height = size_pt(svg_root(journey))
    assert columns_width / columns_height < 2


def test_touchpoints_are_numbered_in_journey_order_and_stacked_per_stage() -> None:
    journey = journey_at(ROOT / "examples" / "online-shop-checkout.cjm.yaml")
    source = diagram.build(journey, RenderOptions()).source
    assert "lay out" not in source  # the engine's arguments go with the command, and in -f dot output
    positions = {}
    for node, x, y in re.findall(r'\b(t\d+) \[.*?pos="([-\d.]+),([-\d.]+)"', source):
        positions[node] = (float(x), float(y))
    for stage_index in range(len(journey.map.stages)):
        steps = journey.steps_in_stage(stage_index)
        for a, b in zip(steps, steps[1:]):
            (ax, ay), (bx, by) = positions[f"t{a.index}"], positions[f"t{b.index}"]
            assert by < ay or bx > ax, "down the column, then the next column to the right"
    assert '"1. Instagram carousel ad' in source or "1. Instagram carousel" in source
    dot = diagram.render(journey, "dot", RenderOptions()).decode("utf-8")
    assert dot.startswith("digraph journey {\n\t// lay out with: dot -Kneato -n2")


def test_an_unknown_layout_is_a_render_error() -> None:
    from cjm.render import RenderError

    journey = journey_at(ROOT / "examples" / "online-shop-checkout.cjm.yaml")
    with pytest.raises(RenderError, match="unknown layout 'spiral'"):
        diagram.build(journey, RenderOptions(layout="spiral"))


# --- the plan ---------------------------------------------------------------------

def test_the_plan_keeps_stages_whole_and_in_order_and_evens_out_rows() -> None:
    boxes = [Box(stage, (150.0, 50.0)) for stage in range(12) for _ in range(3)]
    layout = plan(boxes)
    stages_in_order = [layout.columns[c].stage for row in layout.rows for c in row]
    assert stages_in_order == sorted(stages_in_order)
    for row in layout.rows:  # a stage's columns stay in one row
        assert all(layout.columns[c].stage in {layout.columns[c2].stage for c2 in row} for c in row)
    widths = [len(row) for row in layout.rows]
    assert max(widths) - min(widths) <= 2
    assert layout.width <= MAX_WIDTH


def test_a_long_stage_takes_several_columns_of_even_height() -> None:
    boxes = [Box(0, (150.0, 50.0)) for _ in range(7)] + [Box(1, (150.0, 50.0))]
    layout = plan(boxes, aspect=3.0)
    heights = sorted(len(c.boxes) for c in layout.columns if c.stage == 0)
    assert len(heights) > 1 and heights[-1] - heights[0] <= 1
    placed = place(layout, boxes, {0: 30.0, 1: 30.0})
    assert set(placed.centres) == set(range(8))
    x0, y0, x1, y1 = placed.stages[0]
    assert all(x0 < x < x1 and y0 < y < y1 for b in range(7) for x, y in placed.centres[b])


def test_an_empty_map_plans_nothing() -> None:
    layout = plan([])
    assert layout.columns == () and layout.rows == ()


# --- long maps through the command ---------------------------------------------------

def run_cjm(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cjm", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@needs_dot
def test_a_200_touchpoint_map_is_drawn_within_the_time_limit(tmp_path: Path) -> None:
    path = generated(200, tmp_path)
    done = run_cjm("render", str(path), "-o", str(tmp_path / "big.svg"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    root = ET.parse(tmp_path / "big.svg").getroot()
    assert len([g for g in groups(root, "node") if re.fullmatch(r"t\d+", title(g))]) == 200


@needs_dot
def test_a_layout_past_the_time_limit_is_a_message_and_no_file(tmp_path: Path) -> None:
    path = generated(200, tmp_path)
    done = run_cjm("render", str(path), "--dot-timeout", "0.01", "-o", str(tmp_path / "big.svg"), cwd=tmp_path)
    assert done.returncode == 2
    assert "did not finish the layout within 0.01 s" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "big.svg").exists()
