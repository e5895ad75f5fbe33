"""The pictures that read at any size: the diagram's columns layout, the service blueprint and the
journey map page as PDF and PNG (printed by Chromium), whole process, for the 30-touchpoint
example and a generated 300-touchpoint map. Aim: the example's PDF in under 2 s."""

from __future__ import annotations

from bench import EXAMPLE, ProcessCase, render_command
from generate import one_map

BIG = "generated-300.cjm.yaml"

CASES = [
    ProcessCase("cjm render diagram svg (columns): example (30 touchpoints)", render_command(EXAMPLE, "diagram", "svg")),
    ProcessCase("cjm render diagram svg (line): example (30 touchpoints)",
                render_command(EXAMPLE, "diagram", "svg", "--layout", "line")),
    ProcessCase("cjm render diagram svg (columns): 300 touchpoints", render_command(BIG, "diagram", "svg"),
                setup=one_map(300)),
    ProcessCase("cjm render blueprint svg: example (30 touchpoints)", render_command(EXAMPLE, "blueprint", "svg")),
    ProcessCase("cjm render blueprint pdf: example (30 touchpoints)", render_command(EXAMPLE, "blueprint", "pdf")),
    ProcessCase("cjm render blueprint svg: 300 touchpoints", render_command(BIG, "blueprint", "svg"), setup=one_map(300)),
    ProcessCase("cjm render map pdf (a4): example (30 touchpoints)", render_command(EXAMPLE, "map", "pdf"), aim_ms=2000),
    ProcessCase("cjm render map pdf (poster): example (30 touchpoints)",
                render_command(EXAMPLE, "map", "pdf", "--paper", "poster")),
    ProcessCase("cjm render map png (a4): example (30 touchpoints)", render_command(EXAMPLE, "map", "png")),
    ProcessCase("cjm render map pdf (a4): 300 touchpoints", render_command(BIG, "map", "pdf"), setup=one_map(300)),
]
