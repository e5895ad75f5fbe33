"""Reading maps as they were at a git revision, with git itself (no shell)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cjm.project import MAP_SUFFIXES


class GitError(Exception):
    pass


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=60, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args[:2])} took too long") from None
    if done.returncode != 0:
        raise GitError(done.stderr.decode("utf-8", "replace").strip().splitlines()[-1] if done.stderr else "git failed")
    return done.stdout


def repo_top(start: Path) -> Path:
    return Path(_git(["rev-parse", "--show-toplevel"], start if start.is_dir() else start.parent).decode().strip())


def verify_rev(top: Path, rev: str) -> None:
    if rev.startswith("-"):
        raise GitError(f"'{rev}' is not a revision")
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top)
    except GitError:
        raise GitError(f"unknown revision '{rev}'") from None


def maps_at(top: Path, rev: str, under: list[Path]) -> list[str]:
    """Repo-relative POSIX paths of map files at ``rev`` below ``under``."""
    specs = [str(p.resolve().relative_to(top)) if p.resolve() != top else "." for p in under] or ["."]
    listing = _git(["ls-tree", "-r", "--name-only", "-z", rev, "--", *specs], top)
    return sorted(name for name in listing.decode("utf-8", "replace").split("\0") if name.endswith(MAP_SUFFIXES))


def read_at(top: Path, rev: str, relative: str) -> bytes | None:
    """The file's bytes at ``rev``, or None when it did not exist there."""
    try:
        return _git(["show", f"{rev}:{relative}"], top)
    except GitError:
        return None
