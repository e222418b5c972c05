"""ActivityPub, WebFinger and NodeInfo endpoints of the board."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

import noticeboard.convertors  # noqa: F401  (registers the 'rowid' path type)
from federation import nodeinfo, queue_store
from federation import store as fedstore
from federation.inbox import MAX_BODY
from federation.vocab import ordered_collection, ordered_collection_page
from federation.webfinger import WebFingerError, jrd, split_acct
from noticeboard import __version__, store, store_participation
from noticeboard.activitypub import actor_document, instance_actor_document
from noticeboard.board import Board
from noticeboard.pages import profile
from noticeboard.rendering import activity_json, jrd_json, wants_activity_json
from noticeboard.services import Services

PAGE_SIZE = 20


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def _text(status: int, reason: str, **headers: str) -> Response:
    return PlainTextResponse(reason, status_code=status, headers=headers)


async def webfinger(request: Request) -> Response:
    s = services(request)
    resource = request.query_params.get("resource", "")
    if not resource:
        return _text(400, "missing resource parameter")
    urls, config = s.board.urls, s.board.config
    instance_name = config.host.split(":")[0]
    by_url = {
        urls.actor: config.username,
        urls.home: config.username,
        urls.instance_actor: instance_name,
    }
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
        return jrd_json(jrd(f"acct:{user}@{host}", urls.actor, urls.home))
    if user == instance_name:
        return jrd_json(jrd(f"acct:{user}@{host}", urls.instance_actor, None))
    return _text(404, "no such account")


async def nodeinfo_discovery(request: Request) -> Response:
    return JSONResponse(nodeinfo.discovery(services(request).board.config.base_url))


async def nodeinfo_document(request: Request) -> Response:
    s = services(request)
    doc = nodeinfo.document(
        software="aushang",
        version=__version__,
        repository="https://codeberg.org/aushang/aushang",
        users=1,
        posts=await store.count_notices(s.board.db),
        name=s.board.config.name,
    )
    profile = 'profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
    return JSONResponse(doc, media_type=f"application/json; {profile}")


async def actor(request: Request) -> Response:
    s = services(request)
    if not _is_board(request):
        return _text(404, "no such actor")
    if not wants_activity_json(request):
        return await profile(request)  # the HTML face of the same URL
    board = s.board
    doc = actor_document(
        board.config, board.urls, board.public_pems[board.urls.actor], await board.created()
    )
    return activity_json(doc)


async def instance_actor(request: Request) -> Response:
    board = services(request).board
    return activity_json(
        instance_actor_document(
            board.config, board.urls, board.public_pems[board.urls.instance_actor]
        )
    )


async def instance_outbox(request: Request) -> Response:
    board = services(request).board
    return activity_json(ordered_collection(f"{board.urls.instance_actor}/outbox", 0, items=[]))


async def inbox(request: Request) -> Response:
    s = services(request)
    username = request.path_params.get("username")
    if username is not None and username.lower() != s.board.config.username:
        return _text(404, "no such actor")
    retry = s.inbox_limiter.hit(request.client.host if request.client else "?")
    if retry is not None:
        return _text(429, "too many requests", **{"Retry-After": str(int(retry) + 1)})
    body = await _read_capped(request, MAX_BODY)
    if isinstance(body, Response):
        return body
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    result = await s.inbox.receive(target, request.headers, body)
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
    board = services(request).board
    if not _is_board(request):
        return _text(404, "no such actor")
    total = await queue_store.count_outbox(board.db, board.urls.actor)
    if "page" not in request.query_params:
        return _first_page_link(board.urls.outbox, total)
    rows = await queue_store.list_outbox(
        board.db, board.urls.actor, before=request.query_params.get("before"), limit=PAGE_SIZE
    )
    items = [{k: v for k, v in json.loads(r["body"]).items() if k != "@context"} for r in rows]
    return _page(request, board.urls.outbox, items, [r["published"] for r in rows])


async def followers(request: Request) -> Response:
    board = services(request).board
    if not _is_board(request):
        return _text(404, "no such actor")
    total = await fedstore.count_followers(board.db, board.urls.actor)
    if "page" not in request.query_params:
        return _first_page_link(board.urls.followers, total)
    rows = await fedstore.list_followers(
        board.db, board.urls.actor, before=request.query_params.get("before"), limit=PAGE_SIZE
    )
    items = [r["actor_id"] for r in rows]
    return _page(request, board.urls.followers, items, [r["created"] for r in rows])


def _is_board(request: Request) -> bool:
    username = str(request.path_params.get("username", ""))
    return username.lower() == services(request).board.config.username


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
    board = services(request).board
    if not _is_board(request):
        return _text(404, "no such actor")
    rows = await fedstore.list_following(board.db, board.urls.actor)
    items = [r["actor_id"] for r in rows if r["state"] == "accepted"]
    return activity_json(ordered_collection(board.urls.following, len(items), items=items))


async def featured(request: Request) -> Response:
    board = services(request).board
    if not _is_board(request):
        return _text(404, "no such actor")
    rows = await store.list_pinned_notices(board.db, board.clock())
    notes = [await board.served_object(r) for r in rows]
    for item in notes:
        item.pop("@context", None)
    return activity_json(ordered_collection(board.urls.featured, len(notes), items=notes))


async def notice_activity(request: Request) -> Response:
    board = services(request).board
    row = await store.get_notice_by_id(board.db, request.path_params["notice_id"])
    if row is None or not row["create_activity_id"]:
        return _text(404, "no such activity")
    return await _activity_by_id(board, row["create_activity_id"])


async def notice_replies(request: Request) -> Response:
    """The shown replies to a notice (Mastodon fetches the first few of them)."""
    board = services(request).board
    row = await store.get_notice_by_id(board.db, request.path_params["notice_id"])
    if row is None or row["origin"] == "shared":
        return _text(404, "no such notice")
    replies = await store_participation.list_replies(board.db, row["id"])
    items = [r["id"] for r in replies]
    url = f"{board.urls.notice(row['id'])}/replies"
    return activity_json(ordered_collection(url, len(items), items=items))


async def activity(request: Request) -> Response:
    board = services(request).board
    return await _activity_by_id(
        board, f"{board.urls.base}/activities/{request.path_params['uuid']}"
    )


async def _activity_by_id(board: Board, activity_id: str) -> Response:
    row = await queue_store.get_outbox_activity(board.db, activity_id)
    if row is None or not row["public"]:
        return _text(404, "no such activity")
    return activity_json(json.loads(row["body"]))


def request_url(request: Request) -> str:
    board = services(request).board
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{board.urls.base}{request.url.path}{query}"


routes = [
    Route("/.well-known/webfinger", webfinger),
    Route("/.well-known/nodeinfo", nodeinfo_discovery),
    Route("/nodeinfo/2.1", nodeinfo_document),
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
]
