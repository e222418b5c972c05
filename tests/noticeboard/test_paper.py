"""Paper: a poster per notice (with tear-off strips for offers and requests), the board's
"Follow us" poster and the weekly sheet, read back as a person would: text, pages, QR codes."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from noticeboard.config import MailConfig
from noticeboard.i18n import get_translations
from noticeboard.notices.kinds import KINDS, get_kind
from noticeboard.paper.queries import STRIPS, TEAR_OFF_KINDS
from tests.noticeboard.boards import MutableClock, RunningBoard, csrf_token
from tests.support.pdf import (
    colour_difference,
    page_count,
    page_sizes_mm,
    pages,
    pdf_text,
    qr_codes,
    words,
)

FIELDS_OF_KIND = {
    "event": {
        "start": "2026-03-05T15:00",
        "end": "2026-03-05T18:00",
        "place_name": "Hof",
        "place_address": "Nordstraße 12, Essen",
    },
    "poll": {"options": "Samstag\nSonntag", "closes": "2026-03-09T18:00"},
}


def post(board: RunningBoard, client: httpx.Client, kind: str, title: str, **fields: str) -> int:
    token = csrf_token(client.get("/staff/notices/new").text)
    data = {
        "csrf_token": token,
        "kind": kind,
        "title": title,
        "body": "Bitte im Quartiersbüro melden.",
        "action": "publish",
        **FIELDS_OF_KIND.get(kind, {}),
        **fields,
    }
    response = client.post("/staff/notices/new", data=data)
    assert response.status_code == 303, response.text[:2000]
    return int(board.value("SELECT max(id) FROM notices"))


def assert_a4(pdf: bytes) -> None:
    width, height = page_sizes_mm(pdf)
    assert (round(width), round(height)) == (210, 297)


# --- a notice's poster ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k.id for k in KINDS])
def test_poster__of_each_kind_has_title_kind_board_and_a_code_to_the_notice(
    board: RunningBoard, kind: str
) -> None:
    client = board.login()
    notice_id = post(board, client, kind, "Kinderfahrrad abzugeben")
    url = board.url(f"/notices/{notice_id}")

    response = board.new_client().get(f"/notices/{notice_id}/poster.pdf")  # no sign-in needed

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert_a4(pdf)
    assert page_count(pdf) == 1
    text = pdf_text(pdf)
    assert "Kinderfahrrad abzugeben" in text
    assert "Quartiersbüro Nordstadt" in text
    assert "0201 123456" in text  # the board's contact
    assert url in text  # the address is printed beside the code
    codes = qr_codes(pdf)
    assert set(codes) == {url}
    strips = STRIPS if kind in TEAR_OFF_KINDS else 0
    assert len(codes) == 1 + strips
    assert ("Abreißen und mitnehmen" in text) == bool(strips)
    assert f"{get_kind(kind).symbol} {get_translations('de').gettext(get_kind(kind).label)}" in text


def test_poster__of_an_event_gives_time_and_place(board: RunningBoard) -> None:
    client = board.login()
    notice_id = post(board, client, "event", "Hoffest")

    text = pdf_text(client.get(f"/notices/{notice_id}/poster.pdf").content)

    assert re.search(r"Do\., 5\. März( 2026)?, 15:00.18:00\sUhr", text), text
    assert "Hof, Nordstraße 12, Essen" in text


def test_poster__strips_carry_the_short_title_and_the_contact_staff_give(
    board: RunningBoard,
) -> None:
    client = board.login()
    title = "Suche jemanden, der mit meinem Hund Gassi geht, dienstags und donnerstags"
    notice_id = post(board, client, "need-help", title)

    pdf = client.get(f"/notices/{notice_id}/poster.pdf", params={"contact": "Frau Yilmaz 0170 555"})

    text = pdf_text(pdf.content)
    assert text.count("Frau Yilmaz") == STRIPS
    assert text.count("0170 555") == STRIPS
    assert text.count("…") >= STRIPS  # the title in short
    # Not signed in, nobody can put another contact on the board's poster.
    anonymous = board.new_client().get(
        f"/notices/{notice_id}/poster.pdf", params={"contact": "Betrüger 0900 666"}
    )
    assert "Betrüger" not in pdf_text(anonymous.content)
    assert pdf_text(anonymous.content).count("0201 123456") >= STRIPS


def test_poster__large_type_and_no_colour(board: RunningBoard) -> None:
    client = board.login()
    notice_id = post(board, client, "give-lend", "Sofa zu verschenken")
    pdf = client.get(f"/notices/{notice_id}/poster.pdf").content

    found = words(pdf)
    # A word's box is about 1.16 × the font size (DejaVu): title ≥ 28 pt, all text ≥ 12 pt.
    assert [w.text for w in found if w.height >= 28 * 1.1] == ["Sofa", "zu", "verschenken"]
    assert min(w.height for w in found) >= 12 * 1.1
    assert all(colour_difference(page) <= 12 for page in pages(pdf))


def test_poster__of_a_long_notice_stays_on_one_page(board: RunningBoard) -> None:
    client = board.login()
    title = "Wer hilft beim Umzug in den dritten Stock? Wir brauchen starke Hände am Samstag"
    body = "\n\n".join(
        f"Absatz {i}: " + "Kisten tragen und Schränke schieben. " * 12 for i in range(8)
    )
    notice_id = post(board, client, "need-help", title, body=body)

    pdf = client.get(f"/notices/{notice_id}/poster.pdf").content

    assert page_count(pdf) == 1
    text = pdf_text(pdf)
    assert "Absatz 0: Kisten tragen" in text and "Absatz 7" not in text
    assert "…" in text  # the rest is a scan away
    assert len(qr_codes(pdf)) == 1 + STRIPS


def test_poster__of_unknown_or_deleted_notice_is_404(board: RunningBoard) -> None:
    assert board.get("/notices/999/poster.pdf").status_code == 404


def test_poster__readers_get_a_fair_share_staff_no_limit(board: RunningBoard) -> None:
    reader = board.new_client()
    answers = [reader.get("/notices/999/poster.pdf").status_code for _ in range(31)]

    assert answers == [404] * 30 + [429]
    assert reader.get("/follow/poster.pdf").status_code == 429
    assert board.login().get("/notices/999/poster.pdf").status_code == 404


def test_poster__links_for_everyone_and_a_button_for_staff(board: RunningBoard) -> None:
    client = board.login()
    notice_id = post(board, client, "announcement", "Neue Öffnungszeiten")

    public = board.new_client().get(f"/notices/{notice_id}").text
    staff = client.get("/staff").text

    assert f'href="{board.url(f"/notices/{notice_id}")}/poster.pdf"' in public
    assert f'href="{board.url(f"/notices/{notice_id}")}/poster.pdf"' in staff


# --- the board's poster ---------------------------------------------------------------------


def test_board_poster__every_way_to_follow_with_codes(board: RunningBoard) -> None:
    response = board.get("/follow/poster.pdf")

    assert response.status_code == 200
    pdf = response.content
    assert_a4(pdf)
    assert page_count(pdf) == 1
    text = pdf_text(pdf)
    assert "Folgen Sie uns" in text
    assert "Quartiersbüro Nordstadt" in text
    assert "Aushänge des Quartiersmanagements Nordstadt" in text  # what it is for
    assert board.config.handle in text
    assert board.url("/calendar.ics") in text
    assert "Schaukasten" in text and "Nordstraße 12" in text
    assert "/mail" not in text  # this board sends no e-mail
    assert set(qr_codes(pdf)) == {
        board.url("/"),
        board.actor_id,
        board.url("/calendar.ics"),
        board.url("/follow"),
    }
    assert all(colour_difference(page) <= 12 for page in pages(pdf))


def test_board_poster__offers_e_mail_when_the_board_sends_mail(
    make_board: object,
) -> None:
    board = make_board(start=False)  # type: ignore[operator]
    mail = MailConfig(host="127.0.0.1", sender="board@example.org", security="none")
    object.__setattr__(board.config, "mail", mail)  # a [mail] section
    board.start()

    pdf = board.get("/follow/poster.pdf").content
    page = board.get("/follow").text

    assert board.url("/mail") in qr_codes(pdf)
    assert board.url("/mail") in pdf_text(pdf)
    assert 'href="/mail"' in page


# --- the weekly sheet -----------------------------------------------------------------------


def week_board(board: RunningBoard) -> tuple[httpx.Client, dict[str, int]]:
    client = board.login()
    ids = {
        "old": post(board, client, "announcement", "Älterer Aushang"),
        "pinned": post(board, client, "offer-help", "Angehefteter Aushang"),
        "event": post(board, client, "event", "Hoffest"),
        "far": post(
            board,
            client,
            "event",
            "Sommerfest",
            start="2026-06-20T15:00",
            end="2026-06-20T18:00",
        ),
        "new": post(board, client, "give-lend", "Neuer Aushang"),
    }
    token = csrf_token(client.get("/staff").text)
    pin = client.post(
        f"/staff/notices/{ids['pinned']}/pin", data={"csrf_token": token, "pinned": "1"}
    )
    assert pin.status_code == 303
    return client, ids


def test_week__current_notices_pinned_first_and_the_next_14_days_events(
    board: RunningBoard,
) -> None:
    client, ids = week_board(board)

    response = client.get("/staff/paper/week.pdf")

    assert response.status_code == 200
    pdf = response.content
    assert_a4(pdf)
    assert 1 <= page_count(pdf) <= 2
    text = pdf_text(pdf)
    assert "Aushang der Woche" in text
    assert "Hoffest" in text and re.search(r"Do\., 5\. März( 2026)?, 15:00", text)
    assert "Sommerfest" not in text  # more than 14 days away
    assert "Angehefteter Aushang" in text and "Neuer Aushang" in text and "Älterer" in text
    listed = client.get("/staff/paper").text  # the sheet's order, in one column
    order = [listed.index(t) for t in ("Angehefteter", "Neuer Aushang", "Älterer Aushang")]
    assert order == sorted(order)
    assert set(qr_codes(pdf)) == {board.url("/")}
    assert all(colour_difference(page) <= 12 for page in pages(pdf))
    assert min(w.height for w in words(pdf)) >= 12 * 1.1


def test_week__a_full_board_fits_on_two_pages(board: RunningBoard) -> None:
    client = board.login()
    text = "Ein langer Text über die Nachbarschaft, mit vielen Einzelheiten. " * 6
    for i in range(20):
        post(board, client, "give-lend", f"Ein ziemlich langer Titel für Aushang {i}", body=text)
    for day in range(3, 15):
        start, end = f"2026-03-{day:02d}T15:00", f"2026-03-{day:02d}T18:00"
        post(board, client, "event", f"Treffen am {day}. März", start=start, end=end)

    pdf = client.get("/staff/paper/week.pdf").content

    assert page_count(pdf) == 2
    text = pdf_text(pdf)
    assert "Treffen am 3. März" in text
    assert "Aushang 19" in text  # the newest first
    assert "weitere Aushänge auf unserer Internetseite" in text


def test_week__staff_choose_what_it_shows(board: RunningBoard) -> None:
    client, ids = week_board(board)
    page = client.get("/staff/paper").text
    listed = page.split('name="listed" value="')[1].split('"')[0]
    assert set(listed.split(",")) == {str(ids[k]) for k in ("old", "pinned", "event", "new")}
    assert page.count(" checked>") == 4  # all shown by default

    response = client.post(
        "/staff/paper/week",
        data={
            "csrf_token": csrf_token(page),
            "listed": listed,
            "show": [str(ids["new"]), str(ids["event"])],
        },
    )

    assert response.status_code == 303
    text = pdf_text(client.get("/staff/paper/week.pdf").content)
    assert "Neuer Aushang" in text and "Hoffest" in text
    assert "Älterer Aushang" not in text and "Angehefteter" not in text
    # A notice published later is on the sheet until staff leave it off.
    post(board, client, "announcement", "Ganz neuer Aushang")
    assert "Ganz neuer Aushang" in pdf_text(client.get("/staff/paper/week.pdf").content)
    assert board.value("SELECT count(*) FROM audit_log WHERE action = 'paper.week'") == 1


def test_week__choice_refuses_forged_lists(board: RunningBoard) -> None:
    client, ids = week_board(board)
    token = csrf_token(client.get("/staff/paper").text)

    not_listed = client.post(
        "/staff/paper/week", data={"csrf_token": token, "listed": str(ids["new"]), "show": "999"}
    )
    unknown = client.post(
        "/staff/paper/week", data={"csrf_token": token, "listed": "999", "show": "999"}
    )
    garbage = client.post("/staff/paper/week", data={"csrf_token": token, "listed": "1;2"})

    assert not_listed.status_code == 400
    assert unknown.status_code == 409
    assert garbage.status_code == 400


def test_week__for_another_day_and_bad_days(board: RunningBoard) -> None:
    client, _ids = week_board(board)

    later = pdf_text(client.get("/staff/paper/week.pdf", params={"date": "2026-06-10"}).content)

    assert "Sommerfest" in later and "Hoffest" not in later
    assert client.get("/staff/paper/week.pdf", params={"date": "10.6."}).status_code == 400
    assert board.new_client().get("/staff/paper/week.pdf").status_code == 303  # sign in first


# --- the command line -----------------------------------------------------------------------


def test_cli__print_poster_board_and_week(board: RunningBoard, tmp_path: Path) -> None:
    client, ids = week_board(board)
    url = board.url(f"/notices/{ids['new']}")

    by_url = board.cli("print", "poster", url, "--out", str(tmp_path / "p.pdf"))
    by_number = board.cli(
        "print",
        "poster",
        str(ids["new"]),
        "--contact",
        "Herr Demir",
        "--out",
        str(tmp_path / "n.pdf"),
    )
    whole = board.cli("print", "board", "--out", str(tmp_path / "b.pdf"))
    week = board.cli("print", "week", "--date", "2026-03-02", "--out", str(tmp_path / "w.pdf"))

    for result in (by_url, by_number, whole, week):
        assert result.returncode == 0, result.stderr
    poster = (tmp_path / "p.pdf").read_bytes()
    assert set(qr_codes(poster)) == {url} and len(qr_codes(poster)) == 1 + STRIPS
    assert pdf_text((tmp_path / "n.pdf").read_bytes()).count("Herr Demir") == STRIPS
    assert board.actor_id in qr_codes((tmp_path / "b.pdf").read_bytes())
    assert "Hoffest" in pdf_text((tmp_path / "w.pdf").read_bytes())


def test_cli__print_refuses_unknown_notices_and_bad_days(
    board: RunningBoard, tmp_path: Path
) -> None:
    missing = board.cli("print", "poster", "999", "--out", str(tmp_path / "x.pdf"))
    foreign = board.cli("print", "poster", "https://elsewhere.example/notices/1", "--out", "x")
    bad_day = board.cli("print", "week", "--date", "morgen", "--out", str(tmp_path / "w.pdf"))

    for result in (missing, foreign, bad_day):
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.pdf").exists()


def test_cli__choose_what_the_week_shows(board: RunningBoard) -> None:
    _client, ids = week_board(board)

    changed = board.cli("print", "choose", "--hide", str(ids["old"]), "--json")

    assert changed.returncode == 0, changed.stderr
    import json

    shown = {item["id"]: item["shown"] for item in json.loads(changed.stdout)}
    assert shown[ids["old"]] is False and shown[ids["new"]] is True
    listing = board.cli("print", "choose")
    assert "left off" in listing.stdout


# --- nothing from the network -----------------------------------------------------------------


def test_pdf__never_fetches_from_the_network(board: RunningBoard, clock: MutableClock) -> None:
    from noticeboard.app import STATIC_DIR
    from noticeboard.paper.pdf import BoardFilesOnly

    fetcher = BoardFilesOnly(board.base_url, STATIC_DIR)

    assert fetcher.local_file(board.url("/static/paper.css")) is not None
    for url in (
        "https://elsewhere.example/x.png",
        board.url("/static/../pyproject.toml"),
        board.url("/static/%2e%2e/pyproject.toml"),
        board.url("/media/whatever.png"),
        "file:///etc/passwd",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
