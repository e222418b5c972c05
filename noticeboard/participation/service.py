"""What moderators decide: the queue of submissions, replies, mentions and reports; what the
inbox files into it; residents' submissions from the web form.

Use cases take the board's state first and answer `Ok(...)` or `Refused(reason)`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from federation import store as fedstore
from federation.database import Row, from_db_time
from federation.vocab import Json, ap_time, build_activity
from noticeboard import audit
from noticeboard.i18n import N_
from noticeboard.network import sharing
from noticeboard.network.authors import authored_post
from noticeboard.notices import service as notices
from noticeboard.notices.forms import NoticeDraft, Provenance
from noticeboard.participation import approvals, store
from noticeboard.participation.forms import Submission
from noticeboard.results import Ok, Refused, Result
from noticeboard.state import BoardState

QUEUE_KINDS = ("submission", "reply", "mention", "report")
REASON_MAX = 1000


@dataclass(frozen=True)
class QueueItem:
    id: int
    kind: str
    ref: str
    summary: str
    state: str
    created: datetime
    reason: str | None
    decided_by: str | None
    decided: datetime | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "created": ap_time(self.created),
            "summary": self.summary,
            "state": self.state,
            "reason": self.reason,
            "decided_by": self.decided_by,
            "decided": ap_time(self.decided) if self.decided else None,
        }


def queue_item(row: Row) -> QueueItem:
    return QueueItem(
        id=row["id"],
        kind=row["kind"],
        ref=row["ref"],
        summary=row["summary"],
        state=row["state"],
        created=from_db_time(row["created"]),
        reason=row["reason"],
        decided_by=row["decided_by"],
        decided=from_db_time(row["decided"]) if row["decided"] else None,
    )


NO_SUCH_ITEM = N_("There is no such item in the queue.")
DECIDED = N_("This item has been decided already.")
POST_DELETED = N_("The author has deleted this post.")


# --- what staff do ------------------------------------------------------------------------


async def submit(state: BoardState, submission: Submission) -> int:
    """Queue a resident's web submission; return the queue item's number."""
    now = state.clock()
    async with state.db.transaction() as conn:
        submission_id = await store.insert_submission(
            conn,
            kind=submission.kind,
            title=submission.title,
            body_md=submission.body,
            author_name=submission.author_name,
            contact=submission.contact,
            now=now,
        )
        item = await store.insert_item(
            conn, "submission", str(submission_id), submission.title, now
        )
    return item or 0


async def edit_submission(state: BoardState, item_id: int, draft: NoticeDraft) -> Result[None]:
    """Correct a waiting submission before it is published (type, title, text)."""
    item = await _pending(state, item_id, "submission")
    if not isinstance(item, QueueItem):
        return item
    async with state.db.transaction() as conn:
        await store.update_submission(conn, int(item.ref), draft.kind, draft.title, draft.body)
        await store.update_item_summary(conn, item_id, draft.title)
        await audit.record(conn, "submission.edit", f"#{item_id}", state.clock())
    return Ok(None)


async def approve(
    state: BoardState, item_id: int, reason: str = "", draft: NoticeDraft | None = None
) -> Result[int]:
    """Approve a queue item; Ok(the published notice's number) where there is one, else 0."""
    item = await _pending(state, item_id)
    if not isinstance(item, QueueItem):
        return item
    now = state.clock()
    async with state.db.transaction() as conn:
        post = await authored_post(conn, item.ref) if item.kind == "mention" else None
        if item.kind == "mention" and (post is None or post["deleted"]):
            return Refused(POST_DELETED)
        if not await store.decide_item(
            conn, item_id, "approved", reason[:REASON_MAX], audit.acting(), now
        ):
            return Refused(DECIDED)
        notice_id = 0
        if item.kind == "submission":
            notice_id = await _publish_submission(state, conn, int(item.ref), draft)
        elif item.kind == "reply":
            await store.set_remote_post_state(conn, item.ref, "shown")
            await approvals.accept(state, conn, item.ref, now)
        elif post is not None:
            notice_id = await sharing.share_post(state, conn, post, now)
        await audit.record(conn, f"{item.kind}.approve", f"#{item_id}", now, reason)
    state.outbox.wake()
    return Ok(notice_id)


async def reject(state: BoardState, item_id: int, reason: str) -> Result[None]:
    """Reject a queue item: nothing is published or sent; the reason is kept."""
    item = await _pending(state, item_id)
    if not isinstance(item, QueueItem):
        return item
    now = state.clock()
    async with state.db.transaction() as conn:
        if not await store.decide_item(
            conn, item_id, "rejected", reason[:REASON_MAX], audit.acting(), now
        ):
            return Refused(DECIDED)
        if item.kind in ("reply", "mention"):
            await store.set_remote_post_state(conn, item.ref, "rejected")
            await approvals.refuse(state, conn, item.ref, now)
        await audit.record(conn, f"{item.kind}.reject", f"#{item_id}", now, reason)
    return Ok(None)


async def _pending(state: BoardState, item_id: int, kind: str | None = None) -> QueueItem | Refused:
    row = await store.get_item(state.db, item_id)
    if row is None or (kind is not None and row["kind"] != kind):
        return Refused(NO_SUCH_ITEM)
    if row["state"] != "pending":
        return Refused(DECIDED)
    return queue_item(row)


async def _publish_submission(
    state: BoardState, conn: aiosqlite.Connection, submission_id: int, draft: NoticeDraft | None
) -> int:
    row = await store.submission_in(conn, submission_id)
    draft = draft or NoticeDraft(
        title=row["title"], body=row["body_md"], category=None, kind=row["kind"]
    )
    provenance = Provenance(origin="submission", submitted_by=row["author_name"] or "")
    notice_id, _ = await notices.publish_in(state, conn, draft, None, provenance)
    await store.set_submission_notice(conn, submission_id, notice_id)
    return notice_id


async def hide_reply(state: BoardState, post_id: str, reason: str = "") -> Result[None]:
    """Take a shown reply off the board (its author's server is not told)."""
    now = state.clock()
    async with state.db.transaction() as conn:
        await store.set_remote_post_state(conn, post_id, "rejected")
        await approvals.revoke(conn, post_id, now)
        await audit.record(conn, "reply.hide", post_id, now, reason)
    return Ok(None)


# --- reports ---------------------------------------------------------------------------------


async def report(
    state: BoardState,
    actor: fedstore.RemoteActorRow,
    object_ids: Sequence[str],
    comment: str,
    forward: bool,
) -> Result[int]:
    """Record a report on a remote account and its posts; with `forward`, tell its server.

    The reported posts are hidden at once. Forwarding sends a Flag from the server's
    instance actor, as Mastodon does, so the reporting staff member stays anonymous.
    """
    now = state.clock()
    objects = [actor.id, *object_ids]
    async with state.db.transaction() as conn:
        report_id = await store.insert_report(
            conn,
            incoming=False,
            activity_id=None,
            reporter=audit.acting(),
            target_actor=actor.id,
            objects=objects,
            comment=comment,
            now=now,
        )
        assert report_id is not None  # only incoming reports can be duplicates
        for post_id in object_ids:
            await store.set_remote_post_state(conn, post_id, "rejected")
        if forward:
            await _send_flag(state, conn, report_id, actor, objects, comment, now)
        await audit.record(conn, "report.create", actor.id, now, comment)
    state.outbox.wake()
    return Ok(report_id)


async def forward_report(
    state: BoardState, report_id: int, actor: fedstore.RemoteActorRow
) -> Result[None]:
    """Forward a received report about a remote account to that account's server."""
    row = await store.get_report(state.db, report_id)
    if row is None:
        return Refused(N_("There is no such report."))
    if row["forwarded"]:
        return Refused(N_("This report has been forwarded already."))
    objects = [o for o in json.loads(row["objects"]) if isinstance(o, str)]
    now = state.clock()
    async with state.db.transaction() as conn:
        await _send_flag(state, conn, report_id, actor, objects, row["comment"], now)
        await audit.record(conn, "report.forward", actor.id, now)
    state.outbox.wake()
    return Ok(None)


async def _send_flag(
    state: BoardState,
    conn: aiosqlite.Connection,
    report_id: int,
    actor: fedstore.RemoteActorRow,
    objects: Sequence[str],
    comment: str,
    now: datetime,
) -> None:
    flag: Json = build_activity(
        "Flag", state.urls.new_activity(), state.urls.instance_actor, list(objects), to=[actor.id]
    )
    flag["content"] = comment
    inbox = actor.shared_inbox or actor.inbox
    await state.outbox.send(conn, flag, [inbox], now, public=False)
    await store.set_report_forwarded(conn, report_id, now)
