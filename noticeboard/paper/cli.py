"""Printing from the command line: a notice's poster, the board's poster, the weekly sheet."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path

from noticeboard.cli.base import (
    AddCommand,
    Handler,
    UsageError,
    check,
    notice_id_from,
    print_listing,
    subcommands,
    with_state,
)
from noticeboard.config import Config
from noticeboard.i18n import LANGUAGES
from noticeboard.paper import documents, queries, service
from noticeboard.paper.forms import InvalidPaperInput, WeekChoice, parse_day
from noticeboard.state import BoardState


def register(command: AddCommand) -> dict[str, Handler]:
    action = subcommands(
        command("print", "Posters and the weekly sheet as PDF.", nested=True), "what"
    )
    poster = action(
        "poster", "A notice's A4 poster (with tear-off strips for offers and requests)."
    )
    poster.add_argument("notice", metavar="URL", help="the notice's address or number")
    poster.add_argument(
        "--contact", default="", help="the contact on the strips (default: the board's)"
    )
    _output_arguments(poster)
    _output_arguments(action("board", "The 'Follow us' poster: every way to get the board's news."))
    week = action(
        "week", "The weekly sheet for the display case: notices and the next 14 days' events."
    )
    week.add_argument(
        "--date", default="", metavar="DAY", help="its first day, YYYY-MM-DD (default: today)"
    )
    _output_arguments(week)
    choose = action("choose", "List or change which notices the weekly sheet shows.")
    choose.add_argument(
        "--show", action="append", default=[], metavar="URL", help="put a notice on it"
    )
    choose.add_argument(
        "--hide", action="append", default=[], metavar="URL", help="leave a notice off"
    )
    choose.add_argument("--json", action="store_true", help="print a JSON array")
    return {"print": run_print}


def _output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE", help="where to write the PDF")
    parser.add_argument("--lang", choices=LANGUAGES, help="language (default: the board's)")


def run_print(config: Config, args: argparse.Namespace) -> int:
    if args.what == "choose":
        return _choose(config, args)
    lang = args.lang or config.language
    make = {"poster": _poster, "board": _board, "week": _week}[args.what]
    body = with_state(config, make(config, args, lang))
    out = Path(args.out)
    try:
        out.write_bytes(body)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from exc
    print(out)
    return 0


Make = Callable[[BoardState], Awaitable[bytes]]


def _poster(config: Config, args: argparse.Namespace, lang: str) -> Make:
    notice_id = notice_id_from(args.notice, config)

    async def make(state: BoardState) -> bytes:
        poster = await queries.poster(state, notice_id, args.contact.strip())
        if poster is None:
            raise UsageError(f"no such notice: {args.notice}")
        return await documents.poster_pdf(state, poster, lang)

    return make


def _board(config: Config, args: argparse.Namespace, lang: str) -> Make:
    async def make(state: BoardState) -> bytes:
        return await documents.board_poster_pdf(state, lang)

    return make


def _week(config: Config, args: argparse.Namespace, lang: str) -> Make:
    try:
        day = parse_day(args.date)
    except InvalidPaperInput as exc:
        raise UsageError(str(exc)) from exc

    async def make(state: BoardState) -> bytes:
        return await documents.week_pdf(state, await queries.week_sheet(state, day), lang)

    return make


def _choose(config: Config, args: argparse.Namespace) -> int:
    show = {notice_id_from(v, config) for v in args.show}
    hide = {notice_id_from(v, config) for v in args.hide}
    if show & hide:
        raise UsageError("a notice cannot be shown and left off at once")

    async def work(state: BoardState) -> list[queries.Candidate]:
        if show or hide:
            check(
                await service.choose_week_notices(
                    state, WeekChoice(frozenset(show | hide), frozenset(show))
                )
            )
        return await queries.week_candidates(state)

    candidates = with_state(config, work)
    items = [
        {
            "id": c.notice.id,
            "url": c.notice.url,
            "kind": c.notice.kind.id,
            "title": c.notice.title,
            "shown": c.shown if args.json else ("shown" if c.shown else "left off"),
        }
        for c in candidates
    ]
    print_listing(items, args.json, ("id", "shown", "kind", "title"))
    return 0
