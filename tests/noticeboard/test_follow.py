"""The page "So bleiben Sie auf dem Laufenden", and plain words on every public page: Fediverse,
feed, Atom and .ics never stand there unexplained."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from tests.noticeboard.boards import RunningBoard, csrf_token

JARGON = re.compile(r"fediverse|feed(?!back)|\batom\b|\.ics\b", re.IGNORECASE)
BLOCKS = {
    "p", "li", "dd", "dt", "h1", "h2", "h3", "h4", "td", "th", "label", "legend", "title",
    "div", "section", "article", "header", "footer", "nav", "main", "form", "fieldset", "body",
}  # fmt: skip
VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}
SPOKEN_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder", "value")


class Block:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.jargon: list[str] = []
        self.explained = False


class JargonFinder(HTMLParser):
    """Collects jargon in text whose block (paragraph, list item ...) has no link to /follow."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[Block] = []
        self.ignored = 0  # inside <script> or <style>
        self.unexplained: list[str] = []
        self.explained: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.ignored += 1
        if tag in BLOCKS:
            self.stack.append(Block(tag))
        values = dict(attrs)
        if tag == "a" and (values.get("href") or "").startswith("/follow"):
            for block in self.stack:
                block.explained = True
        if tag != "input" or values.get("type") in ("submit", "button"):
            for name in SPOKEN_ATTRIBUTES:
                self._text(values.get(name) or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.ignored -= 1
        if tag not in BLOCKS or tag in VOID:
            return
        while self.stack:
            block = self.stack.pop()
            (self.explained if block.explained else self.unexplained).extend(block.jargon)
            if block.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.ignored:
            self._text(data)

    def _text(self, text: str) -> None:
        found = JARGON.findall(text)
        if found and self.stack:
            self.stack[-1].jargon.extend(f"{word!r} in {text.strip()[:80]!r}" for word in found)


def read_jargon(html: str) -> JargonFinder:
    finder = JargonFinder()
    finder.feed(html)
    finder.close()
    return finder


def unexplained_jargon(html: str) -> list[str]:
    return read_jargon(html).unexplained


def publish(board: RunningBoard, client: httpx.Client, **fields: str) -> int:
    data = {"csrf_token": csrf_token(client.get("/staff/notices/new").text), "action": "publish"}
    response = client.post("/staff/notices/new", data={**data, "body": "Text", **fields})
    assert response.status_code == 303, response.text[:2000]
    return int(board.value("SELECT max(id) FROM notices"))


def public_paths(board: RunningBoard) -> list[str]:
    client = board.login()
    event = publish(
        board,
        client,
        kind="event",
        title="Hoffest",
        start="2026-03-05T15:00",
        end="2026-03-05T18:00",
        place_name="Hof",
    )
    poll = publish(
        board, client, kind="poll", title="Welcher Tag?", options="Samstag\nSonntag", closes=""
    )
    offer = publish(board, client, kind="give-lend", title="Sofa zu verschenken")
    return [
        "/",
        "/?type=event",
        f"/notices/{event}",
        f"/notices/{poll}",
        f"/notices/{offer}",
        "/events",
        "/archive",
        "/search?q=Hoffest",
        "/about",
        "/submit",
        "/privacy",
        "/network",
        "/login",
        "/this-page-does-not-exist",
    ]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_public_pages__explain_fediverse_feed_atom_and_ics_where_they_appear(
    board: RunningBoard, lang: str
) -> None:
    reader = board.new_client()
    found, explained = {}, []
    for path in public_paths(board):
        separator = "&" if "?" in path else "?"
        jargon = read_jargon(reader.get(f"{path}{separator}lang={lang}").text)
        found[path] = jargon.unexplained
        explained += jargon.explained

    assert found == {path: [] for path in found}
    assert len(explained) >= 2  # the feed on the home page, the calendar on /events


def test_jargon_check__finds_a_word_without_explanation() -> None:
    assert unexplained_jargon("<body><p>Folgen Sie uns im Fediverse</p></body>")
    assert unexplained_jargon("<p>Als Feed (Atom) abonnieren</p>")
    assert unexplained_jargon('<p><a href="/calendar.ics">Kalender (.ics)</a></p>')
    assert not unexplained_jargon('<p>Als Feed <a href="/follow#feed-reader">was ist das?</a></p>')
    assert not unexplained_jargon("<p>Feedback willkommen</p>")


def test_follow_page__explains_every_way_in_plain_words(board: RunningBoard) -> None:
    html = board.get("/follow").text

    assert "<h1>So bleiben Sie auf dem Laufenden</h1>" in html
    for heading in (
        "Auf unserer Internetseite",
        "Auf Papier",
        "In Ihrem Kalender",
        "In einem Feedreader",
        "Mit Mastodon oder einer ähnlichen App",
    ):
        assert f">{heading}</h2>" in html
    assert board.url("/calendar.ics") in html
    assert board.url("/feed.atom") in html
    assert board.config.handle in html
    assert "Nordstraße 12, 45127 Essen" in html  # where the weekly sheet hangs
    assert 'href="/follow/poster.pdf"' in html
    assert 'href="/mail"' not in html  # this board sends no e-mail
    # The words it explains are named there, each in a sentence that says what it is.
    assert "heißt <dfn>Feed</dfn>" in html and "<dfn>Atom</dfn>" in html
    assert "heißt es <dfn>Fediverse</dfn>" in html and "<dfn>.ics</dfn>" in html


def test_follow_page__in_english(board: RunningBoard) -> None:
    html = board.get("/follow?lang=en").text

    assert "<h1>How to stay up to date</h1>" in html
    assert "A <dfn>feed reader</dfn> is an app" in html


def test_follow_page__is_linked_from_every_page_footer_and_the_home_page(
    board: RunningBoard,
) -> None:
    staff = board.login()
    for client, path in (
        (board.new_client(), "/"),
        (board.new_client(), "/events"),
        (staff, "/staff"),
    ):
        html = client.get(path).text
        footer = html[html.index('<footer class="site-footer">') :]
        assert 'href="/follow"' in footer, path
    home = board.get("/").text
    main = home[home.index("<main") : home.index("</main>")]
    assert 'href="/follow"' in main
