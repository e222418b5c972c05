"""Public pages through the real app: the board, paging, errors, language, security headers."""

from __future__ import annotations

import re

import pytest

from tests.noticeboard.boards import RunningBoard


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="notice__title"><a href="[^"]+">([^<]+)</a></h2>', html)


def older_link(html: str) -> str | None:
    match = re.search(r'class="button button--secondary" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_home__lists_notices_newest_first(board: RunningBoard) -> None:
    staff = board.login()
    for title in ("Erster", "Zweiter", "Dritter"):
        board.publish(staff, title)

    response = board.get("/")

    assert response.status_code == 200
    assert titles(response.text) == ["Dritter", "Zweiter", "Erster"]
    assert older_link(response.text) is None


def test_home__pages_with_before(board: RunningBoard) -> None:
    staff = board.login()
    for n in range(23):
        board.publish(staff, f"Aushang {n:02d}")

    first = board.get("/")
    link = older_link(first.text)
    assert link and link.startswith("/?before=")
    second = board.get(link)

    assert titles(first.text) == [f"Aushang {n:02d}" for n in range(22, 2, -1)]
    assert second.status_code == 200
    assert titles(second.text) == ["Aushang 02", "Aushang 01", "Aushang 00"]
    assert older_link(second.text) is None


def test_home__empty_board_says_so(board: RunningBoard) -> None:
    response = board.get("/", params={"lang": "en"})

    assert response.status_code == 200
    assert titles(response.text) == []
    assert "There are no notices at the moment" in response.text


@pytest.mark.parametrize(
    "before",
    ["abc", "", "2026-03-02", "'; DROP TABLE notices; --", "2026-03-02T09:00:00.000000Y", "x" * 27],
)
def test_home__invalid_before_is_400_not_500(board: RunningBoard, before: str) -> None:
    response = board.get("/", params={"before": before, "lang": "en"})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "not valid" in response.text


def test_home__activity_json_accept_redirects_to_the_actor(board: RunningBoard) -> None:
    response = board.get("/", headers={"Accept": "application/activity+json"})

    assert response.status_code in (302, 303)
    assert response.headers["location"] == board.actor_id


def test_notice__unknown_notice_is_a_404_page(board: RunningBoard) -> None:
    response = board.get("/notices/4711", params={"lang": "en"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    assert "This notice does not exist (any more)." in response.text


def test_notice__page_shows_the_sanitised_body(board: RunningBoard) -> None:
    staff = board.login()
    board.publish(staff, "Hoffest", "**Kuchen** <script>alert(1)</script>")

    response = board.get("/notices/1")

    assert response.status_code == 200
    assert "<strong>Kuchen</strong>" in response.text
    assert "<script>alert(1)</script>" not in response.text


def test_pages__unknown_path_is_a_404_page(board: RunningBoard) -> None:
    response = board.get("/no/such/page", params={"lang": "en"})

    assert response.status_code == 404
    assert "Page not found" in response.text


def test_pages__german_by_default(board: RunningBoard) -> None:
    response = board.get("/")

    assert '<html lang="de" dir="ltr">' in response.text
    assert "Aktuelle Aushänge" in response.text


def test_pages__lang_en_shows_english_and_sets_the_cookie(board: RunningBoard) -> None:
    response = board.get("/", params={"lang": "en"})

    assert '<html lang="en" dir="ltr">' in response.text
    assert "Current notices" in response.text
    assert response.cookies.get("lang") == "en"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    later = board.get("/about")  # the client sends the cookie back
    assert '<html lang="en" dir="ltr">' in later.text


def test_pages__accept_language_is_honoured_without_a_cookie(board: RunningBoard) -> None:
    response = board.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert '<html lang="en" dir="ltr">' in response.text
    assert response.cookies.get("lang") is None  # only an explicit choice is remembered


def test_pages__unsupported_lang_falls_back_to_german(board: RunningBoard) -> None:
    response = board.get("/", params={"lang": "xx"})

    assert '<html lang="de" dir="ltr">' in response.text
    assert response.cookies.get("lang") is None


HTML_PAGES = [
    ("/", 200),
    ("/about", 200),
    ("/login", 200),
    ("/notices/1", 200),
    ("/notices/999", 404),
    ("/?before=bad", 400),
    ("/users/nordstadt", 200),
    ("/nowhere", 404),
]


def test_pages__every_html_response_carries_the_csp(board: RunningBoard) -> None:
    board.publish(board.login(), "Hoffest")

    for path, status in HTML_PAGES:
        response = board.get(path, headers={"Accept": "text/html"})

        assert response.status_code == status, path
        assert response.headers["content-type"].startswith("text/html"), path
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp, path
        assert response.headers["x-content-type-options"] == "nosniff", path


def test_pages__staff_pages_carry_the_csp(board: RunningBoard) -> None:
    staff = board.login()

    for path in ("/staff", "/staff/notices/new"):
        response = staff.get(path)
        assert response.status_code == 200, path
        assert "default-src 'none'" in response.headers["content-security-policy"]


def test_pages__html_has_no_inline_script(board: RunningBoard) -> None:
    board.publish(board.login(), "Hoffest")

    for path in ("/", "/about", "/notices/1", "/login"):
        html = board.get(path).text
        assert "<script" not in html, path
        assert not re.search(r"\son\w+=", html), path


def test_healthz__answers_ok(board: RunningBoard) -> None:
    response = board.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_about__shows_the_contact_details(board: RunningBoard) -> None:
    response = board.get("/about")

    assert response.status_code == 200
    assert "Nordstraße 12, 45127 Essen" in response.text
    assert "kontakt@nordstadt.example" in response.text
    assert f"@nordstadt@{board.authority}" in response.text


HUGE = "9" * 23  # digits the {id:int} route accepts, but no SQLite INTEGER can hold


@pytest.mark.parametrize("path", [f"/notices/{HUGE}", f"/notices/{HUGE}/activity"])
@pytest.mark.parametrize("accept", ["text/html", "application/activity+json"])
def test_notice__id_beyond_the_integer_range_is_404_not_500(
    board: RunningBoard, path: str, accept: str
) -> None:
    client = board.new_client()  # a 500 closes the connection; keep it from other requests

    response = client.get(path, headers={"Accept": accept})

    assert response.status_code == 404, (response.status_code, response.text[:80])
