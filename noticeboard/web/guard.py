"""Who may do what on the staff pages: the signed-in user, roles, CSRF-checked forms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from noticeboard import audit
from noticeboard.accounts import passwords, sessions
from noticeboard.i18n import N_
from noticeboard.runtime import runtime
from noticeboard.sanitize import strip_controls

Endpoint = Callable[[Request], Awaitable[Response]]

FORM_LIMIT = 64 * 1024


SESSION_KEY = "staff_session"  # the session token, inside the signed cookie


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    role: str
    session_id: int
    group_id: int | None = None  # a group leader's one group


async def current_user(request: Request) -> StaffUser | None:
    """Return the signed-in, active staff member of this request, if any: the cookie's token
    must name a live session on the server (rule 38), read afresh on every request, so that
    sign-out, deactivation and role changes take effect at once."""
    if "staff_user" in request.scope:
        return request.scope["staff_user"]  # type: ignore[no-any-return]
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        return None
    found = await sessions.resolve(runtime(request).state, token)
    if found is None:
        request.session.pop(SESSION_KEY, None)
        return None
    return StaffUser(found.staff_id, found.username, found.role, found.id, found.group_id)


def requires(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Guard a staff endpoint: signed in, and one of the roles (security rule 21)."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            user = await current_user(request)
            if user is None:
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            if user.role not in roles:
                if user.role == "group_leader" and request.url.path == "/staff":
                    return RedirectResponse("/staff/groups/mine", status_code=303)
                return runtime(request).renderer.error(
                    request, 403, N_("You are not allowed to do this.")
                )
            request.scope["staff_user"] = user
            audit.set_acting(user.username)
            return await endpoint(request)

        guarded.required_roles = roles  # type: ignore[attr-defined]
        return guarded

    return wrap


async def read_form(request: Request, *, files: int = 0, limit: int = FORM_LIMIT) -> FormData:
    """Parse a form with a size cap and check its CSRF token (every staff form has one).

    A form that is too large, has no length or no valid token ends the request with an
    HTTPException, which the app answers with an error page that gives the reason.
    """
    length = request.headers.get("content-length", "")
    if not length.isdigit():  # a form without a length could be endless
        raise HTTPException(411, N_("The form has no length."))
    if int(length) > limit:
        raise HTTPException(413, N_("The form is too large."))
    form = await request.form(max_files=files, max_fields=50, max_part_size=FORM_LIMIT)
    if not passwords.csrf_matches(request.session.get("csrf"), form_field(form, "csrf_token")):
        await form.close()
        raise HTTPException(
            403, N_("The form has expired. Please go back, reload the page and try again.")
        )
    return cleaned(form)


def cleaned(form: FormData) -> FormData:
    """The form with control characters taken out of its texts, before anything stores them
    (rule 27); passwords are left exactly as typed."""
    return FormData([(name, _cleaned(name, value)) for name, value in form.multi_items()])


def _cleaned(name: str, value: str | UploadFile) -> str | UploadFile:
    if isinstance(value, str) and "password" not in name:
        return strip_controls(value)
    return value


def form_field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""
