"""``cjm diff``: load both sides (files or a git revision), diff them, render the result.

Maps are compared as maps; observed journeys (``*.observed.json``, or JSON that starts with
``cjm_observed``) as observed journeys (``cjm.evidence.diff``).
"""

from __future__ import annotations

import re
from pathlib import Path

from cjm.diff.maps import MapDiff, diff_journeys
from cjm.diff.report import RENDERERS
from cjm.gitrev import GitError, maps_at, read_at, repo_top, verify_rev
from cjm.journey import Journey
from cjm.project import UsageError, discover_maps, display_name
from cjm.format.validate import LoadedMap, read_map, validate_bytes


class DiffInputError(Exception):
    """The command line names something that cannot be compared (exit 2)."""


OBSERVED_SUFFIX = ".observed.json"
_OBSERVED_START = re.compile(rb'^\s*\{\s*"cjm_observed"\s*:')


def is_observed_file(path: Path) -> bool:
    """An observed journey: named ``*.observed.json``, or a JSON object whose first key is ``cjm_observed``."""
    if path.name.endswith(OBSERVED_SUFFIX):
        return True
    try:
        with path.open("rb") as handle:
            return _OBSERVED_START.match(handle.read(4096)) is not None
    except OSError:
        return False


def _not_a_file(path: Path) -> str:
    if path.is_dir():
        return f"{path}: a folder; give two files (OLD NEW), or --rev REV with folders"
    return f"{path}: not a regular file (a pipe or a device)" if path.exists() else f"{path}: no such file"


def _findings(loaded: LoadedMap, lint: bool) -> list:
    if not lint or loaded.journey is None:
        return []
    from cjm.lint.config import ConfigError
    from cjm.lint.engine import lint_findings

    try:
        return lint_findings(loaded)
    except ConfigError as exc:
        raise DiffInputError(str(exc)) from None


def _pairs_from_files(paths: list[Path]) -> list[tuple[str, LoadedMap | None, LoadedMap | None]]:
    if len(paths) != 2:
        raise DiffInputError("give two map files (OLD NEW), or --rev REV [PATH...]")
    for path in paths:
        if not path.is_file():
            raise DiffInputError(_not_a_file(path))
    old, new = read_map(paths[0]), read_map(paths[1])
    return [(new.file, old, new)]


def _pairs_from_rev(rev: str, paths: list[Path]) -> list[tuple[str, LoadedMap | None, LoadedMap | None]]:
    under = paths or [Path(".")]
    try:
        top = repo_top(under[0] if under[0].exists() else Path("."))
        verify_rev(top, rev)
        historic = maps_at(top, rev, [p for p in under if p.exists()] or [Path(".")])
    except GitError as exc:
        raise DiffInputError(f"git: {exc}") from None
    try:
        current = discover_maps([p for p in under if p.exists()]) if any(p.exists() for p in under) else []
    except UsageError as exc:
        raise DiffInputError(str(exc)) from None
    by_relative: dict[str, Path] = {}
    for path in current:
        by_relative[path.resolve().relative_to(top).as_posix()] = path
    for relative in historic:
        by_relative.setdefault(relative, top / relative)
    pairs = []
    for relative, path in sorted(by_relative.items()):
        new = read_map(path) if path.exists() else None
        raw = read_at(top, rev, relative)
        file = display_name(path)
        old = validate_bytes(raw, path, f"{file}@{rev}") if raw is not None else None
        pairs.append((file, old, new))
    if not pairs:
        raise DiffInputError(f"no maps (*.cjm.yaml, *.cjm.yml) found now or at {rev}")
    return pairs


def _observed_diff(paths: list[Path], rev: str | None, fmt: str, share_change: float, color: bool) -> tuple[str, bool, str]:
    from cjm.evidence.diff import ObservedDiff, diff_observed
    from cjm.evidence.diff_report import RENDERERS as OBSERVED_RENDERERS
    from cjm.evidence.observed import LoadedObserved, parse_observed, problems_text, read_limited

    def read(path: Path) -> LoadedObserved:
        try:
            return parse_observed(read_limited(path), display_name(path))
        except OSError as exc:
            raise DiffInputError(f"cannot read {display_name(path)}: {exc.strerror or exc}") from None

    pairs: list[tuple[str, LoadedObserved | None, LoadedObserved]] = []
    if rev is None:
        if len(paths) != 2:
            raise DiffInputError("give two observed files (OLD NEW), or --rev REV FILE.observed.json...")
        pairs.append((display_name(paths[1]), read(paths[0]), read(paths[1])))
    else:
        try:
            top = repo_top(paths[0])
            verify_rev(top, rev)
        except GitError as exc:
            raise DiffInputError(f"git: {exc}") from None
        for path in paths:
            file = display_name(path)
            try:
                relative = path.resolve().relative_to(top).as_posix()
            except ValueError:
                raise DiffInputError(f"{file} is not in the git repository at {top}") from None
            raw = read_at(top, rev, relative)
            pairs.append((file, parse_observed(raw, f"{file}@{rev}") if raw is not None else None, read(path)))
    invalid = [o for _, old, new in pairs for o in (old, new) if o is not None and not o.ok]
    if invalid:
        return "", False, problems_text(invalid)
    diffs = [diff_observed(file, old.observed, new.observed, share_change) if old is not None
             else ObservedDiff(file, share_change, status="added") for file, old, new in pairs]
    return OBSERVED_RENDERERS[fmt](diffs, color=color), any(d.regressed for d in diffs), ""


def run_diff(paths: list[Path], rev: str | None, fmt: str, *, lint: bool = True, color: bool = False,
             share_change: float = 0.05) -> tuple[str, bool, str]:
    """Returns (rendered diff, whether anything regressed, rendered diagnostics of invalid maps or observed files)."""
    observed = [p for p in paths if p.is_file() and is_observed_file(p)]
    if observed:
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise DiffInputError(_not_a_file(missing[0]))
        if len(observed) != len(paths):
            others = ", ".join(str(p) for p in paths if p not in observed)
            raise DiffInputError(f"{others}: not an observed journey (*{OBSERVED_SUFFIX}); compare observed journeys with "
                                 "observed journeys and maps with maps")
        return _observed_diff(paths, rev, fmt, share_change, color)
    pairs = _pairs_from_rev(rev, paths) if rev else _pairs_from_files(paths)
    invalid = [m for _, old, new in pairs for m in (old, new) if m is not None and not m.valid]
    if invalid:
        from cjm.report import Report, reporter

        report = Report("validate", [m.file for m in invalid], [d for m in invalid for d in m.diagnostics],
                        invalid_files=[m.file for m in invalid])
        return "", False, reporter("text")(report, color=False)
    diffs: list[MapDiff] = []
    for file, old, new in pairs:
        if old is None:
            diffs.append(MapDiff(file, status="added"))
        elif new is None:
            diffs.append(MapDiff(file, status="deleted"))
        else:
            diffs.append(diff_journeys(
                file, Journey(old.journey, old.personas), Journey(new.journey, new.personas),
                _findings(old, lint), _findings(new, lint)))
    return RENDERERS[fmt](diffs, color=color), any(d.regressed for d in diffs), ""
