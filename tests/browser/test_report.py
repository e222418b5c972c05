"""The impact report and the network page's figures in a real Chromium: both pass axe's
accessibility rules, the report prints on one A4 page without its choice of period, and the
network page's charts stand next to the tables that say the same."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveBoard
from tests.browser.test_paper import assert_accessible, sign_in
from tests.support.pdf import page_count, pdf_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_report__from_the_dashboard_accessible_and_one_printed_page(
    page: Page, live_board: LiveBoard
) -> None:
    live_board.process.post("Hoffest", "Mit Kuchen")
    sign_in(page, live_board)
    page.get_by_role("link", name="Wirkungsbericht").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Wirkungsbericht")
    assert_accessible(page)
    page.get_by_label("Jahr").fill("2026")
    page.get_by_role("button", name="Jahr zeigen").click()

    expect(page.get_by_role("heading", name="Reichweite")).to_be_visible()
    assert_accessible(page)
    page.emulate_media(media="print")
    printed = page.pdf(format="A4")
    assert page_count(printed) == 1
    text = pdf_text(printed)
    assert "Beteiligung" in text
    assert "Zeitraum wählen" not in text


def test_network_page__figures_with_charts_accessible(page: Page, live_board: LiveBoard) -> None:
    sign_in(page, live_board)
    page.goto(live_board.url("/staff/network"))

    expect(page.get_by_role("heading", name="Partnerboards und Gruppen in Zahlen")).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(2)
    expect(page.get_by_role("columnheader", name="Gruppenmitglieder")).to_be_visible()
    assert_accessible(page)
