"""Local groups in the board's figures.

GROUPS HOOK: the only place the report and the network page learn about local groups. Until
the groups slice (`noticeboard/groups/`) exists, each function answers 0 or nothing; when it
does, each body becomes one call of that slice's queries, and the figures, the daily snapshot,
the network page, the report page, its PDF and `aushang report-figures` show groups without any
other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    """GROUPS HOOK: members of all local groups now (for the daily snapshot)."""
    return 0


async def count_group_posts(state: BoardState, start: datetime, end: datetime) -> int:
    """GROUPS HOOK: posts in local groups between start (included) and end (excluded)."""
    return 0


async def count_new_groups(state: BoardState, start: datetime, end: datetime) -> int:
    """GROUPS HOOK: local groups founded between start (included) and end (excluded)."""
    return 0


async def group_figures(state: BoardState, since: datetime) -> list[GroupFigures]:
    """GROUPS HOOK: each local group with its members now and its posts, events and notices
    the board shared from it since a moment, for the staff's network page."""
    return []
