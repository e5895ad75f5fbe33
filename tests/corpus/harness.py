"""Running ``cjm`` on hostile input: a process pool, and what commands and formats exist.

``Runner.run(argv, cwd)`` runs one ``cjm`` invocation as a real process with a hang detector.
A hang is more than ``timeout`` CPU seconds or ``wall`` seconds (5 x timeout unless given).
By default it forks from a warm server (see forkrun.py); ``CJM_CORPUS_EXEC=1`` (or
``exec_=True``) starts the installed console script instead, for every run.

The command matrix is read from the CLI itself: which commands are registered, the choices of
each ``--format`` option, and the render views with their formats from ``cjm.render.VIEWS``.
A command or view that has not landed yet is reported missing, never silently passed.
"""

from __future__ import annotations

import importlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

HERE = Path(__file__).parent
REPO = HERE.parent.parent
CJM = Path(sys.executable).with_name("cjm")
TIMEOUT = 60.0
ENV = {"NO_COLOR": "1", "CJM_TODAY": "2026-11-01", "COLUMNS": "120", "GITHUB_ACTIONS": "", "CI": ""}


@dataclass
class Result:
    argv: list[str]
    rc: int | None
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float

    @property
    def both(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (f"cjm {' '.join(self.argv)} -> rc={self.rc} timed_out={self.timed_out} ({self.seconds:.1f}s)\n"
                f"--- stdout ---\n{self.stdout[-1500:]}\n--- stderr ---\n{self.stderr[-1500:]}")


class _Server:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "forkrun.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, bufsize=1, cwd=str(REPO),
        )
        assert json.loads(self.proc.stdout.readline()) == {"ready": True}

    def run(self, request: dict) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        finally:
            self.proc.wait(timeout=30)


class Runner:
    """A small pool: ``size`` warm fork servers shared by threads."""

    def __init__(self, size: int = 2, exec_: bool | None = None):
        self.exec_ = bool(os.environ.get("CJM_CORPUS_EXEC")) if exec_ is None else exec_
        self.size = size
        self._idle: queue.Queue[_Server] = queue.Queue()
        self._lock = threading.Lock()
        self._made = 0
        self._scratch = Path(tempfile.mkdtemp(prefix="cjm-runner-"))
        self._count = 0

    def _server(self) -> _Server:
        with self._lock:
            if self._idle.empty() and self._made < self.size:
                self._made += 1
                return _Server()
        return self._idle.get()

    def _files(self) -> tuple[Path, Path]:
        with self._lock:
            self._count += 1
            n = self._count
        return self._scratch / f"{n}.out", self._scratch / f"{n}.err"

    def run(self, argv: list[str], cwd: Path, *, timeout: float = TIMEOUT, wall: float | None = None,
            env: dict | None = None, exec_: bool | None = None) -> Result:
        """Run ``cjm argv`` in ``cwd``; a hang is more than ``timeout`` CPU seconds or ``wall`` seconds."""
        argv = [str(a) for a in argv]
        environment = {**ENV, **(env or {})}
        wall = wall or 5 * timeout
        if self.exec_ if exec_ is None else exec_:
            return self._exec(argv, cwd, timeout, wall, environment)
        out, err = self._files()
        server = self._server()
        try:
            answer = server.run({"argv": argv, "cwd": str(cwd), "stdout": str(out), "stderr": str(err),
                                 "env": environment, "timeout": timeout, "wall": wall})
        finally:
            self._idle.put(server)
        result = Result(argv, answer["rc"], _read(out), _read(err), answer["timed_out"], answer["seconds"])
        out.unlink(missing_ok=True)
        err.unlink(missing_ok=True)
        return result

    def _exec(self, argv: list[str], cwd: Path, timeout: float, wall: float, env: dict) -> Result:
        import resource
        import signal
        import time

        def limit_cpu() -> None:
            resource.setrlimit(resource.RLIMIT_CPU, (int(timeout), int(timeout) + 5))

        started = time.monotonic()
        proc = subprocess.Popen([str(CJM), *argv], cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env={**os.environ, **env}, start_new_session=True,
                                preexec_fn=limit_cpu)
        try:
            out, err = proc.communicate(timeout=wall)
            timed_out = proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            out, err = proc.communicate()
            timed_out = True
        return Result(argv, None if timed_out else proc.returncode, out.decode("utf-8", "backslashreplace"),
                      err.decode("utf-8", "backslashreplace"), timed_out, time.monotonic() - started)

    def close(self) -> None:
        while self._made:
            self._idle.get().close()
            self._made -= 1


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "backslashreplace")
    except FileNotFoundError:
        return ""


# -- what the CLI offers ---------------------------------------------------------------------------


def cli_commands() -> dict:
    """Registered commands: name -> click command (groups keep their subcommands)."""
    import typer.main

    from cjm.cli import app

    return dict(typer.main.get_command(app).commands)


def format_choices(command) -> list[str] | None:
    """The values ``--format`` accepts for a command, read from its option; None without one."""
    for param in getattr(command, "params", []):
        if param.name != "format":
            continue
        annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            return [member.value for member in annotation]
        choices = getattr(getattr(param, "type", None), "choices", None)
        if choices:
            return [getattr(c, "value", c) for c in choices]
    return None


def render_matrix() -> tuple[list[tuple[str, str]], list[str]]:
    """Every (view, format) pair the renderers draw from a map alone, and the views that failed to
    import (with why). Views drawn from an observed file only (``NEEDS_OBSERVED``, the flow) take
    hostile input through tests/test_render_flow.py and tests/test_corpus_evidence.py."""
    from cjm.render import VIEWS

    pairs, missing = [], []
    for view, module in VIEWS.items():
        try:
            loaded = importlib.import_module(module)
        except Exception as exc:  # a view registered before its module landed
            missing.append(f"view {view}: {type(exc).__name__}: {exc}")
            continue
        if not getattr(loaded, "NEEDS_OBSERVED", False):
            pairs.extend((view, fmt) for fmt in loaded.FORMATS)
    return pairs, missing
