"""The mutation score of ``make mutate``, from mutmut's results in mutants/.

Per module and overall: mutants, killed (a test failed), timeouts (the tests ran past mutmut's
time limit, which counts as detected), survived, no tests (no selected test runs the function),
and the score: (killed + timeouts) / mutants. Survivors listed in tests/mutation_equivalents.md
(a line starting with the mutant's id in backquotes) are shown as explained; the rest are listed
with mutmut's diff command. Exits 1 when a mutant has not been run yet.

    python tools/mutation_score.py [--markdown]
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path.cwd()  # the project folder, where mutmut keeps mutants/
MUTANTS = ROOT / "mutants"
EQUIVALENTS = ROOT / "tests" / "mutation_equivalents.md"

# mutmut 3's exit codes (mutmut.stats.status_by_exit_code)
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", 37: "type check", -11: "segfault",
          -9: "segfault", 2: "interrupted", None: "not run"}
COLUMNS = ("mutants", "killed", "timeout", "survived", "no tests", "other", "not run")


def results() -> dict[str, dict[str, int | None]]:
    """module path (src/...) -> {mutant id: exit code}."""
    out = {}
    for meta in sorted((MUTANTS / "src").rglob("*.py.meta")):
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        if codes:
            out[meta.relative_to(MUTANTS).as_posix()[: -len(".meta")]] = codes
    return out


def explained() -> set[str]:
    """The ids of the list entries (``- `ID` — ...``): full ids, and ``_N`` for the mutant N of the
    function named last before it (``- `a.x_f__mutmut_3` / `_5` — ...``)."""
    if not EQUIVALENTS.exists():
        return set()
    found = set()
    for entry in re.split(r"^\s*[-*]\s+(?=`)", EQUIVALENTS.read_text(encoding="utf-8"), flags=re.M)[1:]:
        entry = entry.split(" — ", 1)[0]
        function = None
        for full, function_name, number in re.findall(r"`(([\w.]+)__mutmut_\d+)`|`_(\d+)`", entry):
            if full:
                found.add(full)
                function = function_name
            elif function:
                found.add(f"{function}__mutmut_{number}")
    return found


def tally(codes: dict[str, int | None]) -> Counter:
    counts = Counter(mutants=len(codes))
    for code in codes.values():
        status = STATUS.get(code, "suspicious")
        counts[status if status in COLUMNS else "other"] += 1
    return counts


def score(counts: Counter) -> str:
    return f"{100 * (counts['killed'] + counts['timeout']) / counts['mutants']:.1f}%" if counts["mutants"] else "-"


def main(argv: list[str]) -> int:
    by_module = results()
    if not by_module:
        print("no mutation results in mutants/: run `make mutate` first", file=sys.stderr)
        return 2
    markdown = "--markdown" in argv
    known = explained()
    total = Counter()
    rows = []
    for module, codes in by_module.items():
        counts = tally(codes)
        total.update(counts)
        rows.append((module.removeprefix("src/"), counts))
    rows.append(("overall", total))
    header = ("module", *COLUMNS, "score")
    table = [header] + [(name, *(str(c[k]) for k in COLUMNS), score(c)) for name, c in rows]
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
        for row in table[1:]:
            print("| " + " | ".join(f"**{cell}**" if row[0] == "overall" else cell for cell in row) + " |")
    else:
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for n, row in enumerate(table):
            if n == len(table) - 1:
                print("  ".join("-" * w for w in widths))
            print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
    survivors = [(key, STATUS.get(code, "suspicious")) for codes in by_module.values() for key, code in codes.items()
                 if STATUS.get(code, "suspicious") not in ("killed", "timeout", "not run")]
    unexplained = [(key, status) for key, status in survivors if key not in known]
    print(f"\nrun and not detected: {len(survivors)} ({len(survivors) - len(unexplained)} explained as equivalent in "
          f"{EQUIVALENTS.relative_to(ROOT)}, {len(unexplained)} not)")
    for key, status in unexplained:
        print(f"  {status}: {key}    (mutmut show {key})")
    not_run = sum(code is None for codes in by_module.values() for code in codes.values())
    if not_run:
        print(f"\n{not_run} mutants not run yet (an interrupted run): run `make mutate` again", file=sys.stderr)
    return 1 if not_run else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
