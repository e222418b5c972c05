"""Participation through the real app: the public submission form and its spam protection, the
moderation queue, posting on a resident's behalf, staff accounts and invitations, the audit log
and the owners' settings."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from noticeboard.i18n import format_date_local
from noticeboard.participation.forms import form_token
from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token
from tests.noticeboard.test_expiry import restart
from tests.noticeboard.test_kinds import add_inbox, card, received
from tests.noticeboard.test_staff_security import PASSWORD, add_staff
from tests.support.fediverse import Fediverse

CONTACT = "ayse.k@example.net / 0170 5550123"
TITLE = "Kinderwagen zu verschenken"
BODY = "Gut erhalten, bitte im Hof abholen."
NAME = "Ayşe K."
# the board's clock starts on Monday 2 March 2026, 09:00 UTC (10:00 in Berlin)
CONSENT_LAST_DAY = "2026-03-10"
CONSENT_END = "2026-03-10T23:00:00.000000Z"  # the end of 10 March in Berlin (CET)
AFTER_CONSENT = datetime(2026, 3, 10, 23, 0, 1, tzinfo=UTC)
_FLASH = re.compile(r'<p class="flash" role="status">(.*?)</p>', re.S)
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_INVITATION = re.compile(r'<code class="invitation-link">[^<]*/invitation/([A-Za-z0-9_-]+)</code>')
_ORIGIN = re.compile(r'<p class="notice__origin">(.*?)</p>', re.S)


# --- helpers ------------------------------------------------------------------------------------


def session_secret(board: RunningBoard) -> str:
    return str(board.value("SELECT value FROM settings WHERE key = 'session_secret'"))


def aged_token(board: RunningBoard, seconds: float = 10.0) -> str:
    """A form token as the board hands it out, made `seconds` ago (real time, not the clock)."""
    return form_token(session_secret(board), now=time.time() - seconds)


def submission(board: RunningBoard, **fields: str | None) -> dict[str, str]:
    """A complete, valid submission form; a field given as None is left out."""
    data: dict[str, str | None] = {
        "form_token": aged_token(board),
        "kind": "give-lend",
        "title": TITLE,
        "body": BODY,
        "name": NAME,
        "contact": CONTACT,
        "consent": "yes",
        "website": "",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def submit(board: RunningBoard, **fields: str | None) -> httpx.Response:
    return board.new_client().post(
        "/submit", data=submission(board, **fields), params={"lang": "en"}
    )


def queued(board: RunningBoard) -> list[dict[str, Any]]:
    return board.rows("SELECT * FROM moderation_items ORDER BY id")


def staff_client(board: RunningBoard, role: str, username: str | None = None) -> httpx.Client:
    """A signed-in client of a new staff member with `role`."""
    name = username or f"user_{role}"
    add_staff(board, name, role)
    return board.login(board.new_client(), username=name, password=PASSWORD)


def token_of(client: httpx.Client) -> str:
    return csrf_token(client.get("/staff").text)


def flash_on(client: httpx.Client, path: str = "/staff") -> str | None:
    match = _FLASH.search(client.get(path, params={"lang": "en"}).text)
    return match.group(1).strip() if match else None


def staff_post(client: httpx.Client, path: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": token_of(client), **data}, params={"lang": "en"})


def login_status(board: RunningBoard, username: str, password: str) -> int:
    client = board.new_client()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(page.text), "username": username, "password": password},
    )
    return response.status_code


def signed_in(client: httpx.Client) -> bool:
    response = client.get("/staff")
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


def origin_line(html: str) -> str:
    match = _ORIGIN.search(html)
    return " ".join(match.group(1).split()) if match else ""


def submitted_and_queued(board: RunningBoard, **fields: str | None) -> int:
    """Send one submission through the public form; return its queue item's number."""
    response = submit(board, **fields)
    assert response.status_code == 303, (response.status_code, response.text[:500])
    return int(queued(board)[-1]["id"])


# --- the public form ----------------------------------------------------------------------------


def test_submit_form__offers_every_kind_but_event_and_poll_with_token_and_honeypot(
    board: RunningBoard,
) -> None:
    response = board.get("/submit")

    assert response.status_code == 200
    html = response.text
    kinds = re.findall(r'<option value="([^"]+)"', html)
    assert set(kinds) == {
        "announcement",
        "offer-help",
        "need-help",
        "give-lend",
        "looking-for",
        "lost-found",
        "meetup",
    }
    assert 'name="website"' in html
    assert re.search(r'name="consent" type="checkbox" value="yes"', html)
    assert "csrf_token" not in html  # residents need no session
    match = _FORM_TOKEN.search(html)
    assert match
    stamp = int(match.group(1).split(".")[0])
    assert abs(stamp - time.time()) < 60  # real time, not the board clock (March 2026)


def test_submit__valid_form_is_queued_and_redirects_to_the_thanks_page(
    board: RunningBoard,
) -> None:
    response = submit(board)

    assert response.status_code == 303
    assert response.headers["location"] == "/submit?sent=1"
    [row] = board.rows("SELECT * FROM submissions")
    assert (row["kind"], row["title"], row["body_md"]) == ("give-lend", TITLE, BODY)
    assert (row["author_name"], row["contact"], row["notice_id"]) == (NAME, CONTACT, None)
    [item] = queued(board)
    assert (item["kind"], item["ref"], item["state"]) == ("submission", str(row["id"]), "pending")
    assert item["summary"] == TITLE
    assert board.rows("SELECT id FROM notices") == []
    assert board.rows("SELECT id FROM outbox_activities") == []
    thanks = board.get("/submit", params={"sent": "1", "lang": "en"})
    assert thanks.status_code == 200
    assert "Thank you! Your notice has arrived." in thanks.text
    assert 'action="/submit"' not in thanks.text


def test_submit__name_and_contact_are_optional(board: RunningBoard) -> None:
    response = submit(board, name=None, contact=None)

    assert response.status_code == 303
    [row] = board.rows("SELECT author_name, contact FROM submissions")
    assert row == {"author_name": "", "contact": ""}


def test_submit__token_of_the_page_sent_at_once_is_refused_as_very_fast(
    board: RunningBoard,
) -> None:
    client = board.new_client()
    page = client.get("/submit")
    match = _FORM_TOKEN.search(page.text)
    assert match

    response = client.post(
        "/submit", data=submission(board, form_token=match.group(1)), params={"lang": "en"}
    )

    assert response.status_code == 400
    assert "very fast" in response.text
    assert f'value="{TITLE}"' in response.text  # what was typed is kept
    assert BODY in response.text
    fresh = _FORM_TOKEN.search(response.text)
    assert fresh  # a new token, so the next send can pass
    assert queued(board) == []


@pytest.mark.parametrize(
    "case",
    [
        "one-second-old",
        "tampered-signature",
        "other-secret",
        "older-than-six-hours",
        "missing",
        "garbage",
        "honeypot",
    ],
)
def test_submit__looks_automatic_is_400_and_nothing_is_queued(
    board: RunningBoard, case: str
) -> None:
    secret = session_secret(board)
    good = aged_token(board)
    stamp, _, signature = good.partition(".")
    fields: dict[str, str | None] = {
        "one-second-old": {"form_token": form_token(secret, now=time.time() - 1)},
        "tampered-signature": {"form_token": f"{stamp}.{signature[::-1]}"},
        "other-secret": {"form_token": form_token("not-the-secret", now=time.time() - 10)},
        "older-than-six-hours": {"form_token": form_token(secret, now=time.time() - 6 * 3600 - 60)},
        "missing": {"form_token": None},
        "garbage": {"form_token": "yesterday"},
        "honeypot": {"website": "https://spam.example/"},
    }[case]

    response = submit(board, **fields)

    assert response.status_code == 400, (case, response.status_code)
    assert 'id="error-summary"' in response.text
    if case == "one-second-old":
        assert "very fast" in response.text
    assert queued(board) == []
    assert board.rows("SELECT id FROM submissions") == []


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [
        ("kind", "event", "kind"),
        ("kind", "poll", "kind"),
        ("kind", "nonsense", "kind"),
        ("title", "   ", "title"),
        ("title", "T" * 201, "title"),
        ("body", "", "body"),
        ("body", "B" * 10_001, "body"),
        ("name", "N" * 81, "name"),
        ("contact", "C" * 201, "contact"),
        ("consent", None, "consent"),
        ("consent", "no", "consent"),
    ],
)
def test_submit__invalid_field_is_400_with_the_form_keeping_the_input(
    board: RunningBoard, field: str, value: str | None, error_field: str
) -> None:
    response = submit(board, **{field: value})

    assert response.status_code == 400, response.status_code
    html = response.text
    assert f'class="field-error" id="{error_field}-error"' in html
    assert html.count('class="field-error"') == 1, "only the wrong field is marked"
    if field != "title":
        assert f'value="{TITLE}"' in html
    if field != "body":
        assert BODY in html
    if field != "contact":
        assert f'value="{CONTACT}"' in html
    assert _FORM_TOKEN.search(html)
    assert queued(board) == []


def test_submit__sixth_in_an_hour_from_one_address_is_429_with_retry_after(
    board: RunningBoard,
) -> None:
    statuses = [submit(board, title=f"Aushang {n}").status_code for n in range(5)]

    sixth = submit(board, title="Aushang 6")

    assert statuses == [303] * 5
    assert sixth.status_code == 429
    assert 0 < int(sixth.headers["retry-after"]) <= 3601
    assert len(queued(board)) == 5


def test_submit__form_without_a_length_is_411_and_too_large_is_413(board: RunningBoard) -> None:
    data = submission(board)
    encoded = httpx.QueryParams(data).__str__().encode()

    def chunks():
        yield encoded[:20]
        yield encoded[20:]

    chunked = board.new_client().post(
        "/submit", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    huge = submit(board, body="x" * 40_000)

    assert chunked.status_code == 411
    assert huge.status_code == 413
    assert queued(board) == []


@pytest.mark.parametrize("case", ["non-ascii-token", "file-upload", "json", "many-fields"])
def test_submit__odd_requests_are_400_never_500(board: RunningBoard, case: str) -> None:
    client = board.new_client()
    if case == "non-ascii-token":
        response = client.post("/submit", data=submission(board, form_token="1772442000.äöü"))
    elif case == "file-upload":
        response = client.post(
            "/submit",
            data=submission(board),
            files={"title": ("title.txt", b"Kinderwagen", "text/plain")},
        )
    elif case == "json":
        response = client.post("/submit", json=submission(board))
    else:
        fields = {**submission(board), **{f"extra{n}": "x" for n in range(30)}}
        parts = [
            f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        ]
        response = client.post(
            "/submit",
            content=("".join(parts) + "--b--\r\n").encode(),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )

    assert response.status_code == 400, (case, response.status_code, response.text[:200])
    assert queued(board) == []


# --- the queue ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"), [("owner", True), ("moderator", True), ("editor", False)]
)
def test_queue__is_for_owners_and_moderators(board: RunningBoard, role: str, allowed: bool) -> None:
    item = submitted_and_queued(board)
    client = staff_client(board, role)

    listing = client.get("/staff/queue")
    detail = client.get(f"/staff/queue/{item}")

    if allowed:
        assert listing.status_code == detail.status_code == 200
        assert f'href="/staff/queue/{item}"' in listing.text
        assert TITLE in listing.text
    else:
        assert listing.status_code == detail.status_code == 403
        assert CONTACT not in detail.text
    anonymous = board.new_client().get(f"/staff/queue/{item}")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")


def test_queue_item__shows_the_sender_and_the_contact_to_the_team(board: RunningBoard) -> None:
    item = submitted_and_queued(board)
    client = staff_client(board, "moderator")

    page = client.get(f"/staff/queue/{item}")

    assert page.status_code == 200
    assert NAME in page.text
    assert CONTACT in page.text
    assert f'value="{TITLE}"' in page.text  # ready to be corrected before publishing
    assert client.get("/staff/queue/999").status_code == 404


def test_approve__publishes_with_provenance_and_federates_a_create(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    inbox = add_inbox(board, fediverse, "kim")
    item = submitted_and_queued(board)
    moderator = staff_client(board, "moderator", "mila")

    response = staff_post(moderator, f"/staff/queue/{item}/approve", reason="passt")

    assert response.status_code == 303
    assert response.headers["location"] == "/staff/queue"
    assert flash_on(moderator, "/staff/queue") == "Approved and published."
    [notice] = board.rows("SELECT * FROM notices")
    assert (notice["origin"], notice["submitted_by"], notice["author_id"]) == (
        "submission",
        NAME,
        None,
    )
    assert (notice["title"], notice["body_md"], notice["kind"]) == (TITLE, BODY, "give-lend")
    [decided] = queued(board)
    assert (decided["state"], decided["decided_by"], decided["reason"]) == (
        "approved",
        "mila",
        "passt",
    )
    assert board.value("SELECT notice_id FROM submissions") == notice["id"]
    page = board.get(f"/notices/{notice['id']}", params={"lang": "en"})
    assert origin_line(page.text) == f"Submitted by a resident: {NAME}"
    board.drain()
    [create] = received(fediverse, inbox, "Create")
    assert create["object"]["id"] == board.url(f"/notices/{notice['id']}")
    assert f"<strong>{TITLE}</strong>" in create["object"]["content"]
    assert f'href="/staff/queue/{item}"' not in moderator.get("/staff/queue").text
    approved = moderator.get("/staff/queue", params={"state": "approved"}).text
    assert f'href="/staff/queue/{item}"' in approved and "mila" in approved


def test_approve__without_a_name_says_a_resident(board: RunningBoard) -> None:
    item = submitted_and_queued(board, name="  ")
    moderator = staff_client(board, "moderator")

    staff_post(moderator, f"/staff/queue/{item}/approve")

    assert board.value("SELECT submitted_by FROM notices") == ""
    page = board.get("/notices/1", params={"lang": "en"})
    assert origin_line(page.text) == "Submitted by a resident"
    home = board.get("/", params={"lang": "en"})
    assert "Submitted by a resident" in card(home.text, "/notices/1")


def test_approve__the_residents_name_is_escaped_on_the_page(board: RunningBoard) -> None:
    item = submitted_and_queued(board, name="<b>Kim</b>")
    staff_post(staff_client(board, "moderator"), f"/staff/queue/{item}/approve")

    page = board.get("/notices/1", params={"lang": "en"}).text

    assert "<b>Kim</b>" not in page
    assert origin_line(page) == "Submitted by a resident: &lt;b&gt;Kim&lt;/b&gt;"


def test_queue__unknown_state_or_kind_is_400(board: RunningBoard) -> None:
    moderator = staff_client(board, "moderator")

    assert moderator.get("/staff/queue", params={"state": "maybe"}).status_code == 400
    assert moderator.get("/staff/queue", params={"kind": "spam"}).status_code == 400
    assert moderator.get("/staff/queue", params={"kind": "submission"}).status_code == 200


def test_approve__with_edited_fields_publishes_the_corrected_notice(board: RunningBoard) -> None:
    item = submitted_and_queued(board)
    moderator = staff_client(board, "moderator")

    response = staff_post(
        moderator,
        f"/staff/queue/{item}/approve",
        kind="offer-help",
        title="Kinderwagen abzugeben",
        body="Im **Hof** abholen.",
    )

    assert response.status_code == 303
    [notice] = board.rows("SELECT kind, title, body_md, body_html, origin FROM notices")
    assert notice["kind"] == "offer-help"
    assert notice["title"] == "Kinderwagen abzugeben"
    assert "<strong>Hof</strong>" in notice["body_html"]
    assert notice["origin"] == "submission"


@pytest.mark.parametrize(
    "edit", [{"title": "Neu", "body": ""}, {"title": "Neu", "body": "x", "kind": "event"}]
)
def test_approve__with_invalid_edits_is_400_and_publishes_nothing(
    board: RunningBoard, edit: dict[str, str]
) -> None:
    item = submitted_and_queued(board)
    moderator = staff_client(board, "moderator")

    response = staff_post(
        moderator, f"/staff/queue/{item}/approve", **{"kind": "give-lend", **edit}
    )

    assert response.status_code == 400
    assert 'class="field-error"' in response.text
    assert board.rows("SELECT id FROM notices") == []
    assert queued(board)[0]["state"] == "pending"


def test_reject__needs_a_reason_and_publishes_nothing(board: RunningBoard) -> None:
    item = submitted_and_queued(board)
    moderator = staff_client(board, "moderator", "mila")

    empty = staff_post(moderator, f"/staff/queue/{item}/reject", reason="   ")

    assert empty.status_code == 400
    assert 'id="reason-error"' in empty.text
    assert queued(board)[0]["state"] == "pending"

    rejected = staff_post(moderator, f"/staff/queue/{item}/reject", reason="Werbung")

    assert rejected.status_code == 303
    assert flash_on(moderator, "/staff/queue") == "Rejected. Nothing was published."
    [row] = queued(board)
    assert (row["state"], row["reason"], row["decided_by"]) == ("rejected", "Werbung", "mila")
    assert board.rows("SELECT id FROM notices") == []
    assert board.rows("SELECT id FROM outbox_activities") == []
    assert board.value("SELECT notice_id FROM submissions") is None


def test_edit__saves_changes_and_the_submission_keeps_waiting(board: RunningBoard) -> None:
    item = submitted_and_queued(board)
    moderator = staff_client(board, "moderator")

    response = staff_post(
        moderator,
        f"/staff/queue/{item}/edit",
        kind="offer-help",
        title="Kinderwagen abzugeben",
        body="Korrigierter Text",
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/queue/{item}"
    [row] = board.rows("SELECT kind, title, body_md FROM submissions")
    assert row == {
        "kind": "offer-help",
        "title": "Kinderwagen abzugeben",
        "body_md": "Korrigierter Text",
    }
    [waiting] = queued(board)
    assert (waiting["state"], waiting["summary"]) == ("pending", "Kinderwagen abzugeben")
    assert board.rows("SELECT id FROM notices") == []

    staff_post(moderator, f"/staff/queue/{item}/approve")  # no fields: the saved version

    [notice] = board.rows("SELECT kind, title, body_md FROM notices")
    assert notice == row


@pytest.mark.parametrize(
    ("first", "second"),
    [("approve", "approve"), ("approve", "reject"), ("reject", "approve"), ("reject", "edit")],
)
def test_queue__deciding_twice_flashes_decided_already(
    board: RunningBoard, first: str, second: str
) -> None:
    item = submitted_and_queued(board)
    moderator = staff_client(board, "moderator")
    fields = {"reason": "Grund", "kind": "give-lend", "title": "Zweiter Versuch", "body": "Text"}
    staff_post(moderator, f"/staff/queue/{item}/{first}", reason="Grund")
    state = queued(board)[0]["state"]

    response = staff_post(moderator, f"/staff/queue/{item}/{second}", **fields)

    assert response.status_code == 303, response.status_code
    assert flash_on(moderator, "/staff/queue") == "This item has been decided already."
    assert queued(board)[0]["state"] == state
    assert len(board.rows("SELECT id FROM notices")) == (1 if first == "approve" else 0)
    assert board.value("SELECT title FROM submissions") == TITLE


def test_contact__never_appears_on_public_pages_or_in_federation(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    inbox = add_inbox(board, fediverse, "kim")
    item = submitted_and_queued(board)
    staff_post(staff_client(board, "moderator"), f"/staff/queue/{item}/approve")
    board.drain()
    assert received(fediverse, inbox, "Create"), "Create"

    public = [
        board.get(path)
        for path in (
            "/",
            "/notices/1",
            "/archive",
            "/search?q=Kinderwagen",
            "/feed.atom",
            "/feed/give-lend.atom",
            "/submit?sent=1",
        )
    ]
    federated = [
        board.get("/notices/1", headers={"Accept": AP_JSON}),
        board.get("/notices/1/activity", headers={"Accept": AP_JSON}),
        board.get("/users/nordstadt/outbox?page=true", headers={"Accept": AP_JSON}),
    ]

    for response in public + federated:
        assert response.status_code == 200, (response.url, response.status_code)
        assert "0170" not in response.text and "ayse.k@" not in response.text, response.url
    assert TITLE in public[1].text and TITLE in public[4].text  # the pages did show the notice
    for row in board.rows("SELECT body FROM outbox_activities"):
        assert "0170" not in row["body"] and "ayse.k@" not in row["body"]
    for request in fediverse.remote.posts(inbox):
        assert "0170" not in json.dumps(request.json())


# --- posting on a resident's behalf -------------------------------------------------------------


def assisted(**fields: str) -> dict[str, str]:
    return {
        "kind": "need-help",
        "on_behalf_of": "Frau Yilmaz",
        "consent_method": "phone",
        "consent_given": "",
        "consent_until": CONSENT_LAST_DAY,
        **fields,
    }


def test_assisted__records_consent_and_shows_on_behalf_of(board: RunningBoard) -> None:
    editor = staff_client(board, "editor")

    url = board.publish(editor, "Hilfe beim Einkaufen", **assisted(consent_given="2026-03-01"))

    [row] = board.rows("SELECT * FROM notices")
    assert row["origin"] == "assisted"
    assert row["on_behalf_of"] == "Frau Yilmaz"
    assert row["consent_method"] == "phone"
    assert row["consent_given"] == "2026-02-28T23:00:00.000000Z"  # 1 March, Berlin
    assert row["consent_until"] == CONSENT_END
    path = url.removeprefix(board.base_url)
    page = board.get(path, params={"lang": "en"})
    assert origin_line(page.text) == "Posted on behalf of Frau Yilmaz"
    assert "Consent" not in page.text and "by phone" not in page.text


def test_assisted__consent_given_empty_means_now(board: RunningBoard) -> None:
    editor = staff_client(board, "editor")

    board.publish(editor, "Hilfe beim Einkaufen", **assisted())

    given = datetime.fromisoformat(board.value("SELECT consent_given FROM notices"))
    assert abs(given - board.clock.now) < timedelta(minutes=1)


def test_assisted__consent_details_are_shown_to_signed_in_staff(board: RunningBoard) -> None:
    editor = staff_client(board, "editor")
    url = board.publish(editor, "Hilfe beim Einkaufen", **assisted())
    path = url.removeprefix(board.base_url)

    staff_page = editor.get(path, params={"lang": "en"})
    public_page = board.new_client().get(path, params={"lang": "en"})

    assert "Consent (only the team sees this)" not in public_page.text
    assert "Consent (only the team sees this)" in staff_page.text
    assert "by phone" in staff_page.text
    # The last day the resident agreed to is shown as chosen, not the instant after it.
    last_day = date.fromisoformat(CONSENT_LAST_DAY)
    shown = format_date_local(last_day, "en", now=board.clock.now)
    assert f"until {shown}." in staff_page.text


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"consent_until": ""}, "consent_until"),
        ({"consent_until": "2026-03-01"}, "consent_until"),  # the day before the clock's today
        ({"consent_until": "bald"}, "consent_until"),
        ({"consent_given": "2026-03-03"}, "consent_given"),  # tomorrow
        ({"consent_given": "gestern"}, "consent_given"),
        ({"consent_method": "telepathy"}, "consent_method"),
        ({"consent_method": ""}, "consent_method"),
        ({"on_behalf_of": ""}, "on_behalf_of"),  # consent without a name
        ({"on_behalf_of": "N" * 81}, "on_behalf_of"),
    ],
)
def test_assisted__invalid_consent_is_400_and_publishes_nothing(
    board: RunningBoard, fields: dict[str, str], error_field: str
) -> None:
    editor = staff_client(board, "editor")

    response = board.compose(editor, "Hilfe beim Einkaufen", "Text", **assisted(**fields))

    assert response.status_code == 400, response.status_code
    assert f'id="{error_field}-error"' in response.text
    assert 'value="Hilfe beim Einkaufen"' in response.text
    assert board.rows("SELECT id FROM notices") == []


@pytest.mark.parametrize(
    ("valid_until", "stored"),
    [
        ("", CONSENT_END),
        ("2026-03-31", CONSENT_END),
        ("2026-03-05", "2026-03-05T23:00:00.000000Z"),  # ends before the consent: kept
    ],
)
def test_assisted__validity_is_capped_at_the_end_of_consent(
    board: RunningBoard, valid_until: str, stored: str
) -> None:
    editor = staff_client(board, "editor")

    board.publish(editor, "Hilfe beim Einkaufen", **assisted(valid_until=valid_until))

    assert board.value("SELECT valid_until FROM notices") == stored


def test_assisted__notice_leaves_the_board_when_consent_ends(board: RunningBoard) -> None:
    editor = staff_client(board, "editor")
    url = board.publish(editor, "Hilfe beim Einkaufen", **assisted(valid_until="2026-04-30"))
    path = url.removeprefix(board.base_url)
    board.clock.set(datetime(2026, 3, 10, 22, 59, tzinfo=UTC))
    assert card(board.get("/").text, path)

    board.clock.set(AFTER_CONSENT)

    assert not card(board.get("/").text, path)
    assert card(board.get("/archive").text, path)
    restart(board)
    assert board.value("SELECT expired FROM notices") is not None


@pytest.mark.parametrize("valid_until", ["2026-04-30", ""])
def test_assisted__editing_cannot_extend_the_notice_past_the_consent(
    board: RunningBoard, valid_until: str
) -> None:
    editor = staff_client(board, "editor")
    board.publish(editor, "Hilfe beim Einkaufen", **assisted())
    form = editor.get("/staff/notices/1/edit")

    response = editor.post(
        "/staff/notices/1/edit",
        data={"csrf_token": csrf_token(form.text), "title": "Hilfe beim Einkaufen",
              "body": "Neuer Text", "kind": "need-help", "valid_until": valid_until,
              "category": "", "action": "publish"},
    )  # fmt: skip

    assert response.status_code in (303, 400)  # capped again, or refused
    stored = board.value("SELECT valid_until FROM notices")
    assert stored is not None and stored <= CONSENT_END, stored
    board.clock.set(AFTER_CONSENT)
    assert not card(board.get("/").text, "/notices/1")


# --- staff accounts -----------------------------------------------------------------------------


def invite(owner: httpx.Client, role: str, username: str = "erik") -> str:
    """Make an invitation on /staff/accounts; return the token of the link shown once."""
    page = staff_post(owner, "/staff/accounts/invite", role=role, username=username)
    assert page.status_code == 200, (page.status_code, page.text[:300])
    match = _INVITATION.search(page.text)
    assert match, "no invitation link on the page"
    return match.group(1)


def accept(
    board: RunningBoard,
    token: str,
    password: str = PASSWORD,
    again: str | None = None,
) -> httpx.Response:
    client = board.new_client()
    page = client.get(f"/invitation/{token}")
    if page.status_code != 200:
        return page
    return client.post(
        f"/invitation/{token}",
        data={
            "csrf_token": csrf_token(page.text),
            "password": password,
            "password_again": password if again is None else again,
        },
        params={"lang": "en"},
    )


@pytest.mark.parametrize("role", ["editor", "moderator"])
def test_accounts__are_for_owners_only(board: RunningBoard, role: str) -> None:
    client = staff_client(board, role)

    assert client.get("/staff/accounts").status_code == 403
    response = staff_post(client, "/staff/accounts/invite", role="owner", username="sneaky")
    assert response.status_code == 403
    assert (
        staff_post(client, "/staff/accounts/role", username="admin", role="editor").status_code
        == 403
    )
    assert board.rows("SELECT * FROM staff_invitations") == []
    assert board.value("SELECT role FROM staff WHERE username = 'admin'") == "owner"


def test_invitation__link_is_shown_once_and_creates_an_account_with_its_role(
    board: RunningBoard,
) -> None:
    owner = board.login()

    token = invite(owner, "moderator", "Mila")

    stored = board.rows("SELECT * FROM staff_invitations")
    assert len(stored) == 1 and token not in json.dumps(stored)  # only a hash is kept
    assert stored[0]["role"] == "moderator" and stored[0]["created_by"] == "admin"
    assert stored[0]["username"] == "mila"
    assert token not in owner.get("/staff/accounts").text
    assert "mila" in board.new_client().get(f"/invitation/{token}").text
    response = accept(board, token)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert board.value("SELECT role FROM staff WHERE username = 'mila'") == "moderator"
    mila = board.login(board.new_client(), username="mila", password=PASSWORD)
    assert mila.get("/staff/queue").status_code == 200
    assert mila.get("/staff/notices/new").status_code == 403


def test_invitation__works_only_once(board: RunningBoard) -> None:
    token = invite(board.login(), "editor")
    assert accept(board, token).status_code == 303

    again = accept(board, token, "another-Passw0rd")

    assert again.status_code == 404
    assert board.value("SELECT count(*) FROM staff WHERE username = 'erik'") == 1


def test_invitation__expires_after_seven_days(board: RunningBoard) -> None:
    token = invite(board.login(), "editor")
    board.clock.advance(days=6, hours=23)
    assert board.new_client().get(f"/invitation/{token}").status_code == 200

    board.clock.advance(hours=1, seconds=1)

    assert accept(board, token).status_code == 404
    assert board.value("SELECT count(*) FROM staff WHERE username = 'erik'") == 0


def test_invitation__unknown_token_is_404(board: RunningBoard) -> None:
    assert board.get("/invitation/not-a-token").status_code == 404


@pytest.mark.parametrize("username", ["Admin", "Erik Meier", "e", "erik"])
def test_invitation__taken_reserved_or_bad_user_name_is_refused_to_the_owner(
    board: RunningBoard, username: str
) -> None:
    owner = board.login()
    invite(owner, "editor", "erik")

    response = staff_post(owner, "/staff/accounts/invite", role="editor", username=username)

    assert response.status_code == 303
    assert board.value("SELECT count(*) FROM staff_invitations") == 1
    assert flash_on(owner, "/staff/accounts") is not None


def test_invitation__account_made_meanwhile_makes_the_link_void(board: RunningBoard) -> None:
    token = invite(board.login(), "editor", "erik")
    board.cli("staff", "add", "erik", "--role", "moderator", "--password-stdin", stdin=PASSWORD)

    response = accept(board, token)

    assert response.status_code == 400
    assert "not valid any more" in response.text
    assert board.value("SELECT role FROM staff WHERE username = 'erik'") == "moderator"


@pytest.mark.parametrize(
    ("password", "again"),
    [
        ("kurz12345", None),  # 9 characters
        (PASSWORD, PASSWORD + "!"),
    ],
)
def test_invitation__bad_password_is_400_and_keeps_the_link(
    board: RunningBoard, password: str, again: str | None
) -> None:
    token = invite(board.login(), "editor")

    response = accept(board, token, password, again)

    assert response.status_code == 400
    assert 'class="error-summary"' in response.text
    assert board.value("SELECT count(*) FROM staff") == 1
    assert board.new_client().get(f"/invitation/{token}").status_code == 200


def test_invitation__post_with_a_non_ascii_csrf_token_is_403_not_500(board: RunningBoard) -> None:
    token = invite(board.login(), "editor")
    client = board.new_client()
    client.get(f"/invitation/{token}")

    response = client.post(
        f"/invitation/{token}",
        data={
            "csrf_token": "äöü",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )

    assert response.status_code == 403, response.status_code
    assert board.value("SELECT count(*) FROM staff") == 1


def test_deactivate__ends_the_session_at_once_and_refuses_login(board: RunningBoard) -> None:
    moderator = staff_client(board, "moderator", "mila")
    assert signed_in(moderator)
    owner = board.login()

    response = staff_post(owner, "/staff/accounts/deactivate", username="mila")

    assert response.status_code == 303
    assert board.value("SELECT active FROM staff WHERE username = 'mila'") == 0
    assert not signed_in(moderator)
    assert moderator.get("/staff/queue").status_code == 303
    assert login_status(board, "mila", PASSWORD) == 400
    assert "deactivated" in owner.get("/staff/accounts", params={"lang": "en"}).text

    staff_post(owner, "/staff/accounts/activate", username="mila")

    assert login_status(board, "mila", PASSWORD) == 303


def test_deactivate__the_last_active_owner_stays_active(board: RunningBoard) -> None:
    owner = board.login()
    staff_client(board, "editor")

    response = staff_post(owner, "/staff/accounts/deactivate", username="admin")

    assert response.status_code == 303
    assert flash_on(owner, "/staff/accounts") == "The board needs at least one active owner."
    assert board.value("SELECT active FROM staff WHERE username = 'admin'") == 1
    assert signed_in(owner)


def test_role__the_last_active_owner_cannot_be_demoted(board: RunningBoard) -> None:
    owner = board.login()

    staff_post(owner, "/staff/accounts/role", username="admin", role="editor")

    assert flash_on(owner, "/staff/accounts") == "The board needs at least one active owner."
    assert board.value("SELECT role FROM staff WHERE username = 'admin'") == "owner"


def test_role__an_owner_can_be_demoted_while_another_owner_is_active(board: RunningBoard) -> None:
    owner = board.login()
    other = staff_client(board, "owner", "olga")

    staff_post(owner, "/staff/accounts/role", username="olga", role="editor")

    assert board.value("SELECT role FROM staff WHERE username = 'olga'") == "editor"
    assert other.get("/staff/accounts").status_code == 403  # at once, in her open session


def test_role__a_deactivated_second_owner_does_not_count(board: RunningBoard) -> None:
    owner = board.login()
    staff_client(board, "owner", "olga")
    staff_post(owner, "/staff/accounts/deactivate", username="olga")

    staff_post(owner, "/staff/accounts/deactivate", username="admin")

    assert board.value("SELECT active FROM staff WHERE username = 'admin'") == 1


def test_role__change_takes_effect_on_the_open_session(board: RunningBoard) -> None:
    owner = board.login()
    editor = staff_client(board, "editor", "erik")
    assert editor.get("/staff/queue").status_code == 403

    response = staff_post(owner, "/staff/accounts/role", username="erik", role="moderator")

    assert response.status_code == 303
    assert flash_on(owner, "/staff/accounts") == "The role is changed."
    assert board.value("SELECT role FROM staff WHERE username = 'erik'") == "moderator"
    assert editor.get("/staff/queue").status_code == 200
    assert editor.get("/staff/notices/new").status_code == 403


def test_role__unknown_role_or_user_changes_nothing(board: RunningBoard) -> None:
    owner = board.login()
    staff_client(board, "editor", "erik")

    staff_post(owner, "/staff/accounts/role", username="erik", role="admin")
    staff_post(owner, "/staff/accounts/role", username="nobody", role="editor")

    assert board.rows("SELECT username, role FROM staff ORDER BY id") == [
        {"username": "admin", "role": "owner"},
        {"username": "erik", "role": "editor"},
    ]


@pytest.mark.parametrize("role", ["owner", "editor", "moderator"])
def test_own_account__everyone_can_change_their_password(board: RunningBoard, role: str) -> None:
    client = staff_client(board, role, "sam")
    new = "ein-ganz-neues-Passwort"

    response = staff_post(
        client,
        "/staff/account",
        current_password=PASSWORD,
        new_password=new,
        new_password_again=new,
    )

    assert response.status_code == 303
    assert login_status(board, "sam", new) == 303
    assert login_status(board, "sam", PASSWORD) == 400


@pytest.mark.parametrize(
    ("current", "new", "again"),
    [
        ("wrong-password", "ein-ganz-neues-Passwort", "ein-ganz-neues-Passwort"),
        (PASSWORD, "kurz12345", "kurz12345"),
        (PASSWORD, "ein-ganz-neues-Passwort", "ein-anderes-Passwort"),
    ],
)
def test_own_account__wrong_current_or_bad_new_password_is_400(
    board: RunningBoard, current: str, new: str, again: str
) -> None:
    client = staff_client(board, "editor", "sam")

    response = staff_post(
        client,
        "/staff/account",
        current_password=current,
        new_password=new,
        new_password_again=again,
    )

    assert response.status_code == 400
    assert 'class="error-summary"' in response.text
    assert login_status(board, "sam", PASSWORD) == 303
    assert login_status(board, "sam", new) == 400


# --- audit log ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["editor", "moderator"])
def test_audit__is_for_owners_only(board: RunningBoard, role: str) -> None:
    assert staff_client(board, role).get("/staff/audit").status_code == 403


def test_audit__records_who_approved_a_submission_and_why(board: RunningBoard) -> None:
    item = submitted_and_queued(board)
    staff_post(
        staff_client(board, "moderator", "mila"), f"/staff/queue/{item}/approve", reason="passt"
    )

    entries = board.rows("SELECT staff, action, target, reason FROM audit_log ORDER BY id")

    assert {"staff": "mila", "action": "submission.approve", "target": f"#{item}",
            "reason": "passt"} in entries  # fmt: skip
    assert {"staff": "mila", "action": "notice.publish.submission"} in [
        {"staff": e["staff"], "action": e["action"]} for e in entries
    ]
    page = board.login().get("/staff/audit")
    assert page.status_code == 200
    row = next(r for r in re.findall(r"<tr>.*?</tr>", page.text, re.S) if "submission.approve" in r)
    assert "mila" in row and "passt" in row


def test_audit__records_rejections_and_account_changes_with_the_acting_owner(
    board: RunningBoard,
) -> None:
    item = submitted_and_queued(board)
    staff_post(
        staff_client(board, "moderator", "mila"), f"/staff/queue/{item}/reject", reason="Werbung"
    )
    owner = board.login()
    staff_post(owner, "/staff/accounts/role", username="mila", role="editor")
    staff_post(owner, "/staff/accounts/deactivate", username="mila")

    entries = board.rows("SELECT staff, action, target, reason FROM audit_log ORDER BY id")

    assert {"staff": "mila", "action": "submission.reject", "target": f"#{item}",
            "reason": "Werbung"} in entries  # fmt: skip
    assert [(e["staff"], e["action"], e["target"]) for e in entries[-2:]] == [
        ("admin", "staff.role", "mila (editor)"),
        ("admin", "staff.deactivate", "mila"),
    ]


# --- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["editor", "moderator"])
def test_settings__are_for_owners_only(board: RunningBoard, role: str) -> None:
    client = staff_client(board, role)

    assert client.get("/staff/settings").status_code == 403
    assert staff_post(client, "/staff/settings", action="limited", value="on").status_code == 403
    assert board.value("SELECT limited FROM federation_policy") == 0


def test_settings__reply_policy_is_saved_and_shown(board: RunningBoard) -> None:
    owner = board.login()

    response = staff_post(owner, "/staff/settings", action="reply_policy", value="open")
    staff_post(owner, "/staff/settings", action="reply_policy", value="everything")

    assert response.status_code == 303
    assert board.value("SELECT value FROM settings WHERE key = 'reply_policy'") == "open"
    page = owner.get("/staff/settings").text
    assert re.search(r'id="policy-open" name="value" value="open" checked', page)
    assert not re.search(r'value="hold" checked', page)


def test_settings__limited_federation_and_allowed_servers(board: RunningBoard) -> None:
    owner = board.login()

    staff_post(owner, "/staff/settings", action="limited", value="on")
    staff_post(owner, "/staff/settings", action="allow", value="https://Social.Example/")
    staff_post(owner, "/staff/settings", action="allow", value="@kim@gts.example")
    staff_post(owner, "/staff/settings", action="allow", value="not a server!")

    assert board.value("SELECT limited FROM federation_policy") == 1
    assert [
        r["domain"] for r in board.rows("SELECT domain FROM allowed_domains ORDER BY domain")
    ] == [
        "gts.example",
        "social.example",
    ]
    page = owner.get("/staff/settings", params={"lang": "en"}).text
    assert "Limited federation is on." in page
    assert "social.example" in page and "gts.example" in page

    staff_post(owner, "/staff/settings", action="disallow", value="social.example")
    staff_post(owner, "/staff/settings", action="limited", value="off")

    assert board.value("SELECT limited FROM federation_policy") == 0
    assert [r["domain"] for r in board.rows("SELECT domain FROM allowed_domains")] == [
        "gts.example"
    ]
    entries = [e["action"] for e in board.rows("SELECT action FROM audit_log ORDER BY id")]
    assert entries.count("federation.limited") == 2
    assert "allow.domain" in entries and "disallow.domain" in entries


def test_settings__limited_federation_refuses_servers_not_on_the_list(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    owner = board.login()
    staff_post(owner, "/staff/settings", action="limited", value="on")
    kim = fediverse.actor("kim")

    refused = kim.post(board.inbox, kim.follow(board.actor_id), now=board.clock.now)

    assert refused.status_code == 403
    staff_post(owner, "/staff/settings", action="allow", value=fediverse.remote.authority)
    accepted = kim.post(board.inbox, kim.follow(board.actor_id, "follow-2"), now=board.clock.now)
    assert accepted.status_code == 202
    board.drain()
    assert len(board.followers()) == 1, "the follower"


# --- the German board ---------------------------------------------------------------------------


def test_provenance__german_board_names_who_a_notice_comes_from(board: RunningBoard) -> None:
    named = submitted_and_queued(board)
    anonymous = submitted_and_queued(board, name="", title="Ohne Namen")
    moderator = staff_client(board, "moderator")
    staff_post(moderator, f"/staff/queue/{named}/approve")
    staff_post(moderator, f"/staff/queue/{anonymous}/approve")
    board.publish(staff_client(board, "editor"), "Hilfe beim Einkaufen", **assisted())

    with_name = origin_line(board.get("/notices/1").text)
    without_name = origin_line(board.get("/notices/2").text)
    on_behalf = origin_line(board.get("/notices/3").text)

    assert with_name.startswith("Eingereicht") and with_name.endswith(NAME)
    assert without_name.startswith("Eingereicht") and "Submitted" not in without_name
    assert on_behalf == "Veröffentlicht im Auftrag von Frau Yilmaz"
