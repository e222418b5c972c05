"""The board that the accessibility audit and the keyboard walkthroughs visit, seeded once for
the package: an announcement with a long German word, an event, a poll, a resident's notice in
the queue, an invitation and an e-mail subscriber; and tabs in one language each."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from noticeboard.mail.links import CONFIRM_VALID, sign_confirmation
from noticeboard.participation.forms import MIN_SECONDS
from tests.browser.conftest import ADMIN_USERNAME, INSTANCE, PAGE_TIMEOUT_MS, LiveBoard
from tests.support.processes import BoardProcess, free_port
from tests.support.smtp import MailServer

WIDE, NARROW = 1280, 320
LONG_TITLE = "Nachbarschaftshilfeorganisationsversammlung im Gemeindezentrum"
SUBSCRIBER_TOKEN = "a11y-subscriber-token"


@dataclass(frozen=True)
class Seeded:
    """The module's board and what was put on it."""

    board: LiveBoard
    notice: int
    event: int
    poll: int
    queue_item: int
    invitation: str
    confirm_link: str
    staff_state: Any  # Playwright's storage state of a signed-in staff member

    def url(self, path: str) -> str:
        return self.board.url(path)


def query(board: LiveBoard, sql: str, *args: object) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(board.process.data_dir / "aushang.sqlite3")) as db:
        db.row_factory = sqlite3.Row
        with db:
            return db.execute(sql, args).fetchall()


def _cli(board: LiveBoard, *args: str) -> str:
    result = board.process.cli(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].strip()


def _notice_id(url: str) -> int:
    found = re.search(r"/notices/(\d+)", url)
    assert found, url
    return int(found.group(1))


def sign_in(page: Page, board: LiveBoard) -> None:
    page.goto(board.url("/login"))
    page.locator("#username").fill(board.admin_username)
    page.locator("#password").fill(board.admin_password)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(board.url("/staff"))


@pytest.fixture(scope="package")
def seeded(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Seeded]:
    """The Nordstadt board with mail, an announcement with a long German word, an event, a
    poll, a resident's notice in the queue, an invitation and an e-mail subscriber."""
    name = tomllib.loads(INSTANCE.read_text())["name"]
    with MailServer() as mail:
        process = BoardProcess(
            INSTANCE,
            tmp_path_factory.mktemp("a11y") / "board",
            free_port(),
            env_extra=mail.env(),
            serve_args=["--proxy-headers"],  # each form gets its own address (rate limits)
        )
        with process:
            process.init()
            process.start()
            board = LiveBoard(
                process.base_url, name, ADMIN_USERNAME, process.admin_password, process
            )
            notice = _notice_id(
                process.post(LONG_TITLE, "Alle sind eingeladen.\n\n- Kuchen\n- Musik")
            )
            start = (datetime.now() + timedelta(days=5)).strftime("%Y-%m-%dT18:00")
            event = _notice_id(
                _cli(
                    board,
                    "post",
                    "--type",
                    "event",
                    "--title",
                    "Laternenumzug",
                    "--body",
                    "Wir treffen uns am Spielplatz.",
                    "--start",
                    start,
                    "--place",
                    "Spielplatz, Nordstraße 1",
                )
            )
            poll = _notice_id(
                _cli(
                    board,
                    "post",
                    "--type",
                    "poll",
                    "--title",
                    "Wann soll das Hoffest sein?",
                    "--body",
                    "Bitte abstimmen.",
                    "--option",
                    "Samstag",
                    "--option",
                    "Sonntag",
                )
            )
            _cli(
                board,
                "groups",
                "create",
                "garten",
                "--name",
                "Gemeinschaftsgarten",
                "--summary",
                "Wir gärtnern zusammen im Hof.",
                "--meets",
                "Jeden Dienstag ab 17 Uhr",
                "--place",
                "Hof Nordstraße 5",
                "--first-meeting",
                start.replace("T", " "),
                "--repeat",
                "weekly",
            )
            invitation = _cli(board, "staff", "invite", "neu", "--role", "editor").rsplit("/", 1)[1]
            secret = query(board, "SELECT value FROM settings WHERE key = 'session_secret'")[0][0]
            query(
                board,
                "INSERT INTO mail_subscribers (email, frequency, language, token, created) "
                "VALUES ('a@example.org', 'weekly', 'de', ?, ?)",
                SUBSCRIBER_TOKEN,
                datetime.now(UTC).isoformat(),
            )
            confirm_link = sign_confirmation(
                secret, SUBSCRIBER_TOKEN, datetime.now(UTC) + CONFIRM_VALID
            )
            context = browser.new_context(locale="de-DE", bypass_csp=True)
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            page = context.new_page()
            submit_notice(page, board)
            queue_item = int(query(board, "SELECT max(id) FROM moderation_items")[0][0])
            sign_in(page, board)
            staff_state = context.storage_state()
            context.close()
            yield Seeded(
                board, notice, event, poll, queue_item, invitation, confirm_link, staff_state
            )


def submit_notice(page: Page, board: LiveBoard) -> None:
    page.goto(board.url("/submit"))
    served = time.monotonic()
    page.locator("#title").fill("Kinderwagen zu verschenken")
    page.locator("#body").fill("Gut erhalten, bitte abholen.")
    page.locator("#consent").check()
    page.wait_for_timeout(max(0, (MIN_SECONDS + 0.4 - (time.monotonic() - served)) * 1000))
    page.locator("main form .actions button").click()
    expect(page).to_have_url(board.url("/submit?sent=1"))


_addresses = iter(range(1, 250))


@contextlib.contextmanager
def tab(browser: Browser, seeded: Seeded, lang: str, *, staff: bool = False) -> Iterator[Page]:
    """A tab whose board language is `lang`, from its own documentation address (rate limits
    count per address), signed in as staff if asked."""
    context: BrowserContext = browser.new_context(
        locale="de-DE",
        bypass_csp=True,
        viewport={"width": WIDE, "height": 800},
        storage_state=seeded.staff_state if staff else None,
        extra_http_headers={"X-Forwarded-For": f"192.0.2.{next(_addresses)}"},
    )
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    context.add_cookies([{"name": "lang", "value": lang, "url": seeded.board.base_url}])
    try:
        yield context.new_page()
    finally:
        context.close()
