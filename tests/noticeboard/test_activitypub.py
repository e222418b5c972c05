"""The board's ActivityPub documents: notices by content negotiation, outbox and followers pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.noticeboard.boards import AP_JSON, RunningBoard
from tests.support.fediverse import Fediverse
from tests.support.fediverse import client as remote_client

LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def publish_many(board: RunningBoard, count: int) -> list[str]:
    staff = board.login()
    return [board.publish(staff, f"Aushang {n:02d}", f"Text {n}") for n in range(count)]


def walk(board: RunningBoard, collection: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Fetch a collection and follow first/next to the end, as a remote server does."""
    top = board.get_json(collection)
    pages = []
    link = top.get("first")
    while link:
        assert urlsplit(link).netloc == board.authority
        parts = urlsplit(link)
        page = board.get_json(parts.path + (f"?{parts.query}" if parts.query else ""))
        pages.append(page)
        link = page.get("next")
        assert len(pages) < 10, "paging does not end"
    return top, pages


# --- notices by content negotiation -------------------------------------------------------


@pytest.mark.parametrize("accept", [AP_JSON, LD_JSON])
def test_notice__activity_json_by_content_negotiation(board: RunningBoard, accept: str) -> None:
    [url] = publish_many(board, 1)

    response = board.get("/notices/1", headers={"Accept": accept})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(AP_JSON)
    assert "Accept" in response.headers["vary"]
    note = response.json()
    assert note["id"] == url
    assert note["type"] == "Note"


def test_notice__html_for_browsers_links_the_activity_json(board: RunningBoard) -> None:
    [url] = publish_many(board, 1)

    response = board.get("/notices/1", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    links = re.findall(
        r'<link rel="alternate" type="application/activity\+json" href="([^"]+)"', response.text
    )
    assert links == [url]
    assert "Aushang 00" in response.text


def test_notice__unknown_notice_is_404_for_machines_too(board: RunningBoard) -> None:
    response = board.get("/notices/42", headers={"Accept": AP_JSON})

    assert response.status_code == 404
    assert response.text


def test_notice__replies_collection_is_served(board: RunningBoard) -> None:
    publish_many(board, 1)

    replies = board.get_json("/notices/1/replies")

    assert replies["type"] == "OrderedCollection"
    assert replies["id"] == board.url("/notices/1/replies")
    assert board.get_json("/notices/1")["replies"] == replies["id"]


# --- outbox -----------------------------------------------------------------------------------


def test_outbox__empty_board_has_an_empty_first_page(board: RunningBoard) -> None:
    top, pages = walk(board, "/users/nordstadt/outbox")

    assert top["type"] == "OrderedCollection"
    assert top["totalItems"] == 0
    assert [page["orderedItems"] for page in pages] == [[]]


def test_outbox__pages_of_twenty_newest_first_with_keyset_paging(board: RunningBoard) -> None:
    urls = publish_many(board, 21)

    top, pages = walk(board, "/users/nordstadt/outbox")

    assert top["id"] == board.url("/users/nordstadt/outbox")
    assert top["totalItems"] == 21
    assert top["@context"][0] == "https://www.w3.org/ns/activitystreams"
    first = pages[0]
    assert first["type"] == "OrderedCollectionPage"
    assert first["partOf"] == top["id"]
    assert len(first["orderedItems"]) == 20
    assert "next" in first
    assert "next" not in pages[-1]
    items = [item for page in pages for item in page["orderedItems"]]
    assert [item["object"]["id"] for item in items] == list(reversed(urls))
    assert all(item["type"] == "Create" and "@context" not in item for item in items)


def test_outbox__private_activities_are_not_listed(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    assert alice.post(board.inbox, alice.follow(board.actor_id), now=board.clock.now).status_code
    board.drain()
    [accept] = fediverse.remote.posts(alice.inbox_path)

    top, pages = walk(board, "/users/nordstadt/outbox")
    accept_path = urlsplit(accept.json()["id"]).path
    response = board.get(accept_path, headers={"Accept": AP_JSON})

    assert top["totalItems"] == 0
    assert pages[0]["orderedItems"] == []
    assert response.status_code == 404


@pytest.mark.parametrize("before", ["garbage", "'; DROP TABLE notices; --", "9" * 200])
def test_outbox__odd_before_cursor_is_not_a_server_error(board: RunningBoard, before: str) -> None:
    publish_many(board, 1)

    response = board.get(
        "/users/nordstadt/outbox",
        params={"page": "true", "before": before},
        headers={"Accept": AP_JSON},
    )

    assert response.status_code in (200, 400)
    assert board.value("SELECT count(*) FROM notices") == 1


# --- followers ----------------------------------------------------------------------------


def test_followers__paged_collection_of_accepted_followers(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    actors = [fediverse.actor(f"neighbour{n:02d}") for n in range(21)]
    for actor in actors:
        response = actor.post(board.inbox, actor.follow(board.actor_id), now=board.clock.now)
        assert response.status_code == 202, response.text
    board.drain()
    assert len(board.followers()) == 21, "21 followers"

    top, pages = walk(board, "/users/nordstadt/followers")

    assert top["type"] == "OrderedCollection"
    assert top["totalItems"] == 21
    assert len(pages) == 2
    assert len(pages[0]["orderedItems"]) == 20
    assert [page["partOf"] for page in pages] == [top["id"], top["id"]]
    listed = [item for page in pages for item in page["orderedItems"]]
    assert sorted(listed) == sorted(actor.id for actor in actors)
    assert len(set(listed)) == 21


def test_followers__pending_requests_are_not_listed(make_board: Any, fediverse: Fediverse) -> None:
    board = make_board(AUSHANG_FEDERATION_APPROVE_FOLLOWERS="true")
    alice = fediverse.actor("alice")
    alice.post(board.inbox, alice.follow(board.actor_id), now=board.clock.now)
    board.drain()
    assert board.followers(), "the pending follower"

    top, pages = walk(board, "/users/nordstadt/followers")

    assert top["totalItems"] == 0
    assert pages[0]["orderedItems"] == []


def test_collections__other_usernames_are_404(board: RunningBoard) -> None:
    for name in ("outbox", "followers", "following", "featured"):
        response = board.get(f"/users/suedstadt/{name}", headers={"Accept": AP_JSON})
        assert response.status_code == 404, name


def test_collections__served_without_signature_to_anyone(board: RunningBoard) -> None:
    with remote_client() as anonymous:
        response = anonymous.get(board.url("/users/nordstadt/outbox"))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(AP_JSON)
