"""The in-memory workspace: results cached by content hash, dependencies tracked per map, an
editor's buffers read instead of the files, and the same answers as the batch commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from cjm.format.validate import read_map
from cjm.lint.engine import lint_findings
from cjm.workspace import NotValid, Workspace

PERSONAS = """cjm: 1
id: shared
title: Shared personas
personas:
  - id: walter
    name: Walter
"""


def map_text(map_id: str, imports: bool, persona: str = "walter") -> str:
    head = "imports: [personas.cjm.yaml]\n" if imports else "personas:\n  - id: walter\n    name: Walter\n"
    return f"""cjm: 1
id: {map_id}
title: Map {map_id}
owner: Team
{head}stages:
  - id: s1
    name: Start
    touchpoints:
      - id: t1
        name: Visit
        personas: [{persona}]
        emotion: 1
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "cjm.toml").write_text("[lint]\n")
    (tmp_path / "personas.cjm.yaml").write_text(PERSONAS)
    (tmp_path / "a.cjm.yaml").write_text(map_text("a", imports=True))
    (tmp_path / "b.cjm.yaml").write_text(map_text("b", imports=True))
    (tmp_path / "c.cjm.yaml").write_text(map_text("c", imports=False))
    return tmp_path


def test_results_are_the_batch_commands_results(project, monkeypatch):
    monkeypatch.chdir(project)
    ws = Workspace()
    for name in ("a", "c"):
        path = project / f"{name}.cjm.yaml"
        assert ws.loaded(path).diagnostics == read_map(path).diagnostics
        assert list(ws.findings(path).diagnostics) == lint_findings(read_map(path))


def test_a_second_look_is_a_cache_hit_and_an_unchanged_save_costs_no_check(project):
    ws = Workspace()
    path = project / "a.cjm.yaml"
    first = ws.loaded(path)
    assert ws.loaded(path) is first
    path.write_text(path.read_text())  # saved again, same bytes
    assert ws.changed([path]) == {path}
    assert ws.loaded(path) is first
    assert ws.stats["validate"] == 1 and ws.stats["hit"] == 2
    path.write_text(path.read_text().replace("Map a", "Map A"))
    ws.changed([path])
    assert ws.loaded(path).journey.title == "Map A"
    assert ws.stats["validate"] == 2


def test_a_personas_file_change_rechecks_exactly_the_maps_that_import_it(project):
    ws = Workspace()
    maps = {name: project / f"{name}.cjm.yaml" for name in "abc"}
    for path in maps.values():
        assert ws.loaded(path).valid
    personas = project / "personas.cjm.yaml"
    assert ws.dependents(personas) == {maps["a"], maps["b"]}
    personas.write_text(PERSONAS.replace("Walter", "Walt"))
    affected = ws.changed([personas])
    assert {maps["a"], maps["b"]} <= affected and maps["c"] not in affected
    before = ws.stats["validate"]
    for path in maps.values():
        ws.loaded(path)
    assert ws.stats["validate"] - before == 2  # a and b; c is a cache hit
    assert [p.name for p in ws.loaded(maps["a"]).personas] == ["Walt"]


def test_a_missing_import_that_appears_rechecks_the_map(tmp_path):
    (tmp_path / "cjm.toml").write_text("[lint]\n")
    path = tmp_path / "a.cjm.yaml"
    path.write_text(map_text("a", imports=True))
    ws = Workspace()
    assert not ws.loaded(path).valid
    personas = tmp_path / "personas.cjm.yaml"
    personas.write_text(PERSONAS)
    assert path in ws.changed([personas])
    assert ws.loaded(path).valid


def test_buffers_win_over_the_disk_for_maps_and_imported_files(project):
    ws = Workspace()
    a, personas = project / "a.cjm.yaml", project / "personas.cjm.yaml"
    assert [p.name for p in ws.loaded(a).personas] == ["Walter"]
    assert a in ws.open(personas, PERSONAS.replace("name: Walter", "name: Buffered Walter"))
    assert [p.name for p in ws.loaded(a).personas] == ["Buffered Walter"]
    ws.open(a, "cjm: 1\nid: [broken\n")
    assert not ws.loaded(a).valid
    assert ws.journey(a) is None
    with pytest.raises(NotValid):
        ws.render(a, "curve", "svg")
    ws.close(a)
    ws.close(personas)
    assert ws.loaded(a).valid and [p.name for p in ws.loaded(a).personas] == ["Walter"]


def test_a_configuration_change_relints_the_maps_below_it(project):
    ws = Workspace()
    a = project / "a.cjm.yaml"
    for name in "bc":
        ws.loaded(project / f"{name}.cjm.yaml")
    before = ws.findings(a).diagnostics
    assert before, "the tiny map has findings under the defaults"
    code = before[0].code
    config = project / "cjm.toml"
    config.write_text(f'[lint]\nignore = ["{code}"]\n')
    assert {project / f"{n}.cjm.yaml" for n in "abc"} <= ws.changed([config])
    assert code not in {d.code for d in ws.findings(a).diagnostics}
    config.write_text("[lint]\nselect = [\n")  # broken: the mistake, not a crash
    ws.changed([config])
    problems = ws.findings(a).problems
    assert problems and "cjm.toml" in problems[0]


def test_renders_are_kept_until_an_input_changes(project):
    ws = Workspace()
    a = project / "a.cjm.yaml"
    first = ws.render(a, "curve", "svg")
    assert ws.render(a, "curve", "svg") is first
    assert ws.stats["render"] == 1
    a.write_text(a.read_text().replace("emotion: 1", "emotion: -1"))
    ws.changed([a])
    assert ws.render(a, "curve", "svg") != first
    assert ws.stats["render"] == 2


def test_an_unreadable_map_is_a_diagnostic(tmp_path):
    ws = Workspace()
    loaded = ws.loaded(tmp_path / "gone.cjm.yaml")
    assert not loaded.valid and loaded.diagnostics[0].code == "CJM000"


def test_the_observed_file_is_a_dependency_of_its_map_only(tmp_path):
    import shutil

    root = Path(__file__).resolve().parent.parent / "examples"
    for name in ("ecom-shop.cjm.yaml", "ecom-shop.observed.json", "online-shop-checkout.cjm.yaml"):
        shutil.copy(root / name, tmp_path / name)
    (tmp_path / "cjm.toml").write_text("[lint]\n")
    observed = tmp_path / "ecom-shop.observed.json"
    ws = Workspace(observed=observed)
    shop, other = tmp_path / "ecom-shop.cjm.yaml", tmp_path / "online-shop-checkout.cjm.yaml"
    assert ws.observed_for(ws.loaded(shop)) is not None
    assert ws.observed_for(ws.loaded(other)) is None
    first = ws.render(shop, "map", "html")
    observed.write_text(observed.read_text().replace('"users": 600', '"users": 987654', 1))
    assert ws.changed([observed]) == {shop}
    assert b"987,654 users" in ws.render(shop, "map", "html") != first
    observed.write_text("{ not json")
    ws.changed([observed])
    assert not ws.observed_file().ok and ws.observed_for(ws.loaded(shop)) is None
