"""``cjm render --view diagram``: the 30-touchpoint example and a generated 300-touchpoint map, every
format, whole process (Graphviz ``dot`` included); and the diagram's steps in process."""

from __future__ import annotations

from pathlib import Path

from bench import REPO, ProcessCase, StageCase, cjm
from generate import make_map

EXAMPLE = REPO / "examples" / "online-shop-checkout.cjm.yaml"
FORMATS = ("svg", "png", "pdf", "dot")
AIM_MS = {("example", "svg"): 300}


def _write(touchpoints: int):
    def setup(scratch: Path) -> Path:
        path = scratch / f"generated-{touchpoints}.cjm.yaml"
        if not path.exists():
            path.write_text(make_map(touchpoints), encoding="utf-8")
        return path
    return setup


def _render(source: Path | str, fmt: str):
    return lambda scratch: cjm("render", str(source), "--view", "diagram", "-f", fmt, "-o", f"out.{fmt}")


def _load(path: Path):
    from cjm.journey import Journey
    from cjm.validate import read_map

    loaded = read_map(path)
    assert loaded.valid, loaded.diagnostics
    return Journey(loaded.journey, loaded.personas)


def _build(journey):
    from cjm.render import RenderOptions
    from cjm.render.diagram import build

    return build(journey, RenderOptions()).source


def _layout(source: str) -> bytes:
    from cjm.render.dot import run_dot

    return run_dot(source, "svg", timeout=120)


STAGES = [("read + validate", _load), ("build DOT", _build), ("dot -Tsvg", _layout)]

CASES = [
    *[ProcessCase(f"cjm render diagram {fmt}: example (30 touchpoints)", _render(EXAMPLE, fmt),
                  aim_ms=AIM_MS.get(("example", fmt))) for fmt in FORMATS],
    *[ProcessCase(f"cjm render diagram {fmt}: 300 touchpoints", _render("generated-300.cjm.yaml", fmt),
                  setup=_write(300)) for fmt in FORMATS],
    StageCase("render diagram steps, 30 touchpoints (example)", lambda scratch: EXAMPLE, STAGES),
    StageCase("render diagram steps, 300 touchpoints", _write(300), STAGES),
]
