"""The board's network from the command line: following, followers, blocks, deliveries."""

from __future__ import annotations

import argparse
from typing import Any

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
from noticeboard.network import queries, service
from noticeboard.network.lookup import LookupFailed, fetch_post
from noticeboard.network.problems import explain
from noticeboard.notices import service as notices
from noticeboard.notices.kinds import KINDS
from noticeboard.results import Refused
from noticeboard.state import BoardState


def register(command: AddCommand) -> dict[str, Handler]:
    follow = command("follow", "Follow another board or fediverse account by @name@host or URL.")
    follow.add_argument("target", metavar="HANDLE|URL")
    unfollow = command("unfollow", "Stop following an account (sends Undo Follow).")
    unfollow.add_argument("target", metavar="HANDLE|URL")
    for name, text in (
        ("following", "List whom the board follows."),
        ("followers", "List the board's followers."),
    ):
        listing = command(name, text)
        listing.add_argument("--json", action="store_true", help="print a JSON array")
    share = command("share", "Share a partner's notice (web address or ActivityPub id).")
    share.add_argument("url", metavar="URL")
    unshare = command("unshare", "Stop sharing a notice (sends Undo Announce).")
    unshare.add_argument("url", metavar="URL", help="the original's address, or the shared copy's")
    rules = subcommands(command("share-rule", "Automatic sharing rules.", nested=True), "action")
    add = rules("add", "Share posts of a partner (or any) of a kind (or any), N a day at most.")
    add.add_argument("--from", dest="source", metavar="HANDLE|URL", help="only this partner")
    add.add_argument("--type", dest="kind", choices=[k.id for k in KINDS], help="only this kind")
    add.add_argument("--daily-cap", type=int, default=3, metavar="N", help="default 3")
    listing = rules("list", "List the rules and how often each matched.")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    rules("remove", "Remove a rule.").add_argument("id", type=int, metavar="ID")
    deliveries = command("deliveries", "List deliveries that failed or gave up; retry one.")
    deliveries.add_argument(
        "--state",
        default="failed,dead",
        help="comma-separated states to list: pending, sent, failed, dead (default failed,dead)",
    )
    deliveries.add_argument("--retry", type=int, metavar="ID", help="queue delivery ID again")
    deliveries.add_argument("--json", action="store_true", help="print a JSON array")
    return {
        "follow": run_follow,
        "unfollow": run_unfollow,
        "following": run_following,
        "followers": run_followers,
        "deliveries": run_deliveries,
        "share": run_share,
        "unshare": run_unshare,
        "share-rule": run_share_rule,
    }


def run_follow(config: Config, args: argparse.Namespace) -> int:
    async def follow(state: BoardState, remote: Remote) -> str:
        actor = await resolve_actor(remote, args.target)
        check(await service.follow(state, actor))
        return actor.id

    actor_id = with_remote(config, follow)
    print(f"Follow request sent to {actor_id} (pending until accepted)")
    return 0


def run_unfollow(config: Config, args: argparse.Namespace) -> int:
    async def unfollow(state: BoardState, remote: Remote) -> None:
        actor = await resolve_actor(remote, args.target)
        check(await service.unfollow(state, actor))

    with_remote(config, unfollow)
    print(f"Unfollowed {args.target}")
    return 0


def run_following(config: Config, args: argparse.Namespace) -> int:
    async def listing(state: BoardState) -> list[dict[str, Any]]:
        return [
            {
                "id": r["actor_id"],
                "handle": f"@{r['preferred_username']}@{r['host']}"
                if r["preferred_username"]
                else None,
                "name": r["name"],
                "state": r["state"],
                "since": r["created"],
            }
            for r in await queries.following(state)
        ]

    print_listing(with_state(config, listing), args.json, ("handle", "state", "id"))
    return 0


def run_followers(config: Config, args: argparse.Namespace) -> int:
    async def listing(state: BoardState) -> list[dict[str, Any]]:
        return [
            {"id": r["actor_id"], "state": r["state"], "inbox": r["inbox"], "since": r["created"]}
            for r in await queries.followers(state)
        ]

    print_listing(with_state(config, listing), args.json, ("id", "state"))
    return 0


def run_deliveries(config: Config, args: argparse.Namespace) -> int:
    if args.retry is not None:
        with_state(config, lambda state: _retry(state, args.retry))
        print(f"Delivery {args.retry} is queued again")
        return 0
    states = tuple(s.strip() for s in args.state.split(",") if s.strip())
    if not states or any(s not in queries.DELIVERY_STATES for s in states):
        raise UsageError(f"--state takes {', '.join(queries.DELIVERY_STATES)}")

    async def listing(state: BoardState) -> list[dict[str, Any]]:
        rows = [dict(r) for r in await queries.deliveries(state, states, limit=10_000)]
        for row in rows:
            failed = row["last_error"] or row["last_status"]
            problem = explain(row["last_status"], row["last_error"]) if failed else None
            row["problem"] = problem.kind if problem else None
            if not args.json:
                row["what"] = problem.what % {"host": row["host"]} if problem else None
        return rows

    print_listing(with_state(config, listing), args.json, ("id", "state", "host", "what"))
    return 0


async def _retry(state: BoardState, delivery_id: int) -> None:
    check(await service.retry_delivery(state, delivery_id))


def run_share(config: Config, args: argparse.Namespace) -> int:
    async def share(state: BoardState, remote: Remote) -> int:
        try:
            obj, author = await fetch_post(remote.resolver, args.url)
        except LookupFailed as exc:
            raise UsageError(exc.reason) from exc
        return check(await service.share_fetched(state, obj, author))

    notice_id = with_remote(config, share)
    print(f"Shared: {config.base_url}/notices/{notice_id}")
    return 0


def run_unshare(config: Config, args: argparse.Namespace) -> int:
    async def unshare(state: BoardState) -> None:
        notice_id = await queries.shared_notice_for(state, args.url.strip())
        if notice_id is None:
            raise UsageError(f"the board does not share {args.url}")
        check(await notices.delete(state, notice_id))

    with_state(config, unshare)
    print(f"No longer shared: {args.url}")
    return 0


def run_share_rule(config: Config, args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list_rules(config, args.json)
    if args.action == "remove":
        with_state(config, lambda state: _remove_rule(state, args.id))
        print(f"Removed rule {args.id}")
        return 0

    async def add(state: BoardState, remote: Remote) -> int:
        actor_id = (await resolve_actor(remote, args.source)).id if args.source else None
        return check(await service.add_share_rule(state, actor_id, args.kind, args.daily_cap))

    print(f"Added rule {with_remote(config, add)}")
    return 0


async def _remove_rule(state: BoardState, rule_id: int) -> None:
    removed = await service.remove_share_rule(state, rule_id)
    if isinstance(removed, Refused):
        raise UsageError(f"rule {rule_id}: {removed.reason}")


def _list_rules(config: Config, as_json: bool) -> int:
    async def listing(state: BoardState) -> list[dict[str, Any]]:
        return [
            {
                "id": r["id"],
                "from": r["actor_id"],
                "kind": r["kind"],
                "daily_cap": r["daily_cap"],
                "hits": r["hits"],
                "created": r["created"],
            }
            for r in await queries.share_rules(state)
        ]

    print_listing(with_state(config, listing), as_json, ("id", "from", "kind", "daily_cap"))
    return 0
