"""Run many ``cjm`` invocations as real, separate processes without paying start-up each time.

The corpus matrix runs a few thousand commands. Starting Python and importing pydantic,
rich and graphviz costs about 0.3 s a process here, far more than the work itself. So a
server process imports cjm once, then forks one child per invocation: each child is a real
process with its own exit code, standard output and error (files), working folder and
environment, and runs exactly what the ``cjm`` console script runs (``cjm.cli.main``), with
Python's own handling of an uncaught exception (a traceback on standard error, exit 1).

The hang detector counts CPU seconds (RLIMIT_CPU, so a busy machine does not make a slow
run look hung) and, for a process blocked on something that never comes, wall seconds
(five times as many by default): past either, the child is killed with its whole process
group (``dot`` included) and reported as a hang.

Protocol: one JSON request per line on standard input
``{"argv": [...], "cwd": "...", "stdout": FILE, "stderr": FILE, "env": {...}, "timeout": CPU_S, "wall": S}``,
one JSON answer per line on the original standard output ``{"rc": N, "timed_out": bool, "seconds": S}``.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import signal
import sys
import time

WARM_MODULES = (
    "cjm.cli", "cjm.format.validate", "cjm.report.text", "cjm.report.json_report", "cjm.report.sarif",
    "cjm.report.github", "cjm.report.concise", "cjm.lint.engine", "cjm.journey", "cjm.render.diagram",
    "cjm.render.curve", "cjm.render.html", "cjm.render.markdown", "cjm.render.mermaid", "cjm.diff.maps",
    "cjm.site", "rich.console", "rich.text", "jinja2", "graphviz",
)


def _warm() -> None:
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # a module that does not exist (yet) is imported by the child, if ever
            pass


def _child(request: dict) -> None:
    os.setpgid(0, 0)
    cpu = int(request.get("timeout", 60))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, key in ((1, "stdout"), (2, "stderr")):
        target = os.open(request[key], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    os.chdir(request["cwd"])
    os.environ.update(request.get("env", {}))
    # fresh text streams over the new descriptors, as a new interpreter would have
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.argv = ["cjm", *request["argv"]]
    code = 0
    if request["argv"][:1] == ["--hang-for-test"]:  # lets the tests prove the hang detector works
        time.sleep(3600)
    try:
        from cjm.cli import main

        main()
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code & 0xFF)


def _run(request: dict) -> dict:
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        try:
            _child(request)
        finally:
            os._exit(70)
    deadline = started + float(request.get("wall", 5 * float(request.get("timeout", 60))))
    delay = 0.002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            rc = os.waitstatus_to_exitcode(status)
            cpu_out = rc in (-signal.SIGXCPU, -signal.SIGKILL)
            return {"rc": None if cpu_out else rc, "timed_out": cpu_out,
                    "seconds": round(time.monotonic() - started, 3)}
        if time.monotonic() > deadline:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            return {"rc": None, "timed_out": True, "seconds": round(time.monotonic() - started, 3)}
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def serve() -> None:
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # stray prints must not corrupt the protocol
    _warm()
    answers.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(_run(json.loads(line))) + "\n")


if __name__ == "__main__":
    serve()
