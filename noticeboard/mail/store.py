"""SQL of the e-mail subscription: subscribers and the persisted queue of mails."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from federation.database import Database, Row, to_db_time

# --- subscribers ---------------------------------------------------------------------------


async def get_subscriber_by_email(conn: aiosqlite.Connection, email: str) -> Row | None:
    cursor = await conn.execute("SELECT * FROM mail_subscribers WHERE email = ?", (email,))
    row: Row | None = await cursor.fetchone()
    return row


async def get_subscriber_by_token(db: Database, token: str) -> Row | None:
    return await db.fetchone("SELECT * FROM mail_subscribers WHERE token = ?", (token,))


async def get_subscriber_by_token_in(conn: aiosqlite.Connection, token: str) -> Row | None:
    cursor = await conn.execute("SELECT * FROM mail_subscribers WHERE token = ?", (token,))
    row: Row | None = await cursor.fetchone()
    return row


async def insert_subscriber(
    conn: aiosqlite.Connection,
    email: str,
    frequency: str,
    kinds: str,
    language: str,
    token: str,
    now: datetime,
    groups: str = "",
) -> int:
    cursor = await conn.execute(
        "INSERT INTO mail_subscribers (email, frequency, kinds, language, token, created, "
        "groups) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (email, frequency, kinds, language, token, to_db_time(now), groups),
    )
    return int(cursor.lastrowid or 0)


async def update_choice(
    conn: aiosqlite.Connection,
    subscriber_id: int,
    frequency: str,
    kinds: str,
    language: str,
    groups: str = "",
) -> None:
    await conn.execute(
        "UPDATE mail_subscribers SET frequency = ?, kinds = ?, language = ?, groups = ? "
        "WHERE id = ?",
        (frequency, kinds, language, groups, subscriber_id),
    )


async def restart_confirmation(
    conn: aiosqlite.Connection, subscriber_id: int, now: datetime
) -> None:
    """An unconfirmed address asks again: its 48 hours start anew."""
    await conn.execute(
        "UPDATE mail_subscribers SET created = ? WHERE id = ? AND confirmed IS NULL",
        (to_db_time(now), subscriber_id),
    )


async def mark_confirmed(conn: aiosqlite.Connection, subscriber_id: int, now: datetime) -> bool:
    cursor = await conn.execute(
        "UPDATE mail_subscribers SET confirmed = ?, news_since = ? "
        "WHERE id = ? AND confirmed IS NULL",
        (to_db_time(now), to_db_time(now), subscriber_id),
    )
    return cursor.rowcount > 0


async def mark_news_queued(
    conn: aiosqlite.Connection, subscriber_id: int, moment: datetime
) -> None:
    """A mail with the news up to `moment` is queued: what follows is new to them."""
    await conn.execute(
        "UPDATE mail_subscribers SET news_since = ?, last_news = ? WHERE id = ?",
        (to_db_time(moment), to_db_time(moment), subscriber_id),
    )


async def delete_subscriber(conn: aiosqlite.Connection, subscriber_id: int) -> None:
    """Delete an address with every mail to it (the queue's rows cascade)."""
    await conn.execute("DELETE FROM mail_subscribers WHERE id = ?", (subscriber_id,))


async def delete_unconfirmed_before(conn: aiosqlite.Connection, moment: datetime) -> int:
    cursor = await conn.execute(
        "DELETE FROM mail_subscribers WHERE confirmed IS NULL AND created < ?",
        (to_db_time(moment),),
    )
    return cursor.rowcount


async def list_confirmed(db: Database, frequency: str | None = None) -> list[Row]:
    sql = "SELECT * FROM mail_subscribers WHERE confirmed IS NOT NULL"
    params: tuple[str, ...] = ()
    if frequency is not None:
        sql += " AND frequency = ?"
        params = (frequency,)
    return await db.fetchall(sql + " ORDER BY email", params)


async def count_by_choice(db: Database) -> list[Row]:
    return await db.fetchall(
        "SELECT frequency, kinds, language, count(*) AS n FROM mail_subscribers "
        "WHERE confirmed IS NOT NULL GROUP BY frequency, kinds, language "
        "ORDER BY n DESC, frequency, kinds, language"
    )


async def count_unconfirmed(db: Database) -> int:
    row = await db.fetchone("SELECT count(*) AS n FROM mail_subscribers WHERE confirmed IS NULL")
    return int(row["n"]) if row else 0


# --- the queue of mails ---------------------------------------------------------------------


async def insert_message(
    conn: aiosqlite.Connection,
    subscriber_id: int | None,
    recipient: str,
    purpose: str,
    message_id: str,
    content: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO mail_messages (subscriber_id, recipient, purpose, message_id, content, "
        "next_attempt, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (subscriber_id, recipient, purpose, message_id, content, to_db_time(now), to_db_time(now)),
    )


async def list_due_messages(db: Database, now: datetime, limit: int) -> list[Row]:
    return await db.fetchall(
        "SELECT * FROM mail_messages WHERE state = 'pending' AND next_attempt <= ? "
        "ORDER BY next_attempt, id LIMIT ?",
        (to_db_time(now), limit),
    )


async def mark_message_sending(conn: aiosqlite.Connection, message_id: int) -> bool:
    """Claim a pending message for its transfer; False if it is gone or no longer pending."""
    cursor = await conn.execute(
        "UPDATE mail_messages SET state = 'sending' WHERE id = ? AND state = 'pending'",
        (message_id,),
    )
    return cursor.rowcount > 0


async def set_message_outcome(
    conn: aiosqlite.Connection,
    message_id: int,
    state: str,
    next_attempt: datetime,
    error: str | None,
    now: datetime,
    *,
    attempted: bool = True,
) -> None:
    """Record an attempt's outcome; a sent message keeps no content."""
    await conn.execute(
        "UPDATE mail_messages SET state = ?, next_attempt = ?, last_error = ?, "
        "attempts = attempts + ?, sent = CASE WHEN ? = 'sent' THEN ? ELSE sent END, "
        "content = CASE WHEN ? = 'sent' THEN '' ELSE content END WHERE id = ?",
        (
            state,
            to_db_time(next_attempt),
            error,
            1 if attempted else 0,
            state,
            to_db_time(now),
            state,
            message_id,
        ),
    )


async def give_up_interrupted(conn: aiosqlite.Connection, reason: str) -> int:
    """Messages whose transfer a crash interrupted: they may have arrived, so never again."""
    cursor = await conn.execute(
        "UPDATE mail_messages SET state = 'failed', last_error = ? WHERE state = 'sending'",
        (reason,),
    )
    return cursor.rowcount


async def count_messages_by_state(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT state, count(*) AS n FROM mail_messages GROUP BY state")
    return {r["state"]: int(r["n"]) for r in rows}


async def list_problem_messages(db: Database, limit: int = 50) -> list[Row]:
    return await db.fetchall(
        "SELECT id, recipient, purpose, state, attempts, last_error, created, next_attempt "
        "FROM mail_messages WHERE state IN ('failed', 'dead') "
        "OR (state = 'pending' AND attempts > 0) ORDER BY id DESC LIMIT ?",
        (limit,),
    )
