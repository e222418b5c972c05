"""The one thing staff decide about paper: which notices the weekly sheet shows."""

from __future__ import annotations

from noticeboard import audit
from noticeboard.i18n import N_
from noticeboard.paper import store
from noticeboard.paper.forms import WeekChoice
from noticeboard.results import Ok, Refused, Result
from noticeboard.state import BoardState


async def choose_week_notices(state: BoardState, choice: WeekChoice) -> Result[int]:
    """Show the chosen notices on the weekly sheet and leave the other listed ones off;
    answers how many listed notices it shows."""
    async with state.db.transaction() as conn:
        if await store.count_existing_notices(conn, choice.listed) != len(choice.listed):
            return Refused(N_("A notice in this list no longer exists. Please reload the page."))
        left_off = choice.listed - choice.shown
        await store.replace_hidden(conn, choice.listed, left_off, state.clock())
        summary = f"{len(choice.listed) - len(left_off)} shown, {len(left_off)} left off"
        await audit.record(conn, "paper.week", state.urls.home, state.clock(), summary)
    return Ok(len(choice.listed) - len(left_off))
