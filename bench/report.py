"""Benchmark: the impact report and the network page's figures of a busy board's year.

Seeds a board with a year of activity (notices of every kind, events, shared notices, replies,
poll votes, likes and boosts, submissions, followers on many servers, partner posts, daily
snapshots) and times the report for the year and for a month, and the network page's twelve
months, through the board's own queries. Each must stay well under a second.

Run alone with `.venv/bin/python -m bench.report`; `bench_report()` answers (ours, baseline) in
seconds like the other benchmarks: the baseline is a single indexed count of one period.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from federation.database import to_db_time
from noticeboard.config import Config, load_config
from noticeboard.notices.kinds import KINDS
from noticeboard.reports import queries
from noticeboard.reports.forms import Period
from noticeboard.state import BoardState, initialise, open_state

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
MONTH = Period(date(2026, 11, 1), date(2026, 11, 30))
LIMIT = 0.5  # seconds: "well under a second" on a shared two-core machine
SIZES = {
    "notices": 6_000,
    "shared": 600,
    "replies": 30_000,
    "partner_posts": 8_000,
    "votes": 40_000,
    "reactions": 20_000,
    "submissions": 1_500,
    "followers": 4_000,
    "servers": 400,
    "partners": 40,
}


def moment(rng: random.Random) -> str:
    """A moment somewhere in 2026."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return to_db_time(start + timedelta(seconds=rng.randrange(365 * 86400)))


def seed(path: Path, actor: str) -> None:
    """A year of a busy board, written straight into its database."""
    rng = random.Random(16)
    kinds = [k.id for k in KINDS]
    partners = [f"https://p{i}.example/users/board" for i in range(SIZES["partners"])]
    with closing(sqlite3.connect(path)) as conn, conn:
        notices = []
        for i in range(SIZES["notices"] + SIZES["shared"]):
            kind = rng.choice(kinds)
            shared = i >= SIZES["notices"]
            origin = "shared" if shared else rng.choice(["staff"] * 8 + ["submission", "assisted"])
            event = moment(rng) if kind == "event" else None
            notices.append(
                (f"Aushang {i}", "Text", "<p>Text</p>", kind, moment(rng), origin, event,
                 rng.choice(partners) if shared else None,
                 f"https://p.example/notes/{i}" if shared else None)
            )  # fmt: skip
        conn.executemany(
            "INSERT INTO notices (title, body_md, body_html, kind, published, origin, event_start, "
            "origin_actor, origin_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            notices,
        )
        count = len(notices)
        conn.executemany(
            "INSERT INTO remote_posts (id, actor, type, content_html, received, role, state, "
            "notice_id, kind) VALUES (?, ?, 'Note', 'x', ?, ?, ?, ?, ?)",
            [
                (f"https://r{i % 900}.example/notes/{i}", f"https://r{i % 900}.example/u",
                 moment(rng), "reply", rng.choice(["shown", "shown", "held", "rejected"]),
                 rng.randrange(1, count), None)
                for i in range(SIZES["replies"])
            ]
            + [
                (f"https://p.example/posts/{i}", rng.choice(partners), moment(rng), "network",
                 "shown", None, rng.choice(kinds))
                for i in range(SIZES["partner_posts"])
            ],
        )  # fmt: skip
        conn.executemany(
            "INSERT OR IGNORE INTO poll_votes (notice_id, position, voter, created) "
            "VALUES (?, ?, ?, ?)",
            [
                (rng.randrange(1, count), rng.randrange(3), f"web:{i}", moment(rng))
                for i in range(SIZES["votes"])
            ],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO reactions (activity_id, notice_id, actor, type, created) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (f"https://x.example/a/{i}", rng.randrange(1, count),
                 rng.choice(partners + [f"https://f{i}.example/u"]),
                 rng.choice(["Like", "Announce"]), moment(rng))
                for i in range(SIZES["reactions"])
            ],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO submissions (kind, title, body_md, created) VALUES (?, 'T', 'Text', ?)",
            [(rng.choice(kinds), moment(rng)) for _ in range(SIZES["submissions"])],
        )
        servers = SIZES["servers"]
        conn.executemany(
            "INSERT INTO remote_actors (id, host, type, inbox, document, fetched_at) "
            "VALUES (?, ?, 'Person', ?, '{}', ?)",
            [
                (f"https://s{i % servers}.example/users/{i}", f"s{i % servers}.example",
                 f"https://s{i % servers}.example/inbox", moment(rng))
                for i in range(SIZES["followers"])
            ],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO followers (local_actor, actor_id, follow_id, inbox, state, created) "
            "VALUES (?, ?, ?, ?, 'accepted', ?)",
            [
                (actor, f"https://s{i % servers}.example/users/{i}", f"f{i}",
                 f"https://s{i % servers}.example/inbox", moment(rng))
                for i in range(SIZES["followers"])
            ],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO following (local_actor, actor_id, follow_id, state, created, updated) "
            "VALUES (?, ?, ?, 'accepted', ?, ?)",
            [(actor, p, f"follow-{p}", moment(rng), moment(rng)) for p in partners],
        )
        days = [date(2026, 1, 1) + timedelta(days=d) for d in range(365)]
        conn.executemany(
            "INSERT INTO daily_figures (figure, day, value) VALUES (?, ?, ?)",
            [
                (figure, day.isoformat(), n * 10 + index)
                for index, day in enumerate(days)
                for n, figure in enumerate(queries.STANDING)
            ],
        )
        conn.execute("ANALYZE")


def timed(runs: int, work: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[float]]:
    async def median() -> float:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            await work()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    return median


async def measure(config: Config) -> dict[str, float]:
    await initialise(config, "bench-Passw0rd!", lambda: NOW, admin="admin")
    state: BoardState = await open_state(config, clock=lambda: NOW)
    try:
        seed(config.db_path, state.urls.actor)
        year = await queries.impact_report(state, YEAR)
        assert (year.figures["notices"]["total"] or 0) > 1000, year.figures
        start, end = YEAR.bounds(config.timezone)

        async def baseline() -> object:
            return await state.db.fetchone(
                "SELECT count(*) FROM notices WHERE published >= ? AND published < ?",
                (to_db_time(start), to_db_time(end)),
            )

        return {
            "year": await timed(7, lambda: queries.impact_report(state, YEAR))(),
            "month": await timed(7, lambda: queries.impact_report(state, MONTH))(),
            "network": await timed(7, lambda: queries.network_figures(state))(),
            "baseline": await timed(7, baseline)(),
        }
    finally:
        await state.close()


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="aushang-bench-report-") as tmp:
        environ = {"AUSHANG_BASE_URL": "http://bench.example", "AUSHANG_DATA_DIR": tmp}
        config = load_config(ROOT / "instances" / "nordstadt.toml", environ=environ)
        return asyncio.run(measure(config))


def bench_report() -> tuple[float, float]:
    """The year's report against one indexed count of the same period, in seconds."""
    found = run()
    return found["year"], found["baseline"]


def main() -> int:
    found = run()
    sizes = ", ".join(f"{n:,} {name}" for name, n in SIZES.items())
    print(f"a busy board's year: {sizes}")
    for name, label in (
        ("year", "impact report, a year"),
        ("month", "impact report, a month"),
        ("network", "network page, 12 months"),
        ("baseline", "baseline: one indexed count"),
    ):
        print(f"{label:<32} {found[name] * 1000:8.1f} ms")
    slow = [name for name in ("year", "month", "network") if found[name] >= LIMIT]
    if slow:
        print(f"too slow (limit {LIMIT * 1000:.0f} ms): {', '.join(slow)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
