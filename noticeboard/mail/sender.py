"""Sending the queued mails over SMTP: a pure retry policy and a worker with `run_once`.

A message is claimed (`sending`, committed) after the server has accepted sender and
recipient and just before its content is transferred; it is marked `sent` when the server
has answered the transfer. A crash in between leaves it `sending`, and on the next start it
is given up rather than sent again: it may have arrived, and nothing may arrive twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING

from federation.database import Database, Row
from noticeboard.config import MailConfig
from noticeboard.mail import store
from noticeboard.mail.messages import with_date

if TYPE_CHECKING:
    import aiosmtplib

log = logging.getLogger("noticeboard.mail")

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 12  # about 40 hours of retries
BATCH = 50
POLL_SECONDS = 1.0
TIMEOUT = 30.0
INTERRUPTED = "interrupted while being transferred; not sent again, so that it cannot arrive twice"


@dataclass(frozen=True)
class Decision:
    """What happens to a message after an attempt."""

    state: str  # 'sent', 'pending' (retry), 'failed' (refused for good), 'dead' (gave up)
    next_attempt: datetime
    reason: str | None


def next_attempt(
    attempts: int,
    code: int | None,
    message: str,
    now: datetime,
    *,
    jitter: Callable[[int], float] | None = None,
) -> Decision:
    """Decide a message's fate: 2xx sent; 5xx refused for good (RFC 5321: a permanent
    failure); 4xx and no answer at all (server down) retried with growing pauses.

    `attempts` counts the attempts made before this one; `code` is None when no answer came.
    """
    if code is not None and 200 <= code < 300:
        return Decision("sent", now, None)
    reason = f"SMTP {code}: {message}" if code is not None else f"no connection: {message}"
    if code is not None and code >= 500:
        return Decision("failed", now, reason)
    made = attempts + 1
    if made >= MAX_ATTEMPTS:
        return Decision("dead", now, f"{reason}; gave up after {made} attempts")
    minutes = min(2**attempts, 12 * 60)
    delay = timedelta(minutes=minutes, seconds=(jitter or _random_jitter)(attempts))
    return Decision("pending", now + delay, reason)


def _random_jitter(attempts: int) -> float:
    return random.uniform(0, 30 * (attempts + 1))


class ConnectionLost(Exception):
    """The SMTP connection failed; every message not yet transferred waits for a retry."""


def smtp_client(config: MailConfig) -> aiosmtplib.SMTP:
    """An SMTP client as configured: implicit TLS, STARTTLS (required) or, on loopback, none."""
    import aiosmtplib  # ~10 ms to import: loaded for the first mail, never on a board without

    context = ssl.create_default_context(cafile=config.ca_bundle)
    return aiosmtplib.SMTP(
        hostname=config.host,
        port=config.port,
        use_tls=config.security == "tls",
        start_tls=True if config.security == "starttls" else False,
        tls_context=context if config.security != "none" else None,
        username=config.username or None,
        password=config.password or None,
        timeout=TIMEOUT,
    )


def connection_errors() -> tuple[type[Exception], ...]:
    """What a failed or lost SMTP connection raises."""
    import aiosmtplib

    return (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError)


def _refused() -> type[aiosmtplib.SMTPResponseException]:
    """What an SMTP server's error answer raises."""
    import aiosmtplib

    return aiosmtplib.SMTPResponseException


@dataclass(frozen=True)
class Attempt:
    """How sending one mail at once went: the server's answer, or why there was none."""

    sent: bool
    reason: str


async def send_at_once(config: MailConfig, message: EmailMessage) -> Attempt:
    """Send one mail now, without the queue (the command line's test mail)."""
    smtp = smtp_client(config)
    try:
        async with smtp:
            errors, answer = await smtp.send_message(message, sender=config.sender)
    except _refused() as exc:
        return Attempt(False, f"SMTP {exc.code}: {exc.message}")
    except connection_errors() as exc:
        return Attempt(False, f"no connection: {exc or type(exc).__name__}")
    if errors:
        return Attempt(False, "; ".join(f"{a}: {r.code} {r.message}" for a, r in errors.items()))
    return Attempt(True, answer)


class MailSender:
    """Sends due mails from the queue; the server runs it, tests call `run_once`."""

    def __init__(self, db: Database, config: MailConfig, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> int:
        """On start: give up messages whose transfer a crash interrupted."""
        async with self.db.transaction() as conn:
            return await store.give_up_interrupted(conn, INTERRUPTED)

    async def run_once(self) -> int:
        """Send what is due now over one connection; return how many messages were tried."""
        due = await store.list_due_messages(self.db, self.clock(), BATCH)
        if not due:
            return 0
        smtp = smtp_client(self.config)
        try:
            await smtp.connect()
        except connection_errors() as exc:
            await self._retry_all(due, exc)
            return len(due)
        try:
            await self._send_all(smtp, due)
        finally:
            with contextlib.suppress(*connection_errors()):
                await smtp.quit()
        return len(due)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # a database hiccup must not end the loop; the rows stay
                log.exception("sending mail failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)

    async def _send_all(self, smtp: aiosmtplib.SMTP, due: list[Row]) -> None:
        for index, row in enumerate(due):
            try:
                await self._send_one(smtp, row)
            except ConnectionLost as exc:
                await self._retry_all(due[index:], exc.__cause__ or exc)
                return

    async def _send_one(self, smtp: aiosmtplib.SMTP, row: Row) -> None:
        try:
            await smtp.mail(self.config.sender)
            await smtp.rcpt(row["recipient"])
        except _refused() as exc:
            await self._record(row, exc.code, exc.message)
            with contextlib.suppress(*connection_errors()):
                await smtp.rset()
            return
        except connection_errors() as exc:
            raise ConnectionLost() from exc
        if not await self._claim(row):
            with contextlib.suppress(*connection_errors()):
                await smtp.rset()
            return  # unsubscribed in the meantime: the row is gone
        try:
            answer = await smtp.data(with_date(row["content"], self.clock()))
        except _refused() as exc:
            await self._record(row, exc.code, exc.message)
            return
        except connection_errors() as exc:
            # No answer to the transfer: a server keeps a message only once it has said so,
            # so this one is retried with the rest.
            raise ConnectionLost() from exc
        await self._record(row, answer.code, answer.message)

    async def _claim(self, row: Row) -> bool:
        async with self.db.transaction() as conn:
            return await store.mark_message_sending(conn, row["id"])

    async def _record(self, row: Row, code: int | None, message: str) -> None:
        now = self.clock()
        decision = next_attempt(row["attempts"], code, message, now)
        if decision.state != "sent":
            log.warning("mail %s to %s: %s", row["id"], row["recipient"], decision.reason)
        async with self.db.transaction() as conn:
            await store.set_message_outcome(
                conn, row["id"], decision.state, decision.next_attempt, decision.reason, now
            )

    async def _retry_all(self, rows: list[Row], exc: BaseException) -> None:
        reason = str(exc) or type(exc).__name__
        for row in rows:
            await self._record(row, None, reason)
