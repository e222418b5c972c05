"""What pages, staff pages and the command line read about the board's network: followers,
following, partners, posts from the network, sharing rules, deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from federation import queue_store
from federation import store as fedstore
from federation.database import Row
from noticeboard.network import store
from noticeboard.network.authors import with_authors
from noticeboard.notices import store as notices_store
from noticeboard.state import BoardState

DELIVERY_STATES = ("pending", "sent", "failed", "dead")


async def count_followers(state: BoardState) -> int:
    return await fedstore.count_followers(state.db, state.urls.actor)


async def followers(state: BoardState) -> list[Row]:
    """Accepted followers, then pending follow requests."""
    rows: list[Row] = []
    for status in ("accepted", "pending"):
        rows += await fedstore.list_followers(
            state.db, state.urls.actor, state=status, before=None, limit=100_000
        )
    return rows


async def follow_requests(state: BoardState, limit: int = 100) -> list[Row]:
    return await fedstore.list_followers(
        state.db, state.urls.actor, state="pending", before=None, limit=limit
    )


async def follower_by_row(state: BoardState, row: int) -> Row | None:
    return await fedstore.get_follower_by_rowid(state.db, row)


async def following(state: BoardState) -> list[Row]:
    return await fedstore.list_following(state.db, state.urls.actor)


async def remote_actor(state: BoardState, actor_id: str) -> fedstore.RemoteActorRow | None:
    return await fedstore.get_remote_actor(state.db, actor_id)


async def deliveries(
    state: BoardState, states: Sequence[str] = ("failed", "dead"), limit: int = 100
) -> list[Row]:
    return await queue_store.list_deliveries(state.db, tuple(states), limit=limit)


async def delivery_counts(
    state: BoardState, activity_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Deliveries per state of each activity (a notice's Create)."""
    return await queue_store.delivery_counts(state.db, list(activity_ids))


async def inbox_failures(state: BoardState) -> list[Row]:
    return await queue_store.list_failed_inbox(state.db)


async def shared_notice_for(state: BoardState, url: str) -> int | None:
    """The board's live shared copy of a post, by the original's id or web address, or by
    the copy's own address on this board."""
    row = await store.get_share_by_url(state.db, url)
    if row is not None:
        return int(row["id"])
    number = state.urls.notice_number(url)
    if number is not None:
        notice = await notices_store.get_notice_by_id(state.db, number)
        if notice is not None and notice["origin"] == "shared":
            return int(notice["id"])
    return None


async def share_rules(state: BoardState) -> list[dict[str, Any]]:
    """The sharing rules, with the partner each is about (where it is one)."""
    return await with_authors(state.db, await store.list_rules(state.db), column="actor_id")


async def rule_hits(state: BoardState, limit: int = 20) -> list[Row]:
    return await store.list_hits(state.db, limit=limit)


async def partners(state: BoardState) -> list[dict[str, Any]]:
    """Accounts the board follows (accepted) or shares from, with what they mainly post."""
    followed = [r["actor_id"] for r in await following(state) if r["state"] == "accepted"]
    ids = followed + await store.list_shared_origins(state.db)
    actors = await fedstore.remote_actors_by_id(state.db, ids)
    found = []
    for actor in sorted(actors.values(), key=lambda a: (a.name is not None, a.name or "", a.id)):
        shared, kinds = await store.partner_activity(state.db, actor.id)
        found.append({**vars(actor), "shared": shared, "top_kinds": ",".join(kinds)})
    return found


async def network_posts(state: BoardState) -> list[dict[str, Any]]:
    """Posts from followed accounts (not blocked ones), newest first, with their authors."""
    hidden = await fedstore.blocked_actor_ids(state.db)
    rows = await store.list_network_posts(state.db, hidden_actors=hidden)
    return await with_authors(state.db, rows)


async def follower_counts(state: BoardState) -> list[Row]:
    return await store.list_follower_counts(state.db)


async def followers_by_server(state: BoardState) -> list[Row]:
    return await fedstore.followers_by_server(state.db, state.urls.actor)


async def notice_reach(state: BoardState, limit: int = 30) -> list[dict[str, Any]]:
    """Own notices, newest first, with how many servers and inboxes their Create reached."""
    rows = await store.list_own_notices(state.db, limit)
    reach = await queue_store.sent_reach(
        state.db, [r["create_activity_id"] for r in rows if r["create_activity_id"]]
    )
    return [
        {**dict(r), "servers": servers, "inboxes": inboxes}
        for r in rows
        for servers, inboxes in [reach.get(r["create_activity_id"], (0, 0))]
    ]
