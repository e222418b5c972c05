"""Staff pages: sign in, write and publish notices, see followers and deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import noticeboard.convertors  # noqa: F401  (registers the 'rowid' path type)
from federation import store as fedstore
from federation.database import from_db_time
from noticeboard import auth, store, store_polls
from noticeboard.i18n import N_
from noticeboard.kinds import KINDS
from noticeboard.languages import COMMON, is_language, own_name
from noticeboard.media import MAX_IMAGES, MAX_UPLOAD, InvalidImage, StoredImage, store_image
from noticeboard.posts import InvalidNotice, NoticeDraft, render_markdown, validate_draft
from noticeboard.rendering import flash
from noticeboard.services import Services
from noticeboard.views import FollowRequestView, notice_view

Endpoint = Callable[[Request], Awaitable[Response]]
FORM_LIMIT = 64 * 1024


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    role: str


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def current_user(request: Request) -> StaffUser | None:
    """Return the signed-in, active staff member of this request, if any."""
    if "staff_user" in request.scope:
        return request.scope["staff_user"]  # type: ignore[no-any-return]
    user_id = request.session.get("staff_id")
    if not isinstance(user_id, int):
        return None
    row = await store.get_staff_by_id(services(request).board.db, user_id)
    if row is None or not row["active"]:
        request.session.pop("staff_id", None)
        return None
    return StaffUser(row["id"], row["username"], row["role"])


def requires(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Guard a staff endpoint: signed in, and one of the roles (security rule 21)."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            user = await current_user(request)
            if user is None:
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            if user.role not in roles:
                return services(request).renderer.error(
                    request, 403, N_("You are not allowed to do this.")
                )
            request.scope["staff_user"] = user
            return await endpoint(request)

        guarded.required_roles = roles  # type: ignore[attr-defined]
        return guarded

    return wrap


async def read_form(
    request: Request, *, files: int = 0, limit: int = FORM_LIMIT
) -> FormData | Response:
    """Parse a form with a size cap and check its CSRF token (every staff form has one)."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():  # a form without a length could be endless
        return services(request).renderer.error(request, 411, N_("The form has no length."))
    if int(length) > limit:
        return services(request).renderer.error(request, 413, N_("The form is too large."))
    form = await request.form(max_files=files, max_fields=50, max_part_size=FORM_LIMIT)
    if not auth.csrf_matches(request.session.get("csrf"), _field(form, "csrf_token")):
        await form.close()
        return services(request).renderer.error(
            request, 403, N_("The form has expired. Please go back, reload the page and try again.")
        )
    return form


def _field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _safe_next(value: str) -> str:
    return (
        value
        if value.startswith("/") and not value.startswith("//") and "\\" not in value
        else "/staff"
    )


async def login(request: Request) -> Response:
    s = services(request)
    if request.method == "GET":
        return s.renderer.page(request, "login.html", page_title="Login", error=None, username="")
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    ip = request.client.host if request.client else "?"
    retry = s.login_limiter.hit(ip)
    if retry is not None:
        response = s.renderer.error(
            request, 429, N_("Too many sign-in attempts. Please wait a few minutes and try again.")
        )
        response.headers["Retry-After"] = str(int(retry) + 1)
        return response
    username, password = _field(form, "username").strip(), _field(form, "password")
    row = await store.get_staff_by_username(s.board.db, username)
    if row is None or not row["active"] or not auth.verify_password(password, row["password_hash"]):
        return s.renderer.page(
            request,
            "login.html",
            status_code=400,
            error=N_("Wrong user name or password."),
            username=username,
            next=_field(form, "next"),
        )
    request.session.clear()
    request.session["staff_id"] = row["id"]
    request.session["csrf"] = auth.new_csrf_token()
    return RedirectResponse(_safe_next(_field(form, "next")), status_code=303)


async def logout(request: Request) -> Response:
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@requires("owner", "editor", "moderator")
async def dashboard(request: Request) -> Response:
    s = services(request)
    board = s.board
    rows = await store.list_notices(board.db, before=None, limit=50)
    counts = await fedstore.delivery_counts(
        board.db, [r["create_activity_id"] for r in rows if r["create_activity_id"]]
    )
    notices = [notice_view(r, board.urls, counts.get(r["create_activity_id"])) for r in rows]
    pending = await fedstore.list_followers(
        board.db, board.urls.actor, state="pending", before=None, limit=100
    )
    return s.renderer.page(
        request,
        "staff/dashboard.html",
        notices=notices,
        follower_count=await fedstore.count_followers(board.db, board.urls.actor),
        pending_follows=[await _request_view(s, r) for r in pending],
        page_title="Management",
    )


async def _request_view(s: Services, row: Any) -> FollowRequestView:
    actor = await fedstore.get_remote_actor(s.board.db, row["actor_id"])
    handle = (
        f"@{actor.preferred_username}@{actor.host}" if actor and actor.preferred_username else None
    )
    return FollowRequestView(row["rowid"], row["actor_id"], handle, from_db_time(row["created"]))


DRAFT_FIELDS = ("title", "body", "category", "kind", "valid_until")
POLL_FIELDS = ("options", "multiple", "closes", "web_votes")
EVENT_FIELDS = (
    "start",
    "end",
    "place_name",
    "place_address",
    "online_url",
    "latitude",
    "longitude",
)


def _compose_page(
    request: Request, form: dict[str, str], *, notice_id: int | None = None, **extra: Any
) -> Response:
    action = f"/staff/notices/{notice_id}/edit" if notice_id else "/staff/notices/new"
    return services(request).renderer.page(
        request,
        "staff/compose.html",
        kinds=KINDS,
        form=form,
        form_action=action,
        editing=notice_id is not None,
        page_title="Edit notice" if notice_id else "New notice",
        **{"errors": {}, "preview_html": None, **extra},
    )


async def _draft_or_page(
    request: Request, form: FormData, notice_id: int | None
) -> tuple[NoticeDraft | None, Response | None]:
    """Validate the posted draft; answer with the form again for errors or a preview."""
    s = services(request)
    values = {k: _field(form, k) for k in (*DRAFT_FIELDS, *EVENT_FIELDS, *POLL_FIELDS)}
    try:
        draft = validate_draft(
            values["title"],
            values["body"],
            values["category"],
            kind=values["kind"],
            valid_until=values["valid_until"],
            now=s.board.clock(),
            timezone=s.board.config.timezone,
            event={k: values[k] for k in EVENT_FIELDS},
            poll={
                "options": values["options"].splitlines(),
                "multiple": values["multiple"] == "1",
                "closes": values["closes"],
                "web_votes": values["web_votes"],
            },
        )
    except InvalidNotice as exc:
        page = _compose_page(
            request, values, notice_id=notice_id, errors=exc.errors, status_code=400
        )
        return None, page
    if _field(form, "action") != "publish":
        preview = render_markdown(draft.body)
        return None, _compose_page(request, values, notice_id=notice_id, preview_html=preview)
    return draft, None


@requires("owner", "editor")
async def compose(request: Request) -> Response:
    if request.method == "GET":
        return _compose_page(request, {})
    form = await read_form(request, files=MAX_IMAGES, limit=UPLOAD_LIMIT)
    if isinstance(form, Response):
        return form
    try:
        return await _publish(request, form)
    finally:
        await form.close()  # uploads are spooled to temporary files


async def _publish(request: Request, form: FormData) -> Response:
    draft, page = await _draft_or_page(request, form, None)
    if draft is None:
        assert page is not None
        return page
    images = await _store_images(form, services(request).board.config.data_dir / "media")
    if isinstance(images, str):
        values = {k: _field(form, k) for k in form if isinstance(form[k], str)}
        return _compose_page(request, values, errors={"images": images}, status_code=400)
    user: StaffUser = request.scope["staff_user"]
    published = await services(request).board.publish_notice(draft, user.id, images)
    flash(
        request,
        N_("The notice has been published for %(followers)s followers on %(servers)s servers."),
        followers=published.followers,
        servers=published.inboxes,
    )
    return RedirectResponse("/staff", status_code=303)


UPLOAD_LIMIT = MAX_IMAGES * MAX_UPLOAD + FORM_LIMIT


async def _store_images(form: FormData, media_dir: Path) -> list[StoredImage] | str:
    """Clean and store the uploaded pictures; a message id if one cannot be used."""
    stored = []
    for n in range(1, MAX_IMAGES + 1):
        upload = form.get(f"image{n}")
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        data = await upload.read(MAX_UPLOAD + 1)
        try:
            image = await asyncio.to_thread(store_image, data, _field(form, f"alt{n}"), media_dir)
        except InvalidImage as exc:
            return exc.message
        stored.append(image)
    return stored


@requires("owner", "editor")
async def edit(request: Request) -> Response:
    s = services(request)
    notice_id = request.path_params["notice_id"]
    form = await read_form(request) if request.method == "POST" else None
    if isinstance(form, Response):
        return form
    row = await store.get_notice_by_id(s.board.db, notice_id)
    if row is None:
        return s.renderer.error(request, 404, N_("This notice does not exist (any more)."))
    if form is None:
        return _compose_page(request, await _form_values(row, s), notice_id=notice_id)
    draft, page = await _draft_or_page(request, form, notice_id)
    if draft is None:
        assert page is not None
        return page
    if draft.poll and list(draft.poll.options) != await _option_names(s, notice_id):
        error = N_("The answers of a published poll cannot be changed.")
        values = {**(await _form_values(row, s)), "title": draft.title, "body": draft.body}
        return _compose_page(
            request, values, notice_id=notice_id, errors={"options": error}, status_code=400
        )
    await s.board.edit_notice(notice_id, draft)
    flash(request, N_("The notice has been changed. Followers get the new version."))
    return RedirectResponse("/staff", status_code=303)


async def _form_values(row: Any, s: Services) -> dict[str, str]:
    view = notice_view(row, s.board.urls)
    zone = ZoneInfo(s.board.config.timezone)

    def local(moment: datetime | None, fmt: str) -> str:
        return moment.astimezone(zone).strftime(fmt) if moment else ""

    return {
        "title": row["title"],
        "body": row["body_md"],
        "category": row["category"] or "",
        "kind": row["kind"],
        "valid_until": "" if row["kind"] == "event" else local(view.valid_until, "%Y-%m-%d"),
        "start": local(view.event_start, "%Y-%m-%dT%H:%M"),
        "end": local(view.event_end, "%Y-%m-%dT%H:%M"),
        "place_name": row["place_name"] or "",
        "place_address": row["place_address"] or "",
        "online_url": row["online_url"] or "",
        "latitude": "" if row["latitude"] is None else str(row["latitude"]),
        "longitude": "" if row["longitude"] is None else str(row["longitude"]),
        "options": "\n".join(await _option_names(s, row["id"])),
        "multiple": "1" if row["poll_multiple"] else "",
        "closes": local(
            from_db_time(row["poll_closes"]) if row["poll_closes"] else None, "%Y-%m-%dT%H:%M"
        ),
        "web_votes": row["poll_web_votes"],
    }


async def _option_names(s: Services, notice_id: int) -> list[str]:
    return [o["name"] for o in await store_polls.list_options(s.board.db, notice_id)]


@requires("owner", "editor")
async def delete(request: Request) -> Response:
    s = services(request)
    notice_id = request.path_params["notice_id"]
    form = await read_form(request) if request.method == "POST" else None
    if isinstance(form, Response):
        return form
    row = await store.get_notice_by_id(s.board.db, notice_id)
    if row is None:
        return s.renderer.error(request, 404, N_("This notice does not exist (any more)."))
    if form is None:
        view = notice_view(row, s.board.urls)
        return s.renderer.page(
            request, "staff/delete.html", notice=view, page_title="Delete notice"
        )
    await s.board.delete_notice(notice_id)
    flash(request, N_("The notice has been deleted. Followers are told."))
    return RedirectResponse("/staff", status_code=303)


@requires("owner", "editor")
async def pin(request: Request) -> Response:
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    pinned = _field(form, "pinned") == "1"
    if await services(request).board.pin_notice(request.path_params["notice_id"], pinned):
        flash(request, N_("The notice is pinned.") if pinned else N_("The notice is unpinned."))
    return RedirectResponse("/staff", status_code=303)


@requires("owner", "editor")
async def translations(request: Request) -> Response:
    s = services(request)
    notice_id = request.path_params["notice_id"]
    form = await read_form(request) if request.method == "POST" else None
    if isinstance(form, Response):
        return form
    row = await store.get_notice_by_id(s.board.db, notice_id)
    if row is None:
        return s.renderer.error(request, 404, N_("This notice does not exist (any more)."))
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if form is not None:
        values = {k: _field(form, k).strip() for k in ("lang", "title", "body", "remove")}
        errors = await _save_translation(s, notice_id, values)
        if not errors:
            return RedirectResponse(f"/staff/notices/{notice_id}/translations", status_code=303)
    return s.renderer.page(
        request,
        "staff/translations.html",
        status_code=400 if errors else 200,
        notice=notice_view(row, s.board.urls),
        main_lang=own_name(row["lang"] or s.board.config.language),
        translations=[
            {"lang": t["lang"], "name": own_name(t["lang"]), "title": t["title"]}
            for t in await store.list_translations(s.board.db, notice_id)
        ],
        language_choices=[(code, own_name(code)) for code in COMMON],
        form=values,
        errors=errors,
        page_title="Translations",
    )


async def _save_translation(s: Services, notice_id: int, values: dict[str, str]) -> dict[str, str]:
    lang = values["lang"].lower()
    if not is_language(lang):
        return {"lang": N_("Please use a language code like de, en or tr.")}
    if values["remove"]:
        await s.board.remove_translation(notice_id, lang)
        return {}
    try:
        draft = validate_draft(values["title"], values["body"])
    except InvalidNotice as exc:
        return exc.errors
    if not await s.board.set_translation(notice_id, lang, draft.title, draft.body):
        return {"lang": N_("This is the notice's own language.")}
    return {}


@requires("owner", "editor")
async def poll_codes(request: Request) -> Response:
    s = services(request)
    notice_id = request.path_params["notice_id"]
    form = await read_form(request) if request.method == "POST" else None
    if isinstance(form, Response):
        return form
    row = await store.get_notice_by_id(s.board.db, notice_id)
    if row is None or row["kind"] != "poll":
        return s.renderer.error(request, 404, N_("This notice does not exist (any more)."))
    if form is not None:
        count = _field(form, "count")
        if not count.isdigit() or not 1 <= int(count) <= MAX_CODES:
            return s.renderer.error(request, 400, N_("Please ask for 1 to 500 codes."))
        await s.board.add_poll_codes(notice_id, int(count))
        return RedirectResponse(f"/staff/notices/{notice_id}/codes", status_code=303)
    return s.renderer.page(
        request,
        "staff/codes.html",
        notice=notice_view(row, s.board.urls),
        codes=await store_polls.list_codes(s.board.db, notice_id),
        page_title="Participation codes",
    )


MAX_CODES = 500


@requires("owner", "editor")
async def mark_done(request: Request) -> Response:
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    if await services(request).board.mark_done(request.path_params["notice_id"]):
        flash(request, N_("The notice is marked as done. Followers are told."))
    else:
        flash(request, N_("This notice cannot be marked as done."))
    return RedirectResponse("/staff", status_code=303)


@requires("owner", "moderator")
async def follow_decision(request: Request) -> Response:
    s = services(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    row = await fedstore.get_follower_by_rowid(s.board.db, request.path_params["row"])
    if row is None or request.path_params["decision"] not in ("approve", "reject"):
        return s.renderer.error(request, 404, N_("This follow request does not exist (any more)."))
    if request.path_params["decision"] == "approve":
        await s.board.approve_follower(row["actor_id"])
        flash(request, N_("The follow request has been accepted."))
    else:
        await s.board.reject_follower(row["actor_id"])
        flash(request, N_("The follow request has been declined."))
    return RedirectResponse("/staff", status_code=303)


@requires("owner")
async def problems(request: Request) -> Response:
    s = services(request)
    rows = await fedstore.list_deliveries(s.board.db, ("failed", "dead"))
    deliveries = [{**dict(r), "updated": from_db_time(r["updated"])} for r in rows]
    return s.renderer.page(
        request,
        "staff/problems.html",
        deliveries=deliveries,
        inbox_failures=await fedstore.list_failed_inbox(s.board.db),
        page_title="Delivery problems",
    )


@requires("owner")
async def retry_delivery(request: Request) -> Response:
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    if await services(request).board.retry_delivery(request.path_params["delivery_id"]):
        flash(request, N_("The delivery is queued again."))
    else:
        flash(request, N_("This delivery cannot be retried."))
    return RedirectResponse("/staff/problems", status_code=303)


@requires("owner")
async def retry_inbox(request: Request) -> Response:
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    if await services(request).board.retry_inbox_activity(_field(form, "activity_id")):
        flash(request, N_("The activity is queued for processing again."))
    return RedirectResponse("/staff/problems", status_code=303)


routes = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/staff", dashboard),
    Route("/staff/notices/new", compose, methods=["GET", "POST"]),
    Route("/staff/notices/{notice_id:rowid}/edit", edit, methods=["GET", "POST"]),
    Route("/staff/notices/{notice_id:rowid}/delete", delete, methods=["GET", "POST"]),
    Route("/staff/notices/{notice_id:rowid}/pin", pin, methods=["POST"]),
    Route("/staff/notices/{notice_id:rowid}/done", mark_done, methods=["POST"]),
    Route("/staff/notices/{notice_id:rowid}/codes", poll_codes, methods=["GET", "POST"]),
    Route("/staff/notices/{notice_id:rowid}/translations", translations, methods=["GET", "POST"]),
    Route("/staff/follows/{row:rowid}/{decision:str}", follow_decision, methods=["POST"]),
    Route("/staff/problems", problems),
    Route("/staff/problems/deliveries/{delivery_id:rowid}/retry", retry_delivery, methods=["POST"]),
    Route("/staff/problems/inbox/retry", retry_inbox, methods=["POST"]),
]
