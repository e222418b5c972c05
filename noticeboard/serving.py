"""The HTTP server in front of the app: uvicorn with httptools, a cap on the request head and
a deadline for slow clients (rule 36).

A client that opens a connection and sends its request line and headers a byte at a time
(slowloris), or pauses in the middle of a body, would otherwise hold a connection and a task
for as long as it likes. The deadline closes such connections: the head must be complete
within `header_timeout` seconds of its first byte (or of the connection), and a body may not
pause longer than that. A head larger than `max_header_size` is answered 431 and the
connection closed.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import socket
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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


class HeadTooLarge(Exception):
    """The request head being parsed is over the cap."""


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a cap on the request head and a deadline for a
    request's head and for a pausing body."""

    header_timeout = 10.0
    max_header_size = 16 * 1024

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        self._head_size = 0
        self._in_body = False
        self._last_word: bytes | None = None  # the refusal sent once earlier answers are out
        super().connection_made(transport)
        self._arm()  # a connection that never sends anything is closed as well

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._disarm()
            if isinstance(exc.__context__, HeadTooLarge):
                self._refuse(TOO_LARGE_RESPONSE)
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()  # served as a plain request, as uvicorn does

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        if self._last_word is not None and not self.pipeline:
            self.transport.write(self._last_word)
            self.transport.close()
            return
        super().on_response_complete()

    def _refuse(self, answer: bytes) -> None:
        """Answer and close; requests that came before on this connection get their answers
        first."""
        if self.cycle is None or (self.cycle.response_complete and not self.pipeline):
            self.transport.write(answer)
            self.transport.close()
            return
        self._last_word = answer
        self.flow.pause_reading()

    # The parser's callbacks: a head begins, grows, ends; a body arrives and ends.

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size = 0
        self._arm()  # counted from the connection for its first request, else from now

    def on_url(self, url: bytes) -> None:
        self._grow(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._grow(len(name) + len(value) + 4)  # ": " and the line's end
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._disarm()
        self._in_body = True
        self._arm()  # a body may arrive slowly, but not stop

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._disarm()
        self._arm()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_body = False
        self._disarm()

    def _grow(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self.max_header_size:
            raise HeadTooLarge

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
        if not self._in_body:
            self.transport.write(TIMEOUT_RESPONSE)  # nothing, or part of a head, came in time
        elif self.flow.read_paused:
            return  # the app has not read what came: not the client's fault
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


class BoardServer(uvicorn.Server):
    """uvicorn's server; once the board has started, what start-up built (modules, templates,
    catalogues) is set aside from garbage collection, which then walks only newer objects:
    a full collection during a fan-out pauses the board for a few ms instead of ~60 ms."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        gc.freeze()


def server_config(app: Any, limits: ServerConfig, **options: Any) -> uvicorn.Config:
    """A uvicorn configuration for the board with the protocol guard, the head size cap and
    an access log without secrets."""
    limits_of_protocol = {
        "header_timeout": limits.header_timeout,
        "max_header_size": limits.max_header_size,
    }
    protocol = type("BoardProtocol", (GuardedProtocol,), limits_of_protocol)
    # asyncio's own loop, not uvloop: libuv takes one new connection per turn of the loop, so
    # while the board is busy, readers arriving together wait one turn each (~100 ms for the
    # last of 20 at 8,000 pages/s) while those connected already are served again and again.
    # asyncio lets every waiting connection in at once, for ~6 % fewer pages per second.
    config = uvicorn.Config(app, http=protocol, ws="none", loop="asyncio", **options)
    access = logging.getLogger("uvicorn.access")  # configured by uvicorn.Config just now
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())
    return config
