"""``--view diagram --observed FILE``: the observed journey painted on the flow diagram.

- edges customers took: width by users, labelled ``times · share of the source's exits``;
- observed transitions the map lacks: extra dashed edges in the warning colour (they do not move
  the map's own layout); a transition the map makes through touchpoints without event rules is
  the map's own, drawn solid with the touchpoints it went through in its hover text;
- declared edges between measured touchpoints that nobody took: greyed, ``not seen``;
- touchpoints filled by the share of their journeys that end there (the drop-off ramp), with
  ``journeys · % end`` in the label; the emotion score stays in the label as text;
- where journeys start: a small entry marker before each touchpoint journeys start at, its edge
  as wide as the users who started there.

Counts come from ``cjm.render.overlay``; ids are generated as in ``diagram`` (``b0`` entry
markers) and text from the observed file reaches DOT only through ``text_label`` and ``tooltip``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cjm.render.dot import text_label, tooltip, wrap
from cjm.render.overlay import (SEP, EvidenceOptions, Overlay, Transition, count, edge_words, percent, step_name,
                                touchpoint_words)
from cjm.render.theme import DiagramStyle, Theme

if TYPE_CHECKING:
    import graphviz

    from cjm.evidence.observed import Edge, Observed
    from cjm.journey import Journey, Step

ARROW = " \u2192 "
NOT_SEEN = "not seen"


JUMP = "\u21aa"  # a transition the map lacks to a touchpoint far away: a line in its source's label


class DiagramEvidence:
    def __init__(self, journey: Journey, observed: Observed, theme: Theme, style: DiagramStyle,
                 evidence: EvidenceOptions | None = None, persona: str | None = None):
        evidence = evidence or EvidenceOptions()
        segment = observed.find_segment(evidence.segment)[1] if evidence.segment else None
        self.segment_label = evidence.segment
        self.overlay = Overlay(journey, observed, segment)
        self.journey = journey
        self.theme = theme
        self.style = style
        self.min_share = style.unexpected_min_share if evidence.min_share is None else evidence.min_share
        self.top_edges = style.unexpected_top_edges if evidence.top_edges is None else evidence.top_edges
        self._most = self.overlay.most_users
        self._entries = 0
        self.drawn, self.jumps, self.hidden = self._choose(persona)
        self.rare = len(self.hidden)  # transitions the map lacks, not drawn

    def _choose(self, persona: str | None) -> tuple[set, dict[str, list[Transition]], list[Transition]]:
        """The transitions the map lacks, per source, largest first: drawn as edges (to a touchpoint
        in the same or the next stage), as a line of the source's label (farther: an edge would
        cross the picture), or not drawn (under ``min_share`` of the source's exits, or past its
        ``top_edges`` largest); the last are counted in the caption."""
        by_source: dict[str, list[Transition]] = {}
        for seen in self.overlay.transitions.values():
            if seen.declared:
                continue
            steps = [self.journey.by_id[seen.source], self.journey.by_id[seen.target]]
            if persona is not None and not all(self.journey.serves(step, persona) for step in steps):
                continue
            by_source.setdefault(seen.source, []).append(seen)
        drawn, jumps, hidden = set(), {}, []
        for source, found in by_source.items():
            found.sort(key=lambda t: (-t.edge.count, self.journey.by_id[t.target].index))
            for rank, seen in enumerate(found):
                if seen.edge.share <= self.min_share or rank >= self.top_edges:
                    hidden.append(seen)
                    continue
                gap = self.journey.by_id[seen.target].stage_index - self.journey.by_id[source].stage_index
                if 0 <= gap <= 1:
                    drawn.add((seen.source, seen.target))
                else:
                    jumps.setdefault(source, []).append(seen)
        return drawn, jumps, hidden

    def hidden_journeys(self) -> int | None:
        """Journeys that took a transition not drawn (summed per transition); None for a version 1 file."""
        counts = [t.edge.journeys for t in self.hidden]
        return None if any(c is None for c in counts) else sum(counts)

    # --- title and nodes ---------------------------------------------------------------

    def title_lines(self, persona: str | None) -> list[str]:
        totals = self.overlay.observed.totals
        provenance = self.overlay.observed.provenance
        text = f"Observed: {count(totals.journeys)} journeys ({provenance.grain}s) of {count(totals.users)} users"
        if provenance.first_event and provenance.last_event:
            text += f", {provenance.first_event[:10]} to {provenance.last_event[:10]}"
        if self.overlay.segment is not None:
            segment = self.overlay.segment
            text += f"; drawn: segment {self.segment_label}, {count(segment.totals.journeys)} journeys"
        if persona is not None:
            text += "; counts are for all customers"
        lines = wrap(text, 100, 2)
        if self.hidden:
            lines += wrap(self._hidden_text(), 100, 2)
        return lines

    def _hidden_text(self) -> str:
        journeys = self.hidden_journeys()
        taken = (f"with {count(journeys)} journeys between them (once per transition)" if journeys is not None
                 else f"taken {count(sum(t.edge.count for t in self.hidden))} times")
        many = len(self.hidden)
        return (f"Not drawn: {count(many)} transition{'s' if many != 1 else ''} the map lacks, {taken} "
                f"(each at most {percent(self.min_share)} of the journeys leaving its touchpoint, "
                f"or past the {self.top_edges} largest there)")

    def node_lines(self, step: Step) -> list[str]:
        counts = self.overlay.touchpoints.get(step.id)
        if counts is None:
            return ["not measured"]
        if counts.drop_off is None:
            return ["nothing matched"]
        ending = "finish" if self.overlay.finish(step) else "end"
        lines = [f"{count(counts.journeys)} journeys{SEP}{percent(counts.drop_off)} {ending}"]
        for seen in self.jumps.get(step.id, []):
            target = self.journey.by_id[seen.target]
            lines.append(f"{JUMP} {target.index + 1}. {target.touchpoint.name}{SEP}{percent(seen.edge.share)}")
        return lines

    def node_hover(self, step: Step) -> list[str]:
        counts = self.overlay.touchpoints.get(step.id)
        if counts is None:
            return ["Not measured: no event rules"]
        hover = touchpoint_words(counts)
        if self.overlay.finish(step):
            hover.append("The map's journey ends here: ending here is finishing")
        start = self.overlay.starts.get(step.id)
        if start is not None:
            hover.append(f"{count(start.count)} journeys start here")
        return hover

    def node_fill(self, step: Step) -> dict[str, str]:
        counts = self.overlay.touchpoints.get(step.id)
        if counts is None or counts.drop_off is None:
            return {"style": self.style.no_emotion_style, "fillcolor": self.theme.no_emotion_fill,
                    "color": self.theme.no_emotion_border, "fontcolor": self.theme.foreground}
        if self.overlay.finish(step):
            return {"style": self.style.node_style, "fillcolor": self.theme.finish_fill, "fontcolor": self.theme.foreground}
        colour = self.style.drop_off_colour(counts.drop_off)
        return {"style": self.style.node_style, "fillcolor": self.theme.drop_off_ramp[colour],
                "fontcolor": self.theme.drop_off_ramp_text[colour]}

    # --- edges ---------------------------------------------------------------------------

    def width(self, users: int) -> str:
        low, high = self.style.observed_min_penwidth, self.style.observed_max_penwidth
        share = users / self._most if self._most else 0.0
        return f"{low + (high - low) * share:.2f}"

    def _taken(self, edge: Edge, hover: list[str], *, unexpected: bool = False) -> dict[str, str]:
        """An edge customers took: as wide as its users, labelled with times and share."""
        return {"penwidth": self.width(edge.users), "color": self.theme.unexpected_edge if unexpected else self.theme.observed_edge,
                "fontcolor": self.theme.unexpected_edge if unexpected else self.theme.foreground,
                "label": text_label([f"{count(edge.count)}{SEP}{percent(edge.share)}"]),
                "fontsize": f"{self.style.note_fontsize:g}", "tooltip": tooltip(hover, self.style.tooltip_chars)}

    def declared_edge(self, source: Step, target: Step) -> dict[str, str]:
        """Attributes for an edge of the map, on top of its usual ones."""
        overlay = self.overlay
        name = f"{source.touchpoint.name}{ARROW}{target.touchpoint.name}"
        seen = overlay.transitions.get((source.id, target.id))
        if seen is not None and seen.declared:  # a persona's view draws a way through hidden touchpoints as one edge
            return self._taken(seen.edge, [name] + self._through(seen) + edge_words(seen.edge, source.touchpoint.name))
        if seen is None and overlay.unobserved(source.id, target.id) and target.id in self._declared_next(source):
            return {"color": self.theme.unobserved_edge, "fontcolor": self.theme.muted, "label": text_label([NOT_SEEN]),
                    "fontsize": f"{self.style.note_fontsize:g}",
                    "tooltip": tooltip([name, f"In the map, not seen: {overlay.not_seen_text()}"], self.style.tooltip_chars)}
        unmeasured = [s.touchpoint.name for s in (source, target) if not overlay.measured(s.id)]
        why = (f"Not measured: no event rules at {' and '.join(unmeasured)}" if unmeasured
               else "Not measured: repeats at one touchpoint are one step in the evidence" if source.id == target.id
               else None)
        return {"tooltip": tooltip([name, why or ""], self.style.tooltip_chars)}

    def _through(self, seen: Transition) -> list[str]:
        if not seen.via:
            return []
        return [f"In the map through {', '.join(step_name(self.journey, i) for i in seen.via)} (no event rules)"]

    def _declared_next(self, source: Step) -> set[str]:
        return {step.id for step in self.journey.successors[source.id]}

    def extra_edges(self, graph: graphviz.Digraph, node_id: dict[str, str], drawn: set[tuple[str, str]]) -> None:
        """Observed transitions no drawn edge of the map carries: the ones the map lacks, and the
        ones it makes through touchpoints without event rules."""
        for (source, target), seen in self.overlay.transitions.items():
            if source not in node_id or target not in node_id:
                continue  # a touchpoint this persona's view leaves out
            if seen.declared and (source, target) in drawn:
                continue
            if not seen.declared and (source, target) not in self.drawn:
                continue  # a line of the source's label, or counted in the caption
            source_name, target_name = step_name(self.journey, source), step_name(self.journey, target)
            hover = [f"{source_name}{ARROW}{target_name}"]
            if seen.declared:
                attrs = self._taken(seen.edge, hover + self._through(seen) + edge_words(seen.edge, source_name))
            else:
                hover.append("Seen, not in the map")
                attrs = dict(self._taken(seen.edge, hover + edge_words(seen.edge, source_name), unexpected=True),
                             style="dashed")
            graph.edge(node_id[source], node_id[target], constraint="false", **attrs)

    def entry(self, cluster: graphviz.Digraph, step: Step, node: str) -> str | None:
        """An entry marker before the touchpoint when journeys start there, in its stage's box; its id."""
        start = self.overlay.starts.get(step.id)
        if start is None:
            return None
        entry = f"b{self._entries}"
        self._entries += 1
        hover = [f"Journeys start at {step.touchpoint.name}"] + edge_words(start, step.touchpoint.name)
        cluster.node(entry, **self.entry_attrs(tooltip(hover, self.style.tooltip_chars)))
        cluster.edge(entry, node, **self._taken(start, hover))
        return entry

    def entry_attrs(self, hover: str) -> dict[str, str]:
        size = f"{self.style.entry_size:g}"
        return {"label": "", "shape": self.style.entry_shape, "style": "filled", "fillcolor": self.theme.entry,
                "color": self.theme.entry, "width": size, "height": size, "fixedsize": "true", "tooltip": hover}

    # --- legend --------------------------------------------------------------------------------

    def _rare_words(self) -> list[str]:
        words = []
        if any(self.jumps.values()):
            words.append(f"{JUMP} in a label: to a touchpoint far away")
        if self.rare:
            journeys = self.hidden_journeys()
            words += [f"{count(self.rare)} more not drawn"
                      + (f" ({count(journeys)} journeys)" if journeys is not None else ""),
                      f"(under {percent(self.min_share)} or past the {self.top_edges} largest)"]
        return words

    def node_legend(self) -> list[dict[str, str]]:
        """The drop-off ramp and the unmeasured look, in place of the emotion scale."""
        steps = self.style.drop_off_steps
        bounds = [0.0, *steps]
        entries = []
        for i, low in enumerate(bounds):
            if i == 0:
                words = f"under {percent(steps[0])} end here"
            elif i == len(steps):
                words = f"{percent(low)} or more end here"
            else:
                words = f"{percent(low)}\u2013{percent(steps[i])} end here"
            entries.append({"label": words, "shape": self.style.node_shape, "style": self.style.node_style,
                            "fillcolor": self.theme.drop_off_ramp[i], "fontcolor": self.theme.drop_off_ramp_text[i]})
        if any(self.overlay.finish(step) for step in self.journey.steps if step.id in self.overlay.touchpoints):
            entries.append({"label": "the journey's end", "shape": self.style.node_shape, "style": self.style.node_style,
                            "fillcolor": self.theme.finish_fill, "fontcolor": self.theme.foreground})
        entries.append({"label": "not measured", "shape": self.style.node_shape, "style": self.style.no_emotion_style,
                        "fillcolor": self.theme.no_emotion_fill, "color": self.theme.no_emotion_border})
        return entries

    def edge_legend(self) -> list[tuple[dict[str, str], dict[str, str], list[str]]]:
        """(sample start node, sample edge, what it means in lines): drawn exactly like the real ones."""
        point = {"label": "", "shape": "point", "width": "0.01", "style": "invis"}
        mid = f"{(self.style.observed_min_penwidth + self.style.observed_max_penwidth) / 2:.2f}"
        small = f"{self.style.note_fontsize:g}"
        return [
            (point, {"penwidth": mid, "color": self.theme.observed_edge, "fontcolor": self.theme.foreground,
                     "label": text_label(["times \u00b7 share"]), "fontsize": small},
             ["customers went this way", "wider: more users", "share: of the journeys leaving"]),
            (point, {"penwidth": mid, "color": self.theme.unexpected_edge, "fontcolor": self.theme.unexpected_edge,
                     "style": "dashed", "label": text_label(["times \u00b7 share"]), "fontsize": small},
             ["seen, not in the map", *self._rare_words()]),
            (point, {"color": self.theme.unobserved_edge, "fontcolor": self.theme.muted,
                     "label": text_label([NOT_SEEN]), "fontsize": small},
             ["in the map, not seen"]),
            (self.entry_attrs("entry marker"), {"penwidth": mid, "color": self.theme.observed_edge},
             ["journeys start here", "share: of all journeys"]),
        ]
