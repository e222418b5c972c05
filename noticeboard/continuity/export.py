"""Copies of the board that outlive it.

`export_static` crawls the public pages of the board through the app itself (in this process,
no server needed) and writes them as files with relative links, for any simple web space:
forms and links to what only a running board can do (staff, sign-in, submissions, search,
ActivityPub) are left out. `export_archive` writes a zip like a Mastodon archive: the actor,
its outbox as ActivityStreams, the events as iCalendar and the pictures.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import posixpath
import re
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from federation.vocab import context
from noticeboard.activitypub import queries as ap_queries
from noticeboard.activitypub.documents import actor_document
from noticeboard.app import create_app
from noticeboard.config import Config
from noticeboard.continuity import queries
from noticeboard.notices import queries as notices
from noticeboard.pages.calendar import events_calendar
from noticeboard.state import BoardState, created

SEEDS = ["/", "/archive", "/events", "/about", "/network", "/privacy", "/impressum", "/hilfe"]
SEEDS += ["/calendar.ics", "/feed.atom"]
DYNAMIC = (
    "/staff",
    "/login",
    "/logout",
    "/submit",
    "/search",
    "/invitation",
    "/inbox",
    "/users/",
    "/actor",
    "/activities/",
    "/.well-known/",
    "/nodeinfo",
    "/healthz",
)
DYNAMIC_ENDS = ("/activity", "/replies", "/vote")
LINK = re.compile(r'\b(?P<attr>href|src)="(?P<url>[^"]*)"')
FORM = re.compile(r"<form\b.*?</form>", re.S | re.I)
AP_LINK = re.compile(r'<link[^>]*type="application/activity\+json"[^>]*>\s*', re.I)
DEAD_ITEM = re.compile(r"<li>\s*<a(?![^>]*\bhref=)[^>]*>.*?</a>\s*</li>\s*", re.S)  # a menu item
RESPONSIVE = re.compile(r'\s(?:srcset|sizes)="[^"]*"')  # smaller copies: the copy has the picture
CSS_URL = re.compile(r"url\((?P<q>[\"']?)(?P<url>[^\"')]+)(?P=q)\)")
TEXT_TYPES = ("text/html", "text/css")
MAX_FILES = 100_000


@asynccontextmanager
async def _board_client(config: Config) -> AsyncIterator[tuple[httpx.AsyncClient, BoardState]]:
    """The board's app in this process, reached through ASGI; no server needs to run."""
    app = create_app(config, workers=False, as_it_was=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        headers = {"Accept-Language": config.language, "Accept": "text/html"}
        async with httpx.AsyncClient(
            transport=transport, base_url=config.base_url, headers=headers
        ) as client:
            yield client, app.state.runtime.state


# --- the static copy --------------------------------------------------------------------


@dataclass
class _Crawl:
    base: str
    files: dict[str, str] = field(default_factory=dict)  # address -> file in the copy
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)  # file -> (type, text)
    binaries: dict[str, bytes] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)  # file -> address

    def internal(self, page: str, link: str) -> str | None:
        """The board address a link leads to, if it is one of the copy's pages."""
        address = urldefrag(urljoin(page, link)).url
        if not address.startswith(self.base + "/"):
            return None
        parts = urlsplit(address)
        if parts.path.startswith(DYNAMIC) or parts.path.endswith(DYNAMIC_ENDS):
            return None
        if "lang=" in parts.query:
            return None
        return address


def file_for(address: str) -> str:
    """Where a board address lives in the copy: pages as folder/index.html, files as they are;
    a query (the next page of a list) gets a file of its own."""
    parts = urlsplit(address)
    name = parts.path.lstrip("/")
    if "." in name.rsplit("/", 1)[-1]:
        return name
    folder = f"{name.rstrip('/')}/" if name else ""
    if not parts.query:
        return f"{folder}index.html"
    digest = hashlib.sha256(parts.query.encode()).hexdigest()[:12]
    return f"{folder}index-{digest}.html"


def export_static(config: Config, out: Path, public_url: str | None = None) -> int:
    """Write a static copy of the public board to `out`; return how many files."""
    return asyncio.run(_export_static(config, out, public_url))


async def _export_static(config: Config, out: Path, public_url: str | None) -> int:
    crawl = _Crawl(config.base_url)
    async with _board_client(config) as (client, _state):
        queue = [config.base_url + seed for seed in SEEDS]
        while queue and len(crawl.files) < MAX_FILES:
            address = queue.pop(0)
            if address in crawl.files:
                continue
            queue.extend(await _fetch(client, crawl, address))
    out.mkdir(parents=True, exist_ok=True)
    for name, (kind, text) in crawl.texts.items():
        text = _rewrite(crawl, name, text, kind)
        if public_url and not kind.startswith(TEXT_TYPES):
            text = text.replace(config.base_url, public_url.rstrip("/"))
        _write(out / name, text.encode("utf-8"))
    for name, data in crawl.binaries.items():
        _write(out / name, data)
    return len(crawl.texts) + len(crawl.binaries)


async def _fetch(client: httpx.AsyncClient, crawl: _Crawl, address: str) -> list[str]:
    """Fetch one address into the crawl; return the addresses it links to."""
    response = await client.get(address)
    crawl.files[address] = ""
    if response.status_code != 200:
        return []
    name = file_for(address)
    crawl.files[address] = name
    crawl.addresses[name] = address
    kind = response.headers.get("content-type", "")
    if not kind.startswith(("text/", "application/atom", "application/xml")):
        crawl.binaries[name] = response.content
        return []
    crawl.texts[name] = (kind, response.text)
    pattern = CSS_URL if kind.startswith("text/css") else LINK
    if not kind.startswith(TEXT_TYPES):
        return []
    found = (crawl.internal(address, m.group("url")) for m in pattern.finditer(response.text))
    return [a for a in found if a]


def _rewrite(crawl: _Crawl, name: str, text: str, kind: str) -> str:
    """Make the board's links relative to this file; drop what the copy cannot do."""
    page = crawl.base + "/" + name
    folder = posixpath.dirname(name) or "."

    def relative(link: str) -> str | None:
        if link.startswith("#") or not link:
            return link
        address = crawl.internal(crawl.addresses.get(name, page), link)
        if address is None:
            return None if _is_board(crawl, page, link) else link
        target = crawl.files.get(address)
        if not target:
            return None
        fragment = urldefrag(urljoin(page, link)).fragment
        return posixpath.relpath(target, folder) + (f"#{fragment}" if fragment else "")

    if kind.startswith("text/css"):
        return CSS_URL.sub(lambda m: f"url({relative(m.group('url')) or ''})", text)
    text = RESPONSIVE.sub("", AP_LINK.sub("", FORM.sub("", text)))

    def attribute(match: re.Match[str]) -> str:
        new = relative(match.group("url"))
        return "" if new is None else f'{match.group("attr")}="{new}"'

    return DEAD_ITEM.sub("", LINK.sub(attribute, text))


def _is_board(crawl: _Crawl, page: str, link: str) -> bool:
    return urljoin(page, link).startswith(crawl.base + "/")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# --- the archive -------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveCounts:
    notices: int
    events: int
    pictures: int


def export_archive(config: Config, out: Path) -> ArchiveCounts:
    """Write the board's data to a zip: actor.json, outbox.json, events.ics, media/."""
    return asyncio.run(_export_archive(config, out))


async def _export_archive(config: Config, out: Path) -> ArchiveCounts:
    async with _board_client(config) as (client, state):
        actor = await _actor(state)
        items = await _outbox_items(state)
        events = await notices.list_upcoming_events(state, datetime(1970, 1, 1, tzinfo=UTC), 10**6)
        calendar = events_calendar(events, state.config, state.urls, name=state.config.name)
        pictures = await _pictures(client, state, items)
    outbox = {
        "@context": context(),
        "id": state.urls.outbox,
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("actor.json", _dumps(actor))
        archive.writestr("outbox.json", _dumps(outbox))
        archive.writestr("events.ics", calendar)
        for name, data in pictures.items():
            archive.writestr(f"media/{name}", data)
    partial.replace(out)
    return ArchiveCounts(len(items), len(events), len(pictures))


async def _actor(state: BoardState) -> dict[str, Any]:
    status = await queries.status(state)
    return actor_document(
        state.config,
        state.urls,
        state.keys.public_pems[state.urls.actor],
        await created(state),
        also_known_as=status.also_known_as,
        moved_to=status.moved.actor if status.moved else None,
    )


async def _outbox_items(state: BoardState) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    before = None
    while True:
        rows = await ap_queries.outbox_page(state, before, 200)
        for row in rows:
            body = json.loads(row["body"])
            items.append({k: v for k, v in body.items() if k != "@context"})
        if len(rows) < 200:
            return items
        before = rows[-1]["published"]


async def _pictures(
    client: httpx.AsyncClient, state: BoardState, items: list[dict[str, Any]]
) -> dict[str, bytes]:
    prefix = state.urls.media("")
    pictures: dict[str, bytes] = {}
    for item in items:
        obj = item.get("object")
        attachments = obj.get("attachment", []) if isinstance(obj, dict) else []
        for attachment in attachments if isinstance(attachments, list) else []:
            url = attachment.get("url") if isinstance(attachment, dict) else None
            if isinstance(url, str) and url.startswith(prefix) and url not in pictures:
                response = await client.get(url)
                if response.status_code == 200:
                    pictures[url[len(prefix) :]] = response.content
    return pictures


def _dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)
