"""The one thread the workspace runs in, and what it hands the server: one snapshot per open map.

The server's event loop never touches the workspace (it is not thread-safe): it sends texts,
closes, file changes and settings here, and answers hover, completion and navigation from the
newest snapshot of each map, which is never changed once made. So a long check of a big map
does not hold up a request.

A newer edit supersedes an older one: jobs waiting in the queue are merged (only the newest text
of each map counts), and a check that finds a newer version waiting stops between its steps
(validation, lint) and publishes nothing.
"""

from __future__ import annotations

import gc
import logging
import os
import queue
import threading
import traceback
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from cjm.format.diagnostics import Diagnostic
from cjm.format.validate import LoadedMap
from cjm.workspace import CONFIG_NAMES, Workspace, norm

if TYPE_CHECKING:
    from cjm.journey import Journey
    from cjm.lsp.index import MapIndex
    from cjm.lsp.settings import Settings

log = logging.getLogger("cjm.lsp")
CONFIG_POLL = 2.0  # seconds between looks at the configuration files when nothing else happens
MAX_CONFIG_DEPTH = 12  # folders above an open map where a configuration is looked for


@dataclass
class Snapshot:
    """One open map at one version, as checked: read-only once made."""

    uri: str
    path: Path
    version: int | None
    text: str  # the text that was checked
    loaded: LoadedMap  # its check (diagnostics, source map; data when it parses)
    good: LoadedMap | None  # the last check whose YAML parsed: ``loaded`` itself, or an older one
    diagnostics: tuple[Diagnostic, ...] = ()  # what is published: validation, lint, evidence
    problems: tuple[str, ...] = ()  # a broken lint configuration (file:line:col: message)
    imported: tuple[LoadedMap, ...] = ()  # the last good check of each imported file
    journey: Journey | None = None  # derived views when ``good`` is the valid current check
    published: object = None  # the LSP diagnostics, converted in the worker

    @cached_property
    def index(self) -> MapIndex | None:
        from cjm.lsp.index import MapIndex

        return MapIndex(self.good) if self.good is not None else None

    @cached_property
    def imported_indexes(self) -> list[MapIndex]:
        from cjm.lsp.index import MapIndex

        return [MapIndex(loaded) for loaded in self.imported if loaded.data is not None]


@dataclass
class _Open:
    uri: str
    path: Path
    version: int | None
    text: str


@dataclass
class Analyzer:
    """Owns the workspace; runs jobs in its thread; hands snapshots to ``publish`` (any thread)."""

    publish: Callable[[Snapshot], None]
    settings: Settings
    root: Path | None = None
    convert: Callable[[Snapshot], object] | None = None  # diagnostics -> LSP objects, in this thread
    latest: dict[str, int | None] = field(default_factory=dict)  # uri -> newest version (written by the server)

    def __post_init__(self) -> None:
        self.jobs: queue.Queue = queue.Queue()
        self.open: dict[str, _Open] = {}
        self.workspace = self._new_workspace()
        self._config_stamps: dict[Path, tuple] = {}
        self._imported: dict[str, tuple[LoadedMap, ...]] = {}
        self._thread = threading.Thread(target=self._loop, name="cjm-lsp-analysis", daemon=True)
        self._thread.start()

    def _new_workspace(self) -> Workspace:
        return Workspace(config=self.settings.config_path(self.root), observed=self.settings.observed_path(self.root))

    # --- what the server sends (any thread) -----------------------------------------

    def set_text(self, uri: str, path: Path, version: int | None, text: str) -> None:
        self.jobs.put(("text", uri, path, version, text))

    def close(self, uri: str) -> None:
        self.jobs.put(("close", uri))

    def files_changed(self, paths: list[Path]) -> None:
        self.jobs.put(("files", paths))

    def recheck(self, uris: list[str] | None = None) -> None:
        self.jobs.put(("recheck", uris))

    def new_settings(self, settings: Settings, root: Path | None) -> None:
        self.jobs.put(("settings", settings, root))

    def call(self, fn: Callable[[Workspace], object], done: Callable[[object, BaseException | None], None]) -> None:
        """Run ``fn(workspace)`` in this thread; ``done(result, error)`` is called here too."""
        self.jobs.put(("call", fn, done))

    def stop(self) -> None:
        self.jobs.put(("stop",))

    def superseded(self, uri: str, version: int | None) -> bool:
        return uri in self.latest and self.latest[uri] != version

    # --- the thread ----------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            try:
                batch = [self.jobs.get(timeout=CONFIG_POLL)]
            except queue.Empty:
                batch = []  # a quiet moment: look at the configuration files
            while True:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            try:
                if not self._run(batch):
                    return
            except Exception:  # noqa: BLE001 - one bad job must not end the server's checks
                log.error("cjm lsp: a check failed:\n%s", traceback.format_exc())

    def _run(self, batch: list[tuple]) -> bool:
        dirty: dict[str, None] = {}
        calls = []
        for job in batch:
            kind = job[0]
            if kind == "stop":
                return False
            if kind == "text":
                _, uri, path, version, text = job
                self.open[uri] = _Open(uri, norm(path), version, text)
                dirty[uri] = None
                for affected in self.workspace.open(path, text.encode("utf-8", "surrogatepass")):
                    dirty.update({u: None for u, o in self.open.items() if o.path == affected})
            elif kind == "close":
                self._imported.pop(job[1], None)
                entry = self.open.pop(job[1], None)
                if entry is not None:
                    affected = self.workspace.close(entry.path)
                    dirty.update({u: None for u, o in self.open.items() if o.path in affected})
                    if entry.path not in {o.path for o in self.open.values()}:
                        self.workspace.forget(entry.path)  # a closed map's check is not kept
            elif kind == "files":
                affected = self.workspace.changed(job[1])
                dirty.update({u: None for u, o in self.open.items() if o.path in affected})
            elif kind == "recheck":
                dirty.update({u: None for u in (job[1] if job[1] is not None else self.open)})
            elif kind == "settings":
                _, self.settings, self.root = job
                self.workspace = self._new_workspace()
                for entry in self.open.values():
                    self.workspace.open(entry.path, entry.text.encode("utf-8", "surrogatepass"))
                dirty.update({u: None for u in self.open})
            elif kind == "call":
                calls.append(job)
        self._config_changes(dirty)
        for uri in reversed(list(dirty)):  # the map edited last first
            if uri in self.open:
                self._check(self.open[uri])
        for _, fn, done in calls:
            try:
                result = fn(self.workspace)
            except Exception as exc:  # noqa: BLE001 - handed to the request
                done(None, exc)
            else:
                done(result, None)
        return True

    def _config_changes(self, dirty: dict[str, None]) -> None:
        """Configuration files changed, made or deleted on disk with no word from the editor (not
        every editor watches files for its server): a stat of each place one can be, from each open
        map's folder up to the project's root."""
        files = {f for f in self.workspace.dependency_files() if f.name in CONFIG_NAMES or f == self.workspace.config}
        for entry in self.open.values():
            for depth, folder in enumerate(entry.path.parents):
                if depth >= MAX_CONFIG_DEPTH:
                    break
                files.update(folder / name for name in CONFIG_NAMES)
                if (folder / ".git").exists() or (self.root is not None and folder == self.root):
                    break
        changed = []
        for file in files:
            try:
                stat = os.stat(file)
                stamp: tuple = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                stamp = ()
            if self._config_stamps.setdefault(file, stamp) != stamp:
                self._config_stamps[file] = stamp
                changed.append(file)
        if changed:
            affected = self.workspace.changed(changed)
            dirty.update({u: None for u, o in self.open.items() if o.path in affected})

    def _check(self, entry: _Open) -> None:
        # A big map is many small objects: collections during a check find nothing and cost seconds.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._check_now(entry)
        finally:
            if enabled:
                gc.enable()

    def _check_now(self, entry: _Open) -> None:
        uri, version = entry.uri, entry.version
        if self.superseded(uri, version):
            return
        ws = self.workspace
        loaded = ws.loaded(entry.path)
        if self.superseded(uri, version):
            return
        diagnostics: tuple[Diagnostic, ...] = tuple(loaded.diagnostics)
        problems: tuple[str, ...] = ()
        if self.settings.lint:
            findings = ws.findings(entry.path)
            if self.superseded(uri, version):
                return
            if findings.problems:
                problems = findings.problems
            else:
                diagnostics = findings.diagnostics
        elif ws.observed is not None and loaded.valid and ws.observed_for(loaded) is not None:
            # evidence findings without the other rules: the same run, keeping the evidence codes
            findings = ws.findings(entry.path)
            evidence = ws.linter().evidence_codes
            diagnostics = (*diagnostics, *(d for d in findings.diagnostics if d.code in evidence))
        # problems found inside an imported file are that file's; here its import line says so (CJM030)
        diagnostics = tuple(d for d in diagnostics if d.file == loaded.file)
        good = ws.last_good(entry.path)
        if loaded.data is not None or uri not in self._imported:
            self._imported[uri] = tuple(g for g in (ws.last_good(p) for p in ws.imports_of(entry.path)) if g is not None)
        imported = self._imported[uri]  # a text that does not parse keeps the imports of the last good one
        snapshot = Snapshot(uri, entry.path, version, entry.text, loaded, good, diagnostics, problems, imported,
                            ws.journey(entry.path) if good is loaded and loaded.valid else None)
        if self.convert is not None:
            snapshot.published = self.convert(snapshot)
        if not self.superseded(uri, version):
            self.publish(snapshot)
