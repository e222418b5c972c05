"""Groups: creating and describing them, their leaders, members and posts (use cases).

A group is its own Group actor on the board's host with its own key; its members are the
followers of that actor (federation's followers table, keyed by the group's actor id). What a
leader may do is limited to the leader's one group (SECURITY.md, rule 52).
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from federation import store as fedstore
from federation.database import Row
from federation.keys import generate_private_key, private_key_to_pem, public_key_to_pem
from federation.store import LocalKey
from federation.vocab import build_activity
from noticeboard import audit
from noticeboard.accounts import passwords
from noticeboard.accounts.service import USERNAME_PATTERN, normalise_username
from noticeboard.groups import objects, store
from noticeboard.groups.forms import GroupForm, next_meetings
from noticeboard.i18n import N_
from noticeboard.notices.images import StoredImage
from noticeboard.results import Ok, Refused, Result, done
from noticeboard.state import BoardState

RESERVED = ("actor", "admin", "inbox", "staff", "gruppen", "groups", "mine")
LEADER = "group_leader"


async def create_group(
    state: BoardState, handle: str, form: GroupForm, picture: StoredImage | None = None
) -> Result[int]:
    """A new group with its own actor and key; its first meeting is announced."""
    urls, now = state.urls, state.clock()
    if handle in (state.config.username, state.config.host.split(":")[0], *RESERVED):
        return Refused(N_("This handle belongs to the board."), "handle")
    if await store.handle_taken(state.db, handle):
        return Refused(N_("There is a group with this handle already."), "handle")
    actor = urls.group_actor(handle)
    key = generate_private_key()
    pair = LocalKey(actor, f"{actor}#main-key", private_key_to_pem(key), public_key_to_pem(key))
    values = form.values()
    values["picture"] = picture.file if picture else None
    if picture:
        values["picture_alt"] = picture.alt
    async with state.db.transaction() as conn:
        group_id = await store.insert_group(conn, handle, actor, values, now)
        await fedstore.insert_local_key(conn, pair, now)
        await audit.record(conn, "group.create", handle, now)
        row = await store.group_by_handle_in(conn, handle)
        assert row is not None
        await _announce_next_meeting(state, conn, row, now)
    state.outbox.wake()
    return Ok(group_id)


async def edit_group(
    state: BoardState, handle: str, form: GroupForm, picture: StoredImage | None = None
) -> Result[None]:
    """Change a group's description; its members' servers get the new actor (Update)."""
    row = await store.get_group_by_handle(state.db, handle)
    if row is None:
        return Refused(N_("There is no such group."))
    now = state.clock()
    values = form.values()
    values["picture"] = picture.file if picture else row["picture"]
    if picture:
        values["picture_alt"] = picture.alt
    elif not form.picture_alt:
        values["picture_alt"] = row["picture_alt"]
    key = await fedstore.get_local_key(state.db, row["actor_id"])
    assert key is not None
    async with state.db.transaction() as conn:
        await store.update_group(conn, row["id"], values, now)
        await audit.record(conn, "group.edit", handle, now)
        changed = await store.group_by_handle_in(conn, handle)
        assert changed is not None
        document = objects.group_actor_document(changed, state.urls, key.public_pem)
        update = objects.update_actor(changed, state.urls.new_activity(), document)
        await state.outbox.send_to_followers_of(conn, changed["actor_id"], update, now)
        await _announce_next_meeting(state, conn, changed, now)
    state.outbox.wake()
    return done()


async def announce_meetings(state: BoardState) -> int:
    """Announce each group's next meeting once the one announced before has passed (the
    periodic loop calls this); return how many were announced."""
    now, count = state.clock(), 0
    for row in await store.list_groups(state.db):
        upcoming = next_meetings(
            row["first_meeting"], row["repeat_rule"], now, state.config.timezone, 1
        )
        if not row["repeat_rule"] or not upcoming:
            continue
        if row["announced_meeting"] == upcoming[0].date().isoformat():
            continue  # announced already: no write lock taken every minute
        async with state.db.transaction() as conn:
            count += await _announce_next_meeting(state, conn, row, now)
    if count:
        state.outbox.wake()
    return count


async def _announce_next_meeting(
    state: BoardState, conn: aiosqlite.Connection, row: Row, now: datetime
) -> int:
    """Send the next meeting as a Create{Event} to the members, once per meeting."""
    upcoming = next_meetings(row["first_meeting"], row["repeat_rule"], now, state.config.timezone)
    if not upcoming:
        return 0
    day = upcoming[0].date().isoformat()
    if row["announced_meeting"] == day:
        return 0
    event = objects.meeting_event(row, state.urls, upcoming[0])
    create = objects.create_event(row, state.urls.new_activity(), event)
    await state.outbox.send_to_followers_of(conn, row["actor_id"], create, now)
    await store.set_announced_meeting(conn, row["id"], day)
    return 1


# --- leaders ----------------------------------------------------------------------------------


async def make_leader(state: BoardState, username: str, handle: str) -> Result[str | None]:
    """Make an account the leader of one group: a new account gets a password (returned once);
    a leader of another group moves to this one. Board staff are never narrowed to a group."""
    name = normalise_username(username)
    row = await store.get_group_by_handle(state.db, handle)
    if row is None:
        return Refused(N_("There is no such group."))
    now = state.clock()
    password = None
    async with state.db.transaction() as conn:
        account = await store.get_staff(conn, name)
        if account is None:
            problem = _username_problem(name)
            if problem:
                return Refused(problem, "username")
            password = passwords.generate_password()
            await store.insert_leader(conn, name, passwords.hash_password(password), row["id"], now)
        elif account["role"] != LEADER:
            return Refused(N_("This account is board staff; it cannot lead only one group."))
        else:
            await store.set_leader_group(conn, account["id"], row["id"])
        await audit.record(conn, "group.leader", f"{name} ({handle})", now)
    return Ok(password)


def _username_problem(name: str) -> str | None:
    if USERNAME_PATTERN.fullmatch(name):
        return None
    return N_("A user name has 2 to 32 small letters, digits, dots, dashes or underscores.")


# --- members ----------------------------------------------------------------------------------


async def approve_member(state: BoardState, handle: str, actor_id: str) -> Result[None]:
    """Let a pending follower in: the member's server gets the Accept."""
    row = await store.get_group_by_handle(state.db, handle)
    if row is None:
        return Refused(N_("There is no such group."))
    follower = await fedstore.get_follower(state.db, row["actor_id"], actor_id)
    if follower is None or follower["state"] != "pending":
        return Refused(N_("Nobody with this address asked to join."))
    now = state.clock()
    follow = {"id": follower["follow_id"], "type": "Follow", "actor": actor_id}
    follow["object"] = row["actor_id"]
    accept = build_activity(
        "Accept", state.urls.new_activity(), row["actor_id"], follow, to=[actor_id]
    )
    async with state.db.transaction() as conn:
        await fedstore.set_follower_state(conn, row["actor_id"], actor_id, "accepted")
        await state.outbox.send(conn, accept, [follower["inbox"]], now, public=False)
        await audit.record(conn, "group.member.approve", f"{actor_id} ({handle})", now)
    state.outbox.wake()
    return done()


async def remove_member(
    state: BoardState, handle: str, actor_id: str, *, block: bool = True
) -> Result[int]:
    """Remove a member (a Reject of the follow tells the server, as Mastodon's 'remove
    follower' does); with `block`, the account cannot join again and its shared posts are
    taken back. Returns how many posts were taken back."""
    row = await store.get_group_by_handle(state.db, handle)
    if row is None:
        return Refused(N_("There is no such group."))
    if not _is_actor_id(actor_id):
        return Refused(N_("Please give the account's address (https://...)."), "actor")
    follower = await fedstore.get_follower(state.db, row["actor_id"], actor_id)
    if follower is None and not block:
        return Refused(N_("This account is not a member."))
    now, taken = state.clock(), 0
    async with state.db.transaction() as conn:
        if follower is not None:
            await fedstore.delete_follower(conn, row["actor_id"], actor_id)
            follow = {"id": follower["follow_id"], "type": "Follow", "actor": actor_id}
            follow["object"] = row["actor_id"]
            reject = build_activity(
                "Reject", state.urls.new_activity(), row["actor_id"], follow, to=[actor_id]
            )
            await state.outbox.send(conn, reject, [follower["inbox"]], now, public=False)
        if block:
            await store.insert_block(conn, row["id"], actor_id, audit.acting(), now)
            for post in await store.remove_posts_of(conn, row["id"], actor_id, now):
                await undo_shared(state, conn, row, post, now)
                taken += 1
        action = "group.member.block" if block else "group.member.remove"
        await audit.record(conn, action, f"{actor_id} ({handle})", now)
    state.outbox.wake()
    return Ok(taken)


def _is_actor_id(value: str) -> bool:
    return value.startswith(("https://", "http://")) and 10 < len(value) <= 1000


# --- posts ------------------------------------------------------------------------------------


async def approve_post(state: BoardState, handle: str, post_id: int) -> Result[None]:
    """Share a held post with the members."""
    row, post = await _post_of(state, handle, post_id)
    if row is None or post is None:
        return Refused(N_("There is no such post in this group."))
    if post["state"] != "held":
        return Refused(N_("This post is not waiting for approval."))
    now = state.clock()
    async with state.db.transaction() as conn:
        await share_post(state, conn, row, post, now)
        await audit.record(conn, "group.post.approve", f"{post['object_id']} ({handle})", now)
    state.outbox.wake()
    return done()


async def remove_post(state: BoardState, handle: str, post_id: int) -> Result[None]:
    """Take a post out of the group: a shared one's Announce is undone at the members."""
    row, post = await _post_of(state, handle, post_id)
    if row is None or post is None:
        return Refused(N_("There is no such post in this group."))
    if post["state"] not in ("shown", "held"):
        return Refused(N_("This post is no longer in the group."))
    now = state.clock()
    async with state.db.transaction() as conn:
        await store.set_post_state(conn, post["id"], "removed", now)
        if post["state"] == "shown":
            await undo_shared(state, conn, row, post, now)
        await audit.record(conn, "group.post.remove", f"{post['object_id']} ({handle})", now)
    state.outbox.wake()
    return done()


async def _post_of(state: BoardState, handle: str, post_id: int) -> tuple[Row | None, Row | None]:
    row = await store.get_group_by_handle(state.db, handle)
    post = await store.get_post(state.db, post_id)
    if row is None or post is None or post["group_id"] != row["id"]:
        return row, None
    return row, post


async def share_post(
    state: BoardState, conn: aiosqlite.Connection, row: Row, post: Row, now: datetime
) -> None:
    """Announce a post to the group's members (inside the caller's transaction)."""
    announce_id = state.urls.new_activity()
    activity = objects.announce(state.urls, row, announce_id, post["object_id"])
    await store.set_post_state(conn, post["id"], "shown", now, announce_id=announce_id)
    await state.outbox.send_to_followers_of(conn, row["actor_id"], activity, now)


async def undo_shared(
    state: BoardState, conn: aiosqlite.Connection, row: Row, post: Row, now: datetime
) -> None:
    if not post["announce_id"]:
        return
    undo = objects.undo_announce(
        row, state.urls.new_activity(), post["announce_id"], post["object_id"]
    )
    await state.outbox.send_to_followers_of(conn, row["actor_id"], undo, now)
