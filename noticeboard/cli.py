"""The `aushang` command line: what staff do in the web interface, for scripts and bulk work."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

from federation import httpsig
from federation import store as fedstore
from federation.actors import ActorError, ActorResolver
from federation.blocks import normalise_domain
from federation.client import FederationClient
from federation.database import utcnow
from federation.hosts import HostError
from federation.webfinger import WebFingerError, resolve_handle
from noticeboard import __version__
from noticeboard.board import Board, BoardNotInitialised, initialise
from noticeboard.config import Config, ConfigError, load_config
from noticeboard.kinds import KINDS
from noticeboard.posts import InvalidNotice, validate_draft
from noticeboard.sanitize import clean_text
from noticeboard.urls import BoardUrls


class UsageError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser() -> Parser:
    parser = Parser(
        prog="aushang",
        description="Aushang: a federated neighbourhood noticeboard. "
        "Each command works on the board described by --instance FILE.",
    )
    parser.add_argument("--version", action="version", version=f"aushang {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    def command(name: str, help_text: str) -> Parser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--instance", required=True, metavar="FILE", help="the board's TOML file")
        return sub  # type: ignore[return-value]

    command("init", "Create the data folder, database, keys and first admin (safe to repeat).")
    serve = command("serve", "Run the board's web server with its delivery worker.")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--ssl-certfile", metavar="FILE", help="serve https with this certificate")
    serve.add_argument("--ssl-keyfile", metavar="FILE", help="the certificate's private key")
    serve.add_argument(
        "--proxy-headers", action="store_true", help="trust X-Forwarded-* from the reverse proxy"
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        metavar="IPS",
        help="comma-separated proxy addresses trusted with --proxy-headers (default 127.0.0.1)",
    )

    post = command("post", "Publish a notice exactly as the web form does; prints its URL.")
    post.add_argument("--title", required=True, help="the notice's title")
    post.add_argument(
        "--body", required=True, help="the text, in Markdown ('-' reads standard input)"
    )
    post.add_argument("--category", help="one word, federated as a hashtag, e.g. Treffen")
    post.add_argument(
        "--type",
        default="announcement",
        choices=[kind.id for kind in KINDS],
        metavar="TYPE",
        help="kind of notice: " + ", ".join(kind.id for kind in KINDS),
    )
    post.add_argument("--valid-until", metavar="DATE", help="last valid day (2026-12-24)")
    post.add_argument("--lang", metavar="CODE", help="language of the notice, e.g. de, tr")

    done = command("done", "Mark an offer or request as done; followers get an Update.")
    done.add_argument("notice", metavar="URL", help="the notice's address (or its number)")

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
    block = command("block", "Block a domain and its subdomains: refuse their activities.")
    block.add_argument("domain", metavar="DOMAIN", help="e.g. spam.example (or @user@spam.example)")
    block.add_argument("--reason", default="", help="why, for the record")
    unblock = command("unblock", "Lift a domain block.")
    unblock.add_argument("domain", metavar="DOMAIN")
    blocks = command("blocks", "List blocked domains.")
    blocks.add_argument("--json", action="store_true", help="print a JSON array")

    deliveries = command("deliveries", "List deliveries that failed or gave up; retry one.")
    deliveries.add_argument(
        "--state",
        default="failed,dead",
        help="comma-separated states to list: pending, sent, failed, dead (default failed,dead)",
    )
    deliveries.add_argument("--retry", type=int, metavar="ID", help="queue delivery ID again")
    deliveries.add_argument("--json", action="store_true", help="print a JSON array")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.instance)
        return COMMANDS[args.command](config, args)
    except (ConfigError, UsageError, BoardNotInitialised) as exc:
        print(f"aushang {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run_init(config: Config, args: argparse.Namespace) -> int:
    result = asyncio.run(initialise(config, os.environ.get("AUSHANG_ADMIN_PASSWORD")))
    print(f"Board '{config.name}' is ready in {config.data_dir}")
    if result.created_admin:
        print(f"First admin account: {result.created_admin}")
        if result.admin_password:
            print(f"Password (shown only now, please write it down): {result.admin_password}")
        else:
            print("Password: the one given in AUSHANG_ADMIN_PASSWORD")
    elif os.environ.get("AUSHANG_ADMIN_PASSWORD") is None:
        print("Staff accounts exist already; passwords are not shown again.")
    print(f"Staff sign in at {config.base_url}/login")
    print(f"Residents follow it from Mastodon as {config.handle}")
    return 0


def run_serve(config: Config, args: argparse.Namespace) -> int:
    import uvicorn

    from noticeboard.app import create_app

    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise UsageError("--ssl-certfile and --ssl-keyfile go together")
    with_board(config, lambda board: asyncio.sleep(0))  # fail early and clearly if not ready
    app = create_app(config)
    scheme = "https" if args.ssl_certfile else "http"
    print(
        f"Aushang serves '{config.name}' on {scheme}://{args.host}:{args.port}/ "
        f"(public address {config.base_url}/)",
        flush=True,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips if args.proxy_headers else None,
        log_level="info",
        server_header=False,
    )
    return 0


def run_post(config: Config, args: argparse.Namespace) -> int:
    body = sys.stdin.read() if args.body == "-" else args.body
    try:
        draft = validate_draft(
            args.title,
            body,
            args.category,
            kind=args.type,
            valid_until=args.valid_until,
            lang=args.lang,
            now=utcnow(),
            timezone=config.timezone,
        )
    except InvalidNotice as exc:
        raise UsageError(str(exc)) from exc

    async def publish(board: Board) -> Any:
        return await board.publish_notice(draft, None)

    published = with_board(config, publish)
    print(published.url)
    return 0


def run_done(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)

    async def done(board: Board) -> bool:
        return await board.mark_done(notice_id)

    if not with_board(config, done):
        raise UsageError(
            f"notice {args.notice} does not exist, is done already, or is not an offer or request"
        )
    print(BoardUrls(config.base_url, config.username).notice(notice_id))
    return 0


def notice_id_from(value: str, config: Config) -> int:
    """Accept a notice's web address, its ActivityPub id (the same) or its number."""
    prefix = f"{config.base_url}/notices/"
    text = value.strip()
    if text.startswith(prefix):
        text = text[len(prefix) :].split("/")[0].split("?")[0].split("#")[0]
    if not text.isdigit():
        raise UsageError(f"not a notice of this board: {value!r}")
    return int(text)


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


def print_listing(items: list[dict[str, Any]], as_json: bool, columns: tuple[str, ...]) -> None:
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        print("\t".join(str(item.get(c) or "-") for c in columns))


def with_board(config: Config, work: Callable[[Board], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        board = await Board.open(config)
        try:
            return await work(board)
        finally:
            await board.close()

    return asyncio.run(run())


def federation_client(config: Config) -> FederationClient:
    return FederationClient(
        user_agent=f"Aushang/{__version__} (+{config.base_url})",
        own_hosts=[config.host],
        allow_private=config.federation.allow_private,
        ca_bundle=config.federation.ca_bundle,
    )


async def resolve_actor(
    board: Board, client: FederationClient, target: str
) -> fedstore.RemoteActorRow:
    key = board.keys[board.urls.instance_actor]

    def sign_get(method: str, url: str, body: bytes | None) -> dict[str, str]:
        return httpsig.sign_request(method, url, body, key.key_id, key.private_key, board.clock())

    resolver = ActorResolver(board.db, client, sign_get, board.clock, clean_text)
    try:
        actor_id = (
            target
            if target.startswith(("https://", "http://"))
            else await resolve_handle(client, target)
        )
        return await resolver.get(actor_id, refresh=True)
    except WebFingerError as exc:
        raise UsageError(exc.reason) from exc
    except ActorError as exc:
        raise UsageError(exc.reason) from exc


def run_block(config: Config, args: argparse.Namespace) -> int:
    domain = _domain(args.domain)

    async def block(board: Board) -> int | None:
        return await board.block_domain(domain, args.reason)

    removed = with_board(config, block)
    if removed is None:
        print(f"{domain} was blocked already")
    else:
        print(f"Blocked {domain} and its subdomains; removed {removed} followers")
    return 0


def run_unblock(config: Config, args: argparse.Namespace) -> int:
    domain = _domain(args.domain)

    async def unblock(board: Board) -> bool:
        return await board.unblock_domain(domain)

    if not with_board(config, unblock):
        raise UsageError(f"{domain} is not blocked")
    print(f"Unblocked {domain}")
    return 0


def run_blocks(config: Config, args: argparse.Namespace) -> int:
    async def listing(board: Board) -> list[dict[str, Any]]:
        return [dict(r) for r in await fedstore.list_blocked_domains(board.db)]

    print_listing(with_board(config, listing), args.json, ("domain", "created", "reason"))
    return 0


def _domain(value: str) -> str:
    try:
        return normalise_domain(value)
    except HostError as exc:
        raise UsageError(f"not a domain: {value!r} ({exc.reason})") from exc


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
        rows = await fedstore.list_deliveries(board.db, states, limit=10_000)
        return [dict(r) for r in rows]

    print_listing(with_board(config, listing), args.json, ("id", "state", "host", "last_error"))
    return 0


COMMANDS: dict[str, Callable[[Config, argparse.Namespace], int]] = {
    "init": run_init,
    "serve": run_serve,
    "post": run_post,
    "done": run_done,
    "follow": run_follow,
    "unfollow": run_unfollow,
    "following": run_following,
    "followers": run_followers,
    "deliveries": run_deliveries,
    "block": run_block,
    "unblock": run_unblock,
    "blocks": run_blocks,
}


if __name__ == "__main__":
    sys.exit(main())
