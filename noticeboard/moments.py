"""The span of time the board accepts, from people and from the fediverse.

Python's datetime ends at the years 1 and 9999; a date near either end overflows as soon as it
is moved to another time zone or has a day added (rule 29). The board takes moments between
1900 and 2999, which is far wider than any notice needs and far from either end.
"""

from __future__ import annotations

from datetime import UTC, datetime

from noticeboard.i18n import N_

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
OUT_OF_RANGE = N_("Please enter a date between the years 1900 and 2999.")


class OutOfRange(ValueError):
    """A date that lies outside EARLIEST..LATEST (or that Python cannot even hold)."""


def in_range(moment: datetime) -> bool:
    """Whether an aware moment lies in the span the board accepts."""
    return EARLIEST <= moment < LATEST


def checked(moment: datetime) -> datetime:
    """The moment in UTC, or OutOfRange."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError as exc:
        raise OutOfRange(str(exc)) from exc
    if not in_range(utc):
        raise OutOfRange(utc.isoformat())
    return utc
