"""What residents send from the fediverse: replies and mentions (filed as the reply policy
says), likes and boosts, votes, reports. Called by the board's inbox handlers
(`activitypub/handlers.py`) once they have checked who sent what; each call writes inside the
inbox's transaction, so the activity is marked done with its effect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from federation import store as fedstore
from federation.inbox import InboxContext
from federation.vocab import Json
from noticeboard.network import store as network_store
from noticeboard.network.sharing import StoredPost, store_post
from noticeboard.notices import poll_store
from noticeboard.notices import store as notices_store
from noticeboard.notices.text import plain_summary
from noticeboard.participation import approvals, store
from noticeboard.participation.settings import current_reply_policy
from noticeboard.participation.votes import count_vote
from noticeboard.state import BoardState


async def reply_or_mention(
    state: BoardState,
    ctx: InboxContext,
    obj: Json,
    notice_id: int | None,
    request_id: str | None = None,
) -> None:
    """Store a reply to a notice (or a mention of the board) and file it once. A reply that
    the notice's interaction policy makes wait for approval (or one that came as a
    GoToSocial `ReplyRequest`, `request_id`) is answered once it is shown."""
    existing = await network_store.get_remote_post(ctx.db, obj["id"])
    foreign = existing is not None and existing["actor"] != ctx.actor.id
    if foreign:
        existing = None  # someone else's tombstone for this id counts for nothing (rule 10)
    policy = await ctx.once("reply_policy", lambda: current_reply_policy(state))
    shown = notice_id is not None and await _shown_at_once(policy, state, ctx)
    async with ctx.transaction() as conn:
        if foreign:
            await network_store.drop_foreign_tombstone(conn, obj["id"], ctx.actor.id)
        stored = await store_post(conn, obj, ctx.actor.id, ctx.now)
        if existing is not None and existing["role"] != "network":
            return  # delivered again: it was filed the first time
        if existing is not None and existing["deleted"]:
            return
        # Another account's live post under this id keeps its text: read what is stored then.
        summary = None if foreign else stored.summary()
        if notice_id is not None:
            await file_reply(conn, obj["id"], notice_id, shown, ctx.now, summary)
            if policy != "open" or request_id:
                await store.insert_reply_approval(
                    conn, obj["id"], notice_id, ctx.actor.id, request_id, ctx.now
                )
            if shown:
                await approvals.accept(state, conn, obj["id"], ctx.now)
        else:
            await file_mention(conn, obj["id"], ctx.now, summary)


async def _shown_at_once(policy: str, state: BoardState, ctx: InboxContext) -> bool:
    """Whether the reply policy shows this author's replies without a moderator."""
    if policy == "open":
        return True
    known = policy == "known" and await fedstore.is_known(
        ctx.db, state.urls.actor, ctx.actor.id, ctx.actor.host
    )
    return bool(known)


async def is_poll_option(ctx: InboxContext, notice_id: int, name: str) -> bool:
    """Whether `name` is an option of the board's poll `notice_id` (so a Note is a vote)."""
    notice = await notices_store.get_notice_by_id(ctx.db, notice_id)
    if notice is None or notice["kind"] != "poll":
        return False
    return any(o["name"] == name for o in await poll_store.list_options(ctx.db, notice_id))


async def vote(ctx: InboxContext, notice_id: int, choice: str) -> None:
    """Count a vote from Mastodon & co.: one Create{Note{name, inReplyTo}} per choice."""
    notice = await notices_store.get_notice_by_id(ctx.db, notice_id)
    if notice is None or notice["kind"] != "poll":
        return
    options = await poll_store.list_options(ctx.db, notice_id)
    positions = [o["position"] for o in options if o["name"] == choice]
    if not positions:
        return
    async with ctx.transaction() as conn:
        await count_vote(conn, notice, positions, ctx.actor.id, ctx.activity["id"], ctx.now)


async def reaction(ctx: InboxContext, notice_id: int, type_: str) -> None:
    """Count a like or boost of one of the board's notices, once per account."""
    if await notices_store.get_notice_by_id(ctx.db, notice_id) is None:
        return
    async with ctx.transaction() as conn:
        await store.insert_reaction(
            conn, ctx.activity["id"], notice_id, ctx.actor.id, type_, ctx.now
        )


async def undo_reaction(
    conn: aiosqlite.Connection,
    actor_id: str,
    inner_id: str | None,
    inner_type: str | None,
    notice_id: int | None,
) -> bool:
    """Take back a like or boost, found by its id or by what it was of; False if the Undo is
    not about a reaction."""
    if inner_id and await store.delete_reaction_by_id(conn, inner_id, actor_id):
        return True
    if inner_type not in ("Like", "Announce"):
        return False
    if notice_id is not None:
        await store.delete_reaction(conn, notice_id, actor_id, inner_type)
    return True


async def report(ctx: InboxContext, objects: Sequence[str], comment: str) -> None:
    """A report from another server, about the board or what it shows: queued."""
    async with ctx.transaction() as conn:
        await file_report(conn, ctx.activity["id"], ctx.actor.id, objects, comment, ctx.now)


async def known_ids(ctx: InboxContext, ids: Sequence[str]) -> set[str]:
    """Which ids are posts the board keeps, or the accounts that wrote them."""
    return await store.known_remote_ids(ctx.db, ids)


async def withdraw(conn: aiosqlite.Connection, post_id: str) -> None:
    """A reply or mention its author deleted leaves the queue."""
    await store.withdraw_item(conn, post_id)


async def file_reply(
    conn: aiosqlite.Connection,
    post_id: str,
    notice_id: int,
    shown: bool,
    now: datetime,
    summary: str | None = None,
) -> None:
    """Attach a stored reply to its notice: shown at once, or held in the queue (`summary`:
    the stored post's, when the caller has it)."""
    await store.set_remote_post_role(
        conn, post_id, "reply", notice_id, "shown" if shown else "held"
    )
    if not shown:
        summary = summary if summary is not None else await _post_summary(conn, post_id)
        await store.insert_item(conn, "reply", post_id, summary or post_id, now)


async def file_mention(
    conn: aiosqlite.Connection, post_id: str, now: datetime, summary: str | None = None
) -> None:
    """A public post that mentions the board: it waits until staff share or reject it."""
    await store.set_remote_post_role(conn, post_id, "mention", None, "held")
    summary = summary if summary is not None else await _post_summary(conn, post_id)
    await store.insert_item(conn, "mention", post_id, summary or post_id, now)


async def file_report(
    conn: aiosqlite.Connection,
    activity_id: str,
    reporter: str,
    objects: Sequence[str],
    comment: str,
    now: datetime,
) -> None:
    """An incoming Flag: stored with its comment and the reported objects, and queued."""
    report_id = await store.insert_report(
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
        await store.insert_item(conn, "report", str(report_id), summary, now)


async def _post_summary(conn: aiosqlite.Connection, post_id: str) -> str:
    post = await network_store.post_in(conn, post_id)
    if post is None:
        return post_id
    return StoredPost(post["name"], post["content_html"]).summary() or post_id
