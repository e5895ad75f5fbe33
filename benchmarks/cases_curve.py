"""``cjm render --view curve``: the 30-touchpoint example and a generated 300-touchpoint map, svg,
png and pdf, whole process; and the curve's steps in process (data, layout, SVG, conversion)."""

from __future__ import annotations


from bench import EXAMPLE, ProcessCase, StageCase, load_journey, render_command
from generate import one_map

GENERATED = "generated-300.cjm.yaml"
FORMATS = ("svg", "png", "pdf")
AIM_MS = {("example", "svg"): 200}


def _data(journey):
    from cjm.render import RenderOptions
    from cjm.render.curve import curve_data

    return curve_data(journey, RenderOptions())


def _layout(data):
    from cjm.render.curve import curve_layout

    return data, curve_layout(data)


def _svg(placed) -> bytes:
    from cjm.render.curve_draw import draw
    from cjm.render.svg import document
    from cjm.render.theme import LIGHT

    data, layout = placed
    return document(draw(data, layout, LIGHT, "bench")).encode("utf-8")


def _png(svg: bytes) -> bytes:
    from cjm.render.convert import to_png

    to_png(svg, 96)
    return svg


def _pdf(svg: bytes) -> bytes:
    from cjm.render.convert import to_pdf

    return to_pdf(svg)


STAGES = [("read + validate", load_journey), ("curve data", _data), ("layout", _layout), ("SVG", _svg),
          ("SVG -> PNG", _png), ("SVG -> PDF", _pdf)]

CASES = [
    *[ProcessCase(f"cjm render curve {fmt}: example (30 touchpoints)", render_command(EXAMPLE, "curve", fmt),
                  aim_ms=AIM_MS.get(("example", fmt))) for fmt in FORMATS],
    *[ProcessCase(f"cjm render curve {fmt}: 300 touchpoints", render_command(GENERATED, "curve", fmt), setup=one_map(300))
      for fmt in FORMATS],
    StageCase("render curve steps, 30 touchpoints (example)", lambda scratch: EXAMPLE, STAGES),
    StageCase("render curve steps, 300 touchpoints", one_map(300), STAGES),
]
