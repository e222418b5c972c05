"""News by e-mail from the command line: a test mail, the subscribers, the digest, removing."""

from __future__ import annotations

import argparse
from typing import Any

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
from noticeboard.mail import queries, service
from noticeboard.mail.forms import InvalidChoice, validate_email
from noticeboard.state import BoardState


def register(command: AddCommand) -> dict[str, Handler]:
    mail = subcommands(command("mail", "News by e-mail.", nested=True), "action")
    test = mail("test", "Send a test mail through the configured server and say how it went.")
    test.add_argument("--to", required=True, metavar="ADDRESS", help="where to send it")
    listing = mail("subscribers", "How many confirmed subscribers chose what.")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    digest = mail("digest", "Queue the weekly digest for every weekly subscriber with news.")
    digest.add_argument(
        "--now", action="store_true", required=True, help="now, not at the configured hour"
    )
    remove = mail("remove", "Delete an address and every mail waiting for it.")
    remove.add_argument("address", metavar="ADDRESS")
    return {"mail": run_mail}


def run_mail(config: Config, args: argparse.Namespace) -> int:
    if config.mail is None:
        raise UsageError("the board has no [mail] section: it sends no e-mail")
    actions = {"test": _test, "subscribers": _subscribers, "digest": _digest, "remove": _remove}
    return actions[args.action](config, args)


def _test(config: Config, args: argparse.Namespace) -> int:
    try:
        address = validate_email(args.to)
    except InvalidChoice as exc:
        raise UsageError(f"{args.to!r}: {exc}") from exc
    answer = with_state(config, lambda state: service.test_mail(state, address))
    outcome = check(answer)
    if not outcome.sent:
        raise UsageError(f"the mail to {address} was not sent: {outcome.reason}")
    print(f"Sent a test mail to {address} ({outcome.reason})")
    return 0


def _subscribers(config: Config, args: argparse.Namespace) -> int:
    async def listing(state: BoardState) -> list[dict[str, Any]]:
        return [count.as_json() for count in await queries.counts_by_choice(state)]

    items = with_state(config, listing)
    if not args.json:
        for item in items:
            kinds = item["kinds"] if isinstance(item["kinds"], str) else ",".join(item["kinds"])
            print(f"{item['subscribers']}\t{item['frequency']}\t{kinds}\t{item['language']}")
        print(f"{sum(int(i['subscribers']) for i in items)} confirmed subscribers")
        return 0
    print_listing(items, True, ())
    return 0


def _digest(config: Config, args: argparse.Namespace) -> int:
    queued = check(with_state(config, service.send_digest_now))
    print(f"Queued the digest for {queued} subscribers; the running server sends it.")
    return 0


def _remove(config: Config, args: argparse.Namespace) -> int:
    removed = check(with_state(config, lambda state: service.remove(state, args.address)))
    print(f"Deleted {removed}")
    return 0
