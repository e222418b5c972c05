"""One schema for a notice draft on the web and on the command line: what is not shown or not
given is kept, and an unchanged date never moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from noticeboard.notices.forms import InvalidNotice, NoticeForm
from tests.noticeboard.boards import START, RunningBoard, csrf_token

ZONE = "Europe/Berlin"


def stored_row(**columns: object) -> dict[str, object]:
    """A notice row as the store returns it, with the columns the form reads."""
    row: dict[str, object] = {
        "id": 1,
        "title": "Leiter zu verleihen",
        "body_md": "Alu, 3 m",
        "category": None,
        "kind": "give-lend",
        "lang": "tr",
        "place_name": None,
        "place_address": None,
        "online_url": None,
        "latitude": None,
        "longitude": None,
        "poll_multiple": 0,
        "poll_web_votes": "anyone",
        "event_start": None,
        "event_end": None,
        "poll_closes": None,
        "valid_until": None,
    }
    row.update(columns)
    return row


def test_notice_form__keeps_a_field_the_other_side_does_not_offer() -> None:
    current = NoticeForm.of_notice(stored_row(), [], ZONE)  # type: ignore[arg-type]
    edited = current.merged({"title": "Leiter (vergeben)", "body": "Alu, 3 m"})
    draft = edited.validate(START, ZONE)
    assert draft.lang == "tr"
    assert draft.title == "Leiter (vergeben)"


def test_notice_form__an_unchanged_date_keeps_its_exact_moment_even_in_the_past() -> None:
    # 15:00 local on 1 March: the web shows only the day, the command line an ISO time.
    row = stored_row(valid_until="2026-03-01T14:00:00.000000Z")
    current = NoticeForm.of_notice(row, [], ZONE)  # type: ignore[arg-type]
    assert current.get("valid_until") == "2026-03-01"
    draft = current.merged({"valid_until": "2026-03-01", "title": "Neu"}).validate(START, ZONE)
    assert draft.valid_until == datetime(2026, 3, 1, 14, 0, tzinfo=UTC)


def test_notice_form__a_changed_date_must_lie_in_the_future() -> None:
    current = NoticeForm.of_notice(stored_row(), [], ZONE)  # type: ignore[arg-type]
    with pytest.raises(InvalidNotice) as refused:
        current.merged({"valid_until": "2026-03-01"}).validate(START, ZONE)
    assert refused.value.errors == {"valid_until": "The date must be in the future."}


def test_edit__on_the_web_keeps_the_language_set_on_the_command_line(
    board: RunningBoard,
) -> None:
    posted = board.cli("post", "--title", "Kermes", "--body", "Cumartesi", "--lang", "tr")
    assert posted.returncode == 0, posted.stderr
    assert board.value("SELECT lang FROM notices WHERE id = 1") == "tr"
    client = board.login()
    form = client.get("/staff/notices/1/edit")
    assert 'name="lang"' not in form.text  # the web form does not offer the language
    response = client.post(
        "/staff/notices/1/edit",
        data={
            "csrf_token": csrf_token(form.text),
            "title": "Kermes (Sonntag)",
            "body": "Pazar",
            "kind": "announcement",
            "action": "publish",
        },
    )
    assert response.status_code == 303, response.text[:300]
    assert board.rows("SELECT title, lang FROM notices WHERE id = 1") == [
        {"title": "Kermes (Sonntag)", "lang": "tr"}
    ]
    note = board.get_json("/notices/1")
    assert note["contentMap"].keys() == {"tr"}


def test_edit__on_the_command_line_keeps_what_the_web_set(board: RunningBoard) -> None:
    client = board.login()
    published = board.compose(
        client, "Sperrmüll", "Am Montag", kind="give-lend", valid_until="2026-04-30"
    )
    assert published.status_code == 303
    edited = board.cli("edit", "1", "--title", "Sperrmüll am Montag")
    assert edited.returncode == 0, edited.stderr
    assert board.rows("SELECT title, kind, valid_until FROM notices WHERE id = 1") == [
        {
            "title": "Sperrmüll am Montag",
            "kind": "give-lend",
            "valid_until": "2026-04-30T22:00:00.000000Z",
        }
    ]
