"""Moderation from the command line: the queue, blocks, reports, and who may take part."""

from __future__ import annotations

import argparse
import json
from typing import Any, TypeVar

from federation.blocks import normalise_domain
from federation.hosts import HostError
from noticeboard.cli.base import (
    AddCommand,
    Handler,
    Remote,
    UsageError,
    check,
    print_listing,
    resolve_actor,
    subcommands,
    with_remote,
    with_state,
)
from noticeboard.config import Config
from noticeboard.network.lookup import is_account
from noticeboard.participation import queries, service, settings
from noticeboard.participation.service import QUEUE_KINDS
from noticeboard.participation.settings import REPLY_POLICIES
from noticeboard.results import Refused, Result
from noticeboard.state import BoardState

T = TypeVar("T")


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
    settings_command = command(
        "settings", "Show or change reply moderation and limited federation."
    )
    settings_command.add_argument("--reply-policy", choices=REPLY_POLICIES)
    settings_command.add_argument("--limited", choices=("on", "off"), help="limited federation")
    settings_command.add_argument("--allow", action="append", default=[], metavar="DOMAIN")
    settings_command.add_argument("--disallow", action="append", default=[], metavar="DOMAIN")
    settings_command.add_argument("--json", action="store_true", help="print JSON")
    return {
        "queue": run_queue,
        "block": run_block,
        "unblock": run_unblock,
        "blocks": run_blocks,
        "report": run_report,
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

    async def decide(state: BoardState) -> int:
        if args.action == "approve":
            approved = await service.approve(state, args.id, args.reason)
            return _decided(args.id, approved) or 0
        _decided(args.id, await service.reject(state, args.id, args.reason.strip()))
        return 0

    notice_id = with_state(config, decide)
    if args.action == "reject":
        print(f"Rejected item {args.id}")
    elif notice_id:
        print(f"Approved item {args.id}: {config.base_url}/notices/{notice_id}")
    else:
        print(f"Approved item {args.id}")
    return 0


def _decided(item_id: int, result: Result[T]) -> T:
    if isinstance(result, Refused):
        raise UsageError(f"item {item_id}: {result.reason}")
    return result.value


def _queue_list(config: Config, args: argparse.Namespace) -> int:
    async def listing(state: BoardState) -> list[dict[str, Any]]:
        return [item.as_json() for item in await queries.queue(state, args.state, args.kind)]

    print_listing(with_state(config, listing), args.json, ("id", "kind", "created", "summary"))
    return 0


def _queue_show(config: Config, item_id: int, as_json: bool) -> int:
    async def show(state: BoardState) -> dict[str, Any]:
        item = await queries.queue_entry(state, item_id)
        if item is None:
            raise UsageError(f"there is no item {item_id} in the queue")
        details: dict[str, Any] = item.as_json()
        if item.kind == "submission":
            row = await queries.submission(state, int(item.ref))
            details["submission"] = dict(row) if row else None
        elif item.kind in ("reply", "mention"):
            post = await queries.post_with_author(state, item.ref)
            if post is not None:
                post.pop("object_json", None)  # the original as received; its text is above
            details["post"] = post
        else:
            row = await queries.report(state, int(item.ref))
            details["report"] = (
                {**dict(row), "objects": json.loads(row["objects"])} if row else None
            )
        return details

    details = with_state(config, show)
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

        async def block_account(state: BoardState, remote: Remote) -> tuple[str, bool]:
            actor = await resolve_actor(remote, args.target)
            result = await settings.block_actor(state, actor.id, args.reason)
            return actor.id, result.ok

        actor_id, new = with_remote(config, block_account)
        print(f"Blocked {actor_id}" if new else f"{actor_id} was blocked already")
        return 0
    domain = _domain(args.target)
    if domain == config.host:
        raise UsageError("the board cannot block its own server")
    result = with_state(config, lambda state: settings.block_domain(state, domain, args.reason))
    if isinstance(result, Refused):
        print(f"{domain} was blocked already")
    else:
        print(f"Blocked {domain} and its subdomains; removed {result.value} followers")
    return 0


def run_unblock(config: Config, args: argparse.Namespace) -> int:
    if is_account(args.target):

        async def unblock_account(state: BoardState) -> None:
            actor_id = await _blocked_actor_id(state, args.target)
            if actor_id is None or not (await settings.unblock_actor(state, actor_id)).ok:
                raise UsageError(f"{args.target} is not blocked")

        with_state(config, unblock_account)
        print(f"Unblocked {args.target}")
        return 0
    domain = _domain(args.target)
    if not with_state(config, lambda state: settings.unblock_domain(state, domain)).ok:
        raise UsageError(f"{domain} is not blocked")
    print(f"Unblocked {domain}")
    return 0


async def _blocked_actor_id(state: BoardState, target: str) -> str | None:
    """Find a blocked account by its URL or @name@host without asking the network."""
    text = target.strip()
    for row in await queries.blocked_actors(state):
        handle = f"@{row['preferred_username']}@{row['host']}" if row["preferred_username"] else ""
        if text in (row["actor_id"], handle, handle.lstrip("@")):
            return str(row["actor_id"])
    return None


def run_blocks(config: Config, args: argparse.Namespace) -> int:
    async def listing(state: BoardState) -> list[dict[str, Any]]:
        domains = [
            {
                "kind": "domain",
                "target": r["domain"],
                "reason": r["reason"],
                "created": r["created"],
            }
            for r in await queries.blocked_domains(state)
        ]
        actors = [
            {
                "kind": "account",
                "target": r["actor_id"],
                "reason": r["reason"],
                "created": r["created"],
            }
            for r in await queries.blocked_actors(state)
        ]
        return domains + actors

    print_listing(with_state(config, listing), args.json, ("kind", "target", "reason"))
    return 0


def run_report(config: Config, args: argparse.Namespace) -> int:
    async def report(state: BoardState, remote: Remote) -> int:
        actor = await resolve_actor(remote, args.target)
        return check(await service.report(state, actor, args.post, args.comment, args.forward))

    report_id = with_remote(config, report)
    sent = " and sent it to the account's server" if args.forward else ""
    print(f"Recorded report {report_id}{sent}")
    return 0


def _domain(value: str) -> str:
    try:
        return normalise_domain(value)
    except HostError as exc:
        raise UsageError(f"not a domain: {value!r} ({exc.reason})") from exc


# --- who may take part ------------------------------------------------------------------------


def run_settings(config: Config, args: argparse.Namespace) -> int:
    allow = [_domain(d) for d in args.allow]
    disallow = [_domain(d) for d in args.disallow]

    async def apply(state: BoardState) -> dict[str, Any]:
        if args.reply_policy:
            await settings.set_reply_policy(state, args.reply_policy)
        if args.limited:
            await settings.set_limited_federation(state, args.limited == "on")
        for domain in allow:
            await settings.allow_domain(state, domain)
        for domain in disallow:
            await settings.disallow_domain(state, domain)
        return (await queries.settings(state)).as_json()

    current = with_state(config, apply)
    if args.json:
        print(json.dumps(current, ensure_ascii=False, indent=2))
    else:
        print(f"reply policy: {current['reply_policy']}")
        print(f"limited federation: {'on' if current['limited_federation'] else 'off'}")
        print(f"allowed servers: {', '.join(current['allowed_servers']) or '-'}")
    return 0
