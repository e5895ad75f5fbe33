"""Where maps live: finding map files under paths, and a map's project root."""

from __future__ import annotations

import os
from pathlib import Path

MAP_SUFFIXES = (".cjm.yaml", ".cjm.yml")
ROOT_MARKERS = (".git", "pyproject.toml", "cjm.toml")
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox"})


class UsageError(Exception):
    """A path the user named cannot be used (exit code 2)."""


def is_map_file(path: Path) -> bool:
    return path.name.endswith(MAP_SUFFIXES)


def find_root(start: Path) -> Path:
    """Nearest folder upward holding .git, pyproject.toml or cjm.toml.

    Without one, the current folder when the map is inside it, else the map's own folder:
    imports never reach past a boundary the user did not draw.
    """
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    cwd = Path.cwd().resolve()
    return cwd if folder == cwd or cwd in folder.parents else folder


def discover_maps(paths: list[Path]) -> list[Path]:
    """Files as named, folders searched recursively for *.cjm.yaml / *.cjm.yml."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(_maps_under(path))
        elif path.is_file():
            found.append(path)
        elif path.exists():
            raise UsageError(f"{path}: not a regular file or folder")
        else:
            raise UsageError(f"{path}: no such file or folder")
    unique: dict[str, Path] = {}
    for path in found:
        unique.setdefault(os.path.normpath(path), path)
    return list(unique.values())


def _maps_under(folder: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.endswith(MAP_SUFFIXES) and path.is_file():  # not a FIFO or device that would hang a read
                out.append(path)
    return out


def display_name(path: Path) -> str:
    """How a file is named in messages: relative to the current folder when inside it."""
    try:
        return Path(os.path.relpath(path)).as_posix() if not os.path.relpath(path).startswith("..") else path.as_posix()
    except ValueError:
        return path.as_posix()
