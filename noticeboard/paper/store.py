"""The paper slice's SQL: which notices staff left off the weekly sheet."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from federation.database import Database, to_db_time


async def list_hidden_notice_ids(db: Database) -> set[int]:
    rows = await db.fetchall("SELECT notice_id FROM paper_week_hidden")
    return {int(r["notice_id"]) for r in rows}


async def count_existing_notices(conn: aiosqlite.Connection, ids: Iterable[int]) -> int:
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    marks = ",".join("?" * len(wanted))
    cursor = await conn.execute(
        f"SELECT COUNT(*) FROM notices WHERE deleted IS NULL AND id IN ({marks})", wanted
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def replace_hidden(
    conn: aiosqlite.Connection, listed: Iterable[int], hidden: Iterable[int], now: datetime
) -> None:
    """Forget the choice for every listed notice, then hide the ones left off."""
    await conn.executemany(
        "DELETE FROM paper_week_hidden WHERE notice_id = ?", [(i,) for i in set(listed)]
    )
    await conn.executemany(
        "INSERT INTO paper_week_hidden (notice_id, hidden) VALUES (?, ?)",
        [(i, to_db_time(now)) for i in sorted(set(hidden))],
    )
