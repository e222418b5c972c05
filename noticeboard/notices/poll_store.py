"""All SQL of polls: options, votes, participation codes, batched updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from federation.database import Database, Row, to_db_time


async def insert_options(conn: aiosqlite.Connection, notice_id: int, names: Sequence[str]) -> None:
    await conn.executemany(
        "INSERT INTO poll_options (notice_id, position, name) VALUES (?, ?, ?)",
        [(notice_id, position, name) for position, name in enumerate(names)],
    )


async def list_options(db: Database, notice_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT position, name FROM poll_options WHERE notice_id = ? ORDER BY position",
        (notice_id,),
    )


async def options_in(conn: aiosqlite.Connection, notice_id: int) -> list[Row]:
    return list(
        await conn.execute_fetchall(
            "SELECT position, name FROM poll_options WHERE notice_id = ? ORDER BY position",
            (notice_id,),
        )
    )


async def tally_in(conn: aiosqlite.Connection, notice_id: int) -> tuple[dict[int, int], int]:
    """Votes per option and the number of distinct voters, inside a transaction."""
    rows = await conn.execute_fetchall(
        "SELECT position, count(*) AS n FROM poll_votes WHERE notice_id = ? GROUP BY position",
        (notice_id,),
    )
    voters = list(
        await conn.execute_fetchall(
            "SELECT count(DISTINCT voter) AS n FROM poll_votes WHERE notice_id = ?", (notice_id,)
        )
    )
    return {int(r["position"]): int(r["n"]) for r in rows}, int(voters[0]["n"])


async def tally(db: Database, notice_id: int) -> tuple[dict[int, int], int]:
    rows = await db.fetchall(
        "SELECT position, count(*) AS n FROM poll_votes WHERE notice_id = ? GROUP BY position",
        (notice_id,),
    )
    voters = await db.fetchone(
        "SELECT count(DISTINCT voter) AS n FROM poll_votes WHERE notice_id = ?", (notice_id,)
    )
    return {int(r["position"]): int(r["n"]) for r in rows}, int(voters["n"]) if voters else 0


async def has_voted(conn: aiosqlite.Connection, notice_id: int, voter: str) -> bool:
    rows = list(
        await conn.execute_fetchall(
            "SELECT 1 FROM poll_votes WHERE notice_id = ? AND voter = ? LIMIT 1",
            (notice_id, voter),
        )
    )
    return bool(rows)


async def insert_vote(
    conn: aiosqlite.Connection,
    notice_id: int,
    position: int,
    voter: str,
    activity_id: str | None,
    now: datetime,
) -> bool:
    """Count a vote once per voter and option; tell whether it was new."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO poll_votes (notice_id, position, voter, activity_id, created) "
        "VALUES (?, ?, ?, ?, ?)",
        (notice_id, position, voter, activity_id, to_db_time(now)),
    )
    return cursor.rowcount > 0


async def mark_changed(conn: aiosqlite.Connection, notice_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE notices SET poll_changed = coalesce(poll_changed, ?) WHERE id = ?",
        (to_db_time(now), notice_id),
    )


async def list_changed_polls(db: Database, changed_before: datetime) -> list[Row]:
    """Polls with votes that followers have not seen, the oldest change long enough ago."""
    return await db.fetchall(
        "SELECT id FROM notices WHERE poll_changed IS NOT NULL AND poll_changed <= ? "
        "AND deleted IS NULL",
        (to_db_time(changed_before),),
    )


async def list_polls_to_close(db: Database, now: datetime) -> list[Row]:
    return await db.fetchall(
        "SELECT id FROM notices WHERE kind = 'poll' AND deleted IS NULL AND poll_closes <= ? "
        "AND poll_closed_sent IS NULL",
        (to_db_time(now),),
    )


async def clear_changed(conn: aiosqlite.Connection, notice_id: int) -> None:
    await conn.execute("UPDATE notices SET poll_changed = NULL WHERE id = ?", (notice_id,))


async def mark_closed_sent(conn: aiosqlite.Connection, notice_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE notices SET poll_closed_sent = ?, poll_changed = NULL WHERE id = ?",
        (to_db_time(now), notice_id),
    )


async def insert_codes(
    conn: aiosqlite.Connection, notice_id: int, codes: Sequence[str], now: datetime
) -> None:
    await conn.executemany(
        "INSERT INTO poll_codes (notice_id, code, created) VALUES (?, ?, ?)",
        [(notice_id, code, to_db_time(now)) for code in codes],
    )


async def use_code(conn: aiosqlite.Connection, notice_id: int, code: str, now: datetime) -> bool:
    """Spend a participation code; tell whether it was valid and unused."""
    cursor = await conn.execute(
        "UPDATE poll_codes SET used = ? WHERE notice_id = ? AND code = ? AND used IS NULL",
        (to_db_time(now), notice_id, code),
    )
    return cursor.rowcount > 0


async def list_codes(db: Database, notice_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT code, used FROM poll_codes WHERE notice_id = ? ORDER BY created, code",
        (notice_id,),
    )
