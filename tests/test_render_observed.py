"""``cjm render --observed FILE``: the observed journey on the diagram (DOT source and the SVG dot
makes of it), the funnel on the HTML and Markdown map, warnings about a file that does not fit
the map, and the command's refusals of an unreadable or invalid file."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cjm.cli import app
from cjm.evidence.fingerprint import rules_fingerprint
from cjm.evidence.observed import Observed, dump_observed
from cjm.render import RenderOptions, diagram
from cjm.render.html_map import build_page, html_page
from cjm.render.markdown import report
from cjm.render.overlay import Overlay, duration, observed_warnings, percent
from cjm.render.theme import DARK, DIAGRAM, LIGHT
from test_render_diagram import (SVG, attrs_of, edges, hover_text, journey_of, label_lines, needs_dot, nodes,
                                 svg_groups, tp, visible_text)
from test_render_html import Page, no_pictures

HOSTILE_PATH = '<script>alert(1)</script> & "x" | `y`_*z*'


def shop_map() -> dict:
    """`next` everywhere; a phone call without event rules between cart and payment; a self-loop at
    payment; the journey ends at `done` (the last stage)."""
    return {
        "cjm": 1, "id": "shop", "title": "Shop",
        "personas": [{"id": "web", "name": "Web buyer"}, {"id": "all", "name": "Everyone"}],
        "analytics": {"source": "csv", "columns": {"properties": ["status"]}},
        "stages": [
            {"id": "find", "name": "Find", "touchpoints": [
                tp("home", name="Home page", emotion=1, next=["catalog"], events=["home"]),
                tp("catalog", next=["product"], events=["catalog"]),
                tp("product", emotion=-1, next=["cart", "catalog"], events=["product"]),
            ]},
            {"id": "buy", "name": "Buy", "touchpoints": [
                tp("cart", emotion=2, next=["call"], events=["cart"]),
                tp("call", name="Phone call", channel="phone", personas=["all"], next=["pay"]),
            ]},
            {"id": "settle", "name": "Settle", "touchpoints": [
                tp("pay", moment_of_truth=True, next=["done", "pay"], events=["pay"]),
                tp("done", events=[{"event": "paid", "where": [{"property": "status", "equals": "ok"}]}]),
            ]},
        ],
    }


def edge(source, target, count, users, share, median=None) -> dict:
    return {"source": source, "target": target, "count": count, "users": users, "share": share,
            "median_us": median, "mean_us": median}


def counts(id, stage, journeys, ends, users=None) -> dict:
    return {"id": id, "stage": stage, "events": journeys * 2, "users": users or journeys, "journeys": journeys,
            "ends": ends, "drop_off": round(ends / journeys, 6) if journeys else None}


def observed_data(**changes) -> dict:
    data = {
        "map": "shop",
        "provenance": {"cjm": "1.0", "engine": "duckdb", "engine_version": "1.1", "grain": "session",
                       "inputs": [{"path": "events.csv", "sha256": "ab" * 32, "bytes": 10}],
                       "first_event": "2024-01-02T03:04:05Z", "last_event": "2024-03-01T00:00:00Z",
                       "min_users": 5, "rules_sha256": "0" * 64, "order": "ts, seq, event, touchpoint order"},
        "totals": {"events": 3000, "matched_events": 2700, "unmatched_events": 300, "unmatched_share": 0.1,
                   "users": 700, "journeys": 1000},
        "touchpoints": [counts("home", "find", 500, 25), counts("catalog", "find", 450, 135),
                        counts("product", "find", 520, 416), counts("cart", "buy", 100, 20),
                        counts("pay", "settle", 80, 50), counts("done", "settle", 30, 30),
                        counts("ghost", "find", 9, 9)],
        "edges": [edge(None, "home", 500, 400, 0.5), edge(None, "product", 500, 300, 0.5),
                  edge("home", "catalog", 450, 360, 0.9, 61_000_000), edge("home", None, 25, 20, 0.05),
                  edge("catalog", "product", 20, 15, 0.04), edge("product", "cart", 100, 90, 0.19),
                  edge("product", "home", 40, 30, 0.11), edge("product", "ghost", 10, 8, 0.02),
                  edge("cart", "home", 5, 5, 0.05), edge("cart", "pay", 80, 70, 0.8), edge("pay", "done", 30, 28, 0.375)],
        "stages": [{"id": "find", "users": 450, "journeys": 1000, "conversion": None},
                   {"id": "buy", "users": 90, "journeys": 100, "conversion": 0.2},
                   {"id": "settle", "users": 70, "journeys": 80, "conversion": 0.777778},
                   {"id": "gone", "users": 5, "journeys": 5, "conversion": 0.01}],
        "variants": [], "unmatched": [],
        "suppressed": {"edges": 2, "variants": 0, "unmatched": 0},
    }
    data.update(changes)
    return data


def observed(**changes) -> Observed:
    return Observed.model_validate(observed_data(**changes))


def source(**options) -> str:
    options.setdefault("observed", observed())
    options.setdefault("layout", "line")  # the DOT these tests read is the line layout's
    return diagram.build(journey_of(shop_map()), RenderOptions(**options)).source


def flow(text: str) -> dict[tuple[str, str], list[dict[str, str]]]:
    out: dict[tuple[str, str], list[dict[str, str]]] = {}
    for a, b, at in edges(text):
        if a.startswith(("t", "b")) and b.startswith("t") and at.get("style") != "invis":
            out.setdefault((a, b), []).append(at)
    return out


def width(users: int, most: int = 400) -> str:
    low, high = DIAGRAM.observed_min_penwidth, DIAGRAM.observed_max_penwidth
    return f"{low + (high - low) * users / most:.2f}"


# --- the diagram's DOT source ------------------------------------------------------------------

def test_edges_customers_took_are_as_wide_as_their_users_and_say_times_and_share() -> None:
    drawn = flow(source())
    [home_catalog] = drawn[("t0", "t1")]
    assert home_catalog["penwidth"] == width(360) == "7.30"
    assert home_catalog["color"] == LIGHT.observed_edge
    assert label_lines(home_catalog["label"]) == ["450 \u00b7 90%"]
    hover = home_catalog["tooltip"]
    assert "Home page \u2192 Catalog" in hover and "450 times by 360 users" in hover
    assert "90% of the journeys leaving Home page" in hover and "median 1 min 1 s" in hover
    [catalog_product] = drawn[("t1", "t2")]
    assert catalog_product["penwidth"] == width(15) and label_lines(catalog_product["label"]) == ["20 \u00b7 4%"]


def test_a_transition_the_map_lacks_is_an_extra_dashed_edge_in_the_warning_colour() -> None:
    [product_home] = flow(source())[("t2", "t0")]
    assert product_home["style"] == "dashed"
    assert product_home["color"] == product_home["fontcolor"] == LIGHT.unexpected_edge
    assert product_home["constraint"] == "false"  # the map's own layout stays put
    assert product_home["penwidth"] == width(30)
    assert label_lines(product_home["label"]) == ["40 \u00b7 11%"]
    assert "Seen, not in the map" in product_home["tooltip"]


def test_rare_transitions_the_map_lacks_are_counted_in_the_legend_not_drawn() -> None:
    text = source()
    assert ("t3", "t0") not in flow(text)  # cart -> home: 5% of the journeys leaving the cart
    legend = text.split("subgraph cluster_legend {")[1]
    words = [label_lines(at["label"]) for at in nodes(legend).values() if at.get("shape") == "plaintext"]
    assert ["seen, not in the map", "1 more not drawn", "(under 10% or past the 3 largest)"] in words
    everything = source(observed=observed(edges=[e for e in observed_data()["edges"] if e["target"] != "home" or e["source"] is None]))
    assert "more, each at most" not in everything


def test_a_declared_edge_between_measured_touchpoints_nobody_took_is_greyed() -> None:
    [product_catalog] = flow(source())[("t2", "t1")]
    assert product_catalog["color"] == LIGHT.unobserved_edge
    assert label_lines(product_catalog["label"]) == ["not seen"]
    assert "taken by fewer than 5 users, or by none" in product_catalog["tooltip"]
    assert product_catalog["style"] == "dashed"  # still a loop back, as without evidence
    clean = source(observed=observed(suppressed={"edges": 0, "variants": 0, "unmatched": 0}))
    assert "no customer took it" in flow(clean)[("t2", "t1")][0]["tooltip"]


def test_a_way_through_a_touchpoint_without_rules_is_the_maps_own() -> None:
    drawn = flow(source())
    [cart_pay] = drawn[("t3", "t5")]  # the map goes cart -> call -> pay; calls are not in the log
    assert cart_pay["color"] == LIGHT.observed_edge and "style" not in cart_pay
    assert "In the map through Phone call (no event rules)" in cart_pay["tooltip"]
    for pair in (("t3", "t4"), ("t4", "t5")):
        [plain] = drawn[pair]
        assert "label" not in plain and "color" not in plain
        assert "Not measured: no event rules at Phone call" in plain["tooltip"]


def test_a_self_loop_is_neither_seen_nor_missed() -> None:
    [loop] = flow(source())[("t5", "t5")]
    assert "label" not in loop and loop.get("color") != LIGHT.unobserved_edge
    assert "repeats at one touchpoint are one step" in loop["tooltip"]


def test_touchpoints_are_filled_by_drop_off_and_keep_their_score_in_the_label() -> None:
    found = nodes(source())
    ramp, text = LIGHT.drop_off_ramp, LIGHT.drop_off_ramp_text
    assert (found["t0"]["fillcolor"], found["t1"]["fillcolor"], found["t2"]["fillcolor"]) == (ramp[0], ramp[2], ramp[4])
    assert (found["t3"]["fillcolor"], found["t5"]["fillcolor"]) == (ramp[1], ramp[3])
    assert found["t2"]["fontcolor"] == text[4]
    assert label_lines(found["t0"]["label"]) == ["Home page", "+1", "500 journeys \u00b7 5% end"]
    assert label_lines(found["t2"]["label"]) == ["Product", "\u22121", "520 journeys \u00b7 80% end"]
    assert "416 journeys end here (80%)" in found["t2"]["tooltip"] and "500 journeys start here" in found["t2"]["tooltip"]
    assert float(found["t5"]["penwidth"]) == DIAGRAM.moment_of_truth_penwidth  # markers stay


def test_where_the_maps_journey_ends_ending_is_finishing_and_unmeasured_is_dashed() -> None:
    found = nodes(source())
    assert found["t6"]["fillcolor"] == LIGHT.finish_fill
    assert label_lines(found["t6"]["label"])[-1] == "30 journeys \u00b7 100% finish"
    assert "dashed" in found["t4"]["style"] and found["t4"]["fillcolor"] == LIGHT.no_emotion_fill
    assert label_lines(found["t4"]["label"])[-1] == "not measured"
    nothing = observed_data()
    nothing["touchpoints"][3] = counts("cart", "buy", 0, 0)
    assert label_lines(nodes(source(observed=Observed.model_validate(nothing)))["t3"]["label"])[-1] == "nothing matched"


def test_journeys_start_at_entry_markers_in_the_stage_of_their_touchpoint() -> None:
    text = source()
    found = nodes(text)
    assert sorted(k for k in found if k.startswith("b")) == ["b0", "b1"]
    assert found["b0"]["shape"] == DIAGRAM.entry_shape and found["b0"]["fillcolor"] == LIGHT.entry
    drawn = flow(text)
    [home] = drawn[("b0", "t0")]
    [product] = drawn[("b1", "t2")]
    assert home["penwidth"] == width(400) == f"{DIAGRAM.observed_max_penwidth:.2f}"
    assert label_lines(product["label"]) == ["500 \u00b7 50%"]
    assert "500 journeys of 300 users start here" in product["tooltip"] and "50% of all journeys" in product["tooltip"]
    find = text.split("subgraph cluster_s0 {")[1].split("subgraph cluster_s1")[0]
    assert "b0 [" in find and "b1 [" in find


def test_the_title_says_what_was_observed() -> None:
    graph = attrs_of(next(line for line in source().splitlines() if line.startswith("\tgraph [")))
    assert label_lines(graph["label"]) == [
        "Shop", "Observed: 1,000 journeys (sessions) of 700 users, 2024-01-02 to 2024-03-01",
        # the caption counts what it leaves out (a version 1 file has no journeys per edge: times)
        "Not drawn: 1 transition the map lacks, taken 5 times (each at most 10% of the journeys leaving its",
        "touchpoint, or past the 3 largest there)"]


def test_the_legend_has_an_entry_for_each_encoding() -> None:
    legend = source().split("subgraph cluster_legend {")[1]
    found = nodes(legend)
    labels = {label_lines(v["label"])[0] if v.get("label") else k: v for k, v in found.items()}
    assert labels["under 10% end here"]["fillcolor"] == LIGHT.drop_off_ramp[0]
    assert labels["25%\u201350% end here"]["fillcolor"] == LIGHT.drop_off_ramp[2]
    assert labels["75% or more end here"]["fillcolor"] == LIGHT.drop_off_ramp[4]
    assert labels["the journey's end"]["fillcolor"] == LIGHT.finish_fill
    assert "dashed" in labels["not measured"]["style"]
    assert not [k for k in labels if "very negative" in k]  # the fill is not the emotion here
    samples = {label_lines(found[b]["label"])[0]: at for a, b, at in edges(legend) if at.get("style") != "invis"}
    assert samples["customers went this way"]["color"] == LIGHT.observed_edge
    assert samples["seen, not in the map"]["style"] == "dashed"
    assert samples["seen, not in the map"]["color"] == LIGHT.unexpected_edge
    assert samples["in the map, not seen"]["color"] == LIGHT.unobserved_edge
    assert samples["journeys start here"]["color"] == LIGHT.observed_edge
    chained = {(a, b) for a, b, at in edges(legend) if at.get("style") == "invis"}
    assert ("l3", "l4") in chained and ("l4", "l5") not in chained  # the ramp is a row of its own


def test_observed_ids_the_map_lacks_are_left_out_of_the_picture() -> None:
    text = source()
    assert "ghost" not in text and "gone" not in text
    overlay = Overlay(journey_of(shop_map()), observed())
    assert "ghost" not in overlay.touchpoints and ("product", "ghost") not in overlay.transitions
    assert overlay.most_users == 400


def test_a_persona_view_draws_the_observed_edges_among_its_touchpoints_for_all_customers() -> None:
    text = source(persona="web")  # the phone call is not for this persona
    assert "t4" not in nodes(text)
    graph = attrs_of(next(line for line in text.splitlines() if line.startswith("\tgraph [")))
    assert "counts are for all customers" in " ".join(label_lines(graph["label"]))
    [cart_pay] = flow(text)[("t3", "t5")]  # the view's one edge through the hidden call carries the counts
    assert label_lines(cart_pay["label"]) == ["80 \u00b7 80%"] and cart_pay["color"] == LIGHT.observed_edge
    assert "In the map through Phone call (no event rules)" in cart_pay["tooltip"]


def test_dark_theme_and_determinism() -> None:
    text = source(theme="dark")
    assert flow(text)[("t0", "t1")][0]["color"] == DARK.observed_edge
    assert flow(text)[("t2", "t0")][0]["color"] == DARK.unexpected_edge
    assert source() == source()


def test_without_observed_the_diagram_is_unchanged() -> None:
    plain = diagram.build(journey_of(shop_map()), RenderOptions(layout="line")).source
    assert LIGHT.observed_edge not in plain and "b0" not in plain and "Observed" not in plain
    assert nodes(plain)["t0"]["fillcolor"] == LIGHT.emotion_fill[1]
    legend = plain.split("subgraph cluster_legend {")[1]
    chained = {(a, b) for a, b, at in edges(legend)}
    assert ("l3", "l4") in chained and ("l4", "l5") not in chained  # the emotion scale is a row of its own


# --- the SVG dot makes of it ------------------------------------------------------------------

@needs_dot
def test_svg_draws_widths_colours_dashes_and_labels() -> None:
    root = ET.fromstring(diagram.render(journey_of(shop_map()), "svg", RenderOptions(observed=observed())))
    found = svg_groups(root, "edge")

    def stroke(title: str) -> ET.Element:
        return found[title].find(f".//{SVG}path")

    assert stroke("t0->t1").get("stroke") == LIGHT.observed_edge
    # 90% of the widest edge's users: 1 + 0.9 x 3 pt in the columns layout, whose widths stop at 4 pt
    # so that edges routed a few points apart stay apart (the line layout's stop at 8: 7.3 pt)
    assert float(stroke("t0->t1").get("stroke-width")) == pytest.approx(3.7)
    line = svg_groups(ET.fromstring(diagram.render(journey_of(shop_map()), "svg", RenderOptions(observed=observed(), layout="line"))), "edge")
    assert float(line["t0->t1"].find(f".//{SVG}path").get("stroke-width")) == pytest.approx(7.3)
    assert visible_text(found["t0->t1"]) == "450 \u00b7 90%"
    assert stroke("t2->t0").get("stroke") == LIGHT.unexpected_edge and stroke("t2->t0").get("stroke-dasharray")
    assert stroke("t2->t1").get("stroke") == LIGHT.unobserved_edge and visible_text(found["t2->t1"]) == "not seen"
    assert "450 times by 360 users" in hover_text(found["t0->t1"])
    shown = svg_groups(root, "node")
    assert shown["t2"].find(f".//{SVG}path").get("fill") == LIGHT.drop_off_ramp[4]
    assert "520 journeys \u00b7 80% end" in visible_text(shown["t2"])
    assert shown["b0"].find(f".//{SVG}ellipse").get("fill") == LIGHT.entry
    assert "ghost" not in ET.tostring(root, encoding="unicode")


# --- words and numbers ----------------------------------------------------------------------------

def test_percent_and_duration_read_naturally() -> None:
    assert [percent(x) for x in (0, 0.001, 0.38, 0.996, 1)] == ["0%", "<1%", "38%", ">99%", "100%"]
    assert [duration(us) for us in (850_000, 42_000_000, 130_000_000, 3 * 3600_000_000 + 300_000_000, 90000_000_000)] == \
        ["850 ms", "42 s", "2 min 10 s", "3 h 5 min", "1 d 1 h"]


# --- warnings ----------------------------------------------------------------------------------------

def test_warnings_name_another_map_unknown_ids_and_changed_rules() -> None:
    journey = journey_of(shop_map())
    warnings = observed_warnings(journey.map, observed(map="other"), "o.json")
    assert warnings[0] == "o.json was computed for map 'other', not 'shop'"
    assert "touchpoints the map does not have, left out of the picture: 'ghost'" in warnings[1]
    assert "stages the map does not have, left out of the picture: 'gone'" in warnings[2]
    assert "other event rules" in warnings[3]
    fits = observed_data(touchpoints=observed_data()["touchpoints"][:-1], stages=observed_data()["stages"][:-1])
    fits["edges"] = [e for e in fits["edges"] if e["target"] != "ghost"]
    fits["provenance"]["rules_sha256"] = rules_fingerprint(journey.map)
    assert observed_warnings(journey.map, Observed.model_validate(fits), "o.json") == []


def test_hostile_ids_in_warnings_are_one_printable_line() -> None:
    data = observed_data(map="x\n\x1b[31mred")
    data["touchpoints"].append(counts("<b>\u202e\x07", "find", 1, 1))
    warnings = observed_warnings(journey_of(shop_map()).map, Observed.model_validate(data), "o.json")
    assert all("\n" not in w and "\x1b" not in w and "\x07" not in w and "\u202e" not in w for w in warnings)


# --- the HTML map: funnel lane ----------------------------------------------------------------------

def page_html(**options) -> str:
    return html_page(journey_of(shop_map()), RenderOptions(**options))


@pytest.fixture(scope="module")
def evidence_html() -> str:
    data = observed_data()
    data["provenance"]["inputs"][0]["path"] = HOSTILE_PATH
    return page_html(observed=Observed.model_validate(data))


def rows(html: str) -> dict[str, str]:
    """Lane key -> the lane row's HTML."""
    return {key: body for key, body in
            __import__("re").findall(r'<tr class="lane-([a-z_]+)">(.*?)</tr>', html, flags=__import__("re").S)}


def test_the_funnel_lane_sits_below_the_curve_with_users_and_conversion_per_stage(evidence_html) -> None:
    lanes = list(rows(evidence_html))
    assert lanes.index("funnel") == lanes.index("curve") + 1
    assert lanes.index("observed") == lanes.index("funnel") + 1
    funnel = Page(rows(evidence_html)["funnel"])
    assert "450 users in 1,000 journeys" in funnel.text
    assert "from the stage before: 20%" in funnel.text and "from the stage before: 78%" in funnel.text
    cells = [a for t, a in funnel.elements if t == "td"]
    assert [c["colspan"] if "colspan" in c else "1" for c in cells] == ["3", "2", "2"]
    assert all(c["headers"].startswith("lane-funnel stage-") for c in cells)
    bars = [a for t, a in funnel.elements if t == "span" and a.get("class") == "bar"]
    assert bars and all(b["aria-hidden"] == "true" for b in bars)
    widths = [a["style"] for t, a in funnel.elements if t == "span" and a.get("class") == "bar-fill"]
    assert widths == ["width: 100.0%", "width: 20.0%", "width: 20.0%", "width: 15.6%", "width: 77.8%"]


def test_the_observed_lane_gives_journeys_and_drop_off_per_touchpoint(evidence_html) -> None:
    observed_row = Page(rows(evidence_html)["observed"]).text
    assert "500 journeys of 500 users" in observed_row and "5% end here" in observed_row
    assert "100% finish here" in observed_row
    assert "not measured (no event rules)" in observed_row  # the phone call


def test_the_page_says_where_the_counts_come_from_escaped(evidence_html) -> None:
    page = Page(evidence_html)
    assert "Observed 1,000 journeys (sessions) of 700 users, 2024-01-02 to 2024-03-01" in page.text
    assert f"Observed counts from {HOSTILE_PATH} (sha256 abababababab)" in page.text
    assert "<script>alert" not in evidence_html and "&lt;script&gt;alert(1)&lt;/script&gt;" in evidence_html
    assert not page.all("script")
    assert "print-color-adjust: exact" in evidence_html  # the bars print


def test_stages_without_rules_say_so_and_no_evidence_means_no_lanes() -> None:
    data = observed_data()
    data["stages"][1] = {"id": "buy", "users": None, "journeys": None, "conversion": None}
    page = build_page(journey_of(shop_map()), RenderOptions(observed=Observed.model_validate(data)),
                      curve=no_pictures, diagram=no_pictures)
    funnel = next(lane for lane in page["lanes"] if lane.key == "funnel")
    assert [i.text for i in funnel.cells[1].items] == ["not measured (no event rules)"]
    plain = build_page(journey_of(shop_map()), RenderOptions(), curve=no_pictures, diagram=no_pictures)
    assert not [lane for lane in plain["lanes"] if lane.key in ("funnel", "observed")] and plain["evidence"] is None


def test_the_embedded_diagram_is_the_observed_one() -> None:
    seen = []
    build_page(journey_of(shop_map()), RenderOptions(observed=observed()), curve=no_pictures,
               diagram=lambda journey, options, prefix: seen.append(options.observed) or no_pictures(journey, options))
    assert seen and all(o is not None for o in seen)


# --- Markdown ------------------------------------------------------------------------------------------

def test_markdown_has_a_funnel_table_and_a_touchpoint_table() -> None:
    data = observed_data()
    data["provenance"]["inputs"][0]["path"] = HOSTILE_PATH
    text = report(journey_of(shop_map()), None, Observed.model_validate(data))
    assert "| Find | 450 | 1,000 |   |" in text
    assert "| Buy | 90 | 100 | 20% |" in text
    assert "| Settle | Done | 30 | 30 | 30 | 100% (finish) |" in text
    assert "| Buy | Phone call | not measured |" in text
    assert "<script>" not in text and "\\`y\\`" in text
    assert "## Observed" not in report(journey_of(shop_map()))


# --- the command ------------------------------------------------------------------------------------------

@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "shop.cjm.yaml").write_text(yaml.safe_dump(shop_map(), sort_keys=False), encoding="utf-8")
    (tmp_path / "shop.observed.json").write_text(dump_observed(observed()), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cjm(*args: str):
    return CliRunner().invoke(app, ["render", *args], catch_exceptions=False)


def test_a_missing_observed_file_is_exit_2_and_nothing_is_written(work: Path) -> None:
    result = cjm("shop.cjm.yaml", "--observed", "nope.json", "-f", "dot", "-o", "out.dot")
    assert result.exit_code == 2
    assert "cjm: error: cannot read observed file nope.json" in result.stderr
    assert not (work / "out.dot").exists()


def test_an_invalid_observed_file_is_reported_at_line_and_column(work: Path) -> None:
    (work / "bad.json").write_text('{\n  "map": "shop",\n  "totals": [1,\n}\n', encoding="utf-8")
    result = cjm("shop.cjm.yaml", "--observed", "bad.json", "-f", "dot", "-o", "out.dot")
    assert result.exit_code == 2
    assert "bad.json:4:1: error" in result.stderr
    assert "bad.json: not a valid observed journey (1 problem)" in result.stderr
    assert "map invalid" not in result.stderr
    assert not (work / "out.dot").exists()
    data = observed_data()
    data["edges"][0]["share"] = 1.5
    (work / "bad.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    result = cjm("shop.cjm.yaml", "--observed", "bad.json", "--view", "map", "-o", "out.html")
    assert result.exit_code == 2
    line = next(i for i, text in enumerate(json.dumps(data, indent=2).splitlines(), 1) if '"share": 1.5' in text)
    assert f"bad.json:{line}:" in result.stderr and not (work / "out.html").exists()


def test_a_folder_as_observed_file_is_exit_2(work: Path) -> None:
    result = cjm("shop.cjm.yaml", "--observed", str(work), "-f", "dot", "-o", "-")
    assert result.exit_code == 2 and "cannot read observed file" in result.stderr and result.stdout == ""


def test_the_observed_file_goes_with_one_map(work: Path) -> None:
    (work / "other.cjm.yaml").write_text(yaml.safe_dump({**shop_map(), "id": "other"}), encoding="utf-8")
    result = cjm(".", "--observed", "shop.observed.json", "-f", "dot")
    assert result.exit_code == 2 and "belongs to one map, and 2 were given" in result.stderr
    assert not list(work.glob("*.diagram.dot"))


def test_render_with_observed_warns_and_draws(work: Path) -> None:
    result = cjm("shop.cjm.yaml", "--observed", "shop.observed.json", "-f", "dot", "-o", "-")
    assert result.exit_code == 0, result.output
    assert LIGHT.observed_edge in result.stdout
    assert "cjm: warning: shop.cjm.yaml: shop.observed.json counts touchpoints the map does not have" in result.stderr
    assert "other event rules" in result.stderr
    result = cjm("shop.cjm.yaml", "--observed", "shop.observed.json", "--view", "map", "-f", "md", "-o", "-")
    assert result.exit_code == 0 and "### Funnel" in result.stdout


def test_views_that_do_not_paint_evidence_say_so(work: Path) -> None:
    result = cjm("shop.cjm.yaml", "--observed", "shop.observed.json", "--view", "journey", "-o", "-")
    assert result.exit_code == 0
    assert "--observed is drawn in the diagram, map and flow views only, not in journey" in result.stderr


def test_render_without_observed_does_not_import_the_evidence_code(work: Path) -> None:
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom cjm.cli import app\n"
            "r = CliRunner().invoke(app, ['render', 'shop.cjm.yaml', '-f', 'dot', '-o', '-'])\n"
            "assert r.exit_code == 0, r.output\n"
            "print(sorted(m for m in sys.modules if m.startswith(('cjm.evidence', 'cjm.render.overlay', "
            "'cjm.render.diagram_evidence', 'cjm.render.map_evidence'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=work, check=True)
    # validating the map's `where` columns reads the presets (plain data); nothing else of evidence loads
    assert done.stdout.strip() == "['cjm.evidence', 'cjm.evidence.presets']"


def test_an_empty_log_still_draws_every_view() -> None:
    empty = observed(totals={"events": 0, "matched_events": 0, "unmatched_events": 0, "unmatched_share": 0,
                             "users": 0, "journeys": 0},
                     touchpoints=[counts(t, s, 0, 0) for t, s in (("home", "find"), ("cart", "buy"))],
                     edges=[], stages=[{"id": "find", "users": 0, "journeys": 0, "conversion": None}])
    journey = journey_of(shop_map())
    found = nodes(diagram.build(journey, RenderOptions(observed=empty, layout="line")).source)
    assert label_lines(found["t0"]["label"])[-1] == "nothing matched"
    assert label_lines(found["t1"]["label"])[-1] == "not measured"
    page = Page(html_page(journey, RenderOptions(observed=empty)))
    assert "0 users in 0 journeys" in page.text
    assert "| Find | 0 | 0 |   |" in report(journey, None, empty)
