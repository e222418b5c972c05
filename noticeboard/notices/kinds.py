"""The kinds of notice a neighbourhood needs, with their labels, symbols and hashtags."""

from __future__ import annotations

from dataclasses import dataclass

from noticeboard.i18n import N_


@dataclass(frozen=True)
class Kind:
    id: str
    label: str  # message id; German and other languages come from the catalogues
    symbol: str  # a pictogram that works without colour, always next to the label
    hashtag: str  # default hashtag, configurable per board
    done_label: str | None = None  # what "done" means for this kind; None: it cannot be done


KINDS: tuple[Kind, ...] = (
    Kind("announcement", N_("Announcement"), "📢", "Aushang"),
    Kind("event", N_("Event"), "📅", "Termin"),
    Kind("offer-help", N_("Offering help"), "🤝", "HilfeAngebot", N_("Help arranged")),
    Kind("need-help", N_("Looking for help"), "🙋", "HilfeGesucht", N_("Help found")),
    Kind("give-lend", N_("To give away or lend"), "🎁", "ZuVerschenken", N_("Given away")),
    Kind("looking-for", N_("Looking for something"), "🔎", "Gesucht", N_("Found")),
    Kind("lost-found", N_("Lost and found"), "🧤", "Fundsache", N_("Returned to the owner")),
    Kind("meetup", N_("Group or meet-up"), "👥", "Treffen"),
    Kind("poll", N_("Poll"), "🗳", "Umfrage"),
)
BY_ID = {kind.id: kind for kind in KINDS}
DEFAULT_KIND = "announcement"


def get_kind(kind_id: str) -> Kind:
    """Return a kind by its identifier (as used in URLs, feeds and the command line)."""
    return BY_ID[kind_id]


def is_kind(value: str) -> bool:
    return value in BY_ID
