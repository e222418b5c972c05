"""Compressed answers for slow connections: brotli or gzip for text, never for secrets (rule 51).

Pages, style sheets, ActivityPub documents and feeds shrink to a fifth or less. What is
compressed already (pictures, PDFs, archives), answers without a body (304, HEAD), partial
answers and bodies too small to gain are sent as they are. Private answers are never
compressed: a page that reflects an attacker's input next to a secret (a CSRF token, a
resident's address) would let the attacker guess the secret from the compressed length
(BREACH).
"""

from __future__ import annotations

import gzip

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from noticeboard.web.private import is_private

MIN_SIZE = 512  # smaller bodies fit in one packet anyway
MAX_BUFFER = 4 * 1024 * 1024  # a larger body is sent as it is, chunk by chunk
TEXT_TYPES = (
    "text/html",
    "text/css",
    "text/plain",
    "text/calendar",
    "text/csv",
    "text/xml",
    "text/javascript",
    "image/svg+xml",
    "application/json",
    "application/activity+json",
    "application/ld+json",
    "application/jrd+json",
    "application/xrd+xml",
    "application/atom+xml",
    "application/rss+xml",
    "application/xml",
    "application/javascript",
    "application/manifest+json",
)
NO_BODY = {204, 206, 304}


def compressible(media_type: str) -> bool:
    """Tell whether a Content-Type is text worth compressing (not pictures, PDFs, archives)."""
    base = media_type.split(";", 1)[0].strip().lower()
    return base in TEXT_TYPES or (base.startswith("application/") and base.endswith("+json"))


def chosen_encoding(accept_encoding: str) -> str | None:
    """The encoding to use for this Accept-Encoding: brotli before gzip; q=0 refuses."""
    accepted: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name:
            accepted[name.strip()] = quality
    for encoding in ("br", "gzip"):
        if accepted.get(encoding, accepted.get("*", 0.0)) > 0:
            return encoding
    return None


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return bytes(brotli.compress(body, quality=5))
    return gzip.compress(body, compresslevel=6, mtime=0)


def with_vary(value: str | None, name: str = "Accept-Encoding") -> str:
    if not value:
        return name
    names = [v.strip() for v in value.split(",")]
    if "*" in names or any(v.lower() == name.lower() for v in names):
        return value
    return f"{value}, {name}"


class Compression:
    """Compress text answers with brotli or gzip, as the client accepts (rule 51)."""

    def __init__(self, app: ASGIApp, minimum_size: int = MIN_SIZE) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        encoding = chosen_encoding(request_headers.get("accept-encoding", ""))
        # HEAD has no body to compress (its headers still say Vary); partial answers keep
        # their byte offsets
        if scope.get("method") == "HEAD" or "range" in request_headers:
            encoding = None
        private = is_private(scope)
        await _CompressingSend(send, encoding, private, self.minimum_size).run(
            self.app, scope, receive
        )


class _CompressingSend:
    """One answer: hold the start and the body until it is known whether to compress."""

    def __init__(self, send: Send, encoding: str | None, private: bool, minimum: int) -> None:
        self.send = send
        self.encoding = encoding
        self.private = private
        self.minimum = minimum
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passing = False  # decided: send everything on as it comes

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive) -> None:
        await app(scope, receive, self)

    async def __call__(self, message: Message) -> None:
        if self.passing:
            await self.send(message)
            return
        if message["type"] == "http.response.start":
            self._begin(message)
            if self.passing:
                await self.send(message)
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        self.size += len(self.chunks[-1])
        if message.get("more_body", False):
            if self.size > MAX_BUFFER:  # too large to hold: on as it is
                await self._flush_as_is(more_body=True)
            return
        await self._finish()

    def _begin(self, message: Message) -> None:
        headers = MutableHeaders(raw=list(message.get("headers", [])))
        candidate = compressible(headers.get("content-type", ""))
        if candidate and not self.private:
            # the answer depends on Accept-Encoding, whether or not this one is compressed
            headers["vary"] = with_vary(headers.get("vary"))
            message["headers"] = headers.raw
        self.start = message
        if (
            self.encoding is None
            or not candidate
            or self.private
            or "no-store" in headers.get("cache-control", "").lower()
            or "content-encoding" in headers
            or "content-range" in headers
            or message.get("status", 200) in NO_BODY
            or message.get("status", 200) < 200
        ):
            self.passing = True

    async def _flush_as_is(self, more_body: bool) -> None:
        assert self.start is not None
        self.passing = True
        await self.send(self.start)
        await self.send(
            {"type": "http.response.body", "body": b"".join(self.chunks), "more_body": more_body}
        )
        self.chunks = []

    async def _finish(self) -> None:
        assert self.start is not None and self.encoding is not None
        body = b"".join(self.chunks)
        if len(body) < self.minimum:
            await self._flush_as_is(more_body=False)
            return
        compressed = compress(body, self.encoding)
        headers = MutableHeaders(raw=list(self.start.get("headers", [])))
        headers["content-encoding"] = self.encoding
        headers["content-length"] = str(len(compressed))
        etag = headers.get("etag")
        if etag and not etag.startswith("W/"):
            # the same content in other bytes: a weak validator, still good for If-None-Match
            headers["etag"] = "W/" + etag
        self.start["headers"] = headers.raw
        await self.send(self.start)
        await self.send({"type": "http.response.body", "body": compressed, "more_body": False})
