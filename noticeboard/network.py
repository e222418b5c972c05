"""The board's network: the public partner page and the staff's page to follow, share and see
who the board reaches."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation import store as fedstore
from federation.database import Row, from_db_time
from noticeboard import store_sharing
from noticeboard.i18n import N_
from noticeboard.kinds import BY_ID, KINDS, Kind, is_kind
from noticeboard.lookup import LookupFailed, fetch_post, find_account
from noticeboard.rendering import flash
from noticeboard.sanitize import clean_text
from noticeboard.sharing import NotShareable, is_public_post
from noticeboard.staffauth import form_field, read_form, requires, services
from noticeboard.views import reply_view

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


def partner_view(row: Row) -> PartnerView:
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
    s = services(request)
    rows = await store_sharing.list_partners(s.board.db, s.board.urls.actor)
    return s.renderer.page(
        request,
        "network.html",
        partners=[partner_view(r) for r in rows],
        page_title=N_("Network"),
    )


@requires("owner", "editor", "moderator")
async def staff_network(request: Request) -> Response:
    s = services(request)
    db, actor = s.board.db, s.board.urls.actor
    following = await fedstore.list_following(db, actor)
    counts = [dict(r) for r in await store_sharing.list_follower_counts(db)]
    return s.renderer.page(
        request,
        "staff/network.html",
        following=following,
        posts=[
            (reply_view(r), r, is_public_post(r) and not r["in_reply_to"])
            for r in await store_sharing.list_network_posts(db)
        ],
        by_server=await store_sharing.followers_by_server(db, actor),
        counts=counts,
        counts_max=max([c["followers"] for c in counts] or [0]),
        reach=[_reach(r) for r in await store_sharing.notice_reach(db)],
        rules=await store_sharing.list_rules(db),
        hits=await store_sharing.list_hits(db, limit=20),
        kinds=KINDS,
        kinds_by_id=BY_ID,
        page_title=N_("Our network"),
    )


def _reach(row: Row) -> dict[str, Any]:
    return {**dict(row), "published": from_db_time(row["published"])}


@requires(*EDITORS)
async def follow(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    target = form_field(form, "target").strip()
    try:
        actor = await find_account(s.resolver, s.client, target)
    except LookupFailed:
        flash(request, N_("This account could not be found. Check the spelling."))
        return RedirectResponse("/staff/network", status_code=303)
    if actor.id == s.board.urls.actor:
        flash(request, N_("The board cannot follow itself."))
    elif form_field(form, "action") == "unfollow":
        await s.board.unfollow(actor)
        flash(request, N_("The board no longer follows this account."))
    else:
        await s.board.follow(actor)
        flash(request, N_("Follow request sent. It shows as accepted once the other side agrees."))
    return RedirectResponse("/staff/network", status_code=303)


@requires(*EDITORS)
async def share(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    post_id, url = form_field(form, "post"), form_field(form, "url").strip()
    try:
        if post_id:
            await s.board.share(post_id)
        else:
            obj, author = await fetch_post(s.resolver, url)
            await s.board.share_fetched(obj, author)
    except (LookupFailed, NotShareable):
        flash(request, N_("This post cannot be shared. Only public posts that still exist can."))
        return RedirectResponse("/staff/network", status_code=303)
    flash(request, N_("Shared. The notice is on the board and goes to the followers."))
    return RedirectResponse("/staff/network", status_code=303)


@requires(*EDITORS)
async def unshare(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    notice_id = await s.board.shared_notice_for(form_field(form, "url").strip())
    if notice_id is None or not await s.board.delete_notice(notice_id):
        flash(request, N_("The board does not share this post."))
    else:
        flash(request, N_("No longer shared."))
    return RedirectResponse("/staff/network", status_code=303)


@requires(*EDITORS)
async def add_rule(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    source, kind = form_field(form, "source"), form_field(form, "kind") or None
    cap = form_field(form, "daily_cap")
    following = {
        r["actor_id"] for r in await fedstore.list_following(s.board.db, s.board.urls.actor)
    }
    if (source and source not in following) or not cap.isdigit() or len(cap) > 4:
        flash(request, N_("Please choose a partner the board follows and a daily number."))
        return RedirectResponse("/staff/network", status_code=303)
    try:
        await s.board.add_share_rule(source or None, kind, int(cap))
    except NotShareable:
        flash(request, N_("Please choose a partner the board follows and a daily number."))
        return RedirectResponse("/staff/network", status_code=303)
    flash(request, N_("The rule is saved."))
    return RedirectResponse("/staff/network", status_code=303)


@requires(*EDITORS)
async def remove_rule(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    rule = form_field(form, "rule")
    removed = rule.isdigit() and len(rule) <= 18 and await s.board.remove_share_rule(int(rule))
    flash(request, N_("The rule is removed.") if removed else N_("There is no such rule."))
    return RedirectResponse("/staff/network", status_code=303)


routes = [
    Route("/network", public_network),
    Route("/staff/network", staff_network),
    Route("/staff/network/follow", follow, methods=["POST"]),
    Route("/staff/network/share", share, methods=["POST"]),
    Route("/staff/network/unshare", unshare, methods=["POST"]),
    Route("/staff/network/rules", add_rule, methods=["POST"]),
    Route("/staff/network/rules/remove", remove_rule, methods=["POST"]),
]
