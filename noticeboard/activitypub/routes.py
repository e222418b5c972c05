"""ActivityPub, WebFinger and NodeInfo endpoints of the board."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

import noticeboard.web.convertors  # noqa: F401  (registers the 'rowid' path type)
from federation import nodeinfo
from federation.inbox import MAX_BODY
from federation.vocab import Json, context, ordered_collection, ordered_collection_page
from federation.webfinger import WebFingerError, jrd, split_acct
from noticeboard import __version__
from noticeboard.activitypub import queries
from noticeboard.activitypub.documents import (
    actor_document,
    closing_actor_document,
    instance_actor_document,
)
from noticeboard.continuity import queries as continuity
from noticeboard.groups import queries as groups
from noticeboard.notices import queries as notices
from noticeboard.pages.web import profile
from noticeboard.participation import queries as participation
from noticeboard.runtime import runtime
from noticeboard.state import BoardState, created
from noticeboard.web.pagecache import shareable
from noticeboard.web.rendering import activity_json, jrd_json, wants_activity_json

PAGE_SIZE = 20


def _text(status: int, reason: str, **headers: str) -> Response:
    return PlainTextResponse(reason, status_code=status, headers=headers)


async def webfinger(request: Request) -> Response:
    state = runtime(request).state
    resource = request.query_params.get("resource", "")
    if not resource:
        return _text(400, "missing resource parameter")
    urls, config = state.urls, state.config
    instance_name = config.host.split(":")[0]
    by_url = {
        urls.actor: config.username,
        urls.home: config.username,
        urls.instance_actor: instance_name,
    }
    group_handle = urls.group_handle(resource)
    if group_handle is not None:
        by_url[resource] = group_handle
    if resource in by_url:
        user, host = by_url[resource], config.host
    else:
        try:
            user, host = split_acct(resource)
        except WebFingerError as exc:
            return _text(400, exc.reason)
    if host != config.host:
        return _text(404, "not a resource of this server")
    if user == config.username:
        if (await continuity.status(state)).closed:
            return _text(410, "this board has closed")
        return jrd_json(jrd(f"acct:{user}@{host}", urls.actor, urls.home))
    if user == instance_name:
        return jrd_json(jrd(f"acct:{user}@{host}", urls.instance_actor, None))
    group = await groups.group_row(state, user.lower())
    if group is not None:
        if (await continuity.status(state)).closed:
            return _text(410, "this board has closed")
        actor_id, page = group["actor_id"], urls.group_page(group["handle"])
        return jrd_json(jrd(f"acct:{group['handle']}@{host}", actor_id, page))
    return _text(404, "no such account")


async def nodeinfo_discovery(request: Request) -> Response:
    return JSONResponse(nodeinfo.discovery(runtime(request).state.config.base_url))


async def nodeinfo_document(request: Request) -> Response:
    state = runtime(request).state
    schema = request.path_params["version"]
    if schema not in nodeinfo.VERSIONS:
        return _text(404, "no such NodeInfo version")
    doc = nodeinfo.document(
        software="aushang",
        version=__version__,
        repository="https://codeberg.org/aushang/aushang",
        users=1,
        posts=await queries.count_notices(state),
        name=state.config.name,
        schema=schema,
    )
    return JSONResponse(doc, media_type=nodeinfo.content_type(schema))


async def actor(request: Request) -> Response:
    state = runtime(request).state
    if not _is_board(request):
        return _text(404, "no such actor")
    status = await continuity.status(state)
    if status.closed:
        return await _closed_actor(state, status.closed.delete_id)
    if not wants_activity_json(request):
        return await profile(request)  # the HTML face of the same URL
    pem = state.keys.public_pems[state.urls.actor]
    moved = status.moved.actor if status.moved else None
    doc = actor_document(
        state.config,
        state.urls,
        pem,
        await created(state),
        also_known_as=status.also_known_as,
        moved_to=moved,
    )
    return activity_json(doc)


async def _closed_actor(state: BoardState, delete_id: str) -> Response:
    pem = state.keys.public_pems[state.urls.actor]
    closing = closing_actor_document(state.config, state.urls, pem)
    return await closed_actor(state, state.urls.actor, delete_id, closing)


async def closed_actor(
    state: BoardState, actor_id: str, delete_id: str | None, closing: Json
) -> Response:
    """A local actor of a closed board: gone once its Delete reached everyone; until then
    `closing`, with the key, so that the Delete can be verified."""
    if delete_id is not None and await continuity.delivering(state, delete_id):
        return activity_json(closing)
    tombstone = {"@context": context(), "id": actor_id, "type": "Tombstone"}
    return activity_json(tombstone, status=410)


async def instance_actor(request: Request) -> Response:
    state = runtime(request).state
    pem = state.keys.public_pems[state.urls.instance_actor]
    return activity_json(instance_actor_document(state.config, state.urls, pem))


async def instance_outbox(request: Request) -> Response:
    state = runtime(request).state
    return activity_json(ordered_collection(f"{state.urls.instance_actor}/outbox", 0, items=[]))


async def inbox(request: Request) -> Response:
    rt = runtime(request)
    username = request.path_params.get("username")
    if username is not None and username.lower() != rt.state.config.username:
        return _text(404, "no such actor")
    retry = rt.limits.inbox.hit(request.client.host if request.client else "?")
    if retry is not None:
        return _text(429, "too many requests", **{"Retry-After": str(int(retry) + 1)})
    body = await _read_capped(request, MAX_BODY)
    if isinstance(body, Response):
        return body
    if (await continuity.status(rt.state)).closed:
        return _text(410, "this board has closed")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    result = await rt.inbox.receive(target, request.headers, body)
    return _text(result.status, result.reason)


async def _read_capped(request: Request, cap: int) -> bytes | Response:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > cap):
        return (
            _text(413, f"body larger than {cap} bytes")
            if length.isdigit()
            else _text(400, "bad Content-Length")
        )
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                return _text(413, f"body larger than {cap} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        return _text(400, "client disconnected")
    return b"".join(chunks)


async def outbox(request: Request) -> Response:
    state = runtime(request).state
    if not _is_board(request):
        return _text(404, "no such actor")
    # The outbox holds public activities only: the same answer for everyone who asks, kept by
    # the page cache until the data changes.
    if "page" not in request.query_params:
        return shareable(_first_page_link(state.urls.outbox, await queries.count_outbox(state)))
    rows = await queries.outbox_page(state, request.query_params.get("before"), PAGE_SIZE)
    items = [{k: v for k, v in json.loads(r["body"]).items() if k != "@context"} for r in rows]
    return shareable(_page(request, state.urls.outbox, items, [r["published"] for r in rows]))


async def followers(request: Request) -> Response:
    state = runtime(request).state
    if not _is_board(request):
        return _text(404, "no such actor")
    total = await queries.count_followers(state)
    if "page" not in request.query_params:
        return _first_page_link(state.urls.followers, total)
    rows = await queries.followers_page(state, request.query_params.get("before"), PAGE_SIZE)
    items = [r["actor_id"] for r in rows]
    return _page(request, state.urls.followers, items, [r["created"] for r in rows])


def _is_board(request: Request) -> bool:
    username = str(request.path_params.get("username", ""))
    return username.lower() == runtime(request).state.config.username


def _first_page_link(url: str, total: int) -> Response:
    return activity_json(ordered_collection(url, total, first=f"{url}?page=true"))


def _page(request: Request, url: str, items: list[Any], cursors: list[str]) -> Response:
    """One page of a collection, keyset-paged: the next page starts before the last item."""
    next_page = None
    if len(items) == PAGE_SIZE:
        next_page = f"{url}?{urlencode({'page': 'true', 'before': cursors[-1]})}"
    return activity_json(
        ordered_collection_page(request_url(request), url, items, next_page=next_page)
    )


async def following(request: Request) -> Response:
    state = runtime(request).state
    if not _is_board(request):
        return _text(404, "no such actor")
    items = await queries.accepted_following(state)
    # the board's own groups too, so that partner boards find them through its network
    items += [g.actor_id for g in await groups.list_groups(state)]
    return activity_json(ordered_collection(state.urls.following, len(items), items=items))


async def featured(request: Request) -> Response:
    state = runtime(request).state
    if not _is_board(request):
        return _text(404, "no such actor")
    notes = [await notices.served_object(state, r) for r in await notices.list_pinned(state)]
    for item in notes:
        item.pop("@context", None)
    return activity_json(ordered_collection(state.urls.featured, len(notes), items=notes))


async def notice_activity(request: Request) -> Response:
    state = runtime(request).state
    row = await notices.get_notice(state, request.path_params["notice_id"])
    if row is None or not row["create_activity_id"]:
        return _text(404, "no such activity")
    return await _activity_by_id(state, row["create_activity_id"])


async def notice_replies(request: Request) -> Response:
    """The shown replies to a notice (Mastodon fetches the first few of them)."""
    state = runtime(request).state
    row = await notices.get_notice(state, request.path_params["notice_id"])
    if row is None or row["origin"] == "shared":
        return _text(404, "no such notice")
    items = await queries.reply_ids(state, row["id"])
    url = f"{state.urls.notice(row['id'])}/replies"
    return activity_json(ordered_collection(url, len(items), items=items))


async def activity(request: Request) -> Response:
    state = runtime(request).state
    return await _activity_by_id(
        state, f"{state.urls.base}/activities/{request.path_params['uuid']}"
    )


async def _activity_by_id(state: BoardState, activity_id: str) -> Response:
    row = await queries.public_activity(state, activity_id)
    if row is None:
        return _text(404, "no such activity")
    return activity_json(json.loads(row["body"]))


async def reply_authorization(request: Request) -> Response:
    """A ReplyAuthorization the board gave (GoToSocial's servers fetch it to check a reply)."""
    state = runtime(request).state
    status, document = await participation.reply_authorization(state, request.path_params["token"])
    if document is None:
        reason = "authorization withdrawn" if status == 410 else "no such authorization"
        return _text(status, reason)
    return activity_json(document)


def request_url(request: Request) -> str:
    state = runtime(request).state
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{state.urls.base}{request.url.path}{query}"


routes = [
    Route("/.well-known/webfinger", webfinger),
    Route("/.well-known/nodeinfo", nodeinfo_discovery),
    Route("/nodeinfo/{version}", nodeinfo_document),
    Route("/actor", instance_actor),
    Route("/actor/inbox", inbox, methods=["POST"]),
    Route("/actor/outbox", instance_outbox),
    Route("/inbox", inbox, methods=["POST"]),
    Route("/users/{username}", actor),
    Route("/users/{username}/inbox", inbox, methods=["POST"]),
    Route("/users/{username}/outbox", outbox),
    Route("/users/{username}/followers", followers),
    Route("/users/{username}/following", following),
    Route("/users/{username}/featured", featured),
    Route("/notices/{notice_id:rowid}/activity", notice_activity),
    Route("/notices/{notice_id:rowid}/replies", notice_replies),
    Route("/activities/{uuid}", activity),
    Route("/authorizations/{token}", reply_authorization),
]
