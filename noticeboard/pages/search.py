"""Searching notices: what people type becomes a safe FTS5 query."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from noticeboard.moments import EARLIEST, LATEST

MAX_TERMS = 10


def fts_query(text: str) -> str | None:
    """Every word must occur (as a word start); FTS5 syntax typed by people is not interpreted."""
    words = re.findall(r"\w+", text, flags=re.UNICODE)[:MAX_TERMS]
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


def page_number(value: str | None, pages: int) -> int | None:
    """The page of results a link asks for, 1 to `pages` (1 without a page); None for
    anything else."""
    if value is None:
        return 1
    if not value.isascii() or not value.isdigit() or len(value) > 3:
        return None
    number = int(value)
    return number if 1 <= number <= pages else None


def day_bounds(value: str | None, timezone: str, *, end: bool) -> datetime | None:
    """The start of a day (or of the next day, for an end date) in the board's time zone."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if end and day < date.max:
        day += timedelta(days=1)
    try:
        moment = datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    except OverflowError:  # the first or last day Python knows: no bound at all (rule 29)
        return None
    return min(max(moment, EARLIEST), LATEST)
