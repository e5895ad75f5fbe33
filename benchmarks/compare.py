"""cjm side by side with the tools people run today, on the same input, in the same run.

    python benchmarks/compare.py              # every comparison, 7 rounds each
    python benchmarks/compare.py --runs 11    # more rounds
    python benchmarks/compare.py --only lint  # comparisons whose name holds "lint"

Each comparison runs both commands on the same files, alternating (cjm first in odd rounds,
the other tool first in even ones), and reports medians, the ratio (other / cjm: above 1
means cjm is faster) and the peak memory of each whole process tree (sampled from /proc, so
Node's and Chromium's children count for the Mermaid CLI). Then the scale table (validate
and lint of 30 ... 20,000 touchpoints, per touchpoint) and the in-process comparison of
validate with a bare libyaml parse of the same file.

Tools: check-jsonschema and yamllint from the `bench` extra (pip install -e '.[bench]');
the Mermaid CLI from npm into ~/.cache/cjm/mermaid-cli, run with Debian's chromium. A tool
that cannot be had is skipped with the reason.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import BIN, REPO  # noqa: E402
from generate import make_map, write_maps  # noqa: E402

SCHEMA = REPO / "schemas" / "cjm-map.v1.schema.json"
EXAMPLE = REPO / "examples" / "online-shop-checkout.cjm.yaml"
MERMAID_HOME = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cjm" / "mermaid-cli"
SCALE = (30, 300, 3000, 20_000)


# -- measuring one process tree ----------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _rss_kib(current)
        todo.extend(_children(current))
    return total


@dataclass
class Run:
    seconds: float
    peak_kib: int
    exit_code: int


def run_process(argv: list[str], cwd: Path, ok: tuple[int, ...]) -> Run:
    """Wall time and peak memory of the whole process tree (sampled every 5 ms, and ru_maxrss)."""
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "NO_COLOR": "1"})
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(process.pid))
            stop.wait(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    stderr = process.stderr.read().decode("utf-8", "replace")
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise RuntimeError(f"{' '.join(argv[:4])}...: exit {code}\n{stderr[-2000:]}")
    return Run(seconds, max(peak, usage.ru_maxrss), code)


# -- comparisons ---------------------------------------------------------------------------------------------


@dataclass
class Comparison:
    name: str
    ours: Callable[[Path], list[str]]
    theirs: Callable[[Path], list[str]]
    tool: str  # the other tool, as people know it
    setup: Callable[[Path], None] | None = None
    aim_ratio: float = 1.0  # other / cjm must be at least this
    ours_ok: tuple[int, ...] = (0,)
    theirs_ok: tuple[int, ...] = (0,)
    available: Callable[[], str | None] = lambda: None  # a reason to skip, or None


@dataclass
class Outcome:
    comparison: Comparison
    ours: list[Run] = field(default_factory=list)
    theirs: list[Run] = field(default_factory=list)
    skipped: str | None = None

    @staticmethod
    def median_ms(runs: list[Run]) -> float:
        return statistics.median(r.seconds for r in runs) * 1000

    @staticmethod
    def peak_mib(runs: list[Run]) -> float:
        return max(r.peak_kib for r in runs) / 1024

    @property
    def ratio(self) -> float:
        return self.median_ms(self.theirs) / self.median_ms(self.ours)


def _venv_tool(name: str) -> Callable[[], str | None]:
    def check() -> str | None:
        return None if (BIN / name).exists() else f"{name} is not installed: pip install -e '.[bench]'"
    return check


def _many_maps(scratch: Path) -> None:
    folder = scratch / "maps"
    if len(list(folder.glob("*.cjm.yaml"))) != 1000:
        write_maps(folder, 1000, 30)


def _one_map(scratch: Path) -> None:
    shutil.copy(EXAMPLE, scratch / "map.cjm.yaml")


def mermaid_cli() -> Path | None:
    mmdc = MERMAID_HOME / "node_modules" / ".bin" / "mmdc"
    if mmdc.exists():
        return mmdc
    if shutil.which("npm") is None:
        return None
    MERMAID_HOME.mkdir(parents=True, exist_ok=True)
    print(f"installing @mermaid-js/mermaid-cli into {MERMAID_HOME} (once) ...", file=sys.stderr)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "@mermaid-js/mermaid-cli"], cwd=MERMAID_HOME,
                   env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"}, check=False, timeout=900)
    return mmdc if mmdc.exists() else None


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _mermaid_available() -> str | None:
    if _chromium() is None:
        return "no chromium for the Mermaid CLI (apt-get install chromium)"
    if mermaid_cli() is None:
        return "the Mermaid CLI cannot be installed (npm install @mermaid-js/mermaid-cli failed or npm is missing)"
    return None


def _mermaid_setup(scratch: Path) -> None:
    _one_map(scratch)
    (scratch / "puppeteer.json").write_text(json.dumps({"executablePath": _chromium(), "args": ["--no-sandbox"]}))
    subprocess.run([str(BIN / "cjm"), "render", "map.cjm.yaml", "--view", "journey", "--format", "mermaid",
                    "-o", "journey.mmd"], cwd=scratch, check=True, stdout=subprocess.DEVNULL)


def _mmdc(scratch: Path) -> list[str]:
    return [str(mermaid_cli()), "-q", "-i", "journey.mmd", "-o", "mermaid.svg", "-p", "puppeteer.json"]


COMPARISONS = [
    Comparison("validate 1 map (example, 30 touchpoints)",
               lambda s: [str(BIN / "cjm"), "validate", "map.cjm.yaml"],
               lambda s: [str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA), "map.cjm.yaml"],
               "check-jsonschema", setup=_one_map, available=_venv_tool("check-jsonschema")),
    Comparison("validate 1,000 maps of 30 touchpoints",
               lambda s: [str(BIN / "cjm"), "validate", "maps"],
               lambda s: [str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA),
                          *sorted(str(p.relative_to(s)) for p in (s / "maps").glob("*.cjm.yaml"))],
               "check-jsonschema", setup=_many_maps, available=_venv_tool("check-jsonschema")),
    Comparison("lint 1,000 maps of 30 touchpoints",
               lambda s: [str(BIN / "cjm"), "lint", "maps"],
               lambda s: [str(BIN / "yamllint"), "maps"],
               "yamllint (default config)", setup=_many_maps, ours_ok=(0, 1), theirs_ok=(0, 1),
               available=_venv_tool("yamllint")),
    Comparison("render svg: diagram of the example vs its Mermaid journey",
               lambda s: [str(BIN / "cjm"), "render", "map.cjm.yaml", "--view", "diagram", "--format", "svg", "-o", "cjm.svg"],
               _mmdc, "Mermaid CLI (mmdc)", setup=_mermaid_setup, aim_ratio=10.0, available=_mermaid_available),
    Comparison("render svg: emotion curve of the example vs its Mermaid journey",
               lambda s: [str(BIN / "cjm"), "render", "map.cjm.yaml", "--view", "curve", "--format", "svg", "-o", "cjm.svg"],
               _mmdc, "Mermaid CLI (mmdc)", setup=_mermaid_setup, aim_ratio=10.0, available=_mermaid_available),
]


def compare(comparison: Comparison, scratch: Path, runs: int) -> Outcome:
    outcome = Outcome(comparison)
    reason = comparison.available()
    if reason:
        outcome.skipped = reason
        return outcome
    if comparison.setup:
        comparison.setup(scratch)
    ours = lambda: run_process(comparison.ours(scratch), scratch, comparison.ours_ok)  # noqa: E731
    theirs = lambda: run_process(comparison.theirs(scratch), scratch, comparison.theirs_ok)  # noqa: E731
    ours(), theirs()  # warm the file cache for both
    for round_ in range(runs):
        if round_ % 2 == 0:
            outcome.ours.append(ours())
            outcome.theirs.append(theirs())
        else:
            outcome.theirs.append(theirs())
            outcome.ours.append(ours())
    return outcome


COMPARISON_HEADER = ("| comparison | other tool | cjm median ms | other median ms | other / cjm | cjm peak MiB | "
                     "other peak MiB | aim |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")


def comparison_row(o: Outcome) -> str:
    c = o.comparison
    if o.skipped:
        return f"| {c.name} | {c.tool} | | | | | | skipped: {o.skipped} |"
    aim = "cjm faster" if c.aim_ratio == 1.0 else f"cjm {c.aim_ratio:g}x faster"
    verdict = "met" if o.ratio >= c.aim_ratio else "missed"
    return (f"| {c.name} | {c.tool} | {o.median_ms(o.ours):,.0f} | {o.median_ms(o.theirs):,.0f} | "
            f"{o.ratio:,.1f}x | {o.peak_mib(o.ours):,.0f} | {o.peak_mib(o.theirs):,.0f} | {aim}: {verdict} |")


# -- scale ------------------------------------------------------------------------------------------------------


def _corpus_scale_map():
    """The hostile corpus's generator of big valid maps: lean touchpoints, so 20,000 of them stay
    inside the loader's default limits (benchmarks/generate.py's richer ones pass 500,000 nodes)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("corpus_generate", REPO / "tests" / "corpus" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.scale_map


def scale_rows(scratch: Path, runs: int):
    """The scale table, one row at a time (header first), on maps of tests/corpus/generate.py."""
    yield ("| touchpoints | file KiB | validate ms | validate µs / touchpoint | validate peak MiB | "
           "lint ms | lint µs / touchpoint | lint peak MiB |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    scale_map = _corpus_scale_map()
    for n in SCALE:
        path = scratch / f"corpus-scale-{n}.cjm.yaml"
        if not path.exists():
            path.write_text(scale_map(n), encoding="utf-8")
        cells = [f"{n:,}", f"{path.stat().st_size / 1024:,.0f}"]
        for command, ok in (("validate", (0,)), ("lint", (0, 1))):
            measured = [run_process([str(BIN / "cjm"), command, path.name], scratch, ok) for _ in range(runs)]
            ms = statistics.median(r.seconds for r in measured) * 1000
            cells += [f"{ms:,.0f}", f"{ms * 1000 / n:,.0f}", f"{max(r.peak_kib for r in measured) / 1024:,.0f}"]
        yield "| " + " | ".join(cells) + " |"


# -- in process: validate vs a bare libyaml parse -------------------------------------------------------------------


def in_process(scratch: Path, repeats: int, touchpoints: int = 3000) -> str:
    import yaml

    from cjm.format.validate import validate_bytes

    path = scratch / f"scale-{touchpoints}.cjm.yaml"
    if not path.exists():
        path.write_text(make_map(touchpoints), encoding="utf-8")
    raw = path.read_bytes()
    text = raw.decode("utf-8")

    def bare() -> None:
        yaml.load(text, Loader=yaml.CSafeLoader)

    def bare_without_gc() -> None:  # the same parse with the collector paused, as cjm pauses it
        gc.disable()
        try:
            yaml.load(text, Loader=yaml.CSafeLoader)
        finally:
            gc.enable()

    def ours() -> None:
        loaded = validate_bytes(raw, path, path.name)
        assert loaded.valid, loaded.diagnostics[:3]

    times: dict[str, list[float]] = {"libyaml": [], "libyaml, gc paused": [], "cjm": []}
    bare(), ours()
    for round_ in range(repeats):
        order = [("libyaml", bare), ("libyaml, gc paused", bare_without_gc), ("cjm", ours)]
        for name, function in order if round_ % 2 == 0 else reversed(order):
            gc.collect()
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    libyaml_ms = statistics.median(times["libyaml"]) * 1000
    paused_ms = statistics.median(times["libyaml, gc paused"]) * 1000
    cjm_ms = statistics.median(times["cjm"]) * 1000
    ratio = cjm_ms / libyaml_ms
    verdict = "met" if ratio <= 1.5 else "missed"
    return ("| in process, one map of 3,000 touchpoints | median ms |\n| --- | ---: |\n"
            f"| the bare libyaml parse (PyYAML with `CSafeLoader`) | {libyaml_ms:,.0f} |\n"
            f"| the same parse with the garbage collector paused | {paused_ms:,.0f} |\n"
            f"| `cjm.format.validate.validate_bytes` (decode, limits, parse with positions, model, checks) | {cjm_ms:,.0f} |\n"
            f"| ratio cjm / libyaml (aim at most 1.5) | {ratio:.2f}x: {verdict} |\n"
            f"| ratio cjm / libyaml with the collector paused | {cjm_ms / paused_ms:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description="cjm side by side with other tools")
    parser.add_argument("--runs", type=int, default=7, help="rounds of each comparison (at least 5)")
    parser.add_argument("--only", default="", help="run only comparisons whose name holds this text ('scale', 'in process')")
    parser.add_argument("--scratch", type=Path, default=REPO / ".bench" / "compare", help="where generated files are kept")
    args = parser.parse_args()
    runs = max(args.runs, 5)
    args.scratch.mkdir(parents=True, exist_ok=True)

    from run import machine

    print(f"Machine: {machine()}\n")
    chosen = [c for c in COMPARISONS if args.only in c.name]
    if chosen:
        print(f"Side by side (medians of {runs} alternating rounds; peak memory of the whole process tree):\n")
        print(COMPARISON_HEADER, flush=True)
        for comparison in chosen:
            folder = args.scratch / "".join(ch if ch.isalnum() else "-" for ch in comparison.name)[:60]
            folder.mkdir(parents=True, exist_ok=True)
            print(comparison_row(compare(comparison, folder, runs)), flush=True)
        print()
    if args.only in "scale":
        print(f"Scale (medians of {runs} runs; the same generator as benchmarks/generate.py):\n")
        for row in scale_rows(args.scratch, runs):
            print(row, flush=True)
        print()
    if args.only in "in process":
        print(in_process(args.scratch, max(runs, 9)))


if __name__ == "__main__":
    main()
