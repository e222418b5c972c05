"""The board's network: the public partner page, the staff's page to follow, share and see who
the board reaches, follow requests, and what could not be delivered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import noticeboard.web.convertors  # noqa: F401  (registers the 'rowid' path type)
from federation.database import Record, from_db_time
from noticeboard.i18n import N_
from noticeboard.network import queries, service
from noticeboard.network.lookup import LookupFailed, fetch_post, find_account
from noticeboard.network.problems import explain, message_kind
from noticeboard.network.service import NOT_SHAREABLE
from noticeboard.network.sharing import is_public_post
from noticeboard.notices import service as notices
from noticeboard.notices.kinds import BY_ID, KINDS, Kind, is_kind
from noticeboard.pages.views import reply_view
from noticeboard.reports import queries as figures
from noticeboard.results import Ok, Refused, Result
from noticeboard.runtime import runtime
from noticeboard.sanitize import clean_text
from noticeboard.web.guard import form_field, read_form, requires
from noticeboard.web.rendering import flash

EDITORS = ("owner", "editor")


@dataclass(frozen=True)
class PartnerView:
    id: str
    name: str
    handle: str | None
    url: str
    summary: str
    shared: int
    kinds: tuple[Kind, ...]


def partner_view(row: Record) -> PartnerView:
    handle = f"@{row['preferred_username']}@{row['host']}" if row["preferred_username"] else None
    url = row["url"] if str(row["url"] or "").startswith(("https://", "http://")) else row["id"]
    kinds = tuple(BY_ID[k] for k in (row["top_kinds"] or "").split(",") if is_kind(k))
    return PartnerView(
        id=row["id"],
        name=row["name"] or handle or row["id"],
        handle=handle,
        url=url,
        summary=_summary(row["document"]),
        shared=row["shared"],
        kinds=kinds,
    )


def _summary(document: str) -> str:
    """The partner's self-description (its district, what it does) as plain text."""
    try:
        doc = json.loads(document)
    except ValueError:
        return ""
    summary = doc.get("summary") if isinstance(doc, dict) else None
    return clean_text(summary if isinstance(summary, str) else "", limit=300)


async def public_network(request: Request) -> Response:
    rt = runtime(request)
    rows = await queries.partners(rt.state)
    return rt.renderer.page(
        request,
        "network.html",
        partners=[partner_view(r) for r in rows],
        page_title=N_("Network"),
    )


@requires("owner", "editor", "moderator")
async def staff_network(request: Request) -> Response:
    rt = runtime(request)
    state = rt.state
    counts = [dict(r) for r in await queries.follower_counts(state)]
    return rt.renderer.page(
        request,
        "staff/network.html",
        following=await queries.following(state),
        posts=[
            (reply_view(r), r, is_public_post(r) and not r["in_reply_to"])
            for r in await queries.network_posts(state)
        ],
        by_server=await queries.followers_by_server(state),
        counts=counts,
        counts_max=max([c["followers"] for c in counts] or [0]),
        reach=[_reach(r) for r in await queries.notice_reach(state)],
        rules=await queries.share_rules(state),
        hits=await queries.rule_hits(state, limit=20),
        kinds=KINDS,
        kinds_by_id=BY_ID,
        figures=await figures.network_figures(state),
        page_title=N_("Our network"),
    )


def _reach(row: Record) -> dict[str, Any]:
    return {**dict(row), "published": from_db_time(row["published"])}


def _back(request: Request, result: Result[Any], done: str, to: str = "/staff/network") -> Response:
    """Show what happened (or why not) on the next page."""
    flash(request, done if isinstance(result, Ok) else result.reason)
    return RedirectResponse(to, status_code=303)


@requires(*EDITORS)
async def follow(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    try:
        actor = await find_account(rt.resolver, rt.client, form_field(form, "target").strip())
    except LookupFailed:
        flash(request, N_("This account could not be found. Check the spelling."))
        return RedirectResponse("/staff/network", status_code=303)
    if form_field(form, "action") == "unfollow":
        result: Result[Any] = await service.unfollow(rt.state, actor)
        return _back(request, result, N_("The board no longer follows this account."))
    result = await service.follow(rt.state, actor)
    done = N_("Follow request sent. It shows as accepted once the other side agrees.")
    return _back(request, result, done)


@requires(*EDITORS)
async def share(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    post_id, url = form_field(form, "post"), form_field(form, "url").strip()
    if post_id:
        result = await service.share(rt.state, post_id)
    else:
        try:
            obj, author = await fetch_post(rt.resolver, url)
        except LookupFailed:
            result = Refused(NOT_SHAREABLE)
        else:
            result = await service.share_fetched(rt.state, obj, author)
    if isinstance(result, Refused):  # one plain message for every reason on this page
        result = Refused(NOT_SHAREABLE)
    return _back(
        request, result, N_("Shared. The notice is on the board and goes to the followers.")
    )


@requires(*EDITORS)
async def unshare(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    notice_id = await queries.shared_notice_for(rt.state, form_field(form, "url").strip())
    result: Result[Any] = Refused(N_("The board does not share this post."))
    if notice_id is not None and (await notices.delete(rt.state, notice_id)).ok:
        result = Ok(None)
    return _back(request, result, N_("No longer shared."))


RULE_PROBLEM = N_("Please choose a partner the board follows and a daily number.")


@requires(*EDITORS)
async def add_rule(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    source, kind = form_field(form, "source"), form_field(form, "kind") or None
    cap = form_field(form, "daily_cap")
    following = {r["actor_id"] for r in await queries.following(rt.state)}
    if (source and source not in following) or not cap.isdigit() or len(cap) > 4:
        return _back(request, Refused(RULE_PROBLEM), "")
    result = await service.add_share_rule(rt.state, source or None, kind, int(cap))
    return _back(request, result if result.ok else Refused(RULE_PROBLEM), N_("The rule is saved."))


@requires(*EDITORS)
async def remove_rule(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    rule = form_field(form, "rule")
    if not (rule.isdigit() and len(rule) <= 18):
        return _back(request, Refused(N_("There is no such rule.")), "")
    result = await service.remove_share_rule(rt.state, int(rule))
    return _back(request, result, N_("The rule is removed."))


# --- follow requests and what could not be delivered ---------------------------------------------


@requires("owner", "moderator")
async def follow_decision(request: Request) -> Response:
    rt = runtime(request)
    await read_form(request)
    row = await queries.follower_by_row(rt.state, request.path_params["row"])
    decision = request.path_params["decision"]
    if row is None or decision not in ("approve", "reject"):
        return rt.renderer.error(request, 404, N_("This follow request does not exist (any more)."))
    if decision == "approve":
        result = await service.approve_follower(rt.state, row["actor_id"])
        return _back(request, result, N_("The follow request has been accepted."), "/staff")
    result = await service.reject_follower(rt.state, row["actor_id"])
    return _back(request, result, N_("The follow request has been declined."), "/staff")


@requires("owner")
async def problems(request: Request) -> Response:
    rt = runtime(request)
    rows = await queries.deliveries(rt.state, ("failed", "dead"))
    deliveries = [
        {
            **dict(r),
            "updated": from_db_time(r["updated"]),
            "problem": explain(r["last_status"], r["last_error"]),
        }
        for r in rows
    ]
    return rt.renderer.page(
        request,
        "staff/problems.html",
        deliveries=deliveries,
        inbox_failures=[
            {**dict(r), "kind": message_kind(r["type"])}
            for r in await queries.inbox_failures(rt.state)
        ],
        page_title="Delivery problems",
    )


@requires("owner")
async def retry_delivery(request: Request) -> Response:
    rt = runtime(request)
    await read_form(request)
    result = await service.retry_delivery(rt.state, request.path_params["delivery_id"])
    return _back(request, result, N_("The delivery is queued again."), "/staff/problems")


@requires("owner")
async def retry_inbox(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    result = await service.retry_inbox_activity(rt.state, form_field(form, "activity_id"))
    if result.ok:
        flash(request, N_("The activity is queued for processing again."))
    return RedirectResponse("/staff/problems", status_code=303)


routes = [
    Route("/network", public_network),
    Route("/staff/network", staff_network),
    Route("/staff/network/follow", follow, methods=["POST"]),
    Route("/staff/network/share", share, methods=["POST"]),
    Route("/staff/network/unshare", unshare, methods=["POST"]),
    Route("/staff/network/rules", add_rule, methods=["POST"]),
    Route("/staff/network/rules/remove", remove_rule, methods=["POST"]),
    Route("/staff/follows/{row:rowid}/{decision:str}", follow_decision, methods=["POST"]),
    Route("/staff/problems", problems),
    Route("/staff/problems/deliveries/{delivery_id:rowid}/retry", retry_delivery, methods=["POST"]),
    Route("/staff/problems/inbox/retry", retry_inbox, methods=["POST"]),
]
