"""Section H of the security rules, part one: no input gives a 500 (rules 27-30).

Text with control characters from every way in (the submission form, staff forms, the command
line, the fediverse, and rows stored before), line breaks in calendar fields, dates at the ends
of what Python can hold, and the headers of error answers. The conftest hook fails any test
during which the board logged an unhandled error.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from xml.etree import ElementTree

import httpx
import pytest
from icalendar import Calendar

from noticeboard.pages import web as pages_web
from tests.noticeboard.boards import AP_JSON, RunningBoard
from tests.noticeboard.test_events import post_event
from tests.noticeboard.test_participation_federation import create, deliver, reply
from tests.noticeboard.test_participation_web import (
    assisted,
    staff_client,
    staff_post,
    submit,
    submitted_and_queued,
)
from tests.support.fediverse import Fediverse

CONTROLS = "".join(chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 127])
ATOM = "{http://www.w3.org/2005/Atom}"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def atom_titles(board: RunningBoard) -> list[str]:
    response = board.get("/feed.atom")
    assert response.status_code == 200, (response.status_code, response.text[:300])
    root = ElementTree.fromstring(response.content)
    return [e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry")]


def without_controls(*texts: str | None) -> None:
    for text in texts:
        assert text is None or not _CONTROL.search(text), repr(text)


def everything_builds(board: RunningBoard, notice_id: int) -> None:
    """The feed, the calendar, the notice page and its ActivityPub object can all be built."""
    atom_titles(board)
    assert board.get("/calendar.ics").status_code == 200
    assert board.get(f"/notices/{notice_id}").status_code == 200
    assert board.get_json(f"/notices/{notice_id}")["id"].endswith(f"/notices/{notice_id}")


# --- rule 27: control characters never reach the database ---------------------------------------


def test_rule_27__approved_submission_with_vertical_tab_in_the_title_keeps_the_feed_working(
    board: RunningBoard,
) -> None:
    item = submitted_and_queued(
        board,
        title="Kinderwagen\x0bzu verschenken",
        body="Gut\x0c erhalten\n\tim Hof",
        name="Ay\x01şe",
    )
    moderator = staff_client(board, "moderator")

    assert staff_post(moderator, f"/staff/queue/{item}/approve", reason="ok").status_code == 303

    [notice] = board.rows("SELECT * FROM notices")
    assert notice["title"] == "Kinderwagenzu verschenken"
    assert notice["body_md"] == "Gut erhalten\n\tim Hof"  # line breaks and tabs stay
    assert notice["submitted_by"] == "Ayşe"
    assert atom_titles(board) == ["Kinderwagenzu verschenken"]
    everything_builds(board, notice["id"])


def test_rule_27__staff_forms_store_no_control_characters(board: RunningBoard) -> None:
    editor = staff_client(board, "editor")

    response = board.compose(
        editor,
        f"Hilfe{CONTROLS}beim Einkaufen",
        f"Text{CONTROLS}\n\tzweite Zeile",
        **assisted(on_behalf_of=f"Frau{CONTROLS} Yilmaz"),
    )

    assert response.status_code == 303, response.text[:500]
    [notice] = board.rows("SELECT * FROM notices")
    assert notice["title"] == "Hilfebeim Einkaufen"
    assert notice["body_md"] == "Text\n\tzweite Zeile"
    assert notice["on_behalf_of"] == "Frau Yilmaz"
    everything_builds(board, notice["id"])


def test_rule_27__event_place_from_the_staff_form_is_stored_clean(board: RunningBoard) -> None:
    notice_id = post_event(
        board, title="Hof\x0bfest", place_name="Hof\x1b[31m", place_address="A\x00B"
    )

    [row] = board.rows("SELECT title, place_name, place_address FROM notices")
    assert row == {"title": "Hoffest", "place_name": "Hof[31m", "place_address": "AB"}
    assert board.get(f"/notices/{notice_id}.ics").status_code == 200


def test_rule_27__command_line_stores_no_control_characters(board: RunningBoard) -> None:
    result = board.cli("post", "--title", "Per\x0bSkript", "--body", "Zeile\x07 eins\nzwei")

    assert result.returncode == 0, result.stderr
    [row] = board.rows("SELECT id, title, body_md FROM notices")
    assert (row["title"], row["body_md"]) == ("PerSkript", "Zeile eins\nzwei")
    everything_builds(board, row["id"])


def test_rule_27__command_line_body_from_stdin_is_cleaned(board: RunningBoard) -> None:
    result = board.cli("post", "--title", "Von stdin", "--body", "-", stdin="a\x0bb\nc\x1fd")

    assert result.returncode == 0, result.stderr
    assert board.value("SELECT body_md FROM notices") == "ab\ncd"


def test_rule_27__federated_reply_is_stored_without_control_characters(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = board.publish(board.login(), "Hoffest").rsplit("/", 1)[1]
    alice = fediverse.actor("alice")
    note = reply(alice, board, int(notice_id), 1, "<p>Ich\x0b bringe &#11;Kuchen\x1b mit</p>")
    note["summary"] = "Kuchen\x0c"  # a content warning

    deliver(board, alice, create(alice, note))

    [post] = board.rows("SELECT name, content_html FROM remote_posts")
    without_controls(post["name"], post["content_html"])
    assert "Kuchen" in post["content_html"]
    without_controls(*(r["summary"] for r in board.rows("SELECT summary FROM moderation_items")))


def test_rule_27__texts_stored_before_are_cleaned_when_the_board_is_upgraded(
    board: RunningBoard,
) -> None:
    url = board.publish(board.login(), "Alter Aushang", "Text")
    notice_id = int(url.rsplit("/", 1)[1])
    board.stop()
    with closing(sqlite3.connect(board.config.db_path)) as conn, conn:  # as an older board did
        conn.execute("UPDATE notices SET title = ?, body_md = ?", ("Alter\x0bAushang", "T\x01ext"))
        conn.execute("DELETE FROM schema_migrations WHERE name LIKE '%0011_clean_text.sql'")
    board.start()
    board.client = board.new_client()

    [row] = board.rows("SELECT title, body_md FROM notices")
    assert (row["title"], row["body_md"]) == ("AlterAushang", "Text")
    assert atom_titles(board) == ["AlterAushang"]
    everything_builds(board, notice_id)


# --- rule 28: calendar text is escaped and folded ----------------------------------------------


def assert_valid_ics(body: bytes) -> Calendar:
    """Every line ends in CRLF, is at most 75 octets, holds no bare CR/LF or control character,
    and is a property, a parameterised property or a folded continuation."""
    assert body.endswith(b"\r\n")
    for line in body[:-2].split(b"\r\n"):
        assert len(line) <= 75, line
        assert b"\r" not in line and b"\n" not in line, line
        text = (
            line.decode("utf-8")
            if not line.startswith(b" ")
            else line[1:].decode("utf-8", "replace")
        )
        assert not _CONTROL.search(text), line
        if not line.startswith(b" "):
            assert re.match(r"^[A-Z][A-Z0-9-]*[;:]", text), line
    return Calendar.from_ical(body)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_rule_28__event_title_and_place_with_line_breaks_give_valid_icalendar(
    board: RunningBoard, newline: str
) -> None:
    title = f"Hoffest{newline}DTSTART:19700101T000000Z{newline}mit Kuchen, Musik; Spiel"
    place = f"Hof{newline}END:VEVENT{newline}Nordstraße 12"
    notice_id = post_event(board, title=title, place_name=place, place_address="Essen " * 20)

    for path in (f"/notices/{notice_id}.ics", "/calendar.ics"):
        response = board.get(path)
        assert response.status_code == 200, path
        calendar = assert_valid_ics(response.content)
        [event] = calendar.walk("VEVENT")
        assert str(event["SUMMARY"]) == board.value("SELECT title FROM notices")
        assert str(event["LOCATION"]).startswith(board.value("SELECT place_name FROM notices"))
        unfolded = response.text.replace("\r\n ", "").split("\r\n")
        assert not [line for line in unfolded if line.startswith("DTSTART:19700101T000000Z")]
        assert unfolded.count("END:VEVENT") == 1


def test_rule_28__title_and_place_are_one_line_each(board: RunningBoard) -> None:
    post_event(board, title="Hof\r\nfest", place_name="Hof\nhinten")

    [row] = board.rows("SELECT title, place_name FROM notices")
    assert row == {"title": "Hof fest", "place_name": "Hof hinten"}


# --- rule 29: dates at the edges ---------------------------------------------------------------

EDGES = [
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "9999-12-31T23:59+14:00",
]


@pytest.mark.parametrize("edge", EDGES[:2])
def test_rule_29__search_filters_at_the_edges_are_taken_as_no_limit(
    board: RunningBoard, edge: str
) -> None:
    board.publish(board.login(), "Kinderwagen zu verschenken")

    response = board.get("/search", params={"q": "Kinderwagen", "from": edge, "to": edge})
    wide = board.get(
        "/search", params={"q": "Kinderwagen", "from": "0001-01-01", "to": "9999-12-31"}
    )

    assert response.status_code == 200
    assert wide.status_code == 200 and "Kinderwagen zu verschenken" in wide.text


@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize(
    ("field", "extra"),
    [
        ("valid_until", {}),
        ("start", {"kind": "event", "place_name": "Hof"}),
        ("end", {"kind": "event", "place_name": "Hof", "start": "2026-12-12T15:00"}),
        ("closes", {"kind": "poll", "options": "Ja\nNein"}),
        ("consent_until", assisted()),
        ("consent_given", assisted()),
    ],
)
def test_rule_29__compose_form_dates_at_the_edges_are_400_with_a_reason(
    board: RunningBoard, field: str, extra: dict[str, str], edge: str
) -> None:
    client = board.login(board.new_client(**{"Accept-Language": "en"}))

    response = board.compose(client, "Aushang", "Text", **{**extra, field: edge})

    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert f'id="{field}-error"' in response.text
    assert board.rows("SELECT id FROM notices") == []


def test_rule_29__dates_far_out_say_which_years_are_taken(board: RunningBoard) -> None:
    client = board.login(board.new_client(**{"Accept-Language": "en"}))

    response = board.compose(client, "Aushang", "Text", valid_until="9999-12-31")

    assert "Please enter a date between the years 1900 and 2999." in response.text


@pytest.mark.parametrize(
    "options",
    [
        ("--valid-until", "9999-12-31"),
        ("--valid-until", "0001-01-01"),
        ("--type", "event", "--start", "9999-12-31T23:59", "--place", "Hof"),
        ("--type", "poll", "--option", "Ja", "--option", "Nein", "--closes", "0001-01-01T00:00"),
    ],
)
def test_rule_29__command_line_dates_at_the_edges_exit_2_with_a_reason(
    board: RunningBoard, options: tuple[str, ...]
) -> None:
    result = board.cli("post", "--title", "Aushang", "--body", "Text", *options)

    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "1900" in result.stderr and "Traceback" not in result.stderr
    assert board.rows("SELECT id FROM notices") == []


def test_rule_29__shared_post_with_dates_at_the_edges_is_read_without_them(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = int(board.publish(board.login(), "Hoffest").rsplit("/", 1)[1])
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Termin")
    note.update(
        {
            "type": "Event",
            "startTime": "9999-12-31T23:59:59+00:00",
            "endTime": "0001-01-01T00:00:00+01:00",
            "validUntil": "9999-12-31T23:59:59-12:00",
        }
    )

    deliver(board, alice, create(alice, note))

    assert board.get(f"/notices/{notice_id}").status_code == 200


# --- rule 30: error answers carry the security headers -----------------------------------------

PAGE_HEADERS = (
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
)


def same_security_headers(page: httpx.Response, answer: httpx.Response) -> None:
    for name in PAGE_HEADERS:
        assert answer.headers.get(name) == page.headers[name], (answer.status_code, name)


def test_rule_30__404_405_413_and_429_carry_the_security_headers(board: RunningBoard) -> None:
    page = board.get("/")
    client = board.new_client()

    answers = [
        board.get("/no-such-page"),
        board.get("/feed/no-such-kind.atom"),
        board.get("/notices/999999"),
        client.delete("/"),
        client.post("/submit", content=b"x" * 40_000,
                    headers={"Content-Type": "application/x-www-form-urlencoded"}),
    ]  # fmt: skip
    for n in range(6):
        answers.append(submit(board, title=f"Aushang {n}"))

    assert [a.status_code for a in answers[:5]] == [404, 404, 404, 405, 413]
    assert answers[-1].status_code == 429
    for answer in answers:
        same_security_headers(page, answer)


@pytest.fixture
def quiet_board_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[logging.LogRecord]]:
    """Keep the board's error log from the hook that fails tests with 500s; return its lines."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("noticeboard")
    monkeypatch.setattr(logger, "propagate", False)
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def test_rule_30__500_carries_the_security_headers(
    board: RunningBoard, monkeypatch: pytest.MonkeyPatch, quiet_board_log: list[logging.LogRecord]
) -> None:
    page = board.get("/")

    async def broken(state: object) -> int:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(pages_web.notices, "list_archived", broken)
    answer = board.get("/archive")

    assert answer.status_code == 500
    assert "the database is gone" not in answer.text
    same_security_headers(page, answer)
    assert [r.getMessage() for r in quiet_board_log] == ["unhandled error on GET /archive"]


def test_rule_30__activitypub_404_carries_the_security_headers(board: RunningBoard) -> None:
    page = board.get("/")

    answer = board.get("/notices/424242", headers={"Accept": AP_JSON})

    assert answer.status_code == 404
    same_security_headers(page, answer)
