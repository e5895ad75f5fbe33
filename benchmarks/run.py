"""Run every benchmark case (benchmarks/cases_*.py) and print markdown tables.

    python benchmarks/run.py                 # everything, 7 process runs each
    python benchmarks/run.py --runs 11       # more runs
    python benchmarks/run.py --only validate # cases whose name holds "validate"
    python benchmarks/run.py --list          # the case names

Scratch files (generated maps) are kept in benchmarks/.data/ (or --scratch) between runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import resource
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import ProcessCase, StageCase, run_processes, run_stages  # noqa: E402


def discover() -> list[ProcessCase | StageCase]:
    cases: list[ProcessCase | StageCase] = []
    for module_path in sorted(HERE.glob("cases_*.py")):
        cases.extend(importlib.import_module(module_path.stem).CASES)
    return cases


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.system()}"


def process_table(results) -> str:
    rows = ["| case | runs | wall median ms | wall min ms | CPU median ms | peak memory MiB | aim (wall median) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        aim = f"< {r.case.aim_ms:,.0f} ms: {r.verdict}" if r.case.aim_ms else ""
        rows.append(f"| {r.case.name} | {len(r.wall)} | {r.median_ms:,.0f} | {r.min_ms:,.0f} | "
                    f"{r.cpu_median_ms:,.0f} | {r.max_rss_kib / 1024:,.0f} | {aim} |")
    return "\n".join(rows)


def stage_tables(results) -> str:
    """One table per set of steps, so cases of different pipelines do not share columns."""
    groups: dict[tuple[str, ...], list] = {}
    for r in results:
        groups.setdefault(tuple(n for n, _ in r.case.stages), []).append(r)
    tables = []
    for names, members in groups.items():
        rows = ["| case | " + " | ".join(names) + " | total |", "| --- |" + " ---: |" * (len(names) + 1)]
        for r in members:
            cells = [f"{r.best_ms(n):,.1f}" for n in names]
            rows.append(f"| {r.case.name} | " + " | ".join(cells) + f" | {sum(r.best_ms(n) for n in names):,.1f} |")
        tables.append("\n".join(rows))
    return "\n\n".join(tables)


def main() -> None:
    parser = argparse.ArgumentParser(description="cjm benchmarks")
    parser.add_argument("--runs", type=int, default=7, help="runs of each process case (at least 5)")
    parser.add_argument("--repeats", type=int, default=9, help="repeats of each in-process stage case")
    parser.add_argument("--only", default="", help="run only cases whose name holds this text (several: a,b)")
    parser.add_argument("--scratch", type=Path, default=HERE / ".data", help="where generated files are kept")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args()

    wanted = [part for part in args.only.split(",") if part] or [""]
    cases = [c for c in discover() if any(part in c.name for part in wanted)]
    if args.list:
        print("\n".join(c.name for c in cases))
        return

    def scratch_for(name: str) -> Path:
        folder = args.scratch / "".join(ch if ch.isalnum() else "-" for ch in name).strip("-")
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    print(f"Machine: {machine()}; load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    processes = [c for c in cases if isinstance(c, ProcessCase)]
    if processes:
        print("Whole process (wall time; round-robin over the cases):\n")
        results = run_processes(processes, scratch_for, max(args.runs, 5))
        print(process_table(results) + "\n")
        runner_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"(This runner's own peak: {runner_mib} MiB. On Linux a child's peak memory starts at its "
              "parent's, so no case can read lower than that.)\n")
    stages = [c for c in cases if isinstance(c, StageCase)]
    if stages:
        print(f"In-process steps (best of {args.repeats}, ms):\n")
        print(stage_tables([run_stages(c, scratch_for(c.name), args.repeats) for c in stages]))
    for case in (c for c in cases if not isinstance(c, (ProcessCase, StageCase))):  # cases with their own runner
        print(f"\n{case.name}:\n")
        print(case.report(scratch_for(case.name)))


if __name__ == "__main__":
    main()
