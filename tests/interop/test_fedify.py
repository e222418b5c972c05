"""A board talks ActivityPub with Fedify, an independent implementation, over real TLS."""

from __future__ import annotations

import json
import ssl
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.interop.conftest import Peer
    from tests.support.processes import BoardProcess

pytestmark = pytest.mark.interop

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_JSON = "application/activity+json"
DELIVERY_TIMEOUT = 30  # the board's worker polls about every second; retries are slower


def _follow(peer: Peer, board: BoardProcess) -> dict[str, Any]:
    """Have alice follow the board; return the Accept event Fedify verified."""
    peer.request({"cmd": "lookup", "handle": board.handle})
    sent = peer.request({"cmd": "follow", "actor": board.actor_id})
    accept = peer.wait_for(
        lambda e: e.get("event") == "inbox" and e.get("type") == "Accept",
        timeout=DELIVERY_TIMEOUT,
    )
    accept["follow_id"] = sent["id"]
    return accept


def _http(
    board: BoardProcess,
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    context = ssl.create_default_context(cafile=str(board.ca_bundle))
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


def _await_followers_total(board: BoardProcess, expected: int, timeout: float = 10) -> int:
    """Poll the followers collection until it reports `expected` items (or time runs out)."""
    deadline = time.monotonic() + timeout
    total = _followers_total(board)
    while total != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        total = _followers_total(board)
    return total


def _followers_total(board: BoardProcess) -> int:
    status, body = _http(board, "GET", f"{board.actor_id}/followers", headers={"Accept": AS_JSON})
    assert status == 200, f"GET {board.actor_id}/followers -> {status}: {body[:500]!r}"
    collection = json.loads(body)
    assert collection.get("type") == "OrderedCollection", collection
    return int(collection["totalItems"])


def test_fedify__resolves_board_handle_over_https_webfinger(
    peer: Peer, tls_board: BoardProcess
) -> None:
    found = peer.request({"cmd": "lookup", "handle": tls_board.handle})

    base = tls_board.base_url
    assert found["type"] == "Group", found
    assert found["id"] == tls_board.actor_id
    assert found["name"], "the Group actor has no name Fedify could parse"
    configured_name = tomllib.loads(tls_board.instance_file.read_text()).get("name")
    if configured_name:
        assert found["name"] == configured_name
    assert found["preferredUsername"] == tls_board.username
    assert found["inbox"] == f"{base}/users/{tls_board.username}/inbox"
    assert found["sharedInbox"] == f"{base}/inbox"
    assert found["publicKeyId"] == f"{tls_board.actor_id}#main-key"
    assert found["publicKey"]["owner"] == tls_board.actor_id
    assert found["publicKey"]["algorithm"] == "RSASSA-PKCS1-v1_5"


def test_fedify__follow_is_accepted_with_a_verified_accept(
    peer: Peer, tls_board: BoardProcess
) -> None:
    accept = _follow(peer, tls_board)

    assert accept["verified"] is True
    assert accept["actor"] == tls_board.actor_id
    assert accept["object"]["id"] == accept["follow_id"], accept
    assert "objectError" not in accept, accept["objectError"]
    assert accept["object"]["type"] == "Follow"


def test_fedify__receives_verified_create_note_after_post(
    peer: Peer, tls_board: BoardProcess
) -> None:
    _follow(peer, tls_board)
    title = f"Flohmarkt {uuid.uuid4().hex[:6]}"
    body = "Samstag ab 10 Uhr im Hof der Grundschule."

    notice_url = tls_board.post(title, body)
    create = peer.wait_for(
        lambda e: e.get("event") == "inbox" and e.get("type") == "Create",
        timeout=DELIVERY_TIMEOUT,
    )

    note = create["object"]
    assert create["verified"] is True
    assert create["actor"] == tls_board.actor_id
    assert "objectError" not in create, create["objectError"]
    assert note["type"] == "Note", note
    assert note["id"] == notice_url
    assert f"<strong>{title}</strong>" in note["content"]
    assert body in note["content"]
    assert PUBLIC in note["to"], note["to"]
    assert note["attributedTo"] == [tls_board.actor_id]


def test_fedify__fetches_notice_by_its_id(peer: Peer, tls_board: BoardProcess) -> None:
    notice_url = tls_board.post("Lastenrad frei", "Das Lastenrad ist ab heute wieder frei.")

    fetched = peer.request({"cmd": "fetch", "url": notice_url})

    assert fetched["type"] == "Note", fetched
    assert fetched["id"] == notice_url
    assert "Lastenrad frei" in fetched["content"]
    assert fetched["attributedTo"] == [tls_board.actor_id]


def test_board__verifies_fedify_signature_and_rejects_unsigned_follow(
    peer: Peer, tls_board: BoardProcess
) -> None:
    assert _followers_total(tls_board) == 0
    accept = _follow(peer, tls_board)
    assert _await_followers_total(tls_board, 1) == 1

    unsigned = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.base}/follows/{uuid.uuid4()}",
        "type": "Follow",
        "actor": peer.actor,
        "object": tls_board.actor_id,
    }
    for inbox in (f"{tls_board.actor_id}/inbox", f"{tls_board.base_url}/inbox"):
        status, body = _http(
            tls_board,
            "POST",
            inbox,
            body=json.dumps(unsigned).encode(),
            headers={"Content-Type": AS_JSON, "Accept": AS_JSON},
        )
        assert status == 401, f"unsigned Follow to {inbox} -> {status}: {body[:500]!r}"
    assert _followers_total(tls_board) == 1
    assert accept["follow_id"] != unsigned["id"]


def test_board__undo_follow_from_fedify_removes_follower(
    peer: Peer, tls_board: BoardProcess
) -> None:
    _follow(peer, tls_board)
    assert _await_followers_total(tls_board, 1) == 1

    peer.request({"cmd": "undo-follow", "actor": tls_board.actor_id})

    assert _await_followers_total(tls_board, 0) == 0
