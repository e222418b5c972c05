"""What the group pages and the command line read: groups with their next meetings, the posts
shared in a group, members, requests to join, held posts and blocked accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from federation import queue_store
from federation import store as fedstore
from federation.database import Row
from noticeboard.groups import store
from noticeboard.groups.forms import next_meetings
from noticeboard.notices.images import FORMATS
from noticeboard.state import BoardState


@dataclass(frozen=True)
class GroupView:
    id: int
    handle: str
    address: str  # @handle@host, what one types into a fediverse app
    actor_id: str
    url: str
    name: str
    summary: str
    meets: str
    place: str
    repeat_rule: str
    first_meeting: str | None
    next_meetings: list[datetime]
    contact: str
    picture_url: str | None
    picture_alt: str
    newcomers: bool
    languages: str
    join_policy: str
    post_policy: str
    members: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "address": self.address,
            "actor": self.actor_id,
            "url": self.url,
            "name": self.name,
            "summary": self.summary,
            "meets": self.meets,
            "place": self.place,
            "repeat": self.repeat_rule or None,
            "next_meetings": [m.isoformat() for m in self.next_meetings],
            "contact": self.contact,
            "newcomers_welcome": self.newcomers,
            "languages": [x for x in self.languages.split(", ") if x],
            "join_policy": self.join_policy,
            "post_policy": self.post_policy,
            "members": self.members,
        }


@dataclass(frozen=True)
class PostView:
    id: int
    object_id: str
    url: str
    author: str
    author_name: str
    name: str | None
    content: Markup
    published: str | None
    state: str
    in_reply_to: str | None
    received: str


async def _view(state: BoardState, row: Row) -> GroupView:
    config = state.config
    return GroupView(
        id=row["id"],
        handle=row["handle"],
        address=f"@{row['handle']}@{config.host}",
        actor_id=row["actor_id"],
        url=state.urls.group_page(row["handle"]),
        name=row["name"],
        summary=row["summary"],
        meets=row["meets"],
        place=row["place"],
        repeat_rule=row["repeat_rule"],
        first_meeting=row["first_meeting"],
        next_meetings=next_meetings(
            row["first_meeting"], row["repeat_rule"], state.clock(), config.timezone
        ),
        contact=row["contact"],
        picture_url=state.urls.media(row["picture"]) if row["picture"] else None,
        picture_alt=row["picture_alt"],
        newcomers=bool(row["newcomers"]),
        languages=row["languages"],
        join_policy=row["join_policy"],
        post_policy=row["post_policy"],
        members=await fedstore.count_followers(state.db, row["actor_id"]),
    )


async def list_groups(state: BoardState) -> list[GroupView]:
    return [await _view(state, row) for row in await store.list_groups(state.db)]


async def get_group(state: BoardState, handle: str) -> GroupView | None:
    row = await store.get_group_by_handle(state.db, handle)
    return await _view(state, row) if row is not None else None


async def group_row(state: BoardState, handle: str) -> Row | None:
    return await store.get_group_by_handle(state.db, handle)


async def group_handle_of(state: BoardState, group_id: int | None) -> str | None:
    """The handle of the group a leader leads."""
    if group_id is None:
        return None
    row = await store.get_group_by_id(state.db, group_id)
    return row["handle"] if row is not None else None


async def posts(
    state: BoardState, group_id: int, states: tuple[str, ...] = ("shown",), limit: int = 30
) -> list[PostView]:
    """Posts of a group (sanitised when they arrived), with their authors' names."""
    rows = await store.list_posts(state.db, group_id, states, limit)
    hidden = set(await fedstore.blocked_actor_ids(state.db))
    rows = [r for r in rows if r["author"] not in hidden]
    authors = await fedstore.remote_actors_by_id(state.db, [r["author"] for r in rows])
    views = []
    for r in rows:
        actor = authors.get(r["author"])
        label = r["author"]
        if actor is not None and actor.preferred_username:
            label = f"@{actor.preferred_username}@{actor.host}"
        views.append(
            PostView(
                id=r["id"],
                object_id=r["object_id"],
                url=r["url"] or r["object_id"],
                author=r["author"],
                author_name=(actor.name or label) if actor is not None else label,
                name=r["name"],
                content=Markup(r["content_html"]),  # sanitised when it arrived
                published=r["published"],
                state=r["state"],
                in_reply_to=r["in_reply_to"],
                received=r["received"],
            )
        )
    return views


@dataclass(frozen=True)
class MemberView:
    actor_id: str
    address: str
    name: str
    state: str


async def members(state: BoardState, actor_id: str, member_state: str) -> list[MemberView]:
    rows = await fedstore.list_followers(
        state.db, actor_id, state=member_state, before=None, limit=500
    )
    actors = await fedstore.remote_actors_by_id(state.db, [r["actor_id"] for r in rows])
    views = []
    for r in rows:
        actor = actors.get(r["actor_id"])
        address = r["actor_id"]
        if actor is not None and actor.preferred_username:
            address = f"@{actor.preferred_username}@{actor.host}"
        name = (actor.name if actor is not None else None) or address
        views.append(MemberView(r["actor_id"], address, name, member_state))
    return views


async def blocks(state: BoardState, group_id: int) -> list[Row]:
    return await store.list_blocks(state.db, group_id)


async def leaders(state: BoardState, group_id: int) -> list[str]:
    return [r["username"] for r in await store.list_leaders(state.db, group_id)]


async def outbox_count(state: BoardState, actor_id: str) -> int:
    return await queue_store.count_outbox(state.db, actor_id)


async def outbox_page(
    state: BoardState, actor_id: str, before: str | None, limit: int
) -> list[Row]:
    return await queue_store.list_outbox(state.db, actor_id, before=before, limit=limit)


async def picture_type(state: BoardState, file: str) -> str | None:
    """The media type of a group's picture (by its generated name), if it is one."""
    if not await store.is_group_picture(state.db, file):
        return None
    types = {kind: media for media, kind in FORMATS.values()}
    return types.get(file.rsplit(".", 1)[-1])


async def public_key(state: BoardState, actor_id: str) -> str | None:
    key = await fedstore.get_local_key(state.db, actor_id)
    return key.public_pem if key is not None else None


# --- figures for the report and the network page --------------------------------------------


async def count_members(state: BoardState) -> int:
    """Members of all groups now (a resident in two groups counts twice)."""
    total = 0
    for row in await store.list_groups(state.db):
        total += await fedstore.count_followers(state.db, row["actor_id"])
    return total


async def count_posts(state: BoardState, start: datetime, end: datetime) -> int:
    return await store.count_posts_between(state.db, start, end)


async def count_new_groups(state: BoardState, start: datetime, end: datetime) -> int:
    return await store.count_groups_created_between(state.db, start, end)


async def posts_since(state: BoardState, since: datetime) -> dict[int, int]:
    return await store.posts_per_group_since(state.db, since)
