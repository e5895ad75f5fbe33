"""The Graphviz journey diagram: its DOT source (clusters, nodes, labels, edges, legend), the SVG
that dot makes of it parsed as XML, escaping of hostile text, and dot run as a process."""

from __future__ import annotations

import os
import re
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from cjm.journey import Journey
from cjm.render import MissingTool, RenderError, RenderOptions, VIEWS, view_module
from cjm.render import diagram
from cjm.render.dot import ELLIPSIS, WORD_JOINER, run_dot, text_label, tooltip, wrap
from cjm.render.theme import DARK, DIAGRAM, LIGHT, emotion_bucket
from cjm.format.validate import read_map, validate_bytes

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_MAPS = sorted(p for p in EXAMPLES.rglob("*.cjm.yaml"))
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
MAGIC = {"svg": b"<?xml", "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-", "dot": b"digraph"}
HOSTILE = [
    '<x> URL="javascript:alert(1)"',
    "<<b>bold</b>>",
    "ends with a backslash\\",
    "\\N \\G \\E \\T \\H \\L \\l \\n \\r",
    'say "hi" and \\"bye\\"',
    "{a|b} <c> |d|",
    "&amp; &lt;b&gt; &#65; &bogus; R&D",
    "Café 東京 مرحبا 🚀👩‍👩‍👧",
    "<!-- x --> ]]> <![CDATA[",
    "javascript:alert(1)",
    "two\nlines\tand tab",
]
# without escaping, the graphviz package would pass this through as an HTML-like label: a live link
TABLE_LINK = '<<table href="javascript:alert(1)"><tr><td>x</td></tr></table>>'
SHORT_HOSTILE = ['<b>"c"</b>', "web\\", "&lt;&amp;", "{x|y}", "\\N\\G"]


# --- helpers ------------------------------------------------------------------

def journey_of(data: dict) -> Journey:
    """A Journey from map data, through the real loader and checks (the map must be valid)."""
    raw = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
    loaded = validate_bytes(raw, Path("m.cjm.yaml"), "m.cjm.yaml")
    assert loaded.valid, [f"{d.location} {d.message}" for d in loaded.diagnostics]
    return Journey(loaded.journey, loaded.personas)


def tp(id: str, **fields) -> dict:
    return {"id": id, "name": fields.pop("name", id.replace("-", " ").title()), **fields}


def linear_map(**extra) -> dict:
    """Three stages in order, no `next`: touchpoints follow each other in stage order."""
    return {
        "cjm": 1, "id": "shop", "title": "Shop checkout",
        "stages": [
            {"id": "aware", "name": "Awareness", "customer_goal": "Find a shop",
             "touchpoints": [tp("ad", channel="social", emotion=1), tp("search", channel="search", emotion=0.4)]},
            {"id": "buy", "name": "Purchase",
             "touchpoints": [tp("cart", channel="web", emotion=-2, moment_of_truth=True,
                                pains=["Surprise delivery costs", "Slow page"]),
                             tp("pay", channel="web")]},
            {"id": "after", "name": "After", "touchpoints": [tp("mail", channel="email", emotion=2)]},
        ],
        **extra,
    }


def flow_map() -> dict:
    """Two personas, explicit `next` with a loop, a self-loop and a dead end before the last stage."""
    return {
        "cjm": 1, "id": "trial", "title": "Trial",
        "personas": [{"id": "rosa", "name": "Rosa, team lead"}, {"id": "sam", "name": "Sam (engineer)"}],
        "stages": [
            {"id": "find", "name": "Find", "touchpoints": [
                tp("post", emotion={"rosa": 1, "sam": -1}, next=["site"]),
                tp("site", emotion=0.5, next=["trial", "pricing"]),
                tp("pricing", personas=["rosa"], emotion={"rosa": -1}, next=["pricing", "site"]),
            ]},
            {"id": "try", "name": "Try", "touchpoints": [
                tp("trial", emotion={"score": 1, "label": "curious"}, next=["setup", "forum"]),
                tp("forum", personas=["sam"], emotion={"sam": -2}),
                tp("setup", personas=["sam"], emotion={"sam": 2}, next=["buy"]),
            ]},
            {"id": "pay", "name": "Pay", "touchpoints": [tp("buy", emotion={"rosa": 1}, next=["trial"])]},
        ],
    }


def source_of(journey: Journey, **options) -> str:
    """The DOT source; of the line layout unless ``layout`` says otherwise (tests/test_diagram_layout.py
    checks the columns layout)."""
    options.setdefault("layout", "line")
    return diagram.build(journey, RenderOptions(**options)).source


ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')


def attrs_of(text: str) -> dict[str, str]:
    """Attributes of one DOT statement's ``[...]`` list; quoted values unquoted (DOT escapes kept)."""
    out = {}
    for key, value in ATTR.findall(text):
        if value.startswith('"'):
            value = re.sub(r'\\"', '"', value[1:-1])
        out[key] = value
    return out


def cluster_attrs(source: str, name: str) -> dict[str, str]:
    """The attributes a cluster sets on itself (the first line of its block)."""
    return attrs_of(source.split(f"subgraph {name} {{\n")[1].splitlines()[0])


def nodes(source: str) -> dict[str, dict[str, str]]:
    found = {}
    for line in source.splitlines():
        match = re.match(r"\s*([a-z]+\d+) \[(.*)\]$", line)
        if match:
            found[match.group(1)] = attrs_of(match.group(2))
    return found


def edges(source: str) -> list[tuple[str, str, dict[str, str]]]:
    found = []
    for line in source.splitlines():
        match = re.match(r"\s*([a-z]+\d+) -> ([a-z]+\d+)(?: \[(.*)\])?$", line)
        if match:
            found.append((match.group(1), match.group(2), attrs_of(match.group(3) or "")))
    return found


def flow_edges(source: str) -> set[tuple[str, str]]:
    return {(a, b) for a, b, at in edges(source) if a.startswith("t") and b.startswith("t") and at.get("style") != "invis"}


def label_lines(value: str) -> list[str]:
    """Decode a DOT escString label into its visible lines (\\\\ -> \\, \\n and \\l end a line, &amp; -> &)."""
    lines, current, i = [], "", 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            if nxt in "nl":
                lines.append(current)
                current = ""
            else:
                current += nxt
            i += 2
            continue
        current += char
        i += 1
    if current:
        lines.append(current)
    return [line.replace("&amp;", "&") for line in lines]


def svg_of(journey: Journey, **options) -> ET.Element:
    return ET.fromstring(diagram.render(journey, "svg", RenderOptions(**options)))


def svg_groups(root: ET.Element, cls: str) -> dict[str, ET.Element]:
    """The SVG groups of one class (node, edge, cluster) by their <title> (the DOT id)."""
    return {g.find(f"{SVG}title").text: g for g in root.iter(f"{SVG}g") if g.get("class") == cls}


def visible_text(group: ET.Element) -> str:
    return " ".join(t.text or "" for t in group.iter(f"{SVG}text"))


def hover_text(group: ET.Element) -> str:
    titles = [a.get(f"{XLINK}title") or "" for a in group.iter(f"{SVG}a")]
    return " ".join(titles).replace(WORD_JOINER, "")


needs_dot = pytest.mark.skipif(
    __import__("shutil").which("dot") is None, reason="Graphviz dot is not installed (make setup installs it)")


# --- DOT source: layout, clusters, nodes -----------------------------------------

def test_left_to_right_with_a_title_and_no_html_labels() -> None:
    source = source_of(journey_of(linear_map()))
    graph = attrs_of(re.search(r"^\tgraph \[(.*)\]$", source, re.M).group(1))
    assert graph["rankdir"] == "LR"
    assert graph["newrank"] == "true"
    assert label_lines(graph["label"]) == ["Shop checkout"]
    assert graph["tooltip"] == "Shop checkout"
    assert source.startswith("digraph journey {")
    assert "=<" not in source  # nothing is an HTML-like label


def test_one_cluster_per_stage_in_map_order_with_name_and_goal() -> None:
    source = source_of(journey_of(linear_map()))
    clusters = re.findall(r"subgraph (cluster_\w+) \{", source)
    assert clusters == ["cluster_s0", "cluster_s1", "cluster_s2", "cluster_legend"]
    label = cluster_attrs(source, "cluster_s0")["label"]
    assert label_lines(label) == ["Awareness", "Goal: Find a shop"]
    assert label.endswith("\\l")  # stage labels are left-aligned line by line


def test_a_node_per_touchpoint_with_name_channel_and_score() -> None:
    found = nodes(source_of(journey_of(linear_map())))
    touchpoints = {k: v for k, v in found.items() if k.startswith("t")}
    assert list(touchpoints) == ["t0", "t1", "t2", "t3", "t4"]
    assert label_lines(touchpoints["t0"]["label"]) == ["Ad", "social \u00b7 +1"]
    assert label_lines(touchpoints["t1"]["label"]) == ["Search", "search \u00b7 +0.4"]
    assert label_lines(touchpoints["t2"]["label"]) == ["\u2605 Cart", "web \u00b7 \u22122"]
    assert label_lines(touchpoints["t3"]["label"]) == ["Pay", "web \u00b7 no emotion"]


def test_nodes_are_filled_by_emotion_and_no_emotion_is_dashed() -> None:
    found = nodes(source_of(journey_of(linear_map())))
    assert found["t0"]["fillcolor"] == LIGHT.emotion_fill[1]
    assert found["t1"]["fillcolor"] == LIGHT.emotion_fill[0]  # 0.4 rounds to neutral
    assert found["t2"]["fillcolor"] == LIGHT.emotion_fill[-2]
    assert found["t4"]["fillcolor"] == LIGHT.emotion_fill[2]
    assert found["t4"]["fontcolor"] == LIGHT.emotion_text[2]
    assert "dashed" not in found["t0"]["style"]
    assert "dashed" in found["t3"]["style"]
    assert found["t3"]["fillcolor"] == LIGHT.no_emotion_fill
    assert found["t3"]["color"] == LIGHT.no_emotion_border


def test_moment_of_truth_has_a_thick_border_and_a_marker() -> None:
    found = nodes(source_of(journey_of(linear_map())))
    assert float(found["t2"]["penwidth"]) == DIAGRAM.moment_of_truth_penwidth > DIAGRAM.penwidth
    assert found["t2"]["color"] == LIGHT.moment_of_truth
    assert "penwidth" not in found["t0"]
    assert "Moment of truth" in found["t2"]["tooltip"]


def test_several_personas_show_each_score_and_fill_by_the_average() -> None:
    found = nodes(source_of(journey_of(flow_map())))
    assert label_lines(found["t0"]["label"]) == ["Post", "Rosa +1 \u00b7 Sam \u22121"]
    assert found["t0"]["fillcolor"] == LIGHT.emotion_fill[0]  # (1 + -1) / 2
    assert label_lines(found["t1"]["label"]) == ["Site", "+0.5"]  # one score for everyone
    assert label_lines(found["t3"]["label"]) == ["Trial", "+1 curious"]
    assert "Rosa, team lead: +1" in found["t0"]["tooltip"]


def test_persona_names_fall_back_to_ids_when_short_names_clash() -> None:
    data = flow_map()
    data["personas"] = [{"id": "rosa", "name": "Alex, lead"}, {"id": "sam", "name": "Alex, engineer"}]
    found = nodes(source_of(journey_of(data)))
    assert label_lines(found["t0"]["label"])[-1] == "rosa +1 \u00b7 sam \u22121"


def test_empty_stage_keeps_its_place_with_a_placeholder() -> None:
    data = linear_map()
    data["stages"].insert(1, {"id": "think", "name": "Think"})
    source = source_of(journey_of(data))
    assert re.findall(r"subgraph (cluster_s\d+)", source) == ["cluster_s0", "cluster_s1", "cluster_s2", "cluster_s3"]
    assert "e1" in source.split("subgraph cluster_s1 {")[1].split("subgraph")[0]
    assert label_lines(nodes(source)["e1"]["label"]) == ["no touchpoints"]


# --- edges, loops, drop-offs -------------------------------------------------------

def test_without_next_touchpoints_follow_each_other_in_stage_order() -> None:
    assert flow_edges(source_of(journey_of(linear_map()))) == {("t0", "t1"), ("t1", "t2"), ("t2", "t3"), ("t3", "t4")}


def test_edges_follow_next_and_loops_do_not_constrain_the_layout() -> None:
    source = source_of(journey_of(flow_map()))
    flow = {(a, b): at for a, b, at in edges(source) if a.startswith("t") and b.startswith("t")}
    assert set(flow) == {("t0", "t1"), ("t1", "t3"), ("t1", "t2"), ("t2", "t2"), ("t2", "t1"),
                         ("t3", "t5"), ("t3", "t4"), ("t5", "t6"), ("t6", "t3")}
    backward = {edge for edge, at in flow.items() if at.get("constraint") == "false"}
    assert backward == {("t2", "t2"), ("t2", "t1"), ("t6", "t3")}
    assert all(flow[e]["style"] == "dashed" for e in backward)
    assert flow[("t0", "t1")]["tooltip"] == "Post \u2192 Site"


def test_a_dead_end_before_the_last_stage_is_a_drop_off() -> None:
    source = source_of(journey_of(flow_map()))
    found = nodes(source)
    drop_offs = [k for k in found if k.startswith("d")]
    assert drop_offs == ["d0"]  # the forum; `buy` is in the last stage and loops back anyway
    assert found["d0"]["fillcolor"] == LIGHT.drop_off
    assert label_lines(found["d0"]["label"]) == ["drop-off"]
    assert [(a, at["color"]) for a, b, at in edges(source) if b == "d0"] == [("t4", LIGHT.drop_off)]
    assert "drop-off" in [label_lines(v["label"])[0] for k, v in found.items() if k.startswith("l")]


def test_touchpoints_nothing_leads_to_keep_their_place_in_the_journey() -> None:
    data = linear_map()
    data["stages"][0]["touchpoints"][0]["next"] = ["search"]  # `next` given once: everything else is unlinked
    source = source_of(journey_of(data))
    assert flow_edges(source) == {("t0", "t1")}
    hidden = {(a, b) for a, b, at in edges(source) if at.get("style") == "invis" and not a.startswith("l")}
    assert hidden == {("t1", "t2"), ("t2", "t3"), ("t3", "t4")}  # as if in stage order, so left to right
    data["stages"].insert(1, {"id": "think", "name": "Think"})
    hidden = {(a, b) for a, b, at in edges(source_of(journey_of(data))) if at.get("style") == "invis" and not a.startswith("l")}
    assert {("t1", "e1"), ("e1", "t2")} <= hidden  # an empty stage keeps its place too


def test_entry_points_of_the_first_stage_are_not_chained() -> None:
    data = flow_map()
    data["stages"][0]["touchpoints"].insert(1, tp("ad", emotion=1, next=["site"]))
    assert not [e for e in edges(source_of(journey_of(data))) if e[2].get("style") == "invis" and e[0].startswith("t")]


def test_stage_order_maps_have_no_drop_offs() -> None:
    source = source_of(journey_of(linear_map()))
    assert not [k for k in nodes(source) if k.startswith("d")]
    assert "drop-off" not in source


# --- pains ----------------------------------------------------------------------------

def test_pains_are_notes_attached_to_their_touchpoint_with_a_dashed_edge() -> None:
    source = source_of(journey_of(linear_map()))
    found = nodes(source)
    pains = {k: v for k, v in found.items() if k.startswith("p")}
    assert [label_lines(v["label"]) for v in pains.values()] == [["Surprise delivery costs"], ["Slow page"]]
    assert all(v["shape"] == "note" and v["fillcolor"] == LIGHT.pain_fill for v in pains.values())
    attached = [(a, b, at) for a, b, at in edges(source) if b.startswith("p")]
    assert [(a, b) for a, b, _ in attached] == [("t2", "p0"), ("t2", "p1")]
    assert all(at["style"] == "dashed" and at["arrowhead"] == "none" for _, _, at in attached)
    assert re.search(r"\{\s*rank=same\s+t2\s+p0\s+p1\s*\}", source)  # stacked beside the touchpoint
    assert "pain point" in [label_lines(v["label"])[0] for k, v in found.items() if k.startswith("l")]


def test_no_pains_hides_them_and_their_legend_entry() -> None:
    source = source_of(journey_of(linear_map()), show_pains=False)
    assert not [k for k in nodes(source) if k.startswith("p")]
    assert "pain point" not in source
    assert "Surprise delivery costs" in nodes(source)["t2"]["tooltip"]  # still in the hover text


# --- persona ---------------------------------------------------------------------------

def test_persona_draws_only_its_touchpoints_and_its_emotions() -> None:
    source = source_of(journey_of(flow_map()), persona="sam")
    found = nodes(source)
    assert sorted(k for k in found if k.startswith("t")) == ["t0", "t1", "t3", "t4", "t5", "t6"]  # no pricing
    assert label_lines(found["t0"]["label"]) == ["Post", "\u22121"]
    assert found["t0"]["fillcolor"] == LIGHT.emotion_fill[-1]
    assert label_lines(found["t6"]["label"]) == ["Buy", "no emotion"]  # only Rosa scored it
    graph = attrs_of(re.search(r"^\tgraph \[(.*)\]$", source, re.M).group(1))
    assert label_lines(graph["label"]) == ["Trial", "Persona: Sam (engineer)"]


def test_persona_view_bridges_touchpoints_it_skips() -> None:
    journey = journey_of(flow_map())
    assert ("t1", "t2") in flow_edges(source_of(journey, persona="rosa"))
    rosa = flow_edges(source_of(journey, persona="rosa"))
    assert not any("t4" in e or "t5" in e for e in rosa)
    assert ("t3", "t6") in rosa  # trial -> setup (Sam's) -> buy becomes trial -> buy
    data = linear_map(personas=[{"id": "a", "name": "A"}, {"id": "b", "name": "B"}])
    data["stages"][1]["touchpoints"][0]["personas"] = ["a"]
    assert ("t1", "t3") in flow_edges(source_of(journey_of(data), persona="b"))


def test_unknown_persona_is_refused() -> None:
    with pytest.raises(RenderError, match="no persona 'nobody'"):
        source_of(journey_of(flow_map()), persona="nobody")


# --- legend, theme, determinism --------------------------------------------------------------

def test_legend_says_what_each_colour_and_marker_means() -> None:
    source = source_of(journey_of(linear_map()))
    legend = source.split("subgraph cluster_legend {")[1]
    found = nodes(legend)
    labels = {label_lines(v["label"])[0]: v for v in found.values()}
    for score, word in ((-2, "very negative"), (-1, "negative"), (0, "neutral"), (1, "positive"), (2, "very positive")):
        sign = {-2: "\u22122", -1: "\u22121", 0: "0", 1: "+1", 2: "+2"}[score]
        assert labels[f"{sign} {word}"]["fillcolor"] == LIGHT.emotion_fill[score]
    assert "dashed" in labels["no emotion"]["style"]
    assert float(labels["\u2605 moment of truth"]["penwidth"]) == DIAGRAM.moment_of_truth_penwidth
    assert labels["pain point"]["shape"] == "note"
    assert all(at["style"] == "invis" for _, _, at in edges(legend))


def test_dark_theme_colours() -> None:
    source = source_of(journey_of(linear_map()), theme="dark")
    graph = attrs_of(re.search(r"^\tgraph \[(.*)\]$", source, re.M).group(1))
    assert graph["bgcolor"] == DARK.background
    assert graph["fontcolor"] == DARK.foreground
    assert nodes(source)["t3"]["fillcolor"] == DARK.no_emotion_fill


def test_the_source_is_deterministic() -> None:
    assert source_of(journey_of(flow_map())) == source_of(journey_of(flow_map()))


def test_large_maps_bound_the_layout_passes() -> None:
    small = attrs_of(re.search(r"^\tgraph \[(.*)\]$", source_of(journey_of(linear_map())), re.M).group(1))
    big = attrs_of(re.search(r"^\tgraph \[(.*)\]$", source_of(generated_map(300)), re.M).group(1))
    assert "nslimit" not in small and "mclimit" not in small
    assert dict(DIAGRAM.large_graph).items() <= big.items()


# --- labels: wrapping and escaping ------------------------------------------------------------------

def test_wrap_collapses_whitespace_wraps_and_caps() -> None:
    assert wrap("a\n  b\tc\u2028d", 20, 3) == ["a b c d"]
    assert wrap("", 20, 3) == [] and wrap(" \n ", 20, 3) == []
    long = wrap("word " * 100, 22, 3)
    assert len(long) == 3 and long[-1].endswith(ELLIPSIS) and all(len(line) <= 22 for line in long)
    assert wrap("x" * 50, 10, 2) == ["x" * 10, "x" * 9 + ELLIPSIS]  # long words are broken
    assert wrap("bell\x07 and \ufffe", 30, 1) == ["bell and"]


def test_text_label_escapes_backslashes_and_entities_but_not_quotes() -> None:
    import graphviz

    label = text_label(["a\\", '"q" & <b>'])
    assert isinstance(label, graphviz.quoting.NoHtml)
    assert label == 'a\\\\\\n"q" &amp; <b>'
    assert text_label(["x", "y"], align="left") == "x\\ly\\l"
    assert text_label([]) == ""


def test_tooltips_keep_backslashes_out_of_escape_sequences() -> None:
    hover = tooltip(["\\N & more", "", "line 2"], 600)
    assert hover == f"\\\\{WORD_JOINER}N &amp; more\\nline 2"
    assert tooltip(["x" * 1000], 50).endswith(ELLIPSIS)


def test_long_names_are_wrapped_and_capped() -> None:
    data = linear_map()
    data["stages"][0]["touchpoints"][0]["name"] = "A very long touchpoint name " * 20
    lines = label_lines(nodes(source_of(journey_of(data)))["t0"]["label"])
    assert len(lines) == DIAGRAM.name_lines + 1  # the name, capped, then channel and score
    assert lines[DIAGRAM.name_lines - 1].endswith(ELLIPSIS)
    assert all(len(line) <= DIAGRAM.name_width for line in lines[: DIAGRAM.name_lines])


def hostile_map() -> dict:
    data = linear_map(title=TABLE_LINK, description=HOSTILE[0])
    data["personas"] = [{"id": "p", "name": HOSTILE[4]}]
    data["stages"][0]["name"] = HOSTILE[2]
    data["stages"][0]["customer_goal"] = HOSTILE[3]
    touchpoints = [t for stage in data["stages"] for t in stage["touchpoints"]]
    for i, (touchpoint, text) in enumerate(zip(touchpoints, HOSTILE)):
        touchpoint["name"] = text
        touchpoint["channel"] = SHORT_HOSTILE[i]  # a channel shows on one line
        touchpoint["pains"] = [HOSTILE[(i + 5) % len(HOSTILE)]]
    return data


@needs_dot
def test_hostile_text_comes_out_as_the_same_visible_text_and_never_as_markup() -> None:
    journey = journey_of(hostile_map())
    raw = diagram.render(journey, "svg", RenderOptions())
    root = ET.fromstring(raw)  # well-formed whatever the map holds
    for anchor in root.iter(f"{SVG}a"):
        href = anchor.get(f"{XLINK}href") or anchor.get("href") or ""
        assert not href, f"no links in the diagram, found {href!r}"
    # labels wrap (long words break mid-word), so compare with all whitespace taken out
    squash = lambda s: "".join(s.split())  # noqa: E731
    shown = svg_groups(root, "node")
    for step in journey.steps:
        group = shown[f"t{step.index}"]
        assert squash(step.touchpoint.name) in squash(visible_text(group))
        assert squash(step.touchpoint.channel) in squash(visible_text(group))
        assert " ".join(step.touchpoint.name.split()) in hover_text(group)
    pains = [g for k, g in shown.items() if k.startswith("p")]
    expected = {squash(t["pains"][0]) for s in hostile_map()["stages"] for t in s["touchpoints"]}
    assert {squash(visible_text(g)).replace("\u2022", "") for g in pains} == expected  # one note a touchpoint, bulleted
    clusters = svg_groups(root, "cluster")
    assert squash(visible_text(clusters["cluster_s0"])) == squash(f"{HOSTILE[2]} Goal: {HOSTILE[3]}")
    title = root.find(f"{SVG}g/{SVG}g[@id='a_graph0']")
    assert visible_text(title) == TABLE_LINK  # the map title
    assert hover_text(title) == f"{TABLE_LINK}\n{HOSTILE[0]}"


# --- SVG made by dot ---------------------------------------------------------------------------------

@needs_dot
def test_svg_has_titles_for_nodes_clusters_and_edges() -> None:
    root = svg_of(journey_of(flow_map()))
    assert root.find(f"{SVG}g/{SVG}title").text == "journey"
    assert {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "d0", "l0"} <= set(svg_groups(root, "node"))
    assert {"cluster_s0", "cluster_s1", "cluster_s2", "cluster_legend"} == set(svg_groups(root, "cluster"))
    assert "t0->t1" in svg_groups(root, "edge")
    assert "Rosa, team lead: +1" in hover_text(svg_groups(root, "node")["t0"])


@needs_dot
def test_every_format_is_deterministic() -> None:
    journey = journey_of(flow_map())
    for fmt in diagram.FORMATS:
        first = diagram.render(journey, fmt, RenderOptions())
        assert first.startswith(MAGIC[fmt])
        assert diagram.render(journey, fmt, RenderOptions()) == first, fmt


@needs_dot
def test_png_resolution_follows_dpi() -> None:
    journey = journey_of(linear_map())
    import struct

    def width(png: bytes) -> int:
        return struct.unpack(">I", png[16:20])[0]

    low, high = (diagram.render(journey, "png", RenderOptions(dpi=d)) for d in (48, 96))
    assert abs(width(high) - 2 * width(low)) <= 2


@needs_dot
def test_a_png_too_large_for_memory_is_refused_with_a_resolution_that_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    from cjm.render import dot

    monkeypatch.setattr(dot, "MAX_PIXELS", 200_000)
    journey = journey_of(linear_map())
    with pytest.raises(RenderError, match=r"a PNG of \d+ x \d+ pixels at 96 dpi is too large to make; lower --dpi to \d+"):
        diagram.render(journey, "png", RenderOptions())
    fitting = int(re.search(r"lower --dpi to (\d+)", str(pytest.raises(RenderError, diagram.render, journey, "png",
                                                                          RenderOptions()).value)).group(1))
    assert diagram.render(journey, "png", RenderOptions(dpi=fitting)).startswith(MAGIC["png"])


def test_bitmap_size_follows_dots_own_limit_per_side() -> None:
    from cjm.render.dot import MAX_SIDE, _bitmap_size

    assert _bitmap_size(10, 2, 96) == (960, 192)
    assert _bitmap_size(1000, 10, 96) == (MAX_SIDE, round(960 * MAX_SIDE / 96000))


def test_a_format_the_diagram_cannot_write_is_refused() -> None:
    with pytest.raises(RenderError, match="svg, png, pdf, dot"):
        diagram.render(journey_of(linear_map()), "html", RenderOptions())


@needs_dot
def test_a_map_without_stages_still_renders() -> None:
    journey = journey_of({"cjm": 1, "id": "empty", "title": "Nothing yet"})
    root = svg_of(journey)
    assert set(svg_groups(root, "cluster")) == {"cluster_legend"}


@needs_dot
def test_a_300_touchpoint_map_renders_every_touchpoint() -> None:
    root = svg_of(generated_map(300))
    assert len([k for k in svg_groups(root, "node") if k.startswith("t")]) == 300
    assert len(svg_groups(root, "cluster")) == 11 + 1  # stages and the legend


@needs_dot
@pytest.mark.parametrize("path", EXAMPLE_MAPS, ids=lambda p: p.name)
def test_every_example_in_every_view_and_format(path: Path) -> None:
    loaded = read_map(path)
    assert loaded.valid
    journey = Journey(loaded.journey, loaded.personas)
    for view in ("diagram", "curve"):
        module = view_module(view)
        for fmt in module.FORMATS:
            data = module.render(journey, fmt, RenderOptions())
            assert data.startswith(MAGIC[fmt]), (view, fmt)
            if fmt == "svg":
                root = ET.fromstring(data)
                assert root.tag == f"{SVG}svg"
    root = ET.fromstring(diagram.render(journey, "svg", RenderOptions()))
    shown = svg_groups(root, "node")
    assert all(f"t{step.index}" in shown for step in journey.steps)
    assert all(f"cluster_s{i}" in svg_groups(root, "cluster") for i in range(len(journey.map.stages)))


def test_both_views_are_registered() -> None:
    assert VIEWS["diagram"] == "cjm.render.diagram"
    assert view_module("diagram").FORMATS == ("svg", "png", "pdf", "dot")
    assert "curve" in VIEWS


# --- running dot ----------------------------------------------------------------------------------------

def fake_dot(folder: Path, script: str) -> Path:
    """A `dot` on PATH that runs ``script`` (a shell script body)."""
    exe = folder / "dot"
    exe.write_text("#!/bin/sh\n" + script + "\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return folder


def test_missing_dot_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: None)
    with pytest.raises(MissingTool) as caught:
        diagram.render(journey_of(linear_map()), "svg", RenderOptions())
    message = str(caught.value)
    assert "\n" not in message and "install Graphviz" in message and "apt-get install graphviz" in message


def test_dot_format_needs_no_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: None)
    assert diagram.render(journey_of(linear_map()), "dot", RenderOptions()).startswith(b"digraph journey {")


def test_dot_past_its_time_limit_is_a_render_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path, "sleep 5")) + os.pathsep + os.environ["PATH"])
    with pytest.raises(RenderError, match=r"did not finish the layout within 0\.3 s"):
        run_dot("digraph { a }", "svg", timeout=0.3)


def test_dot_failing_reports_its_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path, "echo 'Warning: x' >&2; echo 'Error: bad thing' >&2; exit 1"))
                       + os.pathsep + os.environ["PATH"])
    with pytest.raises(RenderError, match="Graphviz dot failed: Error: bad thing"):
        run_dot("digraph { a }", "svg", timeout=5)


def test_when_the_spline_router_gives_up_edges_are_drawn_straight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # what Graphviz 2.43 does on some crowded layouts: errors, exit 1, edges lost
    script = ('case "$*" in *splines=line*) cat ;; '
              '*) cat >/dev/null; echo "Error: in routesplines, Pshortestpath failed" >&2; '
              'echo "Error: lost t1 p0 edge" >&2; exit 1 ;; esac')
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path, script)) + os.pathsep + os.environ["PATH"])
    assert run_dot("digraph { a }", "svg", timeout=5) == b"digraph { a }"


def test_other_dot_failures_are_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = 'echo "$*" >> "$(dirname "$0")/calls"; echo "Error: syntax error in line 1" >&2; exit 1'
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path, script)) + os.pathsep + os.environ["PATH"])
    with pytest.raises(RenderError, match="syntax error"):
        run_dot("digraph { a }", "svg", timeout=5)
    assert len((tmp_path / "calls").read_text().splitlines()) == 1


@needs_dot
def test_a_tangled_graph_is_cut_off_by_the_time_limit() -> None:
    journey = generated_map(200, tangled=True)
    with pytest.raises(RenderError, match="did not finish"):
        diagram.render(journey, "svg", RenderOptions(dot_timeout=0.2))


# --- generated maps ---------------------------------------------------------------------------------------

def generated_map(count: int, *, stages: int = 10, tangled: bool = False) -> Journey:
    """``count`` touchpoints over ``stages`` stages, two personas, a `next` chain with skips and loops
    (``tangled``: three more links from every touchpoint to anywhere)."""
    import random

    rnd = random.Random(count)
    ids = [f"tp-{i}" for i in range(count)]
    per = count // stages
    data = {"cjm": 1, "id": "big", "title": f"Generated map of {count} touchpoints",
            "personas": [{"id": "a", "name": "Ann"}, {"id": "b", "name": "Bo"}], "stages": []}
    for s in range(stages):
        touchpoints = []
        for i in range(s * per, (s + 1) * per if s < stages - 1 else count):
            links = {ids[i + 1]} if i + 1 < count else set()
            if tangled:
                links |= {ids[rnd.randrange(count)] for _ in range(3)}
            elif i + 4 < count and rnd.random() < 0.2:
                links.add(ids[i + rnd.randint(2, 4)])
            elif i > 5 and rnd.random() < 0.05:
                links.add(ids[i - rnd.randint(1, 5)])
            touchpoints.append({
                "id": ids[i], "name": f"Touchpoint {i} with a longer name", "channel": rnd.choice(["web", "store"]),
                "emotion": {"a": rnd.choice([-2, -1, 0, 1, 2]), "b": rnd.choice([-1, 1])},
                "pains": ["Waiting too long"] if rnd.random() < 0.2 else [], "next": sorted(links),
            })
        data["stages"].append({"id": f"stage-{s}", "name": f"Stage {s}", "touchpoints": touchpoints})
    data["stages"].append({"id": "end", "name": "End"})
    return journey_of(data)
