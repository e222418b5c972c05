"""Moderation and staff from the command line: the queue, blocks, reports, accounts, settings."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from federation import store as fedstore
from federation.blocks import normalise_domain
from federation.database import from_db_time
from federation.hosts import HostError
from noticeboard import auth, store_participation, store_sharing
from noticeboard.accounts import AccountError
from noticeboard.board import Board
from noticeboard.cli.base import (
    AddCommand,
    Handler,
    UsageError,
    federation_client,
    print_listing,
    resolve_actor,
    subcommands,
    with_board,
)
from noticeboard.config import Config
from noticeboard.i18n import get_translations
from noticeboard.lookup import is_account
from noticeboard.moderation import QUEUE_KINDS, REPLY_POLICIES, Undecidable, reply_policy


def register(command: AddCommand) -> dict[str, Handler]:
    queue = subcommands(command("queue", "The moderation queue.", nested=True), "action")
    listing = queue("list", "List queue items (waiting ones unless --state says otherwise).")
    listing.add_argument("--state", default="pending", choices=("pending", "approved", "rejected"))
    listing.add_argument("--kind", choices=QUEUE_KINDS, help="only items of this kind")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    show = queue("show", "Show one item with everything staff see (contact included).")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true", help="print JSON")
    approve = queue("approve", "Approve: publish a submission, show a reply, share a mention.")
    approve.add_argument("id", type=int, metavar="ID")
    approve.add_argument("--reason", default="", help="a note for the record")
    reject = queue("reject", "Reject: nothing is published or sent.")
    reject.add_argument("id", type=int, metavar="ID")
    reject.add_argument("--reason", required=True, help="why, for the record")
    block = command("block", "Block an account (@name@host or URL) or a domain with subdomains.")
    block.add_argument("target", metavar="HANDLE|URL|DOMAIN")
    block.add_argument("--reason", default="", help="why, for the record")
    unblock = command("unblock", "Lift the block of an account or a domain.")
    unblock.add_argument("target", metavar="HANDLE|URL|DOMAIN")
    blocks = command("blocks", "List blocked domains and accounts.")
    blocks.add_argument("--json", action="store_true", help="print a JSON array")
    report = command("report", "Report a remote account (and its posts): hides them here.")
    report.add_argument("target", metavar="HANDLE|URL")
    report.add_argument("--post", action="append", default=[], metavar="ID", help="a post's id")
    report.add_argument("--comment", default="", help="what is wrong")
    report.add_argument("--forward", action="store_true", help="send the report to its server")
    staff = subcommands(command("staff", "Staff accounts.", nested=True), "action")
    add = staff("add", "Add an account; prints a generated password unless --password-stdin.")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=auth.ROLES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    invite = staff("invite", "Make a one-time invitation link for a new team member.")
    invite.add_argument("--role", required=True, choices=auth.ROLES)
    staff_list = staff("list", "List the staff accounts.")
    staff_list.add_argument("--json", action="store_true", help="print a JSON array")
    for name, text in (
        ("remove", "Deactivate an account: it can no longer sign in (its history stays)."),
        ("activate", "Activate a deactivated account again."),
    ):
        staff(name, text).add_argument("username")
    role = staff("role", "Change an account's role.")
    role.add_argument("username")
    role.add_argument("--role", required=True, choices=auth.ROLES)
    audit = command("audit", "Show the audit log: who did what, when and why.")
    audit.add_argument("--limit", type=int, default=100, help="how many entries (default 100)")
    audit.add_argument("--json", action="store_true", help="print a JSON array")
    settings = command("settings", "Show or change reply moderation and limited federation.")
    settings.add_argument("--reply-policy", choices=REPLY_POLICIES)
    settings.add_argument("--limited", choices=("on", "off"), help="limited federation")
    settings.add_argument("--allow", action="append", default=[], metavar="DOMAIN")
    settings.add_argument("--disallow", action="append", default=[], metavar="DOMAIN")
    settings.add_argument("--json", action="store_true", help="print JSON")
    return {
        "queue": run_queue,
        "block": run_block,
        "unblock": run_unblock,
        "blocks": run_blocks,
        "report": run_report,
        "staff": run_staff,
        "audit": run_audit,
        "settings": run_settings,
    }


# --- the queue ----------------------------------------------------------------------------


def run_queue(config: Config, args: argparse.Namespace) -> int:
    if args.action == "list":
        return _queue_list(config, args)
    if args.action == "show":
        return _queue_show(config, args.id, args.json)
    if args.action == "reject" and not args.reason.strip():
        raise UsageError("give a --reason for the rejection")

    async def decide(board: Board) -> int:
        try:
            if args.action == "approve":
                return await board.approve(args.id, args.reason)
            await board.reject(args.id, args.reason.strip())
            return 0
        except Undecidable as exc:
            raise UsageError(f"item {args.id}: {exc}") from exc

    notice_id = with_board(config, decide)
    if args.action == "reject":
        print(f"Rejected item {args.id}")
    elif notice_id:
        print(f"Approved item {args.id}: {config.base_url}/notices/{notice_id}")
    else:
        print(f"Approved item {args.id}")
    return 0


def _queue_list(config: Config, args: argparse.Namespace) -> int:
    async def listing(board: Board) -> list[dict[str, Any]]:
        return [item.as_json() for item in await board.queue(args.state, args.kind)]

    print_listing(with_board(config, listing), args.json, ("id", "kind", "created", "summary"))
    return 0


def _queue_show(config: Config, item_id: int, as_json: bool) -> int:
    async def show(board: Board) -> dict[str, Any]:
        item = await board.queue_entry(item_id)
        if item is None:
            raise UsageError(f"there is no item {item_id} in the queue")
        details: dict[str, Any] = item.as_json()
        if item.kind == "submission":
            row = await store_participation.get_submission(board.db, int(item.ref))
            details["submission"] = dict(row) if row else None
        elif item.kind in ("reply", "mention"):
            row = await store_sharing.get_post(board.db, item.ref)
            post = dict(row) if row else None
            if post is not None:
                post.pop("object_json", None)  # the original as received; its text is above
            details["post"] = post
        else:
            row = await store_participation.get_report(board.db, int(item.ref))
            details["report"] = (
                {**dict(row), "objects": json.loads(row["objects"])} if row else None
            )
        return details

    details = with_board(config, show)
    if as_json:
        print(json.dumps(details, ensure_ascii=False, indent=2))
    else:
        for key, value in details.items():
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
            print(f"{key}: {shown}")
    return 0


# --- blocks and reports -------------------------------------------------------------------


def run_block(config: Config, args: argparse.Namespace) -> int:
    if is_account(args.target):

        async def block_account(board: Board) -> tuple[str, bool]:
            async with federation_client(config) as client:
                actor = await resolve_actor(board, client, args.target)
            return actor.id, await board.block_actor(actor.id, args.reason)

        actor_id, new = with_board(config, block_account)
        print(f"Blocked {actor_id}" if new else f"{actor_id} was blocked already")
        return 0
    domain = _domain(args.target)
    if domain == config.host:
        raise UsageError("the board cannot block its own server")

    async def block(board: Board) -> int | None:
        return await board.block_domain(domain, args.reason)

    removed = with_board(config, block)
    if removed is None:
        print(f"{domain} was blocked already")
    else:
        print(f"Blocked {domain} and its subdomains; removed {removed} followers")
    return 0


def run_unblock(config: Config, args: argparse.Namespace) -> int:
    if is_account(args.target):

        async def unblock_account(board: Board) -> bool:
            actor_id = await _blocked_actor_id(board, args.target)
            return actor_id is not None and await board.unblock_actor(actor_id)

        if not with_board(config, unblock_account):
            raise UsageError(f"{args.target} is not blocked")
        print(f"Unblocked {args.target}")
        return 0
    domain = _domain(args.target)

    async def unblock(board: Board) -> bool:
        return await board.unblock_domain(domain)

    if not with_board(config, unblock):
        raise UsageError(f"{domain} is not blocked")
    print(f"Unblocked {domain}")
    return 0


async def _blocked_actor_id(board: Board, target: str) -> str | None:
    """Find a blocked account by its URL or @name@host without asking the network."""
    text = target.strip()
    for row in await fedstore.list_blocked_actors(board.db):
        handle = f"@{row['preferred_username']}@{row['host']}" if row["preferred_username"] else ""
        if text in (row["actor_id"], handle, handle.lstrip("@")):
            return str(row["actor_id"])
    return None


def run_blocks(config: Config, args: argparse.Namespace) -> int:
    async def listing(board: Board) -> list[dict[str, Any]]:
        domains = [
            {
                "kind": "domain",
                "target": r["domain"],
                "reason": r["reason"],
                "created": r["created"],
            }
            for r in await fedstore.list_blocked_domains(board.db)
        ]
        actors = [
            {
                "kind": "account",
                "target": r["actor_id"],
                "reason": r["reason"],
                "created": r["created"],
            }
            for r in await fedstore.list_blocked_actors(board.db)
        ]
        return domains + actors

    print_listing(with_board(config, listing), args.json, ("kind", "target", "reason"))
    return 0


def run_report(config: Config, args: argparse.Namespace) -> int:
    async def report(board: Board) -> int:
        async with federation_client(config) as client:
            actor = await resolve_actor(board, client, args.target)
        return await board.report(actor, args.post, args.comment, args.forward)

    report_id = with_board(config, report)
    sent = " and sent it to the account's server" if args.forward else ""
    print(f"Recorded report {report_id}{sent}")
    return 0


def _domain(value: str) -> str:
    try:
        return normalise_domain(value)
    except HostError as exc:
        raise UsageError(f"not a domain: {value!r} ({exc.reason})") from exc


# --- staff accounts -----------------------------------------------------------------------


def run_staff(config: Config, args: argparse.Namespace) -> int:
    if args.action == "list":
        return _staff_list(config, args.json)
    if args.action == "invite":
        invitation = with_board(config, lambda board: board.invite(args.role))
        print(
            f"Invitation link ({invitation.role}, valid once until {invitation.expires:%Y-%m-%d}):"
        )
        print(invitation.link)
        return 0
    try:
        return _staff_change(config, args)
    except AccountError as exc:
        raise UsageError(get_translations("en").gettext(exc.message)) from exc


def _staff_change(config: Config, args: argparse.Namespace) -> int:
    if args.action == "add":
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                raise UsageError("no password on standard input")
        else:
            password = auth.generate_password()
        with_board(config, lambda board: board.add_staff(args.username, args.role, password))
        print(f"Added {args.username.strip().lower()} ({args.role})")
        if not args.password_stdin:
            print(f"Password: {password}")
        return 0
    if args.action == "role":
        changed = with_board(config, lambda board: board.set_staff_role(args.username, args.role))
        print(
            f"{args.username} is now {args.role}"
            if changed
            else f"{args.username} was {args.role} already"
        )
        return 0
    active = args.action == "activate"
    changed = with_board(config, lambda board: board.set_staff_active(args.username, active))
    state = "active" if active else "deactivated"
    print(f"{args.username} is {state}" if changed else f"{args.username} was {state} already")
    return 0


def _staff_list(config: Config, as_json: bool) -> int:
    async def listing(board: Board) -> list[dict[str, Any]]:
        return [
            {
                "username": r["username"],
                "role": r["role"],
                "active": bool(r["active"]),
                "created": r["created"],
            }
            for r in await store_participation.list_staff(board.db)
        ]

    print_listing(with_board(config, listing), as_json, ("username", "role", "active"))
    return 0


# --- audit log and settings -----------------------------------------------------------------


def run_audit(config: Config, args: argparse.Namespace) -> int:
    async def listing(board: Board) -> list[dict[str, Any]]:
        rows = await store_participation.list_audit(board.db, limit=max(1, args.limit))
        return [{**dict(r), "created": from_db_time(r["created"]).isoformat()} for r in rows]

    print_listing(with_board(config, listing), args.json, ("created", "staff", "action", "target"))
    return 0


def run_settings(config: Config, args: argparse.Namespace) -> int:
    allow = [_domain(d) for d in args.allow]
    disallow = [_domain(d) for d in args.disallow]

    async def apply(board: Board) -> dict[str, Any]:
        if args.reply_policy:
            await board.set_reply_policy(args.reply_policy)
        if args.limited:
            await board.set_limited_federation(args.limited == "on")
        for domain in allow:
            await board.allow_domain(domain)
        for domain in disallow:
            await board.disallow_domain(domain)
        return {
            "reply_policy": await reply_policy(board.db),
            "limited_federation": await fedstore.is_limited(board.db),
            "allowed_servers": [r["domain"] for r in await fedstore.list_allowed_domains(board.db)],
        }

    current = with_board(config, apply)
    if args.json:
        print(json.dumps(current, ensure_ascii=False, indent=2))
    else:
        print(f"reply policy: {current['reply_policy']}")
        print(f"limited federation: {'on' if current['limited_federation'] else 'off'}")
        print(f"allowed servers: {', '.join(current['allowed_servers']) or '-'}")
    return 0
