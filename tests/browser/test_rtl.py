"""Arabic in a real Chromium: the page is laid out from right to left at desktop and phone
width, mirrors the German layout and never scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveBoard

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WIDTHS = (1280, 320)


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not visible"
    return found


def sideways_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: nothing scrolls sideways)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def show(page: Page, url: str, width: int, shot: Path) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(url)
    assert response is not None and response.status == 200
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0


@pytest.mark.parametrize("width", WIDTHS)
def test_arabic__mirrors_the_layout_without_sideways_scrolling(
    page: Page, live_board: LiveBoard, tmp_path: Path, width: int
) -> None:
    show(page, live_board.url("/?lang=de"), width, tmp_path / f"de-{width}.png")
    german_name = box(page, ".site-name span")
    german_nav = box(page, ".site-nav li")

    show(page, live_board.url("/?lang=ar"), width, tmp_path / f"ar-{width}.png")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    name = box(page, ".site-name span")
    nav = box(page, ".site-nav li")

    # The board's name and the first menu entry start at the right edge, as far from it as
    # they are from the left edge in German.
    assert name["x"] + name["width"] > width / 2
    assert german_name["x"] < width / 2
    right_gap = width - (name["x"] + name["width"])
    assert abs(right_gap - german_name["x"]) <= 4, (right_gap, german_name)
    nav_gap = width - (nav["x"] + nav["width"])
    assert abs(nav_gap - german_nav["x"]) <= 4, (nav_gap, german_nav)
    assert sideways_overflow(page) == 0
    for path in ("/search?q=x&lang=ar", "/events?lang=ar", "/about?lang=ar", "/submit?lang=ar"):
        show(page, live_board.url(path), width, tmp_path / f"ar-{width}-{path[1:4]}.png")
        assert sideways_overflow(page) == 0, path


def test_arabic__handles_stay_left_to_right(page: Page, live_board: LiveBoard) -> None:
    page.goto(live_board.url("/about?lang=ar"))
    handle = page.locator(".handle").first
    expect(handle).to_have_attribute("dir", "ltr")
    assert handle.evaluate("e => getComputedStyle(e).direction") == "ltr"


def test_arabic__a_german_event_keeps_its_direction_inside_the_arabic_page(
    page: Page, live_board: LiveBoard, tmp_path: Path
) -> None:
    process = live_board.process
    url = process.post("Hoffest im Innenhof", "Mit **Kuchen** und Musik.")
    done = process.cli(
        "translate", url, "--lang", "tr", "--title", "Avlu şenliği", "--body", "Herkes"
    )
    assert done.returncode == 0, done.stderr
    show(page, f"{url}?lang=ar", 320, tmp_path / "ar-320-notice.png")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    title = page.locator("h1.notice__title")
    expect(title).to_have_attribute("lang", "de")
    assert title.evaluate("e => getComputedStyle(e).direction") == "ltr"
    versions = page.locator("nav.versions")
    expect(versions.get_by_role("heading", level=2)).to_be_visible()
    expect(versions.get_by_role("link", name="Türkçe")).to_have_attribute("lang", "tr")
    assert sideways_overflow(page) == 0
