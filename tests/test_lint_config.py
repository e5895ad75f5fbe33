"""Lint configuration: discovery, selection, severity, options, per-file-ignores, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cjm.lint.config import ConfigError, ConfigFinder, glob_matches
from cjm.lint.select import Selection, SelectorError, catalog, matches, resolve
from cjm.lint.toml_positions import positions
from lint_testing import CART_EMOTION_LINE, HOME_LINE, MAP, codes_at, project, run_cli, test_rules, write  # noqa: F401

pytestmark = pytest.mark.usefixtures("test_rules")

BOTH = [("CJM191", HOME_LINE), ("CJM291", CART_EMOTION_LINE)]


def lint(*args: str):
    return run_cli("lint", "--format", "concise", *args)


# -- discovery ----------------------------------------------------------------------------------


def test_without_configuration_every_rule_runs(project: Path) -> None:
    write(project, "shop.cjm.yaml", MAP)
    result = lint()
    assert codes_at(result.stdout) == BOTH
    assert result.exit_code == 0  # warnings only; fail-on defaults to error


def test_pyproject_tool_cjm_lint_is_read(project: Path) -> None:
    write(project, "pyproject.toml", '[project]\nname = "x"\n\n[tool.cjm.lint]\nignore = ["CJM191"]\n')
    write(project, "maps/shop.cjm.yaml", MAP)
    assert codes_at(lint().stdout) == [("CJM291", CART_EMOTION_LINE)]


def test_cjm_toml_lint_table_is_read(project: Path) -> None:
    write(project, "cjm.toml", '[lint]\nselect = ["CJM191"]\n')
    write(project, "shop.cjm.yaml", MAP)
    assert codes_at(lint().stdout) == [("CJM191", HOME_LINE)]


def test_nearest_configuration_wins_and_is_not_merged(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.cjm.lint]\nignore = ["CJM191"]\nfail-on = "warning"\n')
    write(project, "teams/web/cjm.toml", '[lint]\nignore = ["CJM291"]\n')
    write(project, "teams/web/journeys/shop.cjm.yaml", MAP)
    write(project, "other/shop.cjm.yaml", MAP)
    result = lint()
    findings = [line.split(":")[0] + " " + line.split()[2] for line in result.stdout.splitlines()]
    assert findings == ["other/shop.cjm.yaml CJM291", "teams/web/journeys/shop.cjm.yaml CJM191"]
    # fail-on = warning applies to other/ (root config) but not to teams/web (its own config).
    assert result.exit_code == 1


def test_the_nearer_configuration_does_not_inherit_fail_on(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.cjm.lint]\nfail-on = "warning"\n')
    write(project, "teams/cjm.toml", "[lint]\n")
    write(project, "teams/shop.cjm.yaml", MAP)
    assert lint().exit_code == 0


def test_pyproject_without_tool_cjm_is_passed_over(project: Path) -> None:
    write(project, "cjm.toml", '[lint]\nignore = ["CJM291"]\n')
    write(project, "pkg/pyproject.toml", '[project]\nname = "pkg"\n\n[tool.ruff]\nline-length = 100\n')
    write(project, "pkg/shop.cjm.yaml", MAP)
    assert codes_at(lint().stdout) == [("CJM191", HOME_LINE)]


def test_cjm_toml_beats_pyproject_in_the_same_folder(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.cjm.lint]\nignore = ["CJM291"]\n')
    write(project, "cjm.toml", '[lint]\nignore = ["CJM191"]\n')
    write(project, "shop.cjm.yaml", MAP)
    assert codes_at(lint().stdout) == [("CJM291", CART_EMOTION_LINE)]


def test_discovery_stops_at_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "cjm.toml", '[lint]\nignore = ["ALL"]\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo, "shop.cjm.yaml", MAP)
    monkeypatch.chdir(repo)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert codes_at(lint().stdout) == BOTH


def test_explicit_config_replaces_discovery(project: Path) -> None:
    write(project, "cjm.toml", '[lint]\nignore = ["ALL"]\n')
    write(project, "ci/strict.toml", '[lint]\nselect = ["CJM291"]\nfail-on = "warning"\n')
    write(project, "shop.cjm.yaml", MAP)
    result = lint("--config", "ci/strict.toml")
    assert codes_at(result.stdout) == [("CJM291", CART_EMOTION_LINE)]
    assert result.exit_code == 1


def test_explicit_pyproject_is_read_at_tool_cjm_lint(project: Path) -> None:
    write(project, "elsewhere/pyproject.toml", '[tool.cjm.lint]\nselect = ["low-emotion"]\n')
    write(project, "shop.cjm.yaml", MAP)
    assert codes_at(lint("--config", "elsewhere/pyproject.toml").stdout) == [("CJM291", CART_EMOTION_LINE)]


def test_configuration_folders_are_read_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, "cjm.toml", "[lint]\n")
    maps = [write(project, f"maps/m{i}.cjm.yaml", MAP) for i in range(5)]
    finder = ConfigFinder(catalog())
    first = finder.for_map(maps[0])
    assert all(finder.for_map(m) is first for m in maps)
    assert first.file == project / "cjm.toml"


# -- selection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("selectors", "expected"), [
    (["CJM191"], {"CJM191"}),
    (["cjm191"], {"CJM191"}),
    (["CJM1"], {"CJM191", "CJM192"}),
    (["CJM19"], {"CJM191", "CJM192"}),
    (["flagged-touchpoint"], {"CJM191"}),
    (["coverage"], {"CJM191", "CJM192"}),
    (["upkeep", "low-emotion"], {"CJM291", "CJM591"}),
    (["ALL"], {"CJM191", "CJM192", "CJM291", "CJM391", "CJM591", "CJM090", "CJM091"}),
    (["measure"], {"CJM391"}),
    (["CJM09"], {"CJM090", "CJM091"}),
])
def test_select_by_code_prefix_name_group_all(selectors: list[str], expected: set[str]) -> None:
    assert resolve([Selection(select=tuple(selectors))], catalog()) == expected


def test_the_more_specific_selector_wins() -> None:
    codes = catalog()
    assert resolve([Selection(select=("CJM1",), ignore=("CJM191",))], codes) == {"CJM192"}
    assert resolve([Selection(select=("CJM191",), ignore=("CJM1",))], codes) == {"CJM191"}
    assert resolve([Selection(select=("ALL",), ignore=("coverage",))], codes) == {"CJM291", "CJM391", "CJM591", "CJM090", "CJM091"}
    # At equal specificity, ignore wins.
    assert resolve([Selection(select=("CJM191",), ignore=("flagged-touchpoint",))], codes) == frozenset()


def test_later_layers_override_earlier_ones() -> None:
    codes = catalog()
    config = Selection(ignore=("CJM191",))
    assert "CJM191" not in resolve([config], codes)
    assert resolve([config, Selection(select=("CJM191",))], codes) == {"CJM191"}
    assert resolve([config, Selection(extend_select=("CJM191",))], codes) == frozenset(codes) - {"CJM391"}
    assert resolve([Selection(select=("CJM2",)), Selection(ignore=("CJM291",))], codes) == frozenset()


def test_opt_in_rules_run_only_when_a_selector_names_them(project: Path) -> None:
    codes = catalog()
    assert "CJM391" not in resolve([], codes)
    assert "CJM391" in resolve([Selection(extend_select=("stage-count",))], codes)
    assert "CJM391" in resolve([Selection(select=("CJM3",))], codes)
    write(project, "shop.cjm.yaml", MAP)
    assert codes_at(lint().stdout) == BOTH
    write(project, "cjm.toml", '[lint]\nextend-select = ["CJM391"]\n')
    assert codes_at(lint().stdout) == [("CJM391", 5), *BOTH]
    assert codes_at(lint("--ignore", "CJM391").stdout) == BOTH


def test_validation_codes_cannot_be_selected() -> None:
    with pytest.raises(SelectorError, match="validation code"):
        matches("CJM010", catalog())
    with pytest.raises(SelectorError, match="validation code"):
        matches("schema", catalog())


def test_unknown_selector_suggests_a_near_one() -> None:
    with pytest.raises(SelectorError, match="did you mean 'low-emotion'"):
        matches("low-emotions", catalog())


def test_cli_select_overrides_configuration(project: Path) -> None:
    write(project, "cjm.toml", '[lint]\nignore = ["CJM191"]\n')
    write(project, "shop.cjm.yaml", MAP)
    assert codes_at(lint("--select", "CJM191").stdout) == [("CJM191", HOME_LINE)]
    assert codes_at(lint("--extend-select", "flagged-touchpoint").stdout) == BOTH
    assert codes_at(lint("--ignore", "CJM291").stdout) == []


def test_cli_selectors_are_comma_separated_and_repeatable(project: Path) -> None:
    write(project, "shop.cjm.yaml", MAP)
    assert codes_at(lint("--select", "CJM191, CJM591", "--select", "CJM291").stdout) == BOTH
    assert codes_at(lint("--ignore", "CJM191,low-emotion").stdout) == []


def test_cli_unknown_selector_is_a_usage_error(project: Path) -> None:
    write(project, "shop.cjm.yaml", MAP)
    result = lint("--select", "CJM999")
    assert result.exit_code == 2
    assert "--select: unknown rule code, name or group 'CJM999'" in result.stderr
    assert result.stdout == ""


# -- severity, options, per-file-ignores, fail-on -------------------------------------------------


def test_severity_override_by_code_and_name(project: Path) -> None:
    write(project, "cjm.toml", '[lint]\nseverity = {CJM191 = "error", low-emotion = "info"}\n')
    write(project, "shop.cjm.yaml", MAP)
    result = lint()
    assert result.stdout.splitlines() == [
        f"shop.cjm.yaml:{HOME_LINE}:9: error CJM191 touchpoint 'home' is flagged",
        f"shop.cjm.yaml:{CART_EMOTION_LINE}:18: info CJM291 emotion -1 at 'cart' is low",
    ]
    assert result.exit_code == 1


def test_severity_override_by_group_yields_to_a_more_specific_one(project: Path) -> None:
    write(project, "cjm.toml", '[lint.severity]\ncoverage = "info"\nCJM191 = "error"\nemotion = "error"\n')
    write(project, "shop.cjm.yaml", MAP)
    assert [line.split()[1] for line in lint().stdout.splitlines()] == ["error", "error"]


def test_rule_options_by_code(project: Path) -> None:
    write(project, "cjm.toml", "[lint.options.CJM291]\nthreshold = -1.5\n")
    write(project, "shop.cjm.yaml", MAP)
    assert codes_at(lint().stdout) == [("CJM191", HOME_LINE)]


def test_rule_options_by_name_with_kebab_case_option(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.cjm.lint.options.low-emotion]\nthreshold = 0.5\nmin-steps = 2\n')
    write(project, "shop.cjm.yaml", MAP)
    found = codes_at(lint().stdout)
    assert found.count(("CJM291", CART_EMOTION_LINE)) == 1
    assert len([c for c, _ in found if c == "CJM291"]) == 3  # search (0), cart (-1), pay (0)


def test_options_are_per_configuration(project: Path) -> None:
    write(project, "strict/cjm.toml", "[lint.options.CJM291]\nthreshold = 0.5\n")
    write(project, "strict/a.cjm.yaml", MAP)
    write(project, "plain/b.cjm.yaml", MAP)
    found = [line.split(":")[0] for line in lint("--select", "CJM291").stdout.splitlines()]
    assert found.count("strict/a.cjm.yaml") == 3
    assert found.count("plain/b.cjm.yaml") == 1


def test_per_file_ignores(project: Path) -> None:
    write(project, "cjm.toml", """\
[lint.per-file-ignores]
"legacy/*.cjm.yaml" = ["CJM191"]
"draft-*.cjm.yaml" = ["emotion"]
"archive/**" = ["ALL"]
""")
    for name in ("legacy/old.cjm.yaml", "legacy/deeper/old.cjm.yaml", "teams/draft-1.cjm.yaml", "archive/2024/x.cjm.yaml", "new.cjm.yaml"):
        write(project, name, MAP)
    found = sorted({(line.split(":")[0], line.split()[2]) for line in lint().stdout.splitlines()})
    assert found == [
        ("legacy/deeper/old.cjm.yaml", "CJM191"),
        ("legacy/deeper/old.cjm.yaml", "CJM291"),
        ("legacy/old.cjm.yaml", "CJM291"),
        ("new.cjm.yaml", "CJM191"),
        ("new.cjm.yaml", "CJM291"),
        ("teams/draft-1.cjm.yaml", "CJM191"),
    ]


def test_per_file_ignores_apply_over_the_command_line(project: Path) -> None:
    write(project, "cjm.toml", '[lint.per-file-ignores]\n"legacy/*" = ["CJM191"]\n')
    write(project, "legacy/old.cjm.yaml", MAP)
    assert codes_at(lint("--select", "CJM191").stdout) == []


@pytest.mark.parametrize(("pattern", "path", "hit"), [
    ("*.cjm.yaml", "a/b/c.cjm.yaml", True),
    ("legacy/*.cjm.yaml", "legacy/c.cjm.yaml", True),
    ("legacy/*.cjm.yaml", "legacy/x/c.cjm.yaml", False),
    ("legacy/**/*.cjm.yaml", "legacy/c.cjm.yaml", True),
    ("legacy/**/*.cjm.yaml", "legacy/x/y/c.cjm.yaml", True),
    ("./legacy/c.cjm.yaml", "legacy/c.cjm.yaml", True),
    ("m?.cjm.yaml", "m1.cjm.yaml", True),
    ("m[!0-4].cjm.yaml", "m3.cjm.yaml", False),
    ("m[!0-4].cjm.yaml", "m7.cjm.yaml", True),
    ("legacy/*", "other/legacy/c.cjm.yaml", False),
])
def test_glob_patterns(pattern: str, path: str, hit: bool) -> None:
    assert glob_matches(pattern, path) is hit


def test_fail_on_from_configuration_and_cli_precedence(project: Path) -> None:
    write(project, "cjm.toml", '[lint]\nfail-on = "warning"\n')
    write(project, "shop.cjm.yaml", MAP)
    assert lint().exit_code == 1
    assert lint("--fail-on", "error").exit_code == 0


# -- mistakes in configuration: exit 2 with file:line:col ----------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ('[lint]\nselect = ["CJM191", "CJM999"]\n',
     "cjm.toml:2:21: unknown rule code, name or group 'CJM999'"),
    ('[lint]\nignore = [\n  "coverage",\n  "emotoin",\n]\n',
     "cjm.toml:4:3: unknown rule code, name or group 'emotoin'; did you mean 'emotion'?"),
    ('[lint]\nextend_select = ["CJM191"]\n',
     "cjm.toml:2:1: unknown key 'extend_select' in [lint]; did you mean 'extend-select'?"),
    ('[lint]\nselect = "CJM191"\n',
     "cjm.toml:2:10: 'select' must be a list"),
    ('[lint]\nseverity = {CJM191 = "fatal"}\n',
     "cjm.toml:2:22: severity of 'CJM191' must be one of error, warning, info; got 'fatal'"),
    ('[lint]\nseverity = {CJM777 = "error"}\n',
     "cjm.toml:2:13: unknown rule code, name or group 'CJM777'"),
    ('[lint.options.CJM291]\nthreshhold = 1\n',
     "cjm.toml:2:1: unknown option 'threshhold' for CJM291 (low-emotion); its options: min_steps, threshold"),
    ('[lint.options.CJM291]\nthreshold = "high"\n',
     "cjm.toml:2:13: option threshold of CJM291 must be a number, got 'high'"),
    ('[lint.options.CJM999]\nthreshold = 1\n',
     "cjm.toml:1:15: options for unknown rule 'CJM999'"),
    ('[lint.options.unused-suppression]\nx = 1\n',
     "cjm.toml:1:15: CJM090 (unused-suppression) has no options"),
    ('[lint]\nfail-on = "warnings"\n',
     "cjm.toml:2:11: 'fail-on' must be one of error, warning, info; got 'warnings'"),
    ('[lint]\nignore = ["CJM010"]\n',
     "cjm.toml:2:11: 'CJM010' is a validation code"),
    ('[lint.per-file-ignores]\n"old/*" = ["CJM1", "nope"]\n',
     "cjm.toml:2:20: unknown rule code, name or group 'nope'"),
    ('[lint]\nselect = [\n',
     "cjm.toml:3:1: invalid TOML"),
])
def test_configuration_mistakes_are_usage_errors_with_their_position(project: Path, text: str, expected: str) -> None:
    write(project, "cjm.toml", text)
    write(project, "shop.cjm.yaml", MAP)
    result = lint()
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"cjm: error: {expected}" in result.stderr


def test_pyproject_mistakes_name_the_pyproject_line(project: Path) -> None:
    write(project, "pyproject.toml", '[project]\nname = "x"\n\n[tool.cjm.lint]\nselect = ["CJM1"]\nfial-on = "info"\n')
    write(project, "shop.cjm.yaml", MAP)
    result = lint()
    assert result.exit_code == 2
    assert "cjm: error: pyproject.toml:6:1: unknown key 'fial-on' in [tool.cjm.lint]; did you mean 'fail-on'?" in result.stderr


def test_every_mistake_is_reported_not_just_the_first(project: Path) -> None:
    write(project, "cjm.toml", '[lint]\nselect = ["nope1"]\nignore = ["nope2"]\n')
    write(project, "shop.cjm.yaml", MAP)
    errors = lint().stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("cjm: error: cjm.toml:2:11: ") and "'nope1'" in errors[0]
    assert errors[1].startswith("cjm: error: cjm.toml:3:11: ") and "'nope2'" in errors[1]


def test_missing_explicit_config_is_a_usage_error(project: Path) -> None:
    write(project, "shop.cjm.yaml", MAP)
    result = lint("--config", "nowhere.toml")
    assert result.exit_code == 2
    assert "nowhere.toml: configuration file not found" in result.stderr


def test_a_mistake_in_any_map_configuration_stops_before_output(project: Path) -> None:
    write(project, "good/shop.cjm.yaml", MAP)
    write(project, "bad/cjm.toml", '[lint]\nselect = ["bogus"]\n')
    write(project, "bad/shop.cjm.yaml", MAP)
    result = lint()
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "bad/cjm.toml:2:11" in result.stderr


def test_config_error_object_lists_problems(project: Path) -> None:
    write(project, "cjm.toml", '[lint]\nselect = ["bogus"]\n')
    with pytest.raises(ConfigError) as caught:
        ConfigFinder(catalog()).for_map(project / "x.cjm.yaml")
    assert [(p.line, p.col) for p in caught.value.problems] == [(2, 11)]


# -- positions in TOML text -----------------------------------------------------------------------


def test_toml_positions_of_keys_and_values() -> None:
    keys, values = positions(
        '# comment\n[tool.cjm.lint]\nselect = [\n  "CJM2",  # why\n  \'x\',\n]\n'
        'severity = {CJM203 = "error", "a b" = \'info\'}\n[tool.cjm.lint.options."sharp-drop"]\nthreshold = 1.5\n'
    )
    lint = ("tool", "cjm", "lint")

    def at(table: dict, path: tuple) -> tuple[int, int]:
        return table[lint + path].line, table[lint + path].col

    assert at(keys, ("select",)) == (3, 1)
    assert at(values, ("select", 0)) == (4, 3)
    assert at(values, ("select", 1)) == (5, 3)
    assert at(keys, ("severity", "CJM203")) == (7, 13)
    assert at(values, ("severity", "a b")) == (7, 39)
    assert at(keys, ("options", "sharp-drop", "threshold")) == (9, 1)


def test_lint_findings_for_one_map_use_its_nearest_configuration(project: Path) -> None:
    from cjm.lint.engine import lint_findings
    from cjm.format.validate import read_map

    write(project, "cjm.toml", '[lint]\nignore = ["CJM191"]\n')
    path = write(project, "maps/shop.cjm.yaml", MAP.replace("      - id: cart\n", "      - id: cart  # cjm: disable=CJM291\n"))
    assert lint_findings(read_map(path)) == []
    assert [(d.code, d.line) for d in lint_findings(read_map(path), config=write(project, "empty.toml", ""))] == [
        ("CJM191", HOME_LINE)]
