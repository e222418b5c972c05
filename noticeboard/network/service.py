"""The board in its network: followers it accepts or declines, accounts it follows, posts it
shares and the rules that share by themselves, deliveries it tries again.

Use cases take the board's state first and answer `Ok(...)` or `Refused(reason)`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from federation import queue_store
from federation import store as fedstore
from federation.vocab import Json, build_accept, build_activity, build_undo, get_type, is_public
from noticeboard import audit
from noticeboard.i18n import N_
from noticeboard.network import store
from noticeboard.network.authors import authored_post
from noticeboard.network.sharing import (
    POST_TYPES,
    authored_on_origin,
    is_public_post,
    share_post,
    store_post,
)
from noticeboard.notices.kinds import is_kind
from noticeboard.results import Ok, Refused, Result
from noticeboard.state import BoardState

NOT_SHAREABLE = N_("This post cannot be shared. Only public posts that still exist can.")


# --- followers -----------------------------------------------------------------------------------


async def approve_follower(state: BoardState, actor_id: str) -> Result[None]:
    """Accept a pending follow request (boards that approve followers)."""
    row = await fedstore.get_follower(state.db, state.urls.actor, actor_id)
    if row is None or row["state"] != "pending":
        return Refused(N_("This follow request does not exist (any more)."))
    follow = _follow_of(row["follow_id"], actor_id, state.urls.actor)
    accept = build_accept(state.urls.new_activity(), state.urls.actor, follow)
    async with state.db.transaction() as conn:
        await fedstore.set_follower_state(conn, state.urls.actor, actor_id, "accepted")
        await state.outbox.send(conn, accept, [row["inbox"]], state.clock(), public=False)
        await audit.record(conn, "follower.approve", actor_id, state.clock())
    state.outbox.wake()
    return Ok(None)


async def reject_follower(state: BoardState, actor_id: str) -> Result[None]:
    """Refuse a follow request (or remove a follower) with a Reject."""
    row = await fedstore.get_follower(state.db, state.urls.actor, actor_id)
    if row is None:
        return Refused(N_("This follow request does not exist (any more)."))
    follow = _follow_of(row["follow_id"], actor_id, state.urls.actor)
    reject = build_activity(
        "Reject", state.urls.new_activity(), state.urls.actor, follow, to=[actor_id]
    )
    async with state.db.transaction() as conn:
        await fedstore.delete_follower(conn, state.urls.actor, actor_id)
        await state.outbox.send(conn, reject, [row["inbox"]], state.clock(), public=False)
        await audit.record(conn, "follower.reject", actor_id, state.clock())
    state.outbox.wake()
    return Ok(None)


# --- following -----------------------------------------------------------------------------------


async def follow(state: BoardState, actor: fedstore.RemoteActorRow) -> Result[str]:
    """Queue a Follow of a resolved remote actor; it stays pending until Accept."""
    if actor.id == state.urls.actor:
        return Refused(N_("The board cannot follow itself."))
    follow_id = state.urls.new_activity()
    activity = build_activity("Follow", follow_id, state.urls.actor, actor.id, to=[actor.id])
    now = state.clock()
    async with state.db.transaction() as conn:
        await fedstore.upsert_following(conn, state.urls.actor, actor.id, follow_id, now)
        await state.outbox.send(conn, activity, [actor.inbox], now, public=False)
        await audit.record(conn, "following.follow", actor.id, now)
    state.outbox.wake()
    return Ok(follow_id)


async def unfollow(state: BoardState, actor: fedstore.RemoteActorRow) -> Result[None]:
    """Send Undo{Follow} and forget the follow."""
    row = await fedstore.get_following(state.db, state.urls.actor, actor.id)
    if row is None:
        return Refused(N_("The board does not follow this account."))
    follow_activity = _follow_of(row["follow_id"], state.urls.actor, actor.id)
    undo = build_undo(state.urls.new_activity(), state.urls.actor, follow_activity, to=[actor.id])
    now = state.clock()
    async with state.db.transaction() as conn:
        await fedstore.delete_following(conn, state.urls.actor, actor.id)
        await state.outbox.send(conn, undo, [actor.inbox], now, public=False)
        await audit.record(conn, "following.unfollow", actor.id, now)
    state.outbox.wake()
    return Ok(None)


def _follow_of(follow_id: str, actor: str, target: str) -> Json:
    return {"id": follow_id, "type": "Follow", "actor": actor, "object": target}


# --- sharing -------------------------------------------------------------------------------------


async def share(state: BoardState, post_id: str) -> Result[int]:
    """Share a stored post of the network with the board's followers; Ok(the notice)."""
    post = await authored_post(state.db, post_id)
    if post is None or post["deleted"]:
        return Refused(N_("This post is not known to the board (or was deleted)."))
    if not is_public_post(post):
        return Refused(N_("Only public posts can be shared."))
    if await store.get_live_share(state.db, post_id) is not None:
        return Refused(N_("This post is shared already."))
    now = state.clock()
    async with state.db.transaction() as conn:
        notice_id = await share_post(state, conn, post, now)
        await audit.record(conn, "notice.share", post_id, now)
    state.outbox.wake()
    return Ok(notice_id)


async def share_fetched(
    state: BoardState, obj: Json, author: fedstore.RemoteActorRow
) -> Result[int]:
    """Share a post fetched from its origin (by its web address or id)."""
    if get_type(obj) not in POST_TYPES or not authored_on_origin(obj, author):
        return Refused(N_("This is not a post of an account on its own server."))
    if not is_public(obj):
        return Refused(N_("Only public posts can be shared."))
    async with state.db.transaction() as conn:
        await store_post(conn, obj, author.id, state.clock())
    return await share(state, obj["id"])


async def add_share_rule(
    state: BoardState, actor_id: str | None, kind: str | None, daily_cap: int
) -> Result[int]:
    """Share new posts of a partner (or any) of a kind (or any) by themselves, N a day at most."""
    if kind is not None and not is_kind(kind):
        return Refused(N_("Please choose a kind of notice."))
    if daily_cap < 1:
        return Refused(N_("The daily cap must be at least 1 (notices a day)."))
    now = state.clock()
    target = f"{actor_id or 'any partner'} {kind or 'any kind'} {daily_cap}/day"
    async with state.db.transaction() as conn:
        rule_id = await store.insert_rule(conn, actor_id, kind, daily_cap, audit.acting(), now)
        await audit.record(conn, "share_rule.add", f"#{rule_id} {target}", now)
    return Ok(rule_id)


async def remove_share_rule(state: BoardState, rule_id: int) -> Result[None]:
    async with state.db.transaction() as conn:
        if not await store.delete_rule(conn, rule_id):
            return Refused(N_("There is no such rule."))
        await audit.record(conn, "share_rule.remove", f"#{rule_id}", state.clock())
    return Ok(None)


# --- what did not work, and the daily count ------------------------------------------------


async def retry_delivery(state: BoardState, delivery_id: int) -> Result[None]:
    """Send a failed or given-up delivery again, with a fresh retry schedule."""
    async with state.db.transaction() as conn:
        if not await queue_store.retry_delivery(conn, delivery_id, state.clock()):
            return Refused(N_("This delivery cannot be retried."))
        await audit.record(conn, "delivery.retry", str(delivery_id), state.clock())
    state.outbox.wake()
    return Ok(None)


async def retry_inbox_activity(state: BoardState, activity_id: str) -> Result[None]:
    """Process an inbound activity again whose processing finally failed."""
    async with state.db.transaction() as conn:
        if not await queue_store.retry_inbox_activity(conn, activity_id, state.clock()):
            return Refused(N_("This activity cannot be processed again."))
        await audit.record(conn, "inbox.retry", activity_id, state.clock())
    state.wake_inbox()
    return Ok(None)


async def record_follower_count(state: BoardState) -> None:
    """Keep today's follower and server count for the staff's network page."""
    day = state.clock().astimezone(ZoneInfo(state.config.timezone)).date().isoformat()
    followers, servers = await fedstore.count_followers_and_servers(state.db, state.urls.actor)
    async with state.db.transaction() as conn:
        await store.upsert_follower_count(conn, day, followers, servers)
