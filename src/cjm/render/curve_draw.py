"""Draw a laid-out emotion curve (``cjm.render.curve``) as SVG elements.

Everything here is placement already decided by ``curve_layout`` turned into
elements of ``cjm.render.svg``, which escapes all map text. Colours come from the
theme; text is only ever drawn in colours the theme pairs for AA contrast with
what lies behind it.
"""

from __future__ import annotations

from cjm.render.curve import (
    BOLD,
    FONT,
    LEGEND_SYMBOL,
    LINE,
    RING_R,
    SMALL,
    TITLE,
    CurveData,
    CurvePoint,
    Layout,
    LegendItem,
    Series,
    chart_title,
)
from cjm.render.svg import SVG_NS, Element, el, marker, num, text_width
from cjm.render.theme import Theme

MARKER_R = 5.0
TICK_ROOM = text_width("+2", SMALL) + 20  # band names end left of the tick values


def draw(data: CurveData, layout: Layout, theme: Theme, prefix: str) -> str:
    """The ``<svg>`` element as text (no XML declaration, so HTML can embed it as is)."""
    w, h = layout.width, layout.height
    root = el("svg", {
        "xmlns": SVG_NS, "width": w, "height": h, "viewBox": f"0 0 {num(w)} {num(h)}",
        "role": "img", "aria-labelledby": f"{prefix}-title {prefix}-desc", "class": "cjm-curve",
        "font-family": theme.font.replace(",", ", "), "font-size": SMALL,
    })
    root.add(el("title", {"id": f"{prefix}-title"}, text=chart_title(data)))
    root.add(el("desc", {"id": f"{prefix}-desc"}, text=describe(data)))
    root.add(el("rect", {"x": 0, "y": 0, "width": w, "height": h, "fill": theme.background}))
    _title(root, layout, theme)
    _legend(root, layout, theme)
    _stages(root, data, layout, theme)
    _plot(root, data, layout, theme)
    _moments(root, data, layout, theme)
    _series(root, data, layout, theme)
    if data.show_pains:
        _pains(root, data, layout, theme)
    _labels(root, data, layout, theme)
    return root.serialize()


def describe(data: CurveData) -> str:
    """A text alternative: the scale, the stages, and each persona's lowest and highest point."""
    parts = [f"Emotion curve of {data.title}: scores from -2 (very negative) to +2 (very positive) "
             f"at {len(data.touchpoints)} touchpoints in {len(data.stages)} stages"]
    if data.stages:
        parts[0] += " (" + ", ".join(s.name for s in data.stages) + ")"
    parts[0] += "."
    for series in data.series:
        known = [p for p in series.points if p.score is not None]
        if series.target:
            planned = [p for p in series.points if p.planned]
            parts.append(f"{series.name}, to-be (dashed): targets at {len(planned)} touchpoints.")
            continue
        if not known:
            parts.append(f"{series.name}: no emotion recorded.")
            continue
        low = min(known, key=lambda p: p.score)
        high = max(known, key=lambda p: p.score)
        text = f"{series.name}: lowest {_score(low.score)} at {low.name}, highest {_score(high.score)} at {high.name}"
        missing = len(series.points) - len(known)
        if missing:
            text += f"; no emotion recorded at {missing} touchpoint{'s' if missing > 1 else ''}"
        parts.append(text + ".")
    moments = [t.name for t in data.touchpoints if t.moment_of_truth]
    if moments:
        parts.append("Moments of truth: " + ", ".join(moments) + ".")
    return " ".join(parts)


def _score(score: float) -> str:
    return "0" if score == 0 else f"{score:+g}"


def _text(x: float, y: float, text: str, fill: str, **attrs) -> Element:
    return el("text", {"x": x, "y": y, "fill": fill, **{k.replace("_", "-"): v for k, v in attrs.items()}}, text=text)


def _title(root: Element, layout: Layout, theme: Theme) -> None:
    for k, line in enumerate(layout.title_lines):
        root.add(_text(16, layout.title_top + (k + 0.8) * TITLE * LINE, line, theme.foreground,
                       font_size=TITLE, font_weight="bold"))


def _legend(root: Element, layout: Layout, theme: Theme) -> None:
    group = root.add(el("g", {"class": "cjm-legend"}))
    for item in layout.legend:
        group.add(_legend_symbol(item, theme))
        group.add(_text(item.x + LEGEND_SYMBOL + 6, item.y + 0.35 * FONT, item.text, theme.foreground, font_size=FONT))


def _legend_symbol(item: LegendItem, theme: Theme) -> Element:
    x0, x1, y = item.x, item.x + LEGEND_SYMBOL, item.y
    mid = (x0 + x1) / 2
    group = el("g")
    if item.kind in ("persona", "target"):
        color = _color(theme, item.slot) if item.kind == "persona" else theme.foreground
        line = {"x1": x0, "y1": y, "x2": x1, "y2": y, "stroke": color, "stroke-width": 2.5 if item.kind == "persona" else 2}
        if item.kind == "target":
            line["stroke-dasharray"] = "6 4"
        group.add(el("line", line))
        fill = color if item.kind == "persona" else theme.background
        group.add(marker(_shape(theme, item.slot) if item.kind == "persona" else "circle", mid, y, MARKER_R,
                         {"fill": fill, "stroke": color if item.kind == "target" else theme.background, "stroke-width": 1.5}))
    elif item.kind == "moment":
        group.add(marker("star", mid - 8, y, 6, {"fill": theme.moment_of_truth}))
        group.add(el("circle", {"cx": mid + 8, "cy": y, "r": 7, "fill": "none", "stroke": theme.moment_of_truth, "stroke-width": 1.5}))
    else:
        group.add(_badge(mid, y, "1", theme))
    return group


def _stages(root: Element, data: CurveData, layout: Layout, theme: Theme) -> None:
    group = root.add(el("g", {"class": "cjm-stages"}))
    top, bottom = layout.header_top, layout.header_bottom
    for stage, box in zip(data.stages, layout.stages):
        if box.x1 <= box.x0:
            continue
        band = group.add(el("g"))
        band.add(el("title", text=stage.name))
        band.add(el("rect", {"x": box.x0, "y": top, "width": box.x1 - box.x0, "height": bottom - top,
                             "fill": theme.stage_fill, "stroke": theme.stage_border}))
        text = band.add(el("text", {"text-anchor": "middle", "fill": theme.foreground, "font-size": FONT,
                                    "font-weight": "bold"}))
        for k, line in enumerate(box.lines):
            text.add(el("tspan", {"x": (box.x0 + box.x1) / 2, "y": top + 4 + (k + 0.8) * FONT * LINE}, text=line))


def _plot(root: Element, data: CurveData, layout: Layout, theme: Theme) -> None:
    group = root.add(el("g", {"class": "cjm-scale"}))
    left, right = layout.plot_left, layout.plot_right
    for band in data.bands:
        top, bottom = layout.y(band.high), layout.y(band.low)
        group.add(el("rect", {"x": left, "y": top, "width": right - left, "height": bottom - top,
                              "fill": theme.band_fill[band.mood]}))
        if layout.axis_outside:
            group.add(_text(left - TICK_ROOM, (top + bottom) / 2 + 0.35 * SMALL, band.mood, theme.muted,
                            text_anchor="end"))
        else:
            group.add(_text(left + 4, top + SMALL * LINE, band.mood, theme.muted))
    for tick in range(-2, 3):
        y = layout.y(tick)
        group.add(el("line", {"x1": left, "y1": y, "x2": right, "y2": y, "stroke": theme.grid,
                              "stroke-width": 1.5 if tick == 0 else 1}))
        if layout.axis_outside:
            group.add(_text(left - 6, y + 0.35 * SMALL, _score(tick), theme.muted, text_anchor="end"))
    for box in layout.stages[1:]:
        if left < box.x0 < right:
            group.add(el("line", {"x1": box.x0, "y1": layout.header_bottom, "x2": box.x0, "y2": layout.plot_bottom,
                                  "stroke": theme.stage_border}))
    if not data.touchpoints:
        group.add(_text((left + right) / 2, layout.y(0) - 8, "No touchpoints in this map", theme.muted,
                        text_anchor="middle", font_size=FONT))


def _moments(root: Element, data: CurveData, layout: Layout, theme: Theme) -> None:
    group = root.add(el("g", {"class": "cjm-moments"}))
    for tp in data.touchpoints:
        if not tp.moment_of_truth:
            continue
        x = layout.xs[tp.index]
        mark = group.add(el("g"))
        mark.add(el("title", text=f"Moment of truth: {tp.name}"))
        mark.add(el("line", {"x1": x, "y1": layout.mot_y, "x2": x, "y2": layout.plot_bottom,
                             "stroke": theme.moment_of_truth, "stroke-width": 1, "stroke-dasharray": "3 3"}))
        mark.add(marker("star", x, layout.mot_y, 6, {"fill": theme.moment_of_truth}))


def _series(root: Element, data: CurveData, layout: Layout, theme: Theme) -> None:
    personas = list(dict.fromkeys(s.persona for s in data.series))
    shift = {p: (i - (len(personas) - 1) / 2) * layout.dodge for i, p in enumerate(personas)}
    as_is = {s.persona: {p.index: p.score for p in s.points} for s in data.series if not s.target}  # touchpoint -> score
    lines = root.add(el("g", {"class": "cjm-lines", "fill": "none", "stroke-linejoin": "round", "stroke-linecap": "round"}))
    for series in sorted(data.series, key=lambda s: not s.target):  # to-be underneath
        color = _color(theme, series.slot)
        for run in series.segments():
            if len(run) < 2:
                continue
            points = " ".join(f"{num(_x(layout, p, shift[series.persona]))},{num(layout.y(p.score))}" for p in run)
            attrs = {"points": points, "stroke": color, "stroke-width": 2 if series.target else 2.5,
                     "data-persona": series.persona, "class": "cjm-to-be" if series.target else "cjm-as-is"}
            if series.target:
                attrs["stroke-dasharray"] = "6 4"
            lines.add(el("polyline", attrs))
    for series in data.series:
        group = root.add(el("g", {"class": "cjm-points-to-be" if series.target else "cjm-points",
                                  "data-persona": series.persona}))
        color, shape = _color(theme, series.slot), _shape(theme, series.slot)
        for point in series.points:
            if point.score is None or (series.target and not point.planned):
                continue
            x, y = _x(layout, point, shift[series.persona]), layout.y(point.score)
            if series.target:
                attrs = {"fill": theme.background, "stroke": color, "stroke-width": 2}
            else:
                attrs = {"fill": color, "stroke": theme.background, "stroke-width": 1.5}
            symbol = group.add(marker(shape, x, y, MARKER_R, attrs))
            symbol.add(el("title", text=_tooltip(series, point, as_is.get(series.persona))))
            if not series.target and data.touchpoints[point.index].moment_of_truth:
                group.add(el("circle", {"cx": x, "cy": y, "r": RING_R, "fill": "none",
                                        "stroke": theme.moment_of_truth, "stroke-width": 1.5}))


def _tooltip(series: Series, point: CurvePoint, as_is: dict[int, float | None] | None) -> str:
    """``as_is``: the persona's as-is scores by touchpoint index (for a to-be point)."""
    label = f" ({point.label})" if point.label else ""
    if not series.target:
        return f"{point.name}\n{series.name}: {_score(point.score)}{label}"
    text = f"{point.name}\n{series.name}, to-be: {_score(point.score)}{label}"
    now = as_is.get(point.index) if as_is else None
    return text + (f"; as-is {_score(now)}" if now is not None else "; no as-is emotion")


def _pains(root: Element, data: CurveData, layout: Layout, theme: Theme) -> None:
    """A badge with the number of pain points under the touchpoint's lowest point (above it near -2)."""
    drawn: dict[int, list[float]] = {}
    for series in data.series:
        for p in series.points:
            if p.score is not None and (not series.target or p.planned):
                drawn.setdefault(p.index, []).append(layout.y(p.score))
    group = root.add(el("g", {"class": "cjm-pains"}))
    for tp in data.touchpoints:
        if not tp.pains:
            continue
        ys = drawn.get(tp.index)
        if not ys:
            y = layout.plot_bottom - 10
        elif max(ys) + 16 + 8 <= layout.plot_bottom:
            y = max(ys) + 16
        else:
            y = min(ys) - 16
        badge = group.add(_badge(layout.xs[tp.index], y, str(len(tp.pains)), theme))
        badge.children.insert(0, el("title", text=f"Pain points at {tp.name}:\n" + "\n".join(f"- {p}" for p in tp.pains)))


def _badge(x: float, y: float, text: str, theme: Theme) -> Element:
    return el("g", {},
              el("rect", {"x": x - 8, "y": y - 8, "width": 16, "height": 16, "rx": 3,
                          "fill": theme.pain_fill, "stroke": theme.pain_text, "stroke-width": 1}),
              _text(x, y + 3.5, text, theme.pain_text, text_anchor="middle", font_size=10, font_weight="bold"))


def _labels(root: Element, data: CurveData, layout: Layout, theme: Theme) -> None:
    group = root.add(el("g", {"class": "cjm-touchpoints", "text-anchor": "end", "fill": theme.foreground}))
    for tp, label in zip(data.touchpoints, layout.labels):
        text = group.add(el("text", {"transform": f"rotate({num(-label.angle)} {num(label.x)} {num(label.y)})"}))
        text.add(el("title", text=tp.name))
        for line, offset in zip(label.lines, label.line_offsets()):
            text.add(el("tspan", {"x": label.x, "y": label.y + offset}, text=line))


def _x(layout: Layout, point: CurvePoint, shift: float) -> float:
    return layout.xs[point.index] + shift


def _color(theme: Theme, slot: int) -> str:
    return theme.persona_colors[slot % len(theme.persona_colors)]


def _shape(theme: Theme, slot: int) -> str:
    return theme.persona_markers[slot % len(theme.persona_markers)]
