"""The progress bar: shown for many items on a terminal, never in CI, pipes or machine formats."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cjm.progress import THRESHOLD, in_ci, is_machine_format, progress, progress_wanted


class FakeStream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


TTY = FakeStream(True)
PIPE = FakeStream(False)
TERMINAL_ENV = {"TERM": "xterm-256color"}


def wanted(count=THRESHOLD + 1, *, machine_output=False, stdout=TTY, stderr=TTY, environ=TERMINAL_ENV):
    return progress_wanted(count, machine_output=machine_output, stdout=stdout, stderr=stderr, environ=environ)


def test_many_items_on_a_terminal_show_a_bar():
    assert wanted()


@pytest.mark.parametrize("case", [
    dict(count=THRESHOLD),
    dict(count=0),
    dict(machine_output=True),
    dict(stdout=PIPE),
    dict(stderr=PIPE),
    dict(environ={**TERMINAL_ENV, "CI": "true"}),
    dict(environ={**TERMINAL_ENV, "GITHUB_ACTIONS": "true"}),
    dict(environ={"TERM": "dumb"}),
], ids=["few-items", "no-items", "machine-format", "stdout-piped", "stderr-piped", "ci", "github-actions", "dumb-terminal"])
def test_no_bar(case):
    assert not wanted(**case)


def test_ci_variables_set_to_false_do_not_count_as_ci():
    assert not in_ci({"CI": "false", "GITHUB_ACTIONS": ""})
    assert in_ci({"CI": "1"}) and in_ci({"GITHUB_ACTIONS": "true"})


def test_machine_formats():
    assert all(is_machine_format(f) for f in ("json", "sarif", "github", "concise"))
    assert not is_machine_format("text")


def test_without_a_bar_items_pass_through_and_rich_is_not_imported():
    code = textwrap.dedent("""
        import sys
        from cjm.progress import progress
        with progress(list(range(20)), "Linting") as items:
            seen = list(items)
        assert seen == list(range(20)), seen
        assert "rich" not in sys.modules, "rich imported without a bar"
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_bar_draws_label_count_and_current_item_then_clears():
    from rich.console import Console

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    names = [f"map-{i}.cjm.yaml" for i in range(8)]
    with progress(names, "Linting", describe=lambda n: n, enabled=True, console=console) as items:
        seen = list(items)
    assert seen == names
    drawn = screen.getvalue()
    assert "Linting" in drawn
    assert "8/8 " in drawn and "map-7.cjm.yaml" in drawn  # the last frame, drawn as the bar stops
    # transient: the last thing written moves the cursor back over the bar and erases it
    assert drawn.rstrip("\n").endswith(("\x1b[2K", "\x1b[?25h"))


def test_bar_survives_an_error_in_the_loop():
    from rich.console import Console

    console = Console(file=io.StringIO(), force_terminal=True, width=80)
    with pytest.raises(RuntimeError):
        with progress(list(range(10)), "Rendering", enabled=True, console=console) as items:
            for item in items:
                if item == 3:
                    raise RuntimeError("boom")


SCRIPT = textwrap.dedent("""
    import time
    from cjm.progress import progress
    with progress([f"m{i}" for i in range(12)], "Rendering", describe=str) as items:
        for item in items:
            time.sleep(0.02)
    print("done")
""")


def run_on_terminal(env: dict[str, str], argv: list[str] | None = None, cwd: Path | None = None,
                    expect: int = 0) -> str:
    """Run ``argv`` (default SCRIPT) with standard output and error on a pseudo-terminal; return what it drew."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv or [sys.executable, "-c", SCRIPT], stdin=subprocess.DEVNULL, cwd=cwd,
                            stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=30)
    os.close(leader)
    drawn = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == expect, drawn
    return drawn


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR")}
    return {**env, "TERM": "xterm-256color", "COLUMNS": "100", **extra}


def test_on_a_real_terminal_the_bar_shows():
    drawn = run_on_terminal(clean_env())
    assert "Rendering" in drawn and "/12" in drawn
    assert "done" in drawn


@pytest.mark.parametrize("variable", ["CI", "GITHUB_ACTIONS"])
def test_on_a_terminal_in_ci_there_is_no_bar(variable):
    drawn = run_on_terminal(clean_env(**{variable: "true"}))
    assert "Rendering" not in drawn
    assert drawn.strip() == "done"


MESSAGES = textwrap.dedent("""
    import time, typer
    from cjm.progress import progress
    with progress(list(range(8)), "Working", enabled=True) as items:
        for item in items:
            typer.echo(f"message {item}", err=True)
            time.sleep(0.01)
""")


def test_messages_during_the_bar_print_above_it_not_into_it():
    drawn = run_on_terminal(clean_env(), [sys.executable, "-c", MESSAGES])
    for item in range(8):
        # each message starts on a cleared line (the bar is erased, then redrawn below it)
        assert f"\r\x1b[2Kmessage {item}\r\n" in drawn, drawn


# --- the commands ------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "online-shop-checkout.cjm.yaml"
CJM = [sys.executable, "-m", "cjm"]


@pytest.fixture(scope="module")
def many_maps(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    (folder / "cjm.toml").write_text("")  # a project root of its own: no configuration from above
    for i in range(THRESHOLD + 2):
        (folder / f"map{i}.cjm.yaml").write_text(EXAMPLE.read_text())
    return folder


@pytest.mark.parametrize("argv, label", [
    (["lint", "--exit-zero", "."], "Linting"),
    (["render", "--view", "curve", "-o", "out/", "."], "Rendering"),
    (["site", ".", "-o", "site"], "Building site"),
])
def test_commands_show_a_bar_for_many_maps_on_a_terminal(many_maps, argv, label):
    drawn = run_on_terminal(clean_env(), CJM + argv, cwd=many_maps)
    assert label in drawn and f"/{THRESHOLD + 2}" in drawn


@pytest.mark.parametrize("argv, env", [
    (["lint", "--exit-zero", "--format", "concise", "."], {}),
    (["lint", "--exit-zero", "--format", "json", "."], {}),
    (["lint", "--exit-zero", "."], {"CI": "true"}),
    (["lint", "--exit-zero", "."], {"GITHUB_ACTIONS": "true"}),
    (["render", "--view", "curve", "-o", "out/", "."], {"CI": "1"}),
], ids=["concise", "json", "ci", "github-actions", "render-ci"])
def test_commands_show_no_bar_in_ci_or_machine_formats(many_maps, argv, env):
    drawn = run_on_terminal(clean_env(**env), CJM + argv, cwd=many_maps)
    assert "Linting" not in drawn and "Rendering" not in drawn
    assert "\x1b[?25l" not in drawn  # the bar hides the cursor while it draws


def test_commands_show_no_bar_when_piped(many_maps):
    result = subprocess.run(CJM + ["lint", "--exit-zero", "."], cwd=many_maps, env=clean_env(),
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert "Linting" not in result.stdout + result.stderr
