"""The interface language on the running board: choice, switch, writing direction, staff pages."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.noticeboard.boards import RunningBoard
from tests.noticeboard.test_isolation import publish
from tests.noticeboard.test_translations import translate

LANG_LINK = re.compile(r'<a href="([^"]*)" lang="([^"]*)" hreflang="[^"]*" dir="[^"]*"')


def switch_links(html: str) -> dict[str, str]:
    """The language switch of a page: language -> link."""
    nav = html.split('class="lang-nav"', 1)[1].split("</nav>", 1)[0]
    return {code: unescape(href) for href, code in LANG_LINK.findall(nav)}


def html_tag(html: str) -> str:
    return re.search(r"<html[^>]*>", html).group(0)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/", {}, '<html lang="de" dir="ltr">'),
        ("/?lang=en", {}, '<html lang="en" dir="ltr">'),
        ("/?lang=de-x-simple", {"Accept-Language": "en"}, '<html lang="de-x-simple" dir="ltr">'),
        ("/", {"Accept-Language": "tr-TR"}, '<html lang="tr" dir="ltr">'),
        ("/", {"Accept-Language": "fr, ar;q=0.9"}, '<html lang="ar" dir="rtl">'),
        ("/search", {"Accept-Language": "uk"}, '<html lang="uk" dir="ltr">'),
        ("/events?lang=pl", {"Accept-Language": "ar"}, '<html lang="pl" dir="ltr">'),
        ("/nowhere", {"Accept-Language": "ar"}, '<html lang="ar" dir="rtl">'),
    ],
)
def test_language__negotiated_from_query_and_accept_language(
    board: RunningBoard, path: str, headers: dict[str, str], expected: str
) -> None:
    response = board.get(path, headers=headers)
    assert html_tag(response.text) == expected


def test_language__choice_is_remembered_in_the_lang_cookie(board: RunningBoard) -> None:
    client = board.new_client()
    chosen = client.get("/?lang=de-x-simple")
    assert chosen.cookies.get("lang") == "de-x-simple"
    later = client.get("/about", headers={"Accept-Language": "en"}).text
    assert html_tag(later) == '<html lang="de-x-simple" dir="ltr">'
    arabic = client.get("/search?lang=ar")
    assert arabic.cookies.get("lang") == "ar"
    assert html_tag(client.get("/").text) == '<html lang="ar" dir="rtl">'
    assert "<code>lang</code>" in client.get("/privacy").text  # the cookie list names it


def test_switch__keeps_the_search_and_its_filters(board: RunningBoard) -> None:
    links = switch_links(board.get("/search?q=Hof+fest&type=event&from=2026-01-01").text)
    assert list(links) == ["de", "de-x-simple", "en", "tr", "ar", "uk", "ru", "pl"]
    assert links["ar"] == "/search?q=Hof+fest&type=event&from=2026-01-01&lang=ar"
    again = switch_links(board.get(links["ar"]).text)
    assert again["de"] == "/search?q=Hof+fest&type=event&from=2026-01-01&lang=de"


def test_switch__keeps_a_filtered_list_and_an_archive_page(board: RunningBoard) -> None:
    links = switch_links(board.get("/?type=event&lang=en").text)
    assert links["tr"] == "/?type=event&lang=tr"
    cursor = "2026-02-01T00:00:00.000000Z"
    links = switch_links(board.get(f"/archive?before={cursor}&page=3").text)
    assert links["uk"] == "/archive?before=2026-02-01T00%3A00%3A00.000000Z&page=3&lang=uk"
    page = board.get(links["uk"])
    assert page.status_code == 200 and html_tag(page.text) == '<html lang="uk" dir="ltr">'


def test_switch__names_each_language_in_itself_on_error_pages_too(board: RunningBoard) -> None:
    html = board.get("/notices/999", headers={"Accept-Language": "ar"}).text
    for code, name in (("de", "Deutsch"), ("de-x-simple", "Einfache Sprache"), ("ar", "العربية")):
        assert f'lang="{code}" hreflang="{code}"' in html
        assert f">{name}</a>" in html
    assert switch_links(html)["de"] == "/notices/999?lang=de"


def test_staff_pages__in_german_or_english_while_the_switch_stays(board: RunningBoard) -> None:
    client = board.login()
    german = client.get("/staff?lang=de-x-simple").text
    assert html_tag(german) == '<html lang="de" dir="ltr">'
    arabic = client.get("/staff?lang=ar").text
    assert html_tag(arabic) == '<html lang="en" dir="ltr">'
    assert "Sign out" in arabic and "Abmelden" in german
    assert switch_links(arabic)["ar"] == "/staff?lang=ar"
    # Public pages keep the reader's language.
    assert html_tag(client.get("/").text) == '<html lang="ar" dir="rtl">'


def test_notice__follows_the_interface_language_and_names_its_versions(
    board: RunningBoard,
) -> None:
    publish(board, "Hoffest")
    translate(board, "ar", "حفلة الفناء", "الجميع مدعوون")
    arabic = board.get("/notices/1?lang=ar").text
    assert '<h1 class="notice__title" lang="ar" dir="rtl">حفلة الفناء</h1>' in arabic
    assert arabic.index("<h1") < arabic.index('<h2 id="versions-heading"')  # heading order
    assert 'href="' + board.url("/notices/1") + '?text=de" lang="de"' in arabic
    german_link = switch_links(arabic)["de"]
    assert german_link == "/notices/1?lang=de"
    german = board.get(german_link).text
    assert '<h1 class="notice__title" lang="de" dir="ltr">Hoffest</h1>' in german
    assert ">العربية</a>" in german


def test_lists__show_the_languages_a_notice_is_written_in(board: RunningBoard) -> None:
    publish(board, "Hoffest")
    translate(board, "tr", "Avlu şenliği", "Herkes davetli")
    translate(board, "ar", "حفلة الفناء", "الجميع مدعوون")
    home = board.get("/").text
    line = home.split('class="notice__languages"', 1)[1].split("</p>", 1)[0]
    assert 'lang="ar" hreflang="ar" dir="rtl">العربية</a>' in line
    assert 'lang="tr" hreflang="tr" dir="ltr">Türkçe</a>' in line
    assert "?text=tr" in line
