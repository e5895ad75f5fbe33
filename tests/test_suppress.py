"""Suppression comments: where they apply, what they cover, and what is reported about them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cjm.format.diagnostics import Diagnostic
from cjm.lint.engine import Linter
from cjm.lint.suppress import comment_column
from cjm.format.validate import read_map
from lint_testing import CART_EMOTION_LINE, HOME_LINE, MAP, project, test_rules, write  # noqa: F401

pytestmark = pytest.mark.usefixtures("test_rules")


def lint_text(folder: Path, text: str, *ignore: str) -> list[Diagnostic]:
    from cjm.lint.engine import Overrides

    path = write(folder, "shop.cjm.yaml", text)
    linter = Linter(Overrides(ignore=ignore))
    loaded = read_map(path)
    assert loaded.valid, loaded.diagnostics
    return sorted(linter.lint_map(loaded, linter.settings_for(path)), key=lambda d: (d.line, d.col, d.code))


def found(diags: list[Diagnostic]) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in diags]


def edit(line: int, suffix: str = "", above: str | None = None, text: str = MAP) -> str:
    lines = text.splitlines()
    lines[line - 1] += suffix
    if above is not None:
        indent = len(lines[line - 1]) - len(lines[line - 1].lstrip())
        lines.insert(line - 1, " " * indent + above)
    return "\n".join(lines) + "\n"


def test_baseline(project: Path) -> None:
    assert found(lint_text(project, MAP)) == [("CJM191", HOME_LINE), ("CJM291", CART_EMOTION_LINE)]


def test_end_of_line_comment_silences_the_element(project: Path) -> None:
    assert found(lint_text(project, edit(HOME_LINE, "  # cjm: disable=CJM191"))) == [("CJM291", CART_EMOTION_LINE)]


def test_comment_alone_on_the_line_above(project: Path) -> None:
    text = edit(HOME_LINE, above="# cjm: disable=flagged-touchpoint")
    assert found(lint_text(project, text)) == [("CJM291", CART_EMOTION_LINE + 1)]


def test_several_comment_lines_above_all_apply(project: Path) -> None:
    text = edit(17, above="# cjm: disable=CJM291")  # the 'cart' touchpoint
    text = edit(17, above="# a reason that stands on its own line", text=text)
    text = edit(17, above="# cjm: disable=CJM191", text=text)
    diags = lint_text(project, text)
    assert found(diags) == [("CJM191", HOME_LINE), ("CJM090", 17)]
    assert diags[1].message == "unused suppression: CJM191 (flagged-touchpoint) finds nothing here"


def test_scope_covers_everything_inside_the_element(project: Path) -> None:
    # On the stage's `touchpoints:` key: every touchpoint of 'browse' and their fields.
    text = edit(8, "   # cjm: disable=CJM191,CJM291 -- known, fixed in Q3")
    assert found(lint_text(project, text)) == []


def test_scope_does_not_reach_sibling_elements(project: Path) -> None:
    text = MAP.replace("name: Pay", "name: Pay FLAG")
    text = edit(HOME_LINE, "  # cjm: disable=CJM191", text=text)
    assert found(lint_text(project, text)) == [("CJM291", CART_EMOTION_LINE), ("CJM191", 23)]


def test_comment_on_a_field_line_covers_only_that_field(project: Path) -> None:
    # The comment sits on 'cart's name line, but the finding is at its emotion.
    text = edit(18, "  # cjm: disable=CJM291")
    assert found(lint_text(project, text)) == [("CJM191", HOME_LINE), ("CJM090", 18), ("CJM291", CART_EMOTION_LINE)]


def test_finding_reported_on_a_line_is_covered_by_a_comment_on_that_line(project: Path) -> None:
    # owner-missing points at the map's first line (there is no `owner` to point at).
    text = MAP.replace("owner: Web team\n", "")
    assert ("CJM591", 1) in found(lint_text(project, text))
    silenced = text.replace("cjm: 1\n", "cjm: 1  # cjm: disable=owner-missing\n")
    assert ("CJM591", 1) not in found(lint_text(project, silenced))
    assert "CJM090" not in {d.code for d in lint_text(project, silenced)}


def test_disable_file_in_the_leading_comment_block(project: Path) -> None:
    text = "# yaml-language-server: $schema=x.json\n#\n# cjm: disable-file=CJM191, low-emotion\n\n" + MAP
    assert found(lint_text(project, text)) == []


def test_disable_file_below_the_top_is_reported_and_not_applied(project: Path) -> None:
    text = edit(3, above="# cjm: disable-file=CJM191")
    diags = lint_text(project, text)
    assert found(diags) == [("CJM091", 3), ("CJM191", HOME_LINE + 1), ("CJM291", CART_EMOTION_LINE + 1)]
    assert "only works in the comment block at the top" in diags[0].message


def test_unused_suppression_points_at_the_code(project: Path) -> None:
    text = edit(13, "  # cjm: disable=CJM191")  # 'search' has no FLAG
    diags = lint_text(project, text)
    unused = [d for d in diags if d.code == "CJM090"]
    assert len(unused) == 1
    assert (unused[0].line, unused[0].col) == (13, text.splitlines()[12].index("CJM191") + 1)
    assert unused[0].severity.value == "warning"
    assert unused[0].name == "unused-suppression"


def test_unused_file_suppression(project: Path) -> None:
    diags = lint_text(project, "# cjm: disable-file=CJM192\n" + MAP)
    assert [(d.code, d.line, d.message) for d in diags if d.code == "CJM090"] == [
        ("CJM090", 1, "unused suppression: CJM192 (noted-stage) finds nothing in this file")]


def test_suppression_of_a_rule_that_did_not_run_is_not_unused(project: Path) -> None:
    text = edit(13, "  # cjm: disable=CJM191")
    assert "CJM090" not in {d.code for d in lint_text(project, text, "CJM191")}


def test_unused_suppressions_can_be_ignored(project: Path) -> None:
    text = edit(13, "  # cjm: disable=CJM191")
    assert "CJM090" not in {d.code for d in lint_text(project, text, "unused-suppression")}


@pytest.mark.parametrize(("comment", "message"), [
    ("# cjm: disable=CJM999", "unknown rule 'CJM999' in suppression"),
    ("# cjm: disable=flagged-touchpoints", "unknown rule 'flagged-touchpoints' in suppression; did you mean 'flagged-touchpoint'?"),
    ("# cjm: disable=CJM010", "'CJM010' is a validation code and cannot be suppressed"),
    ("# cjm: disable=CJM090", "CJM090 cannot be suppressed in a comment"),
    ("# cjm: disabel=CJM191", "cannot read suppression 'cjm: disabel=CJM191'"),
    ("# cjm: disable", "cannot read suppression 'cjm: disable'"),
])
def test_invalid_suppressions_are_reported(project: Path, comment: str, message: str) -> None:
    text = edit(13, "  " + comment)
    invalid = [d for d in lint_text(project, text) if d.code == "CJM091"]
    assert [(d.line, d.message) for d in invalid] == [(13, message)]
    assert invalid[0].source_line == text.splitlines()[12]


def test_a_valid_code_beside_an_unknown_one_still_works(project: Path) -> None:
    diags = lint_text(project, edit(HOME_LINE, "  # cjm: disable=CJM998,CJM191"))
    assert found(diags) == [("CJM091", HOME_LINE), ("CJM291", CART_EMOTION_LINE)]


def test_suppression_on_no_element(project: Path) -> None:
    diags = lint_text(project, MAP + "# cjm: disable=CJM191\n")
    assert ("CJM091", MAP.count("\n") + 1) in found(diags)
    assert ("CJM191", HOME_LINE) in found(diags)


def test_other_comments_mentioning_cjm_are_left_alone(project: Path) -> None:
    text = edit(HOME_LINE, "  # see the cjm: docs for why")
    text = edit(13, "  # yaml-language-server: $schema=cjm-map.json", text=text)
    assert found(lint_text(project, text)) == [("CJM191", HOME_LINE), ("CJM291", CART_EMOTION_LINE)]


@pytest.mark.parametrize("value", [
    '"Home FLAG # cjm: disable=CJM191"',
    "'Home FLAG # cjm: disable=CJM191'",
    "'it''s Home FLAG # cjm: disable=CJM191'",
    '"Home \\" FLAG # cjm: disable=CJM191"',
])
def test_hash_inside_a_quoted_string_is_not_a_comment(project: Path, value: str) -> None:
    text = MAP.replace("name: Home FLAG", f"name: {value}")
    assert found(lint_text(project, text)) == [("CJM191", HOME_LINE), ("CJM291", CART_EMOTION_LINE)]


def test_hash_inside_block_and_multiline_scalars_is_not_a_comment(project: Path) -> None:
    text = MAP.replace("title: Shop\n", (
        "title: Shop\n"
        "description: |\n"
        "  Notes # cjm: disable-file=CJM191\n"
        "  more\n"
    )).replace("        name: Home FLAG\n", (
        "        name: \"Home FLAG\n"
        "          # cjm: disable=CJM191\"\n"
    ))
    assert found(lint_text(project, text)) == [("CJM191", HOME_LINE + 3), ("CJM291", CART_EMOTION_LINE + 4)]


def test_comment_after_a_closing_multiline_quote_is_a_comment(project: Path) -> None:
    text = MAP.replace("        name: Home FLAG\n", (
        "        name: \"Home FLAG\n"
        "          continued\"   # cjm: disable=CJM191\n"
    ))
    # The comment stands on the `name` value's last line, which is not the start of an element:
    # it is still a comment (so it is read), and it is reported as standing on no element.
    diags = lint_text(project, text)
    assert ("CJM091", HOME_LINE + 2) in found(diags)


def test_comment_after_a_block_scalar_indicator_is_a_comment(project: Path) -> None:
    text = MAP.replace("title: Shop\n", "title: Shop\ndescription: |  # cjm: disable=CJM191\n  Text\n")
    # The comment is real, on the `description` element: nothing there to silence.
    assert ("CJM090", 4) in found(lint_text(project, text))


@pytest.mark.parametrize(("line", "col"), [
    ("key: value # c", 11),
    ("key: value#not", None),
    ("# whole line", 0),
    ("name: it's fine # c", 16),
    ("name: 'a # b' # c", 14),
    ('name: "a \\" # b" # c', 17),
    ("list: [a, 'b # c'] # d", 19),
    ("- 'x # y'", None),
    ("url: http://x/#anchor", None),
])
def test_comment_column(line: str, col: int | None) -> None:
    assert comment_column(line) == col


RICH_MAP = MAP.replace("title: Shop\n", (
    "title: 'Shop # not a comment'\n"
    "description: |\n"
    "  Text with # cjm: disable=CJM191 inside a block scalar\n"
    "  and more\n"
)).replace("name: Cart\n", 'name: "Cart: it\'s # here"\n')
CODE_POOL = ["CJM191", "CJM291", "flagged-touchpoint", "CJM192", "CJM999", "CJM010", "CJM090", "nonsense"]


def _with_comment(text: str, line: int, own_line: bool, kind: str, codes: list[str]) -> tuple[str, int]:
    lines = text.splitlines()
    comment = f"# cjm: {kind}={','.join(codes)}"
    if own_line:
        lines.insert(line - 1, comment)
        return "\n".join(lines) + "\n", line
    lines[line - 1] += "  " + comment
    return "\n".join(lines) + "\n", line


def test_rich_map_baseline(project: Path) -> None:
    assert found(lint_text(project, RICH_MAP)) == [("CJM191", HOME_LINE + 3), ("CJM291", CART_EMOTION_LINE + 3)]


BLOCK_TEXT_LINES = (5, 6)  # RICH_MAP's block scalar text, indented by 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    line=st.integers(min_value=1, max_value=RICH_MAP.count("\n")),
    own_line=st.booleans(),
    kind=st.sampled_from(["disable", "disable-file"]),
    codes=st.lists(st.sampled_from(CODE_POOL), min_size=1, max_size=3),
)
@example(line=5, own_line=True, kind="disable", codes=["CJM191"])  # ends the block scalar
@example(line=6, own_line=False, kind="disable", codes=["CJM191"])  # text inside it
@example(line=13, own_line=False, kind="disable", codes=["CJM191"])  # silences 'home'
def test_any_suppression_anywhere_never_crashes_or_adds_findings(project: Path, line: int, own_line: bool,
                                                                  kind: str, codes: list[str]) -> None:
    baseline = {(d.code, d.message) for d in lint_text(project, RICH_MAP)}
    text, comment_line = _with_comment(RICH_MAP, line, own_line, kind, codes)
    path = write(project, "shop.cjm.yaml", text)
    loaded = read_map(path)
    if own_line and line in BLOCK_TEXT_LINES:
        # A comment at column 1 ends the block scalar, so the text after it is a key-less line at the
        # mapping's indentation: a syntax error right below the comment, and nothing to lint.
        assert [(d.code, d.line, d.col) for d in loaded.diagnostics] == [("CJM001", comment_line + 1, 3)]
        assert not loaded.valid
        return
    assert loaded.valid, loaded.diagnostics  # anywhere else a comment changes nothing in the YAML
    linter = Linter()
    diags = linter.lint_map(loaded, linter.settings_for(path))
    rule_findings = {(d.code, d.message) for d in diags if d.code not in ("CJM090", "CJM091")}
    assert rule_findings <= baseline
    inside_block = 5 <= comment_line <= 6 and not own_line  # RICH_MAP's block scalar text
    for diag in diags:
        if diag.code in ("CJM090", "CJM091"):
            assert diag.line == comment_line and not inside_block
