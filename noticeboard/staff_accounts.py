"""Owners' pages: staff accounts and invitations, settings, the audit log; one's own password."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation import store as fedstore
from federation.blocks import normalise_domain
from federation.database import from_db_time
from federation.hosts import HostError
from noticeboard import auth, store_participation
from noticeboard.accounts import AccountError, Invitation
from noticeboard.i18n import N_
from noticeboard.moderation import REPLY_POLICIES, reply_policy
from noticeboard.rendering import flash
from noticeboard.staffauth import current_user, form_field, read_form, requires, services

EVERYONE = ("owner", "editor", "moderator")


@requires("owner")
async def accounts(request: Request) -> Response:
    return await _accounts_page(request)


@requires("owner")
async def invite(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    try:
        invitation = await s.board.invite(form_field(form, "role"))
    except AccountError as exc:
        flash(request, exc.message)
        return RedirectResponse("/staff/accounts", status_code=303)
    # The link is shown once, on this page; only a hash of it is stored.
    return await _accounts_page(request, invitation)


async def _accounts_page(request: Request, invitation: Invitation | None = None) -> Response:
    s = services(request)
    return s.renderer.page(
        request,
        "staff/accounts.html",
        staff=await store_participation.list_staff(s.board.db),
        invitations=await store_participation.list_open_invitations(s.board.db, s.board.clock()),
        invitation=invitation,
        roles=auth.ROLES,
        page_title=N_("Staff accounts"),
    )


@requires("owner")
async def change_account(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    username, action = form_field(form, "username"), request.path_params["action"]
    try:
        if action == "deactivate":
            await s.board.set_staff_active(username, False)
            flash(request, N_("The account is deactivated; it can no longer sign in."))
        elif action == "activate":
            await s.board.set_staff_active(username, True)
            flash(request, N_("The account is active again."))
        elif action == "role":
            await s.board.set_staff_role(username, form_field(form, "role"))
            flash(request, N_("The role is changed."))
        else:
            return s.renderer.error(request, 404, N_("This page does not exist."))
    except AccountError as exc:
        flash(request, exc.message)
    return RedirectResponse("/staff/accounts", status_code=303)


async def invitation(request: Request) -> Response:
    """The page an invitation link opens: choose a user name and password."""
    s = services(request)
    token = request.path_params["token"]
    if await s.board.open_invitation(token) is None:
        return s.renderer.error(request, 404, N_("This invitation link is not valid any more."))
    if request.method == "GET":
        return s.renderer.page(
            request, "invitation.html", error=None, username="", page_title=N_("Join the team")
        )
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    username = form_field(form, "username")
    password = form_field(form, "password")
    if password != form_field(form, "password_again"):
        return _invitation_error(request, N_("The two passwords are not the same."), username)
    try:
        await s.board.accept_invitation(token, username, password)
    except AccountError as exc:
        return _invitation_error(request, exc.message, username)
    flash(request, N_("Your account is ready. Please sign in."))
    return RedirectResponse("/login", status_code=303)


def _invitation_error(request: Request, message: str, username: str) -> Response:
    return services(request).renderer.page(
        request,
        "invitation.html",
        status_code=400,
        error=message,
        username=username,
        page_title=N_("Join the team"),
    )


@requires(*EVERYONE)
async def own_account(request: Request) -> Response:
    s = services(request)
    if request.method == "GET":
        return s.renderer.page(
            request, "staff/account.html", error=None, page_title=N_("My account")
        )
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    user = await current_user(request)
    assert user is not None  # requires() signed the user in
    new = form_field(form, "new_password")
    error = None
    if new != form_field(form, "new_password_again"):
        error = N_("The two passwords are not the same.")
    else:
        try:
            await s.board.change_password(user.id, form_field(form, "current_password"), new)
        except AccountError as exc:
            error = exc.message
    if error:
        return s.renderer.page(
            request, "staff/account.html", status_code=400, error=error, page_title=N_("My account")
        )
    flash(request, N_("Your password is changed."))
    return RedirectResponse("/staff", status_code=303)


@requires("owner")
async def audit_log(request: Request) -> Response:
    s = services(request)
    before = request.query_params.get("before", "")
    if before and not (before.isdigit() and len(before) <= 18):
        return s.renderer.error(request, 400, N_("This page link is not valid."))
    rows = await store_participation.list_audit(
        s.board.db, before=int(before) if before else None, limit=101
    )
    entries = [{**dict(r), "created": from_db_time(r["created"])} for r in rows[:100]]
    next_url = f"/staff/audit?before={rows[99]['id']}" if len(rows) > 100 else None
    return s.renderer.page(
        request,
        "staff/audit.html",
        entries=entries,
        next_url=next_url,
        page_title=N_("Audit log"),
    )


@requires("owner")
async def settings(request: Request) -> Response:
    s = services(request)
    db = s.board.db
    if request.method == "POST":
        form = await read_form(request)
        if isinstance(form, Response):
            return form
        await _apply_settings(request, form_field(form, "action"), form_field(form, "value"))
        return RedirectResponse("/staff/settings", status_code=303)
    return s.renderer.page(
        request,
        "staff/settings.html",
        reply_policy=await reply_policy(db),
        policies=REPLY_POLICIES,
        limited=await fedstore.is_limited(db),
        allowed=await fedstore.list_allowed_domains(db),
        page_title=N_("Settings"),
    )


async def _apply_settings(request: Request, action: str, value: str) -> None:
    board = services(request).board
    if action == "reply_policy" and await board.set_reply_policy(value):
        flash(request, N_("The settings are saved."))
    elif action == "limited":
        await board.set_limited_federation(value == "on")
        flash(request, N_("The settings are saved."))
    elif action in ("allow", "disallow"):
        try:
            domain = normalise_domain(value)
        except HostError:
            flash(request, N_("Please enter a server like example.org."))
            return
        if action == "allow":
            await board.allow_domain(domain)
        else:
            await board.disallow_domain(domain)
        flash(request, N_("The settings are saved."))
    else:
        flash(request, N_("Nothing was changed."))


routes = [
    Route("/staff/accounts", accounts),
    Route("/staff/accounts/invite", invite, methods=["POST"]),
    Route("/staff/accounts/{action:str}", change_account, methods=["POST"]),
    Route("/staff/account", own_account, methods=["GET", "POST"]),
    Route("/staff/audit", audit_log),
    Route("/staff/settings", settings, methods=["GET", "POST"]),
    Route("/invitation/{token:str}", invitation, methods=["GET", "POST"]),
]
