"""Atom feeds of the board's current notices, for feed readers and other websites."""

from __future__ import annotations

from federation.database import Row, from_db_time
from noticeboard.config import Config
from noticeboard.i18n import get_translations
from noticeboard.notices.kinds import Kind, get_kind
from noticeboard.notices.objects import summary_line
from noticeboard.urls import BoardUrls


def atom_feed(
    rows: list[Row], config: Config, urls: BoardUrls, *, kind: Kind | None, self_url: str
) -> bytes:
    """Build an Atom 1.0 feed (RFC 4287) of notices, newest first."""
    from feedgen.feed import FeedGenerator  # on first use: feedgen loads lxml

    gettext = get_translations(config.language).gettext
    feed = FeedGenerator()
    feed.id(self_url)
    title = config.name if kind is None else f"{config.name}: {gettext(kind.label)}"
    feed.title(title)
    feed.subtitle(config.summary or config.name)
    feed.author({"name": config.name})
    feed.link(href=urls.home, rel="alternate", type="text/html")
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.language(config.language)
    updated = [from_db_time(r["updated"] or r["published"]) for r in rows]
    if updated:
        feed.updated(max(updated))
    for row in reversed(rows):  # feedgen prepends entries
        entry = feed.add_entry()
        url = urls.notice(row["id"])
        entry.id(url)
        entry.title(row["title"])
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(from_db_time(row["published"]))
        entry.updated(from_db_time(row["updated"] or row["published"]))
        entry.summary(summary_line(row, config))
        entry.content(row["body_html"], type="html")
        entry.category(term=row["kind"], label=gettext(get_kind(row["kind"]).label))
    atom: bytes = feed.atom_str(pretty=False)
    return atom
