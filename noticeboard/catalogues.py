"""Compiling a .po catalogue in memory, quickly.

The board keeps its catalogues as .po files and compiles each when it is first used. Babel's
reader builds a full catalogue model (~20 ms for one language, paid before a starting server's
first page); this reads just what a compiled catalogue holds and writes the .mo data Python's
gettext reads, as `babel.messages.mofile.write_mo` does: fuzzy and empty entries left out, a
plural form without translation falling back to its English id.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

_ESCAPE = re.compile(r'\\([\\trn"])')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
MO_MAGIC = 0x950412DE


@dataclass
class Entry:
    """One message of a .po file: its fields (msgctxt, msgid, msgid_plural, msgstr,
    msgstr[0] ...) with their text, and whether it is marked fuzzy."""

    fields: dict[str, str] = field(default_factory=dict)
    fuzzy: bool = False
    obsolete: bool = False


def _unquote(text: str) -> str:
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"not a quoted string: {text[:40]!r}")
    inner = text[1:-1]
    if "\\" not in inner:
        return inner
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[1]), inner)


def read_entries(text: str) -> list[Entry]:
    """The entries of a .po file, in their order (obsolete ones marked)."""
    entries: list[Entry] = []
    entry, key = Entry(), ""

    def flush() -> None:
        nonlocal entry, key
        if "msgid" in entry.fields:
            entries.append(entry)
        entry, key = Entry(), ""

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#"):
            if key:  # a comment after the fields: the next entry starts
                flush()
            if line.startswith("#~"):
                entry.obsolete = True
            elif line.startswith("#,"):
                entry.fuzzy = entry.fuzzy or "fuzzy" in (f.strip() for f in line[2:].split(","))
            continue
        if line.startswith('"'):
            if not key:
                raise ValueError(f"text without a field: {line[:40]!r}")
            entry.fields[key] += _unquote(line)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgid", "msgctxt") and "msgid" in entry.fields:
            flush()
        key = keyword
        entry.fields[key] = _unquote(rest.strip())
    flush()
    return entries


def _compiled(entry: Entry) -> tuple[str, str] | None:
    """The key and text the .mo data holds for an entry, or None for one it leaves out."""
    fields = entry.fields
    msgid = fields["msgid"]
    context = fields.get("msgctxt")
    plural = fields.get("msgid_plural")
    key = msgid if context is None else f"{context}\x04{msgid}"
    if plural is None:
        text = fields.get("msgstr", "")
        return (key, text) if text or msgid == "" else None
    forms = sorted(
        (int(name[7:-1]), value) for name, value in fields.items() if name.startswith("msgstr[")
    )
    if not forms:
        return None
    ids = (msgid, plural)
    texts = [value or ids[min(index, 1)] for index, value in forms]
    return f"{key}\x00{plural}", "\x00".join(texts)


def compile_po(text: str) -> bytes:
    """The .mo data of a .po file's text: header, translated and not fuzzy entries."""
    messages = {}
    for entry in read_entries(text):
        if entry.obsolete or (entry.fuzzy and entry.fields["msgid"] != ""):
            continue
        compiled = _compiled(entry)
        if compiled is not None:
            messages[compiled[0]] = compiled[1]
    keys = sorted(messages)
    ids = [key.encode("utf-8") for key in keys]
    strs = [messages[key].encode("utf-8") for key in keys]
    start = 7 * 4 + 16 * len(keys)  # after the header and the two tables
    tables, at = [], start
    for encoded in ids:
        tables.append(struct.pack("<II", len(encoded), at))
        at += len(encoded) + 1
    for encoded in strs:
        tables.append(struct.pack("<II", len(encoded), at))
        at += len(encoded) + 1
    header = struct.pack("<Iiiiiii", MO_MAGIC, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, start)
    return b"".join([header, *tables, *(e + b"\x00" for e in ids), *(e + b"\x00" for e in strs)])
