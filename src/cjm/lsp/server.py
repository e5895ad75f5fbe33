"""The language server: pygls over stdio, on one ``cjm.workspace`` run by ``analysis.Analyzer``.

Texts go to the analysis thread (an open map at once, an edit after the debounce, a save at
once); its snapshots come back and their diagnostics are published, unless a newer edit has come
in meanwhile. Requests are answered here, in the event loop, from the newest snapshot and the
buffer's current text, so a long check never holds them up. No request may take the server down:
each handler's failure is logged and answered with nothing.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import traceback
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from cjm import __version__
from cjm.lsp import completion, hover, navigation, rename
from cjm.lsp.actions import code_actions
from cjm.lsp.analysis import Analyzer, Snapshot
from cjm.lsp.context import View, completing
from cjm.lsp.diagnostics import problem_to_json, to_json, to_lsp
from cjm.lsp.index import MapIndex
from cjm.lsp.navigation import Known
from cjm.lsp.positions import Encoding, Text
from cjm.lsp.settings import Settings, read_settings
from cjm.project import is_map_file
from cjm.workspace import CONFIG_NAMES, norm

log = logging.getLogger("cjm.lsp")


class JsonRpcRequestFailed(JsonRpcException):
    """LSP's RequestFailed: a valid request the server refuses, with the reason for the user."""

    CODE = -32803
    MESSAGE = "Request failed"
WATCHED = ("**/*.cjm.yaml", "**/*.cjm.yml", "**/cjm.toml", "**/pyproject.toml")
YAML_SUFFIXES = (".yaml", ".yml")


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return norm(Path(unquote(parsed.path)))


def path_to_uri(path: Path) -> str:
    return path.absolute().as_uri()


class CjmServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("cjm", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = Settings()
        self.encoding = Encoding()
        self.snapshots: dict[str, Snapshot] = {}
        self.analyzer: Analyzer | None = None
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.root: Path | None = None
        self.folders: list[Path] = []

    # --- the analysis thread ------------------------------------------------------------

    def docs_base(self) -> str | None:
        from cjm.links import docs_base

        return docs_base(self.settings.docs_url)

    def start_analysis(self) -> None:
        if self.analyzer is None:
            self.analyzer = Analyzer(self._from_worker, self.settings, self.root, convert=self._convert)

    def _convert(self, snapshot: Snapshot) -> bytes:
        """The publication as the bytes that go to the client, made in the analysis thread (for a
        map with thousands of findings, building and serialising them is much of the work)."""
        text = Text(snapshot.text, self.encoding)
        base = self.docs_base()
        diagnostics = [problem_to_json(p) for p in snapshot.problems]
        diagnostics.extend(to_json(d, snapshot.loaded.source, text, base) for d in snapshot.diagnostics)
        message = {"jsonrpc": "2.0", "method": types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                   "params": {"uri": snapshot.uri, "version": snapshot.version, "diagnostics": diagnostics}}
        body = json.dumps(message).encode("ascii")  # \\u escapes: valid JSON for any text, lone surrogates too
        return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)

    def _from_worker(self, snapshot: Snapshot) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._publish, snapshot)

    def _publish(self, snapshot: Snapshot) -> None:
        if self.analyzer is None or self.analyzer.superseded(snapshot.uri, snapshot.version):
            return
        if snapshot.uri not in self.analyzer.latest:  # closed meanwhile
            return
        self.snapshots[snapshot.uri] = snapshot
        if not is_map_file(snapshot.path):
            return  # an open imported file that is not named like a map: read, not reported on
        writer = self.protocol.writer
        if isinstance(snapshot.published, bytes) and writer is not None:
            writer.write(snapshot.published)

    def submit(self, uri: str) -> None:
        self.timers.pop(uri, None)
        path = uri_to_path(uri)
        if path is None or self.analyzer is None:
            return
        try:
            document = self.workspace.get_text_document(uri)
            text = document.source
        except Exception:  # noqa: BLE001 - a document the client never opened
            return
        self.analyzer.latest[uri] = document.version
        self.analyzer.set_text(uri, path, document.version, text)

    def schedule(self, uri: str) -> None:
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        assert self.loop is not None
        self.timers[uri] = self.loop.call_later(self.settings.debounce_ms / 1000, self.submit, uri)

    def apply_settings(self, raw: Any) -> None:
        settings, problems = read_settings(raw, self.settings)
        for problem in problems:
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=f"cjm: {problem}"))
        if settings != self.settings:
            self.settings = settings
            if self.analyzer is not None:
                self.analyzer.new_settings(settings, self.root)

    # --- what requests read ----------------------------------------------------------------

    def current_text(self, uri: str) -> str | None:
        try:
            return self.workspace.get_text_document(uri).source
        except Exception:  # noqa: BLE001
            return None

    def known(self, uri: str) -> Known | None:
        snapshot = self.snapshots.get(uri)
        if snapshot is None or snapshot.index is None:
            return None
        checked = snapshot.text if snapshot.good is snapshot.loaded else None
        view = View(snapshot.good, self.encoding, self.current_text(uri), checked)
        return Known(uri, snapshot.index, view, [loaded.path for loaded in snapshot.imported])

    def imported(self, uri: str) -> list[Known]:
        snapshot = self.snapshots.get(uri)
        if snapshot is None:
            return []
        out = []
        for index in snapshot.imported_indexes:
            open_uri = path_to_uri(index.file)
            mine = self.known(open_uri) if open_uri in self.snapshots else None
            out.append(mine or Known(open_uri, index, View(index.loaded, self.encoding)))
        return out

    def open_maps(self) -> list[Known]:
        return [k for k in (self.known(uri) for uri in list(self.snapshots)) if k is not None]


server = CjmServer()


def safe(default: Any = None) -> Callable:
    """A handler that fails is logged and answers ``default``; refusals meant for the user pass."""

    def wrap(fn: Callable) -> Callable:
        if asyncio.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(*args: Any) -> Any:
                try:
                    return await fn(*args)
                except JsonRpcRequestFailed:
                    raise
                except Exception:  # noqa: BLE001
                    log.error("cjm lsp: %s failed:\n%s", fn.__name__, traceback.format_exc())
                    return default
            return run_async

        @functools.wraps(fn)
        def run(*args: Any) -> Any:
            try:
                return fn(*args)
            except JsonRpcRequestFailed:
                raise
            except Exception:  # noqa: BLE001
                log.error("cjm lsp: %s failed:\n%s", fn.__name__, traceback.format_exc())
                return default
        return run

    return wrap


# --- life cycle -------------------------------------------------------------------------------


@server.feature(types.INITIALIZE)
@safe()
def initialize(ls: CjmServer, params: types.InitializeParams) -> None:
    ls.loop = asyncio.get_running_loop()
    folders = [uri_to_path(f.uri) for f in params.workspace_folders or []]
    if params.root_uri:
        folders.append(uri_to_path(params.root_uri))
    elif params.root_path:
        folders.append(norm(Path(params.root_path)))
    ls.folders = list(dict.fromkeys(f for f in folders if f is not None))
    ls.root = ls.folders[0] if ls.folders else None
    if params.initialization_options is not None:
        ls.apply_settings(params.initialization_options)


@server.feature(types.INITIALIZED)
@safe()
async def initialized(ls: CjmServer, params: types.InitializedParams) -> None:
    ls.encoding = Encoding(ls.workspace.position_encoding)
    ls.start_analysis()
    caps = ls.client_capabilities
    workspace = caps.workspace
    if workspace is not None and workspace.did_change_watched_files is not None and \
            workspace.did_change_watched_files.dynamic_registration:
        try:
            await asyncio.wait_for(ls.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
                id="cjm-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHED]))])), 5)
        except Exception:  # noqa: BLE001 - without it, configuration files are noticed by their time stamps
            log.info("cjm lsp: the client did not register the file watchers")
    await _pull_configuration(ls)


async def _pull_configuration(ls: CjmServer) -> None:
    workspace = ls.client_capabilities.workspace
    if workspace is None or not workspace.configuration:
        return
    try:
        answer = await asyncio.wait_for(ls.workspace_configuration_async(types.ConfigurationParams(
            items=[types.ConfigurationItem(section="cjm")])), 5)
    except Exception:  # noqa: BLE001 - a client that cannot answer keeps the settings it gave
        return
    if answer and answer[0] is not None:
        ls.apply_settings(answer[0])


@server.feature(types.SHUTDOWN)
@safe()
def shutdown(ls: CjmServer, params: Any) -> None:
    for timer in ls.timers.values():
        timer.cancel()
    if ls.analyzer is not None:
        ls.analyzer.stop()


# --- documents ----------------------------------------------------------------------------


def _ours(uri: str) -> bool:
    path = uri_to_path(uri)
    return path is not None and path.name.endswith(YAML_SUFFIXES)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@safe()
def did_open(ls: CjmServer, params: types.DidOpenTextDocumentParams) -> None:
    if _ours(params.text_document.uri):
        ls.start_analysis()
        ls.submit(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@safe()
def did_change(ls: CjmServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    if not _ours(uri) or ls.analyzer is None:
        return
    if ls.settings.on_type:
        ls.analyzer.latest[uri] = params.text_document.version
        ls.schedule(uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
@safe()
def did_save(ls: CjmServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = uri_to_path(uri)
    if path is not None and path.name in CONFIG_NAMES and ls.analyzer is not None:
        ls.analyzer.files_changed([path])
        return
    if _ours(uri) and ls.analyzer is not None:
        timer = ls.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        ls.submit(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@safe()
def did_close(ls: CjmServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    timer = ls.timers.pop(uri, None)
    if timer is not None:
        timer.cancel()
    ls.snapshots.pop(uri, None)
    if ls.analyzer is not None and _ours(uri):
        ls.analyzer.latest.pop(uri, None)
        ls.analyzer.close(uri)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
@safe()
def did_change_watched_files(ls: CjmServer, params: types.DidChangeWatchedFilesParams) -> None:
    paths = [p for p in (uri_to_path(change.uri) for change in params.changes) if p is not None]
    if paths and ls.analyzer is not None:
        ls.analyzer.files_changed(paths)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
@safe()
async def did_change_configuration(ls: CjmServer, params: types.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict) and isinstance(settings.get("cjm"), dict):
        ls.apply_settings(settings["cjm"])
    else:
        await _pull_configuration(ls)


# --- requests -------------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_HOVER)
@safe()
def on_hover(ls: CjmServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    here = ls.known(uri)
    parts: list[str] = []
    snapshot = ls.snapshots.get(uri)
    if snapshot is not None:  # the diagnostics under the cursor
        view = View(snapshot.loaded, ls.encoding, ls.current_text(uri), snapshot.text)
        from cjm.lsp.diagnostics import extent

        for diag in snapshot.diagnostics:
            start, end = extent(diag, snapshot.loaded.source, view.good.lines)
            where = view.range(start, end)
            pos = params.position
            if (where.start.line, where.start.character) <= (pos.line, pos.character) <= (where.end.line, where.end.character):
                parts.append(hover.rule_text(diag, ls.docs_base()))
    if here is not None:
        found = here.view.path_at(params.position)
        if found is not None:
            path, on_key = found
            target = navigation.target_at(here, ls.imported(uri), params.position)
            if target is not None and target.definition is not None and target.defined is not None:
                parts.insert(0, hover.id_text(target.definition, target.defined.index, snapshot))
            elif target is not None:
                parts.insert(0, f"unknown {target.place.kind} `{target.place.ident}`")
            elif path in here.index.imports:
                file = here.index.import_target(here.index.imports[path])
                parts.insert(0, f"imports the personas of `{here.index.imports[path]}`" +
                             ("" if file.is_file() else " (no such file)"))
            elif on_key and (text := hover.field_text(path)):
                parts.insert(0, text)
    if not parts:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)))


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[" ", ",", "[", "-", ":"]))
@safe()
async def on_completion(ls: CjmServer, params: types.CompletionParams) -> types.CompletionList | None:
    uri = params.text_document.uri
    current = ls.current_text(uri)
    if current is None:
        return None
    snapshot = ls.snapshots.get(uri)
    text = Text(current, ls.encoding)
    line, col = text.cursor(params.position)
    good = None
    if snapshot is not None and snapshot.good is not None:
        good = snapshot.text if snapshot.good is snapshot.loaded else "\n".join(snapshot.good.source.lines)
    if len(current) > 200_000:  # a big map: parse it away from the event loop
        context = await asyncio.to_thread(completing, current, line, col, good)
    else:
        context = completing(current, line, col, good)
    if context is None:
        return types.CompletionList(is_incomplete=False, items=[])
    return types.CompletionList(is_incomplete=False, items=completion.items(context, snapshot))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
@safe()
def on_definition(ls: CjmServer, params: types.DefinitionParams) -> list[types.Location] | None:
    here = ls.known(params.text_document.uri)
    if here is None:
        return None
    file = navigation.import_at(here, params.position)
    if file is not None:
        return [types.Location(uri=path_to_uri(file), range=types.Range(start=types.Position(line=0, character=0),
                                                                         end=types.Position(line=0, character=0)))]
    target = navigation.target_at(here, ls.imported(params.text_document.uri), params.position)
    if target is None or target.defined is None or target.definition is None:
        return None
    found = navigation.location(target.defined, target.definition)
    return [found] if found is not None else None


def _maps_for(ls: CjmServer, uri: str) -> list[Known]:
    return [*ls.open_maps(), *ls.imported(uri)]


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
@safe()
async def on_references(ls: CjmServer, params: types.ReferenceParams) -> list[types.Location] | None:
    uri = params.text_document.uri
    here = ls.known(uri)
    if here is None:
        return None
    target = navigation.target_at(here, ls.imported(uri), params.position)
    if target is None:
        return None
    maps = [*_maps_for(ls, uri), *await _folder_maps(ls)]
    out = []
    for known, place in navigation.places_of(target, maps):
        if place.definition and not params.context.include_declaration:
            continue
        found = navigation.location(known, place)
        if found is not None and found not in out:
            out.append(found)
    return out


async def _folder_maps(ls: CjmServer) -> list[Known]:
    """The maps under the workspace folders that are not open, as the workspace reads them."""
    if ls.analyzer is None or not ls.folders:
        return []
    from cjm.project import discover_maps

    folders = list(ls.folders)
    open_paths = {s.path for s in ls.snapshots.values()}

    def read(ws) -> list[tuple]:
        out = []
        for path in discover_maps([f for f in folders if f.is_dir()])[:500]:
            path = norm(path)
            if path in open_paths:
                continue
            good = ws.last_good(path)
            if good is not None:
                out.append((path, good, ws.imports_of(path)))
        return out

    future: asyncio.Future = ls.loop.create_future()

    def done(result: object, error: BaseException | None) -> None:
        ls.loop.call_soon_threadsafe(lambda: future.done() or (future.set_exception(error) if error else future.set_result(result)))

    ls.analyzer.call(read, done)
    found = await asyncio.wait_for(future, 30)
    return [Known(path_to_uri(path), MapIndex(good), View(good, ls.encoding), imports) for path, good, imports in found]


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@safe()
def on_document_symbol(ls: CjmServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol] | None:
    here = ls.known(params.text_document.uri)
    return navigation.document_symbols(here) if here is not None else None


@server.feature(types.WORKSPACE_SYMBOL)
@safe()
async def on_workspace_symbol(ls: CjmServer, params: types.WorkspaceSymbolParams) -> list[types.WorkspaceSymbol] | None:
    maps = [*ls.open_maps(), *await _folder_maps(ls)]
    return navigation.workspace_symbols(params.query, maps)


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
@safe()
def on_prepare_rename(ls: CjmServer, params: types.PrepareRenameParams):
    uri = params.text_document.uri
    here = ls.known(uri)
    if here is None:
        return None
    target = navigation.target_at(here, ls.imported(uri), params.position)
    if target is None:
        return None
    where = here.view.path_range(target.place.path, target.place.at_key)
    if where is None:
        return None
    return types.PrepareRenamePlaceholder(range=where, placeholder=target.place.ident)


@server.feature(types.TEXT_DOCUMENT_RENAME)
@safe()
def on_rename(ls: CjmServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    uri = params.text_document.uri
    here = ls.known(uri)
    if here is None:
        return None
    target = navigation.target_at(here, ls.imported(uri), params.position)
    if target is None:
        raise JsonRpcRequestFailed("there is no id here to rename")
    maps = _maps_for(ls, uri)
    try:
        rename.check_name(target, params.new_name, maps)
    except rename.Refused as exc:
        raise JsonRpcRequestFailed(str(exc)) from None
    return rename.edits(target, params.new_name, maps)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
@safe(default=[])
def on_code_action(ls: CjmServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    snapshot = ls.snapshots.get(uri)
    if snapshot is None:
        return []
    view = View(snapshot.loaded, ls.encoding, ls.current_text(uri), snapshot.text)
    text = Text(snapshot.text, ls.encoding)
    base = ls.docs_base()
    return code_actions(snapshot, view, params.range, lambda d: to_lsp(d, snapshot.loaded.source, text, base))


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if os.environ.get("CJM_LSP_LOG"):
        logging.getLogger().setLevel(os.environ["CJM_LSP_LOG"].upper())
    server.start_io()
