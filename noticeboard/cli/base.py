"""What every command shares: errors, the parser, running work on a board, listings."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from federation import httpsig
from federation import store as fedstore
from federation.actors import ActorResolver
from federation.client import FederationClient
from noticeboard import __version__
from noticeboard.board import Board
from noticeboard.config import Config
from noticeboard.lookup import LookupFailed, find_account
from noticeboard.sanitize import clean_text

Handler = Callable[[Config, argparse.Namespace], int]
AddCommand = Callable[..., "Parser"]  # (name, help, *, nested=False) -> Parser
INSTANCE_HELP = "the board's TOML file"


class UsageError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def subcommands(parent: Parser, dest: str) -> Callable[[str, str], Parser]:
    """Actions of a command, as in `aushang queue approve ID`; each takes --instance too."""
    group = parent.add_subparsers(dest=dest, metavar="ACTION", parser_class=Parser)
    group.required = True

    def action(name: str, help_text: str) -> Parser:
        sub = group.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--instance", metavar="FILE", default=argparse.SUPPRESS, help=INSTANCE_HELP
        )
        return sub  # type: ignore[no-any-return]

    return action


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


def signed_resolver(board: Board, client: FederationClient) -> ActorResolver:
    """A resolver that signs its GETs as the board's server actor (authorized fetch)."""
    key = board.keys[board.urls.instance_actor]

    def sign_get(method: str, url: str, body: bytes | None) -> dict[str, str]:
        return httpsig.sign_request(method, url, body, key.key_id, key.private_key, board.clock())

    return ActorResolver(board.db, client, sign_get, board.clock, clean_text)


async def resolve_actor(
    board: Board, client: FederationClient, target: str
) -> fedstore.RemoteActorRow:
    try:
        return await find_account(signed_resolver(board, client), client, target)
    except LookupFailed as exc:
        raise UsageError(exc.reason) from exc
