"""Staff sessions kept on the server (security rule 38).

The browser holds a random token; the board stores only its SHA-256 hash, with the account, when
and from which browser it was signed in and when it was last used. A session ends when its owner
signs out, after `idle_timeout` without use, `session_lifetime` after sign-in (never extended),
when the account's password changes or is reset, when the account is deactivated, or when an
owner ends all of an account's sessions.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from federation.database import Row, from_db_time
from noticeboard import audit
from noticeboard.accounts import store
from noticeboard.i18n import N_
from noticeboard.results import Ok, Refused, Result
from noticeboard.state import BoardState

TOUCH_EVERY = timedelta(minutes=1)  # last use is written at most once a minute per session
USER_AGENT_LIMIT = 300


@dataclass(frozen=True)
class Session:
    id: int
    staff_id: int
    username: str
    role: str
    group_id: int | None = None  # the one group a group leader leads


@dataclass(frozen=True)
class OpenSession:
    id: int
    created: datetime
    last_seen: datetime
    browser: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def start(state: BoardState, staff_id: int, user_agent: str) -> str:
    """Open a session for a signed-in account; return the token for the browser's cookie."""
    token = secrets.token_urlsafe(32)
    now = state.clock()
    expires = now + state.config.staff.session_lifetime
    async with state.db.transaction() as conn:
        await store.insert_session(
            conn, _hash(token), staff_id, user_agent[:USER_AGENT_LIMIT], now, expires
        )
    return token


async def resolve(state: BoardState, token: str) -> Session | None:
    """The live session of a token: it exists, its account is active, it is neither idle too
    long nor past its lifetime. A dead one is deleted; a live one's last use is noted."""
    row = await store.get_session(state.db, _hash(token))
    if row is None:
        return None
    now = state.clock()
    if not _alive(state, row, now):
        async with state.db.transaction() as conn:
            await store.delete_session(conn, row["id"], row["staff_id"])
        return None
    if now - from_db_time(row["last_seen"]) >= TOUCH_EVERY:
        async with state.db.transaction() as conn:
            await store.touch_session(conn, row["id"], now)
    return Session(row["id"], row["staff_id"], row["username"], row["role"], row["group_id"])


def _alive(state: BoardState, row: Row, now: datetime) -> bool:
    idle_since = now - state.config.staff.idle_timeout
    return (
        bool(row["active"])
        and from_db_time(row["expires"]) > now
        and from_db_time(row["last_seen"]) > idle_since
    )


async def end(state: BoardState, token: str) -> None:
    """Sign out: the token no longer opens anything, wherever a copy of it is."""
    row = await store.get_session(state.db, _hash(token))
    if row is not None:
        await end_own(state, row["staff_id"], row["id"])


async def end_own(state: BoardState, staff_id: int, session_id: int) -> bool:
    """End one of one's own sessions (from the list on one's account page)."""
    async with state.db.transaction() as conn:
        return await store.delete_session(conn, session_id, staff_id)


async def end_others(state: BoardState, staff_id: int, keep: int) -> int:
    """End every session of an account but the one in use."""
    async with state.db.transaction() as conn:
        return await store.delete_sessions_of(conn, staff_id, keep)


async def end_all(state: BoardState, username: str) -> Result[int]:
    """End every session of an account (an owner, or the command line); audit-logged."""
    name = username.strip().lower()
    row = await store.get_staff_by_username(state.db, name)
    if row is None:
        return Refused(N_("There is no such staff account."))
    async with state.db.transaction() as conn:
        ended = await store.delete_sessions_of(conn, row["id"])
        await audit.record(conn, "staff.sign_out", name, state.clock(), f"{ended}")
    return Ok(ended)


async def list_open(state: BoardState, staff_id: int) -> list[OpenSession]:
    """One's own sessions that are still alive, newest first."""
    now = state.clock()
    rows = await store.list_sessions(state.db, staff_id, now, now - state.config.staff.idle_timeout)
    return [
        OpenSession(
            r["id"],
            from_db_time(r["created"]),
            from_db_time(r["last_seen"]),
            describe_browser(r["user_agent"]),
        )
        for r in rows
    ]


async def purge(state: BoardState) -> int:
    """Delete sessions that have run out (the periodic chores)."""
    now = state.clock()
    async with state.db.transaction() as conn:
        return await store.delete_stale_sessions(conn, now, now - state.config.staff.idle_timeout)


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def describe_browser(user_agent: str) -> str:
    """A short name for a browser, e.g. "Firefox, Windows"; the raw text if none is known."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if browser or system:
        return ", ".join(part for part in (browser, system) if part)
    return re.sub(r"\s+", " ", user_agent).strip()[:60] or "?"
