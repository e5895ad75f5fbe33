"""The format: strict where YAML's guessing would hide a mistake, and schema errors in plain words."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import BaseModel, ValidationError

from cjm.format import model
from cjm.format.model import ContentAsset, JourneyMap, LabelledEmotion
from map_testing import HEAD, only, problems, small_map, validate, yaml_text

ONE_TOUCHPOINT = yaml_text("""
    personas:
      - {id: rosa, name: Rosa}
      - {id: bob, name: Bob}
    stages:
      - id: s
        name: S
        touchpoints:
          - id: t
            name: T
""")


def with_touchpoint(*lines: str) -> str:
    """A map with one touchpoint; ``lines`` are its extra fields, starting on line 13."""
    return small_map(ONE_TOUCHPOINT) + "".join(f"        {line}\n" for line in lines)


def schema_error(text: str):
    diag = only(validate(text))
    assert (diag.code, diag.name) == ("CJM010", "schema")
    return diag


def test_a_small_map_validates():
    loaded = validate(with_touchpoint("emotion: 1"))
    assert loaded.valid and loaded.diagnostics == []
    assert loaded.journey.stages[0].touchpoints[0].emotion == 1.0


# -- YAML's guessing does not happen --------------------------------------------------------------

def test_text_stays_text():
    loaded = validate(small_map("""
        owner: no
        personas:
          - id: p
            name: 012
            demographics: {time: 1:20, version: 1.10, smoker: yes, since: 2026-01-01}
    """))
    assert loaded.valid, problems(loaded)
    assert loaded.journey.owner == "no"
    persona = loaded.journey.personas[0]
    assert persona.name == "012"
    assert persona.demographics == {"time": "1:20", "version": "1.10", "smoker": "yes", "since": "2026-01-01"}


def test_numbers_booleans_and_dates_convert_where_wanted():
    loaded = validate(small_map("""
        reviewed: 2026-03-31
        objectives:
          - {id: o, statement: S, baseline: "2.5", target: 3, due: 2026-06-30}
    """) + ONE_TOUCHPOINT + "        online: true\n        moment_of_truth: yes\n")
    assert loaded.valid, problems(loaded)
    journey = loaded.journey
    assert journey.reviewed == dt.date(2026, 3, 31)
    assert (journey.objectives[0].baseline, journey.objectives[0].target) == (2.5, 3.0)
    touchpoint = journey.stages[0].touchpoints[0]
    assert touchpoint.online is True and touchpoint.moment_of_truth is True


def test_a_5000_digit_integer_where_text_is_wanted_stays_text():
    digits = "9" * 5000
    loaded = validate(HEAD + f"description: {digits}\n")
    assert loaded.valid and loaded.journey.description == digits


def test_a_5000_digit_integer_where_a_whole_number_is_wanted():
    diag = schema_error("cjm: " + "9" * 5000 + "\nid: m\ntitle: T\n")
    assert (diag.line, diag.col, diag.message) == (1, 6, "the number is too large")


def test_a_5000_digit_integer_where_short_text_is_wanted():
    diag = schema_error("cjm: 1\nid: m\ntitle: " + "9" * 5000 + "\n")
    assert (diag.line, diag.col, diag.message) == (3, 8, "too long: at most 2000 characters")


def test_a_5000_digit_number_is_not_finite():
    diag = schema_error(small_map(f"""
        objectives:
          - id: o
            statement: S
            baseline: {"9" * 5000}
    """))
    assert (diag.line, diag.col) == (7, 15)
    assert diag.message.startswith("expected a finite number (got '999")


# -- dates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, message", [
    ("2026-3-1", "expected an ISO date such as 2026-03-31 (YYYY-MM-DD) (got 2026-3-1)"),
    ("2026/03/01", "expected an ISO date such as 2026-03-31 (YYYY-MM-DD) (got '2026/03/01')"),
    ("31.03.2026", "expected an ISO date such as 2026-03-31 (YYYY-MM-DD) (got 31.03.2026)"),
    ("2026-02-30", "not a valid date: day value is outside expected range (got 2026-02-30)"),
    ("soon", "expected an ISO date such as 2026-03-31 (YYYY-MM-DD) (got 'soon')"),
])
def test_dates_must_be_iso(value, message):
    diag = schema_error(HEAD + f"reviewed: {value}\n")
    assert (diag.line, diag.col, diag.message) == (4, 11, message)


def test_evidence_and_objective_dates():
    loaded = validate(small_map("""
        objectives:
          - {id: o, statement: S, due: next week}
    """) + ONE_TOUCHPOINT + "        evidence: [{source: survey, kind: qualitative, date: 03/2026}]\n")
    assert problems(loaded) == [("CJM010", 5, 32), ("CJM010", 15, 62)]


# -- unknown, missing and wrongly typed fields ---------------------------------------------------

def test_unknown_field_points_at_the_key_with_did_you_mean():
    diag = schema_error(with_touchpoint("chanel: web"))
    assert (diag.line, diag.col) == (13, 9)
    assert diag.message == "unknown field 'chanel'"
    assert diag.hint == "did you mean 'channel'?"
    assert diag.path == ("stages", 0, "touchpoints", 0, "chanel")


def test_did_you_mean_offers_only_fields_of_that_place():
    diag = schema_error(with_touchpoint("label: calm"))  # a field of a labelled emotion, not of a touchpoint
    assert diag.message == "unknown field 'label'"
    assert diag.hint is None
    diag = schema_error(with_touchpoint("emotion: {score: 1, lable: calm}"))
    assert (diag.line, diag.col, diag.hint) == (13, 29, "did you mean 'label'?")


def test_unknown_top_level_field():
    diag = schema_error(HEAD + "titel: X\n")
    assert (diag.line, diag.col, diag.hint) == (4, 1, "did you mean 'title'?")


def test_missing_field_points_at_the_parent():
    loaded = validate(small_map("""
        stages:
          - id: s
            touchpoints:
              - name: T
    """).replace("title: T\n", ""))
    assert problems(loaded) == [("CJM010", 1, 1), ("CJM010", 4, 5), ("CJM010", 6, 9)]
    messages = [d.message for d in sorted(loaded.diagnostics, key=lambda d: d.line)]
    assert messages == ["missing required field 'title'", "missing required field 'name'", "missing required field 'id'"]
    assert sorted(loaded.diagnostics, key=lambda d: d.line)[1].hint == "name: The stage's name, e.g. `Consideration`."


@pytest.mark.parametrize("line, col, message", [
    ("stages: 5", 9, "expected a list (got 5)"),
    ("personas: {a: 1}", 11, "expected a list (got a mapping)"),
    ("owner: {team: x}", 8, "expected text (got a mapping)"),
    ("owner: [a, b]", 8, "expected text (got a list)"),
    ("owner: ''", 8, "text must not be empty (got '')"),
    ("imports: x.cjm.yaml", 10, "expected a list (got 'x.cjm.yaml')"),
    ("cjm: 2", 6, "unsupported format version 2; this cjm reads version 1 (got 2)"),
])
def test_wrong_types_at_top_level(line, col, message):
    key = line.split(":")[0]
    text = HEAD.replace("cjm: 1\n", "") + line + "\n" if key == "cjm" else HEAD + line + "\n"
    diag = schema_error(text)
    assert (diag.line, diag.col, diag.message) == ((3 if key == "cjm" else 4), col, message)


@pytest.mark.parametrize("field, col, message, hint", [
    ("online: maybe", 17, "expected true or false (got 'maybe')", None),
    ("medium: own", 17, "expected one of owned, paid, earned (got 'own')", "did you mean 'owned'?"),
    ("evidence: [{source: s, kind: qual, n: -1}]", 38, "expected one of quantitative, qualitative (got 'qual')", "did you mean 'qualitative'?"),
    ("metrics: [{name: m, value: '1,5'}]", 36, "expected a number (got '1,5')", "write decimals with a point, e.g. 2.5"),
    ("metrics: [{name: m, value: nan}]", 36, "expected a finite number (got 'nan')", None),
    ("metrics: [{name: m, value: .inf}]", 36, "expected a number (got .inf)", None),
    ("next: [Checkout Page]", 16, "not a valid id (got 'Checkout Page')", "ids are slugs: lower-case letters and digits joined by '-' or '_', e.g. checkout-page"),
    ("content: [{title: x, url: 'javascript:alert(1)'}]", 35, "a link must be http(s) or a relative path (got 'javascript:alert(1)')", None),
    ("content: [[a]]", 19, "expected a title or {title, kind, url, owner} (got a list)", None),
])
def test_wrong_types_in_a_touchpoint(field, col, message, hint):
    loaded = validate(with_touchpoint(field))
    diag = [d for d in loaded.diagnostics if d.code == "CJM010"][0]
    assert (diag.line, diag.col, diag.message, diag.hint) == (13, col, message, hint)


def test_negative_sample_size():
    diag = schema_error(with_touchpoint("evidence: [{source: s, kind: qualitative, n: -1}]"))
    assert (diag.line, diag.col, diag.message) == (13, 54, "must be at least 0 (got -1)")


# -- emotions -------------------------------------------------------------------------------------

def test_emotion_forms():
    loaded = validate(with_touchpoint("emotion: -1.5", "target_emotion: {rosa: 1, bob: 2}"))
    assert loaded.valid, problems(loaded)
    touchpoint = loaded.journey.stages[0].touchpoints[0]
    assert touchpoint.emotion == -1.5 and touchpoint.target_emotion == {"rosa": 1.0, "bob": 2.0}
    loaded = validate(with_touchpoint("emotion: {score: 2, label: relieved}"))
    assert loaded.journey.stages[0].touchpoints[0].emotion == LabelledEmotion(score=2, label="relieved")


@pytest.mark.parametrize("line, col, message", [
    ("emotion: high", 18, "emotion must be a number from -2 to 2, a mapping persona id -> number, or {score, label} (got 'high')"),
    ("emotion: 3", 18, "emotion must be from -2 to 2 (got 3)"),
    ("target_emotion: -2.5", 25, "target_emotion must be from -2 to 2 (got -2.5)"),
    ("emotion: [1, 2]", 18, "emotion must be a number from -2 to 2, a mapping persona id -> number, or {score, label} (got a list)"),
    ("emotion: .nan", 18, "emotion must be a number from -2 to 2, a mapping persona id -> number, or {score, label} (got .nan)"),
    ("emotion: inf", 18, "emotion must be a number from -2 to 2, a mapping persona id -> number, or {score, label} (got 'inf')"),
    ("emotion: {rosa: x}", 25, "emotion for persona 'rosa' must be a number from -2 to 2 (got 'x')"),
    ("emotion: {rosa: 1, bob: 5}", 33, "emotion for persona 'bob' must be a number from -2 to 2 (got 5)"),
    ("emotion: {score: 5, label: ok}", 26, "emotion score must be a number from -2 to 2 (got 5)"),
    ("emotion: {label: ok}", 18, "missing required field 'score'"),
])
def test_emotion_errors_say_what_an_emotion_may_be(line, col, message):
    diag = schema_error(with_touchpoint(line))
    assert (diag.line, diag.col, diag.message) == (13, col, message)


def test_emotion_persona_key_that_is_not_an_id_points_at_the_key():
    diag = schema_error(with_touchpoint("emotion: {rosa: 1, Bob Smith: 1}"))
    assert (diag.line, diag.col) == (13, 28)
    assert diag.message == "not a valid id (got 'Bob Smith')"


# -- many problems in one run --------------------------------------------------------------------

def test_schema_and_reference_problems_are_reported_together():
    loaded = validate(with_touchpoint("chanel: web", "next: [nowhere]", "personas: [rosaa]", "emotion: high")
                      + "  - id: rosa\n    name: Dup\n")
    found = {(d.code, d.line, d.col, d.message) for d in loaded.diagnostics}
    assert found == {
        ("CJM010", 13, 9, "unknown field 'chanel'"),
        ("CJM021", 14, 16, "unknown touchpoint 'nowhere'"),
        ("CJM021", 15, 20, "unknown persona 'rosaa'"),
        ("CJM010", 16, 18, "emotion must be a number from -2 to 2, a mapping persona id -> number, or {score, label} (got 'high')"),
        ("CJM020", 17, 9, "id 'rosa' of this stage is already used by a persona at line 5"),
    }
    assert loaded.journey is None and not loaded.valid


def test_a_bad_id_is_reported_once_not_again_as_an_unknown_reference():
    loaded = validate(with_touchpoint("next: [Bad Id]"))
    assert [(d.code, d.line, d.col) for d in loaded.diagnostics] == [("CJM010", 13, 16)]


# -- the models themselves -------------------------------------------------------------------------

def _models() -> list[type[BaseModel]]:
    return [value for value in vars(model).values()
            if isinstance(value, type) and issubclass(value, model.Model) and value is not model.Model]


def test_every_field_has_a_description():
    missing = [f"{m.__name__}.{name}" for m in _models() for name, info in m.model_fields.items() if not info.description]
    assert len(_models()) >= 9
    assert missing == []


def test_models_are_frozen_and_forbid_extra_fields():
    for m in _models():
        assert m.model_config["frozen"] is True and m.model_config["extra"] == "forbid", m.__name__


def test_content_titles_become_assets():
    loaded = validate(with_touchpoint("content: [Size guide, {title: FAQ, url: /faq}]"))
    assets = loaded.journey.stages[0].touchpoints[0].content
    assert [(a.title, a.url) for a in assets] == [("Size guide", None), ("FAQ", "/faq")]


def test_model_validate_takes_python_values_too():
    journey = JourneyMap.model_validate({"cjm": 1, "id": "m", "title": "T", "reviewed": dt.date(2026, 1, 1)})
    assert journey.reviewed == dt.date(2026, 1, 1)


def test_duplicate_keys_do_not_hide_the_other_problems():
    loaded = validate(small_map("""
        title: Again
        owner: [x]
        stages:
          - {id: s, name: S, touchpoints: [{id: t, name: T, next: [u]}]}
    """))
    assert problems(loaded) == [("CJM002", 4, 1), ("CJM010", 5, 8), ("CJM021", 7, 60)]
    assert not loaded.valid


def test_thousands_of_schema_errors_are_counted_not_all_listed():
    from cjm.format.schema_errors import MAX_SHOWN_ERRORS

    loaded = validate(HEAD + "personas:\n" + "  - {}\n" * 700)
    assert len(loaded.diagnostics) == MAX_SHOWN_ERRORS + 1
    last = loaded.diagnostics[-1]
    assert (last.line, last.col, last.message) == (1, 1, f"{1400 - MAX_SHOWN_ERRORS} more schema errors not shown")


@pytest.mark.parametrize("url", [
    " javascript:alert(1)", "java\tscript:alert(1)", "\njavascript:alert(1)", "JAVASCRIPT:alert(1)",
    "jav&#x09;ascript:alert(1)", "&#106;avascript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<script>",
])
def test_links_browsers_would_run_as_script_are_refused(url):
    with pytest.raises(ValidationError, match="http"):
        ContentAsset.model_validate({"title": "Guide", "url": url})


@pytest.mark.parametrize("url", ["https://example.com/a?b=1&c=2", "docs/size guide.pdf", "/help", "#returns", "../faq.md"])
def test_http_and_relative_links_are_kept_as_written(url):
    assert ContentAsset.model_validate({"title": "Guide", "url": url}).url == url
