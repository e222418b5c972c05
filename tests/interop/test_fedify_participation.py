"""Residents take part from Fedify: a reply, a like, a boost and a mention reach the board,
are verified, land where the moderation policy says, and an approved mention comes back to
Fedify as an Announce whose original Fedify fetches and verifies."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.interop.conftest import Peer
    from tests.support.processes import BoardProcess

pytestmark = pytest.mark.interop

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_JSON = "application/activity+json"
TIMEOUT = 30


def _follow_and_publish(peer: Peer, board: BoardProcess) -> str:
    """Alice follows the board, the board publishes a notice; return the notice's id."""
    peer.request({"cmd": "lookup", "handle": board.handle})
    peer.request({"cmd": "follow", "actor": board.actor_id})
    peer.wait_for(lambda e: e.get("event") == "inbox" and e.get("type") == "Accept", TIMEOUT)
    notice = board.post("Hoffest am Samstag", "Wer hilft beim Aufbau?")
    peer.wait_for(lambda e: e.get("event") == "inbox" and e.get("type") == "Create", TIMEOUT)
    return notice


def _note(peer: Peer, content: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"{peer.base}/notes/{uuid.uuid4()}",
        "type": "Note",
        "attributedTo": peer.actor,
        "content": content,
        "published": "2026-11-26T10:00:00Z",
        **fields,
    }


def _send(peer: Peer, board: BoardProcess, activity: dict[str, Any]) -> dict[str, Any]:
    return peer.request({"cmd": "send", "recipient": board.actor_id, "activity": activity})


def _queue(board: BoardProcess, state: str = "pending") -> list[dict[str, Any]]:
    result = board.cli("queue", "list", "--state", state, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _eventually(check: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def _replies(board: BoardProcess, notice: str) -> list[str]:
    status, body = board.http_get(notice.removeprefix(board.base_url) + "/replies", accept=AS_JSON)
    assert status == 200, body
    return json.loads(body)["orderedItems"]  # type: ignore[no-any-return]


def test_fedify_reply__is_held_then_shown_after_approval(
    peer: Peer, tls_board: BoardProcess
) -> None:
    notice = _follow_and_publish(peer, tls_board)
    reply = _note(peer, "<p>Ich bringe Bänke mit!</p>", inReplyTo=notice, to=[PUBLIC])
    reply["cc"] = [tls_board.actor_id]
    _send(peer, tls_board, {"type": "Create", "object": reply, "to": [PUBLIC]})

    items = _eventually(lambda: [i for i in _queue(tls_board) if i["kind"] == "reply"], "reply")
    assert "Bänke" in items[0]["summary"]
    assert _replies(tls_board, notice) == []  # held by the default policy

    result = tls_board.cli("queue", "approve", str(items[0]["id"]))
    assert result.returncode == 0, result.stderr
    assert _replies(tls_board, notice) == [reply["id"]]
    status, page = tls_board.http_get(notice.removeprefix(tls_board.base_url))
    assert status == 200 and "Ich bringe Bänke mit!" in page.decode()


def test_fedify_like_and_boost__are_counted_once_and_undone(
    peer: Peer, tls_board: BoardProcess
) -> None:
    notice = _follow_and_publish(peer, tls_board)
    like = {"id": f"{peer.base}/likes/{uuid.uuid4()}", "type": "Like", "object": notice}
    boost = {
        "id": f"{peer.base}/boosts/{uuid.uuid4()}",
        "type": "Announce",
        "object": notice,
        "to": [PUBLIC],
        "cc": [tls_board.actor_id],
    }
    for activity in (like, dict(like), boost):  # the same Like twice counts once
        _send(peer, tls_board, activity)
    path = notice.removeprefix(tls_board.base_url)

    def counts() -> str | None:
        text = tls_board.http_get(path)[1].decode()
        return text if "1 Gefällt mir" in text and "1 Mal geteilt" in text else None

    _eventually(counts, "one like and one boost on the page")
    _send(peer, tls_board, {"type": "Undo", "object": like})
    _eventually(lambda: "Gefällt mir" not in tls_board.http_get(path)[1].decode(), "undo")
    assert "1 Mal geteilt" in tls_board.http_get(path)[1].decode()


def test_fedify_mention__approved_is_announced_and_fedify_fetches_the_original(
    peer: Peer, tls_board: BoardProcess
) -> None:
    _follow_and_publish(peer, tls_board)
    handle = tls_board.handle
    mention = _note(
        peer,
        f'<p><a href="{tls_board.actor_id}" class="mention">{handle}</a> '
        "Flohmarkt im Hof, Sonntag ab 10 Uhr!</p>",
        to=[PUBLIC],
        cc=[tls_board.actor_id],
        tag=[{"type": "Mention", "href": tls_board.actor_id, "name": handle}],
    )
    peer.request({"cmd": "publish", "object": {"@context": AS_JSON_CONTEXT, **mention}})
    _send(peer, tls_board, {"type": "Create", "object": mention, "to": [PUBLIC]})
    items = _eventually(
        lambda: [i for i in _queue(tls_board) if i["kind"] == "mention"], "mention in queue"
    )
    assert "Flohmarkt" in items[0]["summary"]
    assert not peer.inbox_events("Announce")  # nothing is shared before approval

    result = tls_board.cli("queue", "approve", str(items[0]["id"]))
    assert result.returncode == 0, result.stderr
    announce = peer.wait_for(
        lambda e: e.get("event") == "inbox" and e.get("type") == "Announce", TIMEOUT
    )
    assert announce["verified"] is True
    assert announce["actor"] == tls_board.actor_id
    assert announce["raw"]["object"] == mention["id"]  # by id only, as Mastodon expects
    fetched = peer.request({"cmd": "fetch", "url": announce["raw"]["object"]})
    assert fetched["id"] == mention["id"]
    status, page = tls_board.http_get("/")
    assert status == 200 and "Flohmarkt im Hof" in page.decode()


def test_fedify_mention__rejected_sends_nothing(peer: Peer, tls_board: BoardProcess) -> None:
    _follow_and_publish(peer, tls_board)
    mention = _note(
        peer,
        "<p>Werbung für Kaffeefahrten</p>",
        to=[PUBLIC],
        tag=[{"type": "Mention", "href": tls_board.actor_id}],
    )
    _send(peer, tls_board, {"type": "Create", "object": mention, "to": [PUBLIC]})
    items = _eventually(
        lambda: [i for i in _queue(tls_board) if i["kind"] == "mention"], "mention in queue"
    )
    result = tls_board.cli("queue", "reject", str(items[0]["id"]), "--reason", "Werbung")
    assert result.returncode == 0, result.stderr
    assert _queue(tls_board, "rejected")[0]["reason"] == "Werbung"
    time.sleep(2)  # the delivery worker polls every second: an Announce would have come
    assert not peer.inbox_events("Announce")
    assert "Kaffeefahrten" not in tls_board.http_get("/")[1].decode()


AS_JSON_CONTEXT = "https://www.w3.org/ns/activitystreams"
