"""One in-memory workspace of maps, for the front-ends that keep maps open and update them
(``cjm serve`` now, a language server next).

Texts come in from disk or from an editor's open buffers (a buffer wins over the file). Out come
the same things the batch commands make, through the same functions: ``validate_bytes`` (load,
model, imports, check), the ``Linter``, ``Journey`` and the renderers (``cjm.site.render_view``).

Each result is kept until one of its inputs changes, judged by content hash: a save that changes
nothing costs one read and one hash. Imports are read through the workspace (it is the reader of
``validate_bytes``), so an open buffer of a personas file is what the maps import, and every
file a map's check read or looked for is recorded. So the workspace knows which maps depend on
which file: ``changed([personas file])`` names exactly the maps that import it, a change of
``cjm.toml`` or ``pyproject.toml`` the maps below its folder, a change of the observed file the
map it belongs to.

Not thread-safe: a front-end uses one workspace from one thread.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from cjm.format.diagnostics import Diagnostic, SourceMap
from cjm.format.load import Limits
from cjm.format.validate import LoadedMap, read_bytes, validate_bytes
from cjm.project import display_name, is_map_file

if TYPE_CHECKING:
    from cjm.evidence.observed import LoadedObserved, Observed
    from cjm.journey import Journey
    from cjm.lint.engine import Linter

CONFIG_NAMES = ("cjm.toml", "pyproject.toml")  # as cjm.lint.config reads them
PAINTS_OBSERVED = ("diagram", "map", "flow")


class NotValid(Exception):
    """The map has errors: there is nothing to draw (its diagnostics say why)."""


def norm(path: Path | str) -> Path:
    """The workspace's name for a file: absolute, not resolved (a symlinked map keeps its folder)."""
    return Path(os.path.abspath(path))


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Text:
    """A file's content as the workspace sees it; ``data`` is None when it cannot be read."""

    data: bytes | None
    digest: str
    error: str | None = None


@dataclass
class _Checked:
    key: tuple  # (own digest, ((dependency, digest), ...))
    loaded: LoadedMap
    deps: frozenset[Path]
    journey: Journey | None = None


@dataclass(frozen=True)
class Findings:
    """What lint says about a map: its diagnostics, or the configuration mistakes that stopped it."""

    diagnostics: tuple[Diagnostic, ...] = ()
    problems: tuple[str, ...] = ()  # file:line:col: message of a broken configuration


@dataclass
class Workspace:
    limits: Limits = field(default_factory=Limits)
    config: Path | None = None  # --config: one configuration for every map
    observed: Path | None = None  # an observed journey (cjm evidence compute) for the map with its id
    dot_timeout: float = 20.0
    stats: Counter = field(default_factory=Counter)  # validate, lint, render, hit: for tests and benchmarks

    def __post_init__(self) -> None:
        self._buffers: dict[Path, bytes] = {}
        self._texts: dict[Path, Text] = {}
        self._checked: dict[Path, _Checked] = {}
        self._good: dict[Path, LoadedMap] = {}  # the last check of each map whose YAML parsed
        self._findings: dict[Path, tuple[tuple, Findings]] = {}
        self._renders: dict[tuple, tuple[tuple, bytes | Exception]] = {}
        self._linter: Linter | None = None
        self._observed: tuple[str, LoadedObserved] | None = None
        self._recording: set[Path] | None = None
        if self.observed is not None:
            self.observed = norm(self.observed)

    # --- texts ---------------------------------------------------------------------

    def open(self, path: Path, text: bytes | str) -> set[Path]:
        """An editor's buffer for ``path``: it is read instead of the file. Returns the maps affected."""
        self._buffers[norm(path)] = text.encode("utf-8") if isinstance(text, str) else text
        return self.changed([path])

    def close(self, path: Path) -> set[Path]:
        """Back to the file on disk."""
        self._buffers.pop(norm(path), None)
        return self.changed([path])

    def text(self, path: Path) -> Text:
        key = norm(path)
        if self._recording is not None:
            self._recording.add(key)
        if key in self._buffers:
            data = self._buffers[key]
            return Text(data, _digest(data))
        cached = self._texts.get(key)
        if cached is None:
            cached = self._texts[key] = self._read(key)
        return cached

    def _read(self, path: Path) -> Text:
        if not path.is_file():  # not a FIFO or a device that would hang a read
            why = "not a regular file" if path.exists() else "no such file"
            return Text(None, "missing:" + why, why)
        try:
            data = read_bytes(path, self.limits)
        except OSError as exc:
            return Text(None, "unreadable", exc.strerror or str(exc))
        return Text(data, _digest(data))

    # the reader of imported files (cjm.format.imports.FileReader)
    def is_file(self, path: Path) -> bool:
        return self.text(path).data is not None

    def read_bytes(self, path: Path) -> bytes:
        text = self.text(path)
        if text.data is None:
            raise OSError(text.error)
        return text.data

    # --- what depends on what -----------------------------------------------------

    def dependents(self, path: Path) -> set[Path]:
        """The maps (checked so far) whose results depend on ``path``."""
        names = {norm(path), norm(os.path.realpath(path))}
        found = {m for m in self._checked if m in names}
        found |= {m for m, entry in self._checked.items() if entry.deps & names}
        if norm(path).name in CONFIG_NAMES:
            folder = norm(path).parent
            found |= {m for m in self._checked if folder in m.parents}
        if self.observed is not None and self.observed in names:
            found |= {m for m, entry in self._checked.items() if self.observed_for(entry.loaded, check=False)}
        return found

    def changed(self, paths: Iterable[Path]) -> set[Path]:
        """Files changed on disk (or their buffers did): forget what was read. Returns the maps affected."""
        affected: set[Path] = set()
        for path in paths:
            for name in {norm(path), norm(os.path.realpath(path))}:
                self._texts.pop(name, None)
            affected |= self.dependents(path)
            if is_map_file(Path(path)):
                affected.add(norm(path))
            if norm(path).name in CONFIG_NAMES:
                self._linter = None  # read the configurations again; unchanged ones give the same findings
        return affected

    def dependency_files(self) -> set[Path]:
        """Every file some map's results depend on, besides the maps: imports, configurations, the observed file."""
        files = {d for entry in self._checked.values() for d in entry.deps}
        if self._linter is not None:
            files |= {c.file for c in self._linter.finder._by_folder.values() if c.file is not None}
        if self.config is not None:
            files.add(norm(self.config))
        if self.observed is not None:
            files.add(self.observed)
        return files

    def forget(self, path: Path) -> None:
        """A map that is gone: drop everything kept for it."""
        key = norm(path)
        self._checked.pop(key, None)
        self._good.pop(key, None)
        self._findings.pop(key, None)
        for render_key in [k for k in self._renders if k[0] == key]:
            del self._renders[render_key]

    # --- maps ---------------------------------------------------------------------

    def _check(self, path: Path) -> _Checked:
        key_path = norm(path)
        own = self.text(key_path)
        entry = self._checked.get(key_path)
        if entry is not None and entry.key[0] == own.digest and all(
                self.text(dep).digest == digest for dep, digest in entry.key[1]):
            self.stats["hit"] += 1
            return entry
        self.stats["validate"] += 1
        file = display_name(key_path)
        if own.data is None:
            loaded = LoadedMap(key_path, file, SourceMap(), diagnostics=[
                Diagnostic("CJM000", "unreadable", f"cannot read file: {own.error}", file)])
            deps: set[Path] = set()
        else:
            self._recording = deps = set()
            try:
                loaded = validate_bytes(own.data, key_path, file, self.limits, reader=self)
            finally:
                self._recording = None
        deps.discard(key_path)
        entry = _Checked((own.digest, tuple(sorted((d, self.text(d).digest) for d in deps))), loaded, frozenset(deps))
        self._checked[key_path] = entry
        if loaded.data is not None:
            self._good[key_path] = loaded
        return entry

    def loaded(self, path: Path) -> LoadedMap:
        """The map validated: data, source map, diagnostics (as ``cjm validate`` reports them)."""
        return self._check(path).loaded

    def last_good(self, path: Path) -> LoadedMap | None:
        """The latest check of the map whose YAML parsed (its ``data`` is there): the current one
        when it parses, else the one before the text broke. For an editor, whose buffer is often
        half-typed; None when the map never parsed."""
        self._check(path)
        return self._good.get(norm(path))

    def imports_of(self, path: Path) -> list[Path]:
        """The files the map's check read besides itself (its imports, nested ones included), by name."""
        entry = self._check(path)
        return sorted(d for d in entry.deps if is_map_file(d) or d.suffix in (".yaml", ".yml"))

    def journey(self, path: Path) -> Journey | None:
        """The derived views of a valid map (without evidence), None for an invalid one."""
        entry = self._check(path)
        if not entry.loaded.valid:
            return None
        if entry.journey is None:
            from cjm.journey import Journey

            entry.journey = Journey(entry.loaded.journey, entry.loaded.personas)
        return entry.journey

    # --- the observed file -------------------------------------------------------------

    def observed_file(self) -> LoadedObserved | None:
        """The observed journey as read (with its problems), None without ``observed``."""
        if self.observed is None:
            return None
        text = self.text(self.observed)
        if self._observed is None or self._observed[0] != text.digest:
            from cjm.evidence.observed import LoadedObserved, parse_observed

            file = display_name(self.observed)
            if text.data is None:
                loaded = LoadedObserved(file, SourceMap(), diagnostics=[
                    Diagnostic("CJM000", "unreadable", f"cannot read observed file: {text.error}", file)])
            else:
                loaded = parse_observed(text.data, file)
            self._observed = (text.digest, loaded)
        return self._observed[1]

    def observed_for(self, loaded: LoadedMap, check: bool = True) -> Observed | None:
        """The observed journey of this map (same id), when the observed file is good."""
        if self.observed is None or loaded.journey is None:
            return None
        if not check and self._observed is None:
            return None
        observed = self.observed_file() if check else self._observed[1]
        if observed is None or not observed.ok or observed.observed.map != loaded.journey.id:
            return None
        return observed.observed

    def _observed_digest(self) -> str:
        return self.text(self.observed).digest if self.observed is not None else ""

    # --- lint ---------------------------------------------------------------------

    def linter(self) -> Linter:
        if self._linter is None:
            from cjm.lint.engine import Linter

            self._linter = Linter(config=self.config)
        return self._linter

    def findings(self, path: Path) -> Findings:
        """What ``cjm lint`` reports for the map (validation problems first), under its configuration."""
        from cjm.lint.config import ConfigError

        entry = self._check(path)
        key_path = norm(path)
        try:
            linter = self.linter()
            settings = linter.settings_for(key_path)
            config_file = linter.finder.for_map(key_path).file
        except ConfigError as exc:
            return Findings(problems=tuple(str(p) for p in exc.problems))
        observed = self.observed_for(entry.loaded)
        key = (entry.key, str(config_file), self.text(config_file).digest if config_file else "",
               self._observed_digest() if observed is not None else "")
        cached = self._findings.get(key_path)
        if cached is not None and cached[0] == key:
            return cached[1]
        self.stats["lint"] += 1
        result = Findings(tuple(linter.lint_map(entry.loaded, settings, observed)))
        self._findings[key_path] = (key, result)
        return result

    # --- pictures -----------------------------------------------------------------

    def render(self, path: Path, view: str, fmt: str, *, persona: str | None = None, theme: str = "light") -> bytes:
        """One view of a valid map, as ``cjm render`` draws it, with the lint findings for the views that
        show them and the evidence for those that paint it. Raises NotValid for an invalid map, and
        ``cjm.render.RenderError`` when it cannot be drawn (unknown persona, Graphviz past its time limit)."""
        from cjm.render import RenderOptions
        from cjm.site import render_view

        entry = self._check(path)
        journey = self.journey(path)
        if journey is None:
            raise NotValid(entry.loaded.file)
        findings = self.findings(path)
        observed = self.observed_for(entry.loaded) if view in PAINTS_OBSERVED else None
        key = (entry.key, findings, self._observed_digest() if observed is not None else "")
        slot = (norm(path), view, fmt, persona, theme)
        cached = self._renders.get(slot)
        if cached is None or cached[0] != key:
            self.stats["render"] += 1
            options = RenderOptions(persona=persona, theme=theme, dot_timeout=self.dot_timeout,
                                    findings=findings.diagnostics, with_lint=not findings.problems, observed=observed)
            try:
                result: bytes | Exception = render_view(view, journey, fmt, options)
            except Exception as exc:  # noqa: BLE001 - kept and raised again until an input changes
                from cjm.render import RenderError

                if not isinstance(exc, RenderError):
                    raise
                result = exc
            cached = self._renders[slot] = (key, result)
        if isinstance(cached[1], Exception):
            raise cached[1]
        return cached[1]
