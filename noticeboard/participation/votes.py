"""Votes in the board's polls: from Mastodon & co. (one Note per choice) and from the web page
(one per browser, or one per participation code)."""

from __future__ import annotations

import secrets
from datetime import datetime

import aiosqlite

from federation.database import Row, from_db_time
from noticeboard.notices import poll_store
from noticeboard.notices.polls import poll_state
from noticeboard.state import BoardState


async def count_vote(
    conn: aiosqlite.Connection,
    notice: Row,
    positions: list[int],
    voter: str,
    activity_id: str | None,
    now: datetime,
) -> bool:
    """Count a voter's choices: once per voter (per option for multiple choice), while open."""
    if notice["kind"] != "poll" or notice["deleted"]:
        return False
    if notice["poll_closes"] and from_db_time(notice["poll_closes"]) <= now:
        return False
    if not notice["poll_multiple"]:
        if len(positions) != 1 or await poll_store.has_voted(conn, notice["id"], voter):
            return False
    counted = False
    for position in dict.fromkeys(positions):
        counted |= await poll_store.insert_vote(
            conn, notice["id"], position, voter, activity_id, now
        )
    if counted:
        await poll_store.mark_changed(conn, notice["id"], now)
    return counted


async def vote_on_web(
    state: BoardState, notice: Row, positions: list[int], code: str, browser: str | None
) -> tuple[str, str | None]:
    """A vote from the board's page; returns the outcome and the browser's voter cookie.

    Outcomes: counted, already, closed, code (not valid or used), choice (none or unknown).
    A poll open to anyone counts one vote per browser (a random cookie); a poll for code
    holders one per participation code, which is used up by the vote.
    """
    now = state.clock()
    poll = await poll_state(state.db, notice, now)
    if poll.closed:
        return "closed", None
    if not positions or any(p >= len(poll.options) for p in positions):
        return "choice", None
    cookie = None
    async with state.db.transaction() as conn:
        if poll.web_votes == "code":
            code_text = code.strip().lower()
            if not await poll_store.use_code(conn, notice["id"], code_text, now):
                return "code", None
            voter = f"code:{code_text}"
        else:
            cookie = browser or secrets.token_urlsafe(16)
            voter = f"web:{cookie[:64]}"
        counted = await count_vote(conn, notice, positions, voter, None, now)
    return ("counted" if counted else "already"), cookie
