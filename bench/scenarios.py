"""The end-to-end scenarios: a real `aushang serve` and the bare baseline under the same load,
interleaved, each figure the median of the repetitions."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from bench import load, seed
from bench.figures import Figure
from bench.servers import HOST, Process, compile_sources, start_bare, start_board, wait_for_page

BOARD_PORT = 18731
BARE_PORT = 18732
KEY_PORT = 18733
FIRST_SINK = 18800
SINKS = 200
FOLLOWERS_PER_SINK = 10
# Home pages asked for per second while a notice goes out, on 10 connections, the same for
# the board and the baseline. A fixed rate, not a closed loop: with connections that ask again
# as soon as they are answered, the faster page server serves more pages meanwhile and so
# takes more of its process from the fan-out; the comparison would measure page speed.
# 200 pages a second is far more than a neighbourhood board's readers ask for.
PAGE_RATE = 200
BASE_URL = f"http://{HOST}:{BOARD_PORT}"
ACTOR = f"{BASE_URL}/users/{seed.USERNAME}"
PASSWORD = "bench-Passw0rd!"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AP = {"Accept": "application/activity+json"}
PER_ADDRESS = 250  # inbox requests per source address (the board allows 300 a minute)


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]
    seconds: float  # per load run
    repetitions: int
    fanout_repetitions: int
    inbox_seconds: float
    fanout_limit: float  # seconds a fan-out may take before it counts as stalled


QUICK = Plan(sizes=(1_000, 100_000), seconds=1, repetitions=2, fanout_repetitions=1,
             inbox_seconds=2, fanout_limit=30)  # fmt: skip
FULL = Plan(sizes=(1_000, 10_000, 100_000), seconds=4, repetitions=3, fanout_repetitions=3,
            inbox_seconds=5, fanout_limit=120)  # fmt: skip


@dataclass
class Pair:
    """The board's and the bare baseline's samples of one figure."""

    board: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)

    def medians(self) -> tuple[float, float | None]:
        return _median(self.board), (_median(self.bare) if self.bare else None)


def _median(values: list[float]) -> float:
    """The median of the figures measured (a run without answers has none)."""
    measured = [v for v in values if not math.isnan(v)]
    return statistics.median(measured) if measured else math.nan


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Run:
    def __init__(self, plan: Plan, work: Path, cache: Path, use_wrk: bool = True) -> None:
        self.plan, self.work, self.cache, self.use_wrk = plan, work, cache, use_wrk
        self.figures: list[Figure] = []
        self.peers: Process | None = None
        self.signers: dict[str, rsa.RSAPrivateKey] = {}
        self.outbox_p50: dict[tuple[int, int], Pair] = {}

    # -- helpers -------------------------------------------------------------------------

    def add(self, scenario: str, metric: str, pair: Pair, target: str = "",
            check: Callable[[float, float | None], bool] | None = None) -> None:  # fmt: skip
        board, bare = pair.medians()
        ratio = board / bare if bare and not math.isnan(board) else None
        passed = (not math.isnan(board) and check(board, ratio)) if check else None
        self.figures.append(Figure(scenario, metric, board, bare, ratio, target, passed))
        shown = "-" if bare is None else f"{bare:.3g}"
        say(f"  {scenario} {metric}: board {board:.3g}, bare {shown}")

    def config(self, data: Path) -> Path:
        allow = [f"{HOST}:{KEY_PORT}"]
        allow += [f"{HOST}:{p}" for p in range(FIRST_SINK, FIRST_SINK + SINKS)]
        return seed.write_config(data.parent / "board.toml", BASE_URL, data, allow)

    def prepare(self, size: int) -> tuple[Path, Path]:
        """A fresh copy of the seeded board of this size, and its configuration."""
        say(f"seeding or reusing the board with {size:,} notices")
        source = seed.seeded_board(size, BASE_URL, self.cache)
        data = seed.copy_board(source, self.work / f"board-{size}" / "data")
        return data, self.config(data)

    def get(
        self, port: int, path: str, connections: int, headers: dict[str, str] | None = None
    ) -> load.LoadResult:
        """One load run; a run in which not every connection got an answer is repeated once,
        longer. The server then finishes what the load generator left behind."""
        seconds = self.plan.seconds
        result = load.get_load(HOST, port, path, connections, seconds, headers, self.use_wrk)
        if result.requests < connections:
            seconds = max(5.0, 4 * seconds)
            say(f"  {path} on {port}: {result.requests} answers; again for {seconds:.0f} s")
            settle(port)
            result = load.get_load(HOST, port, path, connections, seconds, headers, self.use_wrk)
        settle(port)
        if result.errors:
            say(f"  {path} on {port}: {result.errors} failed requests")
        return result

    # -- scenarios ------------------------------------------------------------------------

    def run(self) -> list[Figure]:
        compile_sources()
        self.start_peers()
        try:
            self.startup()
            for size in self.plan.sizes:
                self.size(size)
            self.outbox_growth()
        finally:
            if self.peers:
                self.peers.stop()
        return self.figures

    def outbox_growth(self) -> None:
        """How much slower the outbox's first page is on the largest board than on the
        smallest: keyset paging keeps it flat."""
        small, large = min(self.plan.sizes), max(self.plan.sizes)
        for connections in (1, 50):
            low, high = self.outbox_p50[(small, connections)], self.outbox_p50[(large, connections)]
            growth = Pair(
                [_median(high.board) / _median(low.board)],
                [_median(high.bare) / _median(low.bare)],
            )
            self.add(
                f"outbox first page {large // 1000}k ÷ {small // 1000}k c{connections}",
                "×", growth, "≤ 2×", lambda b, r: b <= 2,
            )  # fmt: skip

    def start_peers(self) -> None:
        from federation.keys import generate_private_key, private_key_to_pem, public_key_to_pem

        keys = {f"a{i}": generate_private_key() for i in range(10)}
        self.signers = keys
        (self.work / "actors.json").write_text(
            json.dumps({name: public_key_to_pem(k.public_key()) for name, k in keys.items()})
        )
        self.fanout_key = self.work / "fanout-key.pem"
        self.fanout_key.write_text(private_key_to_pem(generate_private_key()))
        command = [sys.executable, "-m", "bench.peers", str(self.work / "actors.json"),
                   str(KEY_PORT), str(FIRST_SINK), str(SINKS)]  # fmt: skip
        self.peers = Process("peers", command, self.work, cwd=seed.ROOT)
        wait_for_page(KEY_PORT, "/count", proc=self.peers)

    def startup(self) -> None:
        """Spawn → first 200 on the home page, for the board and the bare app."""
        say("start-up")
        data, config = self.prepare(self.plan.sizes[0])
        pair = Pair()
        # A restart is measured: one start first fills the board's cache of compiled
        # templates and catalogues (and the system's file cache), as any earlier start has.
        for rep in range(self.plan.repetitions + 1):
            board = start_board(config, BOARD_PORT, self.work)
            try:
                took = wait_for_page(BOARD_PORT, proc=board)
            finally:
                board.stop()
            bare = start_bare(data / seed.DB_NAME, BARE_PORT, BASE_URL, self.key_server, self.work)
            try:
                took_bare = wait_for_page(BARE_PORT, proc=bare)
            finally:
                bare.stop()
            if rep:
                pair.board.append(took)
                pair.bare.append(took_bare)
        self.add("start-up to first page", "s", pair, "< 0.6 s", lambda b, r: b < 0.6)

    @property
    def key_server(self) -> str:
        return f"http://{HOST}:{KEY_PORT}"

    def size(self, size: int) -> None:
        data, config = self.prepare(size)
        first = size == self.plan.sizes[0]
        if first:
            add_followers(data / seed.DB_NAME)
        board = start_board(config, BOARD_PORT, self.work)
        bare = start_bare(data / seed.DB_NAME, BARE_PORT, BASE_URL, self.key_server, self.work)
        try:
            wait_for_page(BOARD_PORT, proc=board)
            wait_for_page(BARE_PORT, proc=bare)
            self.bare_process = bare
            self.warm_up(size)
            if first:
                self.add("RSS idle", "MB", Pair([board.memory()], [bare.memory()]),
                         "≤ 80 MB", lambda b, r: b <= 80)  # fmt: skip
            self.pages(size)
            if first:
                self.inbox(board, data / seed.DB_NAME)
                self.fanout(board, bare)
        finally:
            board.stop()
            bare.stop()

    def warm_up(self, size: int) -> None:
        outbox = f"/users/{seed.USERNAME}/outbox"
        paths = ["/", f"/notices/{size // 2}", "/search?q=Nachbarschaft", outbox]
        paths.append(outbox + "?page=true")
        for port in (BOARD_PORT, BARE_PORT):
            for path in paths:
                for _ in range(5):
                    request = urllib.request.Request(
                        f"http://{HOST}:{port}{path}", headers=AP if "outbox" in path else {}
                    )
                    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                        if answer.status != 200:
                            raise RuntimeError(f"{path} answered {answer.status} on {port}")

    def measure(
        self, path: str, connections: int, headers: dict[str, str] | None = None
    ) -> tuple[Pair, Pair, Pair]:
        """req/s, p50 and p99 (ms) for board and bare, interleaved. A server that answered
        nothing even in the longer run is not asked again (it fails its target anyway)."""
        rate, p50, p99 = Pair(), Pair(), Pair()
        silent: set[str] = set()
        for _ in range(self.plan.repetitions):
            for port, side in ((BOARD_PORT, "board"), (BARE_PORT, "bare")):
                if side in silent:
                    continue
                result = self.get(port, path, connections, headers)
                if result.requests == 0:
                    silent.add(side)
                getattr(rate, side).append(result.rate)
                getattr(p50, side).append(result.p50_ms)
                getattr(p99, side).append(result.p99_ms)
        return rate, p50, p99

    def pages(self, size: int) -> None:
        label = f"{size // 1000}k"
        say(f"pages at {label}")
        rate, p50, p99 = self.measure("/", 50)
        if size == 1_000:
            self.add(
                f"home {label} c50", "req/s", rate, "≥ 0.5× bare", lambda b, r: (r or 0) >= 0.5
            )
        else:
            self.add(f"home {label} c50", "req/s", rate)
        self.add(f"home {label} c50", "p50 ms", p50)
        if size == 100_000:
            self.add(f"home {label} c50", "p99 ms", p99, "< 100 ms", lambda b, r: b < 100)
        else:
            self.add(f"home {label} c50", "p99 ms", p99)
        if size == 1_000:
            rate, p50, p99 = self.measure(f"/notices/{size // 2}", 50)
            self.add("notice page c50", "req/s", rate, "≥ 0.6× bare", lambda b, r: (r or 0) >= 0.6)
        outbox = f"/users/{seed.USERNAME}/outbox"
        for connections in (1, 50):
            _, p50, _ = self.measure(outbox + "?page=true", connections, AP)
            self.add(f"outbox first page {label} c{connections}", "p50 ms", p50)
            self.outbox_p50[(size, connections)] = p50
        rate, p50, _ = self.measure(outbox, 50, AP)
        self.add(f"outbox collection {label} c50", "req/s", rate)
        self.add(f"outbox collection {label} c50", "p50 ms", p50)
        if size == max(self.plan.sizes):
            rate, p50, p99 = self.measure("/search?q=Nachbarschaft", 10)
            self.add(f"search {label} (60 % match) c10", "req/s", rate)
            self.add(f"search {label} (60 % match) c10", "p50 ms", p50)
            self.add(
                f"search {label} (60 % match) c10", "p99 ms", p99, "< 50 ms", lambda b, r: b < 50
            )

    # -- signed inbox -------------------------------------------------------------------------

    def signed_requests(self, port: int, count: int) -> list[bytes]:
        """`count` signed Create{Note} replies to the board's notices, each sent once."""
        from federation import httpsig

        now = datetime.now(UTC)
        path = f"/users/{seed.USERNAME}/inbox"
        url = f"http://{HOST}:{port}{path}"
        names = list(self.signers)

        def one(number: int) -> bytes:
            name = names[number % len(names)]
            actor = f"{self.key_server}/users/{name}"
            note = f"{actor}/statuses/{uuid.uuid4().hex}"
            body = json.dumps(
                {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note}/activity",
                 "type": "Create", "actor": actor, "to": [PUBLIC], "cc": [ACTOR],
                 "object": {"id": note, "type": "Note", "attributedTo": actor, "to": [PUBLIC],
                            "cc": [ACTOR], "content": "<p>Danke, wir kommen gern!</p>",
                            "inReplyTo": f"{BASE_URL}/notices/{1 + number % 100}",
                            "published": now.strftime("%Y-%m-%dT%H:%M:%SZ")}}
            ).encode()  # fmt: skip
            headers = httpsig.sign_request(
                "POST", url, body, f"{actor}#main-key", self.signers[name], now,
                {"Content-Type": "application/activity+json"},
            )  # fmt: skip
            return load.post_request(f"{HOST}:{port}", path, headers, body)

        # OpenSSL releases the GIL while signing: two threads use both cores.
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(one, range(count), chunksize=256))

    def inbox(self, board: Process, db: Path) -> None:
        say("signed inbox")
        expected = int(3000 * self.plan.inbox_seconds)  # more than the bare app takes here
        rate, cpu, backlog = Pair(), Pair(), Pair()
        for port in (BOARD_PORT, BARE_PORT):  # fetch the keys once before measuring
            warm = iter(self.signed_requests(port, 20))
            result = asyncio.run(load.pyload(HOST, port, warm, 2, per_address=PER_ADDRESS))
            if result.statuses.get(202) != 20:
                raise RuntimeError(f"inbox warm-up on {port}: {result.statuses}")
        wait_processed(db, 10.0)
        bare = self.bare_process
        for _ in range(self.plan.repetitions):
            for port, side, process in ((BOARD_PORT, "board", board), (BARE_PORT, "bare", bare)):
                requests = iter(self.signed_requests(port, expected))
                cpu_before = process.cpu_seconds() if process else 0.0
                result = asyncio.run(
                    load.pyload(
                        HOST, port, requests, 10, self.plan.inbox_seconds, per_address=PER_ADDRESS
                    )
                )
                accepted = result.statuses.get(202, 0)
                if accepted < result.requests:
                    raise RuntimeError(f"inbox on {port} refused some: {result.statuses}")
                if side == "board":
                    backlog.board.append(wait_processed(db, 60.0))
                getattr(rate, side).append(accepted / result.seconds)
                if process is not None:
                    getattr(cpu, side).append((process.cpu_seconds() - cpu_before) / accepted * 1e6)
        self.add(
            "inbox signed Create c10",
            "accepted/s",
            rate,
            "≥ 0.5× bare",
            lambda b, r: (r or 0) >= 0.5,
        )
        if cpu.bare:
            self.add("inbox signed Create c10", "CPU µs/activity", cpu)
        self.add("inbox backlog after load", "s", backlog, "≤ 1 s", lambda b, r: b <= 1.0)

    bare_process: Process | None = None

    # -- fan-out ------------------------------------------------------------------------

    def fanout(self, board: Process, bare: Process) -> None:
        say("fan-out to 2,000 followers on 200 servers")
        client = httpx.Client(base_url=BASE_URL, timeout=60)
        login(client)
        inboxes = [inbox for _, inbox in followers()]
        inbox_file = self.work / "inboxes.json"
        inbox_file.write_text(json.dumps(inboxes))
        seconds, p99, rss = Pair(), Pair(), Pair()
        stalled, missing = False, 0
        for number in range(self.plan.fanout_repetitions):
            if stalled:  # late deliveries would be counted in the next round
                break
            token = csrf(client.get("/staff/notices/new").text)

            def publish(token: str = token, number: int = number) -> None:
                answer = client.post(
                    "/staff/notices/new",
                    data={"csrf_token": token, "title": f"Hoffest {number}", "category": "",
                          "body": "Am Samstag feiern wir im Hof. Alle sind eingeladen!",
                          "action": "publish"},
                )  # fmt: skip
                if answer.status_code not in (200, 303):
                    raise RuntimeError(f"publishing answered {answer.status_code}")

            # The bare loop goes first: a stalled board's late deliveries would count for it.
            took, page, peak = self.bare_fanout(number, inbox_file)
            seconds.bare.append(took)
            p99.bare.append(page)
            rss.bare.append(peak)
            took, page, peak, missing = asyncio.run(self.during_fanout(BOARD_PORT, board, publish))
            seconds.board.append(took)
            p99.board.append(page)
            rss.board.append(peak)
            if missing:
                say(f"  the board's fan-out stalled: {missing} missing after {took:.0f} s")
                stalled = True
        client.close()
        target = "≥ 0.6× bare speed"
        if stalled:
            target += f" (stalled: {missing} undelivered)"
        self.add("fan-out 2,000 followers / 200 servers", "s", seconds, target,
                 lambda b, r: not stalled and r is not None and r <= 1 / 0.6)  # fmt: skip
        self.add(f"home page during fan-out {PAGE_RATE}/s", "p99 ms", p99, "< 100 ms",
                 lambda b, r: b < 100)  # fmt: skip
        self.add("RSS peak during fan-out", "MB", rss, "≤ 100 MB", lambda b, r: b <= 100)

    def bare_fanout(self, number: int, inbox_file: Path) -> tuple[float, float, float]:
        name = f"bare-fanout-{number}"
        helper = Process(
            name,
            [sys.executable, "-m", "bench.bare", "fanout", str(self.fanout_key),
             str(inbox_file), BASE_URL],
            self.work, cwd=seed.ROOT, stdin=subprocess.PIPE,
        )  # fmt: skip
        try:
            wait_line(self.work / f"{name}.log", "ready", helper)

            def go() -> None:
                assert helper.proc.stdin is not None
                helper.proc.stdin.write(b"go\n")
                helper.proc.stdin.flush()

            limit = 4 * self.plan.fanout_limit  # the baseline does not stall, it may be slow
            took, page, peak, missing = asyncio.run(
                self.during_fanout(BARE_PORT, helper, go, limit)
            )
            if missing:
                say(f"  the bare fan-out had {missing} deliveries left after {took:.0f} s")
            helper.proc.wait(timeout=limit)  # its late deliveries must not count for the board
            return took, page, peak
        finally:
            helper.stop()

    async def during_fanout(
        self,
        page_port: int,
        sender: Process,
        start: Callable[[], None],
        limit: float | None = None,
    ) -> tuple[float, float, float, int]:
        """Seconds until the sinks have all deliveries, the home page's p99 meanwhile, the
        sender's peak RSS, and how many deliveries were missing when the time was up."""
        before = sink_count()
        want = before + SINKS * FOLLOWERS_PER_SINK
        stop = asyncio.Event()
        request = load.get_request(f"{HOST}:{page_port}", "/")
        pages = asyncio.create_task(
            load.pyload(HOST, page_port, itertools.repeat(request), 10, stop=stop, rate=PAGE_RATE)
        )
        await asyncio.sleep(0.2)
        peak = sender.memory()
        started = time.perf_counter()
        await asyncio.to_thread(start)
        deadline = started + (limit or self.plan.fanout_limit)
        while (count := await asyncio.to_thread(sink_count)) < want:
            peak = max(peak, sender.memory())
            if time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.02)
        took = time.perf_counter() - started
        stop.set()
        result = await pages
        return took, result.p99_ms, peak, max(0, want - count)


def settle(port: int, limit: float = 120.0) -> None:
    """Wait until the server answers /healthz promptly again (it may still be working off
    requests a load run left behind)."""
    deadline = time.perf_counter() + limit
    prompt = 0
    url = f"http://{HOST}:{port}/healthz"
    while prompt < 2 and time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=limit) as answer:  # noqa: S310
                answer.read()
        except OSError:
            time.sleep(0.1)
            continue
        prompt = prompt + 1 if time.perf_counter() - started < 0.2 else 0


def sink_count() -> int:
    with urllib.request.urlopen(f"http://{HOST}:{KEY_PORT}/count", timeout=10) as answer:  # noqa: S310
        return int(answer.read())


def followers() -> Iterator[tuple[str, str]]:
    for port in range(FIRST_SINK, FIRST_SINK + SINKS):
        for number in range(FOLLOWERS_PER_SINK):
            actor = f"http://{HOST}:{port}/users/f{number}"
            yield actor, f"{actor}/inbox"


def add_followers(db: Path) -> None:
    """2,000 accepted followers with personal inboxes on the 200 sink servers."""
    from federation.database import to_db_time

    now = to_db_time(datetime.now(UTC))
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO followers (local_actor, actor_id, follow_id, inbox, shared_inbox, "
            "state, created) VALUES (?, ?, ?, ?, NULL, 'accepted', ?)",
            [(ACTOR, actor, f"{actor}#follow", inbox, now) for actor, inbox in followers()],
        )
    conn.close()


def wait_processed(db: Path, timeout: float) -> float:
    """Seconds until no inbox activity is pending in the board's database."""
    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        while conn.execute(
            "SELECT count(*) FROM inbox_activities WHERE state = 'pending'"
        ).fetchone()[0]:
            if time.perf_counter() - started > timeout:
                raise RuntimeError("the board's inbox backlog did not drain")
            time.sleep(0.01)
    finally:
        conn.close()
    return time.perf_counter() - started


def wait_line(log: Path, text: str, process: Process, timeout: float = 30) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.proc.poll() is not None:
            raise RuntimeError(f"{process.name} exited; see {log}")
        time.sleep(0.02)
    raise RuntimeError(f"{process.name} did not say {text!r}")


def login(client: httpx.Client) -> None:
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"csrf_token": csrf(page.text), "username": "admin", "password": PASSWORD,
              "next": "/staff"},
    )  # fmt: skip
    if answer.status_code != 303:
        raise RuntimeError(f"signing in answered {answer.status_code}")


def csrf(page: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def run(plan: Plan, cache: Path, use_wrk: bool = True, keep: bool = False) -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="aushang-bench-"))
    try:
        return Run(plan, work, cache, use_wrk).run()
    finally:
        if keep:
            say(f"logs and data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
