"""What the posters and the weekly sheet show, read from the notices and the staff's choice."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup

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
MAX_NOTICES = 14  # with the events, one or two A4 pages
MAX_EVENTS = 10
MAX_CANDIDATES = 40  # what the staff page offers to choose from


TEXT_BUDGET = 900  # characters of text on a poster without strips, with a short title
LONG_TITLE = 60  # longer titles are set smaller (still at least 28 pt)
_BREAKS = re.compile(r"</p>|</li>|<br\s*/?>|</h\d>|</blockquote>", re.IGNORECASE)


@dataclass(frozen=True)
class Poster:
    notice: NoticeView
    strips: int
    short_title: str
    contact: str
    budget: int  # how many characters of the text fit

    @property
    def long_title(self) -> bool:
        return len(self.notice.title) > LONG_TITLE

    @property
    def paragraphs(self) -> list[str]:
        """The text as plain paragraphs, cut to what fits; the QR code leads to the rest."""
        return cut(paragraphs_of(self.notice.body_html), self.budget)

    def shorter(self) -> Poster | None:
        """The same poster with less text, when the first try did not fit on one page."""
        return replace(self, budget=self.budget // 2) if self.budget > 60 else None


@dataclass(frozen=True)
class WeekSheet:
    day: date
    last_day: date
    notices: list[NoticeView]
    events: list[NoticeView]
    more: int = 0  # notices and events left out for want of room

    def shorter(self) -> WeekSheet | None:
        """The sheet with the last two notices (or events) less, when it is over two pages."""
        if len(self.notices) > 2:
            return replace(self, notices=self.notices[:-2], more=self.more + 2)
        if len(self.events) > 2:
            return replace(self, events=self.events[:-2], more=self.more + 2)
        return None


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
    contact = contact or board_contact(state)
    return Poster(view, strips, short_title(row["title"]), contact, text_budget(view, strips))


def text_budget(view: NoticeView, strips: int) -> int:
    """Roughly what fits below the title: less with strips, a long title or event details."""
    budget = TEXT_BUDGET // 2 if strips else TEXT_BUDGET
    budget -= max(0, len(view.title) // 25 - 1) * 90
    budget -= 150 if view.event_start else 0
    return max(budget, 120)


def paragraphs_of(html: str) -> list[str]:
    parts = (Markup(part).striptags() for part in _BREAKS.split(html))
    return [part for part in parts if part]


def cut(paragraphs: list[str], budget: int) -> list[str]:
    """Whole paragraphs while they fit (each counts a line at least), then a cut one with '…'."""
    kept: list[str] = []
    for paragraph in paragraphs:
        if budget < 40:
            if kept:
                kept[-1] = kept[-1].rstrip(".…") + " …"
            break
        if len(paragraph) > budget:
            kept.append(paragraph[:budget].rsplit(" ", 1)[0] + " …")
            break
        kept.append(paragraph)
        budget -= max(len(paragraph), 50)
    return kept


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
    notices = [n for n in shown if n.event_start is None]
    events = sorted((n for n in shown if n.event_start), key=_start)
    return WeekSheet(
        day=day,
        last_day=day + timedelta(days=WEEK_DAYS - 1),
        notices=notices[:MAX_NOTICES],
        events=events[:MAX_EVENTS],
        more=max(0, len(notices) - MAX_NOTICES) + max(0, len(events) - MAX_EVENTS),
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
