"""The follow page and the staff's paper page in a real Chromium: they pass axe's accessibility
rules as shown, the poster link opens a PDF, and staff choose what the weekly sheet shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.audit import assert_accessible
from tests.browser.conftest import LiveBoard

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def sign_in(page: Page, board: LiveBoard) -> None:
    page.goto(board.url("/login"))
    page.get_by_label("Benutzername").fill(board.admin_username)
    page.get_by_label("Passwort").fill(board.admin_password)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page).to_have_url(board.url("/staff"))


def test_follow_page__from_the_footer_accessible(page: Page, live_board: LiveBoard) -> None:
    page.goto(live_board.url("/"))
    page.get_by_role("contentinfo").get_by_role("link", name="So bleiben Sie").click()

    expect(page).to_have_url(live_board.url("/follow"))
    expect(page.get_by_role("heading", level=1)).to_have_text("So bleiben Sie auf dem Laufenden")
    expect(page.get_by_role("heading", name="In einem Feedreader")).to_be_visible()
    assert_accessible(page)


def test_notice_page__poster_link_gives_a_pdf(page: Page, live_board: LiveBoard) -> None:
    url = live_board.process.post("Sofa zu verschenken", "Abholen in der Nordstraße")
    page.goto(url)
    assert_accessible(page)

    link = page.get_by_role("link", name="Diesen Aushang als Plakat drucken (PDF)")
    response = page.request.get(link.get_attribute("href") or "")

    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")


def test_staff_paper_page__choose_the_weekly_notices(page: Page, live_board: LiveBoard) -> None:
    live_board.process.post("Hoffest", "Mit Kuchen")
    live_board.process.post("Neue Öffnungszeiten", "Auch freitags")
    sign_in(page, live_board)
    page.get_by_role("link", name="Papier: Plakate und der Aushang der Woche").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Papier: Plakate und der Aushang der Woche"
    )
    assert_accessible(page)
    box = page.get_by_role("checkbox", name="Hoffest")
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="Auswahl speichern").click()

    expect(page.get_by_role("status")).to_have_text(
        "Gespeichert. Aushänge auf dem Aushang der Woche: 1."
    )
    expect(page.get_by_role("checkbox", name="Hoffest")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Neue Öffnungszeiten")).to_be_checked()
    assert_accessible(page)
