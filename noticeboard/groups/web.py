"""Group pages: "Gruppen im Quartier" and each group's page for everyone; the staff pages
where staff create groups and staff or a group's leader look after it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from noticeboard import audit
from noticeboard.groups import queries, service
from noticeboard.groups.forms import (
    JOIN_LABELS,
    POST_LABELS,
    REPEAT_LABELS,
    InvalidGroup,
    check_handle,
    read_group,
)
from noticeboard.i18n import N_
from noticeboard.notices.images import MAX_UPLOAD, InvalidImage, StoredImage, store_image
from noticeboard.results import Ok, Refused
from noticeboard.runtime import runtime
from noticeboard.web.guard import (
    FORM_LIMIT,
    Endpoint,
    current_user,
    form_field,
    read_form,
    requires,
)
from noticeboard.web.rendering import flash

LEADER = service.LEADER
UPLOAD_LIMIT = MAX_UPLOAD + FORM_LIMIT
FORM_FIELDS = (
    "handle",
    "name",
    "summary",
    "meets",
    "place",
    "repeat_rule",
    "first_meeting",
    "contact",
    "picture_alt",
    "newcomers",
    "languages",
    "join_policy",
    "post_policy",
)


def requires_group(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Guard a group's staff page (path parameter `handle`): one of the board roles named, or
    the leader of exactly this group; a leader has no other right (SECURITY.md, rule 52)."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            user = await current_user(request)
            if user is None:
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            allowed = user.role in roles
            if user.role == LEADER:
                state = runtime(request).state
                handle = str(request.path_params.get("handle", "")).lower()
                allowed = await queries.group_handle_of(state, user.group_id) == handle
            if not allowed:
                return runtime(request).renderer.error(
                    request, 403, N_("You are not allowed to do this.")
                )
            request.scope["staff_user"] = user
            audit.set_acting(user.username)
            return await endpoint(request)

        guarded.required_roles = (*roles, LEADER)  # type: ignore[attr-defined]
        guarded.group_scoped = True  # type: ignore[attr-defined]
        return guarded

    return wrap


# --- public pages -----------------------------------------------------------------------------


async def index(request: Request) -> Response:
    rt = runtime(request)
    groups = await queries.list_groups(rt.state)
    return rt.renderer.page(
        request, "groups.html", groups=groups, page_title=N_("Groups in the neighbourhood")
    )


async def page(request: Request) -> Response:
    rt = runtime(request)
    group = await queries.get_group(rt.state, str(request.path_params["handle"]).lower())
    if group is None:
        return rt.renderer.error(request, 404, N_("There is no such group."))
    posts = await queries.posts(rt.state, group.id)
    return rt.renderer.page(
        request,
        "group.html",
        group=group,
        posts=posts,
        page_title=group.name,
        ap_alternate=group.actor_id,
    )


# --- staff pages ------------------------------------------------------------------------------


@requires("owner", "editor", "moderator")
async def staff_index(request: Request) -> Response:
    return await _index_async(request, {}, {})


@requires("owner", "editor")
async def staff_create(request: Request) -> Response:
    rt = runtime(request)
    form = await read_form(request, files=1, limit=UPLOAD_LIMIT)
    try:
        values = _values(form)
        errors: dict[str, str] = {}
        handle, draft = "", None
        try:
            handle = check_handle(values.get("handle", ""))
        except InvalidGroup as exc:
            errors.update(exc.errors)
        try:
            draft = read_group(values, rt.state.config.timezone)
        except InvalidGroup as exc:
            errors.update(exc.errors)
        if errors or draft is None:
            return await _index_async(request, values, errors)
        picture = await _picture(form, rt.state.config.data_dir / "media")
        if isinstance(picture, str):
            return await _index_async(request, values, {"picture": picture})
        result = await service.create_group(rt.state, handle, draft, picture)
    finally:
        await form.close()
    if isinstance(result, Refused):
        return await _index_async(request, values, {result.field or "name": result.reason})
    flash(request, N_("The group has been created."))
    return RedirectResponse(f"/staff/groups/{handle}", status_code=303)


async def _index_async(
    request: Request, values: dict[str, str], errors: dict[str, str]
) -> Response:
    rt = runtime(request)
    return rt.renderer.page(
        request,
        "staff/groups.html",
        status_code=400 if errors else 200,
        groups=await queries.list_groups(rt.state),
        values=values,
        errors=errors,
        may_create=request.scope["staff_user"].role in ("owner", "editor"),
        **_labels(),
        page_title=N_("Groups"),
    )


def _labels() -> dict[str, object]:
    return {"repeat_labels": REPEAT_LABELS, "join_labels": JOIN_LABELS, "post_labels": POST_LABELS}


def _values(form: FormData) -> dict[str, str]:
    return {k: form_field(form, k) for k in FORM_FIELDS}


async def _picture(form: FormData, media_dir: Path) -> StoredImage | None | str:
    upload = form.get("picture")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(MAX_UPLOAD + 1)
    try:
        return await asyncio.to_thread(
            store_image,
            data,
            form_field(form, "picture_alt"),
            media_dir,
        )
    except InvalidImage as exc:
        return exc.message


@requires(LEADER)
async def mine(request: Request) -> Response:
    """A group leader's way in: the page of the one group the leader leads."""
    state = runtime(request).state
    user = request.scope["staff_user"]
    handle = await queries.group_handle_of(state, user.group_id)
    if handle is None:
        return runtime(request).renderer.error(request, 404, N_("There is no such group."))
    return RedirectResponse(f"/staff/groups/{handle}", status_code=303)


@requires_group("owner", "editor", "moderator")
async def manage(request: Request) -> Response:
    return await _manage_page(request, None, {})


async def _manage_page(
    request: Request, values: dict[str, str] | None, errors: dict[str, str], status: int = 200
) -> Response:
    rt = runtime(request)
    state = rt.state
    group = await queries.get_group(state, str(request.path_params["handle"]).lower())
    if group is None:
        return rt.renderer.error(request, 404, N_("There is no such group."))
    shown = values or {
        "name": group.name,
        "summary": group.summary,
        "meets": group.meets,
        "place": group.place,
        "repeat_rule": group.repeat_rule,
        "first_meeting": _local(group.first_meeting, state.config.timezone),
        "contact": group.contact,
        "picture_alt": group.picture_alt,
        "newcomers": "1" if group.newcomers else "",
        "languages": group.languages,
        "join_policy": group.join_policy,
        "post_policy": group.post_policy,
    }
    return rt.renderer.page(
        request,
        "staff/group.html",
        status_code=status,
        group=group,
        values=shown,
        errors=errors,
        held=await queries.posts(state, group.id, ("held",)),
        shown_posts=await queries.posts(state, group.id, ("shown",)),
        members=await queries.members(state, group.actor_id, "accepted"),
        pending=await queries.members(state, group.actor_id, "pending"),
        blocks=await queries.blocks(state, group.id),
        leaders=await queries.leaders(state, group.id),
        may_edit=request.scope["staff_user"].role in ("owner", "editor", LEADER),
        may_name_leader=request.scope["staff_user"].role == "owner",
        **_labels(),
        page_title=group.name,
    )


def _local(moment: str | None, timezone: str) -> str:
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


@requires_group("owner", "editor")
async def edit(request: Request) -> Response:
    state = runtime(request).state
    handle = str(request.path_params["handle"]).lower()
    form = await read_form(request, files=1, limit=UPLOAD_LIMIT)
    try:
        values = _values(form)
        try:
            draft = read_group(values, state.config.timezone)
        except InvalidGroup as exc:
            return await _manage_page(request, values, exc.errors, 400)
        picture = await _picture(form, state.config.data_dir / "media")
        if isinstance(picture, str):
            return await _manage_page(request, values, {"picture": picture}, 400)
        result = await service.edit_group(state, handle, draft, picture)
    finally:
        await form.close()
    return _back(request, handle, result, N_("The group's description has been saved."))


def _back(request: Request, handle: str, result: object, message: str) -> Response:
    flash(request, message if isinstance(result, Ok) else getattr(result, "reason", message))
    return RedirectResponse(f"/staff/groups/{handle}", status_code=303)


@requires_group("owner", "editor", "moderator")
async def post_decision(request: Request) -> Response:
    state = runtime(request).state
    handle = str(request.path_params["handle"]).lower()
    await read_form(request)
    post_id = request.path_params["post_id"]
    decision = request.path_params["decision"]
    if decision == "approve":
        result = await service.approve_post(state, handle, post_id)
        return _back(request, handle, result, N_("The post has been shared with the members."))
    if decision == "remove":
        result = await service.remove_post(state, handle, post_id)
        return _back(request, handle, result, N_("The post has been removed from the group."))
    return runtime(request).renderer.error(request, 404, N_("There is no such page."))


@requires_group("owner", "editor", "moderator")
async def member_action(request: Request) -> Response:
    state = runtime(request).state
    handle = str(request.path_params["handle"]).lower()
    form = await read_form(request)
    actor = form_field(form, "actor")
    action = request.path_params["action"]
    if action == "approve":
        result: object = await service.approve_member(state, handle, actor)
        return _back(request, handle, result, N_("The member has been let in."))
    if action in ("remove", "block"):
        result = await service.remove_member(state, handle, actor, block=action == "block")
        message = (
            N_("The account has been removed and blocked.")
            if action == "block"
            else N_("The member has been removed.")
        )
        return _back(request, handle, result, message)
    return runtime(request).renderer.error(request, 404, N_("There is no such page."))


@requires("owner")
async def leader(request: Request) -> Response:
    rt = runtime(request)
    handle = str(request.path_params["handle"]).lower()
    form = await read_form(request)
    result = await service.make_leader(rt.state, form_field(form, "username"), handle)
    if isinstance(result, Refused):
        return _back(request, handle, result, result.reason)
    if result.value:
        return rt.renderer.page(
            request,
            "staff/group_leader.html",
            handle=handle,
            username=form_field(form, "username").strip().lower(),
            password=result.value,
            page_title=N_("Group leader"),
        )
    return _back(request, handle, result, N_("The account now leads this group."))


routes = [
    Route("/gruppen", index),
    Route("/gruppen/{handle}", page),
    Route("/staff/groups", staff_index),
    Route("/staff/groups/new", staff_create, methods=["POST"]),
    Route("/staff/groups/mine", mine),
    Route("/staff/groups/{handle}", manage),
    Route("/staff/groups/{handle}/edit", edit, methods=["POST"]),
    Route("/staff/groups/{handle}/leader", leader, methods=["POST"]),
    Route("/staff/groups/{handle}/posts/{post_id:int}/{decision}", post_decision, methods=["POST"]),
    Route("/staff/groups/{handle}/members/{action}", member_action, methods=["POST"]),
]
