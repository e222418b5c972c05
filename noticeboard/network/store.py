"""SQL of the board's network: posts from the fediverse, shared notices, sharing rules and their
hits, follower counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import aiosqlite

from federation.database import Database, Row, to_db_time

if TYPE_CHECKING:
    from noticeboard.network.sharing import SharedCopy


async def post_in(conn: aiosqlite.Connection, post_id: str) -> Row | None:
    """A stored post, read inside the caller's transaction."""
    rows = list(await conn.execute_fetchall("SELECT * FROM remote_posts WHERE id = ?", (post_id,)))
    return rows[0] if rows else None


async def get_live_share(db: Database, post_id: str) -> Row | None:
    """The board's current shared copy of a post, if it shares it."""
    return await db.fetchone(
        "SELECT * FROM notices WHERE origin_id = ? AND deleted IS NULL", (post_id,)
    )


async def live_share_in(conn: aiosqlite.Connection, post_id: str) -> Row | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT * FROM notices WHERE origin_id = ? AND deleted IS NULL", (post_id,)
        )
    )
    return rows[0] if rows else None


async def live_shares_of(conn: aiosqlite.Connection, actor_id: str) -> list[Row]:
    return list(
        await conn.execute_fetchall(
            "SELECT * FROM notices WHERE origin_actor = ? AND origin = 'shared' "
            "AND deleted IS NULL",
            (actor_id,),
        )
    )


async def get_share_by_url(db: Database, url: str) -> Row | None:
    """A live shared copy by the original's id or web address."""
    return await db.fetchone(
        "SELECT * FROM notices WHERE deleted IS NULL AND origin = 'shared' "
        "AND (origin_id = ? OR origin_url = ?)",
        (url, url),
    )


async def update_shared_notice(
    conn: aiosqlite.Connection, notice_id: int, copy: SharedCopy, now: datetime
) -> None:
    values = {k: to_db_time(v) if isinstance(v, datetime) else v for k, v in copy.columns().items()}
    assignments = ", ".join(f"{name} = ?" for name in values)
    stamp = to_db_time(now)
    until = values["valid_until"]
    await conn.execute(
        f"UPDATE notices SET {assignments}, updated = ?, expired = CASE "
        "WHEN ? THEN coalesce(expired, ?) "
        "WHEN ? IS NULL OR ? > ? THEN NULL ELSE expired END WHERE id = ?",
        (*values.values(), stamp, int(copy.expired), stamp, until, until, stamp, notice_id),
    )


# --- posts from the network ---------------------------------------------------------------


async def upsert_remote_post(
    conn: aiosqlite.Connection,
    *,
    post_id: str,
    actor: str,
    type_: str,
    url: str | None,
    name: str | None,
    content_html: str,
    in_reply_to: str | None,
    published: str | None,
    now: datetime,
    object_json: str | None = None,
    kind: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO remote_posts (id, actor, type, url, name, content_html, in_reply_to, "
        "published, received, object_json, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET url = excluded.url, name = excluded.name, "
        "content_html = excluded.content_html, object_json = excluded.object_json, "
        "kind = excluded.kind "
        "WHERE remote_posts.actor = excluded.actor AND remote_posts.deleted IS NULL",
        (
            post_id,
            actor,
            type_,
            url,
            name,
            content_html,
            in_reply_to,
            published,
            to_db_time(now),
            object_json,
            kind,
        ),
    )


async def get_remote_post(db: Database, post_id: str) -> Row | None:
    return db.lookup_one("SELECT * FROM remote_posts WHERE id = ?", (post_id,))


async def mark_remote_post_deleted(
    conn: aiosqlite.Connection,
    post_id: str,
    actor: str,
    now: datetime,
    *,
    tombstone: bool = True,
) -> bool:
    """Delete a post by its author; a Delete before its Create leaves a tombstone (rule 10)."""
    stamp = to_db_time(now)
    cursor = await conn.execute(
        "UPDATE remote_posts SET deleted = ?, content_html = '' WHERE id = ? AND actor = ?",
        (stamp, post_id, actor),
    )
    if cursor.rowcount:
        return True
    if not tombstone:
        return False
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO remote_posts (id, actor, type, content_html, received, deleted) "
        "VALUES (?, ?, 'Tombstone', '', ?, ?)",
        (post_id, actor, stamp, stamp),
    )
    return False


async def drop_foreign_tombstone(conn: aiosqlite.Connection, post_id: str, actor: str) -> None:
    """Forget a tombstone someone other than the post's author left for its id."""
    await conn.execute(
        "DELETE FROM remote_posts WHERE id = ? AND deleted IS NOT NULL AND actor != ?",
        (post_id, actor),
    )


# --- rules --------------------------------------------------------------------------------


async def insert_rule(
    conn: aiosqlite.Connection,
    actor_id: str | None,
    kind: str | None,
    daily_cap: int,
    created_by: str,
    now: datetime,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO share_rules (actor_id, kind, daily_cap, created, created_by) "
        "VALUES (?, ?, ?, ?, ?)",
        (actor_id, kind, daily_cap, to_db_time(now), created_by),
    )
    return int(cursor.lastrowid or 0)


async def delete_rule(conn: aiosqlite.Connection, rule_id: int) -> bool:
    cursor = await conn.execute("DELETE FROM share_rules WHERE id = ?", (rule_id,))
    return cursor.rowcount > 0


async def list_rules(db: Database) -> list[Row]:
    return await db.fetchall(
        "SELECT r.*, (SELECT count(*) FROM share_rule_hits h WHERE h.rule_id = r.id) AS hits "
        "FROM share_rules r ORDER BY r.id"
    )


async def matching_rules(conn: aiosqlite.Connection, actor_id: str, kind: str) -> list[Row]:
    return list(
        await conn.execute_fetchall(
            "SELECT * FROM share_rules WHERE (actor_id IS NULL OR actor_id = ?) "
            "AND (kind IS NULL OR kind = ?) ORDER BY id",
            (actor_id, kind),
        )
    )


async def count_shared_since(conn: aiosqlite.Connection, rule_id: int, since: datetime) -> int:
    rows = list(
        await conn.execute_fetchall(
            "SELECT count(*) FROM share_rule_hits WHERE rule_id = ? AND outcome = 'shared' "
            "AND created >= ?",
            (rule_id, to_db_time(since)),
        )
    )
    return int(rows[0][0])


async def insert_hit(
    conn: aiosqlite.Connection,
    rule_id: int,
    post_id: str,
    notice_id: int | None,
    outcome: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO share_rule_hits (rule_id, post_id, notice_id, outcome, created) "
        "VALUES (?, ?, ?, ?, ?)",
        (rule_id, post_id, notice_id, outcome, to_db_time(now)),
    )


async def list_hits(db: Database, limit: int = 50) -> list[Row]:
    return await db.fetchall(
        "SELECT h.*, p.name, p.content_html, p.url FROM share_rule_hits h "
        "LEFT JOIN remote_posts p ON p.id = h.post_id ORDER BY h.id DESC LIMIT ?",
        (limit,),
    )


# --- the network view -----------------------------------------------------------------------


async def upsert_follower_count(
    conn: aiosqlite.Connection, day: str, followers: int, servers: int
) -> None:
    await conn.execute(
        "INSERT INTO follower_counts (day, followers, servers) VALUES (?, ?, ?) "
        "ON CONFLICT (day) DO UPDATE SET followers = excluded.followers, "
        "servers = excluded.servers",
        (day, followers, servers),
    )


async def list_follower_counts(db: Database, days: int = 90) -> list[Row]:
    rows = await db.fetchall("SELECT * FROM follower_counts ORDER BY day DESC LIMIT ?", (days,))
    return list(reversed(rows))


async def list_own_notices(db: Database, limit: int = 30) -> list[Row]:
    """The board's own notices, newest first, with the id of their Create."""
    return await db.fetchall(
        "SELECT id, title, published, create_activity_id FROM notices "
        "WHERE deleted IS NULL AND origin != 'shared' ORDER BY published DESC LIMIT ?",
        (limit,),
    )


async def list_shared_origins(db: Database) -> list[str]:
    """The accounts whose posts the board shares now."""
    rows = await db.fetchall(
        "SELECT DISTINCT origin_actor FROM notices WHERE origin = 'shared' AND deleted IS NULL "
        "AND origin_actor IS NOT NULL"
    )
    return [row["origin_actor"] for row in rows]


async def partner_activity(db: Database, actor_id: str) -> tuple[int, list[str]]:
    """How many of an account's posts the board shares, and the kinds it posts most (3)."""
    shared = await db.fetchone(
        "SELECT count(*) AS n FROM notices WHERE origin_actor = ? AND deleted IS NULL",
        (actor_id,),
    )
    kinds = await db.fetchall(
        "SELECT kind, count(*) AS c FROM remote_posts WHERE actor = ? AND kind IS NOT NULL "
        "AND deleted IS NULL GROUP BY kind ORDER BY c DESC LIMIT 3",
        (actor_id,),
    )
    return (int(shared["n"]) if shared else 0), [row["kind"] for row in kinds]


async def list_network_posts(
    db: Database, *, hidden_actors: Sequence[str] = (), limit: int = 50
) -> list[Row]:
    """Posts from followed accounts, newest first, with whether the board shares them."""
    marks = ", ".join("?" * len(hidden_actors))
    return await db.fetchall(
        "SELECT p.*, (SELECT n.id FROM notices n WHERE n.origin_id = p.id AND n.deleted IS NULL) "
        " AS shared_notice FROM remote_posts p "
        "WHERE p.role = 'network' AND p.deleted IS NULL AND p.state = 'shown' "
        f"AND p.actor NOT IN ({marks}) ORDER BY p.received DESC LIMIT ?",
        (*hidden_actors, limit),
    )
