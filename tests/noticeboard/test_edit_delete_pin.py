"""Editing, deleting and pinning notices: on the board, for followers, and on the command line."""

from __future__ import annotations

from typing import Any

from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token
from tests.noticeboard.test_isolation import add_follower, publish
from tests.support.fediverse import Fediverse


def received(fediverse: Fediverse, path: str, type_: str) -> list[dict[str, Any]]:
    return [r.json() for r in fediverse.remote.posts(path) if r.json()["type"] == type_]


def follower(board: RunningBoard, fediverse: Fediverse) -> str:
    inbox = "/users/kim/inbox"
    add_follower(board, fediverse.remote.url("/users/kim"), fediverse.remote.url(inbox))
    return inbox


def test_edit__changes_the_page_and_sends_an_update(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    inbox = follower(board, fediverse)
    publish(board, "Hoffest am Samstag")
    board.drain()
    assert received(fediverse, inbox, "Create")
    client = board.login()
    form = client.get("/staff/notices/1/edit")
    assert 'value="Hoffest am Samstag"' in form.text
    response = client.post(
        "/staff/notices/1/edit",
        data={
            "csrf_token": csrf_token(form.text),
            "title": "Hoffest am Sonntag",
            "body": "Neuer Tag",
            "kind": "meetup",
            "action": "publish",
        },
    )
    assert response.status_code == 303
    assert "Hoffest am Sonntag" in board.get("/notices/1").text
    board.drain()
    updates = received(fediverse, inbox, "Update")
    assert updates
    note = updates[0]["object"]
    assert note["id"] == board.url("/notices/1")
    assert "<strong>Hoffest am Sonntag</strong>" in note["content"]
    assert "updated" in note


def test_edit__with_errors_keeps_the_notice(board: RunningBoard) -> None:
    publish(board, "Bleibt so")
    client = board.login()
    token = csrf_token(client.get("/staff/notices/1/edit").text)
    response = client.post(
        "/staff/notices/1/edit",
        data={"csrf_token": token, "title": "", "body": "x", "action": "publish"},
    )
    assert response.status_code == 400
    assert board.value("SELECT title FROM notices WHERE id = 1") == "Bleibt so"


def test_delete__sends_delete_and_the_url_answers_410_with_a_tombstone(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    inbox = follower(board, fediverse)
    publish(board, "Wird gelöscht")
    client = board.login()
    confirm = client.get("/staff/notices/1/delete")
    assert "Wird gelöscht" in confirm.text
    response = client.post("/staff/notices/1/delete", data={"csrf_token": csrf_token(confirm.text)})
    assert response.status_code == 303
    board.drain()
    deletes = received(fediverse, inbox, "Delete")
    assert deletes
    assert deletes[0]["object"]["id"] == board.url("/notices/1")
    assert deletes[0]["object"]["type"] == "Tombstone"
    ap = board.get("/notices/1", headers={"Accept": AP_JSON})
    assert ap.status_code == 410
    assert ap.json()["type"] == "Tombstone"
    assert board.get("/notices/1").status_code == 410
    assert "Wird gelöscht" not in board.get("/").text
    assert board.value("SELECT body_md FROM notices WHERE id = 1") == ""


def test_pin__puts_the_notice_first_and_into_featured(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    inbox = follower(board, fediverse)
    publish(board, "Wichtig: Sprechzeiten")
    publish(board, "Neuerer Aushang")
    client = board.login()
    token = csrf_token(client.get("/staff").text)
    assert (
        client.post("/staff/notices/1/pin", data={"csrf_token": token, "pinned": "1"}).status_code
        == 303
    )
    home = board.get("/").text
    assert home.index("Wichtig: Sprechzeiten") < home.index("Neuerer Aushang")
    featured = board.get_json("/users/nordstadt/featured")
    assert featured["totalItems"] == 1
    assert featured["orderedItems"][0]["id"] == board.url("/notices/1")
    board.drain()
    adds = received(fediverse, inbox, "Add")
    assert adds
    assert adds[0]["target"] == board.url("/users/nordstadt/featured")

    assert (
        client.post("/staff/notices/1/pin", data={"csrf_token": token, "pinned": "0"}).status_code
        == 303
    )
    assert board.get_json("/users/nordstadt/featured")["totalItems"] == 0
    board.drain()
    assert received(fediverse, inbox, "Remove")


def test_cli__edit_pin_unpin_delete(board: RunningBoard) -> None:
    result = board.cli("post", "--title", "Per Skript", "--body", "Text", "--type", "give-lend")
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    edited = board.cli("edit", url, "--title", "Per Skript geändert")
    assert (edited.returncode, edited.stdout.strip()) == (0, url)
    assert board.value("SELECT title FROM notices WHERE id = 1") == "Per Skript geändert"
    assert board.value("SELECT kind FROM notices WHERE id = 1") == "give-lend"
    assert board.cli("pin", url).returncode == 0
    again = board.cli("pin", url)
    assert again.returncode == 2 and "pinned already" in again.stderr
    assert board.cli("unpin", "1").returncode == 0
    assert board.cli("delete", url).returncode == 0
    gone = board.cli("edit", url, "--title", "x")
    assert gone.returncode == 2 and len(gone.stderr.strip().splitlines()) == 1
    foreign = board.cli("delete", "https://elsewhere.example/notices/1")
    assert foreign.returncode == 2 and "not a notice of this board" in foreign.stderr
