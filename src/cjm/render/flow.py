"""``--view flow --observed FILE``: the observed journey as a Sankey, in cjm's own SVG (no script).

Band width is journeys. Columns follow the map's stages (``--by stage``: each journey is counted
once per stage it reaches, at the touchpoint of its first step there, and flows on to the next
stage it reaches) or the steps from the journey's start (``--by step``: column k holds each
journey's k-th step). Bands are in the map's colour where the map leads that way and in the
warning colour where it does not, as on the diagram's edges; the journeys that end at a touchpoint leave
it as a drop-off band. Nothing is left out silently: a column keeps its ``--top N`` touchpoints and
groups the rest as "other (k touchpoints)"; bands under ``--min-share`` of their touchpoint's
journeys, and the ones the observed file left out (fewer than ``min_users`` users), are drawn as
short "other ways" stubs on both ends, so at every touchpoint the bands in equal the bands out
plus the drop-off. Each band carries its count in ``data-journeys`` and its hover text.

``--segment VALUE`` draws one segment's journeys; ``--compare A B`` draws two segments one above
the other on the same scale. Three steps as in the curve: ``flow_data``, ``flow_layout``, ``draw``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cjm.render import RenderError, RenderOptions
from cjm.render.overlay import EvidenceOptions, Overlay, count, percent
from cjm.render.svg import Element, document, el, ellipsize, text_width, wrap

if TYPE_CHECKING:
    from cjm.evidence.observed import Flows, Observed, SegmentView
    from cjm.journey import Journey

FORMATS = ("svg", "png", "pdf")
NEEDS_OBSERVED = True  # drawn from an observed file only (render --observed)
OTHER = "other"
BY = ("stage", "step")
DEFAULT_TOP = 6
DEFAULT_MIN_SHARE = 0.02


# --- data ---------------------------------------------------------------------------------

@dataclass
class Node:
    key: str  # "c<column>-<touchpoint id>" or "c<column>-other"
    column: int
    name: str
    journeys: int
    starts: int = 0
    ends: int = 0
    members: list[str] = field(default_factory=list)  # the touchpoint ids it stands for
    finish: bool = False  # the map's journey ends here: ending is finishing

    @property
    def grouped(self) -> bool:
        return len(self.members) != 1


@dataclass(frozen=True)
class Link:
    source: str  # node keys
    target: str
    journeys: int
    declared: bool  # the map leads this way


@dataclass
class Sankey:
    """What one Sankey shows: nodes per column, links, and at each node what is not drawn as a link."""

    title: str
    columns: list[tuple[int, str]]  # (column, heading), left to right
    nodes: dict[str, Node]
    links: list[Link]
    by: str
    hidden_links: int = 0  # links drawn as "other ways" stubs (under --min-share or into a group)
    hidden_journeys: int = 0
    suppressed_links: int = 0  # links the observed file left out (fewer than min_users users)
    grouped: int = 0  # touchpoints grouped as "other"
    last_step: int | None = None  # by step: journeys go on past this column

    def into(self, key: str) -> list[Link]:
        return [link for link in self.links if link.target == key]

    def out_of(self, key: str) -> list[Link]:
        return [link for link in self.links if link.source == key]

    def other_in(self, node: Node) -> int:
        """Journeys that reach the node by ways not drawn (rare, filtered, or grouped)."""
        return node.journeys - node.starts - sum(link.journeys for link in self.into(node.key))

    def other_out(self, node: Node) -> int:
        """Journeys that go on from the node by ways not drawn (and, by step, past the last column)."""
        return node.journeys - node.ends - sum(link.journeys for link in self.out_of(node.key))


def _view(observed: Observed, wanted: str | None) -> tuple[str | None, SegmentView | None]:
    if wanted is None:
        return None, None
    try:
        column, view = observed.find_segment(wanted)
    except KeyError as error:
        raise RenderError(error.args[0]) from None
    from cjm.evidence.observed import segment_label

    return f"{column} = {segment_label(view.value)}", view


def flow_data(journey: Journey, observed: Observed, evidence: EvidenceOptions, persona: str | None = None,
              segment: str | None = None) -> Sankey:
    """The Sankey of all journeys, or of the segment ``segment`` (``VALUE`` or ``COLUMN=VALUE``)."""
    by = evidence.by
    if by not in BY:
        raise RenderError(f"--by {by}: the flow's columns are by stage or by step")
    label, view = _view(observed, segment)
    source = view if view is not None else observed
    flows: Flows | None = source.flow(by)
    if flows is None:
        raise RenderError(f"the observed file has no flow by {by}: it was written by an older cjm "
                          f"(cjm_observed {observed.cjm_observed}); run cjm evidence compute again")
    top = DEFAULT_TOP if evidence.top is None else evidence.top
    min_share = DEFAULT_MIN_SHARE if evidence.min_share is None else evidence.min_share
    overlay = Overlay(journey, observed, view)
    known = journey.by_id
    stages = journey.map.stages

    # which touchpoints each column shows; the rest become one "other" node
    by_column: dict[int, list] = {}
    for node in flows.nodes:
        if node.touchpoint in known:
            by_column.setdefault(node.column, []).append(node)
    shown: dict[tuple[int, str], str] = {}  # (column, touchpoint) -> node key
    nodes: dict[str, Node] = {}
    grouped = 0
    for column, found in sorted(by_column.items()):
        ranked = sorted(found, key=lambda n: (-n.journeys, journey.by_id[n.touchpoint].index))
        keep = [n for n in ranked if persona is None or journey.serves(known[n.touchpoint], persona)]
        rest = [n for n in ranked if n not in keep[:top]]
        keep = keep[:top]
        if len(rest) == 1 and (persona is None or journey.serves(known[rest[0].touchpoint], persona)):
            keep, rest = keep + rest, []
        for n in sorted(keep, key=lambda n: journey.by_id[n.touchpoint].index):
            step = known[n.touchpoint]
            key = f"c{column}-{n.touchpoint}"
            shown[(column, n.touchpoint)] = key
            nodes[key] = Node(key, column, step.touchpoint.name, n.journeys, n.starts, n.ends, [n.touchpoint],
                              finish=overlay.finish(step))
        if rest:
            grouped += len(rest)
            key = f"c{column}-{OTHER}"
            nodes[key] = Node(key, column, f"{OTHER} ({len(rest)} touchpoint{'s' if len(rest) != 1 else ''})",
                              sum(n.journeys for n in rest), sum(n.starts for n in rest), sum(n.ends for n in rest),
                              [n.touchpoint for n in rest])
            for n in rest:
                shown[(column, n.touchpoint)] = key

    def target_column(link) -> int:
        return link.column + 1 if by == "step" else known[link.target].stage_index

    # links between shown nodes, summed where a group stands for several touchpoints
    summed: dict[tuple[str, str], list] = {}
    for link in flows.links:
        if link.source not in known or link.target not in known:
            continue
        source = shown.get((link.column, link.source))
        target = shown.get((target_column(link), link.target))
        if source is None or target is None:
            continue
        entry = summed.setdefault((source, target), [0, True])
        entry[0] += link.journeys
        entry[1] = entry[1] and overlay.leads(link.source, link.target, direct=by == "step")
    links, hidden, hidden_journeys = [], 0, 0
    for (source, target), (journeys, declared) in summed.items():
        if nodes[source].journeys and journeys / nodes[source].journeys < min_share:
            hidden += 1
            hidden_journeys += journeys
            continue
        links.append(Link(source, target, journeys, declared))
    if by == "stage":
        columns = [(c, stages[c].name) for c in sorted(by_column)]
    else:
        columns = [(c, f"Step {c}") for c in sorted(by_column)]
    title = f"{journey.map.title}: observed flow by {by}"
    if label:
        title += f", {label}"
    return Sankey(title, columns, nodes, links, by, hidden, hidden_journeys, flows.suppressed, grouped,
                  flows.columns if by == "step" else None)


# --- layout ---------------------------------------------------------------------------------

FONT = 12
SMALL = 11
TITLE = 16
MARGIN = 16.0
NODE_WIDTH = 12.0
COLUMN_GAP = 190.0
NODE_GAP = 16.0
PLOT_HEIGHT = 460.0
STUB = 34.0  # how far an "other ways" or start stub reaches
LABEL_WIDTH = 150.0
HEAD = 22.0  # column headings
LABEL_ROOM = 2 * SMALL * 1.2 + 6  # a node's name and figures


@dataclass
class Band:
    """One drawn band: from a node's right side to another's left, or a stub at one end."""

    kind: str  # link | start | other-in | other-out | drop-off | goes-on
    source: str | None
    target: str | None
    journeys: int
    x0: float
    y0: float
    x1: float
    y1: float
    width: float
    declared: bool = True
    hover: str = ""


@dataclass
class Placed:
    sankey: Sankey
    top: float
    height: float
    xs: dict[int, float]
    boxes: dict[str, tuple[float, float, float]]  # node key -> (x, y, height)
    bands: list[Band]


def scale_for(sankeys: list[Sankey]) -> float:
    """Pixels per journey, one for every Sankey drawn together: the fullest column fills the plot."""
    k = None
    for sankey in sankeys:
        for column, _ in sankey.columns:
            inside = [n.journeys for n in sankey.nodes.values() if n.column == column]
            room = max(PLOT_HEIGHT - NODE_GAP * (len(inside) - 1), PLOT_HEIGHT / 3)
            if sum(inside):
                k = min(k, room / sum(inside)) if k is not None else room / sum(inside)
    return k or 1.0


def place(sankey: Sankey, top: float, k: float, left: float) -> Placed:
    xs = {column: left + i * COLUMN_GAP for i, (column, _) in enumerate(sankey.columns)}
    boxes: dict[str, tuple[float, float, float]] = {}
    bottom = top + HEAD
    for column, _ in sankey.columns:
        y = top + HEAD
        # map order within a column (the nodes were made in it), "other" last
        for node in sorted((n for n in sankey.nodes.values() if n.column == column), key=lambda n: n.grouped):
            h = max(node.journeys * k, 1.0)
            boxes[node.key] = (xs[column], y, h)
            y += max(h + NODE_GAP, LABEL_ROOM)  # a small node still gets room for its name
        bottom = max(bottom, y)
    bands: list[Band] = []
    out_at = {key: box[1] for key, box in boxes.items()}
    in_at = {key: box[1] for key, box in boxes.items()}
    by_y = lambda key: boxes[key][1]  # noqa: E731
    for node in sankey.nodes.values():  # the left side: starts, links in, other ways in
        x, y, _ = boxes[node.key]
        if node.starts:
            w = node.starts * k
            bands.append(Band("start", None, node.key, node.starts, x - STUB, in_at[node.key], x, in_at[node.key], w,
                              hover=f"{count(node.starts)} journeys start at {node.name}"))
            in_at[node.key] += w
    ordered = sorted(sankey.links, key=lambda link: (by_y(link.source), by_y(link.target)))
    for link in sorted(ordered, key=lambda link: (boxes[link.source][0], by_y(link.target))):
        w = link.journeys * k
        source, target = sankey.nodes[link.source], sankey.nodes[link.target]
        hover = (f"{source.name} \u2192 {target.name}: {count(link.journeys)} journeys, "
                 f"{percent(link.journeys / source.journeys) if source.journeys else '0%'} of those at {source.name}"
                 + ("" if link.declared else "; not in the map"))
        bands.append(Band("link", link.source, link.target, link.journeys, boxes[link.source][0] + NODE_WIDTH,
                          out_at[link.source], boxes[link.target][0], 0.0, w, link.declared, hover))
        out_at[link.source] += w
    for band in sorted((b for b in bands if b.kind == "link"), key=lambda b: (boxes[b.target][1], b.y0)):
        band.y1 = in_at[band.target]
        in_at[band.target] += band.width
    for node in sankey.nodes.values():
        x, y, h = boxes[node.key]
        other_in = sankey.other_in(node)
        if other_in > 0:
            w = other_in * k
            bands.append(Band("other-in", None, node.key, other_in, x - STUB, in_at[node.key], x, in_at[node.key], w,
                              hover=f"{count(other_in)} journeys reach {node.name} by ways not drawn"))
        other_out = sankey.other_out(node)
        if other_out > 0:
            w = other_out * k
            past = sankey.last_step is not None and node.column >= sankey.last_step
            kind = "goes-on" if past else "other-out"
            words = (f"{count(other_out)} journeys go on past step {node.column}" if past
                     else f"{count(other_out)} journeys go on from {node.name} by ways not drawn")
            bands.append(Band(kind, node.key, None, other_out, x + NODE_WIDTH, out_at[node.key], x + NODE_WIDTH + STUB,
                              out_at[node.key], w, hover=words))
            out_at[node.key] += w
        if node.ends:
            w = node.ends * k
            verb = "finish" if node.finish else "end"
            bands.append(Band("drop-off", node.key, None, node.ends, x + NODE_WIDTH, out_at[node.key],
                              x + NODE_WIDTH + STUB * 0.8, out_at[node.key] + STUB * 0.6, w,
                              hover=f"{count(node.ends)} journeys {verb} at {node.name} "
                                    f"({percent(node.ends / node.journeys) if node.journeys else '0%'})"))
            out_at[node.key] += w
    height = max(bottom, max((b.y1 + b.width for b in bands), default=bottom)) - top
    return Placed(sankey, top, height, xs, boxes, bands)


# --- drawing ----------------------------------------------------------------------------------

def _ribbon(band: Band) -> str:
    from cjm.render.svg import num

    x0, y0, x1, y1, w = band.x0, band.y0, band.x1, band.y1, band.width
    xm = (x0 + x1) / 2
    return (f"M{num(x0)} {num(y0)}C{num(xm)} {num(y0)} {num(xm)} {num(y1)} {num(x1)} {num(y1)}"
            f"L{num(x1)} {num(y1 + w)}C{num(xm)} {num(y1 + w)} {num(xm)} {num(y0 + w)} {num(x0)} {num(y0 + w)}Z")


def _band_colour(band: Band, theme) -> tuple[str, float]:
    if band.kind == "link":
        return (theme.observed_edge if band.declared else theme.unexpected_edge), 0.45
    if band.kind == "drop-off":
        return theme.drop_off, 0.55
    if band.kind == "start":
        return theme.observed_edge, 0.2
    return theme.unobserved_edge, 0.6


def draw_one(placed: Placed, theme, parent: Element) -> None:
    sankey = placed.sankey
    group = parent.add(el("g", {"class": "sankey"}))
    group.add(el("text", {"x": MARGIN, "y": placed.top - 10, "font-size": TITLE, "font-weight": "bold",
                          "fill": theme.foreground}, text=sankey.title))
    for column, heading in sankey.columns:
        x = placed.xs[column]
        group.add(el("text", {"x": x, "y": placed.top + HEAD - 8, "font-size": FONT, "font-weight": "bold",
                              "fill": theme.muted}, text=ellipsize(heading, COLUMN_GAP - 20, FONT)))
    bands = group.add(el("g", {"class": "bands"}))
    for band in placed.bands:
        colour, opacity = _band_colour(band, theme)
        attrs = {"d": _ribbon(band), "fill": colour, "fill-opacity": opacity, "class": f"band {band.kind}",
                 "data-journeys": band.journeys, "data-source": band.source, "data-target": band.target}
        path = bands.add(el("path", attrs))
        path.add(el("title", text=band.hover))
    for key, (x, y, h) in placed.boxes.items():
        node = sankey.nodes[key]
        fill = theme.muted if node.grouped else theme.foreground
        rect = group.add(el("rect", {"x": x, "y": y, "width": NODE_WIDTH, "height": h, "fill": fill,
                                     "class": "node", "data-journeys": node.journeys, "data-node": key}))
        ending = "finish" if node.finish else "end" if sankey.by == "step" else "go no further"
        share = percent(node.ends / node.journeys) if node.journeys else "0%"
        hover = [f"{node.name}: {count(node.journeys)} journeys, {share} {ending}"
                 + (" (reach no later stage)" if sankey.by == "stage" else " here")]
        if node.grouped:
            hover.append("Stands for: " + ", ".join(node.members))
        rect.add(el("title", text="; ".join(hover)))
        label_x = x + NODE_WIDTH + 4
        name = ellipsize(node.name, LABEL_WIDTH, SMALL)
        figures = f"{count(node.journeys)} \u00b7 {share} {ending}"
        top = y + 1
        group.add(el("rect", {"x": label_x - 2, "y": top, "width": max(text_width(name, SMALL), text_width(figures, SMALL - 1)) + 4,
                              "height": 2 * SMALL * 1.2 + 3, "fill": theme.background, "fill-opacity": 0.8, "rx": 2}))
        text = group.add(el("text", {"x": label_x, "y": top + SMALL, "font-size": SMALL, "fill": theme.foreground}))
        text.add(el("tspan", text=name))
        text.add(el("tspan", {"x": label_x, "dy": SMALL * 1.2, "fill": theme.muted, "font-size": SMALL - 1}, text=figures))


def caption(sankey: Sankey, min_users: int) -> list[str]:
    """What the picture leaves out, counted."""
    lines = [f"Band width: journeys. {_columns_words(sankey.by)}"]
    left = []
    if sankey.hidden_links:
        left.append(f"{count(sankey.hidden_links)} links under the share shown ({count(sankey.hidden_journeys)} journeys)")
    if sankey.suppressed_links:
        left.append(f"{count(sankey.suppressed_links)} links taken by fewer than {min_users} users (not in the file)")
    if sankey.grouped:
        left.append(f"{count(sankey.grouped)} touchpoints grouped as other")
    if left:
        lines.append("Drawn as grey \u201cother ways\u201d stubs: " + "; ".join(left) + ".")
    return lines


def _columns_words(by: str) -> str:
    if by == "stage":
        return ("Each journey is counted once per stage it reaches, at the touchpoint it first reached the stage by; "
                "\u201cgo no further\u201d: it reaches no later stage.")
    return "Column k: each journey's k-th step."


LEGEND = (("start", "journeys start"), ("link-declared", "the map's way"), ("link-undeclared", "not in the map"),
          ("drop-off", "journeys end"), ("other-out", "other ways, not drawn"))


def render_svg(journey: Journey, options: RenderOptions) -> str:
    observed = options.observed
    if observed is None:
        raise RenderError("the flow view draws an observed journey: give --observed FILE (from cjm evidence compute)")
    evidence = options.evidence if isinstance(options.evidence, EvidenceOptions) else EvidenceOptions()
    from cjm.render.curve import _theme

    theme = _theme(options)
    wanted = list(evidence.compare) if evidence.compare else [evidence.segment]
    sankeys = [flow_data(journey, observed, evidence, options.persona, w) for w in wanted]
    k = scale_for(sankeys)
    widest = max(len(s.columns) for s in sankeys)
    width = MARGIN * 2 + (widest - 1) * COLUMN_GAP + NODE_WIDTH + LABEL_WIDTH + STUB * 2 + 20
    left = MARGIN + STUB + 4
    root = el("svg", {"xmlns": "http://www.w3.org/2000/svg", "font-family": theme.font})
    root.add(el("rect", {"width": "100%", "height": "100%", "fill": theme.background}))
    y = MARGIN
    for sankey in sankeys:
        placed = place(sankey, y + TITLE + 12, k, left)
        draw_one(placed, theme, root)
        y = placed.top + placed.height + 8
        for line in caption(sankey, observed.provenance.min_users):
            for part in wrap(line, width - 2 * MARGIN, SMALL, 3):
                y += SMALL * 1.3
                root.add(el("text", {"x": MARGIN, "y": y, "font-size": SMALL, "fill": theme.muted}, text=part))
        y += 22
    x = MARGIN
    for kind, words in LEGEND:
        colour, opacity = _band_colour(Band(kind.split("-")[0] if kind.startswith("link") else kind, None, None, 0,
                                            0, 0, 0, 0, 0, declared=kind != "link-undeclared"), theme)
        root.add(el("rect", {"x": x, "y": y - 9, "width": 22, "height": 10, "fill": colour, "fill-opacity": opacity}))
        root.add(el("text", {"x": x + 28, "y": y, "font-size": SMALL, "fill": theme.foreground}, text=words))
        x += 40 + text_width(words, SMALL)
    width = max(width, x + MARGIN)
    height = y + MARGIN
    root.attrs.update({"width": round(width, 2), "height": round(height, 2), "viewBox": f"0 0 {round(width, 2)} {round(height, 2)}"})
    root.children.insert(1, el("title", text=sankeys[0].title))
    return root.serialize()


def render(journey: Journey, fmt: str, options: RenderOptions = RenderOptions()) -> bytes:
    if fmt not in FORMATS:
        raise RenderError(f"the flow view writes {', '.join(FORMATS)}, not {fmt}")
    svg = document(render_svg(journey, options)).encode("utf-8")
    if fmt == "svg":
        return svg
    from cjm.render import convert

    return convert.to_png(svg, options.dpi) if fmt == "png" else convert.to_pdf(svg)
