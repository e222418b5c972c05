"""Actors: the board's Group and instance actor as served, remote actors as fetched and parsed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.actors import ActorError, ActorResolver, parse_actor
from federation.client import FederationClient
from federation.database import MIGRATION_DIR as FEDERATION_MIGRATIONS
from federation.database import Database
from federation.keys import load_public_key
from federation.vocab import AS_CONTEXT, SECURITY_CONTEXT
from tests.noticeboard.boards import START, MutableClock, RunningBoard
from tests.support.fediverse import Fediverse

pytest_plugins = ["tests.noticeboard.boards"]

AP_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def alternate_links(html: str) -> list[str]:
    return re.findall(
        r'<link rel="alternate" type="application/activity\+json" href="([^"]+)"', html
    )


# --- the board's Group actor ---------------------------------------------------------------


def test_actor__is_a_group_with_every_field_mastodon_reads(board: RunningBoard) -> None:
    doc = board.get_json("/users/nordstadt")
    actor = board.actor_id

    assert doc["type"] == "Group"
    assert doc["id"] == actor
    assert doc["preferredUsername"] == "nordstadt"
    assert doc["name"] == "Quartiersbüro Nordstadt"
    assert doc["summary"].startswith("Aushänge des Quartiersmanagements Nordstadt")
    assert doc["url"] == board.url("/")
    assert doc["inbox"] == f"{actor}/inbox"
    assert doc["outbox"] == f"{actor}/outbox"
    assert doc["followers"] == f"{actor}/followers"
    assert doc["following"] == f"{actor}/following"
    assert doc["featured"] == f"{actor}/featured"
    assert doc["endpoints"] == {"sharedInbox": board.url("/inbox")}
    assert doc["manuallyApprovesFollowers"] is False
    assert doc["discoverable"] is True
    assert doc["indexable"] is True
    assert doc["published"] == "2026-03-02T09:00:00Z"  # the injected clock at `aushang init`
    assert doc["publicKey"]["id"] == f"{actor}#main-key"
    assert doc["publicKey"]["owner"] == actor


def test_actor__context_has_activitystreams_first_and_security(board: RunningBoard) -> None:
    context = board.get_json("/users/nordstadt")["@context"]

    assert context[0] == AS_CONTEXT
    assert SECURITY_CONTEXT in context
    extensions = next(item for item in context if isinstance(item, dict))
    assert extensions["PropertyValue"] == "schema:PropertyValue"
    assert extensions["value"] == "schema:value"
    assert extensions["schema"] == "http://schema.org#"


def test_actor__public_key_parses_and_matches_the_signing_key(board: RunningBoard) -> None:
    pem = board.get_json("/users/nordstadt")["publicKey"]["publicKeyPem"]

    key = load_public_key(pem)

    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size >= 2048
    stored = board.value("SELECT public_pem FROM local_keys WHERE actor_id = ?", board.actor_id)
    assert pem == stored


def test_actor__contact_details_are_property_value_fields(board: RunningBoard) -> None:
    fields = board.get_json("/users/nordstadt")["attachment"]

    assert all(field["type"] == "PropertyValue" for field in fields)
    by_name = {field["name"]: field["value"] for field in fields}
    assert by_name["Adresse"] == "Nordstraße 12, 45127 Essen"
    assert by_name["Öffnungszeiten"] == "Di und Do 10–16 Uhr"
    assert by_name["Telefon"] == "0201 123456"
    assert by_name["E-Mail"] == (
        '<a href="mailto:kontakt@nordstadt.example">kontakt@nordstadt.example</a>'
    )


def test_actor__profile_field_values_are_escaped(make_board: Any) -> None:
    board = make_board(AUSHANG_CONTACT_ADDRESS="<script>alert(1)</script> & Co")

    fields = board.get_json("/users/nordstadt")["attachment"]

    address = next(f["value"] for f in fields if f["name"] == "Adresse")
    assert address == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"


def test_actor__icon_when_configured(make_board: Any) -> None:
    board = make_board(AUSHANG_ICON="https://cdn.example/logo.png")

    doc = board.get_json("/users/nordstadt")

    assert doc["icon"] == {"type": "Image", "url": "https://cdn.example/logo.png"}


def test_actor__approve_followers_is_announced_as_locked(make_board: Any) -> None:
    board = make_board(AUSHANG_FEDERATION_APPROVE_FOLLOWERS="true")

    assert board.get_json("/users/nordstadt")["manuallyApprovesFollowers"] is True


@pytest.mark.parametrize("accept", [AP_JSON, LD_JSON, f"{LD_JSON}, text/html;q=0.1"])
def test_actor__content_negotiation_serves_json(board: RunningBoard, accept: str) -> None:
    response = board.get("/users/nordstadt", headers={"Accept": accept})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(AP_JSON)
    assert "Accept" in response.headers["vary"]
    assert response.json()["id"] == board.actor_id


def test_actor__browsers_get_html_with_an_alternate_link(board: RunningBoard) -> None:
    response = board.get(
        "/users/nordstadt", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Accept" in response.headers["vary"]
    assert alternate_links(response.text) == [board.actor_id]


def test_actor__username_is_case_insensitive_and_others_are_404(board: RunningBoard) -> None:
    assert board.get_json("/users/NordStadt")["id"] == board.actor_id
    response = board.get("/users/suedstadt", headers={"Accept": AP_JSON})
    assert response.status_code == 404
    assert response.text


def test_actor__every_linked_collection_is_served(board: RunningBoard) -> None:
    doc = board.get_json("/users/nordstadt")

    for name in ("outbox", "followers", "following", "featured"):
        collection = board.get_json(doc[name].removeprefix(board.base_url))
        assert collection["id"] == doc[name]
        assert collection["type"] == "OrderedCollection"


def test_instance_actor__is_an_application_with_its_own_key(board: RunningBoard) -> None:
    doc = board.get_json("/actor")

    assert doc["type"] == "Application"
    assert doc["id"] == board.url("/actor")
    assert doc["@context"][0] == AS_CONTEXT
    assert doc["publicKey"]["id"] == board.url("/actor#main-key")
    assert doc["publicKey"]["owner"] == board.url("/actor")
    assert isinstance(load_public_key(doc["publicKey"]["publicKeyPem"]), rsa.RSAPublicKey)
    board_pem = board.get_json("/users/nordstadt")["publicKey"]["publicKeyPem"]
    assert doc["publicKey"]["publicKeyPem"] != board_pem


def test_instance_actor__is_served_without_a_signature_for_any_accept(board: RunningBoard) -> None:
    # Remote servers fetch it to verify our signed GETs; it must never need a signature itself.
    response = board.get("/actor", headers={"Accept": "*/*"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(AP_JSON)


def test_instance_actor__linked_outbox_is_served(board: RunningBoard) -> None:
    outbox = board.get_json("/actor")["outbox"]

    response = board.get(outbox.removeprefix(board.base_url), headers={"Accept": AP_JSON})

    assert response.status_code == 200, f"{outbox} advertised by /actor answers {response}"


# --- remote actors: parsing ------------------------------------------------------------------


def test_parse_actor__reads_a_mastodon_person(fediverse: Fediverse) -> None:
    doc = fediverse.fixture("social.example", "/users/mika")
    host = fediverse.servers["social.example"].authority

    actor = parse_actor(doc, START)

    assert actor.id == doc["id"]
    assert actor.host == host
    assert actor.type == "Person"
    assert actor.preferred_username == "mika"
    assert actor.inbox == f"http://{host}/users/mika/inbox"
    assert actor.shared_inbox == f"http://{host}/inbox"
    assert actor.key_id == f"http://{host}/users/mika#main-key"
    assert actor.url == f"http://{host}/@mika"
    assert load_public_key(actor.public_key_pem or "")


def test_parse_actor__reads_a_gotosocial_key_id_without_fragment(fediverse: Fediverse) -> None:
    doc = fediverse.fixture("gts.example", "/users/jo")

    actor = parse_actor(doc, START)

    assert actor.key_id == doc["id"] + "/main-key"
    assert actor.shared_inbox is None


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("inbox", "https://elsewhere.example/inbox", "inbox is on another host"),
        ("endpoints", {"sharedInbox": "https://elsewhere.example/inbox"}, "sharedInbox"),
        ("outbox", "https://elsewhere.example/outbox", "outbox is on another host"),
        ("followers", "https://elsewhere.example/f", "followers is on another host"),
        ("type", "Note", "not an actor type"),
        ("inbox", None, "has no inbox"),
    ],
)
def test_parse_actor__rejects_links_off_the_actor_host(
    fediverse: Fediverse, field: str, value: Any, reason: str
) -> None:
    doc = fediverse.fixture("social.example", "/users/mika")
    doc[field] = value

    with pytest.raises(ActorError, match=reason):
        parse_actor(doc, START)


def test_parse_actor__rejects_a_key_id_on_another_host(fediverse: Fediverse) -> None:
    doc = fediverse.fixture("social.example", "/users/mika")
    doc["publicKey"]["id"] = "https://elsewhere.example/keys/1"

    with pytest.raises(ActorError, match="publicKey id is on another host"):
        parse_actor(doc, START)


def test_parse_actor__drops_a_profile_url_on_another_host(fediverse: Fediverse) -> None:
    doc = fediverse.fixture("social.example", "/users/mika")
    doc["url"] = "https://phishing.example/@mika"

    assert parse_actor(doc, START).url is None


def test_parse_actor__ignores_a_key_owned_by_someone_else(fediverse: Fediverse) -> None:
    doc = fediverse.fixture("social.example", "/users/mika")
    doc["publicKey"]["owner"] = doc["id"].replace("mika", "someone")

    actor = parse_actor(doc, START)

    assert actor.key_id is None
    assert actor.public_key_pem is None


# --- remote actors: resolving keys over real HTTP ------------------------------------------


@asynccontextmanager
async def resolver(tmp_path: Path, fediverse: Fediverse) -> AsyncIterator[ActorResolver]:
    db = Database(tmp_path / "federation.sqlite3")
    await db.connect()
    clock = MutableClock(START)
    client = FederationClient(user_agent="aushang-tests", allow_private=fediverse.allow_private)
    try:  # aiosqlite's threads would keep the process alive if the database stayed open
        await db.migrate([("federation", FEDERATION_MIGRATIONS)])
        yield ActorResolver(db, client, lambda method, url, body: {}, clock)
    finally:
        await client.aclose()
        await db.close()


@pytest.mark.anyio
async def test_key_owner__follows_a_gotosocial_key_document_to_its_owner(
    tmp_path: Path, fediverse: Fediverse
) -> None:
    jo = fediverse.gotosocial_actor()
    gts = fediverse.servers["gts.example"]

    async with resolver(tmp_path, fediverse) as actors:
        owner = await actors.key_owner(jo.key_id)

    assert owner.actor.id == jo.id
    assert owner.actor.key_id == jo.key_id
    assert [key.id for key in owner.keys] == [jo.key_id]
    assert [r.path for r in gts.gets()] == ["/users/jo/main-key", "/users/jo"]


@pytest.mark.anyio
async def test_key_owner__reads_a_mastodon_fragment_key_from_the_actor(
    tmp_path: Path, fediverse: Fediverse
) -> None:
    mika = fediverse.mastodon_actor()

    async with resolver(tmp_path, fediverse) as actors:
        first = await actors.key_owner(mika.key_id)
        again = await actors.key_owner(mika.key_id)

    assert first.actor.id == again.actor.id == mika.id
    assert len(fediverse.servers["social.example"].gets()) == 1  # the second came from the cache


@pytest.mark.anyio
async def test_key_owner__rejects_a_key_document_whose_owner_lists_another_key(
    tmp_path: Path, fediverse: Fediverse
) -> None:
    jo = fediverse.gotosocial_actor()
    gts = fediverse.servers["gts.example"]
    actor_doc = dict(jo.document, publicKey=dict(jo.document["publicKey"], id=gts.url("/k/2")))
    gts.serve_json("/users/jo", actor_doc)

    async with resolver(tmp_path, fediverse) as actors:
        with pytest.raises(ActorError, match="does not list this key"):
            await actors.key_owner(jo.key_id)


@pytest.mark.anyio
async def test_key_owner__rejects_a_key_document_with_another_id(
    tmp_path: Path, fediverse: Fediverse
) -> None:
    fediverse.gotosocial_actor()
    gts = fediverse.servers["gts.example"]
    key_doc = fediverse.fixture("gts.example", "/users/jo/main-key")
    gts.serve_json("/keys/other", key_doc)  # served at one URL, claims another id

    async with resolver(tmp_path, fediverse) as actors:
        with pytest.raises(ActorError):
            await actors.key_owner(gts.url("/keys/other"))


@pytest.mark.anyio
async def test_resolver__rejects_a_document_served_as_plain_json(
    tmp_path: Path, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    fediverse.remote.serve_json("/users/alice", alice.document, content_type="application/json")

    async with resolver(tmp_path, fediverse) as actors:
        with pytest.raises(ActorError, match="Content-Type"):
            await actors.get(alice.id)


@pytest.mark.anyio
async def test_resolver__caches_for_a_day_then_refetches(
    tmp_path: Path, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")

    async with resolver(tmp_path, fediverse) as actors:
        await actors.get(alice.id)
        await actors.get(alice.id)
        assert isinstance(actors.clock, MutableClock)
        actors.clock.set(datetime(2026, 3, 3, 9, 0, 1, tzinfo=START.tzinfo))
        await actors.get(alice.id)

    assert len(fediverse.remote.gets("/users/alice")) == 2
