"""Public pages: the board, one notice, the profile; readable without JavaScript."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

import noticeboard.convertors  # noqa: F401  (registers the 'rowid' path type)
from federation import store as fedstore
from federation.database import Row
from noticeboard import store, store_participation, store_polls
from noticeboard.activitypub import PROFILE_FIELD_LABELS
from noticeboard.board import Board
from noticeboard.calendar import events_calendar
from noticeboard.feeds import atom_feed
from noticeboard.i18n import N_
from noticeboard.kinds import KINDS, get_kind, is_kind
from noticeboard.media import is_media_name
from noticeboard.moderation import reply_policy
from noticeboard.notes import is_gone_for_federation, tombstone
from noticeboard.polls import MAX_OPTIONS, count_vote, poll_state
from noticeboard.rendering import activity_json, wants_activity_json
from noticeboard.search import day_bounds, fts_query
from noticeboard.services import Services
from noticeboard.staffauth import current_user
from noticeboard.views import NoticeView, in_language, notice_view, reply_view, with_reactions

PAGE_SIZE = 20


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def home(request: Request) -> Response:
    s = services(request)
    board = s.board
    if wants_activity_json(request):
        return await _actor_redirect(request)
    before = request.query_params.get("before")
    kind = request.query_params.get("type") or None
    if (before is not None and not _is_cursor(before)) or (kind and not is_kind(kind)):
        return s.renderer.error(request, 400, N_("This page link is not valid."))
    now = board.clock()
    rows = await store.list_notices(
        board.db, before=before, limit=PAGE_SIZE + 1, now=now, kind=kind
    )
    pinned = [] if before else await store.list_pinned_notices(board.db, now)
    pinned = [r for r in pinned if not kind or r["kind"] == kind]
    pinned_ids = {r["id"] for r in pinned}
    listed = pinned + [r for r in rows[:PAGE_SIZE] if r["id"] not in pinned_ids]
    notices = await _views(board, listed, now)
    next_url = None
    if len(rows) > PAGE_SIZE:
        query = {"before": rows[PAGE_SIZE - 1]["published"], **({"type": kind} if kind else {})}
        next_url = "/?" + urlencode(query)
    return s.renderer.page(
        request,
        "home.html",
        notices=notices,
        next_url=next_url,
        kinds=KINDS,
        current_kind=kind,
        feed_url=f"/feed/{kind}.atom" if kind else "/feed.atom",
        ap_alternate=board.urls.actor,
    )


async def archive(request: Request) -> Response:
    s = services(request)
    board = s.board
    before = request.query_params.get("before")
    if before is not None and not _is_cursor(before):
        return s.renderer.error(request, 400, N_("This page link is not valid."))
    now = board.clock()
    rows = await store.list_archived_notices(board.db, before=before, limit=PAGE_SIZE + 1, now=now)
    next_url = None
    if len(rows) > PAGE_SIZE:
        next_url = "/archive?" + urlencode({"before": rows[PAGE_SIZE - 1]["published"]})
    return s.renderer.page(
        request,
        "archive.html",
        notices=await _views(board, rows[:PAGE_SIZE], now),
        next_url=next_url,
        page_title=N_("Archive"),
    )


async def _views(board: Board, rows: list[Row], now: datetime) -> list[NoticeView]:
    ids = [r["id"] for r in rows]
    images = await store.list_images(board.db, ids)
    reactions = await store_participation.count_reactions(board.db, ids)
    replies = await store_participation.count_replies(board.db, ids)
    return [
        with_reactions(
            notice_view(r, board.urls, now=now, images=images.get(r["id"], [])),
            reactions.get(r["id"]),
            replies.get(r["id"], 0),
        )
        for r in rows
    ]


async def _actor_redirect(request: Request) -> Response:
    board = services(request).board
    return Response(status_code=303, headers={"Location": board.urls.actor, "Vary": "Accept"})


def _is_cursor(value: str) -> bool:
    return len(value) == 27 and value[4] == "-" and value.endswith("Z")


async def notice(request: Request) -> Response:
    s = services(request)
    row = await store.get_notice_including_deleted(s.board.db, request.path_params["notice_id"])
    if row is None:
        if wants_activity_json(request):
            return PlainTextResponse("no such notice", status_code=404)
        return s.renderer.error(request, 404, N_("This notice does not exist (any more)."))
    if wants_activity_json(request) and is_gone_for_federation(row, s.board.config):
        return activity_json(tombstone(row, s.board.urls), status=410)
    if row["deleted"]:
        return s.renderer.error(request, 410, N_("This notice has been deleted."))
    if wants_activity_json(request) and row["origin"] == "shared":
        # Not ours: the fediverse reads the original at its origin.
        return Response(status_code=303, headers={"Location": row["origin_id"], "Vary": "Accept"})
    if wants_activity_json(request):
        return activity_json(await s.board.served_object(row))
    now = s.board.clock()
    (view,) = await _views(s.board, [row], now)
    view = in_language(
        view,
        row["lang"] or s.board.config.language,
        await store.list_translations(s.board.db, row["id"]),
        request.query_params.get("text"),
        request.headers.get("accept-language"),
    )
    local_poll = row["kind"] == "poll" and row["origin"] != "shared"  # a shared one is voted on
    poll = await poll_state(s.board.db, row, now) if local_poll else None  # at its origin
    return s.renderer.page(
        request,
        "notice.html",
        notice=view,
        poll=poll,
        replies=[
            reply_view(r) for r in await store_participation.list_replies(s.board.db, row["id"])
        ],
        reply_policy=await reply_policy(s.board.db),
        user=await current_user(request),  # signed-in staff also see the recorded consent
        vote_message=VOTE_MESSAGES.get(request.query_params.get("vote", "")),
        page_title=view.title,
        ap_alternate=view.url,
    )


VOTE_MESSAGES = {
    "counted": N_("Thank you! Your vote has been counted."),
    "already": N_("You have already voted in this poll."),
    "closed": N_("This poll is closed."),
    "code": N_("This code is not valid or has already been used."),
    "choice": N_("Please choose an answer."),
}
VOTER_COOKIE = "aushang_voter"
VOTE_FORM_LIMIT = 8192


async def vote(request: Request) -> Response:
    """A vote from the web page: one per browser, or one per participation code."""
    s = services(request)
    board = s.board
    notice_id = request.path_params["notice_id"]
    row = await store.get_notice_by_id(board.db, notice_id)
    if row is None or row["kind"] != "poll":
        return s.renderer.error(request, 404, N_("This notice does not exist (any more)."))
    origin = request.headers.get("origin")
    if origin is not None and origin != board.urls.base:
        return s.renderer.error(request, 403, N_("Votes can only be given on this board's page."))
    retry = s.vote_limiter.hit(request.client.host if request.client else "?")
    if retry is not None:
        response = s.renderer.error(request, 429, N_("Too many votes from here. Please wait."))
        response.headers["Retry-After"] = str(int(retry) + 1)
        return response
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > VOTE_FORM_LIMIT:
        return s.renderer.error(request, 413, N_("The form is too large."))
    form = await request.form(max_files=0, max_fields=MAX_OPTIONS + 4, max_part_size=4096)
    positions = [int(v) for v in form.getlist("option") if isinstance(v, str) and v.isdigit()]
    outcome, voter_cookie = await _cast_vote(board, row, positions, form.get("code"), request)
    response = RedirectResponse(f"/notices/{notice_id}?vote={outcome}#poll", status_code=303)
    if voter_cookie:
        response.set_cookie(
            VOTER_COOKIE,
            voter_cookie,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=board.config.scheme == "https",
        )
    return response


async def _cast_vote(
    board: Board, row: Row, positions: list[int], code: object, request: Request
) -> tuple[str, str | None]:
    now = board.clock()
    state = await poll_state(board.db, row, now)
    if state.closed:
        return "closed", None
    if not positions or any(p >= len(state.options) for p in positions):
        return "choice", None
    cookie = None
    async with board.db.transaction() as conn:
        if state.web_votes == "code":
            code_text = code.strip().lower() if isinstance(code, str) else ""
            if not await store_polls.use_code(conn, row["id"], code_text, now):
                return "code", None
            voter = f"code:{code_text}"
        else:
            cookie = request.cookies.get(VOTER_COOKIE) or secrets.token_urlsafe(16)
            voter = f"web:{cookie[:64]}"
        counted = await count_vote(conn, row, positions, voter, None, now)
    return ("counted" if counted else "already"), cookie


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


async def feed(request: Request) -> Response:
    s = services(request)
    board = s.board
    kind_id = request.path_params.get("kind")
    if kind_id is not None and not is_kind(kind_id):
        return PlainTextResponse("no such kind of notice", status_code=404)
    rows = await store.list_notices(
        board.db, before=None, limit=50, now=board.clock(), kind=kind_id
    )
    path = f"/feed/{kind_id}.atom" if kind_id else "/feed.atom"
    body = atom_feed(
        rows,
        board.config,
        board.urls,
        kind=get_kind(kind_id) if kind_id else None,
        self_url=board.urls.base + path,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


async def search(request: Request) -> Response:
    s = services(request)
    board = s.board
    params = request.query_params
    text = params.get("q", "")[:200]
    kind = params.get("type") or None
    if kind and not is_kind(kind):
        return s.renderer.error(request, 400, N_("This page link is not valid."))
    query = fts_query(text)
    rows = []
    if query:
        rows = await store.search_notices(
            board.db,
            query,
            kind=kind,
            since=day_bounds(params.get("from"), board.config.timezone, end=False),
            until=day_bounds(params.get("to"), board.config.timezone, end=True),
        )
    return s.renderer.page(
        request,
        "search.html",
        notices=await _views(board, rows, board.clock()),
        searched=bool(query),
        form={
            "q": text,
            "type": kind or "",
            "from": params.get("from", ""),
            "to": params.get("to", ""),
        },
        kinds=KINDS,
        page_title=N_("Search"),
    )


async def events(request: Request) -> Response:
    s = services(request)
    now = s.board.clock()
    rows = await store.list_upcoming_events(s.board.db, now)
    return s.renderer.page(
        request,
        "events.html",
        notices=await _views(s.board, rows, now),
        page_title=N_("Upcoming events"),
    )


async def calendar(request: Request) -> Response:
    board = services(request).board
    rows = await store.list_upcoming_events(board.db, board.clock() - CALENDAR_PAST, limit=500)
    body = events_calendar(rows, board.config, board.urls, name=board.config.name)
    return _ics(body, "aushang.ics")


async def notice_ics(request: Request) -> Response:
    board = services(request).board
    row = await store.get_notice_by_id(board.db, request.path_params["notice_id"])
    if row is None or row["kind"] != "event" or not row["event_start"]:
        return PlainTextResponse("no such event", status_code=404)
    body = events_calendar([row], board.config, board.urls, name=row["title"])
    return _ics(body, f"termin-{row['id']}.ics")


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


CALENDAR_PAST = timedelta(days=30)  # recent events stay in subscribed calendars for a while


async def media(request: Request) -> Response:
    """Serve a stored picture: only generated names, only files that belong to a notice."""
    board = services(request).board
    name = request.path_params["name"]
    row = await store.get_image_by_file(board.db, name) if is_media_name(name) else None
    path = board.config.data_dir / "media" / name
    if row is None or not path.is_file():
        return PlainTextResponse("no such picture", status_code=404)
    return FileResponse(
        path,
        media_type=row["media_type"],
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


async def healthz(request: Request) -> Response:
    await services(request).board.db.fetchone("SELECT 1")
    return PlainTextResponse("ok")


routes = [
    Route("/", home),
    Route("/about", profile),
    Route("/archive", archive),
    Route("/events", events),
    Route("/search", search),
    Route("/calendar.ics", calendar),
    Route("/notices/{notice_id:rowid}.ics", notice_ics),
    Route("/notices/{notice_id:rowid}/vote", vote, methods=["POST"]),
    Route("/feed.atom", feed),
    Route("/feed/{kind}.atom", feed),
    Route("/notices/{notice_id:rowid}", notice),
    Route("/media/{name}", media),
    Route("/healthz", healthz),
]
