"""Ids and references: unique ids, resolvable references, "did you mean" for near misses."""

from __future__ import annotations

from cjm.format.check import check_data, check_map
from cjm.format.diagnostics import SourceMap
from cjm.format.model import Persona
from map_testing import only, problems, small_map, validate

MAP = small_map("""
    objectives:
      - {id: grow, statement: Grow sign-ups}
    personas:
      - {id: rosa, name: Rosa}
      - {id: bob, name: Bob}
    stages:
      - id: visit
        name: Visit
        objectives: [grow]
        touchpoints:
          - id: home
            name: Home
            next: [signup]
            personas: [rosa]
            emotion: {rosa: 1, bob: 0}
      - id: buy
        name: Buy
        touchpoints:
          - id: signup
            name: Sign-up
            next: [home]
            target_emotion: {score: 1, label: calm}
""")
# Lines of MAP: objectives 4-5, personas 6-8, stage visit 10, its objectives 12, home 14-18, stage buy 19,
# signup 22-25.


def edited(old: str, new: str) -> str:
    assert old in MAP
    return MAP.replace(old, new, 1)


def test_the_map_is_valid():
    loaded = validate(MAP)
    assert loaded.valid, problems(loaded)


def test_duplicate_id_across_persona_and_stage():
    diag = only(validate(edited("- id: buy", "- id: bob")))
    assert (diag.code, diag.name, diag.line, diag.col) == ("CJM020", "duplicate-id", 19, 9)
    assert diag.message == "id 'bob' of this stage is already used by a persona at line 8"
    assert diag.path == ("stages", 1, "id")


def test_duplicate_id_across_stage_and_touchpoint():
    diag = only(validate(edited("- id: signup", "- id: visit").replace("next: [signup]", "next: [visit]")))
    assert (diag.code, diag.line, diag.col) == ("CJM020", 22, 13)
    assert diag.message == "id 'visit' of this touchpoint is already used by a stage at line 10"


def test_duplicate_touchpoint_ids_are_all_reported():
    text = edited("- id: signup", "- id: home").replace("next: [signup]", "next: [home]")
    loaded = validate(text + "      - id: home\n        name: Again\n")
    assert problems(loaded) == [("CJM020", 22, 13), ("CJM020", 26, 13)]


def test_duplicate_objective_id():
    diag = only(validate(edited("  - {id: grow, statement: Grow sign-ups}",
                                "  - {id: grow, statement: Grow sign-ups}\n  - {id: grow, statement: Again}")))
    assert (diag.code, diag.line, diag.col) == ("CJM020", 6, 10)
    assert diag.message == "objective id 'grow' is already used at line 5"


def test_unknown_next_with_did_you_mean():
    diag = only(validate(edited("next: [signup]", "next: [sign-up]")))
    assert (diag.code, diag.name, diag.line, diag.col) == ("CJM021", "unknown-reference", 16, 16)
    assert diag.message == "unknown touchpoint 'sign-up'"
    assert diag.hint == "did you mean 'signup'?"


def test_unknown_reference_far_from_any_id_has_no_suggestion():
    diag = only(validate(edited("next: [signup]", "next: [zzz]")))
    assert diag.message == "unknown touchpoint 'zzz'" and diag.hint is None


def test_unknown_touchpoint_persona():
    diag = only(validate(edited("personas: [rosa]", "personas: [rosa, rossa]")))
    assert (diag.code, diag.line, diag.col, diag.hint) == ("CJM021", 17, 26, "did you mean 'rosa'?")


def test_unknown_emotion_key_points_at_the_key():
    diag = only(validate(edited("emotion: {rosa: 1, bob: 0}", "emotion: {rosa: 1, bobb: 0}")))
    assert (diag.code, diag.line, diag.col) == ("CJM021", 18, 28)
    assert diag.message == "unknown persona 'bobb'" and diag.hint == "did you mean 'bob'?"


def test_unknown_stage_objective():
    diag = only(validate(edited("objectives: [grow]", "objectives: [grwo]")))
    assert (diag.code, diag.line, diag.col) == ("CJM021", 12, 18)
    assert diag.message == "unknown objective 'grwo'" and diag.hint == "did you mean 'grow'?"


def test_a_labelled_emotion_has_no_persona_keys():
    assert validate(edited("{score: 1, label: calm}", "{score: 1}")).valid


def test_every_reference_problem_in_one_run():
    text = (edited("next: [signup]", "next: [nope]")
            .replace("personas: [rosa]", "personas: [nobody]")
            .replace("objectives: [grow]", "objectives: [shrink]"))
    assert problems(validate(text)) == [("CJM021", 12, 18), ("CJM021", 16, 16), ("CJM021", 17, 20)]


def test_check_map_on_a_validated_map_agrees_with_check_data():
    loaded = validate(MAP)
    assert check_map(loaded.journey, [], loaded.source, loaded.file) == []
    broken = loaded.journey.model_copy(update={"objectives": []})
    diag = only_one(check_map(broken, [], loaded.source, loaded.file))
    assert (diag.code, diag.message) == ("CJM021", "unknown objective 'grow'")


def test_persona_references_are_not_checked_when_imported_personas_are_unknown():
    data = {"stages": [{"id": "s", "touchpoints": [{"id": "t", "personas": ["elsewhere"]}]}]}
    assert check_data(data, None, SourceMap(), "m.cjm.yaml") == []
    assert [d.message for d in check_data(data, [], SourceMap(), "m.cjm.yaml")] == ["unknown persona 'elsewhere'"]
    shared = [Persona(id="elsewhere", name="E")]
    assert check_data(data, shared, SourceMap(), "m.cjm.yaml") == []


def test_check_data_tolerates_any_shape():
    for data in ({}, {"stages": 5}, {"stages": [5, None, {"touchpoints": {"a": 1}}]},
                 {"personas": [{"id": ["x"]}], "stages": [{"id": None, "objectives": [1, None]}]}):
        assert check_data(data, [], SourceMap(), "m.cjm.yaml") == []


def only_one(diagnostics):
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


def test_only_the_first_unknown_references_get_a_suggestion():
    from cjm.format.check import MAX_SUGGESTIONS

    touchpoints = "".join(f"      - {{id: tp{i}, name: T, next: [tp{i}x]}}\n" for i in range(MAX_SUGGESTIONS + 5))
    loaded = validate(small_map("""
        stages:
          - id: s
            name: S
            touchpoints:
    """) + touchpoints)
    hints = [d.hint for d in sorted(loaded.diagnostics, key=lambda d: d.line)]
    assert len(hints) == MAX_SUGGESTIONS + 5
    assert hints[0] == "did you mean 'tp0'?" and all(hints[:MAX_SUGGESTIONS])
    assert hints[MAX_SUGGESTIONS:] == [None] * 5


def test_with_severity_changes_the_severity_and_nothing_else():
    from cjm.format.diagnostics import Diagnostic, Severity

    diag = Diagnostic("CJM090", "unused-suppression", "m", "a.cjm.yaml", 3, 4, Severity.warning, ("stages", 0),
                      "h", source_line="x")
    raised = diag.with_severity(Severity.error)
    assert raised == Diagnostic("CJM090", "unused-suppression", "m", "a.cjm.yaml", 3, 4, Severity.error,
                                ("stages", 0), "h")
    assert (raised.source_line, diag.severity) == ("x", Severity.warning)


def test_diagnostic_at_resolves_the_place_through_the_source_map():
    from cjm.format.diagnostics import Diagnostic, Position, Severity, Span, diagnostic_at

    lines = ["cjm: 1", "stages:", "  - id: s"]
    source = SourceMap({(): Span(Position(1, 1), Position(4, 1)),
                        ("stages", 0, "id"): Span(Position(3, 9), Position(3, 10), key=Position(3, 5))}, lines)
    diag = diagnostic_at(source, "m.cjm.yaml", ("stages", 0, "id"), code="CJM011", name="n", message="m",
                         severity=Severity.warning, hint="h")
    assert diag == Diagnostic("CJM011", "n", "m", "m.cjm.yaml", 3, 9, Severity.warning, ("stages", 0, "id"), "h")
    assert diag.source_line == "  - id: s"
    at_key = diagnostic_at(source, "m.cjm.yaml", ("stages", 0, "id"), code="CJM011", name="n", message="m", at_key=True)
    assert (at_key.line, at_key.col, at_key.severity, at_key.hint) == (3, 5, Severity.error, None)
    # an unknown tail points at the nearest known parent's key; nothing known at all, at 1:1
    assert source.locate(("stages", 0, "id", "x", 2)) == Position(3, 5)
    assert source.locate(("stages", 0, "id", "x")) == Position(3, 5)
    assert source.locate(("stages", 0, "id")) == Position(3, 9)  # a known path: its value, unless at_key
    assert source.locate(("stages", 0, "name")) == Position(1, 1)
    assert SourceMap({}, lines).locate(("stages",)) == Position(1, 1)
    assert [source.line_text(n) for n in (0, 1, 3, 4)] == [None, "cjm: 1", "  - id: s", None]
