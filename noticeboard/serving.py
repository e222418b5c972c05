"""The HTTP server in front of the app: uvicorn with h11, a cap on the request head and a
deadline for slow clients (rule 36).

A client that opens a connection and sends its request line and headers a byte at a time
(slowloris), or pauses in the middle of a body, would otherwise hold a connection and a task
for as long as it likes. The deadline closes such connections: the head must be complete
within `header_timeout` seconds of its first byte (or of the connection), and a body may not
pause longer than that. h11 refuses a head larger than `max_header_size` with a 400.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from noticeboard.config import ServerConfig

TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: 36\r\n\r\n"
    b"The request took too long to arrive."
)
TOO_LARGE_RESPONSE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: 30\r\n\r\n"
    b"The request head is too large."
)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for a request's head and for a pausing body."""

    header_timeout = 10.0
    max_header_size = 16 * 1024

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and self._head_too_large(data):
            self._disarm()
            self.transport.write(TOO_LARGE_RESPONSE)
            self.transport.close()
            return
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY and not self.flow.read_paused:
            self._disarm()
            self._arm()  # a body may arrive slowly, but not stop
        elif state is h11.IDLE and self.conn.trailing_data[0]:
            self._arm()  # a head has begun: it has until the deadline, counted from now
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _head_too_large(self, data: bytes) -> bool:
        """Whether the head being received is over the cap; h11 checks only heads that are
        still incomplete, and one that arrives whole in a single read would pass."""
        buffered = self.conn.trailing_data[0] + data
        end = buffered.find(b"\r\n\r\n")
        return (end if end >= 0 else len(buffered)) > self.max_header_size

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE:
            self.transport.write(TIMEOUT_RESPONSE)
        elif self.conn.their_state is not h11.SEND_BODY or self.flow.read_paused:
            return  # the app is answering, or has not read what came: not the client's fault
        self.transport.close()


# Paths that carry a secret: an invitation link works once, for whoever has it (rule 32).
_SECRET_PATHS = re.compile(r"(/invitation/)[^/?#\s\"]+")


def redact(text: str) -> str:
    """The text with the secret part of invitation links replaced by '…'."""
    return _SECRET_PATHS.sub("\\1…", text)


class RedactSecrets(logging.Filter):
    """Keep invitation tokens out of the access log (and any log it is attached to)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        record.msg = redact(record.msg) if isinstance(record.msg, str) else record.msg
        return True


def server_config(app: Any, limits: ServerConfig, **options: Any) -> uvicorn.Config:
    """A uvicorn configuration for the board with the protocol guard, the head size cap and
    an access log without secrets."""
    limits_of_protocol = {
        "header_timeout": limits.header_timeout,
        "max_header_size": limits.max_header_size,
    }
    protocol = type("BoardH11Protocol", (GuardedH11Protocol,), limits_of_protocol)
    config = uvicorn.Config(
        app,
        http=protocol,
        h11_max_incomplete_event_size=limits.max_header_size,
        **options,
    )
    access = logging.getLogger("uvicorn.access")  # configured by uvicorn.Config just now
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())
    return config
