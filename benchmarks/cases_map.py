"""``cjm render --view map`` (HTML and Markdown), ``--view journey`` and ``cjm import mermaid``: the
30-touchpoint example and a generated 300-touchpoint map, whole process (the HTML embeds the curve
and the Graphviz diagram, so ``dot`` runs too); and the HTML page's steps in process."""

from __future__ import annotations

from pathlib import Path

from bench import REPO, ProcessCase, StageCase, cjm
from generate import make_map

EXAMPLE = REPO / "examples" / "online-shop-checkout.cjm.yaml"
AIM_HTML_EXAMPLE_MS = 1500


def _write(touchpoints: int):
    def setup(scratch: Path) -> Path:
        path = scratch / f"generated-{touchpoints}.cjm.yaml"
        if not path.exists():
            path.write_text(make_map(touchpoints), encoding="utf-8")
        return path
    return setup


def _mermaid_of(source):
    """Set-up for the import cases: the map ``source(scratch)`` exported as Mermaid, once."""
    def setup(scratch: Path) -> None:
        from cjm.journey import Journey
        from cjm.render.mermaid import journey_source
        from cjm.validate import read_map

        target = scratch / "journey.mmd"
        if not target.exists():
            loaded = read_map(source(scratch))
            target.write_text(journey_source(Journey(loaded.journey, loaded.personas)), encoding="utf-8")
    return setup


def _render(source: Path | str, view: str, fmt: str, *extra: str):
    return lambda scratch: cjm("render", str(source), "--view", view, "-f", fmt, "-o", f"out.{fmt}", *extra)


def _import(scratch: Path) -> list[str]:
    return cjm("import", "mermaid", "journey.mmd", "-o", "imported.cjm.yaml", "--force")


def _load(path: Path):
    from cjm.journey import Journey
    from cjm.validate import read_map

    loaded = read_map(path)
    assert loaded.valid, loaded.diagnostics
    return Journey(loaded.journey, loaded.personas)


def _page(journey):
    from cjm.render import RenderOptions
    from cjm.render.html_map import build_page

    return journey, build_page(journey, RenderOptions())


def _template(built):
    from cjm.render.html_map import _environment

    journey, page = built
    return _environment().get_template("map.html.j2").render(**page)


STAGES = [("read + validate", _load), ("page data + curve + diagram", _page), ("template", _template)]
GENERATED = "generated-300.cjm.yaml"

CASES = [
    ProcessCase("cjm render map html: example (30 touchpoints)", _render(EXAMPLE, "map", "html"),
                aim_ms=AIM_HTML_EXAMPLE_MS),
    ProcessCase("cjm render map html --with-lint: example (30 touchpoints)",
                _render(EXAMPLE, "map", "html", "--with-lint")),
    ProcessCase("cjm render map html: 300 touchpoints", _render(GENERATED, "map", "html"), setup=_write(300)),
    ProcessCase("cjm render map md: example (30 touchpoints)", _render(EXAMPLE, "map", "md")),
    ProcessCase("cjm render map md: 300 touchpoints", _render(GENERATED, "map", "md"), setup=_write(300)),
    ProcessCase("cjm render journey mermaid: 300 touchpoints", _render(GENERATED, "journey", "mermaid"),
                setup=_write(300)),
    ProcessCase("cjm import mermaid: example (30 touchpoints)", _import, setup=_mermaid_of(lambda scratch: EXAMPLE)),
    ProcessCase("cjm import mermaid: 300 touchpoints", _import, setup=_mermaid_of(_write(300))),
    StageCase("render map html steps, 30 touchpoints (example)", lambda scratch: EXAMPLE, STAGES),
    StageCase("render map html steps, 300 touchpoints", _write(300), STAGES),
]
