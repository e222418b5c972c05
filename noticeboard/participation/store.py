"""SQL of participation and moderation: replies, reactions, submissions, reports, the queue."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from federation.database import Database, Row, to_db_time

# --- replies and mentions -----------------------------------------------------------


async def set_remote_post_role(
    conn: aiosqlite.Connection, post_id: str, role: str, notice_id: int | None, state: str
) -> None:
    """Mark a stored post as a reply to a notice or a mention of the board, and its state."""
    await conn.execute(
        "UPDATE remote_posts SET role = ?, notice_id = ?, state = ? WHERE id = ?",
        (role, notice_id, state, post_id),
    )


async def set_remote_post_state(conn: aiosqlite.Connection, post_id: str, state: str) -> None:
    await conn.execute("UPDATE remote_posts SET state = ? WHERE id = ?", (state, post_id))


def _visible(hidden_actors: Sequence[str]) -> str:
    """Shown, not deleted, and not by one of the hidden (blocked) accounts."""
    marks = ", ".join("?" * len(hidden_actors))
    return f"p.deleted IS NULL AND p.state = 'shown' AND p.actor NOT IN ({marks})"


async def list_replies(
    db: Database, notice_id: int, *, hidden_actors: Sequence[str] = (), limit: int = 200
) -> list[Row]:
    """Shown replies to a notice, oldest first, without those of the hidden accounts."""
    return await db.fetchall(
        f"SELECT p.* FROM remote_posts p WHERE p.notice_id = ? AND p.role = 'reply' "
        f"AND {_visible(hidden_actors)} ORDER BY p.received, p.id LIMIT ?",
        (notice_id, *hidden_actors, limit),
    )


async def list_recent_replies(
    db: Database, *, hidden_actors: Sequence[str] = (), limit: int = 100
) -> list[Row]:
    """Shown replies to any notice, newest first, with the notice's title (for moderators)."""
    return await db.fetchall(
        "SELECT p.*, n.title AS notice_title FROM remote_posts p "
        f"JOIN notices n ON n.id = p.notice_id WHERE p.role = 'reply' "
        f"AND {_visible(hidden_actors)} ORDER BY p.received DESC LIMIT ?",
        (*hidden_actors, limit),
    )


async def count_replies(
    db: Database, notice_ids: Sequence[int], hidden_actors: Sequence[str] = ()
) -> dict[int, int]:
    if not notice_ids:
        return {}
    marks = ", ".join("?" * len(notice_ids))
    rows = db.lookup(
        f"SELECT p.notice_id, count(*) AS n FROM remote_posts p WHERE p.notice_id IN ({marks}) "
        f"AND p.role = 'reply' AND {_visible(hidden_actors)} GROUP BY p.notice_id",
        (*notice_ids, *hidden_actors),
    )
    return {r["notice_id"]: r["n"] for r in rows}


async def known_remote_ids(db: Database, ids: Sequence[str]) -> set[str]:
    """Which of the ids are posts the board keeps, or the accounts that wrote them."""
    if not ids:
        return set()
    marks = ", ".join("?" * len(ids))
    rows = await db.fetchall(
        f"SELECT id AS known FROM remote_posts WHERE id IN ({marks}) AND deleted IS NULL "
        f"UNION SELECT actor FROM remote_posts WHERE actor IN ({marks})",
        (*ids, *ids),
    )
    return {r["known"] for r in rows}


async def withdraw_item(conn: aiosqlite.Connection, post_id: str) -> None:
    """A waiting reply or mention its author deleted leaves the queue."""
    await conn.execute(
        "UPDATE moderation_items SET state = 'rejected', reason = 'deleted by its author' "
        "WHERE state = 'pending' AND kind IN ('reply', 'mention') AND ref = ?",
        (post_id,),
    )


async def hide_posts_of_actor(conn: aiosqlite.Connection, actor_id: str) -> None:
    """Take a blocked account's waiting posts out of the queue."""
    await conn.execute(
        "UPDATE moderation_items SET state = 'rejected', reason = 'blocked' "
        "WHERE state = 'pending' AND kind IN ('reply', 'mention') "
        "AND ref IN (SELECT id FROM remote_posts WHERE actor = ?)",
        (actor_id,),
    )


# --- likes and boosts ---------------------------------------------------------------


async def insert_reaction(
    conn: aiosqlite.Connection,
    activity_id: str,
    notice_id: int,
    actor: str,
    type_: str,
    now: datetime,
) -> bool:
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO reactions (activity_id, notice_id, actor, type, created) "
        "VALUES (?, ?, ?, ?, ?)",
        (activity_id, notice_id, actor, type_, to_db_time(now)),
    )
    return cursor.rowcount > 0


async def delete_reaction_by_id(conn: aiosqlite.Connection, activity_id: str, actor: str) -> bool:
    cursor = await conn.execute(
        "DELETE FROM reactions WHERE activity_id = ? AND actor = ?", (activity_id, actor)
    )
    return cursor.rowcount > 0


async def delete_reaction(
    conn: aiosqlite.Connection, notice_id: int, actor: str, type_: str
) -> bool:
    cursor = await conn.execute(
        "DELETE FROM reactions WHERE notice_id = ? AND actor = ? AND type = ?",
        (notice_id, actor, type_),
    )
    return cursor.rowcount > 0


async def count_reactions(
    db: Database, notice_ids: Sequence[int], hidden_actors: Sequence[str] = ()
) -> dict[int, dict[str, int]]:
    """Likes and boosts per notice, not counting the hidden accounts':
    {notice_id: {'Like': n, 'Announce': m}}."""
    if not notice_ids:
        return {}
    marks = ", ".join("?" * len(notice_ids))
    hidden = ", ".join("?" * len(hidden_actors))
    rows = db.lookup(
        f"SELECT notice_id, type, count(*) AS n FROM reactions WHERE notice_id IN ({marks}) "
        f"AND actor NOT IN ({hidden}) GROUP BY notice_id, type",
        (*notice_ids, *hidden_actors),
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["notice_id"], {})[row["type"]] = row["n"]
    return counts


# --- submissions ----------------------------------------------------------------------


async def insert_submission(
    conn: aiosqlite.Connection,
    *,
    kind: str,
    title: str,
    body_md: str,
    author_name: str,
    contact: str,
    now: datetime,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO submissions (kind, title, body_md, author_name, contact, created) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (kind, title, body_md, author_name, contact, to_db_time(now)),
    )
    return int(cursor.lastrowid or 0)


async def get_submission(db: Database, submission_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM submissions WHERE id = ?", (submission_id,))


async def submission_in(conn: aiosqlite.Connection, submission_id: int) -> Row:
    """A submission read inside the transaction that publishes it."""
    rows = list(
        await conn.execute_fetchall("SELECT * FROM submissions WHERE id = ?", (submission_id,))
    )
    return rows[0]


async def update_submission(
    conn: aiosqlite.Connection, submission_id: int, kind: str, title: str, body_md: str
) -> None:
    await conn.execute(
        "UPDATE submissions SET kind = ?, title = ?, body_md = ? WHERE id = ?",
        (kind, title, body_md, submission_id),
    )


async def set_submission_notice(
    conn: aiosqlite.Connection, submission_id: int, notice_id: int
) -> None:
    await conn.execute(
        "UPDATE submissions SET notice_id = ? WHERE id = ?", (notice_id, submission_id)
    )


# --- reports ------------------------------------------------------------------------


async def insert_report(
    conn: aiosqlite.Connection,
    *,
    incoming: bool,
    activity_id: str | None,
    reporter: str | None,
    target_actor: str | None,
    objects: Sequence[str],
    comment: str,
    now: datetime,
) -> int | None:
    """Store a report; None if this Flag was stored before."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO reports (incoming, activity_id, reporter, target_actor, objects, "
        "comment, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            int(incoming),
            activity_id,
            reporter,
            target_actor,
            json.dumps(list(objects)),
            comment,
            to_db_time(now),
        ),
    )
    return int(cursor.lastrowid) if cursor.rowcount and cursor.lastrowid else None


async def get_report(db: Database, report_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM reports WHERE id = ?", (report_id,))


async def set_report_forwarded(conn: aiosqlite.Connection, report_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE reports SET forwarded = ? WHERE id = ?", (to_db_time(now), report_id)
    )


# --- the moderation queue --------------------------------------------------------------


async def insert_item(
    conn: aiosqlite.Connection, kind: str, ref: str, summary: str, now: datetime
) -> int | None:
    """Put something in the queue; None if it is there already."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO moderation_items (kind, ref, summary, created) VALUES (?, ?, ?, ?)",
        (kind, ref, summary, to_db_time(now)),
    )
    return int(cursor.lastrowid) if cursor.rowcount and cursor.lastrowid else None


async def get_item(db: Database, item_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM moderation_items WHERE id = ?", (item_id,))


async def list_items(
    db: Database, state: str = "pending", *, kind: str | None = None, limit: int = 200
) -> list[Row]:
    """Queue items, oldest first when pending (work order), newest first when decided."""
    order = "created, id" if state == "pending" else "decided DESC, id DESC"
    sql = "SELECT * FROM moderation_items WHERE state = ?"
    params: list[object] = [state]
    if kind is not None:
        sql += " AND kind = ?"
        params.append(kind)
    return await db.fetchall(f"{sql} ORDER BY {order} LIMIT ?", (*params, limit))


async def count_pending_items(db: Database) -> int:
    row = await db.fetchone("SELECT count(*) AS n FROM moderation_items WHERE state = 'pending'")
    return int(row["n"]) if row else 0


async def decide_item(
    conn: aiosqlite.Connection,
    item_id: int,
    state: str,
    reason: str,
    staff: str,
    now: datetime,
) -> bool:
    """Settle a pending item; False if it was decided already (two staff at once)."""
    cursor = await conn.execute(
        "UPDATE moderation_items SET state = ?, reason = ?, decided_by = ?, decided = ? "
        "WHERE id = ? AND state = 'pending'",
        (state, reason, staff, to_db_time(now), item_id),
    )
    return cursor.rowcount > 0


async def update_item_summary(conn: aiosqlite.Connection, item_id: int, summary: str) -> None:
    await conn.execute("UPDATE moderation_items SET summary = ? WHERE id = ?", (summary, item_id))


# --- approvals of replies (interaction policies) ------------------------------------------


async def insert_reply_approval(
    conn: aiosqlite.Connection,
    post_id: str,
    notice_id: int,
    actor_id: str,
    request_id: str | None,
    now: datetime,
) -> None:
    """Note that a reply waits for the board's answer; a later ReplyRequest for it is kept."""
    await conn.execute(
        "INSERT INTO reply_approvals (post_id, notice_id, actor_id, request_id, created) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (post_id) DO UPDATE SET "
        "request_id = coalesce(excluded.request_id, reply_approvals.request_id)",
        (post_id, notice_id, actor_id, request_id, to_db_time(now)),
    )


async def reply_approval_in(conn: aiosqlite.Connection, post_id: str) -> Row | None:
    cursor = await conn.execute("SELECT * FROM reply_approvals WHERE post_id = ?", (post_id,))
    return await cursor.fetchone()


async def decide_reply_approval(
    conn: aiosqlite.Connection, post_id: str, state: str, token: str | None, now: datetime
) -> None:
    await conn.execute(
        "UPDATE reply_approvals SET state = ?, token = coalesce(?, token), decided = ? "
        "WHERE post_id = ?",
        (state, token, to_db_time(now), post_id),
    )


async def get_reply_authorization(db: Database, token: str) -> Row | None:
    """An approval by the token of its ReplyAuthorization (accepted, or revoked later)."""
    return await db.fetchone(
        "SELECT * FROM reply_approvals WHERE token = ? AND state IN ('accepted', 'revoked')",
        (token,),
    )
