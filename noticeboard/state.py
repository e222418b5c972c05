"""The board's explicit state: built once, then handed to every use case and query.

`BoardState` holds what the use cases need — configuration, database, addresses, keys, clock
and the outbox — and nothing is patched in later. The server builds it with an outbox that wakes
its delivery worker; the command line builds it with one that does not (the serving process
picks the queued deliveries up on its next poll, within a second).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import aiosqlite

from federation import delivery
from federation import store as fedstore
from federation.blocks import Blocks
from federation.database import MIGRATION_DIR as FEDERATION_MIGRATIONS
from federation.database import Database, SchemaTooNew, from_db_time, to_db_time, utcnow
from federation.delivery import SigningKey
from federation.keys import (
    generate_private_key,
    load_private_key,
    private_key_to_pem,
    public_key_to_pem,
)
from federation.store import LocalKey
from federation.vocab import Json
from noticeboard import store
from noticeboard.accounts import passwords
from noticeboard.accounts import store as accounts_store
from noticeboard.config import Config
from noticeboard.urls import BoardUrls

Clock = Callable[[], datetime]
Wake = Callable[[], None]
BOARD_MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATIONS = (("federation", FEDERATION_MIGRATIONS), ("noticeboard", BOARD_MIGRATIONS))


class BoardNotInitialised(RuntimeError):
    """The data folder or database is missing or incomplete, or too new for this code."""


def _no_wake() -> None:
    """Nothing to wake: no worker runs in this process (the command line)."""


@dataclass(frozen=True)
class Outbox:
    """Queues activities as persisted deliveries inside the caller's transaction.

    `wake` is fixed at construction: the server's delivery worker, or a no-op where no worker
    runs in the process. Use cases call it after their transaction has committed.
    """

    actor: str
    wake: Wake = _no_wake

    async def send(
        self,
        conn: aiosqlite.Connection,
        activity: Json,
        inboxes: Iterable[str],
        now: datetime,
        *,
        public: bool = True,
    ) -> int:
        """Queue one delivery per (deduplicated) inbox; return how many were queued."""
        return await delivery.enqueue(conn, activity, list(inboxes), now, public=public)

    async def send_to_followers(
        self, conn: aiosqlite.Connection, activity: Json, now: datetime
    ) -> int:
        """Queue an activity for every accepted follower (one row per shared inbox)."""
        return await delivery.enqueue_to_followers(conn, activity, self.actor, now)

    async def send_to_followers_of(
        self, conn: aiosqlite.Connection, actor: str, activity: Json, now: datetime
    ) -> int:
        """Queue an activity of another local actor (a group) for that actor's followers."""
        return await delivery.enqueue_to_followers(conn, activity, actor, now)


class SigningKeys(Mapping[str, SigningKey]):
    """The board's private keys by actor, each parsed when it is first used.

    Parsing a 2048-bit key checks it, which costs ~40 ms of CPU; no page needs the keys,
    so a starting server answers its first page without paying for them. A missing key is
    still found when the board is opened."""

    def __init__(self, stored: Iterable[LocalKey] = ()) -> None:
        self._stored = {key.actor_id: key for key in stored}
        self._parsed: dict[str, SigningKey] = {}

    def __getitem__(self, actor: str) -> SigningKey:
        parsed = self._parsed.get(actor)
        if parsed is None:
            stored = self._stored[actor]
            parsed = SigningKey(stored.key_id, load_private_key(stored.private_pem))
            self._parsed[actor] = parsed
        return parsed

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)

    def parsed(self) -> list[str]:
        """The actors whose keys have been parsed so far."""
        return list(self._parsed)


@dataclass(frozen=True)
class Keys:
    """The board's signing keys (board actor and server actor) and their public PEMs."""

    signing: SigningKeys = field(default_factory=SigningKeys)
    public_pems: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BoardState:
    """One board: everything its use cases and queries need, built once."""

    config: Config
    db: Database
    urls: BoardUrls
    keys: Keys
    clock: Clock
    outbox: Outbox
    blocks: Blocks
    wake_inbox: Wake = _no_wake  # asks a running inbox loop to look for due activities

    def with_wakes(self, delivery: Wake, inbox: Wake) -> BoardState:
        """The same board with an outbox that wakes a running delivery worker, and the inbox."""
        return replace(self, outbox=Outbox(self.urls.actor, wake=delivery), wake_inbox=inbox)

    async def close(self) -> None:
        await self.db.close()


async def open_state(config: Config, clock: Clock = utcnow) -> BoardState:
    """Connect to an initialised board's database and load its keys once."""
    if not config.db_path.exists():
        raise BoardNotInitialised(
            f"no database at {config.db_path}: run 'aushang init --instance FILE' first"
        )
    db = Database(config.db_path)
    await db.connect()
    try:
        await _migrate(db)
        urls = BoardUrls(config.base_url, config.username)
        keys = await _load_keys(db, urls)
    except BaseException:
        await db.close()
        raise
    blocks = Blocks(db, own_host=config.host)
    return BoardState(config, db, urls, keys, clock, Outbox(urls.actor), blocks)


async def _migrate(db: Database) -> list[str]:
    try:
        return await db.migrate(MIGRATIONS)
    except SchemaTooNew as exc:
        raise BoardNotInitialised(str(exc)) from exc


async def _load_keys(db: Database, urls: BoardUrls) -> Keys:
    stored = []
    for actor in (urls.actor, urls.instance_actor):
        key = await fedstore.get_local_key(db, actor)
        if key is None:
            raise BoardNotInitialised(
                f"no key for {actor}: run 'aushang init' (did base_url change since?)"
            )
        stored.append(key)
    return Keys(SigningKeys(stored), {key.actor_id: key.public_pem for key in stored})


async def session_secret(db: Database) -> str:
    secret = await store.get_setting(db, "session_secret")
    if secret is None:
        raise BoardNotInitialised("no session secret: run 'aushang init' first")
    return secret


async def created(state: BoardState) -> datetime:
    """When the board was set up (the actor's `published`)."""
    row = await store.get_setting(state.db, "created")
    return from_db_time(row) if row else state.clock()


# --- setting a board up ----------------------------------------------------------------------


@dataclass(frozen=True)
class InitResult:
    created_admin: str | None
    admin_password: str | None
    migrations: list[str]
    owners: list[str] = field(default_factory=list)


async def initialise(
    config: Config, admin_password: str | None, clock: Clock = utcnow, *, admin: str = ""
) -> InitResult:
    """Create the data folder, database, keys, secrets and first admin; safe to run again.

    The first account takes the name given (`aushang init --admin NAME`), else
    `staff.first_owner` of the configuration, else a made-up one: a name nobody can guess is
    half of what an attacker needs (rule 46).
    """
    try:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(config.data_dir, 0o700)
    except OSError as exc:
        raise BoardNotInitialised(
            f"cannot create the data folder {config.data_dir}: {exc.strerror or exc}"
        ) from exc
    db = Database(config.db_path)
    await db.connect()
    try:
        applied = await _migrate(db)
        urls = BoardUrls(config.base_url, config.username)
        now = clock()
        await _ensure_keys(db, urls, now)
        async with db.transaction() as conn:
            await store.insert_setting_once(conn, "session_secret", secrets.token_urlsafe(48))
            await store.insert_setting_once(conn, "created", to_db_time(now))
        name = admin or config.staff.first_owner or passwords.generate_username()
        created_admin, password = await _ensure_admin(db, name, admin_password, now)
        owners = [
            r["username"]
            for r in await accounts_store.list_staff(db)
            if r["role"] == "owner" and r["active"]
        ]
    finally:
        await db.close()
    return InitResult(created_admin, password, applied, owners)


async def _ensure_keys(db: Database, urls: BoardUrls, now: datetime) -> None:
    for actor, key_id in ((urls.actor, urls.key_id), (urls.instance_actor, urls.instance_key_id)):
        if await fedstore.get_local_key(db, actor):
            continue
        key = generate_private_key()
        pair = LocalKey(actor, key_id, private_key_to_pem(key), public_key_to_pem(key))
        async with db.transaction() as conn:
            await fedstore.insert_local_key(conn, pair, now)


async def _ensure_admin(
    db: Database, name: str, password: str | None, now: datetime
) -> tuple[str | None, str | None]:
    if await accounts_store.count_staff(db):
        return None, None
    generated = None
    if not password:
        password = generated = passwords.generate_password()
    async with db.transaction() as conn:
        await accounts_store.insert_staff(
            conn, name, passwords.hash_password(password), "owner", now
        )
    return name, generated
