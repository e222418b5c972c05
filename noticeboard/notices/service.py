"""What staff do with notices: publish, edit, delete, pin, mark done, translate, poll codes; and
the periodic work on them: expiry and batched poll totals.

Every use case takes the board's state first and answers `Ok(...)` or `Refused(reason)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from federation.database import Row, from_db_time
from federation.vocab import PUBLIC, build_activity
from noticeboard import audit
from noticeboard.config import Config
from noticeboard.i18n import N_
from noticeboard.network import queries as network_queries
from noticeboard.network import sharing
from noticeboard.notices import poll_store, queries, store
from noticeboard.notices.forms import NoticeDraft, Provenance
from noticeboard.notices.images import (
    MAX_IMAGES,
    VARIANT_WIDTHS,
    InvalidImage,
    StoredImage,
    make_variants,
)
from noticeboard.notices.kinds import get_kind
from noticeboard.notices.objects import create_activity, update_activity
from noticeboard.notices.polls import new_codes
from noticeboard.notices.text import render_markdown
from noticeboard.results import Ok, Refused, Result
from noticeboard.state import BoardState

MAX_CODES = 500  # participation codes made at once
NO_SUCH_NOTICE = N_("This notice does not exist (any more).")
SHARED_NOTICE = N_("A shared notice can only be changed where it was published.")
NOT_AN_OFFER = N_("This notice is not an offer or request, so it cannot be marked as done.")


@dataclass(frozen=True)
class Published:
    notice_id: int
    url: str
    followers: int
    inboxes: int


async def publish(
    state: BoardState,
    draft: NoticeDraft,
    author_id: int | None,
    images: Sequence[StoredImage] = (),
    provenance: Provenance | None = None,
) -> Published:
    """Store a notice, its Create and one delivery per follower inbox in one transaction."""
    async with state.db.transaction() as conn:
        notice_id, count = await publish_in(state, conn, draft, author_id, provenance, images)
    state.outbox.wake()
    followers = await network_queries.count_followers(state)
    return Published(notice_id, state.urls.notice(notice_id), followers, count)


async def publish_in(
    state: BoardState,
    conn: aiosqlite.Connection,
    draft: NoticeDraft,
    author_id: int | None,
    provenance: Provenance | None = None,
    images: Sequence[StoredImage] = (),
) -> tuple[int, int]:
    """Publish inside the caller's transaction; return the notice and its inbox count."""
    now = state.clock()
    new = _new_notice(draft, author_id, provenance)
    notice_id = await store.insert_notice(conn, new, now)
    ap_id = state.urls.notice(notice_id)
    activity_id = f"{ap_id}/activity"
    await store.set_notice_federation_ids(conn, notice_id, ap_id, activity_id)
    if draft.poll is not None:
        await poll_store.insert_options(conn, notice_id, draft.poll.options)
    await store.insert_images(conn, notice_id, [vars(i) for i in images[:MAX_IMAGES]])
    note = await queries.federated_object(state, conn, notice_id)
    activity = create_activity(note, state.urls, activity_id)
    count = await state.outbox.send_to_followers(conn, activity, now)
    await audit.record(conn, f"notice.publish.{new.origin}", ap_id, now)
    return notice_id, count


async def edit(state: BoardState, notice_id: int, draft: NoticeDraft) -> Result[None]:
    """Change a notice; followers get an Update carrying `updated`."""
    before = await store.get_notice_by_id(state.db, notice_id)
    if before is None or _is_shared(before):
        return _not_own(before)
    if draft.poll is not None:
        current = await poll_store.list_options(state.db, notice_id)
        if list(draft.poll.options) != [o["name"] for o in current]:
            return Refused(N_("The answers of a published poll cannot be changed."), "options")
    now = state.clock()
    async with state.db.transaction() as conn:
        # A notice posted for a resident never outlives their consent, edited or not.
        consent = Provenance(consent_until=_time_or_none(before["consent_until"]))
        if not await store.update_notice(conn, notice_id, _new_notice(draft, None, consent), now):
            return Refused(NO_SUCH_NOTICE)
        after = await store.get_notice_in(conn, notice_id)
        if _was_deleted_for_followers(before, state.config) and not after["expired"]:
            # Followers were told to delete it: only a new Create brings it back.
            note = await queries.federated_object(state, conn, notice_id)
            activity = create_activity(note, state.urls, state.urls.new_activity())
            await state.outbox.send_to_followers(conn, activity, now)
        else:
            await _federate_update(state, conn, notice_id)
        await audit.record(conn, "notice.edit", state.urls.notice(notice_id), now)
    state.outbox.wake()
    return Ok(None)


async def mark_done(state: BoardState, notice_id: int) -> Result[None]:
    """Mark an offer or request done (given away, found ...) and tell the followers."""
    row = await store.get_notice_by_id(state.db, notice_id)
    if row is None or _is_shared(row):
        return _not_own(row)
    if get_kind(row["kind"]).done_label is None:
        return Refused(NOT_AN_OFFER)
    async with state.db.transaction() as conn:
        if not await store.mark_notice_done(conn, notice_id, state.clock()):
            return Refused(N_("This notice is marked as done already."))
        await _federate_update(state, conn, notice_id)
        await audit.record(conn, "notice.done", state.urls.notice(notice_id), state.clock())
    state.outbox.wake()
    return Ok(None)


async def delete(state: BoardState, notice_id: int) -> Result[None]:
    """Delete a notice; followers get a Delete, and its URL answers 410 with a Tombstone.

    A shared post is not ours to delete: it leaves the board with an Undo{Announce}.
    """
    row = await store.get_notice_by_id(state.db, notice_id)
    if row is None:
        return Refused(NO_SUCH_NOTICE)
    async with state.db.transaction() as conn:
        if not await store.mark_notice_deleted(conn, notice_id, state.clock()):
            return Refused(NO_SUCH_NOTICE)
        files = await store.delete_images(conn, notice_id)
        if _is_shared(row):
            await sharing.undo_announce(state, conn, row, state.clock())
        else:
            await _federate_delete(state, conn, notice_id)
        target = row["origin_id"] or state.urls.notice(notice_id)
        await audit.record(conn, "notice.delete", target, state.clock())
    for file in files:  # after the commit: a crash leaves a stray file, never a lost row
        (state.config.data_dir / "media" / file).unlink(missing_ok=True)
    state.outbox.wake()
    return Ok(None)


async def pin(state: BoardState, notice_id: int, pinned: bool) -> Result[None]:
    """Pin a notice to the top of the board and the actor's `featured` collection."""
    row = await store.get_notice_by_id(state.db, notice_id)
    if row is None or _is_shared(row):
        return _not_own(row)
    async with state.db.transaction() as conn:
        if not await store.set_notice_pinned(conn, notice_id, pinned):
            return Refused(
                N_("This notice is pinned already.") if pinned else N_("This notice is not pinned.")
            )
        action = "notice.pin" if pinned else "notice.unpin"
        await audit.record(conn, action, state.urls.notice(notice_id), state.clock())
        # Mastodon announces pins to followers as Add/Remove on the featured collection.
        activity = build_activity(
            "Add" if pinned else "Remove",
            state.urls.new_activity(),
            state.urls.actor,
            state.urls.notice(notice_id),
            to=[PUBLIC],
            cc=[state.urls.followers],
        )
        activity["target"] = state.urls.featured
        await state.outbox.send_to_followers(conn, activity, state.clock())
    state.outbox.wake()
    return Ok(None)


async def set_translation(
    state: BoardState, notice_id: int, lang: str, title: str, body: str
) -> Result[None]:
    """Add or change a notice's version in another language; followers get an Update."""
    row = await store.get_notice_by_id(state.db, notice_id)
    if row is None or _is_shared(row):
        return _not_own(row)
    if lang == (row["lang"] or state.config.language):
        return Refused(N_("This is the notice's own language."))
    html = str(render_markdown(body))
    now = state.clock()
    async with state.db.transaction() as conn:
        await store.upsert_translation(conn, notice_id, lang, title, body, html, now)
        await _federate_update(state, conn, notice_id)
        await audit.record(conn, "notice.translate", state.urls.notice(notice_id), now, lang)
    state.outbox.wake()
    return Ok(None)


async def remove_translation(state: BoardState, notice_id: int, lang: str) -> Result[None]:
    """Remove a translation; followers get an Update without it."""
    now = state.clock()
    async with state.db.transaction() as conn:
        if not await store.delete_translation(conn, notice_id, lang):
            return Refused(N_("This notice has no version in this language."))
        await _federate_update(state, conn, notice_id)
        await audit.record(conn, "notice.untranslate", state.urls.notice(notice_id), now, lang)
    state.outbox.wake()
    return Ok(None)


async def add_poll_codes(state: BoardState, notice_id: int, count: int) -> Result[list[str]]:
    """Make participation codes for a poll that only code holders vote in on the web."""
    if not 1 <= count <= MAX_CODES:
        return Refused(N_("Please ask for 1 to 500 codes."), "count")
    row = await store.get_notice_by_id(state.db, notice_id)
    if row is None or row["kind"] != "poll" or _is_shared(row):
        return Refused(N_("This notice is not a poll of this board."))
    codes = new_codes(count)
    now = state.clock()
    async with state.db.transaction() as conn:
        await poll_store.insert_codes(conn, notice_id, codes, now)
        await audit.record(conn, "poll.codes", state.urls.notice(notice_id), now, str(count))
    return Ok(codes)


# --- periodic work ---------------------------------------------------------------------------


async def expire_due(state: BoardState) -> int:
    """Take notices past their validity off the board and tell followers (Update or Delete)."""
    rows = await store.list_notices_to_expire(state.db, state.clock())
    for row in rows:
        async with state.db.transaction() as conn:
            if not await store.mark_notice_expired(conn, row["id"], state.clock()):
                continue
            if _is_shared(row):
                continue  # someone else's post: only our page changes
            if state.config.notices.on_expiry == "delete":
                await _federate_delete(state, conn, row["id"])
            else:
                await _federate_update(state, conn, row["id"], expired=True)
    if rows:
        state.outbox.wake()
    return len(rows)


async def forget_residents(state: BoardState) -> int:
    """When a resident's consent ends, their name leaves the notice (rule 31): pages show
    "on behalf of a resident", and the notice, archived at the same moment, stays."""
    async with state.db.transaction() as conn:
        erased = await store.erase_ended_consents(conn, state.clock())
        for notice_id in erased:
            await audit.record(
                conn, "notice.consent_ended", state.urls.notice(notice_id), state.clock()
            )
    return len(erased)


async def flush_polls(state: BoardState) -> int:
    """Send followers one Update per poll with new votes or that just closed (batched)."""
    now = state.clock()
    changed = {r["id"] for r in await poll_store.list_changed_polls(state.db, now)}
    closing = {r["id"] for r in await poll_store.list_polls_to_close(state.db, now)}
    for notice_id in sorted(changed | closing):
        async with state.db.transaction() as conn:
            if notice_id in closing:
                await poll_store.mark_closed_sent(conn, notice_id, now)
            else:
                await poll_store.clear_changed(conn, notice_id)
            await _federate_update(state, conn, notice_id)
    if changed or closing:
        state.outbox.wake()
    return len(changed | closing)


# --- what followers are told -------------------------------------------------------------------


async def _federate_update(
    state: BoardState, conn: aiosqlite.Connection, notice_id: int, *, expired: bool = False
) -> None:
    await store.touch_notice(conn, notice_id, state.clock())
    note = await queries.federated_object(state, conn, notice_id, expired=expired)
    activity = update_activity(note, state.urls)
    await state.outbox.send_to_followers(conn, activity, state.clock())


async def _federate_delete(state: BoardState, conn: aiosqlite.Connection, notice_id: int) -> None:
    ap_id = state.urls.notice(notice_id)
    activity = build_activity(
        "Delete",
        f"{ap_id}#delete",
        state.urls.actor,
        {"id": ap_id, "type": "Tombstone"},
        to=[PUBLIC],
        cc=[state.urls.followers],
    )
    await state.outbox.send_to_followers(conn, activity, state.clock())


def _not_own(row: Row | None) -> Refused:
    """Why a notice cannot be changed here: missing, or someone else's shared post."""
    return Refused(NO_SUCH_NOTICE if row is None else SHARED_NOTICE)


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


@dataclass(frozen=True)
class VariantsMade:
    pictures: int  # pictures that got smaller copies
    files: int  # copies written
    unusable: tuple[str, ...] = ()  # pictures whose stored file is missing or broken


async def make_missing_variants(
    state: BoardState, limit: int | None = None
) -> Result[VariantsMade]:
    """Make the smaller copies that pictures stored before the board made them lack (all of
    them, or the first `limit`); pages offer them as soon as they are recorded."""
    media_dir = state.config.data_dir / "media"
    pictures = files = 0
    unusable: list[str] = []
    for row in await store.list_images_with_variant_widths(state.db):
        have = {int(w) for w in str(row["widths"] or "").split(",") if w}
        if all(w in have for w in VARIANT_WIDTHS if w < row["width"]):
            continue
        if limit is not None and pictures + len(unusable) >= limit:
            break
        try:
            variants = await asyncio.to_thread(make_variants, row["file"], media_dir)
        except InvalidImage:
            unusable.append(row["file"])
            continue
        async with state.db.transaction() as conn:
            await store.insert_variants(conn, row["file"], variants)
        pictures += 1
        files += len(variants)
    return Ok(VariantsMade(pictures, files, tuple(unusable)))
