"""What the fediverse tells a group: follows (joining) and their undoing (leaving), posts
addressed to the group and replies in its threads, and their authors' edits and deletions
(FEP-1b12, as Lemmy and Friendica groups work). Called by the board's inbox handlers once they
have checked who sent what; an object is trusted only from its author's server (rule 9)."""

from __future__ import annotations

import aiosqlite

from federation import store as fedstore
from federation.database import Row, to_db_time
from federation.hosts import HostError, canonical_host
from federation.inbox import InboxContext
from federation.vocab import Json, as_list, build_activity, get_id, get_type
from noticeboard.groups import objects, service, store
from noticeboard.network import store as network_store
from noticeboard.network.inbound import record_follow
from noticeboard.network.sharing import post_content
from noticeboard.sanitize import clean_html, clean_text
from noticeboard.state import BoardState

CONTENT_MAX = 20_000
MAX_ADDRESSED = 5  # groups one post may be addressed to at once


def named_actors(item: object) -> list[str]:
    """Whom an activity or object addresses: to, cc, audience and Mention tags."""
    if not isinstance(item, dict):
        return []
    found = [get_id(x) for x in as_list(item.get("to")) + as_list(item.get("cc"))]
    found += [get_id(x) for x in as_list(item.get("audience"))]
    found += [
        get_id(t.get("href"))
        for t in as_list(item.get("tag"))
        if isinstance(t, dict) and get_type(t) == "Mention"
    ]
    return [x for x in found if x]


async def addressed_groups(state: BoardState, activity: Json, obj: Json | None = None) -> list[Row]:
    """The board's groups an activity or its object is addressed to, or whose shared post it
    answers (a reply in a group's thread belongs to the group)."""
    embedded = obj if obj is not None else activity.get("object")
    named = named_actors(activity) + named_actors(embedded)
    actors = [a for a in dict.fromkeys(named) if state.urls.group_handle(a)]
    groups = await store.groups_by_actor(state.db, actors[:MAX_ADDRESSED])
    if isinstance(embedded, dict):
        parent = get_id(embedded.get("inReplyTo"))
        if parent:
            known = {g["id"] for g in groups}
            for group_id in await store.groups_showing(state.db, parent):
                if group_id not in known:
                    row = await store.get_group_by_id(state.db, group_id)
                    if row is not None:
                        groups.append(row)
    return groups[:MAX_ADDRESSED]


async def group_of_follow(state: BoardState, activity: Json) -> Row | None:
    handle = state.urls.group_handle(get_id(activity.get("object")))
    return await store.get_group_by_handle(state.db, handle) if handle else None


async def follow_received(state: BoardState, ctx: InboxContext, group: Row) -> None:
    """Joining: automatic, or pending until the leader approves; a blocked account is refused."""
    actor = group["actor_id"]
    async with ctx.transaction() as conn:
        if await store.is_blocked(ctx.db, group["id"], ctx.actor.id):
            reject = build_activity(
                "Reject", state.urls.new_activity(), actor, _follow(ctx), to=[ctx.actor.id]
            )
            await state.outbox.send(conn, reject, [ctx.actor.inbox], ctx.now, public=False)
        else:
            pending = group["join_policy"] == "approve"
            await record_follow(state, conn, ctx, actor, pending=pending)
    state.outbox.wake()


def _follow(ctx: InboxContext) -> Json:
    return {k: ctx.activity[k] for k in ("id", "type", "actor", "object") if k in ctx.activity}


async def undo_follow(
    state: BoardState, conn: aiosqlite.Connection, ctx: InboxContext, inner: object
) -> bool:
    """Leaving: an Undo of the follow of a group (embedded, or by the Follow's id)."""
    follow_id = get_id(inner)
    if isinstance(inner, dict):
        handle = state.urls.group_handle(get_id(inner.get("object")))
        groups = [await store.get_group_by_handle(ctx.db, handle)] if handle else []
    else:
        groups = list(await store.list_groups(ctx.db))
    left = False
    for group in groups:
        if group is None:
            continue
        row = await fedstore.get_follower(ctx.db, group["actor_id"], ctx.actor.id)
        if row and (follow_id in (None, row["follow_id"]) or isinstance(inner, dict)):
            left = await fedstore.delete_follower(conn, group["actor_id"], ctx.actor.id) or left
    return left


async def post_received(
    state: BoardState, ctx: InboxContext, obj: Json, public: bool, groups: list[Row]
) -> None:
    """A public post addressed to groups: shared with each group's members at once, or held
    for the leader, as the group's policy says; a non-public one is not for a group."""
    tombstone = await network_store.get_remote_post(ctx.db, obj["id"])
    async with ctx.transaction() as conn:
        if not public or (tombstone is not None and tombstone["deleted"]):
            return
        for group in groups:
            await _file(state, conn, ctx, obj, group)
    state.outbox.wake()


async def _file(
    state: BoardState, conn: aiosqlite.Connection, ctx: InboxContext, obj: Json, group: Row
) -> None:
    if await store.is_blocked(ctx.db, group["id"], ctx.actor.id):
        return
    member = await fedstore.follower_state(conn, group["actor_id"], ctx.actor.id) == "accepted"
    policy = group["post_policy"]
    held = policy == "hold_all" or (policy == "hold_strangers" and not member)
    post = {
        "object_id": obj["id"],
        "author": ctx.actor.id,
        "url": _url(obj, ctx.actor.host),
        "name": clean_text(obj.get("name") if isinstance(obj.get("name"), str) else "") or None,
        "content_html": str(clean_html(post_content(obj), limit=CONTENT_MAX)),
        "in_reply_to": get_id(obj.get("inReplyTo")),
        "published": obj.get("published") if isinstance(obj.get("published"), str) else None,
        "received": to_db_time(ctx.now),
    }
    if not await store.upsert_post(conn, group["id"], post, "held" if held else "shown"):
        return  # known already: a repeated Create changes nothing
    if not held:
        rows = await store.posts_of_object(conn, obj["id"])
        stored = next(r for r in rows if r["group_id"] == group["id"])
        await service.share_post(state, conn, group, stored, ctx.now)


def _url(obj: Json, host: str) -> str | None:
    """The post's web address, only on its author's host (rule 11); else its id."""
    for candidate in (get_id(obj.get("url")), obj.get("id")):
        if isinstance(candidate, str) and candidate.startswith(("https://", "http://")):
            try:
                if canonical_host(candidate) == host:
                    return candidate
            except HostError:
                continue
    return None


async def post_updated(state: BoardState, ctx: InboxContext, obj: Json) -> bool:
    """Its author changed a post in a group: the copy follows, and the members get the Update
    announced by the group (FEP-1b12). Only the stored author may change it (rule 10)."""
    rows = [r for r in await _rows(ctx, obj["id"]) if r["author"] == ctx.actor.id]
    if not rows:
        return False
    content = str(clean_html(post_content(obj), limit=CONTENT_MAX))
    name = clean_text(obj.get("name") if isinstance(obj.get("name"), str) else "") or None
    async with ctx.transaction() as conn:
        for row in rows:
            if row["state"] in ("removed", "deleted"):
                continue
            await store.update_post_content(conn, row["id"], name, content, ctx.now)
            if row["state"] == "shown":
                group = await store.group_by_handle_in(conn, row["handle"])
                assert group is not None
                announce = objects.announce_activity(group, state.urls.new_activity(), ctx.activity)
                await state.outbox.send_to_followers_of(conn, group["actor_id"], announce, ctx.now)
    state.outbox.wake()
    return True


async def _rows(ctx: InboxContext, object_id: str) -> list[Row]:
    return await store.posts_of_object(ctx.db.reader, object_id)


async def post_deleted(
    state: BoardState, conn: aiosqlite.Connection, ctx: InboxContext, object_id: str
) -> int:
    """Its author deleted a post: it leaves every group, whose Announce is undone at the
    members. Only the stored author may delete it (rule 10). Returns how many groups."""
    count = 0
    if object_id == ctx.actor.id:  # the account is gone: it leaves every group
        for member_of in await store.list_groups(ctx.db):
            await fedstore.delete_follower(conn, member_of["actor_id"], ctx.actor.id)
        return 0
    for row in await store.posts_of_object(conn, object_id):
        if row["author"] != ctx.actor.id or row["state"] in ("removed", "deleted"):
            continue
        await store.set_post_state(conn, row["id"], "deleted", ctx.now)
        if row["state"] == "shown":
            group = await store.group_by_handle_in(conn, row["handle"])
            assert group is not None
            await service.undo_shared(state, conn, group, row, ctx.now)
        count += 1
    return count
