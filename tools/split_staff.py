"""Keep in locales/staff.pot only the messages that locales/messages.pot does not have.

A string that staff pages share with public pages or Python code belongs to the domain
"messages", which every interface language translates. Run by `make messages`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def split(messages_pot: Path, staff_pot: Path) -> int:
    """Remove from `staff_pot` every message id `messages_pot` has; return how many are left."""
    with messages_pot.open("rb") as handle:
        shared = {message.id for message in read_po(handle) if message.id}
    with staff_pot.open("rb") as handle:
        staff = read_po(handle)
    for message in list(staff):
        if message.id and message.id in shared:
            del staff[message.id]
    with staff_pot.open("wb") as handle:
        write_po(handle, staff, omit_header=True, no_location=True, sort_output=False)
    return len([m for m in staff if m.id])


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("locales")
    left = split(root / "messages.pot", root / "staff.pot")
    print(f"{left} messages only on staff pages")
