"""Every hostile input through every command: no crash, no hang, no leak, no half-written file.

Inputs are tests/corpus/ (committed, each saying what it attacks) plus big ones generated at
test time (tests/corpus/generate.py). Commands are read from the CLI (harness.py): each
command that reads maps runs in every ``--format`` it offers, ``render`` in every view and
format of ``cjm.render.VIEWS``, ``diff`` against a good map in both orders, ``site`` into a new
folder, ``import mermaid`` on the Mermaid inputs, and any other registered command that reads
maps with the input as its argument.

For each run: the exit code is the documented one (0 valid, 1 invalid/findings, 2 usage);
the output names the file (and line); no traceback; no temp file left and no output file at
all when the command failed; a secret kept outside the project root never appears; the run
ends within 60 s (a hang detector, not a speed test); every output parses and, for HTML and
SVG, carries no active content (and runs no script in Chromium: see the browser test).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent / "corpus"))

from generate import BIG_INPUTS, write_big_inputs  # noqa: E402
from harness import Result, Runner, cli_commands, format_choices, render_matrix  # noqa: E402
from outputs import CHECKS, UncheckedFormat, check_dot, check_output  # noqa: E402

CORPUS = Path(__file__).parent / "corpus"
EXAMPLES = Path(__file__).parent.parent / "examples"
SECRET = "SECRET-7f3a9c-OUTSIDE-THE-ROOT"
PWNED_FILE = "cjm-pwned-by-yaml"

# Commands that read no map: what they do is tested by their own tests.
NO_MAP_INPUT = {
    "schema": "prints the JSON Schema; reads no map",
    "init": "writes the starter map; reads no map",
    "rules": "prints the rule catalog; reads no map",
}
# Commands that run until they are stopped: the hostile corpus reaches them through their own tests.
LONG_RUNNING = {
    "serve": "serves its maps until stopped; tests/test_serve.py serves the whole corpus (test_hostile_maps_run_no_script)",
}
# Commands the matrix knows how to drive; each must be registered (a missing one fails its cases).
MAP_COMMANDS = ("validate", "lint", "render", "diff", "site")
# Inputs whose valid maps may be refused by render/site with exit 2 (dot's time limit).
DOT_HEAVY = {"touchpoints-20000.cjm.yaml", "tangled-next-200.cjm.yaml"}
# Generated inputs too heavy for every command in `make test`: they get validate/lint/render-dot.
SLOW_INPUTS = {"touchpoints-20000.cjm.yaml", "tangled-next-200.cjm.yaml", "big-10mb.cjm.yaml", "many-diagnostics-5000.cjm.yaml"}


@dataclass(frozen=True)
class Input:
    name: str  # path relative to the project root of the workspace
    attacks: str
    expect: str  # valid | invalid | import | import-target
    code: str | None = None
    generated: bool = False

    @property
    def valid(self) -> bool:
        return self.expect == "valid"


def _manifest() -> dict:
    return yaml.safe_load((CORPUS / "manifest.yml").read_text(encoding="utf-8"))


def _split_expect(text: str) -> tuple[str, str | None]:
    parts = text.split()
    return parts[0], (parts[1] if len(parts) > 1 else None)


def committed_inputs() -> list[Input]:
    manifest = _manifest()
    out = []
    for path in sorted(CORPUS.rglob("*")):
        name = path.relative_to(CORPUS).as_posix()
        if not path.is_file() or not name.endswith((".cjm.yaml", ".mmd")):
            continue
        if name in manifest:
            expect, code = _split_expect(manifest[name]["expect"])
            out.append(Input(name, manifest[name]["attacks"], expect, code))
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        expect, code = _split_expect(lines[1].removeprefix("# expect:").strip())
        out.append(Input(name, lines[0].removeprefix("#").strip(), expect, code))
    return out


def generated_inputs() -> list[Input]:
    out = []
    for name, (attacks, expect, _) in BIG_INPUTS.items():
        expect, code = _split_expect(expect)
        out.append(Input(name, attacks, expect, code, generated=True))
    return out


COMMITTED = committed_inputs()
GENERATED = generated_inputs()
MAP_INPUTS = [i for i in COMMITTED + GENERATED if i.name.endswith(".cjm.yaml")]
MERMAID_INPUTS = [i for i in COMMITTED if i.name.endswith(".mmd")]


# -- the workspace: a project root with the corpus, a secret outside it, links and a FIFO ------------


@dataclass
class Workspace:
    base: Path
    root: Path
    good: str = "good.cjm.yaml"
    runs: int = 0

    def out_dir(self, label: str) -> Path:
        self.runs += 1
        folder = self.base / "out" / f"{self.runs:05d}-{re.sub(r'[^a-z0-9]+', '-', label.lower())[:60]}"
        folder.mkdir(parents=True)
        return folder


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Workspace:
    base = tmp_path_factory.mktemp("hostile")
    outside = base / "outside"
    outside.mkdir()
    secret = outside / "secret.cjm.yaml"
    secret.write_text(
        f"cjm: 1\nid: secret\ntitle: {SECRET}\npersonas:\n  - id: spy\n    name: {SECRET}\n", encoding="utf-8")
    (outside / "secret.yaml").write_text(f"# {SECRET}\n", encoding="utf-8")
    root = base / "root"
    shutil.copytree(CORPUS, root, ignore=shutil.ignore_patterns("*.py", "__pycache__", "*.json", "manifest.yml"))
    (root / "cjm.toml").write_text("", encoding="utf-8")
    shutil.copy(EXAMPLES / "online-shop-checkout.cjm.yaml", root / "good.cjm.yaml")
    absolute = root / "import-absolute.cjm.yaml"
    absolute.write_text(absolute.read_text(encoding="utf-8").replace("@ABSOLUTE_SECRET@", str(secret)), encoding="utf-8")
    (root / "escape-link.cjm.yaml").symlink_to(secret)
    (root / "zero-link.yaml").symlink_to("/dev/zero")
    os.mkfifo(root / "fifo.yaml")
    (root / "sub.yaml").mkdir()
    write_big_inputs(root)
    return Workspace(base, root)


@pytest.fixture(scope="session")
def runner():
    pool = Runner(size=2)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def commands() -> dict:
    return cli_commands()


# -- one case: a command line, its expected exit codes, and where its output goes ---------------------


@dataclass
class Case:
    label: str
    argv: list[str]
    codes: set[int]
    stdout_format: str | None = None  # how to check standard output
    output: Path | None = None  # a file or folder the command writes
    output_format: str | None = None  # how to check that file ("site" for a folder)
    names_line: bool = True  # the output must say file:line:col for an invalid input
    timeout: float = 60.0  # CPU seconds
    wall: float | None = None  # wall seconds for a blocked process (default 5 x timeout)


def _report_format(fmt: str) -> str:
    return {"json": "report-json"}.get(fmt, fmt)


def report_cases(command: str, cli, item: Input, ws: Workspace) -> list[Case]:
    codes = {0} if command == "validate" and item.valid else {0, 1} if item.valid else {1}
    formats = format_choices(cli) or ["text"]
    cases = [Case(f"{command} -f {fmt}", [command, "--format", fmt, item.name], codes, stdout_format=_report_format(fmt))
             for fmt in formats]
    file_format = "sarif" if "sarif" in formats else "json" if "json" in formats else None
    if file_format:
        out = ws.out_dir(f"{command}-{file_format}") / f"report.{file_format}"
        cases.append(Case(f"{command} -f {file_format} -o", [command, "-f", file_format, "-o", str(out), item.name], codes,
                          output=out, output_format=_report_format(file_format)))
    return cases


def render_cases(cli, item: Input, ws: Workspace, pairs) -> list[Case]:
    codes = ({0, 2} if item.name in DOT_HEAVY else {0}) if item.valid else {1}
    if not item.valid:  # an invalid map stops before any renderer: one format per view shows that
        pairs = [(view, fmt) for i, (view, fmt) in enumerate(pairs) if view not in [v for v, _ in pairs[:i]]]
    cases = []
    for view, fmt in pairs:
        out = ws.out_dir(f"render-{view}-{fmt}") / f"out.{view}.{fmt}"
        cases.append(Case(f"render --view {view} --format {fmt}",
                          ["render", item.name, "--view", view, "--format", fmt, "-o", str(out)], codes,
                          output=out, output_format=fmt, timeout=90.0))
    return cases


def diff_cases(cli, item: Input, ws: Workspace) -> list[Case]:
    codes = {0} if item.valid else {1}
    cases = []
    for index, fmt in enumerate(format_choices(cli) or ["text"]):
        stdout_format = {"markdown": "md"}.get(fmt, fmt)
        cases.append(Case(f"diff -f {fmt} INPUT GOOD", ["diff", "-f", fmt, item.name, ws.good], codes, stdout_format=stdout_format))
        if item.valid or index == 0:  # an invalid input stops diff before any format: both orders once
            cases.append(Case(f"diff -f {fmt} GOOD INPUT", ["diff", "-f", fmt, ws.good, item.name], codes,
                              stdout_format=stdout_format))
    return cases


def site_cases(cli, item: Input, ws: Workspace) -> list[Case]:
    out = ws.out_dir("site") / "site"
    codes = ({0, 2} if item.name in DOT_HEAVY else {0}) if item.valid else {1}
    return [Case("site", ["site", item.name, "-o", str(out)], codes, output=out, output_format="site", names_line=False, timeout=120.0)]


def cases_for(command: str, item: Input, ws: Workspace, commands: dict) -> list[Case]:
    assert command in commands, f"`cjm {command}` is not registered"
    cli = commands[command]
    if command in ("validate", "lint"):
        return report_cases(command, cli, item, ws)
    if command == "render":
        pairs, missing = render_matrix()
        if missing:
            pytest.fail("render views that cannot be imported: " + "; ".join(missing))
        return render_cases(cli, item, ws, pairs)
    if command == "diff":
        return diff_cases(cli, item, ws)
    if command == "site":
        return site_cases(cli, item, ws)
    raise AssertionError(command)


# -- checking one run ---------------------------------------------------------------------------------


def _files_under(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith((".tmp", ".part", "~")) or ".tmp" in p.name]


def _format_of(path: Path) -> str:
    suffix = path.suffix.lstrip(".")
    return {"htm": "html", "markdown": "md", "yml": "yaml", "txt": "text", "": "text"}.get(suffix, suffix)


def check_run(case: Case, result: Result, item: Input) -> list[str]:
    problems: list[str] = []
    if result.timed_out:
        return [f"did not finish within {case.timeout:.0f} CPU seconds or {case.wall or 5 * case.timeout:.0f} s (hang)"]
    if result.rc not in case.codes:
        problems.append(f"exit code {result.rc}, expected one of {sorted(case.codes)}")
    if "Traceback (most recent call last)" in result.both:
        problems.append("a traceback was printed")
    if SECRET in result.both:
        problems.append("the secret from outside the project root appears in the output")
    if result.rc == 1 and not item.valid:
        problems += _names_the_file(case, result, item)
    if case.stdout_format and result.rc in (0, 1) and result.stdout.strip():
        problems += [f"standard output: {p}" for p in check_output(case.stdout_format, result.stdout)]
    if case.output is not None:
        problems += _check_written(case, result)
    return problems


def _names_the_file(case: Case, result: Result, item: Input) -> list[str]:
    shown = result.both
    if case.output is not None and case.output.is_file():
        shown += case.output.read_text(encoding="utf-8", errors="replace")
    name = item.name
    if name not in shown:
        if case.output is not None and case.output.is_dir():
            shown += "".join(p.read_text(encoding="utf-8", errors="replace") for p in _files_under(case.output)
                             if p.suffix == ".html")
        if name not in shown:
            return [f"the output does not name the file {name}"]
    if not case.names_line:
        return []
    located = (re.escape(name) + r":\d+:\d+", r'"file": "' + re.escape(name) + r'",\s*"line": \d+',
               r"file=" + re.escape(name) + r",line=\d+", r'"startLine": \d+')
    if not any(re.search(pattern, shown) for pattern in located):
        return [f"the output names {name} but no line and column"]
    return []


def _check_written(case: Case, result: Result) -> list[str]:
    problems = []
    out = case.output
    folder = out.parent
    leftovers = _leftovers(folder)
    if leftovers:
        problems.append(f"temporary files left behind: {leftovers}")
    written = _files_under(out)
    if result.rc not in (0, 1) or (result.rc == 1 and case.output_format not in ("json", "report-json", "sarif", "site")):
        if written:
            problems.append(f"exit {result.rc} but an output was written: {[p.name for p in written][:5]}")
        return problems
    if not written:
        problems.append(f"exit {result.rc} but nothing was written to {out.name}")
        return problems
    for path in written:
        data = path.read_bytes()
        if SECRET.encode() in data:
            problems.append(f"{path.name}: holds the secret from outside the project root")
        fmt = case.output_format if out.is_file() else _format_of(path)
        if fmt == "site":
            continue
        problems += [f"{path.name}: {p}" for p in check_output(fmt, data)]
    return problems


def run_cases(runner: Runner, ws: Workspace, item: Input, cases: list[Case]) -> list[str]:
    before = sorted(p.name for p in ws.root.iterdir())

    def one(case: Case) -> list[str]:
        result = runner.run(case.argv, ws.root, timeout=case.timeout, wall=case.wall)
        found = check_run(case, result, item)
        return [f"[{case.label}] {p}\n    {result.describe()[:2500]}" for p in found[:3]]

    with ThreadPoolExecutor(max_workers=3) as pool:
        problems = [p for found in pool.map(one, cases) for p in found]
    after = sorted(p.name for p in ws.root.iterdir())
    if after != before:
        problems.append(f"files appeared or vanished in the project root: {sorted(set(after) ^ set(before))}")
    if (ws.root / PWNED_FILE).exists() or (ws.base / "out" / PWNED_FILE).exists():
        problems.append("a YAML tag ran a command")
    return problems


# -- the inventory --------------------------------------------------------------------------------------


def test_the_corpus_has_at_least_40_inputs_each_saying_what_it_attacks():
    assert len(COMMITTED) >= 40
    for item in COMMITTED:
        assert len(item.attacks) > 10, item.name
        assert item.expect in ("valid", "invalid", "import"), item
    manifest = _manifest()
    for name in manifest:
        assert (CORPUS / name).is_file(), f"manifest names a missing file {name}"
    for item in COMMITTED:
        path = CORPUS / item.name
        if item.name not in manifest:
            assert path.read_bytes().startswith(b"# "), f"{item.name}: first line must be a '# ' comment"


def test_the_corpus_covers_every_kind_of_attack():
    names = " ".join(i.name for i in COMMITTED + GENERATED)
    for kind in ("alias-bomb", "nesting-100-", "nesting-10000-", "nesting-100000-", "duplicate-key-top", "duplicate-key-persona",
                 "duplicate-key-stage", "duplicate-key-touchpoint", "duplicate-key-metric", "merge-key", "tag-python",
                 "tag-explicit", "multiple-documents", "nul", "c0-", "lone-surrogate", "invalid-utf8", "utf16-le-bom",
                 "integer-5000-digits", "nan-inf", "big-10mb", "touchpoints-20000", "tangled-next", "import-dotdot",
                 "import-absolute", "import-symlink", "import-cycle", "dot-trailing-backslash", "dot-html-like-label",
                 "svg-script", "svg-event", "html-css", "markdown-table-pipes", "mermaid-directives", "markdown-fence",
                 "unicode-scripts-emoji"):
        assert kind in names, f"no corpus input for {kind}"


def test_every_output_format_has_its_check_and_an_unknown_one_is_an_error(commands):
    with pytest.raises(UncheckedFormat, match="no check for output format 'webp'"):
        check_output("webp", b"RIFF")
    written = {fmt for _, fmt in render_matrix()[0]}
    written |= {_report_format(fmt) for name in ("validate", "lint") for fmt in format_choices(commands[name])}
    written |= {{"markdown": "md"}.get(fmt, fmt) for fmt in format_choices(commands["diff"])}
    assert written - set(CHECKS) == set()


def test_the_dot_check_needs_graphviz_nop_and_fails_without_it(tmp_path, monkeypatch):
    assert check_dot(b"digraph { a -> b }") == []
    assert check_dot(b"digraph { a -> ")[0].startswith("Graphviz rejects the DOT source")
    monkeypatch.setenv("PATH", str(tmp_path))  # no nop here
    assert check_dot(b"digraph { a -> b }") == [
        "Graphviz `nop` is not installed, so the DOT source cannot be checked (make setup installs Graphviz)"]


def test_validate_concludes_what_each_input_expects(workspace, runner):
    """The cheapest, strictest check first: valid inputs are valid, the rest fail with their code."""
    items = [i for i in COMMITTED + GENERATED if i.name.endswith(".cjm.yaml")]

    def one(item: Input) -> str | None:
        result = runner.run(["validate", "--format", "json", item.name], workspace.root)
        if item.valid and result.rc != 0:
            return f"{item.name}: expected valid\n{result.describe()}"
        if not item.valid:
            if result.rc != 1:
                return f"{item.name}: expected exit 1\n{result.describe()}"
            if item.code and f'"code": "{item.code}"' not in result.stdout:
                return f"{item.name}: expected {item.code}\n{result.describe()}"
        return None

    with ThreadPoolExecutor(max_workers=3) as pool:
        problems = [p for p in pool.map(one, items) if p]
    assert not problems, "\n\n".join(problems)


# -- the matrix -------------------------------------------------------------------------------------------


# Bugs this matrix found in other modules, reported and not fixed yet. strict: the day one is fixed,
# its entry here fails the run until it is removed.
KNOWN_BUGS: dict[tuple[str, str], str] = {
    # (input, command): "what is wrong, in which module" -- none open right now
}


def _params():
    for item in MAP_INPUTS:
        for command in MAP_COMMANDS:
            marks = [pytest.mark.slow] if item.name in SLOW_INPUTS else []
            if (item.name, command) in KNOWN_BUGS:
                marks.append(pytest.mark.xfail(strict=True, reason="BUG: " + KNOWN_BUGS[item.name, command]))
            yield pytest.param(item, command, id=f"{item.name}-{command}", marks=marks)


@pytest.mark.parametrize(("item", "command"), list(_params()))
def test_hostile_input(item: Input, command: str, workspace, runner, commands):
    cases = cases_for(command, item, workspace, commands)
    if item.name in SLOW_INPUTS:
        if command in ("site", "diff"):
            # the heavy inputs run every format where the output differs; site and diff once
            cases = cases[:1]
        for case in cases:  # megabytes of input on a shared machine: the CPU limit still applies
            case.wall = 1200.0
    problems = run_cases(runner, workspace, item, cases)
    assert not problems, f"{item.name} ({item.attacks}):\n" + "\n".join(problems)


@pytest.mark.parametrize("item", MAP_INPUTS[:12] + [i for i in MAP_INPUTS if i.valid][:4], ids=lambda i: i.name)
def test_other_commands_that_take_a_path_survive_the_input(item, workspace, runner, commands):
    """A command registered later and not in the matrix still gets every input: exit 0/1/2, no traceback."""
    others = [name for name in commands
              if name not in MAP_COMMANDS and name not in NO_MAP_INPUT and name not in LONG_RUNNING and name != "import"]
    assert others, "every registered command is in the matrix: this test has nothing left to check"
    # a minute of wall time: a new command that waits for something (a server) fails here, not at CI's time limit
    cases = [Case(f"{name} INPUT", [name, item.name], {0, 1, 2}, names_line=False, wall=60) for name in others]
    problems = [p for p in run_cases(runner, workspace, item, cases) if "does not name" not in p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("item", MERMAID_INPUTS, ids=lambda i: i.name)
def test_import_mermaid(item, workspace, runner, commands):
    assert "import" in commands and "mermaid" in getattr(commands["import"], "commands", {}), \
        "`cjm import mermaid` is not registered"
    out = workspace.out_dir("import") / "imported.cjm.yaml"
    case = Case("import mermaid", ["import", "mermaid", item.name, "-o", str(out)], {0, 1, 2},
                output=out, output_format="yaml", names_line=False)
    result = runner.run(case.argv, workspace.root)
    problems = check_run(case, result, item)
    if result.rc == 0:
        check = runner.run(["validate", str(out)], workspace.root)
        if check.rc != 0:
            problems.append(f"the imported map does not validate:\n{check.describe()}")
    elif result.rc in (1, 2) and item.name not in result.both:
        problems.append("the error does not name the file")
    assert not problems, f"{item.name}:\n" + "\n".join(problems) + "\n" + result.describe()


# -- hangs and reads outside the root ----------------------------------------------------------------------


def test_a_fifo_named_like_a_map_never_hangs(workspace, runner, commands):
    """Reading a FIFO blocks until someone writes: a folder walk skips it, naming it is a usage error."""
    folder = workspace.base / "fifo-folder"
    folder.mkdir(exist_ok=True)
    shutil.copy(EXAMPLES / "online-shop-checkout.cjm.yaml", folder / "good.cjm.yaml")
    fifo = folder / "blocks.cjm.yaml"
    if not fifo.exists():
        os.mkfifo(fifo)
    problems = []
    for command in ("validate", "lint"):
        if command not in commands:
            continue
        walked = runner.run([command, str(folder)], workspace.root, timeout=10, wall=15)
        if walked.timed_out or walked.rc not in (0, 1, 2) or "Traceback" in walked.both:
            problems.append(walked.describe())
        named = runner.run([command, str(fifo)], workspace.root, timeout=10, wall=15)
        if named.timed_out or named.rc != 2 or "blocks.cjm.yaml" not in named.stderr or "Traceback" in named.both:
            problems.append(named.describe())
    assert not problems, "\n".join(problems)


def test_a_map_that_is_a_symlink_to_dev_zero_is_refused_by_size(workspace, runner):
    link = workspace.base / "zero.cjm.yaml"
    if not link.exists():
        link.symlink_to("/dev/zero")
    result = runner.run(["validate", str(link)], workspace.root, timeout=30)
    assert not result.timed_out and result.rc in (1, 2) and "Traceback" not in result.both, result.describe()
    assert "zero.cjm.yaml" in result.both, result.describe()


@pytest.mark.slow
def test_thousands_of_diagnostics_finish_within_the_bound(workspace, runner):
    """5,000 touchpoints with a misspelt field and an unknown `next`: reported in linear time."""
    result = runner.run(["validate", "many-diagnostics-5000.cjm.yaml"], workspace.root, timeout=60)
    assert not result.timed_out and result.rc == 1, result.describe()
    assert "many-diagnostics-5000.cjm.yaml:" in result.stdout


# -- the harness itself: forked runs behave like the console script ---------------------------------------------


@pytest.mark.parametrize("argv", [
    ["validate", "merge-key.cjm.yaml"],
    ["validate", "--format", "json", "encoding-utf16-le-bom.cjm.yaml"],
    ["lint", "--format", "github", "svg-script-tags.cjm.yaml"],
    ["validate", "no-such-file.cjm.yaml"],
], ids=lambda a: " ".join(a))
def test_forked_runs_match_the_console_script(argv, workspace, runner):
    forked = runner.run(argv, workspace.root)
    real = runner.run(argv, workspace.root, exec_=True)
    assert (forked.rc, forked.stdout, forked.stderr) == (real.rc, real.stdout, real.stderr)


def test_the_hang_detector_kills_a_hung_process(workspace, runner):
    hung = runner.run(["--hang-for-test"], workspace.root, timeout=2, wall=2)
    assert hung.timed_out and hung.rc is None
    after = runner.run(["validate", "good.cjm.yaml"], workspace.root)
    assert after.rc == 0, after.describe()


# -- in a real browser -------------------------------------------------------------------------------------------

BROWSER_INPUTS = [i for i in COMMITTED if i.valid and i.name.endswith(".cjm.yaml")]


# One Playwright per worker at a time: its sync API refuses to start while another runs in the
# same thread, so the corpus shares the module-scoped browser of the browser tests.
from test_browser import browser  # noqa: E402,F401


@pytest.fixture(scope="module")
def chromium(browser):  # noqa: F811
    return browser


def open_in_browser(browser, path: Path) -> list[str]:
    """Open a file as a person would; report any script that ran, dialog, or request to elsewhere."""
    problems: list[str] = []
    page = browser.new_page()
    page.on("dialog", lambda dialog: (problems.append(f"a dialog opened: {dialog.message!r}"), dialog.dismiss()))

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("file:", "data:", "about:")):
            request_route.continue_()
        else:
            problems.append(f"request to {url[:100]}")
            request_route.abort()

    page.route("**/*", route)
    try:
        page.goto(path.as_uri(), wait_until="load", timeout=30_000)
        page.wait_for_timeout(100)
        ran = page.evaluate("() => [typeof window.__cjm_pwned, typeof window.__pwned, "
                            "(window.parent && typeof window.parent.__cjm_pwned)]")
        if any(kind not in ("undefined", None) for kind in ran):
            problems.append(f"a payload ran: {ran}")
    finally:
        page.close()
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("item", BROWSER_INPUTS, ids=lambda i: i.name)
def test_rendered_pages_run_no_script_in_chromium(item, workspace, runner, commands, chromium):
    assert "render" in commands, "`cjm render` is not registered"
    written: list[Path] = []
    pairs, _ = render_matrix()
    for view, fmt in pairs:
        if fmt in ("svg", "html"):
            out = workspace.out_dir(f"browser-{view}") / f"page.{fmt}"
            result = runner.run(["render", item.name, "--view", view, "--format", fmt, "-o", str(out)], workspace.root)
            assert result.rc == 0, result.describe()
            written.append(out)
    problems = [f"{p.name}: {problem}" for p in written for problem in open_in_browser(chromium, p)]
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_a_site_of_every_hostile_map_runs_no_script_in_chromium(workspace, runner, commands, chromium):
    assert "site" in commands, "`cjm site` is not registered"
    out = workspace.out_dir("browser-site") / "site"
    result = runner.run(["site", *[i.name for i in BROWSER_INPUTS], "-o", str(out)], workspace.root, timeout=300)
    assert result.rc == 0 and "Traceback" not in result.both, result.describe()
    pages = [p for p in _files_under(out) if p.suffix in (".html", ".svg")]
    assert len(pages) > len(BROWSER_INPUTS)
    problems = [f"{p.relative_to(out)}: {problem}" for p in pages for problem in open_in_browser(chromium, p)]
    assert not problems, "\n".join(problems)
