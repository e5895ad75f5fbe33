"""``cjm lint`` beside ``cjm validate`` on the same files: 1,000 maps and one 3,000-touchpoint map.

Lint validates each map first, then runs the rules, so the pair of cases in each size shows what
the rules add (the aim: at most half again over validate's time).
"""

from __future__ import annotations

from pathlib import Path

from bench import ProcessCase, cjm
from generate import make_map, write_maps

MANY_MAPS = 1000
TOUCHPOINTS_EACH = 30
BIG = 3000


def _write_many(scratch: Path) -> None:
    folder = scratch / "maps"
    if len(list(folder.glob("*.cjm.yaml"))) != MANY_MAPS:
        write_maps(folder, MANY_MAPS, TOUCHPOINTS_EACH)


def _write_big(scratch: Path) -> None:
    path = scratch / f"generated-{BIG}.cjm.yaml"
    if not path.exists():
        path.write_text(make_map(BIG), encoding="utf-8")


BIG_FILE = f"generated-{BIG}.cjm.yaml"
FINDINGS_OK = (0, 1)  # generated maps have gaps the linter reports; both exits are a finished run

CASES = [
    ProcessCase(f"pair 1,000 maps: cjm validate ({TOUCHPOINTS_EACH} touchpoints each)",
                lambda scratch: cjm("validate", "maps"), setup=_write_many),
    ProcessCase(f"pair 1,000 maps: cjm lint ({TOUCHPOINTS_EACH} touchpoints each)",
                lambda scratch: cjm("lint", "--format", "concise", "maps"), setup=_write_many,
                expect_exit=FINDINGS_OK),
    ProcessCase(f"pair {BIG:,} touchpoints: cjm validate, one map",
                lambda scratch: cjm("validate", BIG_FILE), setup=_write_big),
    ProcessCase(f"pair {BIG:,} touchpoints: cjm lint, one map",
                lambda scratch: cjm("lint", "--format", "concise", BIG_FILE), setup=_write_big,
                expect_exit=FINDINGS_OK),
]
