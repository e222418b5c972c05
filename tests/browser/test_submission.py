"""A resident's notice in a real Chromium: /submit, the spam checks, the moderation queue,
edit-before-publish, the public board, and the signed Create a follower's server receives.

The follower is `tests.support.recorder`, a fake fediverse server in its own process: one of
its accounts follows the board with a signed Follow, as Mastodon would, before staff approve.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from federation import httpsig
from federation.keys import load_public_key
from noticeboard.i18n import get_translations
from noticeboard.participation.forms import MIN_SECONDS
from tests.browser.conftest import ADMIN_USERNAME, INSTANCE, LiveBoard
from tests.support.fediverse import wait_until
from tests.support.processes import BoardProcess, free_port
from tests.support.recorder import AP_JSON, Record, Recorder

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TITLE = "Flohmarkt im Innenhof"
EDITED_TITLE = "Flohmarkt im Innenhof am Samstag"
TEXT = "Wir verkaufen Spielzeug und Bücher. Alle Nachbarn sind willkommen."
NAME = "Frau Yılmaz"
CONTACT = "0170 5550123"
FORM_WAIT_MS = MIN_SECONDS * 1000 + 400  # people take longer than the time-to-submit check
DELIVERY_TIMEOUT = 20.0


def de(message: str, **variables: str) -> str:
    """A message as the German board shows it (whatever the catalogue says today)."""
    text = get_translations("de").gettext(message)
    return text % variables if variables else text


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[Recorder]:
    """A fediverse server in its own process; its accounts u0, u1 can follow the board."""
    with Recorder(tmp_path / "recorder", actors=2) as started:
        yield started


@pytest.fixture
def federated_board(tmp_path: Path, recorder: Recorder) -> Iterator[LiveBoard]:
    """Like `live_board`, but allowed to deliver to the recorder on 127.0.0.1."""
    name = tomllib.loads(INSTANCE.read_text())["name"]
    process = BoardProcess(
        INSTANCE, tmp_path / "board", free_port(), allow_private=[recorder.authority]
    )
    with process:
        process.init()
        process.start()
        yield LiveBoard(
            base_url=process.base_url,
            name=name,
            admin_username=ADMIN_USERNAME,
            admin_password=process.admin_password,
            process=process,
        )


# --------------------------------------------------------------------------- helpers


def query(board: LiveBoard, sql: str) -> list[sqlite3.Row]:
    """Read the running board's database read-only, as an admin would inspect it."""
    uri = f"file:{board.process.data_dir / 'aushang.sqlite3'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql).fetchall()


def queued_submissions(board: LiveBoard) -> int:
    return int(query(board, "SELECT count(*) FROM moderation_items")[0][0])


def fill_submission(page: Page, title: str = TITLE) -> None:
    page.get_by_label(de("Kind of notice", exact=True)).select_option("announcement")
    page.get_by_label(de("Title", exact=True)).fill(title)
    page.get_by_label(de("Text", exact=True)).fill(TEXT)
    page.get_by_label(de("Your name on the board (optional)", exact=True)).fill(NAME)
    page.get_by_label(de("How can we reach you? (optional)", exact=True)).fill(CONTACT)
    page.locator("#consent").check()


def send(page: Page) -> None:
    page.get_by_role("button", name=de("Send notice"), exact=True).click()
    page.wait_for_load_state()


def follow_board(recorder: Recorder, board: LiveBoard) -> str:
    """Account u0 of the recorder follows the board; wait until it is a follower."""
    process = board.process
    # Recorder.post would call asyncio.run(), which fails while Playwright runs: sign, then
    # POST with a plain synchronous client.
    signed = recorder.sign(
        0, process.url(f"/users/{process.username}/inbox"), recorder.follow(0, process.actor_id)
    )
    with httpx.Client(trust_env=False, timeout=10.0) as client:
        response = client.post(signed.url, content=signed.body, headers=dict(signed.headers))
    assert response.status_code == 202, (response.status_code, response.text)

    def followers() -> int:
        status, body = process.http_get(f"/users/{process.username}/followers", accept=AP_JSON)
        assert status == 200, body
        return int(json.loads(body)["totalItems"])

    wait_until(lambda: followers() == 1, timeout=DELIVERY_TIMEOUT, what="u0 as follower")
    inbox = recorder.inbox_path(0)
    wait_until(
        lambda: recorder.posts(type_="Accept", path=inbox),
        timeout=DELIVERY_TIMEOUT,
        what="the Accept in u0's inbox",
    )
    return inbox


def signature_problem(record: Record, board: LiveBoard, host: str) -> str | None:
    """Verify a recorded delivery's draft-cavage signature with the board's published key."""
    process = board.process
    status, body = process.http_get(f"/users/{process.username}", accept=AP_JSON)
    assert status == 200, body
    key = load_public_key(json.loads(body)["publicKey"]["publicKeyPem"])
    parsed = httpsig.parse_signature("POST", record.path, dict(record.headers))
    if isinstance(parsed, httpsig.SignatureError):
        return parsed.reason
    result = httpsig.verify_signature(
        parsed,
        key,  # type: ignore[arg-type]
        record.body.encode("utf-8"),
        datetime.now(UTC),
        expected_host=host,
    )
    return None if result.ok else result.reason


def creates(recorder: Recorder, inbox: str) -> list[dict[str, Any]]:
    return [r.json() for r in recorder.posts(type_="Create", path=inbox)]


# --------------------------------------------------------------------------- tests


def test_submission__from_resident_through_moderation_to_board_and_followers(
    page: Page, federated_board: LiveBoard, recorder: Recorder
) -> None:
    board = federated_board
    inbox = follow_board(recorder, board)

    # 1. A resident sends a notice, taking longer than the time-to-submit check.
    page.goto(board.url("/submit"))
    served = time.monotonic()
    fill_submission(page)
    page.wait_for_timeout(max(0, FORM_WAIT_MS - (time.monotonic() - served) * 1000))
    send(page)
    expect(page).to_have_url(board.url("/submit?sent=1"))
    expect(page.get_by_role("status")).to_contain_text(de("Thank you! Your notice has arrived."))
    assert queued_submissions(board) == 1

    # 3. Staff sign in through the form and find it in the queue, with the contact.
    page.goto(board.url("/login"))
    page.get_by_label("Benutzername").fill(board.admin_username)
    page.get_by_label("Passwort").fill(board.admin_password)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page).to_have_url(board.url("/staff"))
    page.goto(board.url("/staff/queue"))
    page.get_by_role("link", name=TITLE, exact=True).click()
    expect(page).to_have_url(board.url("/staff/queue/1"))
    expect(page.locator(".queue-item__contact")).to_contain_text(CONTACT)
    expect(page.get_by_text(NAME)).to_be_visible()
    assert creates(recorder, inbox) == [], "nothing is sent before the approval"

    # ... correct the title and publish.
    title = page.get_by_label(de("Title", exact=True))
    expect(title).to_have_value(TITLE)
    title.fill(EDITED_TITLE)
    page.get_by_role("button", name="Veröffentlichen", exact=True).click()
    expect(page).to_have_url(board.url("/staff/queue"))

    # 5. The follower's server receives a signed Create with the corrected title.
    delivered = wait_until(
        lambda: recorder.posts(type_="Create", path=inbox),
        timeout=DELIVERY_TIMEOUT,
        what="the Create in u0's inbox",
    )
    assert len(delivered) == 1
    assert signature_problem(delivered[0], board, recorder.authority) is None
    note = delivered[0].json()["object"]
    assert EDITED_TITLE in note["content"]
    assert CONTACT not in delivered[0].body

    # 4. The public board shows the notice, who sent it, and never the contact.
    page.context.clear_cookies()  # as a neighbour sees it, not signed in
    page.goto(board.url("/"))
    notice = page.locator("article", has_text=EDITED_TITLE)
    expect(notice).to_be_visible()
    expect(notice.locator(".notice__origin")).to_contain_text(NAME)
    assert CONTACT not in page.content()
    page.get_by_role("link", name=EDITED_TITLE).first.click()
    expect(page.locator(".notice__origin")).to_contain_text(NAME)
    assert CONTACT not in page.content()
    assert TITLE not in page.content().replace(EDITED_TITLE, "")  # the first title is gone
    # In German ("Eingereicht ..."), not the English message id; the exact words are the
    # catalogue's to choose.
    submitted_by = de("Submitted by a resident: %(name)s", name=NAME)
    assert submitted_by.startswith("Eingereicht"), f"not translated: {submitted_by!r}"
    expect(page.locator(".notice__origin")).to_have_text(submitted_by)


def test_submission__with_the_honeypot_filled_is_refused(page: Page, live_board: LiveBoard) -> None:
    page.goto(live_board.url("/submit"))
    fill_submission(page)
    page.locator("#website").fill("https://cheap-pills.example", force=True)
    page.wait_for_timeout(FORM_WAIT_MS)  # not too fast: the trap alone gives it away
    send(page)

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(de("This submission looks automatic and was not accepted."))
    expect(page.locator("#title")).to_have_value(TITLE)  # a person would not lose their text
    assert queued_submissions(live_board) == 0


def test_submission__sent_within_three_seconds_is_refused(
    page: Page, live_board: LiveBoard
) -> None:
    page.goto(live_board.url("/submit"))
    served = time.monotonic()
    fill_submission(page)
    # The form's stamp has whole seconds, so it may look up to 1 s older than it is.
    assert time.monotonic() - served < MIN_SECONDS - 1, "the browser was too slow to test this"
    send(page)

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(
        de("That was very fast. Please check your text and send the form again.")
    )
    assert queued_submissions(live_board) == 0
