from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from markupsafe import Markup

from noticeboard.continuity.queries import Closed, Continuity, Moved
from noticeboard.i18n import (
    LANGUAGES,
    gettext_context,
    language_links,
    make_environment,
    staff_language,
)
from noticeboard.languages import direction
from noticeboard.network.problems import explain, message_kind
from noticeboard.notices.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
FIELD_INPUT_TYPES_WITHOUT_LABEL = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class Page(HTMLParser):
    """Collect what the accessibility checks need from one rendered page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.forms: list[tuple[Element, list[Element]]] = []
        self.open_labels: list[Element] = []
        self.open_headings: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag == "form":
            self.forms.append((element, []))
        elif self.forms and tag in {"input", "textarea", "select", "button"}:
            self.forms[-1][1].append(element)
        if tag == "label":
            self.open_labels.append(element)
        if tag in {"h1", "h2", "h3", "h4"}:
            self.open_headings.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.open_labels:
            self.open_labels.pop()
        if tag in {"h1", "h2", "h3", "h4"} and self.open_headings:
            self.open_headings.pop()

    def handle_data(self, data: str) -> None:
        for element in (*self.open_labels, *self.open_headings):
            element.text += data

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    def ids(self) -> Counter[str]:
        return Counter(e.attrs["id"] for e in self.elements if "id" in e.attrs)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, 30, tzinfo=UTC)


BOARD = SimpleNamespace(
    name="Stadtteilbüro Nordstadt",
    summary="Das Büro für die Nachbarschaft in der Nordstadt.",
    username="nordstadt",
    handle="@nordstadt@nordstadt.example",
    url="https://nordstadt.example/",
    actor_url="https://nordstadt.example/users/nordstadt",
    contact={
        "email": "buero@nordstadt.example",
        "phone": "0511 123 45-6",
        "address": "Engelbosteler Damm 1\n30167 Hannover",
        "opening_hours": "Mo–Fr 9–13 Uhr",
    },
    icon_url="https://nordstadt.example/static/icon.png",
)


def notice(number: int, **extra: Any) -> SimpleNamespace:
    values = {
        "url": f"https://nordstadt.example/notices/{number}",
        "title": f"Hoffest Nummer {number} <script>alert(1)</script>",
        "body_html": Markup("<p>Wir feiern im <strong>Hof</strong>.</p><ul><li>Kuchen</li></ul>"),
        "category": "Treffen" if number % 2 else None,
        "published": at(number),
        "updated": at(number + 1) if number == 1 else None,
        "delivery_total": 4,
        "delivery_sent": 2 + number % 3,
        "delivery_pending": 1,
        "delivery_failed": 1 - number % 2,
        "follower_inboxes": 4,
        "kind": KINDS[number % len(KINDS)],
        "valid_until": at(number + 20) if number % 2 else None,
        "done": at(number + 2) if number == 3 else None,
        "expired": number == 4,
        "pinned": number == 2,
        "lang": "tr" if number == 2 else None,
        "id": number,
    }
    values.update(extra)
    return SimpleNamespace(**values)


STAFF = SimpleNamespace(username="anna", role="owner")

PAGES: dict[str, dict[str, Any]] = {
    "home.html": {
        "notices": [notice(1), notice(2), notice(3)],
        "next_url": "/?before=2",
        "kinds": KINDS,
        "current_kind": "event",
        "feed_url": "/feed/event.atom",
    },
    "archive.html": {"notices": [notice(4)], "next_url": "/archive?before=x"},
    "staff/delete.html": {"user": STAFF, "notice": notice(1)},
    "events.html": {
        "notices": [
            notice(
                5,
                event_start=at(20),
                event_end=at(21),
                place_name="Hof",
                place_address="Nordstraße 12",
                online_url="https://meet.example/x",
            )
        ]
    },
    "events.html#empty": {"notices": []},
    "staff/problems.html": {
        "user": STAFF,
        "deliveries": [
            SimpleNamespace(
                id=3,
                host="m.example",
                activity_type="Create",
                attempts=17,
                last_error="HTTP 503",
                updated=at(5),
                problem=explain(503, "HTTP 503"),
            )
        ],
        "inbox_failures": [
            SimpleNamespace(
                id="https://m.example/a/1",
                type="Follow",
                actor="https://m.example/u",
                last_error="boom",
                kind=message_kind("Follow"),
            )
        ],
    },
    "staff/problems.html#empty": {"user": STAFF, "deliveries": [], "inbox_failures": []},
    "home.html#empty": {"notices": [], "next_url": None},
    "notice.html": {"notice": notice(1)},
    "profile.html": {"follower_count": 1, "fields": [("Träger", "Nordstadt e.V.")]},
    "login.html": {"error": None},
    "login.html#error": {"error": "Wrong user name or password."},
    "error.html": {"status": 404, "message": "This page does not exist."},
    "staff/dashboard.html": {
        "user": STAFF,
        "flash": "The notice has been published.",
        "notices": [notice(1), notice(2), notice(3, delivery_total=0, delivery_sent=0)],
        "follower_count": 7,
        "pending_follows": [
            SimpleNamespace(
                id=5, actor_id="https://m.example/users/kim", handle="@kim@m.example", created=at(3)
            ),
            SimpleNamespace(id=6, actor_id="https://x.example/ap/1", handle=None, created=at(4)),
        ],
        "continuity": Continuity([], None, None),
    },
    "staff/dashboard.html#moved": {
        "user": STAFF,
        "notices": [],
        "follower_count": 0,
        "pending_follows": [],
        "continuity": Continuity(
            [], Moved("https://n.example/users/b", "https://n.example/", "@b@n.example"), None
        ),
    },
    "staff/continuity.html": {
        "user": STAFF,
        "status": Continuity(["https://o.example/users/b"], None, None),
        "closing": None,
        "staff": [SimpleNamespace(username="admin"), SimpleNamespace(username="lea")],
    },
    "staff/continuity.html#closed": {
        "user": STAFF,
        "status": Continuity([], None, Closed("2026-05-01", "https://a.example/", "x")),
        "closing": {"sent": 3, "pending": 1},
        "staff": [SimpleNamespace(username="admin")],
    },
    "closed.html": {"archive_url": "https://archiv.example/"},
    "staff/compose.html": {
        "user": STAFF,
        "form": {},
        "errors": {},
        "preview_html": None,
        "kinds": KINDS,
    },
    "staff/compose.html#errors": {
        "user": STAFF,
        "form": {"title": "", "body": "Hallo **Welt**", "category": "Treffen"},
        "errors": {"title": "Please enter a title.", "category": "Too long."},
        "kinds": KINDS,
        "preview_html": Markup("<p>Hallo <strong>Welt</strong></p>"),
    },
}


def context(lang: str, staff_page: bool = False, **extra: Any) -> dict[str, Any]:
    lang = staff_language(lang) if staff_page else lang
    values: dict[str, Any] = {
        "lang": lang,
        "dir": direction(lang),
        "languages": language_links("/", "", lang),
        "timezone": "Europe/Berlin",
        "now": datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        "request": SimpleNamespace(url=SimpleNamespace(path="/"), query_params={}),
        "csrf_token": "token-123",
        "user": None,
        "flash": None,
        "page_title": "Aushang",
        "ap_alternate": "https://nordstadt.example/users/nordstadt",
        "board": BOARD,
        **gettext_context(lang, staff=staff_page),
    }
    values.update(extra)
    return values


@pytest.fixture(scope="module")
def env() -> Any:
    return make_environment(TEMPLATES)


def render(env: Any, case: str, lang: str) -> str:
    name = case.split("#", 1)[0]
    staff = name.startswith("staff/")
    return str(env.get_template(name).render(context(lang, staff, **PAGES[case])))


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


CASES = [(case, lang) for case in PAGES for lang in LANGUAGES]


@pytest.mark.parametrize(("case", "lang"), CASES)
def test_page__has_language_title_landmarks_and_skip_link(env: Any, case: str, lang: str) -> None:
    page = parse(render(env, case, lang))
    shown = staff_language(lang) if case.startswith("staff/") else lang
    assert page.all("html")[0].attrs.get("lang") == shown
    assert page.all("html")[0].attrs.get("dir") == direction(shown)
    assert len(page.all("h1")) == 1
    assert page.all("h1")[0].text.strip()
    assert page.all("title")
    for landmark in ("header", "nav", "main", "footer"):
        assert page.all(landmark), landmark
    first_link = page.all("a")[0]
    assert first_link.attrs["href"] == "#main"
    assert "main" in {e.attrs.get("id") for e in page.all("main")}


@pytest.mark.parametrize(("case", "lang"), CASES)
def test_page__no_inline_script_style_or_third_party_assets(env: Any, case: str, lang: str) -> None:
    html = render(env, case, lang)
    assert "<script" not in html.lower().replace("&lt;script", "")
    page = parse(html)
    assert not page.all("script")
    assert not page.all("style")
    for element in page.elements:
        assert "style" not in element.attrs, element
        assert not any(name.startswith("on") for name in element.attrs), element
    for link in page.all("link"):
        if link.attrs.get("rel") in {"stylesheet", "icon"}:
            assert link.attrs["href"].startswith("/static/")


@pytest.mark.parametrize(("case", "lang"), CASES)
def test_page__every_field_has_a_label_and_valid_descriptions(
    env: Any, case: str, lang: str
) -> None:
    page = parse(render(env, case, lang))
    ids = page.ids()
    assert [i for i, n in ids.items() if n > 1] == []
    labels = {e.attrs.get("for"): e for e in page.all("label")}
    fields = [
        e
        for e in page.elements
        if e.tag in {"textarea", "select"}
        or (e.tag == "input" and e.attrs.get("type") not in FIELD_INPUT_TYPES_WITHOUT_LABEL)
    ]
    for element in fields:
        assert element.attrs.get("id") in labels, element
        assert labels[element.attrs["id"]].text.strip(), element
    for element in page.elements:
        for reference in element.attrs.get("aria-describedby", "").split():
            assert reference in ids, (element, reference)
        if element.attrs.get("aria-labelledby"):
            assert element.attrs["aria-labelledby"] in ids
    for image in page.all("img"):
        assert "alt" in image.attrs


@pytest.mark.parametrize(("case", "lang"), CASES)
def test_page__every_post_form_carries_the_csrf_token(env: Any, case: str, lang: str) -> None:
    page = parse(render(env, case, lang))
    for form, controls in page.forms:
        if form.attrs.get("method", "get").lower() != "post":
            continue
        hidden = [
            c
            for c in controls
            if c.attrs.get("type") == "hidden" and c.attrs.get("name") == "csrf_token"
        ]
        assert [c.attrs.get("value") for c in hidden] == ["token-123"], form
        for control in controls:
            if control.tag == "button":
                assert control.attrs.get("type") == "submit"


def test_base__logged_out_and_logged_in_navigation(env: Any) -> None:
    public = parse(render(env, "home.html", "de"))
    assert "/login" in {a.attrs["href"] for a in public.all("a")}
    assert [f.attrs["action"] for f, _ in public.forms] == []
    staff = parse(render(env, "staff/dashboard.html", "de"))
    actions = [f.attrs["action"] for f, _ in staff.forms]
    assert actions[0] == "/logout"
    assert "/staff/follows/5/approve" in actions and "/staff/follows/6/reject" in actions
    links = {a.attrs["href"] for a in staff.all("a")}
    assert {"/staff", "/staff/notices/new"} <= links
    switcher = [a for a in staff.all("a") if "lang=" in a.attrs["href"]]
    assert [(a.attrs["href"], a.attrs["lang"]) for a in switcher] == [
        ("/?lang=de", "de"),
        ("/?lang=de-x-simple", "de-x-simple"),
        ("/?lang=en", "en"),
        ("/?lang=tr", "tr"),
        ("/?lang=ar", "ar"),
        ("/?lang=uk", "uk"),
        ("/?lang=ru", "ru"),
        ("/?lang=pl", "pl"),
    ]
    assert [a.attrs["hreflang"] for a in switcher] == list(LANGUAGES)
    html = render(env, "home.html", "de")
    for name in ("Deutsch", "Einfache Sprache", "Türkçe", "العربية", "Українська", "Polski"):
        assert f">{name}</a>" in html


def test_base__activitypub_alternate_link(env: Any) -> None:
    page = parse(render(env, "profile.html", "en"))
    alternates = [e.attrs for e in page.all("link") if e.attrs.get("rel") == "alternate"]
    assert alternates == [
        {
            "rel": "alternate",
            "type": "application/activity+json",
            "href": "https://nordstadt.example/users/nordstadt",
        }
    ]


def test_home__escapes_titles_and_keeps_sanitised_body(env: Any) -> None:
    html = render(env, "home.html", "de")
    assert "Hoffest Nummer 1 &lt;script&gt;" in html
    assert "<p>Wir feiern im <strong>Hof</strong>.</p>" in html
    assert "Ältere Aushänge" in html
    assert '<time datetime="2026-11-01T12:30:00Z">So., 1. Nov., 13:30</time>' in html
    assert "@nordstadt@nordstadt.example" in html


def test_home__empty_state_in_both_languages(env: Any) -> None:
    assert "Im Moment gibt es keine Aushänge" in render(env, "home.html#empty", "de")
    assert "There are no notices at the moment" in render(env, "home.html#empty", "en")


def test_page__translated_chrome(env: Any) -> None:
    assert "Zum Inhalt springen" in render(env, "notice.html", "de")
    english = render(env, "notice.html", "en")
    assert "Skip to content" in english
    assert "Zum Inhalt springen" not in english


def test_page__board_content_keeps_its_language_when_the_interface_differs(env: Any) -> None:
    board = SimpleNamespace(**{**vars(BOARD), "language": "de"})
    template = env.get_template("home.html")
    english = parse(template.render(context("en", board=board, **PAGES["home.html"])))
    # Notice 2 is written in Turkish: its own language wins over the board's. The title and
    # text carry it; the labels around them are in the interface language.
    titles = english.all("h2")[:3]
    assert [a.attrs.get("lang") for a in titles] == ["de", "tr", "de"]
    assert [a.attrs.get("dir") for a in titles] == ["ltr", "ltr", "ltr"]
    german = parse(template.render(context("de", board=board, **PAGES["home.html"])))
    assert [a.attrs.get("lang") for a in german.all("h2")[:3]] == [None, "tr", None]
    arabic = parse(template.render(context("ar", board=board, **PAGES["home.html"])))
    assert arabic.all("html")[0].attrs["dir"] == "rtl"
    assert [a.attrs.get("dir") for a in arabic.all("h2")[:3]] == ["ltr", "ltr", "ltr"]


def test_profile__shows_only_present_contact_fields(env: Any) -> None:
    html = render(env, "profile.html", "de")
    assert 'href="mailto:buero@nordstadt.example"' in html
    assert 'href="tel:0511123456"' in html
    assert "Öffnungszeiten" in html
    assert "Webseite" not in html
    assert "1 Konto folgt uns mit Mastodon oder einer ähnlichen App." in html


def test_compose__errors_are_tied_to_fields_and_translated(env: Any) -> None:
    page = parse(render(env, "staff/compose.html#errors", "de"))
    fields = {e.attrs["id"]: e for e in page.elements if e.attrs.get("id") in {"title", "body"}}
    assert fields["title"].attrs["aria-invalid"] == "true"
    assert fields["title"].attrs["aria-describedby"] == "title-error"
    assert fields["body"].attrs["aria-describedby"] == "body-hint"
    assert "aria-invalid" not in fields["body"].attrs
    html = render(env, "staff/compose.html#errors", "de")
    assert "Bitte schreiben Sie eine Überschrift." in html
    assert "<p>Hallo <strong>Welt</strong></p>" in html
    buttons = [(b.attrs.get("name"), b.attrs.get("value")) for b in page.all("button")]
    assert ("action", "preview") in buttons and ("action", "publish") in buttons


def test_error__tolerates_status_code_name(env: Any) -> None:
    template = env.get_template("error.html")
    html = template.render(context("en", status_code=404, message="This page does not exist."))
    assert "Page not found" in html


def test_stylesheet__has_print_focus_and_motion_rules_and_no_remote_assets() -> None:
    css = (ROOT / "static" / "style.css").read_text(encoding="utf-8")
    assert "@media print" in css
    assert ":focus-visible" in css
    assert "prefers-reduced-motion" in css
    assert "@import" not in css
    assert "url(" not in css
    assert (ROOT / "static" / "favicon.svg").read_text(encoding="utf-8").startswith("<svg")


PHYSICAL_PROPERTY = re.compile(
    r"(?:^|[\s;{])((?:margin|padding|border|scroll-margin|scroll-padding)-(?:left|right|top|bottom)"
    r"(?:-[a-z]+)?|left|right|top|bottom)\s*:",
    re.MULTILINE,
)
PHYSICAL_VALUE = re.compile(r"(?:text-align|float|clear|caption-side)\s*:\s*(?:left|right)\b")


def test_stylesheet__uses_logical_properties_so_rtl_pages_mirror() -> None:
    css = re.sub(
        r"/\*.*?\*/", "", (ROOT / "static" / "style.css").read_text(encoding="utf-8"), flags=re.S
    )
    assert PHYSICAL_PROPERTY.findall(css) == []
    assert PHYSICAL_VALUE.findall(css) == []
    assert "word-break: break-all" not in css
    assert "hyphens: auto" in css
