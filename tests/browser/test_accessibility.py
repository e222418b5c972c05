"""Every page of the board, in every interface language, at 1280 and 320 px wide and in the
error state of each form, passes axe-core's WCAG 2.x A/AA rules, does not scroll sideways
(also when mirrored right to left) and has form controls of at least 44 × 44 px.

The pages come from the app's route table: a test fails when a GET route is neither audited
here nor excused with a reason, so a new page cannot be forgotten. One board is seeded for
the package (tests/browser/seeding.py); each (page, language) is loaded once and audited at
both widths.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect
from starlette.routing import Route

from noticeboard.app import ROUTES
from noticeboard.i18n import LANGUAGES, get_translations
from noticeboard.participation.forms import MIN_SECONDS
from tests.browser.audit import problems, sideways_overflow
from tests.browser.conftest import LiveBoard
from tests.browser.seeding import NARROW, SUBSCRIBER_TOKEN, WIDE, Seeded, tab

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

STAFF_LANGUAGES = ("de", "en")


# GET routes that serve no HTML page (feeds, files, ActivityPub documents) or only act.
EXCUSED = {
    "/healthz": "plain text for monitoring",
    "/.well-known/webfinger": "JSON for fediverse servers",
    "/.well-known/nodeinfo": "JSON for fediverse servers",
    "/nodeinfo/{version}": "JSON for fediverse servers",
    "/actor": "ActivityPub JSON",
    "/actor/outbox": "ActivityPub JSON",
    "/users/{username}": "ActivityPub JSON (browsers are sent to /about)",
    "/users/{username}/outbox": "ActivityPub JSON",
    "/users/{username}/followers": "ActivityPub JSON",
    "/users/{username}/following": "ActivityPub JSON",
    "/users/{username}/featured": "ActivityPub JSON",
    "/notices/{notice_id:rowid}/activity": "ActivityPub JSON",
    "/notices/{notice_id:rowid}/replies": "ActivityPub JSON",
    "/activities/{uuid}": "ActivityPub JSON",
    "/calendar.ics": "iCalendar file",
    "/notices/{notice_id:rowid}.ics": "iCalendar file",
    "/feed.atom": "Atom feed",
    "/feed/{kind}.atom": "Atom feed",
    "/media/{name}": "image files",
    "/follow/poster.pdf": "PDF (its accessibility is tested in tests/paper)",
    "/notices/{notice_id:rowid}/poster.pdf": "PDF (its accessibility is tested in tests/paper)",
    "/staff/paper/week.pdf": "PDF (its accessibility is tested in tests/paper)",
    "/staff/mail/export": "CSV download",
    "/staff/report.pdf": "PDF (the report page itself is audited)",
    "/authorizations/{token}": "ActivityPub JSON",
    "/imprint": "the same page as /impressum, under its English name",
    "/datenschutz": "the same page as /privacy, under its German name",
    "/help": "the same page as /hilfe, under its English name",
    "/gruppen/{handle}/poster.pdf": "PDF (its accessibility is tested in tests/paper)",
    "/groups/{handle}": "ActivityPub JSON (browsers are sent to /gruppen/{handle})",
    "/groups/{handle}/outbox": "ActivityPub JSON",
    "/groups/{handle}/followers": "ActivityPub JSON",
    "/groups/{handle}/meetings/{day}": "ActivityPub JSON",
    "/staff/groups/mine": "only a redirect to the leader's group page",
}


# Route pattern -> path of an example page (several examples of one route may be audited).
def public_pages(s: Seeded) -> dict[str, list[str]]:
    return {
        "/": ["/"],
        "/about": ["/about"],
        "/archive": ["/archive"],
        "/events": ["/events"],
        "/search": ["/search", "/search?q=Flohmarkt"],
        "/notices/{notice_id:rowid}": [
            f"/notices/{s.notice}",
            f"/notices/{s.event}",
            f"/notices/{s.poll}",
        ],
        "/network": ["/network"],
        "/submit": ["/submit", "/submit?sent=1"],
        "/privacy": ["/privacy"],
        "/impressum": ["/impressum"],
        "/hilfe": ["/hilfe"],
        "/gruppen": ["/gruppen"],
        "/gruppen/{handle}": ["/gruppen/garten"],
        "/follow": ["/follow"],
        "/mail": ["/mail", "/mail?sent=1"],
        "/mail/confirm/{link}": [f"/mail/confirm/{s.confirm_link}"],
        "/mail/manage/{token}": [f"/mail/manage/{SUBSCRIBER_TOKEN}"],
        "/mail/unsubscribe/{token}": [f"/mail/unsubscribe/{SUBSCRIBER_TOKEN}"],
        "/login": ["/login"],
        "/invitation/{token:str}": [f"/invitation/{s.invitation}"],
        "404": ["/no-such-page"],
    }


def staff_pages(s: Seeded) -> dict[str, list[str]]:
    return {
        "/staff": ["/staff"],
        "/staff/notices/new": ["/staff/notices/new"],
        "/staff/notices/{notice_id:rowid}/edit": [
            f"/staff/notices/{s.notice}/edit",
            f"/staff/notices/{s.event}/edit",
        ],
        "/staff/notices/{notice_id:rowid}/delete": [f"/staff/notices/{s.notice}/delete"],
        "/staff/notices/{notice_id:rowid}/codes": [f"/staff/notices/{s.poll}/codes"],
        "/staff/notices/{notice_id:rowid}/translations": [
            f"/staff/notices/{s.notice}/translations"
        ],
        "/staff/queue": ["/staff/queue"],
        "/staff/queue/{item:rowid}": [f"/staff/queue/{s.queue_item}"],
        "/staff/network": ["/staff/network"],
        "/staff/problems": ["/staff/problems"],
        "/staff/replies": ["/staff/replies"],
        "/staff/blocks": ["/staff/blocks"],
        "/staff/accounts": ["/staff/accounts"],
        "/staff/account": ["/staff/account"],
        "/staff/audit": ["/staff/audit"],
        "/staff/settings": ["/staff/settings"],
        "/staff/continuity": ["/staff/continuity"],
        "/staff/mail": ["/staff/mail"],
        "/staff/paper": ["/staff/paper"],
        "/staff/report": ["/staff/report", "/staff/report?month=2026-11"],
        "/staff/groups": ["/staff/groups"],
        "/staff/groups/{handle}": ["/staff/groups/garten"],
    }


def get_routes() -> list[str]:
    return [
        route.path
        for route in ROUTES
        if isinstance(route, Route) and route.methods and "GET" in route.methods
    ]


def test_route_table__every_page_is_audited_or_excused() -> None:
    placeholder = Seeded(
        LiveBoard("", "", "", "", None),  # type: ignore[arg-type]
        1,
        2,
        3,
        4,
        "token",
        "link",
        {},
    )
    audited = {*public_pages(placeholder), *staff_pages(placeholder)}
    forgotten = [path for path in get_routes() if path not in audited and path not in EXCUSED]
    assert not forgotten, f"audit these pages in {__name__} or excuse them with a reason"
    stale = [path for path in (*audited, *EXCUSED) if path != "404" and path not in get_routes()]
    assert not stale, "these routes no longer exist"


def audit_both_widths(page: Page, where: str) -> list[str]:
    """Audit the page as loaded at 1280 px, then at 320 px, then mirrored at 320 px. The
    document is the same at both widths: at 320 px axe runs the rules that the layout decides."""
    found = [f"{where} @{WIDE}px: {line}" for line in problems(page)]
    page.set_viewport_size({"width": NARROW, "height": 640})
    found += [f"{where} @{NARROW}px: {line}" for line in problems(page, layout_only=True)]
    page.evaluate("() => { document.documentElement.dir = 'rtl'; }")
    overflow = sideways_overflow(page)
    if overflow:
        found.append(f"{where} @{NARROW}px mirrored: scrolls sideways {overflow}")
    page.set_viewport_size({"width": WIDE, "height": 800})
    return found


def audit_pages(page: Page, seeded: Seeded, paths: list[str], lang: str) -> list[str]:
    found = []
    for path in paths:
        response = page.goto(seeded.url(path))
        assert response is not None
        expected = 404 if path == "/no-such-page" else 200
        if response.status != expected:
            found.append(f"{path} [{lang}]: HTTP {response.status}")
            continue
        if page.locator("html").get_attribute("lang") != lang.split("-x-")[0] and not (
            lang.split("-x-")[0] == (page.locator("html").get_attribute("lang") or "")[:2]
        ):
            found.append(
                f"{path} [{lang}]: html lang is {page.locator('html').get_attribute('lang')}"
            )
        found += audit_both_widths(page, f"{path} [{lang}]")
    return found


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_pages__pass_axe_fit_320px_and_have_big_targets(
    browser: Browser, seeded: Seeded, lang: str
) -> None:
    paths = [path for group in public_pages(seeded).values() for path in group]
    with tab(browser, seeded, lang) as page:
        found = audit_pages(page, seeded, paths, lang)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("lang", STAFF_LANGUAGES)
def test_staff_pages__pass_axe_fit_320px_and_have_big_targets(
    browser: Browser, seeded: Seeded, lang: str
) -> None:
    paths = [path for group in staff_pages(seeded).values() for path in group]
    with tab(browser, seeded, lang, staff=True) as page:
        found = audit_pages(page, seeded, paths, lang)
    assert not found, "\n".join(found)


# --------------------------------------------------------------------------- error states


def send_invalid(page: Page, form: str, fill: Callable[[Page], None] | None = None) -> None:
    """Turn off the browser's own checks, fill in what `fill` does and send the form."""
    page.locator(form).evaluate("(form) => { form.noValidate = true; }")
    if fill:
        fill(page)
    with page.expect_navigation():
        page.locator(form).locator("button[type=submit]").last.click()


def _fill_submission(page: Page) -> None:
    page.locator("#title").fill("")
    page.locator("#body").fill("")
    page.locator("#name").fill("N" * 81)


def _fill_mail(page: Page) -> None:
    page.locator("#email").fill("not an address")


_LOGIN_NAMES = itertools.count(1)


def _fill_login(page: Page) -> None:
    # A name of its own per attempt: five failures for one name pause it (rule 44).
    page.locator("#username").fill(f"nobody-{next(_LOGIN_NAMES)}")
    page.locator("#password").fill("wrong password")


def _fill_invitation(page: Page) -> None:
    page.locator("#password").fill("short")
    page.locator("#password_again").fill("other")


# name: (path, form selector, what to fill in, seconds to wait before sending)
FormCase = tuple[Callable[[Seeded], str], str, Callable[[Page], None] | None, float]
# What shows that the board refused the input: the error summary, a field's error, a message.
ERROR_SHOWN = ".error-summary, .field-error, [aria-invalid=true], [role=alert], #poll [role=status]"

PUBLIC_FORMS: dict[str, FormCase] = {
    "submission": (lambda s: "/submit", "main form", _fill_submission, MIN_SECONDS + 0.4),
    "subscription": (lambda s: "/mail", "main form", _fill_mail, MIN_SECONDS + 0.4),
    "sign-in": (lambda s: "/login", "main form", _fill_login, 0),
    "vote": (lambda s: f"/notices/{s.poll}", "#poll form", None, 0),
    "invitation": (lambda s: f"/invitation/{s.invitation}", "main form", _fill_invitation, 0),
}


def _fill_compose(page: Page) -> None:
    page.locator("#title").fill("")
    page.locator("#body").fill("")


def _fill_account(page: Page) -> None:
    page.locator("main input[type=password]").first.fill("wrong password")


STAFF_FORMS: dict[str, FormCase] = {
    "compose": (lambda s: "/staff/notices/new", "main form.form", _fill_compose, 0),
    "edit": (lambda s: f"/staff/notices/{s.event}/edit", "main form.form", _fill_compose, 0),
    "own account": (lambda s: "/staff/account", "main form.form", _fill_account, 0),
}


def audit_error_states(
    browser: Browser, seeded: Seeded, lang: str, forms: dict[str, FormCase], staff: bool
) -> list[str]:
    found = []
    for name, (path, form, fill, wait) in forms.items():
        with tab(browser, seeded, lang, staff=staff) as page:
            page.goto(seeded.url(path(seeded)))
            page.wait_for_timeout(wait * 1000)
            send_invalid(page, form, fill)
            where = f"{name} form with errors [{lang}] {page.url}"
            if not page.locator(ERROR_SHOWN).count():
                found.append(f"{where}: no error shown")
            found += audit_both_widths(page, where)
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_forms_with_errors__pass_axe_and_fit_320px(
    browser: Browser, seeded: Seeded, lang: str
) -> None:
    found = audit_error_states(browser, seeded, lang, PUBLIC_FORMS, staff=False)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("lang", STAFF_LANGUAGES)
def test_staff_forms_with_errors__pass_axe_and_fit_320px(
    browser: Browser, seeded: Seeded, lang: str
) -> None:
    found = audit_error_states(browser, seeded, lang, STAFF_FORMS, staff=True)
    assert not found, "\n".join(found)


def test_languages__the_audit_reads_them_from_the_board() -> None:
    # The parametrisation above is LANGUAGES itself; each language has a catalogue.
    for lang in LANGUAGES:
        assert get_translations(lang) is not None
    assert set(STAFF_LANGUAGES) <= set(LANGUAGES)


# --------------------------------------------------------------------------- layout


@pytest.mark.parametrize("lang", LANGUAGES)
def test_home_on_a_phone__first_notice_on_the_first_screen(
    browser: Browser, seeded: Seeded, lang: str
) -> None:
    with tab(browser, seeded, lang) as page:
        page.set_viewport_size({"width": NARROW, "height": 640})
        page.goto(seeded.url("/"))
        title = page.locator(".notice-list .notice__title").first
        box = title.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 640, box
        # The folded filters open with the keyboard and still lead to each kind.
        summary = page.locator(".kind-filter summary")
        summary.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".kind-filter")).to_have_attribute("open", "")
        expect(page.locator('.kind-filter a[href="/?type=event"]')).to_be_visible()
        assert sideways_overflow(page) is None


def test_poll__vote_form_comes_before_the_results(browser: Browser, seeded: Seeded) -> None:
    with tab(browser, seeded, "de") as page:
        page.goto(seeded.url(f"/notices/{seeded.poll}"))
        order = page.evaluate(
            "() => [...document.querySelectorAll('#poll form, #poll .poll-results')]"
            ".map((el) => el.tagName.toLowerCase())"
        )
        assert order == ["form", "ul"]


def test_long_title__breaks_with_hyphens_in_its_language(browser: Browser, seeded: Seeded) -> None:
    with tab(browser, seeded, "en") as page:
        page.set_viewport_size({"width": NARROW, "height": 640})
        page.goto(seeded.url(f"/notices/{seeded.notice}"))
        title = page.locator("h1.notice__title")
        assert title.evaluate("(el) => el.closest('[lang]').lang") == "de"
        style = title.evaluate(
            "(el) => [getComputedStyle(el).hyphens, getComputedStyle(el).wordBreak]"
        )
        assert style == ["auto", "normal"]
        assert sideways_overflow(page) is None


def test_printed_notice__leaves_out_calendar_replies_footer_navigation_and_forms(
    browser: Browser, seeded: Seeded
) -> None:
    with tab(browser, seeded, "de") as page:
        page.goto(seeded.url(f"/notices/{seeded.event}"))
        expect(page.locator(".calendar-link")).to_be_visible()
        page.emulate_media(media="print")
        for hidden in (".calendar-link", "#replies", ".site-footer", "nav", "form", ".poster-link"):
            for element in page.locator(hidden).all():
                expect(element).to_be_hidden()
        expect(page.locator("h1.notice__title")).to_be_visible()
        expect(page.locator(".print-source")).to_be_visible()


def test_audit_log__scrolling_table_is_reached_by_keyboard(
    browser: Browser, seeded: Seeded
) -> None:
    with tab(browser, seeded, "de", staff=True) as page:
        page.set_viewport_size({"width": NARROW, "height": 640})
        page.goto(seeded.url("/staff/audit"))
        region = page.get_by_role("region", name=get_translations("de").gettext("Audit log"))
        expect(region).to_have_attribute("tabindex", "0")
        for _ in range(40):
            page.keyboard.press("Tab")
            if region.evaluate("(el) => el === document.activeElement"):
                break
        else:
            pytest.fail("Tab never reached the audit log's table")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        expect(region).not_to_have_js_property("scrollLeft", 0)
