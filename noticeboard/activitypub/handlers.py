"""The board's inbox handlers: what each kind of activity is, and which slice it is for.

Registered on federation's Inbox by type (`inbox.on("Follow", ...)`). A handler checks what it
is given — addressed to the board? about one of its notices? an object trusted only from its
author's own server (rule 9) — and hands it to `network/inbound.py` or
`participation/inbound.py`, whose writes commit together with the inbox's "done" mark.
"""

from __future__ import annotations

from federation.actors import ActorError
from federation.inbox import Inbox, InboxContext
from federation.vocab import Json, as_list, get_id, get_type, is_public
from noticeboard.continuity import inbound as continuity
from noticeboard.groups import inbound as groups
from noticeboard.network import inbound as network
from noticeboard.network.sharing import POST_TYPES, authored_on_origin
from noticeboard.notices import store as notices_store
from noticeboard.participation import inbound as participation
from noticeboard.sanitize import clean_text
from noticeboard.state import BoardState

MAX_REPORTED = 20  # objects of one Flag that are kept
ACTOR_TYPES = ("Person", "Group", "Service", "Application", "Organization")


class BoardInbox:
    """Inbox handlers of the board, registered on the protocol's Inbox."""

    def __init__(self, state: BoardState) -> None:
        self.state = state
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
        inbox.on("EmojiReact", self.on_like)  # Pleroma, Akkoma: counted as a like
        inbox.on("Announce", self.on_announce)
        inbox.on("Flag", self.on_flag)
        inbox.on("Move", self.on_move)
        inbox.on("ReplyRequest", self.on_reply_request)

    async def on_follow(self, ctx: InboxContext) -> None:
        group = await groups.group_of_follow(self.state, ctx.activity)
        if group is not None:
            await groups.follow_received(self.state, ctx, group)
            return
        if get_id(ctx.activity.get("object")) != self.urls.actor:
            return
        if not await continuity.refuse_follow(self.state, ctx):
            await network.follow_received(self.state, ctx)

    async def on_move(self, ctx: InboxContext) -> None:
        """An account the board follows, or a follower, moved to a new address."""
        await continuity.move_received(self.state, ctx)

    async def on_undo(self, ctx: InboxContext) -> None:
        """Take back a like, a boost or a follow, found by its id or by what it was of."""
        inner = ctx.activity.get("object")
        inner_type = get_type(inner) if isinstance(inner, dict) else None
        inner_id = get_id(inner)
        of = get_id(inner.get("object")) if isinstance(inner, dict) else None
        async with ctx.transaction() as conn:
            notice_id = self.urls.notice_number(of)
            if await participation.undo_reaction(
                conn, ctx.actor.id, inner_id, inner_type, notice_id
            ):
                return
            if inner_type == "Follow" or isinstance(inner, str):
                if await groups.undo_follow(self.state, conn, ctx, inner):
                    return
                await network.undo_follow(self.state, conn, ctx, inner_id, inner_type)

    async def on_like(self, ctx: InboxContext) -> None:
        await self._react(ctx, "Like")

    async def on_announce(self, ctx: InboxContext) -> None:
        inner = ctx.activity.get("object")
        if isinstance(inner, dict) and get_type(inner) == "Create":
            await self._group_post(ctx, get_id(inner.get("object")))
        elif ctx.actor.type == "Group" and self._foreign(get_id(inner)):
            # a followed group (another board's, or Lemmy's) shares a member's post by id
            await self._group_post(ctx, get_id(inner))
        else:
            await self._react(ctx, "Announce")

    async def _group_post(self, ctx: InboxContext, object_id: str | None) -> None:
        """A group the board follows (Lemmy, FEP-1b12) announces a member's Create: the post is
        fetched from its origin, never taken from the group's copy (rule 9)."""
        if object_id is None or not await network.is_followed(self.state, ctx):
            return
        try:
            obj = await ctx.resolver.fetch_object(object_id)
            author = await ctx.resolver.get(get_id(as_list(obj.get("attributedTo"))[0]) or "")
        except (ActorError, IndexError):
            return
        if get_type(obj) in POST_TYPES and authored_on_origin(obj, author):
            await network.post_received(self.state, ctx, obj, is_public(obj), author.id)

    def _foreign(self, object_id: str | None) -> bool:
        return bool(object_id) and not (object_id or "").startswith(f"{self.urls.base}/")

    async def _react(self, ctx: InboxContext, type_: str) -> None:
        notice_id = self.urls.notice_number(get_id(ctx.activity.get("object")))
        if notice_id is not None:
            await participation.reaction(ctx, notice_id, type_)

    async def on_flag(self, ctx: InboxContext) -> None:
        """A report (Mastodon sends it from its instance actor) about the board, its notices,
        or posts and authors shown on it: queued for the moderators."""
        objects = [o for o in (get_id(x) for x in as_list(ctx.activity.get("object"))) if o]
        objects = objects[:MAX_REPORTED]
        shown_here = await participation.known_ids(ctx, objects)
        reported = [o for o in objects if self._concerns_us(o) or o in shown_here]
        if not reported:
            return
        content = ctx.activity.get("content")
        comment = clean_text(content if isinstance(content, str) else "", limit=2000)
        await participation.report(ctx, reported, comment)

    def _concerns_us(self, object_id: str) -> bool:
        return object_id == self.urls.actor or object_id.startswith(f"{self.urls.base}/")

    async def on_accept(self, ctx: InboxContext) -> None:
        await self._settle_follow(ctx, "accepted")

    async def on_reject(self, ctx: InboxContext) -> None:
        await self._settle_follow(ctx, "rejected")

    async def _settle_follow(self, ctx: InboxContext, answer: str) -> None:
        follow_id = get_id(ctx.activity.get("object"))
        if follow_id:
            await network.follow_answered(ctx, follow_id, answer)

    async def on_create(self, ctx: InboxContext) -> None:
        """A vote, a reply to a notice, a mention of the board, or a post of a followed account."""
        if await self._vote_for(ctx, ctx.activity.get("object")) is not None:
            await self._vote(ctx)
            return
        if await groups.addressed_groups(self.state, ctx.activity):
            await self._group_create(ctx)
            return
        # Whether the board follows the sender is read only where it decides something.
        followed = None if self._may_concern_us(ctx.activity) else await self._followed(ctx)
        if followed is False:
            return
        obj = await self._trusted_object(ctx)
        if obj is None:
            return
        if await self._vote_for(ctx, obj) is not None:
            await self._vote(ctx, obj)
            return
        notice_id = self.urls.notice_number(get_id(obj.get("inReplyTo")))
        if notice_id is not None and not await self._notice_exists(ctx, notice_id):
            notice_id = None
        public = is_public(obj) or is_public(ctx.activity)
        if public and notice_id is not None:
            await participation.reply_or_mention(self.state, ctx, obj, notice_id)
        elif public and (self._addressed_to_us(obj) or self._addressed_to_us(ctx.activity)):
            await participation.reply_or_mention(self.state, ctx, obj, None)
        elif followed if followed is not None else await self._followed(ctx):
            await network.post_received(self.state, ctx, obj, public)
        # Anything else (e.g. a direct message) is not for a public board and is not kept.

    async def _notice_exists(self, ctx: InboxContext, notice_id: int) -> bool:
        """Whether the board has this notice; asked once per batch, as replies come in
        threads."""

        async def read() -> bool:
            return await notices_store.get_notice_by_id(ctx.db, notice_id) is not None

        return await ctx.once(("notice", notice_id), read)

    async def _followed(self, ctx: InboxContext) -> bool:
        return await network.is_followed(self.state, ctx)

    async def _group_create(self, ctx: InboxContext) -> None:
        """A post addressed to one of the board's groups, or a reply in a group's thread: its
        addressing is read again from the trusted object (rule 9)."""
        obj = await self._trusted_object(ctx)
        if obj is None:
            return
        addressed = await groups.addressed_groups(self.state, ctx.activity, obj)
        if addressed:
            public = is_public(obj) or is_public(ctx.activity)
            await groups.post_received(self.state, ctx, obj, public, addressed)

    async def on_reply_request(self, ctx: InboxContext) -> None:
        """GoToSocial asks before replying where a notice says replies wait for approval: the
        reply (`instrument`) is filed like any reply and answered once it is shown."""
        notice_id = self.urls.notice_number(get_id(ctx.activity.get("object")))
        if notice_id is None or not await notices_store.get_notice_by_id(ctx.db, notice_id):
            return
        reply = await self._trusted_object(ctx, "instrument")
        if reply is None or get_id(reply.get("inReplyTo")) != self.urls.notice(notice_id):
            return
        if is_public(reply):
            await participation.reply_or_mention(
                self.state, ctx, reply, notice_id, request_id=get_id(ctx.activity)
            )

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

    async def _vote_for(self, ctx: InboxContext, obj: object) -> int | None:
        """The poll a vote answers. Only a `Note` whose `name` is an option of one of the
        board's polls, inReplyTo that poll, is a vote (as Mastodon reads them, `create.rb`);
        an Article, Page or Event with a title, or a Note with any other name, is a reply."""
        if not isinstance(obj, dict) or get_type(obj) != "Note":
            return None
        name = obj.get("name")
        notice_id = self.urls.notice_number(get_id(obj.get("inReplyTo")))
        if not isinstance(name, str) or notice_id is None:
            return None
        return notice_id if await participation.is_poll_option(ctx, notice_id, name) else None

    async def _vote(self, ctx: InboxContext, obj: Json | None = None) -> None:
        obj = obj or await self._trusted_object(ctx)
        notice_id = await self._vote_for(ctx, obj)
        if obj is not None and notice_id is not None:
            await participation.vote(ctx, notice_id, obj["name"])

    async def on_update(self, ctx: InboxContext) -> None:
        obj = ctx.activity.get("object")
        if isinstance(obj, dict) and get_type(obj) in ACTOR_TYPES:
            if get_id(obj) == ctx.actor.id:
                await ctx.resolver.get(ctx.actor.id, refresh=True)
            return
        obj = await self._trusted_object(ctx)
        if obj is not None and not await groups.post_updated(self.state, ctx, obj):
            await network.post_updated(ctx, obj)

    async def on_delete(self, ctx: InboxContext) -> None:
        object_id = get_id(ctx.activity.get("object"))
        if not object_id:
            return
        async with ctx.transaction() as conn:
            await groups.post_deleted(self.state, conn, ctx, object_id)
            if object_id == ctx.actor.id:
                await network.account_deleted(self.state, conn, ctx)
            elif await network.post_deleted(self.state, conn, ctx, object_id):
                await participation.withdraw(conn, object_id)

    async def _trusted_object(self, ctx: InboxContext, key: str = "object") -> Json | None:
        """Trust an embedded object only from the sender's origin; else fetch it (rule 9)."""
        obj = ctx.activity.get(key)
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
