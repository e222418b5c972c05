"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), keeping every message it accepts.

It runs in a thread of the test process, so it outlives a board process that is killed, and
can be stopped and started again on the same port (the server is "down" in between). It can
offer STARTTLS or implicit TLS with a certificate of the test CA, answer RCPT with a chosen
code, and take its time over each recipient, so that a batch takes long enough to be
interrupted.
"""

from __future__ import annotations

import email
import email.policy
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.processes import free_port


@dataclass(frozen=True)
class Received:
    """One message as the server got it: envelope and parsed content."""

    sender: str
    recipients: tuple[str, ...]
    raw: bytes
    secure: bool  # the connection was TLS-protected when it arrived

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def part(self, subtype: str) -> str:
        """The decoded text/plain or text/html part."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype, subtype
        return str(body.get_content())


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.server.delay:
            time.sleep(self.server.delay)  # blocks this server's own thread, on purpose
        if self.server.rcpt_answer:
            return self.server.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        with self.server.lock:
            self.server.received.append(
                Received(
                    str(envelope.mail_from),
                    tuple(envelope.rcpt_tos),
                    content,
                    session.ssl is not None
                    or server.transport.get_extra_info("sslcontext") is not None,
                )
            )
        return "250 Message accepted"


class MailServer:
    """aiosmtpd on 127.0.0.1:port; `received` lists what it accepted, across restarts."""

    def __init__(
        self,
        *,
        port: int | None = None,
        tls: tuple[Path, Path] | None = None,
        implicit_tls: bool = False,
    ) -> None:
        self.port = port or free_port()
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.rcpt_answer: str | None = None
        self.delay = 0.0
        self._controller: Controller | None = None

    def start(self) -> MailServer:
        context = None
        if self.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
        implicit = context if self.implicit_tls else None
        starttls = None if self.implicit_tls else context
        self._controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            ssl_context=implicit,
            tls_context=starttls,
            require_starttls=starttls is not None,
            decode_data=False,
            ready_timeout=10,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def messages(self, to: str | None = None) -> list[Received]:
        with self.lock:
            found = list(self.received)
        return [m for m in found if to is None or to in m.recipients]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()

    def env(self, security: str = "none") -> dict[str, str]:
        """The AUSHANG_MAIL_* variables of a board that sends through this server."""
        return {
            "AUSHANG_MAIL_HOST": "127.0.0.1",
            "AUSHANG_MAIL_PORT": str(self.port),
            "AUSHANG_MAIL_SECURITY": security,
            "AUSHANG_MAIL_FROM": "aushang@nordstadt.example",
        }
