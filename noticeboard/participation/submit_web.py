"""Residents without an account: the submission form."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from noticeboard.i18n import N_
from noticeboard.notices.forms import InvalidNotice
from noticeboard.participation import service
from noticeboard.participation.forms import (
    HONEYPOT,
    SUBMISSION_FIELDS,
    SUBMISSION_KINDS,
    form_token,
    robot_reason,
    validate_submission,
)
from noticeboard.runtime import runtime
from noticeboard.sanitize import strip_controls
from noticeboard.state import session_secret
from noticeboard.web.guard import form_field

FORM_LIMIT = 32 * 1024


async def submit(request: Request) -> Response:
    rt = runtime(request)
    secret = await session_secret(rt.state.db)
    if request.method == "GET":
        return _page(request, {}, {}, secret, sent=request.query_params.get("sent") == "1")
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, N_("The form has no length."))
    if int(length) > FORM_LIMIT:
        raise HTTPException(413, N_("The form is too large."))
    retry = rt.limits.submission.hit(request.client.host if request.client else "?")
    if retry is not None:
        response = rt.renderer.error(
            request, 429, N_("Too many submissions from here. Please try again later.")
        )
        response.headers["Retry-After"] = str(int(retry) + 1)
        return response
    async with request.form(max_files=0, max_fields=20, max_part_size=FORM_LIMIT) as form:
        fields = {k: strip_controls(form_field(form, k)) for k in SUBMISSION_FIELDS}
        robot = robot_reason(form_field(form, HONEYPOT), form_field(form, "form_token"), secret)
        consent = form_field(form, "consent") == "yes"
    if robot is not None:
        return _page(request, fields, {"form": robot}, secret, status_code=400)
    try:
        submission = validate_submission(fields, consent)
    except InvalidNotice as exc:
        return _page(request, fields, exc.errors, secret, status_code=400)
    await service.submit(rt.state, submission)
    return RedirectResponse("/submit?sent=1", status_code=303)


def _page(
    request: Request,
    fields: dict[str, str],
    errors: dict[str, str],
    secret: str,
    *,
    sent: bool = False,
    status_code: int = 200,
) -> Response:
    return runtime(request).renderer.page(
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


routes = [
    Route("/submit", submit, methods=["GET", "POST"]),
]
