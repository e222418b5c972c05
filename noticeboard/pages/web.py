"""Public pages: the board, one notice, the profile; readable without JavaScript."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

import noticeboard.web.convertors  # noqa: F401  (registers the 'rowid' path type)
from federation.database import Row
from noticeboard.activitypub.documents import PROFILE_FIELD_LABELS
from noticeboard.groups import queries as groups
from noticeboard.i18n import N_
from noticeboard.network import queries as network
from noticeboard.notices import queries as notices
from noticeboard.notices.images import is_media_name
from noticeboard.notices.kinds import KINDS, get_kind, is_kind
from noticeboard.notices.objects import is_gone_for_federation, tombstone
from noticeboard.notices.polls import MAX_OPTIONS
from noticeboard.pages.calendar import events_calendar
from noticeboard.pages.feeds import atom_feed
from noticeboard.pages.search import day_bounds, fts_query
from noticeboard.pages.views import (
    NoticeView,
    in_language,
    notice_view,
    reply_view,
    with_languages,
    with_reactions,
)
from noticeboard.participation import queries as participation
from noticeboard.participation.votes import vote_on_web
from noticeboard.runtime import runtime
from noticeboard.state import BoardState
from noticeboard.web.guard import current_user
from noticeboard.web.pagecache import shareable
from noticeboard.web.rendering import (
    activity_json,
    chosen_language,
    language_of,
    wants_activity_json,
)

PAGE_SIZE = 20


async def home(request: Request) -> Response:
    rt = runtime(request)
    state = rt.state
    if wants_activity_json(request):
        return await _actor_redirect(request)
    before = request.query_params.get("before")
    kind = request.query_params.get("type") or None
    if (before is not None and not _is_cursor(before)) or (kind and not is_kind(kind)):
        return rt.renderer.error(request, 400, N_("This page link is not valid."))
    rows = await notices.list_current(state, before=before, limit=PAGE_SIZE + 1, kind=kind)
    pinned = [] if before else await notices.list_pinned(state)
    pinned = [r for r in pinned if not kind or r["kind"] == kind]
    pinned_ids = {r["id"] for r in pinned}
    listed = pinned + [r for r in rows[:PAGE_SIZE] if r["id"] not in pinned_ids]
    next_url = None
    if len(rows) > PAGE_SIZE:
        query = {"before": rows[PAGE_SIZE - 1]["published"], **({"type": kind} if kind else {})}
        next_url = "/?" + urlencode(query)
    return rt.renderer.page(
        request,
        "home.html",
        notices=await _views(state, listed),
        next_url=next_url,
        kinds=KINDS,
        current_kind=kind,
        feed_url=f"/feed/{kind}.atom" if kind else "/feed.atom",
        ap_alternate=state.urls.actor,
        groups=[] if before or kind else await groups.list_groups(state),
    )


async def archive(request: Request) -> Response:
    rt = runtime(request)
    state = rt.state
    before = request.query_params.get("before")
    if before is not None and not _is_cursor(before):
        return rt.renderer.error(request, 400, N_("This page link is not valid."))
    rows = await notices.list_archived(state, before=before, limit=PAGE_SIZE + 1)
    next_url = None
    if len(rows) > PAGE_SIZE:
        next_url = "/archive?" + urlencode({"before": rows[PAGE_SIZE - 1]["published"]})
    return rt.renderer.page(
        request,
        "archive.html",
        notices=await _views(state, rows[:PAGE_SIZE]),
        next_url=next_url,
        page_title=N_("Archive"),
    )


async def _views(state: BoardState, rows: list[Row]) -> list[NoticeView]:
    ids = [r["id"] for r in rows]
    now = state.clock()
    images = await notices.images_of(state, ids)
    reactions, replies = await participation.reaction_counts(state, ids)
    languages = await notices.translation_languages(state, ids)
    return [
        with_languages(
            with_reactions(
                notice_view(r, state.urls, now=now, images=images.get(r["id"], [])),
                reactions.get(r["id"]),
                replies.get(r["id"], 0),
            ),
            languages.get(r["id"], []),
        )
        for r in rows
    ]


async def _actor_redirect(request: Request) -> Response:
    state = runtime(request).state
    return Response(status_code=303, headers={"Location": state.urls.actor, "Vary": "Accept"})


def _is_cursor(value: str) -> bool:
    return len(value) == 27 and value[4] == "-" and value.endswith("Z")


async def notice(request: Request) -> Response:
    rt = runtime(request)
    state = rt.state
    row = await notices.get_notice_including_deleted(state, request.path_params["notice_id"])
    if row is None:
        if wants_activity_json(request):
            return PlainTextResponse("no such notice", status_code=404)
        return rt.renderer.error(request, 404, N_("This notice does not exist (any more)."))
    if wants_activity_json(request) and is_gone_for_federation(row, state.config):
        return activity_json(tombstone(row, state.urls), status=410)
    if row["deleted"]:
        return rt.renderer.error(request, 410, N_("This notice has been deleted."))
    if wants_activity_json(request) and row["origin"] == "shared":
        # Not ours: the fediverse reads the original at its origin.
        return Response(status_code=303, headers={"Location": row["origin_id"], "Vary": "Accept"})
    if wants_activity_json(request):
        return activity_json(await notices.served_object(state, row))
    (view,) = await _views(state, [row])
    view = in_language(
        view,
        row["lang"] or state.config.language,
        await notices.translations(state, row["id"]),
        request.query_params.get("text") or chosen_language(request),
        ",".join(filter(None, (request.headers.get("accept-language"), language_of(request)))),
    )
    local_poll = row["kind"] == "poll" and row["origin"] != "shared"  # a shared one is voted on
    poll = await notices.poll_of(state, row) if local_poll else None  # at its origin
    return rt.renderer.page(
        request,
        "notice.html",
        notice=view,
        poll=poll,
        replies=[reply_view(r) for r in await participation.replies_to(state, row["id"])],
        reply_policy=await participation.reply_policy(state),
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
    rt = runtime(request)
    state = rt.state
    notice_id = request.path_params["notice_id"]
    row = await notices.get_notice(state, notice_id)
    if row is None or row["kind"] != "poll":
        return rt.renderer.error(request, 404, N_("This notice does not exist (any more)."))
    origin = request.headers.get("origin")
    if origin is not None and origin != state.urls.base:
        return rt.renderer.error(request, 403, N_("Votes can only be given on this board's page."))
    retry = rt.limits.vote.hit(request.client.host if request.client else "?")
    if retry is not None:
        response = rt.renderer.error(request, 429, N_("Too many votes from here. Please wait."))
        response.headers["Retry-After"] = str(int(retry) + 1)
        return response
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > VOTE_FORM_LIMIT:
        return rt.renderer.error(request, 413, N_("The form is too large."))
    form = await request.form(max_files=0, max_fields=MAX_OPTIONS + 4, max_part_size=4096)
    positions = [int(v) for v in form.getlist("option") if isinstance(v, str) and v.isdigit()]
    code = form.get("code")
    outcome, voter_cookie = await vote_on_web(
        state,
        row,
        positions,
        code if isinstance(code, str) else "",
        request.cookies.get(VOTER_COOKIE),
    )
    response = RedirectResponse(f"/notices/{notice_id}?vote={outcome}#poll", status_code=303)
    if voter_cookie:
        response.set_cookie(
            VOTER_COOKIE,
            voter_cookie,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=state.config.scheme == "https",
        )
    return response


async def profile(request: Request) -> Response:
    rt = runtime(request)
    state = rt.state
    fields = [(PROFILE_FIELD_LABELS[k], v) for k, v in state.config.contact.as_dict().items()]
    return rt.renderer.page(
        request,
        "profile.html",
        follower_count=await network.count_followers(state),
        fields=fields,
        ap_alternate=state.urls.actor,
        page_title=state.config.name,
    )


async def feed(request: Request) -> Response:
    rt = runtime(request)
    state = rt.state
    kind_id = request.path_params.get("kind")
    if kind_id is not None and not is_kind(kind_id):
        return PlainTextResponse("no such kind of notice", status_code=404)
    rows = await notices.list_current(state, before=None, limit=50, kind=kind_id)
    path = f"/feed/{kind_id}.atom" if kind_id else "/feed.atom"
    body = atom_feed(
        rows,
        state.config,
        state.urls,
        kind=get_kind(kind_id) if kind_id else None,
        self_url=state.urls.base + path,
    )
    return shareable(Response(body, media_type="application/atom+xml; charset=utf-8"))


async def search(request: Request) -> Response:
    rt = runtime(request)
    state = rt.state
    params = request.query_params
    text = params.get("q", "")[:200]
    kind = params.get("type") or None
    if kind and not is_kind(kind):
        return rt.renderer.error(request, 400, N_("This page link is not valid."))
    query = fts_query(text)
    rows = []
    if query:
        rows = await notices.search(
            state,
            query,
            kind=kind,
            since=day_bounds(params.get("from"), state.config.timezone, end=False),
            until=day_bounds(params.get("to"), state.config.timezone, end=True),
        )
    return rt.renderer.page(
        request,
        "search.html",
        notices=await _views(state, rows),
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
    rt = runtime(request)
    state = rt.state
    rows = await notices.list_upcoming_events(state)
    return rt.renderer.page(
        request,
        "events.html",
        notices=await _views(state, rows),
        groups=[g for g in await groups.list_groups(state) if g.next_meetings],
        page_title=N_("Upcoming events"),
    )


async def calendar(request: Request) -> Response:
    state = runtime(request).state
    rows = await notices.list_upcoming_events(state, state.clock() - CALENDAR_PAST, limit=500)
    body = events_calendar(
        rows,
        state.config,
        state.urls,
        name=state.config.name,
        groups=await groups.list_groups(state),
    )
    return _ics(body, "aushang.ics")


async def notice_ics(request: Request) -> Response:
    state = runtime(request).state
    row = await notices.get_notice(state, request.path_params["notice_id"])
    if row is None or row["kind"] != "event" or not row["event_start"]:
        return PlainTextResponse("no such event", status_code=404)
    body = events_calendar([row], state.config, state.urls, name=row["title"])
    return _ics(body, f"termin-{row['id']}.ics")


def _ics(body: bytes, filename: str) -> Response:
    return shareable(
        Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )
    )


CALENDAR_PAST = timedelta(days=30)  # recent events stay in subscribed calendars for a while


async def media(request: Request) -> Response:
    """Serve a stored picture or one of its smaller copies, or a group's picture: only
    generated names, only files that belong to a notice or a group. Their names never change,
    so browsers keep them for a year."""
    state = runtime(request).state
    name = request.path_params["name"]
    media_type = await notices.media_type_of(state, name) if is_media_name(name) else None
    if media_type is None and is_media_name(name):
        media_type = await groups.picture_type(state, name)
    path = state.config.data_dir / "media" / name
    if media_type is None or not path.is_file():
        return PlainTextResponse("no such picture", status_code=404)
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


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
]
