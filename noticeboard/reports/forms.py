"""The period a report covers, read the same way from the web page and the command line: a
month (2026-11), a quarter (2026-Q4), a year (2026) or two days (from, to; both included)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from noticeboard.i18n import N_
from noticeboard.results import Ok, Refused, Result

FIRST_YEAR, LAST_YEAR = 1900, 2999
MONTH = re.compile(r"(\d{4})-(\d{2})")
QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
YEAR = re.compile(r"\d{4}")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

BAD_MONTH = N_("Please give the month as YYYY-MM, e.g. 2026-11.")
BAD_QUARTER = N_("Please give the quarter as YYYY-Q1 to YYYY-Q4, e.g. 2026-Q4.")
BAD_YEAR = N_("Please give the year as YYYY, e.g. 2026.")
BAD_DAY = N_("Please give the days as YYYY-MM-DD, e.g. 2026-11-01.")
BAD_ORDER = N_("The first day must not come after the last day.")
TOO_LONG = N_("A report covers at most ten years.")
OUT_OF_RANGE = N_("Please enter a date between the years 1900 and 2999.")
ONE_PERIOD = N_("Please choose one period: a month, a quarter, a year, or from and to.")
MAX_DAYS = 3660


@dataclass(frozen=True)
class Period:
    """Whole days in the board's time zone, the first and the last included."""

    first: date
    last: date

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """The period as UTC moments [start, end): local midnight to the midnight after."""
        zone = ZoneInfo(timezone)
        start = datetime.combine(self.first, time(0), zone)
        end = datetime.combine(self.last + timedelta(days=1), time(0), zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def as_dict(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def month_period(year: int, month: int) -> Period:
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(date(year, month, 1), following - timedelta(days=1))


def read_period(
    *,
    month: str = "",
    quarter: str = "",
    year: str = "",
    first: str = "",
    last: str = "",
) -> Result[Period]:
    """The one period the values name; exactly one way of naming it may be used."""
    given = [bool(month), bool(quarter), bool(year), bool(first or last)]
    if sum(given) != 1:
        return Refused(ONE_PERIOD)
    if month:
        return _month(month.strip())
    if quarter:
        return _quarter(quarter.strip())
    if year:
        return _year(year.strip())
    return _days(first.strip(), last.strip())


def _month(text: str) -> Result[Period]:
    found = MONTH.fullmatch(text)
    if not found or not 1 <= int(found[2]) <= 12:
        return Refused(BAD_MONTH, "month")
    if not FIRST_YEAR <= int(found[1]) <= LAST_YEAR:
        return Refused(OUT_OF_RANGE, "month")
    return Ok(month_period(int(found[1]), int(found[2])))


def _quarter(text: str) -> Result[Period]:
    found = QUARTER.fullmatch(text)
    if not found:
        return Refused(BAD_QUARTER, "quarter")
    year, number = int(found[1]), int(found[2])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return Refused(OUT_OF_RANGE, "quarter")
    first = month_period(year, 3 * number - 2)
    return Ok(Period(first.first, month_period(year, 3 * number).last))


def _year(text: str) -> Result[Period]:
    if not YEAR.fullmatch(text):
        return Refused(BAD_YEAR, "year")
    if not FIRST_YEAR <= int(text) <= LAST_YEAR:
        return Refused(OUT_OF_RANGE, "year")
    return Ok(Period(date(int(text), 1, 1), date(int(text), 12, 31)))


def _days(first: str, last: str) -> Result[Period]:
    days = []
    for text, field in ((first, "from"), (last, "to")):
        if not DAY.fullmatch(text):
            return Refused(BAD_DAY, field)
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return Refused(BAD_DAY, field)
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            return Refused(OUT_OF_RANGE, field)
        days.append(day)
    period = Period(days[0], days[1])
    if period.first > period.last:
        return Refused(BAD_ORDER, "to")
    if period.days > MAX_DAYS:
        return Refused(TOO_LONG, "to")
    return Ok(period)
