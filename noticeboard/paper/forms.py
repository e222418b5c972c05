"""Input for the paper pages and commands: the weekly sheet's day and the staff's choice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from noticeboard.i18n import N_
from noticeboard.paper.queries import MAX_CANDIDATES


class InvalidPaperInput(ValueError):
    """Input that cannot be used; the message is a catalogue message id."""


@dataclass(frozen=True)
class WeekChoice:
    listed: frozenset[int]  # the notices the staff page showed
    shown: frozenset[int]  # the ones ticked


def parse_day(value: str | None) -> date | None:
    """A day as YYYY-MM-DD; empty means today."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidPaperInput(N_("Please give the day as YYYY-MM-DD.")) from exc


def parse_week_choice(listed: str, shown: list[str]) -> WeekChoice:
    listed_ids = _ids(listed.split(","))
    shown_ids = _ids(shown)
    if len(listed_ids) > MAX_CANDIDATES or not shown_ids <= listed_ids:
        raise InvalidPaperInput(N_("This choice of notices is not valid. Please reload the page."))
    return WeekChoice(listed_ids, shown_ids)


def _ids(values: list[str]) -> frozenset[int]:
    values = [v.strip() for v in values if v.strip()]
    if not all(v.isdigit() and len(v) <= 18 for v in values):
        raise InvalidPaperInput(N_("This choice of notices is not valid. Please reload the page."))
    return frozenset(int(v) for v in values)
