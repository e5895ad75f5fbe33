"""The one writer of output files."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from cjm.io import write_atomic


def test_a_new_file_appears_whole_with_no_temporary_left(tmp_path: Path):
    target = tmp_path / "out" / "map.svg"
    write_atomic(target, "<svg/>")
    assert target.read_text() == "<svg/>"
    assert [p.name for p in target.parent.iterdir()] == ["map.svg"]


def test_a_pipe_is_written_through_not_replaced(tmp_path: Path):
    # As `-o /dev/null` or `-o /dev/stdout` would be: renaming a file over a device replaces it for
    # every program on the machine, so a pipe stands in for the device here.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, b"digraph {}")
    reader.join(timeout=10)
    assert received == [b"digraph {}"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]
