"""Delivery: the pure retry policy, the worker against a real (fake) inbox, restarts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from federation import httpsig
from federation import store as fedstore
from federation.actors import parse_actor
from federation.client import FederationClient
from federation.database import from_db_time
from federation.delivery import MAX_ATTEMPTS, DeliveryWorker, enqueue, next_attempt
from federation.keys import load_public_key
from noticeboard.notices import service as notices
from noticeboard.notices.forms import NoticeDraft
from noticeboard.state import BoardState, open_state
from tests.noticeboard.boards import START, MutableClock, RunningBoard, csrf_token
from tests.support.fediverse import Fediverse, Recorded, RemoteActor, listening_socket

pytest_plugins = ["tests.noticeboard.boards"]

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


def no_jitter(attempts: int) -> float:
    return 0.0


def max_jitter(attempts: int) -> float:
    return 10.0 * (attempts + 1)


def delay(decision: Any, now: datetime = NOW) -> timedelta:
    return decision.next_attempt - now


# --- the policy as a pure function ---------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_next_attempt__2xx_is_sent(status: int) -> None:
    decision = next_attempt(3, status, NOW, jitter=no_jitter)

    assert decision.state == "sent"
    assert str(status) in decision.reason


@pytest.mark.parametrize("status", [404, 410])
def test_next_attempt__gone_inbox_fails_at_once(status: int) -> None:
    decision = next_attempt(0, status, NOW, jitter=no_jitter)

    assert decision.state == "failed"
    assert "gone" in decision.reason


@pytest.mark.parametrize("status", [400, 403, 405, 413, 422])
def test_next_attempt__other_client_errors_fail(status: int) -> None:
    decision = next_attempt(0, status, NOW, jitter=no_jitter)

    assert decision.state == "failed"
    assert str(status) in decision.reason


@pytest.mark.parametrize("status", [401, 408, 429])
def test_next_attempt__401_408_429_are_retried(status: int) -> None:
    decision = next_attempt(0, status, NOW, jitter=no_jitter)

    assert decision.state == "pending"
    assert decision.next_attempt > NOW


@pytest.mark.parametrize("status", [429, 503])
def test_next_attempt__retry_after_seconds_is_honoured(status: int) -> None:
    decision = next_attempt(0, status, NOW, retry_after="3600", jitter=no_jitter)

    assert decision.state == "pending"
    assert delay(decision) == timedelta(hours=1)


def test_next_attempt__retry_after_http_date_is_honoured() -> None:
    when = NOW + timedelta(minutes=45)

    decision = next_attempt(0, 429, NOW, retry_after=format_datetime(when, usegmt=True))

    assert decision.next_attempt == when


def test_next_attempt__retry_after_never_shortens_the_backoff() -> None:
    backoff = next_attempt(5, 429, NOW, jitter=no_jitter)

    decision = next_attempt(5, 429, NOW, retry_after="1", jitter=no_jitter)

    assert decision.next_attempt == backoff.next_attempt


def test_next_attempt__retry_after_is_capped_at_a_day() -> None:
    decision = next_attempt(0, 503, NOW, retry_after=str(30 * 86400), jitter=no_jitter)

    assert delay(decision) == timedelta(days=1)


@pytest.mark.parametrize("value", ["soon", "", "Mon, 99 Foo 2026 99:99:99 GMT", "-5"])
def test_next_attempt__unreadable_retry_after_falls_back_to_backoff(value: str) -> None:
    decision = next_attempt(2, 429, NOW, retry_after=value, jitter=no_jitter)

    assert decision.state == "pending"
    assert decision.next_attempt == next_attempt(2, 429, NOW, jitter=no_jitter).next_attempt


@pytest.mark.parametrize("status", [500, 502, 503, None])
def test_next_attempt__server_and_network_errors_back_off_more_each_time(
    status: int | None,
) -> None:
    delays = [
        delay(next_attempt(n, status, NOW, jitter=no_jitter)) for n in range(MAX_ATTEMPTS - 1)
    ]

    assert all(later > earlier for earlier, later in zip(delays, delays[1:], strict=False))
    assert delays[0] >= timedelta(seconds=15)


def test_next_attempt__network_error_says_so() -> None:
    decision = next_attempt(0, None, NOW, jitter=no_jitter)

    assert decision.state == "pending"
    assert "network error" in decision.reason


def test_next_attempt__jitter_is_injected_and_added() -> None:
    seen: list[int] = []

    def jitter(attempts: int) -> float:
        seen.append(attempts)
        return 7.5

    decision = next_attempt(3, 500, NOW, jitter=jitter)

    assert seen == [3]
    assert delay(decision) == delay(next_attempt(3, 500, NOW, jitter=no_jitter)) + timedelta(
        seconds=7.5
    )


def test_next_attempt__default_jitter_stays_within_its_bound() -> None:
    base = next_attempt(4, 500, NOW, jitter=no_jitter).next_attempt
    for _ in range(50):
        moment = next_attempt(4, 500, NOW).next_attempt
        assert base <= moment <= base + timedelta(seconds=max_jitter(4))


def test_next_attempt__gives_up_dead_after_max_attempts() -> None:
    last_retry = next_attempt(MAX_ATTEMPTS - 2, 500, NOW, jitter=no_jitter)
    final = next_attempt(MAX_ATTEMPTS - 1, 500, NOW, jitter=no_jitter)

    assert last_retry.state == "pending"
    assert final.state == "dead"
    assert f"{MAX_ATTEMPTS} attempts" in final.reason


def schedule(jitter: Callable[[int], float]) -> tuple[int, timedelta]:
    """Fail every attempt with a 500; return how many attempts were made and how long it took."""
    attempts, now = 0, NOW
    while True:
        decision = next_attempt(attempts, 500, now, jitter=jitter)
        attempts += 1
        if decision.state != "pending":
            assert decision.state == "dead"
            return attempts, now - NOW
        now = decision.next_attempt


@pytest.mark.parametrize("jitter", [no_jitter, max_jitter], ids=["no-jitter", "max-jitter"])
def test_next_attempt__total_schedule_lasts_two_to_three_and_a_half_days(
    jitter: Callable[[int], float],
) -> None:
    # Security rule 23 / interop notes: retry for about 2-3 days, as Mastodon (~62 h) does.
    attempts, total = schedule(jitter)

    assert attempts == MAX_ATTEMPTS
    assert timedelta(days=2) <= total <= timedelta(days=3.5), (
        f"{attempts} attempts span only {total / timedelta(hours=1):.1f} h"
    )


# --- enqueue ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_enqueue__one_row_per_distinct_inbox_and_bad_hosts_skipped(
    make_board: Any,
) -> None:
    running = make_board(start=False)
    board = await open_state(running.config, MutableClock(START))
    activity = {"id": "http://127.0.0.1:1/activities/1", "type": "Create", "actor": "x"}
    inboxes = [
        "http://a.example/inbox",
        "http://a.example/inbox",
        "http://b.example/users/x/inbox",
        "http://user@evil.example/inbox",
    ]
    try:
        async with board.db.transaction() as conn:
            count = await enqueue(conn, activity, inboxes, START)
        rows = await board.db.fetchall("SELECT inbox, host, state FROM deliveries ORDER BY id")
    finally:
        await board.close()

    assert count == 2
    assert [tuple(r) for r in rows] == [
        ("http://a.example/inbox", "a.example", "pending"),
        ("http://b.example/users/x/inbox", "b.example", "pending"),
    ]


# --- the worker, step by step ----------------------------------------------------------------


@dataclass
class WorkerSetup:
    board: BoardState
    worker: DeliveryWorker
    clock: MutableClock
    follower: RemoteActor

    async def publish(self) -> int:
        published = await notices.publish(
            self.board, NoticeDraft("Hoffest", "Am **Samstag** ab 14 Uhr.", "Feste"), None
        )
        return published.inboxes

    async def delivery(self) -> dict[str, Any]:
        rows = await self.board.db.fetchall("SELECT * FROM deliveries")
        assert len(rows) == 1
        return dict(rows[0])


@asynccontextmanager
async def worker_for(
    make_board: Any, fediverse: Fediverse, *, inbox: str | None = None, allow: list[str] = ()
) -> AsyncIterator[WorkerSetup]:
    running: RunningBoard = make_board(start=False)
    clock = MutableClock(START)  # no tick: every reading is exactly where the test put it
    board = await open_state(running.config, clock)
    client = FederationClient(
        user_agent="aushang-tests", allow_private=[*fediverse.allow_private, *allow]
    )
    try:  # aiosqlite's threads would keep the process alive if the board stayed open
        follower = fediverse.actor("alice")
        row = parse_actor(follower.document, START)
        if inbox is not None:  # an inbox elsewhere, as a stored follower row may hold
            row = replace(row, shared_inbox=inbox)
        async with board.db.transaction() as conn:
            await fedstore.upsert_follower(
                conn, board.urls.actor, row, follower.activity_id("follow-1"), "accepted", START
            )
        worker = DeliveryWorker(board.db, client, board.keys.signing, clock)
        yield WorkerSetup(board, worker, clock, follower)
    finally:
        await client.aclose()
        await board.close()


def check_signed_at(setup: WorkerSetup, record: Recorded, moment: datetime) -> None:
    assert record.headers["date"] == httpsig.http_date(moment)
    parsed = httpsig.parse_signature("POST", record.target, record.headers)
    assert not isinstance(parsed, httpsig.SignatureError), parsed
    public = load_public_key(setup.board.keys.public_pems[setup.board.urls.actor])
    result = httpsig.verify_signature(
        parsed, public, record.body, moment, expected_host=record.headers["host"]
    )
    assert result.ok, result.reason
    assert record.headers["digest"] == httpsig.digest_header(record.body)


@pytest.mark.anyio
async def test_worker__retries_after_500_and_resigns_with_a_fresh_date(
    make_board: Any, fediverse: Fediverse
) -> None:
    fediverse.remote.answer("/inbox", 500)
    async with worker_for(make_board, fediverse) as setup:
        assert await setup.publish() == 1

        assert await setup.worker.run_once() == 1
        first = await setup.delivery()
        assert (first["state"], first["attempts"], first["last_status"]) == ("pending", 1, 500)
        due = from_db_time(first["next_attempt_at"])
        assert due > START
        assert await setup.worker.run_once() == 0  # not due yet

        setup.clock.set(due)
        assert await setup.worker.run_once() == 1
        second = await setup.delivery()

    assert (second["state"], second["attempts"], second["last_status"]) == ("sent", 2, 202)
    assert second["last_error"] is None
    posts = fediverse.remote.posts("/inbox")
    assert len(posts) == 2
    assert posts[0].body == posts[1].body
    assert posts[0].json()["type"] == "Create"
    check_signed_at(setup, posts[0], START)
    check_signed_at(setup, posts[1], due)
    assert posts[0].headers["signature"] != posts[1].headers["signature"]


@pytest.mark.parametrize(
    ("status", "headers", "state", "min_wait"),
    [
        (410, {}, "failed", timedelta(0)),
        (400, {}, "failed", timedelta(0)),
        (401, {}, "pending", timedelta(seconds=15)),
        (429, {"Retry-After": "3600"}, "pending", timedelta(hours=1)),
        (503, {"Retry-After": "7200"}, "pending", timedelta(hours=2)),
    ],
)
@pytest.mark.anyio
async def test_worker__records_the_policy_decision(
    make_board: Any,
    fediverse: Fediverse,
    status: int,
    headers: dict[str, str],
    state: str,
    min_wait: timedelta,
) -> None:
    fediverse.remote.answer("/inbox", status, headers=headers)
    async with worker_for(make_board, fediverse) as setup:
        await setup.publish()
        await setup.worker.run_once()
        row = await setup.delivery()

    assert (row["state"], row["last_status"]) == (state, status)
    assert row["last_error"]
    assert from_db_time(row["next_attempt_at"]) - START >= min_wait


@pytest.mark.anyio
async def test_worker__network_error_is_retried_with_a_reason(
    make_board: Any, fediverse: Fediverse
) -> None:
    sock = listening_socket()
    closed = f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()  # nothing listens there any more: connection refused
    async with worker_for(
        make_board, fediverse, inbox=f"http://{closed}/inbox", allow=[closed]
    ) as setup:
        await setup.publish()
        await setup.worker.run_once()
        row = await setup.delivery()

    assert row["state"] == "pending"
    assert row["last_status"] is None
    assert "failed" in row["last_error"] or "connect" in row["last_error"]


@pytest.mark.anyio
async def test_worker__fails_an_inbox_on_a_private_address_without_connecting(
    make_board: Any, fediverse: Fediverse
) -> None:
    async with worker_for(make_board, fediverse, inbox="http://10.0.0.1:8080/inbox") as setup:
        await setup.publish()
        await setup.worker.run_once()
        row = await setup.delivery()

    assert row["state"] == "failed"  # refused before connecting: no retry would help
    assert "10.0.0.1" in row["last_error"]
    assert "forbidden" in row["last_error"]


# --- through the app: restart ------------------------------------------------------------------


def publish_via_form(board: RunningBoard, title: str, body: str = "Text") -> None:
    staff = board.login()
    form = staff.get("/staff/notices/new")
    response = staff.post(
        "/staff/notices/new",
        data={
            "csrf_token": csrf_token(form.text),
            "title": title,
            "body": body,
            "category": "",
            "action": "publish",
        },
    )
    assert response.status_code == 303, response.text[:300]


def test_delivery__pending_delivery_survives_a_restart_and_is_sent_after(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    follow = alice.follow(board.actor_id)
    assert alice.post(board.inbox, follow, now=board.clock.now).status_code == 202
    board.drain()
    assert fediverse.remote.posts(alice.inbox_path), "the Accept"
    fediverse.remote.answer("/inbox", 500)

    publish_via_form(board, "Sperrmüll")
    board.drain()
    [row] = board.rows(  # the first, failed attempt
        "SELECT * FROM deliveries WHERE attempts = 1 AND inbox LIKE '%/inbox'"
        " AND inbox NOT LIKE '%/users/%'"
    )
    assert (row["state"], row["last_status"]) == ("pending", 500)

    board.stop()
    [after_stop] = board.rows("SELECT state, attempts FROM deliveries WHERE id = ?", row["id"])
    assert (after_stop["state"], after_stop["attempts"]) == ("pending", 1)
    board.clock.set(from_db_time(row["next_attempt_at"]) + timedelta(seconds=1))
    board.start()  # create_app again, on the same data dir

    board.drain()
    sent = board.rows("SELECT * FROM deliveries WHERE id = ? AND state = 'sent'", row["id"])
    assert sent, "the delivery after the restart"
    assert sent[0]["attempts"] == 2
    creates = [r.json() for r in fediverse.remote.posts("/inbox")]
    assert [c["type"] for c in creates] == ["Create", "Create"]
    assert creates[1]["object"]["content"].startswith("<p><strong>Sperrmüll</strong></p>")


def test_delivery__publishing_commits_activity_and_rows_before_answering(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    assert (
        alice.post(board.inbox, alice.follow(board.actor_id), now=board.clock.now).status_code
        == 202
    )
    board.drain()
    assert board.followers(), "the follower"
    fediverse.remote.answer("/inbox", 503, 503, 503)

    publish_via_form(board, "Hoffest")

    rows = board.rows(
        "SELECT d.inbox, o.type, o.body FROM deliveries d JOIN outbox_activities o "
        "ON o.id = d.activity_id WHERE o.type = 'Create'"
    )
    assert [(r["inbox"], r["type"]) for r in rows] == [(fediverse.remote.url("/inbox"), "Create")]
    assert json.loads(rows[0]["body"])["object"]["type"] == "Note"


@pytest.mark.anyio
async def test_worker__stops_when_cancelled_at_the_moment_it_is_woken(
    make_board: Any, fediverse: Fediverse
) -> None:
    # The app's lifespan cancels the worker on shutdown while deliveries may still wake it;
    # if the cancellation is lost, the lifespan waits for the worker forever.
    async with worker_for(make_board, fediverse) as setup:
        task = asyncio.create_task(setup.worker.run_forever())
        await asyncio.sleep(0.1)  # idle: waiting to be woken
        setup.worker.wake()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=3)
        if task not in done:  # clean up so the database can close
            task.cancel()
            await asyncio.wait({task}, timeout=3)

    assert task in done, "run_forever ignored its cancellation and kept running"
