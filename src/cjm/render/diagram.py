"""``--view diagram``: the journey as a Graphviz flow chart, left to right.

One cluster per stage in map order, a node per touchpoint filled by emotion,
edges that follow ``next`` (or stage order), loops drawn without bending the
layout backwards, drop-off points, pain points as notes, and a legend.

``build`` makes the ``graphviz.Digraph`` (tests read its DOT source); ``render``
hands that source to ``dot`` for every format but ``dot`` itself. Node ids are
generated (``t0`` touchpoints, ``p0`` pains, ``d0`` drop-offs, ``e0`` empty stages,
``l0`` legend, ``cluster_s0`` stages) and map text reaches the DOT source only
through ``cjm.render.dot.text_label`` and ``cjm.render.dot.tooltip``.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import count
from typing import TYPE_CHECKING, Iterator

from cjm.journey import Journey, Step, emotion_label, score_of
from cjm.format.model import Stage
from cjm.render import RenderError, RenderOptions
from cjm.render.dot import render_png, run_dot, text_label, tooltip, wrap
from cjm.render.theme import DIAGRAM, THEMES, DiagramStyle, Theme, emotion_bucket

if TYPE_CHECKING:
    import graphviz

    from cjm.render.diagram_evidence import DiagramEvidence

FORMATS = ("svg", "png", "pdf", "dot")
LAYOUTS = ("columns", "line")  # the first is the default
MINUS = "\u2212"
DOT_SEP = " \u00b7 "
ARROW = " \u2192 "
LOOP_MARK = "\u21a9"  # leftwards arrow with hook: a loop back drawn as a connector
MOOD_WORDS = {-2: "very negative", -1: "negative", 0: "neutral", 1: "positive", 2: "very positive"}


def render(journey: Journey, fmt: str, options: RenderOptions) -> bytes:
    if fmt not in FORMATS:
        raise RenderError(f"the diagram cannot be written as {fmt}; it writes {', '.join(FORMATS)}")
    source = build(journey, options).source
    engine = engine_args(options)
    if fmt == "dot":
        if engine:
            source = source.replace("{\n", f"{{\n\t// lay out with: dot {' '.join(engine)} (the positions are given, in points)\n", 1)
        return source.encode("utf-8")
    if fmt == "png":
        return render_png(source, dpi=options.dpi, timeout=options.dot_timeout, engine=engine)
    return run_dot(source, fmt, timeout=options.dot_timeout, engine=engine)


def engine_args(options: RenderOptions) -> tuple[str, ...]:
    """Graphviz arguments the layout needs: the columns layout gives positions, kept by ``neato -n2``."""
    if options.layout == "columns":
        from cjm.render.diagram_columns import ENGINE_ARGS

        return ENGINE_ARGS
    return ()


def format_score(score: float) -> str:
    """``+1``, ``−1.5``, ``0``: a sign always, a typographic minus, no trailing ``.0``."""
    text = f"{abs(score):g}"
    if score > 0:
        return "+" + text
    if score < 0:
        return MINUS + text
    return "0"


def build(journey: Journey, options: RenderOptions, style: DiagramStyle = DIAGRAM) -> "graphviz.Digraph":
    """The diagram as a ``graphviz.Digraph``; nothing is run."""
    import graphviz

    theme = THEMES[options.theme]
    persona = options.persona
    if persona is not None and persona not in journey.persona_ids:
        raise RenderError(f"no persona '{persona}' in this map")
    shown = [s for s in journey.steps if persona is None or journey.serves(s, persona)]
    node_id = {s.id: f"t{s.index}" for s in shown}
    evidence = None
    if options.observed is not None:
        from cjm.render.diagram_evidence import DiagramEvidence

        if options.layout == "columns":
            style = replace(style, observed_max_penwidth=style.columns_observed_max_penwidth)

        evidence = DiagramEvidence(journey, options.observed, theme, style, options.evidence, persona)
    if options.layout not in LAYOUTS:
        raise RenderError(f"unknown layout '{options.layout}' (layouts: {', '.join(LAYOUTS)})")
    graph = graphviz.Digraph(name="journey")
    stacked = options.layout == "columns"
    graph.attr("graph", **_graph_attrs(journey, persona, theme, style, len(shown), evidence, stacked=stacked))
    graph.attr("node", fontname=theme.font, fontsize=f"{style.node_fontsize:g}", fontcolor=theme.foreground,
               color=theme.muted, penwidth=f"{style.penwidth:g}", margin="0.12,0.06")
    graph.attr("edge", color=theme.muted, fontname=theme.font, arrowsize="0.7")
    short = _short_names(journey)
    by_stage = _by_stage(journey, shown)
    edges = flow(journey, shown)
    if stacked:
        from cjm.render.diagram_columns import build_columns

        return build_columns(graph, journey, node_id, by_stage, edges, options, theme, style, short, evidence)
    pain_ids = (f"p{i}" for i in count())
    pains = 0
    for stage_index, stage in enumerate(journey.map.stages):
        steps = by_stage[stage_index]
        with graph.subgraph(name=f"cluster_s{stage_index}") as cluster:
            _stage(cluster, stage_index, stage, bool(steps), theme, style)
            for step in steps:
                cluster.node(node_id[step.id], **_touchpoint_attrs(journey, step, persona, short, theme, style, evidence))
                if evidence is not None:
                    evidence.entry(cluster, step, node_id[step.id])
                if options.show_pains and step.touchpoint.pains:
                    _pains(cluster, node_id[step.id], step, pain_ids, theme, style)
                    pains += len(step.touchpoint.pains)
    drop_offs = [s for s in journey.dead_ends() if s.id in node_id]
    for i, step in enumerate(drop_offs):
        _drop_off(graph, node_id[step.id], f"d{i}", step, theme, style)
    for source, target in edges:
        backward = target.index <= source.index
        attrs = {"tooltip": tooltip([f"{source.touchpoint.name}{ARROW}{target.touchpoint.name}"], style.tooltip_chars),
                 "id": flow_id(source, target), **({"constraint": "false", "style": "dashed"} if backward else {})}
        if evidence is not None:
            attrs.update(evidence.declared_edge(source, target))
        graph.edge(node_id[source.id], node_id[target.id], **attrs)
    if evidence is not None:
        evidence.extra_edges(graph, node_id, {(source.id, target.id) for source, target in edges})
    for source_id, target_id in _stage_order(by_stage, node_id, edges):
        graph.edge(source_id, target_id, style="invis")
    _legend(graph, theme, style, pains=pains > 0, drop_offs=bool(drop_offs), evidence=evidence)
    return graph


def flow_id(source: Step, target: Step) -> str:
    """The SVG id of the edge that draws ``source.next -> target`` (also on a loop's connector edge)."""
    return f"flow-t{source.index}-t{target.index}"


def _stage(cluster: "graphviz.Digraph", index: int, stage: Stage, has_steps: bool, theme: Theme, style: DiagramStyle) -> None:
    lines = wrap(stage.name, style.goal_width, 2)
    if stage.customer_goal:
        lines += wrap(f"Goal: {stage.customer_goal}", style.goal_width, style.goal_lines)
    cluster.attr(label=text_label(lines, align="left"), labeljust="l",
                 tooltip=tooltip([stage.name, stage.customer_goal or "", stage.description or ""], style.tooltip_chars),
                 style="rounded,filled", fillcolor=theme.stage_fill, color=theme.stage_border,
                 fontsize=f"{style.stage_fontsize:g}", fontcolor=theme.foreground)
    if not has_steps:
        cluster.node(f"e{index}", label=text_label(["no touchpoints"]), shape="plaintext", fontcolor=theme.muted,
                     tooltip=tooltip([f"{stage.name}: no touchpoints"], style.tooltip_chars))


def _pains(cluster: "graphviz.Digraph", owner: str, step: Step, pain_ids: Iterator[str],
           theme: Theme, style: DiagramStyle) -> None:
    """Notes in the touchpoint's rank: they stack beside it instead of pushing the flow apart."""
    import graphviz

    beside = graphviz.Digraph()
    beside.attr(rank="same")
    beside.node(owner)
    where = f"Pain point at {step.touchpoint.name}"
    for pain in step.touchpoint.pains:
        pain_id = next(pain_ids)
        beside.node(pain_id)
        cluster.node(pain_id, label=text_label(wrap(pain, style.pain_width, style.pain_lines)),
                     shape=style.pain_shape, style="filled", fillcolor=theme.pain_fill, fontcolor=theme.pain_text,
                     color=theme.muted, fontsize=f"{style.note_fontsize:g}",
                     tooltip=tooltip([where, pain], style.tooltip_chars))
        cluster.edge(owner, pain_id, style="dashed", arrowhead="none", color=theme.muted,
                     tooltip=tooltip([where], style.tooltip_chars))
    cluster.subgraph(beside)


def _drop_off(graph: "graphviz.Digraph", owner: str, drop_id: str, step: Step, theme: Theme, style: DiagramStyle) -> None:
    """Outside the stage boxes: inside, the drop-off would share a column with the next stage's first node."""
    name = step.touchpoint.name
    graph.node(drop_id, **_drop_off_attrs(step, theme, style))
    graph.edge(owner, drop_id, color=theme.drop_off, penwidth="1.5", arrowhead="tee",
               tooltip=tooltip([f"Drop-off after {name}"], style.tooltip_chars))


def _drop_off_attrs(step: Step, theme: Theme, style: DiagramStyle) -> dict[str, str]:
    return {"label": text_label([style.drop_off_label]), "shape": style.drop_off_shape, "style": "filled",
            "fillcolor": theme.drop_off, "fontcolor": theme.drop_off_text, "color": theme.drop_off,
            "fontsize": f"{style.note_fontsize:g}", "margin": "0.04",
            "tooltip": tooltip([f"Drop-off: nowhere to go after {step.touchpoint.name}"], style.tooltip_chars)}


def flow(journey: Journey, shown: list[Step]) -> list[tuple[Step, Step]]:
    """``journey.edges`` among the shown touchpoints: a path through hidden ones becomes one edge."""
    visible = {s.id for s in shown}
    if len(visible) == len(journey.steps):
        edges = journey.edges
    else:
        edges = []
        for step in shown:
            seen: set[str] = set()
            todo = list(journey.successors[step.id])
            while todo:
                nxt = todo.pop(0)
                if nxt.id in seen:
                    continue
                seen.add(nxt.id)
                if nxt.id in visible:
                    edges.append((step, nxt))
                else:
                    todo.extend(journey.successors[nxt.id])
    unique: dict[tuple[str, str], tuple[Step, Step]] = {}
    for source, target in edges:
        unique.setdefault((source.id, target.id), (source, target))
    return list(unique.values())


def _by_stage(journey: Journey, shown: list[Step]) -> list[list[Step]]:
    out: list[list[Step]] = [[] for _ in journey.map.stages]
    for step in shown:
        out[step.stage_index].append(step)
    return out


def _stage_order(by_stage: list[list[Step]], node_id: dict[str, str],
                 edges: list[tuple[Step, Step]]) -> list[tuple[str, str]]:
    """Invisible edges that keep the journey left to right where the flow does not.

    A node after the first stage that nothing earlier leads to (in a map that gives ``next``
    only here and there, or an empty stage's placeholder) would otherwise be put in the first
    column; it is tied to the node before it in journey order instead, as if the map had no
    ``next``. Entry points in the first stage stay side by side.
    """
    reached = {target.id for source, target in edges if target.index > source.index}
    before: str | None = None
    out: list[tuple[str, str]] = []
    for stage_index, steps in enumerate(by_stage):
        members = [(node_id[s.id], s.id in reached) for s in steps]
        for node, has_way_in in members or [(f"e{stage_index}", False)]:
            if before is not None and stage_index > 0 and not has_way_in:
                out.append((before, node))
            before = node
    return out


def _graph_attrs(journey: Journey, persona: str | None, theme: Theme, style: DiagramStyle, nodes: int,
                 evidence: DiagramEvidence | None = None, *, stacked: bool = False) -> dict[str, str]:
    title = wrap(journey.map.title, 80, 2)
    if persona is not None:
        name = next(p.name for p in journey.personas if p.id == persona)
        title += wrap(f"Persona: {name}", 80, 1)
    if evidence is not None:
        title += evidence.title_lines(persona)
    attrs = dict(style.graph)
    if stacked:
        attrs.update(style.columns_graph)
    if nodes > style.large_graph_nodes:
        attrs.update(style.large_graph)
    attrs.update(
        label=text_label(title), tooltip=tooltip([journey.map.title, journey.map.description or ""], style.tooltip_chars),
        fontname=theme.font, fontsize=f"{style.title_fontsize:g}", fontcolor=theme.foreground, bgcolor=theme.background,
    )
    return attrs


def _short_names(journey: Journey) -> dict[str, str]:
    """A persona's name up to the first comma ("Rosa, repeat buyer" -> "Rosa"), or its id when that is ambiguous."""
    names = {p.id: p.name.split(",")[0].split("(")[0].strip()[:20] or p.id for p in journey.personas}
    if len(set(names.values())) < len(names):
        return {p.id: p.id for p in journey.personas}
    return names


def _scores(journey: Journey, step: Step, persona: str | None, short: dict[str, str]) -> tuple[float | None, str, list[str]]:
    """The score that picks the fill, the scores as the label shows them, and their long form for the tooltip."""
    value = step.touchpoint.emotion
    word = emotion_label(value)
    if persona is not None or not isinstance(value, dict):
        score = score_of(value, persona) if isinstance(value, dict) else score_of(value, None)
        if score is None:
            return None, "no emotion", ["No emotion recorded"]
        text = format_score(score) + (f" {word}" if word else "")
        return score, text, [f"Emotion: {text}"]
    known = [(pid, value[pid]) for pid in journey.persona_ids if pid in value]
    if not known:
        return None, "no emotion", ["No emotion recorded"]
    fill = sum(score for _, score in known) / len(known)
    names = {p.id: p.name for p in journey.personas}
    label = DOT_SEP.join(f"{short[pid]} {format_score(score)}" for pid, score in known)
    long = [f"{names[pid]}: {format_score(score)}" for pid, score in known]
    return fill, label, long


def _touchpoint_attrs(journey: Journey, step: Step, persona: str | None, short: dict[str, str],
                      theme: Theme, style: DiagramStyle, evidence: DiagramEvidence | None = None,
                      number: str | None = None) -> dict[str, str]:
    touchpoint = step.touchpoint
    score, score_text, score_long = _scores(journey, step, persona, short)
    name = touchpoint.name
    if touchpoint.moment_of_truth:
        name = f"{style.moment_of_truth_marker} {name}"
    if number:
        name = f"{number} {name}"
    lines = wrap(name, style.name_width, style.name_lines)
    channel = wrap(touchpoint.channel, style.scores_width, 1) if touchpoint.channel else []
    scores = wrap(score_text, style.scores_width, style.scores_lines)
    if channel and len(scores) == 1 and len(channel[0]) + len(scores[0]) + 3 <= style.scores_width:
        lines.append(channel[0] + DOT_SEP + scores[0])
    else:
        lines += channel + scores
    if evidence is not None:
        lines += evidence.node_lines(step)
    hover = [touchpoint.name, f"Stage: {step.stage.name}"]
    if touchpoint.channel:
        hover.append(f"Channel: {touchpoint.channel}")
    hover += score_long
    if touchpoint.moment_of_truth:
        hover.append("Moment of truth")
    if touchpoint.pains:
        hover.append("Pains: " + "; ".join(touchpoint.pains))
    if evidence is not None:
        hover += evidence.node_hover(step)
    attrs = {"label": text_label(lines), "tooltip": tooltip(hover, style.tooltip_chars), "shape": style.node_shape}
    if evidence is not None:  # the fill tells the drop-off; the score stays in the label
        attrs.update(evidence.node_fill(step))
    elif score is None:
        attrs.update(style=style.no_emotion_style, fillcolor=theme.no_emotion_fill, color=theme.no_emotion_border,
                     fontcolor=theme.foreground)
    else:
        bucket = emotion_bucket(score)
        attrs.update(style=style.node_style, fillcolor=theme.emotion_fill[bucket], fontcolor=theme.emotion_text[bucket])
    if touchpoint.moment_of_truth:
        attrs.update(penwidth=f"{style.moment_of_truth_penwidth:g}", color=theme.moment_of_truth)
    return attrs


def _legend(graph: "graphviz.Digraph", theme: Theme, style: DiagramStyle, *, pains: bool, drop_offs: bool,
            evidence: DiagramEvidence | None = None, connectors: bool = False,
            chained: bool = True) -> list[list[tuple[str, dict[str, str]]]]:
    """Sample nodes and edges styled exactly like the real ones, each saying what it means.

    ``chained``: tie the entries into rows with invisible edges (the line layout); the columns
    layout places them itself, in the order returned: groups that stay side by side (one node, or
    an edge sample's two ends), each (node id, its attributes)."""
    size = f"{style.legend_fontsize:g}"
    entries: list[dict[str, str]] = []
    if evidence is not None:
        entries += evidence.node_legend()
        scale = len(style.drop_off_steps)  # the first row ends with the ramp's last colour
    else:
        for bucket in (-2, -1, 0, 1, 2):
            sign = format_score(bucket)
            entries.append({"label": f"{sign} {MOOD_WORDS[bucket]}", "shape": style.node_shape, "style": style.node_style,
                            "fillcolor": theme.emotion_fill[bucket], "fontcolor": theme.emotion_text[bucket]})
        entries.append({"label": "no emotion", "shape": style.node_shape, "style": style.no_emotion_style,
                        "fillcolor": theme.no_emotion_fill, "color": theme.no_emotion_border})
        scale = len(MOOD_WORDS) - 1
    entries.append({"label": f"{style.moment_of_truth_marker} moment of truth", "shape": style.node_shape,
                    "style": "rounded", "penwidth": f"{style.moment_of_truth_penwidth:g}", "color": theme.moment_of_truth})
    if pains:
        entries.append({"label": "pain point", "shape": style.pain_shape, "style": "filled",
                        "fillcolor": theme.pain_fill, "fontcolor": theme.pain_text})
    if drop_offs:
        entries.append({"label": style.drop_off_label, "shape": style.drop_off_shape, "style": "filled",
                        "fillcolor": theme.drop_off, "fontcolor": theme.drop_off_text, "color": theme.drop_off})
    entries.append({"label": "- - \u25b6 loop back", "shape": "plaintext"})
    if connectors:
        entries.append({"label": f"{LOOP_MARK} loop back to another stage", "shape": "plaintext", "fontcolor": theme.muted})
    placed: list[list[tuple[str, dict[str, str]]]] = []
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="Legend", labeljust="l", style="rounded", color=theme.stage_border,
                    fontsize=f"{style.stage_fontsize:g}", fontcolor=theme.foreground, tooltip="Legend")
        for i, entry in enumerate(entries):
            attrs = {"fontsize": size, "tooltip": entry["label"], **entry}
            legend.node(f"l{i}", **attrs)
            placed.append([(f"l{i}", attrs)])
        # rows: the fill scale, then the markers (then the edges), so the legend stays narrow
        for i in range(len(entries) - 1):
            if i != scale and chained:
                legend.edge(f"l{i}", f"l{i + 1}", style="invis")
        if evidence is not None:
            placed += _edge_legend(legend, evidence.edge_legend(), len(entries), size, chained)
    return placed


def _edge_legend(legend: "graphviz.Digraph", samples: list, first: int, size: str,
                 chained: bool = True) -> list[list[tuple[str, dict[str, str]]]]:
    """A row of sample edges, each from a start node to the words that say what it means."""
    placed = []
    for k, (start, edge, lines) in enumerate(samples):
        tail, head = f"l{first + 2 * k}", f"l{first + 2 * k + 1}"
        words = tooltip(lines, 200)
        tail_attrs = {"tooltip": words, **start}
        head_attrs = {"label": text_label(lines, align="left"), "shape": "plaintext", "fontsize": size, "tooltip": words}
        legend.node(tail, **tail_attrs)
        legend.node(head, **head_attrs)
        legend.edge(tail, head, tooltip=words, **edge)
        if k and chained:
            legend.edge(f"l{first + 2 * k - 1}", tail, style="invis")
        placed.append([(tail, tail_attrs), (head, head_attrs)])
    return placed
