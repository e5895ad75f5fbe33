"""One atomic writer for every output file: a temp file beside the target, then rename."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def _is_special(target: Path) -> bool:
    """A device, pipe or socket (``-o /dev/null``, ``-o /dev/stdout``): written in place, never replaced."""
    import stat

    try:
        mode = os.stat(target).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def write_atomic(target: Path, data: bytes | str) -> None:
    """Write ``data`` to ``target`` so that readers see the old file or the whole new one.

    A target that is a device or a pipe is written to directly: renaming a file over
    ``/dev/null`` would replace the device for every program on the machine.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if _is_special(target):
        with open(target, "wb") as handle:
            handle.write(payload)
        return
    folder = target.parent if str(target.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_output(destination: str | None, data: bytes | str) -> None:
    """``-`` or None -> standard output; anything else -> an atomically written file."""
    if destination in (None, "-"):
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data)
            sys.stdout.flush()
        return
    write_atomic(Path(destination), data)


def replace_folder(target: Path, files: dict[str, bytes]) -> None:
    """Write a whole folder of ``{relative posix path: bytes}`` so it is never seen half-written.

    The folder is built beside ``target`` and renamed into place; an existing
    ``target`` is moved aside first and removed once the new one stands.
    """
    import shutil
    from pathlib import PurePosixPath

    for name in files:
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise ValueError(f"not a relative path inside the folder: {name!r}")
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    try:
        for name, data in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            os.chmod(path, 0o644)
        for folder, _, _ in os.walk(staging):
            os.chmod(folder, 0o755)
        if target.exists() or target.is_symlink():
            aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
            os.replace(target, aside / "old")
            try:
                os.replace(staging, target)
            except BaseException:
                os.replace(aside / "old", target)
                os.rmdir(aside)
                raise
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
