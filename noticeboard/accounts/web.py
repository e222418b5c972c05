"""Staff sign-in and the owners' pages: staff accounts and invitations, settings, the audit
log; one's own password."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation.blocks import normalise_domain
from federation.database import from_db_time
from federation.hosts import HostError
from noticeboard.accounts import passwords, queries, service, sessions
from noticeboard.accounts.service import Invitation
from noticeboard.i18n import N_
from noticeboard.participation import queries as participation_queries
from noticeboard.participation import settings as participation_settings
from noticeboard.results import Ok, Refused
from noticeboard.runtime import Runtime, runtime
from noticeboard.web.guard import SESSION_KEY, current_user, form_field, read_form, requires
from noticeboard.web.rendering import flash, language_of

EVERYONE = ("owner", "editor", "moderator")
log = logging.getLogger("noticeboard.accounts")


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
    username = service.normalise_username(form_field(form, "username"))[:64]
    now = _seconds(rt)
    retry = rt.limits.login.hit(ip, now) or rt.limits.account.wait(username, now)
    if retry is not None:
        return _too_many_attempts(request, retry)
    result = await service.authenticate(rt.state, username, form_field(form, "password"))
    if not isinstance(result, Ok):
        _count_failure(rt, username, ip)
        return rt.renderer.page(
            request,
            "login.html",
            status_code=400,
            error=result.reason,
            username=username,
            next=form_field(form, "next"),
        )
    rt.limits.account.clear(username)
    await _start_session(request, result.value)
    return RedirectResponse(_safe_next(form_field(form, "next")), status_code=303)


def _count_failure(rt: Runtime, username: str, ip: str) -> None:
    """Count a failed sign-in for the name; tell the admin when it pauses the name (rule 44)."""
    if rt.limits.account.fail(username, _seconds(rt)):
        log.warning(
            "sign-in for user name %r paused for %d minutes after %d failed attempts "
            "(the last from %s)",
            username,
            rt.limits.account.window // 60,
            rt.limits.account.limit,
            ip,
        )


async def _start_session(request: Request, staff_id: int) -> None:
    """A new server-side session in a fresh cookie; a session the browser held before ends."""
    state = runtime(request).state
    previous = request.session.get(SESSION_KEY)
    if isinstance(previous, str):
        await sessions.end(state, previous)
    token = await sessions.start(state, staff_id, request.headers.get("user-agent", ""))
    request.session.clear()
    request.session[SESSION_KEY] = token
    request.session["csrf"] = passwords.new_csrf_token()


def _seconds(rt: Runtime) -> float:
    return rt.state.clock().timestamp()


def _too_many_attempts(request: Request, retry: float) -> Response:
    response = runtime(request).renderer.error(
        request, 429, N_("Too many sign-in attempts. Please wait a few minutes and try again.")
    )
    response.headers["Retry-After"] = str(int(retry) + 1)
    return response


async def logout(request: Request) -> Response:
    await read_form(request)
    token = request.session.get(SESSION_KEY)
    if isinstance(token, str):
        await sessions.end(runtime(request).state, token)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@requires("owner")
async def accounts(request: Request) -> Response:
    return await _accounts_page(request)


@requires("owner")
async def invite(request: Request) -> Response:
    form = await read_form(request)
    result = await service.invite(
        runtime(request).state, form_field(form, "role"), form_field(form, "username")
    )
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
    "sign-out": N_("All sessions of the account are ended."),
}


@requires("owner")
async def change_account(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    username, action = form_field(form, "username"), request.path_params["action"]
    if action not in ACCOUNT_CHANGES:
        return rt.renderer.error(request, 404, N_("This page does not exist."))
    result: Ok[bool] | Ok[int] | Refused
    if action == "role":
        result = await service.set_role(rt.state, username, form_field(form, "role"))
    elif action == "sign-out":
        result = await sessions.end_all(rt.state, username)
    else:
        result = await service.set_active(rt.state, username, action == "activate")
    flash(request, ACCOUNT_CHANGES[action] if isinstance(result, Ok) else result.reason)
    return RedirectResponse("/staff/accounts", status_code=303)


async def invitation(request: Request) -> Response:
    """The page an invitation link opens: the account's name, and a password to choose."""
    rt = runtime(request)
    token = request.path_params["token"]
    found = await service.open_invitation(rt.state, token)
    if found is None:
        return rt.renderer.error(request, 404, service.INVITATION_GONE)
    if request.method == "GET":
        return _invitation_page(request, found["username"])
    form = await read_form(request)
    password = form_field(form, "password")
    if password != form_field(form, "password_again"):
        error = N_("The two passwords are not the same.")
        return _invitation_page(request, found["username"], error)
    result = await service.accept_invitation(rt.state, token, password)
    if not isinstance(result, Ok):
        return _invitation_page(request, found["username"], result.reason)
    flash(request, N_("Your account is ready. Please sign in."))
    return RedirectResponse("/login", status_code=303)


def _invitation_page(request: Request, username: str, error: str | None = None) -> Response:
    page = runtime(request).renderer.page(
        request,
        "invitation.html",
        status_code=400 if error else 200,
        error=error,
        username=username,
        page_title=N_("Join the team"),
    )
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


@requires(*EVERYONE, "group_leader")  # a group's leader keeps an own password too
async def own_account(request: Request) -> Response:
    if request.method == "GET":
        return await _own_account_page(request)
    form = await read_form(request)
    user = await current_user(request)
    assert user is not None  # requires() signed the user in
    new = form_field(form, "new_password")
    if new != form_field(form, "new_password_again"):
        return await _own_account_page(request, N_("The two passwords are not the same."))
    current = form_field(form, "current_password")
    result = await service.change_password(
        runtime(request).state, user.id, current, new, keep_session=user.session_id
    )
    if not isinstance(result, Ok):
        return await _own_account_page(request, result.reason)
    flash(request, N_("Your password is changed. You are signed out everywhere else."))
    return RedirectResponse("/staff", status_code=303)


async def _own_account_page(request: Request, error: str | None = None) -> Response:
    rt = runtime(request)
    user = await current_user(request)
    assert user is not None
    return rt.renderer.page(
        request,
        "staff/account.html",
        status_code=400 if error else 200,
        error=error,
        sessions=await sessions.list_open(rt.state, user.id),
        this_session=user.session_id,
        idle_hours=f"{rt.state.config.staff.idle_timeout.total_seconds() / 3600:g}",
        lifetime_days=f"{rt.state.config.staff.session_lifetime.total_seconds() / 86400:g}",
        page_title=N_("My account"),
    )


@requires(*EVERYONE, "group_leader")
async def end_own_sessions(request: Request) -> Response:
    """End one of one's own sessions, or all but this one."""
    form = await read_form(request)
    user = await current_user(request)
    assert user is not None
    state = runtime(request).state
    chosen = form_field(form, "session")
    if chosen == "others":
        await sessions.end_others(state, user.id, user.session_id)
    elif chosen.isdigit() and len(chosen) <= 18:
        await sessions.end_own(state, user.id, int(chosen))
    flash(request, N_("The session is ended."))
    return RedirectResponse("/staff/account", status_code=303)


@requires("owner")
async def audit_log(request: Request) -> Response:
    rt = runtime(request)
    before = request.query_params.get("before", "")
    if before and not (before.isdigit() and len(before) <= 18):
        return rt.renderer.error(request, 400, N_("This page link is not valid."))
    rows = await queries.audit_entries(
        rt.state, language_of(request), before=int(before) if before else None, limit=101
    )
    entries = [{**r, "created": from_db_time(r["created"])} for r in rows[:100]]
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
    Route("/staff/account/sessions", end_own_sessions, methods=["POST"]),
    Route("/staff/audit", audit_log),
    Route("/staff/settings", settings, methods=["GET", "POST"]),
    Route("/invitation/{token:str}", invitation, methods=["GET", "POST"]),
]
