"""The `aushang` command line: what staff do in the web interface, for scripts and bulk work."""

from __future__ import annotations

import argparse
import contextlib
import gc
import getpass
import importlib
import sys
from collections.abc import Iterator, Sequence


@contextlib.contextmanager
def loading() -> Iterator[None]:
    """Pause the garbage collector while the board's modules load: they allocate objects by
    the hundred thousand, all kept for the process's life, and the collector's passes over them
    find nothing to free (~40 ms of a start)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


with loading():
    from noticeboard import __version__, audit
    from noticeboard.cli.base import INSTANCE_HELP, Handler, Parser, UsageError
    from noticeboard.config import ConfigError, load_config
    from noticeboard.sanitize import strip_controls
    from noticeboard.state import BoardNotInitialised

SERVER = "noticeboard.cli.server"
# The modules that register commands, in the order `aushang --help` lists them.
GROUPS = (
    SERVER,
    "noticeboard.notices.cli",
    "noticeboard.network.cli",
    "noticeboard.participation.cli",
    "noticeboard.accounts.cli",
    "noticeboard.continuity.cli",
    "noticeboard.backups.cli",
    "noticeboard.mail.cli",
    "noticeboard.paper.cli",
    "noticeboard.reports.cli",
    "noticeboard.groups.cli",
)


def groups_for(argv: Sequence[str]) -> tuple[str, ...]:
    """The command modules a command line needs: `serve` only its own, so that a starting
    server neither imports nor builds the parsers of some eighty other commands (~30 ms);
    anything else all of them."""
    return (SERVER,) if argv[:1] == ["serve"] else GROUPS


def build_parser(groups: Sequence[str] = GROUPS) -> tuple[Parser, dict[str, Handler]]:
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
    for name in groups:
        handlers.update(importlib.import_module(name).register(command))
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with loading():
        parser, handlers = build_parser(groups_for(argv))
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
