"""Rule 23: an inbox that keeps answering 404/410 is gone, and its followers are dropped."""

from __future__ import annotations

from tests.noticeboard.boards import RunningBoard
from tests.noticeboard.test_isolation import add_follower, publish
from tests.support.fediverse import Fediverse


def delivered_states(board: RunningBoard, inbox: str) -> list[tuple[str, int | None]]:
    rows = board.rows(
        "SELECT state, last_status FROM deliveries WHERE inbox = ? ORDER BY id", inbox
    )
    return [(r["state"], r["last_status"]) for r in rows]


def test_inbox_gone_three_times__drops_its_followers(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    remote = fediverse.remote
    gone = remote.url("/users/gone/inbox")
    alive = remote.url("/users/alive/inbox")
    add_follower(board, remote.url("/users/gone"), gone)
    add_follower(board, remote.url("/users/alive"), alive)
    remote.answer("/users/gone/inbox", 410, 404, 410)

    for n in range(3):
        publish(board, f"Aushang {n}")
        board.drain()
        assert len(delivered_states(board, gone)) == n + 1
        assert delivered_states(board, gone)[-1][0] != "pending"
    assert delivered_states(board, gone) == [("failed", 410), ("failed", 404), ("failed", 410)]
    assert [f["actor_id"] for f in board.followers()] == [remote.url("/users/alive")]

    publish(board, "Nach dem Aufräumen")
    board.drain()
    assert len(remote.posts("/users/alive/inbox")) == 4
    assert len(delivered_states(board, gone)) == 3


def test_inbox_gone_once__keeps_its_followers(board: RunningBoard, fediverse: Fediverse) -> None:
    remote = fediverse.remote
    flaky = remote.url("/users/flaky/inbox")
    add_follower(board, remote.url("/users/flaky"), flaky)
    remote.answer("/users/flaky/inbox", 404)
    publish(board, "Eins")
    board.drain()
    assert delivered_states(board, flaky) == [("failed", 404)]
    publish(board, "Zwei")
    board.drain()
    assert delivered_states(board, flaky)[-1:] == [("sent", 202)]
    assert board.rows("SELECT answers FROM gone_inboxes") == []
    assert [f["actor_id"] for f in board.followers()] == [remote.url("/users/flaky")]
