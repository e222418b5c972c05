"""The board with the keyboard alone: Tab, Shift+Tab, Enter, Space, arrow keys and typing.
A resident sends a notice, votes in a poll and subscribes to the news by e-mail; staff sign
in and publish a notice. Wherever focus lands, it is visible (a :focus-visible outline).
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from noticeboard.participation.forms import MIN_SECONDS
from tests.browser.seeding import Seeded, query, tab

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

MAX_TABS = 80
FORM_WAIT = MIN_SECONDS + 0.4

_FOCUS_JS = """
(selector) => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
    || (style.boxShadow && style.boxShadow !== 'none');
  return {matches: el.matches(selector), visible: el.matches(':focus-visible') && ring,
          what: el.outerHTML.slice(0, 120)};
}
"""


def focus_by_tab(page: Page, selector: str, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element matching `selector` has focus; it must show
    a visible focus ring."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        state = page.evaluate(_FOCUS_JS, selector)
        if state and state["matches"]:
            assert state["visible"], f"focus is not visible on {state['what']}"
            return
    pytest.fail(f"{key} never reached {selector} on {page.url}")


def wait_since(served: float) -> None:
    """People take longer than the time-to-submit check."""
    time.sleep(max(0.0, FORM_WAIT - (time.monotonic() - served)))


def test_keyboard__resident_sends_a_notice(browser: Browser, seeded: Seeded) -> None:
    with tab(browser, seeded, "de") as page:
        page.goto(seeded.url("/"))
        focus_by_tab(page, ".skip-link")
        focus_by_tab(page, '.site-nav a[href="/submit"]')
        page.keyboard.press("Enter")
        expect(page).to_have_url(seeded.url("/submit"))
        served = time.monotonic()
        focus_by_tab(page, "#kind")
        page.keyboard.press("ArrowDown")  # the next kind: offering help
        focus_by_tab(page, "#title")
        page.keyboard.type("Bohrmaschine zu verleihen")
        page.keyboard.press("Tab")
        page.keyboard.type("Bei Familie Kaya im Erdgeschoss.")
        focus_by_tab(page, "#consent")
        page.keyboard.press("Space")
        expect(page.locator("#consent")).to_be_checked()
        focus_by_tab(page, "#title", backwards=True)  # a look back, and forward again
        focus_by_tab(page, "main form button[type=submit]")
        wait_since(served)
        page.keyboard.press("Enter")
        expect(page).to_have_url(seeded.url("/submit?sent=1"))
        expect(page.get_by_role("status")).to_be_visible()
    rows = query(seeded.board, "SELECT summary FROM moderation_items ORDER BY id")
    assert any("Bohrmaschine zu verleihen" in row[0] for row in rows), [r[0] for r in rows]


def test_keyboard__resident_votes_in_a_poll(browser: Browser, seeded: Seeded) -> None:
    with tab(browser, seeded, "de") as page:
        page.goto(seeded.url(f"/notices/{seeded.poll}"))
        focus_by_tab(page, "#option-0")
        page.keyboard.press("ArrowDown")  # radio buttons: the arrow chooses the next one
        expect(page.locator("#option-1")).to_be_checked()
        focus_by_tab(page, "#poll form button[type=submit]")
        page.keyboard.press("Enter")
        expect(page.locator("#poll [role=status]")).to_be_visible()
        expect(page.locator(".poll-results li").nth(1)).to_contain_text("(100 %)")


def test_keyboard__resident_subscribes_to_the_news(browser: Browser, seeded: Seeded) -> None:
    with tab(browser, seeded, "de") as page:
        page.goto(seeded.url("/"))
        focus_by_tab(page, '.site-footer a[href="/mail"]')
        page.keyboard.press("Enter")
        expect(page).to_have_url(seeded.url("/mail"))
        served = time.monotonic()
        focus_by_tab(page, "#email")
        page.keyboard.type("familie.kaya@example.org")
        focus_by_tab(page, "#frequency-weekly, #frequency-daily")
        page.keyboard.press("Space")
        focus_by_tab(page, "#consent")
        page.keyboard.press("Space")
        focus_by_tab(page, "main form button[type=submit]")
        wait_since(served)
        page.keyboard.press("Enter")
        expect(page).to_have_url(seeded.url("/mail?sent=1"))
    rows = query(seeded.board, "SELECT email FROM mail_subscribers")
    assert "familie.kaya@example.org" in [row[0] for row in rows]


def test_keyboard__staff_sign_in_and_publish(browser: Browser, seeded: Seeded) -> None:
    board = seeded.board
    with tab(browser, seeded, "de") as page:
        page.goto(seeded.url("/"))
        focus_by_tab(page, '.site-nav a[href="/login"]')
        page.keyboard.press("Enter")
        expect(page).to_have_url(seeded.url("/login"))
        focus_by_tab(page, "#username")
        page.keyboard.type(board.admin_username)
        page.keyboard.press("Tab")
        page.keyboard.type(board.admin_password)
        page.keyboard.press("Enter")
        expect(page).to_have_url(seeded.url("/staff"))
        focus_by_tab(page, 'main a[href="/staff/notices/new"]')
        page.keyboard.press("Enter")
        expect(page).to_have_url(seeded.url("/staff/notices/new"))
        focus_by_tab(page, "#title")
        page.keyboard.type("Treppenhaus wird gestrichen")
        page.keyboard.press("Tab")
        page.keyboard.type("Am Montag ab 8 Uhr, bitte nichts abstellen.")
        focus_by_tab(page, 'main form button[value="publish"]')
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(re.escape(seeded.url("/staff")) + r"($|\?)"))
        expect(page.get_by_role("status")).to_be_visible()
        page.goto(seeded.url("/"))
        expect(page.get_by_role("link", name="Treppenhaus wird gestrichen")).to_be_visible()
