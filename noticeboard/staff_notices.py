"""Staff pages for notices: write, preview, publish, edit, delete, pin, translate, polls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import noticeboard.convertors  # noqa: F401  (registers the 'rowid' path type)
from federation.database import Row, from_db_time
from noticeboard import store, store_polls
from noticeboard.i18n import N_
from noticeboard.kinds import KINDS
from noticeboard.languages import COMMON, is_language, own_name
from noticeboard.media import MAX_IMAGES, MAX_UPLOAD, InvalidImage, StoredImage, store_image
from noticeboard.posts import (
    CONSENT_METHODS,
    InvalidNotice,
    NoticeDraft,
    render_markdown,
    validate_consent,
    validate_draft,
)
from noticeboard.rendering import flash
from noticeboard.services import Services
from noticeboard.staffauth import FORM_LIMIT, StaffUser, form_field, read_form, requires, services
from noticeboard.views import notice_view

Endpoint = Callable[[Request], Awaitable[Response]]


async def _notice_and_form(
    request: Request, *, kind: str | None = None
) -> tuple[Row, FormData | None] | Response:
    """The notice a staff page is about and, for a POST, its CSRF-checked form (checked first)."""
    s = services(request)
    form = await read_form(request) if request.method == "POST" else None
    if isinstance(form, Response):
        return form
    row = await store.get_notice_by_id(s.board.db, request.path_params["notice_id"])
    if row is None or (kind is not None and row["kind"] != kind):
        return s.renderer.error(request, 404, N_("This notice does not exist (any more)."))
    return row, form


DRAFT_FIELDS = ("title", "body", "category", "kind", "valid_until")
POLL_FIELDS = ("options", "multiple", "closes", "web_votes")
CONSENT_FIELDS = ("on_behalf_of", "consent_method", "consent_given", "consent_until")
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
        consent_methods=CONSENT_METHODS,
        **{"errors": {}, "preview_html": None, **extra},
    )


async def _draft_or_page(
    request: Request, form: FormData, notice_id: int | None
) -> tuple[NoticeDraft | None, Response | None]:
    """Validate the posted draft; answer with the form again for errors or a preview."""
    s = services(request)
    values = {
        k: form_field(form, k)
        for k in (*DRAFT_FIELDS, *EVENT_FIELDS, *POLL_FIELDS, *CONSENT_FIELDS)
    }
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
    if form_field(form, "action") != "publish":
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
    board = services(request).board
    try:
        provenance = validate_consent(
            *(form_field(form, k) for k in CONSENT_FIELDS),
            now=board.clock(),
            timezone=board.config.timezone,
        )
    except InvalidNotice as exc:
        values = {k: form_field(form, k) for k in form if isinstance(form[k], str)}
        return _compose_page(request, values, errors=exc.errors, status_code=400)
    images = await _store_images(form, services(request).board.config.data_dir / "media")
    if isinstance(images, str):
        values = {k: form_field(form, k) for k in form if isinstance(form[k], str)}
        return _compose_page(request, values, errors={"images": images}, status_code=400)
    user: StaffUser = request.scope["staff_user"]
    published = await board.publish_notice(draft, user.id, images, provenance)
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
            image = await asyncio.to_thread(
                store_image, data, form_field(form, f"alt{n}"), media_dir
            )
        except InvalidImage as exc:
            return exc.message
        stored.append(image)
    return stored


@requires("owner", "editor")
async def edit(request: Request) -> Response:
    s = services(request)
    notice_id = request.path_params["notice_id"]
    found = await _notice_and_form(request)
    if isinstance(found, Response):
        return found
    row, form = found
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
    found = await _notice_and_form(request)
    if isinstance(found, Response):
        return found
    row, form = found
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
    pinned = form_field(form, "pinned") == "1"
    if await services(request).board.pin_notice(request.path_params["notice_id"], pinned):
        flash(request, N_("The notice is pinned.") if pinned else N_("The notice is unpinned."))
    return RedirectResponse("/staff", status_code=303)


@requires("owner", "editor")
async def translations(request: Request) -> Response:
    s = services(request)
    notice_id = request.path_params["notice_id"]
    found = await _notice_and_form(request)
    if isinstance(found, Response):
        return found
    row, form = found
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if form is not None:
        values = {k: form_field(form, k).strip() for k in ("lang", "title", "body", "remove")}
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
    found = await _notice_and_form(request, kind="poll")
    if isinstance(found, Response):
        return found
    row, form = found
    if form is not None:
        count = form_field(form, "count")
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


routes = [
    Route("/staff/notices/new", compose, methods=["GET", "POST"]),
    Route("/staff/notices/{notice_id:rowid}/edit", edit, methods=["GET", "POST"]),
    Route("/staff/notices/{notice_id:rowid}/delete", delete, methods=["GET", "POST"]),
    Route("/staff/notices/{notice_id:rowid}/pin", pin, methods=["POST"]),
    Route("/staff/notices/{notice_id:rowid}/done", mark_done, methods=["POST"]),
    Route("/staff/notices/{notice_id:rowid}/codes", poll_codes, methods=["GET", "POST"]),
    Route("/staff/notices/{notice_id:rowid}/translations", translations, methods=["GET", "POST"]),
]
