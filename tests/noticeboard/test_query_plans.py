"""The hot reads use an index, whatever the board's size: the SQL the store functions really run
is captured and SQLite's query plan for it may not walk the notices or the outbox's rows."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from federation import queue_store
from federation.database import Database
from noticeboard.notices import store
from noticeboard.state import MIGRATIONS

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACTOR = "https://board.example/users/board"
FULL_SCAN = re.compile(r"^SCAN (notices|outbox_activities|n|o)\b(?! VIRTUAL)")

pytestmark = pytest.mark.anyio


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "plans.sqlite3")
    await database.connect()
    await database.migrate(MIGRATIONS)
    async with database.transaction() as conn:
        for n in range(1, 41):
            published = f"2026-01-{1 + n % 28:02d}T09:00:{n:02d}.000000Z"
            await conn.execute(
                "INSERT INTO notices (title, body_md, body_html, published, pinned, kind) "
                "VALUES (?, ?, '', ?, ?, ?)",
                (f"Notice {n}", "Garten und Hof", published, int(n % 10 == 0), "announcement"),
            )
            await queue_store.insert_outbox_activity(
                conn, f"{ACTOR}/activities/{n}", ACTOR, "Create", None, "{}", NOW
            )
    yield database
    await database.close()


async def plans_of(db: Database, read: Callable[[], Awaitable[Any]]) -> list[list[str]]:
    """The query plan of every statement `read` runs."""
    statements: list[str] = []
    await db.trace_reads(statements.append)
    try:
        await read()
    finally:
        await db.trace_reads(None)
    with closing(sqlite3.connect(db.path)) as conn:
        return [
            [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
            for sql in statements
            if sql.lstrip().upper().startswith(("SELECT", "WITH"))
        ]


READS: dict[str, Callable[[Database], Awaitable[Any]]] = {
    "home": lambda db: store.list_notices(db, before=None, limit=21, now=NOW),
    "home, next page": lambda db: store.list_notices(
        db, before="2026-01-10T00:00:00.000000Z", limit=21, now=NOW
    ),
    "home, one kind": lambda db: store.list_notices(
        db, before=None, limit=21, now=NOW, kind="event"
    ),
    "pinned": lambda db: store.list_pinned_notices(db, NOW),
    "notice": lambda db: store.get_notice_including_deleted(db, 3),
    "search": lambda db: store.search_notices(db, '"garten"*'),
    "search, a later page": lambda db: store.search_notices(db, '"garten"*', limit=21, offset=20),
    "search with filters": lambda db: store.search_notices(
        db, '"garten"*', kind="announcement", since=NOW.replace(month=1), until=NOW
    ),
    "outbox page": lambda db: queue_store.list_outbox(db, ACTOR, before=None, limit=20),
    "outbox total": lambda db: queue_store.count_outbox(db, ACTOR),
}


@pytest.mark.parametrize("name", list(READS))
async def test_query_plan__hot_reads_walk_no_table(db: Database, name: str) -> None:
    plans = await plans_of(db, lambda: READS[name](db))

    assert plans, "the read ran a query"
    scans = [step for plan in plans for step in plan if FULL_SCAN.match(step)]
    assert scans == [], plans


async def test_query_plan__the_outbox_total_follows_inserts_and_deletes(db: Database) -> None:
    assert await queue_store.count_outbox(db, ACTOR) == 40
    async with db.transaction() as conn:
        await queue_store.insert_outbox_activity(
            conn, f"{ACTOR}/activities/private", ACTOR, "Create", None, "{}", NOW, public=False
        )
        await conn.execute("DELETE FROM outbox_activities WHERE id = ?", (f"{ACTOR}/activities/1",))
        await conn.execute(
            "UPDATE outbox_activities SET public = 0 WHERE id = ?", (f"{ACTOR}/activities/2",)
        )
    assert await queue_store.count_outbox(db, ACTOR) == 38
    assert await queue_store.count_outbox(db, "https://other.example/users/x") == 0
