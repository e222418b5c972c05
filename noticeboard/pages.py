"""Public pages: the board, one notice, the profile; readable without JavaScript."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from federation import store as fedstore
from noticeboard import store
from noticeboard.activitypub import PROFILE_FIELD_LABELS, notice_to_note
from noticeboard.i18n import N_
from noticeboard.rendering import activity_json, wants_activity_json
from noticeboard.services import Services
from noticeboard.views import notice_view

PAGE_SIZE = 20


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def home(request: Request) -> Response:
    s = services(request)
    board = s.board
    if wants_activity_json(request):
        return await _actor_redirect(request)
    before = request.query_params.get("before")
    if before is not None and not _is_cursor(before):
        return s.renderer.error(request, 400, N_("This page link is not valid."))
    rows = await store.list_notices(board.db, before=before, limit=PAGE_SIZE + 1)
    notices = [notice_view(r, board.urls) for r in rows[:PAGE_SIZE]]
    next_url = None
    if len(rows) > PAGE_SIZE:
        next_url = "/?" + urlencode({"before": rows[PAGE_SIZE - 1]["published"]})
    return s.renderer.page(
        request, "home.html", notices=notices, next_url=next_url, ap_alternate=board.urls.actor
    )


async def _actor_redirect(request: Request) -> Response:
    board = services(request).board
    return Response(status_code=303, headers={"Location": board.urls.actor, "Vary": "Accept"})


def _is_cursor(value: str) -> bool:
    return len(value) == 27 and value[4] == "-" and value.endswith("Z")


async def notice(request: Request) -> Response:
    s = services(request)
    row = await store.get_notice_by_id(s.board.db, request.path_params["notice_id"])
    if row is None:
        if wants_activity_json(request):
            return PlainTextResponse("no such notice", status_code=404)
        return s.renderer.error(request, 404, N_("This notice does not exist (any more)."))
    if wants_activity_json(request):
        return activity_json(notice_to_note(row, s.board.urls))
    view = notice_view(row, s.board.urls)
    return s.renderer.page(
        request, "notice.html", notice=view, page_title=view.title, ap_alternate=view.url
    )


async def profile(request: Request) -> Response:
    s = services(request)
    board = s.board
    fields = [(PROFILE_FIELD_LABELS[k], v) for k, v in board.config.contact.as_dict().items()]
    return s.renderer.page(
        request,
        "profile.html",
        follower_count=await fedstore.count_followers(board.db, board.urls.actor),
        fields=fields,
        ap_alternate=board.urls.actor,
        page_title=board.config.name,
    )


async def healthz(request: Request) -> Response:
    await services(request).board.db.fetchone("SELECT 1")
    return PlainTextResponse("ok")


routes = [
    Route("/", home),
    Route("/about", profile),
    Route("/notices/{notice_id:int}", notice),
    Route("/healthz", healthz),
]
