"""Statements that skip the hop to aiosqlite's thread: `Database.lookup` and `direct`
transactions run on the event loop's thread, BEGIN and COMMIT included; waiting for another
process's lock and checkpointing the write-ahead log happen in threads, so they never stall
the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from contextlib import closing

import pytest

from federation import database
from federation.database import Database

pytestmark = pytest.mark.anyio


async def statement_thread(db: Database, *, direct: bool) -> int:
    """The thread that ran a statement of a transaction."""
    seen: list[int] = []
    async with db.transaction(direct=direct) as conn:
        await conn.create_function("here", 0, lambda: seen.append(threading.get_ident()))
        await conn.execute("SELECT here()")
    return seen[0]


async def test_direct_transaction__runs_its_statements_on_the_loop_thread(db: Database) -> None:
    assert await statement_thread(db, direct=True) == threading.get_ident()
    assert await statement_thread(db, direct=False) != threading.get_ident()


async def test_direct_transaction__begins_and_commits_on_the_loop_thread(db: Database) -> None:
    threads: list[tuple[str, int]] = []
    await db._write.set_trace_callback(  # type: ignore[union-attr]
        lambda sql: threads.append((sql.split()[0], threading.get_ident()))
    )
    async with db.transaction(direct=True) as conn:
        await conn.execute(
            "INSERT INTO blocked_domains (domain, created) VALUES ('a.example', 'x')"
        )
    assert [word for word, _ in threads][:: len(threads) - 1] == ["BEGIN", "COMMIT"]
    assert {thread for _, thread in threads} == {threading.get_ident()}


async def test_direct_transaction__commits_what_it_wrote(db: Database) -> None:
    async with db.transaction(direct=True) as conn:
        cursor = await conn.execute(
            "INSERT INTO blocked_domains (domain, created) VALUES ('a.example', 'now')"
        )
        assert cursor.rowcount == 1
        async with conn.execute("SELECT domain FROM blocked_domains") as rows:
            assert [r["domain"] for r in await rows.fetchall()] == ["a.example"]
    assert [r["domain"] for r in await db.fetchall("SELECT domain FROM blocked_domains")] == [
        "a.example"
    ]


async def test_direct_transaction__rolls_back_and_leaves_the_connection_to_its_thread(
    db: Database,
) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction(direct=True) as conn:
            await conn.execute(
                "INSERT INTO blocked_domains (domain, created) VALUES ('a.example', 'now')"
            )
            await conn.execute(
                "INSERT INTO blocked_domains (domain, created) VALUES ('a.example', 'now')"
            )
    assert await db.fetchall("SELECT domain FROM blocked_domains") == []
    assert await statement_thread(db, direct=False) != threading.get_ident()


async def test_direct_transaction__waits_for_another_process_without_stalling_the_loop(
    db: Database,
) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    with closing(sqlite3.connect(db.path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        release = asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
        try:
            async with db.transaction(direct=True) as conn:
                await conn.execute(
                    "INSERT INTO blocked_domains (domain, created) VALUES ('a.example', 'now')"
                )
        finally:
            release.cancel()
    ticker.cancel()
    assert ticks >= 10  # the loop went on while BEGIN waited for the lock
    assert len(await db.fetchall("SELECT domain FROM blocked_domains")) == 1


async def test_lookup__reads_committed_rows_on_the_loop_thread(db: Database) -> None:
    with closing(sqlite3.connect(db.path)) as other, other:
        other.execute("INSERT INTO blocked_domains (domain, created) VALUES ('b.example', 'now')")
    row = db.lookup_one("SELECT domain FROM blocked_domains WHERE domain = ?", ("b.example",))
    assert row is not None and row["domain"] == "b.example"
    assert db.lookup_one("SELECT domain FROM blocked_domains WHERE domain = 'c.example'") is None


async def test_lookup__does_not_see_a_transaction_before_its_commit(db: Database) -> None:
    async with db.transaction(direct=True) as conn:
        await conn.execute(
            "INSERT INTO blocked_domains (domain, created) VALUES ('a.example', 'now')"
        )
        assert db.lookup("SELECT domain FROM blocked_domains") == []
    assert len(db.lookup("SELECT domain FROM blocked_domains")) == 1


async def test_lookup__cannot_write(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.lookup("INSERT INTO blocked_domains (domain, created) VALUES ('a.example', 'now')")
    assert await db.fetchall("SELECT domain FROM blocked_domains") == []


def rows_in_database_file(db: Database) -> int:
    """Rows of blocked_domains in the database file itself, without its write-ahead log."""
    uri = f"file:{db.path}?immutable=1"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        return int(conn.execute("SELECT count(*) FROM blocked_domains").fetchone()[0])


async def test_commits__leave_checkpoints_to_the_reading_connection(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "CHECKPOINT_AFTER", 3)
    db._commits = 0
    with closing(sqlite3.connect(db.path)) as other:  # the migrations into the file, first
        other.execute("PRAGMA wal_checkpoint(FULL)")
    checkpoints: list[str] = []
    await db.reader.set_trace_callback(
        lambda sql: checkpoints.append(sql) if "checkpoint" in sql else None
    )
    for number in range(3):
        assert rows_in_database_file(db) == 0  # the rows are in the log only
        async with db.transaction(direct=number % 2 == 0) as conn:
            await conn.execute(
                "INSERT INTO blocked_domains (domain, created) VALUES (?, 'x')", (f"{number}.ex",)
            )
    while db._checkpoint is not None:
        await asyncio.sleep(0.01)
    assert checkpoints == ["PRAGMA wal_checkpoint(PASSIVE)"]
    assert rows_in_database_file(db) == 3
