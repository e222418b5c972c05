"""Fixtures of the protocol's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from federation.database import MIGRATION_DIR, Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated federation database in a tmp dir."""
    database = Database(tmp_path / "db.sqlite3")
    await database.connect()
    await database.migrate([("federation", MIGRATION_DIR)])
    yield database
    await database.close()
