"""What the board's ActivityPub endpoints read: its collections and stored activities."""

from __future__ import annotations

from federation import queue_store
from federation import store as fedstore
from federation.database import Row
from noticeboard.notices import store as notices_store
from noticeboard.participation import store as participation_store
from noticeboard.state import BoardState


async def count_outbox(state: BoardState) -> int:
    return await queue_store.count_outbox(state.db, state.urls.actor)


async def outbox_page(state: BoardState, before: str | None, limit: int) -> list[Row]:
    return await queue_store.list_outbox(state.db, state.urls.actor, before=before, limit=limit)


async def count_followers(state: BoardState) -> int:
    return await fedstore.count_followers(state.db, state.urls.actor)


async def followers_page(state: BoardState, before: str | None, limit: int) -> list[Row]:
    return await fedstore.list_followers(state.db, state.urls.actor, before=before, limit=limit)


async def accepted_following(state: BoardState) -> list[str]:
    rows = await fedstore.list_following(state.db, state.urls.actor)
    return [r["actor_id"] for r in rows if r["state"] == "accepted"]


async def public_activity(state: BoardState, activity_id: str) -> Row | None:
    """An activity the board sent to the public (others are not served)."""
    row = await queue_store.get_outbox_activity(state.db, activity_id)
    return row if row is not None and row["public"] else None


async def count_notices(state: BoardState) -> int:
    return await notices_store.count_notices(state.db)


async def reply_ids(state: BoardState, notice_id: int) -> list[str]:
    hidden = await fedstore.blocked_actor_ids(state.db)
    rows = await participation_store.list_replies(state.db, notice_id, hidden_actors=hidden)
    return [r["id"] for r in rows]
