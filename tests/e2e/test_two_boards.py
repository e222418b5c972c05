"""Two real `aushang serve` processes: one follows the other, notices arrive signed and stored."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.processes import BoardProcess, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 20.0


def wait_until(condition: Callable[[], object], what: str, timeout: float = TIMEOUT) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def query(board: BoardProcess, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
    """Read the board's SQLite file directly, read-only, as an admin would inspect it."""
    uri = f"file:{board.data_dir / 'aushang.sqlite3'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()


def cli_json(board: BoardProcess, *args: str) -> list[dict[str, object]]:
    result = board.cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def boards(tmp_path: Path) -> Iterator[tuple[BoardProcess, BoardProcess]]:
    north_port, south_port = free_port(), free_port()
    allowed = [f"127.0.0.1:{north_port}", f"127.0.0.1:{south_port}"]
    north = BoardProcess(
        ROOT / "instances/nordstadt.toml", tmp_path / "north", north_port, allow_private=allowed
    )
    south = BoardProcess(
        ROOT / "instances/suedstadt.toml", tmp_path / "south", south_port, allow_private=allowed
    )
    with north, south:
        north.init()
        south.init()
        north.start()
        south.start()
        yield north, south


def follow_north(north: BoardProcess, south: BoardProcess) -> None:
    result = south.cli("follow", north.handle)
    assert result.returncode == 0, result.stderr
    wait_until(
        lambda: [f for f in cli_json(south, "following") if f["state"] == "accepted"],
        "Südstadt's follow to be accepted",
    )


def received_posts(board: BoardProcess) -> list[sqlite3.Row]:
    return query(board, "SELECT * FROM remote_posts ORDER BY received")


def test_follow_by_handle__is_accepted_and_listed_on_both_sides(boards) -> None:
    north, south = boards
    follow_north(north, south)
    following = cli_json(south, "following")
    assert [(f["id"], f["state"], f["handle"]) for f in following] == [
        (north.actor_id, "accepted", north.handle)
    ]
    followers = cli_json(north, "followers")
    assert [(f["id"], f["state"]) for f in followers] == [(south.actor_id, "accepted")]


def test_notice__arrives_signed_and_is_stored_on_the_following_board(boards) -> None:
    north, south = boards
    follow_north(north, south)
    url = north.post("Sperrmüll am Samstag", "Bitte **nichts** vor Freitag rausstellen.", "Umwelt")

    rows = wait_until(lambda: received_posts(south), "the notice to reach Südstadt")
    assert [r["id"] for r in rows] == [url]
    post = rows[0]
    assert post["actor"] == north.actor_id
    assert "<strong>Sperrmüll am Samstag</strong>" in post["content_html"]
    assert "<strong>nichts</strong>" in post["content_html"]
    inbound = query(south, "SELECT type, state FROM inbox_activities WHERE type = 'Create'")
    assert [(r["type"], r["state"]) for r in inbound] == [("Create", "done")]
    deliveries = query(
        north,
        "SELECT state, last_status FROM deliveries d JOIN outbox_activities o "
        "ON o.id = d.activity_id WHERE o.type = 'Create'",
    )
    assert [(d["state"], d["last_status"]) for d in deliveries] == [("sent", 202)]


def test_follow__survives_restart_of_either_board(boards) -> None:
    north, south = boards
    follow_north(north, south)
    north.restart()
    south.restart()
    assert [f["state"] for f in cli_json(south, "following")] == ["accepted"]
    assert [f["id"] for f in cli_json(north, "followers")] == [south.actor_id]

    url = north.post("Nach dem Neustart", "Der Aushang kommt trotzdem an.")
    wait_until(
        lambda: [r for r in received_posts(south) if r["id"] == url], "the post after restart"
    )


def test_notice_posted_while_server_down__is_delivered_after_start(boards) -> None:
    north, south = boards
    follow_north(north, south)
    north.stop()
    url = north.post("Während der Wartung", "Geschrieben, während der Server aus war.")
    assert received_posts(south) == []
    north.start()
    wait_until(lambda: [r for r in received_posts(south) if r["id"] == url], "the queued delivery")


def test_unfollow__stops_delivery(boards) -> None:
    north, south = boards
    follow_north(north, south)
    result = south.cli("unfollow", north.handle)
    assert result.returncode == 0, result.stderr
    wait_until(lambda: cli_json(north, "followers") == [], "Nordstadt to drop the follower")
    north.post("Nur für die Nordstadt", "Niemand folgt mehr.")
    time.sleep(2)
    assert received_posts(south) == []
