"""Kinds of notice through the running board: labels in both languages, symbols, hashtags, the
summary line in the fediverse, publishing with kind and validity (web form and command line),
the board's filter by kind, and marking an offer or request done."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from noticeboard.notices.kinds import KINDS
from tests.noticeboard.boards import RunningBoard, csrf_token
from tests.noticeboard.test_isolation import add_follower
from tests.noticeboard.test_staff_security import PASSWORD, add_staff
from tests.support.fediverse import Fediverse

BERLIN = ZoneInfo("Europe/Berlin")

# What the issue asks for, written out here so the test does not trust the code under test.
GERMAN = {
    "announcement": "Aushang",
    "event": "Termin",
    "offer-help": "Biete Hilfe",
    "need-help": "Suche Hilfe",
    "give-lend": "Zu verschenken oder verleihen",
    "looking-for": "Suche etwas",
    "lost-found": "Verloren und gefunden",
    "meetup": "Gruppe oder Treffen",
    "poll": "Umfrage",
}
ENGLISH = {
    "announcement": "Announcement",
    "event": "Event",
    "offer-help": "Offering help",
    "need-help": "Looking for help",
    "give-lend": "To give away or lend",
    "looking-for": "Looking for something",
    "lost-found": "Lost and found",
    "meetup": "Group or meet-up",
    "poll": "Poll",
}
HASHTAG = {
    "announcement": "Aushang",
    "event": "Termin",
    "offer-help": "HilfeAngebot",
    "need-help": "HilfeGesucht",
    "give-lend": "ZuVerschenken",
    "looking-for": "Gesucht",
    "lost-found": "Fundsache",
    "meetup": "Treffen",
    "poll": "Umfrage",
}
DONE_GERMAN = {
    "offer-help": "Hilfe vermittelt",
    "need-help": "Hilfe gefunden",
    "give-lend": "Vergeben",
    "looking-for": "Gefunden",
    "lost-found": "Zurückgegeben",
}
SYMBOL = {kind.id: kind.symbol for kind in KINDS}
# An event needs a time and a place; Friday 20 March 2026, 18-20 h Berlin time.
EVENT_FIELDS = {"start": "2026-03-20T18:00", "end": "2026-03-20T20:00", "place_name": "Hof"}
EVENT_LINE = "📅 Fr., 20.03., 18:00–20:00 · Hof"
POLL_FIELDS = {"options": "Ja\nNein"}


# --- helpers shared with test_expiry.py and test_feeds.py ---------------------------------------


def fields_for(kind: str, **fields: Any) -> dict[str, Any]:
    """The form fields a notice of `kind` needs: events a time and a place, polls answers."""
    extra: dict[str, Any] = {}
    if kind == "event":
        extra = dict(EVENT_FIELDS)
    elif kind == "poll":
        extra = dict(POLL_FIELDS)
    return {"kind": kind, **extra, **fields}


def post(board: RunningBoard, client: httpx.Client, title: str, kind: str, **fields: Any) -> str:
    """Publish through the web form as signed-in staff; return the notice's URL."""
    return board.publish(client, title, f"Text zu {title}", **fields_for(kind, **fields))


def notice_path(board: RunningBoard, url: str) -> str:
    return url.removeprefix(board.base_url)


def note_of(board: RunningBoard, url: str) -> dict[str, Any]:
    return board.get_json(notice_path(board, url))


def add_inbox(board: RunningBoard, fediverse: Fediverse, name: str = "kim") -> str:
    """An accepted follower on the fake remote server; return its inbox path."""
    inbox = f"/users/{name}/inbox"
    add_follower(board, fediverse.remote.url(f"/users/{name}"), fediverse.remote.url(inbox))
    return inbox


def received(fediverse: Fediverse, inbox: str, type_: str) -> list[dict[str, Any]]:
    return [r.json() for r in fediverse.remote.posts(inbox) if r.json()["type"] == type_]


def outbox_count(board: RunningBoard, type_: str, object_id: str) -> int:
    """How many activities of a type about one notice the board queued for its followers."""
    rows = board.rows("SELECT body FROM outbox_activities WHERE type = ?", type_)
    objects = [json.loads(r["body"])["object"] for r in rows]
    return sum(1 for o in objects if (o["id"] if isinstance(o, dict) else o) == object_id)


def deliveries_settled(board: RunningBoard) -> bool:
    return not board.rows("SELECT id FROM deliveries WHERE state = 'pending'")


def card(html: str, url_path: str) -> str:
    """The <article> of one notice on a list page ('' if it is not listed)."""
    for match in re.finditer(r"<article class=\"notice notice--card.*?</article>", html, re.S):
        if f'href="{url_path}"' in match.group(0) or url_path in match.group(0):
            return match.group(0)
    return ""


def one_line_error(result: Any) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


# --- the catalogue of kinds -----------------------------------------------------------------


def test_kinds__are_the_nine_of_the_issue_each_with_its_own_symbol() -> None:
    assert [k.id for k in KINDS] == list(GERMAN)
    symbols = [k.symbol for k in KINDS]
    assert all(s.strip() for s in symbols)
    assert len(set(symbols)) == len(symbols), "two kinds share a symbol"
    assert {k.id: k.hashtag for k in KINDS} == HASHTAG


def test_kinds__every_label_is_in_the_german_and_the_english_catalogue() -> None:
    from babel.messages.pofile import read_po

    from noticeboard.i18n import catalogue_path

    for lang, expected in (("de", GERMAN), ("en", ENGLISH)):
        with catalogue_path(lang).open("rb") as handle:
            catalogue = read_po(handle, locale=lang)
        for kind in KINDS:
            message = catalogue.get(kind.label)
            assert message is not None, f"{kind.label!r} is missing from the {lang} catalogue"
            shown = message.string or message.id
            assert shown == expected[kind.id], (lang, kind.id, shown)


# --- labels and symbols on the board page ------------------------------------------------------


def test_board_page__filter_lists_every_kind_with_symbol_and_label_in_both_languages(
    board: RunningBoard,
) -> None:
    for lang, labels in (("de", GERMAN), ("en", ENGLISH)):
        html = board.get(f"/?lang={lang}").text
        for kind in KINDS:
            link = re.search(rf'<a href="/\?type={kind.id}"[^>]*>(.*?)</a>', html, re.S)
            assert link, f"no filter link for {kind.id}"
            text = re.sub(r"<[^>]+>", "", link.group(1)).strip()
            assert text == f"{kind.symbol} {labels[kind.id]}", (lang, kind.id, text)


@pytest.mark.parametrize("kind", [k.id for k in KINDS])
def test_kind__page_label_in_both_languages_and_note_hashtag_and_summary_line(
    board: RunningBoard, kind: str
) -> None:
    client = board.login()
    url = post(board, client, "Ein Aushang", kind)
    path = notice_path(board, url)

    for lang, labels, other in (("de", GERMAN, ENGLISH), ("en", ENGLISH, GERMAN)):
        for page in (f"/?lang={lang}", f"{path}?lang={lang}"):
            html = board.get(page).text
            badge = re.search(rf'<span class="kind kind--{kind}">(.*?</span>[^<]*)</span>', html)
            assert badge, f"no kind badge for {kind} on {page}"
            text = re.sub(r"<[^>]+>", "", badge.group(1)).strip()
            assert text == f"{SYMBOL[kind]} {labels[kind]}", (page, text)
            # the symbol is decoration for screen readers; the label carries the meaning
            assert f'<span aria-hidden="true">{SYMBOL[kind]}</span>' in badge.group(1)
            if other[kind] != labels[kind]:
                assert other[kind] not in badge.group(1)

    note = note_of(board, url)
    tag = HASHTAG[kind]
    expected = {"type": "Hashtag", "name": f"#{tag}", "href": board.url(f"/tags/{tag.lower()}")}
    assert expected in note["tag"], note["tag"]
    assert f'rel="tag">#<span>{tag}</span></a>' in note["content"]
    # the summary line is in the board's language, whatever the reader's
    line = EVENT_LINE if kind == "event" else f"{SYMBOL[kind]} {GERMAN[kind]}"
    assert f"<p>{line}</p>" in note["content"], note["content"]
    assert note["content"].startswith("<p><strong>Ein Aushang</strong></p>")


# --- the Note: hashtag, summary line -----------------------------------------------------------


def test_note__summary_line_names_the_last_valid_day_in_board_time(board: RunningBoard) -> None:
    client = board.login()
    url = post(board, client, "Wer hilft beim Umzug?", "need-help", valid_until="2026-12-12")

    note = note_of(board, url)

    assert "<p>🙋 Suche Hilfe · bis 12.12.</p>" in note["content"], note["content"]
    assert note["contentMap"] == {"de": note["content"]}
    # valid through the whole 12 December in Berlin (CET): until 23:00 UTC
    [row] = board.rows("SELECT valid_until FROM notices")
    assert row["valid_until"] == "2026-12-12T23:00:00.000000Z"


def test_note__summary_line_in_summer_time_keeps_the_local_day(board: RunningBoard) -> None:
    client = board.login()
    url = post(board, client, "Rasenmäher zu verleihen", "give-lend", valid_until="2026-06-30")

    assert "<p>🎁 Zu verschenken oder verleihen · bis 30.06.</p>" in note_of(board, url)["content"]
    assert board.value("SELECT valid_until FROM notices") == "2026-06-30T22:00:00.000000Z"


def test_note__summary_line_without_a_date_has_no_until(board: RunningBoard) -> None:
    client = board.login()
    url = post(board, client, "Sprechzeiten", "announcement")

    content = note_of(board, url)["content"]
    assert "<p>📢 Aushang</p>" in content
    assert " · bis " not in content


def test_note__hashtag_of_a_kind_is_configurable_per_board(make_board: Any) -> None:
    board = make_board(AUSHANG_HASHTAGS_NEED_HELP="Nachbarschaftshilfe")
    client = board.login()
    need = note_of(board, post(board, client, "Einkaufshilfe gesucht", "need-help"))
    offer = note_of(board, post(board, client, "Ich kaufe mit ein", "offer-help"))

    names = [t["name"] for t in need["tag"]]
    assert names == ["#Nachbarschaftshilfe"], names
    assert "#<span>Nachbarschaftshilfe</span>" in need["content"]
    assert "HilfeGesucht" not in need["content"]
    assert {
        "type": "Hashtag",
        "name": "#Nachbarschaftshilfe",
        "href": board.url("/tags/nachbarschaftshilfe"),
    } in need["tag"]
    # the other kinds keep their default
    assert [t["name"] for t in offer["tag"]] == ["#HilfeAngebot"]


def test_note__kind_hashtag_and_category_hashtag_both_without_duplicates(
    board: RunningBoard,
) -> None:
    client = board.login()
    with_category = post(board, client, "Handschuh", "lost-found", category="Spielplatz")
    same_as_kind = post(board, client, "Mütze", "lost-found", category="Fundsache")

    assert [t["name"] for t in note_of(board, with_category)["tag"]] == [
        "#Fundsache",
        "#Spielplatz",
    ]
    assert [t["name"] for t in note_of(board, same_as_kind)["tag"]] == ["#Fundsache"]


# --- publishing with kind and validity: the web form --------------------------------------------


def test_form__offers_every_kind_with_symbol_and_label(board: RunningBoard) -> None:
    client = board.login()
    html = client.get("/staff/notices/new").text

    for kind in KINDS:
        option = re.search(rf'<option value="{kind.id}"[^>]*>([^<]*)</option>', html)
        assert option, f"no option for {kind.id}"
        assert option.group(1).strip() == f"{kind.symbol} {GERMAN[kind.id]}"
    assert re.search(r'<input id="valid_until" name="valid_until" type="date"', html)


def test_form__publishes_kind_and_validity_and_the_page_shows_them(board: RunningBoard) -> None:
    client = board.login()
    url = post(board, client, "Bohrmaschine gesucht", "looking-for", valid_until="2026-04-30")

    [row] = board.rows("SELECT kind, valid_until, author_id FROM notices")
    assert row == {
        "kind": "looking-for",
        "valid_until": "2026-04-30T22:00:00.000000Z",
        "author_id": 1,
    }
    page = board.get(notice_path(board, url)).text
    assert "🔎" in page and "Suche etwas" in page
    assert re.search(r"Gültig bis: <time[^>]*>Do\., 30\. Apr\.( 2026)?</time>", page), page


def test_form__today_as_last_valid_day_is_accepted(board: RunningBoard) -> None:
    # the board's clock says 2 March 2026, 10:00 in Berlin: the notice is valid until midnight
    client = board.login()
    post(board, client, "Heute noch", "give-lend", valid_until="2026-03-02")

    assert board.value("SELECT valid_until FROM notices") == "2026-03-02T23:00:00.000000Z"
    assert "Heute noch" in board.get("/").text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "flohmarkt"}, "kind", "Bitte wählen Sie eine Art von Aushang."),
        ({"kind": ""}, None, None),  # empty means the default kind: accepted
        (
            {"kind": "need-help", "valid_until": "12.12.2026"},
            "valid_until",
            "Bitte geben Sie ein Datum ein, zum Beispiel 2026-12-24.",
        ),
        (
            {"kind": "need-help", "valid_until": "2026-02-30"},
            "valid_until",
            "Bitte geben Sie ein Datum ein, zum Beispiel 2026-12-24.",
        ),
        (
            {"kind": "need-help", "valid_until": "2026-03-01"},
            "valid_until",
            "Das Datum muss in der Zukunft liegen.",
        ),
    ],
    ids=["unknown-kind", "empty-kind-is-default", "german-date", "no-such-day", "yesterday"],
)
def test_form__invalid_kind_or_date_is_400_with_the_field_error_and_nothing_stored(
    board: RunningBoard, fields: dict[str, str], field: str | None, message: str | None
) -> None:
    client = board.login()
    response = board.compose(client, "Titel", "Text", **fields)

    if field is None:
        assert response.status_code == 303
        assert board.value("SELECT kind FROM notices") == "announcement"
        return
    assert response.status_code == 400, response.text[:300]
    assert board.rows("SELECT id FROM notices") == []
    assert board.rows("SELECT id FROM outbox_activities WHERE type = 'Create'") == []
    html = response.text
    assert f'<p class="field-error" id="{field}-error">' in html
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1)
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', html, re.S)
    assert 'value="Titel"' in html  # what staff typed is kept


# --- publishing with kind and validity: the command line ----------------------------------------


def _future_day(days: int = 20) -> str:
    return (datetime.now(BERLIN).date() + timedelta(days=days)).isoformat()


def test_cli__post_with_type_valid_until_and_lang(board: RunningBoard) -> None:
    day = _future_day()
    result = board.cli(
        "post", "--title", "Leiter zu verleihen", "--body", "Im Keller", "--type", "give-lend",
        "--valid-until", day, "--lang", "de",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    url = result.stdout.strip().splitlines()[-1]
    [row] = board.rows("SELECT kind, valid_until, lang FROM notices")
    end = datetime.fromisoformat(day).replace(tzinfo=BERLIN) + timedelta(days=1)
    assert row == {
        "kind": "give-lend",
        "valid_until": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "lang": "de",
    }
    shown = datetime.fromisoformat(day).strftime("%d.%m.")
    assert (
        f"<p>🎁 Zu verschenken oder verleihen · bis {shown}</p>" in note_of(board, url)["content"]
    )


def test_cli__post_with_invalid_type_date_or_lang_exits_2_in_one_line(
    board: RunningBoard,
) -> None:
    cases = [
        (["--type", "flohmarkt"], "--type"),
        (["--type", "need-help", "--valid-until", "morgen"], "valid_until"),
        (["--type", "need-help", "--valid-until", "2020-01-01"], "valid_until"),
        (["--type", "need-help", "--lang", "Deutsch!"], "lang"),
    ]
    for args, mentions in cases:
        result = board.cli("post", "--title", "Titel", "--body", "Text", *args)
        line = one_line_error(result)
        assert mentions in line, (args, line)
    assert board.rows("SELECT id FROM notices") == []


# --- the board filtered by kind -------------------------------------------------------------


def test_board__type_filter_lists_only_that_kind(board: RunningBoard) -> None:
    client = board.login()
    need = post(board, client, "Hilfe beim Tragen", "need-help")
    offer = post(board, client, "Ich trage gern", "offer-help")
    event = post(board, client, "Hoffest", "event")

    page = board.get("/?type=need-help")

    assert page.status_code == 200
    assert card(page.text, notice_path(board, need))
    assert not card(page.text, notice_path(board, offer))
    assert not card(page.text, notice_path(board, event))
    assert re.search(r'<a href="/\?type=need-help" aria-current="page">', page.text)
    assert '<a href="/" aria-current="page">' not in page.text
    everything = board.get("/").text
    assert all(card(everything, notice_path(board, u)) for u in (need, offer, event))


def test_board__type_filter_with_no_such_notices_says_the_board_is_empty(
    board: RunningBoard,
) -> None:
    client = board.login()
    post(board, client, "Sprechzeiten", "announcement")

    page = board.get("/?type=poll")

    assert page.status_code == 200
    assert "Sprechzeiten" not in page.text
    assert 'class="empty"' in page.text


def test_board__unknown_type_is_400(board: RunningBoard) -> None:
    for value in ("flohmarkt", "NEED-HELP", "need_help", "<script>"):
        response = board.get("/", params={"type": value})
        assert response.status_code == 400, value
        assert "<script>" not in response.text


def test_board__paging_keeps_the_type_filter(board: RunningBoard) -> None:
    client = board.login()
    token = csrf_token(client.get("/staff/notices/new").text)
    titles = []
    for i in range(24):
        kind = "offer-help" if i % 8 == 3 else "need-help"
        title = f"{kind} Nummer {i:02d}"
        response = client.post(
            "/staff/notices/new",
            data={"csrf_token": token, "title": title, "body": "Text", "kind": kind,
                  "action": "publish"},
        )  # fmt: skip
        assert response.status_code == 303, response.text[:300]
        if kind == "need-help":
            titles.append(title)
    assert len(titles) == 21

    first = board.get("/?type=need-help").text
    shown = re.findall(r"need-help Nummer (\d\d)", first)
    assert len(shown) == 20 and "offer-help Nummer" not in first
    pager = re.search(r'<nav class="pager".*?href="([^"]+)"', first, re.S)
    assert pager, "no link to older notices"
    next_url = pager.group(1).replace("&amp;", "&")
    assert "type=need-help" in next_url and "before=" in next_url

    second = board.get(next_url)
    assert second.status_code == 200
    rest = re.findall(r"need-help Nummer (\d\d)", second.text)
    assert "offer-help Nummer" not in second.text
    assert sorted(shown + rest) == sorted(t[-2:] for t in titles)
    assert '<nav class="pager"' not in second.text


def test_board__pinned_notice_of_another_kind_is_not_shown_in_the_filter(
    board: RunningBoard,
) -> None:
    client = board.login()
    pinned = post(board, client, "Wichtig: Sprechzeiten", "announcement")
    need = post(board, client, "Hilfe beim Tragen", "need-help")
    token = csrf_token(client.get("/staff").text)
    notice_id = pinned.rsplit("/", 1)[1]
    response = client.post(
        f"/staff/notices/{notice_id}/pin", data={"csrf_token": token, "pinned": "1"}
    )
    assert response.status_code == 303

    page = board.get("/?type=need-help").text
    assert card(page, notice_path(board, need))
    assert not card(page, notice_path(board, pinned))


# --- done -----------------------------------------------------------------------------------


def _mark_done(client: httpx.Client, url: str) -> httpx.Response:
    token = csrf_token(client.get("/staff").text)
    notice_id = url.rsplit("/", 1)[1]
    return client.post(f"/staff/notices/{notice_id}/done", data={"csrf_token": token})


def test_done__web_button_shows_done_and_followers_get_one_update(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    inbox = add_inbox(board, fediverse)
    client = board.login()
    url = post(board, client, "Schlüsselbund verloren", "looking-for", valid_until="2026-04-01")
    board.drain()
    assert received(fediverse, inbox, "Create"), "the Create"
    assert "Gefunden" not in board.get(notice_path(board, url)).text

    response = _mark_done(client, url)

    assert response.status_code == 303
    assert "Der Aushang ist als erledigt markiert" in client.get("/staff").text
    assert board.value("SELECT done FROM notices") is not None
    page = board.get(notice_path(board, url)).text
    assert re.search(r'badge--done"><span aria-hidden="true">✅</span> Gefunden</span>', page)
    assert "notice--done" in card(board.get("/").text, notice_path(board, url))
    english = board.get(notice_path(board, url) + "?lang=en").text
    assert re.search(r'badge--done"><span aria-hidden="true">✅</span> Found</span>', english)
    board.drain()
    [update] = received(fediverse, inbox, "Update")
    note = update["object"]
    assert note["id"] == url and note["type"] == "Note"
    assert "<p>✅ Gefunden</p>" in note["content"], note["content"]
    assert "updated" in note
    assert update["actor"] == board.actor_id
    # the Note at its id says the same
    assert "<p>✅ Gefunden</p>" in note_of(board, url)["content"]
    # the dashboard offers no second "done" button for it
    assert f'action="/staff/notices/{url.rsplit("/", 1)[1]}/done"' not in client.get("/staff").text


def test_done__twice_sends_only_one_update(board: RunningBoard, fediverse: Fediverse) -> None:
    inbox = add_inbox(board, fediverse)
    client = board.login()
    url = post(board, client, "Kinderwagen zu verschenken", "give-lend")

    assert _mark_done(client, url).status_code == 303
    first_done = board.value("SELECT done FROM notices")
    assert _mark_done(client, url).status_code == 303

    assert "kann nicht als erledigt markiert werden" in client.get("/staff").text
    assert board.value("SELECT done FROM notices") == first_done
    assert outbox_count(board, "Update", url) == 1
    board.drain()
    assert deliveries_settled(board), "deliveries to finish"
    assert len(received(fediverse, inbox, "Update")) == 1


def test_done__announcement_cannot_be_done_on_the_web(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    add_inbox(board, fediverse)
    client = board.login()
    url = post(board, client, "Sprechzeiten", "announcement")
    assert f"/staff/notices/{url.rsplit('/', 1)[1]}/done" not in client.get("/staff").text

    response = _mark_done(client, url)

    assert response.status_code == 303
    assert "kann nicht als erledigt markiert werden" in client.get("/staff").text
    assert board.value("SELECT done FROM notices") is None
    assert outbox_count(board, "Update", url) == 0


def test_done__an_editor_may_a_moderator_may_not(board: RunningBoard) -> None:
    owner = board.login()
    first = post(board, owner, "Hilfe beim Tragen", "need-help")
    second = post(board, owner, "Biete Nachhilfe", "offer-help")
    add_staff(board, "eddi", "editor")
    add_staff(board, "mo", "moderator")
    editor = board.login(board.new_client(), username="eddi", password=PASSWORD)
    moderator = board.login(board.new_client(), username="mo", password=PASSWORD)

    assert _mark_done(moderator, second).status_code == 403
    assert _mark_done(editor, first).status_code == 303

    rows = board.rows("SELECT id, done IS NOT NULL AS done FROM notices ORDER BY id")
    assert rows == [{"id": 1, "done": 1}, {"id": 2, "done": 0}]


def test_done__without_csrf_token_is_refused(board: RunningBoard) -> None:
    client = board.login()
    url = post(board, client, "Hilfe beim Tragen", "need-help")

    response = client.post(f"/staff/notices/{url.rsplit('/', 1)[1]}/done", data={})

    assert response.status_code == 403
    assert board.value("SELECT done FROM notices") is None


def test_done__cli_marks_done_and_followers_get_the_update(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    inbox = add_inbox(board, fediverse)
    client = board.login()
    url = post(board, client, "Hilfe beim Einkaufen", "need-help")
    board.drain()
    assert received(fediverse, inbox, "Create"), "the Create"

    result = board.cli("done", url)

    assert (result.returncode, result.stdout.strip()) == (0, url), result.stderr
    assert "Hilfe gefunden" in board.get(notice_path(board, url)).text
    # The CLI stamps with the real clock; move the board's clock past it so the worker sends.
    board.clock.set(datetime.now(UTC) + timedelta(minutes=1))
    board.drain()
    [update] = received(fediverse, inbox, "Update")
    assert update["object"]["id"] == url
    assert "<p>✅ Hilfe gefunden</p>" in update["object"]["content"]

    again = board.cli("done", url)
    one_line_error(again)
    assert outbox_count(board, "Update", url) == 1


def test_done__cli_refuses_an_announcement_in_one_line(board: RunningBoard) -> None:
    client = board.login()
    url = post(board, client, "Sprechzeiten", "announcement")

    line = one_line_error(board.cli("done", url))

    assert "not an offer or request" in line
    assert board.value("SELECT done FROM notices") is None
    assert outbox_count(board, "Update", url) == 0
