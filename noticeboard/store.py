"""Board-wide SQL: settings and the audit log. Each feature slice keeps its own in its store."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import aiosqlite

from federation.database import Database, Row, to_db_time

# --- settings ------------------------------------------------------------------------


def read_setting_at_once(path: Path, key: str) -> str | None:
    """Read one setting synchronously, before any event loop runs (while the app is built)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


async def get_setting(db: Database, key: str) -> str | None:
    row = db.lookup_one("SELECT value FROM settings WHERE key = ?", (key,))
    return row["value"] if row else None


async def get_settings(db: Database, keys: Sequence[str]) -> dict[str, str]:
    """Read several settings in one query; missing ones are left out."""
    marks = ", ".join("?" for _ in keys)
    rows = db.lookup(f"SELECT key, value FROM settings WHERE key IN ({marks})", keys)
    return {row["key"]: row["value"] for row in rows}


async def set_setting(conn: aiosqlite.Connection, key: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


async def insert_setting_once(conn: aiosqlite.Connection, key: str, value: str) -> None:
    await conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (key, value))


# Where a notice came from stays as it was published, and so does "done": editing changes the
# content only.


# --- the audit log ---------------------------------------------------------------------


async def insert_audit(
    conn: aiosqlite.Connection,
    staff: str,
    action: str,
    target: str,
    reason: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (created, staff, action, target, reason) VALUES (?, ?, ?, ?, ?)",
        (to_db_time(now), staff, action, target[:500], reason[:1000]),
    )


async def list_audit(db: Database, *, before: int | None = None, limit: int = 100) -> list[Row]:
    return await db.fetchall(
        "SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?",
        (before or 2**62, limit),
    )
