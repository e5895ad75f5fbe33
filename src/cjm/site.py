"""``cjm site``: a static catalog of every map, with each map's pages, as one folder.

``build_site`` reads maps that are already validated (and linted) and returns the
site as ``{relative path: bytes}``; ``cjm.io.replace_folder`` writes it. The index
lists every map (title, owner, personas, stages, last review, lint status, average
emotion, a thumbnail of the curve) and links to its pages, relative links only:

    index.html
    maps/<slug>/map.html       the HTML journey map (``map`` view)
    maps/<slug>/diagram.svg    the flow diagram, when Graphviz ``dot`` is there
    maps/<slug>/curve.svg      the emotion curve
    maps/<slug>/blueprint.svg  the service blueprint, when the map has frontstage, backstage ...

A view that cannot be rendered (no ``dot``, a map without touchpoints) is named on
the index with the reason instead of a link. Invalid maps are listed with their
diagnostics. Map text reaches HTML only through Jinja2's autoescape, and each page
forbids scripts and outside sources with a Content-Security-Policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

from cjm.format.diagnostics import Diagnostic, Severity, count_by_severity, sort_key
from cjm.journey import Journey, mood
from cjm.render import RenderError, RenderOptions, VIEWS, view_module
from cjm.render.theme import THEMES, emotion_bucket
from cjm.format.validate import LoadedMap

SITE_MARKER = ".cjm-site"  # marks a folder as a site cjm wrote, so a rebuild may replace it
INDEX = "index.html"
PAGES = (  # (label, view, format, file name) for each map
    ("Map", "map", "html", "map.html"),
    ("Diagram", "diagram", "svg", "diagram.svg"),
    ("Curve", "curve", "svg", "curve.svg"),
    ("Blueprint", "blueprint", "svg", "blueprint.svg"),
)
REVIEW_RULE = "review-overdue"
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 160, 44, 4
PERSONA_SLOTS = len(THEMES["light"].persona_colors)
# Badge colours per scheme: (background, border, text), each pair AA-contrast.
BADGES = {
    "light": {"error": ("#fddede", "#b2182b", "#67000d"), "warning": ("#fff4cc", "#b08800", "#1a1a1a"),
              "info": ("#e8f0fb", "#4a78b5", "#0b2d5b"), "clean": ("#e6f4ea", "#2e7d32", "#0d3b12")},
    "dark": {"error": ("#4a1518", "#f4a582", "#fddede"), "warning": ("#4d4220", "#d9b43b", "#f5f5f5"),
             "info": ("#1d2f4a", "#7ea6e0", "#e8f0fb"), "clean": ("#1d3a24", "#6fbf73", "#e6f4ea")},
}
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")

Linter = Callable[[LoadedMap], list[Diagnostic]]  # every diagnostic to show for a valid map
Renderer = Callable[[str, Journey, str, RenderOptions], bytes]


def render_view(view: str, journey: Journey, fmt: str, options: RenderOptions) -> bytes:
    if view not in VIEWS:
        raise RenderError(f"this cjm has no '{view}' view")
    return view_module(view).render(journey, fmt, options)


@dataclass(frozen=True)
class PageLink:
    label: str
    href: str | None
    reason: str | None = None  # why there is no page, when href is None


@dataclass(frozen=True)
class Spark:
    """A persona's line in the thumbnail: unbroken runs of ``x,y`` points, and lone points."""

    name: str
    slot: int  # which persona colour of the theme (CSS class ``p<slot>``)
    runs: tuple[str, ...]
    dots: tuple[tuple[float, float], ...]


@dataclass
class Entry:
    """One map on the index."""

    file: str
    slug: str
    valid: bool
    diagnostics: list[Diagnostic]
    title: str = ""
    map_id: str = ""
    owner: str | None = None
    personas: list[tuple[str, int]] = field(default_factory=list)  # name, colour slot of its line
    stages: list[str] = field(default_factory=list)
    touchpoints: int = 0
    reviewed: str | None = None
    review_note: str | None = None  # the review rule's message when the map is due (or undated)
    average: float | None = None
    links: list[PageLink] = field(default_factory=list)
    sparks: list[Spark] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return count_by_severity(self.diagnostics)

    @property
    def status(self) -> str:
        """``invalid``, or the worst lint severity, or ``clean``."""
        if not self.valid:
            return "invalid"
        counts = self.counts
        return next((s.value for s in Severity if counts[s.value]), "clean")

    @property
    def mood(self) -> str:
        return mood(self.average)

    @property
    def average_text(self) -> str:
        return "\u2014" if self.average is None else f"{self.average:+.2f}".replace("-", "\u2212")

    @property
    def bucket(self) -> int | None:
        return None if self.average is None else emotion_bucket(self.average)


@dataclass
class Site:
    files: dict[str, bytes]
    entries: list[Entry]

    @property
    def invalid(self) -> list[Entry]:
        return [e for e in self.entries if not e.valid]


def slugify(file: str) -> str:
    """``journeys/Check Out.cjm.yaml`` -> ``journeys-check-out``."""
    stem = re.sub(r"\.cjm\.ya?ml$", "", file, flags=re.I)
    slug = re.sub(r"[^a-z0-9_]+", "-", stem.lower()).strip("-_")
    return slug or "map"


def unique_slug(file: str, taken: set[str]) -> str:
    """The file's slug, numbered when an earlier file took it; adds it to ``taken``."""
    base = slug = slugify(file)
    n = 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def sparkline(journey: Journey) -> list[Spark]:
    """Each persona's curve, scaled into the thumbnail; a missing emotion breaks the line."""
    steps = journey.steps
    if not steps:
        return []
    span = max(len(steps) - 1, 1)

    def xy(index: int, score: float) -> tuple[float, float]:
        x = SPARK_PAD + (SPARK_WIDTH - 2 * SPARK_PAD) * (index / span if len(steps) > 1 else 0.5)
        y = SPARK_PAD + (SPARK_HEIGHT - 2 * SPARK_PAD) * (2 - score) / 4
        return round(x, 1), round(y, 1)

    names = {p.id: p.name for p in journey.personas}
    sparks: list[Spark] = []
    for slot, persona in enumerate(journey.curve_personas()):
        runs: list[list[tuple[float, float]]] = [[]]
        for step, score in journey.curve(persona):
            if score is None:
                runs.append([])
            else:
                runs[-1].append(xy(step.index, score))
        lines = tuple(" ".join(f"{x:g},{y:g}" for x, y in run) for run in runs if len(run) > 1)
        dots = tuple(run[0] for run in runs if len(run) == 1)
        if lines or dots:
            sparks.append(Spark(names.get(persona or "", "Customer"), slot % PERSONA_SLOTS, lines, dots))
    return sparks


def journey_average(journey: Journey) -> float | None:
    known = [score for score in (journey.average_emotion(s) for s in journey.steps) if score is not None]
    return sum(known) / len(known) if known else None


def entry_for(loaded: LoadedMap, slug: str, findings: list[Diagnostic]) -> tuple[Entry, Journey | None]:
    if loaded.journey is None or not loaded.valid:
        return Entry(loaded.file, slug, False, sorted(loaded.diagnostics, key=sort_key)), None
    m = loaded.journey
    journey = Journey(m, loaded.personas)
    own = {p.id for p in m.personas}
    review = next((d for d in findings if d.name == REVIEW_RULE), None)
    entry = Entry(
        file=loaded.file, slug=slug, valid=True,
        diagnostics=sorted(findings, key=sort_key),
        title=m.title, map_id=m.id, owner=m.owner,
        personas=[(p.name if p.id in own else f"{p.name} (imported)", i % PERSONA_SLOTS)
                  for i, p in enumerate(loaded.personas)],
        stages=[s.name for s in m.stages], touchpoints=len(journey.steps),
        reviewed=m.reviewed.isoformat() if m.reviewed else None,
        review_note=review.message if review else None,
        average=journey_average(journey), sparks=sparkline(journey),
    )
    return entry, journey


def plan(maps: Iterable[LoadedMap]) -> list[tuple[LoadedMap, str]]:
    """Each map with its slug, ordered by file name, so the same maps always give the same site.

    Slugs are the file paths below the folder all maps share: ``journeys/a.cjm.yaml``
    and ``journeys/b/c.cjm.yaml`` become ``a`` and ``b-c``.
    """
    ordered = sorted(maps, key=lambda m: m.file)
    folders = [PurePosixPath(m.file).parent.parts for m in ordered]
    common = 0
    if folders:
        while all(len(f) > common and f[common] == folders[0][common] for f in folders):
            common += 1
    taken: set[str] = set()
    return [(m, unique_slug("/".join(PurePosixPath(m.file).parts[common:]), taken)) for m in ordered]


def build_site(planned: Iterable[tuple[LoadedMap, str]], lint: Linter, *, theme: str = "light",
               render: Renderer = render_view, version: str = "") -> Site:
    """The whole site in memory: index, and each valid map's pages, for maps as :func:`plan` gives them."""
    files: dict[str, bytes] = {}
    entries: list[Entry] = []
    for loaded, slug in planned:
        findings = lint(loaded) if loaded.valid else []
        entry, journey = entry_for(loaded, slug, findings)
        if journey is not None:
            # lint ran: a map page with no findings says so, rather than nothing
            options = RenderOptions(theme=theme, findings=tuple(entry.diagnostics), with_lint=True)
            for label, view, fmt, name in PAGES:
                if view == "blueprint" and not _has_blueprint(journey):
                    continue  # a map that says nothing of what happens behind the touchpoints has none
                href = f"maps/{slug}/{name}"
                try:
                    files[href] = render(view, journey, fmt, options)
                except RenderError as exc:
                    entry.links.append(PageLink(label, None, str(exc)))
                else:
                    entry.links.append(PageLink(label, href))
        entries.append(entry)
    files[INDEX] = index_html(entries, theme=theme, version=version).encode("utf-8")
    files[SITE_MARKER] = b"A catalog of journey maps written by cjm site; cjm site may replace this folder.\n"
    return Site(files, entries)


def _has_blueprint(journey: Journey) -> bool:
    from cjm.render.html_map import has_blueprint

    return has_blueprint(journey)


def index_html(entries: list[Entry], *, theme: str = "light", version: str = "") -> str:
    """The index page; ``light`` also carries the dark colours for readers whose system is dark."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "site_templates"),
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    if theme not in THEMES:
        raise RenderError(f"unknown theme '{theme}' (themes: {', '.join(THEMES)})")
    schemes = [("light", THEMES["light"]), ("dark", THEMES["dark"])] if theme == "light" else [(theme, THEMES[theme])]
    valid = [e for e in entries if e.valid]
    totals = count_by_severity(d for e in valid for d in e.diagnostics)
    return env.get_template("index.html.j2").render(
        entries=valid, invalid=[e for e in entries if not e.valid], totals=totals,
        csp=CSP, version=version, schemes=schemes, badges=BADGES, slots=PERSONA_SLOTS,
        spark=(SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD),
    )
