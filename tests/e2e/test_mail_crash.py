"""`kill -9` of a real `aushang serve` in the middle of sending the digest: after the restart
every subscriber gets the digest, and nobody gets it twice.

The SMTP server (aiosmtpd) runs in the test's process and takes its time over each
recipient, so that the batch is still under way when the board is killed.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from federation.database import to_db_time
from tests.support.processes import BoardProcess, free_port
from tests.support.smtp import MailServer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = ROOT / "instances" / "nordstadt.toml"
SUBSCRIBERS = 40
RCPT_DELAY = 0.1  # seconds per recipient: the batch takes about 4 s


def wait_until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def rows(board: BoardProcess, sql: str) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(board.data_dir / "aushang.sqlite3", timeout=5)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql).fetchall()


def add_confirmed_subscribers(board: BoardProcess, count: int) -> list[str]:
    """Residents who subscribed and confirmed last week (as the web form would leave them)."""
    week_ago = to_db_time(datetime.now(UTC) - timedelta(days=7))
    addresses = [f"resident{n}@example.org" for n in range(count)]
    with contextlib.closing(sqlite3.connect(board.data_dir / "aushang.sqlite3", timeout=5)) as db:
        with db:
            db.executemany(
                "INSERT INTO mail_subscribers (email, frequency, kinds, language, token, "
                "created, confirmed, news_since) VALUES (?, 'weekly', '', 'de', ?, ?, ?, ?)",
                [(a, secrets.token_urlsafe(24), week_ago, week_ago, week_ago) for a in addresses],
            )
    return addresses


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


def test_kill9_during_the_digest__everyone_gets_it_once(
    tmp_path: Path, mail_server: MailServer
) -> None:
    board = BoardProcess(INSTANCE, tmp_path / "board", free_port(), env_extra=mail_server.env())
    with board:
        board.init()
        board.start()
        addresses = add_confirmed_subscribers(board, SUBSCRIBERS)
        board.post("Hoffest am Samstag", "Mit Kuchen und Musik im Innenhof.")
        mail_server.delay = RCPT_DELAY

        queued = board.cli("mail", "digest", "--now")
        assert queued.returncode == 0, queued.stderr
        assert f"for {SUBSCRIBERS} subscribers" in queued.stdout
        wait_until(lambda: len(mail_server.messages()) >= 8, "the batch to be under way")
        board.kill9()

        before = len(mail_server.messages())
        assert before < SUBSCRIBERS, "the batch ended before the kill; nothing was tested"
        board.start()
        wait_until(
            lambda: not rows(board, "SELECT id FROM mail_messages WHERE state = 'pending'"),
            "the rest of the digest to be sent",
        )

    received = mail_server.messages()
    per_recipient = Counter(m.recipients[0] for m in received)
    per_message_id = Counter(m.message["Message-ID"] for m in received)
    assert max(per_recipient.values()) == 1
    assert max(per_message_id.values()) == 1
    states = {r["recipient"]: r["state"] for r in rows(board, "SELECT * FROM mail_messages")}
    # One transfer may have been cut by the kill: that one is given up, never sent twice.
    interrupted = [a for a, state in states.items() if state == "failed"]
    assert len(interrupted) <= 1
    assert set(per_recipient) | set(interrupted) == set(addresses)
    assert all(states[a] == "sent" for a in per_recipient if a not in interrupted)
    assert all("Hoffest am Samstag" in m.part("plain") for m in received)
