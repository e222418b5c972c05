"""Staff pages of moderators: the queue, shown replies, reports and blocks."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import noticeboard.web.convertors  # noqa: F401  (registers the 'rowid' path type)
from federation.blocks import normalise_domain
from federation.hosts import HostError
from noticeboard.i18n import N_
from noticeboard.network.lookup import LookupFailed, find_account, is_account
from noticeboard.notices.forms import InvalidNotice, NoticeDraft
from noticeboard.pages.views import reply_view
from noticeboard.participation import queries, service, settings
from noticeboard.participation.forms import SUBMISSION_KINDS, submission_draft
from noticeboard.participation.service import QUEUE_KINDS, REASON_MAX, QueueItem
from noticeboard.results import Ok, said
from noticeboard.runtime import Runtime, runtime
from noticeboard.web.guard import form_field, read_form, requires
from noticeboard.web.rendering import flash

MODERATORS = ("owner", "moderator")
STATES = ("pending", "approved", "rejected")


@requires(*MODERATORS)
async def queue(request: Request) -> Response:
    rt = runtime(request)
    state = request.query_params.get("state", "pending")
    kind = request.query_params.get("kind") or None
    if state not in STATES or (kind is not None and kind not in QUEUE_KINDS):
        return rt.renderer.error(request, 400, N_("This page link is not valid."))
    items = await queries.queue(rt.state, state, kind)
    return rt.renderer.page(
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
    rt = runtime(request)
    item = await queries.queue_entry(rt.state, request.path_params["item"])
    if item is None:
        return rt.renderer.error(request, 404, N_("There is no such item in the queue."))
    return await _item_page(request, item)


async def _item_page(
    request: Request,
    item: QueueItem,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    rt = runtime(request)
    details = await _details(rt, item)
    if form is None and item.kind == "submission" and details.get("submission"):
        sub = details["submission"]
        form = {"kind": sub["kind"], "title": sub["title"], "body": sub["body_md"]}
    return rt.renderer.page(
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


async def _details(rt: Runtime, item: QueueItem) -> dict[str, Any]:
    if item.kind == "submission":
        return {"submission": await queries.submission(rt.state, int(item.ref))}
    if item.kind in ("reply", "mention"):
        post = await queries.post_with_author(rt.state, item.ref)
        notice = None
        if post is not None and post["notice_id"]:
            notice = await queries.notice_of(rt.state, post["notice_id"])
        return {"post": reply_view(post) if post else None, "post_row": post, "notice": notice}
    report = await queries.report(rt.state, int(item.ref))
    objects = json.loads(report["objects"]) if report else []
    author = await queries.author_of(rt.state, queries.reported_objects(report))
    return {"report": report, "objects": objects, "forwardable": author}


@requires(*MODERATORS)
async def approve(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    item = await queries.queue_entry(rt.state, request.path_params["item"])
    if item is None:
        return rt.renderer.error(request, 404, N_("There is no such item in the queue."))
    draft = None
    if item.kind == "submission" and form_field(form, "title"):
        draft_or_errors = _submission_draft(form)
        if isinstance(draft_or_errors, dict):
            return await _item_page(
                request, item, errors=draft_or_errors, form=_submission_fields(form)
            )
        draft = draft_or_errors
    reason = form_field(form, "reason")[:REASON_MAX]
    result = await service.approve(rt.state, item.id, reason, draft)
    if not isinstance(result, Ok):
        flash(request, result.reason)
        return RedirectResponse("/staff/queue", status_code=303)
    if result.value:
        flash(request, N_("Approved and published."))
    else:
        flash(request, N_("Approved."))
    return RedirectResponse("/staff/queue", status_code=303)


@requires(*MODERATORS)
async def reject(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    item = await queries.queue_entry(rt.state, request.path_params["item"])
    if item is None:
        return rt.renderer.error(request, 404, N_("There is no such item in the queue."))
    reason = form_field(form, "reason").strip()
    if not reason:
        return await _item_page(
            request, item, errors={"reason": N_("Please give a reason for the rejection.")}
        )
    result = await service.reject(rt.state, item.id, reason[:REASON_MAX])
    if not isinstance(result, Ok):
        flash(request, result.reason)
        return RedirectResponse("/staff/queue", status_code=303)
    flash(request, N_("Rejected. Nothing was published."))
    return RedirectResponse("/staff/queue", status_code=303)


@requires(*MODERATORS)
async def edit_submission(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    item = await queries.queue_entry(rt.state, request.path_params["item"])
    if item is None or item.kind != "submission":
        return rt.renderer.error(request, 404, N_("There is no such item in the queue."))
    draft = _submission_draft(form)
    if isinstance(draft, dict):
        return await _item_page(request, item, errors=draft, form=_submission_fields(form))
    result = await service.edit_submission(rt.state, item.id, draft)
    if not isinstance(result, Ok):
        flash(request, result.reason)
        return RedirectResponse("/staff/queue", status_code=303)
    flash(request, N_("Your changes are saved. The submission still waits for approval."))
    return RedirectResponse(f"/staff/queue/{item.id}", status_code=303)


def _submission_fields(form: FormData) -> dict[str, str]:
    return {k: form_field(form, k) for k in ("kind", "title", "body")}


def _submission_draft(form: FormData) -> NoticeDraft | dict[str, str]:
    try:
        return submission_draft(_submission_fields(form))
    except InvalidNotice as exc:
        return exc.errors


@requires(*MODERATORS)
async def forward_report(request: Request) -> Response:
    rt = runtime(request)
    await read_form(request)
    report = await queries.report(rt.state, request.path_params["report"])
    if report is None:
        return rt.renderer.error(request, 404, N_("There is no such report."))
    actor = await queries.author_of(rt.state, queries.reported_objects(report))
    if actor is None or not (await service.forward_report(rt.state, report["id"], actor)).ok:
        flash(request, N_("This report cannot be forwarded."))
    else:
        flash(request, N_("The report has been forwarded to the author's server."))
    return RedirectResponse("/staff/queue", status_code=303)


# --- replies that are shown -------------------------------------------------------------


@requires(*MODERATORS)
async def replies(request: Request) -> Response:
    rt = runtime(request)
    rows = await queries.recent_replies(rt.state)
    shown = [(reply_view(r), r) for r in rows]
    return rt.renderer.page(
        request, "staff/replies.html", replies=shown, page_title=N_("Replies on the board")
    )


@requires(*MODERATORS)
async def hide_reply(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    post = await queries.remote_post(rt.state, form_field(form, "post"))
    if post is None:
        return rt.renderer.error(request, 404, N_("There is no such reply."))
    await service.hide_reply(rt.state, post["id"], form_field(form, "reason")[:REASON_MAX])
    flash(request, N_("The reply is hidden."))
    return RedirectResponse("/staff/replies", status_code=303)


@requires(*MODERATORS)
async def report_reply(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    post = await queries.remote_post(rt.state, form_field(form, "post"))
    actor = await queries.author_of(rt.state, [post["id"]]) if post else None
    if post is None or actor is None:
        return rt.renderer.error(request, 404, N_("There is no such reply."))
    comment = form_field(form, "comment").strip()[:REASON_MAX]
    forward = form_field(form, "forward") == "yes"
    await service.report(rt.state, actor, [post["id"]], comment, forward)
    if forward:
        flash(request, N_("Reported and hidden; the report went to the author's server."))
    else:
        flash(request, N_("Reported and hidden."))
    return RedirectResponse("/staff/replies", status_code=303)


@requires(*MODERATORS)
async def report_account(request: Request) -> Response:
    """Report a remote account (not one reply): recorded, its posts hidden, maybe forwarded."""
    rt = runtime(request)
    form = await read_form(request)
    target = form_field(form, "target").strip()
    try:
        actor = await find_account(rt.resolver, rt.client, target)
    except LookupFailed:
        return await _blocks_page(
            request, error=N_("This account could not be found. Check the spelling.")
        )
    forward = form_field(form, "forward") == "yes"
    comment = form_field(form, "comment").strip()[:REASON_MAX]
    await service.report(rt.state, actor, [], comment, forward)
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
    rt = runtime(request)
    return rt.renderer.page(
        request,
        "staff/blocks.html",
        status_code=400 if error else 200,
        domains=await queries.blocked_domains(rt.state),
        actors=await queries.blocked_actors(rt.state),
        error=error,
        target=target,
        reason=reason,
        page_title=N_("Blocks"),
    )


@requires(*MODERATORS)
async def block(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    target, reason = form_field(form, "target").strip(), form_field(form, "reason").strip()
    if is_account(target):
        try:
            actor = await find_account(rt.resolver, rt.client, target)
        except LookupFailed:
            return await _blocks_page(
                request,
                error=N_("This account could not be found. Check the spelling."),
                target=target,
                reason=reason,
            )
        if actor.host == rt.state.config.host:
            return await _blocks_page(request, error=N_("The board cannot block itself."))
        blocked = await settings.block_actor(rt.state, actor.id, reason[:REASON_MAX])
        flash(request, said(blocked, N_("The account is blocked.")))
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
    if domain == rt.state.config.host:
        return await _blocks_page(request, error=N_("The board cannot block itself."))
    result = await settings.block_domain(rt.state, domain, reason[:REASON_MAX])
    flash(request, said(result, N_("The server and its subdomains are blocked.")))
    return RedirectResponse("/staff/blocks", status_code=303)


@requires(*MODERATORS)
async def unblock(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    value = form_field(form, "value")
    if form_field(form, "kind") == "actor":
        result = await settings.unblock_actor(rt.state, value)
    else:
        result = await settings.unblock_domain(rt.state, value)
    flash(request, N_("The block is lifted.") if result.ok else N_("This was not blocked."))
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
