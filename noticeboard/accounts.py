"""Staff accounts: invitations by one-time link, roles, password changes, deactivation."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from federation.database import Database, Row
from noticeboard import audit, auth, store, store_participation
from noticeboard.i18n import N_
from noticeboard.urls import BoardUrls

INVITATION_LIFETIME = timedelta(days=7)
PASSWORD_MIN = 10
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")


class AccountError(ValueError):
    """A staff account change that cannot be made; `message` is a catalogue message id."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Invitation:
    token: str
    role: str
    link: str
    expires: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError(
            N_("A user name has 2 to 32 small letters, digits, dots, dashes or underscores.")
        )
    return name


def check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise AccountError(N_("The password needs at least 10 characters."))


def check_role(role: str) -> None:
    if role not in auth.ROLES:
        raise AccountError(N_("Please choose a role: owner, editor or moderator."))


class AccountActions:
    """The staff account use cases of a Board (mixed into it)."""

    db: Database
    urls: BoardUrls
    clock: Callable[[], datetime]

    async def invite(self, role: str) -> Invitation:
        """Make a one-time link with which someone sets up their own account."""
        check_role(role)
        token = secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + INVITATION_LIFETIME
        async with self.db.transaction() as conn:
            await store_participation.insert_invitation(
                conn, token_hash(token), role, audit.acting(), now, expires
            )
            await audit.record(conn, "staff.invite", role, now)
        return Invitation(token, role, f"{self.urls.base}/invitation/{token}", expires)

    async def open_invitation(self, token: str) -> Row | None:
        return await store_participation.get_open_invitation(
            self.db, token_hash(token), self.clock()
        )

    async def accept_invitation(self, token: str, username: str, password: str) -> int:
        """Create the account an invitation is for; the link works only once."""
        name = check_username(username)
        check_password(password)
        invitation = await self.open_invitation(token)
        if invitation is None:
            raise AccountError(N_("This invitation link is not valid any more."))
        password_hash = auth.hash_password(password)
        now = self.clock()
        async with self.db.transaction() as conn:
            if not await store_participation.use_invitation(conn, token_hash(token), now):
                raise AccountError(N_("This invitation link is not valid any more."))
            if await store_participation.username_taken(conn, name):
                raise AccountError(N_("This user name is taken. Please choose another one."))
            staff_id = await store.insert_staff(conn, name, password_hash, invitation["role"], now)
            with audit.acting_as(name):
                await audit.record(conn, "staff.join", f"{name} ({invitation['role']})", now)
        return staff_id

    async def add_staff(self, username: str, role: str, password: str) -> int:
        """Create an account directly (command line)."""
        name = check_username(username)
        check_role(role)
        check_password(password)
        password_hash = auth.hash_password(password)
        now = self.clock()
        async with self.db.transaction() as conn:
            if await store_participation.username_taken(conn, name):
                raise AccountError(N_("This user name is taken. Please choose another one."))
            staff_id = await store.insert_staff(conn, name, password_hash, role, now)
            await audit.record(conn, "staff.add", f"{name} ({role})", now)
        return staff_id

    async def set_staff_active(self, username: str, active: bool) -> bool:
        """Deactivate (sign-in refused at once) or reactivate an account; never the last owner."""
        username = username.strip().lower()
        row = await store.get_staff_by_username(self.db, username)
        if row is None:
            raise AccountError(N_("There is no such staff account."))
        async with self.db.transaction() as conn:
            if not await store_participation.set_staff_active(conn, row["id"], active):
                return False
            if not active and row["role"] == "owner":
                await _keep_an_owner(conn)
            action = "staff.activate" if active else "staff.deactivate"
            await audit.record(conn, action, username, self.clock())
        return True

    async def set_staff_role(self, username: str, role: str) -> bool:
        check_role(role)
        username = username.strip().lower()
        row = await store.get_staff_by_username(self.db, username)
        if row is None:
            raise AccountError(N_("There is no such staff account."))
        async with self.db.transaction() as conn:
            if not await store_participation.set_staff_role(conn, row["id"], role):
                return False
            if row["role"] == "owner":
                await _keep_an_owner(conn)
            await audit.record(conn, "staff.role", f"{username} ({role})", self.clock())
        return True

    async def change_password(self, staff_id: int, current: str, new: str) -> None:
        """Change one's own password; the current one must be given."""
        row = await store.get_staff_by_id(self.db, staff_id)
        if row is None or not auth.verify_password(current, row["password_hash"]):
            raise AccountError(N_("The current password is not right."))
        check_password(new)
        async with self.db.transaction() as conn:
            await store_participation.set_staff_password(conn, staff_id, auth.hash_password(new))
            await audit.record(conn, "staff.password", row["username"], self.clock())

    async def reset_password(self, username: str) -> str:
        """Give an account a new generated password (command line, for a locked-out owner)."""
        row = await store.get_staff_by_username(self.db, username)
        if row is None:
            raise AccountError(N_("There is no such staff account."))
        password = auth.generate_password()
        async with self.db.transaction() as conn:
            await store_participation.set_staff_password(
                conn, row["id"], auth.hash_password(password)
            )
            await audit.record(conn, "staff.password_reset", username, self.clock())
        return password


async def _keep_an_owner(conn: aiosqlite.Connection) -> None:
    """Refuse (by raising, which rolls back) a change that leaves no active owner."""
    if await store_participation.count_active_owners(conn) == 0:
        raise AccountError(N_("The board needs at least one active owner."))
