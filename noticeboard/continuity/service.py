"""Moving house and closing: what the board tells the fediverse, and what it remembers.

A move works as Mastodon's account migration does: the new board names the old actor in
`alsoKnownAs` first (`prepare_move`), then the old board sends `Move{object: old, target: new}`
to its followers and names the new actor in `movedTo` (`move_to`). Closing sends a last
notice and then a `Delete` of the actor and of each group's actor (`close`).
"""

from __future__ import annotations

import json

import aiosqlite

from federation import store as fedstore
from federation.actors import also_known_as
from federation.vocab import PUBLIC, Json, build_activity
from noticeboard import audit, store
from noticeboard.activitypub.documents import actor_document
from noticeboard.continuity import queries
from noticeboard.continuity.queries import ALIASES, CLOSED, MOVED
from noticeboard.groups import store as group_store
from noticeboard.i18n import N_, get_translations
from noticeboard.notices import service as notices
from noticeboard.notices.forms import NoticeDraft
from noticeboard.results import Ok, Refused, Result
from noticeboard.state import BoardState, created

MAX_ALIASES = 10
CLOSED_ALREADY = N_("The board has closed.")
MOVED_ALREADY = N_("The board has moved already.")


async def prepare_move(state: BoardState, old: fedstore.RemoteActorRow) -> Result[list[str]]:
    """Name an earlier address of the board in `alsoKnownAs`, so that it may move here."""
    status = await queries.status(state)
    if status.closed or status.moved:
        return Refused(CLOSED_ALREADY if status.closed else MOVED_ALREADY)
    if old.id == state.urls.actor:
        return Refused(N_("The board cannot move from itself."))
    if old.id in status.also_known_as:
        return Ok(status.also_known_as)
    aliases = [*status.also_known_as, old.id][-MAX_ALIASES:]
    now = state.clock()
    async with state.db.transaction() as conn:
        await store.set_setting(conn, ALIASES, json.dumps(aliases))
        await _send_actor_update(state, conn, aliases, None)
        await audit.record(conn, "move.prepare", old.id, now)
    state.outbox.wake()
    return Ok(aliases)


async def forget_alias(state: BoardState, actor_id: str) -> Result[list[str]]:
    """Take an earlier address out of `alsoKnownAs` again."""
    status = await queries.status(state)
    if actor_id not in status.also_known_as:
        return Refused(N_("The board does not name this address as its earlier one."))
    aliases = [a for a in status.also_known_as if a != actor_id]
    async with state.db.transaction() as conn:
        await store.set_setting(conn, ALIASES, json.dumps(aliases))
        await _send_actor_update(state, conn, aliases, None)
        await audit.record(conn, "move.forget", actor_id, state.clock())
    state.outbox.wake()
    return Ok(aliases)


async def move_to(state: BoardState, target: fedstore.RemoteActorRow) -> Result[int]:
    """Move the board's followers to a new address: `Move` to every follower, `movedTo` in
    the actor; Ok(how many deliveries were queued). The new actor must name this one in
    `alsoKnownAs`, or Mastodon (and every server like it) ignores the Move."""
    status = await queries.status(state)
    if status.closed:
        return Refused(CLOSED_ALREADY)
    if target.id == state.urls.actor:
        return Refused(N_("The board cannot move to itself."))
    if status.moved and status.moved.actor == target.id:
        return Refused(MOVED_ALREADY)
    if state.urls.actor not in also_known_as(target):
        return Refused(
            N_(
                "The new address does not name this board as its earlier one (alsoKnownAs). "
                "Run 'aushang move prepare' on the new board first."
            )
        )
    moved = {"actor": target.id, "home": _home_of(target), "handle": _handle(target)}
    move = build_activity(
        "Move",
        state.urls.new_activity(),
        state.urls.actor,
        state.urls.actor,
        to=[state.urls.followers],
    )
    move["target"] = target.id
    now = state.clock()
    async with state.db.transaction() as conn:
        await store.set_setting(conn, MOVED, json.dumps(moved))
        count = await state.outbox.send_to_followers(conn, move, now)
        await _send_actor_update(state, conn, status.also_known_as, target.id)
        await audit.record(conn, "move.move", target.id, now)
    state.outbox.wake()
    return Ok(count)


async def close(state: BoardState, archive_url: str | None, message: str | None) -> Result[int]:
    """Close the board: a last notice says where the archive lives, then the actor and each
    group's actor are deleted to their followers and the accounts they follow, and those are
    forgotten. Ok(the last notice's number)."""
    status = await queries.status(state)
    if status.closed:
        return Refused(CLOSED_ALREADY)
    if archive_url and not archive_url.startswith(("https://", "http://")):
        return Refused(N_("The archive's address must start with https://."))
    draft = _last_notice(state, archive_url, message)
    now = state.clock()
    groups = [row["actor_id"] for row in await group_store.list_groups(state.db)]
    actors = [state.urls.actor, *groups]
    followed = {actor: await _followed_inboxes(state, actor) for actor in actors}
    async with state.db.transaction() as conn:
        notice_id, _ = await notices.publish_in(state, conn, draft, None)
        deletes = {
            actor: await _delete_actor(state, conn, actor, inboxes)
            for actor, inboxes in followed.items()
        }
        delete_id = deletes.pop(state.urls.actor)
        closed = {
            "at": now.isoformat(),
            "archive_url": archive_url,
            "delete_id": delete_id,
            "group_deletes": deletes,
        }
        await store.set_setting(conn, CLOSED, json.dumps(closed))
        await audit.record(conn, "board.close", archive_url or "", now)
    state.outbox.wake()
    return Ok(notice_id)


async def _followed_inboxes(state: BoardState, actor: str) -> list[str]:
    """The accounts a local actor follows learn of its end too (Mastodon tells them as well)."""
    rows = await fedstore.list_following(state.db, actor)
    actors = await fedstore.remote_actors_by_id(state.db, [r["actor_id"] for r in rows])
    return [a.shared_inbox or a.inbox for a in actors.values()]


async def _delete_actor(
    state: BoardState, conn: aiosqlite.Connection, actor: str, followed: list[str]
) -> str:
    """Queue the Delete of a local actor (the board or a group) to its followers and to the
    accounts it follows, and forget both; return the Delete's id."""
    delete_id = state.urls.new_activity()
    delete = build_activity("Delete", delete_id, actor, actor, to=[PUBLIC])
    inboxes = await fedstore.follower_inboxes(conn, actor)
    await state.outbox.send(conn, delete, dict.fromkeys(inboxes + followed), state.clock())
    await fedstore.forget_relationships(conn, actor)
    return delete_id


def _last_notice(state: BoardState, archive_url: str | None, message: str | None) -> NoticeDraft:
    gettext = get_translations(state.config.language).gettext
    title = gettext(N_("This board has closed"))
    body = message or gettext(N_("Thank you for reading along. This board does not post any more."))
    if archive_url:
        body += "\n\n" + gettext(N_("The archive of all notices: %(url)s")) % {"url": archive_url}
    return NoticeDraft(title=title, body=body, category=None)


async def _send_actor_update(
    state: BoardState, conn: aiosqlite.Connection, aliases: list[str], moved_to: str | None
) -> None:
    """Tell the followers that the actor changed (Mastodon sends an Update with a move)."""
    pem = state.keys.public_pems[state.urls.actor]
    doc = actor_document(
        state.config,
        state.urls,
        pem,
        await created(state),
        also_known_as=aliases,
        moved_to=moved_to,
    )
    update: Json = build_activity(
        "Update", state.urls.new_activity(), state.urls.actor, doc, to=[PUBLIC]
    )
    await state.outbox.send_to_followers(conn, update, state.clock())


def _home_of(actor: fedstore.RemoteActorRow) -> str:
    if actor.url:
        return actor.url
    scheme = actor.id.split("://", 1)[0]
    return f"{scheme}://{actor.id.split('://', 1)[1].split('/', 1)[0]}/"


def _handle(actor: fedstore.RemoteActorRow) -> str | None:
    if not actor.preferred_username:
        return None
    return f"@{actor.preferred_username}@{actor.id.split('://', 1)[1].split('/', 1)[0]}"
