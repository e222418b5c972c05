"""Real-browser fixtures: Debian's chromium driven by Playwright, and a real board to visit.

While Playwright's sync API is started, asyncio sees its event loop as running on the main
thread, so `asyncio.run()` and anyio's test runner fail in any test that comes after. The
browser therefore lives for this package only (scope="package"), not for the whole session.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, Playwright, sync_playwright

from tests.support.processes import BoardProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = ROOT / "instances" / "nordstadt.toml"
ADMIN_USERNAME = "admin"  # the first staff account `aushang init` creates

# Debian's /usr/bin/chromium is a shell wrapper: it adds flags of its own (extensions, GPU
# rasterization) and can print a shell warning. Playwright gets the binary behind it first
# and falls back to whatever `chromium` is on PATH (another distribution, a snap, a symlink).
CHROMIUM_BINARIES = ("/usr/lib/chromium/chromium",)
CHROMIUM_COMMANDS = ("chromium", "chromium-browser")
LAUNCH_TIMEOUT_MS = 30_000
PAGE_TIMEOUT_MS = 10_000


def chromium_candidates() -> list[str]:
    """Return the chromium executables to try, best first: $CHROMIUM_PATH, Debian's, PATH."""
    named = os.environ.get("CHROMIUM_PATH", "")
    found = [*CHROMIUM_BINARIES, *(shutil.which(command) or "" for command in CHROMIUM_COMMANDS)]
    candidates = [named] if named else []
    seen = {os.path.realpath(named)} if named else set()
    for path in found:
        real = os.path.realpath(path) if path else ""
        if path and real not in seen and os.access(path, os.X_OK):
            seen.add(real)
            candidates.append(path)
    return candidates


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch the first candidate that starts headless; fail the test with every reason."""
    candidates = chromium_candidates()
    if not candidates:
        pytest.fail(
            "no chromium found: tried $CHROMIUM_PATH, "
            f"{', '.join(CHROMIUM_BINARIES)} and {', '.join(CHROMIUM_COMMANDS)} on PATH; "
            "install Debian's chromium (`apt-get install chromium`, as .ci/run does)",
            pytrace=False,
        )
    reasons = []
    for path in candidates:
        try:
            # The tests visit only our own board, and root cannot use the sandbox anyway:
            # without it Playwright passes --no-sandbox (and always --disable-dev-shm-usage).
            return playwright.chromium.launch(
                executable_path=path,
                headless=True,
                chromium_sandbox=False,
                timeout=LAUNCH_TIMEOUT_MS,
            )
        except Error as exc:
            reasons.append(f"{path}: {exc.message.split('Call log:')[0].strip()}")
    pytest.fail("chromium did not start:\n" + "\n\n".join(reasons), pytrace=False)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Chromium for the tests of this package, closed with its Playwright driver."""
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab in a fresh browser context (no cookies) that asks for German, as neighbours do.

    It bypasses the board's Content-Security-Policy so that tests.browser.audit can inject
    axe-core as a script tag; the policy itself is tested in tests/noticeboard."""
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@dataclass(frozen=True)
class LiveBoard:
    """A running `aushang serve` of the Nordstadt example board, over plain http."""

    base_url: str
    name: str
    admin_username: str
    admin_password: str
    process: BoardProcess

    def url(self, path: str) -> str:
        return self.process.url(path)


@pytest.fixture
def live_board(tmp_path: Path) -> Iterator[LiveBoard]:
    """Initialise and serve the Nordstadt board on 127.0.0.1; stopped after the test."""
    name = tomllib.loads(INSTANCE.read_text())["name"]
    with BoardProcess(INSTANCE, tmp_path / "board", free_port()) as process:
        process.init()
        process.start()
        yield LiveBoard(
            base_url=process.base_url,
            name=name,
            admin_username=ADMIN_USERNAME,
            admin_password=process.admin_password,
            process=process,
        )


# The seeded board of the accessibility audit and the keyboard walkthroughs (package scope).
from tests.browser.seeding import seeded  # noqa: E402, F401
