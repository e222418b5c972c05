"""Paper and the follow page: posters and the weekly sheet as PDF, the staff's choice for the
sheet, and the page that explains every way to get the board's news."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import noticeboard.web.convertors  # noqa: F401  (registers the 'rowid' path type)
from noticeboard.groups import queries as groups
from noticeboard.i18n import N_
from noticeboard.paper import documents, queries, service
from noticeboard.paper.forms import InvalidPaperInput, parse_day, parse_week_choice
from noticeboard.paper.ways import ways_to_follow
from noticeboard.results import Refused
from noticeboard.runtime import runtime
from noticeboard.web.guard import current_user, read_form, requires
from noticeboard.web.rendering import flash, language_of

CONTACT_MAX = 120


async def follow(request: Request) -> Response:
    rt = runtime(request)
    state = rt.state
    return rt.renderer.page(
        request,
        "follow.html",
        ways=ways_to_follow(state.config, state.urls),
        active_page="follow",
        page_title=N_("How to stay up to date"),
    )


async def notice_poster(request: Request) -> Response:
    rt = runtime(request)
    too_many = await _too_many(request)
    if too_many:
        return too_many
    contact = ""
    if await current_user(request):  # only staff may put another contact on the strips
        contact = request.query_params.get("contact", "").strip()[:CONTACT_MAX]
    notice_id = request.path_params["notice_id"]
    poster = await queries.poster(rt.state, notice_id, contact)
    if poster is None:
        return rt.renderer.error(request, 404, N_("This notice does not exist (any more)."))
    body = await documents.poster_pdf(rt.state, poster, language_of(request))
    return _pdf(body, f"aushang-{notice_id}.pdf")


async def board_poster(request: Request) -> Response:
    too_many = await _too_many(request)
    if too_many:
        return too_many
    state = runtime(request).state
    body = await documents.board_poster_pdf(state, language_of(request))
    return _pdf(body, "folgen-sie-uns.pdf")


async def group_poster(request: Request) -> Response:
    """A group's poster: when and where it meets, and a QR code to its page."""
    too_many = await _too_many(request)
    if too_many:
        return too_many
    rt = runtime(request)
    group = await groups.get_group(rt.state, str(request.path_params["handle"]).lower())
    if group is None:
        return rt.renderer.error(request, 404, N_("There is no such group."))
    body = await documents.group_poster_pdf(rt.state, group, language_of(request))
    return _pdf(body, f"gruppe-{group.handle}.pdf")


@requires("owner", "editor", "moderator")
async def paper_page(request: Request) -> Response:
    rt = runtime(request)
    try:
        day = parse_day(request.query_params.get("date"))
    except InvalidPaperInput as exc:
        return rt.renderer.error(request, 400, str(exc))
    candidates = await queries.week_candidates(rt.state, day)
    return rt.renderer.page(
        request,
        "staff/paper.html",
        candidates=candidates,
        listed=",".join(str(c.notice.id) for c in candidates),
        day=day.isoformat() if day else "",
        active_page="staff",
        page_title=N_("Paper: posters and the weekly sheet"),
    )


@requires("owner", "editor")
async def choose_week(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    listed = form.get("listed", "")
    shown = [v for v in form.getlist("show") if isinstance(v, str)]
    try:
        choice = parse_week_choice(listed if isinstance(listed, str) else "", shown)
    except InvalidPaperInput as exc:
        return rt.renderer.error(request, 400, str(exc))
    result = await service.choose_week_notices(rt.state, choice)
    if isinstance(result, Refused):
        return rt.renderer.error(request, 409, result.reason)
    flash(request, N_("Saved. Notices on the weekly sheet: %(num)s."), num=result.value)
    return RedirectResponse("/staff/paper", status_code=303)


@requires("owner", "editor", "moderator")
async def week_sheet(request: Request) -> Response:
    rt = runtime(request)
    try:
        day = parse_day(request.query_params.get("date"))
    except InvalidPaperInput as exc:
        return rt.renderer.error(request, 400, str(exc))
    sheet = await queries.week_sheet(rt.state, day)
    body = await documents.week_pdf(rt.state, sheet, language_of(request))
    return _pdf(body, f"aushang-der-woche-{sheet.day.isoformat()}.pdf")


async def _too_many(request: Request) -> Response | None:
    """Each PDF takes a moment of the processor: readers get a fair share, staff no limit."""
    rt = runtime(request)
    if await current_user(request):
        return None
    retry = rt.limits.printing.hit(request.client.host if request.client else "?")
    if retry is None:
        return None
    response = rt.renderer.error(request, 429, N_("Too many printouts from here. Please wait."))
    response.headers["Retry-After"] = str(int(retry) + 1)
    return response


def _pdf(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Vary": "Cookie"},
    )


routes = [
    Route("/follow", follow),
    Route("/follow/poster.pdf", board_poster),
    Route("/gruppen/{handle}/poster.pdf", group_poster),
    Route("/notices/{notice_id:rowid}/poster.pdf", notice_poster),
    Route("/staff/paper", paper_page),
    Route("/staff/paper/week", choose_week, methods=["POST"]),
    Route("/staff/paper/week.pdf", week_sheet),
]
