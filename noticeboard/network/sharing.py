"""Sharing posts of other boards and accounts: the shared copy, Announce, rules, and keeping the
copy in step with its original."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import aiosqlite

from federation import store as fedstore
from federation.database import Record, Row
from federation.hosts import HostError, canonical_host
from federation.vocab import (
    PUBLIC,
    Json,
    ap_time,
    as_list,
    build_activity,
    get_id,
    get_type,
    is_public,
)
from noticeboard import audit
from noticeboard.moments import checked
from noticeboard.network import store
from noticeboard.notices import store as notices_store
from noticeboard.notices.kinds import is_kind
from noticeboard.notices.text import plain_summary, plain_text, render_markdown, shorten
from noticeboard.sanitize import clean_html, clean_text
from noticeboard.state import BoardState

TITLE_MAX = 200
# what may be stored or shared
POST_TYPES = ("Note", "Article", "Page", "Event", "Question", "Video")
OBJECT_MAX = 64 * 1024  # characters of a post's JSON kept for its shared copy


def authored_on_origin(obj: Json, actor: fedstore.RemoteActorRow) -> bool:
    """Whether a post's id is on its sender's host and attributed to the sender (rule 9).
    `attributedTo` may be a list (PeerTube: account and channel; Lemmy, Friendica): the sender
    must be one of the authors, and every author on the sender's host."""
    authors = [get_id(author) for author in as_list(obj.get("attributedTo"))]
    try:
        hosts = {canonical_host(ident or "") for ident in [get_id(obj), *authors]}
    except HostError:
        return False
    return hosts == {actor.host} and actor.id in authors


def post_content(obj: Json) -> str:
    """The post's HTML: `content`, or the first language of `contentMap` when a server sends
    only that; Misskey's quote (`_misskey_quote`, `quoteUrl`, FEP-044f `quote`) as a link."""
    content = obj.get("content")
    if not isinstance(content, str) or not content.strip():
        mapped = obj.get("contentMap")
        mapped = mapped if isinstance(mapped, dict) else {}
        values = [v for v in mapped.values() if isinstance(v, str)]
        content = values[0] if values else ""
    quote = quote_of(obj)
    if quote and quote not in content:
        content += f'<p>RE: <a href="{html.escape(quote)}">{html.escape(quote)}</a></p>'
    return content


def quote_of(obj: Json) -> str | None:
    """The post a quote post quotes: FEP-044f `quote` (Mastodon 4.5), Misskey's
    `_misskey_quote`, or `quoteUrl` / `quoteUri` (Pleroma, Akkoma, Fedibird)."""
    for name in ("quote", "_misskey_quote", "quoteUrl", "quoteUri"):
        link = get_id(obj.get(name))
        if link and link.startswith(("https://", "http://")) and len(link) <= 1000:
            return link
    return None


async def store_post(
    conn: aiosqlite.Connection, obj: Json, actor_id: str, now: datetime
) -> StoredPost:
    """Keep a post sanitised, with its object for a later shared copy; an edit replaces it.
    Return what was stored of its text, so callers need not read it back."""
    url = get_id(obj.get("url"))
    try:
        if url and canonical_host(url) != canonical_host(actor_id):
            url = None
    except HostError:
        url = None
    content_html = str(clean_html(post_content(obj)))
    name = clean_text(_text(obj, "name") or None, limit=300) or None
    published = _text(obj, "published") or None
    document = json.dumps(obj, ensure_ascii=False)
    await store.upsert_remote_post(
        conn,
        post_id=obj["id"],
        actor=actor_id,
        type_=get_type(obj) or "Note",
        url=url,
        name=name,
        content_html=content_html,
        in_reply_to=get_id(obj.get("inReplyTo")),
        published=published[:40] if published else None,
        object_json=document if len(document) <= OBJECT_MAX else None,
        kind=kind_of(obj),
        now=now,
    )
    return StoredPost(name, content_html)


@dataclass(frozen=True)
class StoredPost:
    """The text of a post as `store_post` kept it."""

    name: str | None
    content_html: str

    def summary(self) -> str:
        """The one-line summary the moderation queue shows (as read back from the store)."""
        if self.name:
            return plain_summary(self.name)
        return shorten(plain_text(self.content_html, cleaned=True), limit=140)


@dataclass(frozen=True)
class SharedCopy:
    """What the board shows of someone else's post: derived from the original each time."""

    kind: str
    title: str
    body_html: str
    body_text: str
    valid_until: datetime | None = None
    done: datetime | None = None
    expired: bool = False
    event_start: datetime | None = None
    event_end: datetime | None = None
    place_name: str | None = None
    place_address: str | None = None
    online_url: str | None = None

    def columns(self) -> dict[str, object]:
        """The notice columns a shared copy sets (times still as datetimes)."""
        return {
            "kind": self.kind,
            "title": self.title,
            "body_md": self.body_text,
            "body_html": self.body_html,
            "valid_until": self.valid_until,
            "done": self.done,
            "event_start": self.event_start,
            "event_end": self.event_end,
            "place_name": self.place_name,
            "place_address": self.place_address,
            "online_url": self.online_url,
        }


def shared_copy(obj: Json) -> SharedCopy:
    """Read kind, title, text, validity and event details from a post (Aushang or any)."""
    body_html = _body_html(obj)
    text = plain_text(body_html)
    body_text = shorten(text, limit=10_000)
    title = clean_text(_text(obj, "noticeTitle") or _text(obj, "name"), limit=TITLE_MAX)
    if not title:
        title = shorten(text, limit=120) or "…"
    kind = kind_of(obj)
    start, end = _time(obj.get("startTime")), _time(obj.get("endTime"))
    place = obj.get("location") if isinstance(obj.get("location"), dict) else {}
    assert isinstance(place, dict)
    if kind == "event" and start is not None:
        end = end or start + timedelta(hours=2)  # as the board's own events without an end
    return SharedCopy(
        kind=kind,
        title=title,
        body_html=body_html,
        body_text=body_text,
        valid_until=_time(obj.get("validUntil")) or (end if kind == "event" else None),
        done=_time(obj.get("noticeDone")),
        expired=obj.get("noticeExpired") is True,
        event_start=start if kind == "event" else None,
        event_end=end if kind == "event" else None,
        place_name=clean_text(_text(place, "name"), limit=300) or None,
        place_address=_address(place),
        online_url=_online_url(obj) if kind == "event" else None,
    )


def kind_of(obj: Json) -> str:
    """The kind of notice a post would be on the board."""
    kind = _text(obj, "noticeKind")
    if not is_kind(kind):
        kind = {"Event": "event", "Question": "poll"}.get(get_type(obj) or "", "announcement")
    if kind == "event" and _time(obj.get("startTime")) is None:
        kind = "announcement"  # an event without a time cannot be in the calendar
    return kind


def _body_html(obj: Json) -> str:
    """The Markdown source of an Aushang notice, or the sanitised HTML of any other post."""
    source = obj.get("source")
    if (
        isinstance(source, dict)
        and source.get("mediaType") == "text/markdown"
        and isinstance(source.get("content"), str)
    ):
        return str(render_markdown(source["content"][:20_000]))
    return str(clean_html(post_content(obj)))


def _text(obj: Json, name: str) -> str:
    value = obj.get(name)
    return value if isinstance(value, str) else ""


def _address(place: Json) -> str | None:
    address = place.get("address")
    if isinstance(address, dict):  # schema.org PostalAddress
        parts = [address.get(k) for k in ("streetAddress", "postalCode", "addressLocality")]
        address = " ".join(p for p in parts if isinstance(p, str))
    return clean_text(address if isinstance(address, str) else "", limit=300) or None


def _online_url(obj: Json) -> str | None:
    for item in as_list(obj.get("attachment")):
        href = get_id(item) if get_type(item) == "Link" else None
        if href and href.startswith(("https://", "http://")) and len(href) <= 1000:
            return href
    return None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return checked(moment) if moment.tzinfo is not None else None
    except ValueError:  # not a moment, or outside the years the board takes (rule 29)
        return None


async def share_post(
    state: BoardState, conn: aiosqlite.Connection, post: Record, now: datetime
) -> int:
    """Put a post on the board as a shared notice and Announce it by id (Mastodon fetches the
    original from its origin) to the followers and the author."""
    copy = copy_of(post)
    notice_id = await notices_store.insert_notice(
        conn,
        notices_store.NewNotice(
            **copy.columns(),  # type: ignore[arg-type]
            category=None,
            author_id=None,
            origin="shared",
            origin_id=post["id"],
            origin_url=post["url"] or post["id"],
            origin_actor=post["actor"],
            origin_author=author_label(post),
        ),
        now,
    )
    urls = state.urls
    announce = build_activity(
        "Announce",
        urls.new_activity(),
        urls.actor,
        post["id"],
        to=[PUBLIC],
        cc=[urls.followers, post["actor"]],
    )
    announce["published"] = ap_time(now)
    await notices_store.set_notice_announce_id(conn, notice_id, announce["id"])
    inboxes = await fedstore.follower_inboxes(conn, urls.actor)
    if post["actor_inbox"]:
        inboxes.append(post["shared_inbox"] or post["actor_inbox"])
    await state.outbox.send(conn, announce, inboxes, now)
    return notice_id


def is_public_post(post: Record) -> bool:
    """Whether a stored post was addressed to the public (only those are shared)."""
    obj = _object(post)
    return obj is not None and is_public(obj)


def _object(post: Record) -> Json | None:
    if not post["object_json"]:
        return None
    try:
        obj = json.loads(post["object_json"])
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def copy_of(post: Record) -> SharedCopy:
    """The shared copy of a stored post: from its object when kept, else from its text."""
    obj = _object(post)
    if obj is not None:
        return shared_copy(obj)
    return shared_copy({"content": post["content_html"], "name": post["name"]})


async def apply_rules(
    state: BoardState, conn: aiosqlite.Connection, post: Record, now: datetime
) -> int | None:
    """Share a post that arrived from the network if a rule says so and its cap allows."""
    if post["in_reply_to"]:
        return None  # a partner's answer in some conversation is not a notice
    kind = copy_of(post).kind
    for rule in await store.matching_rules(conn, post["actor"], kind):
        since = _start_of_day(now, state.config.timezone)
        if await store.count_shared_since(conn, rule["id"], since) >= rule["daily_cap"]:
            await store.insert_hit(conn, rule["id"], post["id"], None, "cap", now)
            continue
        if await store.live_share_in(conn, post["id"]) or not is_public_post(post):
            return None
        notice_id = await share_post(state, conn, post, now)
        await store.insert_hit(conn, rule["id"], post["id"], notice_id, "shared", now)
        with audit.acting_as(f"rule #{rule['id']}"):
            await audit.record(conn, "notice.share", post["id"], now)
        return notice_id
    return None


def _start_of_day(now: datetime, timezone: str) -> datetime:
    local = now.astimezone(ZoneInfo(timezone))
    return datetime.combine(local.date(), time(0), tzinfo=ZoneInfo(timezone))


async def follow_original(conn: aiosqlite.Connection, post_id: str, now: datetime) -> bool:
    """After an Update of an original: bring the shared copy in step (kind, text, dates)."""
    row = await store.live_share_in(conn, post_id)
    post = await store.post_in(conn, post_id)
    if row is None or post is None:
        return False
    copy = copy_of(post)
    await store.update_shared_notice(conn, row["id"], copy, now)
    return True


async def withdraw_share(
    state: BoardState, conn: aiosqlite.Connection, post_id: str, author: str, now: datetime
) -> bool:
    """The original was deleted: the shared copy leaves the board, with Undo{Announce}."""
    row = await store.live_share_in(conn, post_id)
    if row is None or row["origin_actor"] != author:
        return False
    await notices_store.mark_notice_deleted(conn, row["id"], now)
    if row["announce_id"]:
        await undo_announce(state, conn, row, now)
    return True


async def withdraw_shares_of(
    state: BoardState, conn: aiosqlite.Connection, actor_id: str, now: datetime
) -> int:
    """A partner deleted its account: its shared posts leave the board."""
    rows = await store.live_shares_of(conn, actor_id)
    for row in rows:
        await withdraw_share(state, conn, row["origin_id"], actor_id, now)
    return len(rows)


async def undo_announce(
    state: BoardState, conn: aiosqlite.Connection, row: Row, now: datetime
) -> None:
    """Tell followers and the original's author that the board no longer shares it."""
    urls = state.urls
    announce = {
        "id": row["announce_id"],
        "type": "Announce",
        "actor": urls.actor,
        "object": row["origin_id"],
    }
    undo = build_activity(
        "Undo",
        f"{row['announce_id']}/undo",
        urls.actor,
        announce,
        to=[PUBLIC],
        cc=[urls.followers, row["origin_actor"]],
    )
    inboxes = await fedstore.follower_inboxes(conn, urls.actor)
    author = await fedstore.get_remote_actor_in(conn, row["origin_actor"])
    if author is not None:
        inboxes.append(author.shared_inbox or author.inbox)
    await state.outbox.send(conn, undo, inboxes, now)


def author_label(post: Record) -> str:
    """'Name (@user@host)' of a remote post's author, or the actor id if nothing is cached."""
    handle = f"@{post['preferred_username']}@{post['host']}" if post["preferred_username"] else None
    name = post["actor_name"]
    if name and handle:
        return f"{name} ({handle})"
    return str(name or handle or post["actor"])
