"""Group commit in the inbox and the delivery worker: what arrives together is written in one
transaction, each caller learns its own outcome, and nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from datetime import UTC, datetime

import pytest

from federation import delivery, queue_store
from federation import inbox as inbox_module
from federation.database import Database
from federation.delivery import Outcome, Outcomes, next_attempt
from federation.inbox import Arrivals, Inbox, InboxContext, InboxResult
from federation.store import RemoteActorRow

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ACTOR = "https://remote.example/users/alice"


async def count_commits(db: Database) -> list[str]:
    commits: list[str] = []

    def trace(sql: str) -> None:
        if sql.upper().startswith("COMMIT"):
            commits.append(sql)

    async with db.transaction() as conn:  # the writing connection
        await conn.set_trace_callback(trace)
    commits.clear()  # this transaction's own
    return commits


async def test_arrivals__concurrent_activities_share_a_commit_and_replays_are_told(
    db: Database,
) -> None:
    arrivals = Arrivals(db, lambda: NOW)
    async with db.transaction() as conn:  # one stored before: a replay
        await queue_store.insert_inbox_activities(conn, [(f"{ACTOR}/0", ACTOR, "Like", "{}")], NOW)
    commits = await count_commits(db)
    rows = [(f"{ACTOR}/{n}", ACTOR, "Like", "{}") for n in range(6)]
    rows.append((f"{ACTOR}/3", ACTOR, "Like", "{}"))  # the same activity twice at once

    answers = await asyncio.gather(*(arrivals.store(row) for row in rows))

    assert answers == [False, True, True, True, True, True, False]
    stored = await db.fetchall("SELECT id FROM inbox_activities ORDER BY id")
    assert [r["id"] for r in stored] == [f"{ACTOR}/{n}" for n in range(6)]
    assert len(commits) == 1


async def test_arrivals__clear_the_failures_of_the_senders_host(db: Database) -> None:
    async with db.transaction() as conn:
        for day in range(delivery.DAYS_TO_UNAVAILABLE):
            await queue_store.record_failure_day(
                conn, "remote.example", NOW.replace(day=1 + day), delivery.DAYS_TO_UNAVAILABLE
            )
    assert await queue_store.list_unavailable_hosts(db)

    await Arrivals(db, lambda: NOW).store((f"{ACTOR}/1", ACTOR, "Like", "{}"))

    assert await queue_store.list_unavailable_hosts(db) == []


async def test_outcomes__concurrent_attempts_are_recorded_together(db: Database) -> None:
    inboxes = [f"https://host{n}.example/inbox" for n in range(5)]
    activity = {
        "id": "https://board.example/a/1",
        "type": "Create",
        "actor": "https://board.example/u",
    }
    async with db.transaction() as conn:
        await delivery.enqueue(conn, activity, inboxes, NOW)
    due = await queue_store.list_due_deliveries(db, NOW, 10)
    answers = {inboxes[0]: 202, inboxes[1]: 410, inboxes[2]: 500, inboxes[3]: 202, inboxes[4]: 202}
    commits = await count_commits(db)
    outcomes = Outcomes(db)

    await asyncio.gather(
        *(
            outcomes.record(
                Outcome(d, next_attempt(0, answers[d.inbox], NOW), answers[d.inbox], None, NOW)
            )
            for d in due
        )
    )

    rows = await db.fetchall("SELECT inbox, state, attempts, last_status FROM deliveries")
    by_inbox = {r["inbox"]: (r["state"], r["attempts"], r["last_status"]) for r in rows}
    assert by_inbox[inboxes[0]] == ("sent", 1, 202)
    assert by_inbox[inboxes[1]][1:] == (1, 410)
    assert by_inbox[inboxes[2]] == ("pending", 1, 500)
    gone = await db.fetchall("SELECT inbox FROM gone_inboxes")
    assert [r["inbox"] for r in gone] == [inboxes[1]]
    days = await db.fetchall("SELECT host FROM delivery_failure_days")
    assert [r["host"] for r in days] == ["host2.example"]
    assert len(commits) == 1


class Senders:
    """The resolver as processing uses it: every sender is cached."""

    def __init__(self) -> None:
        self.actor = RemoteActorRow(
            ACTOR, "remote.example", "Person", "alice", None, None, f"{ACTOR}/inbox",
            None, None, None, "{}", "2026-11-02T09:00:00.000000Z",
        )  # fmt: skip

    async def cached_many(self, ids: object) -> dict[str, RemoteActorRow]:
        return {ACTOR: self.actor}

    async def cached(self, actor_id: str) -> RemoteActorRow:
        return self.actor


def board_inbox(db: Database) -> Inbox:
    return Inbox(db, Senders(), lambda: NOW, own_host="board.example")  # type: ignore[arg-type]


async def accept(inbox: Inbox, numbers: range, kinds: list[str] | None = None) -> None:
    """Store activities as a verified request would, not processed yet (Likes by default)."""
    for n in numbers:
        activity = {"id": f"{ACTOR}/{n}", "type": kinds[n] if kinds else "Like", "actor": ACTOR}
        await inbox._store(activity, ACTOR, json.dumps(activity).encode())


def unsigned_request(inbox: Inbox) -> asyncio.Task[InboxResult]:
    """A request sent now, held back or checked (and refused: it is not signed)."""
    body = b'{"id": "%s/x", "type": "Like", "actor": "%s"}' % (ACTOR.encode(), ACTOR.encode())
    return asyncio.create_task(
        inbox.receive("/inbox", {"content-type": "application/activity+json"}, body)
    )


async def stop(loop: asyncio.Task[None]) -> None:
    loop.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await loop


async def test_inbox__new_requests_wait_while_processing_is_behind(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_module, "MAX_UNPROCESSED", 3)
    inbox = board_inbox(db)
    release = asyncio.Event()
    handled: list[str] = []

    async def slow(ctx: InboxContext) -> None:
        await release.wait()
        handled.append(ctx.activity["id"])

    inbox.on("Like", slow)
    await accept(inbox, range(3))
    loop = asyncio.create_task(inbox.run_forever())
    waiting = unsigned_request(inbox)
    await asyncio.sleep(0.2)
    assert not waiting.done()  # held back while processing is behind

    release.set()
    answer = await asyncio.wait_for(waiting, 5)

    assert answer.status == 401  # then checked as usual
    assert handled[:1] == [f"{ACTOR}/0"]
    await stop(loop)


async def test_inbox__held_requests_go_on_once_the_backlog_is_worked_down(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_module, "MAX_UNPROCESSED", 4)
    monkeypatch.setattr(inbox_module, "RESUME_AT", 1)
    inbox = board_inbox(db)
    steps = asyncio.Semaphore(0)

    async def one_step_at_a_time(ctx: InboxContext) -> None:
        await steps.acquire()

    inbox.on("Like", one_step_at_a_time)
    await accept(inbox, range(4))
    loop = asyncio.create_task(inbox.run_forever())
    waiting = unsigned_request(inbox)
    for backlog in (3, 2):
        steps.release()
        await asyncio.sleep(0.05)
        assert inbox._unprocessed == backlog
        assert not waiting.done()  # still above RESUME_AT
    steps.release()
    assert (await asyncio.wait_for(waiting, 5)).status == 401
    steps.release()
    await stop(loop)


async def test_inbox__a_batch_gives_other_tasks_turns_of_the_loop(db: Database) -> None:
    inbox = board_inbox(db)
    ticks: list[float] = []

    async def busy(ctx: InboxContext) -> None:
        time.sleep(0.002)  # a handler whose work needs no turn of the loop
        async with ctx.transaction() as conn:
            await conn.execute("SELECT 1")

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0)

    inbox.on("Like", busy)
    await accept(inbox, range(20))
    running = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    assert await inbox.process_due() == 20  # ~40 ms of handlers
    await asyncio.sleep(0)  # the ticker's turn after the batch
    running.cancel()
    longest = max(later - earlier for earlier, later in itertools.pairwise(ticks))
    assert longest < 0.02  # others ran at least every PROCESSING_SLICE (and a handler)


async def test_inbox__a_batch_reads_what_its_handlers_share_once(db: Database) -> None:
    inbox = board_inbox(db)
    reads: list[str] = []
    seen: list[tuple[str, str]] = []

    async def read_policy() -> str:
        reads.append("policy")
        return f"policy {len(reads)}"

    async def handler(ctx: InboxContext) -> None:
        seen.append((ctx.activity["id"], await ctx.once("policy", read_policy)))

    inbox.on("Like", handler)
    await accept(inbox, range(3))
    assert await inbox.process_due() == 3
    await accept(inbox, range(3, 5))
    assert await inbox.process_due() == 2

    assert reads == ["policy", "policy"]  # once for each batch, not for each activity
    assert seen == [(f"{ACTOR}/{n}", "policy 1") for n in range(3)] + [
        (f"{ACTOR}/{n}", "policy 2") for n in range(3, 5)
    ]
    states = await db.fetchall("SELECT DISTINCT state FROM inbox_activities")
    assert [r["state"] for r in states] == ["done"]


async def test_inbox__activities_whose_handlers_write_nothing_are_done_in_one_commit(
    db: Database,
) -> None:
    inbox = board_inbox(db)
    written: list[str] = []

    async def writes(ctx: InboxContext) -> None:
        async with ctx.transaction():
            written.append(ctx.activity["id"])

    async def fails(ctx: InboxContext) -> None:
        raise RuntimeError("no luck")

    inbox.on("Follow", writes)
    inbox.on("Flag", fails)
    kinds = ["Like", "Follow", "Like", "Flag", "Announce", "Like"]  # Like, Announce: no handler
    await accept(inbox, range(len(kinds)), kinds)
    commits = await count_commits(db)

    assert await inbox.process_due() == len(kinds)

    # the Follow's own, the Flag's failure, and one for the four that wrote nothing
    assert len(commits) == 3
    assert written == [f"{ACTOR}/1"]
    rows = await db.fetchall("SELECT id, state, attempts, last_error FROM inbox_activities")
    states = {r["id"]: (r["state"], r["attempts"], r["last_error"]) for r in rows}
    assert states == {
        f"{ACTOR}/{n}": ("done", 1, None) for n, kind in enumerate(kinds) if kind != "Flag"
    } | {f"{ACTOR}/3": ("pending", 1, "RuntimeError: no luck")}
    assert await inbox.process_due() == 0  # nothing is due again at once
