"""The board in a real Chromium: the home page renders, staff sign in through the form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveBoard

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_home__renders_the_board_name_in_german(page: Page, live_board: LiveBoard) -> None:
    response = page.goto(live_board.url("/"))

    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page).to_have_title(re.compile(re.escape(live_board.name)))
    expect(page.locator(".site-name")).to_have_text(live_board.name)
    expect(page.get_by_role("navigation", name="Hauptmenü")).to_contain_text("Aushänge")


def test_staff_login__through_the_form_lands_on_staff(page: Page, live_board: LiveBoard) -> None:
    page.goto(live_board.url("/"))
    page.get_by_role("link", name="Anmelden", exact=True).click()
    expect(page).to_have_url(live_board.url("/login"))

    page.get_by_label("Benutzername").fill(live_board.admin_username)
    page.get_by_label("Passwort").fill(live_board.admin_password)
    page.get_by_role("button", name="Anmelden", exact=True).click()

    expect(page).to_have_url(live_board.url("/staff"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Verwaltung")
    expect(page.get_by_text(f"Angemeldet als {live_board.admin_username}.")).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
