"""What staff do with notices: publish, edit, delete, pin, mark done, and expiry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from federation import delivery
from federation import store as fedstore
from federation.database import Database, Row, from_db_time
from federation.vocab import PUBLIC, Json, build_activity
from noticeboard import audit, store, store_polls
from noticeboard.config import Config
from noticeboard.kinds import get_kind
from noticeboard.media import MAX_IMAGES, StoredImage
from noticeboard.notes import create_activity, notice_to_note, update_activity
from noticeboard.polls import new_codes, poll_state
from noticeboard.posts import NoticeDraft, Provenance, render_markdown
from noticeboard.sharing import undo_announce
from noticeboard.urls import BoardUrls


@dataclass(frozen=True)
class Published:
    notice_id: int
    url: str
    followers: int
    inboxes: int


class NoticeActions:
    """The notice use cases of a Board (mixed into it; they share its database and clock)."""

    config: Config
    db: Database
    urls: BoardUrls
    clock: Callable[[], datetime]
    wake_delivery: Callable[[], None]

    async def publish_notice(
        self,
        draft: NoticeDraft,
        author_id: int | None,
        images: Sequence[StoredImage] = (),
        provenance: Provenance | None = None,
    ) -> Published:
        """Store a notice, its Create and one delivery per follower inbox in one transaction."""
        async with self.db.transaction() as conn:
            notice_id, count = await self._publish_in(conn, draft, author_id, provenance, images)
        self.wake_delivery()
        followers = await fedstore.count_followers(self.db, self.urls.actor)
        return Published(notice_id, self.urls.notice(notice_id), followers, count)

    async def _publish_in(
        self,
        conn: aiosqlite.Connection,
        draft: NoticeDraft,
        author_id: int | None,
        provenance: Provenance | None = None,
        images: Sequence[StoredImage] = (),
    ) -> tuple[int, int]:
        """Publish inside the caller's transaction; return the notice and inbox count."""
        now = self.clock()
        new = _new_notice(draft, author_id, provenance)
        notice_id = await store.insert_notice(conn, new, now)
        ap_id = self.urls.notice(notice_id)
        activity_id = f"{ap_id}/activity"
        await store.set_notice_federation_ids(conn, notice_id, ap_id, activity_id)
        if draft.poll is not None:
            await store_polls.insert_options(conn, notice_id, draft.poll.options)
        await store.insert_images(conn, notice_id, [vars(i) for i in images[:MAX_IMAGES]])
        note = await self.federated_object(conn, notice_id)
        count = await delivery.enqueue_to_followers(
            conn, create_activity(note, self.urls, activity_id), self.urls.actor, now
        )
        await audit.record(conn, f"notice.publish.{new.origin}", ap_id, now)
        return notice_id, count

    async def mark_done(self, notice_id: int) -> bool:
        """Mark an offer or request done (given away, found ...) and tell the followers."""
        row = await store.get_notice_by_id(self.db, notice_id)
        if row is None or _is_shared(row) or get_kind(row["kind"]).done_label is None:
            return False
        async with self.db.transaction() as conn:
            if not await store.mark_notice_done(conn, notice_id, self.clock()):
                return False
            await self._federate_update(conn, notice_id)
            await audit.record(conn, "notice.done", self.urls.notice(notice_id), self.clock())
        self.wake_delivery()
        return True

    async def expire_due(self) -> int:
        """Take notices past their validity off the board and tell followers (Update or Delete)."""
        rows = await store.list_notices_to_expire(self.db, self.clock())
        for row in rows:
            async with self.db.transaction() as conn:
                if not await store.mark_notice_expired(conn, row["id"], self.clock()):
                    continue
                if _is_shared(row):
                    continue  # someone else's post: only our page changes
                if self.config.notices.on_expiry == "delete":
                    await self._federate_delete(conn, row["id"])
                else:
                    await self._federate_update(conn, row["id"], expired=True)
        if rows:
            self.wake_delivery()
        return len(rows)

    async def _federate_update(
        self, conn: aiosqlite.Connection, notice_id: int, *, expired: bool = False
    ) -> None:
        await store.touch_notice(conn, notice_id, self.clock())
        note = await self.federated_object(conn, notice_id, expired=expired)
        await delivery.enqueue_to_followers(
            conn, update_activity(note, self.urls), self.urls.actor, self.clock()
        )

    async def _federate_delete(self, conn: aiosqlite.Connection, notice_id: int) -> None:
        ap_id = self.urls.notice(notice_id)
        tombstone = {"id": ap_id, "type": "Tombstone"}
        activity = build_activity(
            "Delete",
            f"{ap_id}#delete",
            self.urls.actor,
            tombstone,
            to=[PUBLIC],
            cc=[self.urls.followers],
        )
        await delivery.enqueue_to_followers(conn, activity, self.urls.actor, self.clock())

    async def federated_object(
        self, conn: aiosqlite.Connection, notice_id: int, *, expired: bool = False
    ) -> Json:
        """The notice as the fediverse sees it (a Question carries its current totals)."""
        row = await store.get_notice_in(conn, notice_id)
        poll = await poll_state(conn, row, self.clock()) if row["kind"] == "poll" else None
        images = await store.images_in(conn, notice_id)
        versions = await store.translations_in(conn, notice_id)
        return notice_to_note(
            row,
            self.urls,
            self.config,
            expired=expired,
            poll=poll,
            images=images,
            translations=versions,
        )

    async def served_object(self, row: Row) -> Json:
        """The notice as served at its id, with a poll's current totals."""
        poll = await poll_state(self.db, row, self.clock()) if row["kind"] == "poll" else None
        images = (await store.list_images(self.db, [row["id"]])).get(row["id"], [])
        versions = await store.list_translations(self.db, row["id"])
        return notice_to_note(
            row, self.urls, self.config, poll=poll, images=images, translations=versions
        )

    async def flush_polls(self) -> int:
        """Send followers one Update per poll with new votes or that just closed (batched)."""
        now = self.clock()
        changed = {r["id"] for r in await store_polls.list_changed_polls(self.db, now)}
        closing = {r["id"] for r in await store_polls.list_polls_to_close(self.db, now)}
        for notice_id in sorted(changed | closing):
            async with self.db.transaction() as conn:
                if notice_id in closing:
                    await store_polls.mark_closed_sent(conn, notice_id, now)
                else:
                    await store_polls.clear_changed(conn, notice_id)
                await self._federate_update(conn, notice_id)
        if changed or closing:
            self.wake_delivery()
        return len(changed | closing)

    async def add_poll_codes(self, notice_id: int, count: int) -> list[str] | None:
        """Make participation codes for a poll that only code holders vote in on the web."""
        row = await store.get_notice_by_id(self.db, notice_id)
        if row is None or row["kind"] != "poll" or _is_shared(row):
            return None
        codes = new_codes(count)
        async with self.db.transaction() as conn:
            await store_polls.insert_codes(conn, notice_id, codes, self.clock())
            await audit.record(
                conn, "poll.codes", self.urls.notice(notice_id), self.clock(), str(count)
            )
        return codes

    async def edit_notice(self, notice_id: int, draft: NoticeDraft) -> bool:
        """Change a notice; followers get an Update carrying `updated`."""
        before = await store.get_notice_by_id(self.db, notice_id)
        if before is None or _is_shared(before):
            return False
        now = self.clock()
        async with self.db.transaction() as conn:
            # A notice posted for a resident never outlives their consent, edited or not.
            consent = Provenance(consent_until=_time_or_none(before["consent_until"]))
            if not await store.update_notice(
                conn, notice_id, _new_notice(draft, None, consent), now
            ):
                return False
            after = await store.get_notice_in(conn, notice_id)
            if before and _was_deleted_for_followers(before, self.config) and not after["expired"]:
                # Followers were told to delete it: only a new Create brings it back.
                note = await self.federated_object(conn, notice_id)
                activity = create_activity(note, self.urls, self.urls.new_activity())
                await delivery.enqueue_to_followers(conn, activity, self.urls.actor, now)
            else:
                await self._federate_update(conn, notice_id)
            await audit.record(conn, "notice.edit", self.urls.notice(notice_id), now)
        self.wake_delivery()
        return True

    async def set_translation(self, notice_id: int, lang: str, title: str, body: str) -> bool:
        """Add or change a notice's version in another language; followers get an Update."""
        row = await store.get_notice_by_id(self.db, notice_id)
        if row is None or _is_shared(row) or lang == (row["lang"] or self.config.language):
            return False
        html = str(render_markdown(body))
        async with self.db.transaction() as conn:
            await store.upsert_translation(conn, notice_id, lang, title, body, html, self.clock())
            await self._federate_update(conn, notice_id)
            await audit.record(
                conn, "notice.translate", self.urls.notice(notice_id), self.clock(), lang
            )
        self.wake_delivery()
        return True

    async def remove_translation(self, notice_id: int, lang: str) -> bool:
        """Remove a translation; followers get an Update without it."""
        async with self.db.transaction() as conn:
            if not await store.delete_translation(conn, notice_id, lang):
                return False
            await self._federate_update(conn, notice_id)
            await audit.record(
                conn, "notice.untranslate", self.urls.notice(notice_id), self.clock(), lang
            )
        self.wake_delivery()
        return True

    async def delete_notice(self, notice_id: int) -> bool:
        """Delete a notice; followers get a Delete, and its URL answers 410 with a Tombstone.

        A shared post is not ours to delete: it leaves the board with an Undo{Announce}.
        """
        row = await store.get_notice_by_id(self.db, notice_id)
        if row is None:
            return False
        async with self.db.transaction() as conn:
            if not await store.mark_notice_deleted(conn, notice_id, self.clock()):
                return False
            files = await store.delete_images(conn, notice_id)
            if _is_shared(row):
                await undo_announce(conn, self.urls, row, self.clock())
            else:
                await self._federate_delete(conn, notice_id)
            await audit.record(
                conn, "notice.delete", row["origin_id"] or self.urls.notice(notice_id), self.clock()
            )
        for file in files:  # after the commit: a crash leaves a stray file, never a lost row
            (self.config.data_dir / "media" / file).unlink(missing_ok=True)
        self.wake_delivery()
        return True

    async def pin_notice(self, notice_id: int, pinned: bool) -> bool:
        """Pin a notice to the top of the board and the actor's `featured` collection."""
        row = await store.get_notice_by_id(self.db, notice_id)
        if row is None or _is_shared(row):
            return False
        async with self.db.transaction() as conn:
            if not await store.set_notice_pinned(conn, notice_id, pinned):
                return False
            await audit.record(
                conn,
                "notice.pin" if pinned else "notice.unpin",
                self.urls.notice(notice_id),
                self.clock(),
            )
            # Mastodon announces pins to followers as Add/Remove on the featured collection.
            activity = build_activity(
                "Add" if pinned else "Remove",
                self.urls.new_activity(),
                self.urls.actor,
                self.urls.notice(notice_id),
                to=[PUBLIC],
                cc=[self.urls.followers],
            )
            activity["target"] = self.urls.featured
            await delivery.enqueue_to_followers(conn, activity, self.urls.actor, self.clock())
        self.wake_delivery()
        return True


def _time_or_none(value: str | None) -> datetime | None:
    return from_db_time(value) if value else None


def _is_shared(notice: Row) -> bool:
    return bool(notice["origin"] == "shared")


def _was_deleted_for_followers(notice: Row, config: Config) -> bool:
    return bool(notice["expired"]) and config.notices.on_expiry == "delete"


def _new_notice(
    draft: NoticeDraft, author_id: int | None, provenance: Provenance | None = None
) -> store.NewNotice:
    event = draft.event
    origin = provenance or Provenance()
    valid_until = draft.valid_until
    if origin.consent_until and (valid_until is None or valid_until > origin.consent_until):
        valid_until = origin.consent_until  # a resident's notice goes when their consent ends
    return store.NewNotice(
        title=draft.title,
        body_md=draft.body,
        body_html=str(render_markdown(draft.body)),
        category=draft.category,
        author_id=author_id,
        kind=draft.kind,
        valid_until=valid_until,
        lang=draft.lang,
        event_start=event.start if event else None,
        event_end=event.end if event else None,
        place_name=event.place_name if event else None,
        place_address=event.place_address if event else None,
        latitude=event.latitude if event else None,
        longitude=event.longitude if event else None,
        online_url=event.online_url if event else None,
        poll_multiple=int(draft.poll.multiple) if draft.poll else 0,
        poll_closes=draft.poll.closes if draft.poll else None,
        poll_web_votes=draft.poll.web_votes if draft.poll else "anyone",
        origin=origin.origin,
        submitted_by=origin.submitted_by,
        on_behalf_of=origin.on_behalf_of,
        consent_method=origin.consent_method,
        consent_given=origin.consent_given,
        consent_until=origin.consent_until,
    )
