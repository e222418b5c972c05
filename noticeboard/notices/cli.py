"""Notices from the command line: post, edit, delete, pin, unpin, done, images rebuild."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from federation.database import utcnow
from noticeboard.cli.base import (
    AddCommand,
    Handler,
    Parser,
    UsageError,
    check,
    notice_id_from,
    subcommands,
    with_state,
)
from noticeboard.config import Config
from noticeboard.languages import is_language
from noticeboard.notices import queries, service
from noticeboard.notices.forms import (
    CONSENT_METHODS,
    InvalidNotice,
    NoticeDraft,
    NoticeForm,
    validate_consent,
    validate_draft,
)
from noticeboard.notices.images import MAX_IMAGES, InvalidImage, StoredImage, store_image
from noticeboard.notices.kinds import KINDS
from noticeboard.results import Refused, Result
from noticeboard.state import BoardState
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
    images = subcommands(command("images", "The notices' pictures.", nested=True), "action")
    rebuild = images(
        "rebuild", "Make the smaller copies that pictures stored by an older version lack."
    )
    rebuild.add_argument("--json", action="store_true", help="print the counts as JSON")
    return {
        "images": run_images,
        "post": run_post,
        "edit": run_edit,
        "delete": run_delete,
        "pin": run_pin,
        "unpin": run_pin,
        "done": run_done,
        "poll-codes": run_poll_codes,
        "translate": run_translate,
    }


def run_images(config: Config, args: argparse.Namespace) -> int:
    made = check(with_state(config, service.make_missing_variants))
    if args.json:
        print(json.dumps({**vars(made), "unusable": list(made.unusable)}))
    else:
        print(f"Smaller copies made for {made.pictures} picture(s): {made.files} file(s).")
        for file in made.unusable:
            print(f"{file}: the stored picture is missing or cannot be read; it is served as is.")
    return 1 if made.unusable else 0


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


def _given(args: argparse.Namespace) -> dict[str, str | None]:
    """The notice fields given as options, by the names of the one form schema; None: not given."""
    body = sys.stdin.read() if args.body == "-" else args.body
    given: dict[str, str | None] = {
        "title": args.title,
        "body": body,
        "category": args.category,
        "kind": args.type,
        "valid_until": args.valid_until,
        "lang": args.lang,
        "start": args.start,
        "end": args.end,
        "online_url": args.online,
        "closes": args.closes,
        "web_votes": args.web_votes,
        "options": "\n".join(args.option) if args.option is not None else None,
        "multiple": "1" if args.multiple else None,
    }
    if args.place is not None:
        name, _, address = args.place.partition(",")
        given["place_name"], given["place_address"] = name.strip(), address.strip()
    if args.coordinates is not None:
        latitude, _, longitude = args.coordinates.partition(",")
        given["latitude"], given["longitude"] = latitude.strip(), longitude.strip()
    return given


def _draft(config: Config, form: NoticeForm) -> NoticeDraft:
    try:
        return form.validate(utcnow(), config.timezone)
    except InvalidNotice as exc:
        raise UsageError(str(exc)) from exc


def run_post(config: Config, args: argparse.Namespace) -> int:
    draft = _draft(config, NoticeForm().merged(_given(args)))
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

    async def publish(state: BoardState) -> str:
        return (await service.publish(state, draft, None, images, provenance)).url

    print(with_state(config, publish))
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
    given = _given(args)

    async def edit(state: BoardState) -> Result[None]:
        row = await queries.get_notice(state, notice_id)
        if row is None:
            return Refused(service.NO_SUCH_NOTICE)
        form = (await queries.edit_form(state, row)).merged(given)
        return await service.edit(state, notice_id, _draft(config, form))

    _run(config, args, notice_id, edit)
    return 0


def _run(
    config: Config,
    args: argparse.Namespace,
    notice_id: int,
    work: Callable[[BoardState], Awaitable[Result[None]]],
) -> None:
    """Run a use case on a notice; print its address, or why it was refused (status 2)."""
    result = with_state(config, work)
    if isinstance(result, Refused):
        raise UsageError(f"notice {args.notice}: {result.reason}")
    print(BoardUrls(config.base_url, config.username).notice(notice_id))


def run_delete(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)
    _run(config, args, notice_id, lambda state: service.delete(state, notice_id))
    return 0


def run_pin(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)
    pinned = args.command == "pin"
    _run(config, args, notice_id, lambda state: service.pin(state, notice_id, pinned))
    return 0


def run_done(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)
    _run(config, args, notice_id, lambda state: service.mark_done(state, notice_id))
    return 0


def run_translate(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)
    lang = args.lang.strip().lower()
    if not is_language(lang):
        raise UsageError(f"not a language code: {args.lang!r}")
    if args.remove:
        _run(
            config,
            args,
            notice_id,
            lambda state: service.remove_translation(state, notice_id, lang),
        )
        return 0
    body = sys.stdin.read() if args.body == "-" else args.body
    try:
        draft = validate_draft(args.title or "", body or "")
    except InvalidNotice as exc:
        raise UsageError(str(exc)) from exc

    async def translate(state: BoardState) -> Result[None]:
        return await service.set_translation(state, notice_id, lang, draft.title, draft.body)

    _run(config, args, notice_id, translate)
    return 0


def run_poll_codes(config: Config, args: argparse.Namespace) -> int:
    notice_id = notice_id_from(args.notice, config)

    async def codes(state: BoardState) -> list[str]:
        return check(await service.add_poll_codes(state, notice_id, args.count))

    made = with_state(config, codes)
    if args.json:
        print(json.dumps(made))
    else:
        print("\n".join(made))
    return 0
