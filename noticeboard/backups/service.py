"""Use cases of backups: make one (on demand or nightly), keep the last few, restore one."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from federation import queue_store
from federation import store as fedstore
from federation.database import (
    Database,
    from_db_time,
    newer_migrations,
    to_db_time,
    too_new_message,
    utcnow,
)
from noticeboard import __version__
from noticeboard.backups import archive, store
from noticeboard.backups.archive import ArchiveError, Part
from noticeboard.config import Config
from noticeboard.results import Ok, Refused, Result
from noticeboard.state import MIGRATIONS, BoardState, Clock
from noticeboard.urls import BoardUrls

log = logging.getLogger("noticeboard")
NIGHTLY_PREFIX = "aushang-"
NIGHTLY_SUFFIX = ".tar.gz"
STALE_PARTIAL = timedelta(hours=6)


@dataclass(frozen=True)
class BackupDone:
    path: Path
    manifest: dict[str, Any]


@dataclass(frozen=True)
class BackupStatus:
    """When the last backup succeeded and failed (with why), for the dashboard and doctor."""

    last_success: datetime | None = None
    last_success_file: str = ""
    last_failure: datetime | None = None
    failure_reason: str = ""

    @property
    def failing(self) -> bool:
        return self.last_failure is not None and (
            self.last_success is None or self.last_failure > self.last_success
        )


@dataclass(frozen=True)
class RestoreDone:
    manifest: dict[str, Any]
    upgraded: list[str]
    pending_deliveries: int
    old_data: Path | None
    problems: list[str] = field(default_factory=list)


# --- making a backup -------------------------------------------------------------------


async def backup(state: BoardState, out: Path) -> Result[BackupDone]:
    """Write one archive of the board to `out` while it serves, and note the outcome."""
    config = state.config
    if not out.parent.is_dir():
        return Refused(f"the folder {out.parent} does not exist")
    if out.is_dir():
        return Refused(f"{out} is a folder; name the archive file to write")
    try:
        done = await _write_backup(config, out, state.clock())
    except (OSError, sqlite3.Error) as exc:
        reason = f"backup to {out} failed: {getattr(exc, 'strerror', None) or exc}"
        log.error("%s", reason)
        await store.mark_backup(
            state.db, store.LAST_FAILURE, f"{to_db_time(state.clock())} {reason}"
        )
        return Refused(reason)
    await store.mark_backup(state.db, store.LAST_SUCCESS, f"{to_db_time(state.clock())} {out}")
    return Ok(done)


async def _write_backup(config: Config, out: Path, now: datetime) -> BackupDone:
    staging = Path(tempfile.mkdtemp(prefix=".aushang-backup-", dir=out.parent))
    try:
        copy = staging / "aushang.sqlite3"
        await asyncio.to_thread(store.copy_database, config.db_path, copy)
        manifest = await _manifest(config, copy, now)
        parts = [Part(archive.DATABASE, copy), *archive.media_parts(config.media_dir)]
        if config.source is not None and config.source.is_file():
            parts.append(Part(archive.INSTANCE, config.source))
        written = await asyncio.to_thread(archive.write_archive, out, manifest, parts)
        return BackupDone(out, written)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


async def _manifest(config: Config, copy: Path, now: datetime) -> dict[str, Any]:
    migrations = await asyncio.to_thread(store.applied_migrations, copy)
    return {
        "format": archive.FORMAT,
        "format_version": archive.FORMAT_VERSION,
        "created": to_db_time(now),
        "aushang_version": __version__,
        "board": {
            "name": config.name,
            "handle": config.handle,
            "base_url": config.base_url,
            "actor": BoardUrls(config.base_url, config.username).actor,
        },
        "schema": {"migrations": migrations, **_schema_numbers(migrations)},
        "keys": await _key_ids(config, copy),
    }


def _schema_numbers(migrations: list[str]) -> dict[str, int]:
    """The highest migration number applied, per part (federation, noticeboard)."""
    numbers: dict[str, int] = {}
    for name in migrations:
        prefix, _, file = name.partition("/")
        numbers[prefix] = max(numbers.get(prefix, 0), int(file[:4]))
    return numbers


async def _key_ids(config: Config, database: Path) -> dict[str, str]:
    """actor -> key id of the board's own keys in a database file."""
    urls = BoardUrls(config.base_url, config.username)
    db = Database(database)
    await db.connect()
    try:
        found = {}
        for actor in (urls.actor, urls.instance_actor):
            key = await fedstore.get_local_key(db, actor)
            if key is not None:
                found[actor] = key.key_id
        return found
    finally:
        await db.close()


# --- nightly backups ---------------------------------------------------------------------


async def nightly(state: BoardState) -> Result[BackupDone] | None:
    """Make the night's backup into data_dir/backups when its hour has come (once a night),
    then keep only the last `[backup] keep`; None when nothing was due."""
    config = state.config
    local = state.clock().astimezone(ZoneInfo(config.timezone))
    if local.hour != config.backup.hour:
        return None
    night = local.strftime("%Y-%m-%d")
    if await store.last_attempt(state.db) == night:
        return None
    await store.mark_backup(state.db, store.LAST_ATTEMPT, night)
    try:
        config.backup_dir.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        return await _failed(
            state, f"nightly backup: cannot create {config.backup_dir}: {_why(exc)}"
        )
    name = f"{NIGHTLY_PREFIX}{config.username}-{local:%Y%m%d-%H%M%S}{NIGHTLY_SUFFIX}"
    result = await backup(state, config.backup_dir / name)
    if isinstance(result, Refused):
        return await _failed(state, f"nightly backup: {result.reason}")
    prune(config.backup_dir, config.backup.keep, state.clock())
    return result


async def _failed(state: BoardState, reason: str) -> Refused:
    """Log a failed backup and keep it for the staff dashboard, doctor and /healthz."""
    log.error("%s", reason)
    await store.mark_backup(state.db, store.LAST_FAILURE, f"{to_db_time(state.clock())} {reason}")
    return Refused(reason)


def _why(exc: OSError | sqlite3.Error) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def prune(folder: Path, keep: int, now: datetime) -> list[Path]:
    """Delete all but the newest `keep` nightly archives, and partial files of backups that
    were cut off long ago; return what was deleted."""
    archives = sorted(p for p in folder.glob(f"{NIGHTLY_PREFIX}*{NIGHTLY_SUFFIX}") if p.is_file())
    doomed = archives[: max(len(archives) - keep, 0)]
    for partial in folder.glob(f"*{archive.PARTIAL}"):
        age = now.timestamp() - partial.stat().st_mtime
        if age > STALE_PARTIAL.total_seconds():
            doomed.append(partial)
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


async def status(db: Database) -> BackupStatus:
    marks = await store.get_backup_marks(db)
    success, failure = marks[store.LAST_SUCCESS], marks[store.LAST_FAILURE]
    success_at, _, success_file = (success or "").partition(" ")
    failure_at, _, reason = (failure or "").partition(" ")
    return BackupStatus(
        last_success=from_db_time(success_at) if success_at else None,
        last_success_file=success_file,
        last_failure=from_db_time(failure_at) if failure_at else None,
        failure_reason=reason,
    )


# --- restoring -------------------------------------------------------------------------


async def restore(
    config: Config, source: Path, *, force: bool = False, clock: Clock = utcnow
) -> Result[RestoreDone]:
    """Restore an archive into the board's data folder: check every checksum before anything
    is put in place, keep earlier data aside (only with `force`), upgrade the schema, and make
    the waiting deliveries due."""
    try:
        manifest = archive.read_manifest(source)
    except ArchiveError as exc:
        return Refused(str(exc))
    refused = _check_target(config, manifest, force)
    if refused:
        return refused
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = config.data_dir / f".restoring-{os.getpid()}"
    try:
        archive.extract_verified(source, manifest, staging)
        unknown = newer_migrations(store.applied_migrations(staging / archive.DATABASE), MIGRATIONS)
    except (ArchiveError, sqlite3.Error) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        return Refused(str(exc))
    if unknown:
        shutil.rmtree(staging, ignore_errors=True)
        return Refused(too_new_message(unknown))
    old_data = _set_aside(config.data_dir, staging, clock())
    _move_into_place(staging, config.data_dir)
    return Ok(await _finish(config, manifest, old_data, clock()))


def _check_target(config: Config, manifest: dict[str, Any], force: bool) -> Refused | None:
    board = manifest.get("board") or {}
    if board.get("base_url") != config.base_url:
        return Refused(
            f"the backup is of the board at {board.get('base_url')}, but the instance file says "
            f"base_url = {config.base_url}: set base_url to the backup's address to restore it"
        )
    if config.data_dir.exists() and not config.data_dir.is_dir():
        return Refused(f"{config.data_dir} is a file, not a folder")
    if _entries(config.data_dir) and not force:
        return Refused(
            f"the data folder {config.data_dir} is not empty: restore into an empty folder, or "
            "add --force to put its present contents aside (stop the board first)"
        )
    return None


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _set_aside(data_dir: Path, staging: Path, now: datetime) -> Path | None:
    """Move the folder's present contents into before-restore-<time>/ inside it (a Docker
    volume cannot be renamed, only its contents moved)."""
    present = [p for p in _entries(data_dir) if p != staging]
    if not present:
        return None
    aside = data_dir / f"before-restore-{now:%Y%m%d-%H%M%S}"
    aside.mkdir(mode=0o700)
    for path in present:
        path.rename(aside / path.name)
    return aside


def _move_into_place(staging: Path, data_dir: Path) -> None:
    (staging / archive.DATABASE).rename(data_dir / "aushang.sqlite3")
    if (staging / archive.MEDIA).is_dir():
        (staging / archive.MEDIA).rename(data_dir / "media")
    if (staging / archive.INSTANCE).is_file():
        (staging / archive.INSTANCE).rename(data_dir / "instance-from-backup.toml")
    shutil.rmtree(staging, ignore_errors=True)


async def _finish(
    config: Config, manifest: dict[str, Any], old_data: Path | None, now: datetime
) -> RestoreDone:
    db = Database(config.db_path)
    await db.connect()
    try:
        upgraded = await db.migrate(MIGRATIONS)
        async with db.transaction() as conn:
            await queue_store.make_pending_due(conn, now)
        pending, _ = await queue_store.count_backlog(db, now)
    finally:
        await db.close()
    problems = await asyncio.to_thread(store.integrity_problems, config.db_path)
    keys = await _key_ids(config, config.db_path)
    if keys != manifest.get("keys"):
        problems.append("the restored database does not hold the keys the manifest names")
    return RestoreDone(manifest, upgraded, pending, old_data, problems)


async def check_database(state: BoardState) -> list[str]:
    """What SQLite's integrity and foreign-key checks find in the board's database."""
    return await asyncio.to_thread(store.integrity_problems, state.config.db_path)
