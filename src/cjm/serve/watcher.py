"""Watch the folders, not the files: an editor's atomic save (write a temporary file, rename it
over the map) replaces the file a watch on it would hold, but the folder sees the new name.

watchfiles groups a burst of changes (it yields once nothing new came for ``STEP_MS``); changes
that come while the workspace is busy are gathered and handled as one, so a burst of saves
causes one re-render. ``--poll`` polls instead, for Docker, WSL and network mounts where
change notifications do not arrive.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Awaitable, Callable

STEP_MS = 50  # quiet time that ends a burst
MAX_BURST_MS = 1600  # longest a burst is held back
POLL_MS = 300


class FolderWatch:
    def __init__(self, folders: Callable[[], Awaitable[tuple]], relevant: Callable[[Path], bool],
                 handle: Callable[[set[Path]], Awaitable[bool]], *, poll: bool = False):
        """``folders()`` gives (deep folders, flat folders); ``handle(paths)`` returns True when they changed."""
        self.folders = folders
        self.relevant = relevant
        self.handle = handle
        self.poll = poll
        self.stop = asyncio.Event()
        self.queue: asyncio.Queue = asyncio.Queue()

    async def _watch(self, paths: tuple[Path, ...], recursive: bool) -> None:
        from watchfiles import awatch

        if not paths:
            return
        try:
            async for changes in awatch(*paths, watch_filter=lambda _change, p: self.relevant(Path(p)),
                                        step=STEP_MS, debounce=MAX_BURST_MS, stop_event=self.stop,
                                        force_polling=self.poll or None, poll_delay_ms=POLL_MS,
                                        recursive=recursive, ignore_permission_denied=True):
                await self.queue.put({Path(p) for _, p in changes})
        except (OSError, RuntimeError):
            return  # a folder went away: the next round watches what is there

    async def run(self) -> None:
        while not self.stop.is_set():
            deep, flat = await self.folders()
            tasks = [asyncio.ensure_future(self._watch(deep, True)), asyncio.ensure_future(self._watch(flat, False))]
            try:
                while not self.stop.is_set():
                    getting = asyncio.ensure_future(self.queue.get())
                    stopping = asyncio.ensure_future(self.stop.wait())
                    done, _ = await asyncio.wait({getting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    stopping.cancel()
                    if getting not in done:
                        getting.cancel()
                        break
                    paths = getting.result()
                    while not self.queue.empty():  # gathered while busy: one more round, not many
                        paths |= self.queue.get_nowait()
                    try:
                        refolder = await self.handle(paths)
                    except Exception as exc:  # noqa: BLE001 - one bad change must not end the watching
                        print(f"cjm serve: error: while handling a change: {type(exc).__name__}: {exc}", file=sys.stderr)
                        refolder = False
                    if refolder:
                        break  # the set of folders changed: watch the new one
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
