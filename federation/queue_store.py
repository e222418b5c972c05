"""All SQL of the activity queues: inbound activities, published activities, deliveries,
and what the delivery worker learns about hosts and inboxes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from federation.database import Database, Row, to_db_time


@dataclass(frozen=True)
class Delivery:
    """A queued delivery as the worker reads it: the activity's body is read once per
    activity (`get_outbox_bodies`), not once per recipient."""

    id: int
    activity_id: str
    inbox: str
    host: str
    attempts: int
    actor: str
    host_unavailable: bool = False


async def insert_inbox_activity(
    conn: aiosqlite.Connection, activity_id: str, actor: str, type_: str, body: str, now: datetime
) -> bool:
    """Store an inbound activity once; tell whether it was new (replays are not)."""
    stamp = to_db_time(now)
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO inbox_activities (id, actor, type, body, received_at, state, "
        "next_attempt_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
        (activity_id, actor, type_, body, stamp, stamp),
    )
    return cursor.rowcount > 0


async def insert_inbox_activities(
    conn: aiosqlite.Connection, rows: Sequence[tuple[str, str, str, str]], now: datetime
) -> set[str]:
    """Store inbound activities (id, actor, type, body) once; return the ids that were new
    (replays, and repeats within `rows`, are not), in one statement."""
    if not rows:
        return set()
    stamp = to_db_time(now)
    values = ", ".join("(?, ?, ?, ?, ?, 'pending', ?)" for _ in rows)
    inserted = await conn.execute_fetchall(
        "INSERT OR IGNORE INTO inbox_activities (id, actor, type, body, received_at, state, "
        f"next_attempt_at) VALUES {values} RETURNING id",
        [value for row in rows for value in (*row, stamp, stamp)],
    )
    return {row[0] for row in inserted}


async def list_due_inbox(db: Database, now: datetime, limit: int) -> list[Row]:
    """List stored inbound activities waiting to be processed."""
    return await db.fetchall(
        "SELECT * FROM inbox_activities WHERE state = 'pending' AND next_attempt_at <= ? "
        "ORDER BY received_at LIMIT ?",
        (to_db_time(now), limit),
    )


async def finish_inbox_activity(
    conn: aiosqlite.Connection,
    activity_id: str,
    state: str,
    error: str | None,
    next_attempt: datetime,
) -> None:
    """Record the outcome of processing an inbound activity."""
    await conn.execute(
        "UPDATE inbox_activities SET state = ?, attempts = attempts + 1, last_error = ?, "
        "next_attempt_at = ? WHERE id = ?",
        (state, error, to_db_time(next_attempt), activity_id),
    )


async def finish_inbox_activities(
    conn: aiosqlite.Connection, finished: Sequence[tuple[str, datetime]]
) -> None:
    """Record several inbound activities as processed (id, when), in one statement."""
    await conn.executemany(
        "UPDATE inbox_activities SET state = 'done', attempts = attempts + 1, last_error = NULL, "
        "next_attempt_at = ? WHERE id = ?",
        [(to_db_time(moment), activity_id) for activity_id, moment in finished],
    )


async def list_failed_inbox(db: Database, limit: int = 50) -> list[Row]:
    """List inbound activities whose processing finally failed, for admins."""
    return await db.fetchall(
        "SELECT id, actor, type, received_at, attempts, last_error FROM inbox_activities "
        "WHERE state = 'failed' ORDER BY received_at DESC LIMIT ?",
        (limit,),
    )


async def insert_outbox_activity(
    conn: aiosqlite.Connection,
    activity_id: str,
    actor: str,
    type_: str,
    object_id: str | None,
    body: str,
    now: datetime,
    *,
    public: bool = True,
) -> None:
    """Store a published activity so it can be served at its id and delivered."""
    await conn.execute(
        "INSERT INTO outbox_activities (id, actor, type, object_id, body, public, published) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (activity_id, actor, type_, object_id, body, int(public), to_db_time(now)),
    )


async def get_outbox_activity(db: Database, activity_id: str) -> Row | None:
    """Return a published activity by id."""
    return await db.fetchone("SELECT * FROM outbox_activities WHERE id = ?", (activity_id,))


async def list_outbox(db: Database, actor: str, *, before: str | None, limit: int) -> list[Row]:
    """List an actor's public activities newest first, keyset-paged."""
    return await db.fetchall(
        "SELECT * FROM outbox_activities WHERE actor = ? AND public = 1 AND published < ? "
        "ORDER BY published DESC LIMIT ?",
        (actor, before or "\uffff", limit),
    )


async def count_outbox(db: Database, actor: str) -> int:
    """Count an actor's public activities (kept current by triggers, not counted per request)."""
    row = await db.fetchone("SELECT public FROM outbox_counts WHERE actor = ?", (actor,))
    return int(row["public"]) if row else 0


async def insert_deliveries(
    conn: aiosqlite.Connection, activity_id: str, targets: Iterable[tuple[str, str]], now: datetime
) -> int:
    """Queue one delivery per (inbox, host); an inbox already queued for the activity is skipped."""
    stamp = to_db_time(now)
    rows = [(activity_id, inbox, host, stamp, stamp, stamp) for inbox, host in targets]
    before = conn.total_changes
    await conn.executemany(
        "INSERT OR IGNORE INTO deliveries (activity_id, inbox, host, state, next_attempt_at, "
        "created, updated) VALUES (?, ?, ?, 'pending', ?, ?, ?)",
        rows,
    )
    return conn.total_changes - before


async def list_due_deliveries(
    db: Database, now: datetime, limit: int, skip_hosts: Sequence[str] = ()
) -> list[Delivery]:
    """List pending deliveries whose time has come, oldest first."""
    marks = ", ".join("?" for _ in skip_hosts)
    skip = f"AND d.host NOT IN ({marks})" if skip_hosts else ""
    rows = db.lookup(
        "SELECT d.id, d.activity_id, d.inbox, d.host, d.attempts, o.actor, "
        "u.host IS NOT NULL AS host_unavailable "
        "FROM deliveries d JOIN outbox_activities o ON o.id = d.activity_id "
        "LEFT JOIN unavailable_hosts u ON u.host = d.host "
        f"WHERE d.state = 'pending' AND d.next_attempt_at <= ? {skip} "
        "ORDER BY d.next_attempt_at LIMIT ?",
        (to_db_time(now), *skip_hosts, limit),
    )
    return [Delivery(**dict(r)) for r in rows]


async def get_outbox_bodies(db: Database, activity_ids: Sequence[str]) -> dict[str, str]:
    """Return the stored JSON of published activities by id."""
    if not activity_ids:
        return {}
    marks = ", ".join("?" * len(activity_ids))
    rows = db.lookup(
        f"SELECT id, body FROM outbox_activities WHERE id IN ({marks})", tuple(activity_ids)
    )
    return {row["id"]: row["body"] for row in rows}


async def record_delivery_attempt(
    conn: aiosqlite.Connection,
    delivery_id: int,
    state: str,
    next_attempt: datetime,
    status: int | None,
    error: str | None,
    now: datetime,
) -> None:
    """Record one delivery attempt and its outcome."""
    await conn.execute(
        "UPDATE deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, "
        "last_status = ?, last_error = ?, updated = ? WHERE id = ?",
        (state, to_db_time(next_attempt), status, error, to_db_time(now), delivery_id),
    )


async def record_delivery_attempts(
    conn: aiosqlite.Connection,
    attempts: Sequence[tuple[int, str, datetime, int | None, str | None, datetime]],
) -> None:
    """Record several delivery attempts: (id, state, next attempt, status, error, now)."""
    await conn.executemany(
        "UPDATE deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, "
        "last_status = ?, last_error = ?, updated = ? WHERE id = ?",
        [
            (state, to_db_time(next_at), status, error, to_db_time(now), delivery_id)
            for delivery_id, state, next_at, status, error, now in attempts
        ],
    )


async def clear_gone_inboxes(conn: aiosqlite.Connection, inboxes: Iterable[str]) -> None:
    """Forget earlier 404/410 answers of inboxes that accepted a delivery."""
    names = sorted(set(inboxes))
    if names:
        marks = ", ".join("?" * len(names))
        await conn.execute(f"DELETE FROM gone_inboxes WHERE inbox IN ({marks})", names)


async def delivery_counts(db: Database, activity_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Count deliveries per activity and state."""
    if not activity_ids:
        return {}
    marks = ", ".join("?" for _ in activity_ids)
    rows = await db.fetchall(
        f"SELECT activity_id, state, count(*) AS n FROM deliveries "
        f"WHERE activity_id IN ({marks}) GROUP BY activity_id, state",
        tuple(activity_ids),
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["activity_id"], {})[row["state"]] = int(row["n"])
    return counts


async def sent_reach(db: Database, activity_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Count the servers and inboxes each activity was delivered to: {id: (servers, inboxes)}."""
    if not activity_ids:
        return {}
    marks = ", ".join("?" for _ in activity_ids)
    rows = await db.fetchall(
        f"SELECT activity_id, count(DISTINCT host) AS servers, count(*) AS inboxes "
        f"FROM deliveries WHERE activity_id IN ({marks}) AND state = 'sent' GROUP BY activity_id",
        tuple(activity_ids),
    )
    return {row["activity_id"]: (int(row["servers"]), int(row["inboxes"])) for row in rows}


async def list_deliveries(db: Database, states: Sequence[str], limit: int = 100) -> list[Row]:
    """List deliveries in the given states, newest change first, for admins."""
    marks = ", ".join("?" for _ in states)
    return await db.fetchall(
        "SELECT d.id, d.activity_id, d.inbox, d.host, d.state, d.attempts, d.next_attempt_at, "
        "d.last_status, d.last_error, d.created, d.updated, o.type AS activity_type, "
        "o.object_id FROM deliveries d JOIN outbox_activities o ON o.id = d.activity_id "
        f"WHERE d.state IN ({marks}) ORDER BY d.updated DESC LIMIT ?",
        (*states, limit),
    )


async def retry_delivery(conn: aiosqlite.Connection, delivery_id: int, now: datetime) -> bool:
    """Put a failed or dead delivery back into the queue with a fresh retry schedule."""
    stamp = to_db_time(now)
    cursor = await conn.execute(
        "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, "
        "updated = ? WHERE id = ? AND state IN ('failed', 'dead')",
        (stamp, stamp, delivery_id),
    )
    return cursor.rowcount > 0


async def retry_inbox_activity(conn: aiosqlite.Connection, activity_id: str, now: datetime) -> bool:
    """Queue a finally failed inbound activity for processing again."""
    cursor = await conn.execute(
        "UPDATE inbox_activities SET state = 'pending', attempts = 0, next_attempt_at = ? "
        "WHERE id = ? AND state = 'failed'",
        (to_db_time(now), activity_id),
    )
    return cursor.rowcount > 0


async def record_failure_day(
    conn: aiosqlite.Connection, host: str, now: datetime, days_to_unavailable: int
) -> bool:
    """Note a failed delivery day for a host; tell whether the host is now unavailable."""
    await conn.execute(
        "INSERT OR IGNORE INTO delivery_failure_days (host, day) VALUES (?, ?)",
        (host, now.strftime("%Y-%m-%d")),
    )
    rows = list(
        await conn.execute_fetchall(
            "SELECT count(*) AS n FROM delivery_failure_days WHERE host = ?", (host,)
        )
    )
    if int(rows[0]["n"]) < days_to_unavailable:
        return False
    await conn.execute(
        "INSERT OR IGNORE INTO unavailable_hosts (host, since) VALUES (?, ?)",
        (host, to_db_time(now)),
    )
    return True


async def clear_host_failures(conn: aiosqlite.Connection, host: str) -> None:
    """Forget a host's failures after any successful contact, in either direction."""
    await clear_hosts_failures(conn, [host])


async def clear_hosts_failures(conn: aiosqlite.Connection, hosts: Iterable[str]) -> None:
    """Forget the failures of several hosts that were in contact (one statement per table)."""
    names = sorted(set(hosts))
    if not names:
        return
    marks = ", ".join("?" * len(names))
    await conn.execute(f"DELETE FROM delivery_failure_days WHERE host IN ({marks})", names)
    await conn.execute(f"DELETE FROM unavailable_hosts WHERE host IN ({marks})", names)


async def list_unavailable_hosts(db: Database) -> list[Row]:
    """List hosts marked unavailable."""
    return await db.fetchall("SELECT host, since FROM unavailable_hosts ORDER BY since DESC")


async def record_gone_inbox(
    conn: aiosqlite.Connection, inbox: str, now: datetime, answers_to_drop: int
) -> int:
    """Count a 404/410 from an inbox; at the threshold drop the followers behind it."""
    await conn.execute(
        "INSERT INTO gone_inboxes (inbox, answers, last) VALUES (?, 1, ?) "
        "ON CONFLICT (inbox) DO UPDATE SET answers = answers + 1, last = excluded.last",
        (inbox, to_db_time(now)),
    )
    rows = list(
        await conn.execute_fetchall("SELECT answers FROM gone_inboxes WHERE inbox = ?", (inbox,))
    )
    if int(rows[0]["answers"]) < answers_to_drop:
        return 0
    await conn.execute("DELETE FROM gone_inboxes WHERE inbox = ?", (inbox,))
    cursor = await conn.execute(
        "DELETE FROM followers WHERE inbox = ? OR shared_inbox = ?", (inbox, inbox)
    )
    return cursor.rowcount


async def clear_gone_inbox(conn: aiosqlite.Connection, inbox: str) -> None:
    """Forget earlier 404/410 answers of an inbox that accepted a delivery."""
    await conn.execute("DELETE FROM gone_inboxes WHERE inbox = ?", (inbox,))


async def count_backlog(db: Database, now: datetime) -> tuple[int, int]:
    """Count pending deliveries, and those of them already due (the worker's backlog)."""
    row = await db.fetchone(
        "SELECT count(*) AS pending, coalesce(sum(next_attempt_at <= ?), 0) AS due "
        "FROM deliveries WHERE state = 'pending'",
        (to_db_time(now),),
    )
    return (int(row["pending"]), int(row["due"])) if row else (0, 0)


async def failing_hosts(db: Database, limit: int = 20) -> list[Row]:
    """Hosts with pending deliveries that failed at least once, or dead ones, worst first."""
    return await db.fetchall(
        "SELECT host, count(*) AS failing, max(attempts) AS attempts, "
        "max(last_error) AS last_error, max(last_status) AS last_status FROM deliveries "
        "WHERE (state = 'pending' AND attempts > 0) OR state IN ('failed', 'dead') "
        "GROUP BY host ORDER BY failing DESC, host LIMIT ?",
        (limit,),
    )


async def make_pending_due(conn: aiosqlite.Connection, now: datetime) -> int:
    """Make every pending delivery due now (after a restore the board was away, not its
    followers); return how many were waiting."""
    cursor = await conn.execute(
        "UPDATE deliveries SET next_attempt_at = ? WHERE state = 'pending' AND next_attempt_at > ?",
        (to_db_time(now), to_db_time(now)),
    )
    return cursor.rowcount
