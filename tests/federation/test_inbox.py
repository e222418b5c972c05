"""The inbox through the real route: who may speak (signatures), what is stored, what is answered.

Remote actors live on the fake fediverse (real HTTP servers); the board fetches their keys from
there and delivers its Accepts there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from federation import httpsig
from federation.inbox import MAX_BODY
from tests.noticeboard.boards import RunningBoard
from tests.support.fediverse import Fediverse, Recorded, RemoteActor
from tests.support.fediverse import client as remote_client

pytest_plugins = ["tests.noticeboard.boards"]

AP_JSON = "application/activity+json"


def send_follow(
    board: RunningBoard, actor: RemoteActor, suffix: str = "follow-1", **options: Any
) -> tuple[dict[str, Any], httpx.Response]:
    activity = actor.follow(board.actor_id, suffix)
    response = actor.post(
        options.pop("inbox", board.inbox), activity, now=board.clock.now, **options
    )
    return activity, response


def processed(board: RunningBoard, activity_id: str) -> bool:
    state = board.value("SELECT state FROM inbox_activities WHERE id = ?", activity_id)
    return state == "done"


def settled(board: RunningBoard) -> bool:
    """Every stored activity is processed and no delivery is waiting."""
    pending_inbox = board.value("SELECT count(*) FROM inbox_activities WHERE state = 'pending'")
    pending_out = board.value("SELECT count(*) FROM deliveries WHERE state = 'pending'")
    return pending_inbox == 0 and pending_out == 0


def verify_from_board(board: RunningBoard, fediverse: Fediverse, record: Recorded) -> None:
    """Check a request the board sent the way Mastodon would: signature, Digest, Date."""
    parsed = httpsig.parse_signature("POST", record.target, record.headers)
    assert not isinstance(parsed, httpsig.SignatureError), parsed
    assert parsed.key_id == f"{board.actor_id}#main-key"
    assert set(parsed.covered) >= {"(request-target)", "host", "date", "digest"}
    result = httpsig.verify_signature(
        parsed,
        board.public_key(),
        record.body,
        board.clock.now,
        expected_host=record.headers["host"],
    )
    assert result.ok, result.reason
    assert record.headers["digest"] == httpsig.digest_header(record.body)
    assert record.headers["content-type"].startswith(AP_JSON)


def nothing_stored(board: RunningBoard) -> bool:
    return (
        board.value("SELECT count(*) FROM inbox_activities") == 0
        and board.value("SELECT count(*) FROM followers") == 0
    )


@pytest.fixture
def alice(fediverse: Fediverse) -> RemoteActor:
    return fediverse.actor("alice")


# --- Follow, Accept, Undo ------------------------------------------------------------------


def test_inbox__follow_stores_follower_and_delivers_signed_accept(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    follow, response = send_follow(board, alice)

    assert response.status_code == 202, response.text
    board.drain()
    accepts = fediverse.remote.posts(alice.inbox_path)
    assert accepts, "the Accept"
    assert len(accepts) == 1
    accept = accepts[0].json()
    assert accept["type"] == "Accept"
    assert accept["actor"] == board.actor_id
    assert accept["object"]["id"] == follow["id"]
    assert accept["object"]["type"] == "Follow"
    assert accept["object"]["actor"] == alice.id
    assert accept["object"]["object"] == board.actor_id
    verify_from_board(board, fediverse, accepts[0])
    [follower] = board.followers()
    assert follower["actor_id"] == alice.id
    assert follower["state"] == "accepted"
    assert follower["follow_id"] == follow["id"]
    assert follower["shared_inbox"] == fediverse.remote.url("/inbox")
    assert board.get_json("/users/nordstadt/followers")["totalItems"] == 1


def test_inbox__shared_inbox_accepts_a_follow(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    _, response = send_follow(board, alice, inbox=board.shared_inbox)

    assert response.status_code == 202, response.text
    board.drain()
    assert board.followers(), "the follower"


def test_inbox__fetches_the_key_with_a_signed_get_of_the_instance_actor(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    send_follow(board, alice)

    [fetch] = fediverse.remote.gets("/users/alice")
    parsed = httpsig.parse_signature("GET", fetch.target, fetch.headers)
    assert not isinstance(parsed, httpsig.SignatureError), parsed
    assert parsed.key_id == board.url("/actor#main-key")
    assert "application/activity+json" in fetch.headers["accept"]


def test_inbox__follow_waits_for_staff_when_approval_is_required(
    make_board: Any, fediverse: Fediverse, alice: RemoteActor
) -> None:
    board = make_board(AUSHANG_FEDERATION_APPROVE_FOLLOWERS="true")
    follow, response = send_follow(board, alice)
    assert response.status_code == 202
    board.drain()
    assert processed(board, follow["id"]), "the Follow to be processed"
    assert [f["state"] for f in board.followers()] == ["pending"]
    assert board.get_json("/users/nordstadt/followers")["totalItems"] == 0
    assert fediverse.remote.posts() == []

    staff = board.login()
    dashboard = staff.get("/staff", params={"lang": "en"})
    assert alice.handle in dashboard.text
    action = re.search(r'action="(/staff/follows/\d+/approve)"', dashboard.text)
    token = re.search(r'name="csrf_token" value="([^"]+)"', dashboard.text)
    assert action and token
    approved = staff.post(action.group(1), data={"csrf_token": token.group(1)})

    assert approved.status_code == 303
    board.drain()
    accepts = fediverse.remote.posts(alice.inbox_path)
    assert accepts, "the Accept"
    assert accepts[0].json()["type"] == "Accept"
    assert accepts[0].json()["object"]["id"] == follow["id"]
    verify_from_board(board, fediverse, accepts[0])
    assert [f["state"] for f in board.followers()] == ["accepted"]


def test_inbox__approval_form_without_csrf_is_refused(
    make_board: Any, fediverse: Fediverse, alice: RemoteActor
) -> None:
    board = make_board(AUSHANG_FEDERATION_APPROVE_FOLLOWERS="true")
    follow, _ = send_follow(board, alice)
    board.drain()
    assert processed(board, follow["id"]), "the Follow to be processed"
    staff = board.login()
    row = board.value("SELECT rowid FROM followers")

    response = staff.post(f"/staff/follows/{row}/approve", data={})

    assert response.status_code == 403
    assert [f["state"] for f in board.followers()] == ["pending"]


def test_inbox__undo_follow_removes_the_follower(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    follow, _ = send_follow(board, alice)
    board.drain()
    assert board.followers(), "the follower"

    response = alice.post(board.inbox, alice.undo(follow), now=board.clock.now)

    assert response.status_code == 202, response.text
    board.drain()
    assert not board.followers(), "the follower to be removed"
    assert board.get_json("/users/nordstadt/followers")["totalItems"] == 0


def test_inbox__undo_of_another_actors_follow_leaves_it(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    bob = fediverse.actor("bob")
    follow, _ = send_follow(board, alice)
    board.drain()
    assert board.followers(), "the follower"

    undo = bob.undo(follow)
    response = bob.post(board.inbox, undo, now=board.clock.now)

    assert response.status_code == 202
    board.drain()
    assert processed(board, undo["id"]), "the Undo to be processed"
    assert [f["actor_id"] for f in board.followers()] == [alice.id]


def test_inbox__follow_of_someone_else_is_ignored(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    follow = alice.follow(fediverse.remote.url("/users/bob"))

    response = alice.post(board.inbox, follow, now=board.clock.now)

    assert response.status_code == 202
    board.drain()
    assert processed(board, follow["id"]), "the Follow to be processed"
    assert board.followers() == []


def test_inbox__mastodon_actor_with_property_value_fields_can_follow(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    mika = fediverse.mastodon_actor()

    _, response = send_follow(board, mika)

    assert response.status_code == 202, response.text
    board.drain()
    [follower] = board.followers()
    assert follower["actor_id"] == mika.id
    assert follower["shared_inbox"] == fediverse.servers["social.example"].url("/inbox")


def test_inbox__gotosocial_actor_with_separate_key_document_can_follow(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    jo = fediverse.gotosocial_actor()

    _, response = send_follow(board, jo)

    assert response.status_code == 202, response.text
    board.drain()
    assert board.followers(), "the follower"
    accepts = fediverse.servers["gts.example"].posts("/users/jo/inbox")
    assert accepts, "the Accept"
    verify_from_board(board, fediverse, accepts[0])


def test_inbox__rfc9421_signed_follow_is_accepted(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    _, response = send_follow(board, alice, scheme="rfc9421")

    assert response.status_code == 202, response.text
    board.drain()
    [follower] = board.followers()
    assert follower["actor_id"] == alice.id


def test_inbox__replayed_activity_is_stored_once(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    follow, first = send_follow(board, alice)
    _, second = send_follow(board, alice)

    assert (first.status_code, first.text) == (202, "accepted")
    assert (second.status_code, second.text) == (202, "already received")
    board.drain()
    assert settled(board) and board.followers(), "processing"
    assert board.value("SELECT count(*) FROM inbox_activities") == 1
    assert len(fediverse.remote.posts(alice.inbox_path)) == 1


# --- Delete -----------------------------------------------------------------------------------


def test_inbox__delete_of_an_unknown_actor_is_202_without_fetching(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    fediverse.remote.reset()  # alice is gone: her documents answer 404
    delete = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{alice.id}#delete",
        "type": "Delete",
        "actor": alice.id,
        "object": alice.id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }

    response = alice.post(board.inbox, delete, now=board.clock.now)

    assert response.status_code == 202
    assert response.text
    assert fediverse.all_requests() == []
    assert nothing_stored(board)


def test_inbox__delete_of_a_follower_removes_it(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    send_follow(board, alice)
    board.drain()
    assert board.followers(), "the follower"
    delete = {"id": f"{alice.id}#delete", "type": "Delete", "actor": alice.id, "object": alice.id}

    response = alice.post(board.inbox, delete, now=board.clock.now)

    assert response.status_code == 202
    board.drain()
    assert not board.followers(), "the follower to be removed"


# --- who is speaking: every rejection, nothing stored -------------------------------------------


def test_inbox__unsigned_post_is_401_with_a_reason(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    _, response = send_follow(board, alice, signed=False)

    assert response.status_code == 401
    assert "not signed" in response.text
    assert nothing_stored(board)
    assert fediverse.all_requests() == []


def test_inbox__rejects_digest_mismatch(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    def tamper(body: bytes) -> bytes:
        return body.replace(b'"Follow"', b'"Block"')

    _, response = send_follow(board, alice, tamper=tamper)

    assert response.status_code == 401
    assert "Digest" in response.text
    assert nothing_stored(board)


def test_inbox__rejects_a_post_without_digest(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    _, response = send_follow(board, alice, header_changes={"Digest": None})

    assert response.status_code == 401
    assert "Digest" in response.text or "digest" in response.text
    assert nothing_stored(board)


@pytest.mark.parametrize(
    ("offset", "reason"),
    [(timedelta(hours=-2), "too old"), (timedelta(hours=2), "in the future")],
)
def test_inbox__rejects_a_date_outside_the_hour(
    board: RunningBoard,
    fediverse: Fediverse,
    alice: RemoteActor,
    offset: timedelta,
    reason: str,
) -> None:
    _, response = send_follow(board, alice, clock_offset=offset)

    assert response.status_code == 401
    assert reason in response.text
    assert nothing_stored(board)


def test_inbox__accepts_a_date_within_the_hour(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    _, response = send_follow(board, alice, clock_offset=timedelta(minutes=-55))

    assert response.status_code == 202, response.text


def test_inbox__rejects_the_key_of_another_actor(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    bob = fediverse.actor("bob")

    _, response = send_follow(board, alice, key_id=bob.key_id, private_key=bob.private_key)

    assert response.status_code == 401
    assert "does not belong" in response.text
    assert nothing_stored(board)


def test_inbox__rejects_a_key_on_another_host_than_the_actor(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    mika = fediverse.mastodon_actor()

    _, response = send_follow(board, alice, key_id=mika.key_id, private_key=mika.private_key)

    assert response.status_code == 401
    assert "another host" in response.text
    assert fediverse.all_requests() == []  # refused before any fetch
    assert nothing_stored(board)


def test_inbox__rejects_a_signature_by_a_key_the_actor_does_not_publish(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    other_key = fediverse.keys.get(2)

    _, response = send_follow(board, alice, private_key=other_key)

    assert response.status_code == 401
    assert "signature" in response.text
    assert nothing_stored(board)


def test_inbox__rejects_a_signature_made_for_another_host(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    follow = alice.follow(board.actor_id)
    body = json.dumps(follow).encode()
    headers = alice.sign("http://board.example/users/nordstadt/inbox", body, board.clock.now)
    headers["Content-Type"] = AP_JSON

    with remote_client() as client:
        response = client.post(board.inbox, content=body, headers=headers)

    assert response.status_code == 401
    assert "Host" in response.text
    assert nothing_stored(board)


def test_inbox__rejects_an_actor_claiming_to_be_this_board(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    follow = alice.follow(board.actor_id)
    follow["actor"] = board.actor_id

    response = alice.post(board.inbox, follow, now=board.clock.now)

    assert response.status_code == 401
    assert nothing_stored(board)


# --- what the board accepts: parsing --------------------------------------------------------


def test_inbox__wrong_content_type_is_415(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    _, response = send_follow(board, alice, content_type="text/plain")

    assert response.status_code == 415
    assert "Content-Type" in response.text
    assert nothing_stored(board)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"this is not json", "invalid JSON"),
        (b"[]", "must be an object"),
        (b'"Follow"', "must be an object"),
        (b'{"a": "\\ud800"}', "lone surrogate"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[" * 200 + b"]" * 200, "depth"),
    ],
)
def test_inbox__body_that_is_not_a_json_object_is_400(
    board: RunningBoard, alice: RemoteActor, body: bytes, reason: str
) -> None:
    response = alice.post(board.inbox, body, now=board.clock.now)

    assert response.status_code == 400
    assert reason in response.text
    assert nothing_stored(board)


@pytest.mark.parametrize("missing", ["id", "type", "actor"])
def test_inbox__activity_without_id_type_or_actor_is_400(
    board: RunningBoard, alice: RemoteActor, missing: str
) -> None:
    follow = alice.follow(board.actor_id)
    del follow[missing]

    response = alice.post(board.inbox, follow, now=board.clock.now)

    assert response.status_code == 400
    assert f"has no {missing}" in response.text
    assert nothing_stored(board)


def test_inbox__body_over_one_mebibyte_is_413(board: RunningBoard, alice: RemoteActor) -> None:
    follow = alice.follow(board.actor_id)
    follow["padding"] = "x" * MAX_BODY

    response = alice.post(board.inbox, follow, now=board.clock.now)

    assert response.status_code == 413
    assert nothing_stored(board)


def test_inbox__chunked_body_over_one_mebibyte_is_413(served_board: RunningBoard) -> None:
    board = served_board  # the body streams in over TCP

    def chunks() -> Iterator[bytes]:
        yield b'{"padding": "'
        for _ in range(MAX_BODY // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    with httpx.Client(trust_env=False) as client:
        response = client.post(board.inbox, content=chunks(), headers={"Content-Type": AP_JSON})

    assert response.status_code == 413
    assert nothing_stored(board)


def test_inbox__unknown_activity_type_is_202_and_ignored(
    board: RunningBoard, alice: RemoteActor
) -> None:
    activity = {
        "id": alice.activity_id("dance-1"),
        "type": "Dance",
        "actor": alice.id,
        "object": board.actor_id,
    }

    response = alice.post(board.inbox, activity, now=board.clock.now)

    assert response.status_code == 202
    board.drain()
    assert processed(board, activity["id"]), "the activity to be processed"


def test_inbox__inbox_of_another_user_is_404(board: RunningBoard, alice: RemoteActor) -> None:
    follow = alice.follow(board.actor_id)

    response = alice.post(board.url("/users/suedstadt/inbox"), follow, now=board.clock.now)

    assert response.status_code == 404
    assert nothing_stored(board)


def test_inbox__raw_activity_is_committed_before_the_202(
    board: RunningBoard, alice: RemoteActor
) -> None:
    follow, response = send_follow(board, alice)

    assert response.status_code == 202
    rows = board.rows("SELECT id, actor, type, body FROM inbox_activities")
    assert [(r["id"], r["actor"], r["type"]) for r in rows] == [(follow["id"], alice.id, "Follow")]
    assert json.loads(rows[0]["body"]) == follow
