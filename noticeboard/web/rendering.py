"""Rendering pages and documents: language choice, template context, content negotiation."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from noticeboard.accounts.passwords import new_csrf_token
from noticeboard.catalogues import keep_compiled_in
from noticeboard.config import Config
from noticeboard.i18n import (
    DEFAULT_LANGUAGE,
    get_staff_translations,
    get_translations,
    gettext_context,
    language_links,
    make_environment,
    negotiate_language,
    staff_language,
    supported_language,
)
from noticeboard.languages import direction
from noticeboard.resources import resource_dir
from noticeboard.urls import BoardUrls
from noticeboard.web.pagecache import shareable
from noticeboard.web.private import is_private
from noticeboard.web.templatecache import use_template_cache

TEMPLATES_DIR = resource_dir("templates")
AP_CONTENT_TYPE = "application/activity+json"
AP_ACCEPT = ("application/activity+json", "application/ld+json")


@dataclass(frozen=True)
class BoardView:
    """What every template knows about the board."""

    name: str
    summary: str
    username: str
    handle: str
    url: str
    actor_url: str
    contact: dict[str, str]
    icon_url: str | None
    language: str
    mail: bool = False  # residents may subscribe to the news by e-mail


class Renderer:
    def __init__(
        self, config: Config, urls: BoardUrls, clock: Callable[[], datetime] | None = None
    ) -> None:
        keep_compiled_in(config.data_dir / "cache" / "catalogues")
        self.env: jinja2.Environment = use_template_cache(
            make_environment(TEMPLATES_DIR), config.data_dir / "cache" / "templates"
        )
        self.config = config
        self.clock = clock or (lambda: datetime.now(UTC))
        self.board = BoardView(
            name=config.name,
            summary=config.summary,
            username=config.username,
            handle=config.handle,
            url=urls.home,
            actor_url=urls.actor,
            contact=config.contact.as_dict(),
            icon_url=config.icon_on_board,
            language=config.language,
            mail=config.mail is not None,
        )

    def page(
        self, request: Request, template: str, *, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        staff = template.startswith("staff/")
        chosen = language_of(request)
        # Staff pages exist in German and English; the reader's choice stays in the switch.
        lang = staff_language(chosen) if staff else chosen
        values = {
            "request": request,
            "lang": lang,
            "dir": direction(lang),
            "languages": language_links(request.url.path, request.url.query, lang),
            "timezone": self.config.timezone,
            "now": self.clock(),
            "board": self.board,
            "user": request.scope.get("staff_user"),
            # Anonymous readers get no cookie: a token only for staff pages and the login form.
            "csrf_token": csrf_token(request) if _needs_session(request, template) else "",
            "flash": _pop_flash(request),
            "page_title": self.board.name,
            "ap_alternate": None,
            **gettext_context(lang, staff=staff),
            **context,
        }
        title = context.get("page_title")
        if title:
            translations = get_staff_translations(lang) if staff else get_translations(lang)
            values["page_title"] = translations.gettext(title)
        html = self.env.get_template(template).render(values)
        response = HTMLResponse(html, status_code=status_code)
        # The page depends on the cookies too (language, session): where the session
        # middleware runs, reading the session (its flash message, above) makes it say so.
        cookie = "" if "session" in request.scope else ", Cookie"
        response.headers["Vary"] = f"Accept, Accept-Language{cookie}"
        if supported_language(request.query_params.get("lang")):
            response.set_cookie("lang", chosen, max_age=365 * 86400, samesite="lax", httponly=True)
        elif _shareable(request, values):
            shareable(response)
        return response

    def error(self, request: Request, status: int, message: str) -> Response:
        """An error page for browsers, a JSON or plain reason for machines."""
        if wants_activity_json(request) or request.url.path.startswith(
            ("/inbox", "/users/", "/.well-known")
        ):
            return PlainTextResponse(message, status_code=status)
        return self.page(
            request,
            "error.html",
            status_code=status,
            status=status,
            message=translate(request, message),
            page_title=str(status),
        )


def language_of(request: Request) -> str:
    return negotiate_language(
        request.query_params.get("lang"),
        request.cookies.get("lang"),
        request.headers.get("accept-language"),
        _board_language(request),
    )


def _board_language(request: Request) -> str:
    """The board's configured language, the choice when the reader's browser names none."""
    app = request.scope.get("app")
    runtime = getattr(getattr(app, "state", None), "runtime", None)
    return str(runtime.state.config.language) if runtime is not None else DEFAULT_LANGUAGE


def chosen_language(request: Request) -> str | None:
    """The interface language the reader chose (``?lang=`` or the cookie), if any."""
    for choice in (request.query_params.get("lang"), request.cookies.get("lang")):
        language = supported_language(choice)
        if language:
            return language
    return None


def translate(request: Request, message: str) -> str:
    return get_translations(language_of(request)).gettext(message)


def flash(request: Request, message: str, **params: Any) -> None:
    """Keep a message for the next page; it is translated when shown."""
    request.session["flash"] = [message, params]


def _pop_flash(request: Request) -> str | None:
    if "session" not in request.scope:
        return None
    stored = request.session.pop("flash", None)
    if not isinstance(stored, list) or len(stored) != 2:
        return None
    message, params = stored
    return translate(request, message) % params if params else translate(request, message)


def _shareable(request: Request, values: dict[str, Any]) -> bool:
    """Whether every anonymous reader asking the same way gets this very page: no session,
    nobody signed in, no message of a previous step, no form whose token tells its age."""
    return (
        not is_private(request.scope)
        and values["user"] is None
        and values["flash"] is None
        and not values["csrf_token"]
        and "form_token" not in values
    )


SESSION_PAGES = ("login.html", "invitation.html")  # public forms that carry a CSRF token


def _needs_session(request: Request, template: str) -> bool:
    if "session" not in request.scope:
        return False
    return bool(request.session) or template.startswith("staff/") or template in SESSION_PAGES


def csrf_token(request: Request) -> str:
    """Return the session's CSRF token, creating one on first use."""
    if "session" not in request.scope:
        return ""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = new_csrf_token()
    return token


def wants_activity_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(media in accept for media in AP_ACCEPT)


def activity_json(document: dict[str, Any], status: int = 200) -> Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(
        body, status_code=status, media_type=AP_CONTENT_TYPE, headers={"Vary": "Accept"}
    )


def jrd_json(document: dict[str, Any]) -> Response:
    return JSONResponse(
        document, media_type="application/jrd+json", headers={"Access-Control-Allow-Origin": "*"}
    )
