"""Build the board's ASGI application: create_app(config, ...) -> Starlette."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from federation.client import FederationClient
from federation.database import utcnow
from noticeboard import store
from noticeboard.accounts import web as accounts_web
from noticeboard.activitypub import group_routes
from noticeboard.activitypub import routes as activitypub_routes
from noticeboard.backups import web as backups_web
from noticeboard.config import Config
from noticeboard.continuity import web as continuity_web
from noticeboard.groups import web as groups_web
from noticeboard.i18n import N_
from noticeboard.mail import web as mail_web
from noticeboard.network import web as network_web
from noticeboard.notices import web as notices_web
from noticeboard.notices.text import render_markdown
from noticeboard.pages import dashboard
from noticeboard.pages import legal as legal_web
from noticeboard.pages import web as pages_web
from noticeboard.paper import web as paper_web
from noticeboard.participation import submit_web
from noticeboard.participation import web as participation_web
from noticeboard.remote import federation_client
from noticeboard.reports import web as reports_web
from noticeboard.resources import resource_dir
from noticeboard.runtime import Runtime, build_runtime
from noticeboard.serving import redact
from noticeboard.state import BoardNotInitialised, open_state
from noticeboard.web.assets import StaticAssets
from noticeboard.web.compression import Compression
from noticeboard.web.pagecache import PageCache
from noticeboard.web.private import SESSION_COOKIE, NoStore

log = logging.getLogger("noticeboard")
STATIC_DIR = resource_dir("static")
GET_READY_AFTER = 1.0  # seconds after start: see _get_ready
Clock = Callable[[], datetime]

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"interest-cohort=(), geolocation=(), camera=(), microphone=()"),
]


def security_headers(scope: Scope, hsts_max_age: int) -> list[tuple[bytes, bytes]]:
    """The protective headers of every answer; over https also Strict-Transport-Security
    (rules 19, 30 and 35). Browsers ignore HSTS over plain http, and it is not sent there."""
    if scope.get("scheme") == "https" and hsts_max_age > 0:
        return [
            *SECURITY_HEADERS,
            (b"strict-transport-security", f"max-age={hsts_max_age}".encode()),
        ]
    return SECURITY_HEADERS


class SecurityHeaders:
    """Add a strict CSP and the usual protective headers to every response (rule 19)."""

    def __init__(self, app: ASGIApp, hsts_max_age: int = 0) -> None:
        self.app = app
        self.hsts_max_age = hsts_max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope, self.hsts_max_age)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                own = {name.lower() for name, _ in headers}  # a page may be stricter
                message["headers"] = headers + [h for h in extra if h[0] not in own]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def read_session_secret(config: Config) -> str:
    """Read the session secret once, synchronously, while the app is built."""
    if not config.db_path.exists():
        raise BoardNotInitialised(f"no database at {config.db_path}: run 'aushang init' first")
    secret = store.read_setting_at_once(config.db_path, "session_secret")
    if secret is None:
        raise BoardNotInitialised("the board is not initialised: run 'aushang init' first")
    return secret


# Every route of the board, slice by slice (the staff routes name their roles).
ROUTES = [
    *pages_web.routes,
    *submit_web.routes,
    *legal_web.routes,
    *activitypub_routes.routes,
    *accounts_web.routes,
    *dashboard.routes,
    *notices_web.routes,
    *participation_web.routes,
    *network_web.routes,
    *continuity_web.routes,
    *backups_web.routes,
    *mail_web.routes,
    *paper_web.routes,
    *reports_web.routes,
    *group_routes.routes,
    *groups_web.routes,
]


def create_app(
    config: Config,
    *,
    client: FederationClient | None = None,
    clock: Clock | None = None,
    workers: bool = True,
    as_it_was: bool = False,
) -> Starlette:
    """Build the app; the lifespan opens the board and, with `workers`, starts its loops.

    With `as_it_was`, a moved or closed board's pages are served as they were (for the static
    export) instead of redirecting or saying that the board has closed.

    Without workers nothing runs in the background: tests take single steps with
    `app.state.runtime.run_once()` or `drain()`.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        opened = await open_state(config, clock or utcnow)
        incomplete = legal_web.startup_warning(config)
        if incomplete:
            log.warning(incomplete)
        http = client or federation_client(config)
        rt = build_runtime(opened, http)
        if rt.mail is not None:
            await rt.mail.recover()
        app.state.runtime = rt
        tasks = _start_workers(rt) if workers else []
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if client is None:
                await http.aclose()
            await rt.state.close()

    def version() -> int | None:
        rt: Runtime | None = getattr(app.state, "runtime", None)
        return rt.state.db.version() if rt else None

    def now() -> datetime | None:
        rt: Runtime | None = getattr(app.state, "runtime", None)
        return rt.state.clock() if rt else None

    app = Starlette(
        routes=[*ROUTES, Mount("/static", app=StaticAssets(STATIC_DIR), name="static")],
        middleware=[
            Middleware(SecurityHeaders, hsts_max_age=config.server.hsts_max_age),
            Middleware(
                PageCache,
                version=version,
                clock=now,
                language=lambda: config.language,
            ),
            Middleware(Compression),
            Middleware(NoStore),
            Middleware(
                SessionMiddleware,
                secret_key=read_session_secret(config),
                session_cookie=SESSION_COOKIE,
                same_site="lax",
                https_only=config.scheme == "https",
                max_age=int(config.staff.session_lifetime.total_seconds()),
            ),
            *([] if as_it_was else [Middleware(continuity_web.MovedOrClosed)]),
        ],
        exception_handlers={
            HTTPException: _http_error,
            ClientDisconnect: _client_gone,
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    return app


def _start_workers(rt: Runtime) -> list[asyncio.Task[None]]:
    tasks = [
        asyncio.create_task(rt.worker.run_forever(), name="delivery"),
        asyncio.create_task(rt.inbox.run_forever(), name="inbox"),
        asyncio.create_task(_periodic_forever(rt), name="expiry"),
        asyncio.create_task(_get_ready(rt), name="get ready"),
    ]
    if rt.mail is not None:
        tasks.append(asyncio.create_task(rt.mail.run_forever(), name="mail"))
    return tasks


async def _get_ready(rt: Runtime) -> None:
    """A moment after start, in a thread, parse the private keys and load HTML cleaning and
    Markdown (~35 ms): the first delivery and the first notice or reply would otherwise do it
    on the event loop while pages wait. Start-up to the first page stays short."""
    await asyncio.sleep(GET_READY_AFTER)
    try:
        await asyncio.to_thread(_prepare, rt)
    except Exception:  # the work is done again when first needed, and fails there if it must
        log.exception("getting ready in the background failed")


def _prepare(rt: Runtime) -> None:
    for actor in rt.state.keys.signing:
        rt.state.keys.signing[actor]
    render_markdown("")


async def _periodic_forever(rt: Runtime, every: float = 60.0) -> None:
    """Once a minute: move expired notices to the archive, send batched poll totals, keep
    today's follower count, and queue the mails with news that are due."""
    while True:
        try:
            await rt.run_periodic_once()
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
    rt: Runtime | None = getattr(request.app.state, "runtime", None)
    reasons = {404: N_("This page does not exist."), 405: N_("This method is not allowed here.")}
    message = reasons.get(exc.status_code, str(exc.detail))
    if rt is None:
        response = Response(message, status_code=exc.status_code, media_type="text/plain")
    else:
        response = rt.renderer.error(request, exc.status_code, message)
    response.headers.update(exc.headers or {})  # e.g. Allow on a 405
    return response


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client went away in the middle of its request (or was cut off as too slow): there
    is nobody to answer, and nothing went wrong on the board."""
    return Response("The request was not complete.", status_code=400, media_type="text/plain")


async def _server_error(request: Request, exc: Exception) -> Response:
    path = redact(request.url.path)
    log.exception("unhandled error on %s %s", request.method, path, exc_info=exc)
    # Starlette answers this outside the middleware, so the headers are added here (rule 30).
    response = Response("internal error", status_code=500, media_type="text/plain")
    rt: Runtime | None = getattr(request.app.state, "runtime", None)
    hsts = rt.state.config.server.hsts_max_age if rt is not None else 0
    response.raw_headers.extend(security_headers(request.scope, hsts))
    return response
