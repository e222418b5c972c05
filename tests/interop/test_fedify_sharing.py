"""Board A shares board B's notice; Fedify, following A only, receives A's Announce, fetches the
original from B with its own code, and verifies it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.processes import BoardProcess, free_port

if TYPE_CHECKING:
    from tests.interop.conftest import Peer
    from tests.support.tls import CA

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 30


@pytest.fixture
def two_boards(
    ca: CA, server_cert: tuple[Path, Path], peer: Peer, tmp_path: Path
) -> Iterator[tuple[BoardProcess, BoardProcess]]:
    ports = free_port(), free_port()
    boards = [
        BoardProcess(
            REPO / "instances" / name,
            tmp_path / name,
            port,
            base_url=f"https://127.0.0.1:{port}",
            tls=server_cert,
            ca_bundle=ca.certfile,
            allow_private=[peer.authority, f"127.0.0.1:{other}"],
        )
        for name, port, other in (
            ("nordstadt.toml", ports[0], ports[1]),
            ("suedstadt.toml", ports[1], ports[0]),
        )
    ]
    try:
        for board in boards:
            board.init()
            board.start()
        yield boards[0], boards[1]
    finally:
        for board in boards:
            board.stop()


def _wait_accepted(board: BoardProcess, actor: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        result = board.cli("following", "--json")
        states = {f["id"]: f["state"] for f in json.loads(result.stdout or "[]")}
        if states.get(actor) == "accepted":
            return
        time.sleep(0.3)
    raise AssertionError(f"{board.handle} was not accepted by {actor}\n{board.log_tail()}")


def test_fedify__receives_the_announce_of_a_shared_notice_and_verifies_the_original(
    peer: Peer, two_boards: tuple[BoardProcess, BoardProcess]
) -> None:
    board_a, board_b = two_boards
    peer.request({"cmd": "lookup", "handle": board_a.handle})
    peer.request({"cmd": "follow", "actor": board_a.actor_id})
    peer.wait_for(lambda e: e.get("event") == "inbox" and e.get("type") == "Accept", TIMEOUT)
    assert board_a.cli("follow", board_b.handle).returncode == 0
    _wait_accepted(board_a, board_b.actor_id)

    original = board_b.cli(
        "post",
        "--title",
        "Laternenumzug",
        "--body",
        "Treffpunkt an der Kita",
        "--type",
        "event",
        "--start",
        "2026-12-12T17:00",
        "--place",
        "Kita Sonnenblume, Südstraße 3",
    ).stdout.strip()
    shared = board_a.cli("share", original)
    assert shared.returncode == 0, shared.stderr

    announce = peer.wait_for(
        lambda e: e.get("event") == "inbox" and e.get("type") == "Announce", TIMEOUT
    )
    assert announce["verified"] is True  # Fedify checked board A's signature
    assert announce["actor"] == board_a.actor_id
    assert announce["raw"]["object"] == original  # the id only, as Mastodon expects
    fetched = peer.request({"cmd": "fetch", "url": original})  # Fedify's own lookupObject
    assert fetched["id"] == original
    assert fetched["type"] == "Event"
    assert "Laternenumzug" in json.dumps(fetched, ensure_ascii=False)
    status, page = board_a.http_get("/?type=event")
    assert status == 200 and "Laternenumzug" in page.decode()

    assert board_a.cli("unshare", original).returncode == 0
    undo = peer.wait_for(lambda e: e.get("event") == "inbox" and e.get("type") == "Undo", TIMEOUT)
    assert undo["verified"] is True
    assert undo["raw"]["object"]["id"] == announce["raw"]["id"]
