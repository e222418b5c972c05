"""The board's network from the command line: following, followers, blocks, deliveries."""

from __future__ import annotations

import argparse
from typing import Any

from federation import queue_store
from federation import store as fedstore
from noticeboard import store_sharing
from noticeboard.board import Board
from noticeboard.cli.base import (
    AddCommand,
    Handler,
    UsageError,
    federation_client,
    print_listing,
    resolve_actor,
    signed_resolver,
    subcommands,
    with_board,
)
from noticeboard.config import Config
from noticeboard.kinds import KINDS
from noticeboard.lookup import LookupFailed, fetch_post
from noticeboard.sharing import NotShareable


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
    async def follow(board: Board) -> str:
        async with federation_client(config) as client:
            actor = await resolve_actor(board, client, args.target)
            await board.follow(actor)
            return actor.id

    actor_id = with_board(config, follow)
    print(f"Follow request sent to {actor_id} (pending until accepted)")
    return 0


def run_unfollow(config: Config, args: argparse.Namespace) -> int:
    async def unfollow(board: Board) -> bool:
        async with federation_client(config) as client:
            actor = await resolve_actor(board, client, args.target)
            return await board.unfollow(actor)

    if not with_board(config, unfollow):
        raise UsageError(f"the board does not follow {args.target}")
    print(f"Unfollowed {args.target}")
    return 0


def run_following(config: Config, args: argparse.Namespace) -> int:
    async def listing(board: Board) -> list[dict[str, Any]]:
        rows = await fedstore.list_following(board.db, board.urls.actor)
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
            for r in rows
        ]

    print_listing(with_board(config, listing), args.json, ("handle", "state", "id"))
    return 0


def run_followers(config: Config, args: argparse.Namespace) -> int:
    async def listing(board: Board) -> list[dict[str, Any]]:
        items = []
        for state in ("accepted", "pending"):
            rows = await fedstore.list_followers(
                board.db, board.urls.actor, state=state, before=None, limit=100_000
            )
            items += [
                {
                    "id": r["actor_id"],
                    "state": r["state"],
                    "inbox": r["inbox"],
                    "since": r["created"],
                }
                for r in rows
            ]
        return items

    print_listing(with_board(config, listing), args.json, ("id", "state"))
    return 0


DELIVERY_STATES = ("pending", "sent", "failed", "dead")


def run_deliveries(config: Config, args: argparse.Namespace) -> int:
    if args.retry is not None:

        async def retry(board: Board) -> bool:
            return await board.retry_delivery(args.retry)

        if not with_board(config, retry):
            raise UsageError(f"delivery {args.retry} does not exist or is not failed or dead")
        print(f"Delivery {args.retry} is queued again")
        return 0
    states = tuple(s.strip() for s in args.state.split(",") if s.strip())
    if not states or any(s not in DELIVERY_STATES for s in states):
        raise UsageError(f"--state takes {', '.join(DELIVERY_STATES)}")

    async def listing(board: Board) -> list[dict[str, Any]]:
        rows = await queue_store.list_deliveries(board.db, states, limit=10_000)
        return [dict(r) for r in rows]

    print_listing(with_board(config, listing), args.json, ("id", "state", "host", "last_error"))
    return 0


def run_share(config: Config, args: argparse.Namespace) -> int:
    async def share(board: Board) -> int:
        try:
            async with federation_client(config) as client:
                obj, author = await fetch_post(signed_resolver(board, client), args.url)
            return await board.share_fetched(obj, author)
        except (LookupFailed, NotShareable) as exc:
            raise UsageError(exc.reason) from exc

    notice_id = with_board(config, share)
    print(f"Shared: {config.base_url}/notices/{notice_id}")
    return 0


def run_unshare(config: Config, args: argparse.Namespace) -> int:
    async def unshare(board: Board) -> bool:
        notice_id = await board.shared_notice_for(args.url.strip())
        return notice_id is not None and await board.delete_notice(notice_id)

    if not with_board(config, unshare):
        raise UsageError(f"the board does not share {args.url}")
    print(f"No longer shared: {args.url}")
    return 0


def run_share_rule(config: Config, args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list_rules(config, args.json)
    if args.action == "remove":
        if not with_board(config, lambda board: board.remove_share_rule(args.id)):
            raise UsageError(f"there is no rule {args.id}")
        print(f"Removed rule {args.id}")
        return 0

    async def add(board: Board) -> int:
        actor_id = None
        if args.source:
            async with federation_client(config) as client:
                actor_id = (await resolve_actor(board, client, args.source)).id
        try:
            return await board.add_share_rule(actor_id, args.kind, args.daily_cap)
        except NotShareable as exc:
            raise UsageError(exc.reason) from exc

    print(f"Added rule {with_board(config, add)}")
    return 0


def _list_rules(config: Config, as_json: bool) -> int:
    async def listing(board: Board) -> list[dict[str, Any]]:
        return [
            {
                "id": r["id"],
                "from": r["actor_id"],
                "kind": r["kind"],
                "daily_cap": r["daily_cap"],
                "hits": r["hits"],
                "created": r["created"],
            }
            for r in await store_sharing.list_rules(board.db)
        ]

    print_listing(with_board(config, listing), as_json, ("id", "from", "kind", "daily_cap"))
    return 0
