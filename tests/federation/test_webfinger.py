"""Discovery through the real app: WebFinger (RFC 7033), the Mastodon round trip, NodeInfo 2.1."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from federation.client import FederationClient
from federation.hosts import canonical_host
from federation.webfinger import WebFingerError, jrd, resolve_handle, self_link, split_acct
from tests.noticeboard.boards import RunningBoard
from tests.support.fediverse import Fediverse

pytest_plugins = ["tests.noticeboard.boards"]

JRD = "application/jrd+json"


def webfinger(board: RunningBoard, resource: str | None):
    params = {} if resource is None else {"resource": resource}
    return board.get("/.well-known/webfinger", params=params)


def test_webfinger__acct_with_port_answers_jrd_with_self_link(board: RunningBoard) -> None:
    response = webfinger(board, f"acct:nordstadt@{board.authority}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JRD)
    document = response.json()
    assert document["subject"] == f"acct:nordstadt@{board.authority}"
    self_links = [link for link in document["links"] if link["rel"] == "self"]
    assert self_links == [
        {"rel": "self", "type": "application/activity+json", "href": board.actor_id}
    ]
    assert self_link(document) == board.actor_id


def test_webfinger__links_the_html_profile_page(board: RunningBoard) -> None:
    document = webfinger(board, f"acct:nordstadt@{board.authority}").json()

    pages = [
        link["href"]
        for link in document["links"]
        if link["rel"] == "http://webfinger.net/rel/profile-page"
    ]
    assert pages == [board.url("/")]


@pytest.mark.parametrize(
    "resource",
    ["acct:NordStadt@{host}", "acct:NORDSTADT@{host}", "nordstadt@{host}", "@nordstadt@{host}"],
)
def test_webfinger__user_part_is_case_insensitive_and_prefix_optional(
    board: RunningBoard, resource: str
) -> None:
    response = webfinger(board, resource.format(host=board.authority))

    assert response.status_code == 200
    assert self_link(response.json()) == board.actor_id


def test_webfinger__actor_url_as_resource(board: RunningBoard) -> None:
    response = webfinger(board, board.actor_id)

    assert response.status_code == 200
    assert response.json()["subject"] == f"acct:nordstadt@{board.authority}"


def test_webfinger__unknown_user_is_404(board: RunningBoard) -> None:
    response = webfinger(board, f"acct:suedstadt@{board.authority}")

    assert response.status_code == 404
    assert response.text  # a reason a human can read


@pytest.mark.parametrize(
    "host", ["other.example", "127.0.0.1", "127.0.0.1:1", "nordstadt.example:{port}"]
)
def test_webfinger__other_host_is_404(board: RunningBoard, host: str) -> None:
    response = webfinger(board, f"acct:nordstadt@{host.format(port=board.port)}")

    assert response.status_code == 404
    assert "not a resource of this server" in response.text


def test_webfinger__missing_resource_is_400(board: RunningBoard) -> None:
    response = webfinger(board, None)

    assert response.status_code == 400
    assert "resource" in response.text


@pytest.mark.parametrize("resource", ["acct:nordstadt", "acct:@", "acct:nordstadt@"])
def test_webfinger__malformed_resource_is_400(board: RunningBoard, resource: str) -> None:
    response = webfinger(board, resource)

    assert response.status_code == 400
    assert response.text


def test_webfinger__instance_actor_is_discoverable(board: RunningBoard) -> None:
    response = webfinger(board, f"acct:127.0.0.1@{board.authority}")

    assert response.status_code == 200
    assert self_link(response.json()) == board.url("/actor")


def test_webfinger__mastodon_round_trip_finds_the_same_actor(board: RunningBoard) -> None:
    # Mastodon: fetch the actor, build user@host from preferredUsername and the id's host,
    # ask WebFinger again; the answer must name the same actor or the account is dropped.
    actor = board.get_json("/users/nordstadt")
    handle = f"acct:{actor['preferredUsername']}@{canonical_host(actor['id'])}"

    response = webfinger(board, handle)

    assert response.status_code == 200
    assert self_link(response.json()) == actor["id"]
    assert urlsplit(actor["id"]).netloc == board.authority


def test_nodeinfo__discovery_links_the_2_0_and_the_2_1_document(board: RunningBoard) -> None:
    response = board.get("/.well-known/nodeinfo")

    assert response.status_code == 200
    assert response.json() == {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": board.url("/nodeinfo/2.0"),
            },
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": board.url("/nodeinfo/2.1"),
            },
        ]
    }


def test_nodeinfo__a_2_0_reader_finds_a_valid_2_0_document(board: RunningBoard) -> None:
    # A client that reads only 2.0 (as Mastodon links it) follows the 2.0 link of the discovery.
    links = board.get("/.well-known/nodeinfo").json()["links"]
    href = next(link["href"] for link in links if link["rel"].endswith("/schema/2.0"))

    response = board.get(href.removeprefix(board.base_url))

    assert response.status_code == 200
    assert "nodeinfo.diaspora.software/ns/schema/2.0#" in response.headers["content-type"]
    document = response.json()
    assert document["version"] == "2.0"
    # The 2.0 schema allows only name and version under software (no repository).
    assert document["software"] == {"name": "aushang", "version": document["software"]["version"]}
    assert document["protocols"] == ["activitypub"]
    assert document["usage"]["users"]["total"] == 1


def test_nodeinfo__unknown_version_is_404(board: RunningBoard) -> None:
    response = board.get("/nodeinfo/1.0")

    assert response.status_code == 404
    assert "version" in response.text


def test_nodeinfo__document_2_1_counts_local_notices(board: RunningBoard) -> None:
    assert board.cli("post", "--title", "Flohmarkt", "--body", "Samstag").returncode == 0

    response = board.get("/nodeinfo/2.1")

    assert response.status_code == 200
    assert "nodeinfo.diaspora.software/ns/schema/2.1" in response.headers["content-type"]
    document = response.json()
    assert document["version"] == "2.1"
    assert document["software"]["name"] == "aushang"
    assert document["protocols"] == ["activitypub"]
    assert document["openRegistrations"] is False
    assert document["usage"]["users"]["total"] == 1
    assert document["usage"]["localPosts"] == 1
    assert document["metadata"]["nodeName"] == board.config.name


# --- the pure helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("acct:Board@Example.ORG", ("board", "example.org")),
        ("@board@example.org:8443", ("board", "example.org:8443")),
        ("board@xn--mnchen-3ya.example", ("board", "xn--mnchen-3ya.example")),
        ("board@münchen.example", ("board", "xn--mnchen-3ya.example")),
    ],
)
def test_split_acct__canonicalises(resource: str, expected: tuple[str, str]) -> None:
    assert split_acct(resource) == expected


@pytest.mark.parametrize("resource", ["acct:board", "@example.org", "board@", "a@b@c\\d"])
def test_split_acct__rejects_malformed(resource: str) -> None:
    with pytest.raises(WebFingerError):
        split_acct(resource)


def test_self_link__ignores_links_that_are_not_activity_json() -> None:
    document = {
        "links": [
            {"rel": "self", "type": "text/html", "href": "https://example.org/@board"},
            {"rel": "self", "type": "application/activity+json", "href": "https://x.example/a"},
        ]
    }

    assert self_link(document) == "https://x.example/a"
    assert self_link({"links": "nope"}) is None
    assert self_link(jrd("acct:a@b.example", "https://b.example/a", None)) == (
        "https://b.example/a"
    )


# --- resolving remote handles over real HTTP (the fake fediverse answers WebFinger) -----------


@pytest.mark.anyio
async def test_resolve_handle__finds_a_remote_actor(fediverse: Fediverse) -> None:
    alice = fediverse.actor("alice")

    async with FederationClient(
        user_agent="aushang-tests", allow_private=fediverse.allow_private
    ) as client:
        actor_id = await resolve_handle(client, alice.handle.upper().replace("@ALICE", "@Alice"))

    assert actor_id == alice.id
    [lookup] = fediverse.remote.gets("/.well-known/webfinger")
    assert (
        lookup.query == f"resource=acct%3Aalice%40{fediverse.remote.authority.replace(':', '%3A')}"
    )


@pytest.mark.anyio
async def test_resolve_handle__unknown_account_is_an_error(fediverse: Fediverse) -> None:
    async with FederationClient(
        user_agent="aushang-tests", allow_private=fediverse.allow_private
    ) as client:
        with pytest.raises(WebFingerError, match="WebFinger"):
            await resolve_handle(client, f"@nobody@{fediverse.remote.authority}")


@pytest.mark.anyio
async def test_resolve_handle__refuses_a_private_host_that_is_not_allowed(
    fediverse: Fediverse,
) -> None:
    alice = fediverse.actor("alice")

    async with FederationClient(user_agent="aushang-tests") as client:
        with pytest.raises(WebFingerError):
            await resolve_handle(client, alice.handle)

    assert fediverse.remote.received() == []
