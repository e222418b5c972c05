"""`Database.version()`: readers that keep something derived from the data learn when it may
have changed, by a commit of this process or of another one; quiet bookkeeping commits of
this process leave it alone, yet never hide a change someone else made."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from federation.database import Database

pytestmark = pytest.mark.anyio


def write_elsewhere(db: Database) -> None:
    with closing(sqlite3.connect(db.path)) as conn, conn:
        conn.execute("INSERT INTO blocked_domains (domain, created) VALUES ('x.example', 'now')")


async def quiet_write(db: Database) -> None:
    async with db.transaction(quiet=True) as conn:
        await conn.execute("DELETE FROM delivery_failure_days")


async def test_version__stays_while_nothing_is_written(db: Database) -> None:
    first = db.version()
    await db.fetchall("SELECT * FROM followers")
    assert db.version() == db.version() == first


async def test_version__moves_with_a_commit_of_this_process(db: Database) -> None:
    before = db.version()
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM followers")
    assert db.version() != before


async def test_version__moves_with_a_commit_of_another_process(db: Database) -> None:
    before = db.version()
    write_elsewhere(db)
    assert db.version() != before


async def test_version__stays_after_a_quiet_commit(db: Database) -> None:
    before = db.version()
    await quiet_write(db)
    assert db.version() == before


async def test_quiet_commit__does_not_hide_an_earlier_change(db: Database) -> None:
    before = db.version()
    write_elsewhere(db)
    await quiet_write(db)
    assert db.version() != before


async def test_version__moves_when_told_so(db: Database) -> None:
    before = db.version()
    db.touch()
    assert db.version() != before


async def test_rolled_back_quiet_transaction__changes_nothing(db: Database) -> None:
    before = db.version()
    with pytest.raises(RuntimeError):
        async with db.transaction(quiet=True) as conn:
            await conn.execute("DELETE FROM delivery_failure_days")
            raise RuntimeError("stop")
    assert db.version() == before


async def test_readers_during_a_quiet_commit__see_no_change(db: Database) -> None:
    before = db.version()
    seen: list[int] = []
    write = db._write
    assert write is not None
    commit = write.commit

    async def commit_and_look() -> None:
        await commit()
        seen.append(db.version())  # a reader running before the transaction resumes

    write.commit = commit_and_look  # type: ignore[method-assign]
    try:
        await quiet_write(db)
    finally:
        write.commit = commit  # type: ignore[method-assign]
    assert seen == [before]
    assert db.version() == before
