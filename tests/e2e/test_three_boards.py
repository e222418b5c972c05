"""Three real `aushang serve` processes share each other's notices.

Nordstadt (A) and the Familienzentrum (C) follow Südstadt (B); Südstadt and the Familienzentrum
follow Nordstadt. Südstadt's notices arrive at A and C as Creates; A shares some by address,
C shares events automatically by a rule, and edits, "done" and deletions on B reach the copies.
The three boards are started once for the module; every test posts its own notices.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.support.processes import BoardProcess, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30.0
BERLIN = ZoneInfo("Europe/Berlin")

FAMILIENZENTRUM_TOML = """\
# A throw-away third board for the end-to-end tests.
base_url = "http://127.0.0.1:8002"
data_dir = "data/familienzentrum"
username = "familienzentrum"
name = "Familienzentrum am Park"
summary = "Kurse, Treffen und Beratung für Familien im Viertel."
language = "de"
timezone = "Europe/Berlin"

[contact]
email = "hallo@familienzentrum.example"

[federation]
allow_private = []
approve_followers = false

[notices]
on_expiry = "update"
"""


# --------------------------------------------------------------------------- helpers


def wait_until(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    """Poll (deliveries go out about once a second) until `condition` is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def query(board: BoardProcess, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
    """Read the board's SQLite file directly, read-only, as an admin would inspect it."""
    uri = f"file:{board.data_dir / 'aushang.sqlite3'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()


def run(board: BoardProcess, *args: str) -> str:
    result = board.cli(*args)
    assert result.returncode == 0, f"aushang {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def cli_json(board: BoardProcess, *args: str) -> list[dict[str, Any]]:
    return json.loads(run(board, *args, "--json"))


def post(board: BoardProcess, title: str, body: str, *options: str) -> str:
    """Publish with `aushang post` (any options, e.g. --type event) and return the URL."""
    out = run(board, "post", "--title", title, "--body", body, *options)
    return out.strip().splitlines()[-1].strip()


def local_iso(moment: datetime) -> str:
    return moment.astimezone(BERLIN).replace(tzinfo=None).isoformat(timespec="minutes")


def event_options(start: datetime, hours: int = 2, place: str = "Stadtteilpark") -> list[str]:
    end = start + timedelta(hours=hours)
    return ["--type", "event", "--start", local_iso(start), "--end", local_iso(end)] + [
        "--place",
        place,
    ]


def future(days: int) -> datetime:
    """A whole hour some days ahead, so the event is neither over nor expired."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now + timedelta(days=days)


def arrived(board: BoardProcess, post_id: str) -> sqlite3.Row | None:
    rows = query(board, "SELECT * FROM remote_posts WHERE id = ?", (post_id,))
    return rows[0] if rows else None


def copies(board: BoardProcess, post_id: str) -> list[sqlite3.Row]:
    """The board's shared copies of a post, deleted ones included, oldest first."""
    return query(
        board,
        "SELECT * FROM notices WHERE origin_id = ? AND origin = 'shared' ORDER BY id",
        (post_id,),
    )


def live_copy(board: BoardProcess, post_id: str) -> sqlite3.Row | None:
    rows = [r for r in copies(board, post_id) if r["deleted"] is None]
    return rows[0] if rows else None


def received(board: BoardProcess, type_: str, actor: str) -> list[dict[str, Any]]:
    """Activities of a type from an actor that the board took in and processed."""
    rows = query(
        board,
        "SELECT body FROM inbox_activities WHERE type = ? AND actor = ? AND state = 'done' "
        "ORDER BY received_at",
        (type_, actor),
    )
    return [json.loads(r["body"]) for r in rows]


def announces_of(board: BoardProcess, sharer: BoardProcess, post_id: str) -> list[dict[str, Any]]:
    return [a for a in received(board, "Announce", sharer.actor_id) if a["object"] == post_id]


def undos_of(board: BoardProcess, sharer: BoardProcess, announce_id: str) -> list[dict[str, Any]]:
    return [
        u
        for u in received(board, "Undo", sharer.actor_id)
        if isinstance(u["object"], dict) and u["object"].get("id") == announce_id
    ]


def settled(*boards: BoardProcess) -> bool:
    """Nothing waits to be delivered or processed on any of the boards."""
    for board in boards:
        if query(board, "SELECT 1 FROM deliveries WHERE state = 'pending' LIMIT 1"):
            return False
        if query(board, "SELECT 1 FROM inbox_activities WHERE state = 'pending' LIMIT 1"):
            return False
    return True


def page(board: BoardProcess, path: str) -> tuple[int, str]:
    status, body = board.http_get(path, accept="text/html")
    return status, body.decode("utf-8", errors="replace")


def number(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[1])


# --------------------------------------------------------------------------- the three boards


@dataclass(frozen=True)
class Network:
    a: BoardProcess  # Nordstadt: follows B, shares by address
    b: BoardProcess  # Südstadt: the partner whose notices are shared
    c: BoardProcess  # Familienzentrum: follows A and B, shares B's events by rule

    @property
    def all(self) -> tuple[BoardProcess, BoardProcess, BoardProcess]:
        return self.a, self.b, self.c


def follow(follower: BoardProcess, target: BoardProcess) -> None:
    out = run(follower, "follow", target.handle)
    assert target.actor_id in out


def accepted(board: BoardProcess) -> set[str]:
    return {f["id"] for f in cli_json(board, "following") if f["state"] == "accepted"}


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    tmp = tmp_path_factory.mktemp("three-boards")
    third = tmp / "familienzentrum.toml"
    third.write_text(FAMILIENZENTRUM_TOML, encoding="utf-8")
    ports = [free_port() for _ in range(3)]
    allowed = [f"127.0.0.1:{port}" for port in ports]
    instances = (ROOT / "instances/nordstadt.toml", ROOT / "instances/suedstadt.toml", third)
    with contextlib.ExitStack() as stack:
        boards = [
            stack.enter_context(
                BoardProcess(instance, tmp / instance.stem, port, allow_private=allowed)
            )
            for instance, port in zip(instances, ports, strict=True)
        ]
        for board in boards:
            board.init()
        for board in boards:
            board.start()
        net = Network(*boards)
        follow(net.a, net.b)
        follow(net.c, net.b)
        follow(net.b, net.a)
        follow(net.c, net.a)
        wait_until(lambda: accepted(net.a) == {net.b.actor_id}, "A's follow of B to be accepted")
        wait_until(lambda: accepted(net.b) == {net.a.actor_id}, "B's follow of A to be accepted")
        wait_until(
            lambda: accepted(net.c) == {net.a.actor_id, net.b.actor_id},
            "C's follows of A and B to be accepted",
        )
        yield net


@pytest.fixture
def net(network: Network) -> Network:
    """The module's boards, with everything earlier tests caused delivered and processed."""
    wait_until(lambda: settled(*network.all), "the boards to settle")
    return network


# --------------------------------------------------------------------------- tests


def test_follows__are_accepted_and_listed_on_both_sides(net: Network) -> None:
    a, b, c = net.all
    assert [(f["id"], f["handle"], f["state"]) for f in cli_json(a, "following")] == [
        (b.actor_id, b.handle, "accepted")
    ]
    assert {(f["id"], f["state"]) for f in cli_json(c, "following")} == {
        (a.actor_id, "accepted"),
        (b.actor_id, "accepted"),
    }
    assert {(f["id"], f["state"]) for f in cli_json(b, "followers")} == {
        (a.actor_id, "accepted"),
        (c.actor_id, "accepted"),
    }
    assert {(f["id"], f["state"]) for f in cli_json(a, "followers")} == {
        (b.actor_id, "accepted"),
        (c.actor_id, "accepted"),
    }
    status, html = page(a, "/network")
    assert status == 200
    assert "Mieterinitiative Südstadt" in html and b.handle in html
    assert "Kurse, Treffen" not in html  # C is a follower of A, not a partner it follows


def test_post_of_partner__arrives_as_network_post_on_both_followers(net: Network) -> None:
    a, b, c = net.all
    url = post(b, "Repair-Café im Keller", "Toaster, Fahrräder, Kleidung: wir reparieren.")
    for board in (a, c):
        row = wait_until(lambda board=board: arrived(board, url), f"the post at {board.username}")
        assert (row["actor"], row["role"], row["kind"]) == (b.actor_id, "network", "announcement")
        assert live_copy(board, url) is None  # nothing is shared unasked


def test_share_by_url__puts_a_copy_on_the_board_and_announces_it__unshare_takes_it_back(
    net: Network,
) -> None:
    a, b, c = net.all
    title = "Nachbarschaftsfest im Hof"
    url = post(
        b, title, "Bitte **Kuchen** mitbringen.", "--type", "need-help", "--category", "Hoffest"
    )
    wait_until(lambda: arrived(a, url), "B's notice at A")

    out = run(a, "share", url)
    copy = live_copy(a, url)
    assert copy is not None
    assert out.strip() == f"Shared: {a.url('/notices/' + str(copy['id']))}"
    assert (copy["kind"], copy["title"], copy["origin_actor"], copy["origin_url"]) == (
        "need-help",
        title,
        b.actor_id,
        url,
    )
    assert "<strong>Kuchen</strong>" in copy["body_html"]
    assert copy["announce_id"]

    status, home = page(a, "/")
    assert status == 200
    assert title in home and "Geteilt von" in home
    status, html = page(a, f"/notices/{copy['id']}")
    assert status == 200
    assert "Geteilt von" in html and f'href="{url}"' in html

    # C follows A: it receives the Announce of B's notice, by id.
    [announce] = wait_until(lambda: announces_of(c, a, url), "the Announce at C (A's follower)")
    assert announce["id"] == copy["announce_id"]
    assert announce["actor"] == a.actor_id
    # B, the author (and a follower of A), counts the boost of its notice.
    wait_until(lambda: announces_of(b, a, url), "the Announce at B (the author)")
    boosts = lambda: query(  # noqa: E731
        b,
        "SELECT * FROM reactions WHERE notice_id = ? AND actor = ? AND type = 'Announce'",
        (number(url), a.actor_id),
    )
    wait_until(boosts, "B to count the boost")

    # Sharing the same notice twice is refused.
    again = a.cli("share", url)
    assert again.returncode != 0
    assert "already" in again.stderr

    out = run(a, "unshare", url)
    assert "No longer shared" in out
    assert live_copy(a, url) is None
    assert page(a, f"/notices/{copy['id']}")[0] == 410
    assert title not in page(a, "/")[1]
    wait_until(lambda: undos_of(c, a, copy["announce_id"]), "the Undo{Announce} at C")
    wait_until(lambda: undos_of(b, a, copy["announce_id"]), "the Undo{Announce} at B")
    wait_until(lambda: not boosts(), "B to forget the boost")

    gone = a.cli("unshare", url)
    assert gone.returncode != 0


def test_shared_event__in_calendar_type_filter_and_feeds(net: Network) -> None:
    a, b, _ = net.all
    title = "Lesung in der Stadtteilbibliothek"
    start = future(days=12)
    url = post(
        b, title, "Eintritt frei.", *event_options(start, place="Bibliothek, Südring 4, Essen")
    )
    run(a, "share", url)
    copy = live_copy(a, url)
    assert copy is not None
    assert copy["kind"] == "event"
    assert copy["event_start"].startswith(start.strftime("%Y-%m-%dT%H:%M"))
    assert copy["event_end"].startswith((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    assert copy["place_name"] == "Bibliothek"

    status, events = page(a, "/?type=event")
    assert status == 200 and title in events
    status, others = page(a, "/?type=need-help")
    assert status == 200 and title not in others

    status, body = a.http_get("/calendar.ics")
    assert status == 200
    [vevent] = [
        e for e in Calendar.from_ical(body).walk("VEVENT") if str(e.get("summary")) == title
    ]
    assert vevent.decoded("dtstart") == start
    assert vevent.decoded("dtend") == start + timedelta(hours=2)
    assert str(vevent.get("location")) == "Bibliothek, Südring 4, Essen"
    assert str(vevent.get("url")) == a.url(f"/notices/{copy['id']}")

    for path in ("/feed.atom", "/feed/event.atom"):
        status, body = a.http_get(path)
        assert status == 200, path
        assert title in body.decode(), path
    status, body = a.http_get("/feed/need-help.atom")
    assert status == 200 and title not in body.decode()


def test_rule_on_third_board__shares_the_first_event_and_logs_the_cap_for_the_second(
    net: Network,
) -> None:
    a, b, c = net.all
    out = run(c, "share-rule", "add", "--from", b.handle, "--type", "event", "--daily-cap", "1")
    rule_id = int(out.strip().rsplit(" ", 1)[1])
    try:
        [rule] = [r for r in cli_json(c, "share-rule", "list") if r["id"] == rule_id]
        assert (rule["from"], rule["kind"], rule["daily_cap"], rule["hits"]) == (
            b.actor_id,
            "event",
            1,
            0,
        )
        posted = []
        for title, body, options in (
            ("Kinderflohmarkt", "Tische ab 8 Uhr.", event_options(future(days=5))),
            ("Bastelnachmittag", "Für Kinder ab 4.", event_options(future(days=6))),
            ("Fahrrad gefunden", "Blaues Kinderrad am Spielplatz.", ["--type", "lost-found"]),
        ):
            url = post(b, title, body, *options)
            # One after the other: which event is "the first" is the order C receives them.
            wait_until(lambda url=url: arrived(c, url), f"{title} at C")
            posted.append(url)
        first, second, other = posted

        hits = query(
            c,
            "SELECT post_id, outcome, notice_id FROM share_rule_hits WHERE rule_id = ?",
            (rule_id,),
        )
        assert [(h["post_id"], h["outcome"]) for h in hits] == [
            (first, "shared"),
            (second, "cap"),
        ]
        copy = live_copy(c, first)
        assert copy is not None and hits[0]["notice_id"] == copy["id"]
        assert (copy["kind"], copy["title"]) == ("event", "Kinderflohmarkt")
        assert live_copy(c, second) is None and live_copy(c, other) is None
        assert "Kinderflohmarkt" in page(c, "/?type=event")[1]
        [rule] = [r for r in cli_json(c, "share-rule", "list") if r["id"] == rule_id]
        assert rule["hits"] == 2

        # C's automatic share is announced like a manual one: to C's followers (none) and B.
        wait_until(lambda: announces_of(b, c, first), "C's Announce at B")
        # A, which does not follow C, shares nothing because of C's rule.
        assert live_copy(a, first) is None
    finally:
        run(c, "share-rule", "remove", str(rule_id))
    assert rule_id not in [r["id"] for r in cli_json(c, "share-rule", "list")]
    assert c.cli("share-rule", "remove", str(rule_id)).returncode != 0


def test_edit_done_and_delete_of_originals__reach_the_copies_on_both_boards(net: Network) -> None:
    a, b, c = net.all
    start = future(days=9)
    event = post(b, "Laternenumzug", "Treffpunkt am Brunnen.", *event_options(start))
    offer = post(b, "Leiter zu verleihen", "Drei Meter, Alu.", "--type", "give-lend")
    for url in (event, offer):
        wait_until(lambda url=url: arrived(a, url) and arrived(c, url), f"{url} at A and C")
    run(a, "share", event)
    run(a, "share", offer)
    run(c, "share", event)
    a_event, a_offer, c_event = live_copy(a, event), live_copy(a, offer), live_copy(c, event)
    assert a_event and a_offer and c_event

    # Edit: title and time follow on both boards.
    later = start + timedelta(days=1)
    run(b, "edit", event, "--title", "Laternenumzug (verschoben)", *event_options(later)[2:])

    def moved(board: BoardProcess) -> bool:
        row = live_copy(board, event)
        return bool(
            row
            and row["title"] == "Laternenumzug (verschoben)"
            and row["event_start"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
        )

    wait_until(lambda: moved(a), "the edit at A")
    wait_until(lambda: moved(c), "the edit at C")
    assert live_copy(a, event)["id"] == a_event["id"]  # the same copy, changed
    assert "Laternenumzug (verschoben)" in page(a, "/?type=event")[1]

    # Done: the copy shows it.
    run(b, "done", offer)
    wait_until(lambda: (live_copy(a, offer) or {"done": None})["done"], "the copy to be done")
    status, html = page(a, f"/notices/{a_offer['id']}")
    assert status == 200
    assert "badge--done" in html and "Vergeben" in html

    # Delete: both copies leave their boards, and A takes its Announce back.
    run(b, "delete", event)
    wait_until(lambda: live_copy(a, event) is None, "the copy to leave A")
    wait_until(lambda: live_copy(c, event) is None, "the copy to leave C")
    assert page(a, f"/notices/{a_event['id']}")[0] == 410
    assert "Laternenumzug" not in page(a, "/")[1]
    assert "Laternenumzug" not in a.http_get("/calendar.ics")[1].decode()
    wait_until(lambda: undos_of(c, a, a_event["announce_id"]), "A's Undo{Announce} at C")
    # The other shared notice of B stays.
    assert live_copy(a, offer) is not None
