"""SQL of sharing and the network view: shared notices, rules and their hits, follower counts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import aiosqlite

from federation.database import Database, Row, to_db_time

if TYPE_CHECKING:
    from noticeboard.sharing import SharedCopy

_POST_WITH_AUTHOR = (
    "SELECT p.*, a.name AS actor_name, a.preferred_username, a.host, a.url AS actor_url, "
    "a.inbox AS actor_inbox, a.shared_inbox FROM remote_posts p "
    "LEFT JOIN remote_actors a ON a.id = p.actor WHERE p.id = ?"
)


async def get_post(db: Database, post_id: str) -> Row | None:
    """A stored post with its author's name, handle and inboxes."""
    return await db.fetchone(_POST_WITH_AUTHOR, (post_id,))


async def post_in(conn: aiosqlite.Connection, post_id: str) -> Row | None:
    rows = list(await conn.execute_fetchall(_POST_WITH_AUTHOR, (post_id,)))
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
        "SELECT r.*, a.preferred_username, a.host, a.name AS actor_name, "
        "(SELECT count(*) FROM share_rule_hits h WHERE h.rule_id = r.id) AS hits "
        "FROM share_rules r LEFT JOIN remote_actors a ON a.id = r.actor_id ORDER BY r.id"
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


async def count_followers_and_servers(db: Database, local_actor: str) -> tuple[int, int]:
    row = await db.fetchone(
        "SELECT count(*) AS followers, count(DISTINCT a.host) AS servers FROM followers f "
        "LEFT JOIN remote_actors a ON a.id = f.actor_id "
        "WHERE f.local_actor = ? AND f.state = 'accepted'",
        (local_actor,),
    )
    return (int(row["followers"]), int(row["servers"])) if row else (0, 0)


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


async def followers_by_server(db: Database, local_actor: str) -> list[Row]:
    return await db.fetchall(
        "SELECT coalesce(a.host, '?') AS host, count(*) AS followers FROM followers f "
        "LEFT JOIN remote_actors a ON a.id = f.actor_id "
        "WHERE f.local_actor = ? AND f.state = 'accepted' "
        "GROUP BY a.host ORDER BY followers DESC, host",
        (local_actor,),
    )


async def notice_reach(db: Database, limit: int = 30) -> list[Row]:
    """Own notices, newest first, with how many servers and inboxes their Create reached."""
    return await db.fetchall(
        "SELECT n.id, n.title, n.published, "
        "(SELECT count(DISTINCT d.host) FROM deliveries d "
        " WHERE d.activity_id = n.create_activity_id AND d.state = 'sent') AS servers, "
        "(SELECT count(*) FROM deliveries d "
        " WHERE d.activity_id = n.create_activity_id AND d.state = 'sent') AS inboxes "
        "FROM notices n WHERE n.deleted IS NULL AND n.origin != 'shared' "
        "ORDER BY n.published DESC LIMIT ?",
        (limit,),
    )


async def list_partners(db: Database, local_actor: str) -> list[Row]:
    """Accounts the board follows (accepted) or shares from, with what they mainly post."""
    return await db.fetchall(
        "WITH partners AS ("
        " SELECT actor_id FROM following WHERE local_actor = ? AND state = 'accepted'"
        " UNION SELECT origin_actor FROM notices WHERE origin = 'shared' AND deleted IS NULL"
        " AND origin_actor IS NOT NULL) "
        "SELECT a.id, a.name, a.preferred_username, a.host, a.url, a.type, a.document, "
        "(SELECT count(*) FROM notices n WHERE n.origin_actor = a.id AND n.deleted IS NULL) "
        " AS shared, "
        "(SELECT group_concat(kind) FROM (SELECT kind, count(*) AS c FROM remote_posts r "
        "  WHERE r.actor = a.id AND r.kind IS NOT NULL AND r.deleted IS NULL "
        "  GROUP BY kind ORDER BY c DESC LIMIT 3)) AS top_kinds "
        "FROM partners p JOIN remote_actors a ON a.id = p.actor_id ORDER BY a.name, a.id",
        (local_actor,),
    )


async def list_network_posts(db: Database, *, limit: int = 50) -> list[Row]:
    """Posts from followed accounts, newest first, with whether the board shares them."""
    return await db.fetchall(
        "SELECT p.*, a.name AS actor_name, a.preferred_username, a.host, a.url AS actor_url, "
        "(SELECT n.id FROM notices n WHERE n.origin_id = p.id AND n.deleted IS NULL) "
        " AS shared_notice FROM remote_posts p LEFT JOIN remote_actors a ON a.id = p.actor "
        "WHERE p.role = 'network' AND p.deleted IS NULL AND p.state = 'shown' "
        "AND p.actor NOT IN (SELECT actor_id FROM blocked_actors) "
        "ORDER BY p.received DESC LIMIT ?",
        (limit,),
    )
