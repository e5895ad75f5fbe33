"""The benchmark cases and how they are measured.

Two kinds of case:

- ``ProcessCase``: one whole ``cjm`` process, as a user starts it. Wall time and the
  child's peak memory (``ru_maxrss`` from ``os.wait4``), repeated; ``run.py`` runs the
  process cases round-robin, so drift on a busy machine spreads over all of them.
- ``StageCase``: in-process timings of a pipeline's steps, each fed the previous
  step's result (read -> parse -> model -> check), best and median of repeats.

A module ``benchmarks/cases_<topic>.py`` lists its cases in ``CASES``; ``run.py``
finds every such module, so adding a case never touches another module.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "online-shop-checkout.cjm.yaml"  # 30 touchpoints


def cjm(*args: str) -> list[str]:
    """The installed ``cjm`` command with ``args``."""
    return [str(BIN / "cjm"), *args]


def render_command(source: Path | str, view: str, fmt: str, *extra: str) -> Callable[[Path], list[str]]:
    """A case's command: ``cjm render`` of ``source`` (a path, or a file name in the scratch folder)."""
    return lambda scratch: cjm("render", str(source), "--view", view, "-f", fmt, "-o", f"out.{fmt}", *extra)


def load_journey(path: Path):
    """The first step of the render pipelines: a map file read, validated, and its derived views."""
    from cjm.journey import Journey
    from cjm.format.validate import read_map

    loaded = read_map(path)
    assert loaded.valid, loaded.diagnostics
    return Journey(loaded.journey, loaded.personas)


@dataclass(frozen=True)
class ProcessCase:
    """Run ``command(scratch)`` as a process; ``setup(scratch)`` prepares files once, untimed."""

    name: str
    command: Callable[[Path], list[str]]
    setup: Callable[[Path], Any] | None = None
    aim_ms: float | None = None
    expect_exit: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class StageCase:
    """Time ``stages`` in order; ``prepare(scratch)`` gives the first stage its input, untimed.

    ``pause_gc``: run the stages with the garbage collector paused, as ``validate_bytes`` does.
    """

    name: str
    prepare: Callable[[Path], Any]
    stages: list[tuple[str, Callable[[Any], Any]]]
    pause_gc: bool = False


@dataclass
class ProcessResult:
    case: ProcessCase
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system, worker processes included
    max_rss_kib: int = 0

    @property
    def cpu_median_ms(self) -> float:
        return statistics.median(self.cpu) * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.wall) * 1000

    @property
    def min_ms(self) -> float:
        return min(self.wall) * 1000

    @property
    def verdict(self) -> str:
        if self.case.aim_ms is None:
            return ""
        return "met" if self.median_ms < self.case.aim_ms else "missed"


@dataclass
class StageResult:
    case: StageCase
    times: dict[str, list[float]] = field(default_factory=dict)

    def best_ms(self, stage: str) -> float:
        return min(self.times[stage]) * 1000

    def median_ms(self, stage: str) -> float:
        return statistics.median(self.times[stage]) * 1000


def child_environment() -> dict[str, str]:
    """Run as an installed cjm runs: with compiled bytecode cached (kept under benchmarks/.data,
    so a PYTHONDONTWRITEBYTECODE in the environment does not make every run compile the sources)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("PYTHONPYCACHEPREFIX", str(Path(__file__).resolve().parent / ".data" / "pycache"))
    env["NO_COLOR"] = "1"
    return env


def run_once(case: ProcessCase, scratch: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak resident memory (KiB) of one run of ``case``."""
    argv = case.command(scratch)
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=scratch, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=child_environment())
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    process.stderr.close()
    if process.returncode not in case.expect_exit:
        raise RuntimeError(f"{case.name}: exit {process.returncode}\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def run_processes(cases: list[ProcessCase], scratch_for: Callable[[str], Path], runs: int) -> list[ProcessResult]:
    results = [ProcessResult(case) for case in cases]
    scratches = []
    for case in cases:
        scratch = scratch_for(case.name)
        if case.setup:
            case.setup(scratch)
        run_once(case, scratch)  # warm the file cache and the bytecode cache, untimed
        scratches.append(scratch)
    for _ in range(runs):
        for result, scratch in zip(results, scratches):
            wall, cpu, rss = run_once(result.case, scratch)
            result.wall.append(wall)
            result.cpu.append(cpu)
            result.max_rss_kib = max(result.max_rss_kib, rss)
    return results


def run_stages(case: StageCase, scratch: Path, repeats: int) -> StageResult:
    result = StageResult(case, {name: [] for name, _ in case.stages})
    for _ in range(repeats):
        value = case.prepare(scratch)
        if case.pause_gc:
            gc.disable()
        try:
            for name, step in case.stages:
                start = time.perf_counter()
                value = step(value)
                result.times[name].append(time.perf_counter() - start)
        finally:
            gc.enable()
        del value
    return result
