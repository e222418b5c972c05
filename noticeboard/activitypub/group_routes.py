"""ActivityPub endpoints of the board's groups: each group's actor, inbox, outbox, followers
and the Events of its meetings."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from federation.database import Row
from federation.vocab import ordered_collection
from noticeboard.activitypub import routes as board_routes
from noticeboard.continuity import queries as continuity
from noticeboard.groups import objects
from noticeboard.groups import queries as groups
from noticeboard.groups.forms import next_meetings
from noticeboard.runtime import runtime
from noticeboard.web.rendering import activity_json, wants_activity_json

PAGE_SIZE = board_routes.PAGE_SIZE


def _text(status: int, reason: str) -> Response:
    return PlainTextResponse(reason, status_code=status)


async def _group(request: Request) -> Row | None:
    handle = str(request.path_params["handle"]).lower()
    return await groups.group_row(runtime(request).state, handle)


async def actor(request: Request) -> Response:
    state = runtime(request).state
    row = await _group(request)
    if row is None:
        return _text(404, "no such group")
    if not wants_activity_json(request):
        return RedirectResponse(state.urls.group_page(row["handle"]), status_code=303)
    pem = await groups.public_key(state, row["actor_id"])
    if pem is None:
        return _text(404, "no such group")
    closed = (await continuity.status(state)).closed
    if closed is not None:
        closing = objects.closing_group_document(row, pem)
        delete_id = closed.group_deletes.get(row["actor_id"])
        return await board_routes.closed_actor(state, row["actor_id"], delete_id, closing)
    return activity_json(objects.group_actor_document(row, state.urls, pem))


async def inbox(request: Request) -> Response:
    if await _group(request) is None:
        return _text(404, "no such group")
    return await board_routes.inbox(request)


async def outbox(request: Request) -> Response:
    state = runtime(request).state
    row = await _group(request)
    if row is None:
        return _text(404, "no such group")
    url = f"{row['actor_id']}/outbox"
    total = await groups.outbox_count(state, row["actor_id"])
    if "page" not in request.query_params:
        return activity_json(ordered_collection(url, total, first=f"{url}?page=true"))
    before = request.query_params.get("before")
    rows = await groups.outbox_page(state, row["actor_id"], before, PAGE_SIZE)
    items = [{k: v for k, v in json.loads(r["body"]).items() if k != "@context"} for r in rows]
    return board_routes._page(request, url, items, [r["published"] for r in rows])


async def followers(request: Request) -> Response:
    """How many members a group has; who they are is for the group's leader only."""
    state = runtime(request).state
    row = await _group(request)
    if row is None:
        return _text(404, "no such group")
    total = (await groups.get_group(state, row["handle"])).members  # type: ignore[union-attr]
    return activity_json(ordered_collection(f"{row['actor_id']}/followers", total))


async def meeting(request: Request) -> Response:
    """One meeting as an Event: the announced one, or one of the next few."""
    state = runtime(request).state
    row = await _group(request)
    if row is None:
        return _text(404, "no such group")
    day = str(request.path_params["day"])
    zone = ZoneInfo(state.config.timezone)
    first = row["first_meeting"]
    start_of_day = _start_of(day, zone)
    if first is None or start_of_day is None:
        return _text(404, "no such meeting")
    for moment in next_meetings(first, row["repeat_rule"], start_of_day, state.config.timezone, 1):
        if moment.date().isoformat() == day:
            return activity_json(objects.meeting_event(row, state.urls, moment))
    return _text(404, "no such meeting")


def _start_of(day: str, zone: ZoneInfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(day)
    except ValueError:
        return None
    if len(day) != 10 or not 1900 <= moment.year < 3000:
        return None
    return moment.replace(tzinfo=zone)


routes = [
    Route("/groups/{handle}", actor),
    Route("/groups/{handle}/inbox", inbox, methods=["POST"]),
    Route("/groups/{handle}/outbox", outbox),
    Route("/groups/{handle}/followers", followers),
    Route("/groups/{handle}/meetings/{day}", meeting),
]
