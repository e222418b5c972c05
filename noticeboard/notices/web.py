"""Staff pages for notices: write, preview, publish, edit, delete, pin, translate, polls."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import noticeboard.web.convertors  # noqa: F401  (registers the 'rowid' path type)
from federation.database import Row
from noticeboard.i18n import N_
from noticeboard.languages import COMMON, is_language, own_name
from noticeboard.notices import queries, service
from noticeboard.notices.forms import (
    CONSENT_FIELDS,
    CONSENT_METHODS,
    NOTICE_FIELDS,
    InvalidNotice,
    NoticeDraft,
    NoticeForm,
    validate_consent,
    validate_draft,
)
from noticeboard.notices.images import (
    MAX_IMAGES,
    MAX_UPLOAD,
    InvalidImage,
    StoredImage,
    store_image,
)
from noticeboard.notices.kinds import KINDS
from noticeboard.notices.text import render_markdown
from noticeboard.pages.views import notice_view
from noticeboard.results import Ok, Refused
from noticeboard.runtime import runtime
from noticeboard.web.guard import FORM_LIMIT, StaffUser, form_field, read_form, requires
from noticeboard.web.rendering import flash

WEB_FIELDS = tuple(f for f in NOTICE_FIELDS if f != "lang")  # what the compose form shows


async def _notice(request: Request, *, kind: str | None = None) -> Row:
    """The notice a staff page is about; a 404 page if there is none (of that kind)."""
    row = await queries.get_notice(runtime(request).state, request.path_params["notice_id"])
    if row is None or (kind is not None and row["kind"] != kind):
        raise HTTPException(404, N_("This notice does not exist (any more)."))
    return row


def _compose_page(
    request: Request, form: Mapping[str, str], *, notice_id: int | None = None, **extra: Any
) -> Response:
    action = f"/staff/notices/{notice_id}/edit" if notice_id else "/staff/notices/new"
    return runtime(request).renderer.page(
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


def _posted(form: FormData) -> dict[str, str]:
    """The notice fields of a posted compose form (an unticked box is absent: empty)."""
    return {name: form_field(form, name) for name in WEB_FIELDS}


async def _draft_or_page(
    request: Request, form: FormData, start: NoticeForm, notice_id: int | None
) -> tuple[NoticeDraft | None, Response | None]:
    """Validate the posted draft; answer with the form again for errors or a preview."""
    state = runtime(request).state
    values = start.merged(_posted(form))
    shown = {**values.values, **{k: form_field(form, k) for k in CONSENT_FIELDS}}
    try:
        draft = values.validate(state.clock(), state.config.timezone)
    except InvalidNotice as exc:
        page = _compose_page(
            request, shown, notice_id=notice_id, errors=exc.errors, status_code=400
        )
        return None, page
    if form_field(form, "action") != "publish":
        preview = render_markdown(draft.body)
        return None, _compose_page(request, shown, notice_id=notice_id, preview_html=preview)
    return draft, None


@requires("owner", "editor")
async def compose(request: Request) -> Response:
    if request.method == "GET":
        return _compose_page(request, {})
    form = await read_form(request, files=MAX_IMAGES, limit=UPLOAD_LIMIT)
    try:
        return await _publish(request, form)
    finally:
        await form.close()  # uploads are spooled to temporary files


async def _publish(request: Request, form: FormData) -> Response:
    draft, page = await _draft_or_page(request, form, NoticeForm(), None)
    if draft is None:
        assert page is not None
        return page
    state = runtime(request).state
    try:
        provenance = validate_consent(
            *(form_field(form, k) for k in CONSENT_FIELDS),
            now=state.clock(),
            timezone=state.config.timezone,
        )
    except InvalidNotice as exc:
        values = {k: form_field(form, k) for k in form if isinstance(form[k], str)}
        return _compose_page(request, values, errors=exc.errors, status_code=400)
    images = await _store_images(form, state.config.data_dir / "media")
    if isinstance(images, str):
        values = {k: form_field(form, k) for k in form if isinstance(form[k], str)}
        return _compose_page(request, values, errors={"images": images}, status_code=400)
    user: StaffUser = request.scope["staff_user"]
    published = await service.publish(state, draft, user.id, images, provenance)
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
    state = runtime(request).state
    notice_id = request.path_params["notice_id"]
    form = await read_form(request) if request.method == "POST" else None
    row = await _notice(request)
    start = await queries.edit_form(state, row)
    if form is None:
        return _compose_page(request, start.values, notice_id=notice_id)
    draft, page = await _draft_or_page(request, form, start, notice_id)
    if draft is None:
        assert page is not None
        return page
    result = await service.edit(state, notice_id, draft)
    if not isinstance(result, Ok):
        values = start.merged({"title": draft.title, "body": draft.body}).values
        errors = {result.field or "form": result.reason}
        return _compose_page(request, values, notice_id=notice_id, errors=errors, status_code=400)
    flash(request, N_("The notice has been changed. Followers get the new version."))
    return RedirectResponse("/staff", status_code=303)


@requires("owner", "editor")
async def delete(request: Request) -> Response:
    rt = runtime(request)
    notice_id = request.path_params["notice_id"]
    form = await read_form(request) if request.method == "POST" else None
    row = await _notice(request)
    if form is None:
        view = notice_view(row, rt.state.urls)
        return rt.renderer.page(
            request, "staff/delete.html", notice=view, page_title="Delete notice"
        )
    await service.delete(rt.state, notice_id)
    flash(request, N_("The notice has been deleted. Followers are told."))
    return RedirectResponse("/staff", status_code=303)


@requires("owner", "editor")
async def pin(request: Request) -> Response:
    form = await read_form(request)
    pinned = form_field(form, "pinned") == "1"
    state = runtime(request).state
    if (await service.pin(state, request.path_params["notice_id"], pinned)).ok:
        flash(request, N_("The notice is pinned.") if pinned else N_("The notice is unpinned."))
    return RedirectResponse("/staff", status_code=303)


@requires("owner", "editor")
async def translations(request: Request) -> Response:
    rt = runtime(request)
    notice_id = request.path_params["notice_id"]
    form = await read_form(request) if request.method == "POST" else None
    row = await _notice(request)
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if form is not None:
        values = {k: form_field(form, k).strip() for k in ("lang", "title", "body", "remove")}
        errors = await _save_translation(request, notice_id, values)
        if not errors:
            return RedirectResponse(f"/staff/notices/{notice_id}/translations", status_code=303)
    return rt.renderer.page(
        request,
        "staff/translations.html",
        status_code=400 if errors else 200,
        notice=notice_view(row, rt.state.urls),
        main_lang=own_name(row["lang"] or rt.state.config.language),
        translations=[
            {"lang": t["lang"], "name": own_name(t["lang"]), "title": t["title"]}
            for t in await queries.translations(rt.state, notice_id)
        ],
        language_choices=[(code, own_name(code)) for code in COMMON],
        form=values,
        errors=errors,
        page_title="Translations",
    )


async def _save_translation(
    request: Request, notice_id: int, values: dict[str, str]
) -> dict[str, str]:
    state = runtime(request).state
    lang = values["lang"].lower()
    if not is_language(lang):
        return {"lang": N_("Please use a language code like de, en or tr.")}
    if values["remove"]:
        await service.remove_translation(state, notice_id, lang)
        return {}
    try:
        draft = validate_draft(values["title"], values["body"])
    except InvalidNotice as exc:
        return exc.errors
    result = await service.set_translation(state, notice_id, lang, draft.title, draft.body)
    return {} if isinstance(result, Ok) else {"lang": result.reason}


@requires("owner", "editor")
async def poll_codes(request: Request) -> Response:
    rt = runtime(request)
    notice_id = request.path_params["notice_id"]
    form = await read_form(request) if request.method == "POST" else None
    row = await _notice(request, kind="poll")
    if form is not None:
        count = form_field(form, "count")
        number = int(count) if count.isdigit() and len(count) <= 4 else 0
        made = await service.add_poll_codes(rt.state, notice_id, number)
        if isinstance(made, Refused):
            return rt.renderer.error(request, 400, made.reason)
        return RedirectResponse(f"/staff/notices/{notice_id}/codes", status_code=303)
    return rt.renderer.page(
        request,
        "staff/codes.html",
        notice=notice_view(row, rt.state.urls),
        codes=await queries.poll_codes(rt.state, notice_id),
        page_title="Participation codes",
    )


@requires("owner", "editor")
async def mark_done(request: Request) -> Response:
    await read_form(request)
    result = await service.mark_done(runtime(request).state, request.path_params["notice_id"])
    if result.ok:
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
