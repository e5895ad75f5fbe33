"""``cjm lint`` end to end: exit codes, --fail-on, --exit-zero, -o, default paths, real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lint_testing import MAP, project, run_cli, test_rules, write  # noqa: F401

# MAP has two warnings under the test rules; these variants add an error or an info finding.
WITH_ERROR = MAP.replace("name: Buy", "name: Buy NOTE")
WITH_INFO_ONLY = MAP.replace("owner: Web team\n", "").replace("Home FLAG", "Home").replace("emotion: -1", "emotion: 1")
BROKEN = MAP.replace("emotion: -1", "emotion: -7")
CLEAN = WITH_INFO_ONLY.replace("title: Shop\n", "title: Shop\nowner: Web team\n")


@pytest.fixture(autouse=True)
def _rules(test_rules) -> None:
    """Every test here runs against the test rules, except where it swaps in the real ones."""


def lint(*args: str, **kwargs):
    return run_cli("lint", "--format", "concise", *args, **kwargs)


@pytest.mark.parametrize(("text", "args", "code"), [
    (CLEAN, (), 0),
    (MAP, (), 0),                                   # warnings do not reach the default fail-on (error)
    (WITH_ERROR, (), 1),
    (MAP, ("--fail-on", "warning"), 1),
    (MAP, ("--fail-on", "error"), 0),
    (WITH_INFO_ONLY, ("--fail-on", "warning"), 0),
    (WITH_INFO_ONLY, ("--fail-on", "info"), 1),
    (WITH_ERROR, ("--exit-zero",), 0),
    (MAP, ("--fail-on", "info", "--exit-zero"), 0),
    (BROKEN, (), 1),                                # invalid maps are errors
    (BROKEN, ("--exit-zero",), 0),
    (WITH_ERROR, ("--ignore", "CJM192"), 0),
])
def test_exit_codes(project: Path, text: str, args: tuple[str, ...], code: int) -> None:
    write(project, "shop.cjm.yaml", text)
    assert lint(*args).exit_code == code


def test_invalid_map_is_reported_and_not_linted(project: Path) -> None:
    write(project, "shop.cjm.yaml", BROKEN)
    lines = lint().stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("shop.cjm.yaml:19:18: error CJM010 ")


def test_validation_errors_stay_errors_whatever_the_selection(project: Path) -> None:
    write(project, "shop.cjm.yaml", BROKEN)
    result = lint("--ignore", "ALL")
    assert "error CJM010" in result.stdout
    assert result.exit_code == 1


@pytest.mark.parametrize("args", [
    ("--exit-zero", "nowhere"),
    ("--format", "yaml"),
    ("--fail-on", "fatal"),
    ("--select", "nonsense", "--exit-zero"),
])
def test_usage_errors_exit_2_even_with_exit_zero(project: Path, args: tuple[str, ...]) -> None:
    write(project, "shop.cjm.yaml", MAP)
    result = run_cli("lint", *args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_bad_cjm_today_is_a_usage_error(project: Path) -> None:
    write(project, "shop.cjm.yaml", MAP)
    result = lint(env={"CJM_TODAY": "next week"})
    assert result.exit_code == 2
    assert "cjm: error: environment: CJM_TODAY must be a date" in result.stderr


def test_no_maps_found_is_a_usage_error(project: Path) -> None:
    result = run_cli("lint")
    assert result.exit_code == 2
    assert "no maps (*.cjm.yaml, *.cjm.yml) found in the current folder" in result.stderr


def test_without_paths_the_current_folder_is_linted(project: Path) -> None:
    write(project, "a.cjm.yaml", MAP)
    write(project, "deep/down/b.cjm.yml", MAP)
    write(project, "notes.yaml", "not: a map\n")
    files = sorted({line.split(":")[0] for line in lint().stdout.splitlines()})
    assert files == ["a.cjm.yaml", "deep/down/b.cjm.yml"]


def test_paths_may_be_files_and_folders(project: Path) -> None:
    write(project, "a.cjm.yaml", MAP)
    write(project, "team/b.cjm.yaml", MAP)
    write(project, "other/c.cjm.yaml", MAP)
    files = sorted({line.split(":")[0] for line in lint("a.cjm.yaml", "team").stdout.splitlines()})
    assert files == ["a.cjm.yaml", "team/b.cjm.yaml"]


def test_output_file_is_written_atomically_and_stdout_stays_empty(project: Path) -> None:
    write(project, "shop.cjm.yaml", WITH_ERROR)
    result = run_cli("lint", "--format", "json", "-o", "reports/lint.json")
    assert result.exit_code == 1
    assert result.stdout == ""
    document = json.loads((project / "reports" / "lint.json").read_text(encoding="utf-8"))
    assert document["summary"]["error"] == 1
    assert sorted(os.listdir(project / "reports")) == ["lint.json"]  # no temporary file left behind


def test_output_file_replaces_an_old_report_whole(project: Path) -> None:
    write(project, "shop.cjm.yaml", MAP)
    write(project, "lint.txt", "old report\n" * 1000)
    run_cli("lint", "--format", "concise", "-o", "lint.txt")
    assert (project / "lint.txt").read_text(encoding="utf-8") == lint().stdout


def test_unwritable_output_is_a_usage_error_and_leaves_no_file(project: Path) -> None:
    write(project, "shop.cjm.yaml", MAP)
    write(project, "blocker", "a file, not a folder\n")
    result = run_cli("lint", "-o", "blocker/lint.txt")
    assert result.exit_code == 2
    assert "cannot write blocker/lint.txt" in result.stderr
    assert (project / "blocker").read_text(encoding="utf-8") == "a file, not a folder\n"


def test_config_error_writes_no_output_file(project: Path) -> None:
    write(project, "shop.cjm.yaml", MAP)
    write(project, "cjm.toml", '[lint]\nselect = ["bogus"]\n')
    result = run_cli("lint", "-o", "lint.txt")
    assert result.exit_code == 2
    assert not (project / "lint.txt").exists()


def test_lint_is_listed_in_help() -> None:
    result = run_cli("--help")
    assert "lint" in result.stdout
    options = run_cli("lint", "--help").stdout
    for flag in ("--select", "--ignore", "--extend-select", "--config", "--fail-on", "--exit-zero", "--output", "--format"):
        assert flag in options


# -- the real rule catalog, in a real process ------------------------------------------------------


REPO = Path(__file__).resolve().parents[1]


def run_process(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "cjm", "lint", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_examples_lint_in_a_real_process() -> None:
    done = run_process("--format", "json", "examples", cwd=REPO, env={"CJM_TODAY": "2026-10-15"})
    assert done.returncode in (0, 1), done.stderr
    assert done.stderr == ""
    document = json.loads(done.stdout)
    assert document["summary"]["files"] >= 3
    assert document["summary"]["invalid_files"] == 0
    assert all(d["code"] >= "CJM100" for d in document["diagnostics"])
    assert done.returncode == (1 if document["summary"]["error"] else 0)


def test_real_process_exit_codes(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, "broken.cjm.yaml", BROKEN)
    assert run_process("--format", "concise", cwd=tmp_path).returncode == 1
    assert run_process("--exit-zero", cwd=tmp_path).returncode == 0
    write(tmp_path, "cjm.toml", "[lint]\nnot-a-key = 1\n")
    bad = run_process(cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr == "cjm: error: cjm.toml:2:1: unknown key 'not-a-key' in [lint]; known keys: " \
        "select, extend-select, ignore, severity, options, per-file-ignores, fail-on\n"
    assert "Traceback" not in bad.stderr
