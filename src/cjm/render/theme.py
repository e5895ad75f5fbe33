"""Colours, shapes and fonts as data, shared by every renderer.

The emotion palette is ColorBrewer's PuOr (orange = negative, purple = positive),
which stays distinguishable with the common colour-vision deficiencies; persona
colours are Okabe-Ito. Text colours are chosen per fill for WCAG AA contrast.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    foreground: str
    muted: str
    grid: str
    font: str
    # fill and text colour per rounded score -2..+2, and for "no emotion"
    emotion_fill: dict[int, str]
    emotion_text: dict[int, str]
    no_emotion_fill: str
    no_emotion_border: str
    band_fill: dict[str, str]  # negative / neutral / positive bands of the curve
    moment_of_truth: str
    pain_fill: str
    pain_text: str
    drop_off: str
    stage_fill: str
    stage_border: str
    persona_colors: tuple[str, ...] = field(default=(
        "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"))
    persona_markers: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "cross", "star")
    drop_off_text: str = "#ffffff"
    # --observed: edges seen in the event log, seen but not in the map (a warning), in the map but
    # not seen; touchpoints filled by the share of journeys that end there (ColorBrewer OrRd, light
    # to dark as more journeys end), with a text colour per step for WCAG AA contrast
    observed_edge: str = "#2166ac"
    unexpected_edge: str = "#c51b7d"
    unobserved_edge: str = "#c4c4c4"
    drop_off_ramp: tuple[str, ...] = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
    drop_off_ramp_text: tuple[str, ...] = ("#000000", "#000000", "#000000", "#000000", "#ffffff")
    entry: str = "#1a1a1a"
    finish_fill: str = "#deebf7"  # where the map's journey ends: ending there is finishing, not dropping off


LIGHT = Theme(
    name="light",
    background="#ffffff",
    foreground="#1a1a1a",
    muted="#595959",
    grid="#d9d9d9",
    font="Helvetica,Arial,sans-serif",
    emotion_fill={-2: "#e66101", -1: "#fdb863", 0: "#f7f7f7", 1: "#b2abd2", 2: "#5e3c99"},
    emotion_text={-2: "#000000", -1: "#000000", 0: "#000000", 1: "#000000", 2: "#ffffff"},
    no_emotion_fill="#ffffff",
    no_emotion_border="#8c8c8c",
    band_fill={"negative": "#fdf0e6", "neutral": "#f7f7f7", "positive": "#efedf5"},
    moment_of_truth="#000000",
    pain_fill="#fff4cc",
    pain_text="#1a1a1a",
    drop_off="#b2182b",
    stage_fill="#fafafa",
    stage_border="#bdbdbd",
)

DARK = Theme(
    name="dark",
    background="#1e1e1e",
    foreground="#eeeeee",
    muted="#b3b3b3",
    grid="#444444",
    font="Helvetica,Arial,sans-serif",
    emotion_fill={-2: "#e66101", -1: "#fdb863", 0: "#d9d9d9", 1: "#b2abd2", 2: "#5e3c99"},
    emotion_text={-2: "#000000", -1: "#000000", 0: "#000000", 1: "#000000", 2: "#ffffff"},
    no_emotion_fill="#2b2b2b",
    no_emotion_border="#8c8c8c",
    band_fill={"negative": "#3a2a1f", "neutral": "#2b2b2b", "positive": "#2c2838"},
    moment_of_truth="#ffffff",
    pain_fill="#4d4220",
    pain_text="#f5f5f5",
    drop_off="#f4a582",
    stage_fill="#262626",
    stage_border="#555555",
    persona_colors=("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442", "#0072B2", "#ffffff", "#D55E00"),
    drop_off_text="#000000",
    observed_edge="#92c5de",
    unexpected_edge="#f1b6da",
    unobserved_edge="#5c5c5c",
    entry="#eeeeee",
    finish_fill="#1f3a4d",
)

THEMES = {"light": LIGHT, "dark": DARK}


def emotion_bucket(score: float) -> int:
    """Round a -2..+2 score to the palette step that colours it."""
    return max(-2, min(2, int(round(score))))


@dataclass(frozen=True)
class DiagramStyle:
    """Shapes, sizes and layout settings of the Graphviz journey diagram (colours come from a Theme)."""

    title_fontsize: float = 20
    stage_fontsize: float = 14
    node_fontsize: float = 11
    note_fontsize: float = 9
    legend_fontsize: float = 9
    node_shape: str = "box"
    node_style: str = "rounded,filled"
    no_emotion_style: str = "rounded,filled,dashed"
    penwidth: float = 1.0
    moment_of_truth_penwidth: float = 3.0
    moment_of_truth_marker: str = "\u2605"  # black star
    pain_shape: str = "note"
    drop_off_shape: str = "octagon"
    drop_off_label: str = "drop-off"
    # text wrapping: characters per line and lines kept (the rest becomes an ellipsis)
    name_width: int = 22
    name_lines: int = 3
    goal_width: int = 40
    goal_lines: int = 2
    pain_width: int = 24
    pain_lines: int = 3
    scores_width: int = 30
    scores_lines: int = 2
    tooltip_chars: int = 600
    # layout: nslimit/mclimit bound the network-simplex and crossing-minimisation passes,
    # which is where dot spends its time on large tangled maps
    graph: tuple[tuple[str, str], ...] = (
        ("rankdir", "LR"),
        ("newrank", "true"),
        ("compound", "true"),
        ("nodesep", "0.25"),
        ("ranksep", "0.45"),
        ("labelloc", "t"),
        ("labeljust", "l"),
        ("pad", "0.3"),
    )
    # the columns layout (cjm.render.diagram_columns): positions given, edges routed around the nodes
    columns_graph: tuple[tuple[str, str], ...] = (("splines", "true"), ("outputorder", "edgesfirst"))
    large_graph: tuple[tuple[str, str], ...] = (("nslimit", "2"), ("nslimit1", "2"), ("mclimit", "0.5"))
    large_graph_nodes: int = 120
    # --observed: edge width grows with the users who took the edge, from the thinnest to the
    # widest (the edge most users took); at each drop-off step the ramp moves to its next colour
    observed_min_penwidth: float = 1.0
    observed_max_penwidth: float = 8.0
    # the columns layout routes parallel edges a few points apart in the gaps of its grid: wider
    # edges there merge into one band, so its widest edge is narrower
    columns_observed_max_penwidth: float = 4.0
    drop_off_steps: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75)
    # transitions the map lacks are drawn when they take more than this share of their touchpoint's
    # exits, as lint's undeclared-transition rule (CJM601) reports them by default; a real log has hundreds
    unexpected_min_share: float = 0.1
    unexpected_top_edges: int = 3  # at most this many transitions the map lacks drawn out of one touchpoint
    entry_shape: str = "circle"
    entry_size: float = 0.18

    def drop_off_colour(self, share: float) -> int:
        """The drop-off ramp's colour for a share of journeys that end at a touchpoint: 0 (few) .. len(steps)."""
        return sum(1 for step in self.drop_off_steps if share >= step)


DIAGRAM = DiagramStyle()
