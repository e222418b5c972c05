"""Outgoing delivery: a persisted queue, a pure retry policy, a worker that signs at send time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import aiosqlite

from federation import httpsig, queue_store, store
from federation.client import FederationClient
from federation.database import Database
from federation.guard import BlockedAddressError, FetchError
from federation.hosts import HostError, canonical_host
from federation.keys import PrivateKey, load_private_key
from federation.vocab import Json

log = logging.getLogger("federation.delivery")

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 17  # the first attempt and 16 retries, as Mastodon
# Mastodon marks a domain unavailable after failures on 7 distinct days.
DAYS_TO_UNAVAILABLE = 7
# An inbox that answers 404/410 this many times is gone: its followers are dropped.
GONE_ANSWERS_TO_DROP = 3
# Requests to one host at once: as a sender with a few connections per host, not a crowd.
PER_HOST_CONCURRENCY = 2
# Lanes sending at once over all hosts (each has at most one request under way): enough to
# keep a fan-out busy, few enough that the event loop still serves pages in between.
MAX_IN_FLIGHT = 48
# A host that takes longer than this (seconds) to answer waits for a place again after each
# attempt, so slow hosts take turns with the others.
SLOW_ANSWER = 1.0
BATCH = 200
# Deliveries read from the queue and not yet recorded; more wait in the database.
MAX_HELD = 1000
SHUTDOWN_GRACE = 5.0
# Inbox hosts checked between two turns of the event loop when a fan-out is queued (~50 µs each).
ENQUEUE_CHUNK = 100


@dataclass(frozen=True)
class Decision:
    """What happens to a delivery after an attempt."""

    state: str  # 'sent', 'pending' (retry), 'failed' (permanent), 'dead' (gave up)
    next_attempt: datetime
    reason: str


def next_attempt(
    attempts: int,
    status: int | None,
    now: datetime,
    *,
    retry_after: str | None = None,
    jitter: Callable[[int], float] | None = None,
    refused: str | None = None,
) -> Decision:
    """Decide the fate of a delivery, retrying like Mastodon's ~16 attempts over ~2-3 days.

    `attempts` counts the attempts made before this one; `status` is None for network errors;
    `refused` names why the request was never sent (e.g. a forbidden address): no retry helps.
    """
    if refused:
        return Decision("failed", now, refused)
    if status is not None and 200 <= status < 300:
        return Decision("sent", now, f"HTTP {status}")
    if status in (404, 410):
        return Decision("failed", now, f"HTTP {status}: the inbox is gone")
    if status is not None and 400 <= status < 500 and status not in (401, 408, 429):
        return Decision("failed", now, f"HTTP {status}: refused by the receiver")
    made = attempts + 1
    reason = f"HTTP {status}" if status is not None else "network error"
    if made >= MAX_ATTEMPTS:
        return Decision("dead", now, f"{reason}; gave up after {made} attempts")
    delay = _backoff(attempts, jitter or _random_jitter)
    honoured = _retry_after(retry_after, now) if status in (429, 503) else None
    if honoured is not None:
        delay = max(delay, min(honoured, timedelta(days=1)))
    return Decision("pending", now + delay, reason)


def _backoff(attempts: int, jitter: Callable[[int], float]) -> timedelta:
    # Sidekiq's formula as Mastodon uses it: 16 retries add up to about 2 to 2.5 days.
    return timedelta(seconds=attempts**4 + 15 + jitter(attempts))


def _random_jitter(attempts: int) -> float:
    return random.uniform(0, 10 * (attempts + 1))


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


async def enqueue(
    conn: aiosqlite.Connection,
    activity: Json,
    inboxes: Iterable[str],
    now: datetime,
    *,
    public: bool = True,
) -> int:
    """Store an activity and one delivery per distinct inbox, inside the caller's transaction."""
    object_id = activity.get("object")
    object_ref = object_id.get("id") if isinstance(object_id, dict) else object_id  # a Flag: list
    await queue_store.insert_outbox_activity(
        conn,
        activity["id"],
        activity["actor"],
        activity["type"],
        object_ref if isinstance(object_ref, str) else None,
        json.dumps(activity, ensure_ascii=False),
        now,
        public=public,
    )
    targets = []
    for number, inbox in enumerate(dict.fromkeys(inboxes), 1):
        try:
            targets.append((inbox, canonical_host(inbox)))
        except HostError:
            log.warning("skipping inbox with a bad host: %r", inbox)
        if number % ENQUEUE_CHUNK == 0:
            await asyncio.sleep(0)  # thousands of followers: let pages be served in between
    return await queue_store.insert_deliveries(conn, activity["id"], targets, now)


async def enqueue_to_followers(
    conn: aiosqlite.Connection, activity: Json, local_actor: str, now: datetime
) -> int:
    """Queue an activity for every accepted follower, one row per (shared) inbox."""
    inboxes = await store.follower_inboxes(conn, local_actor)
    return await enqueue(conn, activity, inboxes, now)


@dataclass(frozen=True)
class Outcome:
    """One attempt's result, as it is recorded."""

    delivery: queue_store.Delivery
    decision: Decision
    status: int | None
    error: str | None
    now: datetime


class Outcomes:
    """Records attempts with group commit: the outcomes that arrive while one transaction is
    written go into the next, together. A fan-out to thousands of inboxes then takes a few
    transactions rather than one per delivery; each attempt still returns only once its
    outcome is committed, so a crash resends at most what was not recorded."""

    MAX_GROUP = 200  # rows built on the event loop per commit

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[tuple[Outcome, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, outcome: Outcome) -> None:
        """Record one outcome; return when it is committed."""
        await self.add(outcome)

    def add(self, outcome: Outcome) -> asyncio.Future[None]:
        """Queue one outcome for the next commit; the future is done once it is committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((outcome, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return done

    async def _write(self) -> None:
        while self._waiting:
            group = self._waiting[: self.MAX_GROUP]
            del self._waiting[: self.MAX_GROUP]
            try:
                await self._commit([outcome for outcome, _ in group])
            except Exception as exc:
                for _, done in group:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, done in group:
                if not done.done():
                    done.set_result(None)

    async def _commit(self, outcomes: list[Outcome]) -> None:
        sent = [o for o in outcomes if o.decision.state == "sent"]
        dropped_any = False
        async with self.db.transaction(quiet=True, direct=True) as conn:
            await queue_store.record_delivery_attempts(
                conn,
                [
                    (
                        o.delivery.id,
                        o.decision.state,
                        o.decision.next_attempt,
                        o.status,
                        o.error,
                        o.now,
                    )
                    for o in outcomes
                ],
            )
            answered = {o.delivery.host for o in sent}
            accepted = {o.delivery.inbox for o in sent}
            await queue_store.clear_hosts_failures(conn, answered)
            await queue_store.clear_gone_inboxes(conn, accepted)
            # A host or inbox that accepted a delivery in this group is alive, whatever else
            # it answered at the same moment.
            for o in outcomes:
                if o.decision.state == "sent":
                    continue
                if o.status in (404, 410):
                    if o.delivery.inbox in accepted:
                        continue
                    dropped = await queue_store.record_gone_inbox(
                        conn, o.delivery.inbox, o.now, GONE_ANSWERS_TO_DROP
                    )
                    if dropped:
                        dropped_any = True
                        log.info(
                            "inbox %s is gone: dropped %d followers", o.delivery.inbox, dropped
                        )
                elif o.decision.state in ("pending", "dead") and o.delivery.host not in answered:
                    await queue_store.record_failure_day(
                        conn, o.delivery.host, o.now, DAYS_TO_UNAVAILABLE
                    )
        if dropped_any:
            self.db.touch()  # the board's follower count changed


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private_key: PrivateKey


HostCheck = Callable[[Iterable[str]], Awaitable[bool]]


class DeliveryWorker:
    """Sends due deliveries; one slow host never holds up the others.

    Each host gets its own task with at most `PER_HOST_CONCURRENCY` requests under way, and
    at most `MAX_IN_FLIGHT` requests are under way over all hosts (a lane of a host that
    answers promptly keeps its place for the host's next delivery). An activity's body is read
    and encoded once for all its recipients. A host is dispatched again only once every
    outcome of its previous round is committed, so no delivery is ever sent twice by one
    process; after a crash, whatever was not recorded yet is sent again."""

    def __init__(
        self,
        db: Database,
        client: FederationClient,
        keys: Mapping[str, SigningKey],
        clock: Clock,
        *,
        idle_poll: float = 1.0,
        is_blocked: HostCheck | None = None,
    ) -> None:
        self.db = db
        self.is_blocked = is_blocked
        self.client = client
        self.keys = keys
        self.clock = clock
        self.idle_poll = idle_poll
        self._wake = asyncio.Event()
        self._busy_hosts: set[str] = set()
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._outcomes = Outcomes(db)
        self._loaded: dict[str, SigningKey] = {}
        self._bodies: dict[str, bytes] = {}
        self._uses: Counter[str] = Counter()  # held deliveries per activity body

    def wake(self) -> None:
        """Ask the worker to look for due deliveries now."""
        self._wake.set()

    async def run_once(self) -> int:
        """Send everything due now and wait for it; return how many were attempted (tests)."""
        tasks, count = await self._dispatch()
        await asyncio.gather(*tasks)
        return count

    async def run_forever(self) -> None:
        """Loop until cancelled; each host is sent to in its own task, so none waits for another."""
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                self._wake.clear()
                try:
                    started, _ = await self._dispatch()
                except Exception:  # the rows stay pending; a database hiccup must not end the loop
                    log.exception("delivery dispatch failed; trying again shortly")
                    await asyncio.sleep(self.idle_poll)
                    continue
                running.update(started)
                for task in started:
                    task.add_done_callback(running.discard)
                if started:
                    continue
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that arrives just as the event is set, and shutdown would hang.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.idle_poll):
                        await self._wake.wait()
        finally:
            # On shutdown, let requests already under way finish and be recorded, so that a
            # clean restart sends nothing twice; whatever is still running then is cancelled.
            if running:
                await asyncio.wait(set(running), timeout=SHUTDOWN_GRACE)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def _dispatch(self) -> tuple[list[asyncio.Task[None]], int]:
        """Start one task per host with due deliveries, skipping hosts still being sent to;
        read no more than `MAX_HELD` deliveries ahead."""
        room = MAX_HELD - sum(self._uses.values())
        if room <= 0:
            return [], 0
        busy = sorted(self._busy_hosts)
        due = await queue_store.list_due_deliveries(
            self.db, self.clock(), min(BATCH, room), skip_hosts=busy
        )
        if not due:
            return [], 0
        missing = sorted({d.activity_id for d in due} - self._bodies.keys())
        for activity_id, body in (await queue_store.get_outbox_bodies(self.db, missing)).items():
            self._bodies[activity_id] = body.encode("utf-8")
        by_host: dict[str, list[queue_store.Delivery]] = defaultdict(list)
        for delivery in due:
            by_host[delivery.host].append(delivery)
            self._uses[delivery.activity_id] += 1
        tasks = []
        for host, items in by_host.items():
            self._busy_hosts.add(host)
            tasks.append(asyncio.create_task(self._send_host(host, items), name=f"deliver {host}"))
        return tasks, len(due)

    async def _send_host(self, host: str, items: list[queue_store.Delivery]) -> None:
        recorded: list[asyncio.Future[None]] = []
        queue = iter(items)

        async def lane(refused: str | None) -> None:
            # A lane keeps its place among the lanes sending for its host's next delivery
            # while the host answers promptly: its connection stays in use, instead of being
            # closed to make room for other hosts' pools while the lane waits for a place. A
            # slow or unreachable host gives its place up after each attempt.
            holding = False
            try:
                for delivery in queue:  # the lanes share the host's deliveries
                    if refused is None and not holding:
                        await self._in_flight.acquire()
                        holding = True
                    started = time.monotonic()
                    outcome = await self._attempt(delivery, refused)
                    recorded.append(self._outcomes.add(outcome))
                    slow = time.monotonic() - started > SLOW_ANSWER
                    if holding and (slow or outcome.status is None):
                        self._in_flight.release()
                        holding = False
            finally:
                if holding:
                    self._in_flight.release()

        try:
            blocked = self.is_blocked is not None and await self.is_blocked([host])
            refused = "the server is blocked or not allowed; not sent" if blocked else None
            async with asyncio.TaskGroup() as lanes:
                for _ in range(min(PER_HOST_CONCURRENCY, len(items))):
                    lanes.create_task(lane(refused))
        except Exception:  # an attempt whose outcome was not recorded is simply tried again
            log.exception("delivery to %s failed; pending rows are retried", host)
        finally:
            # The host is free again only once its outcomes are committed: a row read again
            # before that would be sent twice.
            for result in await asyncio.gather(*recorded, return_exceptions=True):
                if isinstance(result, Exception):
                    log.error(
                        "recording deliveries to %s failed (%s); they are sent again", host, result
                    )
            self._release(items)
            self._busy_hosts.discard(host)
            self._wake.set()

    def _release(self, items: Iterable[queue_store.Delivery]) -> None:
        for delivery in items:
            self._uses[delivery.activity_id] -= 1
            if self._uses[delivery.activity_id] <= 0:
                del self._uses[delivery.activity_id]
                self._bodies.pop(delivery.activity_id, None)

    async def _key(self, actor: str) -> SigningKey | None:
        """The signing key of a local actor: given at start, or (an actor created since, e.g.
        a group) read from the local keys once and kept."""
        key = self.keys.get(actor) or self._loaded.get(actor)
        if key is None:
            stored = await store.get_local_key(self.db, actor)
            if stored is not None:
                key = SigningKey(stored.key_id, load_private_key(stored.private_pem))
                self._loaded[actor] = key
        return key

    async def _attempt(self, delivery: queue_store.Delivery, refused: str | None = None) -> Outcome:
        """Send one delivery (unless refused) and decide its fate; the caller records it."""
        key = await self._key(delivery.actor)
        body = self._bodies.get(delivery.activity_id)
        status, retry_after, error = None, None, None
        if refused is not None:
            pass  # the server is blocked: recorded as refused without any request
        elif key is None:
            refused = f"no signing key for {delivery.actor}"
        elif body is None:
            refused = "the activity is no longer stored"
        elif delivery.host_unavailable:
            refused = "the server has been unreachable on several days; not tried"
        else:
            try:
                status, retry_after = await self._post(delivery, key, body)
            except BlockedAddressError as exc:
                refused = exc.reason
            except FetchError as exc:
                status, error = exc.status, exc.reason
        now = self.clock()
        decision = next_attempt(
            delivery.attempts, status, now, retry_after=retry_after, refused=refused
        )
        if decision.state != "sent":
            log.info(
                "delivery %s to %s: %s",
                delivery.activity_id,
                delivery.inbox,
                error or decision.reason,
            )
        error_text = None if decision.state == "sent" else (error or decision.reason)[:500]
        return Outcome(delivery, decision, status, error_text, now)

    async def _post(
        self, delivery: queue_store.Delivery, key: SigningKey, body: bytes
    ) -> tuple[int, str | None]:
        # Signed on the event loop, at send time (a fresh Date on every retry): one signature
        # is a short step (~0.3 ms), and a worker thread only adds hand-overs of the GIL,
        # which the RSA signature of cryptography < 47 holds anyway.
        headers = httpsig.sign_request(
            "POST",
            delivery.inbox,
            body,
            key.key_id,
            key.private_key,
            self.clock(),
            {"Content-Type": "application/activity+json"},
        )
        result = await self.client.post(delivery.inbox, body, headers)
        return result.status, result.headers.get("retry-after")
