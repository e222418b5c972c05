"""Moving house with Fedify and real boards over TLS: the Fedify peer follows the old board
and receives a verified Move; the new actor's alsoKnownAs names the old one; a board that
followed the old board ends up following the new one."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.interop.test_fedify import AS_JSON, DELIVERY_TIMEOUT, _follow, _http
from tests.support.processes import BoardProcess, free_port
from tests.support.tls import CA

if TYPE_CHECKING:
    from tests.interop.conftest import Peer

pytestmark = pytest.mark.interop
REPO = Path(__file__).resolve().parents[2]


def wait_until(condition: Callable[[], Any], what: str, timeout: float = DELIVERY_TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def following(board: BoardProcess) -> dict[str, str]:
    result = board.cli("following", "--json")
    assert result.returncode == 0, result.stderr
    return {row["id"]: row["state"] for row in json.loads(result.stdout)}


@pytest.fixture
def three_boards(
    ca: CA, server_cert: tuple[Path, Path], peer: Peer, tmp_path: Path
) -> Iterator[tuple[BoardProcess, BoardProcess, BoardProcess]]:
    ports = [free_port() for _ in range(3)]
    allowed = [f"127.0.0.1:{p}" for p in ports] + [peer.authority]
    boards = [
        BoardProcess(
            REPO / "instances" / f"{name}.toml",
            tmp_path / name,
            port,
            base_url=f"https://127.0.0.1:{port}",
            tls=server_cert,
            ca_bundle=ca.certfile,
            allow_private=allowed,
        )
        for name, port in zip(("nordstadt", "suedstadt", "familienzentrum"), ports, strict=True)
    ]
    old, new, partner = boards
    with old, new, partner:
        for board in boards:
            board.init()
            board.start()
        yield old, new, partner


def test_move__fedify_gets_a_verified_move_and_a_partner_board_follows_the_new_address(
    peer: Peer, three_boards: tuple[BoardProcess, BoardProcess, BoardProcess]
) -> None:
    old, new, partner = three_boards
    _follow(peer, old)
    assert partner.cli("follow", old.handle).returncode == 0
    wait_until(lambda: following(partner).get(old.actor_id) == "accepted", "the partner follows")

    prepared = new.cli("move", "prepare", "--from", old.handle)
    assert prepared.returncode == 0, prepared.stderr
    moved = old.cli("move", "--to", new.handle)
    assert moved.returncode == 0, moved.stderr

    move = peer.wait_for(
        lambda e: e.get("event") == "inbox" and e.get("type") == "Move", timeout=DELIVERY_TIMEOUT
    )
    assert move["verified"] is True
    assert move["actor"] == old.actor_id
    assert move["object"]["id"] == old.actor_id
    assert move["target"] == new.actor_id
    new_actor = peer.request({"cmd": "lookup", "handle": new.handle})
    assert new_actor["aliases"] == [old.actor_id]
    status, body = _http(old, "GET", old.actor_id, headers={"Accept": AS_JSON})
    assert status == 200 and json.loads(body)["movedTo"] == new.actor_id

    wait_until(
        lambda: following(partner) == {new.actor_id: "accepted"},
        "the partner board to follow the new address (and no longer the old one)",
    )


def test_close__fedify_gets_the_last_notice_and_a_verified_delete_of_the_actor(
    peer: Peer, tls_board: BoardProcess
) -> None:
    _follow(peer, tls_board)
    archive = "https://archiv.example.org/nordstadt/"

    closed = tls_board.cli("close", "--archive-url", archive, "--yes")

    assert closed.returncode == 0, closed.stderr
    create = peer.wait_for(
        lambda e: e.get("event") == "inbox" and e.get("type") == "Create",
        timeout=DELIVERY_TIMEOUT,
    )
    assert archive in create["object"]["content"]
    delete = peer.wait_for(
        lambda e: e.get("event") == "inbox" and e.get("type") == "Delete",
        timeout=DELIVERY_TIMEOUT,
    )
    assert delete["verified"] is True
    assert (delete["actor"], delete["raw"]["object"]) == (tls_board.actor_id, tls_board.actor_id)
    wait_until(
        lambda: _http(tls_board, "GET", tls_board.actor_id, headers={"Accept": AS_JSON})[0] == 410,
        "the actor to answer 410 once the Delete is delivered",
    )
