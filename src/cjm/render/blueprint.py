"""``--view blueprint``: the service blueprint of the journey, drawn as SVG (PNG and PDF converted).

The service blueprint (Shostack 1984; Bitner, Ostrom and Morgan 2008, "Service Blueprinting: A
Practical Technique for Service Innovation") is the journey map's companion: it shows what the
business does to deliver each step the customer takes. Columns are the touchpoints in journey
order, grouped under their stages; lanes, top to bottom:

- physical evidence (``physical_evidence``): what the customer sees, touches or keeps;
- customer actions (``actions``), joined by arrows in journey order;
- the line of interaction;
- frontstage (``frontstage``): what staff and systems do in the customer's view;
- the line of visibility;
- backstage (``backstage``): what they do out of sight;
- the line of internal interaction;
- support processes (``support_processes``): the systems and teams behind them.

Fail points (``fail_points``) are marked with a red F in a circle and wait points
(``wait_time``) with a W, under the touchpoint's name, with the words beside them. A touchpoint
that is a moment of truth has a star and a thick border. Every lane and line is drawn even when
empty, so blueprints of different maps read alike.

A long journey wraps into bands stacked top to bottom (where it cuts: ``blueprint_bands``), so
the picture comes out near 3:2 instead of one row as long as the journey. Each band is a whole
blueprint strip that reads on its own: the stage headers over its columns (a stage cut by the
band boundary is headed again, "(continued)"), the touchpoint heads, the five lanes with their
headings in the gutter and the three lines with their words. A band's lanes are as tall as its
own fullest cell; customer-action arrows join neighbouring columns of the same band only.

Map text reaches the picture only through ``cjm.render.svg`` (escaped on output). Ids are stable
and unique in the document: each band is ``<g class="band" id="band-N">``; the first band's
lanes and lines are ``lane-<key>`` and ``line-<name>``, band N's after it ``lane-<key>-N`` and
``line-<name>-N``; a stage's header is ``stage-<s>``, its continuation in band N
``stage-<s>-N``; ``tp-<n>`` (the n-th touchpoint, 0-based) and ``cell-<lane>-<n>`` are drawn once,
whatever the band.
"""

from __future__ import annotations

from dataclasses import dataclass

from cjm.journey import Journey, Step
from cjm.render import RenderError, RenderOptions
from cjm.render.blueprint_bands import choose
from cjm.render.svg import document, el, marker, text_width, wrap

FORMATS = ("svg", "png", "pdf")

LANES = (
    ("physical_evidence", "Physical evidence"),
    ("actions", "Customer actions"),
    ("frontstage", "Frontstage"),
    ("backstage", "Backstage"),
    ("support_processes", "Support processes"),
)
LINES = (  # (id, words, the lane it sits above, dash pattern)
    ("interaction", "Line of interaction", "frontstage", None),
    ("visibility", "Line of visibility", "backstage", "8 4"),
    ("internal-interaction", "Line of internal interaction", "support_processes", "2 3"),
)
FONT = "Helvetica, Arial, sans-serif"
GUTTER = 150.0
COLUMN = 176.0
GAP = 10.0  # between columns
PAD = 8.0  # inside a card
ITEM_SIZE = 11.5
HEAD_SIZE = 12.5
STAGE_SIZE = 14.0
TITLE_SIZE = 20.0
LINE_H = 1.25
CARD_LINES = 5
LANE_PAD = 12.0
LINE_ZONE = 18.0  # room for a line and its words between two lanes
BAND_GAP = 36.0  # between two bands, a thin rule in the middle
MAX_COLUMNS = 2000
FAIL = "#b2182b"
WAIT = "#8c510a"


@dataclass(frozen=True)
class Column:
    step: Step | None  # None: a stage without touchpoints
    stage_index: int


def columns_of(journey: Journey, persona: str | None) -> list[Column]:
    out: list[Column] = []
    for s, _stage in enumerate(journey.map.stages):
        steps = [st for st in journey.steps_in_stage(s) if persona is None or journey.serves(st, persona)]
        out += [Column(st, s) for st in steps] or [Column(None, s)]
    return out


def render(journey: Journey, fmt: str, options: RenderOptions = RenderOptions()) -> bytes:
    if fmt not in FORMATS:
        raise RenderError(f"the blueprint view writes {', '.join(FORMATS)}, not {fmt}")
    svg = document(blueprint_svg(journey, options)).encode("utf-8")
    if fmt == "svg":
        return svg
    from cjm.render import convert

    return convert.to_png(svg, options.dpi) if fmt == "png" else convert.to_pdf(svg)


@dataclass(frozen=True)
class Measured:
    """What each column says, wrapped, and the height it needs in the head and in each lane."""

    cards: dict[tuple[str, int], list[list[str]]]
    heads: list[list[str]]
    marks: list[list[tuple[str, list[str]]]]
    head_need: list[float]
    lane_need: dict[str, list[float]]


@dataclass(frozen=True)
class Band:
    """One strip of the blueprint: columns ``first`` to ``end`` (exclusive), heights in px."""

    first: int
    end: int
    pieces: list[tuple[int, int, int, list[str]]]  # stage index, first column, end column, label lines
    stage_h: float
    head_h: float
    lane_h: dict[str, float]

    @property
    def height(self) -> float:
        return self.stage_h + 6 + self.head_h + 14 + len(LINES) * LINE_ZONE + sum(self.lane_h.values())

    @property
    def width(self) -> float:
        return _span(self.end - self.first) + GUTTER + 20 if self.end > self.first else GUTTER + 300


def _line(size: float) -> float:
    return size * LINE_H


def _span(count: int) -> float:
    return count * COLUMN + (count - 1) * GAP


def measure(columns: list[Column]) -> Measured:
    inner = COLUMN - 2 * PAD
    cards: dict[tuple[str, int], list[list[str]]] = {}
    for i, col in enumerate(columns):
        for key, _ in LANES:
            items = getattr(col.step.touchpoint, key) if col.step else []
            cards[key, i] = [wrap(item, inner, ITEM_SIZE, CARD_LINES) for item in items]
    heads: list[list[str]] = []
    marks: list[list[tuple[str, list[str]]]] = []
    for col in columns:
        if col.step is None:
            heads.append(["no touchpoints"])
            marks.append([])
            continue
        tp = col.step.touchpoint
        room = inner - (18 if tp.moment_of_truth else 0)  # the star is drawn, not typed: cairo has no font fallback
        heads.append(wrap(f"{col.step.index + 1}. {tp.name}", room, HEAD_SIZE, 3))
        mine = [("F", wrap(f, inner - 22, ITEM_SIZE, 3)) for f in tp.fail_points]
        if tp.wait_time:
            mine.append(("W", wrap(tp.wait_time, inner - 22, ITEM_SIZE, 2)))
        marks.append(mine)
    head_need = [len(h) * _line(HEAD_SIZE) + sum(len(ws) * _line(ITEM_SIZE) + 4 for _, ws in m) + 2 * PAD + 4
                 for h, m in zip(heads, marks)]
    lane_need = {key: [sum(len(c) * _line(ITEM_SIZE) + 2 * PAD + 6 for c in cards[key, i]) for i in range(len(columns))]
                 for key, _ in LANES}
    return Measured(cards, heads, marks, head_need, lane_need)


def band_of(journey: Journey, columns: list[Column], measured: Measured, first: int, end: int) -> Band:
    """The band of columns ``first`` to ``end``: its stage pieces and how tall its rows are."""
    pieces = []
    i = first
    while i < end:
        s, j = columns[i].stage_index, i
        while j < end and columns[j].stage_index == s:
            j += 1
        name = journey.map.stages[s].name
        if i > 0 and columns[i - 1].stage_index == s:
            name += " (continued)"
        pieces.append((s, i, j, wrap(name, _span(j - i) - 2 * PAD, STAGE_SIZE, 2)))
        i = j
    stage_h = max([len(p[3]) for p in pieces] or [1]) * _line(STAGE_SIZE) + 2 * PAD
    head_h = max(measured.head_need[first:end] or [40])
    lane_h = {key: max(44.0, max(measured.lane_need[key][first:end] or [0]) + 2 * LANE_PAD - 6) for key, _ in LANES}
    return Band(first, end, pieces, stage_h, head_h, lane_h)


def blueprint_svg(journey: Journey, options: RenderOptions = RenderOptions()) -> str:
    from cjm.render.theme import THEMES

    theme = THEMES.get(options.theme)
    if theme is None:
        raise RenderError(f"unknown theme '{options.theme}' (themes: {', '.join(THEMES)})")
    persona = options.persona
    if persona is not None and persona not in journey.persona_ids:
        raise RenderError(f"no persona '{persona}' in this map")
    columns = columns_of(journey, persona)
    if len(columns) > MAX_COLUMNS:
        raise RenderError(f"the blueprint draws at most {MAX_COLUMNS:,} touchpoints and this map has {len(columns):,}")
    measured = measure(columns)
    title = journey.map.title

    def layout(ranges: list[tuple[int, int]]) -> tuple[list[Band], list[str], float, float]:
        bands = [band_of(journey, columns, measured, a, b) for a, b in ranges]
        width = max(band.width for band in bands)
        title_lines = wrap(title, max(width - 40, 300), TITLE_SIZE, 2)
        top = 16 + len(title_lines) * _line(TITLE_SIZE) + _line(ITEM_SIZE) + 10
        height = top + sum(band.height for band in bands) + (len(bands) - 1) * BAND_GAP + 36
        return bands, title_lines, width, height

    stages = [c.stage_index for c in columns]
    bands, title_lines, width, height = layout(choose(stages, lambda ranges: layout(ranges)[2:]))

    root = el("svg", {"xmlns": "http://www.w3.org/2000/svg", "width": round(width), "height": round(height),
                      "viewBox": f"0 0 {round(width)} {round(height)}", "font-family": FONT,
                      "class": "cjm-blueprint", "role": "img", "aria-labelledby": "bp-title"})
    root.add(el("title", {"id": "bp-title"}, text=f"Service blueprint of {title}"))
    root.add(el("rect", {"x": 0, "y": 0, "width": round(width), "height": round(height), "fill": theme.background}))
    defs = root.add(el("defs"))
    arrow = defs.add(el("marker", {"id": "bp-arrow", "viewBox": "0 0 10 10", "refX": 9, "refY": 5,
                                    "markerWidth": 7, "markerHeight": 7, "orient": "auto"}))
    arrow.add(el("path", {"d": "M0,0 L10,5 L0,10 z", "fill": theme.muted}))
    ty = 16
    for text in title_lines:
        ty += _line(TITLE_SIZE)
        root.add(el("text", {"x": 20, "y": round(ty - 5, 1), "font-size": TITLE_SIZE, "fill": theme.foreground}, text=text))
    subtitle = "Service blueprint" + (f" \u00b7 {next(p.name for p in journey.personas if p.id == persona)}" if persona else "")
    root.add(el("text", {"x": 20, "y": round(ty + _line(ITEM_SIZE), 1), "font-size": ITEM_SIZE, "fill": theme.muted},
                text=subtitle))
    y = ty + _line(ITEM_SIZE) + 10
    for n, band in enumerate(bands):
        if n:
            rule_y = round(y + BAND_GAP / 2, 1)
            root.add(el("line", {"class": "band-rule", "x1": 10, "y1": rule_y, "x2": round(width - 10), "y2": rule_y,
                                 "stroke": theme.stage_border, "stroke-width": 1}))
            y += BAND_GAP
        group = root.add(el("g", {"class": "band", "id": f"band-{n}"}))
        _draw_band(group, n, band, y, columns, measured, theme)
        y += band.height
    root.add(el("text", {"x": 20, "y": round(height - 14, 1), "font-size": ITEM_SIZE - 1, "fill": theme.muted},
                text="F fail point \u00b7 W wait point \u00b7 star and thick border: moment of truth \u00b7 "
                     "lanes and lines as in Bitner, Ostrom and Morgan (2008)"))
    return root.serialize()


def _draw_band(root, n: int, band: Band, top: float, columns: list[Column], measured: Measured, theme) -> None:
    """One band from ``top`` down: stage headers, touchpoint heads, the five lanes and three lines."""
    suffix = f"-{n}" if n else ""
    right = band.width - 10
    x_of = {i: GUTTER + (i - band.first) * (COLUMN + GAP) for i in range(band.first, band.end)}
    stage_top = top
    head_top = stage_top + band.stage_h + 6
    lane_top: dict[str, float] = {}
    y = head_top + band.head_h + 14
    for key, _ in LANES:
        if key in {ln[2] for ln in LINES}:
            y += LINE_ZONE
        lane_top[key] = y
        y += band.lane_h[key]

    # lanes: a strip across the band, the heading in the gutter
    for k, (key, heading) in enumerate(LANES):
        group = root.add(el("g", {"class": "lane", "id": f"lane-{key}{suffix}"}))
        group.add(el("rect", {"x": 10, "y": round(lane_top[key], 1), "width": round(right - 10),
                              "height": round(band.lane_h[key], 1),
                              "fill": theme.stage_fill if k % 2 == 0 else theme.background, "stroke": "none"}))
        for m, text in enumerate(wrap(heading, GUTTER - 30, HEAD_SIZE, 2)):
            group.add(el("text", {"x": 18, "y": round(lane_top[key] + 22 + m * _line(HEAD_SIZE), 1), "font-size": HEAD_SIZE,
                                  "font-weight": "bold", "fill": theme.foreground}, text=text))
    # the three lines
    for line_id, words, below, dash in LINES:
        ly = lane_top[below] - LINE_ZONE / 2
        group = root.add(el("g", {"class": "blueprint-line", "id": f"line-{line_id}{suffix}"}))
        group.add(el("line", {"x1": 10, "y1": round(ly, 1), "x2": round(right), "y2": round(ly, 1),
                              "stroke": theme.foreground, "stroke-width": 1.5, "stroke-dasharray": dash}))
        tw = text_width(words, ITEM_SIZE - 1)
        group.add(el("rect", {"x": 16, "y": round(ly - 7, 1), "width": round(tw + 8, 1), "height": 14, "fill": theme.background}))
        group.add(el("text", {"x": 20, "y": round(ly + 4, 1), "font-size": ITEM_SIZE - 1, "font-style": "italic",
                              "fill": theme.foreground}, text=words))

    # stages over their columns; a stage cut by a band boundary is headed again, "(continued)"
    for s, first, end, label in band.pieces:
        x0, x1 = x_of[first], x_of[end - 1] + COLUMN
        continued = first > 0 and columns[first - 1].stage_index == s
        group = root.add(el("g", {"class": "stage continued" if continued else "stage",
                                  "id": f"stage-{s}{suffix}" if continued else f"stage-{s}"}))
        group.add(el("rect", {"x": round(x0, 1), "y": round(stage_top, 1), "width": round(x1 - x0, 1),
                              "height": round(band.stage_h, 1),
                              "rx": 5, "fill": theme.stage_fill, "stroke": theme.stage_border}))
        for k, text in enumerate(label):
            group.add(el("text", {"x": round(x0 + PAD, 1), "y": round(stage_top + PAD + (k + 0.8) * _line(STAGE_SIZE), 1),
                                  "font-size": STAGE_SIZE, "font-weight": "bold", "fill": theme.foreground}, text=text))

    # columns: the touchpoint's head (with fail and wait points), then its cards lane by lane
    for i in range(band.first, band.end):
        col, x = columns[i], x_of[i]
        group = root.add(el("g", {"class": "touchpoint" if col.step else "empty-stage",
                                  "id": f"tp-{col.step.index}" if col.step else f"empty-{col.stage_index}"}))
        mot = bool(col.step and col.step.touchpoint.moment_of_truth)
        group.add(el("rect", {"x": round(x, 1), "y": round(head_top, 1), "width": COLUMN, "height": round(band.head_h, 1), "rx": 6,
                              "fill": theme.background, "stroke": theme.moment_of_truth if mot else theme.stage_border,
                              "stroke-width": 3 if mot else 1, "stroke-dasharray": None if col.step else "4 3"}))
        if mot:
            star = marker("star", x + COLUMN - PAD - 6, head_top + PAD + 8, 7, {"fill": theme.moment_of_truth})
            group.add(el("g", {"class": "moment-of-truth"}, star))
        hy = head_top + PAD
        for text in measured.heads[i]:
            hy += _line(HEAD_SIZE)
            group.add(el("text", {"x": round(x + PAD, 1), "y": round(hy - 3, 1), "font-size": HEAD_SIZE,
                                  "font-weight": "bold" if col.step else None,
                                  "fill": theme.foreground if col.step else theme.muted}, text=text))
        hy += 4
        for letter, words in measured.marks[i]:
            colour = FAIL if letter == "F" else WAIT
            kind = "fail-point" if letter == "F" else "wait-point"
            mark = group.add(el("g", {"class": kind}))
            mark.add(el("circle", {"cx": round(x + PAD + 8, 1), "cy": round(hy + 8, 1), "r": 8, "fill": colour}))
            mark.add(el("text", {"x": round(x + PAD + 8, 1), "y": round(hy + 12, 1), "font-size": 11, "font-weight": "bold",
                                 "text-anchor": "middle", "fill": "#ffffff"}, text=letter))
            for k, text in enumerate(words):
                mark.add(el("text", {"x": round(x + PAD + 22, 1), "y": round(hy + 12 + k * _line(ITEM_SIZE), 1),
                                     "font-size": ITEM_SIZE, "fill": colour}, text=text))
            hy += len(words) * _line(ITEM_SIZE) + 4
        for key, _ in LANES:
            cell = group.add(el("g", {"class": "cell", "id": f"cell-{key}-{col.step.index}" if col.step else None}))
            cy = lane_top[key] + LANE_PAD
            for lines in measured.cards[key, i]:
                h = len(lines) * _line(ITEM_SIZE) + 2 * PAD
                cell.add(el("rect", {"x": round(x, 1), "y": round(cy, 1), "width": COLUMN, "height": round(h, 1), "rx": 4,
                                     "fill": _card_fill(key, theme), "stroke": theme.stage_border}))
                for k, text in enumerate(lines):
                    cell.add(el("text", {"x": round(x + PAD, 1), "y": round(cy + PAD + (k + 0.8) * _line(ITEM_SIZE), 1),
                                         "font-size": ITEM_SIZE, "fill": theme.foreground}, text=text))
                cy += h + 6
    # customer actions follow each other: an arrow between neighbouring columns of the band that both have some
    for i in range(band.first, band.end - 1):
        if measured.cards["actions", i] and measured.cards["actions", i + 1]:
            ay = lane_top["actions"] + LANE_PAD + 14
            root.add(el("line", {"class": "action-flow", "x1": round(x_of[i] + COLUMN, 1), "y1": round(ay, 1),
                                 "x2": round(x_of[i + 1] - 1, 1), "y2": round(ay, 1), "stroke": theme.muted,
                                 "stroke-width": 1.2, "marker-end": "url(#bp-arrow)"}))


def _card_fill(key: str, theme) -> str:
    light = theme.name == "light"
    fills = {
        "physical_evidence": ("#f2f0f7", "#2e2a38"),
        "actions": ("#deebf7", "#1f3a4d"),
        "frontstage": ("#e5f5e0", "#1f3d24"),
        "backstage": ("#fff4cc", "#4d4220"),
        "support_processes": ("#f0f0f0", "#2b2b2b"),
    }
    return fills[key][0 if light else 1]
