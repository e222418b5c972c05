from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

from noticeboard.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    catalogue_path,
    format_datetime_local,
    format_isodatetime,
    get_translations,
    gettext_context,
    make_environment,
    negotiate_language,
    parse_accept_language,
)

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def read_catalogue(lang: str) -> Catalog:
    with catalogue_path(lang).open("rb") as po_file:
        return read_po(po_file, locale=lang)


def extracted_messages(pattern: str) -> dict[str, tuple[str, ...]]:
    """Run babel's extraction as `pybabel extract -F babel.cfg` would, for one section."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    method_map = [(p, m) for p, m in method_map if p == pattern]
    assert method_map, f"babel.cfg has no section for {pattern}"
    found: dict[str, tuple[str, ...]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map=method_map, options_map=options_map
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found[msgid] = (filename, *([message[1]] if isinstance(message, tuple) else []))
    return found


def is_translated(message: Message | None) -> bool:
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(s.strip() for s in strings)


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        (None, None, None, "de"),
        ("en", None, None, "en"),
        ("en", "de", "de-DE", "en"),
        ("EN-gb", None, None, "en"),
        ("fr", "en", None, "en"),
        (None, "en", "de", "en"),
        (None, "xx", "en-US,en;q=0.9", "en"),
        (None, None, "fr-FR,fr;q=0.9,en;q=0.8,de;q=0.7", "en"),
        (None, None, "de;q=0.4,en;q=0.9", "en"),
        (None, None, "en;q=0,de;q=0.1", "de"),
        (None, None, "en;q=0", "de"),
        (None, None, "fr, it", "de"),
        (None, None, "*", "de"),
        (None, None, "en;q=banana, de", "de"),
        (None, None, " , ;q=1, en_GB ", "en"),
        ("", "", "", "de"),
    ],
)
def test_negotiate_language__cases(
    query: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    assert negotiate_language(query, cookie, header) == expected


def test_parse_accept_language__orders_by_quality_then_position() -> None:
    header = "de;q=0.5, en-GB, fr;q=0.5, en;q=0.8"
    assert parse_accept_language(header) == ["en-GB", "en", "de", "fr"]


def test_default_language_is_german() -> None:
    assert LANGUAGES == ("de", "en")
    assert DEFAULT_LANGUAGE == "de"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue__loads_and_is_cached(lang: str) -> None:
    translations = get_translations(lang)
    assert isinstance(translations, Translations)
    assert get_translations(lang) is translations


def test_catalogue__german_translates_and_english_is_identity() -> None:
    assert get_translations("de").gettext("Skip to content") == "Zum Inhalt springen"
    assert get_translations("en").gettext("Skip to content") == "Skip to content"
    de_plural = get_translations("de").ngettext
    assert de_plural("%(num)s account follows this board.", "x", 2).startswith("%(num)s Konten")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue__no_format_errors_and_no_fuzzy_entries(lang: str) -> None:
    catalogue = read_catalogue(lang)
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check()]
    assert problems == []
    assert [m.id for m in catalogue if m.id and m.fuzzy] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue__translations_keep_placeholders(lang: str) -> None:
    for message in read_catalogue(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set(PLACEHOLDER.findall(" ".join(ids)))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            if string:
                # German may say "1 Konto" without %(num)s in the singular; never invent names.
                found = set(PLACEHOLDER.findall(string))
                assert found <= expected, (message.id, string)
                if not isinstance(message.id, tuple):
                    assert found == expected, (message.id, string)


@pytest.mark.parametrize("pattern", ["templates/**.html", "noticeboard/**.py"])
def test_catalogue__every_extracted_message_is_translated(pattern: str) -> None:
    messages = extracted_messages(pattern)
    if pattern.startswith("templates"):
        assert len(messages) > 30, "template extraction found suspiciously few messages"
    german = read_catalogue("de")
    english = read_catalogue("en")
    untranslated = sorted(
        f"{where[0]}: {msgid!r}"
        for msgid, where in messages.items()
        if not is_translated(german.get(msgid))
    )
    assert untranslated == [], "missing German translations (update locales/de):"
    not_in_english = sorted(msgid for msgid in messages if english.get(msgid) is None)
    assert not_in_english == [], "missing from locales/en/LC_MESSAGES/messages.po"


def test_catalogue__plurals_keep_their_plural_id() -> None:
    german = read_catalogue("de")
    for msgid, where in extracted_messages("templates/**.html").items():
        if len(where) > 1:
            message = german.get(msgid)
            assert message is not None and message.pluralizable, msgid
            assert message.id[1] == where[1], msgid


def test_n_marker__is_identity_and_extracted_by_default() -> None:
    assert N_("Please enter a title.") == "Please enter a title."


def test_gettext_context__escapes_variables_but_not_the_text() -> None:
    env = make_environment(ROOT / "templates")
    template = env.from_string('{{ _("Signed in as %(name)s.", name=who) }}')
    html = template.render(who="<b>x</b>", **gettext_context("de"))
    assert html == "Angemeldet als &lt;b&gt;x&lt;/b&gt;."


def test_gettext_context__ngettext_and_trans_block() -> None:
    env = make_environment(ROOT / "templates")
    template = env.from_string(
        '{{ ngettext("%(num)s account follows this board.",'
        ' "%(num)s accounts follow this board.", n) }}|{% trans %}Skip to content{% endtrans %}'
    )
    assert template.render(n=1, **gettext_context("de")) == (
        "1 Konto folgt diesem Brett.|Zum Inhalt springen"
    )
    assert template.render(n=3, **gettext_context("en")) == (
        "3 accounts follow this board.|Skip to content"
    )


def test_filters__datetime_in_board_time_zone() -> None:
    env = make_environment(ROOT / "templates")
    moment = datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
    template = env.from_string("{{ t|datetime(lang) }}|{{ t|date }}|{{ t|isodatetime }}")
    german = template.render(t=moment, lang="de", timezone="Europe/Berlin")
    assert german == "26. November 2026, 14:30|26. November 2026|2026-11-26T13:30:00Z"
    english = template.render(t=moment, lang="en", timezone="America/New_York")
    assert english.startswith("November 26, 2026, 8:30")


def test_filters__tolerate_missing_values_and_bad_zone() -> None:
    env = make_environment(ROOT / "templates")
    assert env.from_string("{{ t|datetime(lang) }}{{ t|isodatetime }}").render(lang="de") == ""
    moment = datetime(2026, 7, 1, 10, 0)  # naive means UTC
    assert format_datetime_local(moment, "de", "Not/AZone") == "1. Juli 2026, 12:00"
    assert format_isodatetime(moment) == "2026-07-01T10:00:00Z"
