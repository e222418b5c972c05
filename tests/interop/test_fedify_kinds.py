"""Kinds of notice round-trip to Fedify: the peer receives verified Creates of every kind
posted with `aushang post --type` (as Note, Event or Question), parses summary line and kind
hashtag, and a verified Update when an offer or request is marked done with `aushang done`."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from tests.interop.test_fedify import DELIVERY_TIMEOUT, PUBLIC, _follow

if TYPE_CHECKING:
    from tests.interop.conftest import Peer
    from tests.support.processes import BoardProcess

pytestmark = pytest.mark.interop

BERLIN = ZoneInfo("Europe/Berlin")
# kind -> (German summary label, default hashtag); the event's line names its time instead
KINDS = {
    "announcement": ("📢 Aushang", "Aushang"),
    "offer-help": ("🤝 Biete Hilfe", "HilfeAngebot"),
    "need-help": ("🙋 Suche Hilfe", "HilfeGesucht"),
    "give-lend": ("🎁 Zu verschenken oder verleihen", "ZuVerschenken"),
    "looking-for": ("🔎 Suche etwas", "Gesucht"),
    "lost-found": ("🧤 Verloren und gefunden", "Fundsache"),
    "meetup": ("👥 Gruppe oder Treffen", "Treffen"),
}


def _post(board: BoardProcess, title: str, kind: str, *extra: str) -> str:
    result = board.cli("post", "--title", title, "--body", f"Text: {title}", "--type", kind, *extra)
    assert result.returncode == 0, f"aushang post --type {kind}: {result.stderr}"
    return result.stdout.strip().splitlines()[-1]


def _verified(peer: Peer, type_: str, object_id: str) -> dict[str, Any]:
    event = peer.wait_for(
        lambda e: (
            e.get("event") == "inbox"
            and e.get("type") == type_
            and (e.get("object") or {}).get("id") == object_id
        ),
        timeout=DELIVERY_TIMEOUT,
    )
    assert event["verified"] is True
    assert "objectError" not in event, event["objectError"]
    return event


def _tag_names(obj: dict[str, Any]) -> list[str]:
    tags = obj.get("tags")
    assert isinstance(tags, list), f"Fedify could not read the tags: {tags}"
    return [t["name"] for t in tags if t.get("type") == "Hashtag"]


def test_fedify__receives_every_kind_as_a_verified_create_with_summary_line_and_hashtag(
    peer: Peer, tls_board: BoardProcess
) -> None:
    _follow(peer, tls_board)
    suffix = uuid.uuid4().hex[:6]
    day = datetime.now(BERLIN).date() + timedelta(days=20)
    urls = {
        kind: _post(tls_board, f"{kind} {suffix}", kind, "--valid-until", day.isoformat())
        for kind in KINDS
    }
    start = datetime.combine(day, datetime.min.time()).replace(hour=18)
    event_url = _post(
        tls_board, f"Hoffest {suffix}", "event",
        "--start", start.isoformat(timespec="minutes"),
        "--end", (start + timedelta(hours=3)).isoformat(timespec="minutes"),
        "--place", "Hof der Grundschule, Nordstraße 12",
    )  # fmt: skip

    poll_url = _post(
        tls_board, f"Sommerfest {suffix}", "poll", "--option", "Juni", "--option", "Juli"
    )

    for kind, (label, hashtag) in KINDS.items():
        create = _verified(peer, "Create", urls[kind])
        note = create["object"]
        assert create["actor"] == tls_board.actor_id
        assert note["type"] == "Note", (kind, note["type"])
        assert f"<strong>{kind} {suffix}</strong>" in note["content"]
        assert f"<p>{label} · bis {day:%d.%m.}</p>" in note["content"], (kind, note["content"])
        assert f"#{hashtag}" in _tag_names(note), (kind, note.get("tags"))
        assert PUBLIC in note["to"]

    event = _verified(peer, "Create", event_url)["object"]
    assert event["type"] == "Event", event["type"]
    assert event["name"] == f"Hoffest {suffix}"
    assert event["startTime"], "Fedify parsed no startTime"
    assert "📅 " in event["content"] and f"{day:%d.%m.}, 18:00–21:00" in event["content"]
    assert "#Termin" in _tag_names(event)
    assert event.get("location") == {"type": "Place", "name": "Hof der Grundschule"}

    poll = _verified(peer, "Create", poll_url)["object"]
    assert poll["type"] == "Question", poll["type"]
    assert "<p>🗳 Umfrage" in poll["content"], poll["content"]
    assert "#Umfrage" in _tag_names(poll)
    assert [o["name"] for o in poll["oneOf"]] == ["Juni", "Juli"], poll.get("oneOf")
    assert poll["anyOf"] == []


def test_fedify__receives_a_verified_update_with_the_done_line(
    peer: Peer, tls_board: BoardProcess
) -> None:
    _follow(peer, tls_board)
    url = _post(tls_board, f"Schlüsselbund {uuid.uuid4().hex[:6]}", "looking-for")
    _verified(peer, "Create", url)

    result = tls_board.cli("done", url)

    assert (result.returncode, result.stdout.strip()) == (0, url), result.stderr
    update = _verified(peer, "Update", url)
    note = update["object"]
    assert update["actor"] == tls_board.actor_id
    assert note["type"] == "Note"
    assert "<p>✅ Gefunden</p>" in note["content"], note["content"]
    assert "🔎 Suche etwas" not in note["content"]
    assert note["updated"], "the Update's Note carries no `updated`"
    assert "#Gesucht" in _tag_names(note)
    # what Fedify fetches at the id now says the same
    fetched = peer.request({"cmd": "fetch", "url": url})
    assert "<p>✅ Gefunden</p>" in fetched["content"]
