"""The figures: the impact report for a period, and the network's figures month by month.

Counts only, never names or addresses, except the staff's network page, which names the partner
boards and groups themselves (public accounts, not residents). Periods are whole days in the
board's time zone; standing figures (followers, subscribers, ...) come from the daily snapshots
(`service.take_daily_snapshot`), and for a period that has not ended from the live count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from federation import store as fedstore
from federation.database import Row
from noticeboard.i18n import N_
from noticeboard.notices.kinds import KINDS
from noticeboard.reports import groups, store
from noticeboard.reports.forms import Period, month_period
from noticeboard.state import BoardState

STANDING = ("followers", "servers", "subscribers", "partners", "group_members")
MONTHS = 12

# Every figure the report has, in its order, with what the page and the PDF call it.
LABELS: dict[str, dict[str, str]] = {
    "notices": {"total": N_("Notices published")} | {k.id: k.label for k in KINDS},
    "events": {
        "held": N_("Events held"),
        "shared_by_partners": N_("of them shared by partner boards"),
        "from_partners": N_("Partner events shown on the board"),
    },
    "reach": {
        "followers": N_("Followers in the fediverse"),
        "followers_at_start": N_("Followers at the start of the period"),
        "servers": N_("Servers they are on"),
        "subscribers": N_("E-mail subscribers"),
        "subscribers_at_start": N_("E-mail subscribers at the start of the period"),
        "group_members": N_("Members of local groups"),
    },
    "participation": {
        "replies": N_("Replies"),
        "submissions": N_("Notices submitted by residents"),
        "assisted": N_("Notices posted on a resident's behalf"),
        "poll_votes": N_("Poll votes"),
        "group_posts": N_("Posts in local groups"),
        "new_groups": N_("New local groups"),
    },
    "network": {
        "partners": N_("Partner boards followed"),
        "shares_in": N_("Partner notices shared by the board"),
        "shares_out": N_("Shares of the board's notices"),
        "partner_posts": N_("Posts received from partners"),
    },
}
SECTIONS = {
    "notices": N_("Notices"),
    "events": N_("Events"),
    "reach": N_("Reach"),
    "participation": N_("Participation"),
    "network": N_("Network"),
}

Figures = dict[str, dict[str, int | None]]


@dataclass(frozen=True)
class Report:
    """The impact report of one period: only counts."""

    period: Period
    timezone: str
    figures: Figures

    def as_json(self) -> dict[str, object]:
        return {"period": {**self.period.as_dict(), "timezone": self.timezone}, **self.figures}

    def rows(self) -> list[tuple[str, str, int | None]]:
        """(section, figure, value) in the report's order: the CSV and the tables."""
        return [
            (section, name, value)
            for section, values in self.figures.items()
            for name, value in values.items()
        ]


def local_today(state: BoardState) -> date:
    return state.clock().astimezone(ZoneInfo(state.config.timezone)).date()


async def partner_rows(state: BoardState) -> list[Row]:
    """The accounts the board follows and that accepted: its partner boards."""
    rows = await fedstore.list_following(state.db, state.urls.actor)
    return [row for row in rows if row["state"] == "accepted"]


async def partner_ids(state: BoardState) -> list[str]:
    return [row["actor_id"] for row in await partner_rows(state)]


async def current_figures(state: BoardState) -> dict[str, int]:
    """What the board stands at now: each of STANDING."""
    followers, servers = await fedstore.count_followers_and_servers(state.db, state.urls.actor)
    return {
        "followers": followers,
        "servers": servers,
        "subscribers": await store.count_confirmed_subscribers(state.db),
        "partners": len(await partner_ids(state)),
        "group_members": await groups.count_group_members(state),
    }


async def standing(state: BoardState, days: dict[str, date]) -> Figures:
    """Each standing figure at the end of each labelled day: the snapshot kept for it (or the
    last before it), or for today and later the count now."""
    today = local_today(state)
    kept = await store.standing_on(
        state.db, {label: day.isoformat() for label, day in days.items()}, STANDING
    )
    live: dict[str, int | None] | None = None
    for label, day in days.items():
        if day >= today:
            live = live if live is not None else dict(await current_figures(state))
            kept[label] = dict(live)
    return kept


async def impact_report(state: BoardState, period: Period) -> Report:
    """Everything the report says about one period."""
    tz = state.config.timezone
    start, end = period.bounds(tz)
    partners = await partner_ids(state)
    counts = (await store.count_in_periods(state.db, {"p": (start, end)}, partners))["p"]
    by_kind = await store.count_notices_by_kind(state.db, start, end)
    ends = await standing(state, {"end": period.last, "start": period.first - timedelta(days=1)})
    at_end, at_start = ends["end"], ends["start"]
    mail = state.config.mail is not None or bool(at_end.get("subscribers"))
    reach: dict[str, int | None] = {
        "followers": at_end["followers"],
        "followers_at_start": at_start["followers"],
        "servers": at_end["servers"],
    }
    if mail:
        reach["subscribers"] = at_end["subscribers"]
        reach["subscribers_at_start"] = at_start["subscribers"]
    reach["group_members"] = at_end["group_members"]
    notices: dict[str, int | None] = {"total": counts["notices"]}
    notices.update({k.id: by_kind.get(k.id, 0) for k in KINDS})
    figures: Figures = {
        "notices": notices,
        "events": {
            "held": counts["events_held"],
            "shared_by_partners": counts["events_shared_by_partners"],
            "from_partners": counts["events_from_partners"],
        },
        "reach": reach,
        "participation": {
            "replies": counts["replies"],
            "submissions": counts["submissions"],
            "assisted": counts["assisted"],
            "poll_votes": counts["poll_votes"],
            "group_posts": await groups.count_group_posts(state, start, end),
            "new_groups": await groups.count_new_groups(state, start, end),
        },
        "network": {
            "partners": at_end["partners"],
            "shares_in": counts["shares_in"],
            "shares_out": counts["shares_out"],
            "partner_posts": counts["partner_posts"],
        },
    }
    return Report(period, tz, figures)


# --- the network page --------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    """One month on the network page: standing figures at its end, counts of what happened."""

    month: str  # YYYY-MM
    followers: int | None
    servers: int | None
    subscribers: int | None
    group_members: int | None
    partners: int | None
    notices: int
    events_held: int
    shares_in: int
    shares_out: int
    partner_posts: int
    group_posts: int


@dataclass(frozen=True)
class PartnerFigures:
    """A partner board on the staff's network page, over the months shown."""

    actor_id: str
    name: str
    handle: str | None
    posts: int
    events: int
    shared: int
    months: int

    @property
    def per_month(self) -> float:
        return round(self.posts / self.months, 1) if self.months else 0.0


@dataclass(frozen=True)
class NetworkFigures:
    months: list[MonthFigures]
    partners: list[PartnerFigures]
    groups: list[groups.GroupFigures] = field(default_factory=list)

    def highest(self, name: str) -> int:
        """The largest value of a monthly figure (the scale of its chart), at least 1."""
        return max([getattr(m, name) or 0 for m in self.months] + [1])


def last_months(today: date, count: int = MONTHS) -> list[Period]:
    """The `count` calendar months up to and including today's, oldest first."""
    found = []
    year, month = today.year, today.month
    for _ in range(count):
        found.append(month_period(year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(found))


async def network_figures(state: BoardState, months: int = MONTHS) -> NetworkFigures:
    """Partner boards and groups together: the board's figures month by month, and each
    partner's and group's posts, events and shared notices over the same months."""
    tz = state.config.timezone
    periods = last_months(local_today(state), months)
    labels = {p.first.strftime("%Y-%m"): p for p in periods}
    partners = await partner_rows(state)
    counts = await store.count_in_periods(
        state.db,
        {label: p.bounds(tz) for label, p in labels.items()},
        [row["actor_id"] for row in partners],
    )
    ends = await standing(state, {label: p.last for label, p in labels.items()})
    rows = []
    for label, p in labels.items():
        start, end = p.bounds(tz)
        c, s = counts[label], ends[label]
        rows.append(
            MonthFigures(
                month=label,
                followers=s["followers"],
                servers=s["servers"],
                subscribers=s["subscribers"],
                group_members=s["group_members"],
                partners=s["partners"],
                notices=c["notices"],
                events_held=c["events_held"],
                shares_in=c["shares_in"],
                shares_out=c["shares_out"],
                partner_posts=c["partner_posts"],
                group_posts=await groups.count_group_posts(state, start, end),
            )
        )
    since = periods[0].bounds(tz)[0]
    return NetworkFigures(
        months=rows,
        partners=await _partner_figures(state, partners, since, len(periods)),
        groups=await groups.group_figures(state, since),
    )


async def _partner_figures(
    state: BoardState, partners: list[Row], since: datetime, months: int
) -> list[PartnerFigures]:
    posts = await store.partner_posts_since(state.db, since)
    shared = await store.partner_shares_since(state.db, since)
    found = []
    for row in partners:
        actor_id = row["actor_id"]
        user = row["preferred_username"]
        handle = f"@{user}@{row['host']}" if user else None
        count, events = posts.get(actor_id, (0, 0))
        found.append(
            PartnerFigures(
                actor_id=actor_id,
                name=row["name"] or handle or actor_id,
                handle=handle,
                posts=count,
                events=events,
                shared=shared.get(actor_id, 0),
                months=months,
            )
        )
    return sorted(found, key=lambda p: (-p.posts, p.name.casefold()))
