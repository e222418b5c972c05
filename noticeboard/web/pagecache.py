"""Public pages rendered once and served to every anonymous reader until the data changes.

A page that a reader without a session sees is the same for every such reader who asks in the
same language, with the same encoding and media type. The renderer marks those pages
(`SHAREABLE`); this middleware keeps the finished answer (compressed, if it was) and serves it
again while the database's `version()` stays the same, for at most `max_age` seconds of the
board's clock (a page names relative days and counts down to dates). Concurrent requests for a
page being rendered wait for that one rendering instead of repeating it.

Never kept: answers for someone with a session or on a private path (rule 42), answers that set
a cookie, anything but a marked 200 answer to GET or HEAD.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from noticeboard.i18n import negotiate_language
from noticeboard.web.compression import chosen_encoding
from noticeboard.web.private import is_private

SHAREABLE = b"x-aushang-shareable"  # set by the renderer, never sent
AP_ACCEPT = (b"application/activity+json", b"application/ld+json")
MAX_BYTES = 8 * 1024 * 1024  # all kept answers together: a few hundred pages
MAX_BODY = 512 * 1024

Key = tuple[str, str, str, bytes, str, str | None, bool]


@dataclass(frozen=True)
class Entry:
    version: int
    made: datetime
    start: Message
    body: bytes


class PageCache:
    """Keep and serve shareable public pages; see the module's description."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        version: Callable[[], int | None],
        clock: Callable[[], datetime | None],
        language: Callable[[], str],
        max_age: timedelta = timedelta(seconds=30),
    ) -> None:
        self.app = app
        self.version, self.clock, self.language = version, clock, language
        self.max_age = max_age
        self.entries: OrderedDict[Key, Entry] = OrderedDict()
        self.size = 0  # bytes of the kept bodies
        self.rendering: dict[Key, asyncio.Future[None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _may_share(scope):
            await self.app(scope, receive, _without_mark(send))
            return
        version, now = self.version(), self.clock()
        if version is None or now is None:  # the board is not open (yet)
            await self.app(scope, receive, _without_mark(send))
            return
        key = self._key(scope)
        while True:
            entry = self._fresh(key, version, now)
            if entry is not None:
                await _replay(entry, send)
                return
            pending = self.rendering.get(key)
            if pending is None:
                break
            await asyncio.shield(pending)  # another request renders this page right now
        await self._render(key, version, now, scope, receive, send)

    def _fresh(self, key: Key, version: int, now: datetime) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.version != version or not timedelta(0) <= now - entry.made < self.max_age:
            self._drop(key)
            return None
        self.entries.move_to_end(key)
        return entry

    async def _render(
        self, key: Key, version: int, now: datetime, scope: Scope, receive: Receive, send: Send
    ) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.rendering[key] = done
        start: Message | None = None
        chunks: list[bytes] | None = []

        async def keep(message: Message) -> None:
            nonlocal start, chunks
            if message["type"] == "http.response.start":
                start, shareable = _unmarked(message)
                if not shareable:
                    chunks = None
                message = {**start, "headers": list(start.get("headers", []))}  # others add to it
            elif message["type"] == "http.response.body" and chunks is not None:
                chunks.append(message.get("body", b""))
                if sum(len(c) for c in chunks) > MAX_BODY:
                    chunks = None
            await send(message)

        try:
            await self.app(scope, receive, keep)
            if start is not None and chunks is not None:
                self._store(key, Entry(version, now, start, b"".join(chunks)))
        finally:
            del self.rendering[key]
            done.set_result(None)

    def _store(self, key: Key, entry: Entry) -> None:
        self._drop(key)
        self.entries[key] = entry
        self.size += len(entry.body)
        while self.size > MAX_BYTES:
            self._drop(next(iter(self.entries)))  # the one read longest ago

    def _drop(self, key: Key) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry.body)

    def _key(self, scope: Scope) -> Key:
        """What the page depends on besides the data: the address, the language the reader
        gets, the encoding, and whether an ActivityPub document was asked for."""
        headers = dict(scope.get("headers", []))
        query = scope.get("query_string", b"")
        lang = negotiate_language(
            _query_lang(query),
            _cookie_lang(headers.get(b"cookie", b"")),
            headers.get(b"accept-language", b"").decode("latin-1"),
            self.language(),
        )
        encoding = chosen_encoding(headers.get(b"accept-encoding", b"").decode("latin-1"))
        wants_ap = any(media in headers.get(b"accept", b"") for media in AP_ACCEPT)
        return (scope["method"], scope["scheme"], scope["path"], query, lang, encoding, wants_ap)


def shareable(response: Response) -> Response:
    """Mark an answer as the same for every anonymous reader who asks the same way."""
    response.raw_headers.append((SHAREABLE, b"1"))
    return response


def _may_share(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and not is_private(scope)


def _unmarked(message: Message) -> tuple[Message, bool]:
    """The start message without the renderer's mark, and whether the answer may be kept."""
    headers = message.get("headers", [])
    marked = any(name == SHAREABLE for name, _ in headers)
    if not marked:
        return message, False
    kept = [(name, value) for name, value in headers if name != SHAREABLE]
    sets_cookie = any(name.lower() == b"set-cookie" for name, _ in kept)
    shareable = message["status"] == 200 and not sets_cookie
    return {**message, "headers": kept}, shareable


def _without_mark(send: Send) -> Send:
    async def unmarked(message: Message) -> None:
        if message["type"] == "http.response.start":
            message, _ = _unmarked(message)
        await send(message)

    return unmarked


async def _replay(entry: Entry, send: Send) -> None:
    await send({**entry.start, "headers": list(entry.start.get("headers", []))})
    await send({"type": "http.response.body", "body": entry.body})


def _query_lang(query: bytes) -> str | None:
    for part in query.split(b"&"):
        name, _, value = part.partition(b"=")
        if name == b"lang":
            return value.decode("latin-1")
    return None


def _cookie_lang(cookie: bytes) -> str | None:
    if b"lang=" not in cookie:
        return None
    return cookie_parser(cookie.decode("latin-1")).get("lang")
