"""Plain objects the templates read, built from store rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from federation.database import Row, from_db_time
from noticeboard.urls import BoardUrls


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
    delivery_total: int = 0
    delivery_sent: int = 0
    delivery_pending: int = 0
    delivery_failed: int = 0


def notice_view(row: Row, urls: BoardUrls, counts: dict[str, int] | None = None) -> NoticeView:
    counts = counts or {}
    return NoticeView(
        id=row["id"],
        url=urls.notice(row["id"]),
        title=row["title"],
        body_html=Markup(row["body_html"]),
        category=row["category"],
        published=from_db_time(row["published"]),
        updated=from_db_time(row["updated"]) if row["updated"] else None,
        activity_id=row["create_activity_id"],
        delivery_total=sum(counts.values()),
        delivery_sent=counts.get("sent", 0),
        delivery_pending=counts.get("pending", 0),
        delivery_failed=counts.get("failed", 0) + counts.get("dead", 0),
    )


@dataclass(frozen=True)
class FollowRequestView:
    id: int
    actor_id: str
    handle: str | None
    created: datetime
