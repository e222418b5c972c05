"""Local groups in the board's figures.

The only place the report and the network page learn about local groups: each function is
one call of the groups slice's queries (`noticeboard/groups/queries.py`), and the figures, the
daily snapshot, the network page, the report page, its PDF and `aushang report-figures` take
groups from here. A group's posts are not notices, so they never count as notices published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from noticeboard.groups import queries as groups
from noticeboard.state import BoardState


@dataclass(frozen=True)
class GroupFigures:
    """One local group on the staff's network page (staff see group names; reports do not)."""

    name: str
    url: str
    members: int
    posts: int
    events: int
    shared: int


async def count_group_members(state: BoardState) -> int:
    """Members of all local groups now (for the daily snapshot)."""
    return await groups.count_members(state)


async def count_group_posts(state: BoardState, start: datetime, end: datetime) -> int:
    """Posts shown in local groups between start (included) and end (excluded)."""
    return await groups.count_posts(state, start, end)


async def count_new_groups(state: BoardState, start: datetime, end: datetime) -> int:
    """Local groups founded between start (included) and end (excluded)."""
    return await groups.count_new_groups(state, start, end)


async def group_figures(state: BoardState, since: datetime) -> list[GroupFigures]:
    """Each local group with its members now and its posts since a moment, for the staff's
    network page. A group's meetings are no notices, and the board shares nothing from its own
    groups, so `events` and `shared` stay 0."""
    posts = await groups.posts_since(state, since)
    return [
        GroupFigures(
            name=group.name,
            url=group.url,
            members=group.members,
            posts=posts.get(group.id, 0),
            events=0,
            shared=0,
        )
        for group in await groups.list_groups(state)
    ]
