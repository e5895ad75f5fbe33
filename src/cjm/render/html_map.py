"""``--view map``: the journey map itself, as one self-contained HTML page (or Markdown, ``md``).

The page is the grid the practice draws: stages across (a column group per stage, one column
per touchpoint, so a stage is as wide as its touchpoints), lanes down (customer goal, touchpoint,
doing, thinking, the emotion curve lined up with the columns, feeling, pain points,
opportunities, moments of truth, metrics, frontstage, backstage, content, evidence); lanes with
nothing in them are left out. Above it: the header facts, objectives and persona cards; below:
the flow diagram and, with ``--with-lint``, the findings, each also marked on the cell it
concerns (the cell whose model path is the longest prefix of the finding's path).

Safety: ``build_page`` collects plain text; the Jinja2 template escapes all of it (autoescape on,
no ``|safe`` on map text). Links pass ``safe_href`` here and again in the template. The only
markup inserted as is are the inline SVG pictures, and only after ``inline_svg`` has re-parsed
them and kept an allow-list of elements and attributes (see there). The page loads nothing from
anywhere: CSS is inline, there is no script, and a Content-Security-Policy meta tag forbids
every other source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from cjm import __version__
from cjm.format.diagnostics import Diagnostic, Path, format_path
from cjm.journey import Journey, Step, emotion_label, mood
from cjm.format.model import Content
from cjm.render import RenderError, RenderOptions
from cjm.render.inline_svg import inline_svg
from cjm.render.mapfacts import check_persona, metric_figures, metric_status, number, review, signed, steps_by_stage
from cjm.render.theme import DARK, THEMES, Theme, emotion_bucket

FORMATS = ("html", "md", "pdf", "png")

COLUMN_PX = 150.0  # the curve's drawing units per touchpoint column; the browser scales it
MAX_COLUMNS = 2000  # past this a grid is no use to a reader and the page grows past 100 MB
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; "
       "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'")


# --- colours -------------------------------------------------------------------

def palette(theme: Theme) -> dict[str, str]:
    """CSS custom properties for one theme: the renderers' theme data plus what only the page needs.

    Every text colour here is paired with the background it sits on in ``TEXT_PAIRS``; a test
    checks each pair for WCAG AA contrast (4.5:1).
    """
    light = theme.name == "light"
    colors = {
        "bg": theme.background,
        "fg": theme.foreground,
        "muted": theme.muted,
        "grid": theme.grid,
        "head-bg": theme.stage_fill,
        "head-border": theme.stage_border,
        "lane-bg": "#f0f0f0" if light else "#2a2a2a",
        "pain-bg": theme.pain_fill,
        "pain-fg": theme.pain_text,
        "link": "#0b57b7" if light else "#8ab4f8",
        "met": "#1b6e2a" if light else "#7fd08b",
        "missed": "#a3122a" if light else "#ff9e8f",
        "stale-bg": "#fde8e8" if light else "#4a2125",
        "stale-fg": "#8a1020" if light else "#ffd7d7",
        "marker-bg": "#fff0c2" if light else "#4d4220",
        "marker-fg": "#5c3d00" if light else "#ffe8a3",
        "error-fg": "#a3122a" if light else "#ff9e8f",
        "mot": theme.moment_of_truth,
        "bar": theme.observed_edge,
    }
    for score in range(-2, 3):
        key = f"m{score}".replace("-", "n")
        colors[f"emo-{key}-bg"] = theme.emotion_fill[score]
        colors[f"emo-{key}-fg"] = theme.emotion_text[score]
    return colors


TEXT_PAIRS = (
    ("fg", "bg"), ("muted", "bg"), ("fg", "head-bg"), ("muted", "head-bg"), ("fg", "lane-bg"),
    ("pain-fg", "pain-bg"), ("link", "bg"), ("met", "bg"), ("missed", "bg"), ("stale-fg", "stale-bg"),
    ("marker-fg", "marker-bg"), ("error-fg", "bg"), ("mot", "bg"),
    *((f"emo-{k}-fg", f"emo-{k}-bg") for k in ("mn2", "mn1", "m0", "m1", "m2")),
)


# --- links -------------------------------------------------------------------------

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_HTTP = re.compile(r"^https?://[^/\\\s]", re.IGNORECASE)
_STRIPPED = "".join(chr(c) for c in range(0x21))  # browsers trim C0 controls and spaces


def safe_href(url: str | None) -> str | None:
    """The URL when it is http(s) or relative, else None. Browsers drop tabs and newlines inside a URL
    and trim controls and spaces around it before reading the scheme, so we judge that form."""
    if not url:
        return None
    seen = re.sub(r"[\t\n\r]", "", url).strip(_STRIPPED)
    if not seen or any(ord(c) < 0x20 or ord(c) == 0x7F for c in seen):
        return None
    if _HTTP.match(seen):
        return url.strip()
    if _SCHEME.match(seen) or seen.startswith(("\\", "/\\")):
        return None
    return url.strip()


# --- page data ---------------------------------------------------------------------

@dataclass
class Marker:
    number: int
    severity: str
    code: str
    message: str


@dataclass
class Target:
    """Anything a finding can be marked on: a cell, a heading, a persona card."""

    anchor: str
    markers: list[Marker] = field(default_factory=list)


@dataclass
class Item:
    text: str
    kind: str = "text"  # text | fact | link | metric | emotion | flag | bar
    label: str | None = None  # a short prefix: "channel", a persona's name
    href: str | None = None
    detail: str | None = None
    state: str | None = None  # metric: met | missed | unknown; emotion: palette key
    symbol: str | None = None  # metric: a check mark or a cross, beside the words
    words: str | None = None  # metric: "target met" / "target missed"
    value: float | None = None  # bar: how full, 0..1 (the text says the figure)


@dataclass
class Cell:
    target: Target
    items: list[Item] = field(default_factory=list)
    span: int = 1
    header: str | None = None  # the touchpoint (or stage) column header ids, for headers=""
    placeholder: bool = False


@dataclass
class Lane:
    key: str
    heading: str
    cells: list[Cell]
    target: Target
    curve: dict | None = None  # {"light": Markup, "dark": Markup} for the emotion curve
    wide: bool = False  # one cell per stage


@dataclass
class Column:
    step: Step | None  # None: a stage without touchpoints (in this view)
    stage_index: int
    target: Target
    anchor: str


@dataclass
class StageHead:
    index: int
    name: str
    kind: str | None
    description: str | None
    span: int
    target: Target
    anchor: str


@dataclass
class Finding:
    number: int
    diagnostic: Diagnostic
    where: str
    anchor: str | None


class Anchors:
    """Model path -> where on the page it is shown; findings go to the longest matching prefix."""

    def __init__(self) -> None:
        self.targets: dict[Path, Target] = {}

    def claim(self, path: Path, anchor: str) -> Target:
        target = self.targets.get(path)
        if target is None:
            target = self.targets[path] = Target(anchor)
        return target

    def share(self, path: Path, target: Target) -> Target:
        self.targets.setdefault(path, target)
        return target

    def place(self, path: Path) -> Target | None:
        for end in range(len(path), -1, -1):
            target = self.targets.get(tuple(path[:end]))
            if target is not None:
                return target
        return None


def short_name(name: str) -> str:
    """``Rosa, repeat buyer`` -> ``Rosa``: the part a cell has room for."""
    head = re.split(r"[,(]", name, maxsplit=1)[0].strip()
    return head or name


# --- building ----------------------------------------------------------------------

def _skeleton(journey: Journey, persona: str | None, anchors: Anchors):
    """What the page shows, without pictures: each part claims its anchors, so findings can be placed."""
    doc = journey.map
    title_target = anchors.claim((), "map-title")
    for key in ("title", "description", "owner", "reviewed", "id", "cjm"):
        anchors.share((key,), title_target)
    names = {p.id: p.name for p in journey.personas}
    short = {pid: short_name(n) for pid, n in names.items()}

    objectives = []
    for i, objective in enumerate(doc.objectives):
        target = anchors.claim(("objectives", i), f"objective-{i}")
        stages = [s.name for s in doc.stages if objective.id in s.objectives]
        objectives.append({"o": objective, "target": target, "stages": stages,
                           "baseline": number(objective.baseline, objective.unit),
                           "target_value": number(objective.target, objective.unit)})

    personas = []
    own = len(doc.personas)
    anchors.claim(("imports",), "personas")
    for i, p in enumerate(journey.personas):
        if persona is not None and p.id != persona:
            continue
        target = anchors.claim(("personas", i), f"persona-{i}") if i < own else anchors.targets[("imports",)]
        personas.append({"p": p, "target": target, "imported": i >= own})

    columns, heads = _columns(journey, persona, anchors)
    lanes = [lane for lane in _lanes(journey, persona, columns, heads, anchors, short) if _has_content(lane)]
    return title_target, objectives, personas, columns, heads, lanes


def findings_on_page(journey: Journey, options: RenderOptions) -> list[Finding]:
    """``options.findings`` as the page numbers them, each with the anchor of what it is about
    (None when the page does not show it): for a front-end that lists them beside the page."""
    check_persona(journey, options.persona)
    anchors = Anchors()
    if len(journey.steps) <= MAX_COLUMNS:  # past it there is no page to point into
        _skeleton(journey, options.persona, anchors)
    return _findings(options.findings, anchors)


def build_page(journey: Journey, options: RenderOptions, *, curve=None, diagram=None, one_scheme: bool = False) -> dict:
    """Everything the template shows, as plain data. ``curve``/``diagram`` draw the pictures
    (defaults: the curve and diagram views); tests pass stand-ins to see what is asked of them."""
    check_persona(journey, options.persona)
    if options.theme not in THEMES:
        raise RenderError(f"unknown theme '{options.theme}' (themes: {', '.join(THEMES)})")
    # "light" (the default) follows the reader's system setting; "dark" is dark everywhere
    schemes = ("light", "dark") if options.theme == "light" and not one_scheme else (options.theme,)  # print: one
    persona = options.persona
    anchors = Anchors()
    title_target, objectives, personas, columns, heads, lanes = _skeleton(journey, persona, anchors)
    doc = journey.map
    if len(columns) > MAX_COLUMNS:
        raise RenderError(f"the journey map page shows at most {MAX_COLUMNS:,} touchpoints and this "
                          f"{'view' if persona else 'map'} has {len(columns):,}; render one persona (--persona), "
                          "split the map, or use --view map --format md")
    emotion_lane = next((i for i, lane in enumerate(lanes) if lane.key == "emotion"), None)
    notes = []
    if emotion_lane is not None:
        draw = curve or _curve
        try:
            curve_pictures = _pictures(schemes, lambda name: draw(journey, replace(options, theme=name), columns, f"{name}-"))
        except RenderError as exc:  # the scores stay in the feeling lane
            notes.append(f"The emotion curve is left out: {exc}")
        else:
            lanes.insert(emotion_lane, Lane("curve", "Emotion curve", [], Target("lane-curve"), curve=curve_pictures))

    evidence = None
    if options.observed is not None:
        from cjm.render import map_evidence

        at = map_evidence.lane_position([lane.key for lane in lanes])
        lanes[at:at] = [lane for lane in map_evidence.lanes(journey, options.observed, columns, heads, options.evidence) if _has_content(lane)]
        evidence = {"summary": map_evidence.summary(options.observed), "provenance": map_evidence.provenance(options.observed)}
        try:  # the observed flow as a Sankey, below the diagram
            evidence["sankey"] = _pictures(schemes, lambda name: _sankey(journey, replace(options, theme=name), f"{name}-fl-"))
        except RenderError as exc:
            notes.append(f"The observed flow is left out: {exc}")

    diagram_pictures, diagram_note = None, None
    try:
        draw = diagram or _diagram
        diagram_pictures = _pictures(schemes, lambda name: draw(journey, replace(options, theme=name), f"{name}-"))
    except RenderError as exc:
        diagram_note = str(exc)

    blueprint_pictures = None
    if has_blueprint(journey):
        try:
            blueprint_pictures = _pictures(schemes, lambda name: _blueprint(journey, replace(options, theme=name), f"{name}-bp-"))
        except RenderError as exc:
            notes.append(f"The service blueprint is left out: {exc}")

    findings = _findings(options.findings, anchors)
    status = review(journey)
    return {
        "csp": CSP,
        "doc": doc,
        "description": [p.strip() for p in re.split(r"\n\s*\n", doc.description or "") if p.strip()],
        "title_target": title_target,
        "review": status,
        "persona": next((p for p in journey.personas if p.id == persona), None),
        "objectives": objectives,
        "personas": personas,
        "columns": columns,
        "heads": heads,
        "lanes": lanes,
        "notes": notes,
        "evidence": evidence,
        "touchpoint_count": sum(1 for c in columns if c.step is not None),
        "diagram": diagram_pictures,
        "diagram_note": diagram_note,
        "blueprint": blueprint_pictures,
        "findings": findings,
        "with_lint": bool(options.findings) or options.with_lint,
        "palette": {"base": palette(THEMES[schemes[0]]), "dark": palette(DARK) if len(schemes) > 1 else None},
        "version": __version__,
    }


def _pictures(schemes: tuple[str, ...], draw) -> dict:
    """``base``: the picture shown by default; ``dark``: the one for a dark system setting, if any."""
    pictures = {"base": draw(schemes[0]), "dark": None}
    if len(schemes) > 1:
        pictures["dark"] = draw(schemes[1])
    return pictures


def _columns(journey: Journey, persona: str | None, anchors: Anchors) -> tuple[list[Column], list[StageHead]]:
    columns: list[Column] = []
    heads: list[StageHead] = []
    by_stage = steps_by_stage(journey)
    for s, stage in enumerate(journey.map.stages):
        steps = [st for st in by_stage.get(s, []) if persona is None or journey.serves(st, persona)]
        target = anchors.claim(("stages", s), f"stage-{s}")
        for key in ("id", "name", "kind", "description", "objectives", "touchpoints"):
            anchors.share(("stages", s, key), target)
        heads.append(StageHead(s, stage.name, stage.kind.value if stage.kind else None, stage.description,
                               max(1, len(steps)), target, f"stage-{s}"))
        if not steps:
            columns.append(Column(None, s, target, f"stage-{s}-empty"))
        for step in steps:
            anchor = f"tp-{s}-{step.touchpoint_index}"
            columns.append(Column(step, s, anchors.claim(step.path, anchor), anchor))
    return columns, heads


def _has_content(lane: Lane) -> bool:
    return any(cell.items for cell in lane.cells)


def _stage_lane(key: str, heading: str, heads: list[StageHead], anchors: Anchors, items_of, field_name: str) -> Lane:
    cells = []
    for head in heads:
        target = anchors.claim(("stages", head.index, field_name), f"{key}-{head.index}")
        cells.append(Cell(target, items_of(head.index), span=head.span, header=head.anchor))
    return Lane(key, heading, cells, Target(f"lane-{key}"), wide=True)


def _touchpoint_lane(key: str, heading: str, columns: list[Column], anchors: Anchors, items_of,
                     fields: tuple[str, ...]) -> Lane:
    cells = []
    for col in columns:
        if col.step is None:
            cells.append(Cell(Target(f"{key}-{col.anchor}"), [], header=f"stage-{col.stage_index}", placeholder=True))
            continue
        target = anchors.claim(col.step.path + (fields[0],), f"{key}-{col.anchor}")
        for extra in fields[1:]:
            anchors.share(col.step.path + (extra,), target)
        cells.append(Cell(target, items_of(col.step), header=f"{col.anchor} stage-{col.step.stage_index}"))
    return Lane(key, heading, cells, Target(f"lane-{key}"))


def _texts(values: list[str]) -> list[Item]:
    return [Item(v) for v in values]


def _lanes(journey: Journey, persona: str | None, columns: list[Column], heads: list[StageHead],
           anchors: Anchors, short: dict[str, str]) -> list[Lane]:
    stages = journey.map.stages

    def goal(s: int) -> list[Item]:
        return [Item(stages[s].customer_goal)] if stages[s].customer_goal else []

    def touchpoint(step: Step) -> list[Item]:
        tp = step.touchpoint
        items = []
        if tp.channel:
            items.append(Item(tp.channel, "fact", "channel"))
        if tp.medium:
            items.append(Item(tp.medium.value, "fact", "medium"))
        online = journey.is_online(step)
        if online is not None:
            items.append(Item("online" if online else "offline", "fact", "where"))
        if tp.owner:
            items.append(Item(tp.owner, "fact", "owner"))
        if tp.personas is not None and persona is None and len(journey.persona_ids) > 1:
            who = ", ".join(short.get(p, p) for p in tp.personas) or "nobody"
            items.append(Item(who, "fact", "for"))
        return items

    def feeling(step: Step) -> list[Item]:
        who = [persona] if persona else (journey.personas_at(step) if journey.persona_ids else [None])
        items, known = [], False
        for pid in who:
            score = journey.emotion(step, pid)
            if score is None and pid is None:
                score = journey.average_emotion(step)
            target = journey.emotion(step, pid, target=True)
            known = known or score is not None or target is not None
            label = emotion_label(step.touchpoint.emotion)
            words = mood(score) if score is not None else "no score"
            detail = f"target {signed(target)}" if target is not None else None
            state = f"m{emotion_bucket(score)}".replace("-", "n") if score is not None else None
            text = signed(score) if score is not None else "\u2013"
            who_label = short.get(pid) if pid and persona is None and len(journey.persona_ids) > 1 else None
            items.append(Item(text, "emotion", who_label, detail=" \u00b7 ".join(x for x in (label or words, detail) if x),
                              state=state))
        return items if known else []

    def moment(step: Step) -> list[Item]:
        return [Item("Moment of truth", "flag")] if step.touchpoint.moment_of_truth else []

    def metrics(step: Step) -> list[Item]:
        out = []
        for m in step.touchpoint.metrics:
            status = metric_status(m)
            out.append(Item(m.name, "metric", label=m.source, detail=metric_figures(m), state=status.state,
                            symbol=status.symbol, words=status.words))
        return out

    def content(values: Content) -> list[Item]:
        out = []
        for asset in values:
            facts = ", ".join(x for x in (asset.kind, asset.owner) if x)
            out.append(Item(asset.title, "link", href=safe_href(asset.url), detail=facts or None))
        return out

    def evidence(step: Step) -> list[Item]:
        out = []
        for ev in step.touchpoint.evidence:
            facts = [ev.kind.value]
            if ev.n is not None:
                facts.append(f"n = {ev.n}")
            if ev.date:
                facts.append(ev.date.isoformat())
            out.append(Item(ev.source, "link", href=safe_href(ev.url), detail=", ".join(facts)))
        return out

    def field_list(name: str):
        return lambda step: _texts(getattr(step.touchpoint, name))

    return [
        _stage_lane("customer_goal", "Customer goal", heads, anchors, goal, "customer_goal"),
        _touchpoint_lane("touchpoint", "Touchpoint", columns, anchors, touchpoint,
                         ("channel", "medium", "online", "owner", "personas")),
        _touchpoint_lane("actions", "Doing", columns, anchors, field_list("actions"), ("actions",)),
        _touchpoint_lane("thoughts", "Thinking", columns, anchors, field_list("thoughts"), ("thoughts",)),
        _touchpoint_lane("emotion", "Feeling", columns, anchors, feeling, ("emotion", "target_emotion")),
        _touchpoint_lane("pains", "Pain points", columns, anchors, field_list("pains"), ("pains",)),
        _touchpoint_lane("opportunities", "Opportunities", columns, anchors, field_list("opportunities"), ("opportunities",)),
        _touchpoint_lane("moment_of_truth", "Moments of truth", columns, anchors, moment, ("moment_of_truth",)),
        _touchpoint_lane("metrics", "Metrics", columns, anchors, metrics, ("metrics",)),
        _touchpoint_lane("frontstage", "Frontstage", columns, anchors, field_list("frontstage"), ("frontstage",)),
        _touchpoint_lane("backstage", "Backstage", columns, anchors, field_list("backstage"), ("backstage",)),
        _touchpoint_lane("content", "Content", columns, anchors, lambda st: content(st.touchpoint.content), ("content",)),
        _stage_lane("stage_content", "Stage content", heads, anchors, lambda s: content(stages[s].content), "content"),
        _touchpoint_lane("evidence", "Evidence", columns, anchors, evidence, ("evidence",)),
    ]


def _findings(diagnostics: tuple, anchors: Anchors) -> list[Finding]:
    out = []
    ranked = sorted(diagnostics, key=lambda d: (-d.severity.rank, d.line, d.col, d.code))
    for number_, diag in enumerate(ranked, 1):
        target = anchors.place(tuple(diag.path))
        if target is not None:
            target.markers.append(Marker(number_, diag.severity.value, diag.code, diag.message))
        where = f"{diag.file}:{diag.line}:{diag.col}" + (f" ({format_path(diag.path)})" if diag.path else "")
        out.append(Finding(number_, diag, where, target.anchor if target else None))
    return out


# --- pictures ----------------------------------------------------------------------

def column_positions(columns: list[Column]) -> list[float]:
    """x of each touchpoint column's centre in the curve's units (placeholder columns hold none)."""
    return [(i + 0.5) * COLUMN_PX for i, col in enumerate(columns) if col.step is not None]


def _curve(journey: Journey, options: RenderOptions, columns: list[Column], prefix: str):
    from cjm.render.curve import curve_svg

    svg = curve_svg(journey, options, column_x=column_positions(columns), width=len(columns) * COLUMN_PX,
                    labels=False)
    return inline_svg(svg, prefix)


def _diagram(journey: Journey, options: RenderOptions, prefix: str):
    from cjm.render import diagram

    svg = diagram.render(journey, "svg", options).decode("utf-8")
    title = f"Flow diagram of {journey.map.title}: {len(journey.steps)} touchpoints in {len(journey.map.stages)} stages"
    return inline_svg(svg, prefix, title=title)


def _sankey(journey: Journey, options: RenderOptions, prefix: str):
    from cjm.render.flow import render_svg

    return inline_svg(render_svg(journey, options), prefix, title=f"Observed flow of {journey.map.title}")


BLUEPRINT_FIELDS = ("frontstage", "backstage", "physical_evidence", "support_processes", "fail_points", "wait_time")


def has_blueprint(journey: Journey) -> bool:
    """Whether any touchpoint says what happens behind it: then the page shows the service blueprint."""
    return any(getattr(step.touchpoint, name) for step in journey.steps for name in BLUEPRINT_FIELDS)


def _blueprint(journey: Journey, options: RenderOptions, prefix: str):
    from cjm.render.blueprint import blueprint_svg

    title = f"Service blueprint of {journey.map.title}"
    return inline_svg(blueprint_svg(journey, options), prefix, title=title)


# --- output ------------------------------------------------------------------------

def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("cjm.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["href"] = safe_href
    env.filters["signed"] = signed
    env.filters["number"] = number
    env.filters["bar_width"] = lambda value: f"{max(0.0, min(1.0, float(value))) * 100:.1f}%"
    return env


def html_page(journey: Journey, options: RenderOptions = RenderOptions()) -> str:
    page = build_page(journey, options)
    return _environment().get_template("map.html.j2").render(**page)


def render(journey: Journey, fmt: str, options: RenderOptions) -> bytes:
    if fmt == "md":
        from cjm.render.markdown import report

        return report(journey, options.persona, options.observed).encode("utf-8")
    if fmt in ("pdf", "png"):
        from cjm.render.map_print import render_print

        return render_print(journey, fmt, options)
    if fmt != "html":
        raise RenderError(f"the map view writes {', '.join(FORMATS)}, not {fmt}")
    return html_page(journey, options).encode("utf-8")
