"""Polls: what a poll is, how a vote counts, and the Question the fediverse sees."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from federation.database import Database, Row, from_db_time
from federation.vocab import Json, ap_time
from noticeboard.i18n import N_
from noticeboard.notices import poll_store

MAX_OPTIONS = 10
OPTION_MAX = 100
DEFAULT_DURATION = timedelta(days=7)
WEB_VOTES = ("anyone", "code")


@dataclass(frozen=True)
class PollDetails:
    options: tuple[str, ...]
    multiple: bool
    closes: datetime
    web_votes: str = "anyone"


@dataclass(frozen=True)
class PollState:
    """A poll as it stands: options with their counts, voters, and whether it is closed."""

    options: tuple[tuple[str, int], ...]
    voters: int
    multiple: bool
    closes: datetime | None
    closed: bool
    web_votes: str

    def percent(self, count: int) -> int:
        total = sum(c for _, c in self.options)
        return round(100 * count / total) if total else 0


def validate_poll(
    fields: Mapping[str, object], now: datetime | None, errors: dict[str, str]
) -> PollDetails | None:
    """Read options (2 to 10, distinct), single or multiple choice, closing time, web votes."""
    raw = fields.get("options") or []
    options = [str(o).strip() for o in raw if str(o).strip()] if isinstance(raw, list) else []
    if len(options) < 2 or len(options) > MAX_OPTIONS:
        errors["options"] = N_("A poll needs between 2 and 10 answers.")
    elif len(set(o.casefold() for o in options)) != len(options):
        errors["options"] = N_("Each answer may appear only once.")
    elif any(len(o) > OPTION_MAX for o in options):
        errors["options"] = N_("An answer can be at most 100 characters long.")
    closes = fields.get("closes")
    closing = None
    if isinstance(closes, datetime):
        closing = closes
    elif closes:
        errors["closes"] = N_("Please enter when the poll closes, e.g. 2026-12-24 18:00.")
    if closing is None and "closes" not in errors and now is not None:
        closing = now + DEFAULT_DURATION
    if closing is not None and now is not None and closing <= now:
        errors["closes"] = N_("The poll must close in the future.")
    web_votes = str(fields.get("web_votes") or "anyone")
    if web_votes not in WEB_VOTES:
        errors["web_votes"] = N_("Please choose who may vote on the website.")
    if errors or closing is None:
        return None
    return PollDetails(tuple(options), bool(fields.get("multiple")), closing, web_votes)


async def poll_state(db: Database | aiosqlite.Connection, notice: Row, now: datetime) -> PollState:
    """Read a poll's options and totals (inside a transaction when given a connection)."""
    if isinstance(db, Database):
        options = await poll_store.list_options(db, notice["id"])
        counts, voters = await poll_store.tally(db, notice["id"])
    else:
        options = await poll_store.options_in(db, notice["id"])
        counts, voters = await poll_store.tally_in(db, notice["id"])
    closes = from_db_time(notice["poll_closes"]) if notice["poll_closes"] else None
    return PollState(
        options=tuple((o["name"], counts.get(o["position"], 0)) for o in options),
        voters=voters,
        multiple=bool(notice["poll_multiple"]),
        closes=closes,
        closed=bool(closes and closes <= now),
        web_votes=notice["poll_web_votes"],
    )


def question_fields(state: PollState) -> Json:
    """The Question parts Mastodon reads: oneOf/anyOf with totals, endTime, closed, votersCount."""
    choices = [
        {"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": count}}
        for name, count in state.options
    ]
    fields: Json = {"anyOf" if state.multiple else "oneOf": choices, "votersCount": state.voters}
    if state.closes:
        fields["endTime"] = ap_time(state.closes)
        if state.closed:
            fields["closed"] = ap_time(state.closes)
    return fields


def new_codes(count: int) -> list[str]:
    """Participation codes that are easy to read from paper: no 0/O, 1/l/I."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return ["".join(secrets.choice(alphabet) for _ in range(8)) for _ in range(count)]
