"""SQL of backups and health checks: a consistent copy of a live database, its schema version,
SQLite's own checks, and when the last backup ran (in the settings table)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from federation.database import Database
from noticeboard import store

STEP_PAGES = 256  # 1 MiB per step at SQLite's default page size
LAST_SUCCESS = "backup_last_success"
LAST_FAILURE = "backup_last_failure"
LAST_ATTEMPT = "backup_last_attempt"


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def copy_database(source: Path, target: Path, step: Callable[[], None] | None = None) -> None:
    """Copy a live database with SQLite's online backup API, a few pages per step.

    The read transaction opened first pins one WAL snapshot: every step copies from it, so the
    copy is consistent and never restarts, while the server keeps writing (WAL readers do not
    block writers).
    """
    with _connect(source) as conn, _connect(target) as copy:
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.backup(copy, pages=STEP_PAGES, progress=lambda *_: step() if step else None)
        conn.execute("COMMIT")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it


def applied_migrations(path: Path) -> list[str]:
    """The migrations a database file has applied, in name order ([] if it has none)."""
    with _connect(path) as conn:
        found = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'"
        ).fetchone()
        if not found[0]:
            return []
        rows = conn.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    return [str(r[0]) for r in rows]


def integrity_problems(path: Path) -> list[str]:
    """What SQLite's integrity and foreign-key checks find, in plain lines ([] when sound)."""
    with _connect(path) as conn:
        problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
        problems = [p for p in problems if p != "ok"]
        for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check").fetchall():
            problems.append(f"{table} row {rowid} refers to a missing row of {parent}")
    return problems


async def get_backup_marks(db: Database) -> dict[str, str | None]:
    return {key: await store.get_setting(db, key) for key in (LAST_SUCCESS, LAST_FAILURE)}


async def last_attempt(db: Database) -> str | None:
    return await store.get_setting(db, LAST_ATTEMPT)


async def mark_backup(db: Database, key: str, value: str) -> None:
    async with db.transaction() as conn:
        await store.set_setting(conn, key, value)
