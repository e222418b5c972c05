"""The board compiles its .po catalogues itself, quickly, to exactly what Babel compiles."""

from __future__ import annotations

from io import BytesIO

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from noticeboard.catalogues import compile_po, read_entries
from noticeboard.i18n import LANGUAGES, STAFF_LANGUAGES, babel_locale, catalogue_path

CATALOGUES = [(lang, "messages") for lang in LANGUAGES] + [
    (lang, "staff") for lang in STAFF_LANGUAGES
]


def with_babel(text: str, lang: str = "de") -> Translations:
    catalog = read_po(BytesIO(text.encode("utf-8")), locale=babel_locale(lang))
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


def ours(text: str) -> Translations:
    return Translations(fp=BytesIO(compile_po(text)))


def answers(translations: Translations, text: str, lang: str = "de") -> list[str]:
    """What the catalogue says for each of its messages, in every plural form."""
    catalog = read_po(BytesIO(text.encode("utf-8")), locale=babel_locale(lang))
    said = []
    for message in catalog:
        if isinstance(message.id, tuple):
            singular, plural = message.id[0], message.id[1]
            said += [translations.ngettext(singular, plural, n) for n in range(0, 112)]
        elif message.id:
            said.append(translations.gettext(message.id))
    return said


@pytest.mark.parametrize(("lang", "domain"), CATALOGUES)
def test_catalogues__every_message_reads_as_babel_compiles_it(lang: str, domain: str) -> None:
    text = catalogue_path(lang, domain=domain).read_text(encoding="utf-8")

    expected = with_babel(text, lang)
    compiled = ours(text)

    assert answers(compiled, text, lang) == answers(expected, text, lang)
    assert compiled.info()["plural-forms"] == expected.info()["plural-forms"]
    assert compiled.gettext("no such message") == "no such message"


SAMPLE = r"""# A comment
msgid ""
msgstr ""
"Language: de\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"
"Content-Type: text/plain; charset=utf-8\n"

msgid "Plain"
msgstr "Schlicht"

#, python-format
msgid ""
"A long %(x)s message "
"in pieces"
msgstr ""
"Eine lange %(x)s Nachricht "
"in Stücken"

msgid "Quote \" and \\ and \t and \n"
msgstr "Zitat \" und \\ und \t und \n"

#, fuzzy
msgid "Unsure"
msgstr "Unsicher"

msgid "Untranslated"
msgstr ""

#, fuzzy, python-format
msgid "Unsure %(n)s"
msgstr "Unsicher %(n)s"

msgctxt "menu"
msgid "Open"
msgstr "Öffnen"

msgid "One day"
msgid_plural "%(num)s days"
msgstr[0] "Ein Tag"
msgstr[1] "%(num)s Tage"

msgid "One week"
msgid_plural "%(num)s weeks"
msgstr[0] "Eine Woche"
msgstr[1] ""

#~ msgid "Gone"
#~ msgstr "Weg"
"""


def test_catalogues__fuzzy_empty_obsolete_escaped_and_plural_entries() -> None:
    compiled = ours(SAMPLE)

    assert compiled.gettext("Plain") == "Schlicht"
    assert (
        compiled.gettext("A long %(x)s message in pieces")
        == "Eine lange %(x)s Nachricht in Stücken"
    )
    assert compiled.gettext('Quote " and \\ and \t and \n') == 'Zitat " und \\ und \t und \n'
    assert compiled.gettext("Unsure") == "Unsure"
    assert compiled.gettext("Unsure %(n)s") == "Unsure %(n)s"
    assert compiled.gettext("Untranslated") == "Untranslated"
    assert compiled.gettext("Gone") == "Gone"
    assert compiled.pgettext("menu", "Open") == "Öffnen"
    assert compiled.gettext("Open") == "Open"
    assert [compiled.ngettext("One day", "%(num)s days", n) for n in (1, 2)] == [
        "Ein Tag",
        "%(num)s Tage",
    ]
    assert [compiled.ngettext("One week", "%(num)s weeks", n) for n in (1, 2)] == [
        "Eine Woche",
        "%(num)s weeks",
    ]
    assert answers(compiled, SAMPLE) == answers(with_babel(SAMPLE), SAMPLE)
    assert compiled.pgettext("menu", "Open") == with_babel(SAMPLE).pgettext("menu", "Open")


def test_catalogues__a_broken_line_is_refused() -> None:
    with pytest.raises(ValueError, match="not a quoted string"):
        read_entries('msgid "Open\nmsgstr "x"\n')
    with pytest.raises(ValueError, match="text without a field"):
        read_entries('"stray"\n')
