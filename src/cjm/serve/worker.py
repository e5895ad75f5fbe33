"""The one thread the workspace runs in: requests and file changes take turns, and the event loop
stays free to answer. The thread is a daemon, so Ctrl-C does not wait for a Graphviz layout."""

from __future__ import annotations

import asyncio
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable


class Worker:
    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="cjm-serve-worker", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            future, fn, args = self._jobs.get()
            if fn is None:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting request
                future.set_exception(exc)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        future: Future = Future()
        self._jobs.put((future, fn, args))
        return await asyncio.wrap_future(future)

    def stop(self) -> None:
        self._jobs.put((None, None, None))
