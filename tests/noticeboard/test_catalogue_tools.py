"""tools/fill_translations.py and tools/split_staff.py, on small catalogues of their own."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"


def tool(name: str) -> dict[str, Any]:
    return runpy.run_path(str(TOOLS / f"{name}.py"), run_name="tool")


def write(path: Path, catalog: Catalog) -> Path:
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False)
    return path


def read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def arabic(tmp_path: Path) -> Path:
    catalog = Catalog(locale="ar")
    catalog.add("Search")
    catalog.add("Hello %(name)s")
    catalog.add(("%(num)s like", "%(num)s likes"))
    catalog.add("Kept", "محفوظ")
    return write(tmp_path / "messages.po", catalog)


def test_fill__fills_only_empty_entries_and_refuses_what_does_not_fit(tmp_path: Path) -> None:
    po = arabic(tmp_path)
    translations = {
        "Search": "بحث",
        "Hello %(name)s": "مرحبا",  # the placeholder is lost: refused
        "%(num)s like": ["%(num)s"] * 5,  # Arabic has six plural forms: refused
        "Kept": "غير",
    }
    source = tmp_path / "ar.json"
    source.write_text(json.dumps(translations, ensure_ascii=False), encoding="utf-8")
    assert tool("fill_translations")["main"]([str(po), "--json", str(source)]) == 0
    catalog = read(po)
    assert catalog.num_plurals == 6
    assert catalog.get("Search").string == "بحث"
    assert catalog.get("Hello %(name)s").string == ""
    assert catalog.get("%(num)s like").string == ("",) * 6
    assert catalog.get("Kept").string == "محفوظ"

    translations["%(num)s like"] = [f"{i} %(num)s" for i in range(6)]
    source.write_text(json.dumps(translations, ensure_ascii=False), encoding="utf-8")
    tool("fill_translations")["main"]([str(po), "--json", str(source)])
    assert read(po).get("%(num)s like").string == tuple(f"{i} %(num)s" for i in range(6))


def test_fill__copies_english_ids(tmp_path: Path) -> None:
    catalog = Catalog(locale="en")
    catalog.add("Search")
    catalog.add(("%(num)s like", "%(num)s likes"))
    po = write(tmp_path / "messages.po", catalog)
    tool("fill_translations")["main"]([str(po), "--copy-ids"])
    filled = read(po)
    assert filled.get("Search").string == "Search"
    assert filled.get("%(num)s like").string == ("%(num)s like", "%(num)s likes")


def test_fill__takes_translations_from_another_catalogue(tmp_path: Path) -> None:
    old = Catalog(locale="de")
    old.add("Approve", "Freigeben")
    old.add(("%(num)s reply", "%(num)s replies"), ("%(num)s Antwort", "%(num)s Antworten"))
    old.add("Draft", "Entwurf", flags=["fuzzy"])
    new = Catalog(locale="de")
    for msgid in ("Approve", ("%(num)s reply", "%(num)s replies"), "Draft"):
        new.add(msgid)
    source, target = write(tmp_path / "old.po", old), write(tmp_path / "staff.po", new)
    tool("fill_translations")["main"]([str(target), "--po", str(source)])
    filled = read(target)
    assert filled.get("Approve").string == "Freigeben"
    assert filled.get("%(num)s reply").string == ("%(num)s Antwort", "%(num)s Antworten")
    assert filled.get("Draft").string == ""


def test_split_staff__keeps_only_what_public_pages_do_not_use(tmp_path: Path) -> None:
    messages, staff = Catalog(), Catalog()
    messages.add("Sign out")
    staff.add("Sign out")
    staff.add("Approve")
    write(tmp_path / "messages.pot", messages)
    write(tmp_path / "staff.pot", staff)
    left = tool("split_staff")["split"](tmp_path / "messages.pot", tmp_path / "staff.pot")
    assert left == 1
    assert [m.id for m in read(tmp_path / "staff.pot") if m.id] == ["Approve"]
