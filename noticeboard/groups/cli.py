"""Groups from the command line: what staff and group leaders do on the group pages."""

from __future__ import annotations

import argparse
from pathlib import Path

from noticeboard.cli.base import (
    AddCommand,
    Handler,
    UsageError,
    check,
    print_listing,
    subcommands,
    with_state,
)
from noticeboard.config import Config
from noticeboard.groups import queries, service
from noticeboard.groups.forms import (
    JOIN_POLICIES,
    POST_POLICIES,
    REPEAT_RULES,
    InvalidGroup,
    check_handle,
    read_group,
)
from noticeboard.notices.images import MAX_UPLOAD, InvalidImage, StoredImage, store_image
from noticeboard.state import BoardState

DESCRIPTION = (
    "name",
    "summary",
    "meets",
    "place",
    "repeat",
    "first_meeting",
    "contact",
    "picture_alt",
    "languages",
    "join",
    "posts",
)


def register(command: AddCommand) -> dict[str, Handler]:
    action = subcommands(command("groups", "Groups on the board.", nested=True), "action")
    create = action("create", "Create a group: its own fediverse account on this board.")
    create.add_argument("handle", help="the group's handle, e.g. garten (@garten@host)")
    _description(create, required=True)
    edit = action("edit", "Change a group's description, meetings or rules.")
    edit.add_argument("handle")
    _description(edit, required=False)
    listing = action("list", "List the groups.")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    show = action("show", "Show one group: members, asking to join, held and shared posts.")
    show.add_argument("handle")
    show.add_argument("--json", action="store_true", help="print a JSON object")
    leader = action(
        "leader", "Make an account the leader of one group (new accounts get a password)."
    )
    leader.add_argument("username")
    leader.add_argument("group", metavar="GROUP", help="the group's handle")
    for name, text in (
        ("approve-post", "Share a held post with the group's members."),
        ("remove-post", "Take a post out of the group (its Announce is undone)."),
    ):
        sub = action(name, text)
        sub.add_argument("group", metavar="GROUP")
        sub.add_argument("post", type=int, metavar="POST", help="the post's number (groups show)")
    for name, text in (
        ("approve-member", "Let an account that asked to join in."),
        ("remove-member", "Remove a member."),
        ("block-member", "Remove a member and refuse the account's follows and posts."),
    ):
        sub = action(name, text)
        sub.add_argument("group", metavar="GROUP")
        sub.add_argument("actor", metavar="ACTOR", help="the account's id (groups show)")
    return {"groups": run}


def _description(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--name", required=required)
    parser.add_argument("--summary", help="what the group does, in plain words")
    parser.add_argument("--meets", help="when it meets, in words")
    parser.add_argument("--place", help="where it meets")
    parser.add_argument("--first-meeting", metavar="WHEN", help="e.g. '2026-12-01 17:00'")
    parser.add_argument("--repeat", choices=[r for r in REPEAT_RULES if r] + ["none"])
    parser.add_argument("--contact", help="the contact person")
    parser.add_argument("--languages", help="languages spoken, e.g. 'Deutsch, Türkisch'")
    parser.add_argument("--picture", metavar="FILE", help="a picture (JPEG, PNG, WebP)")
    parser.add_argument("--picture-alt", metavar="TEXT", help="what the picture shows")
    parser.add_argument("--newcomers", choices=("yes", "no"), help="newcomers welcome")
    parser.add_argument("--join", choices=JOIN_POLICIES, help="open, or approved by the leader")
    parser.add_argument("--posts", choices=POST_POLICIES, help="which posts wait for approval")


def run(config: Config, args: argparse.Namespace) -> int:
    handlers = {
        "create": _create,
        "edit": _edit,
        "list": _list,
        "show": _show,
        "leader": _leader,
        "approve-post": _post,
        "remove-post": _post,
        "approve-member": _member,
        "remove-member": _member,
        "block-member": _member,
    }
    return handlers[args.action](config, args)


def _values(args: argparse.Namespace, current: dict[str, str]) -> dict[str, str]:
    given = {
        "name": args.name,
        "summary": args.summary,
        "meets": args.meets,
        "place": args.place,
        "first_meeting": args.first_meeting,
        "repeat_rule": "" if args.repeat == "none" else args.repeat,
        "contact": args.contact,
        "languages": args.languages,
        "picture_alt": args.picture_alt,
        "newcomers": {"yes": "1", "no": ""}.get(args.newcomers or ""),
        "join_policy": args.join,
        "post_policy": args.posts,
    }
    return {**current, **{k: v for k, v in given.items() if v is not None}}


def _picture(config: Config, args: argparse.Namespace) -> StoredImage | None:
    if not args.picture:
        return None
    try:
        data = Path(args.picture).read_bytes()[: MAX_UPLOAD + 1]
    except OSError as exc:
        raise UsageError(f"cannot read {args.picture}: {exc.strerror or exc}") from exc
    try:
        return store_image(data, args.picture_alt or "", config.data_dir / "media")
    except InvalidImage as exc:
        raise UsageError(exc.message) from exc


def _checked(values: dict[str, str], config: Config):  # type: ignore[no-untyped-def]
    try:
        return read_group(values, config.timezone)
    except InvalidGroup as exc:
        raise UsageError(str(exc)) from exc


def _create(config: Config, args: argparse.Namespace) -> int:
    try:
        handle = check_handle(args.handle)
    except InvalidGroup as exc:
        raise UsageError(str(exc)) from exc
    values = _values(args, {"newcomers": "1"})
    draft = _checked(values, config)
    picture = _picture(config, args)
    check(with_state(config, lambda s: service.create_group(s, handle, draft, picture)))
    print(f"Created @{handle}@{config.host}: {config.base_url}/gruppen/{handle}")
    return 0


def _edit(config: Config, args: argparse.Namespace) -> int:
    handle = args.handle.strip().lower()

    async def work(state: BoardState) -> None:
        group = await queries.get_group(state, handle)
        if group is None:
            raise UsageError(f"no such group: {handle}")
        current = {
            "name": group.name,
            "summary": group.summary,
            "meets": group.meets,
            "place": group.place,
            "first_meeting": group.first_meeting or "",
            "repeat_rule": group.repeat_rule,
            "contact": group.contact,
            "languages": group.languages,
            "picture_alt": group.picture_alt,
            "newcomers": "1" if group.newcomers else "",
            "join_policy": group.join_policy,
            "post_policy": group.post_policy,
        }
        draft = _checked(_values(args, current), config)
        check(await service.edit_group(state, handle, draft, _picture(config, args)))

    with_state(config, work)
    print(f"Saved @{handle}@{config.host}")
    return 0


def _list(config: Config, args: argparse.Namespace) -> int:
    async def work(state: BoardState) -> list[dict[str, object]]:
        return [g.as_dict() for g in await queries.list_groups(state)]

    print_listing(with_state(config, work), args.json, ("handle", "name", "meets", "members"))
    return 0


def _show(config: Config, args: argparse.Namespace) -> int:
    import json

    async def work(state: BoardState) -> dict[str, object]:
        group = await queries.get_group(state, args.handle.strip().lower())
        if group is None:
            raise UsageError(f"no such group: {args.handle}")

        def post(p: queries.PostView) -> dict[str, object]:
            return {"id": p.id, "object": p.object_id, "author": p.author, "state": p.state}

        return {
            **group.as_dict(),
            "leaders": await queries.leaders(state, group.id),
            "member_accounts": [
                m.actor_id for m in await queries.members(state, group.actor_id, "accepted")
            ],
            "asking_to_join": [
                m.actor_id for m in await queries.members(state, group.actor_id, "pending")
            ],
            "held_posts": [post(p) for p in await queries.posts(state, group.id, ("held",))],
            "shared_posts": [post(p) for p in await queries.posts(state, group.id, ("shown",))],
            "blocked": [r["actor_id"] for r in await queries.blocks(state, group.id)],
        }

    shown = with_state(config, work)
    if args.json:
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        for key, value in shown.items():
            print(f"{key}: {value}")
    return 0


def _leader(config: Config, args: argparse.Namespace) -> int:
    group = args.group.strip().lower()
    password = check(with_state(config, lambda s: service.make_leader(s, args.username, group)))
    print(f"{args.username.strip().lower()} now leads {group}")
    if password:
        print(f"Password (shown once): {password}")
    return 0


def _post(config: Config, args: argparse.Namespace) -> int:
    group = args.group.strip().lower()
    use = service.approve_post if args.action == "approve-post" else service.remove_post
    check(with_state(config, lambda s: use(s, group, args.post)))
    print("Shared with the members" if args.action == "approve-post" else "Removed")
    return 0


def _member(config: Config, args: argparse.Namespace) -> int:
    group = args.group.strip().lower()
    if args.action == "approve-member":
        check(with_state(config, lambda s: service.approve_member(s, group, args.actor)))
        print(f"{args.actor} is a member of {group}")
        return 0
    block = args.action == "block-member"
    taken = check(
        with_state(config, lambda s: service.remove_member(s, group, args.actor, block=block))
    )
    print(
        f"{args.actor} removed from {group}"
        + (f", blocked; {taken} posts taken back" if block else "")
    )
    return 0
