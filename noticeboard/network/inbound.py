"""What other servers tell the board about its network: follows of the board and answers to its
own follows, posts of the accounts it follows, edits and deletions of posts and accounts.
Called by the board's inbox handlers (`activitypub/handlers.py`) once they have checked who
sent what."""

from __future__ import annotations

import aiosqlite

from federation import store as fedstore
from federation.hosts import HostError, canonical_host
from federation.inbox import InboxContext
from federation.vocab import Json, build_accept
from noticeboard.network import sharing, store
from noticeboard.network.authors import authored_post
from noticeboard.network.sharing import store_post
from noticeboard.state import BoardState


async def follow_received(state: BoardState, ctx: InboxContext) -> None:
    """Someone follows the board: accepted at once, or pending until staff decide."""
    async with ctx.transaction() as conn:
        await record_follow(
            state, conn, ctx, state.urls.actor, pending=state.config.federation.approve_followers
        )
    state.outbox.wake()


async def record_follow(
    state: BoardState,
    conn: aiosqlite.Connection,
    ctx: InboxContext,
    local_actor: str,
    *,
    pending: bool,
) -> None:
    """Keep the follow of one of the board's actors (the board, or a group), and answer with
    an Accept once it is accepted (at once, or already before: a repeated Follow)."""
    await fedstore.upsert_follower(
        conn,
        local_actor,
        ctx.actor,
        ctx.activity["id"],
        "pending" if pending else "accepted",
        ctx.now,
    )
    if await fedstore.follower_state(conn, local_actor, ctx.actor.id) == "accepted":
        accept = build_accept(state.urls.new_activity(), local_actor, ctx.activity)
        await state.outbox.send(conn, accept, [ctx.actor.inbox], ctx.now, public=False)


async def undo_follow(
    state: BoardState,
    conn: aiosqlite.Connection,
    ctx: InboxContext,
    inner_id: str | None,
    inner_type: str | None,
) -> None:
    """A follower takes its follow back (by the Follow's id, or by a Follow without one)."""
    row = await fedstore.get_follower(ctx.db, state.urls.actor, ctx.actor.id)
    if row and (inner_id in (None, row["follow_id"]) or inner_type == "Follow"):
        await fedstore.delete_follower(conn, state.urls.actor, ctx.actor.id)


async def follow_answered(ctx: InboxContext, follow_id: str, answer: str) -> None:
    """An account the board follows accepted or rejected the follow."""
    async with ctx.transaction() as conn:
        await fedstore.set_following_state(conn, follow_id, ctx.actor.id, answer, ctx.now)


async def is_followed(state: BoardState, ctx: InboxContext) -> bool:
    """Whether the board follows the sender (and the sender accepted)."""
    following = await fedstore.get_following(ctx.db, state.urls.actor, ctx.actor.id)
    return bool(following and following["state"] == "accepted")


async def post_received(
    state: BoardState, ctx: InboxContext, obj: Json, public: bool, author: str | None = None
) -> None:
    """A post of an account the board follows (or, announced by a followed group, of one of its
    members: `author`): kept for the network page; a public one may be shared by a rule."""
    async with ctx.transaction() as conn:
        await store_post(conn, obj, author or ctx.actor.id, ctx.now)
        if public:
            post = await authored_post(conn, obj["id"])
            if post is not None and post["role"] == "network":
                await sharing.apply_rules(state, conn, post, ctx.now)
    state.outbox.wake()


async def post_updated(ctx: InboxContext, obj: Json) -> None:
    """Its author changed a post the board keeps; a shared copy follows the original."""
    existing = await store.get_remote_post(ctx.db, obj["id"])
    if existing is None or existing["actor"] != ctx.actor.id:
        return
    async with ctx.transaction() as conn:
        await store_post(conn, obj, ctx.actor.id, ctx.now)
        await sharing.follow_original(conn, obj["id"], ctx.now)


async def account_deleted(state: BoardState, conn: aiosqlite.Connection, ctx: InboxContext) -> None:
    """An account deleted itself: no longer a follower or followed; its shared posts go."""
    await fedstore.delete_follower(conn, state.urls.actor, ctx.actor.id)
    await fedstore.delete_following(conn, state.urls.actor, ctx.actor.id)
    await sharing.withdraw_shares_of(state, conn, ctx.actor.id, ctx.now)


async def post_deleted(
    state: BoardState, conn: aiosqlite.Connection, ctx: InboxContext, object_id: str
) -> bool:
    """Its author deleted a post: marked deleted (a tombstone only from the post's own host, so
    nobody else can pre-empt it), and a shared copy leaves the board. True if the board kept
    the post."""
    own = _on_host(object_id, ctx.actor.host)
    kept = await store.mark_remote_post_deleted(
        conn, object_id, ctx.actor.id, ctx.now, tombstone=own
    )
    await sharing.withdraw_share(state, conn, object_id, ctx.actor.id, ctx.now)
    return kept


def _on_host(object_id: str, host: str) -> bool:
    try:
        return canonical_host(object_id) == host
    except HostError:
        return False
