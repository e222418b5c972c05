"""Block checks keep the lists in memory, yet see every change at once, whichever process made
it: triggers move the lists' generation in the changing transaction (rule 5)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from federation import store
from federation.blocks import Blocks
from federation.database import Database

pytestmark = pytest.mark.anyio


def other_process(db: Database, *statements: str) -> None:
    """Run statements as another process would (the command line): its own connection."""
    with closing(sqlite3.connect(db.path, isolation_level=None)) as conn:
        for statement in statements:
            conn.execute(statement)


async def count_list_reads(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    real = store.block_lists

    async def counted(database: Database) -> store.BlockLists:
        reads.append(1)
        return await real(database)

    monkeypatch.setattr(store, "block_lists", counted)
    return reads


async def test_blocks__read_the_lists_once_while_nothing_changes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = await count_list_reads(db, monkeypatch)
    blocks = Blocks(db)
    for _ in range(5):
        assert not await blocks.refuses(["ok.example"], ["https://ok.example/u/a"])
        assert not await blocks.any_blocked(["ok.example"])
    assert len(reads) == 1


@pytest.mark.parametrize(
    ("change", "host", "actor"),
    [
        ("INSERT INTO blocked_domains (domain, created) VALUES ('spam.example', 'x')",
         "a.spam.example", ""),
        ("INSERT INTO blocked_actors (actor_id, created) VALUES ('https://ok.example/u/a', 'x')",
         "ok.example", "https://ok.example/u/a"),
        ("UPDATE federation_policy SET limited = 1 WHERE id = 1", "ok.example", ""),
    ],
)  # fmt: skip
async def test_blocks__see_a_change_by_another_process_at_the_next_check(
    db: Database, change: str, host: str, actor: str
) -> None:
    blocks = Blocks(db)
    assert not await blocks.refuses([host], [actor])
    other_process(db, change)
    assert await blocks.refuses([host], [actor])


async def test_blocks__see_an_unblock_and_an_allowed_domain(db: Database) -> None:
    blocks = Blocks(db)
    other_process(
        db,
        "INSERT INTO blocked_domains (domain, created) VALUES ('spam.example', 'x')",
        "UPDATE federation_policy SET limited = 1 WHERE id = 1",
    )
    assert await blocks.is_blocked("spam.example")
    assert await blocks.is_blocked("friend.example")
    other_process(
        db,
        "DELETE FROM blocked_domains WHERE domain = 'spam.example'",
        "INSERT INTO allowed_domains (domain, created) VALUES ('friend.example', 'x')",
    )
    assert await blocks.is_blocked("spam.example")  # limited, and not allowed
    assert not await blocks.is_blocked("www.friend.example")
    other_process(db, "UPDATE federation_policy SET limited = 0 WHERE id = 1")
    assert not await blocks.is_blocked("spam.example")


async def test_blocks__limited_federation_never_refuses_the_own_host(db: Database) -> None:
    blocks = Blocks(db, own_host="board.example")
    other_process(db, "UPDATE federation_policy SET limited = 1 WHERE id = 1")
    assert not await blocks.any_blocked(["board.example"])
    assert await blocks.any_blocked(["board.example", "other.example"])
