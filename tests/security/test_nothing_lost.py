"""Section G of the security rules (22-23): nothing is lost, through the real inbox and staff UI.

A handler that keeps failing is retried with backoff, then kept as 'failed' and shown to the
owner on /staff/problems with a retry button that works; a refused delivery likewise.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from tests.noticeboard.boards import RunningBoard, csrf_token
from tests.security.helpers import activity, actor_document, body_of, processed
from tests.support.fediverse import Fediverse, RemoteActor


@pytest.fixture
def alice(fediverse: Fediverse) -> RemoteActor:
    return fediverse.actor("alice")


def state_of(board: RunningBoard, activity_id: str) -> tuple[str, int]:
    row = board.rows("SELECT state, attempts FROM inbox_activities WHERE id = ?", activity_id)
    return (row[0]["state"], row[0]["attempts"]) if row else ("", 0)


def test_rule_22__raw_activity_is_committed_before_the_202(
    board: RunningBoard, alice: RemoteActor
) -> None:
    follow = alice.follow(board.actor_id)
    body = body_of(follow)

    response = alice.post(board.inbox, body, now=board.clock.now)

    assert response.status_code == 202, response.text
    # read straight after the answer, from the database file, in another connection
    [row] = board.rows("SELECT * FROM inbox_activities")
    assert row["id"] == follow["id"]
    assert row["actor"] == alice.id
    assert row["body"].encode("utf-8") == body
    board.drain()
    assert processed(board, follow["id"]), "processing"


def test_rule_22__stored_activity_survives_a_restart_and_is_processed_once(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    follow = alice.follow(board.actor_id)
    assert alice.post(board.inbox, follow, now=board.clock.now).status_code == 202
    board.stop()
    board.start()

    board.drain()
    assert processed(board, follow["id"]), "processing after the restart"
    assert fediverse.remote.posts(alice.inbox_path), "the Accept"
    assert len(board.followers()) == 1
    assert board.value("SELECT count(*) FROM deliveries") == 1


def test_rule_22__failing_handler_is_retried_then_failed_and_retried_by_the_owner(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    remote = fediverse.remote
    first = alice.follow(board.actor_id)
    assert alice.post(board.inbox, first, now=board.clock.now).status_code == 202
    board.drain()
    assert processed(board, first["id"]), "the follow"

    # alice's server breaks; her Update{Person} makes the board re-fetch her, which fails
    remote.serve_json("/users/alice", {"error": "maintenance"}, status=503)
    update = activity(alice, "Update", actor_document(alice), "update-1")
    assert alice.post(board.inbox, update, now=board.clock.now).status_code == 202
    board.drain()
    assert state_of(board, update["id"]) == ("pending", 1), "first failure"

    for attempt in range(2, 9):
        board.clock.advance(hours=7)  # beyond the longest backoff (6 h)
        nudge = activity(alice, "Ping", board.actor_id, f"nudge-{attempt}")
        assert alice.post(board.inbox, nudge, now=board.clock.now).status_code == 202
        expected = ("failed" if attempt == 8 else "pending", attempt)
        board.drain()
        assert state_of(board, update["id"]) == expected, f"attempt {attempt}"

    assert len(remote.gets("/users/alice")) == 1 + 8
    error = board.value("SELECT last_error FROM inbox_activities WHERE id = ?", update["id"])
    assert "503" in error
    board.clock.advance(hours=24)
    assert state_of(board, update["id"]) == ("failed", 8)  # kept, not retried or dropped

    owner = board.login()
    page = owner.get("/staff/problems", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f'name="activity_id" value="{update["id"]}"' in text
    assert "Update" in text and alice.id in text and "503" in text

    remote.serve_json("/users/alice", alice.document)  # the server is back
    retry = owner.post(
        "/staff/problems/inbox/retry",
        data={"csrf_token": csrf_token(page.text), "activity_id": update["id"]},
    )
    assert retry.status_code == 303
    board.drain()
    assert state_of(board, update["id"])[0] == "done", "processing after the retry button"
    after = html.unescape(owner.get("/staff/problems").text)
    assert update["id"] not in after


def test_rule_22__retry_button_needs_the_owner_and_a_csrf_token(
    board: RunningBoard, alice: RemoteActor
) -> None:
    anonymous = board.new_client().post(
        "/staff/problems/inbox/retry", data={"activity_id": "x", "csrf_token": "x"}
    )
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
    owner = board.login()
    assert owner.post("/staff/problems/inbox/retry", data={"activity_id": "x"}).status_code == 403


def test_rule_23__refused_delivery_is_listed_with_a_retry_button_that_requeues_it(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    remote = fediverse.remote
    remote.answer(alice.inbox_path, 400)  # the Accept is refused once
    follow = alice.follow(board.actor_id)
    assert alice.post(board.inbox, follow, now=board.clock.now).status_code == 202
    board.drain()
    assert board.value("SELECT state FROM deliveries") == "failed", "failed delivery"
    [delivery] = board.deliveries()
    assert delivery["last_status"] == 400

    owner = board.login()
    page = owner.get("/staff/problems", headers={"Accept-Language": "en"})
    action = f"/staff/problems/deliveries/{delivery['id']}/retry"
    assert f'action="{action}"' in page.text
    assert delivery["host"] in page.text

    retry = owner.post(action, data={"csrf_token": csrf_token(page.text)})

    assert retry.status_code == 303
    board.drain()
    assert board.value("SELECT state FROM deliveries") == "sent", "re-sent"
    posts = remote.posts(alice.inbox_path)
    assert len(posts) == 2
    assert posts[0].body == posts[1].body
    assert posts[1].json()["type"] == "Accept"
    assert action not in owner.get("/staff/problems").text


def test_rule_23__server_error_is_retried_later_honouring_retry_after(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    from federation.database import from_db_time

    remote = fediverse.remote
    remote.answer(alice.inbox_path, 503, headers={"Retry-After": "7200"})
    follow = alice.follow(board.actor_id)
    assert alice.post(board.inbox, follow, now=board.clock.now).status_code == 202
    board.drain()
    assert board.value("SELECT attempts FROM deliveries") == 1, "attempt"

    [delivery] = board.deliveries()
    assert delivery["state"] == "pending"
    wait = from_db_time(delivery["next_attempt_at"]) - from_db_time(delivery["updated"])
    assert timedelta(hours=2) <= wait <= timedelta(hours=2, minutes=1)


def test_rule_23__notice_deliveries_are_committed_before_published_is_shown(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    follow = alice.follow(board.actor_id)
    assert alice.post(board.inbox, follow, now=board.clock.now).status_code == 202
    board.drain()
    assert board.value("SELECT state FROM deliveries") == "sent", "Accept"
    remote = fediverse.remote
    remote.answer("/inbox", 503, 503, 503)  # the shared inbox is down for a while

    owner = board.login()
    token = csrf_token(owner.get("/staff/notices/new").text)
    response = owner.post(
        "/staff/notices/new",
        data={"csrf_token": token, "title": "Flohmarkt", "body": "Samstag", "action": "publish"},
    )

    assert response.status_code == 303
    rows = board.rows(
        "SELECT d.inbox, d.state FROM deliveries d JOIN outbox_activities o "
        "ON o.id = d.activity_id WHERE o.type = 'Create'"
    )
    assert [r["inbox"] for r in rows] == [remote.url("/inbox")]
    flash = owner.get("/staff", headers={"Accept-Language": "en"}).text
    assert re.search(r"1\s+followers?", flash), flash[:2000]
