"""The board's use cases, shared by the web interface and the command line."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from federation import delivery, queue_store
from federation import store as fedstore
from federation.blocks import Blocks
from federation.database import MIGRATION_DIR as FEDERATION_MIGRATIONS
from federation.database import Database, from_db_time, to_db_time, utcnow
from federation.delivery import SigningKey
from federation.keys import (
    generate_private_key,
    load_private_key,
    private_key_to_pem,
    public_key_to_pem,
)
from federation.store import LocalKey
from federation.vocab import build_accept, build_activity, build_undo
from noticeboard import audit, auth, store
from noticeboard.accounts import AccountActions
from noticeboard.config import Config
from noticeboard.moderation import ModerationActions
from noticeboard.notices import NoticeActions
from noticeboard.sharing import SharingActions
from noticeboard.urls import BoardUrls

Clock = Callable[[], datetime]
BOARD_MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATIONS = (("federation", FEDERATION_MIGRATIONS), ("noticeboard", BOARD_MIGRATIONS))


@dataclass(frozen=True)
class InitResult:
    created_admin: str | None
    admin_password: str | None
    migrations: list[str]


class Board(NoticeActions, ModerationActions, AccountActions, SharingActions):
    """One board: its configuration, database, keys and what staff can do."""

    def __init__(self, config: Config, db: Database, clock: Clock = utcnow) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.urls = BoardUrls(config.base_url, config.username)
        self.keys: dict[str, SigningKey] = {}
        self.public_pems: dict[str, str] = {}
        self.wake_delivery: Callable[[], None] = lambda: None
        self.wake_inbox: Callable[[], None] = lambda: None
        self.blocks = Blocks(db, own_host=config.host)

    @classmethod
    async def open(cls, config: Config, clock: Clock = utcnow) -> Board:
        """Connect to an initialised board's database and load its keys once."""
        if not config.db_path.exists():
            raise BoardNotInitialised(
                f"no database at {config.db_path}: run 'aushang init --instance FILE' first"
            )
        db = Database(config.db_path)
        await db.connect()
        board = cls(config, db, clock)
        try:
            await db.migrate(MIGRATIONS)
            await board._load_keys()
        except BaseException:
            await db.close()
            raise
        return board

    async def close(self) -> None:
        await self.db.close()

    async def _load_keys(self) -> None:
        for actor in (self.urls.actor, self.urls.instance_actor):
            key = await fedstore.get_local_key(self.db, actor)
            if key is None:
                raise BoardNotInitialised(
                    f"no key for {actor}: run 'aushang init' (did base_url change since?)"
                )
            self.keys[actor] = SigningKey(key.key_id, load_private_key(key.private_pem))
            self.public_pems[actor] = key.public_pem

    async def session_secret(self) -> str:
        secret = await store.get_setting(self.db, "session_secret")
        if secret is None:
            raise BoardNotInitialised("no session secret: run 'aushang init' first")
        return secret

    async def created(self) -> datetime:
        row = await store.get_setting(self.db, "created")
        return from_db_time(row) if row else self.clock()

    # --- followers and following ------------------------------------------------

    async def approve_follower(self, actor_id: str) -> bool:
        """Accept a pending follow request (boards that approve followers)."""
        row = await fedstore.get_follower(self.db, self.urls.actor, actor_id)
        if row is None or row["state"] != "pending":
            return False
        follow = {
            "id": row["follow_id"],
            "type": "Follow",
            "actor": actor_id,
            "object": self.urls.actor,
        }
        accept = build_accept(self.urls.new_activity(), self.urls.actor, follow)
        async with self.db.transaction() as conn:
            await fedstore.set_follower_state(conn, self.urls.actor, actor_id, "accepted")
            await delivery.enqueue(conn, accept, [row["inbox"]], self.clock(), public=False)
            await audit.record(conn, "follower.approve", actor_id, self.clock())
        self.wake_delivery()
        return True

    async def reject_follower(self, actor_id: str) -> bool:
        """Refuse a pending follow request with a Reject."""
        row = await fedstore.get_follower(self.db, self.urls.actor, actor_id)
        if row is None:
            return False
        follow = {
            "id": row["follow_id"],
            "type": "Follow",
            "actor": actor_id,
            "object": self.urls.actor,
        }
        reject = build_activity(
            "Reject", self.urls.new_activity(), self.urls.actor, follow, to=[actor_id]
        )
        async with self.db.transaction() as conn:
            await fedstore.delete_follower(conn, self.urls.actor, actor_id)
            await delivery.enqueue(conn, reject, [row["inbox"]], self.clock(), public=False)
            await audit.record(conn, "follower.reject", actor_id, self.clock())
        self.wake_delivery()
        return True

    async def follow(self, actor: fedstore.RemoteActorRow) -> str:
        """Queue a Follow of a resolved remote actor; the state stays pending until Accept."""
        follow_id = self.urls.new_activity()
        follow = build_activity("Follow", follow_id, self.urls.actor, actor.id, to=[actor.id])
        async with self.db.transaction() as conn:
            await fedstore.upsert_following(
                conn, self.urls.actor, actor.id, follow_id, self.clock()
            )
            await delivery.enqueue(conn, follow, [actor.inbox], self.clock(), public=False)
            await audit.record(conn, "following.follow", actor.id, self.clock())
        self.wake_delivery()
        return follow_id

    async def unfollow(self, actor: fedstore.RemoteActorRow) -> bool:
        """Send Undo{Follow} and forget the follow."""
        row = await fedstore.get_following(self.db, self.urls.actor, actor.id)
        if row is None:
            return False
        follow = {
            "id": row["follow_id"],
            "type": "Follow",
            "actor": self.urls.actor,
            "object": actor.id,
        }
        undo = build_undo(self.urls.new_activity(), self.urls.actor, follow, to=[actor.id])
        async with self.db.transaction() as conn:
            await fedstore.delete_following(conn, self.urls.actor, actor.id)
            await delivery.enqueue(conn, undo, [actor.inbox], self.clock(), public=False)
            await audit.record(conn, "following.unfollow", actor.id, self.clock())
        self.wake_delivery()
        return True

    # --- what did not work ---------------------------------------------------------

    async def retry_delivery(self, delivery_id: int) -> bool:
        """Send a failed or given-up delivery again, with a fresh retry schedule."""
        async with self.db.transaction() as conn:
            done = await queue_store.retry_delivery(conn, delivery_id, self.clock())
            if done:
                await audit.record(conn, "delivery.retry", str(delivery_id), self.clock())
        self.wake_delivery()
        return done

    async def retry_inbox_activity(self, activity_id: str) -> bool:
        """Process an inbound activity again whose processing finally failed."""
        async with self.db.transaction() as conn:
            done = await queue_store.retry_inbox_activity(conn, activity_id, self.clock())
            if done:
                await audit.record(conn, "inbox.retry", activity_id, self.clock())
        self.wake_inbox()
        return done


class BoardNotInitialised(RuntimeError):
    """The data folder or database is missing or incomplete."""


async def initialise(
    config: Config, admin_password: str | None, clock: Clock = utcnow
) -> InitResult:
    """Create the data folder, database, keys, secrets and first admin; safe to run again."""
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
        applied = await db.migrate(MIGRATIONS)
        urls = BoardUrls(config.base_url, config.username)
        now = clock()
        await _ensure_keys(db, urls, now)
        async with db.transaction() as conn:
            await store.insert_setting_once(conn, "session_secret", secrets.token_urlsafe(48))
            await store.insert_setting_once(conn, "created", to_db_time(now))
        created, password = await _ensure_admin(db, admin_password, now)
    finally:
        await db.close()
    return InitResult(created, password, applied)


async def _ensure_keys(db: Database, urls: BoardUrls, now: datetime) -> None:
    for actor, key_id in ((urls.actor, urls.key_id), (urls.instance_actor, urls.instance_key_id)):
        if await fedstore.get_local_key(db, actor):
            continue
        key = generate_private_key()
        pair = LocalKey(actor, key_id, private_key_to_pem(key), public_key_to_pem(key))
        async with db.transaction() as conn:
            await fedstore.insert_local_key(conn, pair, now)


async def _ensure_admin(
    db: Database, password: str | None, now: datetime
) -> tuple[str | None, str | None]:
    if await store.count_staff(db):
        return None, None
    generated = None
    if not password:
        password = generated = auth.generate_password()
    async with db.transaction() as conn:
        await store.insert_staff(conn, "admin", auth.hash_password(password), "owner", now)
    return "admin", generated
