"""What staff and leaders enter about a group, one schema for the web form and the command
line, and the pure rules of a group's meetings (when the next ones are)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from noticeboard.i18n import N_
from noticeboard.moments import OUT_OF_RANGE, OutOfRange, checked
from noticeboard.sanitize import strip_controls

HANDLE = re.compile(r"[a-z0-9_]{2,30}")
NAME_MAX = 100
SUMMARY_MAX = 1000
LINE_MAX = 200
LANGUAGES_MAX = 10
JOIN_POLICIES = ("open", "approve")
POST_POLICIES = ("open", "hold_strangers", "hold_all")
REPEAT_RULES = ("", "weekly", "biweekly", "monthly")
REPEAT_LABELS = {
    "": N_("Does not repeat"),
    "weekly": N_("Every week"),
    "biweekly": N_("Every two weeks"),
    "monthly": N_("Every month (same weekday)"),
}
JOIN_LABELS = {
    "open": N_("Anyone who follows the group is a member at once"),
    "approve": N_("The group's leader approves new members"),
}
POST_LABELS = {
    "open": N_("Every public post addressed to the group is shared"),
    "hold_strangers": N_("Posts of non-members wait for the leader's approval"),
    "hold_all": N_("Every post waits for the leader's approval"),
}


class InvalidGroup(ValueError):
    """Input that cannot be used, with a reason (a message id) per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class GroupForm:
    """A group's description as stored (the handle is fixed once the group exists)."""

    name: str
    summary: str
    meets: str
    place: str
    repeat_rule: str
    first_meeting: str | None  # UTC, stored form 'YYYY-MM-DDTHH:MM:SS+00:00'
    contact: str
    picture_alt: str
    newcomers: bool
    languages: str
    join_policy: str
    post_policy: str

    def values(self) -> dict[str, object]:
        values: dict[str, object] = asdict(self)
        values["newcomers"] = int(self.newcomers)
        return values


def _line(values: Mapping[str, str], name: str, limit: int = LINE_MAX) -> str:
    return " ".join(strip_controls(values.get(name, "") or "").split())[:limit]


def check_handle(value: str) -> str:
    """A group's handle: small letters, digits and underscores, 2 to 30 of them."""
    handle = value.strip().lower().lstrip("@")
    if not HANDLE.fullmatch(handle):
        raise InvalidGroup(
            {"handle": N_("A handle has 2 to 30 small letters, digits or underscores.")}
        )
    return handle


def read_group(values: Mapping[str, str], timezone: str) -> GroupForm:
    """Check a group's description; InvalidGroup names every field that is wrong."""
    errors: dict[str, str] = {}
    name = _line(values, "name", NAME_MAX + 1)
    if not name:
        errors["name"] = N_("Please give the group a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = N_("The name is too long (at most 100 characters).")
    summary = strip_controls(values.get("summary", "") or "").strip()
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = N_("The description is too long (at most 1000 characters).")
    repeat = values.get("repeat_rule", "") or ""
    if repeat not in REPEAT_RULES:
        errors["repeat_rule"] = N_("Please choose how often the group meets.")
    first = _first_meeting(values.get("first_meeting", ""), timezone, errors)
    if repeat and first is None and "first_meeting" not in errors:
        errors["first_meeting"] = N_("A repeating meeting needs its first date and time.")
    join = values.get("join_policy", "") or "open"
    if join not in JOIN_POLICIES:
        errors["join_policy"] = N_("Please choose how people join.")
    post = values.get("post_policy", "") or "hold_strangers"
    if post not in POST_POLICIES:
        errors["post_policy"] = N_("Please choose which posts wait for approval.")
    languages = [x for x in re.split(r"[,\s]+", _line(values, "languages")) if x]
    if len(languages) > LANGUAGES_MAX:
        errors["languages"] = N_("Please name at most 10 languages.")
    if errors:
        raise InvalidGroup(errors)
    return GroupForm(
        name=name,
        summary=summary,
        meets=_line(values, "meets"),
        place=_line(values, "place"),
        repeat_rule=repeat,
        first_meeting=first.isoformat() if first else None,
        contact=_line(values, "contact"),
        picture_alt=_line(values, "picture_alt", 1500),
        newcomers=(values.get("newcomers", "") or "") in ("1", "on", "yes", "true"),
        languages=", ".join(languages),
        join_policy=join,
        post_policy=post,
    )


def _first_meeting(value: str | None, timezone: str, errors: dict[str, str]) -> datetime | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        return checked(moment)
    except OutOfRange:
        errors["first_meeting"] = OUT_OF_RANGE
    except ValueError:
        errors["first_meeting"] = N_("Please enter a date and time, e.g. 2026-12-01 18:00.")
    return None


def next_meetings(
    first: str | None, rule: str, now: datetime, timezone: str, count: int = 3
) -> list[datetime]:
    """The next meetings from now (local times of the board): the first one alone if it does
    not repeat; for a monthly rule, the same weekday of the same week of each month."""
    if not first:
        return []
    start = datetime.fromisoformat(first).astimezone(ZoneInfo(timezone))
    if not rule:
        return [start] if start >= now else []
    found: list[datetime] = []
    index = 0
    while len(found) < count and index < 2000:
        moment = _occurrence(start, rule, index)
        index += 1
        if moment is not None and moment >= now:
            found.append(moment)
    return found


def _occurrence(start: datetime, rule: str, index: int) -> datetime | None:
    if rule in ("weekly", "biweekly"):
        step = 7 if rule == "weekly" else 14
        local = start.replace(tzinfo=None) + timedelta(days=step * index)
        return local.replace(tzinfo=start.tzinfo)
    # monthly: the n-th weekday of the month, as the first meeting was
    week = (start.day - 1) // 7
    months = start.month - 1 + index
    year, month = start.year + months // 12, months % 12 + 1
    first_day = start.replace(year=year, month=month, day=1)
    offset = (start.weekday() - first_day.weekday()) % 7 + 7 * week
    if offset >= _days_in(year, month):
        return None  # no fifth Tuesday this month
    return first_day + timedelta(days=offset)


def _days_in(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
