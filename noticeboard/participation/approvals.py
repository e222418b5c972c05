"""Approving replies the way interaction-aware servers (GoToSocial) expect.

A notice announces in its `interactionPolicy` whether replies wait for the board's approval
(every reply policy but `open`). GoToSocial then either asks first with a `ReplyRequest`
(v0.21 on) or sends the reply as usual and waits (earlier versions, and every server that knows
no policies). When the board shows such a reply — staff approved it, or the `known` policy let
it through — it answers with an `Accept` whose `result` is a `ReplyAuthorization` the board
serves at `/authorizations/{token}`, so the replier's server, and servers that see the reply
later, can show it. A reply staff reject gets a `Reject`; a reply hidden after its approval
loses its authorization (the page answers 410).

An Accept of a ReplyRequest goes to the replier only (their server then sends the reply on
with the authorization). An Accept of a plain reply also goes to the board's followers,
addressed to the public, so that their servers learn of the approval (GoToSocial's
"Broadcasting Accepts for the benefit of third servers").
"""

from __future__ import annotations

import secrets
from datetime import datetime

import aiosqlite

from federation import store as fedstore
from federation.database import Row
from federation.vocab import PUBLIC, Json, build_activity, context
from noticeboard.notices.objects import INTERACTION_CONTEXT
from noticeboard.participation import store
from noticeboard.state import BoardState


def authorization_url(state: BoardState, token: str) -> str:
    return f"{state.urls.base}/authorizations/{token}"


async def accept(
    state: BoardState, conn: aiosqlite.Connection, post_id: str, now: datetime
) -> None:
    """The reply is shown: authorize it and tell its author's server (and, for a plain reply,
    the board's followers)."""
    row = await store.reply_approval_in(conn, post_id)
    if row is None or row["state"] != "pending":
        return
    token = secrets.token_urlsafe(18)
    activity = _answer("Accept", state, row)
    activity["result"] = authorization_url(state, token)
    await _deliver(state, conn, activity, row, now, to_followers=row["request_id"] is None)
    await store.decide_reply_approval(conn, post_id, "accepted", token, now)


async def refuse(
    state: BoardState, conn: aiosqlite.Connection, post_id: str, now: datetime
) -> None:
    """Staff rejected the reply: tell its author's server (only them)."""
    row = await store.reply_approval_in(conn, post_id)
    if row is None or row["state"] != "pending":
        return
    activity = _answer("Reject", state, row)
    await _deliver(state, conn, activity, row, now, to_followers=False)
    await store.decide_reply_approval(conn, post_id, "rejected", None, now)


async def revoke(conn: aiosqlite.Connection, post_id: str, now: datetime) -> None:
    """A shown reply was taken off the board: its authorization is withdrawn."""
    row = await store.reply_approval_in(conn, post_id)
    if row is not None and row["state"] == "accepted":
        await store.decide_reply_approval(conn, post_id, "revoked", None, now)


def _answer(type_: str, state: BoardState, row: Row) -> Json:
    """An Accept or Reject of a ReplyRequest (the request inlined, as GoToSocial reads it), or
    of a plain reply (the reply as `object`, the notice as `target`)."""
    notice = state.urls.notice(row["notice_id"])
    if row["request_id"]:
        answered: Json | str = {
            "type": "ReplyRequest",
            "id": row["request_id"],
            "actor": row["actor_id"],
            "object": notice,
            "instrument": row["post_id"],
        }
    else:
        answered = row["post_id"]
    activity = build_activity(
        type_, state.urls.new_activity(), state.urls.actor, answered, to=[row["actor_id"]]
    )
    activity["@context"] = [*context(), INTERACTION_CONTEXT]
    if not row["request_id"]:
        activity["target"] = notice
    return activity


async def _deliver(
    state: BoardState,
    conn: aiosqlite.Connection,
    activity: Json,
    row: Row,
    now: datetime,
    *,
    to_followers: bool,
) -> None:
    """Queue the answer for the replier's inbox (and the followers'); never in the outbox."""
    inboxes = []
    actor = await fedstore.get_remote_actor_in(conn, row["actor_id"])
    if actor is not None:
        inboxes.append(actor.inbox)
    if to_followers:
        activity["cc"] = [PUBLIC, state.urls.followers]
        inboxes += await fedstore.follower_inboxes(conn, state.urls.actor)
    await state.outbox.send(conn, activity, inboxes, now, public=False)
