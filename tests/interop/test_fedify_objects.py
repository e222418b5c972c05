"""Every type round-trips through federation: Fedify receives, verifies and parses each object
the board sends (Event, Question, Note in Create and Update, Tombstone in Delete), and a vote
sent from Fedify is counted on the board and reaches followers in the batched Update."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from tests.interop.conftest import PeerError
from tests.interop.test_fedify import AS_JSON, DELIVERY_TIMEOUT, PUBLIC, _follow

if TYPE_CHECKING:
    from tests.interop.conftest import Peer
    from tests.support.processes import BoardProcess

pytestmark = pytest.mark.interop

BERLIN = ZoneInfo("Europe/Berlin")
# The board sends batched poll totals from a loop that runs at startup and then every 60 s
# (noticeboard/app.py, _expire_forever); a vote waits at most one round.


def _post(board: BoardProcess, title: str, kind: str, *extra: str) -> str:
    result = board.cli("post", "--title", title, "--body", f"Text: {title}", "--type", kind, *extra)
    assert result.returncode == 0, f"aushang post --type {kind}: {result.stderr}"
    return result.stdout.strip().splitlines()[-1]


def _cli_ok(board: BoardProcess, *args: str) -> str:
    result = board.cli(*args)
    assert result.returncode == 0, f"aushang {' '.join(args)}: {result.stderr}"
    return result.stdout.strip().splitlines()[-1]


def _verified(peer: Peer, type_: str, object_id: str, timeout: float = DELIVERY_TIMEOUT) -> Any:
    """The next activity of `type_` about `object_id` that Fedify verified and parsed."""
    event = peer.wait_for(
        lambda e: (
            e.get("event") == "inbox"
            and e.get("type") == type_
            and (e.get("object") or {}).get("id") == object_id
        ),
        timeout=timeout,
    )
    assert event["verified"] is True
    assert "objectError" not in event, event["objectError"]
    return event


def _instant(value: str | None) -> datetime:
    """A time as Fedify reports it (Temporal.Instant, e.g. 2026-06-20T16:00:00Z)."""
    assert value, "Fedify parsed no time"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _totals(question: dict[str, Any], key: str = "oneOf") -> list[tuple[str, int | None]]:
    options = question.get(key)
    assert isinstance(options, list), f"Fedify could not read {key}: {options}"
    return [(o["name"], o["totalItems"]) for o in options]


def _served(board: BoardProcess, url: str) -> tuple[int, dict[str, Any]]:
    status, body = board.http_get(url.removeprefix(board.base_url), accept=AS_JSON)
    return status, json.loads(body) if body.strip().startswith(b"{") else {}


def _await_counted(board: BoardProcess, url: str, option: str, timeout: float = 30) -> Any:
    """Poll the served Question until `option` has a vote (the inbox works asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        status, question = _served(board, url)
        assert status == 200, (status, question)
        counts = {
            o["name"]: o["replies"]["totalItems"]
            for o in question.get("oneOf", []) + question.get("anyOf", [])
        }
        if counts.get(option) or time.monotonic() > deadline:
            return question
        time.sleep(0.3)


def test_fedify__parses_event_with_times_and_place(peer: Peer, tls_board: BoardProcess) -> None:
    _follow(peer, tls_board)
    title = f"Hoffest {uuid.uuid4().hex[:6]}"
    day = datetime.now(BERLIN).date() + timedelta(days=20)
    start = datetime.combine(day, datetime.min.time(), BERLIN).replace(hour=18)
    end = start + timedelta(hours=3)

    url = _post(
        tls_board, title, "event",
        "--start", start.replace(tzinfo=None).isoformat(timespec="minutes"),
        "--end", end.replace(tzinfo=None).isoformat(timespec="minutes"),
        "--place", "Hof der Grundschule, Nordstraße 12",
    )  # fmt: skip

    create = _verified(peer, "Create", url)
    event = create["object"]
    assert create["actor"] == tls_board.actor_id
    assert event["type"] == "Event", event["type"]
    assert event["name"] == title
    assert _instant(event["startTime"]) == start.astimezone(UTC)
    assert _instant(event["endTime"]) == end.astimezone(UTC)
    summary = event["summary"]
    assert summary and summary.endswith(f"{day:%d.%m.}, 18:00–21:00 · Hof der Grundschule"), summary
    assert f"<p>📅 {summary}</p>" in event["content"]
    assert event["attributedTo"] == [tls_board.actor_id]
    assert PUBLIC in event["to"]
    place = event["place"]
    assert (place["type"], place["name"]) == ("Place", "Hof der Grundschule"), place
    # Fedify's Place has no `address` (nor does ActivityStreams; the board's @context defines
    # no term for it either), so only the body as sent shows it.
    sent_place = create["raw"]["object"]["location"]
    assert sent_place == {
        "type": "Place",
        "name": "Hof der Grundschule",
        "address": "Nordstraße 12",
    }
    # what Fedify fetches at the id says the same
    fetched = peer.request({"cmd": "fetch", "url": url})
    assert fetched["type"] == "Event"
    assert (fetched["name"], fetched["startTime"]) == (title, event["startTime"])


def test_fedify__parses_question_votes_and_gets_the_batched_update(
    peer: Peer, tls_board: BoardProcess
) -> None:
    _follow(peer, tls_board)
    title = f"Sommerfest {uuid.uuid4().hex[:6]}"
    closes = (datetime.now(BERLIN) + timedelta(days=2)).replace(second=0, microsecond=0)
    url = _post(
        tls_board, title, "poll", "--option", "Juni", "--option", "Juli",
        "--closes", closes.replace(tzinfo=None).isoformat(timespec="minutes"),
    )  # fmt: skip

    create = _verified(peer, "Create", url)
    question = create["object"]
    assert question["type"] == "Question", question["type"]
    assert _totals(question) == [("Juni", 0), ("Juli", 0)]
    assert question["anyOf"] == []
    assert _instant(question["endTime"]) == closes.astimezone(UTC)
    assert question["closed"] is None

    # alice votes as Mastodon does: Create{Note{name: <option>, inReplyTo: <question>}}
    note_id = f"{peer.base}/notes/{uuid.uuid4()}"
    vote = {
        "type": "Create",
        "id": f"{note_id}/activity",
        "actor": peer.actor,
        "to": [tls_board.actor_id],
        "object": {
            "id": note_id,
            "type": "Note",
            "name": "Juli",
            "inReplyTo": url,
            "attributedTo": peer.actor,
            "to": [tls_board.actor_id],
        },
    }
    peer.request({"cmd": "send", "activity": vote, "recipient": tls_board.actor_id})

    served = _await_counted(tls_board, url, "Juli")
    assert [(o["name"], o["replies"]["totalItems"]) for o in served["oneOf"]] == [
        ("Juni", 0),
        ("Juli", 1),
    ], served
    assert served.get("votersCount") == 1, served
    fetched = peer.request({"cmd": "fetch", "url": url})
    assert fetched["type"] == "Question"
    assert _totals(fetched) == [("Juni", 0), ("Juli", 1)]

    # The totals go out batched, in the board's once-a-minute round, which also runs as the
    # board starts: a restart sends them now instead of up to a minute later.
    tls_board.restart()
    update = _verified(peer, "Update", url)
    updated = update["object"]
    assert update["actor"] == tls_board.actor_id
    assert updated["type"] == "Question", updated["type"]
    assert _totals(updated) == [("Juni", 0), ("Juli", 1)]
    assert updated["updated"], "the Update's Question carries no `updated`"
    assert update["raw"]["object"]["votersCount"] == 1
    # Mastodon & co. show votersCount: Fedify must read it, from the Create and the Update
    assert (question["votersCount"], fetched["votersCount"], updated["votersCount"]) == (0, 1, 1)


def test_fedify__parses_update_after_edit_and_delete_with_tombstone(
    peer: Peer, tls_board: BoardProcess
) -> None:
    _follow(peer, tls_board)
    suffix = uuid.uuid4().hex[:6]
    url = _post(tls_board, f"Hofflohmarkt {suffix}", "announcement")
    _verified(peer, "Create", url)

    assert _cli_ok(tls_board, "edit", url, "--title", f"Hofflohmarkt verschoben {suffix}") == url

    update = _verified(peer, "Update", url)
    note = update["object"]
    assert update["actor"] == tls_board.actor_id
    assert note["type"] == "Note", note["type"]
    assert f"<strong>Hofflohmarkt verschoben {suffix}</strong>" in note["content"]
    assert f"Text: Hofflohmarkt {suffix}" in note["content"], "the body was not kept"
    assert note["updated"], "the Update's Note carries no `updated`"
    assert _instant(note["updated"]) >= _instant(note["published"])

    assert _cli_ok(tls_board, "delete", url) == url

    delete = _verified(peer, "Delete", url)
    assert delete["actor"] == tls_board.actor_id
    assert delete["object"]["type"] == "Tombstone", delete["object"]
    assert PUBLIC in delete["raw"]["to"]
    status, tombstone = _served(tls_board, url)
    assert status == 410, (status, tombstone)
    assert (tombstone["type"], tombstone["id"]) == ("Tombstone", url)
    # Fedify's document loader reports the 410; lookupObject turns it into "not found"
    with pytest.raises(PeerError, match=re.escape(f"HTTP 410: {url}")):
        peer.request({"cmd": "load", "url": url})
    with pytest.raises(PeerError, match="returned null"):
        peer.request({"cmd": "fetch", "url": url})


def test_fedify__parses_update_with_done_line_of_give_lend(
    peer: Peer, tls_board: BoardProcess
) -> None:
    _follow(peer, tls_board)
    url = _post(tls_board, f"Bohrmaschine {uuid.uuid4().hex[:6]}", "give-lend")
    create = _verified(peer, "Create", url)
    assert "<p>🎁 Zu verschenken oder verleihen</p>" in create["object"]["content"]

    assert _cli_ok(tls_board, "done", url) == url

    update = _verified(peer, "Update", url)
    note = update["object"]
    assert update["actor"] == tls_board.actor_id
    assert note["type"] == "Note", note["type"]
    assert "<p>✅ Vergeben</p>" in note["content"], note["content"]
    assert "🎁" not in note["content"]
    assert note["updated"], "the Update's Note carries no `updated`"
