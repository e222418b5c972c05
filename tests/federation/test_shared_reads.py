"""Shared reads: concurrent callers share one read, and none gets an answer older than its call."""

from __future__ import annotations

import asyncio

import pytest

from federation.shared_reads import SharedRead

pytestmark = pytest.mark.anyio


class Table:
    """A value that changes, read slowly enough for callers to pile up."""

    def __init__(self) -> None:
        self.value = 0
        self.reads: list[frozenset[str]] = []
        self.release = asyncio.Event()

    async def read(self, ids: frozenset[str]) -> tuple[int, frozenset[str]]:
        self.reads.append(ids)
        value = self.value
        await self.release.wait()
        return value, ids


async def test_shared_read__callers_during_a_read_share_the_next_with_all_their_ids() -> None:
    table = Table()
    shared = SharedRead(table.read)
    first = asyncio.create_task(shared.get({"a"}))
    while not table.reads:  # the first read has begun
        await asyncio.sleep(0)
    table.value = 1  # committed after the first read began: the later callers must see it
    later = [asyncio.create_task(shared.get({name})) for name in ("b", "c", "b")]
    await asyncio.sleep(0)
    table.release.set()  # the first read answers, then the one the later callers share

    answers = await asyncio.gather(first, *later)

    assert table.reads == [frozenset({"a"}), frozenset({"b", "c"})]
    assert answers[0] == (0, frozenset({"a"}))
    assert answers[1:] == [(1, frozenset({"b", "c"}))] * 3


async def test_shared_read__a_lone_caller_reads_at_once_and_a_later_one_reads_again() -> None:
    table = Table()
    table.release.set()
    shared = SharedRead(table.read)

    assert await shared.get() == (0, frozenset())
    table.value = 2
    assert await shared.get({"x"}) == (2, frozenset({"x"}))
    assert len(table.reads) == 2


async def test_shared_read__a_failed_read_fails_its_callers_and_the_next_read_runs() -> None:
    calls = 0

    async def read(ids: frozenset[str]) -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls == 1:
            raise RuntimeError("database is locked")
        return calls

    shared = SharedRead(read)
    failing = [asyncio.create_task(shared.get()) for _ in range(2)]
    results = await asyncio.gather(*failing, return_exceptions=True)

    assert [str(r) for r in results] == ["database is locked"] * 2
    assert await shared.get() == 2


async def test_shared_read__a_cancelled_caller_leaves_the_others_their_answer() -> None:
    table = Table()
    shared = SharedRead(table.read)
    leaving = asyncio.create_task(shared.get({"a"}))
    staying = asyncio.create_task(shared.get({"b"}))
    await asyncio.sleep(0)
    leaving.cancel()
    table.release.set()

    assert await staying == (0, frozenset({"a", "b"}))
    assert leaving.cancelled()
