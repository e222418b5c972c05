"""Notices from the command line: post, edit, delete, pin, unpin, done."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from federation.database import from_db_time, utcnow
from noticeboard import store, store_polls
from noticeboard.board import Board
from noticeboard.cli.base import AddCommand, Handler, Parser, UsageError, with_board
from noticeboard.config import Config
from noticeboard.kinds import KINDS
from noticeboard.languages import is_language
from noticeboard.media import MAX_IMAGES, InvalidImage, StoredImage, store_image
from noticeboard.posts import (
    CONSENT_METHODS,
    InvalidNotice,
    NoticeDraft,
    validate_consent,
    validate_draft,
)
from noticeboard.urls import BoardUrls


def register(command: AddCommand) -> dict[str, Handler]:
    post = command("post", "Publish a notice exactly as the web form does; prints its URL.")
    _draft_arguments(post, required=True)
    post.add_argument(
        "--image", action="append", default=[], metavar="FILE", help="a picture (up to 4)"
    )
    post.add_argument(
        "--alt", action="append", default=[], metavar="TEXT", help="its description, per --image"
    )
    post.add_argument(
        "--on-behalf-of", default="", metavar="NAME", help="post for a resident, shown by name"
    )
    post.add_argument(
        "--consent",
        default="",
        choices=["", *CONSENT_METHODS],
        help="how the resident agreed (with --on-behalf-of)",
    )
    post.add_argument("--consent-given", default="", metavar="DATE", help="day of the consent")
    post.add_argument(
        "--consent-until", default="", metavar="DATE", help="last day the resident agreed to"
    )
    edit = command("edit", "Change a notice; followers get an Update. Prints its URL.")
    _notice_argument(edit)
    _draft_arguments(edit, required=False)
    translate = command("translate", "Add, change or remove a notice's version in a language.")
    _notice_argument(translate)
    translate.add_argument("--lang", required=True, metavar="CODE", help="e.g. tr, ar, de-x-simple")
    translate.add_argument("--title", help="the title in that language")
    translate.add_argument("--body", help="the text in that language ('-' reads standard input)")
    translate.add_argument("--remove", action="store_true", help="remove that language")
    codes = command("poll-codes", "Make participation codes for a poll; prints them.")
    _notice_argument(codes)
    codes.add_argument("--count", type=int, default=20, help="how many codes (default 20)")
    codes.add_argument("--json", action="store_true", help="print a JSON array")
    for name, text in (
        ("delete", "Delete a notice; followers get a Delete and its address answers 410."),
        ("pin", "Pin a notice to the top of the board and of the board's Mastodon profile."),
        ("unpin", "Unpin a notice."),
        ("done", "Mark an offer or request as done; followers get an Update."),
    ):
        _notice_argument(command(name, text))
    return {
        "post": run_post,
        "edit": run_edit,
        "delete": run_delete,
        "pin": run_pin,
        "unpin": run_pin,
        "done": run_done,
        "poll-codes": run_poll_codes,
        "translate": run_translate,
    }


def _notice_argument(parser: Parser) -> None:
    parser.add_argument("notice", metavar="URL", help="the notice's address (or its number)")


def _draft_arguments(parser: Parser, *, required: bool) -> None:
    parser.add_argument("--title", required=required, help="the notice's title")
    parser.add_argument(
        "--body", required=required, help="the text, in Markdown ('-' reads standard input)"
    )
    parser.add_argument("--category", help="one word, federated as a hashtag, e.g. Treffen")
    parser.add_argument(
        "--type",
        default="announcement" if required else None,
        choices=[kind.id for kind in KINDS],
        metavar="TYPE",
        help="kind of notice: " + ", ".join(kind.id for kind in KINDS),
    )
    parser.add_argument("--valid-until", metavar="DATE", help="last valid day (2026-12-24)")
    parser.add_argument("--lang", metavar="CODE", help="language of the notice, e.g. de, tr")
    parser.add_argument("--start", metavar="WHEN", help="event start, ISO 8601 (2026-12-24T18:00)")
    parser.add_argument("--end", metavar="WHEN", help="event end, ISO 8601")
    parser.add_argument("--place", metavar="TEXT", help="event place: 'name' or 'name, address'")
    parser.add_argument("--online", metavar="URL", help="link of an online event")
    parser.add_argument(
        "--coordinates", metavar="LAT,LON", help="where the event is, e.g. 51.4556,7.0116"
    )
    parser.add_argument(
        "--option", action="append", metavar="TEXT", help="a poll answer (repeat: 2 to 10)"
    )
    parser.add_argument("--multiple", action="store_true", help="a poll with several answers")
    parser.add_argument("--closes", metavar="WHEN", help="when the poll closes, ISO 8601")
    parser.add_argument(
        "--web-votes",
        choices=("anyone", "code"),
        help="who votes on the website: anyone (default) or holders of participation codes",
    )


def _draft(config: Config, args: argparse.Namespace, current: dict[str, Any]) -> NoticeDraft:
    """Validate the given options, taking what is not given from the current notice."""

    def pick(name: str) -> Any:
        value = getattr(args, name)
        return current.get(name) if value is None else value

    body = pick("body")
    body = sys.stdin.read() if body == "-" else body
    try:
        return validate_draft(
            pick("title") or "",
            body or "",
            pick("category"),
            kind=pick("type"),
            valid_until=pick("valid_until"),
            lang=pick("lang"),
            # an unchanged date of an existing notice may lie in the past
            now=utcnow() if args.valid_until is not None or not current else None,
            timezone=config.timezone,
            event=_event_fields(args, current),
            poll={
                "options": args.option if args.option is not None else current.get("options"),
                "multiple": args.multiple or bool(current.get("multiple")),
                "closes": pick("closes"),
                "web_votes": pick("web_votes"),
            },
        )
    except InvalidNotice as exc:
        raise UsageError(str(exc)) from exc


def _event_fields(args: argparse.Namespace, current: dict[str, Any]) -> dict[str, str | None]:
    fields = {k: current.get(k) for k in ("start", "end", "place_name", "place_address")}
    fields["online_url"] = current.get("online_url")
    if args.start is not None:
        fields["start"] = args.start
    if args.end is not None:
        fields["end"] = args.end
    if args.place is not None:
        name, _, address = args.place.partition(",")
        fields["place_name"], fields["place_address"] = name.strip(), address.strip() or None
    if args.online is not None:
        fields["online_url"] = args.online
    fields["latitude"], fields["longitude"] = current.get("latitude"), current.get("longitude")
    if args.coordinates is not None:
        latitude, _, longitude = args.coordinates.partition(",")
        fields["latitude"], fields["longitude"] = latitude.strip(), longitude.strip()
    return fields


def run_post(config: Config, args: argparse.Namespace) -> int:
    draft = _draft(config, args, {})
    try:
        provenance = validate_consent(
            args.on_behalf_of,
            args.consent,
            args.consent_given,
            args.consent_until,
            now=utcnow(),
            timezone=config.timezone,
        )
    except InvalidNotice as exc:
        raise UsageError(str(exc)) from exc
    images = _images(config, args.image, args.alt)

    async def publish(board: Board) -> Any:
        return await board.publish_notice(draft, None, images, provenance)

    print(with_board(config, publish).url)
    return 0


def _images(config: Config, files: list[str], alts: list[str]) -> list[StoredImage]:
    if len(files) > MAX_IMAGES:
        raise UsageError(f"at most {MAX_IMAGES} pictures per notice")
    if len(alts) != len(files):
        raise UsageError("give one --alt description for each --image")
    stored = []
    for file, alt in zip(files, alts, strict=True):
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from exc
        try:
            stored.append(store_image(data, alt, config.data_dir / "media"))
        except InvalidImage as exc:
            raise UsageError(f"{file}: {exc.message}") from exc
    return stored


def run_edit(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)

    async def edit(board: Board) -> bool:
        row = await store.get_notice_by_id(board.db, notice_id)
        if row is None:
            return False
        current = _current(row, config)
        current["options"] = [
            o["name"] for o in await store_polls.list_options(board.db, notice_id)
        ]
        draft = _draft(config, args, current)
        if draft.poll and list(draft.poll.options) != current["options"]:
            raise UsageError("the answers of a published poll cannot be changed")
        return await board.edit_notice(notice_id, draft)

    _report(with_board(config, edit), args, config, notice_id, "cannot be edited")
    return 0


def _current(row: Any, config: Config) -> dict[str, Any]:
    until = None
    if row["valid_until"]:
        last = from_db_time(row["valid_until"]).astimezone(ZoneInfo(config.timezone))
        until = last.isoformat()
    return {
        "title": row["title"],
        "body": row["body_md"],
        "category": row["category"],
        "type": row["kind"],
        "valid_until": None if row["kind"] == "event" else until,
        "lang": row["lang"],
        "multiple": bool(row["poll_multiple"]),
        "closes": _iso(row["poll_closes"], config),
        "web_votes": row["poll_web_votes"],
        "start": _iso(row["event_start"], config),
        "end": _iso(row["event_end"], config),
        "place_name": row["place_name"],
        "place_address": row["place_address"],
        "online_url": row["online_url"],
        "latitude": None if row["latitude"] is None else str(row["latitude"]),
        "longitude": None if row["longitude"] is None else str(row["longitude"]),
    }


def _iso(value: str | None, config: Config) -> str | None:
    return from_db_time(value).astimezone(ZoneInfo(config.timezone)).isoformat() if value else None


def run_delete(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)

    async def delete(board: Board) -> bool:
        return await board.delete_notice(notice_id)

    _report(with_board(config, delete), args, config, notice_id, "cannot be deleted")
    return 0


def run_pin(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)
    pinned = args.command == "pin"

    async def pin(board: Board) -> bool:
        return await board.pin_notice(notice_id, pinned)

    state = "pinned already" if pinned else "not pinned"
    _report(with_board(config, pin), args, config, notice_id, f"does not exist or is {state}")
    return 0


def run_done(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)

    async def done(board: Board) -> bool:
        return await board.mark_done(notice_id)

    problem = "does not exist, is done already, or is not an offer or request"
    _report(with_board(config, done), args, config, notice_id, problem)
    return 0


def _report(
    ok: bool, args: argparse.Namespace, config: Config, notice_id: int, problem: str
) -> None:
    if not ok:
        raise UsageError(f"notice {args.notice} {problem}")
    print(BoardUrls(config.base_url, config.username).notice(notice_id))


def run_translate(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)
    lang = args.lang.strip().lower()
    if not is_language(lang):
        raise UsageError(f"not a language code: {args.lang!r}")
    if args.remove:

        async def remove(board: Board) -> bool:
            return await board.remove_translation(notice_id, lang)

        _report(with_board(config, remove), args, config, notice_id, f"has no version {lang}")
        return 0
    body = sys.stdin.read() if args.body == "-" else args.body
    try:
        draft = validate_draft(args.title or "", body or "")
    except InvalidNotice as exc:
        raise UsageError(str(exc)) from exc

    async def translate(board: Board) -> bool:
        return await board.set_translation(notice_id, lang, draft.title, draft.body)

    problem = f"does not exist, or {lang} is its own language"
    _report(with_board(config, translate), args, config, notice_id, problem)
    return 0


def run_poll_codes(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)
    if not 1 <= args.count <= 500:
        raise UsageError("--count takes 1 to 500")

    async def codes(board: Board) -> list[str] | None:
        return await board.add_poll_codes(notice_id, args.count)

    made = with_board(config, codes)
    if made is None:
        raise UsageError(f"notice {args.notice} is not a poll of this board")
    if args.json:
        print(json.dumps(made))
    else:
        print("\n".join(made))
    return 0


def notice_id_from(value: str, config: Config) -> int:
    """Accept a notice's web address, its ActivityPub id (the same) or its number."""
    prefix = f"{config.base_url}/notices/"
    text = value.strip()
    if text.startswith(prefix):
        text = text[len(prefix) :].split("/")[0].split("?")[0].split("#")[0]
    if not text.isdigit() or len(text) > 18:
        raise UsageError(f"not a notice of this board: {value!r}")
    return int(text)
