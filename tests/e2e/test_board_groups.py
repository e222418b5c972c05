"""A board follows a group of another board and shares the group's meeting: two real
`aushang serve` processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.test_two_boards import boards, cli_json, query, wait_until
from tests.support.processes import BoardProcess

__all__ = ["boards"]


def test_group__a_board_follows_another_boards_group_and_shares_its_meeting(
    boards: tuple[BoardProcess, BoardProcess],
) -> None:
    north, south = boards
    created = north.cli(
        "groups", "create", "garten", "--name", "Gemeinschaftsgarten",
        "--summary", "Wir gärtnern zusammen.", "--place", "Hof Nordstraße 5",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    group = north.url("/groups/garten")
    followed = south.cli("follow", f"@garten@{north.authority}")
    assert followed.returncode == 0, followed.stderr
    wait_until(
        lambda: [f for f in cli_json(south, "following") if f["state"] == "accepted"],
        "the group to accept Südstadt's follow",
    )
    assert group in str(cli_json(south, "following"))

    first = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d 17:00")
    edited = north.cli("groups", "edit", "garten", "--first-meeting", first, "--repeat", "weekly")
    assert edited.returncode == 0, edited.stderr
    [event] = wait_until(
        lambda: query(south, "SELECT * FROM remote_posts WHERE type = 'Event'"),
        "the group's meeting to reach Südstadt",
    )  # type: ignore[misc]
    assert event["actor"] == group and event["id"].startswith(f"{group}/meetings/")

    shared = south.cli("share", event["id"])
    assert shared.returncode == 0, shared.stderr
    [copy] = query(south, "SELECT * FROM notices WHERE origin = 'shared'")
    assert copy["origin_id"] == event["id"]
    assert copy["event_start"] is not None and copy["place_name"] == "Hof Nordstraße 5"
    assert "Gemeinschaftsgarten" in copy["title"]
