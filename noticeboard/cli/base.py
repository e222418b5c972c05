"""What every command shares: errors, the parser, running work on a board, listings."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from federation import store as fedstore
from federation.actors import ActorResolver
from federation.client import FederationClient
from noticeboard.config import Config
from noticeboard.network.lookup import LookupFailed, find_account
from noticeboard.remote import actor_resolver, federation_client
from noticeboard.results import Refused, Result
from noticeboard.state import BoardState, open_state

T = TypeVar("T")
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
        return sub

    return action


def print_listing(items: list[dict[str, Any]], as_json: bool, columns: tuple[str, ...]) -> None:
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        print("\t".join(str(item.get(c) or "-") for c in columns))


def with_state(config: Config, work: Callable[[BoardState], Awaitable[T]]) -> T:
    """Open the board, run one piece of work on it, close it."""

    async def run() -> T:
        state = await open_state(config)
        try:
            return await work(state)
        finally:
            await state.close()

    return asyncio.run(run())


@dataclass(frozen=True)
class Remote:
    """The way out to other servers, for commands that look accounts or posts up."""

    client: FederationClient
    resolver: ActorResolver


def with_remote(config: Config, work: Callable[[BoardState, Remote], Awaitable[T]]) -> T:
    """Like with_state, with an HTTP client and a signing resolver for the work."""

    async def run(state: BoardState) -> T:
        async with federation_client(config) as client:
            return await work(state, Remote(client, actor_resolver(state, client)))

    return with_state(config, run)


def check(result: Result[T]) -> T:
    """The value of a use case's answer; a refusal becomes a one-line error (status 2)."""
    if isinstance(result, Refused):
        raise UsageError(result.reason)
    return result.value


async def resolve_actor(remote: Remote, target: str) -> fedstore.RemoteActorRow:
    try:
        return await find_account(remote.resolver, remote.client, target)
    except LookupFailed as exc:
        raise UsageError(exc.reason) from exc


def notice_id_from(value: str, config: Config) -> int:
    """Accept a notice's web address, its ActivityPub id (the same) or its number."""
    prefix = f"{config.base_url}/notices/"
    text = value.strip()
    if text.startswith(prefix):
        text = text[len(prefix) :].split("/")[0].split("?")[0].split("#")[0]
    if not text.isdigit() or len(text) > 18:
        raise UsageError(f"not a notice of this board: {value!r}")
    return int(text)
