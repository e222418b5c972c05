"""The `aushang` command line: what staff do in the web interface, for scripts and bulk work."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from noticeboard import __version__, audit
from noticeboard.accounts import cli as accounts
from noticeboard.backups import cli as backups
from noticeboard.cli import server
from noticeboard.cli.base import INSTANCE_HELP, Handler, Parser, UsageError
from noticeboard.config import ConfigError, load_config
from noticeboard.continuity import cli as continuity
from noticeboard.groups import cli as groups
from noticeboard.mail import cli as mail
from noticeboard.network import cli as network
from noticeboard.notices import cli as notices
from noticeboard.paper import cli as paper
from noticeboard.participation import cli as participation
from noticeboard.reports import cli as reports
from noticeboard.sanitize import strip_controls
from noticeboard.state import BoardNotInitialised


def build_parser() -> tuple[Parser, dict[str, Handler]]:
    parser = Parser(
        prog="aushang",
        description="Aushang: a federated neighbourhood noticeboard. "
        "Each command works on the board described by --instance FILE.",
    )
    parser.add_argument("--version", action="version", version=f"aushang {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    def command(name: str, help_text: str, *, nested: bool = False) -> Parser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if nested:  # its actions take --instance too, so it may come anywhere
            sub.add_argument(
                "--instance", metavar="FILE", default=argparse.SUPPRESS, help=INSTANCE_HELP
            )
        else:
            sub.add_argument("--instance", required=True, metavar="FILE", help=INSTANCE_HELP)
        return sub

    handlers: dict[str, Handler] = {}
    for group in (
        server,
        notices,
        network,
        participation,
        accounts,
        continuity,
        backups,
        mail,
        paper,
        reports,
        groups,
    ):
        handlers.update(group.register(command))
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    for name, value in vars(args).items():  # rule 27: no control characters are stored
        if isinstance(value, str):
            setattr(args, name, strip_controls(value))
    if not getattr(args, "instance", None):
        parser.error(f"{args.command}: the argument --instance FILE is required")
    try:
        config = load_config(args.instance)
        audit.set_acting(f"command line ({_system_user()})")
        return handlers[args.command](config, args)
    except (ConfigError, UsageError, BoardNotInitialised) as exc:
        print(f"aushang {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a name
        return "unknown"


__all__ = ["main"]
