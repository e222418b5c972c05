"""Participation from the fediverse through the real app: replies, likes and boosts, mentions the
board shares, reports, blocks, limited federation and the audit log of what staff decided."""

from __future__ import annotations

import re
from typing import Any

import httpx

from federation import store as fedstore
from noticeboard.network import service as network
from noticeboard.notices import service as notices
from noticeboard.participation import service as participation
from noticeboard.participation import settings
from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token
from tests.support.fediverse import AS_CONTEXT, FakeServer, Fediverse, RemoteActor

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


# --- sending and waiting --------------------------------------------------------------------------


def deliver(board: RunningBoard, actor: RemoteActor, activity: dict[str, Any]) -> httpx.Response:
    """POST a signed activity to the board's inbox and wait until the board has processed it."""
    response = actor.post(board.inbox, activity, now=board.clock.now)
    assert response.status_code == 202, (response.status_code, response.text)

    def settled() -> dict[str, Any] | None:
        rows = board.rows(
            "SELECT state, last_error FROM inbox_activities WHERE id = ?", activity["id"]
        )
        done = rows and (rows[0]["state"] != "pending" or rows[0]["last_error"])
        return rows[0] if done else None

    board.drain()
    row = settled()
    assert row == {"state": "done", "last_error": None}, row
    return response


def refused(board: RunningBoard, actor: RemoteActor, activity: dict[str, Any]) -> None:
    response = actor.post(board.inbox, activity, now=board.clock.now)
    assert response.status_code == 403, (response.status_code, response.text)
    assert "blocked" in response.text
    assert board.rows("SELECT id FROM inbox_activities WHERE id = ?", activity["id"]) == []


def on_board(board: RunningBoard, work: Any) -> Any:
    """Run a use case of the board (as the command line would) on the server's own loop."""
    return board.run_on_board(work)


def received(server: FakeServer, path: str, type_: str) -> list[dict[str, Any]]:
    return [r.json() for r in server.posts(path) if r.json().get("type") == type_]


def remote_actor_row(board: RunningBoard, actor_id: str) -> fedstore.RemoteActorRow:
    async def fetch(b: Any) -> fedstore.RemoteActorRow | None:
        return await fedstore.get_remote_actor(b.db, actor_id)

    row = on_board(board, fetch)
    assert row is not None, f"{actor_id} is not cached"
    return row


# --- what remote servers send ---------------------------------------------------------------------


def post(
    actor: RemoteActor,
    board: RunningBoard,
    n: int,
    content: str,
    *,
    in_reply_to: str | None = None,
    to: list[str] | None = None,
    cc: list[str] | None = None,
    tagged: bool = True,
) -> dict[str, Any]:
    """A Mastodon-shaped public Note that mentions the board (in cc and in a Mention tag)."""
    note: dict[str, Any] = {
        "id": f"{actor.id}/statuses/{n}",
        "type": "Note",
        "attributedTo": actor.id,
        "content": f"<p>{content}</p>",
        "url": actor.server.url(f"/@{actor.username}/{n}"),
        "published": "2026-03-02T09:30:00Z",
        "to": [PUBLIC] if to is None else to,
        "cc": [f"{actor.id}/followers", board.actor_id] if cc is None else cc,
    }
    if in_reply_to is not None:
        note["inReplyTo"] = in_reply_to
    if tagged:
        note["tag"] = [
            {"type": "Mention", "href": board.actor_id, "name": f"@nordstadt@{board.authority}"}
        ]
    return note


def reply(actor: RemoteActor, board: RunningBoard, notice_id: int, n: int, content: str) -> dict:
    return post(actor, board, n, content, in_reply_to=board.url(f"/notices/{notice_id}"))


def create(actor: RemoteActor, note: dict[str, Any], suffix: str = "activity") -> dict[str, Any]:
    """Create{note} addressed as the note is, the way Mastodon wraps a status."""
    return {
        "@context": AS_CONTEXT,
        "id": f"{note['id']}/{suffix}",
        "type": "Create",
        "actor": actor.id,
        "to": note["to"],
        "cc": note.get("cc", []),
        "object": note,
    }


def activity(actor: RemoteActor, type_: str, obj: Any, suffix: str, **extra: Any) -> dict:
    return {
        "@context": AS_CONTEXT,
        "id": actor.activity_id(suffix),
        "type": type_,
        "actor": actor.id,
        "object": obj,
        **extra,
    }


def delete(actor: RemoteActor, object_id: str, suffix: str = "delete-1") -> dict[str, Any]:
    return activity(actor, "Delete", {"id": object_id, "type": "Tombstone"}, suffix, to=[PUBLIC])


def follow(board: RunningBoard, actor: RemoteActor) -> None:
    deliver(board, actor, actor.follow(board.actor_id, f"follow-{actor.username}"))
    assert board.value("SELECT state FROM followers WHERE actor_id = ?", actor.id) == "accepted"


# --- what the board shows -------------------------------------------------------------------------


def publish(board: RunningBoard, title: str = "Hoffest am Samstag") -> int:
    url = board.publish(board.login(), title, "Alle sind eingeladen.")
    return int(url.rsplit("/", 1)[1])


def replies_section(board: RunningBoard, notice_id: int) -> str:
    page = board.get(f"/notices/{notice_id}")
    assert page.status_code == 200, page.status_code
    match = re.search(r'<section class="replies" id="replies".*?</section>', page.text, re.S)
    assert match, "the notice page has no replies section"
    return match.group(0)


def reply_ids(board: RunningBoard, notice_id: int) -> list[str]:
    collection = board.get_json(f"/notices/{notice_id}/replies")
    assert collection["type"] == "OrderedCollection"
    assert collection["totalItems"] == len(collection["orderedItems"])
    return collection["orderedItems"]


def reaction_numbers(board: RunningBoard, notice_id: int) -> list[int]:
    """The numbers in the reactions line of a notice page: likes, boosts, replies (if any)."""
    page = board.get(f"/notices/{notice_id}").text
    match = re.search(r'<p class="notice__reactions">(.*?)</p>', page, re.S)
    return [int(n) for n in re.findall(r">\s*(\d+)\s", match.group(1))] if match else []


def reactions(board: RunningBoard) -> list[tuple[str, str]]:
    rows = board.rows("SELECT actor, type FROM reactions ORDER BY actor, type")
    return [(r["actor"], r["type"]) for r in rows]


def items(board: RunningBoard) -> list[dict[str, Any]]:
    return board.rows("SELECT id, kind, ref, state, reason, summary FROM moderation_items")


def pending(board: RunningBoard, kind: str) -> list[str]:
    rows = board.rows(
        "SELECT ref FROM moderation_items WHERE kind = ? AND state = 'pending' ORDER BY id", kind
    )
    return [r["ref"] for r in rows]


def item_id(board: RunningBoard, ref: str) -> int:
    return int(board.value("SELECT id FROM moderation_items WHERE ref = ?", ref))


def approve(board: RunningBoard, ref: str, reason: str = "") -> int:
    """Approve the queue item of a post as the command line does; the new notice's number."""
    number = item_id(board, ref)
    return int(on_board(board, lambda s: participation.approve(s, number, reason)).value)


def audit(board: RunningBoard, *actions: str) -> list[tuple[str, str, str, str]]:
    rows = board.rows("SELECT staff, action, target, reason FROM audit_log ORDER BY id")
    return [
        (r["staff"], r["action"], r["target"], r["reason"])
        for r in rows
        if not actions or r["action"] in actions
    ]


# --- staff in the browser -------------------------------------------------------------------------


def staff(board: RunningBoard) -> httpx.Client:
    return board.login(board.new_client(**{"Accept-Language": "en"}))


def submit(client: httpx.Client, page: str, target: str, /, **data: str) -> httpx.Response:
    """Fill in a staff form: take the CSRF token from `page` and POST to `target`."""
    form = client.get(page)
    assert form.status_code == 200, (form.status_code, form.text[:300])
    return client.post(target, data={"csrf_token": csrf_token(form.text), **data})


def flash(html: str) -> str:
    match = re.search(r'<p class="flash" role="status">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else ""


# --- replies --------------------------------------------------------------------------------------


def test_reply__is_held_by_default_and_not_shown(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = publish(board)
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Ich bringe Kuchen mit!")

    deliver(board, alice, create(alice, note))

    [item] = items(board)
    assert (item["kind"], item["ref"], item["state"]) == ("reply", note["id"], "pending")
    assert "Kuchen" in item["summary"]
    assert "Kuchen" not in replies_section(board, notice_id)
    assert reply_ids(board, notice_id) == []
    assert board.value("SELECT state FROM remote_posts WHERE id = ?", note["id"]) == "held"


def test_reply__approved_is_shown_on_the_page_and_in_the_collection(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Ich bringe Kuchen mit!")
    deliver(board, alice, create(alice, note))

    number = item_id(board, note["id"])

    on_board(board, lambda s: participation.approve(s, number, "passt"))

    section = replies_section(board, notice_id)
    assert "Ich bringe Kuchen mit!" in section
    assert alice.server.url("/@alice/1") in section
    assert reply_ids(board, notice_id) == [note["id"]]
    assert reaction_numbers(board, notice_id) == [1]  # one reply
    assert pending(board, "reply") == []
    assert audit(board, "reply.approve") == [("system", "reply.approve", f"#{number}", "passt")]


def test_reply_policy__open_shows_replies_at_once(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    client = staff(board)
    response = submit(
        client, "/staff/settings", "/staff/settings", action="reply_policy", value="open"
    )
    assert response.status_code == 303
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Super Idee")

    deliver(board, alice, create(alice, note))

    assert "Super Idee" in replies_section(board, notice_id)
    assert reply_ids(board, notice_id) == [note["id"]]
    assert items(board) == []
    assert audit(board, "settings.reply_policy") == [("admin", "settings.reply_policy", "open", "")]


def test_reply_policy__unknown_value_is_not_stored(board: RunningBoard) -> None:
    assert on_board(board, lambda s: settings.set_reply_policy(s, "everyone")).ok is False
    assert board.value("SELECT value FROM settings WHERE key = 'reply_policy'") is None
    assert audit(board, "settings.reply_policy") == []


def test_reply_policy__known_shows_followers_and_accounts_on_their_servers(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    assert on_board(board, lambda s: settings.set_reply_policy(s, "known")).ok
    alice, bob = fediverse.actor("alice"), fediverse.actor("bob")  # both on remote.example
    carla = fediverse.actor("carla", server=fediverse.servers["social.example"])
    follow(board, alice)
    notes = {
        actor.username: reply(actor, board, notice_id, n, f"Antwort von {actor.username}")
        for n, actor in enumerate((alice, bob, carla), start=1)
    }

    for actor in (alice, bob, carla):
        deliver(board, actor, create(actor, notes[actor.username]))

    assert reply_ids(board, notice_id) == [notes["alice"]["id"], notes["bob"]["id"]]
    assert pending(board, "reply") == [notes["carla"]["id"]]
    assert "Antwort von carla" not in replies_section(board, notice_id)


def test_reply_policy__known_shows_accounts_on_servers_the_board_follows(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    assert on_board(board, lambda s: settings.set_reply_policy(s, "known")).ok
    gts = fediverse.servers["gts.example"]
    jo, mo = fediverse.actor("jo", server=gts), fediverse.actor("mo", server=gts)
    resolver = board.app.state.runtime.resolver

    async def follow_jo(b: Any) -> str:
        return (await network.follow(b, await resolver.get(jo.id))).value

    follow_id = on_board(board, follow_jo)
    board.drain()
    assert received(gts, jo.inbox_path, "Follow"), "the Follow"
    early = reply(mo, board, notice_id, 1, "Noch nicht bekannt")
    deliver(board, mo, create(mo, early))  # the follow is still pending: held
    deliver(board, jo, activity(jo, "Accept", follow_id, "accept-1"))
    late = reply(mo, board, notice_id, 2, "Jetzt bekannt")

    deliver(board, mo, create(mo, late))

    assert reply_ids(board, notice_id) == [late["id"]]
    assert pending(board, "reply") == [early["id"]]


def test_reply__delivered_twice_is_filed_once(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = publish(board)
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Doppelt hält besser")
    first = create(alice, note)

    deliver(board, alice, first)
    again = alice.post(board.inbox, first, now=board.clock.now)
    deliver(board, alice, create(alice, note, suffix="activity-resent"))  # same note, new id

    assert again.status_code == 202 and "already" in again.text
    assert [(i["kind"], i["ref"]) for i in items(board)] == [("reply", note["id"])]
    assert board.value("SELECT count(*) FROM remote_posts") == 1


def test_reply__approved_and_delivered_again_stays_shown_without_a_new_item(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Hallo")
    deliver(board, alice, create(alice, note))
    approve(board, note["id"])

    deliver(board, alice, create(alice, note, suffix="activity-resent"))

    assert reply_ids(board, notice_id) == [note["id"]]
    assert [i["state"] for i in items(board)] == ["approved"]


def test_reply__update_by_its_author_changes_the_text(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    on_board(board, lambda s: settings.set_reply_policy(s, "open"))
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Ich komme um 3")
    deliver(board, alice, create(alice, note))

    changed = {**note, "content": "<p>Ich komme um 4</p>", "updated": "2026-03-02T10:00:00Z"}
    deliver(board, alice, activity(alice, "Update", changed, "update-1", to=[PUBLIC]))

    section = replies_section(board, notice_id)
    assert "Ich komme um 4" in section
    assert "Ich komme um 3" not in section


def test_reply__update_by_another_account_changes_nothing(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    on_board(board, lambda s: settings.set_reply_policy(s, "open"))
    alice, mallory = fediverse.actor("alice"), fediverse.actor("mallory")
    note = reply(alice, board, notice_id, 1, "Ich komme um 3")
    deliver(board, alice, create(alice, note))
    alice.server.serve_json(note["id"].removeprefix(alice.server.origin), note)

    forged = {**note, "content": "<p>Gefälscht</p>"}
    deliver(board, mallory, activity(mallory, "Update", forged, "update-1", to=[PUBLIC]))
    forged_as_own = {**forged, "attributedTo": mallory.id}
    deliver(board, mallory, activity(mallory, "Update", forged_as_own, "update-2", to=[PUBLIC]))

    section = replies_section(board, notice_id)
    assert "Ich komme um 3" in section
    assert "Gefälscht" not in section


def test_reply__delete_by_its_author_removes_it(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = publish(board)
    on_board(board, lambda s: settings.set_reply_policy(s, "open"))
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Bald gelöscht")
    deliver(board, alice, create(alice, note))
    assert reply_ids(board, notice_id) == [note["id"]]

    deliver(board, alice, delete(alice, note["id"]))

    assert reply_ids(board, notice_id) == []
    assert "Bald gelöscht" not in replies_section(board, notice_id)
    assert reaction_numbers(board, notice_id) == []


def test_reply__delete_by_its_author_withdraws_the_waiting_item(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Ups, falscher Aushang")
    deliver(board, alice, create(alice, note))
    number = item_id(board, note["id"])

    deliver(board, alice, delete(alice, note["id"]))

    assert pending(board, "reply") == []
    refused = on_board(board, lambda s: participation.approve(s, number))
    assert "decided already" in refused.reason
    assert reply_ids(board, notice_id) == []


def test_reply__delete_by_another_account_keeps_it_waiting(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    alice, mallory = fediverse.actor("alice"), fediverse.actor("mallory")
    note = reply(alice, board, notice_id, 1, "Bitte freischalten")
    deliver(board, alice, create(alice, note))

    deliver(board, mallory, delete(mallory, note["id"]))

    assert pending(board, "reply") == [note["id"]]
    approve(board, note["id"])
    assert reply_ids(board, notice_id) == [note["id"]]


def test_reply__delete_before_create_leaves_a_tombstone(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Schon weg")

    deliver(board, alice, delete(alice, note["id"]))
    deliver(board, alice, create(alice, note))

    assert items(board) == []
    assert reply_ids(board, notice_id) == []


def test_reply__delete_from_another_server_before_create_does_not_suppress_it(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    alice = fediverse.actor("alice")
    carla = fediverse.actor("carla", server=fediverse.servers["social.example"])
    note = reply(alice, board, notice_id, 1, "Darf nicht verschwinden")

    deliver(board, carla, delete(carla, note["id"]))  # not carla's post, not carla's server
    deliver(board, alice, create(alice, note))

    assert pending(board, "reply") == [note["id"]]


def test_reply__to_a_deleted_notice_is_not_filed_as_reply(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    assert on_board(board, lambda s: notices.delete(s, notice_id)).ok
    alice = fediverse.actor("alice")

    deliver(board, alice, create(alice, reply(alice, board, notice_id, 1, "Zu spät")))

    assert pending(board, "reply") == []
    assert board.rows("SELECT id FROM remote_posts WHERE role = 'reply'") == []
    assert (
        board.get(f"/notices/{notice_id}/replies", headers={"Accept": AP_JSON}).status_code == 404
    )


def test_reply__to_a_notice_that_does_not_exist_is_not_filed_as_reply(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    publish(board)
    alice = fediverse.actor("alice")

    deliver(board, alice, create(alice, reply(alice, board, 99, 1, "Wohin?")))

    assert pending(board, "reply") == []
    assert board.rows("SELECT id FROM remote_posts WHERE role = 'reply'") == []
    assert reply_ids(board, 1) == []


def test_direct_message__is_not_stored(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = publish(board)
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Nur für euch")
    note.update(to=[board.actor_id], cc=[])

    deliver(board, alice, create(alice, note))

    assert board.rows("SELECT id FROM remote_posts") == []
    assert items(board) == []
    assert reply_ids(board, notice_id) == []


# --- likes and boosts -----------------------------------------------------------------------------


def test_like_and_boost__counted_once_per_actor(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = publish(board)
    notice = board.url(f"/notices/{notice_id}")
    alice, bob = fediverse.actor("alice"), fediverse.actor("bob")

    deliver(board, alice, activity(alice, "Like", notice, "like-1"))
    deliver(board, alice, activity(alice, "Like", notice, "like-2"))  # again, with a new id
    deliver(board, bob, activity(bob, "Like", notice, "like-1"))
    deliver(board, alice, activity(alice, "Announce", notice, "boost-1", to=[PUBLIC]))

    assert reactions(board) == [(alice.id, "Announce"), (alice.id, "Like"), (bob.id, "Like")]
    assert reaction_numbers(board, notice_id) == [2, 1]


def test_like__of_something_not_ours_is_ignored(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = publish(board)
    deleted = publish(board, "Abgesagt")
    on_board(board, lambda s: notices.delete(s, deleted))
    alice = fediverse.actor("alice")
    targets = [
        alice.server.url("/users/bob/statuses/1"),  # someone else's post
        board.url("/notices/99"),  # no such notice
        board.url(f"/notices/{deleted}"),  # a deleted notice
        board.url(f"/notices/{notice_id}/replies"),  # ours, but not a notice
        board.actor_id,
    ]

    for n, target in enumerate(targets):
        deliver(board, alice, activity(alice, "Like", target, f"like-{n}"))
    deliver(board, alice, activity(alice, "Announce", targets[0], "boost-1", to=[PUBLIC]))

    assert reactions(board) == []
    assert reaction_numbers(board, notice_id) == []


def test_undo__by_id_removes_the_like(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = publish(board)
    alice = fediverse.actor("alice")
    like = activity(alice, "Like", board.url(f"/notices/{notice_id}"), "like-1")
    deliver(board, alice, like)

    deliver(board, alice, activity(alice, "Undo", like["id"], "undo-1"))

    assert reactions(board) == []
    assert reaction_numbers(board, notice_id) == []


def test_undo__with_embedded_object_removes_the_boost(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    notice = board.url(f"/notices/{notice_id}")
    alice, bob = fediverse.actor("alice"), fediverse.actor("bob")
    boost = activity(alice, "Announce", notice, "boost-1", to=[PUBLIC])
    deliver(board, alice, boost)
    deliver(board, bob, activity(bob, "Announce", notice, "boost-1", to=[PUBLIC]))

    deliver(board, alice, alice.undo(boost))  # embedded, found by its id
    unknown_id = activity(bob, "Announce", notice, "boost-lost", to=[PUBLIC])
    deliver(board, bob, bob.undo(unknown_id))  # embedded, found by what it was of

    assert reactions(board) == []


def test_undo__by_another_actor_keeps_the_like(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = publish(board)
    alice, bob = fediverse.actor("alice"), fediverse.actor("bob")
    like = activity(alice, "Like", board.url(f"/notices/{notice_id}"), "like-1")
    deliver(board, alice, like)

    deliver(board, bob, activity(bob, "Undo", like["id"], "undo-1"))
    deliver(board, bob, activity(bob, "Undo", dict(like), "undo-2"))

    assert reactions(board) == [(alice.id, "Like")]
    assert reaction_numbers(board, notice_id) == [1]


# --- mentions the board shares --------------------------------------------------------------------


def test_mention__waits_in_the_queue(board: RunningBoard, fediverse: Fediverse) -> None:
    alice = fediverse.actor("alice")
    note = post(alice, board, 1, "Flohmarkt im Hof am Sonntag", tagged=False)

    deliver(board, alice, create(alice, note))

    assert [(i["kind"], i["ref"], i["state"]) for i in items(board)] == [
        ("mention", note["id"], "pending")
    ]
    assert board.value("SELECT count(*) FROM notices") == 0


def test_mention__by_tag_alone_waits_in_the_queue(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    note = post(alice, board, 1, "Wer hilft beim Umzug?", cc=[f"{alice.id}/followers"])

    deliver(board, alice, create(alice, note))

    assert pending(board, "mention") == [note["id"]]


def test_mention__not_public_is_not_stored(board: RunningBoard, fediverse: Fediverse) -> None:
    alice = fediverse.actor("alice")
    note = post(alice, board, 1, "Psst", to=[board.actor_id], cc=[])

    deliver(board, alice, create(alice, note))

    assert items(board) == []
    assert board.rows("SELECT id FROM remote_posts") == []


def test_mention__approved_is_shared_and_announced(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    other = fediverse.servers["other.example"]
    kim = fediverse.actor("kim", server=other)
    follow(board, kim)
    alice = fediverse.actor("alice")
    note = post(alice, board, 1, "Flohmarkt im Hof am Sonntag")
    deliver(board, alice, create(alice, note))
    number = item_id(board, note["id"])
    client = staff(board)

    response = submit(
        client, f"/staff/queue/{number}", f"/staff/queue/{number}/approve", reason="schön"
    )

    assert response.status_code == 303
    [notice] = board.rows("SELECT * FROM notices")
    assert (notice["origin"], notice["origin_id"]) == ("shared", note["id"])
    board.drain()
    [to_kim] = received(other, "/inbox", "Announce")
    board.drain()
    [to_alice] = received(alice.server, "/inbox", "Announce")
    assert to_kim == to_alice
    assert to_kim["actor"] == board.actor_id
    assert to_kim["object"] == note["id"]
    assert to_kim["to"] == [PUBLIC]
    assert set(to_kim["cc"]) == {board.url("/users/nordstadt/followers"), alice.id}
    assert to_kim["id"] == notice["announce_id"]
    assert audit(board, "mention.approve") == [("admin", "mention.approve", f"#{number}", "schön")]


def test_shared_notice__page_names_the_original_and_machines_are_sent_there(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    note = post(alice, board, 1, "Flohmarkt im Hof am Sonntag")
    deliver(board, alice, create(alice, note))
    notice_id = approve(board, note["id"])

    page = board.get(f"/notices/{notice_id}")
    machine = board.get(f"/notices/{notice_id}", headers={"Accept": AP_JSON})

    assert page.status_code == 200
    origin = re.search(r'<p class="notice__origin">(.*?)</p>', page.text, re.S)
    assert origin, "the page does not say where the notice comes from"
    assert "Geteilt von" in origin.group(1)
    assert f"@alice@{alice.server.authority}" in origin.group(1)
    assert f'href="{note["url"]}"' in origin.group(1)
    assert "Flohmarkt im Hof am Sonntag" in page.text
    assert machine.status_code == 303
    assert machine.headers["location"] == note["id"]
    assert board.get(f"/notices/{notice_id}/replies").status_code == 404


def test_mention__approving_twice_says_decided_already(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    note = post(alice, board, 1, "Flohmarkt")
    deliver(board, alice, create(alice, note))
    number = item_id(board, note["id"])
    client = staff(board)
    page = client.get(f"/staff/queue/{number}").text
    approve = {"csrf_token": csrf_token(page), "reason": ""}

    first = client.post(f"/staff/queue/{number}/approve", data=approve)
    second = client.post(f"/staff/queue/{number}/approve", data=approve)

    assert (first.status_code, second.status_code) == (303, 303)
    assert "decided already" in flash(client.get(second.headers["location"]).text)
    refused = on_board(board, lambda s: participation.approve(s, number))
    assert "decided already" in refused.reason
    assert board.value("SELECT count(*) FROM notices") == 1
    assert board.value("SELECT count(*) FROM outbox_activities WHERE type = 'Announce'") == 1
    assert len(audit(board, "mention.approve")) == 1


def test_mention__rejected_sends_nothing(board: RunningBoard, fediverse: Fediverse) -> None:
    kim = fediverse.actor("kim", server=fediverse.servers["other.example"])
    follow(board, kim)
    alice = fediverse.actor("alice")
    note = post(alice, board, 1, "Kauft bei mir!")
    deliver(board, alice, create(alice, note))
    number = item_id(board, note["id"])
    deliveries_before = len(board.deliveries())
    client = staff(board)

    no_reason = submit(client, f"/staff/queue/{number}", f"/staff/queue/{number}/reject")
    response = submit(
        client, f"/staff/queue/{number}", f"/staff/queue/{number}/reject", reason="Werbung"
    )

    assert no_reason.status_code == 400
    assert response.status_code == 303
    assert board.value("SELECT count(*) FROM notices") == 0
    assert len(board.deliveries()) == deliveries_before
    board.drain()
    assert received(alice.server, "/inbox", "Announce") == []
    assert [(i["state"], i["reason"]) for i in items(board)] == [("rejected", "Werbung")]
    assert audit(board, "mention.reject") == [("admin", "mention.reject", f"#{number}", "Werbung")]


def test_mention__deleted_before_approval_cannot_be_shared(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    note = post(alice, board, 1, "Doch nicht")
    deliver(board, alice, create(alice, note))
    number = item_id(board, note["id"])

    deliver(board, alice, delete(alice, note["id"]))

    assert not on_board(board, lambda s: participation.approve(s, number)).ok
    assert board.value("SELECT count(*) FROM notices") == 0


def test_shared_notice__deleted_sends_undo_announce(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    other = fediverse.servers["other.example"]
    follow(board, fediverse.actor("kim", server=other))
    alice = fediverse.actor("alice")
    note = post(alice, board, 1, "Flohmarkt")
    deliver(board, alice, create(alice, note))
    notice_id = approve(board, note["id"])
    board.drain()
    [announce] = received(other, "/inbox", "Announce")

    assert on_board(board, lambda s: notices.delete(s, notice_id)).ok

    board.drain()
    [undo] = received(other, "/inbox", "Undo")
    board.drain()
    [to_author] = received(alice.server, "/inbox", "Undo")
    assert undo == to_author
    assert undo["actor"] == board.actor_id
    assert undo["object"]["type"] == "Announce"
    assert undo["object"]["id"] == announce["id"]
    assert undo["object"]["object"] == note["id"]
    assert board.get(f"/notices/{notice_id}").status_code == 410
    assert audit(board, "notice.delete") == [("system", "notice.delete", note["id"], "")]


def test_mention__from_a_blocked_account_is_refused(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    assert on_board(board, lambda s: settings.block_actor(s, alice.id, "Spam")).ok

    refused(board, alice, create(alice, post(alice, board, 1, "Kauft bei mir!")))

    assert items(board) == []
    assert board.rows("SELECT id FROM remote_posts") == []


# --- reports --------------------------------------------------------------------------------------


def flag(reporter: RemoteActor, objects: list[str], comment: str, n: int = 1) -> dict[str, Any]:
    return activity(reporter, "Flag", objects, f"flag-{n}", content=comment)


def test_flag__lands_in_the_queue_with_its_comment(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    server_actor = fediverse.actor("instance", actor_type="Application")
    objects = [board.actor_id, board.url(f"/notices/{notice_id}")]

    deliver(board, server_actor, flag(server_actor, objects, "Falsche Telefonnummer im Aushang"))

    [report] = board.rows("SELECT * FROM reports")
    assert report["incoming"] == 1
    assert report["reporter"] == server_actor.id
    assert report["comment"] == "Falsche Telefonnummer im Aushang"
    assert board.url(f"/notices/{notice_id}") in report["objects"]
    [item] = items(board)
    assert (item["kind"], item["ref"], item["state"]) == ("report", str(report["id"]), "pending")
    assert "Falsche Telefonnummer" in item["summary"]


def test_flag__about_nothing_of_ours_is_ignored(board: RunningBoard, fediverse: Fediverse) -> None:
    server_actor = fediverse.actor("instance", actor_type="Application")
    elsewhere = [server_actor.server.url("/users/bob"), "https://elsewhere.example/notes/1"]

    deliver(board, server_actor, flag(server_actor, elsewhere, "Spam"))
    deliver(board, server_actor, flag(server_actor, [], "Leer", n=2))

    assert board.rows("SELECT id FROM reports") == []
    assert items(board) == []


def test_report__forwarded_hides_the_reply_and_flags_it_from_the_server_actor(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    on_board(board, lambda s: settings.set_reply_policy(s, "open"))
    alice = fediverse.actor("alice", shared_inbox=None)
    note = reply(alice, board, notice_id, 1, "Beleidigung")
    deliver(board, alice, create(alice, note))
    author = remote_actor_row(board, alice.id)

    on_board(board, lambda s: participation.report(s, author, [note["id"]], "beleidigend", True))

    assert reply_ids(board, notice_id) == []
    assert "Beleidigung" not in replies_section(board, notice_id)
    board.drain()
    [request] = alice.server.posts(alice.inbox_path)
    sent = request.json()
    assert sent["type"] == "Flag"
    assert sent["actor"] == board.url("/actor")
    assert sent["content"] == "beleidigend"
    assert set(sent["object"]) == {alice.id, note["id"]}
    assert f'keyId="{board.url("/actor")}#main-key"' in request.headers["signature"]
    assert audit(board, "report.create") == [("system", "report.create", alice.id, "beleidigend")]


def test_report__from_the_replies_page_without_forwarding_sends_nothing(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    on_board(board, lambda s: settings.set_reply_policy(s, "open"))
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Beleidigung")
    deliver(board, alice, create(alice, note))
    client = staff(board)

    response = submit(
        client, "/staff/replies", "/staff/replies/report", post=note["id"], comment="intern"
    )

    assert response.status_code == 303
    assert reply_ids(board, notice_id) == []
    assert "Beleidigung" not in client.get("/staff/replies").text
    assert board.rows("SELECT id FROM outbox_activities WHERE type = 'Flag'") == []
    board.drain()
    assert alice.server.posts() == []
    [report] = board.rows("SELECT * FROM reports")
    assert (report["incoming"], report["forwarded"], report["comment"]) == (0, None, "intern")
    assert audit(board, "report.create") == [("admin", "report.create", alice.id, "intern")]


# --- blocks ---------------------------------------------------------------------------------------


def test_block_actor__through_the_staff_page(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = publish(board)
    on_board(board, lambda s: settings.set_reply_policy(s, "open"))
    alice, bob = fediverse.actor("alice"), fediverse.actor("bob")
    follow(board, alice)
    shown = reply(alice, board, notice_id, 1, "Sichtbar")
    mention = post(alice, board, 2, "Teilt das!")
    deliver(board, alice, create(alice, shown))
    deliver(board, alice, create(alice, mention))
    deliver(board, bob, create(bob, reply(bob, board, notice_id, 1, "Von Bob")))
    deliver(board, alice, activity(alice, "Like", board.url(f"/notices/{notice_id}"), "like-1"))
    assert reaction_numbers(board, notice_id) == [1, 2]  # a like, two replies
    client = staff(board)

    response = submit(
        client, "/staff/blocks", "/staff/blocks/block", target=alice.id, reason="Belästigung"
    )

    assert response.status_code == 303
    assert "The account is blocked." in flash(client.get("/staff/blocks").text)
    assert board.followers() == []
    section = replies_section(board, notice_id)
    assert "Sichtbar" not in section and "Von Bob" in section
    assert reply_ids(board, notice_id) == [f"{bob.id}/statuses/1"]
    assert reaction_numbers(board, notice_id) == [1]  # no like any more, bob's reply
    assert board.value("SELECT state FROM moderation_items WHERE ref = ?", mention["id"]) == (
        "rejected"
    )
    boost = activity(alice, "Announce", board.url(f"/notices/{notice_id}"), "boost-1")
    refused(board, alice, boost)
    assert audit(board, "block.actor") == [("admin", "block.actor", alice.id, "Belästigung")]


def test_block_actor__also_covers_posts_embedded_by_others(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice, bob = fediverse.actor("alice"), fediverse.actor("bob")
    on_board(board, lambda s: settings.block_actor(s, alice.id))
    note = post(alice, board, 1, "Über Bob")

    refused(board, bob, activity(bob, "Announce", note, "boost-1", to=[PUBLIC]))


def test_unblock_actor__accepts_the_account_again(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    alice = fediverse.actor("alice")
    assert on_board(board, lambda s: settings.block_actor(s, alice.id)).ok
    like = activity(alice, "Like", board.url(f"/notices/{notice_id}"), "like-1")
    refused(board, alice, like)

    assert on_board(board, lambda s: settings.unblock_actor(s, alice.id)).ok
    assert not on_board(board, lambda s: settings.unblock_actor(s, alice.id)).ok

    deliver(board, alice, like)
    assert reaction_numbers(board, notice_id) == [1]
    assert [a[1] for a in audit(board, "block.actor", "unblock.actor")] == [
        "block.actor",
        "unblock.actor",
    ]


def test_block_domain__covers_subdomains(board: RunningBoard) -> None:
    async def check(b: Any) -> list[bool]:
        await settings.block_domain(b, "example.org", "Spam-Server")
        hosts = ("example.org", "social.example.org", "a.b.example.org", "notexample.org")
        return [await b.blocks.is_blocked(host) for host in hosts]

    assert on_board(board, check) == [True, True, True, False]
    assert audit(board, "block.domain") == [
        ("system", "block.domain", "example.org", "Spam-Server")
    ]


def test_block_domain__refuses_the_server_and_drops_its_followers(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    alice = fediverse.actor("alice")
    carla = fediverse.actor("carla", server=fediverse.servers["social.example"])
    follow(board, alice)
    follow(board, carla)

    assert on_board(board, lambda s: settings.block_domain(s, alice.server.authority)).value == 1

    notice = board.url(f"/notices/{notice_id}")
    refused(board, alice, activity(alice, "Like", notice, "like-1"))
    deliver(board, carla, activity(carla, "Like", notice, "like-1"))
    assert [f["actor_id"] for f in board.followers()] == [carla.id]


# --- limited federation ---------------------------------------------------------------------------


def test_limited_federation__only_allowed_servers_talk_to_the_board(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    social = fediverse.servers["social.example"]
    alice, carla = fediverse.actor("alice"), fediverse.actor("carla", server=social)
    follow(board, alice)
    follow(board, carla)

    on_board(board, lambda s: settings.set_limited_federation(s, True))
    assert on_board(board, lambda s: settings.allow_domain(s, alice.server.authority)).ok

    notice = board.url(f"/notices/{notice_id}")
    refused(board, carla, activity(carla, "Like", notice, "like-1"))
    deliver(board, alice, activity(alice, "Like", notice, "like-1"))
    assert reactions(board) == [(alice.id, "Like")]
    url = board.publish(board.login(), "Nur für Freunde")
    board.drain()
    assert received(alice.server, "/inbox", "Create"), "the allowed server"

    def refused_delivery() -> list[dict[str, Any]]:
        return board.rows(
            "SELECT d.state, d.last_error FROM deliveries d JOIN outbox_activities a "
            "ON a.id = d.activity_id WHERE a.type = 'Create' AND d.host = ? "
            "AND d.state != 'pending'",
            social.authority,
        )

    [row] = refused_delivery()
    assert row["state"] == "failed"
    assert "blocked or not allowed" in row["last_error"]
    assert received(social, "/inbox", "Create") == []
    assert [c["object"]["id"] for c in received(alice.server, "/inbox", "Create")] == [url]
    assert [a[1:3] for a in audit(board, "federation.limited", "allow.domain")] == [
        ("federation.limited", "on"),
        ("allow.domain", alice.server.authority),
    ]


def test_limited_federation__switched_on_through_the_settings_page(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    carla = fediverse.actor("carla", server=fediverse.servers["social.example"])
    client = staff(board)

    allowed = submit(
        client, "/staff/settings", "/staff/settings", action="allow", value=alice.server.origin
    )
    limited = submit(client, "/staff/settings", "/staff/settings", action="limited", value="on")

    assert (allowed.status_code, limited.status_code) == (303, 303)
    refused(board, carla, carla.follow(board.actor_id))
    deliver(board, alice, alice.follow(board.actor_id))
    assert [f["actor_id"] for f in board.followers()] == [alice.id]
    assert audit(board, "allow.domain", "federation.limited") == [
        ("admin", "allow.domain", alice.server.authority, ""),
        ("admin", "federation.limited", "on", ""),
    ]


def test_report__of_an_account_from_the_blocks_page_is_forwarded_on_request(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice", shared_inbox=None)
    client = staff(board)

    kept = submit(client, "/staff/blocks", "/staff/reports/new", target=alice.id, comment="Spam")
    assert kept.status_code == 303
    board.drain()
    assert alice.server.posts(alice.inbox_path) == []  # recorded here only
    response = submit(
        client,
        "/staff/blocks",
        "/staff/reports/new",
        target=alice.id,
        comment="Spam",
        forward="yes",
    )

    assert response.status_code == 303
    board.drain()
    [request] = alice.server.posts(alice.inbox_path)
    sent = request.json()
    assert (sent["type"], sent["object"], sent["content"]) == ("Flag", [alice.id], "Spam")
    assert [row[1] for row in audit(board, "report.create")] == ["report.create"] * 2


def test_flag__about_a_shown_reply_is_forwarded_to_the_replys_server_through_the_queue(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    on_board(board, lambda s: settings.set_reply_policy(s, "open"))
    alice = fediverse.actor("alice", shared_inbox=None)
    note = reply(alice, board, notice_id, 1, "Beleidigung")
    deliver(board, alice, create(alice, note))
    reporter = fediverse.servers["social.example"]
    instance = fediverse.actor("instance", server=reporter, actor_type="Application")
    deliver(board, instance, flag(instance, [alice.id, note["id"]], "beleidigend"))
    [report] = board.rows("SELECT * FROM reports")
    client = staff(board)

    forwarded = submit(client, "/staff/queue", f"/staff/reports/{report['id']}/forward")
    assert forwarded.status_code == 303
    assert "forwarded" in flash(client.get("/staff/queue").text)
    again = submit(client, "/staff/queue", f"/staff/reports/{report['id']}/forward")
    assert again.status_code == 303
    assert "cannot be forwarded" in flash(client.get("/staff/queue").text)
    assert submit(client, "/staff/queue", "/staff/reports/999/forward").status_code == 404
    board.drain()
    [request] = alice.server.posts(alice.inbox_path)
    sent = request.json()
    assert (sent["type"], sent["actor"]) == ("Flag", board.url("/actor"))
    assert set(sent["object"]) == {alice.id, note["id"]}
    assert audit(board, "report.forward") == [("admin", "report.forward", alice.id, "")]


def test_hide_reply__through_the_replies_page_takes_it_off_the_notice(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = publish(board)
    on_board(board, lambda s: settings.set_reply_policy(s, "open"))
    alice = fediverse.actor("alice")
    note = reply(alice, board, notice_id, 1, "Ganz daneben")
    deliver(board, alice, create(alice, note))
    client = staff(board)

    hidden = submit(client, "/staff/replies", "/staff/replies/hide", post=note["id"], reason="Ton")
    unknown = submit(client, "/staff/replies", "/staff/replies/hide", post="https://x.example/1")

    assert hidden.status_code == 303
    assert unknown.status_code == 404
    assert reply_ids(board, notice_id) == []
    assert "Ganz daneben" not in replies_section(board, notice_id)
    assert audit(board, "reply.hide") == [("admin", "reply.hide", note["id"], "Ton")]


def test_dashboard__a_shared_notice_offers_only_stop_sharing(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    note = post(alice, board, 1, "Flohmarkt im Hof am Sonntag")
    deliver(board, alice, create(alice, note))
    notice_id = approve(board, note["id"])
    client = staff(board)

    page = client.get("/staff").text
    assert f"/staff/notices/{notice_id}/edit" not in page
    assert f"/staff/notices/{notice_id}/pin" not in page
    response = client.post(
        "/staff/network/unshare",
        data={"csrf_token": csrf_token(page), "url": board.url(f"/notices/{notice_id}")},
    )

    assert response.status_code == 303
    assert board.value("SELECT deleted FROM notices WHERE id = ?", notice_id) is not None
    assert [a[1] for a in audit(board, "notice.delete")] == ["notice.delete"]
