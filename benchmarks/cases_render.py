"""``cjm render --view diagram``: the 30-touchpoint example and a generated 300-touchpoint map, every
format, whole process (Graphviz ``dot`` included); and the diagram's steps in process."""

from __future__ import annotations


from bench import EXAMPLE, ProcessCase, StageCase, load_journey, render_command
from generate import one_map

FORMATS = ("svg", "png", "pdf", "dot")
AIM_MS = {("example", "svg"): 300}


def _build(journey):
    from cjm.render import RenderOptions
    from cjm.render.diagram import build

    return build(journey, RenderOptions()).source


def _layout(source: str) -> bytes:
    from cjm.render.dot import run_dot

    return run_dot(source, "svg", timeout=120)


STAGES = [("read + validate", load_journey), ("build DOT", _build), ("dot -Tsvg", _layout)]

CASES = [
    *[ProcessCase(f"cjm render diagram {fmt}: example (30 touchpoints)", render_command(EXAMPLE, "diagram", fmt),
                  aim_ms=AIM_MS.get(("example", fmt))) for fmt in FORMATS],
    *[ProcessCase(f"cjm render diagram {fmt}: 300 touchpoints", render_command("generated-300.cjm.yaml", "diagram", fmt),
                  setup=one_map(300)) for fmt in FORMATS],
    StageCase("render diagram steps, 30 touchpoints (example)", lambda scratch: EXAMPLE, STAGES),
    StageCase("render diagram steps, 300 touchpoints", one_map(300), STAGES),
]
