"""Catalogues are compiled by Babel once and kept in the board's data folder: a restarted
board reads the kept file, an edited catalogue is compiled afresh, and a folder that cannot be
written only means compiling at each start."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.support import Translations

from noticeboard import catalogues
from noticeboard.catalogues import compile_catalogue, compiled_catalogue, keep_compiled_in
from noticeboard.i18n import catalogue_path

PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Search"
msgstr "{search}"

#, fuzzy
msgid "Draft"
msgstr "Entwurf"

msgid "%(num)s reply"
msgid_plural "%(num)s replies"
msgstr[0] "%(num)s Antwort"
msgstr[1] "%(num)s Antworten"
"""


@pytest.fixture(autouse=True)
def no_folder() -> object:
    kept = list(catalogues._folder)
    catalogues._folder.clear()
    yield None
    catalogues._folder[:] = kept


def write_po(folder: Path, search: str = "Suche") -> Path:
    path = folder / "de" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PO.format(search=search), encoding="utf-8")
    return path


def translations(data: bytes) -> Translations:
    return Translations(fp=BytesIO(data))


def test_compiled__says_what_the_catalogue_says_and_leaves_out_fuzzy(tmp_path: Path) -> None:
    said = translations(compiled_catalogue(write_po(tmp_path), "de"))
    assert said.gettext("Search") == "Suche"
    assert said.gettext("Draft") == "Draft"  # fuzzy: the id, as msgfmt does
    assert said.ngettext("%(num)s reply", "%(num)s replies", 2) == "%(num)s Antworten"


def test_kept_catalogue__is_read_instead_of_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    po = write_po(tmp_path / "locales")
    keep_compiled_in(tmp_path / "cache")
    first = compiled_catalogue(po, "de")
    assert len(list((tmp_path / "cache").glob("*.mo"))) == 1

    def no_compiling(source: bytes, locale: str) -> bytes:
        raise AssertionError("compiled again")

    monkeypatch.setattr(catalogues, "compile_catalogue", no_compiling)
    assert compiled_catalogue(po, "de") == first


def test_edited_catalogue__is_compiled_afresh(tmp_path: Path) -> None:
    keep_compiled_in(tmp_path / "cache")
    compiled_catalogue(write_po(tmp_path / "locales"), "de")
    edited = compiled_catalogue(write_po(tmp_path / "locales", search="Finden"), "de")
    assert translations(edited).gettext("Search") == "Finden"


def test_folder_that_cannot_be_written__still_gives_the_catalogue(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file, not a folder")
    keep_compiled_in(tmp_path / "cache" / "catalogues")
    said = translations(compiled_catalogue(write_po(tmp_path / "locales"), "de"))
    assert said.gettext("Search") == "Suche"


def test_the_boards_catalogues__compile_as_babel_compiles_them() -> None:
    path = catalogue_path("de")
    assert compiled_catalogue(path, "de") == compile_catalogue(path.read_bytes(), "de")
