"""The impact report and the network's figures, checked against a board seeded with known
activity: exact counts for a month and a year, the month's edges in the board's time zone,
the command line's JSON and CSV, the staff page and its PDF, the daily snapshot, and that no
name or address of a resident ever appears."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from noticeboard.reports import queries, service, store, web
from noticeboard.reports.forms import Period, read_period
from tests.noticeboard.boards import MutableClock, RunningBoard
from tests.support.pdf import page_count, pdf_text

PARTNER = "https://suedstadt.example/users/suedstadt"
STRANGER = "https://social.example/users/someone"
JANUARY = "2026-01-01T00:00:00.000000Z"
SNAPSHOT_DAYS = ("2025-12-31", "2026-10-31", "2026-11-29", "2026-12-20")
AFTER = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)  # both periods are over
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
# What residents wrote or are called: none of it may show up in any report.
PRIVATE = (
    "Erika Mustermann",
    "Hans Beispiel",
    "hans@example.org",
    "Lindenweg 7",
    "Geheimer Titel",
    "Nordstraße 99",
)


def t(text: str) -> str:
    """A stored time from an ISO UTC text ('2026-11-30T22:30')."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def execute(board: RunningBoard, sql: str, *rows: tuple[Any, ...]) -> None:
    with closing(sqlite3.connect(board.config.db_path, timeout=5)) as conn, conn:
        conn.executemany(sql, rows)


def notice(
    board: RunningBoard,
    published: str,
    *,
    kind: str = "announcement",
    origin: str = "staff",
    event_start: str | None = None,
    deleted: str | None = None,
    **columns: str,
) -> int:
    values = {
        "title": columns.pop("title", "Aushang"),
        "body_md": "Text",
        "body_html": "<p>Text</p>",
        "published": t(published),
        "kind": kind,
        "origin": origin,
        "event_start": t(event_start) if event_start else None,
        "deleted": t(deleted) if deleted else None,
        **columns,
    }
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    execute(board, f"INSERT INTO notices ({names}) VALUES ({marks})", tuple(values.values()))
    return int(board.value("SELECT max(id) FROM notices"))


def seed(board: RunningBoard) -> dict[str, int]:
    """Known activity around November 2026 (Europe/Berlin: UTC+1 in November and December)."""
    actor = board.actor_id
    execute(
        board,
        "INSERT INTO remote_actors (id, host, type, preferred_username, name, url, inbox, "
        "document, fetched_at) VALUES (?, ?, 'Person', ?, ?, ?, ?, '{}', ?)",
        (PARTNER, "suedstadt.example", "suedstadt", "Quartiersbüro Südstadt", PARTNER,
         PARTNER + "/inbox", JANUARY),
        *[(f"https://f{i}.example/users/u", f"f{i % 2}.example", "u", "Erika Mustermann",
           None, f"https://f{i}.example/inbox", JANUARY) for i in range(3)],
    )  # fmt: skip
    execute(
        board,
        "INSERT INTO following (local_actor, actor_id, follow_id, state, created, updated) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (actor, PARTNER, "https://x/follow/1", "accepted", JANUARY, JANUARY),
        (actor, STRANGER, "https://x/follow/2", "pending", JANUARY, JANUARY),
    )  # fmt: skip
    execute(
        board,
        "INSERT INTO followers (local_actor, actor_id, follow_id, inbox, state, created) "
        "VALUES (?, ?, ?, ?, 'accepted', ?)",
        *[(actor, f"https://f{i}.example/users/u", f"https://f{i}.example/follow",
           f"https://f{i}.example/inbox", JANUARY) for i in range(3)],
    )  # fmt: skip
    ids = {
        # November in Berlin: 1 Nov 00:30 local is still 31 Oct in UTC.
        "first_minute": notice(board, "2026-10-31T23:30", kind="offer-help"),
        "plain": notice(board, "2026-11-03T10:00"),
        # 1 Dec 00:30 local: December, although 30 Nov in UTC.
        "next_month": notice(board, "2026-11-30T23:30"),
        "event_last_day": notice(
            board,
            "2026-11-05T10:00",
            kind="event",
            event_start="2026-11-30T22:30",
            place_address="Lindenweg 7",
        ),  # fmt: skip
        "event_december": notice(
            board, "2026-11-06T10:00", kind="event", event_start="2026-11-30T23:30"
        ),
        "assisted": notice(
            board,
            "2026-11-10T10:00",
            kind="need-help",
            origin="assisted",
            on_behalf_of="Erika Mustermann",
            title="Geheimer Titel",
        ),  # fmt: skip
        "deleted": notice(board, "2026-11-12T10:00", deleted="2026-11-13T10:00"),
        "submitted": notice(
            board,
            "2026-11-15T10:00",
            kind="poll",
            origin="submission",
            submitted_by="Hans Beispiel",
        ),  # fmt: skip
        "shared_event": notice(
            board,
            "2026-11-20T10:00",
            kind="event",
            origin="shared",
            event_start="2026-11-25T17:00",
            origin_actor=PARTNER,
            origin_id="https://suedstadt.example/notes/1",
        ),  # fmt: skip
        "shared_old": notice(
            board,
            "2026-09-01T10:00",
            origin="shared",
            origin_actor=PARTNER,
            origin_id="https://suedstadt.example/notes/0",
        ),  # fmt: skip
        "last_year": notice(board, "2025-12-31T22:30"),  # 31 Dec 23:30 local: 2025
        "new_year": notice(board, "2025-12-31T23:30"),  # 1 Jan 00:30 local: 2026
    }
    plain = ids["plain"]
    execute(
        board,
        "INSERT INTO reactions (activity_id, notice_id, actor, type, created) "
        "VALUES (?, ?, ?, ?, ?)",
        ("https://r/1", ids["event_last_day"], PARTNER, "Announce", t("2026-11-07T10:00")),
        ("https://r/2", ids["event_december"], STRANGER, "Announce", t("2026-11-08T10:00")),
        ("https://r/3", ids["plain"], STRANGER, "Like", t("2026-11-08T10:00")),
        ("https://r/4", ids["plain"], PARTNER, "Announce", t("2026-03-08T10:00")),
    )
    execute(
        board,
        "INSERT INTO remote_posts (id, actor, type, content_html, received, role, state, deleted, "
        "notice_id, kind) VALUES (?, ?, 'Note', 'x', ?, ?, ?, ?, ?, ?)",
        ("https://p/1", STRANGER, t("2026-11-02T10:00"), "reply", "shown", None, plain, None),
        ("https://p/2", STRANGER, t("2026-11-03T10:00"), "reply", "held", None, plain, None),
        ("https://p/3", STRANGER, t("2026-11-04T10:00"), "reply", "rejected", None, plain, None),
        ("https://p/4", STRANGER, t("2026-11-04T11:00"), "reply", "shown", t("2026-11-05T10:00"),
         plain, None),
        ("https://p/5", STRANGER, t("2026-06-04T11:00"), "reply", "shown", None, plain, None),
        ("https://p/6", PARTNER, t("2026-11-10T10:00"), "network", "shown", None, None, "event"),
        ("https://p/7", PARTNER, t("2026-10-01T10:00"), "network", "shown", None, None, "meetup"),
    )  # fmt: skip
    execute(
        board,
        "INSERT INTO submissions (kind, title, body_md, author_name, contact, created) "
        "VALUES ('announcement', 'Geheimer Titel', 'Text', ?, ?, ?)",
        ("Hans Beispiel", "hans@example.org", t("2026-11-01T08:00")),
        ("", "", t("2026-11-20T08:00")),
        ("", "", t("2026-11-30T22:59")),
        ("", "", t("2026-10-30T08:00")),
    )
    execute(
        board,
        "INSERT INTO poll_votes (notice_id, position, voter, created) VALUES (?, ?, ?, ?)",
        *[(ids["submitted"], i % 2, f"web:{i}", t(f"2026-11-{16 + i}T10:00")) for i in range(4)],
        (ids["submitted"], 0, STRANGER, t("2026-11-30T23:30")),  # 1 Dec local
    )
    execute(
        board,
        "INSERT INTO daily_figures (figure, day, value) VALUES (?, ?, ?)",
        *[(f, "2025-12-31", v) for f, v in (("followers", 1), ("servers", 1), ("partners", 0))],
        *[(f, "2026-10-31", v) for f, v in (("followers", 5), ("servers", 2), ("partners", 1))],
        *[(f, "2026-11-29", v) for f, v in (("followers", 8), ("servers", 3), ("partners", 1))],
        *[(f, "2026-12-20", v) for f, v in (("followers", 9), ("servers", 3), ("partners", 1))],
        *[(f, d, 0) for f in ("subscribers", "group_members") for d in SNAPSHOT_DAYS],
    )  # fmt: skip
    return ids


def report(board: RunningBoard, period: Period) -> queries.Report:
    return board.run_on_board(lambda state: queries.impact_report(state, period))  # type: ignore[no-any-return]


NOVEMBER_FIGURES = {
    "notices": {
        "total": 6,
        "announcement": 1,
        "event": 2,
        "offer-help": 1,
        "need-help": 1,
        "give-lend": 0,
        "looking-for": 0,
        "lost-found": 0,
        "meetup": 0,
        "poll": 1,
    },
    "events": {"held": 1, "shared_by_partners": 1, "from_partners": 1},
    "reach": {"followers": 8, "followers_at_start": 5, "servers": 3, "group_members": 0},
    "participation": {
        "replies": 2,
        "submissions": 3,
        "assisted": 1,
        "poll_votes": 4,
        "group_posts": 0,
        "new_groups": 0,
    },
    "network": {"partners": 1, "shares_in": 1, "shares_out": 2, "partner_posts": 1},
}


def test_report__a_month_counts_exactly_what_happened_in_it(
    board: RunningBoard, clock: MutableClock
) -> None:
    seed(board)
    clock.set(AFTER)

    found = report(board, NOVEMBER)

    assert found.figures == NOVEMBER_FIGURES


def test_report__the_months_edges_are_the_boards_midnights(
    board: RunningBoard, clock: MutableClock
) -> None:
    """An event at 23:30 on 30 November in Berlin (22:30 UTC) is November's; one at 00:30 on
    1 December (23:30 UTC on 30 November) is December's; the same for notices and votes."""
    seed(board)
    clock.set(AFTER)

    december = report(board, Period(date(2026, 12, 1), date(2026, 12, 31))).figures
    last_day = report(board, Period(date(2026, 11, 30), date(2026, 11, 30))).figures

    assert december["events"]["held"] == 1
    assert december["notices"]["total"] == 1
    assert december["participation"]["poll_votes"] == 1
    assert last_day["events"]["held"] == 1
    assert last_day["participation"]["submissions"] == 1  # 23:59 local on the 30th
    assert last_day["notices"]["total"] == 0


def test_report__a_year(board: RunningBoard, clock: MutableClock) -> None:
    seed(board)
    clock.set(AFTER)

    found = report(board, YEAR).figures

    assert found["notices"]["total"] == 8  # November's 6, December's 1, 1 Jan 00:30 local
    assert found["events"] == {"held": 2, "shared_by_partners": 1, "from_partners": 1}
    assert found["reach"] == {
        "followers": 9,
        "followers_at_start": 1,
        "servers": 3,
        "group_members": 0,
    }
    assert found["participation"]["replies"] == 3
    assert found["participation"]["submissions"] == 4
    assert found["participation"]["poll_votes"] == 5
    assert found["network"] == {"partners": 1, "shares_in": 2, "shares_out": 3, "partner_posts": 2}


def test_report__a_period_not_over_yet_counts_followers_now(
    board: RunningBoard, clock: MutableClock
) -> None:
    seed(board)
    clock.set(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))

    found = report(board, NOVEMBER).figures

    assert found["reach"]["followers"] == 3  # the three accepted followers, live
    assert found["reach"]["servers"] == 2
    assert found["reach"]["followers_at_start"] == 5


def test_report__before_any_snapshot_says_not_recorded(
    board: RunningBoard, clock: MutableClock
) -> None:
    clock.set(AFTER)

    found = report(board, Period(date(2024, 1, 1), date(2024, 12, 31))).figures

    assert found["reach"]["followers"] is None
    assert found["notices"]["total"] == 0


# --- periods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "first", "last"),
    [
        ({"month": "2026-02"}, "2026-02-01", "2026-02-28"),
        ({"month": "2026-12"}, "2026-12-01", "2026-12-31"),
        ({"quarter": "2026-Q4"}, "2026-10-01", "2026-12-31"),
        ({"quarter": "2027-q1"}, "2027-01-01", "2027-03-31"),
        ({"year": "2026"}, "2026-01-01", "2026-12-31"),
        ({"first": "2026-11-03", "last": "2026-11-03"}, "2026-11-03", "2026-11-03"),
    ],
)
def test_period__named_ways(values: dict[str, str], first: str, last: str) -> None:
    result = read_period(**values)
    assert result.ok
    assert result.value.as_dict() == {"from": first, "to": last}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"month": "2026-13"},
        {"month": "2026-11", "year": "2026"},
        {"quarter": "2026-Q5"},
        {"year": "26"},
        {"year": "0001"},
        {"first": "2026-11-30", "last": "2026-11-01"},
        {"first": "2026-02-30", "last": "2026-03-01"},
        {"first": "2026-11-01"},
        {"first": "2000-01-01", "last": "2020-01-01"},
    ],
)
def test_period__refuses_what_is_not_one_period(values: dict[str, str]) -> None:
    assert not read_period(**values).ok


def test_period__bounds_are_local_midnights() -> None:
    start, end = NOVEMBER.bounds("Europe/Berlin")
    assert start == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    summer = Period(date(2026, 7, 1), date(2026, 7, 31)).bounds("Europe/Berlin")
    assert summer[0] == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


# --- the command line -------------------------------------------------------------------------


def test_cli__json_of_a_month(board: RunningBoard) -> None:
    seed(board)

    result = board.cli("report-figures", "--month", "2026-11", "--json")

    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["period"] == {
        "from": "2026-11-01",
        "to": "2026-11-30",
        "timezone": "Europe/Berlin",
    }
    assert {k: v for k, v in found.items() if k != "period"} == NOVEMBER_FIGURES


def test_cli__csv_of_the_same_days(board: RunningBoard) -> None:
    seed(board)

    result = board.cli("report-figures", "--from", "2026-11-01", "--to", "2026-11-30", "--csv")

    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["section", "figure", "value"]
    assert rows[1:4] == [
        ["period", "from", "2026-11-01"],
        ["period", "to", "2026-11-30"],
        ["period", "timezone", "Europe/Berlin"],
    ]
    expected = [
        [section, name, str(value)]
        for section, values in NOVEMBER_FIGURES.items()
        for name, value in values.items()
    ]
    assert rows[4:] == expected


def test_cli__quarter_and_year_and_plain_text(board: RunningBoard) -> None:
    seed(board)

    quarter = json.loads(board.cli("report-figures", "--quarter", "2026-Q4", "--json").stdout)
    text = board.cli("report-figures", "--year", "2025")

    assert quarter["period"]["from"] == "2026-10-01"
    assert quarter["notices"]["total"] == 7
    assert text.returncode == 0
    assert "notices\ttotal\t1" in text.stdout.splitlines()


@pytest.mark.parametrize(
    "args",
    [
        ("--month", "November"),
        ("--month", "2026-11", "--year", "2026"),
        ("--from", "2026-11-30", "--to", "2026-11-01"),
        (),
    ],
)
def test_cli__refuses_a_bad_period_with_a_reason(
    board: RunningBoard, args: tuple[str, ...]
) -> None:
    result = board.cli("report-figures", *args)
    assert result.returncode == 2
    assert result.stderr.startswith("aushang report-figures: ")
    assert "Please" in result.stderr or "first day" in result.stderr


# --- the staff page and its PDF -------------------------------------------------------------------


def test_page__shows_the_figures_to_staff(board: RunningBoard, clock: MutableClock) -> None:
    seed(board)
    clock.set(AFTER)
    client = board.login()

    page = client.get("/staff/report?month=2026-11")

    assert page.status_code == 200
    assert "Wirkungsbericht" in page.text
    assert "Veranstaltungen" in page.text
    assert '<td class="report__number">8</td>' in page.text  # followers at the end
    assert 'href="/staff/report.pdf?from=2026-11-01&amp;to=2026-11-30"' in page.text


def test_page__default_is_last_month_and_bad_input_is_400(
    board: RunningBoard, clock: MutableClock
) -> None:
    clock.set(AFTER)
    client = board.login()

    default = client.get("/staff/report")
    bad = client.get("/staff/report?quarter=2026-Q9")

    assert default.status_code == 200
    assert 'value="2026-12-01"' in default.text and 'value="2026-12-31"' in default.text
    assert bad.status_code == 400
    assert "2026-Q4" in bad.text  # the reason says how to write it


def test_page__refused_for_anyone_not_signed_in(board: RunningBoard) -> None:
    for path in ("/staff/report?month=2026-11", "/staff/report.pdf?month=2026-11"):
        response = board.new_client().get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


def test_page__roles_that_may_see_it() -> None:
    assert web.report_page.required_roles == ("owner", "editor", "moderator")  # type: ignore[attr-defined]
    assert web.report_pdf.required_roles == ("owner", "editor", "moderator")  # type: ignore[attr-defined]


def test_pdf__one_page_with_the_figures(board: RunningBoard, clock: MutableClock) -> None:
    seed(board)
    clock.set(AFTER)
    client = board.login()

    response = client.get("/staff/report.pdf?month=2026-11")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert page_count(response.content) == 1
    text = pdf_text(response.content)
    assert "Wirkungsbericht" in text
    assert "Quartiersbüro Nordstadt" in text


def test_report__never_names_or_addresses(board: RunningBoard, clock: MutableClock) -> None:
    seed(board)
    clock.set(AFTER)
    client = board.login()

    page = client.get("/staff/report?month=2026-11").text
    pdf = pdf_text(client.get("/staff/report.pdf?month=2026-11").content)
    as_json = board.cli("report-figures", "--month", "2026-11", "--json").stdout
    as_csv = board.cli("report-figures", "--month", "2026-11", "--csv").stdout

    for output in (page, pdf, as_json, as_csv):
        for private in PRIVATE:
            assert private not in output
        assert "example.org" not in output and "f1.example" not in output


# --- the network page -----------------------------------------------------------------------------


def test_network_page__partners_and_months_in_figures(
    board: RunningBoard, clock: MutableClock
) -> None:
    seed(board)
    clock.set(datetime(2026, 12, 10, 12, 0, tzinfo=UTC))

    figures = board.run_on_board(queries.network_figures)
    page = board.login().get("/staff/network")

    months = {m.month: m for m in figures.months}
    assert list(months)[0] == "2026-01" and list(months)[-1] == "2026-12"
    assert months["2026-11"].notices == 6
    assert months["2026-11"].events_held == 1
    assert months["2026-11"].followers == 8
    assert months["2026-10"].followers == 5
    assert months["2026-12"].followers == 3  # this month: now
    assert months["2026-12"].events_held == 1
    assert [(p.name, p.posts, p.events, p.shared) for p in figures.partners] == [
        ("Quartiersbüro Südstadt", 2, 1, 2)
    ]
    assert figures.groups == []
    assert page.status_code == 200
    assert "Partnerboards und Gruppen in Zahlen" in page.text
    assert '<svg class="chart" aria-hidden="true"' in page.text
    assert "Quartiersbüro Südstadt" in page.text


# --- the daily snapshot -------------------------------------------------------------------------


def test_snapshot__once_a_day_for_the_day_that_ended(
    board: RunningBoard, clock: MutableClock
) -> None:
    seed(board)
    clock.set(datetime(2026, 12, 1, 23, 30, tzinfo=UTC))  # 2 Dec 00:30 in Berlin

    board.drain()
    execute(
        board,
        "UPDATE followers SET state = 'pending' WHERE actor_id = ?",
        ("https://f0.example/users/u",),
    )
    board.drain()
    again = board.run_on_board(service.take_daily_snapshot)
    clock.advance(timedelta(days=1))
    board.drain()

    rows = board.rows(
        "SELECT figure, day, value FROM daily_figures WHERE day IN ('2026-12-01', '2026-12-02')"
    )
    assert again is False
    assert sorted((r["day"], r["figure"], r["value"]) for r in rows) == [
        ("2026-12-01", "followers", 3),
        ("2026-12-01", "group_members", 0),
        ("2026-12-01", "partners", 1),
        ("2026-12-01", "servers", 2),
        ("2026-12-01", "subscribers", 0),
        ("2026-12-02", "followers", 2),
        ("2026-12-02", "group_members", 0),
        ("2026-12-02", "partners", 1),
        ("2026-12-02", "servers", 2),
        ("2026-12-02", "subscribers", 0),
    ]


# --- query plans ----------------------------------------------------------------------------------


def test_queries__every_count_searches_an_index(board: RunningBoard) -> None:
    """No report statement reads a whole table of activity (notices, posts, votes, ...)."""
    with closing(sqlite3.connect(board.config.db_path)) as conn:
        for sql in store.REPORT_STATEMENTS:
            params = [json.dumps({"p": ["a", "b"]}) if "json_each" in sql else "a"] * sql.count("?")
            plan = " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            for table in ("notices", "reactions", "remote_posts", "submissions", "poll_votes"):
                assert f"SCAN {table}" not in plan, (sql, plan)
                assert "SCAN n " not in plan and "SCAN r " not in plan, (sql, plan)


MAIL = {
    "AUSHANG_MAIL_HOST": "127.0.0.1",
    "AUSHANG_MAIL_PORT": "2525",
    "AUSHANG_MAIL_SECURITY": "none",
    "AUSHANG_MAIL_FROM": "aushang@nordstadt.example",
}


def test_report__e_mail_subscribers_where_the_board_sends_mail(
    make_board: Any, clock: MutableClock
) -> None:
    board = make_board(**MAIL)
    execute(
        board,
        "INSERT INTO mail_subscribers (email, frequency, language, token, created, confirmed) "
        "VALUES (?, 'weekly', 'de', ?, ?, ?)",
        ("erika@example.org", "t1", JANUARY, JANUARY),
        ("hans@example.org", "t2", JANUARY, None),  # not confirmed: not counted
    )
    execute(
        board,
        "INSERT INTO daily_figures (figure, day, value) VALUES (?, ?, ?)",
        ("subscribers", "2026-10-31", 4),
        ("subscribers", "2026-11-30", 6),
    )
    clock.set(AFTER)

    over = report(board, NOVEMBER).figures["reach"]
    clock.set(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    running = report(board, NOVEMBER).figures["reach"]
    page = board.login().get("/staff/report?month=2026-11").text

    assert (over["subscribers"], over["subscribers_at_start"]) == (6, 4)
    assert (running["subscribers"], running["subscribers_at_start"]) == (1, 4)
    assert "E-Mail-Abonnentinnen und -Abonnenten" in page
    assert "example.org" not in page


def test_report__counts_the_groups_posts_and_new_groups_of_the_period(
    board: RunningBoard, clock: MutableClock
) -> None:
    """Groups enter the figures through reports/groups.py: posts shown in a group and groups
    founded in the period count; held or removed posts and other months do not."""
    seed(board)
    founded = [("garten", "2026-11-10T09:00"), ("chor", "2026-10-10T09:00")]
    execute(
        board,
        "INSERT INTO groups (handle, actor_id, name, created, updated) VALUES (?, ?, ?, ?, ?)",
        *[(h, board.url(f"/groups/{h}"), h.title(), t(day), t(day)) for h, day in founded],
    )
    garten = int(board.value("SELECT id FROM groups WHERE handle = 'garten'"))
    posts = [
        ("shown", "2026-11-11T10:00"),
        ("shown", "2026-11-30T22:30"),
        ("held", "2026-11-12T10:00"),
        ("shown", "2026-12-02T10:00"),
    ]
    execute(
        board,
        "INSERT INTO group_posts (group_id, object_id, author, content_html, state, received) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        *[
            (garten, f"https://x.example/{n}", "https://x.example/u", "<p>x</p>", state, t(day))
            for n, (state, day) in enumerate(posts)
        ],
    )
    clock.set(AFTER)

    found = report(board, NOVEMBER).figures["participation"]

    # 2026-11-30T22:30 UTC is 23:30 on the 30th in Berlin: still November.
    assert (found["group_posts"], found["new_groups"]) == (2, 1)
    assert found["replies"] == NOVEMBER_FIGURES["participation"]["replies"]
