"""GoToSocial's interaction policies: a notice says whether replies wait for the board's
approval, a polite `ReplyRequest` is filed like any reply, and an approved reply is answered
with an `Accept` whose `ReplyAuthorization` the board serves (docs/federation/
interaction_controls.md in GoToSocial's repository; FEDERATION.md)."""

from __future__ import annotations

from typing import Any

import pytest

from noticeboard.participation import service as participation
from noticeboard.participation import settings
from tests.noticeboard.boards import AP_JSON, RunningBoard
from tests.noticeboard.test_fediverse_servers import deliver, payload, replies_html
from tests.support.fediverse import Fediverse, RemoteActor

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def notice_with_policy(board: RunningBoard, policy: str) -> int:
    assert board.run_on_board(lambda s: settings.set_reply_policy(s, policy)).ok
    url = board.publish(board.login(), "Hoffest am Samstag", "Alle sind eingeladen.")
    return int(url.rsplit("/", 1)[1])


def answers(actor: RemoteActor, type_: str) -> list[dict[str, Any]]:
    return [r.json() for r in actor.server.posts() if r.json().get("type") == type_]


def decide(board: RunningBoard, post_id: str, approve: bool) -> None:
    number = int(board.value("SELECT id FROM moderation_items WHERE ref = ?", post_id))
    if approve:
        result = board.run_on_board(lambda s: participation.approve(s, number))
    else:
        result = board.run_on_board(lambda s: participation.reject(s, number, "nicht passend"))
    assert result.ok
    board.drain()


def held(board: RunningBoard) -> list[str]:
    rows = board.rows("SELECT ref FROM moderation_items WHERE kind = 'reply' AND state = 'pending'")
    return [r["ref"] for r in rows]


# --- what a notice says ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "automatic", "manual"),
    [("hold", "board", [PUBLIC]), ("known", "board", [PUBLIC]), ("open", PUBLIC, None)],
)
def test_notice__says_whether_replies_wait_for_approval(
    board: RunningBoard, policy: str, automatic: str, manual: list[str] | None
) -> None:
    notice_id = notice_with_policy(board, policy)

    note = board.get_json(f"/notices/{notice_id}")

    can_reply = note["interactionPolicy"]["canReply"]
    expected = board.actor_id if automatic == "board" else automatic
    assert can_reply["automaticApproval"] == [expected]
    assert can_reply.get("manualApproval") == manual
    assert can_reply["always"] == can_reply["automaticApproval"]  # GoToSocial before 0.20
    assert note["interactionPolicy"]["canLike"] == {
        "automaticApproval": [PUBLIC],
        "always": [PUBLIC],
    }
    terms = note["@context"][-1]
    assert terms["interactionPolicy"] == {"@id": "gts:interactionPolicy", "@type": "@id"}
    assert terms["gts"] == "https://gotosocial.org/ns#"


# --- a reply sent without asking (GoToSocial before 0.21, and every other server) -------------


def test_plain_reply__held_then_approved_is_accepted_with_an_authorization(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = notice_with_policy(board, "hold")
    jo = fediverse.actor("jo")
    reply = payload("gotosocial-note-reply", jo, board, notice_id)
    deliver(board, jo, reply)
    post_id = reply["object"]["id"]
    assert held(board) == [post_id]
    assert answers(jo, "Accept") == []

    decide(board, post_id, approve=True)

    [accept] = answers(jo, "Accept")
    assert accept["object"] == post_id
    assert accept["target"] == board.url(f"/notices/{notice_id}")
    assert accept["to"] == [jo.id]
    assert accept["cc"] == [PUBLIC, f"{board.actor_id}/followers"]
    assert accept["result"].startswith(board.url("/authorizations/"))
    authorization = board.get_json(accept["result"].removeprefix(board.base_url))
    assert authorization == {
        "@context": authorization["@context"],
        "id": accept["result"],
        "type": "ReplyAuthorization",
        "attributedTo": board.actor_id,
        "interactingObject": post_id,
        "interactionTarget": board.url(f"/notices/{notice_id}"),
    }
    assert "Komme gern vorbei." in replies_html(board, notice_id)


def test_plain_reply__accept_reaches_the_boards_followers_too(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = notice_with_policy(board, "hold")
    follower = fediverse.actor("anna")
    deliver(board, follower, follower.follow(board.actor_id))
    jo = fediverse.actor("jo")
    reply = payload("gotosocial-note-reply", jo, board, notice_id)
    deliver(board, jo, reply)

    decide(board, reply["object"]["id"], approve=True)

    accepts = [
        r.json()
        for r in jo.server.posts()
        if r.json().get("type") == "Accept" and r.json().get("object") == reply["object"]["id"]
    ]
    paths = sorted(
        r.path
        for r in jo.server.posts()
        if r.json().get("type") == "Accept" and r.json().get("object") == reply["object"]["id"]
    )
    assert len({a["id"] for a in accepts}) == 1
    assert len(paths) == 2, paths  # jo's inbox and the follower's (shared) inbox


def test_plain_reply__rejected_gets_a_reject_and_no_authorization(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = notice_with_policy(board, "hold")
    jo = fediverse.actor("jo")
    reply = payload("gotosocial-note-reply", jo, board, notice_id)
    deliver(board, jo, reply)

    decide(board, reply["object"]["id"], approve=False)

    [reject] = answers(jo, "Reject")
    assert reject["object"] == reply["object"]["id"]
    assert reject["to"] == [jo.id]
    assert "cc" not in reject  # a refusal is told to the replier only
    assert answers(jo, "Accept") == []
    assert board.rows("SELECT token FROM reply_approvals") == [{"token": None}]


def test_shown_reply__hidden_later_loses_its_authorization(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = notice_with_policy(board, "hold")
    jo = fediverse.actor("jo")
    reply = payload("gotosocial-note-reply", jo, board, notice_id)
    deliver(board, jo, reply)
    decide(board, reply["object"]["id"], approve=True)
    [accept] = answers(jo, "Accept")
    path = accept["result"].removeprefix(board.base_url)

    board.run_on_board(lambda s: participation.hide_reply(s, reply["object"]["id"]))

    assert board.get(path, headers={"Accept": AP_JSON}).status_code == 410
    assert board.get("/authorizations/unknown", headers={"Accept": AP_JSON}).status_code == 404


def test_known_author__is_shown_and_accepted_at_once(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = notice_with_policy(board, "known")
    jo = fediverse.actor("jo")
    deliver(board, jo, jo.follow(board.actor_id))
    reply = payload("gotosocial-note-reply", jo, board, notice_id)

    deliver(board, jo, reply)

    assert held(board) == []
    assert [a["object"] for a in answers(jo, "Accept")][-1] == reply["object"]["id"]
    assert board.value("SELECT state FROM reply_approvals") == "accepted"


def test_open_replies__need_no_answer(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = notice_with_policy(board, "open")
    jo = fediverse.actor("jo")

    deliver(board, jo, payload("gotosocial-note-reply", jo, board, notice_id))

    assert answers(jo, "Accept") == []
    assert board.rows("SELECT * FROM reply_approvals") == []


# --- a polite ReplyRequest (GoToSocial 0.21 on) --------------------------------------------------


def test_reply_request__is_filed_like_a_reply_not_dropped(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = notice_with_policy(board, "hold")
    jo = fediverse.actor("jo")
    request = payload("gotosocial-reply-request", jo, board, notice_id)

    deliver(board, jo, request)

    assert held(board) == [request["instrument"]["id"]]


def test_reply_request__approved_is_accepted_to_the_replier_only(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = notice_with_policy(board, "hold")
    follower = fediverse.actor("anna")
    deliver(board, follower, follower.follow(board.actor_id))
    jo = fediverse.actor("jo")
    request = payload("gotosocial-reply-request", jo, board, notice_id)
    deliver(board, jo, request)

    decide(board, request["instrument"]["id"], approve=True)

    to_request = [
        r
        for r in jo.server.posts()
        if r.json()["type"] == "Accept" and r.json()["object"].get("type") == "ReplyRequest"
    ]
    assert [r.path for r in to_request] == [jo.inbox_path]  # not to the followers' inbox
    accept = to_request[0].json()
    assert accept["object"] == {
        "type": "ReplyRequest",
        "id": request["id"],
        "actor": jo.id,
        "object": board.url(f"/notices/{notice_id}"),
        "instrument": request["instrument"]["id"],
    }
    assert accept["to"] == [jo.id] and "cc" not in accept
    assert accept["result"].startswith(board.url("/authorizations/"))
    assert "Ich bringe Kuchen mit." in replies_html(board, notice_id)


def test_reply_request__rejected_gets_a_reject_of_the_request(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = notice_with_policy(board, "hold")
    jo = fediverse.actor("jo")
    request = payload("gotosocial-reply-request", jo, board, notice_id)
    deliver(board, jo, request)

    decide(board, request["instrument"]["id"], approve=False)

    [reject] = answers(jo, "Reject")
    assert reject["object"]["id"] == request["id"]
    assert reject["object"]["type"] == "ReplyRequest"


def test_reply_request__for_someone_elses_reply_is_not_filed(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    """Rule 9: the sender must be the reply's author on its own server."""
    notice_id = notice_with_policy(board, "hold")
    jo = fediverse.actor("jo")
    mallory = fediverse.actor("mallory")
    request = payload("gotosocial-reply-request", jo, board, notice_id)
    request["actor"] = mallory.id
    request["id"] = mallory.activity_id("reply-request-1")

    deliver(board, mallory, request)

    assert held(board) == []


def test_reply_request__for_a_notice_the_board_does_not_have_is_ignored(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    jo = fediverse.actor("jo")
    request = payload("gotosocial-reply-request", jo, board, 999)

    deliver(board, jo, request)

    assert held(board) == []
