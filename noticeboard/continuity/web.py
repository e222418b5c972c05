"""A moved or closed board on the web: pages redirect to the new address (301) or say that
the board has closed (410); the owners' page to move, hand over and close the board."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from noticeboard.accounts import queries as staff_queries
from noticeboard.accounts import service as accounts
from noticeboard.continuity import queries, service
from noticeboard.continuity.queries import Moved
from noticeboard.i18n import N_
from noticeboard.network.lookup import LookupFailed, find_account
from noticeboard.results import Ok, Refused, Result
from noticeboard.runtime import Runtime, runtime
from noticeboard.web.guard import form_field, read_form, requires
from noticeboard.web.rendering import flash, wants_activity_json

# What a moved board keeps answering itself: discovery, its actor and inbox (servers follow
# the move through them), the staff's pages and the files other servers' copies point to.
KEPT = (
    "/.well-known/",
    "/nodeinfo",
    "/actor",
    "/inbox",
    "/activities/",
    "/staff",
    "/login",
    "/logout",
    "/invitation",
    "/static/",
    "/media/",
    "/healthz",
)
# Pages every board has at the same path: a moved board sends them to the same page there.
BOARD_PAGES = frozenset(
    ["/", "/about", "/archive", "/events", "/network", "/submit", "/privacy", "/search"]
    + ["/impressum", "/imprint", "/datenschutz", "/hilfe", "/help"]
    + ["/calendar.ics", "/feed.atom"]
)


class MovedOrClosed:
    """Redirect a moved board's pages to its new address; answer a closed board's pages with
    410 and where its archive lives. ActivityPub requests pass, as do the staff's pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _may_change(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        rt: Runtime = request.app.state.runtime
        status = await queries.status(rt.state)
        if status.closed:
            response: Response = _closed_page(request, rt, status.closed.archive_url)
        elif status.moved:
            response = RedirectResponse(_new_address(status.moved, request), status_code=301)
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


def _may_change(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    path: str = scope["path"]
    if path.startswith(KEPT) or path.endswith(("/activity", "/replies")):
        return False
    return not wants_activity_json(Request(scope))


def _new_address(moved: Moved, request: Request) -> str:
    home = moved.home
    path = request.url.path
    if path in BOARD_PAGES and home.count("/") == 3 and home.endswith("/"):
        return home.rstrip("/") + path
    return home


def _closed_page(request: Request, rt: Runtime, archive_url: str | None) -> Response:
    return rt.renderer.page(
        request,
        "closed.html",
        status_code=410,
        archive_url=archive_url,
        page_title=N_("This board has closed"),
    )


# --- the owners' page ----------------------------------------------------------------------


@requires("owner")
async def continuity_page(request: Request) -> Response:
    rt = runtime(request)
    status = await queries.status(rt.state)
    closing = None
    if status.closed:
        closing = await queries.closing_deliveries(rt.state, status.closed)
    return rt.renderer.page(
        request,
        "staff/continuity.html",
        status=status,
        closing=closing,
        staff=[r for r in await staff_queries.list_staff(rt.state) if r["active"]],
        page_title=N_("Moving, hand-over and closing"),
    )


ACTIONS = ("prepare", "forget", "move", "transfer", "close")


@requires("owner")
async def continuity_action(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)  # the CSRF check comes first, as on every staff form
    action = request.path_params["action"]
    if action not in ACTIONS:
        return rt.renderer.error(request, 404, N_("This page does not exist."))
    result = await _act(rt, action, {k: form_field(form, k) for k in FIELDS})
    flash(request, DONE[action] if isinstance(result, Ok) else result.reason)
    if action == "transfer" and isinstance(result, Ok):
        return RedirectResponse("/staff", status_code=303)  # no longer an owner's page
    return RedirectResponse("/staff/continuity", status_code=303)


FIELDS = ("account", "username", "archive_url", "message", "confirm")
DONE = {
    "prepare": N_("The board now names its earlier address. Move the old board now."),
    "forget": N_("The earlier address is no longer named."),
    "move": N_("The board has moved. Its followers are told now."),
    "transfer": N_("The board has a new owner."),
    "close": N_("The board has closed. Its followers are told now."),
}


async def _act(rt: Runtime, action: str, form: dict[str, str]) -> Result[object]:
    state = rt.state
    if action == "transfer":
        return await accounts.transfer_owner(state, form["username"])
    if action == "close":
        if form["confirm"].strip().lower() != state.config.username:
            return Refused(N_("Please type the board's name to confirm."))
        message = form["message"].strip() or None
        return await service.close(state, form["archive_url"].strip() or None, message)
    if action == "forget":
        return await service.forget_alias(state, form["account"])
    try:
        actor = await find_account(rt.resolver, rt.client, form["account"])
    except LookupFailed as exc:
        return Refused(exc.reason)
    if action == "prepare":
        return await service.prepare_move(state, actor)
    return await service.move_to(state, actor)


routes = [
    Route("/staff/continuity", continuity_page),
    Route("/staff/continuity/{action:str}", continuity_action, methods=["POST"]),
]
