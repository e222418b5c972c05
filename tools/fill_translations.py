"""Fill the empty entries of a message catalogue, from a JSON file or from the English ids.

    python tools/fill_translations.py locales/tr/LC_MESSAGES/messages.po --json tr.json
    python tools/fill_translations.py locales/en/LC_MESSAGES/messages.po --copy-ids
    python tools/fill_translations.py locales/de/LC_MESSAGES/staff.po --po old/messages.po

`--po` takes the translations of another catalogue of the same language (for instance one
from before a message moved between the domains "messages" and "staff"). The JSON file maps
each English msgid to its translation: a string, or for a message with
plural forms a list with one string per plural form of the language. Entries that already
have a translation are kept; a translation whose placeholders or plural forms do not fit
(Babel's catalogue checks) is left out and reported. Fuzzy entries are not touched.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def placeholder_problem(message: Message) -> str | None:
    """Babel lets a translation drop every placeholder; the board needs them all (a plural
    form may leave out the count, as "ein Konto" does)."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    expected = set(PLACEHOLDER.findall(" ".join(str(i) for i in ids)))
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    for string in strings:
        found = set(PLACEHOLDER.findall(str(string or "")))
        if not found <= expected or (not isinstance(message.id, tuple) and found != expected):
            return f"placeholders {sorted(found)} instead of {sorted(expected)}"
    return None


def is_empty(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not any(strings)


def from_ids(message: Message, num_plurals: int) -> Any:
    if isinstance(message.id, tuple):
        singular, plural = message.id[0], message.id[1]
        return [singular] + [plural] * (num_plurals - 1)
    return message.id


def fill_one(catalog: Catalog, message: Message, value: Any) -> str | None:
    """Set one translation; return why it was refused, if it was."""
    if isinstance(message.id, tuple):
        if not isinstance(value, list) or len(value) != catalog.num_plurals:
            return f"needs {catalog.num_plurals} plural forms"
        message.string = tuple(str(v) for v in value)
    elif isinstance(value, str):
        message.string = value
    else:
        return "needs a string"
    problems = [str(e) for e in message.check(catalog)] + [placeholder_problem(message) or ""]
    if any(problems):
        message.string = ("",) * catalog.num_plurals if isinstance(message.id, tuple) else ""
        return "; ".join(p for p in problems if p)
    return None


def fill(catalog: Catalog, translations: dict[str, Any] | None) -> tuple[int, list[str]]:
    """Fill the empty entries; without `translations` copy the English ids."""
    filled, refused = 0, []
    for message in catalog:
        if not message.id or message.fuzzy or not is_empty(message):
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if translations is None:
            value = from_ids(message, catalog.num_plurals)
        elif key in translations:
            value = translations[key]
        else:
            continue
        problem = fill_one(catalog, message, value)
        if problem:
            refused.append(f"{key!r}: {problem}")
        else:
            filled += 1
    return filled, refused


def translations_of(po_file: Path) -> dict[str, Any]:
    """The translated, not fuzzy entries of a catalogue, as the JSON file would give them."""
    with po_file.open("rb") as handle:
        catalog = read_po(handle)
    found: dict[str, Any] = {}
    for message in catalog:
        if not message.id or message.fuzzy or is_empty(message):
            continue
        if isinstance(message.id, tuple):
            found[str(message.id[0])] = [str(s) for s in message.string or ()]
        else:
            found[str(message.id)] = message.string
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalogue", type=Path, help="the .po file to fill")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--json", type=Path, help="msgid -> translation (or plural forms)")
    source.add_argument("--po", type=Path, help="another catalogue of the same language")
    source.add_argument("--copy-ids", action="store_true", help="use the English ids")
    args = parser.parse_args(argv)
    with args.catalogue.open("rb") as handle:
        catalog = read_po(handle)
    translations = None
    if args.json:
        translations = json.loads(args.json.read_text(encoding="utf-8"))
    if args.po:
        translations = translations_of(args.po)
    filled, refused = fill(catalog, translations)
    with args.catalogue.open("wb") as handle:
        write_po(handle, catalog, no_location=True, omit_header=False, sort_output=False)
    for line in refused:
        print(f"refused {line}", file=sys.stderr)
    left = sum(1 for m in catalog if m.id and is_empty(m))
    print(f"{args.catalogue}: {filled} filled, {len(refused)} refused, {left} still empty")
    return 0


if __name__ == "__main__":
    sys.exit(main())
