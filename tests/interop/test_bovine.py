"""A second independent peer: bovine (PyPI), a Python ActivityPub library with its own WebFinger
client, HTTP-signature signing (aiohttp) and verification code. Its actor lives on a fake server
that serves the actor document and records what the board delivers; every step that matters —
resolving the board by handle, signing the Follow and the reply, verifying the board's
deliveries — is bovine's own code, against a board running as a real process."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bovine.clients import lookup_uri_with_webfinger
from bovine.clients.signed_http import SignedHttpClient
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.types import CryptographicIdentifier

from tests.support.fediverse import AS_CONTEXT, FakeServer, Recorded, shared_fediverse
from tests.support.processes import BoardProcess, free_port

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_JSON = "application/activity+json"
TIMEOUT = 30.0


class BovinePeer:
    """One account whose requests are made and checked by bovine."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.public_pem, self.private_pem = generate_rsa_public_private_key()
        self.actor = server.url("/users/bo")
        self.key_id = f"{self.actor}#main-key"
        server.serve_json("/users/bo", self.document())
        server.accounts["bo"] = self.actor

    def document(self) -> dict[str, Any]:
        return {
            "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
            "id": self.actor,
            "type": "Person",
            "preferredUsername": "bo",
            "name": "Bo (bovine)",
            "inbox": f"{self.actor}/inbox",
            "outbox": f"{self.actor}/outbox",
            "publicKey": {"id": self.key_id, "owner": self.actor, "publicKeyPem": self.public_pem},
        }

    async def resolve(self, handle: str, origin: str) -> str:
        async with aiohttp.ClientSession() as session:
            actor, _ = await lookup_uri_with_webfinger(session, f"acct:{handle}", domain=origin)
        assert actor, f"bovine found no actor for {handle}"
        return str(actor)

    async def get(self, url: str) -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            response = await SignedHttpClient(session, self.key_id, self.private_pem).get(
                url, headers={"accept": AS_JSON}
            )
            data = await response.json(content_type=None)
            response.release()
            assert response.status == 200, (url, response.status)
            return data  # type: ignore[no-any-return]

    async def send(self, inbox: str, activity: dict[str, Any]) -> int:
        async with aiohttp.ClientSession() as session:
            client = SignedHttpClient(session, self.key_id, self.private_pem)
            response = await client.post(inbox, json.dumps(activity), content_type=AS_JSON)
            await response.read()  # bovine hands the response over unread: release it
            response.release()
            return response.status

    async def verify(self, record: Recorded) -> str | None:
        """Check a delivery's HTTP signature with bovine, fetching the key with a signed GET."""

        async def key(key_id: str) -> CryptographicIdentifier:
            document = await self.get(key_id.split("#")[0])
            return CryptographicIdentifier.from_public_key(document["publicKey"])

        async def body() -> bytes:
            return record.body

        validate = build_validate_http_signature_raw(key)
        headers = {name.lower(): value for name, value in record.headers.items()}
        return await validate("post", self.server.url(record.target), headers, body)  # type: ignore[no-any-return]

    def deliveries(self, type_: str) -> list[Recorded]:
        return [r for r in self.server.posts("/users/bo/inbox") if r.json().get("type") == type_]


def eventually(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


@pytest.fixture
def bovine_peer() -> Iterator[BovinePeer]:
    world = shared_fediverse()
    world.reset()
    yield BovinePeer(world.servers["other.example"])
    world.reset()


@pytest.fixture
def board(bovine_peer: BovinePeer, tmp_path: Path) -> Iterator[BoardProcess]:
    process = BoardProcess(
        REPO / "instances" / "nordstadt.toml",
        tmp_path / "nordstadt",
        free_port(),
        allow_private=[bovine_peer.server.authority],
    )
    with process:
        process.init()
        process.start()
        yield process


def test_bovine__resolves_follows_gets_a_verified_create_and_its_reply_is_shown(
    board: BoardProcess, bovine_peer: BovinePeer
) -> None:
    assert board.cli("settings", "--reply-policy", "open").returncode == 0
    actor_id = asyncio.run(bovine_peer.resolve(board.handle.lstrip("@"), board.base_url))
    assert actor_id == board.actor_id
    board_actor = asyncio.run(bovine_peer.get(actor_id))

    follow = {
        "@context": AS_CONTEXT,
        "id": f"{bovine_peer.actor}/follows/{uuid.uuid4()}",
        "type": "Follow",
        "actor": bovine_peer.actor,
        "object": actor_id,
    }
    assert asyncio.run(bovine_peer.send(board_actor["inbox"], follow)) == 202
    accept = eventually(lambda: bovine_peer.deliveries("Accept"), "the Accept")[0]
    assert asyncio.run(bovine_peer.verify(accept)) == actor_id

    notice_url = board.post("Hoffest am Samstag", "Wer hilft beim Aufbau?")
    create = eventually(lambda: bovine_peer.deliveries("Create"), "the Create")[0]
    assert asyncio.run(bovine_peer.verify(create)) == actor_id
    note = create.json()["object"]
    assert note["attributedTo"] == actor_id and "Hoffest am Samstag" in note["content"]

    reply_id = f"{bovine_peer.actor}/notes/{uuid.uuid4()}"
    reply = {
        "@context": AS_CONTEXT,
        "id": f"{reply_id}/activity",
        "type": "Create",
        "actor": bovine_peer.actor,
        "to": [PUBLIC],
        "cc": [actor_id],
        "object": {
            "id": reply_id,
            "type": "Note",
            "attributedTo": bovine_peer.actor,
            "content": "<p>Ich helfe mit, von bovine aus.</p>",
            "inReplyTo": note["id"],
            "to": [PUBLIC],
            "cc": [actor_id],
        },
    }
    assert asyncio.run(bovine_peer.send(board_actor["inbox"], reply)) == 202

    def shown() -> bool:
        page = asyncio.run(_get_html(notice_url))
        section = re.search(r'<section class="replies".*?</section>', page, re.S)
        return bool(section and "Ich helfe mit, von bovine aus." in section.group(0))

    eventually(shown, "the reply on the notice page")


async def _get_html(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.text()
