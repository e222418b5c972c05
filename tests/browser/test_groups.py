"""The group pages in a real Chromium: "Gruppen im Quartier", a group's page and the staff's
group pages pass axe's accessibility rules as shown."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveBoard
from tests.browser.test_paper import assert_accessible, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def create_group(board: LiveBoard) -> None:
    result = board.process.cli(
        "groups", "create", "garten", "--name", "Gemeinschaftsgarten",
        "--summary", "Wir gärtnern zusammen im Hof.", "--meets", "Jeden Dienstag ab 17 Uhr",
        "--place", "Hof Nordstraße 5", "--first-meeting", "2030-03-05 17:00", "--repeat", "weekly",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_groups_pages__from_the_menu_accessible(page: Page, live_board: LiveBoard) -> None:
    create_group(live_board)
    page.goto(live_board.url("/"))
    page.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name="Gruppen").click()

    expect(page).to_have_url(live_board.url("/gruppen"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Gruppen im Quartier")
    assert_accessible(page)
    page.get_by_role("link", name="Gemeinschaftsgarten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gemeinschaftsgarten")
    expect(page.get_by_role("heading", name="So machen Sie mit")).to_be_visible()
    assert_accessible(page)


def test_staff_group_pages__accessible(page: Page, live_board: LiveBoard) -> None:
    create_group(live_board)
    sign_in(page, live_board)
    page.goto(live_board.url("/staff/groups"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Gruppen")
    assert_accessible(page)
    page.get_by_role("link", name="Gemeinschaftsgarten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gemeinschaftsgarten")
    assert_accessible(page)
