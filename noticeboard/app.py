"""Build the board's ASGI application: create_app(config, ...) -> Starlette."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from federation import httpsig
from federation.actors import ActorResolver
from federation.client import FederationClient
from federation.database import utcnow
from federation.delivery import DeliveryWorker
from federation.inbox import Inbox
from noticeboard import __version__, aproutes, pages, participate, staff
from noticeboard.activitypub import BoardInbox
from noticeboard.auth import RateLimiter
from noticeboard.board import Board, BoardNotInitialised
from noticeboard.config import Config
from noticeboard.i18n import N_
from noticeboard.rendering import TEMPLATES_DIR, Renderer
from noticeboard.sanitize import clean_text
from noticeboard.services import Services

log = logging.getLogger("noticeboard")
STATIC_DIR = TEMPLATES_DIR.parent / "static"
Clock = Callable[[], datetime]

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' https: data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"interest-cohort=(), geolocation=(), camera=(), microphone=()"),
]


class SecurityHeaders:
    """Add a strict CSP and the usual protective headers to every response (rule 19)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def read_session_secret(config: Config) -> str:
    """Read the session secret once, synchronously, while the app is built."""
    if not config.db_path.exists():
        raise BoardNotInitialised(f"no database at {config.db_path}: run 'aushang init' first")
    with contextlib.closing(sqlite3.connect(config.db_path)) as conn:
        row = conn.execute("SELECT value FROM settings WHERE key = 'session_secret'").fetchone()
    if row is None:
        raise BoardNotInitialised("the board is not initialised: run 'aushang init' first")
    return str(row[0])


def create_app(
    config: Config,
    *,
    client: FederationClient | None = None,
    clock: Clock | None = None,
    workers: bool = True,
) -> Starlette:
    """Build the app; the lifespan opens the database, loads keys and starts the workers.

    With workers=False no background loop runs (delivery, inbox processing, expiry): tests
    run their steps themselves, one at a time, instead of racing them.
    """
    clock = clock or utcnow

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        board = await Board.open(config, clock)
        own_client = client is None
        http = client or FederationClient(
            user_agent=f"Aushang/{__version__} (+{config.base_url})",
            own_hosts=[config.host],
            allow_private=config.federation.allow_private,
            ca_bundle=config.federation.ca_bundle,
        )
        services = build_services(board, http, clock)
        app.state.services = services
        tasks = []
        if workers:
            tasks = [
                asyncio.create_task(services.worker.run_forever(), name="delivery"),
                asyncio.create_task(services.inbox.run_forever(), name="inbox"),
                asyncio.create_task(_expire_forever(board), name="expiry"),
            ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if own_client:
                await http.aclose()
            await board.close()

    app = Starlette(
        routes=[
            *pages.routes,
            *participate.routes,
            *aproutes.routes,
            *staff.routes,
            Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=read_session_secret(config),
                session_cookie="aushang_session",
                same_site="lax",
                https_only=config.scheme == "https",
                max_age=14 * 86400,
            ),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    return app


def build_services(board: Board, http: FederationClient, clock: Clock) -> Services:
    """Wire the protocol pieces to the board."""
    instance_key = board.keys[board.urls.instance_actor]

    def sign_get(method: str, url: str, body: bytes | None) -> dict[str, str]:
        return httpsig.sign_request(
            method, url, body, instance_key.key_id, instance_key.private_key, clock()
        )

    resolver = ActorResolver(board.db, http, sign_get, clock, clean_text)
    inbox = Inbox(
        board.db, resolver, clock, own_host=board.config.host, is_blocked=board.blocks.refuses
    )
    worker = DeliveryWorker(board.db, http, board.keys, clock, is_blocked=board.blocks.any_blocked)
    board.wake_delivery = worker.wake
    board.wake_inbox = inbox.wake
    BoardInbox(board.config, board.urls, worker.wake).register(inbox)
    return Services(
        board=board,
        client=http,
        resolver=resolver,
        inbox=inbox,
        worker=worker,
        renderer=Renderer(board.config, board.urls),
        login_limiter=RateLimiter(limit=10, window=300),
        inbox_limiter=RateLimiter(limit=300, window=60),
        vote_limiter=RateLimiter(limit=30, window=600),
        submission_limiter=RateLimiter(limit=5, window=3600),
    )


async def _expire_forever(board: Board, every: float = 60.0) -> None:
    """Once a minute: move expired notices to the archive, send batched poll totals, and
    keep today's follower count."""
    while True:
        try:
            await board.expire_due()
            await board.flush_polls()
            await board.record_follower_count()
        except Exception:  # a database hiccup must not end the loop; the next round retries
            log.exception("expiry or poll update failed")
        await asyncio.sleep(every)


async def _drain(request: Request, limit: int = 1_048_576) -> None:
    """Read an unread request body, so that closing the connection does not reset it and
    lose the answer; a larger body is left unread."""
    size = 0
    with contextlib.suppress(ClientDisconnect, RuntimeError):
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                break


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    await _drain(request)
    services: Services | None = getattr(request.app.state, "services", None)
    reasons = {404: N_("This page does not exist."), 405: N_("This method is not allowed here.")}
    message = reasons.get(exc.status_code, str(exc.detail))
    if services is None:
        response = Response(message, status_code=exc.status_code, media_type="text/plain")
    else:
        response = services.renderer.error(request, exc.status_code, message)
    response.headers.update(exc.headers or {})  # e.g. Allow on a 405
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response("internal error", status_code=500, media_type="text/plain")
