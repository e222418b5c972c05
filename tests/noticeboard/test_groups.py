"""Groups on a board: each group its own Group actor with its own key; joining by following;
posts addressed to a group announced to its members (FEP-1b12); held posts, leaders' rights."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from federation import httpsig
from federation.keys import load_public_key
from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token
from tests.support.fediverse import Fediverse, RemoteActor

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


class Mark:
    """Where the fake fediverse's record of POSTs stood (documents stay served)."""

    position = 0


def create_group(board: RunningBoard, handle: str = "garten", *extra: str) -> str:
    Mark.position = 0
    result = board.cli(
        "groups", "create", handle, "--name", "Gemeinschaftsgarten",
        "--summary", "Wir gärtnern zusammen im Hof.", "--meets", "Jeden Dienstag ab 17 Uhr",
        "--place", "Hof Nordstraße 5", "--first-meeting", "2026-03-03 17:00",
        "--repeat", "weekly", "--languages", "Deutsch, Türkisch", "--contact", "Frau Aydın",
        *extra,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return board.url(f"/groups/{handle}")


def note(author: RemoteActor, suffix: str, group: str, content: str, **fields: Any) -> Any:
    return {
        "id": author.server.url(f"/notes/{suffix}"),
        "type": "Note",
        "attributedTo": author.id,
        "content": content,
        "to": [PUBLIC],
        "cc": [group],
        "published": "2026-03-01T10:00:00Z",
        **fields,
    }


def create(author: RemoteActor, obj: Any, suffix: str) -> Any:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": author.activity_id(suffix),
        "type": "Create",
        "actor": author.id,
        "object": obj,
        "to": obj["to"],
        "cc": obj["cc"],
    }


def cli(board: RunningBoard, *args: str) -> Any:
    """Run a command (it queues with the real clock), then let the board's clock catch up, so
    that what it queued is due."""
    result = board.cli(*args)
    board.clock.set(datetime.now(UTC) + timedelta(seconds=1))
    board.drain()
    return result


def join(board: RunningBoard, actor: RemoteActor, group: str) -> None:
    response = actor.post(
        f"{group}/inbox",
        actor.follow(group, f"follow-{urlsplit(group).path[-6:]}"),
        now=board.clock.now,
    )
    assert response.status_code == 202, response.text
    board.drain()


def forget(fediverse: Fediverse) -> None:
    Mark.position = len(fediverse.remote.posts())


def received(fediverse: Fediverse, actor: RemoteActor, type_: str) -> list[Any]:
    return [
        r.json() for r in fediverse.remote.posts()[Mark.position:] if r.json().get("type") == type_
        and r.path in (actor.inbox_path, "/inbox")
    ]  # fmt: skip


def signed_key_ids(fediverse: Fediverse, type_: str) -> list[str]:
    found = []
    for record in fediverse.remote.posts()[Mark.position :]:
        if record.json().get("type") == type_:
            signature = record.headers.get("signature", "")
            found.append(signature.split('keyId="')[1].split('"')[0])
    return found


@pytest.fixture
def group(board: RunningBoard) -> str:
    return create_group(board)


def test_webfinger_and_actor__each_group_is_its_own_group_actor_with_its_own_key(
    board: RunningBoard, group: str
) -> None:
    jrd = board.get(f"/.well-known/webfinger?resource=acct:garten@{board.authority}").json()
    actor = board.get_json("/groups/garten")
    board_actor = board.get_json("/users/nordstadt")

    assert jrd["subject"] == f"acct:garten@{board.authority}"
    assert {"rel": "self", "type": "application/activity+json", "href": group} in jrd["links"]
    assert actor["type"] == "Group" and actor["id"] == group
    assert actor["preferredUsername"] == "garten"
    assert actor["inbox"] == f"{group}/inbox" and actor["followers"] == f"{group}/followers"
    assert actor["publicKey"]["id"] == f"{group}#main-key"
    assert actor["publicKey"]["owner"] == group
    assert actor["publicKey"]["publicKeyPem"] != board_actor["publicKey"]["publicKeyPem"]
    assert board_actor["id"] == board.actor_id  # the board's own actor is unchanged
    by_url = board.get(f"/.well-known/webfinger?resource={group}").json()
    assert by_url["subject"] == f"acct:garten@{board.authority}"


def test_actor__a_browser_is_sent_to_the_group_page_and_unknown_groups_are_404(
    board: RunningBoard, group: str
) -> None:
    html = board.get("/groups/garten", follow_redirects=False)
    assert html.status_code == 303 and html.headers["location"].endswith("/gruppen/garten")
    assert board.get("/groups/nobody", headers={"Accept": AP_JSON}).status_code == 404
    assert (
        board.get(f"/.well-known/webfinger?resource=acct:nobody@{board.authority}").status_code
        == 404
    )


def test_join__a_follow_is_accepted_in_the_groups_name_and_signed_with_its_key(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice = fediverse.actor("alice")
    join(board, alice, group)

    [accept] = received(fediverse, alice, "Accept")
    [row] = board.rows("SELECT * FROM followers WHERE local_actor = ?", group)
    key_ids = signed_key_ids(fediverse, "Accept")
    record = next(r for r in fediverse.remote.posts() if r.json().get("type") == "Accept")
    pem = board.get_json("/groups/garten")["publicKey"]["publicKeyPem"]
    parsed = httpsig.parse_signature("POST", record.target, record.headers)
    assert not isinstance(parsed, httpsig.SignatureError), parsed
    verified = httpsig.verify_signature(
        parsed, load_public_key(pem), record.body, board.clock.now,
        expected_host=record.headers["host"],
    )  # fmt: skip

    assert accept["actor"] == group and accept["object"]["object"] == group
    assert row["actor_id"] == alice.id and row["state"] == "accepted"
    assert key_ids == [f"{group}#main-key"]
    assert verified.ok, verified.reason
    assert board.rows("SELECT * FROM followers WHERE local_actor = ?", board.actor_id) == []


def test_post__a_members_post_is_announced_to_all_members_by_id(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice, bob = fediverse.actor("alice"), fediverse.actor("bob")
    join(board, alice, group)
    join(board, bob, group)
    forget(fediverse)
    post = note(alice, "1", group, "<p>Wer hat Samen übrig?</p><script>alert(1)</script>")
    assert (
        alice.post(f"{group}/inbox", create(alice, post, "c1"), now=board.clock.now).status_code
        == 202
    )
    board.drain()

    announces = received(fediverse, bob, "Announce")
    page = board.get("/gruppen/garten").text

    assert announces and all(a["object"] == post["id"] for a in announces)
    assert announces[0]["actor"] == group and PUBLIC in announces[0]["to"]
    assert set(signed_key_ids(fediverse, "Announce")) == {f"{group}#main-key"}
    assert "Wer hat Samen übrig?" in page and "<script>" not in page


def test_post__update_is_announced_and_delete_undoes_the_announce_only_from_the_author(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice, bob, mallory = (
        fediverse.actor("alice"),
        fediverse.actor("bob"),
        fediverse.actor("mallory"),
    )
    join(board, alice, group)
    join(board, bob, group)
    post = note(alice, "2", group, "<p>Erste Fassung</p>")
    alice.post(f"{group}/inbox", create(alice, post, "c2"), now=board.clock.now)
    board.drain()
    forget(fediverse)
    forged = {**post, "content": "<p>Gefälscht</p>", "attributedTo": mallory.id}
    mallory.post(
        f"{group}/inbox",
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": mallory.activity_id("u0"),
            "type": "Delete",
            "actor": mallory.id,
            "object": post["id"],
        },
        now=board.clock.now,
    )
    mallory.post(
        f"{group}/inbox",
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": mallory.activity_id("u1"),
            "type": "Update",
            "actor": mallory.id,
            "object": forged,
        },
        now=board.clock.now,
    )
    board.drain()
    assert received(fediverse, bob, "Undo") == [] and received(fediverse, bob, "Announce") == []

    edited = {**post, "content": "<p>Zweite Fassung</p>", "updated": "2026-03-01T11:00:00Z"}
    fediverse.remote.serve_json(urlsplit(post["id"]).path, edited)
    update = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": alice.activity_id("u2"),
        "type": "Update",
        "actor": alice.id,
        "object": edited,
    }
    alice.post(f"{group}/inbox", update, now=board.clock.now)
    board.drain()
    [announced_update] = received(fediverse, bob, "Announce")
    assert announced_update["object"]["type"] == "Update"
    assert "Zweite Fassung" in board.get("/gruppen/garten").text

    delete = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": alice.activity_id("d1"),
        "type": "Delete",
        "actor": alice.id,
        "object": post["id"],
    }
    alice.post(f"{group}/inbox", delete, now=board.clock.now)
    board.drain()
    [undo] = received(fediverse, bob, "Undo")
    assert undo["actor"] == group and undo["object"]["type"] == "Announce"
    assert undo["object"]["object"] == post["id"]
    assert "Zweite Fassung" not in board.get("/gruppen/garten").text


def test_post__a_strangers_post_waits_for_approval_then_is_announced(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice, stranger = fediverse.actor("alice"), fediverse.actor("stranger")
    join(board, alice, group)
    forget(fediverse)
    post = note(stranger, "3", group, "<p>Ich möchte mitmachen</p>")
    stranger.post(f"{group}/inbox", create(stranger, post, "c3"), now=board.clock.now)
    board.drain()
    assert received(fediverse, alice, "Announce") == []
    shown = json.loads(board.cli("groups", "show", "garten", "--json").stdout)
    [held] = shown["held_posts"]
    assert held["object"] == post["id"] and shown["shared_posts"] == []

    result = cli(board, "groups", "approve-post", "garten", str(held["id"]))

    assert result.returncode == 0, result.stderr
    [announce] = received(fediverse, alice, "Announce")
    assert announce["object"] == post["id"]


def test_post__a_direct_message_to_the_group_is_not_kept(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice = fediverse.actor("alice")
    join(board, alice, group)
    private = {**note(alice, "4", group, "<p>Nur für euch</p>"), "to": [group], "cc": []}
    alice.post(f"{group}/inbox", create(alice, private, "c4"), now=board.clock.now)
    board.drain()
    assert board.rows("SELECT * FROM group_posts") == []


def test_leave__undo_follow_ends_membership(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice = fediverse.actor("alice")
    follow = alice.follow(group, "follow-leave")
    alice.post(f"{group}/inbox", follow, now=board.clock.now)
    board.drain()
    alice.post(f"{group}/inbox", alice.undo(follow, "undo-leave"), now=board.clock.now)
    board.drain()
    assert board.rows("SELECT * FROM followers WHERE local_actor = ?", group) == []


def test_block_member__removes_refuses_follows_and_takes_back_posts(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice, bob = fediverse.actor("alice"), fediverse.actor("bob")
    join(board, alice, group)
    join(board, bob, group)
    post = note(alice, "5", group, "<p>Spam</p>")
    alice.post(f"{group}/inbox", create(alice, post, "c5"), now=board.clock.now)
    board.drain()
    forget(fediverse)

    result = cli(board, "groups", "block-member", "garten", alice.id)
    alice.post(f"{group}/inbox", alice.follow(group, "follow-again"), now=board.clock.now)
    board.drain()

    assert result.returncode == 0, result.stderr
    assert [u["object"]["object"] for u in received(fediverse, bob, "Undo")] == [post["id"]]
    assert received(fediverse, alice, "Reject")
    assert board.rows("SELECT actor_id FROM followers WHERE local_actor = ?", group) == [
        {"actor_id": bob.id}
    ]


def test_approve_join__a_group_that_approves_members_keeps_follows_pending(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    group = create_group(board, "repair", "--join", "approve")
    alice = fediverse.actor("alice")
    join(board, alice, group)
    assert received(fediverse, alice, "Accept") == []
    assert board.get_json("/groups/repair")["manuallyApprovesFollowers"] is True

    result = cli(board, "groups", "approve-member", "repair", alice.id)

    assert result.returncode == 0, result.stderr
    [accept] = received(fediverse, alice, "Accept")
    assert accept["actor"] == group


def test_pages__groups_page_and_home_list_groups_with_meetings_and_newcomers(
    board: RunningBoard, group: str
) -> None:
    listing = board.get("/gruppen")
    home = board.get("/")
    page = board.get("/gruppen/garten")

    assert listing.status_code == 200
    for html in (listing.text, home.text):
        assert "Gemeinschaftsgarten" in html and "Jeden Dienstag ab 17 Uhr" in html
        assert "Neue sind willkommen" in html
    assert "@garten@" in page.text and "Hof Nordstraße 5" in page.text
    assert "Deutsch, Türkisch" in page.text
    assert board.get("/gruppen/nobody").status_code == 404


def test_cli__list_json_names_each_group_and_its_next_meetings(
    board: RunningBoard, group: str
) -> None:
    result = board.cli("groups", "list", "--json")
    [item] = json.loads(result.stdout)
    assert item["handle"] == "garten" and item["actor"] == group
    assert item["newcomers_welcome"] is True and item["repeat"] == "weekly"
    assert len(item["next_meetings"]) == 3
    assert item["languages"] == ["Deutsch", "Türkisch"]


def test_cli__bad_input_is_a_usage_error(board: RunningBoard, group: str) -> None:
    assert board.cli("groups", "create", "Bad Handle!", "--name", "x").returncode == 2
    assert board.cli("groups", "create", "garten", "--name", "Zweiter").returncode == 2
    assert board.cli("groups", "create", "nordstadt", "--name", "Board").returncode == 2
    assert board.cli("groups", "remove-post", "garten", "999").returncode == 2


def test_meeting__the_next_meeting_is_announced_as_an_event_and_served_at_its_id(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice = fediverse.actor("alice")
    join(board, alice, group)
    forget(fediverse)
    cli(board, "groups", "edit", "garten", "--place", "Hof Nordstraße 7")
    creates = received(fediverse, alice, "Create")
    updates = received(fediverse, alice, "Update")
    assert updates and updates[0]["object"]["id"] == group
    row = board.rows("SELECT announced_meeting FROM groups")[0]
    event = board.get_json(f"/groups/garten/meetings/{row['announced_meeting']}")
    assert event["type"] == "Event" and event["attributedTo"] == group
    assert event["location"]["name"] in ("Hof Nordstraße 5", "Hof Nordstraße 7")
    assert creates == [] or creates[0]["object"]["type"] == "Event"
    assert (
        board.get("/groups/garten/meetings/2026-03-04", headers={"Accept": AP_JSON}).status_code
        == 404
    )


def test_calendar__a_group_that_meets_weekly_is_one_repeating_event(
    board: RunningBoard, group: str
) -> None:
    body = board.get("/calendar.ics").text
    unfolded = body.replace("\r\n ", "")
    assert f"UID:{group}/meetings" in unfolded
    assert "RRULE:FREQ=WEEKLY" in unfolded
    assert "SUMMARY:Gemeinschaftsgarten: Treffen" in unfolded
    assert "LOCATION:Hof Nordstraße 5" in unfolded
    events = board.get("/events").text
    assert "Gemeinschaftsgarten" in events and "Hof Nordstraße 5" in events


def test_meetings__monthly_means_the_same_weekday_of_the_same_week() -> None:
    from zoneinfo import ZoneInfo

    from noticeboard.groups.forms import next_meetings

    zone = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 3, 10, 17, 0, tzinfo=zone)  # the second Tuesday
    found = next_meetings(first.isoformat(), "monthly", first, "Europe/Berlin", 3)
    assert [(m.month, m.day, m.weekday()) for m in found] == [(3, 10, 1), (4, 14, 1), (5, 12, 1)]
    assert all(m.hour == 17 for m in found)
    weekly = next_meetings(
        first.isoformat(), "weekly", first + timedelta(days=1), "Europe/Berlin", 2
    )
    assert [m.day for m in weekly] == [17, 24]
    assert next_meetings(first.isoformat(), "", first + timedelta(days=1), "Europe/Berlin") == []


def test_poster__a_groups_poster_has_its_meetings_and_a_code_to_its_page(
    board: RunningBoard, group: str
) -> None:
    from tests.support.pdf import page_count, pdf_text, qr_codes

    response = board.new_client().get("/gruppen/garten/poster.pdf")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert page_count(response.content) == 1
    text = pdf_text(response.content)
    assert "Gemeinschaftsgarten" in text and "Jeden Dienstag ab 17 Uhr" in text
    assert "Hof Nordstraße 5" in text and "Neue sind willkommen" in text
    assert f"@garten@{board.authority}" in text
    assert qr_codes(response.content) == [board.url("/gruppen/garten")]
    assert board.get("/gruppen/nobody/poster.pdf").status_code == 404


def test_post__a_copy_of_someone_elses_post_is_not_taken_from_the_sender(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice, mallory = fediverse.actor("alice"), fediverse.actor("mallory")
    join(board, alice, group)
    join(board, mallory, group)
    forged = note(alice, "6", group, "<p>Alice sagt etwas, das sie nie schrieb</p>")
    forget(fediverse)
    activity = {**create(mallory, forged, "c6")}
    assert mallory.post(f"{group}/inbox", activity, now=board.clock.now).status_code == 202
    board.drain()

    assert board.rows("SELECT * FROM group_posts") == []  # rule 9: fetched, not found, dropped
    assert received(fediverse, alice, "Announce") == []


def test_leave__a_deleted_account_leaves_every_group(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice = fediverse.actor("alice")
    join(board, alice, group)
    delete = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": alice.activity_id("gone"),
        "type": "Delete",
        "actor": alice.id,
        "object": alice.id,
    }
    alice.post(f"{group}/inbox", delete, now=board.clock.now)
    board.drain()
    assert board.rows("SELECT * FROM followers WHERE local_actor = ?", group) == []


def test_followed_group__its_announce_of_a_members_post_is_fetched_from_the_author(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    from tests.noticeboard.test_sharing import follow_partner

    community = fediverse.actor("garten", actor_type="Group")
    alice = fediverse.actor("alice")
    follow_partner(board, community)
    post = note(alice, "7", community.id, "<p>Kürbisse zu verschenken</p>")
    fediverse.remote.serve_json(urlsplit(post["id"]).path, post)
    announce = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": community.activity_id("announce-7"),
        "type": "Announce",
        "actor": community.id,
        "object": post["id"],
        "to": [PUBLIC],
    }
    assert community.post(board.inbox, announce, now=board.clock.now).status_code == 202
    board.drain()

    [row] = board.rows("SELECT id, actor, content_html FROM remote_posts")
    assert row["id"] == post["id"] and row["actor"] == alice.id
    assert "Kürbisse" in row["content_html"]


def test_following__the_board_lists_its_groups_for_partner_boards(
    board: RunningBoard, group: str
) -> None:
    following = board.get_json("/users/nordstadt/following")
    assert group in following["orderedItems"]


def test_block_member__an_address_that_is_no_account_is_refused(
    board: RunningBoard, group: str
) -> None:
    result = board.cli("groups", "block-member", "garten", "nobody")
    assert result.returncode == 2 and "https://" in result.stderr
    assert board.rows("SELECT * FROM group_blocks") == []


def test_leader__removes_a_post_on_the_web_and_the_members_get_the_undo(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice, bob = fediverse.actor("alice"), fediverse.actor("bob")
    join(board, alice, group)
    join(board, bob, group)
    post = note(alice, "8", group, "<p>Werbung</p>")
    alice.post(f"{group}/inbox", create(alice, post, "c8"), now=board.clock.now)
    board.drain()
    result = board.cli("groups", "leader", "lena", "garten")
    password = result.stdout.split("Password (shown once): ")[1].strip()
    leader = board.login(board.new_client(), username="lena", password=password)
    page = leader.get("/staff/groups/garten")
    post_id = board.value("SELECT id FROM group_posts")
    forget(fediverse)

    token = csrf_token(page.text)
    response = leader.post(
        f"/staff/groups/garten/posts/{post_id}/remove", data={"csrf_token": token}
    )
    board.drain()

    assert response.status_code == 303
    [undo] = received(fediverse, bob, "Undo")
    assert undo["actor"] == group and undo["object"]["object"] == post["id"]
    assert "Werbung" not in board.get("/gruppen/garten").text
    assert (
        board.value("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == "group.post.remove"
    )


def test_staff__create_a_group_with_a_picture_and_its_description_on_the_web(
    board: RunningBoard,
) -> None:
    import io

    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 40)).save(picture, format="PNG")
    staff = board.login()
    page = staff.get("/staff/groups")
    data = {
        "csrf_token": csrf_token(page.text), "handle": "chor", "name": "Nachbarschaftschor",
        "summary": "Wir singen.", "meets": "Donnerstags 19 Uhr", "newcomers": "1",
        "picture_alt": "Sänger vor dem Gemeindehaus", "join_policy": "open",
        "post_policy": "hold_strangers",
    }  # fmt: skip
    files = {"picture": ("chor.png", picture.getvalue(), "image/png")}

    response = staff.post("/staff/groups/new", data=data, files=files)

    assert response.status_code == 303 and response.headers["location"] == "/staff/groups/chor"
    actor = board.get_json("/groups/chor")
    assert actor["image"]["name"] == "Sänger vor dem Gemeindehaus"
    assert board.get(urlsplit(actor["icon"]["url"]).path).status_code == 200
    html = board.get("/gruppen/chor").text
    assert 'alt="Sänger vor dem Gemeindehaus"' in html
    bad = staff.post("/staff/groups/new", data={**data, "handle": "x y", "name": ""})
    assert bad.status_code == 400 and "Bitte geben Sie der Gruppe einen Namen." in bad.text


def test_collections__outbox_lists_the_groups_announces_followers_only_count(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice = fediverse.actor("alice")
    join(board, alice, group)
    post = note(alice, "9", group, "<p>Hallo Garten</p>")
    alice.post(f"{group}/inbox", create(alice, post, "c9"), now=board.clock.now)
    board.drain()

    top = board.get_json("/groups/garten/outbox")
    first = board.get_json(urlsplit(top["first"]).path + "?" + urlsplit(top["first"]).query)
    followers = board.get_json("/groups/garten/followers")

    assert [i["object"] for i in first["orderedItems"] if i["type"] == "Announce"] == [post["id"]]
    assert followers["totalItems"] == 1 and "orderedItems" not in followers


def test_meeting__once_a_meeting_has_passed_the_next_one_is_announced(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice = fediverse.actor("alice")
    join(board, alice, group)
    first = board.value("SELECT announced_meeting FROM groups")
    forget(fediverse)
    board.drain()
    assert received(fediverse, alice, "Create") == []  # nothing new while it is still ahead

    board.clock.advance(days=7)
    board.drain()

    [create] = received(fediverse, alice, "Create")
    assert create["object"]["type"] == "Event"
    assert board.value("SELECT announced_meeting FROM groups") > first


def test_post__a_reply_in_a_groups_thread_is_announced_too(
    board: RunningBoard, fediverse: Fediverse, group: str
) -> None:
    alice, bob = fediverse.actor("alice"), fediverse.actor("bob")
    join(board, alice, group)
    join(board, bob, group)
    post = note(alice, "10", group, "<p>Wer gießt am Wochenende?</p>")
    alice.post(f"{group}/inbox", create(alice, post, "c10"), now=board.clock.now)
    board.drain()
    forget(fediverse)
    reply = {
        **note(bob, "11", alice.id, "<p>Ich gieße am Samstag.</p>"),
        "cc": [alice.id],
        "inReplyTo": post["id"],
    }  # addressed to the author only, not to the group
    bob.post(board.shared_inbox, create(bob, reply, "c11"), now=board.clock.now)
    board.drain()

    announced = [a["object"] for a in received(fediverse, alice, "Announce")]
    assert announced == [reply["id"]]
    assert "Ich gieße am Samstag." in board.get("/gruppen/garten").text
