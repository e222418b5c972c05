"""The daily snapshot: once a day the periodic job keeps what the board stood at (followers,
servers, e-mail subscribers, partner boards, members of local groups), so that reports can give
these figures for the end of any month, quarter or year."""

from __future__ import annotations

from datetime import timedelta

from noticeboard.reports import store
from noticeboard.reports.queries import current_figures, local_today
from noticeboard.state import BoardState


async def take_daily_snapshot(state: BoardState) -> bool:
    """Keep yesterday's closing figures (the board's time zone) once, at the first round of a
    new day; answer whether it kept them now. A day the server did not run has no row: its
    figures are those of the last day kept before it. (Followers and servers of days before
    this table existed came from the network page's counts; "partners" marks a day as kept.)"""
    day = (local_today(state) - timedelta(days=1)).isoformat()
    if await store.has_snapshot(state.db, "partners", day):
        return False
    figures = await current_figures(state)
    async with state.db.transaction() as conn:
        await store.insert_snapshot(conn, day, figures)
    return True
