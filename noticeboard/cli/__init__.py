"""The `aushang` command line: what staff do in the web interface, for scripts and bulk work."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from noticeboard import __version__
from noticeboard.board import BoardNotInitialised
from noticeboard.cli import network, notices, server
from noticeboard.cli.base import Handler, Parser, UsageError
from noticeboard.config import ConfigError, load_config


def build_parser() -> tuple[Parser, dict[str, Handler]]:
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
        return sub  # type: ignore[no-any-return]

    handlers: dict[str, Handler] = {}
    for group in (server, notices, network):
        handlers.update(group.register(command))
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.instance)
        return handlers[args.command](config, args)
    except (ConfigError, UsageError, BoardNotInitialised) as exc:
        print(f"aushang {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


__all__ = ["main"]
