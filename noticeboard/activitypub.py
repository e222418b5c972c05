"""The only bridge between the board and the protocol: documents out, handlers in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from markupsafe import escape

from federation import delivery
from federation import store as fedstore
from federation.actors import ActorError
from federation.hosts import HostError, canonical_host
from federation.inbox import Inbox, InboxContext
from federation.vocab import (
    AP_MEDIA_TYPE,
    Json,
    ap_time,
    as_list,
    build_accept,
    context,
    get_id,
    get_type,
    is_public,
)
from noticeboard import store, store_polls
from noticeboard.config import Config
from noticeboard.polls import count_vote
from noticeboard.sanitize import clean_html, clean_text
from noticeboard.urls import BoardUrls

log = logging.getLogger("noticeboard.activitypub")


def actor_document(config: Config, urls: BoardUrls, public_pem: str, published: datetime) -> Json:
    """The board as a Group actor with everything Mastodon reads (interop notes, 'The actor')."""
    doc: Json = {
        "@context": context(security=True),
        "id": urls.actor,
        "type": "Group",
        "preferredUsername": config.username,
        "name": config.name,
        "summary": str(escape(config.summary)),
        "url": urls.home,
        "inbox": urls.inbox,
        "outbox": urls.outbox,
        "followers": urls.followers,
        "following": urls.following,
        "featured": urls.featured,
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": config.federation.approve_followers,
        "discoverable": True,
        "indexable": True,
        "published": ap_time(published),
        "publicKey": {"id": urls.key_id, "owner": urls.actor, "publicKeyPem": public_pem},
        "attachment": _profile_fields(config),
    }
    if config.icon:
        doc["icon"] = {"type": "Image", "url": config.icon}
    return doc


PROFILE_FIELD_LABELS = {
    "address": "Adresse",
    "opening_hours": "Öffnungszeiten",
    "phone": "Telefon",
    "email": "E-Mail",
    "website": "Website",
}


def _profile_fields(config: Config) -> list[Json]:
    fields = []
    for key, value in config.contact.as_dict().items():
        fields.append(
            {
                "type": "PropertyValue",
                "name": PROFILE_FIELD_LABELS[key],
                "value": _field(key, value),
            }
        )
    return fields


def _field(key: str, value: str) -> str:
    if key == "website" and value.startswith(("https://", "http://")):
        safe = escape(value)
        return f'<a href="{safe}" rel="me nofollow noopener noreferrer">{safe}</a>'
    if key == "email":
        safe = escape(value)
        return f'<a href="mailto:{safe}">{safe}</a>'
    return str(escape(value))


def instance_actor_document(config: Config, urls: BoardUrls, public_pem: str) -> Json:
    """The server-wide Application actor that signs outgoing GETs (authorized fetch)."""
    return {
        "@context": context(security=True),
        "id": urls.instance_actor,
        "type": "Application",
        "preferredUsername": config.host.split(":")[0],
        "name": f"{config.name} (server)",
        "inbox": f"{urls.instance_actor}/inbox",
        "outbox": f"{urls.instance_actor}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": True,
        "url": f"{urls.base}/about",
        "publicKey": {
            "id": urls.instance_key_id,
            "owner": urls.instance_actor,
            "publicKeyPem": public_pem,
        },
    }


class BoardInbox:
    """Inbox handlers of the board, registered on the protocol's Inbox."""

    def __init__(self, config: Config, urls: BoardUrls, wake_delivery: Callable[[], None]) -> None:
        self.config = config
        self.urls = urls
        self.wake_delivery = wake_delivery

    def register(self, inbox: Inbox) -> None:
        inbox.on("Follow", self.on_follow)
        inbox.on("Undo", self.on_undo)
        inbox.on("Accept", self.on_accept)
        inbox.on("Reject", self.on_reject)
        inbox.on("Create", self.on_create)
        inbox.on("Update", self.on_update)
        inbox.on("Delete", self.on_delete)

    async def on_follow(self, ctx: InboxContext) -> None:
        follow = ctx.activity
        if get_id(follow.get("object")) != self.urls.actor:
            return
        approve = self.config.federation.approve_followers
        state = "pending" if approve else "accepted"
        async with ctx.transaction() as conn:
            await fedstore.upsert_follower(
                conn, self.urls.actor, ctx.actor, follow["id"], state, ctx.now
            )
            if await fedstore.follower_state(conn, self.urls.actor, ctx.actor.id) == "accepted":
                await self._accept(conn, follow, ctx.actor, ctx.now)
        self.wake_delivery()

    async def _accept(
        self, conn: Any, follow: Json, actor: fedstore.RemoteActorRow, now: datetime
    ) -> None:
        accept = build_accept(self.urls.new_activity(), self.urls.actor, follow)
        await delivery.enqueue(conn, accept, [actor.inbox], now, public=False)

    async def on_undo(self, ctx: InboxContext) -> None:
        inner = ctx.activity.get("object")
        inner_type = get_type(inner) if isinstance(inner, dict) else None
        if inner_type == "Follow" or isinstance(inner, str):
            async with ctx.transaction() as conn:
                row = await fedstore.get_follower(ctx.db, self.urls.actor, ctx.actor.id)
                inner_id = get_id(inner)
                if row and (inner_id in (None, row["follow_id"]) or inner_type == "Follow"):
                    await fedstore.delete_follower(conn, self.urls.actor, ctx.actor.id)

    async def on_accept(self, ctx: InboxContext) -> None:
        await self._settle_follow(ctx, "accepted")

    async def on_reject(self, ctx: InboxContext) -> None:
        await self._settle_follow(ctx, "rejected")

    async def _settle_follow(self, ctx: InboxContext, state: str) -> None:
        follow_id = get_id(ctx.activity.get("object"))
        if not follow_id:
            return
        async with ctx.transaction() as conn:
            await fedstore.set_following_state(conn, follow_id, ctx.actor.id, state, ctx.now)

    async def on_create(self, ctx: InboxContext) -> None:
        if self._poll_of(ctx.activity.get("object")) is not None:
            await self._vote(ctx)
            return
        following = await fedstore.get_following(ctx.db, self.urls.actor, ctx.actor.id)
        addressed_to_us = self.urls.actor in [
            get_id(t) for t in as_list(ctx.activity.get("to")) + as_list(ctx.activity.get("cc"))
        ]
        if not (following and following["state"] == "accepted") and not addressed_to_us:
            return
        obj = await self._trusted_object(ctx)
        if obj is None:
            return
        async with ctx.transaction() as conn:
            await _store_remote_post(conn, obj, ctx.actor.id, ctx.now)

    def _poll_of(self, obj: object) -> int | None:
        """The local notice a vote answers: a Note with a name, inReplyTo one of our notices."""
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            return None
        target = get_id(obj.get("inReplyTo")) or ""
        prefix = f"{self.urls.base}/notices/"
        number = target[len(prefix) :] if target.startswith(prefix) else ""
        return int(number) if number.isdigit() and len(number) <= 18 else None

    async def _vote(self, ctx: InboxContext) -> None:
        """Count a vote from Mastodon & co.: one Create{Note{name, inReplyTo}} per choice."""
        obj = await self._trusted_object(ctx)
        notice_id = self._poll_of(obj)
        if obj is None or notice_id is None:
            return
        notice = await store.get_notice_by_id(ctx.db, notice_id)
        if notice is None or notice["kind"] != "poll":
            return
        options = await store_polls.list_options(ctx.db, notice_id)
        positions = [o["position"] for o in options if o["name"] == obj["name"]]
        if not positions:
            return
        async with ctx.transaction() as conn:
            await count_vote(conn, notice, positions, ctx.actor.id, ctx.activity["id"], ctx.now)

    async def on_update(self, ctx: InboxContext) -> None:
        obj = ctx.activity.get("object")
        if isinstance(obj, dict) and get_type(obj) in (
            "Person",
            "Group",
            "Service",
            "Application",
            "Organization",
        ):
            if get_id(obj) == ctx.actor.id:
                await ctx.resolver.get(ctx.actor.id, refresh=True)
            return
        obj = await self._trusted_object(ctx)
        if obj is None:
            return
        existing = await store.get_remote_post(ctx.db, obj["id"])
        if existing is None or existing["actor"] != ctx.actor.id:
            return
        async with ctx.transaction() as conn:
            await _store_remote_post(conn, obj, ctx.actor.id, ctx.now)

    async def on_delete(self, ctx: InboxContext) -> None:
        object_id = get_id(ctx.activity.get("object"))
        if not object_id:
            return
        async with ctx.transaction() as conn:
            if object_id == ctx.actor.id:
                await fedstore.delete_follower(conn, self.urls.actor, ctx.actor.id)
                await fedstore.delete_following(conn, self.urls.actor, ctx.actor.id)
            else:
                await store.mark_remote_post_deleted(conn, object_id, ctx.actor.id, ctx.now)

    async def _trusted_object(self, ctx: InboxContext) -> Json | None:
        """Trust an embedded object only from the sender's origin; else fetch it (rule 9)."""
        obj = ctx.activity.get("object")
        object_id = get_id(obj)
        if object_id is None:
            return None
        if not (isinstance(obj, dict) and _authored_on_origin(obj, ctx.actor)):
            try:
                obj = await ctx.resolver.fetch_object(object_id)
            except ActorError:
                return None
            if not _authored_on_origin(obj, ctx.actor):
                return None
        return obj if get_type(obj) in POST_TYPES else None


POST_TYPES = ("Note", "Article", "Page", "Event", "Question")  # what may be stored or counted


def _authored_on_origin(obj: Json, actor: fedstore.RemoteActorRow) -> bool:
    object_id = get_id(obj)
    try:
        same_origin = object_id is not None and canonical_host(object_id) == actor.host
    except HostError:
        return False
    return same_origin and get_id(obj.get("attributedTo")) == actor.id


async def _store_remote_post(conn: Any, obj: Json, actor_id: str, now: datetime) -> None:
    url = get_id(obj.get("url"))
    try:
        if url and canonical_host(url) != canonical_host(actor_id):
            url = None
    except HostError:
        url = None
    content = obj.get("content") if isinstance(obj.get("content"), str) else ""
    name = obj.get("name") if isinstance(obj.get("name"), str) else None
    published = obj.get("published") if isinstance(obj.get("published"), str) else None
    await store.upsert_remote_post(
        conn,
        post_id=obj["id"],
        actor=actor_id,
        type_=get_type(obj) or "Note",
        url=url,
        name=clean_text(name, limit=300) or None,
        content_html=str(clean_html(content)),
        in_reply_to=get_id(obj.get("inReplyTo")),
        published=published[:40] if published else None,
        now=now,
    )


__all__ = [
    "AP_MEDIA_TYPE",
    "ActorError",
    "BoardInbox",
    "actor_document",
    "instance_actor_document",
    "is_public",
]
