"""The ``columns`` layout of the flow diagram (the default): stages as columns, wrapped into rows.

``diagram_layout`` decides which touchpoints share a column, where rows break and where every
node goes; this module draws the map into that grid and writes the positions into the DOT
source (``pos``, and ``bb`` for the stage boxes). The source is laid out with ``neato -n2``
(``ENGINE_ARGS``), which keeps the positions and routes the edges around the nodes.

- A column's touchpoints are stacked top to bottom in journey order, numbered as on the map page.
- What stands beside a touchpoint is in its line, to its right: one note with its pain points,
  the drop-off marker, and a connector ``↩ to 7. Cart`` for each loop back to an earlier stage,
  so a loop never crosses the whole picture (a loop within a stage is drawn as a dashed edge).
- The legend is under the last row, in rows no wider than the stages above it.

Every ``next`` edge is drawn once, with the SVG id ``flow-tA-tB`` (``diagram.flow_id``), as an
edge between the touchpoints, or as a line of its source's connector (SVG id ``loops-tA-tB-tC``). Node ids are generated as in
``diagram`` (``r0`` connectors); map text reaches DOT only through ``text_label``/``tooltip``.
"""

from __future__ import annotations

from itertools import count
from typing import TYPE_CHECKING

from cjm.render.diagram_layout import STAGE_GAP, STAGE_PAD, Box, place, plan
from cjm.render.dot import text_label, tooltip, wrap
from cjm.render.svg import text_width, wrap as wrap_to_width

if TYPE_CHECKING:
    import graphviz

    from cjm.journey import Journey, Step
    from cjm.render import RenderOptions
    from cjm.render.diagram_evidence import DiagramEvidence
    from cjm.render.theme import DiagramStyle, Theme

ENGINE_ARGS = ("-Kneato", "-n2")  # keep the given positions (points), route the edges
LINE = 1.2  # Graphviz's line spacing, in font sizes
LEGEND_GAP = 16.0
MIN_LEGEND_WIDTH = 480.0  # points: a small map's legend may be wider than its stages
NODE_MARGIN = (0.12 * 72, 0.06 * 72)  # the diagram's node margin, points
NOTE_MARGIN = (0.11 * 72, 0.055 * 72)  # Graphviz's default
STAGE_LABEL_LINES = 4


def build_columns(graph: "graphviz.Digraph", journey: Journey, node_id: dict[str, str], by_stage: list[list[Step]],
                  edges: list[tuple[Step, Step]], options: RenderOptions, theme: Theme, style: DiagramStyle,
                  short: dict[str, str], evidence: DiagramEvidence | None) -> "graphviz.Digraph":
    from cjm.render.diagram import ARROW, LOOP_MARK, _drop_off_attrs, _legend, _touchpoint_attrs, flow_id

    persona = options.persona
    far_loops: dict[str, list[Step]] = {}
    for source, target in edges:
        if target.index <= source.index and target.stage_index != source.stage_index:
            far_loops.setdefault(source.id, []).append(target)
    dead = {s.id for s in journey.dead_ends() if s.id in node_id}

    # every node's attributes, box by box: a touchpoint (or an empty stage) and what stands beside it
    boxes: list[Box] = []
    members: list[list[tuple[str, dict[str, str]]]] = []  # per box: (id, attrs), the main node first
    box_steps: list[Step | None] = []
    edges_out: list[tuple[str, str, dict[str, str]]] = []
    clusters: dict[int, list[int]] = {}
    pain_ids = (f"p{i}" for i in count())
    drop_ids = (f"d{i}" for i in count())
    loop_ids = (f"r{i}" for i in count())
    pains = connectors = 0
    for stage_index, steps in enumerate(by_stage):
        mine = clusters.setdefault(stage_index, [])
        if not steps:
            stage = journey.map.stages[stage_index]
            attrs = {"label": text_label(["no touchpoints"]), "shape": "plaintext", "fontcolor": theme.muted,
                     "tooltip": tooltip([f"{stage.name}: no touchpoints"], style.tooltip_chars)}
            mine.append(len(boxes))
            members.append([(f"e{stage_index}", attrs)])
            box_steps.append(None)
            boxes.append(Box(stage_index, node_size(attrs, style)))
            continue
        for step in steps:
            node = node_id[step.id]
            group = [(node, _touchpoint_attrs(journey, step, persona, short, theme, style, evidence,
                                              number=f"{step.index + 1}."))]
            if options.show_pains and step.touchpoint.pains:
                pain = next(pain_ids)
                group.append((pain, _pain_note(step, theme, style)))
                edges_out.append((node, pain, {"style": "dashed", "arrowhead": "none", "color": theme.muted,
                                               "tooltip": tooltip([f"Pain points at {step.touchpoint.name}"], style.tooltip_chars)}))
                pains += len(step.touchpoint.pains)
            if step.id in dead:
                drop = next(drop_ids)
                group.append((drop, {**_drop_off_attrs(step, theme, style), "width": "0.9", "height": "0.45"}))
                edges_out.append((node, drop, {"color": theme.drop_off, "penwidth": "1.5", "arrowhead": "tee",
                                               "tooltip": tooltip([f"Drop-off after {step.touchpoint.name}"], style.tooltip_chars)}))
            targets = far_loops.get(step.id, [])
            if targets:  # one connector for all of a touchpoint's loops back to earlier stages
                loop = next(loop_ids)
                lines = [line for t in targets for line in wrap(f"{LOOP_MARK} to {t.index + 1}. {t.touchpoint.name}",
                                                                style.pain_width, 2)]
                where = [f"Loops back from {step.touchpoint.name}:"] + [
                    f"to {t.touchpoint.name} (touchpoint {t.index + 1}, stage {t.stage.name})" for t in targets]
                group.append((loop, {"label": text_label(lines, align="left"), "shape": "plaintext",
                                     "fontcolor": theme.muted, "fontsize": f"{style.note_fontsize:g}",
                                     "id": loops_id(step, targets), "tooltip": tooltip(where, style.tooltip_chars)}))
                attrs = {"style": "dashed", "id": loops_id(step, targets) + "-edge",
                         "tooltip": tooltip([f"{step.touchpoint.name}{ARROW}{t.touchpoint.name}" for t in targets],
                                            style.tooltip_chars)}
                if evidence is not None and len(targets) == 1:
                    attrs.update(evidence.declared_edge(step, targets[0]))
                edges_out.append((node, loop, attrs))
                connectors += len(targets)
            mine.append(len(boxes))
            members.append(group)
            box_steps.append(step)
            sizes = [node_size(attrs, style) for _, attrs in group]
            boxes.append(Box(stage_index, sizes[0], tuple(sizes[1:])))

    label_height = STAGE_LABEL_LINES * LINE * style.stage_fontsize + 8
    layout = plan(boxes, label_height=label_height)
    first_try = place(layout, boxes, {})
    labels = {s: _stage_label(journey.map.stages[s], first_try.label_width.get(s, 150.0), style) for s in clusters}
    placed = place(layout, boxes, {s: len(lines) * LINE * style.stage_fontsize + 8 for s, lines in labels.items()})

    legend_groups = _legend(graph, theme, style, pains=pains > 0, drop_offs=bool(dead), evidence=evidence,
                            connectors=connectors > 0, chained=False)
    node_sizes = [[node_size(attrs, style) for _, attrs in group] for group in legend_groups]
    group_sizes = [(sum(w for w, _ in sizes) + LEGEND_GAP * (len(sizes) - 1), max(h for _, h in sizes)) for sizes in node_sizes]
    legend_label = LINE * style.stage_fontsize + 8
    legend_top = placed.height + (STAGE_GAP if placed.height else 0)
    legend_rows = _rows(group_sizes, max(placed.width, MIN_LEGEND_WIDTH) - 2 * STAGE_PAD)
    legend_height = (sum(max(group_sizes[g][1] for g in row) for row in legend_rows) + LEGEND_GAP * (len(legend_rows) - 1)
                     + legend_label + 2 * STAGE_PAD) if legend_groups else 0.0
    height = legend_top + legend_height

    def pos(x: float, y: float) -> str:
        return f"{x:.1f},{height - y:.1f}"

    # stage boxes with their nodes, placed
    for stage_index, stage in enumerate(journey.map.stages):
        x0, y0, x1, y1 = placed.stages[stage_index]
        with graph.subgraph(name=f"cluster_s{stage_index}") as cluster:
            cluster.attr(label=text_label(labels[stage_index], align="left"), labeljust="l", labelloc="t",
                         tooltip=tooltip([stage.name, stage.customer_goal or "", stage.description or ""], style.tooltip_chars),
                         style="rounded,filled", fillcolor=theme.stage_fill, color=theme.stage_border,
                         fontsize=f"{style.stage_fontsize:g}", fontcolor=theme.foreground,
                         bb=f"{x0:.1f},{height - y1:.1f},{x1:.1f},{height - y0:.1f}")
            for b in clusters[stage_index]:
                for (name, attrs), (x, y), size in zip(members[b], placed.centres[b], (boxes[b].main,) + boxes[b].beside):
                    cluster.node(name, **{**attrs, "pos": pos(x, y), "width": _inches(size[0]), "height": _inches(size[1])})
                step = box_steps[b]
                if evidence is not None and step is not None:
                    entry = evidence.entry(cluster, step, members[b][0][0])
                    if entry is not None:  # a small marker at the touchpoint's top left corner
                        x, y = placed.centres[b][0]
                        cluster.node(entry, pos=pos(x - boxes[b].main[0] / 2 - 9, y - boxes[b].main[1] / 2 - 4))

    # the legend row
    if legend_groups:  # in rows as wide as the stages above them, so the legend never widens the picture
        top = legend_top + legend_label + STAGE_PAD
        right = 0.0
        for row in legend_rows:
            x, row_height = STAGE_PAD, max(group_sizes[g][1] for g in row)
            for g in row:
                for (name, _attrs), (w, h) in zip(legend_groups[g], node_sizes[g]):
                    graph.node(name, pos=pos(x + w / 2, top + row_height / 2), width=_inches(w), height=_inches(h))
                    x += w + LEGEND_GAP
            right = max(right, x - LEGEND_GAP + STAGE_PAD)
            top += row_height + LEGEND_GAP
        graph.body.append(f"\tsubgraph cluster_legend {{ bb=\"0,{height - legend_top - legend_height:.1f},"
                          f"{right:.1f},{height - legend_top:.1f}\" }}\n")

    # edges, each with its route (so Graphviz routes none): the notes' and connectors', then the map's own
    where: dict[str, tuple] = {}  # node -> centre, size, its line in its column (touchpoints), place beside
    for b, group in enumerate(members):
        sizes = (boxes[b].main,) + boxes[b].beside
        for k, ((name, _), centre, size) in enumerate(zip(group, placed.centres[b], sizes)):
            where[name] = (centre, size, placed.cells[b] if k == 0 else None, k)
    router = _Router(graph, where, pos)
    for a, b, attrs in edges_out:
        router.edge(a, b, **attrs)
    for source, target in edges:
        if target.index <= source.index and target.stage_index != source.stage_index:
            continue  # drawn as a connector
        attrs = {"tooltip": tooltip([f"{source.touchpoint.name}{ARROW}{target.touchpoint.name}"], style.tooltip_chars),
                 "id": flow_id(source, target)}
        if target.index <= source.index:
            attrs["style"] = "dashed"
        if evidence is not None:
            attrs.update(evidence.declared_edge(source, target))
        router.edge(node_id[source.id], node_id[target.id], **attrs)
    if evidence is not None:
        evidence.extra_edges(router, node_id, {(source.id, target.id) for source, target in edges})
    return graph


def _rows(sizes: list[tuple[float, float]], width: float) -> list[list[int]]:
    """The legend's groups (their indexes) in rows no wider than ``width``, in order; a group wider
    than that has a row of its own."""
    rows: list[list[int]] = []
    used = 0.0
    for i, (w, _h) in enumerate(sizes):
        if rows and rows[-1] and used + LEGEND_GAP + w <= width:
            rows[-1].append(i)
            used += LEGEND_GAP + w
        else:
            rows.append([i])
            used = w
    return rows


class _Router:
    """Draws edges along the empty channels of the grid, so no edge runs under a node.

    Down the column from a touchpoint to the one below it: straight. To a note beside it: straight
    to the first, along the gap under the line to the others. Between other touchpoints: out of
    the bottom of the source, along the gap under its line to the gap left of the target's
    column, along that to the gap above the target, and into its top. Each edge keeps a lane of
    its own in the gaps (a few points apart), so parallel edges stay apart. Self-loops and edges
    with an end the grid does not know are left to Graphviz. Positions are given as ``pos``
    (a B-spline of straight pieces) and ``neato -n2`` keeps them.
    """

    ARROW = 7.0  # points: the arrowhead's length at arrowsize 0.7

    def __init__(self, graph, where, pos):
        self.graph = graph
        self.where = where
        self.pos = pos
        self.count = 0

    def edge(self, a: str, b: str, **attrs) -> None:
        route = None if a == b or a not in self.where or b not in self.where else self._route(a, b)
        if route is not None:
            attrs["pos"] = self._spline(route, attrs.get("arrowhead") != "none")
        self.graph.edge(a, b, **attrs)

    def _route(self, a: str, b: str) -> list[tuple[float, float]]:
        (ax, ay), (aw, ah), acell, _ = self.where[a]
        (bx, by), (bw, bh), bcell, beside = self.where[b]
        lane = ((self.count % 7) - 3) * 3.0
        self.count += 1
        if bcell is None and acell is not None:  # to a note beside the touchpoint
            if beside == 1:
                return [(ax + aw / 2, ay), (bx - bw / 2, by)]
            below = acell[3] + 6
            return [(ax + aw / 4, ay + ah / 2), (ax + aw / 4, below), (bx, below), (bx, by + bh / 2)]
        if acell is None or bcell is None:  # a legend sample, an entry marker: straight
            return [(ax, ay), (bx, by)]
        if abs(ax - bx) < 1 and by > ay and by - bh / 2 - (ay + ah / 2) < 40:  # the next one down
            return [(ax, ay + ah / 2), (bx, by - bh / 2)]
        start_x = ax + lane
        end_x = bx + lane
        below = acell[3] + 11 + lane / 2
        above = bcell[1] - 11 + lane / 2
        side = bcell[0] - 13 + lane / 2
        if abs(below - above) < 1e-6 or (by > ay and abs(above - below) < 12):
            return [(start_x, ay + ah / 2), (start_x, below), (end_x, below), (end_x, by - bh / 2)]
        return [(start_x, ay + ah / 2), (start_x, below), (side, below), (side, above), (end_x, above),
                (end_x, by - bh / 2)]

    def _spline(self, points: list[tuple[float, float]], arrow: bool) -> str:
        tip = points[-1]
        if arrow:  # the line stops where the arrowhead starts
            (px, py), (qx, qy) = points[-2], points[-1]
            length = max(((qx - px) ** 2 + (qy - py) ** 2) ** 0.5, 1e-6)
            cut = min(self.ARROW, length * 0.9)
            points = points[:-1] + [(qx - (qx - px) * cut / length, qy - (qy - py) * cut / length)]
        out = [points[0]]
        for (px, py), (qx, qy) in zip(points, points[1:]):
            out += [(px + (qx - px) / 3, py + (qy - py) / 3), (px + 2 * (qx - px) / 3, py + 2 * (qy - py) / 3), (qx, qy)]
        text = " ".join(self.pos(x, y) for x, y in out)
        return (f"e,{self.pos(*tip)} " if arrow else "") + text


def loops_id(source: Step, targets: list[Step]) -> str:
    """The SVG id of a connector: ``loops-tA-tB-tC`` for the loops back from A to B and C."""
    return "loops-" + "-".join(f"t{s.index}" for s in [source, *targets])


def _inches(points: float) -> str:
    return f"{points / 72:.3f}"


def label_lines(label: str) -> list[str]:
    """The visible lines of a DOT escString label made by ``text_label``."""
    lines, current, i = [], "", 0
    while i < len(label):
        char = label[i]
        if char == "\\" and i + 1 < len(label):
            nxt = label[i + 1]
            if nxt in "nlr":
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
    return [line.replace("&amp;", "&") for line in lines] or [""]


def node_size(attrs: dict[str, str], style: DiagramStyle) -> tuple[float, float]:
    """Width and height in points Graphviz will give a node with these attributes (a little more)."""
    if attrs.get("fixedsize") == "true" or attrs.get("shape") == "point":
        w = float(attrs.get("width", "0.05")) * 72
        return w, float(attrs.get("height", attrs.get("width", "0.05"))) * 72
    size = float(attrs.get("fontsize", style.node_fontsize))
    lines = label_lines(str(attrs.get("label", "")))
    margin = NODE_MARGIN if attrs.get("shape") == style.node_shape else NOTE_MARGIN
    width = max(text_width(line, size) for line in lines) + 2 * margin[0] + 2
    height = len(lines) * LINE * size + 2 * margin[1] + 2
    if attrs.get("shape") == "plaintext":
        return width, height
    if attrs.get("shape") == style.drop_off_shape:
        width, height = width * 1.3, height * 1.3
    return (max(width, float(attrs.get("width", 0.75)) * 72), max(height, float(attrs.get("height", 0.5)) * 72))


def _stage_label(stage, width: float, style: DiagramStyle) -> list[str]:
    size = style.stage_fontsize
    lines = wrap_to_width(" ".join(stage.name.split()), width, size, 2)
    if stage.customer_goal:
        lines += wrap_to_width(" ".join(f"Goal: {stage.customer_goal}".split()), width, size, max(style.goal_lines, 3))
    return lines


def _pain_note(step: Step, theme: Theme, style: DiagramStyle) -> dict[str, str]:
    """One note beside the touchpoint with all its pain points, each after a bullet."""
    lines: list[str] = []
    for pain in step.touchpoint.pains:
        wrapped = wrap(pain, style.pain_width, style.pain_lines) or [""]  # a pain of spaces only
        lines += ["\u2022 " + wrapped[0]] + ["   " + line for line in wrapped[1:]]
    where = f"Pain points at {step.touchpoint.name}"
    return {"label": text_label(lines, align="left"), "shape": style.pain_shape, "style": "filled",
            "fillcolor": theme.pain_fill, "fontcolor": theme.pain_text, "color": theme.muted,
            "fontsize": f"{style.note_fontsize:g}",
            "tooltip": tooltip([where] + list(step.touchpoint.pains), style.tooltip_chars)}
