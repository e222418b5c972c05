"""Public pages are rendered once for all anonymous readers and rendered again as soon as
anything they show may have changed: a write of the board, a write of another process (the
command line), the passing of time. Pages for someone with a session, pages that set a cookie
and forms whose token tells their age are never shared."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from contextlib import closing
from datetime import timedelta
from typing import Any

import pytest

from noticeboard.web import pagecache
from tests.noticeboard.boards import RunningBoard


def count_renders(board: RunningBoard) -> Counter[str]:
    """How often each template is rendered by the board from now on."""
    counts: Counter[str] = Counter()
    renderer = board.app.state.runtime.renderer
    original = renderer.page

    def counting(request: Any, template: str, **kwargs: Any) -> Any:
        counts[template] += 1
        return original(request, template, **kwargs)

    renderer.page = counting
    return counts


@pytest.fixture
def renders(board: RunningBoard) -> Counter[str]:
    return count_renders(board)


def test_an_anonymous_page__is_rendered_once_for_many_readers(
    board: RunningBoard, renders: Counter[str]
) -> None:
    pages = [board.new_client().get("/") for _ in range(5)]
    assert {p.status_code for p in pages} == {200}
    assert len({p.text for p in pages}) == 1
    assert renders["home.html"] == 1
    assert "x-aushang-shareable" not in pages[0].headers
    assert pages[-1].headers["content-security-policy"]  # headers added around the cache


def test_a_new_notice__shows_at_once(board: RunningBoard, renders: Counter[str]) -> None:
    reader = board.new_client()
    assert "Hoffest im Mai" not in reader.get("/").text
    board.publish(board.login(), "Hoffest im Mai", "Wir feiern.")
    assert "Hoffest im Mai" in reader.get("/").text
    assert renders["home.html"] == 2


def test_a_write_of_another_process__shows_at_once(board: RunningBoard) -> None:
    board.publish(board.login(), "Hoffest im Mai", "Wir feiern.")
    reader = board.new_client()
    assert "Hoffest im Mai" in reader.get("/").text
    with closing(sqlite3.connect(board.config.db_path)) as conn, conn:
        conn.execute("UPDATE notices SET title = 'Sommerfest im Hof'")
    assert "Sommerfest im Hof" in reader.get("/").text


def test_bookkeeping_of_deliveries__keeps_the_page(
    board: RunningBoard, renders: Counter[str]
) -> None:
    reader = board.new_client()
    reader.get("/")

    async def quiet_write(state: Any) -> None:
        async with state.db.transaction(quiet=True) as conn:
            await conn.execute("DELETE FROM delivery_failure_days")

    board.run_on_board(quiet_write)
    reader.get("/")
    assert renders["home.html"] == 1


def test_time__renders_the_page_again(board: RunningBoard, renders: Counter[str]) -> None:
    reader = board.new_client()
    reader.get("/")
    board.clock.advance(timedelta(seconds=31))
    reader.get("/")
    assert renders["home.html"] == 2


def test_each_language_and_encoding__has_its_own_page(board: RunningBoard) -> None:
    german = board.new_client(**{"Accept-Language": "de"}).get("/")
    english = board.new_client(**{"Accept-Language": "en"}).get("/")
    turkish = board.new_client(**{"Cookie": "lang=tr"}).get("/")
    assert 'lang="de"' in german.text
    assert 'lang="en"' in english.text
    assert 'lang="tr"' in turkish.text
    packed = board.new_client(**{"Accept-Encoding": "gzip"}).get("/")
    plain = board.new_client(**{"Accept-Encoding": "identity"}).get("/")
    assert packed.headers.get("content-encoding") == "gzip"
    assert "content-encoding" not in plain.headers
    assert packed.text == plain.text


def test_choosing_a_language__sets_its_cookie_every_time(board: RunningBoard) -> None:
    for _ in range(2):
        answer = board.new_client().get("/?lang=en")
        assert "lang=en" in answer.headers["set-cookie"]


def test_staff__never_get_the_shared_page(board: RunningBoard, renders: Counter[str]) -> None:
    staff = board.login()
    anonymous = board.new_client().get("/")
    page = staff.get("/")
    assert renders["home.html"] == 2
    assert page.headers["cache-control"] == "no-store"
    assert board.new_client().get("/").text == anonymous.text
    assert renders["home.html"] == 2  # the anonymous page was kept, the staff's page was not


def test_a_form_with_a_token_of_its_age__is_rendered_for_each_reader(
    make_board: Any,
) -> None:
    board = make_board(
        AUSHANG_MAIL_HOST="127.0.0.1",
        AUSHANG_MAIL_PORT="2525",
        AUSHANG_MAIL_SECURITY="none",
        AUSHANG_MAIL_FROM="aushang@nordstadt.example",
    )
    counts = count_renders(board)
    for _ in range(2):
        assert board.new_client().get("/mail").status_code == 200
    assert counts["mail/subscribe.html"] == 2


def test_concurrent_readers__wait_for_one_rendering(
    board: RunningBoard, renders: Counter[str]
) -> None:
    app = board.app

    async def ten_readers(state: Any) -> list[int]:
        async def one() -> int:
            sent: list[dict[str, Any]] = []

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)

            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                "method": "GET", "scheme": "http", "path": "/", "raw_path": b"/",
                "query_string": b"", "root_path": "", "headers": [(b"host", b"x")],
                "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {},
            }  # fmt: skip
            await app(scope, receive, send)
            return int(sent[0]["status"])

        return list(await asyncio.gather(*(one() for _ in range(10))))

    assert board.run_on_board(ten_readers) == [200] * 10
    assert renders["home.html"] == 1


@pytest.mark.parametrize("path", ["/feed.atom", "/calendar.ics"])
def test_feeds__are_made_once_and_again_after_a_change(board: RunningBoard, path: str) -> None:
    reader = board.new_client()
    first = reader.get(path)
    assert first.status_code == 200 and "x-aushang-shareable" not in first.headers
    assert reader.get(path).content == first.content
    board.publish(
        board.login(), "Hoffest im Mai", "Wir feiern.", kind="event",
        start="2026-03-20 15:00", end="2026-03-20 19:00", place_name="Hof",
    )  # fmt: skip
    assert "Hoffest im Mai" in reader.get(path).text


@pytest.mark.parametrize("query", ["", "?page=true"])
def test_the_outbox__is_made_once_and_again_after_a_change(
    board: RunningBoard, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    from noticeboard.activitypub import queries

    reads: list[str] = []
    for name in ("count_outbox", "outbox_page"):
        real = getattr(queries, name)

        async def counted(*args: Any, _real: Any = real, _name: str = name) -> Any:
            reads.append(_name)
            return await _real(*args)

        monkeypatch.setattr(queries, name, counted)
    reader = board.new_client()
    path = f"/users/{board.config.username}/outbox{query}"
    ap = {"Accept": "application/activity+json"}
    first = reader.get(path, headers=ap)
    assert first.status_code == 200 and "x-aushang-shareable" not in first.headers
    assert reader.get(path, headers=ap).content == first.content
    assert len(reads) == 1
    board.publish(board.login(), "Hoffest im Mai", "Wir feiern.")
    again = reader.get(path, headers=ap)
    assert again.content != first.content
    assert len(reads) == 2


def test_kept_pages__stay_within_their_memory_budget(
    board: RunningBoard, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget = 64 * 1024
    monkeypatch.setattr(pagecache, "MAX_BYTES", budget)
    cache = board.app.middleware_stack
    while not isinstance(cache, pagecache.PageCache):
        cache = cache.app
    reader = board.new_client(**{"Accept-Encoding": "identity"})
    page_size = len(reader.get("/").content)
    asked = budget // page_size + 10
    for n in range(asked):
        assert reader.get(f"/?n={n}").status_code == 200
    assert budget - page_size < cache.size <= budget
    assert cache.size == sum(len(e.body) for e in cache.entries.values())
    assert ("GET", "http", "/", f"n={asked - 1}".encode(), "de", None, False) in cache.entries
