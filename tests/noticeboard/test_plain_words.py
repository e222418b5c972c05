"""Plain words for residents and volunteers.

Public pages: every German public page is rendered with content in it, and a technical word
("Fediverse", "Feed", "Atom", ".ics", "Follower", "Föderation", "ActivityPub", "Handle", "RSS")
may appear only where it is explained. What counts as explained, for the innermost block element
(p, li, td, h2, ...) holding the word:
- the block defines the word itself: a <dfn> in it contains the word, or
- a <section> around the block defines it (a heading or a step of the section that explains it),
- the block links to an explanation: a link "path#id" (or "#id" on the same page) whose target
  has an element with that id containing a <dfn> of the word (the test fetches it and checks), or
- the word lies inside an <abbr title="..."> with a title.
Addresses (http(s)://...) are what readers copy, not words, and are left out. Attributes that
are read aloud or shown (title, alt, aria-label, placeholder) must not hold the words at all.

Staff pages: every audit code the code writes has a sentence; delivery failures are explained.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from html.parser import HTMLParser
from pathlib import Path

import pytest

from noticeboard.audit_words import ACTIONS, describe
from noticeboard.network.problems import PROBLEMS, explain, kind_of
from tests.noticeboard.boards import BoardFactory, RunningBoard, csrf_token

ROOT = Path(__file__).resolve().parents[2]
TERMS = {
    "fediverse": r"fediverse",
    "feed": r"feed(?!back)",
    "atom": r"\batom\b",
    "ics": r"\.ics\b",
    "follower": r"follower",
    "federation": r"föderation|federation",
    "activitypub": r"activitypub",
    "handle": r"\bhandle\b",
    "rss": r"\brss\b",
}
BLOCKS = {
    "p", "li", "td", "th", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "label", "legend",
    "caption", "figcaption", "summary", "button", "option", "blockquote", "div", "section",
    "nav", "main", "header", "footer", "ul", "ol", "dl", "table", "tr", "form", "article",
    "aside", "fieldset", "details", "title", "body", "select", "textarea",
}  # fmt: skip
VOID = {"br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"}
READ_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")
URL = re.compile(r"https?://\S+")


def terms_in(text: str) -> set[str]:
    text = URL.sub(" ", text)
    return {name for name, pattern in TERMS.items() if re.search(pattern, text, re.I)}


class Block:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.text: list[str] = []  # text of this block, not of blocks inside it
        self.defined: set[str] = set()
        self.links: list[str] = []
        self.sections: list[Block] = []  # the <section> elements around the block


class Page(HTMLParser):
    """Blocks of a page with their text, the terms they define and the links they hold."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.stack: list[Block] = []
        self.inline: list[str] = []
        self.attribute_words: list[tuple[str, str]] = []
        self.ids: dict[str, set[str]] = {}  # id -> terms defined inside that element
        self.open_ids: list[tuple[str, str, int]] = []  # (tag, id, depth)
        self.depth = 0
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "head":
            self.in_head = True
        for name in READ_ATTRIBUTES:
            if values.get(name) and tag != "abbr":
                self.attribute_words += [(f"{tag}[{name}]={values[name]}", t)
                                         for t in terms_in(values[name])]  # fmt: skip
        if tag in VOID:
            return
        self.depth += 1
        if values.get("id"):
            self.open_ids.append((tag, values["id"], self.depth))
            self.ids.setdefault(values["id"], set())
        if tag in BLOCKS:
            block = Block(tag)
            block.sections = [b for b in self.stack if b.tag == "section"]
            self.blocks.append(block)
            self.stack.append(block)
        self.inline.append(tag)
        if tag == "a" and self.stack:
            self.stack[-1].links.append(values.get("href", ""))
        if tag == "abbr" and values.get("title"):
            self.inline[-1] = "abbr+"

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False
        if tag in VOID or tag not in self.inline:
            return
        while self.inline:
            closed = self.inline.pop()
            if closed.startswith(tag) or closed == "abbr+" and tag == "abbr":
                break
        while self.open_ids and self.open_ids[-1][2] >= self.depth:
            self.open_ids.pop()
        self.depth -= 1
        if tag in BLOCKS and self.stack and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.stack or self.in_head and self.stack[-1].tag != "title":
            return
        if "script" in self.inline or "style" in self.inline:
            return
        block = self.stack[-1]
        if "dfn" in self.inline:
            defined = terms_in(data)
            block.defined |= defined
            for section in (b for b in self.stack if b.tag == "section"):
                section.defined |= defined
            for _, element_id, _ in self.open_ids:
                self.ids[element_id] |= defined
        if "abbr+" in self.inline:
            return
        block.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def unexplained(board: RunningBoard, path: str, html: str, targets: dict[str, Page]) -> list[str]:
    """Every technical word on the page that no definition or link explains."""
    page = parse(html)
    targets[path.partition("?")[0]] = page
    found = [f"{path}: {where} ({term})" for where, term in page.attribute_words]
    for block in page.blocks:
        text = " ".join(block.text)
        around = set().union(*(s.defined for s in block.sections))
        for term in terms_in(text) - block.defined - around:
            links = [path.partition("?")[0] + link if link.startswith("#") else link
                     for link in block.links]  # fmt: skip
            if not any(explains(board, link, term, targets) for link in links):
                found.append(f"{path}: <{block.tag}> {' '.join(text.split())[:120]!r} ({term})")
    return found


def explains(board: RunningBoard, href: str, term: str, targets: dict[str, Page]) -> bool:
    path, _, fragment = href.partition("#")
    if not fragment or not path.startswith("/"):
        return False
    if path not in targets:
        response = board.get(path)
        assert response.status_code == 200, (path, response.status_code)
        targets[path] = parse(response.text)
    return term in targets[path].ids.get(fragment, set())


def publish_everything(board: RunningBoard) -> dict[str, str]:
    """A board with a notice, an event and a poll; the paths of their pages."""
    staff = board.login()
    notice = board.publish(staff, "Hoffest", "Kuchen und Musik im Hof")
    token = csrf_token(staff.get("/staff/notices/new").text)
    common = {"csrf_token": token, "action": "publish"}
    event = {
        "kind": "event",
        "title": "Flohmarkt",
        "body": "Im Hof",
        "start": "2026-12-12T15:00",
        "end": "2026-12-12T18:00",
        "place_name": "Hof",
        "place_address": "Nordstraße 12",
    }
    assert staff.post("/staff/notices/new", data={**common, **event}).status_code == 303
    event_id = board.value("SELECT max(id) FROM notices")
    poll = {"kind": "poll", "title": "Welcher Tag?", "body": "Bitte abstimmen",
            "options": "Samstag\nSonntag", "closes": "2026-03-09T18:00"}  # fmt: skip
    assert staff.post("/staff/notices/new", data={**common, **poll}).status_code == 303
    poll_id = board.value("SELECT max(id) FROM notices")
    return {
        "notice": notice.removeprefix(board.base_url),
        "event": f"/notices/{event_id}",
        "poll": f"/notices/{poll_id}",
    }


PUBLIC_PAGES = (
    "/", "/about", "/archive", "/events", "/search", "/search?q=Hoffest", "/network", "/follow",
    "/submit", "/privacy", "/impressum", "/hilfe", "/login", "/mail", "/notices/999999",
)  # fmt: skip


@pytest.fixture
def full_board(make_board: BoardFactory) -> RunningBoard:
    return make_board(
        AUSHANG_MAIL_HOST="127.0.0.1",
        AUSHANG_MAIL_SECURITY="none",
        AUSHANG_MAIL_FROM="aushang@nordstadt.example",
        AUSHANG_FEDERATION_APPROVE_FOLLOWERS="true",
    )


def test_public_pages__explain_every_technical_word_where_it_appears(
    full_board: RunningBoard,
) -> None:
    board = full_board
    paths = [*PUBLIC_PAGES, *publish_everything(board).values()]
    reader = board.new_client()
    targets: dict[str, Page] = {}
    found = []
    for path in paths:
        response = reader.get(path, headers={"Accept-Language": "de"})
        assert response.status_code in (200, 404), (path, response.status_code)
        found += unexplained(board, path, response.text, targets)

    assert found == [], "\n".join(found)


def test_the_check__finds_an_unexplained_word_and_accepts_an_explained_one(
    board: RunningBoard,
) -> None:
    targets: dict[str, Page] = {}
    bare = "<body><p>Folgen Sie uns im Fediverse.</p></body>"
    linked = '<body><p>Folgen Sie uns im Fediverse (<a href="/hilfe#fediverse">?</a>).</p></body>'
    wrong = '<body><p>Unser Feed (<a href="/hilfe#fediverse">?</a>).</p></body>'
    defined = "<body><p>Das heißt <dfn>Feed</dfn>.</p><p>Ein RSS-Feed</p></body>"
    abbr = '<body><p>Per <abbr title="ein Standard für Neuigkeiten">RSS</abbr>.</p></body>'
    attribute = '<body><p><img alt="Unser Feed" src="/x.png"></p></body>'

    assert unexplained(board, "x", bare, targets) == [
        "x: <p> 'Folgen Sie uns im Fediverse.' (fediverse)"
    ]
    assert unexplained(board, "x", linked, targets) == []
    assert len(unexplained(board, "x", wrong, targets)) == 1  # the link explains another word
    assert sorted(unexplained(board, "x", defined, targets)) == [
        "x: <p> 'Ein RSS-Feed' (feed)",  # defined in another paragraph, not in this one
        "x: <p> 'Ein RSS-Feed' (rss)",
    ]
    in_section = "<body><section><h2>Feed</h2><p>Ein <dfn>Feed</dfn> ist ...</p></section></body>"
    assert unexplained(board, "x", in_section, targets) == []
    assert unexplained(board, "x", abbr, targets) == []
    assert len(unexplained(board, "x", attribute, targets)) == 1


def test_help_page__defines_every_word_the_check_knows(board: RunningBoard) -> None:
    page = parse(board.get("/hilfe").text)

    defined = set().union(*(b.defined for b in page.blocks))

    assert defined == set(TERMS)


# --- the audit log in words --------------------------------------------------------------------


def audit_codes() -> Iterator[tuple[str, str]]:
    """Every (place, code or pattern) passed to audit.record anywhere in noticeboard/."""
    for path in sorted((ROOT / "noticeboard").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.AsyncFunctionDef | ast.FunctionDef):
                continue
            for call in ast.walk(function):
                if not (isinstance(call, ast.Call) and ast.unparse(call.func) == "audit.record"):
                    continue
                place = f"{path.relative_to(ROOT)}:{call.lineno}"
                yield from ((place, c) for c in codes_of(call.args[1], function))


def codes_of(node: ast.expr, function: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from codes_of(node.body, function)
        yield from codes_of(node.orelse, function)
    elif isinstance(node, ast.JoinedStr):
        yield "re:" + "".join(
            re.escape(part.value) if isinstance(part, ast.Constant) else "(?P<x>[a-z_]+)"
            for part in node.values
        )
    elif isinstance(node, ast.Name):
        assigned = [
            a.value for a in ast.walk(function) if isinstance(a, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)
        ]  # fmt: skip
        assert assigned, f"cannot tell what {node.id} holds"
        for value in assigned:
            yield from codes_of(value, function)
    else:
        raise AssertionError(f"an audit code the test cannot read: {ast.unparse(node)}")


def check_values(column: str) -> set[str]:
    """The values a CHECK constraint of the migrations allows for a column."""
    sql = "\n".join(p.read_text() for p in (ROOT / "noticeboard" / "migrations").glob("*.sql"))
    found = re.search(rf"CHECK \({column} IN \(([^)]*)\)\)", sql)
    assert found, column
    return set(re.findall(r"'([a-z_]+)'", found.group(1)))


def test_audit__every_code_the_board_writes_has_a_sentence() -> None:
    codes = list(audit_codes())
    expanded = {
        r"notice\.publish\.(?P<x>[a-z_]+)": {f"notice.publish.{o}" for o in check_values("origin")},
        r"(?P<x>[a-z_]+)\.approve": {f"{k}.approve" for k in check_values("kind")},
        r"(?P<x>[a-z_]+)\.reject": {f"{k}.reject" for k in check_values("kind")},
    }
    missing = []
    for place, code in codes:
        if code.startswith("re:"):
            assert code[3:] in expanded, f"{place}: a new computed code {code[3:]}: list its values"
            missing += [f"{place}: {c}" for c in expanded[code[3:]] if c not in ACTIONS]
        elif code not in ACTIONS:
            missing.append(f"{place}: {code}")

    assert len(codes) > 50
    assert missing == []


def test_audit__every_sentence_is_translated_and_names_its_target() -> None:
    for code, sentence in ACTIONS.items():
        german = describe(code, "ZIEL", "de").sentence
        assert german != sentence, code
        assert "ZIEL" in german or "%(target)s" not in sentence, code


def test_audit__the_log_page_shows_words_and_keeps_the_code(board: RunningBoard) -> None:
    staff = board.login()
    board.publish(staff, "Hoffest")

    page = staff.get("/staff/audit").text

    assert "hat den Aushang „Hoffest“ veröffentlicht" in page
    assert 'title="notice.publish.staff"' in page
    assert "<code>notice.publish.staff</code>" in page  # in the details for admins


def test_audit__the_command_line_prints_words_and_keeps_codes_in_json(board: RunningBoard) -> None:
    board.publish(board.login(), "Hoffest")

    text = board.cli("audit").stdout
    listed = board.cli("audit", "--json").stdout

    assert "published the notice “Hoffest”" in text and "notice.publish" not in text
    assert '"action": "notice.publish.staff"' in listed


def test_audit__an_unknown_old_code_is_shown_as_it_is() -> None:
    line = describe("something.old", "x", "de")
    assert (line.sentence, line.known) == ("something.old", False)


# --- delivery problems in words ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (401, "HTTP 401", "refused"),
        (403, "HTTP 403: refused by the receiver", "refused"),
        (404, "HTTP 404: the inbox is gone", "gone"),
        (410, "HTTP 410: the inbox is gone", "gone"),
        (429, "HTTP 429; gave up after 16 attempts", "too_many"),
        (502, "HTTP 502", "server_fault"),
        (503, "HTTP 503", "server_fault"),
        (422, "HTTP 422: refused by the receiver", "rejected"),
        (None, "read timeout talking to 'https://nachbar.social/inbox'", "timeout"),
        (None, "connect timeout talking to 'https://nachbar.social/inbox'", "timeout"),
        (
            None,
            "connection to 'https://x.example/inbox' failed: could not resolve 'x.example': "
            "[Errno -2] Name or service not known",
            "not_found",
        ),  # fmt: skip
        (
            None,
            "connection to 'https://x.example/inbox' failed: [SSL: CERTIFICATE_VERIFY_FAILED] "
            "certificate verify failed",
            "certificate",
        ),  # fmt: skip
        (
            None,
            "connection to 'https://x.example/inbox' failed: [Errno 111] Connection refused",
            "unreachable",
        ),
        (None, "network error; gave up after 16 attempts", "unreachable"),
        (None, "the server is blocked or not allowed; not sent", "blocked"),
        (None, "the server has been unreachable on several days; not tried", "long_unreachable"),
        (None, "refusing host '10.0.0.1': private address", "forbidden_address"),
        (None, "no signing key for https://board/actor", "unknown"),
    ],
)
def test_problems__each_failure_kind_has_its_plain_explanation(
    status: int | None, error: str, kind: str
) -> None:
    assert kind_of(status, error) == kind
    assert explain(status, error) is PROBLEMS[kind]


def refused_delivery(board: RunningBoard) -> None:
    """A delivery to nachbar.social that its server refused with 403."""
    now = "2026-03-02T09:00:00.000000Z"
    with closing(sqlite3.connect(board.config.db_path, timeout=5)) as conn, conn:
        conn.execute(
            "INSERT INTO outbox_activities (id, actor, type, object_id, body, published) "
            "VALUES ('https://b/a/1', 'https://b/actor', 'Create', 'https://b/n/1', '{}', ?)",
            (now,),
        )
        conn.execute(
            "INSERT INTO deliveries (activity_id, inbox, host, state, attempts, next_attempt_at,"
            " last_status, last_error, created, updated) VALUES ('https://b/a/1', "
            "'https://nachbar.social/inbox', 'nachbar.social', 'failed', 1, ?, 403, "
            "'HTTP 403: refused by the receiver', ?, ?)",
            (now, now, now),
        )


def test_problems__the_page_says_what_happened_and_what_to_do(board: RunningBoard) -> None:
    staff = board.login()
    refused_delivery(board)

    page = staff.get("/staff/problems").text

    assert "Der Server nachbar.social hat unseren Aushang abgelehnt." in page
    assert "Was Sie tun können:" in page
    assert "HTTP 403: refused by the receiver" in page  # kept in the details


def test_problems__a_message_that_came_in_is_named_in_words(board: RunningBoard) -> None:
    staff = board.login()
    with closing(sqlite3.connect(board.config.db_path, timeout=5)) as conn, conn:
        conn.execute(
            "INSERT INTO inbox_activities (id, actor, type, body, received_at, state, attempts, "
            "next_attempt_at, last_error) VALUES ('https://m.example/a/1', "
            "'https://m.example/users/ada', 'Follow', '{}', '2026-03-02T09:00:00.000000Z', "
            "'failed', 5, '2026-03-02T09:00:00.000000Z', 'KeyError: object')"
        )

    page = staff.get("/staff/problems").text

    assert (
        "Eine Anfrage, der Tafel zu folgen von https://m.example/users/ada konnte nicht "
        "verarbeitet werden." in page
    )
    assert "KeyError: object" in page  # in the details


def test_problems__the_command_line_says_it_in_words_and_names_the_kind_in_json(
    board: RunningBoard,
) -> None:
    refused_delivery(board)

    text = board.cli("deliveries").stdout
    listed = board.cli("deliveries", "--json").stdout

    assert "nachbar.social\tThe server nachbar.social refused our notice." in text
    assert '"problem": "refused"' in listed and '"last_error": "HTTP 403' in listed
