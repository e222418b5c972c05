"""Residents without an account: the submission form, with spam protection that needs no
third party (a honeypot field, a signed time-to-submit check and a rate limit)."""

from __future__ import annotations

import hashlib
import hmac
import time

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from noticeboard.i18n import N_
from noticeboard.kinds import KINDS
from noticeboard.moderation import Submission
from noticeboard.posts import NAME_MAX, InvalidNotice, validate_draft
from noticeboard.services import Services

SUBMISSION_KINDS = tuple(k for k in KINDS if k.id not in ("event", "poll"))
FORM_LIMIT = 32 * 1024
CONTACT_MAX = 200
MIN_SECONDS = 3  # people need longer than this to fill in a form; scripts do not
MAX_SECONDS = 6 * 3600
HONEYPOT = "website"


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def form_token(secret: str, now: float | None = None) -> str:
    """A signed moment: when the form was handed out."""
    stamp = str(int(time.time() if now is None else now))
    return f"{stamp}.{_sign(secret, stamp)}"


def token_age(secret: str, token: str, now: float | None = None) -> float | None:
    """Seconds since the form was handed out, or None if the token is not ours."""
    stamp, _, signature = token.partition(".")
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        return None
    if not hmac.compare_digest(signature.encode(), _sign(secret, stamp).encode()):
        return None
    return (time.time() if now is None else now) - int(stamp)


def _sign(secret: str, stamp: str) -> str:
    key = hashlib.sha256(f"submission-form:{secret}".encode()).digest()
    return hmac.new(key, stamp.encode(), hashlib.sha256).hexdigest()[:32]


async def submit(request: Request) -> Response:
    s = services(request)
    secret = await s.board.session_secret()
    if request.method == "GET":
        return _page(request, {}, {}, secret, sent=request.query_params.get("sent") == "1")
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        return s.renderer.error(request, 411, N_("The form has no length."))
    if int(length) > FORM_LIMIT:
        return s.renderer.error(request, 413, N_("The form is too large."))
    ip = request.client.host if request.client else "?"
    retry = s.submission_limiter.hit(ip)
    if retry is not None:
        response = s.renderer.error(
            request, 429, N_("Too many submissions from here. Please try again later.")
        )
        response.headers["Retry-After"] = str(int(retry) + 1)
        return response
    async with request.form(max_files=0, max_fields=20, max_part_size=FORM_LIMIT) as form:
        fields = {k: _field(form, k) for k in ("kind", "title", "body", "name", "contact")}
        robot = _robot_reason(form, secret)
        consent = _field(form, "consent") == "yes"
    if robot is not None:
        return _page(request, fields, {"form": robot}, secret, status_code=400)
    errors = _check(fields, consent)
    if errors:
        return _page(request, fields, errors, secret, status_code=400)
    await s.board.submit(
        Submission(
            kind=fields["kind"],
            title=fields["title"].strip(),
            body=fields["body"].strip(),
            author_name=fields["name"].strip(),
            contact=fields["contact"].strip(),
        )
    )
    return RedirectResponse("/submit?sent=1", status_code=303)


def _robot_reason(form: FormData, secret: str) -> str | None:
    """Why the form looks sent by a script, or None: honeypot filled, too fast, stale."""
    if _field(form, HONEYPOT):
        return N_("This submission looks automatic and was not accepted.")
    age = token_age(secret, _field(form, "form_token"))
    if age is None or age > MAX_SECONDS:
        return N_("The form has expired. Please go back, reload the page and try again.")
    if age < MIN_SECONDS:
        return N_("That was very fast. Please check your text and send the form again.")
    return None


def _check(fields: dict[str, str], consent: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if fields["kind"] not in {k.id for k in SUBMISSION_KINDS}:
        errors["kind"] = N_("Please choose a kind of notice.")
    try:
        validate_draft(fields["title"], fields["body"], kind="announcement")
    except InvalidNotice as exc:
        errors.update(exc.errors)
    if len(fields["name"].strip()) > NAME_MAX:
        errors["name"] = N_("The name is too long (at most 80 characters).")
    if len(fields["contact"].strip()) > CONTACT_MAX:
        errors["contact"] = N_("The contact details are too long (at most 200 characters).")
    if not consent:
        errors["consent"] = N_("Please agree to the privacy note, or we cannot take your notice.")
    return errors


def _field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _page(
    request: Request,
    fields: dict[str, str],
    errors: dict[str, str],
    secret: str,
    *,
    sent: bool = False,
    status_code: int = 200,
) -> Response:
    return services(request).renderer.page(
        request,
        "submit.html",
        status_code=status_code,
        form=fields,
        errors=errors,
        sent=sent,
        kinds=SUBMISSION_KINDS,
        form_token=form_token(secret),
        honeypot=HONEYPOT,
        page_title=N_("Send us a notice"),
    )


async def privacy(request: Request) -> Response:
    return services(request).renderer.page(request, "privacy.html", page_title=N_("Privacy note"))


routes = [
    Route("/submit", submit, methods=["GET", "POST"]),
    Route("/privacy", privacy),
]
