"""News by e-mail through the real routes, with a real SMTP server (aiosmtpd) on 127.0.0.1:
double opt-in, the mails' headers and parts, the digest, unsubscribing, and sending that
survives a server that is down or refuses."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from noticeboard.config import ConfigError, load_config
from noticeboard.mail.sender import MAX_ATTEMPTS, next_attempt
from noticeboard.mail.service import digest_slot
from noticeboard.participation.forms import form_token
from tests.noticeboard.boards import INSTANCE, BoardFactory, RunningBoard
from tests.support.smtp import MailServer, Received
from tests.support.tls import make_ca

ADDRESS = "anna@example.org"
FRIDAY_DIGEST = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)  # Friday 9:00 in Berlin
EVENT = {
    "kind": "event",
    "start": "2026-03-10T18:00",
    "end": "2026-03-10T20:00",
    "place_name": "Hof",
}
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/mail/confirm/\S+)")


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
def mail_board(make_board: BoardFactory, mail_server: MailServer) -> RunningBoard:
    return make_board(**mail_server.env(), AUSHANG_CONTACT_EMAIL="kontakt@nordstadt.example")


def subscribe(
    board: RunningBoard,
    address: str = ADDRESS,
    *,
    frequency: str = "weekly",
    kinds: list[str] | None = None,
    language: str = "de",
    **extra: str,
) -> httpx.Response:
    """Send the form as a resident does, a minute after the page was opened."""
    secret = board.value("SELECT value FROM settings WHERE key = 'session_secret'")
    data: dict[str, str | list[str]] = {
        "form_token": form_token(secret, time.time() - 60),
        "email": address,
        "frequency": frequency,
        "language": language,
        "consent": "yes",
        "kinds_mode": "some" if kinds else "all",
        "kinds": kinds or [],
    }
    data.update(extra)
    return board.new_client().post("/mail", data=data)


def confirm_link(mail: Received) -> str:
    found = LINK.search(mail.part("plain"))
    assert found, mail.part("plain")
    return found.group(1)


def subscribed(
    board: RunningBoard, server: MailServer, address: str = ADDRESS, **choice: Any
) -> str:
    """Subscribe and confirm; return the subscriber's token (of the manage link)."""
    assert subscribe(board, address, **choice).status_code == 303
    board.drain()
    link = confirm_link(server.messages(address)[-1])
    assert board.new_client().post(link.removeprefix(board.base_url)).status_code == 200
    return str(board.value("SELECT token FROM mail_subscribers WHERE email = ?", address))


def news_mails(server: MailServer, address: str = ADDRESS) -> list[Received]:
    return [m for m in server.messages(address) if "confirm" not in m.part("plain").lower()]


# --------------------------------------------------------------------------- configuration


def test_config__without_mail_section_offers_no_subscription(board: RunningBoard) -> None:
    assert board.config.mail is None
    assert board.get("/mail").status_code == 404
    assert board.get("/").status_code == 200


def test_config__password_only_from_the_environment(tmp_path: Path) -> None:
    text = INSTANCE.read_text() + '\n[mail]\nhost = "smtp.example"\nfrom = "a@b.example"\n'
    path = tmp_path / "board.toml"
    path.write_text(text + 'password = "secret"\n')
    with pytest.raises(ConfigError, match="AUSHANG_MAIL_PASSWORD"):
        load_config(path, environ={})
    path.write_text(text)
    config = load_config(path, environ={"AUSHANG_MAIL_PASSWORD": "from-env"})
    assert config.mail is not None
    assert config.mail.password == "from-env" and config.mail.security == "starttls"
    assert "from-env" not in repr(config.mail)


def test_config__no_encryption_only_on_loopback(tmp_path: Path) -> None:
    path = tmp_path / "board.toml"
    path.write_text(
        INSTANCE.read_text()
        + '\n[mail]\nhost = "smtp.example"\nfrom = "a@b.example"\nsecurity = "none"\n'
    )
    with pytest.raises(ConfigError, match="loopback"):
        load_config(path, environ={})
    config = load_config(path, environ={"AUSHANG_MAIL_HOST": "127.0.0.1"})
    assert config.mail is not None and config.mail.security == "none"


def test_digest_slot__is_the_weekday_and_hour_in_the_boards_time_zone() -> None:
    friday_nine_berlin = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)
    assert digest_slot(friday_nine_berlin, 4, 9, "Europe/Berlin") == friday_nine_berlin
    earlier = digest_slot(friday_nine_berlin - timedelta(minutes=1), 4, 9, "Europe/Berlin")
    assert earlier == friday_nine_berlin - timedelta(days=7)


# --------------------------------------------------------------------------- double opt-in


def test_subscribe__sends_one_confirmation_mail_with_all_headers(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    response = subscribe(mail_board)
    assert response.status_code == 303 and response.headers["location"] == "/mail?sent=1"
    mail_board.drain()

    [mail] = mail_server.messages()
    message = mail.message
    assert mail.recipients == (ADDRESS,) and mail.sender == "aushang@nordstadt.example"
    assert message["From"].addresses[0].display_name == mail_board.config.name
    assert message["From"].addresses[0].addr_spec == "aushang@nordstadt.example"
    assert message["Reply-To"] == "kontakt@nordstadt.example"
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert re.fullmatch(r"<\S+@127\.0\.0\.1>", message["Message-ID"])
    token = mail_board.value("SELECT token FROM mail_subscribers")
    assert message["List-Unsubscribe"] == f"<{mail_board.url('/mail/unsubscribe/' + token)}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    assert "48" in mail.part("plain") and mail.part("html").count("/mail/confirm/") == 1
    assert mail_board.url(f"/mail/manage/{token}") in mail.part("plain")
    assert "<img" not in mail.part("html")  # no tracking pixel


def test_subscribe__nothing_but_the_confirmation_before_confirming(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    subscribe(mail_board, frequency="daily")
    staff = mail_board.login()
    mail_board.publish(staff, "Hoffest am Samstag")
    assert mail_board.cli("mail", "digest", "--now").returncode == 0
    mail_board.clock.advance(hours=30)
    mail_board.drain()

    assert len(mail_server.messages()) == 1
    assert mail_board.value("SELECT count(*) FROM mail_messages WHERE purpose = 'news'") == 0


def test_confirm__through_the_link_and_again_harmlessly(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    subscribe(mail_board)
    mail_board.drain()
    path = confirm_link(mail_server.messages()[0]).removeprefix(mail_board.base_url)
    client = mail_board.new_client()

    page = client.get(path)
    assert page.status_code == 200 and 'method="post"' in page.text
    assert mail_board.value("SELECT confirmed FROM mail_subscribers") is None  # GET confirms not
    assert client.post(path).status_code == 200
    first = mail_board.value("SELECT confirmed FROM mail_subscribers")
    assert first is not None
    assert client.post(path).status_code == 200
    assert mail_board.value("SELECT confirmed FROM mail_subscribers") == first


def test_confirm__a_forged_or_expired_link_is_refused_and_the_address_deleted(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    subscribe(mail_board)
    mail_board.drain()
    path = confirm_link(mail_server.messages()[0]).removeprefix(mail_board.base_url)
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert mail_board.new_client().post(forged).status_code == 400

    mail_board.clock.advance(hours=48, minutes=1)
    expired = mail_board.new_client().post(path)
    assert expired.status_code == 400 and "abgelaufen" in expired.text
    mail_board.drain()
    assert mail_board.value("SELECT count(*) FROM mail_subscribers") == 0
    assert mail_board.value("SELECT count(*) FROM mail_messages") == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"email": "not an address"}, "E-Mail-Adresse"),
        ({"website": "http://spam.example"}, "automatisch"),
        ({"consent": ""}, "Datenschutz"),
        ({"frequency": "hourly"}, "wie oft"),
        ({"language": "xx"}, "Sprache"),
        ({"kinds_mode": "some"}, "mindestens eine"),
    ],
)
def test_subscribe__refuses_bad_input_with_a_reason(
    mail_board: RunningBoard, change: dict[str, str], reason: str
) -> None:
    response = subscribe(mail_board, **change)
    assert response.status_code == 400
    assert reason in response.text
    assert mail_board.value("SELECT count(*) FROM mail_subscribers") == 0


def test_subscribe__too_fast_is_refused(mail_board: RunningBoard) -> None:
    secret = mail_board.value("SELECT value FROM settings WHERE key = 'session_secret'")
    response = subscribe(mail_board, form_token=form_token(secret, time.time()))
    assert response.status_code == 400
    assert mail_board.value("SELECT count(*) FROM mail_subscribers") == 0


def test_subscribe__asking_again_soon_sends_no_second_confirmation(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    subscribe(mail_board)
    subscribe(mail_board, frequency="daily")
    mail_board.drain()
    assert len(mail_server.messages()) == 1
    assert mail_board.value("SELECT frequency FROM mail_subscribers") == "daily"

    mail_board.clock.advance(minutes=16)
    subscribe(mail_board)
    mail_board.drain()
    assert len(mail_server.messages()) == 2


def test_subscribe__too_large_and_too_many_are_refused(mail_board: RunningBoard) -> None:
    big = mail_board.new_client().post("/mail", data={"email": "x" * 20_000})
    assert big.status_code == 413
    answers = [subscribe(mail_board, f"n{n}@example.org").status_code for n in range(11)]
    assert answers == [303] * 10 + [429]


def test_subscribe__a_confirmed_address_gets_its_links_and_keeps_its_choice(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    subscribed(mail_board, mail_server, kinds=["event"])
    assert subscribe(mail_board, frequency="daily").status_code == 303
    mail_board.drain()

    last = mail_server.messages()[-1]
    assert "/mail/confirm/" not in last.part("plain")
    assert "/mail/manage/" in last.part("plain")
    row = mail_board.rows("SELECT frequency, kinds FROM mail_subscribers")[0]
    assert row == {"frequency": "weekly", "kinds": "event"}


# --------------------------------------------------------------------------- the digest


def test_digest__at_the_configured_hour_with_the_chosen_kinds_and_events(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    subscribed(mail_board, mail_server, kinds=["event", "offer-help"])
    staff = mail_board.login()
    event = mail_board.publish(staff, "Hoffest im Innenhof", "Mit Kuchen", **EVENT)
    offer = mail_board.publish(staff, "Ich helfe beim Einkaufen", kind="offer-help")
    mail_board.publish(staff, "Neue Öffnungszeiten", kind="announcement")
    mail_board.drain()
    assert news_mails(mail_server) == []  # not the hour yet

    mail_board.clock.set(FRIDAY_DIGEST)
    mail_board.drain()

    [digest] = news_mails(mail_server)
    text, html = digest.part("plain"), digest.part("html")
    assert "Hoffest im Innenhof" in text and event in text and offer in text
    assert "Ich helfe beim Einkaufen" in html and f'href="{event}"' in html
    assert "Öffnungszeiten" not in text
    assert "nächsten 14 Tage" in text and re.search(r"Di\., 10\. März( 2026)?, 18:00", text)
    assert "0201 123456" in text  # the board's contact details
    assert digest.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    mail_board.clock.set(FRIDAY_DIGEST + timedelta(days=7))
    mail_board.drain()
    assert len(news_mails(mail_server)) == 1  # nothing new, nothing sent


def test_daily__a_mail_on_new_notices_at_most_once_a_day(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    subscribed(mail_board, mail_server, frequency="daily", language="en")
    staff = mail_board.login()
    mail_board.publish(staff, "Erster Aushang")
    mail_board.drain()
    mail_board.publish(staff, "Zweiter Aushang")
    mail_board.clock.advance(hours=2)
    mail_board.drain()
    assert [("Erster Aushang" in m.part("plain")) for m in news_mails(mail_server)] == [True]
    assert "New on the board" in news_mails(mail_server)[0].message["Subject"]

    mail_board.clock.advance(hours=23)
    mail_board.drain()
    second = news_mails(mail_server)[1].part("plain")
    assert "Zweiter Aushang" in second and "Erster Aushang" not in second


# --------------------------------------------------------------------------- leaving


def test_unsubscribe__one_click_post_deletes_the_address_and_waiting_mails(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    subscribed(mail_board, mail_server)
    mail_board.publish(mail_board.login(), "Hoffest")
    mail_server.stop()  # the digest waits in the queue
    mail_board.cli("mail", "digest", "--now")
    mail_board.drain()
    assert mail_board.value("SELECT count(*) FROM mail_messages WHERE state = 'pending'") == 1
    header = mail_board.rows("SELECT content FROM mail_messages WHERE state = 'pending'")[0]
    unsubscribe = re.search(r"List-Unsubscribe: <([^>]+)>", header["content"])
    assert unsubscribe

    response = mail_board.new_client().post(
        unsubscribe.group(1), data={"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assert mail_board.value("SELECT count(*) FROM mail_subscribers") == 0
    assert mail_board.value("SELECT count(*) FROM mail_messages") == 0
    mail_server.start()
    mail_board.clock.advance(days=3)
    mail_board.drain()
    assert news_mails(mail_server) == []
    again = mail_board.new_client().post(unsubscribe.group(1), data={"x": "1"})
    assert again.status_code == 404


def test_manage__changes_the_choice_without_signing_in(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    token = subscribed(mail_board, mail_server)
    client = mail_board.new_client()
    assert "anna@example.org" in client.get(f"/mail/manage/{token}").text
    response = client.post(
        f"/mail/manage/{token}",
        data={"frequency": "daily", "kinds_mode": "some", "kinds": ["event"], "language": "en"},
    )
    assert response.status_code == 303
    row = mail_board.rows("SELECT frequency, kinds, language FROM mail_subscribers")[0]
    assert row == {"frequency": "daily", "kinds": "event", "language": "en"}
    assert mail_board.new_client().get("/mail/manage/not-a-token").status_code == 404


# --------------------------------------------------------------------------- sending


def test_sending__smtp_down_then_back_sends_each_mail_once(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    for n in range(3):
        subscribed(mail_board, mail_server, f"person{n}@example.org")
    mail_board.publish(mail_board.login(), "Hoffest")
    mail_server.stop()
    mail_board.clock.set(FRIDAY_DIGEST)
    mail_board.drain()

    rows = mail_board.rows(
        "SELECT state, attempts, last_error FROM mail_messages WHERE purpose = 'news'"
    )
    assert [r["state"] for r in rows] == ["pending"] * 3
    assert all(r["attempts"] == 1 and "no connection" in r["last_error"] for r in rows)

    mail_server.clear()
    mail_server.start()
    mail_board.drain()
    assert mail_server.messages() == []  # not due yet: backoff
    mail_board.clock.advance(minutes=5)
    mail_board.drain()
    mail_board.clock.advance(days=2)
    mail_board.drain()
    recipients = sorted(m.recipients[0] for m in mail_server.messages())
    assert recipients == [f"person{n}@example.org" for n in range(3)]


def test_sending__4xx_is_retried_and_5xx_given_up_with_the_reason(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    mail_server.rcpt_answer = "451 4.3.0 Try again later"
    subscribe(mail_board)
    mail_board.drain()
    row = mail_board.rows("SELECT state, last_error FROM mail_messages")[0]
    assert row["state"] == "pending" and "451" in row["last_error"]

    mail_server.rcpt_answer = "550 5.1.1 No such user"
    mail_board.clock.advance(minutes=5)
    mail_board.drain()
    row = mail_board.rows("SELECT state, last_error FROM mail_messages")[0]
    assert row["state"] == "failed" and "550" in row["last_error"]
    assert mail_server.messages() == []
    staff = mail_board.login().get("/staff/mail")
    assert "No such user" in staff.text


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_sending__encrypted_with_the_test_ca(
    make_board: BoardFactory, tmp_path: Path, security: str
) -> None:
    ca = make_ca(tmp_path / "ca")
    leaf = ca.issue(tmp_path / "smtp")
    with MailServer(tls=leaf, implicit_tls=security == "tls") as server:
        board = make_board(**server.env(security), AUSHANG_MAIL_CA_BUNDLE=str(ca.certfile))
        subscribe(board)
        board.drain()
        [mail] = server.messages()
    assert mail.secure and "/mail/confirm/" in mail.part("plain")


def test_sending__refuses_a_server_certificate_the_board_does_not_trust(
    make_board: BoardFactory, tmp_path: Path
) -> None:
    ca = make_ca(tmp_path / "ca")
    with MailServer(tls=ca.issue(tmp_path / "smtp")) as server:
        board = make_board(**server.env("starttls"))  # the test CA is not trusted
        subscribe(board)
        board.drain()
        assert server.messages() == []
    row = board.rows("SELECT state, last_error FROM mail_messages")[0]
    assert row["state"] == "pending" and "certificate" in row["last_error"].lower()


def test_sending__a_transfer_cut_by_a_crash_is_given_up_not_repeated(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    subscribe(mail_board)
    mail_board.stop()
    with closing(sqlite3.connect(mail_board.config.db_path)) as db, db:
        db.execute("UPDATE mail_messages SET state = 'sending'")  # as a crash leaves it
    mail_board.start()
    mail_board.drain()

    assert mail_server.messages() == []
    row = mail_board.rows("SELECT state, last_error FROM mail_messages")[0]
    assert row["state"] == "failed" and "twice" in row["last_error"]


def test_next_attempt__backs_off_then_gives_up() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    first = next_attempt(0, None, "refused", now, jitter=lambda _: 0)
    assert first.state == "pending" and first.next_attempt == now + timedelta(minutes=1)
    later = next_attempt(5, 421, "busy", now, jitter=lambda _: 0)
    assert later.next_attempt == now + timedelta(minutes=32) and "421" in (later.reason or "")
    assert next_attempt(MAX_ATTEMPTS - 1, 450, "x", now).state == "dead"
    assert next_attempt(0, 554, "spam", now).state == "failed"
    assert next_attempt(0, 250, "ok", now).state == "sent"


# --------------------------------------------------------------------------- staff


def test_staff__see_counts_per_choice_and_owners_export(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    subscribed(mail_board, mail_server, "a@example.org")
    subscribed(mail_board, mail_server, "b@example.org", kinds=["event"])
    subscribe(mail_board, "c@example.org")  # not confirmed
    staff = mail_board.login()

    page = staff.get("/staff/mail").text
    assert "Termin" in page and "Alle Aushänge" in page and "b@example.org" not in page
    export = staff.get("/staff/mail/export")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [(r["email"], r["kinds"]) for r in rows] == [
        ("a@example.org", "all"),
        ("b@example.org", "event"),
    ]
    assert mail_board.value("SELECT action FROM audit_log ORDER BY id DESC") == "mail.export"


def test_staff__remove_an_address_is_audited(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    subscribed(mail_board, mail_server)
    staff = mail_board.login()
    page = staff.get("/staff/mail")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = staff.post(
        "/staff/mail/remove", data={"csrf_token": token.group(1), "email": "Anna@Example.org"}
    )
    assert response.status_code == 303
    assert mail_board.value("SELECT count(*) FROM mail_subscribers") == 0
    audit = mail_board.rows("SELECT staff, action, target FROM audit_log ORDER BY id DESC")[0]
    assert audit == {"staff": "admin", "action": "mail.remove", "target": ADDRESS}


# --------------------------------------------------------------------------- command line


def test_cli__test_subscribers_digest_remove(
    mail_board: RunningBoard, mail_server: MailServer
) -> None:
    sent = mail_board.cli("mail", "test", "--to", "office@example.org")
    assert sent.returncode == 0, sent.stderr
    [test_mail] = mail_server.messages("office@example.org")
    assert "Testmail" in test_mail.message["Subject"]

    subscribed(mail_board, mail_server, kinds=["meetup"])
    listing = mail_board.cli("mail", "subscribers", "--json")
    assert listing.returncode == 0
    assert '"subscribers": 1' in listing.stdout and '"meetup"' in listing.stdout

    mail_board.publish(mail_board.login(), "Hoffest", kind="meetup")
    digest = mail_board.cli("mail", "digest", "--now")
    assert digest.returncode == 0 and "for 1 subscribers" in digest.stdout
    mail_board.clock.set(datetime.now(UTC) + timedelta(minutes=1))  # the command line's clock
    mail_board.drain()
    assert "Hoffest" in news_mails(mail_server)[0].part("plain")

    removed = mail_board.cli("mail", "remove", ADDRESS)
    assert removed.returncode == 0, removed.stderr
    again = mail_board.cli("mail", "remove", ADDRESS)
    assert again.returncode == 2 and "does not receive" in again.stderr
    actions = [r["action"] for r in mail_board.rows("SELECT action FROM audit_log ORDER BY id")]
    assert [a for a in actions if a.startswith("mail.")] == [
        "mail.test",
        "mail.digest",
        "mail.remove",
    ]


def test_cli__test_mail_says_why_it_failed(make_board: BoardFactory) -> None:
    down = MailServer()  # never started: nothing listens on its port
    board = make_board(**down.env())
    result = board.cli("mail", "test", "--to", "office@example.org")
    assert result.returncode == 2 and "no connection" in result.stderr


def test_cli__without_mail_section_says_so(board: RunningBoard) -> None:
    result = board.cli("mail", "subscribers")
    assert result.returncode == 2 and "[mail]" in result.stderr


def test_privacy__says_what_is_stored_for_subscribers(mail_board: RunningBoard) -> None:
    page = mail_board.get("/privacy").text
    assert "E-Mail-Adresse" in page and "48 Stunden" in page
