"""Staff pages of moderators: the queue, shown replies, reports and blocks."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import noticeboard.convertors  # noqa: F401  (registers the 'rowid' path type)
from federation import store as fedstore
from federation.blocks import normalise_domain
from federation.hosts import HostError
from noticeboard import store, store_participation, store_sharing
from noticeboard.i18n import N_
from noticeboard.lookup import LookupFailed, find_account, is_account
from noticeboard.moderation import QUEUE_KINDS, REASON_MAX, QueueItem, Undecidable
from noticeboard.participate import SUBMISSION_KINDS
from noticeboard.posts import InvalidNotice, NoticeDraft, validate_draft
from noticeboard.rendering import flash
from noticeboard.services import Services
from noticeboard.staffauth import form_field, read_form, requires, services
from noticeboard.views import reply_view

MODERATORS = ("owner", "moderator")
STATES = ("pending", "approved", "rejected")


@requires(*MODERATORS)
async def queue(request: Request) -> Response:
    s = services(request)
    state = request.query_params.get("state", "pending")
    kind = request.query_params.get("kind") or None
    if state not in STATES or (kind is not None and kind not in QUEUE_KINDS):
        return s.renderer.error(request, 400, N_("This page link is not valid."))
    items = await s.board.queue(state, kind)
    return s.renderer.page(
        request,
        "staff/queue.html",
        items=items,
        state=state,
        kind=kind,
        kinds=QUEUE_KINDS,
        page_title=N_("Moderation queue"),
    )


@requires(*MODERATORS)
async def queue_item(request: Request) -> Response:
    s = services(request)
    item = await s.board.queue_entry(request.path_params["item"])
    if item is None:
        return s.renderer.error(request, 404, N_("There is no such item in the queue."))
    return await _item_page(request, item)


async def _item_page(
    request: Request,
    item: QueueItem,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    s = services(request)
    details = await _details(s, item)
    if form is None and item.kind == "submission" and details.get("submission"):
        sub = details["submission"]
        form = {"kind": sub["kind"], "title": sub["title"], "body": sub["body_md"]}
    return s.renderer.page(
        request,
        "staff/queue_item.html",
        status_code=400 if errors else 200,
        item=item,
        errors=errors or {},
        form=form or {},
        submission_kinds=SUBMISSION_KINDS,
        page_title=N_("Moderation queue"),
        **details,
    )


async def _details(s: Services, item: QueueItem) -> dict[str, Any]:
    db = s.board.db
    if item.kind == "submission":
        return {"submission": await store_participation.get_submission(db, int(item.ref))}
    if item.kind in ("reply", "mention"):
        post = await store_sharing.get_post(db, item.ref)
        notice = None
        if post is not None and post["notice_id"]:
            notice = await store.get_notice_by_id(db, post["notice_id"])
        return {"post": reply_view(post) if post else None, "post_row": post, "notice": notice}
    report = await store_participation.get_report(db, int(item.ref))
    objects = json.loads(report["objects"]) if report else []
    return {"report": report, "objects": objects, "forwardable": await _forwardable(s, objects)}


async def _forwardable(s: Services, objects: list[str]) -> Any:
    """The remote author of a reported post shown on this board, to whom a report can go."""
    for object_id in objects:
        post = await store.get_remote_post(s.board.db, object_id)
        if post is not None:
            return await fedstore.get_remote_actor(s.board.db, post["actor"])
    return None


@requires(*MODERATORS)
async def approve(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    item = await s.board.queue_entry(request.path_params["item"])
    if item is None:
        return s.renderer.error(request, 404, N_("There is no such item in the queue."))
    draft = None
    if item.kind == "submission" and form_field(form, "title"):
        draft_or_errors = _submission_draft(form)
        if isinstance(draft_or_errors, dict):
            return await _item_page(
                request, item, errors=draft_or_errors, form=_submission_fields(form)
            )
        draft = draft_or_errors
    try:
        notice_id = await s.board.approve(item.id, form_field(form, "reason")[:REASON_MAX], draft)
    except Undecidable:
        flash(request, N_("This item has been decided already."))
        return RedirectResponse("/staff/queue", status_code=303)
    if notice_id:
        flash(request, N_("Approved and published."))
    else:
        flash(request, N_("Approved."))
    return RedirectResponse("/staff/queue", status_code=303)


@requires(*MODERATORS)
async def reject(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    item = await s.board.queue_entry(request.path_params["item"])
    if item is None:
        return s.renderer.error(request, 404, N_("There is no such item in the queue."))
    reason = form_field(form, "reason").strip()
    if not reason:
        return await _item_page(
            request, item, errors={"reason": N_("Please give a reason for the rejection.")}
        )
    try:
        await s.board.reject(item.id, reason[:REASON_MAX])
    except Undecidable:
        flash(request, N_("This item has been decided already."))
        return RedirectResponse("/staff/queue", status_code=303)
    flash(request, N_("Rejected. Nothing was published."))
    return RedirectResponse("/staff/queue", status_code=303)


@requires(*MODERATORS)
async def edit_submission(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    item = await s.board.queue_entry(request.path_params["item"])
    if item is None or item.kind != "submission":
        return s.renderer.error(request, 404, N_("There is no such item in the queue."))
    draft = _submission_draft(form)
    if isinstance(draft, dict):
        return await _item_page(request, item, errors=draft, form=_submission_fields(form))
    try:
        await s.board.edit_submission(item.id, draft)
    except Undecidable:
        flash(request, N_("This item has been decided already."))
        return RedirectResponse("/staff/queue", status_code=303)
    flash(request, N_("Your changes are saved. The submission still waits for approval."))
    return RedirectResponse(f"/staff/queue/{item.id}", status_code=303)


def _submission_fields(form: FormData) -> dict[str, str]:
    return {k: form_field(form, k) for k in ("kind", "title", "body")}


def _submission_draft(form: FormData) -> NoticeDraft | dict[str, str]:
    fields = _submission_fields(form)
    if fields["kind"] not in {k.id for k in SUBMISSION_KINDS}:
        return {"kind": N_("Please choose a kind of notice.")}
    try:
        return validate_draft(fields["title"], fields["body"], kind=fields["kind"])
    except InvalidNotice as exc:
        return exc.errors


@requires(*MODERATORS)
async def forward_report(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    report = await store_participation.get_report(s.board.db, request.path_params["report"])
    if report is None:
        return s.renderer.error(request, 404, N_("There is no such report."))
    actor = await _forwardable(s, json.loads(report["objects"]))
    if actor is None or not await s.board.forward_report(report["id"], actor):
        flash(request, N_("This report cannot be forwarded."))
    else:
        flash(request, N_("The report has been forwarded to the author's server."))
    return RedirectResponse("/staff/queue", status_code=303)


# --- replies that are shown -------------------------------------------------------------


@requires(*MODERATORS)
async def replies(request: Request) -> Response:
    s = services(request)
    rows = await store_participation.list_recent_replies(s.board.db)
    shown = [(reply_view(r), r) for r in rows]
    return s.renderer.page(
        request, "staff/replies.html", replies=shown, page_title=N_("Replies on the board")
    )


@requires(*MODERATORS)
async def hide_reply(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    post = await store.get_remote_post(s.board.db, form_field(form, "post"))
    if post is None:
        return s.renderer.error(request, 404, N_("There is no such reply."))
    await s.board.hide_reply(post["id"], form_field(form, "reason")[:REASON_MAX])
    flash(request, N_("The reply is hidden."))
    return RedirectResponse("/staff/replies", status_code=303)


@requires(*MODERATORS)
async def report_reply(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    post = await store.get_remote_post(s.board.db, form_field(form, "post"))
    actor = await fedstore.get_remote_actor(s.board.db, post["actor"]) if post else None
    if post is None or actor is None:
        return s.renderer.error(request, 404, N_("There is no such reply."))
    comment = form_field(form, "comment").strip()[:REASON_MAX]
    forward = form_field(form, "forward") == "yes"
    await s.board.report(actor, [post["id"]], comment, forward)
    if forward:
        flash(request, N_("Reported and hidden; the report went to the author's server."))
    else:
        flash(request, N_("Reported and hidden."))
    return RedirectResponse("/staff/replies", status_code=303)


@requires(*MODERATORS)
async def report_account(request: Request) -> Response:
    """Report a remote account (not one reply): recorded, its posts hidden, maybe forwarded."""
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    target = form_field(form, "target").strip()
    try:
        actor = await find_account(s.resolver, s.client, target)
    except LookupFailed:
        return await _blocks_page(
            request, error=N_("This account could not be found. Check the spelling.")
        )
    forward = form_field(form, "forward") == "yes"
    await s.board.report(actor, [], form_field(form, "comment").strip()[:REASON_MAX], forward)
    if forward:
        flash(request, N_("Reported; the report went to the account's server."))
    else:
        flash(request, N_("Reported."))
    return RedirectResponse("/staff/blocks", status_code=303)


# --- blocks -----------------------------------------------------------------------------


@requires(*MODERATORS)
async def blocks(request: Request) -> Response:
    return await _blocks_page(request)


async def _blocks_page(
    request: Request, *, error: str | None = None, target: str = "", reason: str = ""
) -> Response:
    s = services(request)
    return s.renderer.page(
        request,
        "staff/blocks.html",
        status_code=400 if error else 200,
        domains=await fedstore.list_blocked_domains(s.board.db),
        actors=await fedstore.list_blocked_actors(s.board.db),
        error=error,
        target=target,
        reason=reason,
        page_title=N_("Blocks"),
    )


@requires(*MODERATORS)
async def block(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    target, reason = form_field(form, "target").strip(), form_field(form, "reason").strip()
    if is_account(target):
        try:
            actor = await find_account(s.resolver, s.client, target)
        except LookupFailed:
            return await _blocks_page(
                request,
                error=N_("This account could not be found. Check the spelling."),
                target=target,
                reason=reason,
            )
        if actor.host == s.board.config.host:
            return await _blocks_page(request, error=N_("The board cannot block itself."))
        await s.board.block_actor(actor.id, reason[:REASON_MAX])
        flash(request, N_("The account is blocked."))
        return RedirectResponse("/staff/blocks", status_code=303)
    try:
        domain = normalise_domain(target)
    except HostError:
        return await _blocks_page(
            request,
            error=N_(
                "Please enter a server like example.org, or an account like @name@example.org."
            ),
            target=target,
            reason=reason,
        )
    if domain == s.board.config.host:
        return await _blocks_page(request, error=N_("The board cannot block itself."))
    await s.board.block_domain(domain, reason[:REASON_MAX])
    flash(request, N_("The server and its subdomains are blocked."))
    return RedirectResponse("/staff/blocks", status_code=303)


@requires(*MODERATORS)
async def unblock(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    value = form_field(form, "value")
    if form_field(form, "kind") == "actor":
        done = await s.board.unblock_actor(value)
    else:
        done = await s.board.unblock_domain(value)
    flash(request, N_("The block is lifted.") if done else N_("This was not blocked."))
    return RedirectResponse("/staff/blocks", status_code=303)


routes = [
    Route("/staff/queue", queue),
    Route("/staff/queue/{item:rowid}", queue_item),
    Route("/staff/queue/{item:rowid}/approve", approve, methods=["POST"]),
    Route("/staff/queue/{item:rowid}/reject", reject, methods=["POST"]),
    Route("/staff/queue/{item:rowid}/edit", edit_submission, methods=["POST"]),
    Route("/staff/reports/{report:rowid}/forward", forward_report, methods=["POST"]),
    Route("/staff/replies", replies),
    Route("/staff/replies/hide", hide_reply, methods=["POST"]),
    Route("/staff/replies/report", report_reply, methods=["POST"]),
    Route("/staff/reports/new", report_account, methods=["POST"]),
    Route("/staff/blocks", blocks),
    Route("/staff/blocks/block", block, methods=["POST"]),
    Route("/staff/blocks/unblock", unblock, methods=["POST"]),
]
