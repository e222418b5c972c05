"""Staff sign-in and the owners' pages: staff accounts and invitations, settings, the audit
log; one's own password."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation.blocks import normalise_domain
from federation.database import from_db_time
from federation.hosts import HostError
from noticeboard.accounts import passwords, queries, service
from noticeboard.accounts.service import Invitation
from noticeboard.i18n import N_
from noticeboard.participation import queries as participation_queries
from noticeboard.participation import settings as participation_settings
from noticeboard.results import Ok
from noticeboard.runtime import runtime
from noticeboard.web.guard import current_user, form_field, read_form, requires
from noticeboard.web.rendering import flash

EVERYONE = ("owner", "editor", "moderator")


def _safe_next(value: str) -> str:
    return (
        value
        if value.startswith("/") and not value.startswith("//") and "\\" not in value
        else "/staff"
    )


async def login(request: Request) -> Response:
    rt = runtime(request)
    if request.method == "GET":
        return rt.renderer.page(request, "login.html", page_title="Login", error=None, username="")
    form = await read_form(request)
    ip = request.client.host if request.client else "?"
    retry = rt.limits.login.hit(ip)
    if retry is not None:
        response = rt.renderer.error(
            request, 429, N_("Too many sign-in attempts. Please wait a few minutes and try again.")
        )
        response.headers["Retry-After"] = str(int(retry) + 1)
        return response
    username, password = form_field(form, "username"), form_field(form, "password")
    row = await queries.staff_by_username(rt.state, username)
    if (
        row is None
        or not row["active"]
        or not passwords.verify_password(password, row["password_hash"])
    ):
        return rt.renderer.page(
            request,
            "login.html",
            status_code=400,
            error=N_("Wrong user name or password."),
            username=username.strip().lower(),
            next=form_field(form, "next"),
        )
    request.session.clear()
    request.session["staff_id"] = row["id"]
    request.session["csrf"] = passwords.new_csrf_token()
    return RedirectResponse(_safe_next(form_field(form, "next")), status_code=303)


async def logout(request: Request) -> Response:
    await read_form(request)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@requires("owner")
async def accounts(request: Request) -> Response:
    return await _accounts_page(request)


@requires("owner")
async def invite(request: Request) -> Response:
    form = await read_form(request)
    result = await service.invite(runtime(request).state, form_field(form, "role"))
    if not isinstance(result, Ok):
        flash(request, result.reason)
        return RedirectResponse("/staff/accounts", status_code=303)
    # The link is shown once, on this page; only a hash of it is stored.
    return await _accounts_page(request, result.value)


async def _accounts_page(request: Request, invitation: Invitation | None = None) -> Response:
    rt = runtime(request)
    return rt.renderer.page(
        request,
        "staff/accounts.html",
        staff=await queries.list_staff(rt.state),
        invitations=await queries.list_open_invitations(rt.state),
        invitation=invitation,
        roles=passwords.ROLES,
        page_title=N_("Staff accounts"),
    )


ACCOUNT_CHANGES = {
    "deactivate": N_("The account is deactivated; it can no longer sign in."),
    "activate": N_("The account is active again."),
    "role": N_("The role is changed."),
}


@requires("owner")
async def change_account(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    username, action = form_field(form, "username"), request.path_params["action"]
    if action not in ACCOUNT_CHANGES:
        return rt.renderer.error(request, 404, N_("This page does not exist."))
    if action == "role":
        result = await service.set_role(rt.state, username, form_field(form, "role"))
    else:
        result = await service.set_active(rt.state, username, action == "activate")
    flash(request, ACCOUNT_CHANGES[action] if isinstance(result, Ok) else result.reason)
    return RedirectResponse("/staff/accounts", status_code=303)


async def invitation(request: Request) -> Response:
    """The page an invitation link opens: choose a user name and password."""
    rt = runtime(request)
    token = request.path_params["token"]
    if await service.open_invitation(rt.state, token) is None:
        return rt.renderer.error(request, 404, service.INVITATION_GONE)
    if request.method == "GET":
        page = rt.renderer.page(
            request, "invitation.html", error=None, username="", page_title=N_("Join the team")
        )
        page.headers["Referrer-Policy"] = "no-referrer"  # the link is a secret (rule 32)
        return page
    form = await read_form(request)
    username = form_field(form, "username")
    password = form_field(form, "password")
    if password != form_field(form, "password_again"):
        return _invitation_error(request, N_("The two passwords are not the same."), username)
    result = await service.accept_invitation(rt.state, token, username, password)
    if not isinstance(result, Ok):
        return _invitation_error(request, result.reason, username)
    flash(request, N_("Your account is ready. Please sign in."))
    return RedirectResponse("/login", status_code=303)


def _invitation_error(request: Request, message: str, username: str) -> Response:
    page = runtime(request).renderer.page(
        request,
        "invitation.html",
        status_code=400,
        error=message,
        username=username,
        page_title=N_("Join the team"),
    )
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


@requires(*EVERYONE)
async def own_account(request: Request) -> Response:
    rt = runtime(request)
    if request.method == "GET":
        return rt.renderer.page(
            request, "staff/account.html", error=None, page_title=N_("My account")
        )
    form = await read_form(request)
    user = await current_user(request)
    assert user is not None  # requires() signed the user in
    new = form_field(form, "new_password")
    error = None
    if new != form_field(form, "new_password_again"):
        error = N_("The two passwords are not the same.")
    else:
        current = form_field(form, "current_password")
        result = await service.change_password(rt.state, user.id, current, new)
        error = None if isinstance(result, Ok) else result.reason
    if error:
        return rt.renderer.page(
            request, "staff/account.html", status_code=400, error=error, page_title=N_("My account")
        )
    flash(request, N_("Your password is changed."))
    return RedirectResponse("/staff", status_code=303)


@requires("owner")
async def audit_log(request: Request) -> Response:
    rt = runtime(request)
    before = request.query_params.get("before", "")
    if before and not (before.isdigit() and len(before) <= 18):
        return rt.renderer.error(request, 400, N_("This page link is not valid."))
    rows = await queries.audit_log(rt.state, before=int(before) if before else None, limit=101)
    entries = [{**dict(r), "created": from_db_time(r["created"])} for r in rows[:100]]
    next_url = f"/staff/audit?before={rows[99]['id']}" if len(rows) > 100 else None
    return rt.renderer.page(
        request,
        "staff/audit.html",
        entries=entries,
        next_url=next_url,
        page_title=N_("Audit log"),
    )


@requires("owner")
async def settings(request: Request) -> Response:
    rt = runtime(request)
    if request.method == "POST":
        form = await read_form(request)
        await _apply_settings(request, form_field(form, "action"), form_field(form, "value"))
        return RedirectResponse("/staff/settings", status_code=303)
    current = await participation_queries.settings(rt.state)
    return rt.renderer.page(
        request,
        "staff/settings.html",
        reply_policy=current.reply_policy,
        policies=participation_settings.REPLY_POLICIES,
        limited=current.limited,
        allowed=current.allowed,
        page_title=N_("Settings"),
    )


async def _apply_settings(request: Request, action: str, value: str) -> None:
    state = runtime(request).state
    if action == "reply_policy":
        result = await participation_settings.set_reply_policy(state, value)
        flash(request, N_("The settings are saved.") if result.ok else N_("Nothing was changed."))
    elif action == "limited":
        await participation_settings.set_limited_federation(state, value == "on")
        flash(request, N_("The settings are saved."))
    elif action in ("allow", "disallow"):
        try:
            domain = normalise_domain(value)
        except HostError:
            flash(request, N_("Please enter a server like example.org."))
            return
        if action == "allow":
            await participation_settings.allow_domain(state, domain)
        else:
            await participation_settings.disallow_domain(state, domain)
        flash(request, N_("The settings are saved."))
    else:
        flash(request, N_("Nothing was changed."))


routes = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/staff/accounts", accounts),
    Route("/staff/accounts/invite", invite, methods=["POST"]),
    Route("/staff/accounts/{action:str}", change_account, methods=["POST"]),
    Route("/staff/account", own_account, methods=["GET", "POST"]),
    Route("/staff/audit", audit_log),
    Route("/staff/settings", settings, methods=["GET", "POST"]),
    Route("/invitation/{token:str}", invitation, methods=["GET", "POST"]),
]
