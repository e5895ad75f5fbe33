"""``cjm validate``, ``cjm init`` and ``cjm --version`` from the outside: output, files and exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cjm import __version__
from cjm.cli import app
from map_testing import HEAD

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
VALID = HEAD + "personas:\n  - {id: rosa, name: Rosa}\n"
INVALID = HEAD + "personas:\n  - {id: rosa, name: Rosa, chanel: web}\n"


@pytest.fixture
def runner(monkeypatch) -> CliRunner:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


@pytest.fixture
def maps(tmp_path, monkeypatch) -> Path:
    """Three valid maps (one nested) and a YAML file that is not a map, in the current folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "journeys" / "more").mkdir(parents=True)
    for name in ("journeys/a.cjm.yaml", "journeys/b.cjm.yml", "journeys/more/c.cjm.yaml"):
        (tmp_path / name).write_text(VALID.replace("id: m", f"id: {Path(name).name.split('.')[0]}"))
    (tmp_path / "journeys" / "config.yaml").write_text("not: [a map\n")
    (tmp_path / "journeys" / ".hidden").mkdir()
    (tmp_path / "journeys" / ".hidden" / "x.cjm.yaml").write_text("broken: [\n")
    return tmp_path


def test_valid_maps_give_one_line(runner, maps):
    result = runner.invoke(app, ["validate", "journeys"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "3 maps valid\n"


def test_one_map_by_any_name(runner, maps):
    (maps / "odd-name.txt").write_text(VALID)
    result = runner.invoke(app, ["validate", "odd-name.txt"])
    assert (result.exit_code, result.stdout) == (0, "1 map valid\n")


def test_default_is_the_current_folder(runner, maps):
    result = runner.invoke(app, ["validate"])
    assert (result.exit_code, result.stdout) == (0, "3 maps valid\n")


def test_a_file_named_twice_is_validated_once(runner, maps):
    result = runner.invoke(app, ["validate", "journeys/a.cjm.yaml", "./journeys/a.cjm.yaml"])
    assert result.stdout == "1 map valid\n"


def test_invalid_map_shows_the_line_with_a_caret(runner, maps):
    (maps / "journeys" / "bad.cjm.yaml").write_text(INVALID)
    result = runner.invoke(app, ["validate", "journeys"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "journeys/bad.cjm.yaml:5:28: error CJM010 [schema] unknown field 'chanel'",
        " 5 │   - {id: rosa, name: Rosa, chanel: web}",
        "   │                            ^^^^^^",
        "  = hint: did you mean 'channels'?",
        "",
        "1 of 4 maps invalid (1 error)",
    ]


def test_json_format(runner, maps):
    (maps / "journeys" / "bad.cjm.yaml").write_text(INVALID)
    result = runner.invoke(app, ["validate", "journeys", "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["version"] == 1 and document["command"] == "validate"
    assert document["summary"] == {"files": 4, "invalid_files": 1, "error": 1, "warning": 0, "info": 0}
    assert {"file": "journeys/bad.cjm.yaml", "valid": False} in document["files"]
    assert document["diagnostics"] == [{
        "file": "journeys/bad.cjm.yaml", "line": 5, "column": 28, "severity": "error", "code": "CJM010",
        "name": "schema", "message": "unknown field 'chanel'", "path": "personas[0].chanel",
        "hint": "did you mean 'channels'?",
    }]


def test_output_file_is_written_atomically(runner, maps):
    (maps / "journeys" / "bad.cjm.yaml").write_text(INVALID)
    (maps / "out").mkdir()
    (maps / "out" / "report.json").write_text("old")
    result = runner.invoke(app, ["validate", "journeys", "-f", "json", "-o", "out/report.json"])
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads((maps / "out" / "report.json").read_text())["summary"]["invalid_files"] == 1
    assert sorted(p.name for p in (maps / "out").iterdir()) == ["report.json"]  # no temporary file left


def test_unwritable_output_is_a_usage_error_with_no_partial_file(runner, maps):
    (maps / "blocker").write_text("a file, not a folder")
    result = runner.invoke(app, ["validate", "journeys", "-o", "blocker/report.txt"])
    assert result.exit_code == 2
    assert result.stderr.startswith("cjm: error: cannot write blocker/report.txt")
    assert (maps / "blocker").read_text() == "a file, not a folder"


def test_missing_path_is_a_usage_error(runner, maps):
    result = runner.invoke(app, ["validate", "journeys", "nope.cjm.yaml"])
    assert result.exit_code == 2
    assert result.stderr == "cjm: error: nope.cjm.yaml: no such file or folder\n"
    assert result.stdout == ""


def test_unreadable_file_exits_2(runner, maps, monkeypatch):
    def refuse(path, max_bytes):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("cjm.format.validate._read_limited", refuse)
    result = runner.invoke(app, ["validate", "journeys/a.cjm.yaml"])
    assert result.exit_code == 2
    assert "journeys/a.cjm.yaml:1:1: error CJM000 [unreadable] cannot read file: Permission denied" in result.stdout


def test_no_maps_is_a_usage_error(runner, tmp_path):
    (tmp_path / "notes.yaml").write_text("a: 1\n")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "no maps (*.cjm.yaml, *.cjm.yml) found in" in result.stderr


def test_max_bytes(runner, maps):
    result = runner.invoke(app, ["validate", "journeys/a.cjm.yaml", "--max-bytes", "10"])
    assert result.exit_code == 1
    assert "journeys/a.cjm.yaml:1:1: error CJM003 [input-limit] the file is over 10 bytes" in result.stdout


def test_unknown_format_is_a_usage_error(runner, maps):
    assert runner.invoke(app, ["validate", "--format", "xml"]).exit_code == 2


def test_colour_follows_force_color_and_no_color(runner, maps, monkeypatch):
    (maps / "journeys" / "bad.cjm.yaml").write_text(INVALID)
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = runner.invoke(app, ["validate", "journeys"]).stdout
    assert ANSI.search(coloured)
    monkeypatch.setenv("NO_COLOR", "1")
    plain = runner.invoke(app, ["validate", "journeys"]).stdout
    assert not ANSI.search(plain)
    assert ANSI.sub("", coloured) == plain


@pytest.mark.parametrize("raw", [
    b"cjm: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
    b"\x00\x01\x02",
    b"\xff\xfe\x00\x00",
    b"cjm: !!python/object/apply:os.system [echo pwned]\n",
    b"a: &a [" + b",".join([b"*a"] * 3) + b"]\n",
    b"cjm: 1\n" + b"  " * 5000 + b"x\n",
    b"cjm: 1\nid: m\ntitle: T\nstages: [{touchpoints: [{emotion: {score: [], label: {}}}]}]\n",
    b"? " * 3000 + b"x\n",
    b"{" * 70 + b"\n",
    b"cjm: 1\nid: m\ntitle: T\nimports: [/dev/zero, ../../../../etc/passwd.yaml, '', .]\n",
])
def test_hostile_files_give_a_diagnostic_not_a_traceback(runner, tmp_path, monkeypatch, raw):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hostile.cjm.yaml").write_bytes(raw)
    result = runner.invoke(app, ["validate", "hostile.cjm.yaml"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert re.search(r"^hostile\.cjm\.yaml:\d+:\d+: error CJM0\d\d ", result.stdout, re.M)


# -- the installed command, as a real process ------------------------------------------------------

def installed_cjm() -> str:
    found = Path(sys.executable).parent / "cjm"
    return str(found) if found.exists() else shutil.which("cjm")


def run_cjm(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([installed_cjm(), *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_installed_cjm_validates_the_examples():
    result = run_cjm("validate", "examples")
    assert result.returncode == 0, result.stdout + result.stderr
    count = len(list(EXAMPLES.rglob("*.cjm.yaml")))
    assert count >= 3 and result.stdout == f"{count} maps valid\n"


def test_installed_cjm_refuses_deep_nesting_without_crashing(tmp_path):
    (tmp_path / "deep.cjm.yaml").write_bytes(b"cjm: " + b"[" * 100_000 + b"]" * 100_000 + b"\n")
    result = run_cjm("validate", "deep.cjm.yaml", cwd=tmp_path, env={"NO_COLOR": "1"})
    assert result.returncode == 1
    assert result.stdout.startswith("deep.cjm.yaml:1:69: error CJM003 [input-limit] nesting deeper than 64 levels")
    assert result.stderr == ""


def test_python_dash_m_and_version():
    result = subprocess.run([sys.executable, "-m", "cjm", "--version"], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, f"cjm {__version__}\n")


def test_version_and_help(runner):
    assert runner.invoke(app, ["--version"]).stdout == f"cjm {__version__}\n"
    for command in ([], ["validate"], ["schema"], ["init"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.stdout


# -- cjm init ------------------------------------------------------------------------------------

def test_init_writes_a_starter_map_that_validates(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0
    assert result.stdout.endswith("wrote journey.cjm.yaml; next: cjm validate journey.cjm.yaml\n")
    text = (tmp_path / "journey.cjm.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert runner.invoke(app, ["validate", "journey.cjm.yaml"]).stdout == "1 map valid\n"


def test_a_new_map_was_reviewed_today_and_lints_without_warnings(runner, tmp_path, monkeypatch):
    import datetime

    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert f"reviewed: {datetime.date.today().isoformat()} " in (tmp_path / "journey.cjm.yaml").read_text()
    result = runner.invoke(app, ["lint", "journey.cjm.yaml", "--format", "json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["summary"]["error"], report["summary"]["warning"]) == (0, 0)
    assert [d for d in report["diagnostics"] if d["code"] == "CJM501"] == []


def test_init_writes_the_schema_beside_the_project_once(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init"])
    assert result.stdout == ("wrote schemas/cjm-map.v1.schema.json (the map format's JSON Schema, for editors)\n"
                             "wrote journey.cjm.yaml; next: cjm validate journey.cjm.yaml\n")
    assert (tmp_path / "journey.cjm.yaml").read_text().startswith("# yaml-language-server: $schema=schemas/cjm-map.v1.schema.json\n")
    # a second map reuses the schema; one that differs (an older cjm's) is kept and named
    (tmp_path / "schemas" / "cjm-map.v1.schema.json").write_text("{}\n")
    result = runner.invoke(app, ["init", "second.cjm.yaml"])
    assert result.exit_code == 0
    assert result.stdout.startswith("kept schemas/cjm-map.v1.schema.json, which differs from this cjm's schema; "
                                    "refresh it with: cjm schema -o schemas/cjm-map.v1.schema.json\n")
    assert (tmp_path / "schemas" / "cjm-map.v1.schema.json").read_text() == "{}\n"


def test_init_with_a_schema_path_or_url(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init", "a.cjm.yaml", "--schema", "tools/map.schema.json"]).exit_code == 0
    assert (tmp_path / "a.cjm.yaml").read_text().startswith("# yaml-language-server: $schema=tools/map.schema.json\n")
    assert json.loads((tmp_path / "tools" / "map.schema.json").read_text())["title"] == "cjm journey map, format version 1"
    url = "https://example.org/cjm-map.v1.schema.json"
    assert runner.invoke(app, ["init", "b.cjm.yaml", "--schema", url]).exit_code == 0
    assert (tmp_path / "b.cjm.yaml").read_text().startswith(f"# yaml-language-server: $schema={url}\n")


def test_init_into_a_folder_and_a_new_path(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "journeys").mkdir()
    assert runner.invoke(app, ["init", "journeys"]).exit_code == 0
    assert (tmp_path / "journeys" / "journey.cjm.yaml").exists()
    assert runner.invoke(app, ["init", "new/checkout.cjm.yaml"]).exit_code == 0
    assert runner.invoke(app, ["validate", "."]).stdout == "2 maps valid\n"


def test_init_never_overwrites(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "journey.cjm.yaml").write_text("mine\n")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 2
    assert result.stderr == "cjm: error: journey.cjm.yaml already exists; cjm init never overwrites a file\n"
    assert (tmp_path / "journey.cjm.yaml").read_text() == "mine\n"


# -- many maps: worker processes ----------------------------------------------------------------------

def test_many_maps_give_the_same_verdicts_with_and_without_workers(tmp_path, monkeypatch):
    from cjm.format.validate import validate_files
    from cjm.workers import PARALLEL_FROM

    monkeypatch.chdir(tmp_path)
    paths = []
    for index in range(PARALLEL_FROM + 6):
        path = tmp_path / f"m{index:03d}.cjm.yaml"
        path.write_text(INVALID if index % 9 == 4 else VALID.replace("id: m", f"id: m{index}"))
        paths.append(path)
    alone = validate_files(paths, jobs=1)
    together = validate_files(paths, jobs=2)
    assert together == alone
    assert [v.file for v in together] == [p.name for p in paths]
    assert sum(not v.valid for v in together) == 8
    assert together[4].diagnostics[0].location == "m004.cjm.yaml:5:28"


def test_jobs_option(runner, maps):
    for jobs in ("1", "2", "0"):
        result = runner.invoke(app, ["validate", "journeys", "--jobs", jobs])
        assert (result.exit_code, result.stdout) == (0, "3 maps valid\n")
    assert runner.invoke(app, ["validate", "journeys", "-j", "-1"]).exit_code == 2


def test_a_long_line_is_shown_around_the_column(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "long.cjm.yaml").write_text(HEAD + "owner: " + "x" * 300 + "\nowner2: y\n")
    lines = runner.invoke(app, ["validate", "long.cjm.yaml"]).stdout.splitlines()
    assert lines[0] == "long.cjm.yaml:5:1: error CJM010 [schema] unknown field 'owner2'"
    (tmp_path / "long.cjm.yaml").write_text(HEAD + "imports: [" + "a.yaml, " * 60 + "{x: 1}]\n")
    lines = runner.invoke(app, ["validate", "long.cjm.yaml"]).stdout.splitlines()
    assert lines[0].startswith("long.cjm.yaml:4:")
    column = int(lines[0].split(":")[2])
    assert column > 300
    excerpt, caret = lines[1].split(" │ ", 1)[1], lines[2].split(" │ ", 1)[1]
    assert excerpt.startswith("...") and len(excerpt) <= 160
    assert excerpt[caret.index("^"):].startswith("{x: 1}")


def test_a_fifo_or_device_in_a_folder_is_skipped_and_named_one_is_refused(runner, maps):
    os.mkfifo(maps / "journeys" / "pipe.cjm.yaml")
    (maps / "journeys" / "zero.cjm.yaml").symlink_to("/dev/zero")
    result = runner.invoke(app, ["validate", "journeys"])
    assert (result.exit_code, result.stdout) == (0, "3 maps valid\n")
    result = runner.invoke(app, ["validate", "journeys/pipe.cjm.yaml"])
    assert result.exit_code == 2 and "not a regular file or folder" in result.stderr


def test_workers_that_cannot_run_fall_back_to_reading_in_process(tmp_path, monkeypatch):
    import concurrent.futures
    from concurrent.futures.process import BrokenProcessPool

    from cjm.format.validate import validate_files
    from cjm.workers import PARALLEL_FROM

    class Broken:
        def __init__(self, *args, **kwargs):
            raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Broken)
    paths = []
    for index in range(PARALLEL_FROM):
        paths.append(tmp_path / f"m{index}.cjm.yaml")
        paths[-1].write_text(VALID)
    verdicts = validate_files(paths, jobs=2)
    assert len(verdicts) == PARALLEL_FROM and all(v.valid for v in verdicts)
