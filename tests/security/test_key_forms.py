"""Rules 3, 4 and 7 for every form a key comes in: the bare actor URL as key id (PeerTube),
`publicKey` as an array, FEP-521a `Multikey`s in `assertionMethod` (Ed25519, RFC 9421 and
draft-cavage), and FEP-8b32 Object Integrity Proofs sent instead of an HTTP signature.

Each test POSTs through the real inbox; the attacks try to use a key the actor does not list, a
key listed for another actor, a key on another host, and a proof over another document.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation import httpsig
from federation.multikey import ed25519_multibase
from federation.proofs import sign_proof
from tests.noticeboard.boards import RunningBoard
from tests.security.helpers import (
    actor_document,
    assert_nothing_stored,
    no_requests,
    processed,
    refused,
    send,
    signed_post,
)
from tests.support.fediverse import AP_JSON, Fediverse, RemoteActor

ED_KEY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # test data only
OTHER_ED_KEY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


@pytest.fixture
def alice(fediverse: Fediverse) -> RemoteActor:
    return fediverse.actor("alice")


def multikey(owner: RemoteActor, key_id: str, key=ED_KEY, controller: str | None = None) -> dict:
    return {
        "id": key_id,
        "type": "Multikey",
        "controller": controller or owner.id,
        "publicKeyMultibase": ed25519_multibase(key.public_key()),
    }


def with_multikey(actor: RemoteActor, *keys: dict) -> dict:
    """Serve the actor again, listing `keys` in assertionMethod (as Mitra and Mastodon do)."""
    document = actor_document(actor)
    document["@context"] = [*document["@context"], "https://w3id.org/security/data-integrity/v1"]
    document["assertionMethod"] = list(keys)
    actor.server.serve_json("/users/" + actor.username, document)
    return document


def follow(board: RunningBoard, actor: RemoteActor, suffix: str = "follow-1") -> dict:
    return actor.follow(board.actor_id, suffix)


def post_rfc9421(board: RunningBoard, actor: RemoteActor, activity: dict, key_id: str, key):
    body = json.dumps(activity).encode()
    headers = httpsig.sign_request_rfc9421(
        "POST",
        board.inbox,
        body,
        key_id,
        key,
        board.clock.now,
        extra_headers={"Content-Type": AP_JSON},
    )
    return send(board.inbox, body, headers)


def post_unsigned(board: RunningBoard, activity: dict):
    return send(board.inbox, json.dumps(activity).encode(), {"Content-Type": AP_JSON})


def accepted(board: RunningBoard, response, activity_id: str) -> None:
    assert response.status_code == 202, response.text
    board.drain()
    assert processed(board, activity_id)


# --- keyId = the actor URL (PeerTube) ---------------------------------------------------------


def test_actor_url_key_id__of_another_actor_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    bob = fediverse.actor("bob")

    response = signed_post(
        board, alice, follow(board, alice), key_id=bob.id, private_key=bob.private_key
    )

    refused(response, 401, "does not belong to the activity's actor")
    assert_nothing_stored(board)


def test_actor_url_key_id__on_another_host_is_refused_before_any_fetch(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    carol = fediverse.actor("carol", server=fediverse.servers["social.example"])

    response = signed_post(
        board, alice, follow(board, alice), key_id=carol.id, private_key=carol.private_key
    )

    refused(response, 401, "another host than the actor")
    no_requests(fediverse)


def test_actor_url_key_id__with_a_key_the_actor_does_not_list_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    response = signed_post(
        board, alice, follow(board, alice), key_id=alice.id, private_key=fediverse.keys.get(2)
    )

    refused(response, 401, "signature invalid")
    assert_nothing_stored(board)


# --- publicKey as an array ---------------------------------------------------------------------


def test_public_key_array__each_listed_key_may_sign(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    second = fediverse.keys.get(1)
    document = actor_document(alice)
    first_key = document["publicKey"]
    document["publicKey"] = [
        first_key,
        {
            **first_key,
            "id": f"{alice.id}#key-2",
            "publicKeyPem": RemoteActor(alice.server, "x", second, {}).public_pem,
        },
    ]
    alice.server.serve_json("/users/alice", document)
    activity = follow(board, alice)

    response = signed_post(board, alice, activity, key_id=f"{alice.id}#key-2", private_key=second)

    accepted(board, response, activity["id"])


def test_public_key_array__entry_owned_by_another_actor_is_not_usable(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    bob = fediverse.actor("bob")
    document = actor_document(alice)
    document["publicKey"] = [
        document["publicKey"],
        {"id": f"{alice.id}#key-2", "owner": bob.id, "publicKeyPem": bob.public_pem},
    ]
    alice.server.serve_json("/users/alice", document)

    response = signed_post(
        board, alice, follow(board, alice), key_id=f"{alice.id}#key-2", private_key=bob.private_key
    )

    refused(response, 401, "does not list this key")
    assert_nothing_stored(board)


# --- Multikey (FEP-521a) -------------------------------------------------------------------------


def test_multikey__ed25519_rfc9421_signature_is_accepted(
    board: RunningBoard, alice: RemoteActor
) -> None:
    key_id = f"{alice.id}#ed25519-key"
    with_multikey(alice, multikey(alice, key_id))
    activity = follow(board, alice)

    accepted(board, post_rfc9421(board, alice, activity, key_id, ED_KEY), activity["id"])
    assert [f["actor_id"] for f in board.followers()] == [alice.id]


def test_multikey__controlled_by_another_actor_is_not_the_actors_key(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    bob = fediverse.actor("bob")
    key_id = f"{alice.id}#ed25519-key"
    with_multikey(alice, multikey(alice, key_id, controller=bob.id))

    response = post_rfc9421(board, alice, follow(board, alice), key_id, ED_KEY)

    refused(response, 401, "does not list this key")
    assert_nothing_stored(board)


def test_multikey__listed_on_another_host_is_never_trusted(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    elsewhere = fediverse.servers["other.example"].url("/keys/alice")
    with_multikey(alice, multikey(alice, elsewhere))

    response = post_rfc9421(board, alice, follow(board, alice), elsewhere, ED_KEY)

    refused(response, 401, "another host than the actor")
    assert_nothing_stored(board)


def test_multikey__another_actors_multikey_document_cannot_be_claimed(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    # A separate Multikey document whose controller is alice, but alice does not list it.
    remote = fediverse.remote
    key_id = remote.url("/keys/stray")
    remote.serve_json(
        "/keys/stray",
        {"@context": "https://w3id.org/security/multikey/v1", **multikey(alice, key_id)},
    )

    response = post_rfc9421(board, alice, follow(board, alice), key_id, ED_KEY)

    refused(response, 401, "does not list this key")
    assert_nothing_stored(board)


def test_multikey__rotated_key_is_picked_up_by_one_refetch(
    board: RunningBoard, alice: RemoteActor
) -> None:
    key_id = f"{alice.id}#ed25519-key"
    with_multikey(alice, multikey(alice, key_id))
    first = follow(board, alice, "follow-1")
    accepted(board, post_rfc9421(board, alice, first, key_id, ED_KEY), first["id"])
    with_multikey(alice, multikey(alice, key_id, key=OTHER_ED_KEY))
    board.clock.advance(minutes=10)

    undo = alice.undo(first)
    accepted(board, post_rfc9421(board, alice, undo, key_id, OTHER_ED_KEY), undo["id"])


# --- Object Integrity Proofs (FEP-8b32) ------------------------------------------------------


def proved(board: RunningBoard, alice: RemoteActor, key=ED_KEY, key_id: str | None = None):
    activity = follow(board, alice)
    return sign_proof(activity, key, key_id or f"{alice.id}#ed25519-key", board.clock.now)


def test_proof__instead_of_an_http_signature_is_accepted(
    board: RunningBoard, alice: RemoteActor
) -> None:
    with_multikey(alice, multikey(alice, f"{alice.id}#ed25519-key"))
    activity = proved(board, alice)

    accepted(board, post_unsigned(board, activity), activity["id"])
    assert [f["actor_id"] for f in board.followers()] == [alice.id]


def test_proof__over_another_document_is_refused(board: RunningBoard, alice: RemoteActor) -> None:
    with_multikey(alice, multikey(alice, f"{alice.id}#ed25519-key"))
    activity = proved(board, alice)
    activity["object"] = "https://elsewhere.example/users/x"  # changed after signing

    refused(post_unsigned(board, activity), 401, "proof signature does not verify")
    assert_nothing_stored(board)


def test_proof__by_a_key_of_another_actor_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    bob = fediverse.actor("bob")
    with_multikey(bob, multikey(bob, f"{bob.id}#ed25519-key"))
    activity = proved(board, alice, key_id=f"{bob.id}#ed25519-key")

    refused(post_unsigned(board, activity), 401, "does not belong to the activity's actor")
    assert_nothing_stored(board)


def test_proof__older_than_the_time_window_is_refused(
    board: RunningBoard, alice: RemoteActor
) -> None:
    with_multikey(alice, multikey(alice, f"{alice.id}#ed25519-key"))
    activity = proved(board, alice)
    board.clock.advance(timedelta(hours=2))

    refused(post_unsigned(board, activity), 401, "time window")
    assert_nothing_stored(board)


def test_proof__of_an_unknown_cryptosuite_is_refused(
    board: RunningBoard, alice: RemoteActor
) -> None:
    activity = proved(board, alice)
    activity["proof"]["cryptosuite"] = "eddsa-rdfc-2022"

    refused(post_unsigned(board, activity), 401, "eddsa-jcs-2022")
    assert_nothing_stored(board)


def test_proof__over_a_document_jcs_cannot_canonicalise_is_refused_not_500(
    board: RunningBoard, alice: RemoteActor
) -> None:
    with_multikey(alice, multikey(alice, f"{alice.id}#ed25519-key"))
    activity = proved(board, alice)
    activity["votes"] = 2**60  # beyond the I-JSON integers RFC 8785 accepts

    refused(post_unsigned(board, activity), 401, "proof cannot be read")
    assert_nothing_stored(board)
