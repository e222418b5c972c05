"""Full-text search over current and archived notices, with kind and date filters."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from noticeboard.pages.search import fts_query
from tests.noticeboard.boards import RunningBoard


def post(board: RunningBoard, title: str, body: str, *args: str) -> None:
    result = board.cli("post", "--title", title, "--body", body, *args)
    assert result.returncode == 0, result.stderr


def found(board: RunningBoard, query: str) -> list[str]:
    page = board.get(f"/search?{query}").text
    return [t for t in ("Fahrrad", "Bohrmaschine", "Kinderwagen", "Hoffest") if f">{t}" in page]


def test_search__finds_words_in_title_and_text_with_word_starts(board: RunningBoard) -> None:
    post(board, "Fahrrad gefunden", "Ein blaues Rad am Spielplatz", "--type", "lost-found")
    post(board, "Bohrmaschine zu verleihen", "Einfach klingeln", "--type", "give-lend")
    assert found(board, "q=blau") == ["Fahrrad"]
    assert found(board, "q=bohr") == ["Bohrmaschine"]
    assert found(board, "q=spielplatz+rad") == ["Fahrrad"]
    assert found(board, "q=gibtsnicht") == []


def test_search__filters_by_kind_and_date(board: RunningBoard) -> None:
    post(board, "Fahrrad gefunden", "Rad", "--type", "lost-found")
    post(board, "Kinderwagen zu verschenken", "Rad ab", "--type", "give-lend")
    assert found(board, "q=rad&type=give-lend") == ["Kinderwagen"]
    assert found(board, "q=rad&from=2999-01-01") == []
    assert board.get("/search?q=rad&type=unknown").status_code == 400


def test_search__includes_archived_notices_and_translations(board: RunningBoard) -> None:
    post(board, "Hoffest", "Kuchen", "--valid-until", "2099-01-01")
    assert (
        board.cli("translate", "1", "--lang", "tr", "--title", "Avlu", "--body", "pasta").returncode
        == 0
    )
    board.clock.set(board.clock.now + timedelta(days=365 * 80))
    assert "Hoffest" not in board.get("/").text
    assert found(board, "q=kuchen") == ["Hoffest"]
    assert found(board, "q=pasta") == ["Hoffest"]


def test_search__deleted_notices_are_not_found(board: RunningBoard) -> None:
    post(board, "Fahrrad gefunden", "Rad")
    assert board.cli("delete", "1").returncode == 0
    assert found(board, "q=fahrrad") == []


@pytest.mark.parametrize(
    "text",
    ['"', "NEAR(", "title:x", "a OR", "*", "^", "-x", "x AND NOT", "(((", "🙂", "\\"],
)
def test_search__fts_syntax_typed_by_people_is_harmless(board: RunningBoard, text: str) -> None:
    response = board.get("/search", params={"q": text})
    assert response.status_code == 200
    query = fts_query(text)
    assert query is None or re.fullmatch(r'"\w+"\*( "\w+"\*)*', query), query
