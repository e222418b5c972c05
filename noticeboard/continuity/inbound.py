"""A `Move` from an account the board knows, handled as Mastodon handles it
(app/lib/activitypub/activity/move.rb): only the account itself may move itself
(`object` = sender), the target is fetched fresh from its origin and must name the origin in
`alsoKnownAs`. The board then follows the target and stops following the origin
(Mastodon's UnfollowFollowWorker). A follower that moved stays a follower until its server
sends Undo or Delete; its new address follows by itself (Mastodon moves nothing that the
moving account follows)."""

from __future__ import annotations

import logging

from federation import store as fedstore
from federation.actors import ActorError, also_known_as
from federation.inbox import InboxContext
from federation.vocab import build_activity, build_undo, get_id
from noticeboard import audit
from noticeboard.continuity import queries
from noticeboard.state import BoardState

log = logging.getLogger("noticeboard")


async def move_received(state: BoardState, ctx: InboxContext) -> None:
    origin = ctx.actor
    target_id = get_id(ctx.activity.get("target"))
    if get_id(ctx.activity.get("object")) != origin.id or not target_id:
        return
    if target_id in (origin.id, state.urls.actor):
        return
    following = await fedstore.get_following(ctx.db, state.urls.actor, origin.id)
    follower = await fedstore.get_follower(ctx.db, state.urls.actor, origin.id)
    if following is None and follower is None:
        return  # nobody here follows or is followed by it: nothing to move
    target = await _verified_target(ctx, target_id)
    if target is None or await state.blocks.refuses([target.host], [target.id]):
        return
    await _refresh(ctx, origin.id)  # its document now names the new address (movedTo)
    if following is not None:
        await _follow_instead(state, ctx, following["follow_id"], target)


async def _verified_target(ctx: InboxContext, target_id: str) -> fedstore.RemoteActorRow | None:
    try:
        target = await ctx.resolver.get(target_id, refresh=True)
    except ActorError as exc:
        log.info("Move of %s to %s ignored: %s", ctx.actor.id, target_id, exc.reason)
        return None
    if ctx.actor.id not in also_known_as(target):
        log.info("Move of %s ignored: %s does not name it in alsoKnownAs", ctx.actor.id, target_id)
        return None
    return target


async def _refresh(ctx: InboxContext, actor_id: str) -> None:
    try:
        await ctx.resolver.get(actor_id, refresh=True)
    except ActorError:
        pass  # the cached copy stays; the move is still valid


async def _follow_instead(
    state: BoardState, ctx: InboxContext, old_follow_id: str, target: fedstore.RemoteActorRow
) -> None:
    """Follow the new address, and send Undo{Follow} to the old one."""
    me, origin = state.urls.actor, ctx.actor
    follow_id = state.urls.new_activity()
    follow = build_activity("Follow", follow_id, me, target.id, to=[target.id])
    old = {"id": old_follow_id, "type": "Follow", "actor": me, "object": origin.id}
    undo = build_undo(state.urls.new_activity(), me, old, to=[origin.id])
    async with ctx.transaction() as conn:
        if await fedstore.get_following(ctx.db, me, target.id) is None:
            await fedstore.upsert_following(conn, me, target.id, follow_id, ctx.now)
            await state.outbox.send(conn, follow, [target.inbox], ctx.now, public=False)
        await fedstore.delete_following(conn, me, origin.id)
        await state.outbox.send(conn, undo, [origin.inbox], ctx.now, public=False)
        with audit.acting_as(audit.SYSTEM):
            await audit.record(conn, "following.moved", f"{origin.id} -> {target.id}", ctx.now)
    state.outbox.wake()


async def refuse_follow(state: BoardState, ctx: InboxContext) -> bool:
    """A board that moved (or closed) takes no new followers: the Follow is answered with
    Reject, as Mastodon answers a Follow of a moved account."""
    status = await queries.status(state)
    if status.moved is None and status.closed is None:
        return False
    me = state.urls.actor
    follow = {k: ctx.activity[k] for k in ("id", "type", "actor", "object") if k in ctx.activity}
    reject = build_activity("Reject", state.urls.new_activity(), me, follow, to=[ctx.actor.id])
    async with ctx.transaction() as conn:
        await state.outbox.send(conn, reject, [ctx.actor.inbox], ctx.now, public=False)
    state.outbox.wake()
    return True
