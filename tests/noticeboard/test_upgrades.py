"""Upgrades from every earlier schema version: a database is built with the migrations up to
each version, filled with rows in every table that version has, upgraded to the newest schema,
and checked. Generic over the migration files, so a new migration is covered without a change
here; a migration that rewrites data on purpose names the columns in TRANSFORMED."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from federation.database import Database, migration_files, utcnow
from noticeboard.backups.store import integrity_problems
from noticeboard.state import MIGRATIONS

ALL = migration_files(MIGRATIONS)
TRANSFORMED: set[tuple[str, str]] = set()  # (table, column) a later migration rewrites
ROWS_PER_TABLE = 2
Rows = dict[str, list[tuple[Any, ...]]]


def build(path: Path, upto: int, workdir: Path) -> None:
    """A database with the first `upto` migrations applied, as that version made it."""
    subset = []
    for prefix, _ in MIGRATIONS:
        folder = workdir / prefix
        folder.mkdir(parents=True)
        for name, file in ALL[:upto]:
            if name.startswith(prefix + "/"):
                shutil.copy(file, folder / file.name)
        subset.append((prefix, folder))
    migrate(path, subset)


def migrate(path: Path, directories: list[tuple[str, Path]]) -> list[str]:
    async def run() -> list[str]:
        db = Database(path)
        await db.connect()
        try:
            return await db.migrate(directories)
        finally:
            await db.close()

    return asyncio.run(run())


def plain_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables that hold data of their own (not FTS indexes or their shadow tables)."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    virtual = [name for name, sql in rows if sql.upper().startswith("CREATE VIRTUAL")]
    return sorted(
        name
        for name, _ in rows
        if name not in virtual
        and not name.startswith("sqlite_")
        and name != "schema_migrations"
        and not any(name.startswith(v + "_") for v in virtual)
    )


def parents_first(conn: sqlite3.Connection, tables: list[str]) -> list[str]:
    ordered: list[str] = []

    def visit(table: str, seen: frozenset[str]) -> None:
        if table in ordered or table in seen:
            return
        for fk in conn.execute(f"PRAGMA foreign_key_list({table})").fetchall():
            if fk[2] in tables:
                visit(fk[2], seen | {table})
        ordered.append(table)

    for table in tables:
        visit(table, frozenset())
    return ordered


def allowed_values(sql: str) -> dict[str, Any]:
    """Values that satisfy the table's simple CHECK constraints, per column."""
    found: dict[str, Any] = {}
    for column, options in re.findall(r"CHECK\s*\(\s*(\w+)\s+IN\s*\(([^)]*)\)", sql, re.I):
        found[column] = re.findall(r"'([^']*)'", options)[0]
    for column, op, number in re.findall(r"CHECK\s*\(\s*(\w+)\s*(>=|>|=)\s*(\d+)", sql, re.I):
        found[column] = int(number) + (1 if op == ">" else 0)
    return found


def value_for(table: str, column: str, kind: str, n: int) -> Any:
    kind = kind.upper()
    if "INT" in kind:
        return n
    if "REAL" in kind or "FLOA" in kind:
        return n + 0.5
    if "BLOB" in kind:
        return f"{table}.{column}.{n}".encode()
    return json.dumps(f"{table}.{column}.{n}")  # text that is valid JSON too


def fill(path: Path) -> Rows:
    """Insert rows into every table; return each table's rows as stored."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("PRAGMA foreign_keys = ON")
        tables = plain_tables(conn)
        for table in parents_first(conn, tables):
            for n in range(1, ROWS_PER_TABLE + 1):
                insert_row(conn, table, n)
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


def insert_row(conn: sqlite3.Connection, table: str, n: int) -> None:
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    checks = allowed_values(sql)
    references = {fk[3]: (fk[2], fk[4]) for fk in conn.execute(f"PRAGMA foreign_key_list({table})")}
    columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
    values: dict[str, Any] = {}
    for _, name, kind, _, _, pk in columns:
        if name in checks:
            values[name] = checks[name]
        elif pk == 1 and kind.upper() == "INTEGER" and sum(c[5] > 0 for c in columns) == 1:
            continue  # the rowid
        elif name in references:
            parent, key = references[name]
            key = key or "rowid"
            rows = conn.execute(f"SELECT {key} FROM {parent} ORDER BY rowid").fetchall()
            values[name] = rows[(n - 1) % len(rows)][0]
        else:
            values[name] = value_for(table, name, kind, n)
    marks = ", ".join("?" for _ in values)
    statement = f"INSERT INTO {table} ({', '.join(values)}) VALUES ({marks})"
    try:
        conn.execute(statement, list(values.values()))
    except sqlite3.IntegrityError:
        # a table of a single row (CHECK (id = 1)) that its migration filled takes no more
        if not conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
            raise


def columns_of(path: Path, tables: list[str]) -> dict[str, list[str]]:
    with closing(sqlite3.connect(path)) as conn:
        return {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}


def read(path: Path, columns: dict[str, list[str]]) -> Rows:
    """Every row of these tables, with these columns only (less those in TRANSFORMED)."""
    found: Rows = {}
    with closing(sqlite3.connect(path)) as conn:
        for table, names in columns.items():
            kept = [c for c in names if (table, c) not in TRANSFORMED]
            rows = conn.execute(f"SELECT {', '.join(kept)} FROM {table}").fetchall()
            found[table] = sorted(rows, key=repr)
    return found


@pytest.mark.parametrize("upto", range(1, len(ALL)), ids=[name for name, _ in ALL[:-1]])
def test_upgrade__from_every_earlier_schema_keeps_every_row(upto: int, tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    build(path, upto, tmp_path / "migrations")
    before = fill(path)
    columns = columns_of(path, list(before))
    expected = read(path, columns)

    applied = migrate(path, list(MIGRATIONS))
    upgraded = columns_of(path, list(before))

    assert applied == [name for name, _ in ALL[upto:]]
    assert all(len(rows) >= 1 for rows in before.values()), "every table got data"
    assert all(set(columns[t]) <= set(upgraded[t]) for t in columns), "no column is lost"
    assert read(path, columns) == expected
    assert integrity_problems(path) == []


def test_upgrade__the_newest_schema_is_filled_in_every_table_too(tmp_path: Path) -> None:
    """The generic filler reaches every table of the newest schema (so new ones are covered)."""
    path = tmp_path / "new.sqlite3"
    migrate(path, list(MIGRATIONS))

    before = fill(path)

    with closing(sqlite3.connect(path)) as conn:
        assert set(before) == set(plain_tables(conn))
    assert all(len(rows) >= 1 for rows in before.values())
    assert integrity_problems(path) == []


def test_upgrade__daily_figures_start_with_the_follower_counts_kept_so_far(
    tmp_path: Path,
) -> None:
    upto = [name for name, _ in ALL].index("noticeboard/0018_daily_figures.sql")
    path = tmp_path / "old.sqlite3"
    build(path, upto, tmp_path / "migrations")
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany(
            "INSERT INTO follower_counts (day, followers, servers) VALUES (?, ?, ?)",
            [("2026-11-29", 40, 12), ("2026-11-30", 42, 13)],
        )

    migrate(path, list(MIGRATIONS))

    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT figure, day, value FROM daily_figures ORDER BY 1, 2").fetchall()
    assert rows == [
        ("followers", "2026-11-29", 40),
        ("followers", "2026-11-30", 42),
        ("servers", "2026-11-29", 12),
        ("servers", "2026-11-30", 13),
    ]


def test_upgrade__an_old_outbox_keeps_its_total(tmp_path: Path) -> None:
    """The outbox's totalItems is kept in a table since federation/0007; a board from before
    counts the public activities it already had, and every later one."""
    from federation import queue_store

    actor = "https://board.example/users/board"
    path = tmp_path / "old.sqlite3"
    upto = next(i for i, (name, _) in enumerate(ALL) if name == "federation/0007_speed.sql")
    build(path, upto, tmp_path / "migrations")
    with closing(sqlite3.connect(path)) as conn, conn:
        for n, public in enumerate((1, 1, 1, 0)):
            conn.execute(
                "INSERT INTO outbox_activities (id, actor, type, body, public, published) "
                "VALUES (?, ?, 'Create', '{}', ?, ?)",
                (f"{actor}/activities/{n}", actor, public, f"2026-01-0{n + 1}T00:00:00.000000Z"),
            )

    migrate(path, list(MIGRATIONS))

    async def totals() -> tuple[int, int, int]:
        db = Database(path)
        await db.connect()
        try:
            before = await queue_store.count_outbox(db, actor)
            async with db.transaction() as conn:
                await queue_store.insert_outbox_activity(
                    conn, f"{actor}/activities/new", actor, "Create", None, "{}", utcnow()
                )
            page = await queue_store.list_outbox(db, actor, before=None, limit=20)
            return before, await queue_store.count_outbox(db, actor), len(page)
        finally:
            await db.close()

    assert asyncio.run(totals()) == (3, 4, 4)
