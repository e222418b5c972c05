"""What pages, staff pages and the command line read about participation: replies, reactions,
the queue, reports, blocks and the settings of who may take part."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from federation import store as fedstore
from federation.database import Row
from federation.vocab import Json, context
from noticeboard.network import store as network_store
from noticeboard.network.authors import authored_post, with_authors
from noticeboard.notices import store as notices_store
from noticeboard.notices.objects import INTERACTION_CONTEXT
from noticeboard.participation import store
from noticeboard.participation.approvals import authorization_url
from noticeboard.participation.service import QueueItem, queue_item
from noticeboard.participation.settings import current_reply_policy
from noticeboard.state import BoardState


@dataclass(frozen=True)
class Settings:
    reply_policy: str
    limited: bool
    allowed: list[Row]

    def as_json(self) -> dict[str, object]:
        return {
            "reply_policy": self.reply_policy,
            "limited_federation": self.limited,
            "allowed_servers": [r["domain"] for r in self.allowed],
        }


async def reply_policy(state: BoardState) -> str:
    return await current_reply_policy(state)


async def settings(state: BoardState) -> Settings:
    return Settings(
        reply_policy=await reply_policy(state),
        limited=await fedstore.is_limited(state.db),
        allowed=await fedstore.list_allowed_domains(state.db),
    )


async def replies_to(state: BoardState, notice_id: int) -> list[dict[str, Any]]:
    """Shown replies to a notice with their authors, oldest first; none of blocked accounts."""
    hidden = await fedstore.blocked_actor_ids(state.db)
    return await with_authors(
        state.db, await store.list_replies(state.db, notice_id, hidden_actors=hidden)
    )


async def recent_replies(state: BoardState) -> list[dict[str, Any]]:
    hidden = await fedstore.blocked_actor_ids(state.db)
    return await with_authors(
        state.db, await store.list_recent_replies(state.db, hidden_actors=hidden)
    )


async def reaction_counts(
    state: BoardState, notice_ids: Sequence[int]
) -> tuple[dict[int, dict[str, int]], dict[int, int]]:
    """Likes and boosts per notice, and shown replies per notice (blocked accounts' not)."""
    if not notice_ids:
        return {}, {}
    hidden = await fedstore.blocked_actor_ids(state.db)
    reactions = await store.count_reactions(state.db, notice_ids, hidden)
    replies = await store.count_replies(state.db, notice_ids, hidden)
    return reactions, replies


async def queue(
    state: BoardState, status: str = "pending", kind: str | None = None
) -> list[QueueItem]:
    rows = await store.list_items(state.db, status, kind=kind)
    return [queue_item(r) for r in rows]


async def queue_entry(state: BoardState, item_id: int) -> QueueItem | None:
    row = await store.get_item(state.db, item_id)
    return queue_item(row) if row else None


async def count_pending(state: BoardState) -> int:
    return await store.count_pending_items(state.db)


async def submission(state: BoardState, submission_id: int) -> Row | None:
    return await store.get_submission(state.db, submission_id)


async def report(state: BoardState, report_id: int) -> Row | None:
    return await store.get_report(state.db, report_id)


def reported_objects(report_row: Row | None) -> list[str]:
    return (
        [o for o in json.loads(report_row["objects"]) if isinstance(o, str)] if report_row else []
    )


async def post_with_author(state: BoardState, post_id: str) -> dict[str, Any] | None:
    """A reply or mention with its author's name and handle."""
    return await authored_post(state.db, post_id)


async def remote_post(state: BoardState, post_id: str) -> Row | None:
    return await network_store.get_remote_post(state.db, post_id)


async def notice_of(state: BoardState, notice_id: int) -> Row | None:
    return await notices_store.get_notice_by_id(state.db, notice_id)


async def author_of(state: BoardState, objects: Sequence[str]) -> fedstore.RemoteActorRow | None:
    """The remote author of a reported post shown on this board, to whom a report can go."""
    for object_id in objects:
        post = await network_store.get_remote_post(state.db, object_id)
        if post is not None:
            return await fedstore.get_remote_actor(state.db, post["actor"])
    return None


async def blocked_domains(state: BoardState) -> list[Row]:
    return await fedstore.list_blocked_domains(state.db)


async def blocked_actors(state: BoardState) -> list[Row]:
    return await fedstore.list_blocked_actors(state.db)


async def reply_authorization(state: BoardState, token: str) -> tuple[int, Json | None]:
    """The ReplyAuthorization served at its id: (200, document), (410, None) once revoked,
    (404, None) for a token the board never gave."""
    row = await store.get_reply_authorization(state.db, token)
    if row is None:
        return 404, None
    if row["state"] != "accepted":
        return 410, None
    return 200, {
        "@context": [*context(), INTERACTION_CONTEXT],
        "id": authorization_url(state, token),
        "type": "ReplyAuthorization",
        "attributedTo": state.urls.actor,
        "interactingObject": row["post_id"],
        "interactionTarget": state.urls.notice(row["notice_id"]),
    }
