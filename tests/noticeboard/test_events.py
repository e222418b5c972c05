"""Events: an Event object for the fediverse, iCalendar files, the upcoming-events page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token
from tests.noticeboard.test_isolation import add_follower
from tests.support.fediverse import Fediverse

BERLIN = ZoneInfo("Europe/Berlin")


def post_event(board: RunningBoard, **fields: str) -> int:
    client = board.login()
    token = csrf_token(client.get("/staff/notices/new").text)
    data = {
        "csrf_token": token,
        "kind": "event",
        "title": "Hoffest",
        "body": "Mit **Kuchen**",
        "start": "2026-12-12T15:00",
        "end": "2026-12-12T18:00",
        "place_name": "Hof",
        "place_address": "Nordstraße 12, Essen",
        "action": "publish",
        **fields,
    }
    response = client.post("/staff/notices/new", data=data)
    assert response.status_code == 303, response.text[:2000]
    return int(board.value("SELECT max(id) FROM notices"))


def test_event__federates_as_event_with_time_and_place(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    inbox = "/users/kim/inbox"
    add_follower(board, fediverse.remote.url("/users/kim"), fediverse.remote.url(inbox))
    notice_id = post_event(board, latitude="51.4556", longitude="7.0116")
    board.drain()
    create = fediverse.remote.posts(inbox)[0].json()
    event = create["object"]
    assert event["type"] == "Event"
    assert event["name"] == "Hoffest"
    assert event["startTime"] == "2026-12-12T14:00:00Z"
    assert event["endTime"] == "2026-12-12T17:00:00Z"
    assert event["location"] == {
        "type": "Place",
        "name": "Hof",
        "address": "Nordstraße 12, Essen",
        "latitude": 51.4556,
        "longitude": 7.0116,
    }
    assert event["summary"] == "Sa., 12.12., 15:00–18:00 · Hof"
    assert "<strong>Kuchen</strong>" in event["content"]
    assert {t["name"] for t in event["tag"]} == {"#Termin"}
    served = board.get(f"/notices/{notice_id}", headers={"Accept": AP_JSON}).json()
    assert served["type"] == "Event" and served["startTime"] == event["startTime"]


def test_event__page_shows_when_and_where_and_links_the_ics(board: RunningBoard) -> None:
    notice_id = post_event(board)
    page = board.get(f"/notices/{notice_id}").text
    assert re.search(r"Sa\., 12\. Dez\.( 2026)?, 15:00.18:00\sUhr", page), page
    assert "Hof, Nordstraße 12, Essen" in page
    assert f'href="{board.url(f"/notices/{notice_id}")}.ics"' in page


def test_ics__parses_back_with_uid_dtstamp_and_time_zone(board: RunningBoard) -> None:
    notice_id = post_event(board)
    response = board.get(f"/notices/{notice_id}.ics")
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    zones = [c for c in calendar.walk("VTIMEZONE")]
    assert [str(z["TZID"]) for z in zones] == ["Europe/Berlin"]
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == board.url(f"/notices/{notice_id}")
    assert event["DTSTAMP"].dt.tzinfo is not None
    start = event["DTSTART"].dt
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert start == datetime(2026, 12, 12, 15, 0, tzinfo=BERLIN)
    assert event["DTEND"].dt == datetime(2026, 12, 12, 18, 0, tzinfo=BERLIN)
    assert str(event["SUMMARY"]) == "Hoffest"
    assert str(event["LOCATION"]) == "Hof, Nordstraße 12, Essen"


def test_calendar_feed__lists_upcoming_events_only(board: RunningBoard) -> None:
    first = post_event(board, title="Hoffest")
    post_event(board, title="Laternenumzug", start="2026-11-11T17:00", end="2026-11-11T19:00")
    board.cli("post", "--title", "Kein Termin", "--body", "x")
    calendar = Calendar.from_ical(board.get("/calendar.ics").content)
    titles = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert titles == ["Hoffest", "Laternenumzug"]
    upcoming = board.get("/events").text
    assert upcoming.index("Laternenumzug") < upcoming.index("Hoffest")
    assert "Kein Termin" not in upcoming
    assert board.get(f"/notices/{first + 2}.ics").status_code == 404


def test_event__leaves_the_board_when_it_has_ended(board: RunningBoard) -> None:
    notice_id = post_event(
        board, title="Nur heute", start="2026-11-27T10:00", end="2026-11-27T12:00"
    )
    assert "Nur heute" in board.get("/").text
    board.clock.set(datetime(2026, 11, 27, 11, 5, tzinfo=UTC) + timedelta(hours=1))
    assert "Nur heute" not in board.get("/").text
    assert "Nur heute" in board.get("/archive").text
    assert "Nur heute" not in board.get("/events").text
    assert board.get(f"/notices/{notice_id}").status_code == 200


def test_event__invalid_fields_are_explained_and_nothing_is_stored(board: RunningBoard) -> None:
    client = board.login()
    token = csrf_token(client.get("/staff/notices/new").text)
    response = client.post(
        "/staff/notices/new",
        data={
            "csrf_token": token,
            "kind": "event",
            "title": "Kaputt",
            "body": "x",
            "start": "morgen",
            "end": "2026-12-12T18:00",
            "online_url": "javascript:alert(1)",
            "action": "publish",
        },
    )
    assert response.status_code == 400
    assert 'id="start-error"' in response.text
    assert 'id="online_url-error"' in response.text
    assert board.rows("SELECT id FROM notices") == []


def test_cli__posts_and_edits_an_event(board: RunningBoard) -> None:
    result = board.cli(
        "post", "--title", "Repair-Café", "--body", "Bring kaputte Sachen",
        "--type", "event", "--start", "2026-12-05T14:00", "--place", "Werkstatt, Südring 3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = board.rows("SELECT * FROM notices")[0]
    assert (row["place_name"], row["place_address"]) == ("Werkstatt", "Südring 3")
    assert row["event_end"] > row["event_start"]
    edited = board.cli(
        "edit", result.stdout.strip(), "--end", "2026-12-05T18:00", "--coordinates", "51.45,7.01"
    )
    assert edited.returncode == 0, edited.stderr
    row = board.rows("SELECT place_name, latitude, longitude FROM notices")[0]
    assert row == {"place_name": "Werkstatt", "latitude": 51.45, "longitude": 7.01}
    again = board.cli("edit", result.stdout.strip(), "--title", "Repair-Café im Dezember")
    assert again.returncode == 0, again.stderr
    assert board.rows("SELECT latitude FROM notices")[0]["latitude"] == 51.45  # kept
    bad = board.cli("post", "--title", "x", "--body", "y", "--type", "event")
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
