"""The SQL of groups: the groups, the posts addressed to them, their blocked accounts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import aiosqlite

from federation.database import Database, Row, to_db_time

GROUP_COLUMNS = (
    "name",
    "summary",
    "meets",
    "place",
    "repeat_rule",
    "first_meeting",
    "contact",
    "picture",
    "picture_alt",
    "newcomers",
    "languages",
    "join_policy",
    "post_policy",
)


async def insert_group(
    conn: aiosqlite.Connection,
    handle: str,
    actor_id: str,
    values: Mapping[str, object],
    now: datetime,
) -> int:
    columns = ", ".join(GROUP_COLUMNS)
    marks = ", ".join("?" for _ in GROUP_COLUMNS)
    cursor = await conn.execute(
        f"INSERT INTO groups (handle, actor_id, {columns}, created, updated) "
        f"VALUES (?, ?, {marks}, ?, ?)",
        (handle, actor_id, *(values[c] for c in GROUP_COLUMNS), to_db_time(now), to_db_time(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def update_group(
    conn: aiosqlite.Connection, group_id: int, values: Mapping[str, object], now: datetime
) -> None:
    assignments = ", ".join(f"{c} = ?" for c in GROUP_COLUMNS)
    await conn.execute(
        f"UPDATE groups SET {assignments}, updated = ? WHERE id = ?",
        (*(values[c] for c in GROUP_COLUMNS), to_db_time(now), group_id),
    )


async def set_announced_meeting(conn: aiosqlite.Connection, group_id: int, day: str) -> None:
    await conn.execute("UPDATE groups SET announced_meeting = ? WHERE id = ?", (day, group_id))


async def get_group_by_handle(db: Database, handle: str) -> Row | None:
    return await db.fetchone("SELECT * FROM groups WHERE handle = ?", (handle,))


async def group_by_handle_in(conn: aiosqlite.Connection, handle: str) -> Row | None:
    cursor = await conn.execute("SELECT * FROM groups WHERE handle = ?", (handle,))
    row: Row | None = await cursor.fetchone()
    return row


async def get_group_by_id(db: Database, group_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM groups WHERE id = ?", (group_id,))


async def groups_by_actor(db: Database, actor_ids: list[str]) -> list[Row]:
    if not actor_ids:
        return []
    marks = ", ".join("?" for _ in actor_ids)
    return await db.fetchall(f"SELECT * FROM groups WHERE actor_id IN ({marks})", actor_ids)


async def list_groups(db: Database) -> list[Row]:
    return db.lookup("SELECT * FROM groups ORDER BY name COLLATE NOCASE, id")


async def is_group_picture(db: Database, file: str) -> bool:
    row = await db.fetchone("SELECT 1 AS x FROM groups WHERE picture = ?", (file,))
    return row is not None


async def handle_taken(db: Database, handle: str) -> bool:
    row = await db.fetchone("SELECT 1 AS x FROM groups WHERE handle = ?", (handle,))
    return row is not None


# --- posts ------------------------------------------------------------------------------------


async def upsert_post(
    conn: aiosqlite.Connection, group_id: int, post: Mapping[str, object], state: str
) -> int:
    """Keep a post addressed to a group; an existing one keeps its state and announce."""
    cursor = await conn.execute(
        "INSERT INTO group_posts (group_id, object_id, author, url, name, content_html, "
        "in_reply_to, published, state, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (group_id, object_id) DO NOTHING",
        (
            group_id,
            post["object_id"],
            post["author"],
            post["url"],
            post["name"],
            post["content_html"],
            post["in_reply_to"],
            post["published"],
            state,
            post["received"],
        ),
    )
    return cursor.rowcount


async def get_post(db: Database, post_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM group_posts WHERE id = ?", (post_id,))


async def post_in(conn: aiosqlite.Connection, post_id: int) -> Row | None:
    cursor = await conn.execute("SELECT * FROM group_posts WHERE id = ?", (post_id,))
    row: Row | None = await cursor.fetchone()
    return row


async def posts_of_object(conn: aiosqlite.Connection, object_id: str) -> list[Row]:
    cursor = await conn.execute(
        "SELECT p.*, g.actor_id AS group_actor, g.handle FROM group_posts p "
        "JOIN groups g ON g.id = p.group_id WHERE p.object_id = ?",
        (object_id,),
    )
    return list(await cursor.fetchall())


async def groups_showing(db: Database, object_id: str) -> list[int]:
    """The groups in which a post is shown (a reply to it belongs to the same thread)."""
    rows = db.lookup(
        "SELECT group_id FROM group_posts WHERE object_id = ? AND state = 'shown'", (object_id,)
    )
    return [r["group_id"] for r in rows]


async def set_post_state(
    conn: aiosqlite.Connection,
    post_id: int,
    state: str,
    now: datetime,
    *,
    announce_id: str | None = None,
) -> None:
    await conn.execute(
        "UPDATE group_posts SET state = ?, updated = ?, "
        "announce_id = coalesce(?, announce_id) WHERE id = ?",
        (state, to_db_time(now), announce_id, post_id),
    )


async def update_post_content(
    conn: aiosqlite.Connection, post_id: int, name: str | None, content_html: str, now: datetime
) -> None:
    await conn.execute(
        "UPDATE group_posts SET name = ?, content_html = ?, updated = ? WHERE id = ?",
        (name, content_html, to_db_time(now), post_id),
    )


async def list_posts(
    db: Database, group_id: int, states: tuple[str, ...], limit: int = 30
) -> list[Row]:
    marks = ", ".join("?" for _ in states)
    return await db.fetchall(
        f"SELECT * FROM group_posts WHERE group_id = ? AND state IN ({marks}) "
        "ORDER BY received DESC, id DESC LIMIT ?",
        (group_id, *states, limit),
    )


async def remove_posts_of(
    conn: aiosqlite.Connection, group_id: int, author: str, now: datetime
) -> list[Row]:
    """Take a blocked member's shown and held posts out of the group; return the shown ones."""
    cursor = await conn.execute(
        "SELECT * FROM group_posts WHERE group_id = ? AND author = ? AND state = 'shown'",
        (group_id, author),
    )
    shown = list(await cursor.fetchall())
    await conn.execute(
        "UPDATE group_posts SET state = 'removed', updated = ? "
        "WHERE group_id = ? AND author = ? AND state IN ('shown', 'held')",
        (to_db_time(now), group_id, author),
    )
    return shown


# --- blocks -----------------------------------------------------------------------------------


async def insert_block(
    conn: aiosqlite.Connection, group_id: int, actor_id: str, by: str, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO group_blocks (group_id, actor_id, created, created_by) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (group_id, actor_id) DO NOTHING",
        (group_id, actor_id, to_db_time(now), by),
    )


async def delete_block(conn: aiosqlite.Connection, group_id: int, actor_id: str) -> bool:
    cursor = await conn.execute(
        "DELETE FROM group_blocks WHERE group_id = ? AND actor_id = ?", (group_id, actor_id)
    )
    return cursor.rowcount > 0


async def is_blocked(db: Database, group_id: int, actor_id: str) -> bool:
    row = await db.fetchone(
        "SELECT 1 AS x FROM group_blocks WHERE group_id = ? AND actor_id = ?", (group_id, actor_id)
    )
    return row is not None


async def list_blocks(db: Database, group_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT * FROM group_blocks WHERE group_id = ? ORDER BY created DESC", (group_id,)
    )


# --- leaders ----------------------------------------------------------------------------------


async def list_leaders(db: Database, group_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT id, username, active FROM staff WHERE role = 'group_leader' AND group_id = ? "
        "ORDER BY username",
        (group_id,),
    )


async def get_staff(conn: aiosqlite.Connection, username: str) -> Row | None:
    cursor = await conn.execute("SELECT * FROM staff WHERE username = ?", (username,))
    row: Row | None = await cursor.fetchone()
    return row


async def insert_leader(
    conn: aiosqlite.Connection, username: str, password_hash: str, group_id: int, now: datetime
) -> int:
    cursor = await conn.execute(
        "INSERT INTO staff (username, password_hash, role, group_id, created) "
        "VALUES (?, ?, 'group_leader', ?, ?)",
        (username, password_hash, group_id, to_db_time(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def set_leader_group(conn: aiosqlite.Connection, staff_id: int, group_id: int) -> None:
    await conn.execute(
        "UPDATE staff SET group_id = ? WHERE id = ? AND role = 'group_leader'",
        (group_id, staff_id),
    )


# --- figures for the report and the network page --------------------------------------------


async def count_posts_between(db: Database, start: datetime, end: datetime) -> int:
    """Posts shown in any group, received between start (included) and end (excluded)."""
    row = await db.fetchone(
        "SELECT count(*) AS n FROM group_posts WHERE state = 'shown' "
        "AND received >= ? AND received < ?",
        (to_db_time(start), to_db_time(end)),
    )
    return int(row["n"]) if row else 0


async def count_groups_created_between(db: Database, start: datetime, end: datetime) -> int:
    row = await db.fetchone(
        "SELECT count(*) AS n FROM groups WHERE created >= ? AND created < ?",
        (to_db_time(start), to_db_time(end)),
    )
    return int(row["n"]) if row else 0


async def posts_per_group_since(db: Database, since: datetime) -> dict[int, int]:
    """Shown posts per group id, received since a moment."""
    rows = await db.fetchall(
        "SELECT group_id, count(*) AS n FROM group_posts WHERE state = 'shown' "
        "AND received >= ? GROUP BY group_id",
        (to_db_time(since),),
    )
    return {row["group_id"]: int(row["n"]) for row in rows}
