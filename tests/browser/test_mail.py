"""News by e-mail in a real Chromium, with a real SMTP server (aiosmtpd) on 127.0.0.1: a
resident subscribes through the form, confirms through the link in the mail, gets the digest
with the new notice, unsubscribes with the one-click POST a mail program sends, and gets
nothing more. The new pages pass axe's accessibility rules as they are shown.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from noticeboard.i18n import get_translations
from noticeboard.participation.forms import MIN_SECONDS
from tests.browser.audit import assert_accessible
from tests.browser.conftest import ADMIN_USERNAME, INSTANCE, LiveBoard
from tests.support.fediverse import wait_until
from tests.support.processes import BoardProcess, free_port
from tests.support.smtp import MailServer, Received

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ADDRESS = "frau.yilmaz@example.org"
FORM_WAIT_MS = MIN_SECONDS * 1000 + 400
MAIL_TIMEOUT = 20.0
CONFIRM = re.compile(r"(http://\S+/mail/confirm/\S+)")


def de(message: str, **variables: str) -> str:
    text = get_translations("de").gettext(message)
    return text % variables if variables else text


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
def mail_board(tmp_path: Path, mail_server: MailServer) -> Iterator[LiveBoard]:
    """The Nordstadt board served by `aushang serve`, sending mail through `mail_server`."""
    name = tomllib.loads(INSTANCE.read_text())["name"]
    process = BoardProcess(INSTANCE, tmp_path / "board", free_port(), env_extra=mail_server.env())
    with process:
        process.init()
        process.start()
        yield LiveBoard(process.base_url, name, ADMIN_USERNAME, process.admin_password, process)


def query(board: LiveBoard, sql: str) -> list[sqlite3.Row]:
    uri = f"file:{board.process.data_dir / 'aushang.sqlite3'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql).fetchall()


def next_mail(server: MailServer, count: int) -> Received:
    """Wait for the server's `count`-th message and return it."""
    wait_until(lambda: len(server.messages()) >= count, timeout=MAIL_TIMEOUT, what="a mail")
    return server.messages()[count - 1]


def test_mail__subscribe_confirm_digest_unsubscribe(
    page: Page, mail_board: LiveBoard, mail_server: MailServer
) -> None:
    board = mail_board

    # A resident finds the form in the footer and subscribes: events only, weekly.
    page.goto(board.url("/"))
    page.get_by_role("link", name=de("Get our news by e-mail")).click()
    expect(page).to_have_url(board.url("/mail"))
    served = time.monotonic()
    assert_accessible(page)
    page.get_by_label(de("Your e-mail address")).fill(ADDRESS)
    page.get_by_label(de("Once a week, a summary")).check()
    page.get_by_label(de("Only these kinds:")).check()
    page.get_by_role("checkbox", name=de("Event")).check()
    page.get_by_label(de("Language of the mail")).select_option("de")
    page.locator("#consent").check()
    page.wait_for_timeout(max(0, FORM_WAIT_MS - (time.monotonic() - served) * 1000))
    page.get_by_role("button", name=de("Subscribe"), exact=True).click()
    expect(page).to_have_url(board.url("/mail?sent=1"))
    expect(page.get_by_role("status")).to_contain_text(
        de("Almost done: please look in your mailbox.")
    )

    # The confirmation mail arrives; its link asks, and the button confirms.
    confirmation = next_mail(mail_server, 1)
    assert confirmation.recipients == (ADDRESS,)
    link = CONFIRM.search(confirmation.part("plain"))
    assert link, confirmation.part("plain")
    page.goto(link.group(1))
    assert_accessible(page)
    page.get_by_role("button", name=de("Yes, send me the news")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(de("Subscription confirmed"))
    assert_accessible(page)
    page.get_by_role("link", name=de("Change your choice")).click()
    expect(page.get_by_role("checkbox", name=de("Event"))).to_be_checked()
    assert_accessible(page)

    # Staff publish an event and an announcement; the digest has the event only.
    notice = board.process.post("Hoffest", "Mit Kuchen und Musik.")  # not chosen
    event = publish_event(board)
    digest = board.process.cli("mail", "digest", "--now")
    assert digest.returncode == 0, digest.stderr
    news = next_mail(mail_server, 2)
    assert "Nachbarschaftsgrillen" in news.part("plain") and event in news.part("plain")
    assert notice not in news.part("plain") and "Hoffest" not in news.part("html")

    # The mail program's one-click unsubscribe, as RFC 8058 describes it.
    unsubscribe = news.message["List-Unsubscribe"].strip("<>")
    assert news.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with httpx.Client(trust_env=False, timeout=10.0) as client:
        response = client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert query(board, "SELECT count(*) FROM mail_subscribers")[0][0] == 0

    # Nothing more: the next digest finds nobody.
    publish_event(board, "Laternenumzug")
    again = board.process.cli("mail", "digest", "--now")
    assert "for 0 subscribers" in again.stdout
    assert query(board, "SELECT count(*) FROM mail_messages")[0][0] == 0
    assert len(mail_server.messages()) == 2


def test_mail__staff_page_and_unsubscribe_page_are_accessible(
    page: Page, mail_board: LiveBoard
) -> None:
    board = mail_board
    page.goto(board.url("/login"))
    page.get_by_label("Benutzername").fill(board.admin_username)
    page.get_by_label("Passwort").fill(board.admin_password)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page).to_have_url(board.url("/staff"))
    page.get_by_role("link", name=de("News by e-mail")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(de("News by e-mail"))
    assert_accessible(page)

    with contextlib.closing(sqlite3.connect(board.process.data_dir / "aushang.sqlite3")) as db:
        with db:
            db.execute(
                "INSERT INTO mail_subscribers (email, frequency, language, token, created) "
                "VALUES ('a@example.org', 'weekly', 'de', 'sometoken', '2026-01-01T00:00:00Z')"
            )
    page.goto(board.url("/mail/unsubscribe/sometoken"))
    assert_accessible(page)
    page.get_by_role("button", name=de("Unsubscribe and delete my address")).click()
    expect(page.get_by_role("status")).to_contain_text("a@example.org")
    assert_accessible(page)


def publish_event(board: LiveBoard, title: str = "Nachbarschaftsgrillen") -> str:
    """Publish an event next week with the command line; return its address."""
    start = time.strftime("%Y-%m-%dT18:00", time.localtime(time.time() + 5 * 86400))
    result = board.process.cli(
        "post",
        "--type",
        "event",
        "--title",
        title,
        "--body",
        "Alle sind eingeladen.",
        "--start",
        start,
        "--place",
        "Innenhof",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]
