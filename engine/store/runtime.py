"""One asyncio loop thread per process owns the ORM; synchronous code submits coroutines to it.

Flask serves requests on its own threads; they must never start event loops of their own
(a fresh loop per request leaks connections). :meth:`OrmRuntime.run` hands a coroutine to
the loop thread and waits for its result. After a fork (gunicorn workers) the runtime
starts a new thread in the child on first use.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from tortoise import Tortoise

from engine import context
from engine.store.config import tortoise_config

T = TypeVar("T")


class OrmRuntime:
    """The ORM's event loop thread for one database."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.config = tortoise_config(database_url)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        self._ensure_started()
        assert self._loop is not None
        return self._loop

    def _ensure_started(self) -> None:
        if self._loop is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._loop is not None and self._pid == os.getpid():
                return
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            thread = threading.Thread(target=serve, name="thongthin-orm", daemon=True)
            thread.start()
            ready.wait()
            self._loop, self._thread, self._pid = loop, thread, os.getpid()
            self.submit(Tortoise.init(config=self.config, _enable_global_fallback=True)).result()

    def on_loop_thread(self) -> bool:
        """Whether the caller runs on the ORM loop (where :meth:`run` would wait for itself)."""
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def run(self, awaitable: Awaitable[T]) -> T:
        """Run ``awaitable`` on the ORM loop and return its result (exceptions propagate).

        The caller's request ID and tenant (:mod:`engine.context`) go along, so log lines and the
        jobs the coroutine queues carry them.
        """
        self._ensure_started()
        caller = context.snapshot()

        async def wrapper() -> T:
            with context.restored(caller):
                return await awaitable

        return self.submit(wrapper()).result()

    def close(self) -> None:
        """Close the connections and stop the loop thread."""
        if self._loop is None or self._pid != os.getpid():
            return
        self.submit(Tortoise.close_connections()).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._loop = self._thread = None

    def upgrade(self) -> None:
        """Apply every pending migration (``thongthin db upgrade``)."""
        from tortoise.migrations.api import migrate

        self.run(migrate(config=self.config))
