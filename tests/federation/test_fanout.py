"""A notice to many followers: the worker reads each body once, holds a bounded number of
deliveries, keeps to its per-host and overall limits, and never sends one delivery twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from federation import delivery, queue_store
from federation.client import PostResult
from federation.database import Database
from federation.delivery import DeliveryWorker, SigningKey, enqueue
from federation.hosts import canonical_host
from federation.keys import generate_private_key

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ACTOR = "https://board.example/users/board"
ACTIVITY = {
    "id": "https://board.example/notices/1/activity",
    "type": "Create",
    "actor": ACTOR,
    "object": {"id": "https://board.example/notices/1", "type": "Note", "content": "Hoffest"},
}


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKey]:
    return {ACTOR: SigningKey(f"{ACTOR}#main-key", generate_private_key())}


class Sink:
    """Stands in for the HTTP client: accepts every delivery after a short wait (or when the
    gate opens) and counts how many are under way, per host and in all."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.gate = gate
        self.posts: list[tuple[str, bytes]] = []
        self.active: Counter[str] = Counter()
        self.most_per_host: Counter[str] = Counter()
        self.most_at_once = 0

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> PostResult:
        host = canonical_host(url)
        self.active[host] += 1
        self.most_per_host[host] = max(self.most_per_host[host], self.active[host])
        self.most_at_once = max(self.most_at_once, sum(self.active.values()))
        try:
            if self.gate is not None:
                await self.gate.wait()
            else:
                await asyncio.sleep(0.005)
            self.posts.append((url, body))
            return PostResult(202, {}, "")
        finally:
            self.active[host] -= 1

    def waiting(self) -> int:
        return sum(self.active.values())


def inboxes(hosts: int, per_host: int) -> list[str]:
    return [
        f"https://h{host}.example/users/u{number}/inbox"
        for host in range(hosts)
        for number in range(per_host)
    ]


async def queue(db: Database, targets: list[str]) -> None:
    async with db.transaction() as conn:
        await enqueue(conn, ACTIVITY, targets, NOW)


def worker(db: Database, sink: Sink, keys: dict[str, SigningKey]) -> DeliveryWorker:
    return DeliveryWorker(db, sink, keys, lambda: NOW)  # type: ignore[arg-type]


async def test_worker__reads_each_activity_body_once_for_all_its_recipients(
    db: Database, keys: dict[str, SigningKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    await queue(db, inboxes(10, 3))
    asked: list[list[str]] = []
    read = queue_store.get_outbox_bodies

    async def spy(db: Database, ids: list[str]) -> dict[str, str]:
        asked.append(list(ids))
        return await read(db, ids)

    monkeypatch.setattr(queue_store, "get_outbox_bodies", spy)
    sink = Sink()
    sender = worker(db, sink, keys)

    assert await sender.run_once() == 30

    assert asked == [[ACTIVITY["id"]]]
    assert len(sink.posts) == 30
    assert {json.loads(body)["id"] for _, body in sink.posts} == {ACTIVITY["id"]}
    assert sender._bodies == {}  # nothing kept once the deliveries are recorded
    states = await db.fetchall("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
    assert [(r["state"], r["n"]) for r in states] == [("sent", 30)]


async def test_worker__keeps_to_the_limits_per_host_and_in_all(
    db: Database, keys: dict[str, SigningKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "MAX_IN_FLIGHT", 5)
    await queue(db, inboxes(8, 6))
    sink = Sink()

    assert await worker(db, sink, keys).run_once() == 48

    assert len(sink.posts) == 48
    assert max(sink.most_per_host.values()) == delivery.PER_HOST_CONCURRENCY
    assert sink.most_at_once == 5


class SlowHostSink(Sink):
    """Accepts every delivery; h0.example takes 30 ms to answer, the others 1 ms."""

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> PostResult:
        await asyncio.sleep(0.03 if canonical_host(url) == "h0.example" else 0.001)
        self.posts.append((url, body))
        return PostResult(202, {}, "")


async def test_worker__a_slow_host_gives_up_its_place_after_each_delivery(
    db: Database, keys: dict[str, SigningKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "MAX_IN_FLIGHT", 1)
    monkeypatch.setattr(delivery, "SLOW_ANSWER", 0.02)
    await queue(db, inboxes(2, 4))  # h0's deliveries are due first
    sink = SlowHostSink()

    assert await worker(db, sink, keys).run_once() == 8

    order = [canonical_host(url) for url, _ in sink.posts]
    # The fast host got the place after h0's first answers, and kept it for all of its own.
    assert order.index("h1.example") < 3
    assert order[order.index("h1.example") :][:4] == ["h1.example"] * 4


async def test_worker__reads_at_most_max_held_deliveries_ahead(
    db: Database, keys: dict[str, SigningKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "MAX_HELD", 5)
    await queue(db, inboxes(12, 1))
    gate = asyncio.Event()
    sink = Sink(gate)
    sender = worker(db, sink, keys)
    loop = asyncio.create_task(sender.run_forever())
    try:
        for _ in range(100):
            await asyncio.sleep(0.01)
            if sink.waiting() == 5:
                break
        await asyncio.sleep(0.1)  # more would have been read by now
        assert sink.waiting() == 5
        assert sum(sender._uses.values()) == 5

        gate.set()
        for _ in range(300):
            await asyncio.sleep(0.01)
            if len(sink.posts) == 12:
                break
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop

    assert sorted(url for url, _ in sink.posts) == sorted(inboxes(12, 1))


async def test_worker__sends_no_delivery_twice_while_its_outcome_is_being_written(
    db: Database, keys: dict[str, SigningKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Until an outcome is committed the row is still pending and due; the host must not be
    # read again before that, or the follower gets the notice twice.
    await queue(db, inboxes(3, 4))
    written = asyncio.Event()
    commit = delivery.Outcomes._commit

    async def slow_commit(self: delivery.Outcomes, outcomes: list[delivery.Outcome]) -> None:
        await written.wait()
        await commit(self, outcomes)

    monkeypatch.setattr(delivery.Outcomes, "_commit", slow_commit)
    sink = Sink()
    loop = asyncio.create_task(worker(db, sink, keys).run_forever())
    try:
        for _ in range(100):
            await asyncio.sleep(0.01)
            if len(sink.posts) == 12:
                break
        await asyncio.sleep(0.2)  # the worker looks for due rows again meanwhile
        written.set()
        for _ in range(100):
            await asyncio.sleep(0.01)
            rows = await db.fetchall("SELECT 1 FROM deliveries WHERE state = 'pending'")
            if not rows:
                break
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop

    assert sorted(url for url, _ in sink.posts) == sorted(inboxes(3, 4))
    sent = await db.fetchall("SELECT attempts FROM deliveries WHERE state = 'sent'")
    assert [r["attempts"] for r in sent] == [1] * 12


async def test_enqueue__lets_the_event_loop_run_while_checking_thousands_of_inboxes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = 0
    done = False
    seen: list[int] = []  # the ticker's count at each host checked

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0)

    def checked(url: str) -> str:
        seen.append(ticks)
        return canonical_host(url)

    monkeypatch.setattr(delivery, "canonical_host", checked)
    running = asyncio.create_task(ticker())
    async with db.transaction() as conn:
        count = await enqueue(conn, ACTIVITY, inboxes(50, 40), NOW)
    done = True
    await running

    assert count == 2000
    # Without turns in between, all 2,000 checks would run in one stretch (one tick value).
    assert len(set(seen)) >= 2000 // delivery.ENQUEUE_CHUNK


class CountingServers:
    """Small HTTP servers on 127.0.0.1 that accept every POST (keep-alive) and count the
    connections each one was opened."""

    def __init__(self) -> None:
        self.servers: list[asyncio.Server] = []
        self.connections: Counter[int] = Counter()
        self.posts = 0

    async def start(self, count: int) -> list[int]:
        for _ in range(count):
            self.servers.append(await asyncio.start_server(self._serve, "127.0.0.1", 0))
        return [server.sockets[0].getsockname()[1] for server in self.servers]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections[writer.get_extra_info("sockname")[1]] += 1
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                await reader.readexactly(length)
                self.posts += 1
                writer.write(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        writer.close()

    def close(self) -> None:
        for server in self.servers:
            server.close()


async def test_worker__keeps_a_hosts_connections_when_it_visits_more_hosts_than_pools(
    db: Database, keys: dict[str, SigningKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    from federation.client import FederationClient

    monkeypatch.setattr(delivery, "MAX_IN_FLIGHT", 6)
    servers = CountingServers()
    ports = await servers.start(30)
    client = FederationClient(
        user_agent="test", allow_private=[f"127.0.0.1:{port}" for port in ports], max_hosts=8
    )
    targets = [f"http://127.0.0.1:{port}/users/u{n}/inbox" for port in ports for n in range(6)]
    await queue(db, targets)
    try:
        sender = DeliveryWorker(db, client, keys, lambda: datetime.now(UTC))
        while await sender.run_once():
            pass
    finally:
        await client.aclose()
        servers.close()

    assert servers.posts == 180
    # Each host's deliveries go over the connections of its lanes, not one connection each.
    assert max(servers.connections.values()) <= delivery.PER_HOST_CONCURRENCY
