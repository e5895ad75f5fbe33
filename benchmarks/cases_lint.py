"""``cjm lint`` beside ``cjm validate`` on the same files: 1,000 maps and one 3,000-touchpoint map.

Lint validates each map first, then runs the rules, so the pair of cases in each size shows what
the rules add (the aim: at most half again over validate's time).
"""

from __future__ import annotations

from bench import ProcessCase, cjm
from generate import many_maps, one_map

MANY_MAPS = 1000
TOUCHPOINTS_EACH = 30
BIG = 3000


BIG_FILE = f"generated-{BIG}.cjm.yaml"
FINDINGS_OK = (0, 1)  # generated maps have gaps the linter reports; both exits are a finished run

CASES = [
    ProcessCase(f"pair 1,000 maps: cjm validate ({TOUCHPOINTS_EACH} touchpoints each)",
                lambda scratch: cjm("validate", "maps"), setup=many_maps(MANY_MAPS, TOUCHPOINTS_EACH)),
    ProcessCase(f"pair 1,000 maps: cjm lint ({TOUCHPOINTS_EACH} touchpoints each)",
                lambda scratch: cjm("lint", "--format", "concise", "maps"), setup=many_maps(MANY_MAPS, TOUCHPOINTS_EACH),
                expect_exit=FINDINGS_OK),
    ProcessCase(f"pair {BIG:,} touchpoints: cjm validate, one map",
                lambda scratch: cjm("validate", BIG_FILE), setup=one_map(BIG)),
    ProcessCase(f"pair {BIG:,} touchpoints: cjm lint, one map",
                lambda scratch: cjm("lint", "--format", "concise", BIG_FILE), setup=one_map(BIG),
                expect_exit=FINDINGS_OK),
]
