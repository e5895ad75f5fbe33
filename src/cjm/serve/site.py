"""The served maps: which files, under which slugs, and what each page shows, from the workspace.

Maps are found under the served paths as ``cjm site`` finds them, less any file whose real path
leaves the served folders (a symlink out is never read). A slug, once given, stays with its file
while the server runs, so an open tab keeps its address.
"""

from __future__ import annotations

import html
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

from cjm.project import UsageError, discover_maps, find_root, is_map_file
from cjm.workspace import CONFIG_NAMES, NotValid, Workspace, norm

VIEWS = {"map": "html", "diagram": "svg", "curve": "svg", "flow": "svg"}  # the views a page switches between
PAGE_VIEWS = (("Map", "map"), ("Diagram", "diagram"), ("Curve", "curve"), ("Flow", "flow"))  # flow: with --observed
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "svg": "image/svg+xml"}
PANEL_FINDINGS = 300  # the panel lists this many (most severe first) and says how many there are


@dataclass(frozen=True)
class Update:
    slugs: frozenset[str]  # maps whose pages changed
    index: bool  # the catalog changed (a map's facts, or maps came or went)
    folders: bool  # the folders to watch changed


@dataclass(frozen=True)
class Rendered:
    status: int
    body: bytes
    content_type: str


def _inside(path: Path, folders: Iterable[Path]) -> bool:
    return any(path == f or f in path.parents for f in folders)


class ServedSite:
    def __init__(self, roots: list[Path], workspace: Workspace):
        self.roots = [norm(r) for r in roots]
        self.real_roots = [Path(os.path.realpath(r)) for r in self.roots]
        folders = [r if r.is_dir() else r.parent for r in self.roots]
        self.base = Path(os.path.commonpath(folders)) if folders else Path.cwd()
        self.ws = workspace
        self.maps: dict[str, Path] = {}
        self.slugs: dict[Path, str] = {}
        self.versions: Counter = Counter()
        self.last_good: dict[tuple, bytes] = {}
        self._panels: dict[str, tuple] = {}  # slug -> (findings, journey, persona, the panel's list)
        self._watched: tuple = ()
        self.rescan()

    # --- which maps -----------------------------------------------------------------

    def discover(self) -> list[Path]:
        try:
            found = discover_maps([r for r in self.roots if r.exists()])
        except UsageError:
            return []
        return sorted({norm(p) for p in found if _inside(Path(os.path.realpath(p)), self.real_roots)})

    def rescan(self) -> bool:
        """Find the maps again; True when some came or went."""
        found = self.discover()
        gone = [p for p in self.slugs if p not in found]
        for path in gone:
            slug = self.slugs.pop(path)
            del self.maps[slug]
            self.versions[slug] += 1
            self.last_good = {k: v for k, v in self.last_good.items() if k[0] != slug}
            self._panels.pop(slug, None)
            self.ws.forget(path)
        from cjm.site import unique_slug

        taken = set(self.maps)
        new = [p for p in found if p not in self.slugs]
        for path in new:
            relative = PurePosixPath(os.path.relpath(path, self.base)).as_posix()
            slug = unique_slug(relative, taken)
            self.maps[slug], self.slugs[path] = path, slug
        return bool(gone or new)

    def apply(self, paths: set[Path]) -> Update:
        """Files changed on disk: what to tell the pages."""
        affected = self.ws.changed(paths)
        came_or_went = self.rescan() if any(is_map_file(p) for p in paths) else False
        slugs = frozenset(self.slugs[p] for p in affected if p in self.slugs)
        for slug in slugs:
            self.versions[slug] += 1
        return Update(slugs, bool(slugs) or came_or_went, self.watch_folders() != self._watched)

    # --- what to watch ----------------------------------------------------------------

    def watch_folders(self) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
        """(folders watched with everything below them, folders watched alone): the served folders,
        and those of the files the maps depend on that lie elsewhere, and of configurations up to each map's root."""
        deep = tuple(sorted({r for r in self.roots if r.is_dir()}))
        flat: set[Path] = {r.parent for r in self.roots if not r.is_dir()}
        for path in self.ws.dependency_files():
            flat.add(path.parent)
        for path in self.slugs:
            root = find_root(path)
            for folder in (path.parent, *path.parent.parents):
                flat.add(folder)
                if folder == root or not _inside(folder, [root]):
                    break
        flat = {f for f in flat if not _inside(f, deep) and f.is_dir()}
        return deep, tuple(sorted(flat))

    def remember_watched(self, folders: tuple) -> None:
        self._watched = folders

    def relevant(self, path: Path) -> bool:
        """Worth a look after a change: maps, YAML files (imports), configurations, the observed file."""
        name = path.name
        return (name.endswith((".yaml", ".yml")) or name in CONFIG_NAMES
                or (self.ws.observed is not None and norm(path) == self.ws.observed))

    # --- pages ------------------------------------------------------------------------

    def state(self, slug: str, view: str, persona: str | None) -> dict | None:
        """What a map's page shows around the picture: banner, findings, personas, version."""
        path = self.maps.get(slug)
        if path is None:
            return None
        loaded = self.ws.loaded(path)
        out: dict = {"slug": slug, "file": loaded.file, "version": self.versions[slug], "ok": loaded.valid,
                     "title": loaded.journey.title if loaded.journey else None, "banner": None,
                     "problems": [], "error": None, "persona": persona, "view": view}
        if not loaded.valid:
            errors = sum(1 for d in loaded.diagnostics if d.severity.value == "error")
            out["banner"] = {"title": f"{loaded.file} has {errors} error{'s' if errors != 1 else ''}: "
                                      "the last good version is shown until it is fixed",
                             "text": validate_text(loaded)}
            return out
        findings = self.ws.findings(path)
        out["problems"] = list(findings.problems) + self._observed_problems()
        journey = self.ws.journey(path)
        out["personas"] = [{"id": p.id, "name": p.name} for p in journey.personas]
        if persona not in {p.id for p in journey.personas}:
            out["persona"] = persona = None
        rendered = self.render(slug, view, persona)
        if rendered.status != 200:
            out["error"] = rendered.body.decode("utf-8", "replace") if rendered.status == 422 else None
        out["findings"] = self._panel(slug, journey, findings, persona)
        out["findings_total"] = len(findings.diagnostics)
        return out

    def _panel(self, slug: str, journey, findings, persona: str | None) -> list[dict]:
        """The panel's findings, computed once per change (the workspace hands back the same objects until then)."""
        cached = self._panels.get(slug)
        if cached is None or cached[0] is not findings or cached[1] is not journey or cached[2] != persona:
            cached = self._panels[slug] = (findings, journey, persona,
                                           finding_list(journey, findings.diagnostics, persona)[:PANEL_FINDINGS])
        return cached[3]

    def _observed_problems(self) -> list[str]:
        observed = self.ws.observed_file()
        if observed is None or observed.ok:
            return []
        from cjm.evidence.observed import problems_text

        return problems_text([observed]).splitlines()

    def render(self, slug: str, view: str, persona: str | None) -> Rendered:
        """The picture of one view: 200 with it (or, for a broken map, its last good version),
        409 when there never was a good one, 422 when it cannot be drawn (the body says why, as text)."""
        from cjm.render import RenderError

        path = self.maps[slug]
        fmt = VIEWS[view]
        key = (slug, view, persona)
        try:
            body = self.ws.render(path, view, fmt, persona=persona)
        except NotValid:
            if key in self.last_good:
                return Rendered(200, self.last_good[key], CONTENT_TYPES[fmt])
            return Rendered(409, message_page("This map has errors and has not been drawn yet."), CONTENT_TYPES["html"])
        except RenderError as exc:
            return Rendered(422, str(exc).encode("utf-8"), "text/plain; charset=utf-8")
        self.last_good[key] = body
        return Rendered(200, body, CONTENT_TYPES[fmt])

    def catalog(self) -> str:
        """The index as ``cjm site`` draws it, linking to the live pages."""
        from cjm import __version__
        from cjm.site import PageLink, entry_for, index_html

        entries = []
        for path, slug in sorted(self.slugs.items(), key=lambda item: item[1]):
            loaded = self.ws.loaded(path)
            findings = list(self.ws.findings(path).diagnostics) if loaded.valid else []
            entry, journey = entry_for(loaded, slug, findings)
            if journey is not None:
                entry.links = [PageLink(label, f"/maps/{slug}/?view={view}") for label, view in PAGE_VIEWS]
            entries.append(entry)
        entries.sort(key=lambda e: e.file)
        return index_html(entries, version=__version__)


def validate_text(loaded) -> str:
    """The diagnostics as ``cjm validate`` prints them: file:line:col, the source line and a caret."""
    from cjm.report import Report, reporter

    return reporter("text")(Report("validate", [loaded.file], list(loaded.diagnostics), [loaded.file]), color=False)


def finding_list(journey, diagnostics, persona: str | None) -> list[dict]:
    """The findings as the map page numbers them, each with the anchor of what it is about."""
    from cjm.render import RenderOptions
    from cjm.render.html_map import findings_on_page

    out = []
    for f in findings_on_page(journey, RenderOptions(persona=persona, findings=tuple(diagnostics))):
        d = f.diagnostic
        out.append({"number": f.number, "severity": d.severity.value, "code": d.code, "name": d.name,
                    "message": d.message, "hint": d.hint, "where": f.where, "anchor": f.anchor,
                    "doc": f"/rules/{d.code}"})
    return out


def message_page(text: str) -> bytes:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>cjm serve</title></head>'
            f'<body style="font: 15px system-ui, sans-serif; padding: 1.5rem"><p>{html.escape(text)}</p></body></html>').encode("utf-8")
