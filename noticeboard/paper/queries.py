"""What the posters and the weekly sheet show, read from the notices and the staff's choice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from federation.database import Row, to_db_time
from noticeboard.notices import queries as notices
from noticeboard.pages.views import NoticeView, notice_view
from noticeboard.paper import store
from noticeboard.state import BoardState

# Offers and requests get strips to tear off, with a contact on each.
TEAR_OFF_KINDS = frozenset({"offer-help", "need-help", "give-lend", "looking-for", "lost-found"})
STRIPS = 6
SHORT_TITLE = 32
WEEK_DAYS = 14
MAX_NOTICES = 16  # with the events, one or two A4 pages
MAX_EVENTS = 12
MAX_CANDIDATES = 40  # what the staff page offers to choose from


@dataclass(frozen=True)
class Poster:
    notice: NoticeView
    strips: int
    short_title: str
    contact: str


@dataclass(frozen=True)
class WeekSheet:
    day: date
    last_day: date
    notices: list[NoticeView]
    events: list[NoticeView]


@dataclass(frozen=True)
class Candidate:
    notice: NoticeView
    shown: bool


async def poster(state: BoardState, notice_id: int, contact: str = "") -> Poster | None:
    """A notice's poster; `contact` replaces the board's on the strips."""
    row = await notices.get_notice(state, notice_id)
    if row is None or row["origin"] == "shared":  # another board's notice, its contact elsewhere
        return None
    view = notice_view(row, state.urls, now=state.clock())
    strips = STRIPS if row["kind"] in TEAR_OFF_KINDS else 0
    return Poster(view, strips, short_title(row["title"]), contact or board_contact(state))


def board_contact(state: BoardState) -> str:
    """The shortest way to reach the board on a strip: phone, else e-mail, else its page."""
    contact = state.config.contact
    return contact.phone or contact.email or state.urls.home


def short_title(title: str) -> str:
    title = " ".join(title.split())
    if len(title) <= SHORT_TITLE:
        return title
    return title[: SHORT_TITLE - 1].rsplit(" ", 1)[0].rstrip(",.;:–-") + "…"


def today(state: BoardState) -> date:
    return state.clock().astimezone(ZoneInfo(state.config.timezone)).date()


def start_of(state: BoardState, day: date) -> datetime:
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(state.config.timezone))
    return local.astimezone(UTC)


async def week_sheet(state: BoardState, day: date | None = None) -> WeekSheet:
    """Current notices (pinned first) and the events of the 14 days from `day`, without the
    ones staff left off."""
    candidates = await week_candidates(state, day)
    shown = [c.notice for c in candidates if c.shown]
    day = day or today(state)
    return WeekSheet(
        day=day,
        last_day=day + timedelta(days=WEEK_DAYS - 1),
        notices=[n for n in shown if n.event_start is None][:MAX_NOTICES],
        events=sorted((n for n in shown if n.event_start), key=_start)[:MAX_EVENTS],
    )


def _start(view: NoticeView) -> datetime:
    assert view.event_start is not None
    return view.event_start


async def week_candidates(state: BoardState, day: date | None = None) -> list[Candidate]:
    """What the weekly sheet may show, marked as shown unless staff left it off."""
    day = day or today(state)
    moment = state.clock() if day == today(state) else start_of(state, day)
    rows = await _current_at(state, moment)
    end = start_of(state, day + timedelta(days=WEEK_DAYS))
    rows += [
        r
        for r in await notices.list_upcoming_events(state, moment)
        if r["event_start"] and r["event_start"] < to_db_time(end)
    ]
    hidden = await store.list_hidden_notice_ids(state.db)
    return [
        Candidate(notice_view(r, state.urls, now=moment), r["id"] not in hidden)
        for r in rows[:MAX_CANDIDATES]
    ]


async def _current_at(state: BoardState, moment: datetime) -> list[Row]:
    rows = await notices.list_current_at(state, moment, limit=MAX_CANDIDATES)
    rows = [r for r in rows if r["kind"] != "event"]
    return sorted(rows, key=lambda r: not r["pinned"])  # stable: newest first otherwise
