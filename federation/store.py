"""All SQL of the protocol layer: keys, remote actors, followers, inbox, outbox, deliveries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from federation.database import Database, Row, to_db_time


@dataclass(frozen=True)
class LocalKey:
    actor_id: str
    key_id: str
    private_pem: str
    public_pem: str


@dataclass(frozen=True)
class RemoteActorRow:
    id: str
    host: str
    type: str
    preferred_username: str | None
    name: str | None
    url: str | None
    inbox: str
    shared_inbox: str | None
    key_id: str | None
    public_key_pem: str | None
    document: str
    fetched_at: str


@dataclass(frozen=True)
class Delivery:
    id: int
    activity_id: str
    inbox: str
    host: str
    attempts: int
    body: str
    actor: str
    host_unavailable: bool = False


# --- local keys ---------------------------------------------------------------


async def get_local_key(db: Database, actor_id: str) -> LocalKey | None:
    """Return the key pair of a local actor."""
    row = await db.fetchone(
        "SELECT actor_id, key_id, private_pem, public_pem FROM local_keys WHERE actor_id = ?",
        (actor_id,),
    )
    return LocalKey(**dict(row)) if row else None


async def insert_local_key(conn: aiosqlite.Connection, key: LocalKey, now: datetime) -> None:
    """Store a local actor's key pair unless it already has one."""
    await conn.execute(
        "INSERT OR IGNORE INTO local_keys (actor_id, key_id, private_pem, public_pem, created) "
        "VALUES (?, ?, ?, ?, ?)",
        (key.actor_id, key.key_id, key.private_pem, key.public_pem, to_db_time(now)),
    )


# --- remote actors --------------------------------------------------------------


async def get_remote_actor(db: Database, actor_id: str) -> RemoteActorRow | None:
    """Return a cached remote actor by id."""
    row = await db.fetchone("SELECT * FROM remote_actors WHERE id = ?", (actor_id,))
    return RemoteActorRow(**dict(row)) if row else None


async def get_remote_actor_by_key_id(db: Database, key_id: str) -> RemoteActorRow | None:
    """Return the cached remote actor that owns a key id."""
    row = await db.fetchone("SELECT * FROM remote_actors WHERE key_id = ?", (key_id,))
    return RemoteActorRow(**dict(row)) if row else None


async def upsert_remote_actor(conn: aiosqlite.Connection, actor: RemoteActorRow) -> None:
    """Insert or refresh a remote actor fetched from its origin."""
    fields = actor.__dict__
    names = ", ".join(fields)
    marks = ", ".join("?" for _ in fields)
    updates = ", ".join(f"{k} = excluded.{k}" for k in fields if k != "id")
    await conn.execute(
        f"INSERT INTO remote_actors ({names}) VALUES ({marks}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        tuple(fields.values()),
    )


# --- followers ------------------------------------------------------------------


async def upsert_follower(
    conn: aiosqlite.Connection,
    local_actor: str,
    actor: RemoteActorRow,
    follow_id: str,
    state: str,
    now: datetime,
) -> None:
    """Record a follower (a repeated Follow refreshes its id and inboxes, keeps acceptance)."""
    await conn.execute(
        "INSERT INTO followers (local_actor, actor_id, follow_id, inbox, shared_inbox, state, "
        "created) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (local_actor, actor_id) DO UPDATE SET "
        "follow_id = excluded.follow_id, inbox = excluded.inbox, "
        "shared_inbox = excluded.shared_inbox, "
        "state = CASE WHEN followers.state = 'accepted' THEN 'accepted' ELSE excluded.state END",
        (local_actor, actor.id, follow_id, actor.inbox, actor.shared_inbox, state, to_db_time(now)),
    )


async def get_follower(db: Database, local_actor: str, actor_id: str) -> Row | None:
    """Return one follower row."""
    return await db.fetchone(
        "SELECT * FROM followers WHERE local_actor = ? AND actor_id = ?", (local_actor, actor_id)
    )


async def follower_state(conn: aiosqlite.Connection, local_actor: str, actor_id: str) -> str | None:
    """Return a follower's state as seen inside the current transaction."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT state FROM followers WHERE local_actor = ? AND actor_id = ?",
            (local_actor, actor_id),
        )
    )
    return str(rows[0]["state"]) if rows else None


async def get_follower_by_rowid(db: Database, rowid: int) -> Row | None:
    """Return one follower row by its row id (used by staff approval forms)."""
    return await db.fetchone("SELECT rowid, * FROM followers WHERE rowid = ?", (rowid,))


async def set_follower_state(
    conn: aiosqlite.Connection, local_actor: str, actor_id: str, state: str
) -> None:
    """Mark a pending follower accepted."""
    await conn.execute(
        "UPDATE followers SET state = ? WHERE local_actor = ? AND actor_id = ?",
        (state, local_actor, actor_id),
    )


async def delete_follower(conn: aiosqlite.Connection, local_actor: str, actor_id: str) -> bool:
    """Remove a follower; tell whether there was one."""
    cursor = await conn.execute(
        "DELETE FROM followers WHERE local_actor = ? AND actor_id = ?", (local_actor, actor_id)
    )
    return cursor.rowcount > 0


async def count_followers(db: Database, local_actor: str) -> int:
    """Count accepted followers."""
    row = await db.fetchone(
        "SELECT count(*) AS n FROM followers WHERE local_actor = ? AND state = 'accepted'",
        (local_actor,),
    )
    return int(row["n"]) if row else 0


async def list_followers(
    db: Database, local_actor: str, *, state: str = "accepted", before: str | None, limit: int
) -> list[Row]:
    """List followers newest first, keyset-paged by creation time."""
    return await db.fetchall(
        "SELECT rowid, * FROM followers WHERE local_actor = ? AND state = ? AND created < ? "
        "ORDER BY created DESC LIMIT ?",
        (local_actor, state, before or "\uffff", limit),
    )


# --- following ------------------------------------------------------------------


async def upsert_following(
    conn: aiosqlite.Connection, local_actor: str, actor_id: str, follow_id: str, now: datetime
) -> None:
    """Record an outgoing Follow as pending."""
    stamp = to_db_time(now)
    await conn.execute(
        "INSERT INTO following (local_actor, actor_id, follow_id, state, created, updated) "
        "VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT (local_actor, actor_id) DO UPDATE SET "
        "follow_id = excluded.follow_id, state = 'pending', updated = excluded.updated",
        (local_actor, actor_id, follow_id, stamp, stamp),
    )


async def set_following_state(
    conn: aiosqlite.Connection, follow_id: str, actor_id: str, state: str, now: datetime
) -> bool:
    """Settle an outgoing Follow when its target accepts or rejects it."""
    cursor = await conn.execute(
        "UPDATE following SET state = ?, updated = ? WHERE follow_id = ? AND actor_id = ?",
        (state, to_db_time(now), follow_id, actor_id),
    )
    return cursor.rowcount > 0


async def delete_following(conn: aiosqlite.Connection, local_actor: str, actor_id: str) -> None:
    """Forget an outgoing Follow."""
    await conn.execute(
        "DELETE FROM following WHERE local_actor = ? AND actor_id = ?", (local_actor, actor_id)
    )


async def get_following(db: Database, local_actor: str, actor_id: str) -> Row | None:
    """Return the outgoing Follow of a local actor towards a remote one."""
    return await db.fetchone(
        "SELECT * FROM following WHERE local_actor = ? AND actor_id = ?", (local_actor, actor_id)
    )


async def list_following(db: Database, local_actor: str) -> list[Row]:
    """List whom a local actor follows, with state and cached names."""
    return await db.fetchall(
        "SELECT f.*, a.preferred_username, a.name, a.host, a.url FROM following f "
        "LEFT JOIN remote_actors a ON a.id = f.actor_id WHERE f.local_actor = ? "
        "ORDER BY f.created DESC",
        (local_actor,),
    )


async def count_following(db: Database, local_actor: str) -> int:
    """Count accepted outgoing follows."""
    row = await db.fetchone(
        "SELECT count(*) AS n FROM following WHERE local_actor = ? AND state = 'accepted'",
        (local_actor,),
    )
    return int(row["n"]) if row else 0


# --- inbox ----------------------------------------------------------------------


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


async def list_failed_inbox(db: Database, limit: int = 50) -> list[Row]:
    """List inbound activities whose processing finally failed, for admins."""
    return await db.fetchall(
        "SELECT id, actor, type, received_at, attempts, last_error FROM inbox_activities "
        "WHERE state = 'failed' ORDER BY received_at DESC LIMIT ?",
        (limit,),
    )


# --- outbox ---------------------------------------------------------------------


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
    """Count an actor's public activities."""
    row = await db.fetchone(
        "SELECT count(*) AS n FROM outbox_activities WHERE actor = ? AND public = 1", (actor,)
    )
    return int(row["n"]) if row else 0


# --- deliveries -----------------------------------------------------------------


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


async def follower_inboxes(conn: aiosqlite.Connection, local_actor: str) -> list[str]:
    """List the distinct inboxes that reach all accepted followers (shared inbox preferred)."""
    rows = await conn.execute_fetchall(
        "SELECT DISTINCT coalesce(shared_inbox, inbox) AS target FROM followers "
        "WHERE local_actor = ? AND state = 'accepted'",
        (local_actor,),
    )
    return [r["target"] for r in rows]


async def list_due_deliveries(
    db: Database, now: datetime, limit: int, skip_hosts: Sequence[str] = ()
) -> list[Delivery]:
    """List pending deliveries whose time has come, oldest first."""
    marks = ", ".join("?" for _ in skip_hosts)
    skip = f"AND d.host NOT IN ({marks})" if skip_hosts else ""
    rows = await db.fetchall(
        "SELECT d.id, d.activity_id, d.inbox, d.host, d.attempts, o.body, o.actor, "
        "u.host IS NOT NULL AS host_unavailable "
        "FROM deliveries d JOIN outbox_activities o ON o.id = d.activity_id "
        "LEFT JOIN unavailable_hosts u ON u.host = d.host "
        f"WHERE d.state = 'pending' AND d.next_attempt_at <= ? {skip} "
        "ORDER BY d.next_attempt_at LIMIT ?",
        (to_db_time(now), *skip_hosts, limit),
    )
    return [Delivery(**dict(r)) for r in rows]


async def next_delivery_time(db: Database) -> str | None:
    """Return when the next pending delivery is due, if any."""
    row = await db.fetchone(
        "SELECT min(next_attempt_at) AS t FROM deliveries WHERE state = 'pending'"
    )
    return row["t"] if row else None


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


# --- host health ----------------------------------------------------------------


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
    await conn.execute("DELETE FROM delivery_failure_days WHERE host = ?", (host,))
    await conn.execute("DELETE FROM unavailable_hosts WHERE host = ?", (host,))


async def list_unavailable_hosts(db: Database) -> list[Row]:
    """List hosts marked unavailable."""
    return await db.fetchall("SELECT host, since FROM unavailable_hosts ORDER BY since DESC")


# --- blocks ---------------------------------------------------------------------


async def insert_blocked_domain(
    conn: aiosqlite.Connection, domain: str, reason: str, now: datetime
) -> bool:
    """Block a domain; tell whether it was new."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO blocked_domains (domain, reason, created) VALUES (?, ?, ?)",
        (domain, reason, to_db_time(now)),
    )
    return cursor.rowcount > 0


async def delete_blocked_domain(conn: aiosqlite.Connection, domain: str) -> bool:
    """Lift a domain block; tell whether there was one."""
    cursor = await conn.execute("DELETE FROM blocked_domains WHERE domain = ?", (domain,))
    return cursor.rowcount > 0


async def list_blocked_domains(db: Database) -> list[Row]:
    """List blocked domains, newest first."""
    return await db.fetchall("SELECT * FROM blocked_domains ORDER BY created DESC")


async def remove_followers_on_domain(
    conn: aiosqlite.Connection, local_actor: str, domain: str
) -> int:
    """Drop followers whose actor lives on a domain or one of its subdomains."""
    cursor = await conn.execute(
        "DELETE FROM followers WHERE local_actor = ? AND actor_id IN (SELECT id FROM "
        "remote_actors WHERE host = ? OR host LIKE ? ESCAPE '\\' OR host LIKE ? ESCAPE '\\')",
        (local_actor, domain, f"%.{_like(domain)}", f"%.{_like(domain)}:%"),
    )
    return cursor.rowcount


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- inboxes that are gone ------------------------------------------------------


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


async def release_key_id(conn: aiosqlite.Connection, key_id: str, owner_id: str) -> None:
    """Take a key id away from any other cached actor: each key has one owner (rule 4)."""
    await conn.execute(
        "UPDATE remote_actors SET key_id = NULL WHERE key_id = ? AND id != ?", (key_id, owner_id)
    )
