"""The language server's pure parts, one by one: columns in each encoding, lines as both sides
count them, matching a changed buffer to its last good parse, what a half-typed line completes,
the reverse of the source map, the suppression comments it writes, and its settings."""

from __future__ import annotations

import pytest

pytest.importorskip("lsprotocol", reason="cjm lsp needs the lsp extra (pip install 'cjm[lsp]')")

from lsprotocol import types  # noqa: E402

from cjm.format.load import parse_text  # noqa: E402
from cjm.lint.suppress import comment_with_code, comment_without_code, read_suppressions, top_comment_end  # noqa: E402
from cjm.lint.select import catalog  # noqa: E402
from cjm.lsp.context import align, completing  # noqa: E402
from cjm.lsp.positions import Encoding, Text  # noqa: E402
from cjm.lsp.settings import Settings, read_settings  # noqa: E402

LINE = 'name: "🎁 礼物 x"'


@pytest.mark.parametrize("kind, python_codec", [("utf-8", "utf-8"), ("utf-16", "utf-16-le"), ("utf-32", "utf-32-le")])
def test_columns_round_trip_in_every_encoding(kind, python_codec):
    encoding = Encoding(kind)
    width = {"utf-8": 1, "utf-16": 2, "utf-32": 4}[kind]
    for col in range(len(LINE) + 1):
        units = len(LINE[:col].encode(python_codec)) // width
        assert encoding.to_client(LINE, col) == units
        assert encoding.from_client(LINE, units) == col


def test_a_column_inside_a_character_is_that_character_and_past_the_end_is_the_end():
    utf8 = Encoding("utf-8")
    at = LINE.index("🎁")
    assert utf8.from_client(LINE, utf8.to_client(LINE, at) + 2) == at
    assert utf8.from_client(LINE, 500) == len(LINE)
    assert Encoding("latin-1").kind == "utf-16"  # an unknown encoding is the protocol's default


def test_lines_broken_by_yaml_but_not_by_lsp_map_through_offsets():
    text = Text("a: 1\u2028b: 2\nc: 3", Encoding("utf-16"))
    assert text.lines == ["a: 1", "b: 2", "c: 3"]  # cjm's (YAML's) lines
    assert text.position(1, 0) == types.Position(line=0, character=5)  # the client's line 0 goes on
    assert text.position(2, 1) == types.Position(line=1, character=1)
    assert text.cursor(types.Position(line=0, character=6)) == (1, 1)


def test_align_matches_unchanged_lines_around_edits():
    good = ["a", "b", "c", "d", "e"]
    current = ["a", "X", "b", "c", "Y", "e"]  # a line inserted, another replaced
    assert [align(current, good, n) for n in range(6)] == [0, None, 1, 2, 3, 4]


def test_completing_says_what_is_typed():
    good = "cjm: 1\nstages:\n  - id: s\n    touchpoints:\n      - id: t\n        next: [t]\n"
    key = completing(good.replace("        next: [t]\n", "        cha\n"), 5, 11, good)
    assert (key.role, key.path, key.prefix) == ("key", ("stages", 0, "touchpoints", 0), "cha")
    value = completing(good.replace("next: [t]", "medium: ow"), 5, 18, good)
    assert (value.role, value.path, value.prefix) == ("value", ("stages", 0, "touchpoints", 0, "medium"), "ow")
    flow = completing(good.replace("next: [t]", "next: [t, "), 5, 18, good)  # unclosed: the buffer does not parse
    assert (flow.role, flow.path, flow.typed) == ("flow-list", ("stages", 0, "touchpoints", 0, "next"), "[t, ")
    item = completing(good + "      - \n", 6, 8, good)
    assert (item.role, item.path) == ("item", ("stages", 0, "touchpoints", 1))
    assert completing(good.replace("next: [t]", 'next: "t'), 5, 16, good) is None  # inside quotes


def test_path_at_is_the_reverse_of_locate():
    parsed = parse_text(b"cjm: 1\nstages:\n  - id: s\n    name: Start here\n", "m")
    source = parsed.source
    assert source.path_at(4, 5) == (("stages", 0, "name"), True)  # on the key
    assert source.path_at(4, 12) == (("stages", 0, "name"), False)  # in the value
    assert source.path_at(3, 9) == (("stages", 0, "id"), False)
    for path in [("stages", 0, "name"), ("stages", 0, "id"), ("cjm",)]:
        span = source.spans[path]
        assert source.path_at(span.start.line, span.start.col)[0] == path


def test_written_suppressions_are_read_by_the_linter():
    text = "cjm: 1\nstages:\n  - id: s   # a note\n    name: S\n"
    lines = text.splitlines()
    own_line = comment_with_code(lines[3], "CJM101")
    assert own_line == "    name: S  # cjm: disable=CJM101"
    assert comment_with_code(lines[2], "CJM101") is None  # another comment there: a line of its own above
    assert comment_with_code(own_line, "CJM102") == "    name: S  # cjm: disable=CJM101,CJM102"
    assert top_comment_end(["# head", "", "cjm: 1"]) == 2
    source = parse_text(("\n".join([*lines[:3], own_line]) + "\n").encode(), "m").source
    read = read_suppressions(source, "m", catalog())
    assert [(s.code, s.line, s.scope.path) for s in read.entries] == [("CJM101", 4, ("stages", 0, "name"))]
    assert read.problems == []
    assert comment_without_code("x: 1  # cjm: disable=CJM101, CJM102 why", 22) == "x: 1  # cjm: disable=CJM102 why"
    assert comment_without_code("x: 1  # cjm: disable=CJM101", 22) == "x: 1"


def test_settings_with_mistakes_keep_the_values_before():
    settings, problems = read_settings({"cjm": {"run": "sometimes", "lint": False, "debounceMs": 50, "colour": 1}})
    assert settings == Settings(lint=False, debounce_ms=50)
    assert problems == ["cjm.run must be one of onType, onSave, both", "unknown setting cjm.colour"]
    assert read_settings(None) == (Settings(), [])
