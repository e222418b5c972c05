from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.support import Translations

from noticeboard.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    STAFF_LANGUAGES,
    babel_locale,
    catalogue_path,
    format_date_local,
    format_datetime_local,
    format_isodatetime,
    format_number,
    format_percentage,
    format_when,
    get_staff_translations,
    get_translations,
    gettext_context,
    make_environment,
    negotiate_language,
    parse_accept_language,
    staff_language,
    switch_href,
)

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
CATALOGUES = [(lang, "messages") for lang in LANGUAGES] + [
    (lang, "staff") for lang in STAFF_LANGUAGES
]


def read_catalogue(lang: str, domain: str = "messages") -> Catalog:
    with catalogue_path(lang, domain=domain).open("rb") as po_file:
        return read_po(po_file, locale=babel_locale(lang), domain=domain)


def extracted_messages(pattern: str, cfg_name: str = "babel.cfg") -> dict[str, tuple[str, ...]]:
    """Run babel's extraction as `pybabel extract -F babel.cfg` would, for one section
    (and the ignored folders)."""
    with (ROOT / cfg_name).open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, cfg_name)
    method_map = [(p, m) for p, m in method_map if p == pattern or m == "ignore"]
    assert any(p == pattern for p, _ in method_map), f"{cfg_name} has no section for {pattern}"
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
        (None, None, "tr-TR", "tr"),
        (None, None, "tr-TR,tr;q=0.9,en;q=0.8", "tr"),
        (None, None, "fr, ar;q=0.9, en;q=0.8", "ar"),
        (None, None, "uk-UA, ru;q=0.5", "uk"),
        (None, None, "pl-PL", "pl"),
        ("de-x-simple", None, "en", "de-x-simple"),
        ("DE-X-SIMPLE", None, None, "de-x-simple"),
        (None, "de-x-simple", "tr", "de-x-simple"),
        ("ar", "de-x-simple", "de", "ar"),
        ("de-AT", None, None, "de"),
    ],
)
def test_negotiate_language__cases(
    query: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    assert negotiate_language(query, cookie, header) == expected


def test_negotiate_language__the_boards_language_when_the_browser_names_none() -> None:
    assert negotiate_language(None, None, "fr, it", "tr") == "tr"
    assert negotiate_language(None, None, "*", "en") == "en"
    assert negotiate_language(None, None, "uk", "tr") == "uk"
    assert negotiate_language(None, None, None, "xx") == "de"


def test_parse_accept_language__orders_by_quality_then_position() -> None:
    header = "de;q=0.5, en-GB, fr;q=0.5, en;q=0.8"
    assert parse_accept_language(header) == ["en-GB", "en", "de", "fr"]


def test_languages__german_first_plain_german_and_six_more() -> None:
    assert LANGUAGES == ("de", "de-x-simple", "en", "tr", "ar", "uk", "ru", "pl")
    assert DEFAULT_LANGUAGE == "de"
    assert STAFF_LANGUAGES == ("de", "en")


@pytest.mark.parametrize(
    ("reader", "staff"),
    [("de", "de"), ("de-x-simple", "de"), ("en", "en"), ("ar", "en"), ("tr", "en")],
)
def test_staff_language__german_or_english(reader: str, staff: str) -> None:
    assert staff_language(reader) == staff


def test_plain_german__formats_as_german_and_lives_in_a_variant_folder() -> None:
    assert babel_locale("de-x-simple") == "de"
    assert catalogue_path("de-x-simple").parent.parent.name == "de@simple"
    assert get_translations("de-x-simple").gettext("Skip to content") != "Skip to content"


@pytest.mark.parametrize(
    ("path", "query", "code", "expected"),
    [
        ("/search", "q=Hoffest+Sommer&lang=en", "ar", "/search?q=Hoffest+Sommer&lang=ar"),
        (
            "/",
            "type=event&before=2026-11-01T00%3A00%3A00.000Z",
            "tr",
            "/?type=event&before=2026-11-01T00%3A00%3A00.000Z&lang=tr",
        ),
        ("/archive", "page=3", "de-x-simple", "/archive?page=3&lang=de-x-simple"),
        ("/notices/5", "text=ar&lang=ar", "de", "/notices/5?lang=de"),
        ("/", "", "pl", "/?lang=pl"),
    ],
)
def test_switch_href__keeps_path_and_query_and_replaces_the_language(
    path: str, query: str, code: str, expected: str
) -> None:
    assert switch_href(path, query, code) == expected


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue__loads_and_is_cached(lang: str) -> None:
    translations = get_translations(lang)
    assert isinstance(translations, Translations)
    assert get_translations(lang) is translations


@pytest.mark.parametrize(("lang", "domain"), CATALOGUES)
def test_catalogue__exists_for_every_language(lang: str, domain: str) -> None:
    assert catalogue_path(lang, domain=domain).is_file(), f"no {domain} catalogue for {lang}"


def test_catalogue__german_translates_and_english_is_identity() -> None:
    assert get_translations("de").gettext("Skip to content") == "Zum Inhalt springen"
    assert get_translations("en").gettext("Skip to content") == "Skip to content"
    de_plural = get_translations("de").ngettext
    assert de_plural("%(num)s reply", "x", 2) == "%(num)s Antworten"
    assert get_staff_translations("de").gettext("Signed in as %(name)s.") == (
        "Angemeldet als %(name)s."
    )
    assert get_translations("de").gettext("Signed in as %(name)s.") == "Signed in as %(name)s."


@pytest.mark.parametrize(("lang", "domain"), CATALOGUES)
def test_catalogue__complete_without_fuzzy_entries_or_format_errors(lang: str, domain: str) -> None:
    catalogue = read_catalogue(lang, domain)
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check()]
    assert problems == []
    assert [m.id for m in catalogue if m.id and m.fuzzy] == []
    untranslated = [m.id for m in catalogue if m.id and not is_translated(m)]
    assert untranslated == [], f"untranslated in {catalogue_path(lang, domain=domain)}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue__has_the_plural_forms_of_its_language(lang: str) -> None:
    catalogue = read_catalogue(lang)
    assert catalogue.num_plurals == get_plural(babel_locale(lang)).num_plurals
    if lang == "ar":
        assert catalogue.num_plurals == 6


@pytest.mark.parametrize(("lang", "domain"), CATALOGUES)
def test_catalogue__translations_keep_placeholders(lang: str, domain: str) -> None:
    for message in read_catalogue(lang, domain):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set(PLACEHOLDER.findall(" ".join(ids)))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            if string:
                # A singular may say "1 Konto" without %(num)s; never invent names.
                found = set(PLACEHOLDER.findall(string))
                assert found <= expected, (message.id, string)
                if not isinstance(message.id, tuple):
                    assert found == expected, (message.id, string)


@pytest.mark.parametrize("pattern", ["templates/**.html", "noticeboard/**.py"])
def test_catalogue__every_extracted_message_is_in_every_language(pattern: str) -> None:
    messages = extracted_messages(pattern)
    if pattern.startswith("templates"):
        assert len(messages) > 30, "template extraction found suspiciously few messages"
    assert not any(where[0].startswith("templates/staff/") for where in messages.values())
    for lang in LANGUAGES:
        catalogue = read_catalogue(lang)
        missing = sorted(msgid for msgid in messages if catalogue.get(msgid) is None)
        assert missing == [], f"missing from {catalogue_path(lang)}"
    german = read_catalogue("de")
    untranslated = sorted(
        f"{where[0]}: {msgid!r}"
        for msgid, where in messages.items()
        if not is_translated(german.get(msgid))
    )
    assert untranslated == [], "missing German translations (update locales/de):"


def test_catalogue__staff_messages_are_in_german_and_english() -> None:
    staff = extracted_messages("templates/staff/**.html", "babel-staff.cfg")
    messages = read_catalogue("de")
    only_staff = {msgid for msgid in staff if messages.get(msgid) is None}
    assert len(only_staff) > 30
    for lang in STAFF_LANGUAGES:
        catalogue = read_catalogue(lang, "staff")
        assert sorted(m for m in only_staff if not is_translated(catalogue.get(m))) == []
        shared = [m.id for m in catalogue if m.id and messages.get(m.id) is not None]
        assert shared == [], "a message of public pages belongs in messages.po"


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
    html = template.render(who="<b>x</b>", **gettext_context("de", staff=True))
    assert html == "Angemeldet als &lt;b&gt;x&lt;/b&gt;."


def test_gettext_context__ngettext_and_trans_block() -> None:
    env = make_environment(ROOT / "templates")
    template = env.from_string(
        '{{ ngettext("%(num)s account follows this board.",'
        ' "%(num)s accounts follow this board.", n) }}|{% trans %}Skip to content{% endtrans %}'
    )
    assert template.render(n=1, **gettext_context("de", staff=True)) == (
        "1 Konto folgt diesem Brett.|Zum Inhalt springen"
    )
    assert template.render(n=3, **gettext_context("en")) == (
        "3 accounts follow this board.|Skip to content"
    )


def test_filters__datetime_in_board_time_zone() -> None:
    env = make_environment(ROOT / "templates")
    moment = datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    template = env.from_string("{{ t|datetime(lang) }}|{{ t|date }}|{{ t|isodatetime }}")
    german = template.render(t=moment, lang="de", timezone="Europe/Berlin", now=now)
    assert german == "Do., 26. Nov., 14:30|Do., 26. Nov.|2026-11-26T13:30:00Z"
    english = template.render(t=moment, lang="en", timezone="America/New_York", now=now)
    assert plain(english).startswith("Thu, Nov 26, 8:30 AM|")


def test_filters__tolerate_missing_values_and_bad_zone() -> None:
    env = make_environment(ROOT / "templates")
    assert env.from_string("{{ t|datetime(lang) }}{{ t|isodatetime }}").render(lang="de") == ""
    assert env.from_string("{{ t|when(None) }}{{ n|number }}").render(lang="de") == ""
    moment = datetime(2026, 7, 1, 10, 0)  # naive means UTC
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert format_datetime_local(moment, "de", "Not/AZone", now) == "Mi., 1. Juli, 12:00"
    assert format_isodatetime(moment) == "2026-07-01T10:00:00Z"


def plain(text: str) -> str:
    """CLDR writes thin and no-break spaces; the tests compare with ordinary ones."""
    return text.replace("\u2009", " ").replace("\u202f", " ").replace("\xa0", " ")


START = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)  # 18:00 in Berlin, a Tuesday
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lang", "one_day", "two_days"),
    [
        ("de", "Di., 8. Dez., 18:00–20:00 Uhr", "Di., 8. Dez., 18:00 – Mi., 9. Dez., 12:00"),
        (
            "de-x-simple",
            "Di., 8. Dez., 18:00–20:00 Uhr",
            "Di., 8. Dez., 18:00 – Mi., 9. Dez., 12:00",
        ),
        ("en", "Tue, Dec 8, 6:00 – 8:00 PM", "Tue, Dec 8, 6:00 PM – Wed, Dec 9, 12:00 PM"),
        ("tr", "8 Ara Sal 18:00–20:00", "8 Ara Sal 18:00 – 9 Ara Çar 12:00"),
        (
            "ar",
            "الثلاثاء، 8 ديسمبر، 6:00–8:00 م",
            "الثلاثاء، 8 ديسمبر، 6:00 م – الأربعاء، 9 ديسمبر، 12:00 م",
        ),
        ("uk", "вт, 8 груд., 18:00–20:00", "вт, 8 груд., 18:00 – ср, 9 груд., 12:00"),
        ("ru", "вт, 8 дек., 18:00—20:00", "вт, 8 дек., 18:00 — ср, 9 дек., 12:00"),
        ("pl", "wt., 8 gru, 18:00–20:00", "wt., 8 gru, 18:00 – śr., 9 gru, 12:00"),
    ],
)
def test_format_when__events_as_people_write_them(lang: str, one_day: str, two_days: str) -> None:
    end = START + timedelta(hours=2)
    assert plain(format_when(START, end, lang, "Europe/Berlin", NOW)) == one_day
    next_day = START + timedelta(hours=18)
    assert plain(format_when(START, next_day, lang, "Europe/Berlin", NOW)) == two_days


def test_format_when__year_only_when_not_the_current_one() -> None:
    end = START + timedelta(hours=2)
    next_year = datetime(2027, 1, 2, tzinfo=UTC)
    assert format_when(START, end, "de", "Europe/Berlin", next_year) == (
        "Di., 8. Dez. 2026, 18:00–20:00 Uhr"
    )
    assert plain(format_when(START, None, "en", "Europe/Berlin", NOW)) == "Tue, Dec 8, 6:00 PM"
    assert format_when(START, START, "de", "Europe/Berlin", NOW) == "Di., 8. Dez., 18:00"
    assert format_date_local(START, "de", "Europe/Berlin", next_year) == "Di., 8. Dez. 2026"
    assert format_date_local(START.date(), "pl", None, NOW) == "wt., 8 gru"


def test_format_when__in_the_board_time_zone() -> None:
    # 23:30 UTC is already the next day in Berlin.
    late = datetime(2026, 12, 8, 23, 30, tzinfo=UTC)
    assert format_when(late, None, "de", "Europe/Berlin", NOW) == "Mi., 9. Dez., 00:30"
    assert format_when(late, None, "de", "America/New_York", NOW) == "Di., 8. Dez., 18:30"


@pytest.mark.parametrize(
    ("lang", "number", "percent"),
    [
        ("de", "1.234", "42 %"),
        ("en", "1,234", "42%"),
        ("tr", "1.234", "%42"),
        ("ru", "1 234", "42 %"),
        ("de-x-simple", "1.234", "42 %"),
    ],
)
def test_numbers__as_the_language_writes_them(lang: str, number: str, percent: str) -> None:
    assert plain(format_number(1234, lang)) == number
    assert plain(format_percentage(42, lang)) == percent


def test_ngettext__formats_the_count() -> None:
    env = make_environment(ROOT / "templates")
    template = env.from_string('{{ ngettext("%(num)s like", "%(num)s likes", n) }}')
    assert template.render(n=1234, **gettext_context("en")) == "1,234 likes"
