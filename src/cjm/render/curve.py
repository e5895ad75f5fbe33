"""The emotion curve: each persona's emotion along the journey, drawn as SVG.

x is the touchpoints in journey order under stage bands; y is the -2..+2 scale
with its negative, neutral and positive bands. Each persona gets a line in its
own colour and marker shape; the to-be curve (``target_emotion``) is dashed
beside it. A touchpoint without an emotion for a persona leaves a gap in that
line, never a zero. PNG and PDF are converted from the same SVG (``convert``).

Three steps, each usable alone: ``curve_data`` (what is drawn: points, gaps,
bands, stage spans), ``curve_layout`` (where: computed from the text, so long
names and many touchpoints make the picture wider, never squashed) and
``curve_svg`` (the picture; the HTML journey map passes ``column_x`` to line
the points up with its table columns).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from cjm.journey import NEGATIVE, POSITIVE, Journey, emotion_label
from cjm.render import RenderError, RenderOptions
from cjm.render.svg import document, ellipsize, text_width, wrap

FORMATS = ("svg", "png", "pdf")
SCALE_MIN, SCALE_MAX = -2.0, 2.0
NO_PERSONA_NAME = "Customer"


# --- data -------------------------------------------------------------------

class CurvePoint(NamedTuple):
    """One persona's score at one touchpoint; ``score`` None is a gap in the line."""

    index: int  # position in CurveData.touchpoints
    touchpoint: str
    name: str
    score: float | None
    label: str | None = None
    planned: bool = True  # to-be only: False where no target is set and the as-is score stands in


class Series(NamedTuple):
    """A line: a persona's as-is curve, or its to-be curve when ``target``."""

    persona: str | None
    name: str
    slot: int  # which colour and marker shape of the theme
    target: bool
    points: tuple[CurvePoint, ...]

    def segments(self) -> list[tuple[CurvePoint, ...]]:
        """The unbroken runs of the line: a point without a score splits it."""
        runs: list[tuple[CurvePoint, ...]] = []
        run: list[CurvePoint] = []
        for point in self.points:
            if point.score is None:
                if run:
                    runs.append(tuple(run))
                run = []
            else:
                run.append(point)
        if run:
            runs.append(tuple(run))
        return runs


class Band(NamedTuple):
    mood: str  # negative | neutral | positive
    low: float
    high: float


class TouchpointInfo(NamedTuple):
    index: int
    id: str
    name: str
    stage_index: int
    moment_of_truth: bool
    pains: tuple[str, ...]


class StageSpan(NamedTuple):
    """A stage and the touchpoints under it: ``touchpoints[first:first + count]``."""

    id: str
    name: str
    first: int
    count: int


class CurveData(NamedTuple):
    map_id: str
    title: str
    persona: str | None  # set when one persona was asked for
    touchpoints: tuple[TouchpointInfo, ...]
    stages: tuple[StageSpan, ...]
    series: tuple[Series, ...]
    bands: tuple[Band, ...]
    show_pains: bool

    @property
    def has_target(self) -> bool:
        return any(s.target for s in self.series)


BANDS = (
    Band("positive", POSITIVE, SCALE_MAX),
    Band("neutral", NEGATIVE, POSITIVE),
    Band("negative", SCALE_MIN, NEGATIVE),
)


def curve_data(journey: Journey, options: RenderOptions = RenderOptions()) -> CurveData:
    """What the curve shows. With ``options.persona`` only that persona and the touchpoints serving it."""
    personas = journey.curve_personas()
    if options.persona is not None:
        if options.persona not in journey.persona_ids:
            known = ", ".join(journey.persona_ids) or "none"
            raise RenderError(f"no persona '{options.persona}' in this map (personas: {known})")
        personas = [options.persona]
    steps = [s for s in journey.steps if options.persona is None or journey.serves(s, options.persona)]
    position = {step.index: i for i, step in enumerate(steps)}
    touchpoints = tuple(
        TouchpointInfo(i, s.id, s.touchpoint.name, s.stage_index, s.touchpoint.moment_of_truth, tuple(s.touchpoint.pains))
        for i, s in enumerate(steps))
    stages = []
    for stage_index, stage in enumerate(journey.map.stages):
        inside = [i for i, s in enumerate(steps) if s.stage_index == stage_index]
        stages.append(StageSpan(stage.id, stage.name, inside[0] if inside else _next_index(steps, stage_index), len(inside)))
    names = {p.id: p.name for p in journey.personas}
    slots = {pid: i for i, pid in enumerate(journey.curve_personas())}
    series: list[Series] = []
    for persona in personas:
        name = names.get(persona, NO_PERSONA_NAME) if persona else NO_PERSONA_NAME
        as_is, to_be = [], []
        for step, score in journey.curve(persona):
            i = position[step.index]
            label = emotion_label(step.touchpoint.emotion)
            as_is.append(CurvePoint(i, step.id, step.touchpoint.name, score, label))
            target = journey.emotion(step, persona, target=True)
            if target is None:
                to_be.append(CurvePoint(i, step.id, step.touchpoint.name, score, label, planned=False))
            else:
                to_be.append(CurvePoint(i, step.id, step.touchpoint.name, target, emotion_label(step.touchpoint.target_emotion)))
        slot = slots[persona]
        series.append(Series(persona, name, slot, False, tuple(as_is)))
        if any(p.planned for p in to_be):
            series.append(Series(persona, name, slot, True, tuple(to_be)))
    return CurveData(journey.map.id, journey.map.title, options.persona, touchpoints, tuple(stages),
                     tuple(series), BANDS, options.show_pains)


def _next_index(steps: list, stage_index: int) -> int:
    """Where an empty stage sits: before the first touchpoint of a later stage."""
    return next((i for i, s in enumerate(steps) if s.stage_index > stage_index), len(steps))


# --- layout -----------------------------------------------------------------

FONT = 12  # legend and stage names
SMALL = 11  # touchpoint names and the axis
TITLE = 16
LINE = 1.3  # line height, in font sizes
BOLD = 1.08  # bold text is this much wider
MARGIN = 16.0
PAD = 4.0
PLOT_HEIGHT = 240.0
MIN_STEP = 32.0
MIN_WIDTH = 480.0
LABEL_WIDTH = 150.0  # touchpoint names wrap at this width
LABEL_LINES = 2
RING_R = 10.0  # the ring around a point at a moment of truth
STAGE_WIDTH = 180.0  # a stage grows up to this to fit its name, then the name wraps
STAGE_LINES = 3
LEGEND_SYMBOL = 34.0
LEGEND_TEXT = 320.0
LEGEND_ROW = 20.0
MOT_STRIP = 30.0


class Label(NamedTuple):
    """A touchpoint name: lines set at ``angle`` degrees upward, ending at the anchor (x, y)."""

    x: float
    y: float
    angle: float
    lines: tuple[str, ...]
    width: float  # the widest line
    size: float

    @property
    def thickness(self) -> float:
        return len(self.lines) * self.size * LINE

    def line_offsets(self) -> list[float]:
        """Baseline of each line across the text direction, so the block is centred on the anchor."""
        n = len(self.lines)
        return [(k - (n - 1) / 2) * self.size * LINE + 0.35 * self.size for k in range(n)]

    def corners(self) -> list[tuple[float, float]]:
        """The label's box in picture coordinates, for overlap checks."""
        a = math.radians(self.angle)
        ux, uy = math.cos(a), -math.sin(a)  # along the text
        vx, vy = math.sin(a), math.cos(a)  # across it, towards the next line
        half = self.thickness / 2
        return [(self.x + ux * du + vx * dv, self.y + uy * du + vy * dv)
                for du, dv in ((-self.width, -half), (0, -half), (0, half), (-self.width, half))]

    def reach(self) -> tuple[float, float]:
        """How far the box reaches left of and below the anchor."""
        a = math.radians(self.angle)
        half = self.thickness / 2
        return (self.width * math.cos(a) + half * math.sin(a), self.width * math.sin(a) + half * math.cos(a))


class StageBox(NamedTuple):
    x0: float
    x1: float
    lines: tuple[str, ...]


class LegendItem(NamedTuple):
    kind: str  # persona | target | moment | pain
    x: float
    y: float  # the row's centre line
    text: str
    slot: int = 0


class Layout(NamedTuple):
    width: float
    height: float
    title_lines: tuple[str, ...]
    title_top: float
    legend: tuple[LegendItem, ...]
    header_top: float
    header_bottom: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    xs: tuple[float, ...]
    stages: tuple[StageBox, ...]
    labels: tuple[Label, ...]
    axis_outside: bool  # tick values and band names fit left of the plot
    dodge: float  # horizontal offset between personas, so equal scores stay visible

    def y(self, score: float) -> float:
        return self.plot_top + (SCALE_MAX - score) / (SCALE_MAX - SCALE_MIN) * (self.plot_bottom - self.plot_top)

    @property
    def mot_y(self) -> float:
        return self.plot_top - MOT_STRIP * 0.6


def gutter_width() -> float:
    """Room left of the plot for band names and tick values."""
    return max(text_width(b.mood, SMALL) for b in BANDS) + 10 + text_width("+2", SMALL) + 8


class _Columns(NamedTuple):
    """The horizontal half of the layout: where touchpoints and stages sit, how names are set."""

    xs: list[float]
    stage_x: list[tuple[float, float]]
    left: float
    right: float
    angle: float
    names: list[list[str]]


def curve_layout(data: CurveData, *, column_x: list[float] | None = None, width: float | None = None,
                 labels: bool = True) -> Layout:
    """Place everything. ``column_x`` fixes each touchpoint's x (one per ``data.touchpoints``)."""
    if column_x is None:
        cols = _free_columns(data, max(width or 0.0, MIN_WIDTH))
        total = max(cols.right + MARGIN, width or 0.0)
    else:
        cols = _fixed_columns(data, [float(x) for x in column_x])
        total = width if width is not None else cols.right + MARGIN
    stages = tuple(StageBox(x0, x1, tuple(wrap(s.name, max(x1 - x0 - 2 * PAD, FONT), FONT * BOLD, STAGE_LINES)))
                   for s, (x0, x1) in zip(data.stages, cols.stage_x))

    y = MARGIN
    title_lines = tuple(wrap(chart_title(data), total - 2 * MARGIN, TITLE * BOLD, 2))
    y += len(title_lines) * TITLE * LINE + PAD
    legend, rows = _legend(data, total, y)
    y += rows * LEGEND_ROW + PAD
    header_top = y
    y += max((len(s.lines) for s in stages if s.x1 > s.x0), default=1) * FONT * LINE + 2 * PAD
    header_bottom = y
    y += MOT_STRIP if any(t.moment_of_truth for t in data.touchpoints) else PAD
    plot_top, plot_bottom = y, y + PLOT_HEIGHT
    # clear of a ringed point at -2, counting how far a slanted name's far end rises above its anchor
    rise = max((len(lines) * SMALL * LINE / 2 * math.cos(math.radians(cols.angle)) for lines in cols.names), default=0)
    label_top = plot_bottom + RING_R + 4 + rise
    placed = tuple(_label(x, label_top, cols.angle, lines) for x, lines in zip(cols.xs, cols.names)) if labels else ()
    height = max([label_top + label.reach()[1] for label in placed] + [plot_bottom]) + MARGIN

    personas = len({s.persona for s in data.series})
    spacing = min([b - a for a, b in zip(cols.xs, cols.xs[1:])] or [2 * MIN_STEP])
    dodge = min(4.0, spacing / (3 * personas)) if personas > 1 else 0.0
    return Layout(round(total, 2), round(height, 2), title_lines, MARGIN, legend, header_top, header_bottom,
                  cols.left, cols.right, plot_top, plot_bottom, tuple(cols.xs), stages, placed,
                  cols.left >= MARGIN + gutter_width(), dodge)


def _label(x: float, y: float, angle: float, lines: list[str]) -> Label:
    return Label(x, y, angle, tuple(lines), max(text_width(line, SMALL) for line in lines), SMALL)


def chart_title(data: CurveData) -> str:
    if data.persona is not None:
        name = next((s.name for s in data.series if s.persona == data.persona), data.persona)
        return f"{data.title}: emotion curve of {name}"
    return f"{data.title}: emotion curve"


def _free_columns(data: CurveData, min_width: float) -> _Columns:
    """Our own spacing: even steps wide enough for the names, stages wide enough for theirs."""
    names = [wrap(t.name, LABEL_WIDTH, SMALL, LABEL_LINES) for t in data.touchpoints]
    angle = 45.0
    thick = [len(lines) * SMALL * LINE for lines in names]
    # neighbouring names at 45 degrees sit step * sin(45) apart across the text direction
    step = max([MIN_STEP, *(((a + b) / 2 + PAD) / math.sin(math.radians(angle)) for a, b in zip(thick, thick[1:]))])
    widths = [max(max(stage.count, 1) * step, min(text_width(stage.name, FONT * BOLD) + 2 * PAD, STAGE_WIDTH))
              for stage in data.stages] or [MIN_STEP]
    inner = _positions(data, widths)
    # The first names lean left past the plot: start the plot far enough right for them.
    left = MARGIN + gutter_width()
    for offset, lines in zip(inner, names):
        left = max(left, MARGIN + _label(0, 0, angle, lines).reach()[0] - offset)
    room = min_width - left - MARGIN
    if sum(widths) < room:  # a short journey still fills a readable width; names only gain room
        widths = [w * room / sum(widths) for w in widths]
        inner = _positions(data, widths)
    starts = [left + sum(widths[:k]) for k in range(len(widths))]
    stage_x = [(x0, x0 + w) for x0, w in zip(starts, widths)][:len(data.stages)]
    return _Columns([left + x for x in inner], stage_x, left, left + sum(widths), angle, names)


def _positions(data: CurveData, widths: list[float]) -> list[float]:
    """Touchpoint x relative to the plot's left edge: evenly inside their stage."""
    inner = [0.0] * len(data.touchpoints)
    x0 = 0.0
    for stage, w in zip(data.stages, widths):
        for k in range(stage.count):
            inner[stage.first + k] = x0 + (k + 0.5) * w / stage.count
        x0 += w
    return inner


def _fixed_columns(data: CurveData, xs: list[float]) -> _Columns:
    """The caller's columns: names set at 45 degrees if they fit between them, else upright."""
    if len(xs) != len(data.touchpoints):
        raise ValueError(f"column_x has {len(xs)} positions for {len(data.touchpoints)} touchpoints")
    spacing = min([b - a for a, b in zip(xs, xs[1:])] or [2 * MIN_STEP])
    line = SMALL * LINE
    across = spacing * math.sin(math.radians(45)) - PAD
    angle, lines = (45.0, max(1, min(LABEL_LINES, int(across // line)))) if across >= line else (90.0, 1)
    stage_x = _stage_spans(data, xs, spacing)
    left = max(0.0, min([x0 for x0, _ in stage_x] + ([xs[0] - spacing / 2] if xs else [MARGIN])))
    right = max([x1 for _, x1 in stage_x] + ([xs[-1] + spacing / 2] if xs else [left + MIN_WIDTH]))
    names = [wrap(t.name, LABEL_WIDTH, SMALL, lines) for t in data.touchpoints]
    return _Columns(xs, stage_x, left, max(right, left + 1), angle, names)


def _stage_spans(data: CurveData, xs: list[float], spacing: float) -> list[tuple[float, float]]:
    """Stage bands around caller-given columns: boundaries half-way between neighbouring stages."""
    spans = []
    for stage in data.stages:
        if stage.count == 0:
            at = xs[stage.first] - spacing / 2 if stage.first < len(xs) else (xs[-1] + spacing / 2 if xs else 0.0)
            spans.append((at, at))
            continue
        first, last = stage.first, stage.first + stage.count - 1
        x0 = (xs[first - 1] + xs[first]) / 2 if first > 0 else xs[first] - spacing / 2
        x1 = (xs[last] + xs[last + 1]) / 2 if last + 1 < len(xs) else xs[last] + spacing / 2
        spans.append((x0, x1))
    return spans


def _legend(data: CurveData, width: float, top: float) -> tuple[tuple[LegendItem, ...], int]:
    """Legend entries flowed into rows across ``width``, starting at ``top``."""
    entries: list[tuple[str, str, int]] = []
    for s in data.series:
        if not s.target:
            entries.append(("persona", ellipsize(s.name, LEGEND_TEXT, FONT), s.slot))
    if data.has_target:
        entries.append(("target", "to-be (target emotion)", 0))
    if any(t.moment_of_truth for t in data.touchpoints):
        entries.append(("moment", "moment of truth", 0))
    if data.show_pains and any(t.pains for t in data.touchpoints):
        entries.append(("pain", "pain points (count)", 0))
    items, x, row = [], MARGIN, 0
    for kind, text, slot in entries:
        w = LEGEND_SYMBOL + 6 + text_width(text, FONT) + 18
        if x > MARGIN and x + w > width - MARGIN:
            row, x = row + 1, MARGIN
        items.append(LegendItem(kind, x, top + row * LEGEND_ROW + LEGEND_ROW / 2, text, slot))
        x += w
    return tuple(items), (row + 1 if items else 0)


# --- entry points -------------------------------------------------------------

def curve_svg(journey: Journey, options: RenderOptions = RenderOptions(), *, column_x: list[float] | None = None,
              width: float | None = None, labels: bool = True, id_prefix: str | None = None) -> str:
    """The curve as SVG text. ``column_x``/``width`` let a caller line the points up with its own columns."""
    from cjm.render.curve_draw import draw

    data = curve_data(journey, options)
    layout = curve_layout(data, column_x=column_x, width=width, labels=labels)
    return draw(data, layout, _theme(options), id_prefix or _id_prefix(data))


def render(journey: Journey, fmt: str, options: RenderOptions = RenderOptions()) -> bytes:
    if fmt not in FORMATS:
        raise RenderError(f"the curve view writes {', '.join(FORMATS)}, not {fmt}")
    svg = document(curve_svg(journey, options)).encode("utf-8")
    if fmt == "svg":
        return svg
    from cjm.render import convert

    return convert.to_png(svg, options.dpi) if fmt == "png" else convert.to_pdf(svg)


def _theme(options: RenderOptions):
    from cjm.render.theme import THEMES

    try:
        return THEMES[options.theme]
    except KeyError:
        raise RenderError(f"unknown theme '{options.theme}' (themes: {', '.join(THEMES)})") from None


def _id_prefix(data: CurveData) -> str:
    # map and persona ids are slugs, so the prefix is a valid, stable XML id
    return f"cjm-curve-{data.map_id}" + (f"-{data.persona}" if data.persona else "")
