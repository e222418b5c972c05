"""Staff accounts: invitations by one-time link, roles, password changes, deactivation.

Use cases answer `Ok(...)` or `Refused(reason)`; the reason is a catalogue message id.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from federation.database import Row
from noticeboard import audit
from noticeboard.accounts import passwords, store
from noticeboard.i18n import N_
from noticeboard.results import Ok, Refused, Result
from noticeboard.state import BoardState

INVITATION_LIFETIME = timedelta(days=7)
PASSWORD_MIN = 10
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")


INVITATION_GONE = N_("This invitation link is not valid any more.")
NAME_TAKEN = N_("This user name is taken. Please choose another one.")
NO_SUCH_ACCOUNT = N_("There is no such staff account.")
WRONG_SIGN_IN = N_("Wrong user name or password.")
LAST_OWNER = N_("The board needs at least one active owner.")


@dataclass(frozen=True)
class Invitation:
    token: str
    role: str
    username: str
    link: str
    expires: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _username_problem(name: str) -> str | None:
    if USERNAME_PATTERN.fullmatch(name):
        return None
    return N_("A user name has 2 to 32 small letters, digits, dots, dashes or underscores.")


def _password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return N_("The password needs at least 10 characters.")
    return None


def _role_problem(role: str) -> str | None:
    if role not in passwords.ROLES:
        return N_("Please choose a role: owner, editor or moderator.")
    return None


async def invite(state: BoardState, role: str, username: str) -> Result[Invitation]:
    """Make a one-time link with which someone sets the password of an account named by the
    owner: the invitation form never has to say whether a user name exists (rule 43)."""
    name = normalise_username(username)
    problem = _username_problem(name) or _role_problem(role)
    if problem:
        return Refused(problem)
    token = secrets.token_urlsafe(32)
    now = state.clock()
    expires = now + INVITATION_LIFETIME
    async with state.db.transaction() as conn:
        if await store.username_taken(conn, name) or await store.name_invited(conn, name, now):
            return Refused(NAME_TAKEN)
        await store.insert_invitation(
            conn, token_hash(token), role, name, audit.acting(), now, expires
        )
        await audit.record(conn, "staff.invite", f"{name} ({role})", now)
    link = f"{state.urls.base}/invitation/{token}"
    return Ok(Invitation(token, role, name, link, expires))


async def open_invitation(state: BoardState, token: str) -> Row | None:
    return await store.get_open_invitation(state.db, token_hash(token), state.clock())


async def accept_invitation(state: BoardState, token: str, password: str) -> Result[int]:
    """Create the account an invitation is for, with the password its holder chose; the link
    works only once."""
    problem = _password_problem(password)
    if problem:
        return Refused(problem)
    invitation = await open_invitation(state, token)
    if invitation is None:
        return Refused(INVITATION_GONE)
    password_hash = await passwords.hash_password_off_loop(password)
    name, role, now = invitation["username"], invitation["role"], state.clock()
    async with state.db.transaction() as conn:
        # An account of that name made meanwhile (command line) makes the link void.
        if await store.username_taken(conn, name):
            return Refused(INVITATION_GONE)
        if not await store.use_invitation(conn, token_hash(token), now):
            return Refused(INVITATION_GONE)
        staff_id = await store.insert_staff(conn, name, password_hash, role, now)
        with audit.acting_as(name):
            await audit.record(conn, "staff.join", f"{name} ({role})", now)
    return Ok(staff_id)


async def authenticate(state: BoardState, username: str, password: str) -> Result[int]:
    """Check a sign-in; Ok(account id). An unknown name, a deactivated account and a wrong
    password cost the same work and get the same answer (rule 43)."""
    row = await store.get_staff_by_username(state.db, normalise_username(username))
    usable = row is not None and bool(row["active"])
    stored = row["password_hash"] if row is not None and usable else None
    if not await passwords.check_password(password, stored) or row is None:
        return Refused(WRONG_SIGN_IN)
    return Ok(int(row["id"]))


async def add_staff(state: BoardState, username: str, role: str, password: str) -> Result[int]:
    """Create an account directly (command line)."""
    name = normalise_username(username)
    problem = _username_problem(name) or _role_problem(role) or _password_problem(password)
    if problem:
        return Refused(problem)
    password_hash = await passwords.hash_password_off_loop(password)
    now = state.clock()
    async with state.db.transaction() as conn:
        if await store.username_taken(conn, name):
            return Refused(NAME_TAKEN)
        staff_id = await store.insert_staff(conn, name, password_hash, role, now)
        await audit.record(conn, "staff.add", f"{name} ({role})", now)
    return Ok(staff_id)


async def set_active(state: BoardState, username: str, active: bool) -> Result[bool]:
    """Deactivate (sign-in refused at once) or reactivate an account; never the last owner.

    Ok(False) when the account was so already.
    """
    username = normalise_username(username)
    row = await store.get_staff_by_username(state.db, username)
    if row is None:
        return Refused(NO_SUCH_ACCOUNT)
    try:
        async with state.db.transaction() as conn:
            if not await store.set_staff_active(conn, row["id"], active):
                return Ok(False)
            if not active and row["role"] == "owner":
                await _keep_an_owner(conn)
            if not active:
                await store.delete_sessions_of(conn, row["id"])
            action = "staff.activate" if active else "staff.deactivate"
            await audit.record(conn, action, username, state.clock())
    except _NoOwnerLeft:
        return Refused(LAST_OWNER)
    return Ok(True)


async def set_role(state: BoardState, username: str, role: str) -> Result[bool]:
    """Give an account another role; never take the last owner's. Ok(False): unchanged."""
    problem = _role_problem(role)
    if problem:
        return Refused(problem)
    username = normalise_username(username)
    row = await store.get_staff_by_username(state.db, username)
    if row is None:
        return Refused(NO_SUCH_ACCOUNT)
    try:
        async with state.db.transaction() as conn:
            if not await store.set_staff_role(conn, row["id"], role):
                return Ok(False)
            if row["role"] == "owner":
                await _keep_an_owner(conn)
            await audit.record(conn, "staff.role", f"{username} ({role})", state.clock())
    except _NoOwnerLeft:
        return Refused(LAST_OWNER)
    return Ok(True)


async def change_password(
    state: BoardState, staff_id: int, current: str, new: str, *, keep_session: int
) -> Result[int]:
    """Change one's own password; the current one must be given. Every other session of the
    account ends (whoever else was signed in with the old password is out); Ok(how many)."""
    row = await store.get_staff_by_id(state.db, staff_id)
    stored = row["password_hash"] if row is not None else None
    if not await passwords.check_password(current, stored) or row is None:
        return Refused(N_("The current password is not right."))
    problem = _password_problem(new)
    if problem:
        return Refused(problem)
    password_hash = await passwords.hash_password_off_loop(new)
    async with state.db.transaction() as conn:
        await store.set_staff_password(conn, staff_id, password_hash)
        ended = await store.delete_sessions_of(conn, staff_id, keep_session)
        await audit.record(conn, "staff.password", row["username"], state.clock())
    return Ok(ended)


async def reset_password(state: BoardState, username: str, password: str) -> Result[int]:
    """Set an account's password on the server (a locked-out owner) and end all its sessions;
    Ok(how many sessions ended)."""
    name = normalise_username(username)
    row = await store.get_staff_by_username(state.db, name)
    if row is None:
        return Refused(NO_SUCH_ACCOUNT)
    problem = _password_problem(password)
    if problem:
        return Refused(problem)
    password_hash = await passwords.hash_password_off_loop(password)
    async with state.db.transaction() as conn:
        await store.set_staff_password(conn, row["id"], password_hash)
        ended = await store.delete_sessions_of(conn, row["id"])
        await audit.record(conn, "staff.reset_password", name, state.clock(), f"{ended}")
    return Ok(ended)


class _NoOwnerLeft(Exception):
    """Raised inside a transaction to roll back a change that leaves no active owner."""


async def _keep_an_owner(conn: aiosqlite.Connection) -> None:
    """Refuse (by raising, which rolls back) a change that leaves no active owner."""
    if await store.count_active_owners(conn) == 0:
        raise _NoOwnerLeft()


async def transfer_owner(state: BoardState, username: str) -> Result[list[str]]:
    """Hand the board to another team: `username` becomes its only owner, every other owner
    becomes an editor (owners remove them later if they leave). Ok(the former owners)."""
    name = normalise_username(username)
    row = await store.get_staff_by_username(state.db, name)
    if row is None:
        return Refused(NO_SUCH_ACCOUNT)
    if not row["active"]:
        return Refused(N_("This account is deactivated. Activate it first."))
    former = [
        r for r in await store.list_staff(state.db) if r["role"] == "owner" and r["id"] != row["id"]
    ]
    now = state.clock()
    async with state.db.transaction() as conn:
        await store.set_staff_role(conn, row["id"], "owner")
        for owner in former:
            await store.set_staff_role(conn, owner["id"], "editor")
        names = ", ".join(r["username"] for r in former) or "-"
        await audit.record(conn, "staff.transfer_owner", name, now, f"former owners: {names}")
    return Ok([r["username"] for r in former])
