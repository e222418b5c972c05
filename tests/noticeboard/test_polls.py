"""Polls: a Question residents vote on from Mastodon or the web page, with batched totals."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from noticeboard.notices import service as notices
from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token
from tests.noticeboard.test_isolation import add_follower
from tests.support.fediverse import Fediverse, RemoteActor


def post_poll(board: RunningBoard, **fields: str) -> int:
    client = board.login()
    token = csrf_token(client.get("/staff/notices/new").text)
    data = {
        "csrf_token": token,
        "kind": "poll",
        "title": "Welcher Tag fürs Hoffest?",
        "body": "Bitte abstimmen",
        "options": "Samstag\nSonntag\nMontag",
        "closes": "2026-03-09T18:00",
        "action": "publish",
        **fields,
    }
    response = client.post("/staff/notices/new", data=data)
    assert response.status_code == 303, response.text[:3000]
    return int(board.value("SELECT max(id) FROM notices"))


def question(board: RunningBoard, notice_id: int) -> dict[str, Any]:
    return board.get_json(f"/notices/{notice_id}")


def totals(board: RunningBoard, notice_id: int) -> dict[str, int]:
    doc = question(board, notice_id)
    choices = doc.get("oneOf") or doc.get("anyOf")
    return {c["name"]: c["replies"]["totalItems"] for c in choices}


def vote_activity(actor: RemoteActor, board: RunningBoard, notice_id: int, name: str, n: int):
    note_id = actor.activity_id(f"vote-{n}")
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": note_id + "/activity",
        "type": "Create",
        "actor": actor.id,
        "to": [board.actor_id],
        "object": {
            "id": note_id,
            "type": "Note",
            "name": name,
            "attributedTo": actor.id,
            "inReplyTo": board.url(f"/notices/{notice_id}"),
            "to": [board.actor_id],
        },
    }


def send_vote(board, actor, notice_id, name, n) -> httpx.Response:
    activity = vote_activity(actor, board, notice_id, name, n)
    return actor.post(board.inbox, activity, now=board.clock.now)


def processed(board: RunningBoard) -> bool:
    return not board.rows("SELECT id FROM inbox_activities WHERE state = 'pending'")


def test_poll__is_a_question_with_options_end_time_and_voters(board: RunningBoard) -> None:
    notice_id = post_poll(board)
    doc = question(board, notice_id)
    assert doc["type"] == "Question"
    assert [c["name"] for c in doc["oneOf"]] == ["Samstag", "Sonntag", "Montag"]
    assert doc["endTime"] == "2026-03-09T17:00:00Z"
    assert doc["votersCount"] == 0
    assert "closed" not in doc


def test_fediverse_votes__count_once_per_actor(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = post_poll(board)
    alice, bob = fediverse.actor("alice"), fediverse.actor("bob")
    assert send_vote(board, alice, notice_id, "Sonntag", 1).status_code == 202
    assert send_vote(board, alice, notice_id, "Samstag", 2).status_code == 202  # a second choice
    assert send_vote(board, bob, notice_id, "Sonntag", 1).status_code == 202
    assert send_vote(board, bob, notice_id, "Gibt es nicht", 2).status_code == 202
    board.drain()
    assert processed(board)
    assert totals(board, notice_id) == {"Samstag": 0, "Sonntag": 2, "Montag": 0}
    assert question(board, notice_id)["votersCount"] == 2
    assert board.rows("SELECT id FROM remote_posts") == []  # votes are not posts


def test_multiple_choice__counts_each_option_once(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = post_poll(board, multiple="1")
    alice = fediverse.actor("alice")
    for n, name in enumerate(["Samstag", "Montag", "Montag"]):
        send_vote(board, alice, notice_id, name, n)
    board.drain()
    assert processed(board)
    doc = question(board, notice_id)
    assert "anyOf" in doc
    assert totals(board, notice_id) == {"Samstag": 1, "Sonntag": 0, "Montag": 1}
    assert doc["votersCount"] == 1


def test_votes__are_ignored_after_closing_and_the_question_says_closed(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = post_poll(board)
    board.clock.advance(timedelta(days=8))
    alice = fediverse.actor("alice")
    send_vote(board, alice, notice_id, "Samstag", 1)
    board.drain()
    assert processed(board)
    assert totals(board, notice_id)["Samstag"] == 0
    assert question(board, notice_id)["closed"] == "2026-03-09T17:00:00Z"
    page = board.get(f"/notices/{notice_id}").text
    assert "Ergebnis der Umfrage" in page and "<form" not in page.split('id="poll"')[1]


def test_followers__get_one_batched_update_with_the_new_totals(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    inbox = "/users/kim/inbox"
    add_follower(board, fediverse.remote.url("/users/kim"), fediverse.remote.url(inbox))
    notice_id = post_poll(board)
    voters = [fediverse.actor(name) for name in ("alice", "bob", "carla")]
    for n, actor in enumerate(voters):
        send_vote(board, actor, notice_id, "Montag", n)
    board.drain(periodic=False)  # the batched totals are sent by the flush below
    assert processed(board)
    assert board.run_on_board(notices.flush_polls) == 1
    assert board.run_on_board(notices.flush_polls) == 0  # nothing new: no second Update

    def updates() -> list[dict[str, Any]]:
        return [r.json() for r in fediverse.remote.posts(inbox) if r.json()["type"] == "Update"]

    board.drain()
    (update,) = updates()
    assert update["object"]["type"] == "Question"
    assert update["object"]["votersCount"] == 3


def test_web_vote__one_per_browser(board: RunningBoard) -> None:
    notice_id = post_poll(board)
    browser = board.new_client(Origin=board.base_url)
    first = browser.post(f"/notices/{notice_id}/vote", data={"option": "1"})
    assert first.status_code == 303 and "vote=counted" in first.headers["location"]
    assert "aushang_voter" in first.headers["set-cookie"]
    again = browser.post(f"/notices/{notice_id}/vote", data={"option": "0"})
    assert "vote=already" in again.headers["location"]
    other = board.new_client(Origin=board.base_url)
    other.post(f"/notices/{notice_id}/vote", data={"option": "1"})
    assert totals(board, notice_id) == {"Samstag": 0, "Sonntag": 2, "Montag": 0}
    thanks = browser.get(f"/notices/{notice_id}?vote=counted").text
    assert "Danke! Ihre Stimme wurde gezählt." in thanks


def test_web_vote__from_another_site_or_without_choice_is_refused(board: RunningBoard) -> None:
    notice_id = post_poll(board)
    forged = board.new_client(Origin="https://evil.example")
    assert forged.post(f"/notices/{notice_id}/vote", data={"option": "1"}).status_code == 403
    empty = board.new_client(Origin=board.base_url).post(f"/notices/{notice_id}/vote", data={})
    assert "vote=choice" in empty.headers["location"]
    beyond = board.new_client(Origin=board.base_url).post(
        f"/notices/{notice_id}/vote", data={"option": "7"}
    )
    assert "vote=choice" in beyond.headers["location"]
    assert board.rows("SELECT * FROM poll_votes") == []


def test_web_vote__with_participation_codes_one_code_one_vote(board: RunningBoard) -> None:
    notice_id = post_poll(board, web_votes="code")
    result = board.cli("poll-codes", str(notice_id), "--count", "2", "--json")
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout)
    voter = board.new_client(Origin=board.base_url)
    wrong = voter.post(f"/notices/{notice_id}/vote", data={"option": "0", "code": "falsch"})
    assert "vote=code" in wrong.headers["location"]
    ok = voter.post(f"/notices/{notice_id}/vote", data={"option": "0", "code": first})
    assert "vote=counted" in ok.headers["location"]
    reused = board.new_client(Origin=board.base_url).post(
        f"/notices/{notice_id}/vote", data={"option": "1", "code": first}
    )
    assert "vote=code" in reused.headers["location"]
    voter.post(f"/notices/{notice_id}/vote", data={"option": "2", "code": second.upper()})
    assert totals(board, notice_id) == {"Samstag": 1, "Sonntag": 0, "Montag": 1}
    staff = board.login()
    codes_page = staff.get(f"/staff/notices/{notice_id}/codes").text
    assert first in codes_page and second in codes_page


def test_poll_codes__web_and_command_line_refuse_the_same_counts(board: RunningBoard) -> None:
    notice_id = post_poll(board, web_votes="code")
    for count in ("0", "501"):
        result = board.cli("poll-codes", str(notice_id), "--count", count)
        assert result.returncode == 2 and "1 to 500 codes" in result.stderr
    staff = board.login()
    page = staff.get(f"/staff/notices/{notice_id}/codes")
    for count in ("0", "501", "viele"):
        refused = staff.post(
            f"/staff/notices/{notice_id}/codes",
            data={"csrf_token": csrf_token(page.text), "count": count},
        )
        assert refused.status_code == 400, refused.text[:200]
    assert board.rows("SELECT * FROM poll_codes") == []


def test_cli__posts_a_poll_and_refuses_changing_its_answers(board: RunningBoard) -> None:
    result = board.cli(
        "post", "--title", "Farbe der Bank?", "--body", "Abstimmen", "--type", "poll",
        "--option", "Grün", "--option", "Blau", "--multiple", "--closes", "2099-03-05T12:00",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = board.get(result.stdout.strip(), headers={"Accept": AP_JSON}).json()
    assert [c["name"] for c in doc["anyOf"]] == ["Grün", "Blau"]
    changed = board.cli("edit", result.stdout.strip(), "--option", "Rot", "--option", "Blau")
    assert changed.returncode == 2 and "cannot be changed" in changed.stderr
    one = board.cli("post", "--title", "x", "--body", "y", "--type", "poll", "--option", "A")
    assert one.returncode == 2


def test_web_vote__oversized_form_is_refused(board: RunningBoard) -> None:
    notice_id = post_poll(board)
    browser = board.new_client(Origin=board.base_url)
    response = browser.post(f"/notices/{notice_id}/vote", data={"option": "1", "x": "y" * 9000})
    assert response.status_code == 413
    assert board.rows("SELECT * FROM poll_votes") == []
