"""Notices as staff write them: one schema for the web form and the command line.

`NoticeForm` holds a draft as the texts a person types, field by field, with the same names on
the web (form fields) and on the command line (options are mapped to them). Editing starts from
the notice's current values, so a field that one side does not offer is kept as it is.
`validate_draft` checks the texts and returns a `NoticeDraft`. No SQL, no JSON-LD.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from federation.database import Row, from_db_time
from noticeboard.i18n import N_
from noticeboard.languages import is_language
from noticeboard.moments import LATEST, OUT_OF_RANGE, OutOfRange, checked
from noticeboard.notices.kinds import DEFAULT_KIND, is_kind
from noticeboard.notices.polls import PollDetails, validate_poll
from noticeboard.notices.text import hashtag_name
from noticeboard.sanitize import strip_controls

TITLE_MAX = 200
BODY_MAX = 10_000
CATEGORY_MAX = 40


@dataclass(frozen=True)
class EventDetails:
    start: datetime
    end: datetime
    place_name: str | None = None
    place_address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    online_url: str | None = None


@dataclass(frozen=True)
class NoticeDraft:
    title: str
    body: str
    category: str | None
    kind: str = DEFAULT_KIND
    valid_until: datetime | None = None
    lang: str | None = None
    event: EventDetails | None = None
    poll: PollDetails | None = None


@dataclass(frozen=True)
class Provenance:
    """Who a notice comes from, if not from the staff themselves."""

    origin: str = "staff"  # staff, submission (web form) or assisted (on a resident's behalf)
    submitted_by: str | None = None  # the name a resident chose; '' is anonymous
    on_behalf_of: str | None = None
    consent_method: str | None = None
    consent_given: datetime | None = None
    consent_until: datetime | None = None


CONSENT_METHODS = {
    "in-person": N_("in person"),
    "phone": N_("by phone"),
    "email": N_("by e-mail"),
    "letter": N_("in writing"),
}
NAME_MAX = 80


class InvalidNotice(ValueError):
    """A draft that cannot be published; `errors` maps each field to a message id."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def validate_draft(
    title: str,
    body: str,
    category: str | None = None,
    *,
    kind: str | None = None,
    valid_until: str | None = None,
    lang: str | None = None,
    now: datetime | None = None,
    timezone: str = "Europe/Berlin",
    event: Mapping[str, str | None] | None = None,
    poll: Mapping[str, object] | None = None,
) -> NoticeDraft:
    """Check a draft from the form or the command line; raise InvalidNotice with reasons."""
    title, body = one_line(strip_controls(title)), strip_controls(body).strip()  # also stdin
    category = (category or "").strip().lstrip("#") or None
    kind = (kind or "").strip() or DEFAULT_KIND
    errors = {}
    if not title:
        errors["title"] = N_("Please enter a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = N_("The title is too long (at most 200 characters).")
    if not body:
        errors["body"] = N_("Please enter a text.")
    elif len(body) > BODY_MAX:
        errors["body"] = N_("The text is too long (at most 10,000 characters).")
    if category and (len(category) > CATEGORY_MAX or not hashtag_name(category)):
        errors["category"] = N_("A category is one short word, e.g. Treffen.")
    if not is_kind(kind):
        errors["kind"] = N_("Please choose a kind of notice.")
    until = None
    if valid_until and valid_until.strip():
        try:
            until = parse_valid_until(valid_until, timezone)
        except OutOfRange:
            errors["valid_until"] = OUT_OF_RANGE
        except ValueError:
            errors["valid_until"] = N_("Please enter a date like 2026-12-24.")
        else:
            if now is not None and until <= now:
                errors["valid_until"] = N_("The date must be in the future.")
    lang = (lang or "").strip().lower() or None
    if lang is not None and not is_language(lang):
        errors["lang"] = N_("Please use a language code like de, en or tr.")
    details = None
    if kind == "event":
        details = _event_details(event or {}, timezone, errors)
        if details is not None and until is None:
            until = details.end  # an event is current until it ends
    poll_details = None
    if kind == "poll":
        poll_details = _poll_details(poll or {}, now, timezone, errors)
    if errors:
        raise InvalidNotice(errors)
    return NoticeDraft(title, body, category, kind, until, lang, details, poll_details)


def _poll_details(
    fields: Mapping[str, object], now: datetime | None, timezone: str, errors: dict[str, str]
) -> PollDetails | None:
    closes = fields.get("closes")
    values = dict(fields)
    if isinstance(closes, str):
        try:
            values["closes"] = _moment(closes.strip(), timezone) or (closes.strip() or None)
        except OutOfRange:
            errors["closes"] = OUT_OF_RANGE
            values["closes"] = None
    return validate_poll(values, now, errors)


def _event_details(
    fields: Mapping[str, str | None], timezone: str, errors: dict[str, str]
) -> EventDetails | None:
    """Read start, end, place and link of an event; errors go into `errors`."""

    def text(name: str, limit: int = 300) -> str | None:
        return one_line(fields.get(name) or "")[:limit] or None

    start = _moment_or_error(text("start"), timezone, "start", errors)
    end = _moment_or_error(text("end"), timezone, "end", errors)
    if start is None and "start" not in errors:
        errors["start"] = N_("Please enter when the event starts, e.g. 2026-12-24 18:00.")
    if text("end") and end is None and "end" not in errors:
        errors["end"] = N_("Please enter when the event ends, e.g. 2026-12-24 20:00.")
    if start and end and end < start:
        errors["end"] = N_("The event cannot end before it starts.")
    online = text("online_url", 1000)
    if online and not re.fullmatch(r"https?://[^\s<>\"]+", online):
        errors["online_url"] = N_("Please enter a web address starting with https://.")
    if not text("place_name") and not online:
        errors["place_name"] = N_("Please enter where the event takes place.")
    coordinates = _coordinates(text("latitude"), text("longitude"), errors)
    if start is None or "end" in errors or "online_url" in errors or "place_name" in errors:
        return None
    return EventDetails(
        start=start,
        end=end or min(start + DEFAULT_EVENT_LENGTH, LATEST),
        place_name=text("place_name"),
        place_address=text("place_address"),
        latitude=coordinates[0],
        longitude=coordinates[1],
        online_url=online,
    )


DEFAULT_EVENT_LENGTH = timedelta(hours=2)


def one_line(text: str) -> str:
    """A field of one line (a title, a place): line breaks become spaces (rule 28)."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


def _moment(value: str | None, timezone: str) -> datetime | None:
    """Read '2026-12-24 18:00' or ISO 8601; without an offset it is the board's local time.

    None when it is not a moment; OutOfRange when it lies outside the years the board takes.
    """
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return checked(moment)


def _moment_or_error(
    value: str | None, timezone: str, name: str, errors: dict[str, str]
) -> datetime | None:
    try:
        return _moment(value, timezone)
    except OutOfRange:
        errors[name] = OUT_OF_RANGE
        return None


def _coordinates(
    lat: str | None, lon: str | None, errors: dict[str, str]
) -> tuple[float | None, float | None]:
    if not lat and not lon:
        return None, None
    try:
        latitude, longitude = float(lat or ""), float(lon or "")
    except ValueError:
        latitude = longitude = float("nan")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        errors["latitude"] = N_("Coordinates are two numbers, e.g. 51.4556 and 7.0116.")
        return None, None
    return latitude, longitude


def parse_valid_until(text: str, timezone: str) -> datetime:
    """Read a date (valid through that whole day, board time) or an ISO date-time."""
    value = text.strip()
    zone = ZoneInfo(timezone)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = date.fromisoformat(value)
        if day >= date.max:
            raise OutOfRange(value)
        return checked(datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone))
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return checked(moment)


def validate_consent(
    on_behalf_of: str,
    method: str,
    given: str,
    until: str,
    *,
    now: datetime,
    timezone: str = "Europe/Berlin",
) -> Provenance | None:
    """Check the consent staff record when posting for a resident; None when not assisted."""
    name = on_behalf_of.strip()
    if not name and not (method.strip() or until.strip()):
        return None
    errors = {}
    if not name or len(name) > NAME_MAX:
        errors["on_behalf_of"] = N_("Please enter the resident's name (at most 80 characters).")
    if method not in CONSENT_METHODS:
        errors["consent_method"] = N_("Please choose how the resident agreed.")
    try:
        given_at = _day_start(given.strip(), timezone) if given.strip() else now
    except OutOfRange:
        errors["consent_given"] = OUT_OF_RANGE
        given_at = now
    if given_at is None or given_at > now:
        errors["consent_given"] = N_("Please enter the day of the consent, e.g. 2026-12-01.")
    until_at = None
    if until.strip():
        try:
            until_at = parse_valid_until(until, timezone)
        except OutOfRange:
            errors["consent_until"] = OUT_OF_RANGE
        except ValueError:
            errors["consent_until"] = N_("Please enter a date like 2026-12-24.")
        else:
            if until_at <= now:
                errors["consent_until"] = N_("The date must be in the future.")
    else:
        errors["consent_until"] = N_("Please enter until when the resident agreed.")
    if errors:
        raise InvalidNotice(errors)
    return Provenance(
        origin="assisted",
        on_behalf_of=name,
        consent_method=method,
        consent_given=given_at,
        consent_until=until_at,
    )


def _day_start(value: str, timezone: str) -> datetime | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return checked(datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)))


# --- the one schema of a notice draft ----------------------------------------------------------

DRAFT_FIELDS = ("title", "body", "category", "kind", "valid_until", "lang")
EVENT_FIELDS = (
    "start",
    "end",
    "place_name",
    "place_address",
    "online_url",
    "latitude",
    "longitude",
)
POLL_FIELDS = ("options", "multiple", "closes", "web_votes")
NOTICE_FIELDS = DRAFT_FIELDS + EVENT_FIELDS + POLL_FIELDS
CONSENT_FIELDS = ("on_behalf_of", "consent_method", "consent_given", "consent_until")


@dataclass(frozen=True)
class NoticeForm:
    """A notice draft as texts, keyed by field name (see NOTICE_FIELDS).

    `exact` keeps the precise stored value behind a time shown rounded (a day, a minute): a
    field handed back unchanged keeps it, so editing one field never moves a date.
    """

    values: Mapping[str, str] = field(default_factory=dict)
    exact: Mapping[str, str] = field(default_factory=dict)
    original: Mapping[str, str] | None = None  # the values of a published notice, for edits

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @classmethod
    def of_notice(cls, row: Row, options: Sequence[str], timezone: str) -> NoticeForm:
        """The current values of a published notice, as the edit form shows them."""
        zone = ZoneInfo(timezone)
        values = {
            "title": row["title"],
            "body": row["body_md"],
            "category": row["category"] or "",
            "kind": row["kind"],
            "lang": row["lang"] or "",
            "place_name": row["place_name"] or "",
            "place_address": row["place_address"] or "",
            "online_url": row["online_url"] or "",
            "latitude": "" if row["latitude"] is None else str(row["latitude"]),
            "longitude": "" if row["longitude"] is None else str(row["longitude"]),
            "options": "\n".join(options),
            "multiple": "1" if row["poll_multiple"] else "",
            "web_votes": row["poll_web_votes"],
        }
        exact = {}
        for name, column in (
            ("start", "event_start"),
            ("end", "event_end"),
            ("closes", "poll_closes"),
        ):
            moment = _stored(row[column], zone)
            values[name] = moment.strftime("%Y-%m-%dT%H:%M") if moment else ""
            if moment:
                exact[name] = moment.isoformat()
        until = _stored(row["valid_until"], zone)
        values["valid_until"] = ""
        if until and row["kind"] != "event":  # an event is valid until it ends
            values["valid_until"] = (until - timedelta(seconds=1)).strftime("%Y-%m-%d")
            exact["valid_until"] = until.isoformat()
        return cls(values, exact, original=dict(values))

    def merged(self, given: Mapping[str, str | None]) -> NoticeForm:
        """These values with the given fields replaced; None means 'not given, keep'."""
        values = dict(self.values)
        exact = dict(self.exact)
        for name, value in given.items():
            if value is None:
                continue
            if value.strip() != values.get(name, "").strip():
                exact.pop(name, None)
            values[name] = value
        return replace(self, values=values, exact=exact)

    def changed(self, name: str) -> bool:
        """Whether a field is new or was changed (an unchanged date may lie in the past)."""
        if self.original is None:
            return True
        return self.get(name).strip() != self.original.get(name, "").strip()

    def text(self, name: str) -> str:
        """The value to check: the exact stored value where the shown one was kept."""
        return self.exact.get(name, self.get(name))

    def validate(self, now: datetime, timezone: str) -> NoticeDraft:
        """Check the draft; raise InvalidNotice with a reason per field."""
        dates_changed = any(self.changed(n) for n in ("valid_until", "closes"))
        return validate_draft(
            self.get("title"),
            self.get("body"),
            self.get("category"),
            kind=self.get("kind"),
            valid_until=self.text("valid_until"),
            lang=self.get("lang"),
            now=now if dates_changed else None,
            timezone=timezone,
            event={name: self.text(name) for name in EVENT_FIELDS},
            poll={
                "options": self.get("options").splitlines(),
                "multiple": self.get("multiple") in ("1", "on", "true"),
                "closes": self.text("closes"),
                "web_votes": self.get("web_votes"),
            },
        )


def _stored(value: str | None, zone: ZoneInfo) -> datetime | None:
    return from_db_time(value).astimezone(zone) if value else None
