"""What moderators decide: the queue of submissions, replies, mentions and reports; blocks."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from federation import delivery
from federation import store as fedstore
from federation.blocks import Blocks
from federation.database import Database, Row, from_db_time
from federation.vocab import Json, ap_time, build_activity
from noticeboard import audit, store, store_participation, store_sharing
from noticeboard.config import Config
from noticeboard.posts import NoticeDraft, Provenance, plain_summary
from noticeboard.sharing import share_post
from noticeboard.urls import BoardUrls

REPLY_POLICIES = ("hold", "known", "open")
DEFAULT_REPLY_POLICY = "hold"
QUEUE_KINDS = ("submission", "reply", "mention", "report")
REASON_MAX = 1000


@dataclass(frozen=True)
class QueueItem:
    id: int
    kind: str
    ref: str
    summary: str
    state: str
    created: datetime
    reason: str | None
    decided_by: str | None
    decided: datetime | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "created": ap_time(self.created),
            "summary": self.summary,
            "state": self.state,
            "reason": self.reason,
            "decided_by": self.decided_by,
            "decided": ap_time(self.decided) if self.decided else None,
        }


def queue_item(row: Row) -> QueueItem:
    return QueueItem(
        id=row["id"],
        kind=row["kind"],
        ref=row["ref"],
        summary=row["summary"],
        state=row["state"],
        created=from_db_time(row["created"]),
        reason=row["reason"],
        decided_by=row["decided_by"],
        decided=from_db_time(row["decided"]) if row["decided"] else None,
    )


class Undecidable(ValueError):
    """The item does not exist, was decided already, or cannot take this decision."""


@dataclass(frozen=True)
class Submission:
    kind: str
    title: str
    body: str
    author_name: str
    contact: str


# --- filed by the inbox (inside its transaction) ---------------------------------------


async def reply_policy(db: Database) -> str:
    value = await store.get_setting(db, "reply_policy")
    return value if value in REPLY_POLICIES else DEFAULT_REPLY_POLICY


async def file_reply(
    conn: aiosqlite.Connection, post_id: str, notice_id: int, shown: bool, now: datetime
) -> None:
    """Attach a stored reply to its notice: shown at once, or held in the queue."""
    await store_participation.set_remote_post_role(
        conn, post_id, "reply", notice_id, "shown" if shown else "held"
    )
    if not shown:
        summary = await _post_summary(conn, post_id)
        await store_participation.insert_item(conn, "reply", post_id, summary, now)


async def file_mention(conn: aiosqlite.Connection, post_id: str, now: datetime) -> None:
    """A public post that mentions the board: it waits until staff share or reject it."""
    await store_participation.set_remote_post_role(conn, post_id, "mention", None, "held")
    summary = await _post_summary(conn, post_id)
    await store_participation.insert_item(conn, "mention", post_id, summary, now)


async def file_report(
    conn: aiosqlite.Connection,
    activity_id: str,
    reporter: str,
    objects: Sequence[str],
    comment: str,
    now: datetime,
) -> None:
    """An incoming Flag: stored with its comment and the reported objects, and queued."""
    report_id = await store_participation.insert_report(
        conn,
        incoming=True,
        activity_id=activity_id,
        reporter=reporter,
        target_actor=None,
        objects=objects,
        comment=comment,
        now=now,
    )
    if report_id is not None:
        summary = plain_summary(comment) or objects[0]  # a report without a comment: what
        await store_participation.insert_item(conn, "report", str(report_id), summary, now)


async def _post_summary(conn: aiosqlite.Connection, post_id: str) -> str:
    post = await store_sharing.post_in(conn, post_id)
    if post is None:
        return post_id
    return plain_summary(post["name"] or post["content_html"]) or post_id


# --- what staff do ------------------------------------------------------------------------


class ModerationActions:
    """The moderation use cases of a Board (mixed into it, like the notice use cases)."""

    config: Config
    db: Database
    urls: BoardUrls
    clock: Callable[[], datetime]
    wake_delivery: Callable[[], None]
    blocks: Blocks

    _publish_in: Callable[..., Awaitable[tuple[int, int]]]  # from NoticeActions

    async def set_reply_policy(self, policy: str) -> bool:
        if policy not in REPLY_POLICIES:
            return False
        async with self.db.transaction() as conn:
            await store.set_setting(conn, "reply_policy", policy)
            await audit.record(conn, "settings.reply_policy", policy, self.clock())
        return True

    async def submit(self, submission: Submission) -> int:
        """Queue a resident's web submission; return the queue item's number."""
        now = self.clock()
        async with self.db.transaction() as conn:
            submission_id = await store_participation.insert_submission(
                conn,
                kind=submission.kind,
                title=submission.title,
                body_md=submission.body,
                author_name=submission.author_name,
                contact=submission.contact,
                now=now,
            )
            item = await store_participation.insert_item(
                conn, "submission", str(submission_id), submission.title, now
            )
        return item or 0

    async def queue(self, state: str = "pending", kind: str | None = None) -> list[QueueItem]:
        rows = await store_participation.list_items(self.db, state, kind=kind)
        return [queue_item(r) for r in rows]

    async def queue_entry(self, item_id: int) -> QueueItem | None:
        row = await store_participation.get_item(self.db, item_id)
        return queue_item(row) if row else None

    async def edit_submission(self, item_id: int, draft: NoticeDraft) -> None:
        """Correct a waiting submission before it is published (type, title, text)."""
        item = await self._pending(item_id, "submission")
        async with self.db.transaction() as conn:
            await store_participation.update_submission(
                conn, int(item.ref), draft.kind, draft.title, draft.body
            )
            await store_participation.update_item_summary(conn, item_id, draft.title)
            await audit.record(conn, "submission.edit", f"#{item_id}", self.clock())

    async def approve(
        self, item_id: int, reason: str = "", draft: NoticeDraft | None = None
    ) -> int:
        """Approve a queue item; returns the published notice's number where there is one."""
        item = await self._pending(item_id)
        now = self.clock()
        notice_id = 0
        async with self.db.transaction() as conn:
            if not await store_participation.decide_item(
                conn, item_id, "approved", reason[:REASON_MAX], audit.acting(), now
            ):
                raise Undecidable("this item has been decided already")
            if item.kind == "submission":
                notice_id = await self._publish_submission(conn, int(item.ref), draft)
            elif item.kind == "reply":
                await store_participation.set_remote_post_state(conn, item.ref, "shown")
            elif item.kind == "mention":
                notice_id = await self._share_mention(conn, item.ref, now)
            await audit.record(conn, f"{item.kind}.approve", f"#{item_id}", now, reason)
        self.wake_delivery()
        return notice_id

    async def reject(self, item_id: int, reason: str) -> None:
        """Reject a queue item: nothing is published or sent; the reason is kept."""
        item = await self._pending(item_id)
        now = self.clock()
        async with self.db.transaction() as conn:
            if not await store_participation.decide_item(
                conn, item_id, "rejected", reason[:REASON_MAX], audit.acting(), now
            ):
                raise Undecidable("this item has been decided already")
            if item.kind in ("reply", "mention"):
                await store_participation.set_remote_post_state(conn, item.ref, "rejected")
            await audit.record(conn, f"{item.kind}.reject", f"#{item_id}", now, reason)

    async def _pending(self, item_id: int, kind: str | None = None) -> QueueItem:
        item = await self.queue_entry(item_id)
        if item is None or (kind is not None and item.kind != kind):
            raise Undecidable("there is no such item in the queue")
        if item.state != "pending":
            raise Undecidable("this item has been decided already")
        return item

    async def _publish_submission(
        self, conn: aiosqlite.Connection, submission_id: int, draft: NoticeDraft | None
    ) -> int:
        row = await store_participation.submission_in(conn, submission_id)
        draft = draft or NoticeDraft(
            title=row["title"], body=row["body_md"], category=None, kind=row["kind"]
        )
        provenance = Provenance(origin="submission", submitted_by=row["author_name"] or "")
        notice_id, _ = await self._publish_in(conn, draft, None, provenance)
        await store_participation.set_submission_notice(conn, submission_id, notice_id)
        return notice_id

    async def _share_mention(self, conn: aiosqlite.Connection, post_id: str, now: datetime) -> int:
        """Put a mention on the board and Announce it by id (Mastodon fetches the original)."""
        post = await store_sharing.post_in(conn, post_id)
        if post is None or post["deleted"]:
            raise Undecidable("the author has deleted this post")
        return await share_post(conn, self.urls, post, now)

    async def hide_reply(self, post_id: str, reason: str = "") -> None:
        """Take a shown reply off the board (its author's server is not told)."""
        async with self.db.transaction() as conn:
            await store_participation.set_remote_post_state(conn, post_id, "rejected")
            await audit.record(conn, "reply.hide", post_id, self.clock(), reason)

    # --- reports ----------------------------------------------------------------------

    async def report(
        self, actor: fedstore.RemoteActorRow, object_ids: Sequence[str], comment: str, forward: bool
    ) -> int:
        """Record a report on a remote account and its posts; with `forward`, tell its server.

        The reported posts are hidden at once. Forwarding sends a Flag from the server's
        instance actor, as Mastodon does, so the reporting staff member stays anonymous.
        """
        now = self.clock()
        objects = [actor.id, *object_ids]
        async with self.db.transaction() as conn:
            report_id = await store_participation.insert_report(
                conn,
                incoming=False,
                activity_id=None,
                reporter=audit.acting(),
                target_actor=actor.id,
                objects=objects,
                comment=comment,
                now=now,
            )
            assert report_id is not None
            for post_id in object_ids:
                await store_participation.set_remote_post_state(conn, post_id, "rejected")
            if forward:
                await self._send_flag(conn, report_id, actor, objects, comment, now)
            await audit.record(conn, "report.create", actor.id, now, comment)
        self.wake_delivery()
        return report_id

    async def forward_report(self, report_id: int, actor: fedstore.RemoteActorRow) -> bool:
        """Forward a received report about a remote account to that account's server."""
        row = await store_participation.get_report(self.db, report_id)
        if row is None or row["forwarded"]:
            return False
        objects = [o for o in json.loads(row["objects"]) if isinstance(o, str)]
        now = self.clock()
        async with self.db.transaction() as conn:
            await self._send_flag(conn, report_id, actor, objects, row["comment"], now)
            await audit.record(conn, "report.forward", actor.id, now)
        self.wake_delivery()
        return True

    async def _send_flag(
        self,
        conn: aiosqlite.Connection,
        report_id: int,
        actor: fedstore.RemoteActorRow,
        objects: Sequence[str],
        comment: str,
        now: datetime,
    ) -> None:
        flag: Json = build_activity(
            "Flag",
            self.urls.new_activity(),
            self.urls.instance_actor,
            list(objects),
            to=[actor.id],
        )
        flag["content"] = comment
        await delivery.enqueue(conn, flag, [actor.shared_inbox or actor.inbox], now, public=False)
        await store_participation.set_report_forwarded(conn, report_id, now)

    # --- blocks -----------------------------------------------------------------------

    async def block_actor(self, actor_id: str, reason: str = "") -> bool:
        """Block one account: refused from now on, no longer a follower, its posts hidden."""
        now = self.clock()
        async with self.db.transaction() as conn:
            if not await fedstore.insert_blocked_actor(conn, actor_id, reason, now):
                return False
            await fedstore.delete_follower(conn, self.urls.actor, actor_id)
            await store_participation.hide_posts_of_actor(conn, actor_id)
            await audit.record(conn, "block.actor", actor_id, now, reason)
        return True

    async def unblock_actor(self, actor_id: str) -> bool:
        async with self.db.transaction() as conn:
            if not await fedstore.delete_blocked_actor(conn, actor_id):
                return False
            await audit.record(conn, "unblock.actor", actor_id, self.clock())
        return True

    async def block_domain(self, domain: str, reason: str = "") -> int | None:
        """Block a domain and its subdomains; drop their followers. None if already blocked."""
        now = self.clock()
        async with self.db.transaction() as conn:
            if not await fedstore.insert_blocked_domain(conn, domain, reason, now):
                return None
            removed = await fedstore.remove_followers_on_domain(conn, self.urls.actor, domain)
            await audit.record(conn, "block.domain", domain, now, reason)
            return removed

    async def unblock_domain(self, domain: str) -> bool:
        """Lift a domain block."""
        async with self.db.transaction() as conn:
            if not await fedstore.delete_blocked_domain(conn, domain):
                return False
            await audit.record(conn, "unblock.domain", domain, self.clock())
            return True

    async def set_limited_federation(self, limited: bool) -> None:
        """Switch limited federation: only allowed servers may talk to the board."""
        async with self.db.transaction() as conn:
            await fedstore.set_limited(conn, limited)
            await audit.record(conn, "federation.limited", "on" if limited else "off", self.clock())

    async def allow_domain(self, domain: str) -> bool:
        async with self.db.transaction() as conn:
            if not await fedstore.insert_allowed_domain(conn, domain, self.clock()):
                return False
            await audit.record(conn, "allow.domain", domain, self.clock())
            return True

    async def disallow_domain(self, domain: str) -> bool:
        async with self.db.transaction() as conn:
            if not await fedstore.delete_allowed_domain(conn, domain):
                return False
            await audit.record(conn, "disallow.domain", domain, self.clock())
            return True
