"""``cjm validate``: one map, 1,000 maps, and the steps of validating maps of 30 to 3,000 touchpoints."""

from __future__ import annotations

import sys
from pathlib import Path

from bench import EXAMPLE, ProcessCase, StageCase, cjm
from generate import many_maps, one_map

MANY_MAPS = 1000
TOUCHPOINTS_EACH = 30


def _read(path: Path) -> tuple[Path, bytes]:
    return path, path.read_bytes()


def _parse(read: tuple[Path, bytes]):
    from cjm.format.load import parse_text

    path, raw = read
    parsed = parse_text(raw, path.name)
    assert parsed.ok, parsed.diagnostics
    return parsed


def _model(parsed):
    from cjm.format.model import JourneyMap

    return parsed, JourneyMap.model_validate(parsed.data)


def _check(modelled):
    from cjm.format.check import check_data

    parsed, _ = modelled
    problems = check_data(parsed.data, [], parsed.source, parsed.file)
    assert problems == [], problems
    return problems


STAGES = [("read", _read), ("parse", _parse), ("model", _model), ("check", _check)]

# What any cjm command pays before doing anything: the interpreter, typer (which builds pydantic
# adapters for command options) and PyYAML.
FLOOR = "import typer, typer._adapters, pydantic, yaml"

CASES = [
    ProcessCase("floor: python -c 'import typer, pydantic, yaml'", lambda scratch: [sys.executable, "-c", FLOOR]),
    ProcessCase("cjm --version", lambda scratch: cjm("--version")),
    ProcessCase("cjm validate: 1 map (example, 30 touchpoints)",
                lambda scratch: cjm("validate", str(EXAMPLE)), aim_ms=150),
    ProcessCase(f"cjm validate: {MANY_MAPS:,} maps of {TOUCHPOINTS_EACH} touchpoints",
                lambda scratch: cjm("validate", "maps"), setup=many_maps(MANY_MAPS, TOUCHPOINTS_EACH), aim_ms=5000),
    ProcessCase(f"cjm validate -j 1: {MANY_MAPS:,} maps, no worker processes",
                lambda scratch: cjm("validate", "-j", "1", "maps"), setup=many_maps(MANY_MAPS, TOUCHPOINTS_EACH)),
    StageCase("validate steps, 30 touchpoints", one_map(30), STAGES, pause_gc=True),
    StageCase("validate steps, 300 touchpoints", one_map(300), STAGES, pause_gc=True),
    StageCase("validate steps, 3,000 touchpoints", one_map(3000), STAGES, pause_gc=True),
]
