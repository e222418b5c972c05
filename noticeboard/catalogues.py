"""Message catalogues compiled by Babel once and kept in the data folder for the next start.

Reading a .po catalogue into Babel's catalogue model and writing it as .mo costs ~20 ms of CPU
per language; reading the kept .mo ~1 ms. A kept file is named after a hash of its .po source,
so an edited or upgraded catalogue is compiled afresh. Without a folder (the command line before
a board is open, or a folder that cannot be written) catalogues are compiled in memory.
Fuzzy and empty entries are left out, as msgfmt does, so an untranslated message shows its id.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from io import BytesIO
from pathlib import Path

log = logging.getLogger("noticeboard")
_folder: list[Path] = []  # where compiled catalogues are kept, once a board has said so


def keep_compiled_in(directory: Path) -> None:
    """Keep compiled catalogues in `directory` (the board's own, mode 0700), if it can be made."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("catalogues are compiled at each start: %s", exc)
        return
    _folder[:] = [directory]


def compiled_catalogue(po_path: Path, locale: str) -> bytes:
    """The .mo form of a .po catalogue: the kept one, or compiled now (and kept)."""
    source = po_path.read_bytes()
    if not _folder:
        return compile_catalogue(source, locale)
    digest = hashlib.sha256(source).hexdigest()[:20]
    kept = _folder[0] / f"{locale}-{po_path.stem}-{digest}.mo"
    try:
        return kept.read_bytes()
    except OSError:
        pass
    compiled = compile_catalogue(source, locale)
    _keep(kept, compiled)
    return compiled


def compile_catalogue(source: bytes, locale: str) -> bytes:
    """Compile .po source with Babel, as `pybabel compile` does."""
    from babel.messages.mofile import write_mo  # only when a catalogue is compiled
    from babel.messages.pofile import read_po

    catalog = read_po(BytesIO(source), locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _keep(path: Path, data: bytes) -> None:
    """Write the file whole or not at all: a reader never sees half a catalogue."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as exc:  # a full disk, a folder made read-only meanwhile
        log.warning("compiled catalogue not kept: %s", exc)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
