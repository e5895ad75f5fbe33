"""action.yml: a composite GitHub Action, checked as data and then run step by step here.

The run steps are executed in order with bash, as the runner would: inputs and
``github.*`` / ``steps.*`` values reach them through their ``env`` blocks, outputs
go through ``$GITHUB_OUTPUT``, ``GITHUB_ACTIONS=true``. Steps that ``uses:`` another
action (setup-python, upload-artifact) are GitHub's and are not run. The install
step is run for real in one test (it pip-installs cjm from this checkout); the
others put this virtualenv's ``cjm`` on PATH instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]
INPUTS = ACTION["inputs"]
EXAMPLES = REPO / "examples"
VENV_BIN = Path(sys.executable).parent
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
HAS_DOT = shutil.which("dot") is not None


# --- as data -------------------------------------------------------------------

def test_composite_action_with_documented_inputs_and_outputs():
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["name"] and ACTION["description"]
    for name, spec in INPUTS.items():
        assert spec.get("description"), f"input {name} has no description"
        assert "default" in spec and spec.get("required") is False, name
    for name, spec in ACTION["outputs"].items():
        assert spec.get("description") and EXPRESSION.search(spec["value"]), name


def test_every_run_step_is_bash_and_inputs_never_reach_the_script_text():
    for step in STEPS:
        if "run" in step:
            assert step.get("shell") == "bash", step["name"]
            # expressions pasted into a script are script injection: values go through env
            assert not EXPRESSION.search(step["run"]), step["name"]
        else:
            assert set(step) <= {"name", "id", "if", "uses", "with"}, step


def test_only_pinned_official_actions_are_used():
    used = [step["uses"] for step in STEPS if "uses" in step]
    assert used == ["actions/setup-python@v5", "actions/upload-artifact@v4"]


def test_every_input_and_output_is_used():
    text = (REPO / "action.yml").read_text()
    for name in INPUTS:
        assert f"inputs.{name}" in text, f"input {name} is never used"
    ids = {step.get("id") for step in STEPS}
    for spec in ACTION["outputs"].values():
        step_id = re.search(r"steps\.([\w-]+)\.outputs", spec["value"]).group(1)
        assert step_id in ids


FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]+)")
CALL = re.compile(r"(?:^|[\s;(|&])cjm ([a-z]+)")


def cjm_commands() -> list[tuple[str, list[str]]]:
    """Every ``cjm SUBCOMMAND`` the run steps call, with the flags it gets: those on its line
    and those collected into ``args`` on the lines since the previous call."""
    commands = []
    for step in STEPS:
        pending: list[str] = []
        for line in step.get("run", "").splitlines():
            call = CALL.search(line)
            if call is None:
                if "args" in line:
                    pending += FLAG.findall(line)
                continue
            commands.append((call.group(1), pending + FLAG.findall(line)))
            pending = []
    return commands


def test_the_action_calls_lint_render_and_site():
    assert sorted({name for name, _ in cjm_commands()}) == ["lint", "render", "site"]


@pytest.mark.parametrize("command", cjm_commands(), ids=lambda c: f"{c[0]} {' '.join(c[1])}")
def test_the_cjm_commands_and_flags_the_action_runs_exist(command):
    from typer.testing import CliRunner

    from cjm.cli import app

    subcommand, flags = command
    result = CliRunner().invoke(app, [subcommand, "--help"], env={"COLUMNS": "300", "NO_COLOR": "1", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    missing = [f for f in flags if not re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", result.output)]
    assert not missing, f"cjm {subcommand} has no {missing}"


# --- running it ------------------------------------------------------------------

@dataclass
class Run:
    """What running the action's steps gave: each step's exit code and output, and the outputs."""

    codes: dict[str, int] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def failed_at(self) -> str | None:
        return next((name for name, code in self.codes.items() if code != 0), None)

    def log(self) -> str:
        return "\n".join(f"== {name} ({self.codes[name]})\n{text}" for name, text in self.logs.items())


def evaluate(expression: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    """The few expressions the run steps' env blocks use; anything else fails the test."""
    if m := re.fullmatch(r"inputs\.([\w-]+)", expression):
        assert m.group(1) in INPUTS, f"unknown input {m.group(1)}"
        return inputs[m.group(1)]
    if expression == "github.action_path":
        return str(REPO)
    if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
        return outputs.get(m.group(1), {}).get(m.group(2), "")
    raise AssertionError(f"the test runner does not know ${{{{ {expression} }}}}")


def substitute(text: str, inputs, outputs) -> str:
    return EXPRESSION.sub(lambda m: evaluate(m.group(1), inputs, outputs), str(text))


def run_action(workspace: Path, *, skip_install: bool = True, **given: str) -> Run:
    """Run every run step, in order, stopping at the first that fails (no step has ``if: always()``)."""
    inputs = {name: str(spec.get("default", "")) for name, spec in INPUTS.items()}
    inputs.update({name.replace("_", "-"): value for name, value in given.items()})
    runner_temp = workspace / "_runner_temp"
    runner_temp.mkdir(exist_ok=True)
    path_file = runner_temp / "github_path"
    path_file.write_text("")
    base_env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "FORCE_COLOR")}
    base_env.update(GITHUB_ACTIONS="true", CI="true", RUNNER_TEMP=str(runner_temp), GITHUB_PATH=str(path_file),
                    GITHUB_WORKSPACE=str(workspace), NO_COLOR="1", CJM_TODAY="2026-11-01")
    if skip_install:
        base_env["PATH"] = f"{VENV_BIN}{os.pathsep}{base_env['PATH']}"
    run = Run()
    for step in STEPS:
        if "run" not in step or (skip_install and step.get("id") == "install"):
            continue
        extra_path = [line for line in path_file.read_text().splitlines() if line]
        output_file = runner_temp / f"output-{len(run.codes)}"
        output_file.write_text("")
        env = {**base_env, "GITHUB_OUTPUT": str(output_file),
               **{k: substitute(v, inputs, run.outputs) for k, v in step.get("env", {}).items()}}
        env["PATH"] = os.pathsep.join([*reversed(extra_path), env["PATH"]])
        cwd = workspace / substitute(step.get("working-directory", "."), inputs, run.outputs)
        done = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
                              cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        run.codes[step["name"]] = done.returncode
        run.logs[step["name"]] = done.stdout + done.stderr
        if step.get("id"):
            run.outputs[step["id"]] = dict(
                line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        if done.returncode != 0:
            break
    return run


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    """A checked-out repository holding the example maps under journeys/."""
    shutil.copytree(EXAMPLES, tmp_path / "journeys")
    (tmp_path / "cjm.toml").write_text("")
    return tmp_path


def test_lint_annotates_in_github_format_and_passes_on_warnings(workspace):
    run = run_action(workspace, paths="journeys")
    assert run.failed_at is None, run.log()
    log = run.logs["Lint maps"]
    assert re.search(r"^::warning file=journeys/[\w/.-]+\.cjm\.yaml,line=\d+,", log, re.M), log
    assert run.outputs["lint"]["exit-code"] == "0"
    assert "no sarif-file asked for" in run.logs["Write SARIF"]
    assert "nothing to render" in run.logs["Render maps"]
    assert "Graphviz not needed" in run.logs["Install Graphviz"]


def test_fail_on_warning_fails_at_the_last_step_after_writing_sarif(workspace):
    run = run_action(workspace, paths="journeys", fail_on="warning", sarif_file="out/cjm.sarif")
    assert run.outputs["lint"]["exit-code"] == "1"
    assert run.failed_at == "Fail on findings", run.log()
    assert list(run.codes)[-1] == "Fail on findings"  # rendering and uploading came first
    sarif = json.loads((workspace / "out" / "cjm.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert run.outputs["sarif"]["file"] == "out/cjm.sarif"


def test_an_invalid_map_fails_with_an_error_annotation_at_its_line(workspace):
    (workspace / "journeys" / "broken.cjm.yaml").write_text("cjm: 1\nid: broken\ntitle: Broken\nowner: [x\n")
    run = run_action(workspace, paths="journeys")
    assert run.failed_at == "Fail on findings", run.log()
    assert re.search(r"^::error file=journeys/broken\.cjm\.yaml,line=4,", run.logs["Lint maps"], re.M)


def test_render_and_site_write_the_artifact_folder(workspace):
    run = run_action(workspace, paths="journeys", render="curve:svg map:html" + (" diagram:svg" if HAS_DOT else ""),
                     site="true", output_dir="rendered")
    assert run.failed_at is None, run.log()
    out = workspace / "rendered"
    assert run.outputs["render"]["dir"] == "rendered"
    assert (out / "curve" / "online-shop-checkout.curve.svg").is_file()
    assert (out / "map" / "online-shop-checkout.map.html").is_file()
    if HAS_DOT:
        assert (out / "diagram" / "saas-trial-to-paid.diagram.svg").is_file()
        assert "already installed" in run.logs["Install Graphviz"]
    assert (out / "site" / "index.html").is_file()
    assert (out / "site" / "maps" / "online-shop-checkout" / "map.html").is_file()


def test_a_bad_render_pair_is_a_usage_error(workspace):
    run = run_action(workspace, paths="journeys", render="diagram")
    assert run.failed_at == "Render maps"
    assert run.codes["Render maps"] == 2
    assert "view:format" in run.logs["Render maps"]


def test_working_directory_and_several_paths(workspace):
    project = workspace / "project"
    shutil.copytree(workspace / "journeys", project / "a")
    shutil.copytree(workspace / "journeys", project / "b")
    run = run_action(workspace, working_directory="project", paths="a/online-shop-checkout.cjm.yaml\nb")
    assert run.failed_at is None, run.log()
    log = run.logs["Lint maps"]
    # annotations name files from the repository root (GITHUB_WORKSPACE), wherever cjm ran
    assert "file=project/a/online-shop-checkout.cjm.yaml" in log and "file=project/b/saas-trial-to-paid.cjm.yaml" in log
    assert "file=project/a/saas-trial-to-paid.cjm.yaml" not in log


def test_inputs_are_data_not_shell(workspace):
    evil = "$(touch pwned) `touch pwned2` ;touch pwned3"
    run = run_action(workspace, paths=evil, sarif_file="x.sarif;touch pwned4")
    assert run.failed_at in ("Write SARIF", "Lint maps")
    assert not any((workspace / name).exists() for name in ("pwned", "pwned2", "pwned3", "pwned4"))
    assert "no such file or folder" in run.log()


@pytest.mark.slow
def test_install_step_installs_cjm_from_the_action_path_into_a_virtualenv(tmp_path):
    step = next(s for s in STEPS if s.get("id") == "install")
    path_file = tmp_path / "github_path"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if Path(p) != VENV_BIN)
    env.update(RUNNER_TEMP=str(tmp_path), GITHUB_PATH=str(path_file), CJM_ACTION_PATH=str(REPO))
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    if done.returncode != 0 and re.search(r"NewConnectionError|Temporary failure in name resolution|Network is unreachable", output):
        pytest.skip("pip cannot reach the package index")
    assert done.returncode == 0, output
    from cjm import __version__
    assert f"cjm {__version__}" in output
    [added] = path_file.read_text().split()
    assert Path(added) == tmp_path / "cjm-venv" / "bin"
    help_text = subprocess.run([str(Path(added) / "cjm"), "site", "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0 and "--output" in help_text.stdout
    # templates are package data: the installed cjm (not this checkout) must find them
    site = subprocess.run([str(Path(added) / "cjm"), "site", str(EXAMPLES / "online-shop-checkout.cjm.yaml"),
                           "-o", str(tmp_path / "site")], capture_output=True, text=True, cwd=tmp_path)
    assert site.returncode == 0, site.stdout + site.stderr
    assert "Northtrail" in (tmp_path / "site" / "index.html").read_text()


def run_graphviz_step(tmp_path: Path, render: str, site: str = "false") -> tuple[subprocess.CompletedProcess, str]:
    """The Graphviz step with no dot on PATH and a sudo that records what it is asked to run."""
    step = next(s for s in STEPS if s.get("id") == "graphviz")
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    log = tmp_path / "sudo.log"
    (fake / "sudo").write_text(textwrap.dedent(f"""\
        #!/bin/bash
        echo "$*" >> {log}
        if [[ "$*" == *"apt-get install"*graphviz* ]]; then printf '#!/bin/bash\\necho dot - graphviz version 2.43\\n' > {fake}/dot; /bin/chmod +x {fake}/dot; fi
        """))
    (fake / "sudo").chmod(0o755)
    env = {"PATH": str(fake), "CJM_RENDER": render, "CJM_SITE": site}
    done = subprocess.run(["/bin/bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=60)
    return done, log.read_text() if log.exists() else ""


@pytest.mark.parametrize("render, site, installs", [
    ("", "false", False),
    ("  \n ", "false", False),
    ("curve:svg", "false", True),
    ("diagram:png", "false", True),
    ("", "true", True),
])
def test_graphviz_is_installed_only_when_something_is_rendered(tmp_path, render, site, installs):
    done, sudo = run_graphviz_step(tmp_path, render, site)
    assert done.returncode == 0, done.stdout + done.stderr
    if installs:
        assert "apt-get update" in sudo and "apt-get install -y -qq graphviz" in sudo
        assert "graphviz version" in done.stdout
    else:
        assert sudo == "" and "Graphviz not needed" in done.stdout
