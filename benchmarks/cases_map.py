"""``cjm render --view map`` (HTML and Markdown), ``--view journey`` and ``cjm import mermaid``: the
30-touchpoint example and a generated 300-touchpoint map, whole process (the HTML embeds the curve
and the Graphviz diagram, so ``dot`` runs too); and the HTML page's steps in process."""

from __future__ import annotations

from pathlib import Path

from bench import EXAMPLE, ProcessCase, StageCase, cjm, load_journey, render_command
from generate import one_map

AIM_HTML_EXAMPLE_MS = 1500


def _mermaid_of(source):
    """Set-up for the import cases: the map ``source(scratch)`` exported as Mermaid, once."""
    def setup(scratch: Path) -> None:
        from cjm.journey import Journey
        from cjm.render.mermaid import journey_source
        from cjm.format.validate import read_map

        target = scratch / "journey.mmd"
        if not target.exists():
            loaded = read_map(source(scratch))
            target.write_text(journey_source(Journey(loaded.journey, loaded.personas)), encoding="utf-8")
    return setup


def _import(scratch: Path) -> list[str]:
    return cjm("import", "mermaid", "journey.mmd", "-o", "imported.cjm.yaml", "--force")


def _page(journey):
    from cjm.render import RenderOptions
    from cjm.render.html_map import build_page

    return journey, build_page(journey, RenderOptions())


def _template(built):
    from cjm.render.html_map import _environment

    journey, page = built
    return _environment().get_template("map.html.j2").render(**page)


STAGES = [("read + validate", load_journey), ("page data + curve + diagram", _page), ("template", _template)]
GENERATED = "generated-300.cjm.yaml"

CASES = [
    ProcessCase("cjm render map html: example (30 touchpoints)", render_command(EXAMPLE, "map", "html"),
                aim_ms=AIM_HTML_EXAMPLE_MS),
    ProcessCase("cjm render map html --with-lint: example (30 touchpoints)",
                render_command(EXAMPLE, "map", "html", "--with-lint")),
    ProcessCase("cjm render map html: 300 touchpoints", render_command(GENERATED, "map", "html"), setup=one_map(300)),
    ProcessCase("cjm render map md: example (30 touchpoints)", render_command(EXAMPLE, "map", "md")),
    ProcessCase("cjm render map md: 300 touchpoints", render_command(GENERATED, "map", "md"), setup=one_map(300)),
    ProcessCase("cjm render journey mermaid: 300 touchpoints", render_command(GENERATED, "journey", "mermaid"),
                setup=one_map(300)),
    ProcessCase("cjm import mermaid: example (30 touchpoints)", _import, setup=_mermaid_of(lambda scratch: EXAMPLE)),
    ProcessCase("cjm import mermaid: 300 touchpoints", _import, setup=_mermaid_of(one_map(300))),
    StageCase("render map html steps, 30 touchpoints (example)", lambda scratch: EXAMPLE, STAGES),
    StageCase("render map html steps, 300 touchpoints", one_map(300), STAGES),
]
