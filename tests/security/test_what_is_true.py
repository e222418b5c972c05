"""Section B of the security rules (8-13): what is true about fetched and embedded documents.

Remote actors sign real POSTs to the running board; their documents are served (or scripted:
redirects, odd content types) by the fake fediverse, which records every request.
"""

from __future__ import annotations

import pytest

from tests.noticeboard.boards import RunningBoard
from tests.security.helpers import (
    activity,
    actor_document,
    assert_nothing_stored,
    create,
    gets,
    note,
    processed,
    redirect,
    refused,
    scripted,
    signed_post,
)
from tests.support.fediverse import AS_CONTEXT, Fediverse, RemoteActor


@pytest.fixture
def alice(fediverse: Fediverse) -> RemoteActor:
    return fediverse.actor("alice")


def follow_of(board: RunningBoard, actor: RemoteActor, suffix: str = "follow-1") -> dict:
    return actor.follow(board.actor_id, suffix)


def accepted(board: RunningBoard, response, activity_id: str) -> None:
    assert response.status_code == 202, response.text
    board.drain()
    assert processed(board, activity_id), f"processing of {activity_id}"


def posts(board: RunningBoard) -> dict[str, dict]:
    return {r["id"]: r for r in board.rows("SELECT * FROM remote_posts")}


def nothing_cached(board: RunningBoard) -> None:
    assert_nothing_stored(board)
    assert board.rows("SELECT id FROM remote_actors") == []


# --- rule 8: origin of fetched documents -------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/html", "application/json", "application/ld+json", "text/plain", ""],
)
def test_rule_08__actor_served_with_a_wrong_content_type_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, content_type: str
) -> None:
    fediverse.remote.serve_json("/users/alice", alice.document, content_type=content_type)

    response = alice.post(board.inbox, follow_of(board, alice), now=board.clock.now)

    refused(response, 401, "content-type")
    nothing_cached(board)


def test_rule_08__actor_served_as_ld_json_with_the_activitystreams_profile_is_accepted(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    ld = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    fediverse.remote.serve_json("/users/alice", alice.document, content_type=ld)
    follow = follow_of(board, alice)

    accepted(board, alice.post(board.inbox, follow, now=board.clock.now), follow["id"])


def test_rule_08__actor_whose_id_is_on_another_origin_than_its_url_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    social = fediverse.servers["social.example"]
    forged = actor_document(alice)
    forged["id"] = social.url("/users/alice")

    fediverse.remote.serve_json("/users/alice", forged)
    response = alice.post(board.inbox, follow_of(board, alice), now=board.clock.now)

    refused(response, 401, "not on the origin")
    nothing_cached(board)
    assert social.received() == []


def test_rule_08__actor_whose_id_differs_on_the_same_origin_is_fetched_again_and_must_match(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    remote = fediverse.remote
    moved = actor_document(alice)
    moved["id"] = remote.url("/users/alice2")
    remote.serve_json("/users/alice", moved)
    third = actor_document(alice)
    third["id"] = remote.url("/users/alice3")
    remote.serve_json("/users/alice2", third)

    response = alice.post(board.inbox, follow_of(board, alice), now=board.clock.now)

    refused(response, 401, "differs from its url")
    nothing_cached(board)
    assert [r.path for r in remote.gets()] == ["/users/alice", "/users/alice2"]


def test_rule_08__actor_document_claiming_an_id_on_our_host_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    forged = actor_document(alice)
    forged["id"] = board.actor_id
    fediverse.remote.serve_json("/users/alice", forged)

    response = alice.post(board.inbox, follow_of(board, alice), now=board.clock.now)

    refused(response, 401, "our own host")
    nothing_cached(board)


def test_rule_08__cross_origin_redirect_does_not_lend_the_first_origin(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, monkeypatch
) -> None:
    # remote.example/users/alice redirects to social.example, which serves a document that
    # claims to be remote.example's alice: the final URL decides the origin, so it is refused.
    social = fediverse.servers["social.example"]
    social.serve_json("/evil/alice", alice.document)

    def script(record):
        if record.path == "/users/alice":
            return redirect(social.url("/evil/alice"))
        return None

    with scripted(monkeypatch, fediverse.remote, script):
        response = alice.post(board.inbox, follow_of(board, alice), now=board.clock.now)

    refused(response, 401, "not on the origin")
    nothing_cached(board)
    assert [r.path for r in social.gets()] == ["/evil/alice"]


def test_rule_08__same_origin_redirect_is_followed_but_the_key_id_must_still_match(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, monkeypatch
) -> None:
    def script(record):
        if record.path == "/old/alice":
            return redirect(alice.id, 301)
        return None

    follow = follow_of(board, alice)
    with scripted(monkeypatch, fediverse.remote, script):
        response = alice.post(
            board.inbox, follow, now=board.clock.now, key_id=fediverse.remote.url("/old/alice")
        )

    # the key id names /old/alice, but the document fetched from there is /users/alice whose
    # key is /users/alice#main-key: the key id is not the one the actor lists.
    refused(response, 401, "does not list this key")
    assert_nothing_stored(board)
    assert [r.path for r in fediverse.remote.gets()] == ["/old/alice", "/users/alice"]


# --- rule 9: embedded objects ----------------------------------------------------------------


def test_rule_09__embedded_object_on_another_host_is_not_stored_but_fetched_from_its_origin(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    social = fediverse.servers["social.example"]
    carol = social.url("/users/carol")
    social.serve_json("/notes/1", note(social, "/notes/1", carol, "<p>Carol's original</p>"))
    forged = note(social, "/notes/1", alice.id, "<p>forged copy</p>")
    sent = create(alice, forged, "create-1", board)

    accepted(board, alice.post(board.inbox, sent, now=board.clock.now), sent["id"])

    assert [r.path for r in social.gets()] == ["/notes/1"]
    assert posts(board) == {}  # the origin says carol wrote it, not alice


def test_rule_09__embedded_object_attributed_to_someone_else_is_replaced_by_the_origin_copy(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    remote = fediverse.remote
    bob = remote.url("/users/bob")
    remote.serve_json("/notes/2", note(remote, "/notes/2", alice.id, "<p>origin version</p>"))
    embedded = note(remote, "/notes/2", bob, "<p>embedded version</p>")
    sent = create(alice, embedded, "create-2", board)

    accepted(board, alice.post(board.inbox, sent, now=board.clock.now), sent["id"])

    assert [r.path for r in remote.gets("/notes/2")] == ["/notes/2"]
    stored = posts(board)[remote.url("/notes/2")]
    assert "origin version" in stored["content_html"]
    assert "embedded version" not in stored["content_html"]
    assert stored["actor"] == alice.id


def test_rule_09__embedded_object_of_the_sender_on_its_origin_is_trusted_without_a_fetch(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    remote = fediverse.remote
    sent = create(alice, note(remote, "/notes/3", alice.id, "<p>hello</p>"), "create-3", board)

    accepted(board, alice.post(board.inbox, sent, now=board.clock.now), sent["id"])

    assert remote.gets("/notes/3") == []
    assert "hello" in posts(board)[remote.url("/notes/3")]["content_html"]


def test_rule_09__object_given_by_id_is_fetched_from_its_origin(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    remote = fediverse.remote
    remote.serve_json("/notes/4", note(remote, "/notes/4", alice.id, "<p>fetched</p>"))
    sent = create(alice, remote.url("/notes/4"), "create-4", board)

    accepted(board, alice.post(board.inbox, sent, now=board.clock.now), sent["id"])

    assert len(remote.gets("/notes/4")) == 1
    assert "fetched" in posts(board)[remote.url("/notes/4")]["content_html"]


def test_rule_09__fetched_object_that_is_not_on_its_url_is_not_stored(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    remote, social = fediverse.remote, fediverse.servers["social.example"]
    # social serves, at its own URL, a note that claims to live on alice's host
    social.serve_json("/notes/5", note(remote, "/notes/5", alice.id, "<p>planted</p>"))
    sent = create(alice, social.url("/notes/5"), "create-5", board)

    accepted(board, alice.post(board.inbox, sent, now=board.clock.now), sent["id"])

    assert posts(board) == {}


# --- rule 10: ownership --------------------------------------------------------------------


@pytest.fixture
def alices_post(board: RunningBoard, fediverse: Fediverse, alice: RemoteActor) -> str:
    remote = fediverse.remote
    remote.serve_json("/notes/10", note(remote, "/notes/10", alice.id, "<p>alice wrote</p>"))
    sent = create(alice, note(remote, "/notes/10", alice.id, "<p>alice wrote</p>"), "c10", board)
    accepted(board, alice.post(board.inbox, sent, now=board.clock.now), sent["id"])
    return remote.url("/notes/10")


def _unchanged(board: RunningBoard, post_id: str) -> None:
    row = posts(board)[post_id]
    assert "alice wrote" in row["content_html"]
    assert row["deleted"] is None
    assert row["actor"].endswith("/users/alice")


@pytest.mark.parametrize("claimed_author", ["bob", "alice"])
def test_rule_10__update_of_a_post_by_someone_else_changes_nothing(
    board: RunningBoard, fediverse: Fediverse, alices_post: str, claimed_author: str
) -> None:
    bob = fediverse.actor("bob")
    author = fediverse.remote.url(f"/users/{claimed_author}")
    hijack = note(fediverse.remote, "/notes/10", author, "<p>hijacked</p>")
    update = activity(bob, "Update", hijack, "u1", to=[board.actor_id])

    accepted(board, bob.post(board.inbox, update, now=board.clock.now), update["id"])

    _unchanged(board, alices_post)


def test_rule_10__delete_of_a_post_by_someone_else_changes_nothing(
    board: RunningBoard, fediverse: Fediverse, alices_post: str
) -> None:
    bob = fediverse.actor("bob")
    delete = activity(bob, "Delete", alices_post, "d1")

    accepted(board, bob.post(board.inbox, delete, now=board.clock.now), delete["id"])

    _unchanged(board, alices_post)


def test_rule_10__delete_by_the_author_removes_the_post(
    board: RunningBoard, alice: RemoteActor, alices_post: str
) -> None:
    delete = activity(alice, "Delete", {"id": alices_post, "type": "Tombstone"}, "d1")

    accepted(board, alice.post(board.inbox, delete, now=board.clock.now), delete["id"])

    assert posts(board)[alices_post]["deleted"] is not None


def test_rule_10__delete_before_create_leaves_a_tombstone_and_the_create_is_ignored(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    remote = fediverse.remote
    post_id = remote.url("/notes/11")
    delete = activity(alice, "Delete", post_id, "d11", to=[board.actor_id])
    accepted(board, alice.post(board.inbox, delete, now=board.clock.now), delete["id"])

    sent = create(alice, note(remote, "/notes/11", alice.id, "<p>late</p>"), "c11", board)
    accepted(board, alice.post(board.inbox, sent, now=board.clock.now), sent["id"])

    visible = board.rows("SELECT id FROM remote_posts WHERE deleted IS NULL")
    assert visible == []


# --- rule 11: actor documents stay on their host -------------------------------------------


@pytest.mark.parametrize(
    "field", ["inbox", "sharedInbox", "outbox", "followers", "following", "publicKey.id"]
)
def test_rule_11__actor_with_a_link_on_another_host_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, field: str
) -> None:
    social = fediverse.servers["social.example"]
    doc = actor_document(alice)
    elsewhere = social.url("/users/alice/" + field.replace(".", "-"))
    if field == "sharedInbox":
        doc["endpoints"]["sharedInbox"] = elsewhere
    elif field == "publicKey.id":
        doc["publicKey"]["id"] = elsewhere + "#main-key"
    else:
        doc[field] = elsewhere
    fediverse.remote.serve_json("/users/alice", doc)

    response = alice.post(board.inbox, follow_of(board, alice), now=board.clock.now)

    refused(response, 401, "on another host")
    nothing_cached(board)
    assert social.received() == []


def test_rule_11__actor_url_on_another_host_is_dropped(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    doc = actor_document(alice)
    doc["url"] = "https://phishing.example/@alice"
    fediverse.remote.serve_json("/users/alice", doc)
    follow = follow_of(board, alice)

    accepted(board, alice.post(board.inbox, follow, now=board.clock.now), follow["id"])

    assert board.value("SELECT url FROM remote_actors WHERE id = ?", alice.id) is None


def test_rule_11__post_url_on_another_host_is_dropped(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    remote = fediverse.remote
    obj = note(remote, "/notes/12", alice.id, "<p>x</p>", url="https://phishing.example/n/12")
    sent = create(alice, obj, "c12", board)

    accepted(board, alice.post(board.inbox, sent, now=board.clock.now), sent["id"])

    assert posts(board)[remote.url("/notes/12")]["url"] is None


# --- rule 12: one canonical host function --------------------------------------------------


def test_rule_12__signed_host_with_a_trailing_dot_is_this_board(
    board: RunningBoard, alice: RemoteActor
) -> None:
    # FEDERATION.md: hosts are compared only in one canonical form (one trailing dot removed).
    host, port = board.authority.rsplit(":", 1)
    follow = follow_of(board, alice)

    response = signed_post(board, alice, follow, host=f"{host}.:{port}")

    accepted(board, response, follow["id"])


def test_rule_12__key_id_on_our_host_spelled_with_a_trailing_dot_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    host, port = board.authority.rsplit(":", 1)
    own = f"http://{host}.:{port}/users/nordstadt"
    forged = {"id": f"{own}/f/1", "type": "Follow", "actor": own, "object": board.actor_id}

    response = signed_post(board, alice, forged, key_id=f"{own}#main-key")

    refused(response, 401, "this server")
    assert_nothing_stored(board)
    assert fediverse.all_requests() == []


@pytest.mark.parametrize("spelling", ["trailing-dot", "upper-scheme"])
def test_rule_12__blocked_host_spelled_differently_is_still_blocked(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, spelling: str
) -> None:
    result = board.cli("block", fediverse.remote.authority)
    assert result.returncode == 0, result.stderr
    host, port = fediverse.remote.authority.rsplit(":", 1)
    if spelling == "trailing-dot":
        actor = f"http://{host}.:{port}/users/alice"
    else:
        actor = f"HTTP://{host}:{port}/users/alice"
    follow = {"id": f"{alice.id}/f/1", "type": "Follow", "actor": actor, "object": board.actor_id}

    response = signed_post(board, alice, follow, key_id=f"{actor}#main-key")

    refused(response, 403, "blocked")
    assert_nothing_stored(board)
    assert fediverse.all_requests() == []


def test_rule_12__actor_spelled_differently_than_its_key_is_not_that_actor(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    host, port = fediverse.remote.authority.rsplit(":", 1)
    respelled = f"http://{host}.:{port}/users/alice"
    follow = {"id": f"{alice.id}/f/1", "type": "Follow", "actor": respelled}
    follow["object"] = board.actor_id

    response = alice.post(board.inbox, follow, now=board.clock.now)

    refused(response, 401, "does not belong")
    assert_nothing_stored(board)


@pytest.mark.parametrize(
    "authority",
    [
        "user@{remote}",  # userinfo
        "{remote}\\@evil.example",  # backslash: WHATWG and urllib disagree
        "127.0.0.1%2e:{port}",  # percent-encoding in the host
        "2130706433:{port}",  # decimal IPv4
        "0x7f.0.0.1:{port}",  # hexadecimal IPv4
        "0177.0.0.1:{port}",  # octal IPv4
        "127.1:{port}",  # short IPv4
    ],
)
def test_rule_12__ambiguous_host_spellings_are_refused_before_any_fetch(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, authority: str
) -> None:
    board = shared_board
    remote = fediverse.remote.authority
    port = remote.rsplit(":", 1)[1]
    actor = "http://" + authority.format(remote=remote, port=port) + "/users/alice"
    follow = {"id": f"{alice.id}/f/1", "type": "Follow", "actor": actor, "object": board.actor_id}

    response = signed_post(board, alice, follow, key_id=f"{actor}#main-key")

    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "host" in response.text.lower()
    assert_nothing_stored(board)
    assert fediverse.all_requests() == []


# --- rule 13: no remote JSON-LD contexts ---------------------------------------------------


def test_rule_13__remote_contexts_in_actor_and_activity_are_never_fetched(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    social = fediverse.servers["social.example"]
    context_url = social.url("/contexts/evil.jsonld")
    social.serve_json("/contexts/evil.jsonld", {"@context": {"inbox": "as:outbox"}})
    doc = actor_document(alice)
    doc["@context"] = [AS_CONTEXT, context_url]
    fediverse.remote.serve_json("/users/alice", doc)
    follow = follow_of(board, alice)
    follow["@context"] = [context_url, AS_CONTEXT]

    accepted(board, alice.post(board.inbox, follow, now=board.clock.now), follow["id"])
    sent = create(alice, note(fediverse.remote, "/notes/13", alice.id, "x"), "c13", board)
    sent["@context"] = {"@import": context_url}
    accepted(board, alice.post(board.inbox, sent, now=board.clock.now), sent["id"])

    assert social.received() == []
    assert [r.path for r in gets(fediverse)] == ["/users/alice"]
    [follower] = board.followers()
    assert follower["inbox"] == alice.inbox  # read as compacted JSON, no aliasing
