"""Moving house as Mastodon accounts do: the new address names the old one in `alsoKnownAs`,
the old board sends `Move` to its followers, shows `movedTo` and redirects its pages; a board
follows a partner that moved. The other boards are RemoteActors on the fake fediverse."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token
from tests.noticeboard.test_sharing import (
    deliver,
    follow_partner,
    followed_by,
    following_state,
    partner,
    received,
)
from tests.support.fediverse import AS_CONTEXT, Fediverse, RemoteActor


def new_home(fediverse: Fediverse, username: str, also_known_as: list[str]) -> RemoteActor:
    """The board's (or a partner's) new address on another server, naming its old ones."""
    server = fediverse.servers["social.example"]
    actor = fediverse.actor(username, server=server, actor_type="Group")
    document = {**actor.document, "alsoKnownAs": also_known_as, "url": f"{server.origin}/"}
    return fediverse.publish(server, username, actor.private_key, document)


def actor_of(board: RunningBoard) -> dict[str, Any]:
    return board.get_json(f"/users/{board.config.username}")


def catch_up_with_the_command_line(board: RunningBoard) -> None:
    """The command line queues with the real clock: bring the board's clock there, then send."""
    board.clock.set(datetime.now(UTC) + timedelta(seconds=1))
    board.drain()


def move_of(actor: RemoteActor, target: str, suffix: str = "move-1") -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": actor.activity_id(suffix),
        "type": "Move",
        "actor": actor.id,
        "object": actor.id,
        "target": target,
    }


# --------------------------------------------------------------------------- the old board


def test_move_prepare__names_the_old_actor_in_also_known_as(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    old = partner(fediverse, "oldboard")

    result = board.cli("move", "prepare", "--from", old.handle)

    assert result.returncode == 0, result.stderr
    assert actor_of(board)["alsoKnownAs"] == [old.id]
    assert board.value("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == "move.prepare"


def test_move_forget__takes_the_alias_back_and_status_shows_it(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    old = partner(fediverse, "oldboard")
    assert board.cli("move", "prepare", "--from", old.handle).returncode == 0
    assert old.id in board.cli("move", "status").stdout

    result = board.cli("move", "forget", "--from", old.id)

    assert result.returncode == 0, result.stderr
    assert "alsoKnownAs" not in actor_of(board)
    assert board.cli("move", "forget", "--from", old.id).returncode == 2


def test_move_prepare__refuses_an_address_that_does_not_resolve(board: RunningBoard) -> None:
    result = board.cli("move", "prepare", "--from", "@nobody@remote.invalid")

    assert result.returncode == 2
    assert "alsoKnownAs" not in actor_of(board)


def test_move__refused_unless_the_target_names_the_board(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    stranger = new_home(fediverse, "stranger", [])

    result = board.cli("move", "--to", stranger.handle)

    assert result.returncode == 2
    assert "alsoKnownAs" in result.stderr
    assert "movedTo" not in actor_of(board)
    assert board.get("/").status_code == 200


def test_move__sends_move_to_followers_and_shows_moved_to(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    follower = fediverse.actor("carla", server=fediverse.servers["other.example"])
    followed_by(board, follower)
    target = new_home(fediverse, "newboard", [board.actor_id])

    result = board.cli("move", "--to", target.handle)
    catch_up_with_the_command_line(board)

    assert result.returncode == 0, result.stderr
    moves = received(follower.server, "/inbox", "Move")
    assert len(moves) == 1
    move = moves[0]
    assert (move["actor"], move["object"], move["target"]) == (
        board.actor_id,
        board.actor_id,
        target.id,
    )
    updates = received(follower.server, "/inbox", "Update")
    assert updates[-1]["object"]["movedTo"] == target.id
    assert actor_of(board)["movedTo"] == target.id


def test_moved_board__redirects_pages_and_keeps_answering_for_the_fediverse(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice = board.publish(board.login(), "Hoffest")
    target = new_home(fediverse, "newboard", [board.actor_id])
    assert board.cli("move", "--to", target.handle).returncode == 0
    new = target.server.origin

    assert board.get("/").status_code == 301
    assert board.get("/").headers["location"] == f"{new}/"
    assert board.get("/events").headers["location"] == f"{new}/events"
    assert board.get(notice.removeprefix(board.base_url)).headers["location"] == f"{new}/"
    # what other servers need to follow the move
    webfinger = board.get(f"/.well-known/webfinger?resource=acct:nordstadt@{board.authority}")
    assert webfinger.status_code == 200
    assert (
        board.get(notice.removeprefix(board.base_url), headers={"Accept": AP_JSON}).json()["id"]
        == notice
    )
    assert board.get("/staff").status_code == 303  # to the sign-in, which stays here
    assert board.get("/login").status_code == 200


def test_moved_board__answers_a_new_follow_with_reject(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    target = new_home(fediverse, "newboard", [board.actor_id])
    assert board.cli("move", "--to", target.handle).returncode == 0
    latecomer = fediverse.actor("lena", server=fediverse.servers["other.example"])

    deliver(board, latecomer, latecomer.follow(board.actor_id))
    board.drain()

    assert board.value("SELECT count(*) FROM followers WHERE actor_id = ?", latecomer.id) == 0
    assert received(latecomer.server, latecomer.inbox_path, "Reject")


def test_moved_board__a_follower_can_still_unfollow(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    follower = fediverse.actor("carla", server=fediverse.servers["other.example"])
    followed_by(board, follower)
    target = new_home(fediverse, "newboard", [board.actor_id])
    assert board.cli("move", "--to", target.handle).returncode == 0

    deliver(board, follower, follower.undo(follower.follow(board.actor_id, "follow-carla")))

    assert board.followers() == []


def test_move_page__owner_prepares_and_moves_on_the_web(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    staff = board.login()
    old = partner(fediverse, "oldboard")
    page = staff.get("/staff/continuity")
    assert page.status_code == 200
    response = staff.post(
        "/staff/continuity/prepare",
        data={"csrf_token": csrf_token(page.text), "account": old.handle},
    )
    assert response.status_code == 303
    assert actor_of(board)["alsoKnownAs"] == [old.id]

    target = new_home(fediverse, "newboard", [board.actor_id])
    page = staff.get("/staff/continuity")
    staff.post(
        "/staff/continuity/move",
        data={"csrf_token": csrf_token(page.text), "account": target.handle},
    )

    assert actor_of(board)["movedTo"] == target.id
    dashboard = staff.get("/staff").text
    assert "board-state" in dashboard and target.handle.lstrip("@") in dashboard


# --------------------------------------------------------------------------- partners that move


def test_partner_move__board_follows_the_new_address_and_unfollows_the_old(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    old = partner(fediverse, "suedstadt")
    follow_partner(board, old)
    new = new_home(fediverse, "suedstadt", [old.id])

    deliver(board, old, move_of(old, new.id))
    board.drain()

    assert following_state(board, old) is None
    assert following_state(board, new) == "pending"
    follows = received(new.server, new.inbox_path, "Follow")
    assert [f["object"] for f in follows] == [new.id]
    undos = received(old.server, old.inbox_path, "Undo")
    assert undos[-1]["object"]["object"] == old.id
    assert board.value("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == (
        "following.moved"
    )


def test_partner_move__ignored_unless_the_target_names_the_origin(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    old = partner(fediverse, "suedstadt")
    follow_partner(board, old)
    impostor = new_home(fediverse, "impostor", [])

    deliver(board, old, move_of(old, impostor.id))
    board.drain()

    assert following_state(board, old) == "accepted"
    assert following_state(board, impostor) is None
    assert not received(impostor.server, impostor.inbox_path, "Follow")


def test_partner_move__only_an_account_moves_itself(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    old = partner(fediverse, "suedstadt")
    follow_partner(board, old)
    mallory = fediverse.actor("mallory", server=fediverse.servers["other.example"])
    new = new_home(fediverse, "suedstadt", [old.id])
    move = {**move_of(mallory, new.id), "object": old.id}

    deliver(board, mallory, move)
    board.drain()

    assert following_state(board, old) == "accepted"
    assert following_state(board, new) is None


def test_follower_move__stays_a_follower_and_its_new_address_is_known(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    follower = fediverse.actor("carla", server=fediverse.servers["other.example"])
    followed_by(board, follower)
    new = new_home(fediverse, "carla", [follower.id])
    moved = {**follower.document, "movedTo": new.id}
    fediverse.publish(follower.server, "carla", follower.private_key, moved)

    deliver(board, follower, move_of(follower, new.id))

    assert [f["actor_id"] for f in board.followers()] == [follower.id]
    cached = board.value("SELECT document FROM remote_actors WHERE id = ?", follower.id)
    assert json.loads(cached)["movedTo"] == new.id
    assert board.value("SELECT count(*) FROM following") == 0
