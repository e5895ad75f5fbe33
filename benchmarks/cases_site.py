"""``cjm site``: the catalog of the examples and of 20 generated maps, whole process (lint, every
page, Graphviz ``dot`` for each diagram, the folder swap); and the site's steps in process."""

from __future__ import annotations

from pathlib import Path

from bench import REPO, ProcessCase, StageCase, cjm
from generate import write_maps

EXAMPLES = REPO / "examples"
GENERATED_MAPS, GENERATED_TOUCHPOINTS = 20, 30


def _generated(scratch: Path) -> Path:
    folder = scratch / "site-maps"
    if not folder.is_dir():
        write_maps(folder, GENERATED_MAPS, GENERATED_TOUCHPOINTS)
    return folder


def _site(source: Path | str, out: str):
    return lambda scratch: cjm("site", str(source), "-o", out)


def _prepare_examples(scratch: Path):
    from cjm.project import discover_maps

    return scratch, discover_maps([EXAMPLES])


def _prepare_generated(scratch: Path):
    from cjm.project import discover_maps

    return scratch, discover_maps([_generated(scratch)])


def _read(state):
    from cjm.format.validate import read_map

    scratch, paths = state
    loaded = [read_map(path) for path in paths]
    assert all(m.valid for m in loaded)
    return scratch, loaded


def _lint(state):
    from cjm.lint.engine import Linter

    scratch, loaded = state
    linter = Linter()
    findings = {id(m): linter.lint_map(m, linter.settings_for(m.path)) for m in loaded}
    return scratch, loaded, findings


def _build(state):
    from cjm.site import build_site, plan

    scratch, loaded, findings = state
    return scratch, build_site(plan(loaded), lambda m: findings[id(m)])


def _write(state):
    from cjm.io import replace_folder

    scratch, site = state
    replace_folder(scratch / "site-stages", site.files)


STAGES = [("read + validate", _read), ("lint", _lint), ("pages + index", _build), ("write folder", _write)]

CASES = [
    ProcessCase("cjm site: examples (4 maps)", _site(EXAMPLES, "site-examples")),
    ProcessCase(f"cjm site: {GENERATED_MAPS} maps of {GENERATED_TOUCHPOINTS} touchpoints",
                _site("site-maps", "site-generated"), setup=_generated),
    StageCase("site steps, examples (4 maps)", _prepare_examples, STAGES),
    StageCase(f"site steps, {GENERATED_MAPS} maps of {GENERATED_TOUCHPOINTS} touchpoints", _prepare_generated, STAGES),
]
