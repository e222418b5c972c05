"""Receiving activities: caps, parse, verify the signature, store raw, answer 202, then dispatch."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar, cast

import aiosqlite
import rfc8785

from federation import httpsig, proofs, queue_store
from federation.actors import ActorError, ActorResolver, KeyOwner
from federation.database import Database
from federation.hosts import HostError, canonical_host
from federation.jsonsafe import JsonError, parse_json_object
from federation.keys import PublicKeyCache
from federation.store import RemoteActorRow, RemoteKey
from federation.vocab import Json, as_list, get_id, get_type

log = logging.getLogger("federation.inbox")
T = TypeVar("T")

Clock = Callable[[], datetime]
ACCEPTED_TYPES = ("application/activity+json", "application/ld+json", "application/json")
MAX_BODY = 1_048_576
MAX_PROCESS_ATTEMPTS = 8
MAX_LIST = 1000
# Requests checked against the database at once. The rest wait in memory rather than in the
# database's queue, where processing would have to wait behind every one of them.
MAX_CHECKING = 8
# While the processing loop runs and this many accepted activities wait for it, new requests
# wait (at most PROCESSING_WAIT seconds) until it has worked the backlog down to RESUME_AT:
# under load, accepting and processing take turns, so the backlog stays short and is gone soon
# after the load. (Waking the waiting requests after every processed activity would wake them
# all, to wait again, a hundred times over.)
MAX_UNPROCESSED = 100
RESUME_AT = 50
# Processing gives other tasks (requests, deliveries) a turn of the event loop at least this
# often (seconds): the handlers' reads and writes run at once on the loop's thread and would
# otherwise hold it for a whole batch.
PROCESSING_SLICE = 0.005
PROCESSING_WAIT = 3.0
UNSIGNED = "request is not signed"


@dataclass(frozen=True)
class InboxResult:
    """What the inbox answers: a status and a reason a human can read."""

    status: int
    reason: str


@dataclass
class InboxContext:
    """What a handler gets: the verified sender and a way to commit atomically with 'done'."""

    activity: Json
    actor: RemoteActorRow
    db: Database
    resolver: ActorResolver
    now: datetime
    _conn: aiosqlite.Connection | None = field(default=None, repr=False)
    committed: bool = field(default=False, repr=False)
    # What the handlers read once for a whole batch (a setting, a notice), by key.
    batch: dict[Hashable, object] = field(default_factory=dict, repr=False)

    async def once(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """Read what does not change with the activities of a batch once for the batch: every
        activity of one `process_due` shares the answer."""
        if key not in self.batch:
            self.batch[key] = await read()
        return cast(T, self.batch[key])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Open the one transaction in which the handler's writes and the 'done' mark commit."""
        if self.committed:
            raise RuntimeError("a handler commits once")
        async with self.db.transaction(direct=True) as conn:
            yield conn
            await _mark_done(conn, self.activity["id"], self.now)
        self.committed = True


Handler = Callable[[InboxContext], Awaitable[None]]
BlockCheck = Callable[[Iterable[str], Iterable[str]], Awaitable[bool]]  # (hosts, actor ids)


async def _mark_done(conn: aiosqlite.Connection, activity_id: str, now: datetime) -> None:
    await queue_store.finish_inbox_activity(conn, activity_id, "done", None, now)


async def _never_blocked(_hosts: Iterable[str], _actors: Iterable[str]) -> bool:
    return False


class Inbox:
    """A handler registry in Fedify's style: inbox.on('Follow', handle_follow)."""

    def __init__(
        self,
        db: Database,
        resolver: ActorResolver,
        clock: Clock,
        *,
        own_host: str,
        is_blocked: BlockCheck = _never_blocked,
    ) -> None:
        self.db = db
        self.resolver = resolver
        self.clock = clock
        self.own_host = own_host
        self.is_blocked = is_blocked
        self._handlers: dict[str, Handler] = {}
        self._wake = asyncio.Event()
        self._keys = PublicKeyCache()
        self._arrivals = Arrivals(db, clock)
        self._checking = asyncio.Semaphore(MAX_CHECKING)
        self._processing = False  # whether run_forever is running
        self._unprocessed = 0  # accepted since start and not processed yet
        self._progress = asyncio.Event()

    def on(self, type_: str, handler: Handler) -> None:
        """Register the handler for one activity type."""
        self._handlers[type_] = handler

    async def receive(self, target: str, headers: Mapping[str, str], body: bytes) -> InboxResult:
        """Check and store one POSTed activity; nothing is stored unless every check passes."""
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in ACCEPTED_TYPES:
            return InboxResult(415, "Content-Type must be application/activity+json")
        try:
            activity = parse_json_object(body)
        except JsonError as exc:
            return InboxResult(400, exc.reason)
        shape = _check_shape(activity)
        if shape:
            return InboxResult(400, shape)
        await self._let_processing_catch_up()
        async with self._checking:
            return await self._authenticate_and_store(target, headers, body, activity)

    async def _authenticate_and_store(
        self, target: str, headers: Mapping[str, str], body: bytes, activity: Json
    ) -> InboxResult:
        actor_id = get_id(activity["actor"]) or ""
        parsed = httpsig.parse_signature("POST", target, headers)
        if isinstance(parsed, httpsig.SignatureError):
            if parsed.reason.startswith(UNSIGNED) and "proof" in activity:
                return await self._authenticate_proof(activity, actor_id, body)
            return InboxResult(401, parsed.reason)
        screened = await self._screen(parsed.key_id, actor_id, activity)
        if screened is not None:
            return screened
        # Everything that needs no key is checked before the key is fetched.
        precheck = httpsig.check_request(parsed, body, self.clock(), expected_host=self.own_host)
        if not precheck.ok:
            return InboxResult(401, f"signature invalid: {precheck.reason}")
        verdict = await self._verify(
            parsed.key_id, actor_id, lambda key: self._check_signature(parsed, key, body)
        )
        if isinstance(verdict, InboxResult):
            return verdict
        return await self._store(activity, actor_id, body)

    async def _authenticate_proof(self, activity: Json, actor_id: str, body: bytes) -> InboxResult:
        """An activity sent with an Object Integrity Proof (FEP-8b32) instead of an HTTP
        signature: the same key-owner rules, the same time window."""
        try:
            parsed = proofs.parse_proof(activity)
        except rfc8785.CanonicalizationError as exc:
            return InboxResult(401, f"request is not signed, and its proof cannot be read: {exc}")
        if isinstance(parsed, str):
            return InboxResult(401, f"request is not signed, and its proof is not usable: {parsed}")
        screened = await self._screen(parsed.key_id, actor_id, activity)
        if screened is not None:
            return screened
        verdict = await self._verify(
            parsed.key_id,
            actor_id,
            lambda key: proofs.verify_proof(
                parsed, self._keys.load(key.id, key.public_key_pem), self.clock()
            ),
        )
        if isinstance(verdict, InboxResult):
            return verdict
        return await self._store(activity, actor_id, body)

    async def _screen(self, key_id: str, actor_id: str, activity: Json) -> InboxResult | None:
        """What is refused before any key is fetched: blocks, our own host, a key on another
        host than the actor (rules 3 and 5)."""
        try:
            key_host, actor_host = canonical_host(key_id), canonical_host(actor_id)
        except HostError as exc:
            return InboxResult(400, f"bad host: {exc}")
        hosts = {key_host, actor_host, *_object_hosts(activity)}
        if await self.is_blocked(hosts, _involved_actors(activity)):
            return InboxResult(403, "this server or account is blocked")
        if key_host == self.own_host or actor_host == self.own_host:
            return InboxResult(401, "signature claims to come from this server")
        if key_host != actor_host:
            return InboxResult(401, "signing key is on another host than the actor")
        if _is_self_delete(activity) and not await self.resolver.cached(actor_id):
            return InboxResult(202, "delete of an unknown actor ignored")
        return None

    async def _verify(
        self, key_id: str, actor_id: str, check: Callable[[RemoteKey], str | None]
    ) -> RemoteActorRow | InboxResult:
        try:
            owner = await self.resolver.key_owner(key_id)
        except ActorError as exc:
            return InboxResult(401, f"cannot use the signing key: {exc.reason}")
        if owner.actor.id != actor_id:
            return InboxResult(401, "the signing key does not belong to the activity's actor")
        reason = _first_valid(owner, check)
        if reason is None:
            return owner.actor
        try:
            refreshed = await self.resolver.refresh_key(key_id, actor_id)
        except ActorError as exc:
            return InboxResult(401, f"signature invalid ({reason}); {exc.reason}")
        if refreshed and _first_valid(refreshed, check) is None:
            return refreshed.actor
        return InboxResult(401, f"signature invalid: {reason}")

    def _check_signature(
        self, parsed: httpsig.ParsedSignature, key: RemoteKey, body: bytes
    ) -> str | None:
        result = httpsig.verify_signature(
            parsed,
            self._keys.load(key.id, key.public_key_pem),
            body,
            self.clock(),
            expected_host=self.own_host,
        )
        return None if result.ok else result.reason

    async def _store(self, activity: Json, actor_id: str, body: bytes) -> InboxResult:
        type_ = get_type(activity) or ""
        row = (activity["id"], actor_id, type_, body.decode("utf-8"))
        new = await self._arrivals.store(row)
        if not new:
            return InboxResult(202, "already received")
        self._unprocessed += 1
        self._wake.set()
        return InboxResult(202, "accepted")

    async def _let_processing_catch_up(self) -> None:
        if not self._processing:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PROCESSING_WAIT):
                while self._unprocessed >= MAX_UNPROCESSED:
                    self._progress.clear()
                    await self._progress.wait()

    def wake(self) -> None:
        """Ask the processing loop to look for due activities now."""
        self._wake.set()

    async def run_forever(self, poll: float = 5.0) -> None:
        """Process stored activities as they arrive; poll for retries that come due."""
        self._processing = True
        try:
            await self._run(poll)
        finally:
            self._processing = False
            self._progress.set()

    async def _run(self, poll: float) -> None:
        while True:
            self._wake.clear()
            try:
                if await self.process_due():
                    continue
            except Exception:  # the rows stay pending; a database hiccup must not end the loop
                log.exception("inbox processing failed; trying again shortly")
                await asyncio.sleep(poll)
                continue
            with contextlib.suppress(TimeoutError):  # not wait_for: see DeliveryWorker
                async with asyncio.timeout(poll):
                    await self._wake.wait()

    async def process_due(self, limit: int = 50) -> int:
        """Dispatch stored activities to their handlers; failures are retried, then kept."""
        rows = await queue_store.list_due_inbox(self.db, self.clock(), limit)
        # Verified on receipt, so cached: one read for the senders of the whole batch.
        senders = await self.resolver.cached_many(row["actor"] for row in rows)
        batch: dict[Hashable, object] = {}
        # Activities whose handlers wrote nothing (most are not for the board) are marked done
        # together at the end: one transaction for the batch instead of one each. Were that
        # commit lost, they would only be handled again, writing nothing again.
        unmarked: list[tuple[str, datetime]] = []
        turn = time.perf_counter()
        for row in rows:
            activity = json.loads(row["body"])
            sender = senders.get(row["actor"])
            await self._process(
                row["id"], row["actor"], activity, row["attempts"], sender, batch, unmarked
            )
            self._unprocessed = max(0, self._unprocessed - 1)
            if self._unprocessed <= RESUME_AT:
                self._progress.set()
            if time.perf_counter() - turn > PROCESSING_SLICE:
                await asyncio.sleep(0)  # the handlers' statements never let requests in
                turn = time.perf_counter()
        if unmarked:
            async with self.db.transaction(quiet=True, direct=True) as conn:
                await queue_store.finish_inbox_activities(conn, unmarked)
        return len(rows)

    async def _process(
        self,
        activity_id: str,
        actor_id: str,
        activity: Json,
        attempts: int,
        sender: RemoteActorRow | None,
        batch: dict[Hashable, object],
        unmarked: list[tuple[str, datetime]],
    ) -> None:
        now = self.clock()
        handler = self._handlers.get(get_type(activity) or "")
        ctx: InboxContext | None = None
        try:
            # A deleted actor must not need a fetch.
            actor = sender or await self.resolver.cached(actor_id)
            actor = actor or await self.resolver.get(actor_id)
            ctx = InboxContext(activity, actor, self.db, self.resolver, now, batch=batch)
            if handler:
                await handler(ctx)
            if not ctx.committed:
                unmarked.append((activity_id, now))
        except Exception as exc:  # persisted for retry and shown to admins
            if ctx is not None and ctx.committed:
                log.exception("handler of %s failed after committing", activity_id)
                return
            await self._record_failure(activity_id, attempts, exc, now)

    async def _record_failure(
        self, activity_id: str, attempts: int, exc: Exception, now: datetime
    ) -> None:
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
        final = attempts + 1 >= MAX_PROCESS_ATTEMPTS
        log.warning("processing %s failed (attempt %d): %s", activity_id, attempts + 1, reason)
        delay = timedelta(seconds=min(30 * 2**attempts, 6 * 3600))
        async with self.db.transaction(quiet=True, direct=True) as conn:
            await queue_store.finish_inbox_activity(
                conn, activity_id, "failed" if final else "pending", reason[:500], now + delay
            )


ArrivalRow = tuple[str, str, str, str]  # id, actor, type, body


class Arrivals:
    """Stores verified activities with group commit: the requests that arrive while one
    transaction is written wait for the next, and it stores them all at once. Under load the
    inbox takes the writing lock once per group rather than once per request, so processing
    gets its turns, and each request costs no commit of its own. A request still answers
    only after its row is committed."""

    MAX_GROUP = 200

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._waiting: list[tuple[ArrivalRow, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, row: ArrivalRow) -> bool:
        """Store one activity; tell whether it was new (a replay is not)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await done

    async def _write(self) -> None:
        while self._waiting:
            group = self._waiting[: self.MAX_GROUP]
            del self._waiting[: self.MAX_GROUP]
            try:
                new = await self._commit([row for row, _ in group])
            except BaseException as exc:
                for _, done in group:
                    if not done.done():
                        done.set_exception(exc if isinstance(exc, Exception) else RuntimeError())
                if not isinstance(exc, Exception):
                    raise
                continue
            for row, done in group:
                if not done.done():
                    done.set_result(row[0] in new)
                new.discard(row[0])  # a second copy in the same group is a replay

    async def _commit(self, rows: list[ArrivalRow]) -> set[str]:
        hosts = {canonical_host(actor) for _, actor, _, _ in rows}
        async with self.db.transaction(quiet=True, direct=True) as conn:
            new = await queue_store.insert_inbox_activities(conn, rows, self.clock())
            await queue_store.clear_hosts_failures(conn, hosts)
        return new


def _first_valid(owner: KeyOwner, check: Callable[[RemoteKey], str | None]) -> str | None:
    """None if one of the keys the key id stands for verifies; else the last reason."""
    reason = "the actor publishes no key"
    for key in owner.keys:
        failed = check(key)
        if failed is None:
            return None
        reason = failed
    return reason


def _check_shape(activity: Json) -> str | None:
    if not isinstance(activity.get("id"), str) or not activity["id"]:
        return "activity has no id"
    if get_type(activity) is None:
        return "activity has no type"
    if not get_id(activity.get("actor")):
        return "activity has no actor"
    embedded = activity.get("object")
    for where in (activity, embedded if isinstance(embedded, dict) else {}):
        for name in ("to", "cc", "bto", "bcc", "audience", "tag", "attributedTo"):
            value = where.get(name)
            if isinstance(value, list) and len(value) > MAX_LIST:
                return f"too many entries in {name}"
    return None


def _embedded(activity: Json) -> list[Json]:
    """The object, and the object of an embedded activity (a group's Announce{Create{Page}})."""
    objects: list[Json] = []
    obj = activity.get("object")
    while isinstance(obj, dict) and len(objects) < 2:
        objects.append(obj)
        obj = obj.get("object")
    return objects


def _object_hosts(activity: Json) -> set[str]:
    """Hosts of the object and its author, which a block must cover too (rule 5)."""
    ids = [get_id(activity.get("object"))]
    for obj in _embedded(activity):
        ids += [get_id(obj.get("object")), get_id(obj.get("actor"))]
        ids += [get_id(author) for author in as_list(obj.get("attributedTo"))]
    hosts = set()
    for ident in ids:
        if ident and "://" in ident:
            try:
                hosts.add(canonical_host(ident))
            except HostError:
                continue
    return hosts


def _involved_actors(activity: Json) -> set[str]:
    """The activity's actor and the authors of its objects, which an account block covers."""
    ids = {get_id(activity.get("actor"))}
    for obj in _embedded(activity):
        ids.add(get_id(obj.get("actor")))
        ids.update(get_id(author) for author in as_list(obj.get("attributedTo")))
    return {ident for ident in ids if ident}


def _is_self_delete(activity: Json) -> bool:
    return get_type(activity) == "Delete" and get_id(activity.get("object")) == get_id(
        activity.get("actor")
    )
