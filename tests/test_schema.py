"""The JSON Schema: committed copy in step with the models, usable by draft-07 editors, examples pass it."""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from typer.testing import CliRunner

from cjm.cli import app
from cjm.format.schema import map_schema, schema_text

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "schemas" / "cjm-map.v1.schema.json"
EXAMPLES = sorted((REPO / "examples").rglob("*.cjm.yaml"))
# Keywords draft-07 editors (yaml-language-server) do not know; the schema must not rely on them.
NOT_DRAFT_07 = {"$defs", "discriminator", "prefixItems", "unevaluatedProperties", "unevaluatedItems",
                "dependentRequired", "dependentSchemas", "$anchor", "$dynamicRef"}


def as_editor_reads(value):
    """PyYAML's safe_load reads YAML 1.1 (``2026-03-31`` is a date); editors read 1.2, where it is text."""
    if isinstance(value, dict):
        return {key: as_editor_reads(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_editor_reads(item) for item in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def test_committed_schema_matches_the_models():
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), "run `make schema` to refresh the committed copy"


def test_cjm_schema_prints_the_same():
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == COMMITTED.read_text(encoding="utf-8")


def test_cjm_schema_writes_a_file(tmp_path):
    result = CliRunner().invoke(app, ["schema", "-o", str(tmp_path / "s.json")])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads((tmp_path / "s.json").read_text()) == map_schema()


def test_schema_is_plain_draft_07():
    schema = map_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"

    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                if key not in ("properties", "patternProperties", "definitions"):
                    yield from keys(value)
                else:
                    for sub in value.values():
                        yield from keys(sub)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    assert set(keys(schema)) & NOT_DRAFT_07 == set()
    assert "oneOf" not in set(keys(schema))  # a labelled emotion also fits the per-persona form: anyOf
    refs = json.dumps(schema).count('"$ref": "#/definitions/')
    assert refs > 5 and '"#/$defs/' not in json.dumps(schema)


def test_every_property_in_the_schema_has_a_description():
    schema = map_schema()
    owners = [("JourneyMap", schema), *schema["definitions"].items()]
    missing = [f"{name}.{prop}" for name, node in owners for prop, sub in node.get("properties", {}).items()
               if not sub.get("description")]
    assert missing == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_pass_the_json_schema(validator, example):
    data = as_editor_reads(yaml.safe_load(example.read_text(encoding="utf-8")))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


def test_examples_start_with_the_schema_modeline():
    assert len(EXAMPLES) >= 3
    for example in EXAMPLES:
        first = example.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), example.name
        target = first.split("$schema=", 1)[1]
        assert (example.parent / target).resolve() == COMMITTED, example.name


def test_cjm_init_writes_a_modeline_that_leads_to_the_schema(tmp_path, monkeypatch):
    """Follow the modeline of the map ``cjm init`` writes, as yaml-language-server does (a path
    relative to the map's folder): it finds the format's schema, on a machine with no network,
    and the starter map passes it."""
    (tmp_path / ".git").mkdir()  # a project root
    (tmp_path / "journeys" / "web").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "journeys")
    result = CliRunner().invoke(app, ["init", "web/signup.cjm.yaml"])
    assert result.exit_code == 0, result.output
    written = tmp_path / "journeys" / "web" / "signup.cjm.yaml"
    first = written.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/cjm-map.v1.schema.json"
    target = (written.parent / first.split("$schema=", 1)[1]).resolve()
    assert target == (tmp_path / "schemas" / "cjm-map.v1.schema.json").resolve()
    schema = json.loads(target.read_text(encoding="utf-8"))
    assert schema == map_schema()
    errors = Draft7Validator(schema).iter_errors(as_editor_reads(yaml.safe_load(written.read_text(encoding="utf-8"))))
    assert list(errors) == []


def test_cjm_init_in_this_repository_names_the_committed_schema(tmp_path):
    """Inside the repository the modeline leads to the committed schema, which is not rewritten."""
    target = REPO / "examples" / "init-test.cjm.yaml"
    before = COMMITTED.stat().st_mtime_ns
    try:
        result = CliRunner().invoke(app, ["init", str(target)])
        assert result.exit_code == 0, result.output
        first = target.read_text(encoding="utf-8").splitlines()[0]
        assert (target.parent / first.split("$schema=", 1)[1]).resolve() == COMMITTED
    finally:
        target.unlink(missing_ok=True)
    assert COMMITTED.stat().st_mtime_ns == before


@pytest.mark.parametrize("change, word", [
    ({"chanel": "web"}, "chanel"),
    ({"emotion": 3}, "emotion"),
    ({"medium": "own"}, "medium"),
    ({"next": ["Not An Id"]}, "next"),
])
def test_the_schema_catches_mistakes_editors_should_flag(validator, change, word):
    touchpoint = {"id": "t", "name": "T", **change}
    data = {"cjm": 1, "id": "m", "title": "T", "stages": [{"id": "s", "name": "S", "touchpoints": [touchpoint]}]}
    errors = list(validator.iter_errors(data))
    assert errors and any(word in str(list(e.absolute_path)) + e.message for e in errors)
