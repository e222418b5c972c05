"""Events as iCalendar (RFC 5545): one .ics per event and a subscribable calendar per board."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from federation.database import Row, from_db_time
from noticeboard import __version__
from noticeboard.config import Config
from noticeboard.groups.objects import MEETING_LENGTH
from noticeboard.groups.queries import GroupView
from noticeboard.urls import BoardUrls

if TYPE_CHECKING:
    from icalendar import Event


def events_calendar(
    rows: list[Row],
    config: Config,
    urls: BoardUrls,
    *,
    name: str,
    groups: Sequence[GroupView] = (),
) -> bytes:
    """Build a VCALENDAR with one VEVENT per event, times in the board's time zone, and one
    repeating VEVENT (RRULE) per group that meets regularly."""
    from icalendar import Calendar  # on first use: only calendar downloads need it

    calendar = Calendar()
    calendar.add("prodid", f"-//Aushang//Aushang {__version__}//DE")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", config.timezone)
    for row in rows:
        calendar.add_component(_event(row, config, urls))
    for group in groups:
        if group.first_meeting:
            calendar.add_component(_meeting(group, config))
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical


def _meeting(group: GroupView, config: Config) -> Event:
    """A group's meetings: the first one, repeated by the group's rule."""
    from icalendar import Event

    zone = ZoneInfo(config.timezone)
    start = datetime.fromisoformat(group.first_meeting or "").astimezone(zone)
    event = Event()
    event.add("uid", f"{group.actor_id}/meetings")
    event.add("dtstamp", start)
    event.add("dtstart", start)
    event.add("dtend", start + MEETING_LENGTH)
    event.add("summary", f"{group.name}: Treffen")
    event.add("description", f"{group.summary}\n\n{group.url}".strip())
    event.add("url", group.url)
    if group.place:
        event.add("location", group.place)
    rule = _rrule(group.repeat_rule, start)
    if rule:
        event.add("rrule", rule)
    return event


def _rrule(rule: str, start: datetime) -> dict[str, object] | None:
    day = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[start.weekday()]
    if rule == "weekly":
        return {"freq": "weekly"}
    if rule == "biweekly":
        return {"freq": "weekly", "interval": 2}
    if rule == "monthly":  # the same weekday of the same week, as the group meets
        return {"freq": "monthly", "byday": f"{(start.day - 1) // 7 + 1}{day}"}
    return None


def _event(row: Row, config: Config, urls: BoardUrls) -> Event:
    from icalendar import Event, vGeo

    zone = ZoneInfo(config.timezone)
    url = urls.notice(row["id"])
    event = Event()
    event.add("uid", url)
    event.add("dtstamp", from_db_time(row["updated"] or row["published"]))
    event.add("created", from_db_time(row["published"]))
    if row["updated"]:
        event.add("last-modified", from_db_time(row["updated"]))
    event.add("dtstart", from_db_time(row["event_start"]).astimezone(zone))
    if row["event_end"]:
        event.add("dtend", from_db_time(row["event_end"]).astimezone(zone))
    event.add("summary", row["title"])
    event.add("description", row["body_md"] + f"\n\n{url}")
    event.add("url", url)
    location = ", ".join(p for p in (row["place_name"], row["place_address"]) if p)
    if location or row["online_url"]:
        event.add("location", location or row["online_url"])
    if row["latitude"] is not None and row["longitude"] is not None:
        event.add("geo", vGeo((row["latitude"], row["longitude"])))
    event.add("status", "CANCELLED" if row["deleted"] else "CONFIRMED")
    event.add("organizer", f"mailto:{config.contact.email}" if config.contact.email else urls.actor)
    return event
