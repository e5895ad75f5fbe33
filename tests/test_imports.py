"""Imports: personas shared from other map files, and every way an import is refused."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from cjm.format.imports import MAX_IMPORT_DEPTH
from cjm.format.validate import read_map
from map_testing import problems

SECRET = "TOPSECRET-7f3a"


def write_map(path: Path, *, imports: list[str] = (), personas: list[str] = (), body: str = "") -> Path:
    """A small valid map at ``path``; the imports list is always on line 4, its items from column 11."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["cjm: 1", f"id: {path.name.split('.')[0]}", "title: T",
             f"imports: [{', '.join(imports)}]" if imports else "imports: []"]
    if personas:
        lines.append("personas:")
        lines += [f"  - {{id: {p}, name: {p.title()}}}" for p in personas]
    path.write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project root (it holds pyproject.toml) inside tmp_path, as the current folder."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def secret(tmp_path) -> Path:
    """A file outside the project root; were it ever read, its broken YAML would be echoed."""
    path = tmp_path / "secret.cjm.yaml"
    path.write_text(f"cjm: [{SECRET}\n")
    return path


def assert_no_secret(loaded) -> None:
    for diag in loaded.diagnostics:
        for text in (diag.message, diag.hint, diag.source_line, diag.file):
            assert SECRET not in (text or "")


TOUCHPOINT_FOR = """stages:
  - id: s
    name: S
    touchpoints:
      - id: t
        name: T
        personas: [{who}]
        emotion: {{{who}: 1}}
"""


def test_imported_personas_are_shared(project):
    write_map(project / "people" / "shared.cjm.yaml", personas=["ana", "ben"])
    main = write_map(project / "journeys" / "main.cjm.yaml", imports=["../people/shared.cjm.yaml"],
                     personas=["rosa"], body=TOUCHPOINT_FOR.format(who="ana"))
    loaded = read_map(main)
    assert loaded.valid, problems(loaded)
    assert [p.id for p in loaded.personas] == ["rosa", "ana", "ben"]
    assert loaded.root == project


def test_parent_folder_escaping_the_root(project, secret):
    main = write_map(project / "main.cjm.yaml", imports=["../secret.cjm.yaml"])
    loaded = read_map(main)
    [diag] = loaded.diagnostics
    assert (diag.code, diag.name, diag.file, diag.line, diag.col) == ("CJM030", "import", "main.cjm.yaml", 4, 11)
    assert diag.message == "import '../secret.cjm.yaml' leaves the project root"
    assert_no_secret(loaded)


def test_dot_dot_that_comes_back_inside_is_fine(project):
    write_map(project / "shared.cjm.yaml", personas=["ana"])
    main = write_map(project / "journeys" / "main.cjm.yaml", imports=["../journeys/../shared.cjm.yaml"])
    assert read_map(main).valid


def test_absolute_path(project, secret):
    main = write_map(project / "main.cjm.yaml", imports=[str(secret)])
    loaded = read_map(main)
    [diag] = loaded.diagnostics
    assert (diag.code, diag.line, diag.col) == ("CJM030", 4, 11)
    assert diag.message == f"import '{secret}' must be relative to the importing file, not absolute"
    assert_no_secret(loaded)


def test_symlink_escaping_the_root(project, secret):
    (project / "link.cjm.yaml").symlink_to(secret)
    main = write_map(project / "main.cjm.yaml", imports=["link.cjm.yaml"])
    loaded = read_map(main)
    [diag] = loaded.diagnostics
    assert (diag.code, diag.line, diag.col) == ("CJM030", 4, 11)
    assert diag.message == "import 'link.cjm.yaml' leaves the project root"
    assert_no_secret(loaded)


def test_symlinked_folder_escaping_the_root(project, secret):
    (project / "outside").symlink_to(secret.parent, target_is_directory=True)
    main = write_map(project / "main.cjm.yaml", imports=["outside/secret.cjm.yaml"])
    loaded = read_map(main)
    assert [d.message for d in loaded.diagnostics] == ["import 'outside/secret.cjm.yaml' leaves the project root"]
    assert_no_secret(loaded)


def test_windows_paths(project):
    main = write_map(project / "main.cjm.yaml", imports=["people\\shared.cjm.yaml", "C:/shared.cjm.yaml"])
    loaded = read_map(main)
    assert problems(loaded) == [("CJM030", 4, 11), ("CJM030", 4, 35)]
    assert all("relative POSIX path" in d.message for d in loaded.diagnostics)


def test_cycle(project):
    write_map(project / "b.cjm.yaml", imports=["a.cjm.yaml"], personas=["bee"])
    a = write_map(project / "a.cjm.yaml", imports=["b.cjm.yaml"])
    loaded = read_map(a)
    found = sorted((d.code, d.file, d.line, d.col, d.message) for d in loaded.diagnostics)
    assert found == [
        ("CJM030", "a.cjm.yaml", 4, 11, "imported file 'b.cjm.yaml' has problems with its own imports"),
        ("CJM030", "b.cjm.yaml", 4, 11, "import cycle: a.cjm.yaml -> b.cjm.yaml -> a.cjm.yaml"),
    ]


def test_a_map_importing_itself(project):
    a = write_map(project / "a.cjm.yaml", imports=["a.cjm.yaml"])
    [diag] = read_map(a).diagnostics
    assert (diag.file, diag.line, diag.col, diag.message) == ("a.cjm.yaml", 4, 11, "import cycle: a.cjm.yaml -> a.cjm.yaml")


def test_missing_file(project):
    main = write_map(project / "main.cjm.yaml", imports=["shared.cjm.yaml", "nope.cjm.yaml"])
    write_map(project / "shared.cjm.yaml")
    [diag] = read_map(main).diagnostics
    assert (diag.code, diag.line, diag.col) == ("CJM030", 4, 28)
    assert diag.message == "imported file 'nope.cjm.yaml' does not exist"


@pytest.mark.parametrize("name", ["people.json", "people.txt", "people", "people.yaml.bak"])
def test_only_yaml_files(project, name):
    (project / name).write_text("personas: []\n")
    main = write_map(project / "main.cjm.yaml", imports=[name])
    [diag] = read_map(main).diagnostics
    assert (diag.code, diag.line, diag.col) == ("CJM030", 4, 11)
    assert diag.message == f"import '{name}' must name a .yaml or .yml file"


def test_diamond_imports_each_file_once(project):
    write_map(project / "d.cjm.yaml", personas=["dee"])
    write_map(project / "b.cjm.yaml", imports=["d.cjm.yaml"], personas=["bee"])
    write_map(project / "c.cjm.yaml", imports=["d.cjm.yaml"], personas=["cee"])
    main = write_map(project / "main.cjm.yaml", imports=["b.cjm.yaml", "c.cjm.yaml"],
                     body=TOUCHPOINT_FOR.format(who="dee"))
    loaded = read_map(main)
    assert loaded.valid, problems(loaded)
    assert [p.id for p in loaded.personas] == ["bee", "dee", "cee"]


def test_invalid_imported_file_reports_in_its_own_name(project):
    shared = project / "people" / "shared.cjm.yaml"
    shared.parent.mkdir()
    shared.write_text("cjm: 1\nid: shared\npersonas:\n  - {id: ana, name: Ana, age: 40}\n")
    main = write_map(project / "main.cjm.yaml", imports=["people/shared.cjm.yaml"],
                     body=TOUCHPOINT_FOR.format(who="ana"))
    loaded = read_map(main)
    found = sorted((d.file, d.line, d.col, d.code, d.message) for d in loaded.diagnostics)
    assert found == [
        ("main.cjm.yaml", 4, 11, "CJM030", "imported file 'people/shared.cjm.yaml' is not a valid map"),
        ("people/shared.cjm.yaml", 1, 1, "CJM010", "missing required field 'title'"),
        ("people/shared.cjm.yaml", 4, 26, "CJM010", "unknown field 'age'"),
    ]  # and no false "unknown persona 'ana'": the imported personas are unknown, so not checked


def test_imported_file_with_broken_yaml(project):
    (project / "shared.cjm.yaml").write_text("cjm: 1\npersonas: [\n")
    main = write_map(project / "main.cjm.yaml", imports=["shared.cjm.yaml"])
    found = sorted((d.file, d.code) for d in read_map(main).diagnostics)
    assert found == [("main.cjm.yaml", "CJM030"), ("shared.cjm.yaml", "CJM001")]


def test_imported_persona_clashing_with_an_own_id(project):
    write_map(project / "shared.cjm.yaml", personas=["rosa"])
    main = write_map(project / "main.cjm.yaml", imports=["shared.cjm.yaml"], personas=["rosa"])
    [diag] = read_map(main).diagnostics
    assert (diag.code, diag.line, diag.col) == ("CJM020", 4, 10)
    assert diag.message == "id 'rosa' of this imported persona is already used by a persona at line 6"


def test_import_depth_limit(project):
    depth = MAX_IMPORT_DEPTH + 2
    for level in range(depth):
        write_map(project / f"m{level}.cjm.yaml", imports=[f"m{level + 1}.cjm.yaml"] if level + 1 < depth else [])
    loaded = read_map(project / "m0.cjm.yaml")
    assert sorted((d.file, d.message) for d in loaded.diagnostics) == [
        ("m0.cjm.yaml", "imported file 'm1.cjm.yaml' has problems with its own imports"),
        (f"m{MAX_IMPORT_DEPTH}.cjm.yaml", f"imports nest deeper than {MAX_IMPORT_DEPTH} files"),
    ]


def test_imports_are_checked_even_when_the_map_has_schema_errors(project):
    main = write_map(project / "main.cjm.yaml", imports=["nope.cjm.yaml"], body="titel: typo\n")
    found = sorted((d.code, d.line, d.col) for d in read_map(main).diagnostics)
    assert found == [("CJM010", 5, 1), ("CJM030", 4, 11)]


def test_without_a_root_marker_imports_stay_in_the_current_folder(tmp_path, monkeypatch, secret):
    folder = tmp_path / "loose"
    monkeypatch.chdir(tmp_path)
    write_map(folder / "shared.cjm.yaml", personas=["ana"])
    main = write_map(folder / "main.cjm.yaml", imports=["shared.cjm.yaml", "../secret.cjm.yaml"])
    loaded = read_map(main)
    assert loaded.root == tmp_path.resolve()
    # tmp_path holds secret.cjm.yaml, so here it is inside the root and is read as a broken map
    assert {d.file for d in loaded.diagnostics} == {"loose/main.cjm.yaml", "secret.cjm.yaml"}


NOBODY = 65534  # the uid and gid root drops to, so that file modes apply


def diagnostics_read_unprivileged(main: Path) -> list[tuple]:
    """``read_map(main)``'s diagnostics as (file, code, line, col, message), read by a user whom file
    modes bind. Root reads every file whatever its mode, so as root the read runs in a forked child
    that first drops to uid and gid 65534 (the parent has imported everything it needs)."""

    def found() -> list[tuple]:
        return [(d.file, d.code, d.line, d.col, d.message) for d in read_map(main).diagnostics]

    if os.geteuid() != 0:
        return found()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: reports through the pipe and exits, never returns into pytest
        status = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            payload = {"uid": os.geteuid(), "found": found()}
            status = 0
        except BaseException as error:  # noqa: BLE001 - the parent reports it
            payload = {"error": f"{type(error).__name__}: {error}"}
        try:
            data = memoryview(json.dumps(payload).encode())
            while data:
                data = data[os.write(write_end, data):]
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = json.loads(pipe.read() or b'{"error": "the child wrote nothing"}')
    os.waitpid(pid, 0)
    assert "error" not in payload, f"the unprivileged read failed: {payload['error']}"
    assert payload["uid"] == NOBODY
    return [tuple(item) for item in payload["found"]]


@pytest.fixture
def open_project(monkeypatch):
    """A project root as the current folder, in a folder any user may enter (pytest's tmp_path is
    root's alone), so that an unprivileged reader meets only the file modes the test sets."""
    root = Path(tempfile.mkdtemp(prefix="cjm-imports-")).resolve()
    root.chmod(0o755)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.chdir(root)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_unreadable_imported_file(open_project):
    shared = write_map(open_project / "shared.cjm.yaml")
    main = write_map(open_project / "main.cjm.yaml", imports=["shared.cjm.yaml"])
    assert diagnostics_read_unprivileged(main) == []  # readable, the same project is clean
    shared.chmod(0)
    [(file, code, line, col, message)] = diagnostics_read_unprivileged(main)
    assert (file, code, line, col) == ("main.cjm.yaml", "CJM030", 4, 11)  # the import's item on line 4
    assert message == f"cannot read imported file 'shared.cjm.yaml': {os.strerror(errno.EACCES)}"


def test_fifo_is_not_read(project):
    os.mkfifo(project / "pipe.yaml")
    main = write_map(project / "main.cjm.yaml", imports=["pipe.yaml"])
    [diag] = read_map(main).diagnostics
    assert diag.message == "imported file 'pipe.yaml' is not a regular file"
