"""Plain objects the templates read, built from store rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from markupsafe import Markup

from federation.database import Record, Row, from_db_time
from noticeboard.languages import direction, html_lang, own_name, pick
from noticeboard.network.sharing import author_label
from noticeboard.notices.forms import CONSENT_METHODS
from noticeboard.notices.kinds import BY_ID, Kind
from noticeboard.urls import BoardUrls


@dataclass(frozen=True)
class ImageView:
    url: str
    alt: str
    width: int
    height: int
    srcset: str = ""  # the smaller copies and the picture itself, by width

    # How wide a picture is shown: the page's column (46rem less its padding), or the screen.
    sizes = "(min-width: 46rem) 44rem, 100vw"


@dataclass(frozen=True)
class NoticeView:
    id: int
    url: str
    title: str
    body_html: Markup
    category: str | None
    published: datetime
    updated: datetime | None
    activity_id: str | None
    kind: Kind = BY_ID["announcement"]
    valid_until: datetime | None = None
    done: datetime | None = None
    expired: bool = False
    pinned: bool = False
    lang: str | None = None
    event_start: datetime | None = None
    event_end: datetime | None = None
    place_name: str | None = None
    place_address: str | None = None
    online_url: str | None = None
    images: tuple[ImageView, ...] = ()
    text_lang: str | None = None  # the language of the title and text shown
    text_dir: str = "ltr"
    versions: tuple[tuple[str, str, str], ...] = ()  # (code, name, link) of other languages
    also_in: tuple[tuple[str, str, str], ...] = ()  # the same for lists: translations there are
    delivery_total: int = 0
    delivery_sent: int = 0
    delivery_pending: int = 0
    delivery_failed: int = 0
    origin: str = "staff"
    submitted_by: str | None = None
    on_behalf_of: str | None = None
    consent_method: str | None = None
    consent_given: datetime | None = None
    consent_until: datetime | None = None
    origin_url: str | None = None
    origin_author: str | None = None
    likes: int = 0
    boosts: int = 0
    replies: int = 0

    @property
    def consent_label(self) -> str:
        """How the resident agreed, as a message id ('in person', 'by phone' ...)."""
        method = self.consent_method or ""
        return CONSENT_METHODS.get(method, method)

    @property
    def shared(self) -> bool:
        return self.origin == "shared"


@dataclass(frozen=True)
class ReplyView:
    id: str
    url: str
    author: str
    author_url: str | None
    content_html: Markup
    published: datetime | None
    name: str | None = None  # the title of an Article, Page or Event answering a notice


def _time(value: str | None) -> datetime | None:
    return from_db_time(value) if value else None


def _last_day(value: str | None) -> datetime | None:
    """A stored end instant (the start of the next day) as the last day it includes."""
    end = _time(value)
    return end - timedelta(seconds=1) if end else None


def image_view(image: Row, urls: BoardUrls) -> ImageView:
    """A picture as pages show it, with its smaller copies (if it has them) for `srcset`."""
    copies = image["variants"] if "variants" in image.keys() else None
    srcset = ""
    if copies:
        sized = sorted((int(w), name) for name, w, _ in (c.split(" ") for c in copies.split(",")))
        candidates = [*sized, (image["width"], image["file"])]
        srcset = ", ".join(f"{urls.media(name)} {width}w" for width, name in candidates)
    return ImageView(
        urls.media(image["file"]), image["alt"], image["width"], image["height"], srcset
    )


def notice_view(
    row: Row,
    urls: BoardUrls,
    counts: dict[str, int] | None = None,
    *,
    now: datetime | None = None,
    images: Sequence[Row] = (),
) -> NoticeView:
    counts = counts or {}
    valid_until = _time(row["valid_until"])
    consent_until = _time(row["consent_until"])
    consent_ended = bool(now and consent_until and consent_until <= now)  # rule 31
    return NoticeView(
        id=row["id"],
        url=urls.notice(row["id"]),
        title=row["title"],
        body_html=Markup(row["body_html"]),
        category=row["category"],
        published=from_db_time(row["published"]),
        updated=from_db_time(row["updated"]) if row["updated"] else None,
        activity_id=row["create_activity_id"],
        kind=BY_ID[row["kind"]],
        # Shown as the last valid day: the stored instant is the end of that day.
        valid_until=valid_until - timedelta(seconds=1) if valid_until else None,
        done=_time(row["done"]),
        expired=bool(row["expired"]) or bool(now and valid_until and valid_until <= now),
        pinned=bool(row["pinned"]),
        lang=row["lang"],
        event_start=_time(row["event_start"]),
        event_end=_time(row["event_end"]),
        place_name=row["place_name"],
        place_address=row["place_address"],
        online_url=row["online_url"],
        images=tuple(image_view(i, urls) for i in images),
        delivery_total=sum(counts.values()),
        delivery_sent=counts.get("sent", 0),
        delivery_pending=counts.get("pending", 0),
        delivery_failed=counts.get("failed", 0) + counts.get("dead", 0),
        origin=row["origin"],
        submitted_by=row["submitted_by"],
        on_behalf_of=None if consent_ended else row["on_behalf_of"],
        consent_method=row["consent_method"],
        consent_given=_time(row["consent_given"]),
        consent_until=_last_day(row["consent_until"]),
        origin_url=row["origin_url"],
        origin_author=row["origin_author"],
    )


def with_reactions(
    view: NoticeView, reactions: dict[str, int] | None, replies: int = 0
) -> NoticeView:
    reactions = reactions or {}
    return replace(
        view, likes=reactions.get("Like", 0), boosts=reactions.get("Announce", 0), replies=replies
    )


def with_languages(view: NoticeView, codes: Sequence[str]) -> NoticeView:
    """Name the languages a notice is also written in, with a link to each version."""
    main = view.lang or ""
    others = tuple(
        (html_lang(code), own_name(code), f"{view.url}?text={code}")
        for code in codes
        if code != main
    )
    return replace(view, also_in=others)


def _is_web(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("https://", "http://"))


def reply_view(row: Record) -> ReplyView:
    author_url = row["actor_url"] if _is_web(row["actor_url"]) else row["actor"]
    published = None
    if row["published"]:
        try:
            published = datetime.fromisoformat(row["published"].replace("Z", "+00:00"))
        except ValueError:
            published = None
    return ReplyView(
        id=row["id"],
        url=row["url"] or row["id"],
        author=author_label(row),
        author_url=author_url,
        content_html=Markup(row["content_html"]),
        published=published if published and published.tzinfo else None,
        name=row["name"],
    )


@dataclass(frozen=True)
class FollowRequestView:
    id: int
    actor_id: str
    handle: str | None
    created: datetime


def in_language(
    view: NoticeView,
    main_lang: str,
    translations: Sequence[Row],
    wanted: str | None,
    accept: str | None,
) -> NoticeView:
    """Show the version of a notice in the reader's language, with links to the others."""
    texts = {main_lang: (view.title, view.body_html)}
    for version in translations:
        texts.setdefault(version["lang"], (version["title"], Markup(version["body_html"])))
    chosen = pick(list(texts), wanted, accept)
    title, body = texts[chosen]
    others = tuple(
        (html_lang(code), own_name(code), f"{view.url}?text={code}")
        for code in texts
        if code != chosen
    )
    return replace(
        view,
        title=title,
        body_html=body,
        text_lang=html_lang(chosen),
        text_dir=direction(chosen),
        versions=others,
    )
