"""The benchmark harness must not rot: a seeded board serves its pages, outbox and search the
way a board whose notices were published one by one does, and the bare baseline serves the
same database."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from bench import bare, figures, load, seed
from noticeboard.app import create_app
from noticeboard.config import load_config

BASE_URL = "http://127.0.0.1:18799"
COUNT = 20
AP = {"Accept": "application/activity+json"}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded board for the module (seeding runs `aushang init` and `aushang post`)."""
    folder = tmp_path_factory.mktemp("bench-cache")
    seed.seeded_board(COUNT, BASE_URL, folder)
    return folder


def test_a_seeded_board_serves_home_page_notice_outbox_and_search(
    cache: Path, tmp_path: Path
) -> None:
    data = seed.copy_board(seed.seeded_board(COUNT, BASE_URL, cache), tmp_path / "data")
    db = data / seed.DB_NAME
    with sqlite3.connect(db) as conn:
        matching = conn.execute(
            "SELECT count(*) FROM notices WHERE body_md LIKE ?", (f"%{seed.SEARCH_WORD}%",)
        ).fetchone()[0]
    newest_title, _ = seed.notice_text(COUNT)
    config = load_config(seed.write_config(tmp_path / "board.toml", BASE_URL, data))

    async def visit() -> None:
        app = create_app(config, workers=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                home = await client.get("/")
                assert home.status_code == 200
                assert newest_title in home.text
                assert set(re.findall(r"/notices/(\d+)", home.text)) == {
                    str(n) for n in range(1, COUNT + 1)
                }
                notice = await client.get("/notices/7")
                assert notice.status_code == 200
                assert seed.notice_text(7)[0] in notice.text
                outbox = (await client.get("/users/bench/outbox", headers=AP)).json()
                assert outbox["totalItems"] == COUNT
                page = (await client.get(outbox["first"], headers=AP)).json()
                items = page["orderedItems"]
                assert len(items) == COUNT
                assert items[0]["id"] == f"{BASE_URL}/notices/{COUNT}/activity"
                assert items[0]["object"]["noticeTitle"] == newest_title
                assert items[0]["object"]["published"] > items[-1]["object"]["published"]
                found = await client.get("/search", params={"q": seed.SEARCH_WORD})
                assert found.status_code == 200
                assert len(set(re.findall(r"/notices/(\d+)", found.text))) == matching > 0

    asyncio.run(visit())


def test_the_bare_baseline_serves_the_same_database(cache: Path, tmp_path: Path) -> None:
    data = seed.copy_board(seed.seeded_board(COUNT, BASE_URL, cache), tmp_path / "data")
    baseline = bare.Bare(data / seed.DB_NAME, tmp_path / "inbox.sqlite3", BASE_URL, "")

    async def visit() -> None:
        app = bare.app(baseline)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                home = await client.get("/")
                assert seed.notice_text(COUNT)[0] in home.text
                outbox = (await client.get("/users/bench/outbox")).json()
                assert outbox["totalItems"] == COUNT
                page = (await client.get("/users/bench/outbox?page=true")).json()
                assert len(page["orderedItems"]) == COUNT

    asyncio.run(visit())


def test_two_runs_compare_figure_by_figure(tmp_path: Path) -> None:
    old = [figures.Figure("home 1k c50", "req/s", 100.0, 200.0, 0.5, "≥ 0.5× bare", True)]
    new = [figures.Figure("home 1k c50", "req/s", 150.0, 200.0, 0.75, "≥ 0.5× bare", True)]
    figures.write_json(tmp_path / "a.json", old, "quick", "wrk")
    figures.write_json(tmp_path / "b.json", new, "quick", "wrk")
    assert json.loads((tmp_path / "a.json").read_text())["figures"][0]["board"] == 100.0
    table = figures.compare(tmp_path / "a.json", tmp_path / "b.json")
    assert "+50 %" in table
    assert "better" in table


def test_the_inbox_benchmark_stores_and_processes_every_activity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import inbox

    inbox.RESULTS.clear()
    inbox.main(["--count", "30", "--rounds", "1", "--notices", "5", "--cache", str(tmp_path)])

    printed = capsys.readouterr().out
    for phase in ("bare receipt", "board receipt", "board processing", "loop running"):
        assert re.search(rf"{phase}.*: \d+\.\d+ ms CPU each", printed), printed
    assert inbox.RESULTS["backlog after the load (s)"][0] < 30


async def slow_pages(delay: float) -> asyncio.Server:
    """An HTTP server on 127.0.0.1 that answers every GET after `delay` seconds, one at a
    time per connection."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(delay)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0)


def test_a_load_at_a_fixed_rate_asks_that_often_and_charges_waiting_to_the_server() -> None:
    async def measure(delay: float, rate: float | None) -> load.LoadResult:
        async with await slow_pages(delay) as server:
            port = server.sockets[0].getsockname()[1]
            request = load.get_request(f"127.0.0.1:{port}", "/")
            requests = itertools.repeat(request)
            return await load.pyload("127.0.0.1", port, requests, 2, seconds=1.0, rate=rate)

    quick = asyncio.run(measure(0.0, rate=40))
    assert 30 <= quick.requests <= 42  # 40 a second for one second, not as many as answered
    # A server needing 100 ms per page, asked for 40 a second on 2 connections, falls behind:
    # the requests wait longer and longer, and their latency counts from when they were due.
    behind = asyncio.run(measure(0.1, rate=40))
    closed = asyncio.run(measure(0.1, rate=None))
    assert closed.p99_ms < 150
    assert behind.p99_ms > 300
