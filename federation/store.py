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


async def get_remote_actor_in(conn: aiosqlite.Connection, actor_id: str) -> RemoteActorRow | None:
    """Return a cached remote actor, read inside the caller's transaction."""
    rows = list(
        await conn.execute_fetchall("SELECT * FROM remote_actors WHERE id = ?", (actor_id,))
    )
    return RemoteActorRow(**dict(rows[0])) if rows else None


async def remote_actors_by_id(
    db: Database | aiosqlite.Connection, actor_ids: Iterable[str]
) -> dict[str, RemoteActorRow]:
    """Return the cached remote actors among the ids, in one query (inside a transaction too)."""
    ids = list(dict.fromkeys(actor_ids))
    if not ids:
        return {}
    sql = f"SELECT * FROM remote_actors WHERE id IN ({', '.join('?' * len(ids))})"
    if isinstance(db, Database):
        rows = db.lookup(sql, ids)
    else:
        rows = list(await db.execute_fetchall(sql, ids))
    return {row["id"]: RemoteActorRow(**dict(row)) for row in rows}


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


# --- deliveries -----------------------------------------------------------------


async def follower_inboxes(conn: aiosqlite.Connection, local_actor: str) -> list[str]:
    """List the distinct inboxes that reach all accepted followers (shared inbox preferred)."""
    rows = await conn.execute_fetchall(
        "SELECT DISTINCT coalesce(shared_inbox, inbox) AS target FROM followers "
        "WHERE local_actor = ? AND state = 'accepted'",
        (local_actor,),
    )
    return [r["target"] for r in rows]


async def is_known(db: Database, local_actor: str, actor_id: str, host: str) -> bool:
    """Whether an actor follows us, or its server hosts a follower or an account we follow."""
    row = await db.fetchone(
        "SELECT 1 FROM followers f LEFT JOIN remote_actors a ON a.id = f.actor_id "
        "WHERE f.local_actor = ? AND f.state = 'accepted' AND (f.actor_id = ? OR a.host = ?) "
        "UNION ALL SELECT 1 FROM following g JOIN remote_actors a ON a.id = g.actor_id "
        "WHERE g.local_actor = ? AND g.state = 'accepted' AND a.host = ? LIMIT 1",
        (local_actor, actor_id, host, local_actor, host),
    )
    return row is not None


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


async def insert_blocked_actor(
    conn: aiosqlite.Connection, actor_id: str, reason: str, now: datetime
) -> bool:
    """Block one account; tell whether it was new."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO blocked_actors (actor_id, reason, created) VALUES (?, ?, ?)",
        (actor_id, reason, to_db_time(now)),
    )
    return cursor.rowcount > 0


async def delete_blocked_actor(conn: aiosqlite.Connection, actor_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM blocked_actors WHERE actor_id = ?", (actor_id,))
    return cursor.rowcount > 0


async def list_blocked_actors(db: Database) -> list[Row]:
    """Blocked accounts with what is cached of them, newest first."""
    return await db.fetchall(
        "SELECT b.*, a.preferred_username, a.host, a.name FROM blocked_actors b "
        "LEFT JOIN remote_actors a ON a.id = b.actor_id ORDER BY b.created DESC"
    )


async def blocked_actor_ids(db: Database) -> list[str]:
    """Return the ids of all blocked accounts."""
    return [row["actor_id"] for row in db.lookup("SELECT actor_id FROM blocked_actors")]


async def insert_allowed_domain(conn: aiosqlite.Connection, domain: str, now: datetime) -> bool:
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO allowed_domains (domain, created) VALUES (?, ?)",
        (domain, to_db_time(now)),
    )
    return cursor.rowcount > 0


async def delete_allowed_domain(conn: aiosqlite.Connection, domain: str) -> bool:
    cursor = await conn.execute("DELETE FROM allowed_domains WHERE domain = ?", (domain,))
    return cursor.rowcount > 0


async def list_allowed_domains(db: Database) -> list[Row]:
    return await db.fetchall("SELECT * FROM allowed_domains ORDER BY domain")


@dataclass(frozen=True)
class BlockLists:
    """What a block check needs, read at once: blocked domains and accounts, and whether
    federation is limited and to which domains."""

    blocked_domains: tuple[str, ...]
    limited: bool
    allowed_domains: tuple[str, ...]
    blocked_actors: frozenset[str]


def block_generation(db: Database) -> int:
    """The number that moves with every change of the block lists (kept by triggers)."""
    row = db.lookup_one("SELECT n FROM block_generation WHERE id = 1")
    return int(row["n"]) if row else 0


async def block_lists(db: Database) -> BlockLists:
    """Read all block lists in one query."""
    rows = await db.fetchall(
        "SELECT 'blocked' AS list, domain AS value FROM blocked_domains "
        "UNION ALL SELECT 'limited', NULL FROM federation_policy WHERE id = 1 AND limited "
        "UNION ALL SELECT 'allowed', domain FROM allowed_domains "
        "UNION ALL SELECT 'actor', actor_id FROM blocked_actors"
    )
    found: dict[str, list[str]] = {"blocked": [], "limited": [], "allowed": [], "actor": []}
    for row in rows:
        found[row["list"]].append(row["value"])
    return BlockLists(
        tuple(found["blocked"]),
        bool(found["limited"]),
        tuple(found["allowed"]),
        frozenset(found["actor"]),
    )


async def is_limited(db: Database) -> bool:
    """Whether only allowed domains may federate ("limited federation")."""
    row = await db.fetchone("SELECT limited FROM federation_policy WHERE id = 1")
    return bool(row and row["limited"])


async def set_limited(conn: aiosqlite.Connection, limited: bool) -> None:
    await conn.execute("UPDATE federation_policy SET limited = ? WHERE id = 1", (int(limited),))


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


async def forget_relationships(conn: aiosqlite.Connection, local_actor: str) -> None:
    """Drop every follower and followed account of a local actor that was deleted."""
    await conn.execute("DELETE FROM followers WHERE local_actor = ?", (local_actor,))
    await conn.execute("DELETE FROM following WHERE local_actor = ?", (local_actor,))


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def release_key_id(conn: aiosqlite.Connection, key_id: str, owner_id: str) -> None:
    """Take a key id away from any other cached actor: each key has one owner (rule 4)."""
    await conn.execute(
        "UPDATE remote_actors SET key_id = NULL WHERE key_id = ? AND id != ?", (key_id, owner_id)
    )


@dataclass(frozen=True)
class RemoteKey:
    id: str
    actor_id: str
    public_key_pem: str


async def replace_remote_keys(
    conn: aiosqlite.Connection, actor_id: str, keys: Sequence[RemoteKey]
) -> None:
    """Store the keys an actor lists now; each key id has one owner (rule 4)."""
    await conn.execute("DELETE FROM remote_keys WHERE actor_id = ?", (actor_id,))
    await conn.executemany(
        "INSERT OR REPLACE INTO remote_keys (id, actor_id, public_key_pem) VALUES (?, ?, ?)",
        [(k.id, actor_id, k.public_key_pem) for k in keys],
    )


async def get_remote_key(db: Database, key_id: str) -> RemoteKey | None:
    """Return a cached remote key by its own id."""
    row = await db.fetchone("SELECT * FROM remote_keys WHERE id = ?", (key_id,))
    return RemoteKey(**dict(row)) if row else None


async def get_remote_key_and_owner(
    db: Database, key_id: str
) -> tuple[RemoteKey, RemoteActorRow | None] | None:
    """Return a cached remote key by its own id and its cached owner, in one query."""
    row = db.lookup_one(
        "SELECT k.id AS key_id_, k.actor_id AS key_actor_, k.public_key_pem AS key_pem_, a.* "
        "FROM remote_keys k LEFT JOIN remote_actors a ON a.id = k.actor_id WHERE k.id = ?",
        (key_id,),
    )
    if row is None:
        return None
    key = RemoteKey(row["key_id_"], row["key_actor_"], row["key_pem_"])
    if row["id"] is None:
        return key, None
    actor = {name: row[name] for name in RemoteActorRow.__dataclass_fields__}
    return key, RemoteActorRow(**actor)


async def list_remote_keys(db: Database, actor_id: str) -> list[RemoteKey]:
    """Return every cached key of a remote actor."""
    rows = await db.fetchall(
        "SELECT * FROM remote_keys WHERE actor_id = ? ORDER BY id", (actor_id,)
    )
    return [RemoteKey(**dict(row)) for row in rows]


async def count_followers_and_servers(db: Database, local_actor: str) -> tuple[int, int]:
    """Count a local actor's accepted followers and the servers they are on."""
    row = await db.fetchone(
        "SELECT count(*) AS followers, count(DISTINCT a.host) AS servers FROM followers f "
        "LEFT JOIN remote_actors a ON a.id = f.actor_id "
        "WHERE f.local_actor = ? AND f.state = 'accepted'",
        (local_actor,),
    )
    return (int(row["followers"]), int(row["servers"])) if row else (0, 0)


async def followers_by_server(db: Database, local_actor: str) -> list[Row]:
    """List how many accepted followers a local actor has on each server, most first."""
    return await db.fetchall(
        "SELECT coalesce(a.host, '?') AS host, count(*) AS followers FROM followers f "
        "LEFT JOIN remote_actors a ON a.id = f.actor_id "
        "WHERE f.local_actor = ? AND f.state = 'accepted' "
        "GROUP BY a.host ORDER BY followers DESC, host",
        (local_actor,),
    )
