"""Hostile event logs and observed files through the evidence commands, as real processes.

The inputs are tests/corpus/evidence/ (a small map with `analytics` and rules, a clean log, its
observed file, and the hostile logs and observed files, each described in
tests/corpus/evidence/manifest.yml: CSV, gzip, Parquet and JSON hold no comment line) plus the
ones made at test time below (a 1 MB field, a 3 MB line, a file over the observed loader's limit,
10,000 levels of nesting, symlinks out of the root and to /dev/zero, FIFOs, folders).

- ``cjm evidence compute MAP -e LOG -o OUT`` on every log: exit 0 where the data is merely odd,
  2 naming the file where it cannot be read; never a traceback, an escape character or an
  uncapped message on the terminal; no output file (an existing one left as it was) and no
  temporary file after a failure; an output that parses, that ``render``/``lint --observed`` read
  back, and whose text from the log (markup, spreadsheet formulas) stays inert in every picture.
- ``render``/``lint``/``diff`` with every observed file: exit 2 (diff: 1, as for maps) at
  ``file:line:col`` for a broken one, warnings for one that does not fit the map, escaped output.
- ``evidence sql`` with hostile table names: refused, or SQL that parses and runs nothing else.
- every map of the corpus through ``evidence compute`` and ``evidence sql``: 1 with the map's
  problems for an invalid map, 2 for a map without analytics, never a traceback.

Each run goes through the corpus's runner (tests/corpus/harness.py): a real process with a
hang detector (CPU seconds, and wall seconds for a process blocked on a FIFO).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent / "corpus"))

from harness import Result, Runner  # noqa: E402
from outputs import check_output  # noqa: E402

CORPUS = Path(__file__).parent / "corpus"
EVIDENCE = CORPUS / "evidence"
MAP = "evidence/shop.cjm.yaml"
GOOD_LOG = "evidence/good.csv"
GOOD_OBSERVED = "evidence/observed/good.observed.json"
MAX_STDERR = 4000  # characters: a message about a hostile input quotes it, capped
OBSERVED_LIMIT = 64 * 1024 * 1024  # the observed loader's size limit (cjm.evidence.observed)


def _manifest() -> dict:
    return yaml.safe_load((EVIDENCE / "manifest.yml").read_text(encoding="utf-8"))


# -- inputs made at test time -------------------------------------------------------------------------

def _good_rows() -> list[str]:
    return (EVIDENCE / "good.csv").read_text(encoding="utf-8").splitlines()


def _one_mb_field(root: Path, outside: Path) -> None:
    header, *rows = _good_rows()  # four users with it: over CJM604's 20% of events no rule maps, which names it
    rows += [f"u{n},2026-01-09 10:00:00," + "E" * 1_000_000 + ",/," for n in range(10, 14)]
    (root / "evidence/logs/one-mb-field.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def _three_mb_line(root: Path, outside: Path) -> None:
    header, *rows = _good_rows()
    rows.append("u9,2026-01-09 10:00:00,page_view,/p/" + "x" * 3_000_000 + ",")
    (root / "evidence/logs/three-mb-line.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def _wide_header(root: Path, outside: Path) -> None:
    header = ",".join(["user_id", "timestamp", *(f"column_{n}" for n in range(20_000))])
    (root / "evidence/logs/wide-header.csv").write_text(header + "\n" + "u1,2026-01-01 10:00:00" + ",x" * 20_000 + "\n",
                                                         encoding="utf-8")


def _symlink_outside(root: Path, outside: Path) -> None:
    shutil.copy(EVIDENCE / "good.csv", outside / "events.csv")
    (root / "evidence/logs/outside-link.csv").symlink_to(outside / "events.csv")


def _markup_file_name(root: Path, outside: Path) -> None:
    shutil.copy(EVIDENCE / "good.csv", root / "evidence/logs" / MARKUP_NAME)


def _bracket_file_name(root: Path, outside: Path) -> None:
    shutil.copy(EVIDENCE / "good.csv", root / "evidence/logs/events[1].csv")


def _zero_link(root: Path, outside: Path) -> None:
    (root / "evidence/logs/zero.csv").symlink_to("/dev/zero")


def _fifo(root: Path, outside: Path) -> None:
    os.mkfifo(root / "evidence/logs/fifo.csv")


def _folder_with_traps(root: Path, outside: Path) -> None:
    folder = root / "evidence/folder-with-traps"
    folder.mkdir()
    shutil.copy(EVIDENCE / "good.csv", folder / "good.csv")
    os.mkfifo(folder / "blocks.csv")
    (folder / "zero.csv.gz").symlink_to("/dev/zero")
    (folder / "notes.txt").write_text("not a log\n", encoding="utf-8")


def _empty_folder(root: Path, outside: Path) -> None:
    (root / "evidence/no-logs").mkdir()
    (root / "evidence/no-logs/readme.txt").write_text("no logs here\n", encoding="utf-8")


def _huge_observed(root: Path, outside: Path) -> None:
    with open(root / "evidence/observed/huge.observed.json", "wb") as handle:
        handle.write(b'{"cjm_observed": 1, "map": "evidence-corpus-shop", "padding": "')
        handle.truncate(OBSERVED_LIMIT + 1024)  # sparse: costs no disk


def _nesting_observed(root: Path, outside: Path) -> None:
    text = '{"cjm_observed": 1, "map": "evidence-corpus-shop", "provenance": ' + "[" * 10_000 + "]" * 10_000 + "}\n"
    (root / "evidence/observed/nesting-10000.observed.json").write_text(text, encoding="utf-8")


def _alias_expansion(root: Path, outside: Path) -> None:
    # YAML (the loader reads JSON as YAML): 6 lines that expand to a million unmatched events
    text = ('{"cjm_observed": 1, "map": "evidence-corpus-shop",\n'
            ' "a": &a [{"event": "x", "events": 1, "users": 1}, {"event": "x", "events": 1, "users": 1}],\n'
            + "".join(f' "{name}": &{name} [{", ".join(f"*{prev}" for _ in range(10))}],\n'
                      for prev, name in zip("abcde", "bcdef"))
            + ' "unmatched": [*f, *f, *f, *f, *f]}\n')
    (root / "evidence/observed/alias-expansion.observed.json").write_text(text, encoding="utf-8")


def _unreadable_observed(root: Path, outside: Path) -> None:
    folder = root / "evidence/observed"
    (folder / "dev-zero.observed.json").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.observed.json")
    (folder / "folder.observed.json").mkdir()


MARKUP_NAME = "<svg onload=window.__cjm_pwned=1> & '.csv"

# name: (what it attacks, expectation, what the message must say, builder); same shape as the manifest
GENERATED = {
    "evidence/logs/one-mb-field.csv": (
        "a 1 MB event name in one field (data that is merely odd; outputs quote it capped)",
        0, None, _one_mb_field),
    "evidence/logs/three-mb-line.csv": (
        "a 3 MB line, over the CSV reader's line limit",
        2, "evidence/logs/three-mb-line.csv", _three_mb_line),
    "evidence/logs/wide-header.csv": (
        "20,000 columns and none is the event column: the message lists them, capped",
        2, "no column 'event'", _wide_header),
    "evidence/logs/outside-link.csv": (
        "a symlink to a log outside the project root: logs are data the user names, so it is read",
        0, None, _symlink_outside),
    f"evidence/logs/{MARKUP_NAME}": (
        "a log whose file name is markup: it reaches the provenance shown on the map page",
        0, None, _markup_file_name),
    "evidence/logs/events[1].csv": (
        "a file name with glob brackets: an existing file is read as named, not as a pattern",
        0, None, _bracket_file_name),
    "evidence/logs/zero.csv": (
        "a symlink to /dev/zero named like a log: never read",
        2, "evidence/logs/zero.csv: not a file", _zero_link),
    "evidence/logs/fifo.csv": (
        "a FIFO named like a log: opening it would block forever",
        2, "evidence/logs/fifo.csv: not a file", _fifo),
    "evidence/folder-with-traps": (
        "a folder with a log, a FIFO, a link to /dev/zero and a text file: only the log is read",
        0, None, _folder_with_traps),
    "evidence/no-logs": (
        "a folder without any log file",
        2, "evidence/no-logs: a folder without", _empty_folder),
    "evidence/observed/huge.observed.json": (
        "an observed file over the loader's 64 MiB limit",
        "invalid", "CJM003", _huge_observed),
    "evidence/observed/nesting-10000.observed.json": (
        "10,000 levels of nested JSON arrays",
        "invalid", "CJM003", _nesting_observed),
    "evidence/observed/alias-expansion.observed.json": (
        "YAML anchors and aliases in a .json file expanding past the loader's 5,000,000 nodes",
        "invalid", "CJM003", _alias_expansion),
    "evidence/observed/dev-zero.observed.json": (
        "an observed file that is a symlink to /dev/zero: read without end",
        "unreadable", "not a regular file", _unreadable_observed),
    "evidence/observed/fifo.observed.json": (
        "an observed file that is a FIFO: opening it would block forever",
        "unreadable", "not a regular file", None),
    "evidence/observed/folder.observed.json": (
        "a folder named like an observed file",
        "unreadable", "folder", None),
    "evidence/observed/missing.observed.json": (
        "an observed file that does not exist",
        "unreadable", None, None),
}


@dataclass(frozen=True)
class Input:
    name: str  # relative to the workspace root
    attacks: str
    expect: object  # logs: 0 or 2; observed files: valid, odd, invalid or unreadable
    says: str | None = None  # what the message must contain (besides the file's name)
    lint: int | None = None  # observed files: lint's exit code when it is not the class's

    @property
    def is_log(self) -> bool:
        return not self.name.startswith("evidence/observed/")


def inputs() -> list[Input]:
    out = [Input(f"evidence/{name}", entry["attacks"], entry["expect"], entry.get("says"), entry.get("lint"))
           for name, entry in _manifest().items()]
    out += [Input(name, attacks, expect, says) for name, (attacks, expect, says, _) in GENERATED.items()]
    return out


INPUTS = inputs()
LOGS = [i for i in INPUTS if i.is_log]
OBSERVED = [i for i in INPUTS if not i.is_log]


# -- the workspace ------------------------------------------------------------------------------------

@dataclass
class Workspace:
    base: Path
    root: Path
    runs: itertools.count

    def out_dir(self, label: str) -> Path:
        folder = self.base / "out" / f"{next(self.runs):05d}-{re.sub(r'[^a-z0-9]+', '-', label.lower())[:50]}"
        folder.mkdir(parents=True)
        return folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    """The corpus (maps and evidence/) as a project root, the generated inputs, and a folder outside it."""
    base = tmp_path_factory.mktemp("evidence-hostile")
    root, outside = base / "root", base / "outside"
    outside.mkdir()
    shutil.copytree(CORPUS, root, ignore=shutil.ignore_patterns("*.py", "__pycache__", "report-schema.json", "manifest.yml"))
    (root / "cjm.toml").write_text("", encoding="utf-8")
    for _, _, _, build in GENERATED.values():
        if build is not None:
            build(root, outside)
    return Workspace(base, root, itertools.count(1))


@pytest.fixture(scope="module")
def runner():
    pool = Runner(size=2)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def engine():
    pytest.importorskip("duckdb", reason="cjm evidence compute needs duckdb (pip install 'cjm[evidence]')")
    pytest.importorskip("ibis", reason="cjm evidence compute needs ibis (pip install 'cjm[evidence]')")


# -- checking a run ------------------------------------------------------------------------------------

# A line a CI runner reads as a workflow command (GitHub trims leading spaces first)
WORKFLOW_COMMAND = re.compile(r"^\s*::[a-z-]+[ :]", re.M)


def terminal_problems(result: Result, text_output: bool = True) -> list[str]:
    """What no run may show, whatever its input: a hang, a traceback, escape characters, a flood,
    and (unless standard output is a format of its own) a workflow command from the data."""
    if result.timed_out:
        return [f"did not finish (hang) after {result.seconds:.0f} s"]
    problems = []
    shown = result.both if text_output else result.stderr
    if WORKFLOW_COMMAND.search(shown):
        problems.append(f"a line from the data reads as a CI workflow command: {WORKFLOW_COMMAND.search(shown).group()!r}")
    if "Traceback (most recent call last)" in result.both:
        problems.append("a traceback was printed")
    if "\x1b" in result.both or "\x07" in result.both:
        problems.append("an escape or bell character from the input reached the terminal")
    if len(result.stderr) > MAX_STDERR:
        problems.append(f"standard error holds {len(result.stderr):,} characters: the input is quoted without a cap")
    return problems


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".tmp" in p.name or p.name.endswith(("~", ".part"))]


def failed_cleanly(result: Result, out: Path | None, before: bytes | None = b"before\n") -> list[str]:
    """After a failure: nothing on standard output, the output file as it was, no temp file."""
    problems = []
    if result.stdout.strip():
        problems.append(f"a failed run printed to standard output: {result.stdout[:200]!r}")
    if out is not None:
        now = out.read_bytes() if out.exists() else None
        if now != before:
            problems.append(f"the output file was {'written' if now is not None else 'removed'} by a failed run")
        if _leftovers(out.parent):
            problems.append(f"temporary files left behind: {_leftovers(out.parent)}")
    return problems


def fail(label: str, problems: list[str], result: Result) -> list[str]:
    return [f"[{label}] {p}\n    {result.describe()[:2500]}" for p in problems]


def run_all(runner: Runner, jobs: list[Callable[[], list[str]]]) -> list[str]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return [p for found in pool.map(lambda job: job(), jobs) for p in found]


# -- event logs through `cjm evidence compute` -----------------------------------------------------------

def compute(runner: Runner, ws: Workspace, events: list[str], label: str, *extra: str) -> tuple[Result, Path]:
    out = ws.out_dir(label) / "shop.observed.json"
    out.write_bytes(b"before\n")
    argv = ["evidence", "compute", MAP, *[a for e in events for a in ("-e", e)], "-o", str(out), *extra]
    return runner.run(argv, ws.root, timeout=60, wall=120), out


def read_back(runner: Runner, ws: Workspace, observed: Path, label: str) -> list[str]:
    """An observed file cjm wrote is read by every command that takes one; their outputs parse."""
    problems = []
    for view, fmt in (("map", "html"), ("map", "md"), ("diagram", "svg")):
        picture = ws.out_dir(f"{label}-{view}") / f"shop.{view}.{fmt}"
        result = runner.run(["render", MAP, "--observed", str(observed), "--view", view, "-f", fmt, "-o", str(picture)],
                            ws.root, timeout=90)
        found = terminal_problems(result) + ([] if result.rc == 0 else [f"render exit {result.rc}"])
        if result.rc == 0:
            found += [f"{picture.name}: {p}" for p in check_output(fmt, picture.read_bytes())]
        problems += fail(f"{label}: render {view} {fmt}", found, result)
    for fmt in ("text", "github", "sarif"):
        result = runner.run(["lint", MAP, "--observed", str(observed), "-f", fmt], ws.root)
        found = terminal_problems(result, text_output=fmt != "github") + ([] if result.rc in (0, 1) else [f"lint exit {result.rc}"])
        found += check_output({"sarif": "sarif"}.get(fmt, fmt), result.stdout) if result.rc in (0, 1) else []
        if len(result.stdout) > 400_000:  # SARIF alone carries the rule catalog (about 100 kB)
            found.append(f"lint printed {len(result.stdout):,} characters: text from the log is quoted without a cap")
        problems += fail(f"{label}: lint -f {fmt}", found, result)
    result = runner.run(["diff", GOOD_OBSERVED, str(observed), "-f", "markdown"], ws.root)
    found = terminal_problems(result) + ([] if result.rc == 0 else [f"diff exit {result.rc}"]) + check_output("md", result.stdout)
    problems += fail(f"{label}: diff", found, result)
    return problems


def _events(document: dict) -> int:
    return document["totals"]["events"]


def _span(document: dict) -> tuple[str, str]:
    return document["provenance"]["first_event"], document["provenance"]["last_event"]


def _inputs(document: dict) -> list[str]:
    return [given["path"] for given in document["provenance"]["inputs"]]


def _unmatched(document: dict) -> set[str]:
    return {name["event"] for name in document["unmatched"]}


# What the observed file of an odd log must say: log -> (what is read, the value; a set: at least these)
FACTS = {
    "evidence/logs/header-only.csv": (_events, 0),
    "evidence/logs/bom-crlf.csv": (_events, 17),
    "evidence/logs/far-times.csv": (_span, ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z")),
    "evidence/logs/outside-link.csv": (_inputs, ["evidence/logs/outside-link.csv"]),
    "evidence/folder-with-traps": (_inputs, ["evidence/folder-with-traps/good.csv"]),
    "evidence/logs/one-mb-field.csv": (_unmatched, {"E" * 1_000_000}),
    "evidence/logs/markup-and-formulas.csv": (_unmatched, {
        "=cmd|' /C calc'!A0", "@SUM(1+1)", "<script>window.__cjm_pwned=1</script>",
        '<img src=x onerror="window.__cjm_pwned=1">', "x\n::error file=evil.cjm.yaml,line=1::injected"}),
    "evidence/logs/control-characters.csv": (_unmatched, {
        "\ufffd[2J\ufffd]0;pwned\ufffdclear", "del\ufffdete", "non\ufffd\ufffdchar", "\u202egnp.exe", "two\nlines"}),
}


def fact_problem(name: str, document: dict) -> str | None:
    if name not in FACTS:
        return None
    read, expected = FACTS[name]
    found = read(document)
    if found == expected or isinstance(expected, set) and expected <= found:
        return None
    return f"{read.__name__.strip('_')}: expected {str(expected)[:300]}, found {str(found)[:300]}"


def test_the_evidence_corpus_says_what_each_input_attacks():
    manifest = _manifest()
    files = sorted(p.relative_to(EVIDENCE).as_posix() for p in EVIDENCE.rglob("*") if p.is_file())
    described = set(manifest) | {"manifest.yml", "good.csv", "shop.cjm.yaml", "observed/good.observed.json"}
    assert [f for f in files if f not in described] == [], "files in tests/corpus/evidence/ without a manifest entry"
    for name, entry in manifest.items():
        assert (EVIDENCE / name).is_file(), f"the manifest names a missing file {name}"
        assert len(entry["attacks"]) > 10 and entry["expect"] in (0, 2, "valid", "odd", "invalid", "unreadable"), name
    assert (EVIDENCE / "shop.cjm.yaml").read_text(encoding="utf-8").startswith("# ")
    kinds = " ".join(i.name for i in INPUTS)
    for kind in ("empty.csv", "header-only", "semicolons", "missing-column", "invalid-utf8", "nul-bytes", "one-mb-field",
                 "unreadable-times", "far-times", "markup-and-formulas", "truncated.csv.gz", "not-parquet", "outside-link",
                 "no-logs", "syntax-error", "nan-infinity", "integer-5000-digits", "nesting-10000", "duplicate-keys",
                 "wrong-types", "share-over-one", "negative-counts", "markup-ids", "huge", "other-map", "control-characters",
                 "escape-in-header", "wide-header", "fifo", "dev-zero", "events[1]", "alias-expansion"):
        assert kind in kinds, f"no evidence corpus input for {kind}"


@pytest.mark.parametrize("item", LOGS, ids=lambda i: i.name.removeprefix("evidence/"))
def test_hostile_event_log(item: Input, workspace, runner, engine):
    result, out = compute(runner, workspace, [item.name], item.name)
    problems = terminal_problems(result)
    if result.rc != item.expect:
        problems.append(f"exit code {result.rc}, expected {item.expect}")
    if item.expect == 2:
        problems += failed_cleanly(result, out)
        if not result.stderr.startswith("cjm: error: ") or result.stderr.count("\n") != 1:
            problems.append("the error is not one line starting 'cjm: error: '")
        if item.name not in result.stderr:
            problems.append(f"the error does not name {item.name}")
        if item.says and item.says not in result.stderr:
            problems.append(f"the error does not say {item.says!r}")
    elif result.rc == 0:
        problems += _written(out, item)
    assert not problems, f"{item.name} ({item.attacks}):\n" + "\n".join(fail("evidence compute", problems, result))
    if result.rc == 0:
        found = read_back(runner, workspace, out, item.name)
        assert not found, f"{item.name} ({item.attacks}): its observed file, read back:\n" + "\n".join(found)


def _written(out: Path, item: Input) -> list[str]:
    from cjm.evidence.observed import parse_observed

    data = out.read_bytes()
    problems = [f"output: {p}" for p in check_output("json", data)]
    loaded = parse_observed(data, out.name)
    if not loaded.ok:
        problems.append("cjm cannot read the observed file it wrote: "
                        + "; ".join(f"{d.location} {d.code} {d.message}" for d in loaded.diagnostics[:3]))
    if _leftovers(out.parent):
        problems.append(f"temporary files left behind: {_leftovers(out.parent)}")
    if not problems:
        problem = fact_problem(item.name, json.loads(data))
        problems += [problem] if problem else []
    return problems


def test_missing_logs_and_a_bad_log_among_good_ones_exit_2(workspace, runner, engine):
    problems = []
    for events, says in ((["evidence/logs/nothing-*.csv"], "evidence/logs/nothing-*.csv: no files match"),
                         (["evidence/logs/missing.csv"], "evidence/logs/missing.csv: no such file"),
                         ([GOOD_LOG, "evidence/logs/empty.csv"], "evidence/logs/empty.csv: the file is empty"),
                         ([GOOD_LOG, "evidence/logs/truncated.csv.gz"], "evidence/logs/truncated.csv.gz")):
        result, out = compute(runner, workspace, events, "missing")
        found = terminal_problems(result) + failed_cleanly(result, out)
        if result.rc != 2 or says not in result.stderr:
            found.append(f"expected exit 2 saying {says!r}")
        problems += fail(" ".join(events), found, result)
    assert not problems, "\n".join(problems)


def test_a_failed_compute_to_standard_output_prints_nothing(workspace, runner, engine):
    result = runner.run(["evidence", "compute", MAP, "-e", "evidence/logs/invalid-utf8.csv", "-o", "-"], workspace.root)
    assert result.rc == 2 and result.stdout == "", result.describe()
    assert not terminal_problems(result), result.describe()


def test_an_output_over_the_map_or_a_log_is_refused(workspace, runner, engine):
    """`-o` naming the map or the log it reads would replace the very input with JSON."""
    folder = workspace.out_dir("overwrite")
    shutil.copy(EVIDENCE / "shop.cjm.yaml", folder / "shop.cjm.yaml")
    shutil.copy(EVIDENCE / "good.csv", folder / "events.csv")
    (folder / "link.csv").symlink_to(folder / "events.csv")
    before = {p.name: p.read_bytes() for p in folder.iterdir() if not p.is_symlink()}
    problems = []
    for command in (["evidence", "compute", "shop.cjm.yaml", "-e", "events.csv", "-o", "shop.cjm.yaml"],
                    ["evidence", "compute", "shop.cjm.yaml", "-e", "events.csv", "-o", "events.csv"],
                    ["evidence", "compute", "shop.cjm.yaml", "-e", "*.csv", "-o", "link.csv"],
                    ["evidence", "sql", "shop.cjm.yaml", "--dialect", "duckdb", "--table", "events", "-o", "shop.cjm.yaml"]):
        result = runner.run(command, folder)
        found = terminal_problems(result)
        if result.rc != 2 or command[-1] not in result.stderr:
            found.append("expected exit 2 naming the output")
        now = {p.name: p.read_bytes() for p in folder.iterdir() if not p.is_symlink()}
        if now != before:
            found.append(f"files changed: {sorted(n for n in set(now) | set(before) if now.get(n) != before.get(n))}")
        problems += fail(" ".join(command), found, result)
    assert not problems, "\n".join(problems)


def test_the_clean_log_gives_the_committed_observed_journey(workspace, runner, engine):
    """The observed file the observed cases start from is what cjm computes from the clean log."""
    result, out = compute(runner, workspace, [GOOD_LOG], "good")
    assert result.rc == 0, result.describe()
    fresh, committed = json.loads(out.read_bytes()), json.loads((EVIDENCE / "observed/good.observed.json").read_bytes())
    for document in (fresh, committed):
        document["provenance"].pop("cjm")
        document["provenance"].pop("engine_version")
    assert fresh == committed


# -- observed files through render, lint and diff -------------------------------------------------------

def observed_runs(item: Input, ws: Workspace) -> list[tuple[str, list[str], Path | None, str | None]]:
    """(label, argv, output file, format to check) for one observed file."""
    runs = []
    broken = item.expect in ("invalid", "unreadable")
    views = [("map", "html")] if broken else [("map", "html"), ("map", "md"), ("diagram", "svg"), ("diagram", "dot")]
    for view, fmt in views:
        out = ws.out_dir(f"render-{view}-{fmt}") / f"shop.{view}.{fmt}"
        runs.append((f"render {view} {fmt}", ["render", MAP, "--observed", item.name, "--view", view, "-f", fmt, "-o", str(out)],
                     out, fmt))
    for fmt in (["text"] if broken else ["text", "github", "sarif", "json"]):
        runs.append((f"lint -f {fmt}", ["lint", MAP, "--observed", item.name, "-f", fmt], None,
                     {"json": "report-json"}.get(fmt, fmt)))
    for fmt in (["text"] if broken else ["text", "markdown", "json"]):
        runs.append((f"diff -f {fmt} GOOD INPUT", ["diff", "-f", fmt, GOOD_OBSERVED, item.name], None, {"markdown": "md"}.get(fmt, fmt)))
        runs.append((f"diff -f {fmt} INPUT GOOD", ["diff", "-f", fmt, item.name, GOOD_OBSERVED], None, {"markdown": "md"}.get(fmt, fmt)))
    return runs


def expected_codes(item: Input, command: str) -> set[int]:
    if command == "lint" and item.lint is not None:
        return {item.lint}
    if item.expect == "unreadable":
        return {2}
    if item.expect == "invalid":
        return {1} if command == "diff" else {2}  # diff: a broken file on either side exits 1, as an invalid map does
    return {0, 1} if command == "lint" else {0}


def check_observed_run(item: Input, command: str, result: Result, out: Path | None, fmt: str | None) -> list[str]:
    problems = terminal_problems(result, text_output=fmt != "github")
    if result.timed_out:
        return problems
    codes = expected_codes(item, command)
    if result.rc not in codes:
        problems.append(f"exit code {result.rc}, expected one of {sorted(codes)}")
    broken = item.expect in ("invalid", "unreadable")
    if result.rc == 2 or (command == "diff" and result.rc == 1 and broken):
        problems += failed_cleanly(result, out, before=None)
        if item.name not in result.stderr:
            problems.append(f"the error does not name {item.name}")
        if item.expect == "invalid" and not re.search(re.escape(item.name) + r":\d+:\d+", result.stderr):
            problems.append(f"the error does not give {item.name}:line:col")
        if broken and item.says and item.says not in result.stderr:
            problems.append(f"the error does not say {item.says!r}")
        return problems
    if command == "render" and item.says and item.says not in result.stderr:
        problems.append(f"render does not warn {item.says!r}")
    if out is not None:
        if not out.exists():
            return problems + ["nothing was written"]
        problems += [f"{out.name}: {p}" for p in check_output(fmt, out.read_bytes())]
    elif result.rc in (0, 1) and fmt:
        problems += [f"standard output: {p}" for p in check_output(fmt, result.stdout)]
    return problems


@pytest.mark.parametrize("item", OBSERVED, ids=lambda i: i.name.removeprefix("evidence/observed/"))
def test_hostile_observed_file(item: Input, workspace, runner):
    def job(run) -> Callable[[], list[str]]:
        label, argv, out, fmt = run

        def one() -> list[str]:
            result = runner.run(argv, workspace.root, timeout=60, wall=60)
            return fail(label, check_observed_run(item, argv[0], result, out, fmt), result)
        return one

    problems = run_all(runner, [job(run) for run in observed_runs(item, workspace)])
    assert not problems, f"{item.name} ({item.attacks}):\n" + "\n".join(problems)


# -- in a real browser ------------------------------------------------------------------------------------

from test_browser import browser  # noqa: E402,F401 - one Playwright per worker: the browser tests' module fixture


@pytest.mark.slow
def test_pictures_of_hostile_evidence_run_no_script_in_chromium(workspace, runner, engine, browser):  # noqa: F811
    """Markup from a log's file name and event names, and from a hand-edited observed file, in the
    map page and the diagram opened as a person would."""
    from test_corpus import open_in_browser

    result, computed = compute(runner, workspace, [f"evidence/logs/{MARKUP_NAME}", "evidence/logs/markup-and-formulas.csv"],
                               "browser")
    assert result.rc == 0, result.describe()
    pages = []
    for observed in (str(computed), "evidence/observed/markup-ids.observed.json"):
        for view, fmt in (("map", "html"), ("diagram", "svg")):
            page = workspace.out_dir(f"browser-{view}") / f"page.{fmt}"
            done = runner.run(["render", MAP, "--observed", observed, "--view", view, "-f", fmt, "-o", str(page)], workspace.root)
            assert done.rc == 0, done.describe()
            pages.append(page)
    assert "&lt;svg onload" in pages[0].read_text(encoding="utf-8")  # the file name is shown, as text
    problems = [f"{p}: {problem}" for p in pages for problem in open_in_browser(browser, p)]
    assert not problems, "\n".join(problems)


# -- `cjm evidence sql` with hostile table names ------------------------------------------------------------

TABLES = {
    "x\nDROP TABLE events; --": "a line break in the name would end the SQL comment that names the table",
    'events"; DROP TABLE events; --': "a double quote closing a quoted identifier",
    "events`; DROP TABLE events; --": "a backtick closing a BigQuery identifier",
    "events'; DROP TABLE events; --": "a single quote closing a string",
    "a.b.c.d": "four parts",
    "a..b": "an empty part",
    "\u202eevents": "a bidi override",
}


@pytest.mark.parametrize("dialect", ["duckdb", "bigquery", "postgres"])
def test_evidence_sql_with_hostile_table_names(dialect, workspace, runner, engine):
    import sqlglot
    from sqlglot import exp

    problems = []
    for table, attacks in TABLES.items():
        result = runner.run(["evidence", "sql", MAP, "--dialect", dialect, "--table", table], workspace.root)
        found = terminal_problems(result)
        if result.rc == 2:
            found += failed_cleanly(result, None)
        elif result.rc != 0:
            found.append(f"exit code {result.rc}, expected 0 or 2")
        else:
            injected = [line for line in result.stdout.splitlines() if line.lstrip().upper().startswith("DROP")]
            try:
                parsed = [s for s in sqlglot.parse(result.stdout, read=dialect) if s is not None]
            except sqlglot.errors.ParseError as error:
                found.append(f"the SQL does not parse: {str(error)[:300]}")
                parsed = []
            kinds = {type(s).__name__ for s in parsed if not isinstance(s, exp.Query)}
            if kinds:
                found.append(f"statements that are not queries: {sorted(kinds)}")
            found += [f"a line of its own runs DROP: {line!r}" for line in injected]
        problems += fail(f"--table {table!r} ({attacks})", found, result)
    assert not problems, "\n".join(problems)


# -- every map of the corpus through the evidence commands ------------------------------------------------

def _corpus_maps() -> list[tuple[str, bool]]:
    from test_corpus import committed_inputs

    return [(i.name, i.valid) for i in committed_inputs() if i.name.endswith(".cjm.yaml")]


@pytest.mark.parametrize("command", ["compute", "sql"])
def test_every_corpus_map_through_the_evidence_commands(command, workspace, runner, engine):
    def one(entry: tuple[str, bool]) -> list[str]:
        name, valid = entry
        if command == "compute":
            out = workspace.out_dir("corpus-compute") / "out.observed.json"
            argv = ["evidence", "compute", name, "-e", GOOD_LOG, "-o", str(out)]
        else:
            out, argv = None, ["evidence", "sql", name, "--dialect", "duckdb", "--table", "events"]
        result = runner.run(argv, workspace.root)
        found = terminal_problems(result)
        expected = 0 if name == MAP else 2 if valid else 1
        if result.rc != expected:
            found.append(f"exit code {result.rc}, expected {expected}")
        if expected:
            found += failed_cleanly(result, out, before=None)
            located = re.search(re.escape(name) + r":\d+:\d+", result.stderr)
            if expected == 1 and not located:
                found.append(f"the map's problems are not given at {name}:line:col")
            if expected == 2 and "analytics" not in result.stderr and "events" not in result.stderr:
                found.append("the error does not say the map lacks analytics or rules")
        return fail(f"evidence {command} {name}", found, result)

    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = [p for found in pool.map(one, _corpus_maps()) for p in found]
    assert not problems, "\n".join(problems)
