"""Posts from the network with what the board knows of their authors (from federation's cache
of remote actors): name, handle, profile address, inboxes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

from federation import store as fedstore
from federation.database import Database, Row
from noticeboard.network import store


def with_author(post: Row, actor: fedstore.RemoteActorRow | None) -> dict[str, Any]:
    """The post's columns plus its author's: actor_name, preferred_username, host, actor_url,
    actor_inbox, shared_inbox (None where the author is not cached)."""
    return {
        **dict(post),
        "actor_name": actor.name if actor else None,
        "preferred_username": actor.preferred_username if actor else None,
        "host": actor.host if actor else None,
        "actor_url": actor.url if actor else None,
        "actor_inbox": actor.inbox if actor else None,
        "shared_inbox": actor.shared_inbox if actor else None,
    }


async def with_authors(
    db: Database | aiosqlite.Connection, posts: Sequence[Row], column: str = "actor"
) -> list[dict[str, Any]]:
    """Each post (or any row naming an account in `column`) with its author's details."""
    actors = await fedstore.remote_actors_by_id(db, [p[column] for p in posts if p[column]])
    return [with_author(p, actors.get(p[column])) for p in posts]


async def authored_post(db: Database | aiosqlite.Connection, post_id: str) -> dict[str, Any] | None:
    """A stored post with its author's details (inside a transaction when given one)."""
    if isinstance(db, Database):
        post = await store.get_remote_post(db, post_id)
    else:
        post = await store.post_in(db, post_id)
    if post is None:
        return None
    actors = await fedstore.remote_actors_by_id(db, [post["actor"]])
    return with_author(post, actors.get(post["actor"]))
