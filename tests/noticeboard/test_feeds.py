"""Atom feeds of the board, read back with feedparser: one for all current notices and one per
kind; expired notices and other kinds stay out."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

import feedparser

from noticeboard.notices.kinds import KINDS
from tests.noticeboard.boards import START, RunningBoard, csrf_token
from tests.noticeboard.test_kinds import post

ATOM = "application/atom+xml"


def parse(board: RunningBoard, path: str) -> Any:
    response = board.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(ATOM)
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10", feed.version
    return feed


def utc(struct: Any) -> datetime:
    return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)


def link(entry_or_feed: Any, rel: str) -> str:
    [href] = [item["href"] for item in entry_or_feed["links"] if item.get("rel") == rel]
    return str(href)


def test_feed__all_current_notices_with_titles_links_ids_and_times(board: RunningBoard) -> None:
    client = board.login()
    first = post(board, client, "Hoffest & Flohmarkt <Samstag>", "announcement")
    board.clock.advance(minutes=10)
    second = post(board, client, "Wer hilft beim Umzug?", "need-help", valid_until="2026-12-12")

    feed = parse(board, "/feed.atom")

    assert feed.feed.title == "Quartiersbüro Nordstadt"
    assert feed.feed.id == board.url("/feed.atom")
    assert link(feed.feed, "self") == board.url("/feed.atom")
    assert link(feed.feed, "alternate") == board.url("/")
    assert feed.feed.get("language") == "de"
    titles = [e.title for e in feed.entries]
    assert titles == ["Wer hilft beim Umzug?", "Hoffest & Flohmarkt <Samstag>"]  # newest first
    newest, oldest = feed.entries
    assert [newest.id, oldest.id] == [second, first]
    assert [link(newest, "alternate"), link(oldest, "alternate")] == [second, first]
    assert utc(oldest.published_parsed) == START
    assert utc(oldest.updated_parsed) == START
    assert utc(newest.published_parsed) > START
    assert utc(feed.feed.updated_parsed) == utc(newest.updated_parsed)
    assert newest.summary == "🙋 Suche Hilfe · bis 12.12."
    assert "Text zu Wer hilft beim Umzug?" in newest.content[0].value
    assert [t.term for t in newest.tags] == ["need-help"]
    assert newest.tags[0].label == "Suche Hilfe"


def test_feed__of_one_kind_lists_only_that_kind(board: RunningBoard) -> None:
    client = board.login()
    need = post(board, client, "Hilfe beim Tragen", "need-help")
    post(board, client, "Ich trage gern", "offer-help")
    post(board, client, "Sprechzeiten", "announcement")
    other_need = post(board, client, "Hilfe im Garten", "need-help")

    feed = parse(board, "/feed/need-help.atom")

    assert [e.id for e in feed.entries] == [other_need, need]
    assert all([t.term for t in e.tags] == ["need-help"] for e in feed.entries)
    assert feed.feed.title == "Quartiersbüro Nordstadt: Suche Hilfe"
    assert feed.feed.id == board.url("/feed/need-help.atom")
    assert link(feed.feed, "self") == board.url("/feed/need-help.atom")
    assert len(parse(board, "/feed.atom").entries) == 4


def test_feed__every_kind_has_a_feed_and_the_filtered_board_links_it(board: RunningBoard) -> None:
    for kind in KINDS:
        assert parse(board, f"/feed/{kind.id}.atom").entries == []
        home = board.get(f"/?type={kind.id}").text
        assert f'type="application/atom+xml" href="/feed/{kind.id}.atom"' in home
    assert 'type="application/atom+xml" href="/feed.atom"' in board.get("/").text


def test_feed__unknown_kind_is_404(board: RunningBoard) -> None:
    for path in ("/feed/flohmarkt.atom", "/feed/NEED-HELP.atom", "/feed/need_help.atom"):
        assert board.get(path).status_code == 404, path


def test_feed__expired_notices_leave_both_feeds(board: RunningBoard) -> None:
    client = board.login()
    ending = post(board, client, "Nur bis zum 10.", "need-help", valid_until="2026-03-10")
    staying = post(board, client, "Länger gültig", "need-help", valid_until="2026-04-30")
    assert len(parse(board, "/feed/need-help.atom").entries) == 2

    board.clock.set(datetime(2026, 3, 10, 23, 0, 1, tzinfo=UTC))

    for path in ("/feed.atom", "/feed/need-help.atom"):
        ids = [e.id for e in parse(board, path).entries]
        assert ids == [staying], (path, ids)
    assert ending not in [e.id for e in parse(board, "/feed.atom").entries]


def test_feed__done_notice_shows_the_done_line_and_its_new_update_time(
    board: RunningBoard,
) -> None:
    client = board.login()
    url = post(board, client, "Schlüssel verloren", "looking-for")
    board.clock.advance(hours=3)
    token = csrf_token(client.get("/staff").text)
    assert client.post("/staff/notices/1/done", data={"csrf_token": token}).status_code == 303

    [entry] = parse(board, "/feed/looking-for.atom").entries

    assert entry.id == url
    assert entry.summary == "✅ Gefunden"
    assert utc(entry.updated_parsed) > utc(entry.published_parsed)
