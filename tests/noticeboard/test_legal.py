"""The Impressum and the privacy note: built from [legal] and from what the board has switched
on; what is missing is said on the page, by `aushang doctor` and at start-up."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from noticeboard.config import LEGAL_REQUIRED, load_config
from noticeboard.pages.legal import duration, startup_warning
from tests.noticeboard.boards import INSTANCE, BoardFactory, RunningBoard
from tests.support.cli import run_in_process

MAIL_ON = {
    "AUSHANG_MAIL_HOST": "127.0.0.1",
    "AUSHANG_MAIL_SECURITY": "none",
    "AUSHANG_MAIL_FROM": "aushang@nordstadt.example",
}
NO_LEGAL = {f"AUSHANG_LEGAL_{key.upper()}": "" for key in LEGAL_REQUIRED}


def section(html: str, section_id: str) -> str | None:
    found = re.search(rf'<(section|div|li|span|p|td)[^>]* id="{section_id}".*?</\1>', html, re.S)
    return found.group(0) if found else None


def test_impressum__shows_provider_representative_register_and_responsible(
    board: RunningBoard,
) -> None:
    page = board.get("/impressum")

    assert page.status_code == 200
    text = page.text
    assert "Nachbarschaftsverein Nordstadt e. V." in text
    assert "Nordstraße 12<br>45127 Essen" in text
    assert "Vorstand: Aylin Demir" in text
    assert 'href="mailto:kontakt@nordstadt.example"' in text and "0201 123456" in text
    assert "Amtsgericht Essen, VR 4711" in text
    assert "§ 18 Abs. 2 MStV" in text
    assert "Umsatzsteuer" not in text  # the example association has no VAT id
    assert 'id="legal-missing"' not in text
    assert board.get("/imprint", params={"lang": "en"}).text.count("VR 4711") == 1


def test_impressum__names_what_is_missing_in_plain_german(make_board: BoardFactory) -> None:
    board = make_board(AUSHANG_LEGAL_REPRESENTATIVE="", AUSHANG_LEGAL_SUPERVISORY_AUTHORITY="")

    text = board.get("/impressum").text

    missing = section(text, "legal-missing")
    assert missing is not None and "Diese Angaben fehlen noch:" in missing
    assert "wer sie vertritt" in missing and "Datenschutz-Aufsichtsbehörde" in missing
    assert "Postanschrift" not in missing  # the address is there
    assert "Nachbarschaftsverein Nordstadt e. V." in text


def test_impressum__without_any_entry_lists_every_required_one(make_board: BoardFactory) -> None:
    board = make_board(**NO_LEGAL)

    missing = section(board.get("/impressum").text, "legal-missing") or ""

    assert missing.count("<li>") == len(LEGAL_REQUIRED)


def test_every_page_links_the_impressum_and_the_privacy_note(board: RunningBoard) -> None:
    for path in ("/", "/events", "/submit", "/privacy", "/impressum", "/login"):
        text = board.get(path).text
        assert 'href="/impressum"' in text and 'href="/privacy"' in text, path


def test_doctor__names_the_missing_legal_entries(make_board: BoardFactory) -> None:
    board = make_board(AUSHANG_LEGAL_PHONE="", AUSHANG_LEGAL_CONTENT_RESPONSIBLE="")
    env = {**board.cli_env, "AUSHANG_DOCTOR_CLOCK_SERVER": "http://127.0.0.1:9/"}

    said = run_in_process(["doctor", "--instance", str(INSTANCE)], env).stdout

    assert "[WARNING] legal: the Impressum and the privacy note lack: legal.phone, " in said
    assert "legal.content_responsible." in said


def test_doctor__a_complete_impressum_is_ok(board: RunningBoard) -> None:
    env = {**board.cli_env, "AUSHANG_DOCTOR_CLOCK_SERVER": "http://127.0.0.1:9/"}

    said = run_in_process(["doctor", "--instance", str(INSTANCE)], env).stdout

    assert "[ok] legal:" in said


def test_start_up__logs_a_warning_naming_the_missing_keys(
    make_board: BoardFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="noticeboard")
    make_board(AUSHANG_LEGAL_EMAIL="")

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]

    assert any("Impressum is incomplete: set legal.email" in w for w in warnings), warnings


def test_start_up__says_nothing_when_the_impressum_is_complete() -> None:
    assert startup_warning(load_config(INSTANCE, {})) is None


def test_config__address_lines_from_the_environment_and_unknown_keys(tmp_path) -> None:
    config = load_config(INSTANCE, {"AUSHANG_LEGAL_ADDRESS": "Weg 1\\n  12345 Ort  "})
    assert config.legal.address == "Weg 1\n12345 Ort"
    bad = tmp_path / "bad.toml"
    bad.write_text(INSTANCE.read_text() + "\n[legal2]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys: legal2"):
        load_config(bad, {})
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(
        INSTANCE.read_text().replace("[legal]\n", '[legal]\nfax = "0"\n'), encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"\[legal\] has unknown keys: fax"):
        load_config(wrong, {})


# --- the privacy note follows the configuration ------------------------------------------------


def test_privacy__names_the_responsible_organisation_and_the_authority(board: RunningBoard) -> None:
    text = board.get("/privacy").text

    assert "Nachbarschaftsverein Nordstadt e. V." in (section(text, "responsible") or "")
    assert "datenschutz@nordstadt.example" in (section(text, "dp-contact") or "")
    authority = section(text, "authority") or ""
    assert "Landesbeauftragte für Datenschutz" in authority and "Beschwerde" in authority
    rights = section(text, "rights") or ""
    for article in ("Art. 15", "Art. 16", "Art. 17", "Art. 21"):
        assert article in rights


def test_privacy__without_mail_says_nothing_about_mail(board: RunningBoard) -> None:
    text = board.get("/privacy").text

    assert section(text, "mail") is None
    assert 'href="#mail"' not in text
    assert section(text, "approve-followers") is None
    assert section(text, "limited") is None


def test_privacy__with_mail_explains_subscriptions_and_the_unconfirmed_purge(
    make_board: BoardFactory,
) -> None:
    board = make_board(**MAIL_ON)

    mail = section(board.get("/privacy").text, "mail")

    assert mail is not None
    assert "innerhalb von 48 Stunden" in mail  # the lifetime of the confirmation link
    assert "abmelden" in mail.lower()


def test_privacy__approving_followers_and_limited_federation_are_described(
    make_board: BoardFactory,
) -> None:
    board = make_board(AUSHANG_FEDERATION_APPROVE_FOLLOWERS="true")
    assert board.cli("settings", "--limited", "on").returncode == 0

    text = board.get("/privacy").text

    assert section(text, "approve-followers") is not None
    assert section(text, "limited") is not None


def test_privacy__replies_follow_the_reply_policy(board: RunningBoard) -> None:
    held = section(board.get("/privacy").text, "replies") or ""
    assert "erst, nachdem unser Team sie gelesen hat" in held
    assert board.cli("settings", "--reply-policy", "open").returncode == 0

    shown = section(board.get("/privacy").text, "replies") or ""

    assert "sofort" in shown and "erst, nachdem" not in shown
    assert section(held, "reply-approval") is not None
    assert section(shown, "reply-approval") is None


def test_privacy__backups_logs_and_session_use_the_configured_times(
    make_board: BoardFactory,
) -> None:
    board = make_board(
        AUSHANG_BACKUP_KEEP="3",
        AUSHANG_BACKUP_HOUR="4",
        AUSHANG_STAFF_SESSION_LIFETIME_DAYS="3",
        AUSHANG_LEGAL_LOG_RETENTION_DAYS="10",
    )

    text = board.get("/privacy").text

    backups = section(text, "backups") or ""
    assert "um 4 Uhr" in backups and "die letzten 3 Kopien" in backups
    assert "nach 10 Tagen gelöscht" in (section(text, "logs") or "")
    assert "spätestens nach 3 Tagen" in (section(text, "session-lifetime") or "")
    assert "14 Tage" not in (section(text, "session-lifetime") or "")
    assert "nach 8 Stunden ohne Nutzung" in backups
    english = board.get("/privacy", params={"lang": "en"}).text
    assert "after 3 days at the latest" in (section(english, "session-lifetime") or "")


def test_privacy__without_a_stated_log_retention_asks_to_ask(make_board: BoardFactory) -> None:
    board = make_board(AUSHANG_LEGAL_LOG_RETENTION_DAYS="0")

    logs = section(board.get("/privacy").text, "logs") or ""

    assert "Fragen Sie uns" in logs


@pytest.mark.parametrize(
    ("span", "lang", "preposition", "words"),
    [
        (timedelta(days=14), "de", "after", "nach 14 Tagen"),
        (timedelta(days=1), "de", "after", "nach 24 Stunden"),
        (timedelta(hours=48), "de", "within", "innerhalb von 48 Stunden"),
        (timedelta(minutes=20), "de", "after", "nach 1 Stunde"),
        (timedelta(days=3), "en", "after", "after 3 days"),
        (timedelta(hours=8), "en", "within", "within 8 hours"),
    ],
)
def test_duration__says_a_span_in_words(
    span: timedelta, lang: str, preposition: str, words: str
) -> None:
    assert duration(span, lang, preposition) == words
