"""News by e-mail on the web: the subscription form, the confirmation, changing the choice,
one-click unsubscribing (RFC 8058), and the staff's overview with the owners' export."""

from __future__ import annotations

import csv
import io

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from noticeboard.groups import queries as groups
from noticeboard.i18n import LANGUAGE_LABELS, LANGUAGES, N_
from noticeboard.mail import queries, service
from noticeboard.mail.forms import (
    FREQUENCIES,
    FREQUENCY_LABELS,
    Choice,
    InvalidChoice,
    choice_of,
    validate_choice,
    validate_subscription,
)
from noticeboard.notices.kinds import KINDS
from noticeboard.participation.forms import HONEYPOT, form_token, robot_reason
from noticeboard.results import Refused
from noticeboard.runtime import Runtime, runtime
from noticeboard.state import session_secret
from noticeboard.web.guard import form_field, read_form, requires
from noticeboard.web.rendering import flash, language_of

FORM_LIMIT = 16 * 1024
EVERYONE = ("owner", "editor", "moderator")


def _mail_runtime(request: Request) -> Runtime:
    """The runtime, if this board sends mail; else the pages do not exist."""
    rt = runtime(request)
    if rt.state.config.mail is None:
        raise HTTPException(404, N_("This board sends no e-mail."))
    return rt


def _check_length(request: Request) -> None:
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, N_("The form has no length."))
    if int(length) > FORM_LIMIT:
        raise HTTPException(413, N_("The form is too large."))


async def _read_public_form(request: Request) -> FormData:
    _check_length(request)
    return await request.form(max_files=0, max_fields=30, max_part_size=FORM_LIMIT)


def _groups_of(form: FormData) -> list[str]:
    return [value for value in form.getlist("groups") if isinstance(value, str)]


async def _group_handles(rt: Runtime) -> list[str]:
    return [g.handle for g in await groups.list_groups(rt.state)]


def _kinds_of(form: FormData) -> list[str]:
    if form_field(form, "kinds_mode") != "some":
        return ["all"]
    return [value for value in form.getlist("kinds") if isinstance(value, str)]


# --- subscribing ----------------------------------------------------------------------------


async def subscribe(request: Request) -> Response:
    rt = _mail_runtime(request)
    secret = await session_secret(rt.state.db)
    if request.method == "GET":
        sent = request.query_params.get("sent") == "1"
        return await _form_page(request, rt, {}, {}, secret, sent=sent)
    _check_length(request)
    retry = rt.limits.subscription.hit(request.client.host if request.client else "?")
    if retry is not None:
        response = rt.renderer.error(
            request, 429, N_("Too many subscriptions from here. Please try again later.")
        )
        response.headers["Retry-After"] = str(int(retry) + 1)
        return response
    form = await _read_public_form(request)
    fields = {k: form_field(form, k) for k in ("email", "frequency", "language", "kinds_mode")}
    kinds = _kinds_of(form)
    chosen_groups = _groups_of(form)
    known = await _group_handles(rt)
    robot = robot_reason(form_field(form, HONEYPOT), form_field(form, "form_token"), secret)
    consent = form_field(form, "consent") == "yes"
    if robot is not None:
        return await _form_page(
            request, rt, fields, {"form": robot}, secret, kinds, status_code=400
        )
    try:
        subscription = validate_subscription(fields, kinds, consent, chosen_groups, known)
    except InvalidChoice as exc:
        return await _form_page(request, rt, fields, exc.errors, secret, kinds, status_code=400)
    await service.subscribe(rt.state, subscription)
    rt.wake_mail()
    return RedirectResponse("/mail?sent=1", status_code=303)


async def _form_page(
    request: Request,
    rt: Runtime,
    fields: dict[str, str],
    errors: dict[str, str],
    secret: str,
    kinds: list[str] | None = None,
    *,
    sent: bool = False,
    status_code: int = 200,
) -> Response:
    chosen = Choice(
        fields.get("frequency", "weekly"),
        tuple(k for k in (kinds or []) if k != "all"),
        fields.get("language") or language_of(request),
    )
    return rt.renderer.page(
        request,
        "mail/subscribe.html",
        status_code=status_code,
        form=fields,
        choice=chosen,
        errors=errors,
        sent=sent,
        form_token=form_token(secret),
        honeypot=HONEYPOT,
        **_choice_options(),
        groups=await groups.list_groups(rt.state),
        page_title=N_("Get our news by e-mail"),
    )


def _choice_options() -> dict[str, object]:
    return {
        "frequencies": [(f, FREQUENCY_LABELS[f]) for f in FREQUENCIES],
        "kinds": KINDS,
        "mail_languages": [(code, LANGUAGE_LABELS[code]) for code in LANGUAGES],
    }


async def confirm(request: Request) -> Response:
    """GET shows a button, POST confirms: link checkers that open every link in a mail
    must not subscribe anyone."""
    rt = _mail_runtime(request)
    link = request.path_params["link"]
    if request.method == "GET":
        return rt.renderer.page(
            request, "mail/confirm.html", link=link, page_title=N_("Confirm your subscription")
        )
    result = await service.confirm(rt.state, link)
    if isinstance(result, Refused):
        return rt.renderer.error(request, 400, result.reason)
    return rt.renderer.page(
        request,
        "mail/confirmed.html",
        manage_url=f"/mail/manage/{result.value['token']}",
        page_title=N_("Subscription confirmed"),
    )


# --- changing the choice and unsubscribing --------------------------------------------------


async def manage(request: Request) -> Response:
    rt = _mail_runtime(request)
    token = request.path_params["token"]
    row = await queries.subscriber_by_token(rt.state, token)
    if row is None:
        return rt.renderer.error(request, 404, service.NO_SUCH_SUBSCRIBER)
    choice = choice_of(row["frequency"], row["kinds"], row["language"], row["groups"])
    errors: dict[str, str] = {}
    status_code = 200
    if request.method == "POST":
        form = await _read_public_form(request)
        try:
            choice = validate_choice(
                form_field(form, "frequency"),
                _kinds_of(form),
                form_field(form, "language"),
                _groups_of(form),
                await _group_handles(rt),
            )
        except InvalidChoice as exc:
            errors, status_code = exc.errors, 400
        else:
            await service.change_choice(rt.state, token, choice)
            flash(request, N_("Your choice is saved."))
            return RedirectResponse(f"/mail/manage/{token}", status_code=303)
    return rt.renderer.page(
        request,
        "mail/manage.html",
        status_code=status_code,
        email=row["email"],
        confirmed=bool(row["confirmed"]),
        token=token,
        choice=choice,
        form={"kinds_mode": "some" if choice.kinds else "all"},
        errors=errors,
        **_choice_options(),
        groups=await groups.list_groups(rt.state),
        page_title=N_("Your e-mail subscription"),
    )


async def unsubscribe(request: Request) -> Response:
    """GET asks, POST deletes the address at once — also the one-click POST that mail
    programs send (`List-Unsubscribe=One-Click`, RFC 8058), without cookie or token."""
    rt = _mail_runtime(request)
    token = request.path_params["token"]
    if request.method == "GET":
        row = await queries.subscriber_by_token(rt.state, token)
        if row is None:
            return rt.renderer.error(request, 404, service.NO_SUCH_SUBSCRIBER)
        return rt.renderer.page(
            request,
            "mail/unsubscribe.html",
            email=row["email"],
            token=token,
            page_title=N_("Unsubscribe"),
        )
    await _read_public_form(request)
    result = await service.unsubscribe(rt.state, token)
    if isinstance(result, Refused):
        return rt.renderer.error(request, 404, result.reason)
    return rt.renderer.page(
        request, "mail/unsubscribed.html", email=result.value, page_title=N_("Unsubscribed")
    )


# --- staff ----------------------------------------------------------------------------------


@requires(*EVERYONE)
async def overview(request: Request) -> Response:
    rt = runtime(request)
    return rt.renderer.page(
        request,
        "staff/mail.html",
        configured=rt.state.config.mail is not None,
        counts=await queries.counts_by_choice(rt.state),
        unconfirmed=await queries.count_unconfirmed(rt.state),
        queue=await queries.queue_states(rt.state),
        problems=await queries.problems(rt.state),
        frequency_labels=FREQUENCY_LABELS,
        language_labels=LANGUAGE_LABELS,
        kind_labels={k.id: k.label for k in KINDS},
        page_title=N_("News by e-mail"),
    )


@requires("owner")
async def export(request: Request) -> Response:
    rt = runtime(request)
    rows = await service.export_addresses(rt.state)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "frequency", "kinds", "language", "confirmed"])
    for row in rows:
        kinds = row["kinds"] or "all"
        writer.writerow([row["email"], row["frequency"], kinds, row["language"], row["confirmed"]])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="subscribers.csv"',
            "Cache-Control": "no-store",
        },
    )


@requires("owner", "editor")
async def remove(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request)
    email = form_field(form, "email")
    result = await service.remove(rt.state, email)
    if isinstance(result, Refused):
        flash(request, result.reason)
    else:
        flash(request, N_("The address %(email)s is deleted."), email=result.value)
    return RedirectResponse("/staff/mail", status_code=303)


routes = [
    Route("/mail", subscribe, methods=["GET", "POST"]),
    Route("/mail/confirm/{link}", confirm, methods=["GET", "POST"]),
    Route("/mail/manage/{token}", manage, methods=["GET", "POST"]),
    Route("/mail/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
    Route("/staff/mail", overview),
    Route("/staff/mail/export", export),
    Route("/staff/mail/remove", remove, methods=["POST"]),
]
