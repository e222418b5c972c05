"""The board's inbox handlers: what each kind of activity does to the board.

Registered on federation's Inbox by type (`inbox.on("Follow", ...)`); each handler checks what
it is given and hands it to the slice it concerns, inside the inbox's transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from federation import store as fedstore
from federation.actors import ActorError
from federation.hosts import HostError, canonical_host
from federation.inbox import Inbox, InboxContext
from federation.vocab import Json, as_list, build_accept, get_id, get_type, is_public
from noticeboard.network import sharing
from noticeboard.network import store as network_store
from noticeboard.network.authors import authored_post
from noticeboard.network.sharing import POST_TYPES, authored_on_origin, store_post
from noticeboard.notices import poll_store
from noticeboard.notices import store as notices_store
from noticeboard.participation import queries as participation_queries
from noticeboard.participation import service as participation
from noticeboard.participation import store as participation_store
from noticeboard.participation.votes import count_vote
from noticeboard.sanitize import clean_text
from noticeboard.state import BoardState

log = logging.getLogger("noticeboard.activitypub")


class BoardInbox:
    """Inbox handlers of the board, registered on the protocol's Inbox."""

    def __init__(self, state: BoardState) -> None:
        self.state = state
        self.config = state.config
        self.urls = state.urls

    def register(self, inbox: Inbox) -> None:
        inbox.on("Follow", self.on_follow)
        inbox.on("Undo", self.on_undo)
        inbox.on("Accept", self.on_accept)
        inbox.on("Reject", self.on_reject)
        inbox.on("Create", self.on_create)
        inbox.on("Update", self.on_update)
        inbox.on("Delete", self.on_delete)
        inbox.on("Like", self.on_like)
        inbox.on("Announce", self.on_announce)
        inbox.on("Flag", self.on_flag)

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
        self.state.outbox.wake()

    async def _accept(
        self, conn: Any, follow: Json, actor: fedstore.RemoteActorRow, now: datetime
    ) -> None:
        accept = build_accept(self.urls.new_activity(), self.urls.actor, follow)
        await self.state.outbox.send(conn, accept, [actor.inbox], now, public=False)

    async def on_undo(self, ctx: InboxContext) -> None:
        """Take back a like, a boost or a follow, found by its id or by what it was of."""
        inner = ctx.activity.get("object")
        inner_type = get_type(inner) if isinstance(inner, dict) else None
        inner_id = get_id(inner)
        async with ctx.transaction() as conn:
            if inner_id and await participation_store.delete_reaction_by_id(
                conn, inner_id, ctx.actor.id
            ):
                return
            if inner_type in ("Like", "Announce") and isinstance(inner, dict):
                notice_id = self.urls.notice_number(get_id(inner.get("object")))
                if notice_id is not None:
                    await participation_store.delete_reaction(
                        conn, notice_id, ctx.actor.id, inner_type
                    )
                return
            if inner_type == "Follow" or isinstance(inner, str):
                row = await fedstore.get_follower(ctx.db, self.urls.actor, ctx.actor.id)
                if row and (inner_id in (None, row["follow_id"]) or inner_type == "Follow"):
                    await fedstore.delete_follower(conn, self.urls.actor, ctx.actor.id)

    async def on_like(self, ctx: InboxContext) -> None:
        await self._react(ctx, "Like")

    async def on_announce(self, ctx: InboxContext) -> None:
        await self._react(ctx, "Announce")

    async def _react(self, ctx: InboxContext, type_: str) -> None:
        """Count a like or boost of one of our notices, once per actor."""
        notice_id = self.urls.notice_number(get_id(ctx.activity.get("object")))
        if notice_id is None or await notices_store.get_notice_by_id(ctx.db, notice_id) is None:
            return
        async with ctx.transaction() as conn:
            await participation_store.insert_reaction(
                conn, ctx.activity["id"], notice_id, ctx.actor.id, type_, ctx.now
            )

    async def on_flag(self, ctx: InboxContext) -> None:
        """A report (Mastodon sends it from its instance actor): queued for the moderators."""
        objects = [o for o in (get_id(x) for x in as_list(ctx.activity.get("object"))) if o]
        objects = objects[:MAX_REPORTED]
        shown_here = await participation_store.known_remote_ids(ctx.db, objects)
        reported = [o for o in objects if self._concerns_us(o) or o in shown_here]
        if not reported:
            return
        content = ctx.activity.get("content")
        comment = clean_text(content if isinstance(content, str) else "", limit=2000)
        async with ctx.transaction() as conn:
            await participation.file_report(
                conn, ctx.activity["id"], ctx.actor.id, reported, comment, ctx.now
            )

    def _concerns_us(self, object_id: str) -> bool:
        """The board, its notices, and (checked by the caller) posts and authors shown on it."""
        return object_id == self.urls.actor or object_id.startswith(f"{self.urls.base}/")

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
        """A vote, a reply to a notice, a mention of the board, or a post of a followed account."""
        if self._poll_of(ctx.activity.get("object")) is not None:
            await self._vote(ctx)
            return
        following = await fedstore.get_following(ctx.db, self.urls.actor, ctx.actor.id)
        followed = bool(following and following["state"] == "accepted")
        if not followed and not self._may_concern_us(ctx.activity):
            return
        obj = await self._trusted_object(ctx)
        if obj is None:
            return
        notice_id = self.urls.notice_number(get_id(obj.get("inReplyTo")))
        if (
            notice_id is not None
            and await notices_store.get_notice_by_id(ctx.db, notice_id) is None
        ):
            notice_id = None
        public = is_public(obj) or is_public(ctx.activity)
        if public and notice_id is not None:
            await self._file(ctx, obj, "reply", notice_id)
        elif public and (self._addressed_to_us(obj) or self._addressed_to_us(ctx.activity)):
            await self._file(ctx, obj, "mention", None)
        elif followed:
            async with ctx.transaction() as conn:
                await store_post(conn, obj, ctx.actor.id, ctx.now)
                if public:
                    post = await authored_post(conn, obj["id"])
                    if post is not None and post["role"] == "network":
                        await sharing.apply_rules(self.state, conn, post, ctx.now)
            self.state.outbox.wake()
        # Anything else (e.g. a direct message) is not for a public board and is not kept.

    def _may_concern_us(self, activity: Json) -> bool:
        """Addressed to the board, or (as far as an embedded copy says) a reply to a notice."""
        embedded = activity.get("object")
        if not isinstance(embedded, dict):
            return self._addressed_to_us(activity)
        return (
            self._addressed_to_us(activity)
            or self._addressed_to_us(embedded)
            or self.urls.notice_number(get_id(embedded.get("inReplyTo"))) is not None
        )

    def _addressed_to_us(self, item: Json) -> bool:
        """Whether the board is among the recipients or mentioned in the tags."""
        recipients = as_list(item.get("to")) + as_list(item.get("cc"))
        mentions = [
            t.get("href")
            for t in as_list(item.get("tag"))
            if isinstance(t, dict) and get_type(t) == "Mention"
        ]
        return self.urls.actor in [get_id(r) for r in recipients] + mentions

    async def _file(self, ctx: InboxContext, obj: Json, role: str, notice_id: int | None) -> None:
        """Store a reply or mention and file it as the moderation policy says (once)."""
        existing = await network_store.get_remote_post(ctx.db, obj["id"])
        if existing is not None and existing["actor"] != ctx.actor.id:
            existing = None  # someone else's tombstone for this id counts for nothing (rule 10)
        shown = False
        if role == "reply":
            policy = await participation_queries.reply_policy(self.state)
            shown = policy == "open" or (
                policy == "known"
                and await fedstore.is_known(ctx.db, self.urls.actor, ctx.actor.id, ctx.actor.host)
            )
        async with ctx.transaction() as conn:
            await network_store.drop_foreign_tombstone(conn, obj["id"], ctx.actor.id)
            await store_post(conn, obj, ctx.actor.id, ctx.now)
            if existing is not None and existing["role"] != "network":
                return  # delivered again: it was filed the first time
            if existing is not None and existing["deleted"]:
                return
            if role == "reply" and notice_id is not None:
                await participation.file_reply(conn, obj["id"], notice_id, shown, ctx.now)
            else:
                await participation.file_mention(conn, obj["id"], ctx.now)

    def _poll_of(self, obj: object) -> int | None:
        """The local notice a vote answers: a Note with a name, inReplyTo one of our notices."""
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            return None
        return self.urls.notice_number(get_id(obj.get("inReplyTo")))

    async def _vote(self, ctx: InboxContext) -> None:
        """Count a vote from Mastodon & co.: one Create{Note{name, inReplyTo}} per choice."""
        obj = await self._trusted_object(ctx)
        notice_id = self._poll_of(obj)
        if obj is None or notice_id is None:
            return
        notice = await notices_store.get_notice_by_id(ctx.db, notice_id)
        if notice is None or notice["kind"] != "poll":
            return
        options = await poll_store.list_options(ctx.db, notice_id)
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
        existing = await network_store.get_remote_post(ctx.db, obj["id"])
        if existing is None or existing["actor"] != ctx.actor.id:
            return
        async with ctx.transaction() as conn:
            await store_post(conn, obj, ctx.actor.id, ctx.now)
            # A board sharing this post keeps its copy in step (text, dates, done, expired).
            await sharing.follow_original(conn, obj["id"], ctx.now)

    async def on_delete(self, ctx: InboxContext) -> None:
        object_id = get_id(ctx.activity.get("object"))
        if not object_id:
            return
        async with ctx.transaction() as conn:
            if object_id == ctx.actor.id:
                await fedstore.delete_follower(conn, self.urls.actor, ctx.actor.id)
                await fedstore.delete_following(conn, self.urls.actor, ctx.actor.id)
                await sharing.withdraw_shares_of(self.state, conn, ctx.actor.id, ctx.now)
            else:
                own = _on_host(object_id, ctx.actor.host)  # only the origin can pre-empt a post
                if await network_store.mark_remote_post_deleted(
                    conn, object_id, ctx.actor.id, ctx.now, tombstone=own
                ):
                    await participation_store.withdraw_item(conn, object_id)
                await sharing.withdraw_share(self.state, conn, object_id, ctx.actor.id, ctx.now)

    async def _trusted_object(self, ctx: InboxContext) -> Json | None:
        """Trust an embedded object only from the sender's origin; else fetch it (rule 9)."""
        obj = ctx.activity.get("object")
        object_id = get_id(obj)
        if object_id is None:
            return None
        if not (isinstance(obj, dict) and authored_on_origin(obj, ctx.actor)):
            try:
                obj = await ctx.resolver.fetch_object(object_id)
            except ActorError:
                return None
            if not authored_on_origin(obj, ctx.actor):
                return None
        return obj if get_type(obj) in POST_TYPES else None


MAX_REPORTED = 20  # objects of one Flag that are kept


def _on_host(object_id: str, host: str) -> bool:
    try:
        return canonical_host(object_id) == host
    except HostError:
        return False
