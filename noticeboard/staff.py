"""Staff pages: sign in, the overview, follow requests, and what could not be delivered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import noticeboard.convertors  # noqa: F401  (registers the 'rowid' path type)
from federation import queue_store
from federation import store as fedstore
from federation.database import from_db_time
from noticeboard import (
    auth,
    network,
    staff_accounts,
    staff_moderation,
    staff_notices,
    store,
    store_participation,
)
from noticeboard.i18n import N_
from noticeboard.rendering import flash
from noticeboard.services import Services
from noticeboard.staffauth import form_field, read_form, requires, services
from noticeboard.views import FollowRequestView, notice_view

Endpoint = Callable[[Request], Awaitable[Response]]


def _safe_next(value: str) -> str:
    return (
        value
        if value.startswith("/") and not value.startswith("//") and "\\" not in value
        else "/staff"
    )


async def login(request: Request) -> Response:
    s = services(request)
    if request.method == "GET":
        return s.renderer.page(request, "login.html", page_title="Login", error=None, username="")
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    ip = request.client.host if request.client else "?"
    retry = s.login_limiter.hit(ip)
    if retry is not None:
        response = s.renderer.error(
            request, 429, N_("Too many sign-in attempts. Please wait a few minutes and try again.")
        )
        response.headers["Retry-After"] = str(int(retry) + 1)
        return response
    username, password = form_field(form, "username").strip().lower(), form_field(form, "password")
    row = await store.get_staff_by_username(s.board.db, username)
    if row is None or not row["active"] or not auth.verify_password(password, row["password_hash"]):
        return s.renderer.page(
            request,
            "login.html",
            status_code=400,
            error=N_("Wrong user name or password."),
            username=username,
            next=form_field(form, "next"),
        )
    request.session.clear()
    request.session["staff_id"] = row["id"]
    request.session["csrf"] = auth.new_csrf_token()
    return RedirectResponse(_safe_next(form_field(form, "next")), status_code=303)


async def logout(request: Request) -> Response:
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@requires("owner", "editor", "moderator")
async def dashboard(request: Request) -> Response:
    s = services(request)
    board = s.board
    rows = await store.list_notices(board.db, before=None, limit=50)
    counts = await queue_store.delivery_counts(
        board.db, [r["create_activity_id"] for r in rows if r["create_activity_id"]]
    )
    notices = [notice_view(r, board.urls, counts.get(r["create_activity_id"])) for r in rows]
    pending = await fedstore.list_followers(
        board.db, board.urls.actor, state="pending", before=None, limit=100
    )
    return s.renderer.page(
        request,
        "staff/dashboard.html",
        notices=notices,
        follower_count=await fedstore.count_followers(board.db, board.urls.actor),
        pending_follows=[await _request_view(s, r) for r in pending],
        queue_count=await store_participation.count_pending_items(board.db),
        page_title="Management",
    )


async def _request_view(s: Services, row: Any) -> FollowRequestView:
    actor = await fedstore.get_remote_actor(s.board.db, row["actor_id"])
    handle = (
        f"@{actor.preferred_username}@{actor.host}" if actor and actor.preferred_username else None
    )
    return FollowRequestView(row["rowid"], row["actor_id"], handle, from_db_time(row["created"]))


@requires("owner", "moderator")
async def follow_decision(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    row = await fedstore.get_follower_by_rowid(s.board.db, request.path_params["row"])
    if row is None or request.path_params["decision"] not in ("approve", "reject"):
        return s.renderer.error(request, 404, N_("This follow request does not exist (any more)."))
    if request.path_params["decision"] == "approve":
        await s.board.approve_follower(row["actor_id"])
        flash(request, N_("The follow request has been accepted."))
    else:
        await s.board.reject_follower(row["actor_id"])
        flash(request, N_("The follow request has been declined."))
    return RedirectResponse("/staff", status_code=303)


@requires("owner")
async def problems(request: Request) -> Response:
    s = services(request)
    rows = await queue_store.list_deliveries(s.board.db, ("failed", "dead"))
    deliveries = [{**dict(r), "updated": from_db_time(r["updated"])} for r in rows]
    return s.renderer.page(
        request,
        "staff/problems.html",
        deliveries=deliveries,
        inbox_failures=await queue_store.list_failed_inbox(s.board.db),
        page_title="Delivery problems",
    )


@requires("owner")
async def retry_delivery(request: Request) -> Response:
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    if await services(request).board.retry_delivery(request.path_params["delivery_id"]):
        flash(request, N_("The delivery is queued again."))
    else:
        flash(request, N_("This delivery cannot be retried."))
    return RedirectResponse("/staff/problems", status_code=303)


@requires("owner")
async def retry_inbox(request: Request) -> Response:
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    if await services(request).board.retry_inbox_activity(form_field(form, "activity_id")):
        flash(request, N_("The activity is queued for processing again."))
    return RedirectResponse("/staff/problems", status_code=303)


routes = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/staff", dashboard),
    *staff_notices.routes,
    *staff_moderation.routes,
    *staff_accounts.routes,
    *network.routes,
    Route("/staff/follows/{row:rowid}/{decision:str}", follow_decision, methods=["POST"]),
    Route("/staff/problems", problems),
    Route("/staff/problems/deliveries/{delivery_id:rowid}/retry", retry_delivery, methods=["POST"]),
    Route("/staff/problems/inbox/retry", retry_inbox, methods=["POST"]),
]
