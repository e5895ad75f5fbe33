"""The pre-commit hooks, run by pre-commit itself against a temporary git repository.

``pre-commit try-repo`` clones this repository at its HEAD commit, installs cjm into
a fresh virtualenv from that clone (pip needs the package index) and runs the hooks
on the files named, exactly as a project using the hooks would. Each run installs
cjm once, so these tests take a while; they stay in ``make test``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"

pytestmark = pytest.mark.slow

SHARED_PERSONAS = """\
cjm: 1
id: shared
title: Shared personas
personas:
  - id: rosa
    name: Rosa, repeat buyer
    goals: [Reorder quickly]
    channels: [web, email]
"""

# Line 9 holds the misspelt field: the failure must point there.
BAD_MAP = """\
cjm: 1
id: broken
title: A map with a typo
stages:
  - id: purchase
    name: Purchase
    touchpoints:
      - id: checkout
        chanel: web
        name: Checkout
"""
BAD_LOCATION = "journeys/broken.cjm.yaml:9:9"


def good_map(map_id: str, *, imports: list[str] | None = None) -> str:
    """A complete map: valid, owned, reviewed today, measured, with a sale and a way on."""
    persona_block = "" if imports else textwrap.dedent("""\
        personas:
          - id: rosa
            name: Rosa, repeat buyer
            goals: [Reorder quickly]
            channels: [web, email]
        """)
    head = textwrap.dedent(f"""\
        cjm: 1
        id: {map_id}
        title: Reorder journey {map_id}
        description: How a repeat buyer reorders.
        owner: E-commerce team
        reviewed: {dt.date.today().isoformat()}
        """)
    import_block = f"imports: [{', '.join(imports)}]\n" if imports else ""
    return head + import_block + textwrap.dedent("""\
        objectives:
          - id: more-reorders
            statement: Grow reorders by a tenth this quarter
            metric: reorder conversion
            baseline: 40
            target: 44
            unit: "%"
        """) + persona_block + textwrap.dedent("""\
        stages:
          - id: awareness
            name: Awareness
            kind: awareness
            customer_goal: Remember the shop
            content: [Reminder email]
            touchpoints:
              - id: reminder
                name: Reminder email
                channel: email
                medium: owned
                online: true
                emotion: 0
                evidence:
                  - {source: email analytics, kind: quantitative}
          - id: purchase
            name: Purchase
            kind: purchase
            customer_goal: Reorder in a minute
            objectives: [more-reorders]
            content: [Delivery FAQ]
            touchpoints:
              - id: checkout
                name: Checkout
                channel: web
                medium: owned
                online: true
                owner: Checkout team
                pains: [Has to type the address again]
                opportunities: [Prefill the last address]
                emotion: -1
                target_emotion: 1
                moment_of_truth: true
                metrics:
                  - {name: reorder conversion, value: 40, target: 44, unit: "%", source: web analytics}
                evidence:
                  - {source: checkout interviews, kind: qualitative}
          - id: after-sale
            name: After the sale
            kind: retention
            customer_goal: Get the parcel on time
            content: [Tracking page]
            touchpoints:
              - id: tracking
                name: Tracking email
                channel: email
                medium: owned
                online: true
                emotion: 1
                evidence:
                  - {source: delivery survey, kind: quantitative}
        """)


def _git(*args: str, cwd: Path) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def _why_pre_commit_cannot_run() -> str | None:
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        return "pre-commit is not installed (it is in the dev extras: pip install -e '.[dev]')"
    if shutil.which("git") is None:
        return "git is not installed"
    try:
        _git("cat-file", "-e", "HEAD:.pre-commit-hooks.yaml", cwd=REPO)
    except (subprocess.CalledProcessError, OSError):
        return f"{REPO} is not a git checkout whose HEAD commit holds .pre-commit-hooks.yaml"
    return None


@pytest.fixture(scope="module")
def head() -> str:
    reason = _why_pre_commit_cannot_run()
    if reason:
        pytest.skip(reason)
    return _git("rev-parse", "HEAD", cwd=REPO)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A git repository with shared personas, a map importing them, a good map and a bad one."""
    root = tmp_path / "maps-project"
    (root / "personas").mkdir(parents=True)
    (root / "journeys").mkdir()
    (root / "personas" / "shared.cjm.yaml").write_text(SHARED_PERSONAS)
    (root / "journeys" / "reorder.cjm.yaml").write_text(good_map("reorder"))
    (root / "journeys" / "imports-personas.cjm.yaml").write_text(
        good_map("reorder-shared", imports=["../personas/shared.cjm.yaml"]))
    (root / "journeys" / "broken.cjm.yaml").write_text(BAD_MAP)
    _git("init", "-q", cwd=root)
    _git("add", ".", cwd=root)
    _git("commit", "-qm", "maps", cwd=root)
    return root


def try_repo(project: Path, head: str, *files: str) -> subprocess.CompletedProcess:
    """Every hook of this repository at ``head``, run by pre-commit on ``files`` only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "VIRTUAL_ENV"))}
    env.update(NO_COLOR="1", TERM="dumb")
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "--ref", head,
         "--verbose", "--color", "never", "--files", *files],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )
    output = result.stdout + result.stderr
    if "An unexpected error has occurred" in output and any(
            sign in output for sign in ("NewConnectionError", "Temporary failure in name resolution",
                                        "Network is unreachable", "Could not fetch URL")):
        pytest.skip("pre-commit could not install cjm: the package index is unreachable")
    return result


def test_hook_file_declares_both_hooks_for_map_files():
    hooks = {hook["id"]: hook for hook in yaml.safe_load(HOOKS_FILE.read_text())}
    assert set(hooks) == {"cjm-validate", "cjm-lint"}
    assert hooks["cjm-validate"]["entry"] == "cjm validate"
    assert hooks["cjm-lint"]["entry"] == "cjm lint"
    for hook in hooks.values():
        assert hook["language"] == "python"
        pattern = re.compile(hook["files"])
        assert pattern.search("journeys/a.cjm.yaml") and pattern.search("a.cjm.yml")
        assert not pattern.search("a.yaml") and not pattern.search("a.cjm.yaml.bak")


def test_good_maps_pass_and_imports_resolve_from_files_not_passed(project: Path, head: str):
    # personas/shared.cjm.yaml is not among the files: the import must still resolve from disk.
    result = try_repo(project, head, "journeys/reorder.cjm.yaml", "journeys/imports-personas.cjm.yaml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = [line for line in output.splitlines() if line.startswith(("cjm validate", "cjm lint"))]
    assert len(lines) == 2 and all(line.endswith("Passed") for line in lines), output
    assert "CJM030" not in output
    assert not re.search(r"\.cjm\.yaml:\d+:\d+", output), "the good maps should have no findings at all"


def test_bad_map_fails_both_hooks_at_file_line_col(project: Path, head: str):
    result = try_repo(project, head, "journeys/broken.cjm.yaml", "journeys/reorder.cjm.yaml")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    lines = [line for line in output.splitlines() if line.startswith(("cjm validate", "cjm lint"))]
    assert len(lines) == 2 and all(line.endswith("Failed") for line in lines), output
    assert "- hook id: cjm-validate" in output and "- hook id: cjm-lint" in output
    assert output.count(BAD_LOCATION) >= 2, output
    assert "chanel" in output
    assert "journeys/reorder.cjm.yaml:" not in output
