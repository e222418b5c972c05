"""Dead hosts (security rule 24): marked after failures on distinct days, skipped, revived."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from federation import delivery, queue_store
from federation.client import FederationClient
from federation.database import Database
from federation.delivery import DAYS_TO_UNAVAILABLE, DeliveryWorker, SigningKey, next_attempt
from federation.keys import load_private_key

pytestmark = pytest.mark.anyio

ACTOR = "https://board.example/users/board"
KEY_FILE = Path(__file__).parents[1] / "fixtures/httpsig/test-key-rsa.key.pem"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def queue_one(db: Database, inbox: str, clock: Clock, n: int) -> None:
    activity = {"id": f"{ACTOR}#a{n}", "type": "Create", "actor": ACTOR, "object": f"{ACTOR}/n{n}"}
    async with db.transaction() as conn:
        await delivery.enqueue(conn, activity, [inbox], clock())


async def states(db: Database) -> list[tuple[str, str | None]]:
    rows = await db.fetchall("SELECT state, last_error FROM deliveries ORDER BY id")
    return [(r["state"], r["last_error"]) for r in rows]


def test_next_attempt__refused_request_fails_at_once() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    decision = next_attempt(0, None, now, refused="address is private")
    assert (decision.state, decision.reason) == ("failed", "address is private")


async def test_worker__marks_host_unavailable_after_failures_on_distinct_days(db: Database) -> None:
    clock = Clock()
    port = closed_port()
    inbox = f"http://127.0.0.1:{port}/inbox"
    key = SigningKey(f"{ACTOR}#main-key", load_private_key(KEY_FILE.read_text()))
    async with FederationClient(
        user_agent="test", allow_private=[f"127.0.0.1:{port}"], connect_timeout=1
    ) as client:
        worker = DeliveryWorker(db, client, {ACTOR: key}, clock)
        for day in range(DAYS_TO_UNAVAILABLE):
            await queue_one(db, inbox, clock, day)
            assert await worker.run_once() >= 1  # the new one, plus earlier retries now due
            clock.now += timedelta(days=1)
        assert [r["host"] for r in await queue_store.list_unavailable_hosts(db)] == [
            f"127.0.0.1:{port}"
        ]

        await queue_one(db, inbox, clock, 99)
        await worker.run_once()
        last_state, last_error = (await states(db))[-1]
        assert last_state == "failed"
        assert "unreachable on several days" in (last_error or "")


async def test_contact__revives_an_unavailable_host(db: Database) -> None:
    clock = Clock()
    async with db.transaction() as conn:
        for day in range(DAYS_TO_UNAVAILABLE):
            await queue_store.record_failure_day(
                conn, "dead.example", clock() + timedelta(days=day), 7
            )
    assert [r["host"] for r in await queue_store.list_unavailable_hosts(db)] == ["dead.example"]
    async with db.transaction() as conn:
        await queue_store.clear_host_failures(conn, "dead.example")
    assert await queue_store.list_unavailable_hosts(db) == []


async def test_failures_on_one_day__do_not_mark_a_host(db: Database) -> None:
    clock = Clock()
    async with db.transaction() as conn:
        marks = [
            await queue_store.record_failure_day(conn, "flaky.example", clock(), 7)
            for _ in range(20)
        ]
    assert not any(marks)
    assert await queue_store.list_unavailable_hosts(db) == []
