"""Moving house, closing and exporting from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from noticeboard.cli.base import (
    AddCommand,
    Handler,
    Remote,
    UsageError,
    check,
    resolve_actor,
    with_remote,
    with_state,
)
from noticeboard.config import Config
from noticeboard.continuity import export, queries, service
from noticeboard.state import BoardState


def register(command: AddCommand) -> dict[str, Handler]:
    move = command(
        "move",
        "Move the board to a new address: 'move prepare --from @old@host' on the new board, "
        "then 'move --to @new@host' on the old one.",
        nested=True,
    )
    move.add_argument("--to", metavar="HANDLE", help="the new board (@name@host or its address)")
    group = move.add_subparsers(dest="action", metavar="ACTION", parser_class=type(move))
    for name, text in (
        ("prepare", "On the new board: name the old board as this board's earlier address."),
        ("forget", "Stop naming an earlier address."),
    ):
        sub = group.add_parser(name, help=text, description=text)
        sub.add_argument("--instance", metavar="FILE", default=argparse.SUPPRESS)
        sub.add_argument("--from", dest="origin", required=True, metavar="HANDLE")
    status = group.add_parser("status", help="Show earlier addresses, a move or a closing.")
    status.add_argument("--instance", metavar="FILE", default=argparse.SUPPRESS)
    close = command("close", "Close the board: a last notice, then its actor is deleted.")
    close.add_argument("--archive-url", metavar="URL", help="where the archive lives")
    close.add_argument("--message", metavar="TEXT", help="the last notice's text")
    close.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    exporting = command("export", "Export the board: a static copy or an archive of its data.")
    what = exporting.add_mutually_exclusive_group(required=True)
    what.add_argument("--static", metavar="DIR", help="a static copy of the public board")
    what.add_argument("--json", metavar="FILE", help="a zip: ActivityStreams outbox, iCalendar")
    exporting.add_argument(
        "--url", metavar="URL", help="where the static copy will be hosted (for feed links)"
    )
    return {"move": run_move, "close": run_close, "export": run_export}


def run_move(config: Config, args: argparse.Namespace) -> int:
    if args.action == "status" or (args.action is None and not args.to):
        return _print_status(config)
    if args.action is None:
        return _move_to(config, args.to)

    async def prepare(state: BoardState, remote: Remote) -> list[str]:
        if args.action == "forget":
            return check(await service.forget_alias(state, args.origin))
        old = await resolve_actor(remote, args.origin)
        return check(await service.prepare_move(state, old))

    aliases = with_remote(config, prepare)
    print("This board names as its earlier addresses (alsoKnownAs):")
    for alias in aliases:
        print(f"  {alias}")
    return 0


def _move_to(config: Config, handle: str) -> int:
    async def move(state: BoardState, remote: Remote) -> int:
        target = await resolve_actor(remote, handle)
        return check(await service.move_to(state, target))

    count = with_remote(config, move)
    print(f"Moved to {handle}: Move queued for {count} follower inboxes.")
    print("The running server delivers it; keep this address running so servers can follow.")
    return 0


def _print_status(config: Config) -> int:
    status = with_state(config, queries.status)
    print(f"earlier addresses: {', '.join(status.also_known_as) or '-'}")
    print(f"moved to: {status.moved.actor if status.moved else '-'}")
    print(f"closed: {status.closed.at if status.closed else '-'}")
    return 0


def run_close(config: Config, args: argparse.Namespace) -> int:
    if not args.yes:
        print(
            f"Closing '{config.name}' posts a last notice and deletes the board for its "
            f"followers. This cannot be undone.\nType the board's name ({config.username}) "
            "to confirm: ",
            end="",
            flush=True,
        )
        if sys.stdin.readline().strip().lower() != config.username:
            raise UsageError("not confirmed; nothing was changed")
    notice_id = check(
        with_state(config, lambda state: service.close(state, args.archive_url, args.message))
    )
    print(f"The board has closed. Last notice: {config.base_url}/notices/{notice_id}")
    print("The running server delivers the Delete to the followers; keep it running until then.")
    return 0


def run_export(config: Config, args: argparse.Namespace) -> int:
    if args.static:
        pages = export.export_static(config, Path(args.static), args.url)
        print(f"Wrote a static copy of {pages} files to {args.static}")
    else:
        counts = export.export_archive(config, Path(args.json))
        print(f"Wrote {args.json}: {counts.notices} notices, {counts.events} events")
    return 0
