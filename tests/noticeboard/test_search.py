"""Full-text search over current and archived notices, with kind and date filters."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from noticeboard.notices import store
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


def titles(page: str) -> list[str]:
    return re.findall(r'<h2 class="notice__title"[^>]*><a href="[^"]+">([^<]+)</a>', page)


def test_search__pages_of_twenty_best_first_then_newest(board: RunningBoard) -> None:
    for n in range(1, 23):
        post(board, f"Hof {n:02d}", "Flohmarkt im Hof")
    post(board, "Flohmarkt", "Im Garten")
    post(board, "Garten", "Nichts zu finden")

    first = board.get("/search?q=flohmarkt")
    second = board.get("/search?q=flohmarkt&page=2")

    assert first.status_code == second.status_code == 200
    # The word in the title weighs most; equal scores go newest first, across pages.
    expected = ["Flohmarkt", *(f"Hof {n:02d}" for n in range(22, 0, -1))]
    assert titles(first.text) == expected[:20]
    assert titles(second.text) == expected[20:]
    assert "23 Aushänge gefunden" in first.text and "23 Aushänge gefunden" in second.text
    assert "Aushänge 1 bis 20" in first.text
    assert "Aushänge 21 bis 23" in second.text
    assert 'href="/search?q=flohmarkt&amp;page=2" rel="next">Weitere Treffer</a>' in first.text
    assert "Weitere Treffer" not in second.text


def test_search__the_next_page_keeps_kind_and_dates(board: RunningBoard) -> None:
    for n in range(1, 22):
        post(board, f"Rad {n:02d}", "Fahrrad gefunden", "--type", "lost-found")

    page = board.get("/search?q=fahrrad&type=lost-found&from=2020-01-01&to=").text

    assert len(titles(page)) == 20
    assert 'href="/search?q=fahrrad&amp;type=lost-found&amp;from=2020-01-01&amp;page=2"' in page
    assert titles(board.get("/search?q=fahrrad&type=lost-found&page=2").text) == ["Rad 01"]
    assert "Aushänge 1 bis" not in board.get("/search?q=fahrrad&type=event").text


@pytest.mark.parametrize("page", ["0", "-1", "x", "1.5", "26", "٣", "9999"])
def test_search__a_page_outside_the_ranked_notices_is_a_bad_link(
    board: RunningBoard, page: str
) -> None:
    response = board.get("/search", params={"q": "rad", "page": page})

    assert response.status_code == 400
    assert "Dieser Seiten-Link ist ungültig." in response.text


def test_search__a_page_after_the_last_finds_nothing(board: RunningBoard) -> None:
    post(board, "Fahrrad gefunden", "Rad")

    page = board.get("/search?q=rad&page=2").text

    assert titles(page) == []
    assert "Nichts gefunden." in page
    assert "0 Aushänge gefunden" not in page


def test_search__only_the_newest_matches_are_ranked(
    board: RunningBoard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "SEARCH_CANDIDATES", 3)
    post(board, "Kuchen", "Kuchen backen")  # the best match, but older than three others
    for n in range(1, 5):
        post(board, f"Basar {n}", "Kuchen")

    page = board.get("/search?q=kuchen").text

    assert titles(page) == ["Basar 4", "Basar 3", "Basar 2"]
    assert "3 oder mehr Aushänge gefunden." in page
    assert "unter den neuesten 3" in page
