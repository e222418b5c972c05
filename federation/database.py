"""SQLite access shared by the protocol and the board: WAL, one writer, numbered migrations."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

Row = aiosqlite.Row
Record = Row | Mapping[str, Any]  # a stored row, or a mapping built from rows of two stores

MIGRATION_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 5000  # how long a write waits for another process's lock
CHECKPOINT_AFTER = 200  # commits between two checkpoints of the write-ahead log
log = logging.getLogger("federation.database")
T = TypeVar("T")


def utcnow() -> datetime:
    """Return the current time, UTC-aware (the default clock)."""
    return datetime.now(UTC)


def to_db_time(moment: datetime) -> str:
    """Format a time for storage: UTC, fixed width, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db_time(text: str) -> datetime:
    """Parse a stored time back into a UTC-aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer version: it has migrations this code lacks."""


def migration_files(directories: Iterable[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """Return (name, file) of every numbered migration, in the order they are applied."""
    return [
        (f"{prefix}/{file.name}", file)
        for prefix, directory in directories
        for file in sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    ]


def newer_migrations(applied: Iterable[str], directories: Iterable[tuple[str, Path]]) -> list[str]:
    """Return the applied migrations that this code does not know, in name order."""
    known = {name for name, _ in migration_files(directories)}
    return sorted(set(applied) - known)


def too_new_message(unknown: list[str]) -> str:
    """Explain a database that is newer than the code, and what to do."""
    return (
        f"the database was upgraded by a newer Aushang (it has {len(unknown)} migration(s) this "
        f"version does not know, e.g. {unknown[0]}): install that newer version again, or "
        "restore a backup made by this version"
    )


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection, whose statements can also run at once on the event loop's
    thread while `direct` is set: a hop to its worker thread and back costs ~40-60 µs of CPU,
    more than a short statement itself. Only the holder of the write lock sets it, around
    short statements of a transaction it began, so the two threads never use the connection
    at the same time."""

    direct = False

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self.direct:
            if self._connection is None:
                raise ValueError("Connection closed")
            return fn(*args, **kwargs)
        queued = cast(Callable[..., Awaitable[T]], super()._execute)
        return await queued(fn, *args, **kwargs)


class Database:
    """One writing connection behind a lock, one reading connection (WAL snapshots), and a
    read-only one used on the event loop's thread (`version()`, `lookup`).

    `version()` tells readers that keep something derived from the data (a rendered page)
    whether it may have changed: it moves with every commit, by this process or another one,
    except the commits marked quiet, whose rows no such reader shows.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._write: _Connection | None = None
        self._read: aiosqlite.Connection | None = None
        self._watch: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._version = 0
        self._seen = -1  # SQLite's data_version when version() last looked
        self._quiet_commit = False  # a quiet transaction's COMMIT is under way
        self._commits = 0  # since the last checkpoint
        self._checkpoint: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Open the writing and reading connections with WAL, a busy timeout and foreign keys
        on, and the read-only one."""
        self._write = await _open(self.path)
        # The writer never waits for a lock by itself (see `_begin`) and leaves checkpoints to
        # `_after_commit`.
        await self._write.execute("PRAGMA busy_timeout=0")
        await self._write.execute("PRAGMA wal_autocheckpoint=0")
        self._read = await _open(self.path)
        # A third connection, used on the event loop's thread: its data_version changes with
        # every commit of any other connection (asking costs microseconds and no disk access),
        # and it answers reads by key at once (`lookup`).
        self._watch = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._watch.row_factory = sqlite3.Row
        self._watch.execute("PRAGMA query_only=ON")

    async def close(self) -> None:
        """Close the connections (closing the last one checkpoints the log)."""
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        for conn in (self._read, self._write):
            if conn is not None:
                await conn.close()
        if self._watch is not None:
            self._watch.close()
        self._read = self._write = self._watch = None

    def version(self) -> int:
        """A number that changes when committed data may have changed since it was read last;
        quiet commits of this process leave it as it is."""
        if self._quiet_commit:  # the change seen now would be the quiet one
            return self._version
        current = self._data_version()
        if current != self._seen:
            self._seen = current
            self._version += 1
        return self._version

    def touch(self) -> None:
        """Say that a quiet transaction changed something readers see after all."""
        self._version += 1

    def _data_version(self) -> int:
        if self._watch is None:
            raise RuntimeError("database is not connected")
        return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._read is None:
            raise RuntimeError("database is not connected")
        return self._read

    @asynccontextmanager
    async def transaction(
        self, quiet: bool = False, direct: bool = False
    ) -> AsyncIterator[aiosqlite.Connection]:
        """Run a unit of work in one IMMEDIATE transaction on the writing connection.

        A `quiet` transaction writes only bookkeeping that derived readers never show (how a
        delivery went, an activity received but not yet processed): `version()` stays.

        A `direct` transaction runs at once on the event loop's thread, BEGIN and COMMIT
        included; only a BEGIN that finds another process writing waits for it in aiosqlite's
        thread. For short units of work by key, as the inbox's and the delivery worker's: a
        long statement would stall every request. No commit checkpoints the log (which may
        sync the file); `_after_commit` has another connection do it in its own thread."""
        write = self._write
        if write is None:
            raise RuntimeError("database is not connected")
        async with self._lock:
            await self._begin(write, direct)
            # Nobody else can commit while this transaction holds the write lock.
            unchanged = quiet and self._watch is not None and self._data_version() == self._seen
            write.direct = direct
            try:
                yield write
            except BaseException:
                write.direct = False
                await write.rollback()
                raise
            # A commit in aiosqlite's thread ends before this coroutine resumes; until then,
            # readers must not take its change for a loud one. Nobody else can commit meanwhile.
            self._quiet_commit = unchanged
            try:
                await write.commit()
            finally:
                write.direct = False
                self._quiet_commit = False
            if unchanged:
                self._seen = self._data_version()
        self._after_commit()

    async def _begin(self, write: _Connection, direct: bool) -> None:
        """BEGIN IMMEDIATE: at once if no other process writes (the writing connection does
        not wait for a lock by itself), else waiting for it in aiosqlite's thread."""
        if direct:
            write.direct = True
            try:
                await write.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
            finally:
                write.direct = False
        await write._execute(_begin_waiting, write._conn)

    def _after_commit(self) -> None:
        """Every CHECKPOINT_AFTER commits, copy the write-ahead log into the database file, as
        SQLite's automatic checkpoint would, but on the reading connection's thread: the
        writer neither waits for it nor holds the write lock meanwhile."""
        self._commits += 1
        if self._commits < CHECKPOINT_AFTER or self._checkpoint is not None:
            return
        self._commits = 0
        self._checkpoint = asyncio.get_running_loop().create_task(self._run_checkpoint())

    async def _run_checkpoint(self) -> None:
        try:
            await self.reader.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # the next one will copy what this one could not
            log.exception("checkpoint of the write-ahead log failed")
        finally:
            self._checkpoint = None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read-only query on the reading connection."""
        return list(await self.reader.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a read-only query and return its first row, if any."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def trace_reads(self, callback: Callable[[str], object] | None) -> None:
        """Pass every statement of both reading connections to `callback`; None stops."""
        await self.reader.set_trace_callback(cast(Any, callback))  # None stops, as in sqlite3
        if self._watch is not None:
            self._watch.set_trace_callback(callback)

    def lookup(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read that finds its few rows through an index, at once on the event loop's
        thread: it saves the hop to aiosqlite's thread, which costs more than such a read.
        Never for a scan or a sort of many rows: until it returns, nothing else runs."""
        if self._watch is None:
            raise RuntimeError("database is not connected")
        return self._watch.execute(sql, params).fetchall()

    def lookup_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """`lookup`, returning the first row, if any."""
        rows = self.lookup(sql, params)
        return rows[0] if rows else None

    async def migrate(self, directories: Iterable[tuple[str, Path]]) -> list[str]:
        """Apply numbered .sql files not applied yet, each in its own transaction; refuse a
        database that has migrations this code does not know (written by a newer version)."""
        async with self.transaction() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(name TEXT PRIMARY KEY, applied TEXT NOT NULL)"
            )
        done = {r["name"] for r in await self.fetchall("SELECT name FROM schema_migrations")}
        directories = list(directories)
        unknown = newer_migrations(done, directories)
        if unknown:
            raise SchemaTooNew(too_new_message(unknown))
        applied = []
        for name, file in migration_files(directories):
            if name in done:
                continue
            await self._apply(name, file.read_text(encoding="utf-8"))
            applied.append(name)
        return applied

    async def _apply(self, name: str, script: str) -> None:
        """Apply one migration with foreign keys off, as SQLite's way of rebuilding a table
        asks; the keys are checked before the commit, and switched on again after it."""
        write = self._write
        if write is None:
            raise RuntimeError("database is not connected")
        await write.execute("PRAGMA foreign_keys=OFF")
        try:
            async with self.transaction() as conn:
                for statement in _split_sql(script):
                    await conn.execute(statement)
                broken = list(await conn.execute_fetchall("PRAGMA foreign_key_check"))
                if broken:
                    raise sqlite3.IntegrityError(
                        f"migration {name} leaves {len(broken)} broken references"
                    )
                await conn.execute(
                    "INSERT INTO schema_migrations (name, applied) VALUES (?, ?)",
                    (name, to_db_time(utcnow())),
                )
        finally:
            await write.execute("PRAGMA foreign_keys=ON")


async def _open(path: Path) -> _Connection:
    connector = partial(sqlite3.connect, path, isolation_level=None, check_same_thread=False)
    conn = cast(_Connection, await _Connection(connector, iter_chunk_size=64))
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _begin_waiting(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waiting up to the busy timeout for another process's write lock."""
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    finally:
        conn.execute("PRAGMA busy_timeout=0")


def _split_sql(script: str) -> list[str]:
    """Split a migration into complete statements (trigger bodies contain ';' too)."""
    statements, current = [], ""
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip().rstrip(";"))
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
