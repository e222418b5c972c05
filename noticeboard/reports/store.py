"""SQL of the report's figures: counts of what happened in periods, and the daily snapshots of
what the board stood at. Every statement counts; none returns a name or an address.

Periods and days travel as one JSON parameter each (`json_each`), so one statement answers any
number of periods, and each count is a range search on an index (see `tests/noticeboard/
test_reports.py`, which checks the query plans).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

import aiosqlite

from federation.database import Database, to_db_time

# What happened between p.s and p.e (UTC, stored form), one column each. Notices deleted since
# are left out; "own" notices are the board's, not shared copies of partners' posts.
OWN = "origin != 'shared' AND deleted IS NULL"
EVENT_COUNTS = {
    "notices": f"SELECT count(*) FROM notices WHERE {OWN} AND published >= p.s AND published < p.e",
    "assisted": "SELECT count(*) FROM notices WHERE origin = 'assisted' AND deleted IS NULL "
    "AND published >= p.s AND published < p.e",
    "events_held": f"SELECT count(*) FROM notices WHERE {OWN} "
    "AND event_start >= p.s AND event_start < p.e",
    "events_shared_by_partners": f"SELECT count(*) FROM notices n WHERE n.{OWN} "
    "AND n.event_start >= p.s AND n.event_start < p.e AND EXISTS (SELECT 1 FROM reactions r "
    "WHERE r.notice_id = n.id AND r.type = 'Announce' AND r.actor IN partners)",
    "events_from_partners": "SELECT count(*) FROM notices WHERE origin = 'shared' "
    "AND deleted IS NULL AND event_start >= p.s AND event_start < p.e",
    "shares_in": "SELECT count(*) FROM notices WHERE origin = 'shared' AND deleted IS NULL "
    "AND published >= p.s AND published < p.e",
    "shares_out": "SELECT count(*) FROM reactions WHERE type = 'Announce' "
    "AND created >= p.s AND created < p.e",
    "partner_posts": "SELECT count(*) FROM remote_posts WHERE received >= p.s AND received < p.e "
    "AND role = 'network' AND deleted IS NULL",
    "replies": "SELECT count(*) FROM remote_posts WHERE received >= p.s AND received < p.e "
    "AND role = 'reply' AND state != 'rejected' AND deleted IS NULL",
    "submissions": "SELECT count(*) FROM submissions WHERE created >= p.s AND created < p.e",
    "poll_votes": "SELECT count(*) FROM poll_votes WHERE created >= p.s AND created < p.e",
}
PERIOD_COUNTS = (
    "WITH p(label, s, e) AS (SELECT key, json_extract(value, '$[0]'), "
    "json_extract(value, '$[1]') FROM json_each(?)), "
    "partners(id) AS (SELECT value FROM json_each(?)) "
    "SELECT p.label, "
    + ", ".join(f"({sql}) AS {name}" for name, sql in EVENT_COUNTS.items())
    + " FROM p"
)
NOTICES_BY_KIND = (
    f"SELECT kind, count(*) AS n FROM notices WHERE {OWN} "
    "AND published >= ? AND published < ? GROUP BY kind"
)
STANDING = (
    "WITH ends(label, day) AS (SELECT key, value FROM json_each(?)), "
    "figs(figure) AS (SELECT value FROM json_each(?)) "
    "SELECT ends.label, figs.figure, (SELECT d.value FROM daily_figures d "
    "WHERE d.figure = figs.figure AND d.day <= ends.day ORDER BY d.day DESC LIMIT 1) AS value "
    "FROM ends, figs"
)
PARTNER_POSTS = (
    "SELECT actor, count(*) AS posts, sum(kind = 'event') AS events FROM remote_posts "
    "WHERE received >= ? AND role = 'network' AND deleted IS NULL GROUP BY actor"
)
PARTNER_SHARES = (
    "SELECT origin_actor AS actor, count(*) AS shared FROM notices WHERE origin = 'shared' "
    "AND deleted IS NULL AND published >= ? GROUP BY origin_actor"
)
REPORT_STATEMENTS = (PERIOD_COUNTS, NOTICES_BY_KIND, STANDING, PARTNER_POSTS, PARTNER_SHARES)

Bounds = tuple[datetime, datetime]


async def count_in_periods(
    db: Database, periods: Mapping[str, Bounds], partners: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Every count of EVENT_COUNTS for each labelled period [start, end)."""
    spans = {label: [to_db_time(s), to_db_time(e)] for label, (s, e) in periods.items()}
    rows = await db.fetchall(PERIOD_COUNTS, (json.dumps(spans), json.dumps(list(partners))))
    return {row["label"]: {name: int(row[name]) for name in EVENT_COUNTS} for row in rows}


async def count_notices_by_kind(db: Database, start: datetime, end: datetime) -> dict[str, int]:
    rows = await db.fetchall(NOTICES_BY_KIND, (to_db_time(start), to_db_time(end)))
    return {row["kind"]: int(row["n"]) for row in rows}


async def standing_on(
    db: Database, days: Mapping[str, str], figures: Sequence[str]
) -> dict[str, dict[str, int | None]]:
    """Each figure's last snapshot on or before each labelled day (None: none taken yet)."""
    rows = await db.fetchall(STANDING, (json.dumps(dict(days)), json.dumps(list(figures))))
    found: dict[str, dict[str, int | None]] = {label: {} for label in days}
    for row in rows:
        found[row["label"]][row["figure"]] = None if row["value"] is None else int(row["value"])
    return found


async def partner_posts_since(db: Database, since: datetime) -> dict[str, tuple[int, int]]:
    """Posts (and events among them) received from each account since a moment."""
    rows = await db.fetchall(PARTNER_POSTS, (to_db_time(since),))
    return {row["actor"]: (int(row["posts"]), int(row["events"] or 0)) for row in rows}


async def partner_shares_since(db: Database, since: datetime) -> dict[str, int]:
    """How many posts of each account the board shared since a moment."""
    rows = await db.fetchall(PARTNER_SHARES, (to_db_time(since),))
    return {row["actor"]: int(row["shared"]) for row in rows if row["actor"]}


async def count_confirmed_subscribers(db: Database) -> int:
    row = await db.fetchone(
        "SELECT count(*) AS n FROM mail_subscribers WHERE confirmed IS NOT NULL"
    )
    return int(row["n"]) if row else 0


# --- daily snapshots ----------------------------------------------------------------------------


async def has_snapshot(db: Database, figure: str, day: str) -> bool:
    row = await db.fetchone(
        "SELECT 1 AS found FROM daily_figures WHERE figure = ? AND day = ?", (figure, day)
    )
    return row is not None


async def insert_snapshot(conn: aiosqlite.Connection, day: str, figures: Mapping[str, int]) -> None:
    """Keep a day's figures; a figure already kept for that day stays as it was."""
    await conn.executemany(
        "INSERT OR IGNORE INTO daily_figures (figure, day, value) VALUES (?, ?, ?)",
        [(figure, day, value) for figure, value in figures.items()],
    )
