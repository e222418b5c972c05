"""Staff accounts and the audit log from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from federation.database import from_db_time
from noticeboard.accounts import passwords, queries, service, sessions
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
from noticeboard.state import BoardState


def register(command: AddCommand) -> dict[str, Handler]:
    staff = subcommands(command("staff", "Staff accounts.", nested=True), "action")
    add = staff("add", "Add an account; prints a generated password unless --password-stdin.")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=passwords.ROLES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    invite = staff(
        "invite", "Make a one-time link with which a new team member sets their password."
    )
    invite.add_argument("username", help="the new account's user name")
    invite.add_argument("--role", required=True, choices=passwords.ROLES)
    staff_list = staff("list", "List the staff accounts.")
    staff_list.add_argument("--json", action="store_true", help="print a JSON array")
    for name, text in (
        ("remove", "Deactivate an account: it can no longer sign in (its history stays)."),
        ("activate", "Activate a deactivated account again."),
    ):
        staff(name, text).add_argument("username")
    staff("sign-out", "End every session of an account (signed out on every device).").add_argument(
        "username"
    )
    reset = staff(
        "reset-password",
        "Set a new password for an account and end its sessions; prints a generated password "
        "unless --password-stdin.",
    )
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    role = staff("role", "Change an account's role.")
    role.add_argument("username")
    role.add_argument("--role", required=True, choices=passwords.ROLES)
    transfer = staff(
        "transfer-owner",
        "Hand the board over: the account becomes the only owner, other owners become editors.",
    )
    transfer.add_argument("username")
    audit = command("audit", "Show the audit log: who did what, when and why.")
    audit.add_argument("--limit", type=int, default=100, help="how many entries (default 100)")
    audit.add_argument("--json", action="store_true", help="print a JSON array")
    return {"staff": run_staff, "audit": run_audit}


def run_staff(config: Config, args: argparse.Namespace) -> int:
    if args.action == "list":
        return _staff_list(config, args.json)
    if args.action == "invite":
        invitation = check(
            with_state(config, lambda state: service.invite(state, args.role, args.username))
        )
        print(
            f"Invitation link for {invitation.username} ({invitation.role}, "
            f"valid once until {invitation.expires:%Y-%m-%d}):"
        )
        print(invitation.link)
        return 0
    if args.action == "add":
        return _staff_add(config, args)
    if args.action == "reset-password":
        return _staff_reset_password(config, args)
    if args.action == "sign-out":
        ended = check(with_state(config, lambda state: sessions.end_all(state, args.username)))
        print(f"{service.normalise_username(args.username)}: {ended} session(s) ended")
        return 0
    if args.action == "transfer-owner":
        return _transfer_owner(config, args.username)
    if args.action == "role":
        changed = check(
            with_state(config, lambda state: service.set_role(state, args.username, args.role))
        )
        print(
            f"{args.username} is now {args.role}"
            if changed
            else f"{args.username} was {args.role} already"
        )
        return 0
    active = args.action == "activate"
    changed = check(
        with_state(config, lambda state: service.set_active(state, args.username, active))
    )
    status = "active" if active else "deactivated"
    print(f"{args.username} is {status}" if changed else f"{args.username} was {status} already")
    return 0


def _password_of(args: argparse.Namespace) -> str:
    """The password on standard input (--password-stdin), or a generated one."""
    if not args.password_stdin:
        return passwords.generate_password()
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise UsageError("no password on standard input")
    return password


def _staff_reset_password(config: Config, args: argparse.Namespace) -> int:
    password = _password_of(args)
    ended = check(
        with_state(config, lambda state: service.reset_password(state, args.username, password))
    )
    print(
        f"New password set for {service.normalise_username(args.username)}; "
        f"{ended} session(s) ended"
    )
    if not args.password_stdin:
        print(f"Password: {password}")
    return 0


def _staff_add(config: Config, args: argparse.Namespace) -> int:
    password = _password_of(args)
    check(
        with_state(
            config, lambda state: service.add_staff(state, args.username, args.role, password)
        )
    )
    print(f"Added {service.normalise_username(args.username)} ({args.role})")
    if not args.password_stdin:
        print(f"Password: {password}")
    return 0


def _transfer_owner(config: Config, username: str) -> int:
    former = check(with_state(config, lambda state: service.transfer_owner(state, username)))
    print(f"{service.normalise_username(username)} is now the owner")
    if former:
        print(f"Now editors: {', '.join(former)} (remove them with 'aushang staff remove NAME')")
    return 0


def _staff_list(config: Config, as_json: bool) -> int:
    async def listing(state: BoardState) -> list[dict[str, Any]]:
        return [
            {
                "username": r["username"],
                "role": r["role"],
                "active": bool(r["active"]),
                "created": r["created"],
            }
            for r in await queries.list_staff(state)
        ]

    print_listing(with_state(config, listing), as_json, ("username", "role", "active"))
    return 0


def run_audit(config: Config, args: argparse.Namespace) -> int:
    async def listing(state: BoardState) -> list[dict[str, Any]]:
        rows = await queries.audit_entries(state, "en", limit=max(1, args.limit))
        return [
            {
                **{k: v for k, v in r.items() if k not in ("sentence", "known")},
                "created": from_db_time(r["created"]).isoformat(),
                **({} if args.json else {"what": r["sentence"]}),
            }
            for r in rows
        ]

    print_listing(with_state(config, listing), args.json, ("created", "staff", "what"))
    return 0
