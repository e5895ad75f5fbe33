"""``cjm import mermaid``: Mermaid journey syntax -> a map that validates; errors at file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cjm.cli import app
from cjm.importers.mermaid import CODE, import_bytes
from cjm.journey import Journey
from cjm.render.mermaid import from_mermaid_score, journey_source, to_mermaid_score
from cjm.format.validate import read_map, validate_bytes
from hostile_maps import HOSTILE, load_journey

EXAMPLES = sorted(Path(__file__).resolve().parent.parent.joinpath("examples").glob("*.cjm.yaml"))

DOCS_EXAMPLE = """journey
    title My working day
    section Go to work
      Make tea: 5: Me
      Go upstairs: 3: Me
      Do work: 1: Me, Cat
    section Go home
      Go downstairs: 5: Me
      Sit down: 5: Me
"""


def imported(text: str, name: str = "day.mmd") -> dict:
    """Import ``text``; the result must validate as a map. Returns the map data."""
    result = import_bytes(text.encode("utf-8"), name)
    assert result.ok, [f"{d.line}:{d.col} {d.message}" for d in result.diagnostics]
    loaded = validate_bytes(result.yaml_text.encode("utf-8"), Path("out.cjm.yaml"), "out.cjm.yaml")
    assert loaded.valid, [d.message for d in loaded.diagnostics]
    return yaml.safe_load(result.yaml_text)


def error_of(text: str | bytes) -> tuple[int, int, str]:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    result = import_bytes(raw, "bad.mmd")
    assert result.yaml_text is None and len(result.diagnostics) == 1
    diag = result.diagnostics[0]
    assert diag.code == CODE and diag.file == "bad.mmd"
    return diag.line, diag.col, diag.message


def test_the_mermaid_docs_example_becomes_a_map():
    data = imported(DOCS_EXAMPLE)
    assert data["title"] == "My working day" and data["id"] == "my-working-day"
    assert [p["name"] for p in data["personas"]] == ["Me", "Cat"]
    assert [s["name"] for s in data["stages"]] == ["Go to work", "Go home"]
    work = data["stages"][0]["touchpoints"]
    assert [t["name"] for t in work] == ["Make tea", "Go upstairs", "Do work"]
    assert work[0] == {"id": "make-tea", "name": "Make tea", "personas": ["me"], "emotion": {"me": 2}}
    assert work[2]["emotion"] == {"me": -2, "cat": -2} and "personas" not in work[2]


def test_comments_directives_front_matter_and_accessibility_lines():
    data = imported("""---
title: "From front matter"
config:
  theme: forest
---
%%{init: {"theme": "dark"}}%%
%% a comment line
journey
  accTitle: Accessible title
  accDescr {
    A description
    over two lines
  }
  section Only %% the rest is a comment
    Step one: 4: Ann # so is this
    Step #35;2: 2
""")
    assert data["title"] == "From front matter"
    assert data["description"] == "A description over two lines"
    assert data["stages"][0]["name"] == "Only"
    steps = data["stages"][0]["touchpoints"]
    assert steps[0]["emotion"] == {"ann": 1}
    assert steps[1] == {"id": "step-2", "name": "Step #2", "emotion": -1}


def test_title_and_statements_on_the_journey_line_and_acc_title_as_fallback():
    assert imported("journey title Inline\nsection A\nX: 3")["title"] == "Inline"
    assert imported("journey\naccTitle: Only accessible\naccDescr: Short\n")["title"] == "Only accessible"
    assert imported("journey\nsection A\n", "my_flow.mmd")["title"] == "my_flow"


def test_tasks_before_any_section_get_a_stage():
    data = imported("journey\nWake up: 2\n")
    assert data["stages"][0]["name"] == "Journey"
    assert data["stages"][0]["touchpoints"][0]["emotion"] == -1


def test_ids_are_slugs_unique_across_personas_stages_and_touchpoints():
    data = imported("""journey
section Checkout
  Checkout: 3: Checkout
  Checkout: 3: Checkout
  Checkout page: 4
section Checkout
  Über café — ünïcode: 3
  !!!: 3
""")
    ids = [p["id"] for p in data["personas"]]
    ids += [s["id"] for s in data["stages"]]
    ids += [t["id"] for s in data["stages"] for t in s["touchpoints"]]
    assert len(ids) == len(set(ids))
    assert ids == ["checkout", "checkout-2", "checkout-5", "checkout-3", "checkout-4", "checkout-page",
                   "uber-cafe-unicode", "touchpoint"]


def test_consecutive_lines_of_one_task_with_other_actors_are_one_touchpoint():
    data = imported("""journey
section S
  Pay: 2: Rosa
  Pay: 4: Tom
  Pay: 5: Rosa
  %% cjm: no emotion
  Wrap: 3: Rosa
  Wrap: 1: Tom
""")
    pay1, pay2, wrap = data["stages"][0]["touchpoints"]
    assert pay1["emotion"] == {"rosa": -1, "tom": 1} and "personas" not in pay1
    assert pay2["emotion"] == {"rosa": 2} and pay2["personas"] == ["rosa"]
    assert wrap["emotion"] == {"tom": -2} and "personas" not in wrap


def test_long_ids_are_cut_to_the_slug_limit_and_stay_unique():
    name = "word " * 40
    data = imported(f"journey\nsection S\n{name}: 3\n{name}: 3\n")
    ids = [t["id"] for t in data["stages"][0]["touchpoints"]]
    assert all(len(i) <= 64 for i in ids) and len(set(ids)) == 2


@pytest.mark.parametrize("text, line, col, words", [
    ("flowchart LR\n  A --> B\n", 1, 1, "Mermaid flowchart diagram, not a journey"),
    ("  sequenceDiagram\n", 1, 3, "sequenceDiagram diagram"),
    ("hello\n", 1, 1, "expected 'journey' as the first statement"),
    ("", 1, 1, "no 'journey' line"),
    ("%% only a comment\n", 1, 1, "no 'journey' line"),
    ("journey\nsection A\n  Make tea: five: Me\n", 3, 13, "expected a score from 1 to 5"),
    ("journey\nsection A\n  Make tea: 9: Me\n", 3, 13, "outside 1..5"),
    ("journey\nsection A\n  Make tea: 0\n", 3, 13, "outside 1..5"),
    ("journey\nsection A\n  Make tea\n", 3, 3, "not a journey statement"),
    ("journey\nsection A\n  : 3: Me\n", 3, 3, "needs a name"),
    ("journey\nsection A\n  Tea: 3: Me: You\n", 3, 13, "at most two ':'"),
    ("journey\nsection A\n  Tea: 3: Me,, You\n", 3, 14, "empty actor name"),
    ("journey\nsection A: B\n", 2, 10, "cannot contain ':'"),
    ("journey\nsection\n", 2, 1, "needs a name"),
    ("journey\ntitle\n", 2, 1, "'title' needs the title"),
    ("journey\nsection A\n  Tea; more: 3\n", 3, 6, "';' is not allowed"),
    ("journey\njourney\n", 2, 1, "a second 'journey'"),
    ("journey\naccDescr {\n  never closed\n", 2, 10, "never closed"),
    ("journey\naccTitle\n", 2, 1, "needs ':'"),
    ("journey\nsection A\n  Tea: 3: #0;\n", 3, 11, "not a character a map can hold"),
    ("---\ntitle: x\n", 1, 1, "front matter"),
    ("journey\nsection A\n  T\x01ea: 3\n", 3, 4, "control character U+0001"),
])
def test_what_is_not_journey_syntax_is_an_error_at_line_and_column(text, line, col, words):
    got_line, got_col, message = error_of(text)
    assert words in message
    assert (got_line, got_col) == (line, col)


def test_bytes_that_are_not_utf8_are_an_error_with_a_position():
    assert error_of(b"journey\nsection \xff\n")[:2] == (2, 9)
    assert "UTF-16" in error_of("journey".encode("utf-16"))[2]


def test_names_over_the_map_limit_are_refused():
    assert "a map allows 2,000" in error_of("journey\nsection S\n" + "x" * 2001 + ": 3\n")[2]


def _scores(journey: Journey, step) -> dict[str, float | None]:
    return {p.name: journey.emotion(step, p.id) for p in journey.personas if journey.serves(step, p.id)}


def _roundtrip(journey: Journey) -> Journey:
    result = import_bytes(journey_source(journey).encode("utf-8"), "export.mmd")
    assert result.ok, result.diagnostics
    return load_journey(result.yaml_text.encode("utf-8"), "back.cjm.yaml")


def _assert_same_journey(original: Journey, back: Journey) -> None:
    assert back.map.title == original.map.title
    assert sorted(p.name for p in back.personas) == sorted(p.name for p in original.personas)
    assert [s.name for s in back.map.stages] == [s.name for s in original.map.stages]
    assert [[t.name for t in s.touchpoints] for s in back.map.stages] == \
           [[t.name for t in s.touchpoints] for s in original.map.stages]
    for before, after in zip(original.steps, back.steps):
        if original.persona_ids:
            old, new = _scores(original, before), _scores(back, after)
            assert set(new) == set(old), before.id
            for name, score in old.items():
                expected = None if score is None else from_mermaid_score(to_mermaid_score(score))
                assert new[name] == expected, (before.id, name)
                assert score is None or abs(new[name] - score) <= 0.5
        else:
            score = original.emotion(before, None)
            assert back.emotion(after, None) == (None if score is None else from_mermaid_score(to_mermaid_score(score)))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_export_then_import_gives_back_stages_touchpoints_scores_and_personas(path):
    loaded = read_map(path)
    original = Journey(loaded.journey, loaded.personas)
    _assert_same_journey(original, _roundtrip(original))


def test_round_trip_keeps_hostile_names_and_gaps():
    names = [h for h in HOSTILE if " ".join(h.split()) == h]
    data = {
        "cjm": 1, "id": "m", "title": "x",
        "personas": [{"id": "a", "name": "A: b, c"}, {"id": "b", "name": "B"}],
        "stages": [{"id": f"s{i}", "name": name, "touchpoints": [
            {"id": f"t{i}", "name": name, "emotion": {"a": 1}},
            {"id": f"u{i}", "name": f"plain {i}"},
        ]} for i, name in enumerate(names)],
    }
    original = load_journey(yaml.safe_dump(data, allow_unicode=True).encode("utf-8"))
    _assert_same_journey(original, _roundtrip(original))


runner = CliRunner()


def test_cli_writes_the_map_beside_the_file_and_never_overwrites(tmp_path):
    source = tmp_path / "day.mmd"
    source.write_text(DOCS_EXAMPLE, encoding="utf-8")
    done = runner.invoke(app, ["import", "mermaid", str(source)])
    assert done.exit_code == 0, done.output
    target = tmp_path / "day.cjm.yaml"
    assert read_map(target).valid
    target.write_text("keep me", encoding="utf-8")
    again = runner.invoke(app, ["import", "mermaid", str(source)])
    assert again.exit_code == 2 and "--force" in again.output
    assert target.read_text(encoding="utf-8") == "keep me"
    forced = runner.invoke(app, ["import", "mermaid", str(source), "--force"])
    assert forced.exit_code == 0 and read_map(target).valid


def test_cli_output_option_and_stdout(tmp_path):
    source = tmp_path / "day.mmd"
    source.write_text(DOCS_EXAMPLE, encoding="utf-8")
    out = tmp_path / "maps" / "work.cjm.yaml"
    assert runner.invoke(app, ["import", "mermaid", str(source), "-o", str(out)]).exit_code == 0
    assert read_map(out).valid
    printed = runner.invoke(app, ["import", "mermaid", str(source), "-o", "-"])
    assert printed.exit_code == 0 and "title: My working day" in printed.stdout


def test_cli_invalid_input_exits_1_with_position_and_writes_nothing(tmp_path):
    source = tmp_path / "flow.mmd"
    source.write_text("journey\nsection A\n  Tea: lots: Me\n", encoding="utf-8")
    done = runner.invoke(app, ["import", "mermaid", str(source)])
    assert done.exit_code == 1
    assert "flow.mmd:3:8" in done.output and CODE in done.output
    assert not (tmp_path / "flow.cjm.yaml").exists()


def test_cli_unreadable_input_exits_2(tmp_path):
    done = runner.invoke(app, ["import", "mermaid", str(tmp_path / "missing.mmd")])
    assert done.exit_code == 2 and "cannot read" in done.output
