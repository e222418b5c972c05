"""A group of the board with two real Fedify servers as members: both join by following; one
posts a note addressed to the group; the other receives the group's signed Announce (Fedify
verifies it) and fetches the original from the first; the author's Delete undoes the Announce;
a non-member's post waits for the leader and is announced only after approval."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop.conftest import REPO, Peer
from tests.support.processes import BoardProcess, free_port
from tests.support.tls import CA

pytestmark = pytest.mark.interop

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
TIMEOUT = 30


@pytest.fixture
def peer2(ca: CA, server_cert: tuple[Path, Path], tmp_path: Path) -> Iterator[Peer]:
    cert, key = server_cert
    p = Peer(cert, key, ca.certfile, tmp_path / "peer2.log")
    try:
        yield p
    finally:
        p.close()


@pytest.fixture
def group_board(
    ca: CA, server_cert: tuple[Path, Path], peer: Peer, peer2: Peer, tmp_path: Path
) -> Iterator[BoardProcess]:
    port = free_port()
    board = BoardProcess(
        REPO / "instances" / "nordstadt.toml",
        tmp_path / "nordstadt",
        port,
        base_url=f"https://127.0.0.1:{port}",
        tls=server_cert,
        ca_bundle=ca.certfile,
        allow_private=[peer.authority, peer2.authority],
    )
    with board:
        board.init()
        board.start()
        yield board


def _inbox(type_: str, actor: str) -> Any:
    return lambda e: (
        e.get("event") == "inbox" and e.get("type") == type_ and e.get("actor") == actor
    )


def _create(peer: Peer, group: str, content: str) -> dict[str, Any]:
    note = {
        "id": f"{peer.base}/notes/{uuid.uuid4()}",
        "type": "Note",
        "attributedTo": peer.actor,
        "content": content,
        "to": [PUBLIC],
        "cc": [group],
        "tag": [{"type": "Mention", "href": group}],
        "published": "2026-11-26T10:00:00Z",
    }
    return {"type": "Create", "object": note, "to": [PUBLIC], "cc": [group]}


def test_group__members_get_the_groups_announce_and_the_original_from_its_author(
    group_board: BoardProcess, peer: Peer, peer2: Peer
) -> None:
    board = group_board
    created = board.cli("groups", "create", "garten", "--name", "Gemeinschaftsgarten")
    assert created.returncode == 0, created.stderr
    group = board.url("/groups/garten")
    for member in (peer, peer2):
        found = member.request({"cmd": "lookup", "handle": f"@garten@{board.authority}"})
        assert found["type"] == "Group" and found["publicKey"]["id"] == f"{group}#main-key"
        member.request({"cmd": "follow", "actor": group})
        member.wait_for(_inbox("Accept", group), TIMEOUT)

    activity = _create(peer, group, "<p>Wer hat Tomatensamen übrig?</p>")
    note_id = activity["object"]["id"]
    peer.request({"cmd": "send", "recipient": group, "activity": activity})
    announce = peer2.wait_for(_inbox("Announce", group), TIMEOUT)

    assert announce["verified"] is True
    assert announce["signature"]["keyId"] == f"{group}#main-key"
    assert announce["object"]["id"] == note_id
    assert "Tomatensamen" in (announce["object"]["content"] or "")  # fetched from peer 1
    assert announce["object"]["attributedTo0"] == peer.actor

    peer.request(
        {
            "cmd": "send",
            "recipient": group,
            "activity": {"type": "Delete", "object": note_id, "to": [PUBLIC]},
        }  # fmt: skip
    )
    undo = peer2.wait_for(_inbox("Undo", group), TIMEOUT)
    assert undo["raw"]["object"]["type"] == "Announce"
    assert undo["raw"]["object"]["object"] == note_id
    assert undo["raw"]["object"]["id"] == announce["id"]


def test_group__a_non_members_post_is_announced_only_after_approval(
    group_board: BoardProcess, peer: Peer, peer2: Peer
) -> None:
    board = group_board
    created = board.cli("groups", "create", "garten", "--name", "Gemeinschaftsgarten")
    assert created.returncode == 0, created.stderr
    group = board.url("/groups/garten")
    peer2.request({"cmd": "lookup", "handle": f"@garten@{board.authority}"})
    peer2.request({"cmd": "follow", "actor": group})
    peer2.wait_for(_inbox("Accept", group), TIMEOUT)

    activity = _create(peer, group, "<p>Darf ich mitmachen?</p>")
    note_id = activity["object"]["id"]
    peer.request({"cmd": "lookup", "handle": f"@garten@{board.authority}"})
    peer.request({"cmd": "send", "recipient": group, "activity": activity})
    held: list[Any] = []
    for _ in range(60):
        shown = json.loads(board.cli("groups", "show", "garten", "--json").stdout)
        held = shown["held_posts"]
        if held:
            break
        peer2.request({"cmd": "ping"})
    assert [h["object"] for h in held] == [note_id]
    assert not [e for e in peer2.inbox_events("Announce") if e.get("actor") == group]

    approved = board.cli("groups", "approve-post", "garten", str(held[0]["id"]))
    announce = peer2.wait_for(_inbox("Announce", group), TIMEOUT)

    assert approved.returncode == 0, approved.stderr
    assert announce["verified"] is True and announce["object"]["id"] == note_id
