"""Property-based tests: generated valid maps, and mutations of the examples.

1. Maps generated from the model (unique ids, references that resolve, any text a person can
   type including hostile Unicode and markup) validate, lint, and render in every view and
   format without error, twice with identical bytes, and every output passes the corpus
   output checks (parses, no active content).
2. The examples with lines deleted, duplicated or swapped, bytes flipped, hostile tokens
   inserted or the file cut short: only cjm's own diagnostics come out, each with a file,
   a line and column >= 1 and a CJM code; whatever still validates also lints (rendering
   is property 1's job: a mutated example is no harder to draw than a generated map).

`make test` runs a fixed, derandomized few hundred examples; `make fuzz` sets CJM_FUZZ=1 for
thousands of random ones with failures kept in .hypothesis/fuzz (ignored by git).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

sys.path.insert(0, str(Path(__file__).parent / "corpus"))

from outputs import check_output  # noqa: E402

from cjm.journey import Journey  # noqa: E402
from cjm.render import RenderOptions, VIEWS, view_module  # noqa: E402
from cjm.format.validate import validate_bytes  # noqa: E402

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.cjm.yaml"))
FUZZING = bool(os.environ.get("CJM_FUZZ"))
DIAGNOSTIC_CODE = re.compile(r"^CJM\d{3}$")


def fuzz_settings(examples: int, long_run: int):
    """Derandomized and small in `make test`; random, long and remembered under `make fuzz`."""
    common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                        HealthCheck.filter_too_much])
    if FUZZING:
        return settings(max_examples=long_run, database=DirectoryBasedExampleDatabase(".hypothesis/fuzz"), **common)
    return settings(max_examples=examples, derandomize=True, database=None, **common)


# -- strategies: text ---------------------------------------------------------------------------------------

HOSTILE_TEXT = (
    "<script>window.__cjm_pwned=1</script>", '" onload="window.__cjm_pwned=1', "</svg>", "</style>", "]]>",
    '<x> URL="javascript:alert(1)"', "trailing backslash \\", "\\N \\G \\l", "{a|b}", "a | b", "```", "~~~",
    "%%{init: {\"securityLevel\": \"loose\"}}%%", "Step: 5: Me", "a;b", "#35;", "&lt;&amp;", "\u202edcba",
    "\u200b", "\u2028", "👩🏽‍💻", "顧客", "مرحبا", "null", "~", "yes", "1e309", ".nan", "- item", "# heading",
    "expression(alert(1))", "url(javascript:alert(1))", "[x](javascript:alert(1))", "&#106;avascript:",
)
# Any character a map may hold: no C0/C1 controls (the loader refuses them), no surrogates or non-characters.
_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Co"), blacklist_characters="\ufffe\uffff")
text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(_CHARS, min_size=1, max_size=40),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE_TEXT), st.text(_CHARS, min_size=0, max_size=20)),
).filter(lambda s: 0 < len(s) <= 2000)
slug = st.from_regex(r"\A[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,5}){0,2}\Z", fullmatch=True)
score = st.one_of(st.integers(-2, 2), st.sampled_from([-1.5, -0.5, 0.25, 0.5, 1.5, 2.0, -2.0]))
number = st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda f: round(f, 3)))
safe_url = st.sampled_from(["https://example.com/guide", "http://example.org/a?b=1&c=<2>", "docs/faq.md", "../shared/x.html", "#top"])


def yaml_text(value: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly ``value``."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif code in (0x85, 0x2028, 0x2029, 0xFEFF) or code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out) + '"'


def yaml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return yaml_text(value)
    if isinstance(value, list):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yaml_text(k)}: {yaml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def to_yaml(data: dict) -> str:
    """Block style at the top and for stages/touchpoints (so positions vary), flow style inside."""
    lines = []
    for key, value in data.items():
        if key == "stages":
            lines.append("stages:")
            for stage in value:
                lines.append(f"  - id: {stage['id']}")
                for skey, svalue in stage.items():
                    if skey == "id":
                        continue
                    if skey == "touchpoints":
                        lines.append("    touchpoints:" + ("" if svalue else " []"))
                        for tp in svalue:
                            first = True
                            for tkey, tvalue in tp.items():
                                lines.append(f"      {'- ' if first else '  '}{tkey}: {yaml_value(tvalue)}")
                                first = False
                    else:
                        lines.append(f"    {skey}: {yaml_value(svalue)}")
        else:
            lines.append(f"{key}: {yaml_value(value)}")
    return "\n".join(lines) + "\n"


# -- strategies: maps ------------------------------------------------------------------------------------


@st.composite
def emotions(draw, persona_ids: list[str]):
    kind = draw(st.sampled_from(["none", "score", "labelled"] + (["per_persona"] if persona_ids else [])))
    if kind == "none":
        return None
    if kind == "score":
        return draw(score)
    if kind == "labelled":
        return {"score": draw(score), "label": draw(text)}
    chosen = draw(st.lists(st.sampled_from(persona_ids), min_size=1, unique=True))
    return {pid: draw(score) for pid in chosen}


@st.composite
def maps(draw) -> dict:
    ids = draw(st.lists(slug, min_size=12, max_size=24, unique=True))
    pool = iter(ids)
    persona_ids = [next(pool) for _ in range(draw(st.integers(0, 3)))]
    objective_ids = [next(pool) for _ in range(draw(st.integers(0, 2)))]
    stage_count = draw(st.integers(1, 3))
    stage_ids = [next(pool) for _ in range(stage_count)]
    layout = [draw(st.integers(0, 3)) for _ in stage_ids]
    touchpoint_ids = [next(pool, None) for _ in range(sum(layout))]
    assume(None not in touchpoint_ids)
    data: dict = {"cjm": 1, "id": draw(slug), "title": draw(text)}
    if draw(st.booleans()):
        data["owner"] = draw(text)
    if draw(st.booleans()):
        data["reviewed"] = draw(st.sampled_from(["2026-10-01", "2019-01-31", "2030-12-31"]))
    if draw(st.booleans()):
        data["description"] = draw(text)
    if objective_ids:
        data["objectives"] = [{"id": oid, "statement": draw(text), "metric": draw(text), "baseline": draw(number),
                               "target": draw(number), "unit": draw(text)} for oid in objective_ids]
    if persona_ids:
        data["personas"] = [{"id": pid, "name": draw(text), "goals": draw(st.lists(text, max_size=2)),
                             "channels": draw(st.lists(st.sampled_from(["web", "store", "email", "app"]) | text, max_size=3)),
                             "demographics": draw(st.dictionaries(text.filter(lambda s: len(s) < 200), text, max_size=2))}
                            for pid in persona_ids]
    stages = []
    tp_iter = iter(touchpoint_ids)
    for sid, count in zip(stage_ids, layout):
        stage: dict = {"id": sid, "name": draw(text)}
        if draw(st.booleans()):
            stage["kind"] = draw(st.sampled_from(["awareness", "consideration", "decision", "purchase", "onboarding",
                                                  "usage", "retention", "support", "advocacy", "other"]))
        if objective_ids and draw(st.booleans()):
            stage["objectives"] = draw(st.lists(st.sampled_from(objective_ids), min_size=1, unique=True))
        if draw(st.booleans()):
            stage["customer_goal"] = draw(text)
        if draw(st.booleans()):
            stage["content"] = [draw(text), {"title": draw(text), "url": draw(safe_url)}]
        touchpoints = []
        for _ in range(count):
            tp: dict = {"id": next(tp_iter), "name": draw(text)}
            if draw(st.booleans()):
                tp["channel"] = draw(st.sampled_from(["web", "store", "phone", "email", "app", "chat"]) | text)
            emotion = draw(emotions(persona_ids))
            if emotion is not None:
                tp["emotion"] = emotion
            target = draw(emotions(persona_ids))
            if target is not None:
                tp["target_emotion"] = target
            if persona_ids and draw(st.booleans()):
                tp["personas"] = draw(st.lists(st.sampled_from(persona_ids), min_size=1, unique=True))
            for field in ("pains", "opportunities", "actions", "thoughts"):
                if draw(st.booleans()):
                    tp[field] = draw(st.lists(text, min_size=1, max_size=2))
            if draw(st.booleans()):
                tp["moment_of_truth"] = True
            if draw(st.booleans()):
                tp["metrics"] = [{"name": draw(text), "value": draw(number), "target": draw(number),
                                  "direction": draw(st.sampled_from(["higher", "lower"]))}]
            if draw(st.booleans()):
                tp["evidence"] = [{"source": draw(text), "kind": draw(st.sampled_from(["quantitative", "qualitative"])),
                                   "n": draw(st.integers(0, 5000)), "url": draw(safe_url)}]
            if draw(st.booleans()):
                tp["content"] = [{"title": draw(text), "url": draw(safe_url), "kind": draw(text)}]
            touchpoints.append(tp)
        if touchpoints or draw(st.booleans()):
            stage["touchpoints"] = touchpoints
        stages.append(stage)
    # `next` after every id exists: references resolve by construction
    for stage in stages:
        for tp in stage.get("touchpoints", []):
            if draw(st.integers(0, 2)) == 0:
                tp["next"] = draw(st.lists(st.sampled_from(touchpoint_ids), min_size=1, max_size=3, unique=True))
    data["stages"] = stages
    return data


# -- helpers ---------------------------------------------------------------------------------------------------


def load(text_or_bytes, file: str = "fuzz.cjm.yaml"):
    raw = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    return validate_bytes(raw, Path(file), file)


def lint(loaded):
    from cjm.lint.engine import run_rules
    from cjm.lint.registry import all_rules

    return run_rules(loaded, [rule() for rule in all_rules().values()])


def render_pairs(*, with_tools: bool) -> list[tuple[str, str]]:
    """(view, format) pairs drawn from a map alone (the flow needs an observed file: see
    tests/test_render_flow.py); ``with_tools=False`` keeps the ones that need neither dot nor cairo."""
    pairs = []
    for view in VIEWS:
        module = view_module(view)
        if getattr(module, "NEEDS_OBSERVED", False):
            continue
        for fmt in module.FORMATS:
            if view == "map" and fmt in ("png", "pdf"):  # printed by Chromium, not dot or cairo: tests/test_map_print.py
                continue
            needs_tool = fmt in ("png", "pdf") or (view == "diagram" and fmt == "svg")
            if with_tools or not needs_tool:
                pairs.append((view, fmt))
    return pairs


def check_diagnostics(loaded, file: str, *, imported_ok: bool = False) -> None:
    for diag in loaded.diagnostics:
        # a problem inside an imported file names that file
        assert diag.file == file or (imported_ok and diag.file.endswith((".yaml", ".yml"))), diag
        assert diag.line >= 1 and diag.col >= 1, diag
        assert DIAGNOSTIC_CODE.match(diag.code), diag
        assert diag.message.strip(), diag


def render_everything(loaded, pairs) -> None:
    journey = Journey(loaded.journey, loaded.personas)
    for view, fmt in pairs:
        module = view_module(view)
        first = module.render(journey, fmt, RenderOptions())
        second = module.render(Journey(loaded.journey, loaded.personas), fmt, RenderOptions())
        assert first == second, f"{view}/{fmt} is not deterministic"
        problems = check_output(fmt, first)
        assert not problems, f"{view}/{fmt}: {problems}"


# -- 1. generated valid maps --------------------------------------------------------------------------------------


@fuzz_settings(examples=120, long_run=5000)
@given(maps())
def test_every_generated_map_validates_lints_and_renders_the_same_twice(data):
    source = to_yaml(data)
    loaded = load(source)
    assert loaded.valid, "\n".join(f"{d.location} {d.code} {d.message}" for d in loaded.diagnostics) + "\n" + source
    check_diagnostics(loaded, "fuzz.cjm.yaml")
    for diag in lint(loaded):
        assert diag.line >= 1 and diag.col >= 1 and DIAGNOSTIC_CODE.match(diag.code), diag
    render_everything(loaded, render_pairs(with_tools=False))


@pytest.mark.slow
@fuzz_settings(examples=12, long_run=500)
@given(maps())
def test_generated_maps_render_through_dot_and_cairo(data):
    """The formats that need Graphviz or cairo, on fewer examples (each costs a dot process)."""
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed")
    loaded = load(to_yaml(data))
    assert loaded.valid
    render_everything(loaded, [p for p in render_pairs(with_tools=True) if p not in render_pairs(with_tools=False)])


def test_the_yaml_writer_round_trips_hostile_text():
    for value in HOSTILE_TEXT + ("a\"b\\c\n\td", "\u0085\u2028\u2029\ufeff", "😀 astral"):
        loaded = load(f"cjm: 1\nid: x\ntitle: {yaml_text(value)}\n")
        assert loaded.valid and loaded.journey.title == value, (value, loaded.diagnostics)


# -- 2. mutations of the examples --------------------------------------------------------------------------------

TOKENS = [b"<<: *a", b"!!python/object/apply:os.system [ls]", b"&a", b"*a", b"\x00", b"\xff\xfe", b"\xed\xa0\x80", b"---",
          b"...", b"? [a]", b"{", b"}", b"[", b"]", b"'", b'"', b"\t", b"- ", b": ", b"#", b"%YAML 1.1", b"!!binary",
          b"\"\\ud800\"", b"9" * 400, b".nan", b"-.inf", b"\xe2\x80\xae", b"\r", b"\\", b"@", b"`", b"|", b">"]


@st.composite
def mutated_example(draw) -> tuple[str, bytes]:
    path = draw(st.sampled_from(EXAMPLES))
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "flip", "insert", "truncate", "indent"]))
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "flip" and lines[i]:
            k = draw(st.integers(0, len(lines[i]) - 1))
            line = bytearray(lines[i])
            line[k] ^= 1 << draw(st.integers(0, 7))
            lines[i] = bytes(line)
        elif kind == "insert":
            k = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:k] + draw(st.sampled_from(TOKENS)) + lines[i][k:]
        elif kind == "truncate":
            lines = lines[: i + 1]
            lines[-1] = lines[-1][: draw(st.integers(0, len(lines[-1])))]
        elif kind == "indent":
            lines[i] = draw(st.sampled_from([b" ", b"  ", b"\t", b""])) + lines[i].lstrip(b" ")
    return path.name, b"\n".join(lines)


@fuzz_settings(examples=200, long_run=20000)
@given(mutated_example())
def test_mutated_examples_give_only_cjm_diagnostics(example):
    name, raw = example
    file = f"mutated/{name}"
    loaded = validate_bytes(raw, EXAMPLES[0].parent / name, file)
    check_diagnostics(loaded, file, imported_ok=True)
    if loaded.valid:
        for diag in lint(loaded):
            assert diag.line >= 1 and diag.col >= 1 and DIAGNOSTIC_CODE.match(diag.code), diag
    else:
        assert loaded.diagnostics, "an invalid map without a diagnostic"
