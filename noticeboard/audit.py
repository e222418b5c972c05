"""Who is acting: the signed-in staff member or the command line, for the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

import aiosqlite

from noticeboard import store

SYSTEM = "system"
_acting: ContextVar[str] = ContextVar("aushang_acting_staff", default=SYSTEM)


@contextmanager
def acting_as(name: str) -> Iterator[None]:
    """Attribute the audit entries written inside the block to `name`."""
    token = _acting.set(name)
    try:
        yield
    finally:
        _acting.reset(token)


def set_acting(name: str) -> None:
    """Attribute the rest of this task's audit entries to `name` (one web request)."""
    _acting.set(name)


def acting() -> str:
    return _acting.get()


async def record(
    conn: aiosqlite.Connection, action: str, target: str, now: datetime, reason: str = ""
) -> None:
    """Write one audit entry inside the transaction of the action it describes."""
    await store.insert_audit(conn, acting(), action, target, reason, now)
