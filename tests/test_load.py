"""The loader: YAML bytes -> plain data + source map, and everything it refuses, at exact positions."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjm.format.diagnostics import Position
from cjm.format.load import Limits, parse_text
from map_testing import HEAD, only, parse, problems, small_map, validate

needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="positions of libyaml's own errors")


# -- what it builds ------------------------------------------------------------------------------

def test_every_scalar_stays_text_and_empty_values_are_none():
    parsed = parse("""
        cjm: 1
        a: no
        b: 012
        c: 1:20
        d: 2026-03-31
        e: ~
        f:
        g: null
        h: ''
        i: "~"
        j: 1.10
    """)
    assert parsed.ok
    assert parsed.data == {"cjm": "1", "a": "no", "b": "012", "c": "1:20", "d": "2026-03-31", "e": None,
                           "f": None, "g": None, "h": "", "i": "~", "j": "1.10"}


def test_source_map_has_key_and_value_spans_one_based():
    parsed = parse("""
        cjm: 1
        stages:
          - id: s
            touchpoints: [{id: t}]
    """)
    spans = parsed.source.spans
    assert spans[("cjm",)].key == Position(1, 1)
    assert spans[("cjm",)].start == Position(1, 6)
    assert spans[("stages", 0)].start == Position(3, 5)
    assert spans[("stages", 0, "id")].key == Position(3, 5)
    assert spans[("stages", 0, "id")].start == Position(3, 9)
    assert spans[("stages", 0, "touchpoints", 0, "id")].key == Position(4, 20)
    assert spans[("stages", 0, "touchpoints", 0, "id")].start == Position(4, 24)
    assert spans[("stages", 0, "touchpoints", 0, "id")].end == Position(4, 25)
    assert spans[("stages", 0)].key is None and spans[("stages", 0)].anchor == Position(3, 5)  # an item has no key
    assert parsed.source.locate(("stages", 0), at_key=True) == Position(3, 5)


@pytest.mark.parametrize("line, col, found", [
    (1, 1, (("cjm",), True)),                       # on a key
    (1, 6, (("cjm",), False)),                      # on its value
    (1, 7, (("cjm",), False)),                      # just after the value: still its end
    (1, 8, ((), False)),                            # past the end of the line: the map itself
    (3, 3, (("stages",), False)),                   # on the dash: the list, not the item
    (3, 5, (("stages", 0, "id"), True)),
    (3, 9, (("stages", 0, "id"), False)),
    (4, 20, (("stages", 0, "touchpoints", 0, "id"), True)),   # the innermost element wins
    (4, 23, (("stages", 0, "touchpoints", 0, "id"), True)),   # up to the value's start, on the key
    (4, 24, (("stages", 0, "touchpoints", 0, "id"), False)),
    (4, 26, (("stages", 0, "touchpoints", 0), False)),
    (4, 27, (("stages", 0, "touchpoints"), False)),
    (9, 1, None),                                   # after the map
])
def test_path_at_is_the_innermost_element_and_whether_on_its_key(line, col, found):
    parsed = parse("""
        cjm: 1
        stages:
          - id: s
            touchpoints: [{id: t}]
    """)
    assert parsed.source.path_at(line, col) == found
    # a source map made from spans (not the loader's raw numbers) answers the same
    from cjm.format.diagnostics import SourceMap
    assert SourceMap(dict(parsed.source.spans.items())).path_at(line, col) == found


def test_utf8_bom_and_crlf_are_accepted():
    parsed = parse(b"\xef\xbb\xbfcjm: 1\r\nid: m\r\ntitle: T\r\n")
    assert parsed.ok and parsed.data == {"cjm": "1", "id": "m", "title": "T"}
    assert parsed.source.spans[("title",)].start == Position(3, 8)


def test_small_anchors_and_aliases_still_work():
    loaded = validate(small_map("""
        stages:
          - id: s
            name: S
            touchpoints:
              - id: a
                name: A
                pains: &usual [Slow page, Hidden costs]
              - id: b
                name: B
                pains: *usual
    """))
    assert loaded.valid, problems(loaded)
    first, second = loaded.journey.stages[0].touchpoints
    assert first.pains == second.pains == ["Slow page", "Hidden costs"]


# -- YAML syntax ---------------------------------------------------------------------------------

@needs_libyaml
def test_unclosed_flow_sequence_points_at_the_end_and_names_where_it_opened():
    diag = only(parse(HEAD + "pains: [slow\n"))
    assert (diag.code, diag.name) == ("CJM001", "yaml-syntax")
    assert (diag.line, diag.col) == (4, 13)  # the end of the file, clamped to the last line
    assert diag.message  # the parser's own words, passed on; cjm's part is the place and the hint
    assert diag.hint.endswith(" that starts at line 4, column 8")
    assert diag.source_line == "pains: [slow"


@needs_libyaml
def test_colon_in_plain_text_hints_at_quotes():
    diag = only(parse(HEAD + "owner: Sales: north\n"))
    assert (diag.code, diag.line, diag.col) == ("CJM001", 4, 13)
    assert diag.hint == "put text that contains ': ' in quotes"


@needs_libyaml
def test_tab_indentation_hints_at_spaces():
    diag = only(parse(HEAD + "stages:\n\t- id: s\n"))
    assert (diag.code, diag.line, diag.col) == ("CJM001", 5, 1)
    assert "spaces" in diag.hint


@needs_libyaml
def test_unterminated_quote():
    diag = only(parse(HEAD + 'owner: "Sales\n'))
    assert (diag.code, diag.line, diag.col) == ("CJM001", 4, 14)
    assert "quoted scalar that starts at line 4, column 8" in diag.hint


# -- YAML features a map never needs ------------------------------------------------------------

def test_duplicate_key_at_top_level():
    diag = only(parse(HEAD + "title: Again\n"))
    assert (diag.code, diag.name, diag.line, diag.col) == ("CJM002", "duplicate-key", 4, 1)
    assert diag.message.startswith("duplicate key 'title' (first defined at line 3)")
    assert diag.path == ("title",)


def test_duplicate_key_nested_and_quoted():
    parsed = parse(small_map("""
        stages:
          - id: s
            name: S
            "name": T
            touchpoints:
              - {id: t, name: A, 'id': u}
    """))
    assert problems(parsed) == [("CJM002", 7, 5), ("CJM002", 9, 26)]
    assert {d.path for d in parsed.diagnostics} == {("stages", 0, "name"), ("stages", 0, "touchpoints", 0, "id")}
    assert parsed.data is not None and not parsed.ok


def test_duplicate_keys_are_all_reported_in_one_run():
    parsed = parse("cjm: 1\ncjm: 1\nid: a\nid: b\n")
    assert problems(parsed) == [("CJM002", 2, 1), ("CJM002", 4, 1)]


@pytest.mark.parametrize("text, line, col", [
    ("cjm: 1\n? [a, b]\n: 1\n", 2, 3),
    ("cjm: 1\n? {a: b}\n: 1\n", 2, 3),
    ("cjm: 1\nx: {[a]: 1}\n", 2, 5),
])
def test_non_scalar_keys(text, line, col):
    diag = only(parse(text))
    assert (diag.code, diag.name, diag.line, diag.col, diag.hint) == ("CJM002", "unsupported-yaml", line, col, None)
    assert diag.message == "mapping keys must be plain text, not lists or mappings"


def test_merge_keys():
    diag = only(parse(HEAD + "base: &b {owner: x}\nextra:\n  <<: *b\n"))
    assert (diag.code, diag.line, diag.col) == ("CJM002", 6, 3)
    assert "merge keys" in diag.message


@pytest.mark.parametrize("value, tag", [
    ("!!str m", "tag:yaml.org,2002:str"),
    ("!!python/object:os.system m", "tag:yaml.org,2002:python/object:os.system"),
    ("!!python/object/apply:os.system [echo hi]", "tag:yaml.org,2002:python/object/apply:os.system"),
    ("!local m", "!local"),
    ("!!map {a: b}", "tag:yaml.org,2002:map"),
])
def test_explicit_tags(value, tag):
    diag = only(parse(f"cjm: 1\nid: {value}\n"))
    assert (diag.code, diag.name, diag.line, diag.col) == ("CJM002", "unsupported-yaml", 2, 5)
    assert diag.message == f"explicit YAML tag '{tag}' is not allowed in a map"
    assert diag.hint == "remove the tag; cjm reads every value as plain data"


def test_multiple_documents():
    diag = only(parse(HEAD + "---\ncjm: 1\n"))
    assert (diag.code, diag.line, diag.col) == ("CJM002", 4, 1)
    assert "one YAML document" in diag.message


def test_explicit_single_document_is_fine():
    assert parse("---\n" + HEAD + "...\n").ok


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "[1, 2]\n"])
def test_top_level_must_be_a_mapping(text):
    diag = only(parse(text))
    assert (diag.code, diag.line, diag.col) == ("CJM010", 1, 1)
    assert diag.message == "the top level of a map must be a mapping (key: value)"


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n", "~\n"])
def test_empty_file(text):
    diag = only(parse(text))
    assert (diag.code, diag.line, diag.col) == ("CJM010", 1, 1)
    assert "holds no map" in diag.message


def test_alias_to_an_unknown_anchor():
    diag = only(parse(HEAD + "owner: *nobody\n"))
    assert (diag.code, diag.line, diag.col) == ("CJM001", 4, 8)


# -- limits --------------------------------------------------------------------------------------

def test_size_limit():
    diag = only(parse(HEAD + "owner: " + "x" * 200 + "\n", Limits(max_bytes=100)))
    assert (diag.code, diag.name, diag.line, diag.col) == ("CJM003", "input-limit", 1, 1)
    assert "over 100 bytes" in diag.message and "--max-bytes" in diag.hint


def test_node_limit():
    items = ", ".join(f"p{i}" for i in range(60))
    diag = only(parse(HEAD + f"pains: [{items}]\n", Limits(max_nodes=50)))
    assert (diag.code, diag.line) == ("CJM003", 4)
    # 8 nodes before the list (the mapping, its keys and values), the list itself, then p0...: p41 is node 51
    assert diag.col == diag.source_line.index("p41") + 1
    assert "50 YAML nodes" in diag.message


# cjm's own limit decides, whatever parser runs underneath: libyaml 0.2.5 (no limit of its own),
# libyaml 0.2.6 (stops flow nesting at 1,000 levels while it scans ahead) and the pure-Python
# parser, which users get where the C extension is missing.
class Libyaml026Loader:
    """The C loader as libyaml 0.2.6 behaves on deep flow nesting, whatever libyaml is installed:
    its scanner refuses the 1,001st open bracket before the first event is handed out."""

    def __init__(self, text: str):
        self.inner = yaml.CSafeLoader(text)
        depth = 0
        for index, char in enumerate(text[:1100]):
            depth += (char in "[{") - (char in "]}")
            if depth > 1000:
                line = text.count("\n", 0, index)
                column = index - (text.rfind("\n", 0, index) + 1)
                mark = yaml.Mark("<unicode string>", index, line, column, None, None)
                self.error = yaml.scanner.ScannerError("while increasing flow level", mark,
                                                       "exceeded maximum nesting depth", mark)
                break
        else:
            self.error = None

    def check_event(self, *choices):
        if self.error is not None:
            raise self.error
        return self.inner.check_event(*choices)

    def get_event(self):
        return self.inner.get_event()

    def dispose(self):
        self.inner.dispose()


LOADERS = {"libyaml": getattr(yaml, "CSafeLoader", None), "libyaml-0.2.6": Libyaml026Loader, "pure-python": yaml.SafeLoader}


@pytest.fixture(params=sorted(LOADERS))
def each_loader(request, monkeypatch):
    """Runs the test once per parser, as cjm.format.load would pick it."""
    loader = LOADERS[request.param]
    if loader is None or (loader is Libyaml026Loader and not yaml.__with_libyaml__):
        pytest.skip("PyYAML was built without libyaml")  # allow-listed: a PyYAML without its C extension
    monkeypatch.setattr("cjm.format.load.FastLoader", loader)
    return request.param


@pytest.mark.parametrize("levels", [65, 100, 1_001, 10_000, 100_000])
def test_deep_flow_nesting_is_refused(levels, each_loader):
    parsed = parse(HEAD + "pains: " + "[" * levels + "]" * levels + "\n")
    diag = only(parsed)
    assert (diag.code, diag.line, diag.col) == ("CJM003", 4, 8 + 63)  # the 64th '[' opens level 65
    assert diag.message == "nesting deeper than 64 levels"


@pytest.mark.parametrize("opener", ["{a: ", "[{a: "])
def test_deep_flow_mappings_are_refused(opener, each_loader):
    levels = 5_000 // len(opener)
    parsed = parse(HEAD + "pains: " + opener * levels + "b" + ("}" if opener == "{a: " else "}]") * levels + "\n")
    diag = only(parsed)
    assert (diag.code, diag.line, diag.message) == ("CJM003", 4, "nesting deeper than 64 levels")
    brackets = [i for i, char in enumerate(diag.source_line) if char in "[{"]
    assert diag.col == brackets[63] + 1  # the root mapping is level 1: the 64th bracket opens level 65


def test_the_64th_level_is_allowed(each_loader):
    assert parse(HEAD + "pains: " + "[" * 63 + "]" * 63 + "\n").ok  # 63 lists inside the root mapping


def test_deep_block_nesting_is_refused(each_loader):
    lines = [f"{'  ' * i}k{i}:" for i in range(80)]
    diag = only(parse(HEAD + "\n".join(lines) + " x\n"))
    assert (diag.code, diag.line, diag.col) == ("CJM003", 4 + 64, 1 + 2 * 64)


@pytest.mark.parametrize("levels", [65, 10_000])
def test_deep_nesting_in_an_observed_file_is_refused(levels, each_loader):
    from cjm.evidence.observed import parse_observed

    text = '{"cjm_observed": 1,\n "provenance": ' + "[" * levels + "]" * levels + "}\n"
    loaded = parse_observed(text.encode(), "o.observed.json")
    assert [(d.code, d.line, d.col, d.message) for d in loaded.diagnostics] == [
        ("CJM003", 2, 16 + 63, "nesting deeper than 64 levels")]


def test_a_parser_limit_on_text_cjm_accepts_is_never_shown(monkeypatch):
    """Were a parser to stop at its own limit on a text within cjm's, the pure-Python parser
    reads it, and the map loads: no library's wording reaches the user."""
    class Refusing(Libyaml026Loader):
        def __init__(self, text):
            super().__init__(text)
            mark = yaml.Mark("<unicode string>", 0, 0, 0, None, None)
            self.error = yaml.scanner.ScannerError("while scanning", mark, "exceeded maximum nesting depth", mark)

    monkeypatch.setattr("cjm.format.load.FastLoader", Refusing)
    assert parse(HEAD + "pains: [[a]]\n").ok


def test_a_syntax_error_is_not_read_twice(monkeypatch):
    """Only a parser's limit sends the text to the second parser; a syntax error is reported as the
    first parser found it."""
    used = []
    monkeypatch.setattr("cjm.format.load.PythonLoader", lambda text: used.append(text))
    diag = only(parse(HEAD + "pains: [a\n"))
    assert diag.code == "CJM001" and used == []


def test_nesting_within_the_limit_is_fine(each_loader):
    assert parse(HEAD + "x: " + "[" * 60 + "]" * 60 + "\n").ok


def test_billion_laughs_is_refused_early():
    lines = ['lol: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    parsed = parse(HEAD + "\n".join(lines) + "\n")
    diag = only(parsed)
    assert (diag.code, diag.name) == ("CJM003", "input-limit")
    assert diag.line == 9  # a5 expands to 9**6 = 531,441 nodes, the first over 500,000
    assert "anchors and aliases count once per use" in diag.hint
    assert parsed.data is None


# -- characters and encodings ---------------------------------------------------------------------

@pytest.mark.parametrize("raw, line, col", [
    (b"cjm: 1\n\x07id: a\n", 2, 1),          # the first character of a line
    (b"cjm: 1\nid: a\x07\n", 2, 6),          # the last one before the line break
    (b"cjm: 1\r\nid: a\r\n\x07", 3, 1),     # after CRLF, at the very end
])
def test_a_control_character_at_the_edges_of_a_line(raw, line, col):
    diag = only(parse(raw))
    assert (diag.code, diag.line, diag.col) == ("CJM004", line, col)


def test_a_parser_error_without_a_place_or_words_is_at_the_start():
    """Errors of PyYAML's parser always carry a mark and a problem; should one come without them,
    the diagnostic is still whole: at 1:1 (the context's place is only named with a context)."""
    from cjm.format.load import _Builder, _syntax_error

    builder = _Builder("m.cjm.yaml", ["cjm: 1"], Limits())
    diag = _syntax_error(yaml.MarkedYAMLError(), builder)
    assert (diag.code, diag.name, diag.message, diag.line, diag.col, diag.hint) == (
        "CJM001", "yaml-syntax", "invalid YAML", 1, 1, None)
    assert diag.source_line == "cjm: 1"
    mark = yaml.Mark("m", 0, 0, 4, None, None)
    diag = _syntax_error(yaml.MarkedYAMLError(context="while scanning", context_mark=mark), builder)
    assert (diag.message, diag.line, diag.col, diag.hint) == ("while scanning", 1, 5, None)
    diag = _syntax_error(yaml.MarkedYAMLError(problem="found x", problem_mark=mark, context_mark=mark), builder)
    assert (diag.message, diag.line, diag.col, diag.hint) == ("found x", 1, 5, None)


def test_raw_control_character():
    diag = only(parse(HEAD.encode() + b"owner: Sal\x07es\n"))
    assert (diag.code, diag.name, diag.line, diag.col) == ("CJM004", "bad-character", 4, 11)
    assert "U+0007" in diag.message


@pytest.mark.parametrize("escaped, code_point", [(r"\0", "U+0000"), (r"\x07", "U+0007"), (r"\e", "U+001B"), (r"\uFFFE", "U+FFFE")])
def test_control_character_written_as_an_escape(escaped, code_point):
    diag = only(parse(HEAD + f'owner: "Sal{escaped}es"\n'))
    assert (diag.code, diag.line, diag.col) == ("CJM004", 4, 8)  # the quoted scalar
    assert code_point in diag.message


@needs_libyaml
def test_lone_surrogate_escape():
    diag = only(parse(HEAD + 'owner: "a\\ud800b"\n'))
    assert (diag.code, diag.line, diag.col) == ("CJM001", 4, 12)
    assert "escape" in diag.message


def test_lone_surrogate_is_refused_whichever_parser_reads_it():
    parsed = parse(HEAD + 'owner: "a\\ud800b"\n')
    assert parsed.data is None and only(parsed).code in {"CJM001", "CJM004"}


def test_invalid_utf8():
    diag = only(parse(HEAD.encode() + b"owner: caf\xe9 team\n"))
    assert (diag.code, diag.name, diag.line, diag.col) == ("CJM004", "bad-encoding", 4, 11)
    assert diag.message == "invalid UTF-8 byte 0xe9"
    assert diag.source_line == "owner: caf\ufffd team"


@pytest.mark.parametrize("raw, name", [
    (b"\xff\xfe" + HEAD.encode("utf-16-le"), "UTF-16"),
    (b"\xfe\xff" + HEAD.encode("utf-16-be"), "UTF-16"),
    (HEAD.encode("utf-16-le"), "UTF-16 or UTF-32"),
    (b"\xff\xfe\x00\x00" + HEAD.encode("utf-32-le"), "UTF-32"),
])
def test_wide_encodings(raw, name):
    diag = only(parse(raw))
    assert (diag.code, diag.line, diag.col) == ("CJM004", 1, 1)
    assert diag.message == f"the file is {name}; save it as UTF-8"


YAML_PIECES = st.text(alphabet=" \n\t-:[]{},&*!|>'\"#?%@`\\~.0123abcxyz\u00e9\u2028\x07", max_size=200)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAML_PIECES)
def test_parse_text_never_raises_and_every_problem_has_a_place(text):
    parsed = parse_text(text.encode("utf-8"), "x.cjm.yaml")
    assert parsed.data is None or isinstance(parsed.data, dict)
    assert parsed.data is not None or parsed.diagnostics
    lines = max(1, len(text.splitlines()))
    for diag in parsed.diagnostics:
        assert 1 <= diag.line <= lines and diag.col >= 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_parse_text_never_raises_on_any_bytes(raw):
    parsed = parse_text(raw, "x.cjm.yaml")
    assert parsed.data is None or isinstance(parsed.data, dict)


@pytest.mark.parametrize("text", [
    HEAD + "a: ~\nb:\nc: null\nd: ''\ne: no\n",
    HEAD + "title: Again\n",
    HEAD + 'owner: "a\\x07b"\n',
    HEAD + "id: !!str m\n",
    HEAD + "pains: &p [a, b]\ngoals: *p\n",
    HEAD + "---\ncjm: 1\n",
    "- a\n",
])
def test_the_pure_python_parser_builds_the_same(monkeypatch, text):
    with_c = parse(text)
    monkeypatch.setattr("cjm.format.load.FastLoader", yaml.SafeLoader)
    pure = parse(text)
    assert pure.data == with_c.data
    assert problems(pure) == problems(with_c)
    assert pure.source.spans == with_c.source.spans


def test_thousands_of_duplicate_keys_stop_after_a_hundred():
    parsed = parse("cjm: 1\n" + "a: b\n" * 5000)
    assert len(parsed.diagnostics) == 101 and parsed.data is None
    last = parsed.diagnostics[-1]
    assert (last.line, last.col, last.message) == (103, 1, "more than 100 duplicate keys; stopped here")


@pytest.mark.parametrize("text, limits, whole", [
    (HEAD + "base: &b {owner: x}\nextra:\n  <<: *b\n", Limits(),
     ("CJM002", "unsupported-yaml", "merge keys ('<<') are not supported", 6, 3, "write the fields out in full")),
    (HEAD + 'owner: "Sal\\x07es"\n', Limits(),
     ("CJM004", "bad-character", "text holds the control character or invalid code point U+0007", 4, 8,
      "remove it; maps hold no NUL, other C0 control characters or lone surrogates")),
    (HEAD + "pains: " + "[" * 65 + "]" * 65 + "\n", Limits(),
     ("CJM003", "input-limit", "nesting deeper than 64 levels", 4, 71, "a journey map needs only a few levels")),
    (HEAD + "owner: *nobody\n", Limits(),
     ("CJM001", "yaml-syntax", "alias '*nobody' refers to no anchor defined before it", 4, 8, None)),
    (HEAD + "---\ncjm: 1\n", Limits(),
     ("CJM002", "unsupported-yaml", "a map file holds one YAML document; found a second one", 4, 1,
      "split the documents into separate files")),
    (HEAD + "pains: [" + ", ".join(f"p{i}" for i in range(42)) + "]\n", Limits(max_nodes=50),
     ("CJM003", "input-limit", "the map expands to more than 50 YAML nodes", 4, 204,
      "anchors and aliases count once per use; split very large maps")),
    ("cjm: 1\n" + "a: b\n" * 102, Limits(),
     ("CJM002", "duplicate-key", "more than 100 duplicate keys; stopped here", 103, 1, "fix the ones above first")),
])
def test_each_refusal_is_one_whole_diagnostic_with_its_line(text, limits, whole):
    """The last diagnostic of each kind of refusal, every field (the duplicate keys before the cap
    are diagnostics of their own), and the source line it points into."""
    parsed = parse(text, limits)
    diag = parsed.diagnostics[-1]
    assert (diag.code, diag.name, diag.message, diag.line, diag.col, diag.hint) == whole
    assert (diag.file, diag.source_line) == ("m.cjm.yaml", text.splitlines()[diag.line - 1])
    assert parsed.data is None


def test_the_node_limit_allows_exactly_its_number_of_nodes():
    # 8 nodes before the list (the mapping, its keys and values), the list, then p0 ... p40: 50 nodes
    parsed = parse(HEAD + "pains: [" + ", ".join(f"p{i}" for i in range(41)) + "]\n", Limits(max_nodes=50))
    assert parsed.ok and len(parsed.data["pains"]) == 41


class _ParserThatGivesUp:
    """A parser that raises a YAMLError with no marks (what a future parser or PyYAML release might do)."""

    disposed = False

    def check_event(self):
        return True

    def get_event(self):
        raise yaml.YAMLError("the scanner gave up")

    def dispose(self):
        self.disposed = True


def test_an_unmarked_parser_error_is_cjm001_at_the_start_with_its_words():
    from cjm.format.load import _Builder, _run

    parser = _ParserThatGivesUp()
    problem = _run(parser, _Builder("map.cjm.yaml", ["id: x"], Limits()))
    assert (problem.code, problem.name, problem.file, problem.message) == ("CJM001", "yaml-syntax", "map.cjm.yaml",
                                                                             "the scanner gave up")
    assert (problem.line, problem.col) == (1, 1) and parser.disposed


# The node limit counts exactly: the limit itself is allowed, one more is refused at the node
# that crosses it, and an alias counts every node of what it repeats (a scalar 1, a list 1 + items).
@pytest.mark.parametrize("text, nodes, line, col", [
    ("a: []\n", 3, 1, 4),  # the mapping, a, the list: the list is the third node
    ("a: &x [1, 2]\nb: *x\n", 9, 2, 4),  # 6 nodes, then the alias repeats the list's 3
    ("a: &x hello\nb: *x\n", 5, 2, 4),  # an anchored scalar, repeated once
])
def test_the_node_limit_is_exact_and_an_alias_counts_what_it_repeats(text, nodes, line, col):
    allowed = parse_text(text.encode(), "m.cjm.yaml", Limits(max_nodes=nodes))
    assert allowed.diagnostics == [] and allowed.data["b" if "b:" in text else "a"] is not None
    refused = only(parse_text(text.encode(), "m.cjm.yaml", Limits(max_nodes=nodes - 1)))
    assert (refused.code, refused.name, refused.line, refused.col) == ("CJM003", "input-limit", line, col)


def test_a_problem_past_the_last_line_has_no_source_line():
    from cjm.format.load import LoadError, _Builder

    builder = _Builder("m.cjm.yaml", ["id: x"], Limits())
    assert builder.problem(Position(1, 2), "CJM001", "yaml-syntax", "here").source_line == "id: x"
    past = builder.problem(Position(2, 1), "CJM001", "yaml-syntax", "at the end")
    assert (past.line, past.col, past.source_line) == (2, 1, None)
    assert str(LoadError(past)) == "at the end"  # the exception reads as its diagnostic's message


def test_spans_made_without_the_loader_are_empty():
    from cjm.format.diagnostics import Spans

    spans = Spans()
    assert (len(spans), list(spans), () in spans) == (0, [], False)


# Every refusal before the parser runs (size, encoding, control characters) and every empty or
# non-mapping file: the whole Parsed (its file name, no data, the source map) and every field of
# the one diagnostic. A refused file's source map has no spans; its lines are the file's lines once
# it could be read as text (so excerpts work), none when it could not.

def _whole(diag):
    return (diag.code, diag.name, diag.message, diag.file, diag.line, diag.col, diag.hint, diag.source_line)


def _refused(parsed, lines):
    assert (parsed.file, parsed.data, parsed.ok) == ("m.cjm.yaml", None, False)
    assert (parsed.source.spans, parsed.source.lines) == ({}, lines)
    assert parsed.source.locate(("title",)) == Position(1, 1) and parsed.source.path_at(1, 1) is None
    return only(parsed)


def test_the_byte_limit_allows_exactly_its_number_of_bytes():
    raw = (HEAD + "owner: " + "x" * (1234 - len(HEAD) - 8) + "\n").encode()
    assert len(raw) == 1234
    allowed = parse(raw, Limits(max_bytes=1234))
    assert allowed.ok and allowed.file == "m.cjm.yaml" and len(allowed.data["owner"]) == 1234 - len(HEAD) - 8
    diag = _refused(parse(raw, Limits(max_bytes=1233)), [])
    assert _whole(diag) == ("CJM003", "input-limit", "the file is over 1,233 bytes", "m.cjm.yaml", 1, 1,
                            "split the map or raise the limit with --max-bytes", None)


@pytest.mark.parametrize("raw, name", [
    (b"\x00\x00\xfe\xff" + HEAD.encode("utf-32-be"), "UTF-32"),
    (b"\xff\xfe\x00\x00" + HEAD.encode("utf-32-le"), "UTF-32"),
    (b"\xff\xfe" + HEAD.encode("utf-16-le"), "UTF-16"),
    (b"\xfe\xff" + HEAD.encode("utf-16-be"), "UTF-16"),
    (b"\xfe\xff", "UTF-16"),                           # a byte order mark alone
    (HEAD.encode("utf-16-le"), "UTF-16 or UTF-32"),    # no byte order mark: told by the NULs
    (HEAD.encode("utf-16-be"), "UTF-16 or UTF-32"),
    (HEAD.encode("utf-32-le"), "UTF-16 or UTF-32"),
    ("a:".encode("utf-16-le"), "UTF-16 or UTF-32"),    # 4 bytes, the shortest told by its NULs
    ("a:".encode("utf-16-be"), "UTF-16 or UTF-32"),
])
def test_each_wide_encoding_is_refused_whole(raw, name):
    diag = _refused(parse(raw), [])
    assert _whole(diag) == ("CJM004", "bad-encoding", f"the file is {name}; save it as UTF-8", "m.cjm.yaml", 1, 1,
                            "maps are read as UTF-8", None)


@pytest.mark.parametrize("raw, line, col, byte, shown", [
    # columns count characters: 'é' and '–' before the bad byte are one column each; lines follow
    (HEAD.encode() + "owner: café – ".encode() + b"\xff team\nsteps: []\n", 4, 15, "ff", "owner: café – \ufffd team"),
    (b"\nid: caf\xe9 x\n", 2, 8, "e9", "id: caf\ufffd x"),          # after an empty first line
    (b"cjm: 1\nid: caf\xe9", 2, 8, "e9", "id: caf\ufffd"),          # on a last line without a line break
    (b"cjm: 1\r\nid: x\xc3\r\n", 2, 6, "c3", "id: x\ufffd"),      # a sequence cut short by CRLF
    (b"cjm: 1\rid: caf\xe9\rx: y\r", 2, 8, "e9", "id: caf\ufffd"),  # lines split by a lone CR, as YAML does
    (b"\xef\xbb\xbfid: caf\xe9\n", 1, 8, "e9", "id: caf\ufffd"),    # after a UTF-8 BOM, which is no column
])
def test_invalid_utf8_is_refused_whole(raw, line, col, byte, shown):
    diag = _refused(parse(raw), [])
    assert _whole(diag) == ("CJM004", "bad-encoding", f"invalid UTF-8 byte 0x{byte}", "m.cjm.yaml", line, col,
                            "save the file as UTF-8", shown)


@pytest.mark.parametrize("raw, line, col, code_point", [
    (b"cjm: 1\n\x07id: a\n", 2, 1, "0007"),
    (b"cjm: 1\nid: a\x07\nx: y\n", 2, 6, "0007"),
    (b"cjm: 1\r\nid: a\r\n\x7f", 3, 1, "007F"),                # on the last line, after CRLF
    ("cjm: 1\nid: café\x1b\nx: y\n".encode(), 2, 9, "001B"),  # columns count characters
    (b"a\x00b", 1, 2, "0000"),                                  # 3 bytes: too short to be told as UTF-16
    (b"\xef\xbb\xbfid: \x01\n", 1, 5, "0001"),                 # after a UTF-8 BOM, which is no column
])
def test_a_control_character_is_refused_whole(raw, line, col, code_point):
    lines = raw.decode("utf-8-sig").splitlines()
    diag = _refused(parse(raw), lines)
    assert _whole(diag) == ("CJM004", "bad-character", f"control character U+{code_point} is not allowed in a map",
                            "m.cjm.yaml", line, col, "remove NUL and other C0 control characters", lines[line - 1])


def test_a_utf8_bom_is_not_part_of_the_first_line():
    parsed = parse(b"\xef\xbb\xbfcjm: 1\r\nid: m\r\ntitle: T\r\n")
    assert parsed.source.lines == ["cjm: 1", "id: m", "title: T"]
    assert parsed.source.spans[("cjm",)].key == Position(1, 1)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n", "~\n"])
def test_an_empty_file_is_refused_whole(text):
    parsed = parse(text.encode())
    assert (parsed.file, parsed.data, parsed.source.lines) == ("m.cjm.yaml", None, text.splitlines())
    diag = only(parsed)
    assert _whole(diag)[:7] == ("CJM010", "schema", "the file holds no map; a map starts with 'cjm: 1'",
                                "m.cjm.yaml", 1, 1, None)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "[1, 2]\n"])
def test_a_top_level_that_is_not_a_mapping_is_refused_whole(text):
    parsed = parse(text.encode())
    assert (parsed.file, parsed.data, parsed.source.lines) == ("m.cjm.yaml", None, text.splitlines())
    assert _whole(only(parsed)) == ("CJM010", "schema", "the top level of a map must be a mapping (key: value)",
                                    "m.cjm.yaml", 1, 1, None, text.splitlines()[0])


def test_the_parsed_file_keeps_its_name_loaded_or_refused():
    loaded = parse(HEAD)
    assert (loaded.file, loaded.ok, loaded.source.lines) == ("m.cjm.yaml", True, HEAD.splitlines())
    refused = parse(HEAD + "owner: *nobody\n")
    assert (refused.file, refused.data, only(refused).file) == ("m.cjm.yaml", None, "m.cjm.yaml")


@needs_libyaml
def test_a_map_read_again_by_the_pure_python_parser_keeps_its_file_name(monkeypatch):
    """libyaml 0.2.6 stops at its own flow limit; the pure-Python parser reads the text again, and
    its diagnostic is that of the same file."""
    monkeypatch.setattr("cjm.format.load.FastLoader", Libyaml026Loader)
    text = HEAD + "pains: " + "[" * 1_001 + "]" * 1_001 + "\n"
    parsed = parse(text)
    assert (parsed.file, parsed.data) == ("m.cjm.yaml", None)
    assert _whole(only(parsed)) == ("CJM003", "input-limit", "nesting deeper than 64 levels", "m.cjm.yaml", 4, 71,
                                    "a journey map needs only a few levels", text.splitlines()[3])


def test_a_problem_before_the_first_line_has_no_source_line():
    from cjm.format.load import _Builder

    builder = _Builder("m.cjm.yaml", ["cjm: 1", "id: x"], Limits())
    assert builder.problem(Position(0, 1), "CJM001", "yaml-syntax", "before").source_line is None


def test_a_marked_parser_error_without_words_says_invalid_yaml_at_its_mark():
    from yaml.error import Mark

    from cjm.format.load import _Builder, _run

    class WordlessParser(_ParserThatGivesUp):
        def get_event(self):
            raise yaml.MarkedYAMLError(problem_mark=Mark("m", 3, 0, 3, None, None))

    problem = _run(WordlessParser(), _Builder("map.cjm.yaml", ["id: x", "title: t"], Limits()))
    assert (problem.code, problem.message, problem.line, problem.col) == ("CJM001", "invalid YAML", 1, 4)
