"""CPU time of the signed inbox, in-process: `python -m bench inbox [--count N] [--profile]`.

The board's ASGI app and the bare baseline's (`bench/bare.py`) get the same kind of load as in
the end-to-end scenario: fresh signed `Create{Note}` replies to the board's notices, from ten
actors whose keys a small key server on 127.0.0.1 serves, on 10 concurrent callers, each caller
from a fresh client address every 250 requests. No HTTP server and no load generator share the
process's CPU, so the figures are CPU milliseconds of the app alone (all threads, which counts
aiosqlite's), for receipt (verify + store, answer 202) and for processing (the handlers) apart,
and for both together with the processing loop running during the load, as in the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import pstats
import re
import socket
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from bench import bare as bare_app
from bench import peers, seed
from federation import httpsig
from federation.keys import generate_private_key, public_key_to_pem

HOST = "127.0.0.1"
BOARD_PORT = 18731  # the seeded boards' address
BASE_URL = f"http://{HOST}:{BOARD_PORT}"
PATH = f"/users/{seed.USERNAME}/inbox"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONNECTIONS = 10
VERBOSE = False  # trace and list the SQL statements (costs CPU of its own)
RESULTS: dict[str, list[float]] = {}
PER_ADDRESS = 250

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
Request = tuple[list[tuple[bytes, bytes]], bytes]


class KeyServer:
    """Ten actors and their keys, served on a port of 127.0.0.1 on the running loop."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.port = int(self.sock.getsockname()[1])
        self.base = f"http://{HOST}:{self.port}"
        self.keys: dict[str, rsa.RSAPrivateKey] = {
            f"a{i}": generate_private_key() for i in range(10)
        }

    async def start(self) -> asyncio.Server:
        documents = {
            f"/users/{name}": json.dumps(
                peers.actor_document(self.base, name, public_key_to_pem(key.public_key()))
            ).encode()
            for name, key in self.keys.items()
        }

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await peers._serve(reader, writer, documents)

        return await asyncio.start_server(handle, sock=self.sock)

    def requests(self, count: int) -> list[Request]:
        """`count` signed Create{Note} replies to the board's first 100 notices."""
        now = datetime.now(UTC)
        names = list(self.keys)
        made = []
        for number in range(count):
            name = names[number % len(names)]
            actor = f"{self.base}/users/{name}"
            note = f"{actor}/statuses/{uuid.uuid4().hex}"
            body = json.dumps(
                {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note}/activity",
                 "type": "Create", "actor": actor, "to": [PUBLIC],
                 "cc": [f"{BASE_URL}/users/{seed.USERNAME}"],
                 "object": {"id": note, "type": "Note", "attributedTo": actor, "to": [PUBLIC],
                            "cc": [f"{BASE_URL}/users/{seed.USERNAME}"],
                            "content": "<p>Danke, wir kommen gern!</p>",
                            "inReplyTo": f"{BASE_URL}/notices/{1 + number % 100}",
                            "published": now.strftime("%Y-%m-%dT%H:%M:%SZ")}}
            ).encode()  # fmt: skip
            headers = httpsig.sign_request(
                "POST", BASE_URL + PATH, body, f"{actor}#main-key", self.keys[name], now,
                {"Content-Type": "application/activity+json"},
            )  # fmt: skip
            raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            raw.append((b"content-length", str(len(body)).encode()))
            made.append((raw, body))
        return made


async def post(app: App, request: Request, client: str) -> int:
    headers, body = request
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": PATH, "raw_path": PATH.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": (client, 40000),
        "server": (HOST, BOARD_PORT), "state": {},
    }  # fmt: skip
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def load(app: App, requests: list[Request], first_address: int = 0) -> dict[int, int]:
    """POST every request once, on CONNECTIONS concurrent callers; count the statuses."""
    statuses: dict[int, int] = {}
    pending = iter(enumerate(requests))

    async def caller(number: int) -> None:
        sent = 0
        address = first_address + number * 1000
        for _, request in pending:
            if sent % PER_ADDRESS == 0:
                address += 1
            client = f"127.{1 + address // 65536 % 250}.{address // 256 % 256}.{address % 256}"
            status = await post(app, request, client)
            statuses[status] = statuses.get(status, 0) + 1
            sent += 1

    await asyncio.gather(*(caller(i) for i in range(CONNECTIONS)))
    return statuses


class Meter:
    """CPU (all threads) and wall time of one phase, optionally profiled."""

    def __init__(self, name: str, count: int, profile: bool) -> None:
        self.name, self.count = name, count
        self.profiler = cProfile.Profile() if profile else None

    def __enter__(self) -> Meter:
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        if self.profiler:
            self.profiler.enable()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.profiler:
            self.profiler.disable()
        self.cpu_ms = (time.process_time() - self.cpu) * 1000 / self.count
        self.rate = self.count / (time.perf_counter() - self.wall)
        print(f"  {self.name}: {self.cpu_ms:.3f} ms CPU each, {self.rate:,.0f}/s", flush=True)
        RESULTS.setdefault(f"{self.name}, ms CPU each", []).append(self.cpu_ms)
        RESULTS.setdefault(f"{self.name}, per s", []).append(self.rate)
        if self.profiler:
            stats = pstats.Stats(self.profiler)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(30)


async def trace(db: Any) -> list[str]:
    """Record every statement the board's database runs (lookups' `PRAGMA data_version`
    left out: it is no statement of the inbox)."""
    statements: list[str] = []

    def record(sql: str) -> None:
        if not sql.startswith("PRAGMA data_version"):
            statements.append(sql)

    await db._write.set_trace_callback(record)
    await db.trace_reads(record)
    return statements


def show_statements(statements: list[str], count: int) -> None:
    """Print how many statements of each kind one activity took, then forget them."""
    kinds: dict[str, int] = {}
    for sql in statements:
        words = sql.split()
        kind = words[0].upper() if words else "?"
        if kind == "INSERT" and len(words) > 2 and words[1].upper() == "OR":
            kind = "INSERT"
        kinds[kind] = kinds.get(kind, 0) + 1
    shown = ", ".join(f"{kind} {n / count:.2f}" for kind, n in sorted(kinds.items()))
    if not statements:
        return
    print(f"    statements per activity: {len(statements) / count:.2f} ({shown})")
    if VERBOSE:
        texts: dict[str, int] = {}
        for sql in statements:
            shape = re.sub(r"'(?:[^']|'')*'|\b\d+\b", "?", " ".join(sql.split()))
            shape = re.sub(r"\?(, \?)+", "?", shape)[:160]
            texts[shape] = texts.get(shape, 0) + 1
        for text, n in sorted(texts.items(), key=lambda item: -item[1])[:30]:
            print(f"      {n / count:5.2f} {text}")
    statements.clear()


def pending(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM inbox_activities WHERE state = 'pending'"
        ).fetchone()
    return int(count)


async def warm_board(app: Any, keys: KeyServer) -> None:
    warm = await load(app, keys.requests(20), first_address=900_000)
    assert warm == {202: 20}, warm
    while await app.state.runtime.inbox.process_due():
        pass


async def round_of_board(
    app: Any, keys: KeyServer, count: int, profile: str | None, number: int
) -> None:
    """Receipt, then processing, then both together as in the server, on the board."""
    runtime = app.state.runtime
    db_path = runtime.state.config.db_path
    statements = await trace(runtime.state.db) if VERBOSE else []
    requests = keys.requests(count)
    with Meter("board receipt", count, profile == "receipt"):
        statuses = await load(app, requests, first_address=number * 20_000)
    assert statuses == {202: count}, statuses
    show_statements(statements, count)
    with Meter("board processing", count, profile == "processing"):
        while await runtime.inbox.process_due():
            pass
    show_statements(statements, count)
    assert pending(db_path) == 0
    requests = keys.requests(count)
    loop_task = asyncio.create_task(runtime.inbox.run_forever())
    with Meter("board receipt + processing, loop running", count, profile == "together"):
        statuses = await load(app, requests, first_address=number * 20_000 + 10_000)
        stopped = time.perf_counter()
        while pending(db_path):
            await asyncio.sleep(0.005)
        RESULTS.setdefault("backlog after the load (s)", []).append(time.perf_counter() - stopped)
    loop_task.cancel()
    await asyncio.gather(loop_task, return_exceptions=True)
    assert statuses == {202: count}, statuses
    show_statements(statements, count)


async def round_of_bare(app: Any, keys: KeyServer, count: int, profile: bool) -> None:
    requests = keys.requests(count)
    with Meter("bare receipt (verify + insert + commit)", count, profile):
        statuses = await load(app, requests)
    assert statuses == {202: count}, statuses


async def main_async(args: argparse.Namespace) -> None:
    from noticeboard.app import create_app
    from noticeboard.config import load_config

    keys = KeyServer()
    server = await keys.start()
    source = seed.seeded_board(args.notices, BASE_URL, args.cache)
    with tempfile.TemporaryDirectory(prefix="aushang-inbox-") as work:
        data = seed.copy_board(source, Path(work) / "data")
        config = load_config(
            seed.write_config(Path(work) / "board.toml", BASE_URL, data, [f"{HOST}:{keys.port}"])
        )
        board = create_app(config, workers=False)
        bare = bare_app.app(
            bare_app.Bare(
                data / seed.DB_NAME, Path(work) / "bare-inbox.sqlite3", BASE_URL, keys.base
            )
        )
        print(
            f"{args.count} signed Create{{Note}} replies, {CONNECTIONS} callers, "
            f"{args.rounds} rounds"
        )
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(board.router.lifespan_context(board))
            await stack.enter_async_context(bare.router.lifespan_context(bare))
            await warm_board(board, keys)
            assert await load(bare, keys.requests(20)) == {202: 20}
            for number in range(args.rounds):
                print(f"round {number + 1}")
                await round_of_bare(bare, keys, args.count, args.profile == "bare")
                await round_of_board(board, keys, args.count, args.profile, number)
    server.close()
    print("medians:")
    for name, values in RESULTS.items():
        print(f"  {name}: {statistics.median(values):.3f}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench inbox", description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="activities per phase")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are printed")
    parser.add_argument("--notices", type=int, default=1000, help="notices on the seeded board")
    parser.add_argument("--cache", type=Path, default=seed.CACHE, help="seeded boards' folder")
    parser.add_argument(
        "--profile",
        choices=("receipt", "processing", "together", "bare"),
        help="print a cProfile of one phase",
    )
    parser.add_argument("--statements", action="store_true", help="list the SQL statements")
    args = parser.parse_args(argv)
    global VERBOSE
    VERBOSE = args.statements
    asyncio.run(main_async(args))
