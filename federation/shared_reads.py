"""One read for many concurrent callers: under load, requests that ask the same question (is
this server blocked? has the board closed?) while a read of it is under way wait for the next
one together, instead of each costing a round trip of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class SharedRead(Generic[T]):
    """Run `read(ids)` for the callers waiting together, with the union of their ids.

    A read never starts before a caller that shares it asked, so each caller sees at least
    what was committed when it asked, as with a read of its own. The reads run one after
    another: the callers arriving while one runs wait for the next, which starts when it ends.
    Callers must treat the shared answer as read-only.
    """

    def __init__(self, read: Callable[[frozenset[str]], Awaitable[T]]) -> None:
        self._read = read
        self._running = False
        self._next: asyncio.Future[T] | None = None
        self._ids: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    async def get(self, ids: Iterable[str] = ()) -> T:
        """The answer of a read that started after this call, for at least these ids."""
        self._ids.update(ids)
        waiting = self._next
        if waiting is None:
            waiting = self._next = asyncio.get_running_loop().create_future()
            waiting.add_done_callback(_retrieve)
            if not self._running:
                self._start()
        return await asyncio.shield(waiting)

    def _start(self) -> None:
        if self._next is None:
            return
        self._running = True
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        # Those who ask before the task runs still join this read: it starts after them.
        future, self._next = self._next, None
        ids, self._ids = frozenset(self._ids), set()
        assert future is not None
        try:
            value = await self._read(ids)
        except Exception as exc:  # each waiting caller gets it, as from a read of its own
            if not future.done():
                future.set_exception(exc)
        except BaseException:  # cancelled, as at shutdown: so are the callers waiting
            self._running = False
            for waiting in (future, self._next):
                if waiting is not None and not waiting.done():
                    waiting.cancel()
            self._next = None
            raise
        else:
            if not future.done():
                future.set_result(value)
        self._running = False
        self._start()


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark an exception as seen when every caller that waited for it was cancelled."""
    if not future.cancelled():
        future.exception()
