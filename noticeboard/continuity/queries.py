"""Where the board stands in its life: aliases of an earlier address, a move, a closing.

Single values live in the board's settings table: `also_known_as` (a JSON list of actor ids),
`moved_to` and `closed` (JSON objects).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from federation import queue_store
from federation.database import Database
from noticeboard import store
from noticeboard.state import BoardState

ALIASES = "also_known_as"
MOVED = "moved_to"
CLOSED = "closed"


@dataclass(frozen=True)
class Moved:
    actor: str  # the new actor's id
    home: str  # the new board's web address, where pages are redirected
    handle: str | None


@dataclass(frozen=True)
class Closed:
    at: str
    archive_url: str | None
    delete_id: str  # the Delete of the actor; the actor answers 410 once it is delivered
    group_deletes: dict[str, str] = field(default_factory=dict)  # group actor → its Delete


@dataclass(frozen=True)
class Continuity:
    also_known_as: list[str]
    moved: Moved | None
    closed: Closed | None


async def status(state: BoardState) -> Continuity:
    return await status_of(state.db)


async def status_of(db: Database) -> Continuity:
    values = await store.get_settings(db, (ALIASES, MOVED, CLOSED))
    aliases, moved, closed = (_json(values.get(key)) for key in (ALIASES, MOVED, CLOSED))
    return Continuity(
        [a for a in aliases if isinstance(a, str)] if isinstance(aliases, list) else [],
        Moved(moved["actor"], moved["home"], moved.get("handle")) if _has(moved, "actor") else None,
        _closed(closed) if _has(closed, "delete_id") else None,
    )


def _closed(value: dict[str, Any]) -> Closed:
    groups = value.get("group_deletes")
    group_deletes = (
        {k: v for k, v in groups.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(groups, dict)
        else {}
    )
    return Closed(value["at"], value.get("archive_url"), value["delete_id"], group_deletes)


def _json(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _has(value: Any, key: str) -> bool:
    return isinstance(value, dict) and isinstance(value.get(key), str)


async def delivering(state: BoardState, activity_id: str) -> bool:
    """Whether deliveries of an activity are still waiting to be sent (or retried)."""
    counts = (await queue_store.delivery_counts(state.db, [activity_id])).get(activity_id, {})
    return counts.get("pending", 0) > 0


async def closing_deliveries(state: BoardState, closed: Closed) -> dict[str, int]:
    """How many deliveries of the closing's Deletes (the board's and its groups') are in
    each state."""
    ids = [closed.delete_id, *closed.group_deletes.values()]
    total: dict[str, int] = {}
    for counts in (await queue_store.delivery_counts(state.db, ids)).values():
        for delivery_state, n in counts.items():
            total[delivery_state] = total.get(delivery_state, 0) + n
    return total
