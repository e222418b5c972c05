"""SQL of staff accounts and invitations."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from federation.database import Database, Row, to_db_time


async def count_staff(db: Database) -> int:
    row = await db.fetchone("SELECT count(*) AS n FROM staff")
    return int(row["n"]) if row else 0


async def insert_staff(
    conn: aiosqlite.Connection, username: str, password_hash: str, role: str, now: datetime
) -> int:
    cursor = await conn.execute(
        "INSERT INTO staff (username, password_hash, role, created) VALUES (?, ?, ?, ?)",
        (username, password_hash, role, to_db_time(now)),
    )
    return int(cursor.lastrowid or 0)


async def get_staff_by_username(db: Database, username: str) -> Row | None:
    return await db.fetchone("SELECT * FROM staff WHERE username = ?", (username,))


async def get_staff_by_id(db: Database, staff_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM staff WHERE id = ?", (staff_id,))


async def username_taken(conn: aiosqlite.Connection, username: str) -> bool:
    rows = await conn.execute_fetchall("SELECT 1 FROM staff WHERE username = ?", (username,))
    return bool(list(rows))


async def list_staff(db: Database) -> list[Row]:
    return await db.fetchall("SELECT * FROM staff ORDER BY active DESC, username")


async def count_active_owners(conn: aiosqlite.Connection) -> int:
    rows = list(
        await conn.execute_fetchall(
            "SELECT count(*) FROM staff WHERE role = 'owner' AND active = 1"
        )
    )
    return int(rows[0][0])


async def set_staff_active(conn: aiosqlite.Connection, staff_id: int, active: bool) -> bool:
    cursor = await conn.execute(
        "UPDATE staff SET active = ? WHERE id = ? AND active != ?",
        (int(active), staff_id, int(active)),
    )
    return cursor.rowcount > 0


async def set_staff_role(conn: aiosqlite.Connection, staff_id: int, role: str) -> bool:
    cursor = await conn.execute(
        "UPDATE staff SET role = ? WHERE id = ? AND role != ?", (role, staff_id, role)
    )
    return cursor.rowcount > 0


async def set_staff_password(conn: aiosqlite.Connection, staff_id: int, password_hash: str) -> None:
    await conn.execute("UPDATE staff SET password_hash = ? WHERE id = ?", (password_hash, staff_id))


async def insert_invitation(
    conn: aiosqlite.Connection,
    token_hash: str,
    role: str,
    username: str,
    created_by: str,
    now: datetime,
    expires: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO staff_invitations (token_hash, role, username, created_by, created, expires)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash, role, username, created_by, to_db_time(now), to_db_time(expires)),
    )


async def get_open_invitation(db: Database, token_hash: str, now: datetime) -> Row | None:
    """An unused, unexpired invitation (one made before invitations named their account is
    not valid any more)."""
    return await db.fetchone(
        "SELECT * FROM staff_invitations WHERE token_hash = ? AND used IS NULL AND expires > ? "
        "AND username IS NOT NULL",
        (token_hash, to_db_time(now)),
    )


async def name_invited(conn: aiosqlite.Connection, username: str, now: datetime) -> bool:
    """Whether an open invitation holds this user name."""
    rows = await conn.execute_fetchall(
        "SELECT 1 FROM staff_invitations WHERE username = ? AND used IS NULL AND expires > ?",
        (username, to_db_time(now)),
    )
    return bool(list(rows))


async def use_invitation(conn: aiosqlite.Connection, token_hash: str, now: datetime) -> bool:
    """Spend an invitation; False if it was used or expired meanwhile (one-time)."""
    stamp = to_db_time(now)
    cursor = await conn.execute(
        "UPDATE staff_invitations SET used = ? WHERE token_hash = ? AND used IS NULL "
        "AND expires > ?",
        (stamp, token_hash, stamp),
    )
    return cursor.rowcount > 0


async def list_open_invitations(db: Database, now: datetime) -> list[Row]:
    return await db.fetchall(
        "SELECT * FROM staff_invitations WHERE used IS NULL AND expires > ? ORDER BY created",
        (to_db_time(now),),
    )


# --- sessions --------------------------------------------------------------------------------


async def insert_session(
    conn: aiosqlite.Connection,
    token_hash: str,
    staff_id: int,
    user_agent: str,
    now: datetime,
    expires: datetime,
) -> None:
    stamp = to_db_time(now)
    await conn.execute(
        "INSERT INTO staff_sessions (token_hash, staff_id, created, last_seen, expires, user_agent)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash, staff_id, stamp, stamp, to_db_time(expires), user_agent),
    )


async def get_session(db: Database, token_hash: str) -> Row | None:
    """A session with its account's name, role and whether it is active."""
    return await db.fetchone(
        "SELECT s.*, st.username, st.role, st.active, st.group_id FROM staff_sessions s "
        "JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = ?",
        (token_hash,),
    )


async def touch_session(conn: aiosqlite.Connection, session_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE staff_sessions SET last_seen = ? WHERE id = ?", (to_db_time(now), session_id)
    )


async def list_sessions(
    db: Database, staff_id: int, now: datetime, idle_since: datetime
) -> list[Row]:
    return await db.fetchall(
        "SELECT * FROM staff_sessions WHERE staff_id = ? AND expires > ? AND last_seen > ? "
        "ORDER BY created DESC",
        (staff_id, to_db_time(now), to_db_time(idle_since)),
    )


async def delete_session(conn: aiosqlite.Connection, session_id: int, staff_id: int) -> bool:
    cursor = await conn.execute(
        "DELETE FROM staff_sessions WHERE id = ? AND staff_id = ?", (session_id, staff_id)
    )
    return cursor.rowcount > 0


async def delete_sessions_of(
    conn: aiosqlite.Connection, staff_id: int, keep: int | None = None
) -> int:
    """End every session of an account, except `keep` (the one in use) if given."""
    cursor = await conn.execute(
        "DELETE FROM staff_sessions WHERE staff_id = ? AND id IS NOT ?", (staff_id, keep)
    )
    return cursor.rowcount


async def delete_stale_sessions(
    conn: aiosqlite.Connection, now: datetime, idle_since: datetime
) -> int:
    cursor = await conn.execute(
        "DELETE FROM staff_sessions WHERE expires <= ? OR last_seen <= ?",
        (to_db_time(now), to_db_time(idle_since)),
    )
    return cursor.rowcount
