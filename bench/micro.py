"""Benchmarks: what the board's hot paths cost, as ratios against a baseline measured in the
same run (the machines are shared and noisy; single figures vary by about 15 %).

Run with `python -m bench micro`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from federation import delivery, httpsig
from federation import store as fedstore
from federation.database import MIGRATION_DIR, Database, to_db_time
from federation.keys import generate_private_key

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The median of several runs, in seconds (robust against a noisy neighbour)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_inbox_verification(n: int = 2000) -> tuple[float, float]:
    """Parse and verify a signed POST (all checks) against a bare RSA verify of the same bytes."""
    key = generate_private_key()
    body = b'{"type": "Follow", "id": "https://m.example/1", "actor": "https://m.example/u"}'
    url = "https://board.example/users/nordstadt/inbox"
    headers = httpsig.sign_request(
        "POST", url, body, "https://m.example/u#main-key", key, NOW,
        {"Content-Type": "application/activity+json"},
    )  # fmt: skip
    public = key.public_key()
    message = b"x" * 200
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())

    def ours() -> None:
        for _ in range(n):
            parsed = httpsig.parse_signature("POST", "/users/nordstadt/inbox", headers)
            assert not isinstance(parsed, httpsig.SignatureError)
            result = httpsig.verify_signature(
                parsed, public, body, NOW, expected_host="board.example"
            )
            assert result.ok, result.reason

    def baseline() -> None:
        for _ in range(n):
            public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())

    return best_of(5, ours), best_of(5, baseline)


def bench_fanout_enqueue(followers: int = 2000) -> tuple[float, float]:
    """Queue one Create for many followers (one transaction) against a bare sqlite3 insert."""

    async def ours(path: Path) -> float:
        db = Database(path)
        await db.connect()
        await db.migrate([("federation", MIGRATION_DIR)])
        async with db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO followers (local_actor, actor_id, follow_id, inbox, shared_inbox, "
                "state, created) VALUES ('a', ?, ?, ?, NULL, 'accepted', ?)",
                [
                    (f"https://h{i}.example/u", f"f{i}", f"https://h{i}.example/inbox", "t")
                    for i in range(followers)
                ],
            )
        started = time.perf_counter()
        activity = {"id": "https://b.example/1", "type": "Create", "actor": "a", "object": "o"}
        async with db.transaction() as conn:
            count = await delivery.enqueue_to_followers(conn, activity, "a", NOW)
        elapsed = time.perf_counter() - started
        assert count == followers
        await db.close()
        return elapsed

    def baseline(path: Path) -> float:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE d (activity TEXT, inbox TEXT, host TEXT, state TEXT, at TEXT)")
        rows = [
            ("x", f"https://h{i}.example/inbox", f"h{i}.example", "pending", to_db_time(NOW))
            for i in range(followers)
        ]
        started = time.perf_counter()
        with conn:
            conn.executemany("INSERT INTO d VALUES (?, ?, ?, ?, ?)", rows)
        elapsed = time.perf_counter() - started
        conn.close()
        return elapsed

    mine, base = [], []
    for _ in range(5):
        with tempfile.TemporaryDirectory() as tmp:
            mine.append(asyncio.run(ours(Path(tmp) / "a.sqlite3")))
            base.append(baseline(Path(tmp) / "b.sqlite3"))
    return statistics.median(mine), statistics.median(base)


def bench_board_page_counts(notices: int = 1000, calls: int = 200) -> tuple[float, float]:
    """The board's page with likes, boosts and replies counted for its 21 notices, against the
    same page's notice query alone. The database holds 1,000 notices with 20 likes or boosts
    and 5 replies each (busy for a neighbourhood board)."""
    from noticeboard.notices import store
    from noticeboard.participation import store as store_participation
    from noticeboard.state import MIGRATIONS

    async def run(path: Path) -> tuple[float, float]:
        db = Database(path)
        await db.connect()
        await db.migrate(MIGRATIONS)
        await _fill_board(db, notices)

        async def page(counted: bool) -> None:
            rows = await store.list_notices(db, before=None, limit=21, now=NOW)
            if counted:
                ids = [r["id"] for r in rows]
                hidden = await fedstore.blocked_actor_ids(db)
                await store_participation.count_reactions(db, ids, hidden)
                await store_participation.count_replies(db, ids, hidden)

        timings = []
        for counted in (True, False):
            started = time.perf_counter()
            for _ in range(calls):
                await page(counted)
            timings.append(time.perf_counter() - started)
        await db.close()
        return timings[0], timings[1]

    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(run(Path(tmp) / "board.sqlite3"))


async def _fill_board(db: Database, notices: int) -> None:
    stamp = to_db_time(NOW)
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO notices (id, title, body_md, body_html, published) "
            "VALUES (?, ?, '', '', ?)",
            [(i, f"Aushang {i}", stamp) for i in range(1, notices + 1)],
        )
        await conn.executemany(
            "INSERT INTO reactions (activity_id, notice_id, actor, type, created) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (f"https://m.example/a/{i}", 1 + i % notices, f"https://m.example/u/{i}",
                 "Like" if i % 3 else "Announce", stamp)
                for i in range(20 * notices)
            ],
        )  # fmt: skip
        await conn.executemany(
            "INSERT INTO remote_posts (id, actor, type, content_html, received, notice_id, role, "
            "state) VALUES (?, ?, 'Note', '<p>Danke!</p>', ?, ?, 'reply', 'shown')",
            [
                (f"https://m.example/n/{i}", f"https://m.example/u/{i}", stamp, 1 + i % notices)
                for i in range(5 * notices)
            ],
        )


def bench_healthz_during_sign_ins(signins: int = 8, rounds: int = 5) -> tuple[float, float]:
    """The slowest /healthz while `signins` sign-ins are checked at once (each an scrypt hash),
    against the slowest on an idle board: the hashes run in worker threads, so the event loop
    stays free (with the hashes on the loop, the slowest check waited for all eight: about a
    second where it now waits tens of milliseconds)."""
    import re
    from datetime import timedelta

    import httpx

    from noticeboard.app import create_app
    from noticeboard.config import load_config
    from noticeboard.state import initialise

    root = Path(__file__).resolve().parents[1]
    now = [NOW]

    def clock() -> datetime:
        return now[0]

    async def healthz(client: httpx.AsyncClient) -> float:
        started = time.perf_counter()
        response = await client.get("/healthz")
        assert response.status_code == 200
        return time.perf_counter() - started

    async def signed_form(client: httpx.AsyncClient, name: str) -> dict[str, str]:
        page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        return {"csrf_token": token.group(1), "username": name, "password": "not-the-one"}

    async def sign_in(client: httpx.AsyncClient, form: dict[str, str]) -> None:
        response = await client.post("/login", data=form)
        assert response.status_code == 400, response.status_code

    async def run(data_dir: Path) -> tuple[float, float]:
        environ = {"AUSHANG_BASE_URL": "http://bench.example", "AUSHANG_DATA_DIR": str(data_dir)}
        config = load_config(root / "instances" / "nordstadt.toml", environ=environ)
        await initialise(config, "bench-Passw0rd!", clock, admin="admin")
        app = create_app(config, clock=clock, workers=False)
        busy, idle = [], []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app)

            def client() -> httpx.AsyncClient:
                return httpx.AsyncClient(transport=transport, base_url=config.base_url)

            probe = client()
            for round_ in range(rounds):
                idle.append(max([await healthz(probe) for _ in range(5)]))
                clients = [client() for _ in range(signins)]
                forms = [await signed_form(c, f"nobody{round_}-{i}") for i, c in enumerate(clients)]
                tasks = [
                    asyncio.create_task(sign_in(c, f)) for c, f in zip(clients, forms, strict=True)
                ]
                await asyncio.sleep(0)  # the sign-ins are under way
                probes = []
                while not all(t.done() for t in tasks):
                    probes.append(await healthz(probe))
                await asyncio.gather(*tasks)
                busy.append(max(probes))  # the longest a health check waited
                now[0] += timedelta(minutes=6)  # past the limit per address
        return statistics.median(busy), statistics.median(idle)

    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(run(Path(tmp)))


def main() -> None:
    """Single operations against a bare equivalent (microseconds)."""
    print("benchmark                                   ours        baseline    ratio")
    rows = [
        ("signed inbox POST: parse + all checks", *bench_inbox_verification(), 2000),
        ("fan-out: queue a Create for 2,000 followers", *bench_fanout_enqueue(), 1),
        ("board page: notices + likes/boosts/replies", *bench_board_page_counts(), 200),
        ("/healthz during 8 sign-ins vs idle board", *bench_healthz_during_sign_ins(), 1),
    ]
    for name, ours, base, per in rows:
        print(
            f"{name:<42} {ours / per * 1e6:9.1f} µs {base / per * 1e6:9.1f} µs {ours / base:6.2f}×"
        )


if __name__ == "__main__":
    main()
