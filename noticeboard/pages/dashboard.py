"""The staff's overview: recent notices with how far they reached, follow requests, the queue."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.database import Row, from_db_time
from noticeboard.backups import queries as backups
from noticeboard.continuity import queries as continuity
from noticeboard.network import queries as network
from noticeboard.notices import queries as notices
from noticeboard.pages.views import FollowRequestView, notice_view
from noticeboard.participation import queries as participation
from noticeboard.runtime import runtime
from noticeboard.state import BoardState
from noticeboard.web.guard import requires


@requires("owner", "editor", "moderator")
async def dashboard(request: Request) -> Response:
    rt = runtime(request)
    state = rt.state
    rows = await notices.list_recent(state, limit=50)
    counts = await network.delivery_counts(
        state, [r["create_activity_id"] for r in rows if r["create_activity_id"]]
    )
    views = [notice_view(r, state.urls, counts.get(r["create_activity_id"])) for r in rows]
    pending = await network.follow_requests(state)
    return rt.renderer.page(
        request,
        "staff/dashboard.html",
        notices=views,
        follower_count=await network.count_followers(state),
        pending_follows=[await _request_view(state, r) for r in pending],
        queue_count=await participation.count_pending(state),
        continuity=await continuity.status(state),
        backup=await backups.backup_status(state),
        page_title="Management",
    )


async def _request_view(state: BoardState, row: Row) -> FollowRequestView:
    actor = await network.remote_actor(state, row["actor_id"])
    handle = (
        f"@{actor.preferred_username}@{actor.host}" if actor and actor.preferred_username else None
    )
    return FollowRequestView(row["rowid"], row["actor_id"], handle, from_db_time(row["created"]))


routes = [Route("/staff", dashboard)]
