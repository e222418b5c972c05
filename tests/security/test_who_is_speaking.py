"""Section A of the security rules (1-7): who is speaking to the inbox.

Every test POSTs to the running board's real inbox and checks the answer (status and reason),
what the board stored, and which requests it made to the fake fediverse.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from federation import httpsig
from federation.keys import generate_private_key, public_key_to_pem
from tests.noticeboard.boards import RunningBoard
from tests.security.helpers import (
    activity,
    actor_document,
    assert_nothing_stored,
    body_of,
    cavage_post,
    gets,
    no_requests,
    processed,
    refused,
    send,
    signed_post,
)
from tests.support.fediverse import Fediverse, RemoteActor

HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)


@pytest.fixture
def alice(fediverse: Fediverse) -> RemoteActor:
    return fediverse.actor("alice")


def follow_of(board: RunningBoard, actor: RemoteActor, suffix: str = "follow-1") -> dict:
    return actor.follow(board.actor_id, suffix)


def accepted(board: RunningBoard, response, activity_id: str) -> None:
    assert response.status_code == 202, response.text
    board.drain()
    assert processed(board, activity_id), f"processing of {activity_id}"


# --- rule 1: signed headers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("covered", "missing"),
    [
        (("host", "date", "digest"), "(request-target)"),
        (("(request-target)", "date", "digest"), "host"),
        (("(request-target)", "host", "digest"), "date"),
        (("(request-target)", "host", "date"), "digest"),
    ],
    ids=["request-target", "host", "date", "digest"],
)
def test_rule_01__signature_must_cover_request_target_host_date_and_digest(
    board: RunningBoard, alice: RemoteActor, covered: tuple[str, ...], missing: str
) -> None:
    response = signed_post(board, alice, follow_of(board, alice), covered=covered)

    refused(response, 401, "does not cover", missing)
    assert_nothing_stored(board)


def test_rule_01__digest_that_does_not_match_the_body_is_refused(
    board: RunningBoard, alice: RemoteActor
) -> None:
    def tamper(body: bytes) -> bytes:
        return body.replace(b"follow-1", b"follow-2")

    response = alice.post(board.inbox, follow_of(board, alice), now=board.clock.now, tamper=tamper)

    refused(response, 401, "digest", "does not match the body")
    assert_nothing_stored(board)


def test_rule_01__digest_header_that_is_absent_is_refused(
    board: RunningBoard, alice: RemoteActor
) -> None:
    response = alice.post(
        board.inbox, follow_of(board, alice), now=board.clock.now, header_changes={"Digest": None}
    )

    refused(response, 401, "digest")
    assert_nothing_stored(board)


def test_rule_01__signature_without_digest_and_without_digest_header_is_refused(
    board: RunningBoard, alice: RemoteActor
) -> None:
    body = body_of(follow_of(board, alice))
    headers = cavage_post(
        board.inbox,
        body,
        alice.key_id,
        alice.private_key,
        board.clock.now,
        covered=("(request-target)", "host", "date"),
    )
    del headers["Digest"]

    refused(send(board.inbox, body, headers), 401, "digest")
    assert_nothing_stored(board)


def test_rule_01__digest_of_another_algorithm_only_is_refused(
    board: RunningBoard, alice: RemoteActor
) -> None:
    body = body_of(follow_of(board, alice))
    response = signed_post(board, alice, body, digest="MD5=" + "A" * 22 + "==")

    refused(response, 401, "digest")
    assert_nothing_stored(board)


def test_rule_01__signed_host_of_another_server_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    # A request alice really signed for another server, replayed here with its Host header.
    body = body_of(follow_of(board, alice))
    meant_for = fediverse.servers["social.example"].url("/users/nordstadt/inbox")
    headers = cavage_post(meant_for, body, alice.key_id, alice.private_key, board.clock.now)

    refused(send(board.inbox, body, headers), 401, "host", "not this server")
    assert_nothing_stored(board)


def test_rule_01__request_signed_for_another_server_with_our_host_header_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    body = body_of(follow_of(board, alice))
    meant_for = fediverse.servers["social.example"].url("/users/nordstadt/inbox")
    headers = cavage_post(meant_for, body, alice.key_id, alice.private_key, board.clock.now)
    headers["Host"] = board.authority

    refused(send(board.inbox, body, headers), 401, "signature")
    assert_nothing_stored(board)


@pytest.mark.parametrize("algorithm", ["rsa-sha1", "hmac-sha256", "rsa-sha512", "ecdsa-sha256"])
def test_rule_01__unknown_algorithm_is_refused_before_any_fetch(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, algorithm: str
) -> None:
    board = shared_board
    response = signed_post(board, alice, follow_of(board, alice), algorithm=algorithm)

    refused(response, 401, "unsupported signature algorithm", algorithm)
    assert_nothing_stored(board)
    no_requests(fediverse)


@pytest.mark.parametrize("algorithm", ["rsa-sha256", "hs2019", None])
def test_rule_01__rsa_sha256_and_hs2019_over_the_four_headers_are_accepted(
    board: RunningBoard, alice: RemoteActor, algorithm: str | None
) -> None:
    follow = follow_of(board, alice)

    accepted(board, signed_post(board, alice, follow, algorithm=algorithm), follow["id"])
    assert [f["actor_id"] for f in board.followers()] == [alice.id]


def test_rule_01__rfc9421_signature_is_accepted(board: RunningBoard, alice: RemoteActor) -> None:
    follow = follow_of(board, alice)

    response = alice.post(board.inbox, follow, now=board.clock.now, scheme="rfc9421")

    accepted(board, response, follow["id"])


def test_rule_01__rfc9421_content_digest_mismatch_is_refused(
    board: RunningBoard, alice: RemoteActor
) -> None:
    def tamper(body: bytes) -> bytes:
        return body.replace(b"follow-1", b"follow-2")

    response = alice.post(
        board.inbox, follow_of(board, alice), now=board.clock.now, scheme="rfc9421", tamper=tamper
    )

    refused(response, 401, "content-digest", "does not match")
    assert_nothing_stored(board)


def test_rule_01__rfc9421_without_content_digest_header_is_refused(
    board: RunningBoard, alice: RemoteActor
) -> None:
    response = alice.post(
        board.inbox,
        follow_of(board, alice),
        now=board.clock.now,
        scheme="rfc9421",
        header_changes={"Content-Digest": None},
    )

    refused(response, 401, "content-digest")
    assert_nothing_stored(board)


def _policy_failures(board: RunningBoard, alice: RemoteActor, fediverse: Fediverse) -> dict:
    """Requests that fail on what needs no key at all: covered set, Host, Date, Digest."""
    body = body_of(follow_of(board, alice))
    now = board.clock.now
    sign = {"key_id": alice.key_id, "private_key": alice.private_key, "now": now}

    def cavage(**options) -> tuple[bytes, dict]:
        return body, cavage_post(
            board.inbox, body, sign["key_id"], sign["private_key"], now, **options
        )

    social = fediverse.servers["social.example"].url("/users/nordstadt/inbox")
    return {
        "no-request-target": cavage(covered=("host", "date", "digest")),
        "no-host": cavage(covered=("(request-target)", "date", "digest")),
        "no-digest": cavage(covered=("(request-target)", "host", "date")),
        "digest-mismatch": (body + b" ", cavage()[1]),
        "foreign-host": (body, cavage_post(social, body, alice.key_id, alice.private_key, now)),
        "two-hours-old": cavage(date=httpsig.http_date(now - 2 * HOUR)),
        "two-hours-ahead": cavage(date=httpsig.http_date(now + 2 * HOUR)),
    }


POLICY_CASES = [
    "no-request-target",
    "no-host",
    "no-digest",
    "digest-mismatch",
    "foreign-host",
    "two-hours-old",
    "two-hours-ahead",
]


@pytest.mark.parametrize("case", POLICY_CASES)
def test_rule_01__what_needs_no_key_is_checked_before_the_key_is_fetched(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, case: str
) -> None:
    # Mastodon checks covered headers, Date and Digest before it looks up the key: otherwise
    # any unauthenticated POST makes the board send signed GETs (two: fetch, then the
    # "rotation" re-fetch) to a URL of the sender's choosing and cache what comes back.
    body, headers = _policy_failures(board, alice, fediverse)[case]

    response = send(board.inbox, body, headers)

    assert response.status_code == 401, response.text
    assert_nothing_stored(board)
    assert [(r.method, r.path) for r in gets(fediverse)] == []
    assert board.rows("SELECT id FROM remote_actors") == []


# --- rule 2: time window -----------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
@pytest.mark.parametrize(
    ("offset", "reason"),
    [(-(HOUR + SECOND), "too old"), (HOUR + SECOND, "in the future")],
    ids=["1h1s-old", "1h1s-ahead"],
)
def test_rule_02__signature_outside_one_hour_is_refused(
    board: RunningBoard, alice: RemoteActor, scheme: str, offset: timedelta, reason: str
) -> None:
    response = alice.post(
        board.inbox,
        follow_of(board, alice),
        now=board.clock.now,
        clock_offset=offset,
        scheme=scheme,
    )

    refused(response, 401, reason)
    assert_nothing_stored(board)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
@pytest.mark.parametrize("offset", [-(HOUR - 5 * SECOND), HOUR - 5 * SECOND], ids=["old", "ahead"])
def test_rule_02__signature_inside_the_hour_is_accepted(
    board: RunningBoard, alice: RemoteActor, scheme: str, offset: timedelta
) -> None:
    follow = follow_of(board, alice)
    response = alice.post(
        board.inbox, follow, now=board.clock.now, clock_offset=offset, scheme=scheme
    )

    accepted(board, response, follow["id"])


def test_rule_02__unsigned_date_does_not_extend_the_window(
    board: RunningBoard, alice: RemoteActor
) -> None:
    # An old signature with a fresh (unsigned) Date header: the signed value counts.
    old = board.clock.now - 2 * HOUR
    response = alice.post(
        board.inbox,
        follow_of(board, alice),
        now=old,
        header_changes={"Date": httpsig.http_date(board.clock.now)},
    )

    assert response.status_code == 401, response.text
    assert_nothing_stored(board)


# --- rule 3: the key's owner is the actor ------------------------------------------------


def test_rule_03__key_of_another_actor_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    bob = fediverse.actor("bob")
    # bob signs (with his own, valid key) an activity that claims alice as its actor.
    response = bob.post(board.inbox, follow_of(board, alice), now=board.clock.now)

    refused(response, 401, "does not belong to the activity's actor")
    assert_nothing_stored(board)


def test_rule_03__key_id_on_another_host_than_the_actor_is_refused_before_any_fetch(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    board = shared_board
    carol = fediverse.actor("carol", server=fediverse.servers["social.example"])
    response = alice.post(
        board.inbox,
        follow_of(board, alice),
        now=board.clock.now,
        key_id=carol.key_id,
        private_key=carol.private_key,
    )

    refused(response, 401, "another host than the actor")
    assert_nothing_stored(board)
    no_requests(fediverse)


def test_rule_03__key_the_actor_document_does_not_list_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    stranger_key = fediverse.keys.get(2)
    response = alice.post(
        board.inbox,
        follow_of(board, alice),
        now=board.clock.now,
        key_id=f"{alice.id}#other-key",
        private_key=stranger_key,
    )

    refused(response, 401, "does not list this key")
    assert_nothing_stored(board)


# --- rule 4: key documents -----------------------------------------------------------------


def test_rule_04__key_document_whose_id_is_not_the_key_id_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    remote = fediverse.remote
    key = {"owner": alice.id, "publicKeyPem": alice.public_pem}
    remote.serve_json("/keys/alice", {"id": remote.url("/keys/other"), **key})
    remote.serve_json("/keys/other", {"id": remote.url("/keys/other"), **key})

    response = alice.post(
        board.inbox, follow_of(board, alice), now=board.clock.now, key_id=remote.url("/keys/alice")
    )

    refused(response, 401, "key document id differs from the keyid")
    assert_nothing_stored(board)


def test_rule_04__gotosocial_key_document_with_owner_pointing_back_is_accepted(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    jo = fediverse.gotosocial_actor()
    follow = follow_of(board, jo)

    accepted(board, jo.post(board.inbox, follow, now=board.clock.now), follow["id"])

    gts = fediverse.servers["gts.example"]
    assert [r.path for r in gts.gets()] == ["/users/jo/main-key", "/users/jo"]
    assert [f["actor_id"] for f in board.followers()] == [jo.id]
    assert board.value("SELECT key_id FROM remote_actors WHERE id = ?", jo.id) == jo.key_id


def test_rule_04__rotated_key_is_picked_up_by_one_refetch_of_the_actor(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    first = follow_of(board, alice, "follow-1")
    accepted(board, alice.post(board.inbox, first, now=board.clock.now), first["id"])
    assert len(fediverse.remote.gets("/users/alice")) == 1

    new_key = generate_private_key()
    rotated = actor_document(alice)
    rotated["publicKey"]["publicKeyPem"] = public_key_to_pem(new_key)
    fediverse.remote.serve_json("/users/alice", rotated)
    board.clock.advance(minutes=10)

    undo = alice.undo(first)
    response = alice.post(board.inbox, undo, now=board.clock.now, private_key=new_key)

    accepted(board, response, undo["id"])
    assert len(fediverse.remote.gets("/users/alice")) == 2
    assert board.value(
        "SELECT public_key_pem FROM remote_actors WHERE id = ?", alice.id
    ) == public_key_to_pem(new_key)


def test_rule_04__key_refetch_after_a_failed_verification_is_rate_limited(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    first = follow_of(board, alice, "follow-1")
    accepted(board, alice.post(board.inbox, first, now=board.clock.now), first["id"])
    forged_key = generate_private_key()

    statuses = []
    for n in range(3):
        forged = follow_of(board, alice, f"forged-{n}")
        response = alice.post(board.inbox, forged, now=board.clock.now, private_key=forged_key)
        statuses.append(response.status_code)
        board.clock.advance(seconds=30)

    assert statuses == [401, 401, 401]
    # one fetch for the first follow, one re-fetch for the first forgery, then none
    assert len(fediverse.remote.gets("/users/alice")) == 2

    board.clock.advance(minutes=5)
    forged = follow_of(board, alice, "forged-later")
    response = alice.post(board.inbox, forged, now=board.clock.now, private_key=forged_key)
    refused(response, 401, "signature")
    assert len(fediverse.remote.gets("/users/alice")) == 3
    assert board.value("SELECT count(*) FROM inbox_activities") == 1


def test_rule_04__key_in_an_update_body_is_not_taken_from_the_sender(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    first = follow_of(board, alice, "follow-1")
    accepted(board, alice.post(board.inbox, first, now=board.clock.now), first["id"])
    mallory_key = generate_private_key()
    forged_actor = actor_document(alice)
    forged_actor["publicKey"]["publicKeyPem"] = public_key_to_pem(mallory_key)
    update = activity(alice, "Update", forged_actor, "update-1")

    accepted(board, alice.post(board.inbox, update, now=board.clock.now), update["id"])

    stored_pem = board.value("SELECT public_key_pem FROM remote_actors WHERE id = ?", alice.id)
    assert stored_pem == alice.public_pem  # re-fetched from the origin, not from the body
    board.clock.advance(minutes=10)
    forged = follow_of(board, alice, "follow-2")
    response = alice.post(board.inbox, forged, now=board.clock.now, private_key=mallory_key)
    refused(response, 401, "signature")


def test_rule_04__actor_claiming_another_actors_key_id_does_not_take_over_that_key(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    # bob's document (same host) names alice's key id for his own key. The board must cache
    # keys by their own id as fetched from it, so alice can still speak and bob cannot use it.
    bob = fediverse.actor("bob")
    claiming = actor_document(bob)
    claiming["publicKey"]["id"] = alice.key_id
    fediverse.remote.serve_json("/users/bob", claiming)

    probe = bob.post(board.inbox, follow_of(board, bob, "probe"), now=board.clock.now)
    assert probe.status_code == 401, probe.text

    follow = follow_of(board, alice)
    response = alice.post(board.inbox, follow, now=board.clock.now)
    accepted(board, response, follow["id"])


# --- rule 5: blocks first ------------------------------------------------------------------


def block(board: RunningBoard, domain: str) -> None:
    result = board.cli("block", domain)
    assert result.returncode == 0, result.stderr


def test_rule_05__blocked_domain_is_refused_with_403_before_any_fetch(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    block(board, fediverse.remote.authority)

    response = alice.post(board.inbox, follow_of(board, alice), now=board.clock.now)

    refused(response, 403, "blocked")
    assert_nothing_stored(board)
    no_requests(fediverse)


def test_rule_05__block_of_a_host_covers_every_port_of_it(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    block(board, "127.0.0.1")  # alice's server listens on another port

    response = alice.post(board.inbox, follow_of(board, alice), now=board.clock.now)

    refused(response, 403, "blocked")
    no_requests(fediverse)


@pytest.mark.parametrize(
    "host",
    ["spam.example", "social.spam.example", "a.b.spam.example", "SOCIAL.Spam.Example."],
)
def test_rule_05__blocks_cover_subdomains_through_the_inbox(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, host: str
) -> None:
    block(board, "spam.example")
    spammer = f"https://{host}/users/spammer"
    follow = {"id": f"{spammer}/follow/1", "type": "Follow", "actor": spammer}
    follow["object"] = board.actor_id

    response = signed_post(board, alice, follow, key_id=f"{spammer}#main-key")

    refused(response, 403, "blocked")
    assert_nothing_stored(board)
    no_requests(fediverse)


def test_rule_05__subdomain_rule_of_domain_blocks(board: RunningBoard) -> None:
    import asyncio

    from federation.blocks import Blocks
    from federation.database import Database

    async def check() -> dict[str, bool]:
        db = Database(board.config.db_path)
        await db.connect()
        try:
            blocks = Blocks(db)
            hosts = [
                "spam.example",
                "a.spam.example",
                "a.b.spam.example",
                "notspam.example",
                "spam.example.org",
                "xspam.example",
                "spam.example:8443",
                "example",
            ]
            return {host: await blocks.is_blocked(host) for host in hosts}
        finally:
            await db.close()

    block(board, "Spam.Example.")
    assert asyncio.run(check()) == {
        "spam.example": True,
        "a.spam.example": True,
        "a.b.spam.example": True,
        "notspam.example": False,
        "spam.example.org": False,
        "xspam.example": False,
        "spam.example:8443": True,
        "example": False,
    }


@pytest.mark.parametrize("where", ["object-id", "attributedTo", "announced", "liked"])
def test_rule_05__object_or_author_on_a_blocked_host_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, where: str
) -> None:
    social = fediverse.servers["social.example"]
    block(board, social.authority)
    blocked_note = social.url("/notes/1")
    own_note = fediverse.remote.url("/notes/1")
    if where == "object-id":
        sent = activity(alice, "Create", {"id": blocked_note, "type": "Note"}, "c1")
    elif where == "attributedTo":
        obj = {"id": own_note, "type": "Note", "attributedTo": social.url("/users/x")}
        sent = activity(alice, "Create", obj, "c1")
    elif where == "announced":
        sent = activity(alice, "Announce", blocked_note, "a1")
    else:
        sent = activity(alice, "Like", blocked_note, "l1")

    response = alice.post(board.inbox, sent, now=board.clock.now)

    refused(response, 403, "blocked")
    assert_nothing_stored(board)
    assert social.received() == []


def test_rule_05__attributed_to_list_naming_a_blocked_author_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    social = fediverse.servers["social.example"]
    block(board, social.authority)
    obj = {
        "id": fediverse.remote.url("/notes/1"),
        "type": "Note",
        "attributedTo": [{"type": "Person", "id": social.url("/users/x")}],
    }
    response = alice.post(board.inbox, activity(alice, "Create", obj, "c1"), now=board.clock.now)

    refused(response, 403, "blocked")
    assert_nothing_stored(board)


def test_rule_05__key_id_on_our_own_host_is_refused(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    board = shared_board
    own_key = f"{board.actor_id}#main-key"
    forged = {
        "id": f"{board.base_url}/activities/forged",
        "type": "Follow",
        "actor": board.actor_id,
        "object": board.actor_id,
    }

    response = signed_post(board, alice, forged, key_id=own_key)

    refused(response, 401, "this server")
    assert_nothing_stored(board)
    no_requests(fediverse)


def test_rule_05__actor_on_our_own_host_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    forged = {
        "id": f"{board.base_url}/activities/forged",
        "type": "Follow",
        "actor": f"{board.base_url}/users/nordstadt",
        "object": board.actor_id,
    }

    response = signed_post(board, alice, forged)

    refused(response, 401)
    assert_nothing_stored(board)


# --- rule 6: replay ------------------------------------------------------------------------


def test_rule_06__replayed_request_is_applied_once(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    follow = follow_of(board, alice)
    body = body_of(follow)
    headers = alice.sign(board.inbox, body, board.clock.now)

    first = send(board.inbox, body, headers)
    accepted(board, first, follow["id"])
    board.drain()
    assert fediverse.remote.posts(alice.inbox_path), "the Accept"
    board.clock.advance(minutes=2)
    second = send(board.inbox, body, headers)

    assert second.status_code == 202
    assert "already received" in second.text
    assert board.value("SELECT count(*) FROM inbox_activities") == 1
    assert len(board.followers()) == 1
    assert board.value("SELECT count(*) FROM deliveries") == 1
    assert len(fediverse.remote.posts(alice.inbox_path)) == 1


def test_rule_06__same_activity_id_with_another_body_keeps_the_first(
    board: RunningBoard, alice: RemoteActor
) -> None:
    follow = follow_of(board, alice)
    accepted(board, alice.post(board.inbox, follow, now=board.clock.now), follow["id"])
    changed = {**follow, "object": f"{board.base_url}/users/someone-else"}

    response = alice.post(board.inbox, changed, now=board.clock.now)

    assert response.status_code == 202
    assert "already received" in response.text
    stored_body = board.value("SELECT body FROM inbox_activities WHERE id = ?", follow["id"])
    assert json.loads(stored_body)["object"] == board.actor_id


def test_rule_06__replay_to_another_inbox_path_is_refused(
    board: RunningBoard, alice: RemoteActor
) -> None:
    follow = follow_of(board, alice)
    body = body_of(follow)
    headers = alice.sign(board.inbox, body, board.clock.now)
    accepted(board, send(board.inbox, body, headers), follow["id"])

    response = send(board.shared_inbox, body, headers)

    refused(response, 401, "signature")
    assert board.value("SELECT count(*) FROM inbox_activities") == 1


# --- rule 7: signatures in bodies are not authentication ------------------------------------


LD_SIGNATURE = {
    "type": "RsaSignature2017",
    "creator": "{actor}#main-key",
    "created": "2026-03-02T09:00:00Z",
    "signatureValue": "bm90IGEgc2lnbmF0dXJl",
}
PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "verificationMethod": "{actor}#ed25519-key",
    "proofPurpose": "assertionMethod",
    "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22gkfUKKiZ",
}


def _with_body_signature(board: RunningBoard, actor: RemoteActor, kind: str) -> dict:
    follow = follow_of(board, actor)
    template = LD_SIGNATURE if kind == "ld-signature" else PROOF
    field = "signature" if kind == "ld-signature" else "proof"
    follow[field] = {k: v.replace("{actor}", actor.id) for k, v in template.items()}
    return follow


@pytest.mark.parametrize("kind", ["ld-signature", "integrity-proof"])
def test_rule_07__signature_in_the_body_of_an_unsigned_request_does_not_authenticate(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, kind: str
) -> None:
    board = shared_board
    response = alice.post(
        board.inbox, _with_body_signature(board, alice, kind), now=board.clock.now, signed=False
    )

    refused(response, 401, "not signed")
    assert_nothing_stored(board)
    no_requests(fediverse)


@pytest.mark.parametrize("kind", ["ld-signature", "integrity-proof"])
def test_rule_07__relayed_activity_with_a_body_signature_of_its_actor_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, kind: str
) -> None:
    relay = fediverse.actor("relay", actor_type="Application")
    response = relay.post(
        board.inbox, _with_body_signature(board, alice, kind), now=board.clock.now
    )

    refused(response, 401, "does not belong to the activity's actor")
    assert_nothing_stored(board)


@pytest.mark.parametrize("kind", ["ld-signature", "integrity-proof"])
def test_rule_07__body_signature_fields_are_tolerated_on_a_signed_request(
    board: RunningBoard, alice: RemoteActor, kind: str
) -> None:
    follow = _with_body_signature(board, alice, kind)

    accepted(board, alice.post(board.inbox, follow, now=board.clock.now), follow["id"])
    assert [f["actor_id"] for f in board.followers()] == [alice.id]


def test_rule_04__actor_cannot_sign_with_a_key_id_that_belongs_to_another_actor(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    bob = fediverse.actor("bob")
    claiming = actor_document(bob)
    claiming["publicKey"]["id"] = alice.key_id
    fediverse.remote.serve_json("/users/bob", claiming)
    bob.post(board.inbox, follow_of(board, bob, "probe"), now=board.clock.now)  # caches bob

    # Fetched from its own id, alice.key_id is alice's key: bob may not use it.
    response = bob.post(
        board.inbox, follow_of(board, bob, "follow-2"), now=board.clock.now, key_id=alice.key_id
    )

    refused(response, 401)
    assert_nothing_stored(board)
