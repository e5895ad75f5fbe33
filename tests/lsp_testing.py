"""Driving ``cjm lsp`` over stdio with a pytest-lsp client that records every publication.

The client speaks as VS Code or Neovim does (pytest-lsp's recorded capability profiles); a test
may ask for another position encoding. Each publication is kept with its version, so a test can
wait for the diagnostics of one version of one document.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls", reason="cjm lsp needs the lsp extra (pip install 'cjm[lsp]')")

from lsprotocol import types  # noqa: E402
from pygls.protocol import default_converter  # noqa: E402
from pytest_lsp import LanguageClient, client_capabilities  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES  # noqa: E402

DATA = Path(__file__).parent / "data" / "lsp"
PROFILES = {"vscode": "visual-studio-code", "neovim": "neovim"}
TODAY = "2026-04-01"  # CJM501 compares the maps' review dates with it


@dataclass
class Published:
    uri: str
    version: int | None
    diagnostics: list[types.Diagnostic]


@dataclass
class Recorder:
    publications: list[Published] = field(default_factory=list)
    registrations: list[types.Registration] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class Client:
    """A started client with helpers for the tests."""

    def __init__(self, lsp: LanguageClient, recorder: Recorder, encoding: str):
        self.lsp = lsp
        self.recorder = recorder
        self.encoding = encoding
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8") if text is None else text
        self.versions[uri] = 1
        self.texts[uri] = text
        self.lsp.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="yaml", version=1, text=text)))
        return uri

    def change(self, uri: str, text: str) -> int:
        """Send the whole new text (as Neovim does for small files)."""
        self.versions[uri] += 1
        self.texts[uri] = text
        self.lsp.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        return self.versions[uri]

    def edit(self, uri: str, start: tuple[int, int], end: tuple[int, int], new: str) -> int:
        """An incremental change; ``start`` and ``end`` are (line, character) in the agreed encoding."""
        self.versions[uri] += 1
        self.lsp.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=start[0], character=start[1]),
                                  end=types.Position(line=end[0], character=end[1])), text=new)]))
        return self.versions[uri]

    def save(self, uri: str) -> None:
        self.lsp.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))

    def close(self, uri: str) -> None:
        self.lsp.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))

    def files_changed(self, *paths: Path) -> None:
        self.lsp.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=p.as_uri(), type=types.FileChangeType.Changed) for p in paths]))

    async def diagnostics(self, uri: str, version: int | None = None, timeout: float = 30) -> list[types.Diagnostic]:
        """The diagnostics published for ``uri`` (for ``version``, when given; else the next ones
        after those already seen)."""
        seen = len(self.recorder.publications)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for published in self.recorder.publications[(0 if version is not None else seen):]:
                if published.uri == uri and (version is None or published.version == version):
                    return published.diagnostics
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no diagnostics for {uri} version {version} within {timeout} s")
            self.recorder.changed.clear()
            try:
                await asyncio.wait_for(self.recorder.changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def published(self, uri: str) -> list[Published]:
        return [p for p in self.recorder.publications if p.uri == uri]

    def position(self, uri: str, needle: str, offset: int = 0, occurrence: int = 0) -> types.Position:
        """The position of ``needle`` (plus ``offset`` characters) in the client's encoding."""
        lines = self.texts[uri].split("\n")
        count = 0
        for number, line in enumerate(lines):
            start = 0
            while (found := line.find(needle, start)) >= 0:
                if count == occurrence:
                    return types.Position(line=number, character=units(line[:found + offset], self.encoding))
                count += 1
                start = found + 1
        raise AssertionError(f"{needle!r} is not in {uri}")

    def doc(self, uri: str) -> types.TextDocumentIdentifier:
        return types.TextDocumentIdentifier(uri=uri)

    async def hover(self, uri: str, position: types.Position) -> str | None:
        result = await self.lsp.text_document_hover_async(types.HoverParams(text_document=self.doc(uri), position=position))
        return result.contents.value if result is not None else None

    async def complete(self, uri: str, position: types.Position) -> list[str]:
        result = await self.lsp.text_document_completion_async(types.CompletionParams(text_document=self.doc(uri), position=position))
        if result is None:
            return []
        items = result.items if isinstance(result, types.CompletionList) else result
        return [item.label for item in items]


def units(text: str, encoding: str) -> int:
    """The length of ``text`` in the encoding's code units, counted independently of cjm."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    """A text with LSP edits applied (last first), positions read in ``encoding``."""
    lines = text.split("\n")

    def offset(pos: types.Position) -> int:
        before = sum(len(line) + 1 for line in lines[:pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        col = 0
        while col < len(line) and units(line[:col + 1], encoding) <= pos.character:
            col += 1
        return before + col

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
        lines = text.split("\n")
    return text


def project(tmp: Path) -> Path:
    """A copy of the test maps in a folder of their own, with an empty cjm.toml (the root)."""
    for file in DATA.iterdir():
        if file.is_file():
            shutil.copy(file, tmp / file.name)
    (tmp / "cjm.toml").write_text("")
    return tmp


def server_command() -> list[str]:
    return [sys.executable, "-m", "cjm", "lsp"]


@asynccontextmanager
async def started(profile: str = "vscode", *, root: Path | None = None, settings: dict[str, Any] | None = None,
                  encodings: list[str] | None = None, env: dict[str, str] | None = None):
    recorder = Recorder()
    lsp = LanguageClient(converter_factory=default_converter)
    for method, handler in DEFAULT_CLIENT_FEATURES.items():
        if method != types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            lsp.feature(method)(handler)

    @lsp.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _published(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        recorder.publications.append(Published(params.uri, params.version, list(params.diagnostics)))
        recorder.changed.set()

    @lsp.feature(types.CLIENT_REGISTER_CAPABILITY)
    def _register(client: LanguageClient, params: types.RegistrationParams) -> None:
        recorder.registrations.extend(params.registrations)

    if settings is not None:
        lsp.set_configuration(settings, section="cjm")
    server_env = {**os.environ, "CJM_TODAY": TODAY, **(env or {})}
    await lsp.start_io(*server_command(), env=server_env)
    capabilities = client_capabilities(PROFILES.get(profile, profile))
    if encodings is not None:
        capabilities.general = capabilities.general or types.GeneralClientCapabilities()
        capabilities.general.position_encodings = encodings
    result = await lsp.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=root.as_uri() if root else None,
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)] if root else None,
        initialization_options={"cjm": settings} if settings else None))
    encoding = str(getattr(result.capabilities.position_encoding, "value", result.capabilities.position_encoding) or "utf-16")
    client = Client(lsp, recorder, encoding)
    try:
        yield client
    finally:
        try:
            await asyncio.wait_for(lsp.shutdown_session(), 10)
        finally:
            await lsp.stop()
