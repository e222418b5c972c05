"""Sharing posts of partner boards: the shared copy, Announce and Undo, rules with a daily cap,
copies that follow their original, the network pages and their forms, follower counts.

The partner is a RemoteActor on the fake fediverse that the board follows (Follow, then the
partner's Accept); its posts arrive as signed Creates through the board's real inbox.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import httpx
import pytest

from noticeboard.accounts import passwords as auth
from noticeboard.accounts import store
from noticeboard.network import service as network
from noticeboard.network.sharing import TITLE_MAX, shared_copy
from noticeboard.notices import service as notices
from noticeboard.notices.forms import NoticeDraft
from noticeboard.results import Ok, Refused
from tests.noticeboard.boards import MutableClock, RunningBoard, csrf_token
from tests.support.fediverse import AS_CONTEXT, FakeServer, Fediverse, RemoteActor

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AUSHANG_CONTEXT = {"aushang": "https://aushang.org/ns#", "noticeKind": "aushang:noticeKind"}
PASSWORD = "sharing-test-Passw0rd!"
NOT_SHAREABLE = "Dieser Beitrag kann nicht geteilt werden."
SHARED = "Geteilt. Der Aushang hängt auf dem Brett und geht an die Follower."


# --------------------------------------------------------------------------- the pure copy


def aushang_object(**fields: Any) -> dict[str, Any]:
    """An Aushang notice as another board federates it (see noticeboard.notes)."""
    obj: dict[str, Any] = {
        "@context": [AS_CONTEXT, AUSHANG_CONTEXT],
        "id": "https://suedstadt.example/notices/7",
        "type": "Note",
        "attributedTo": "https://suedstadt.example/users/suedstadt",
        "content": "<p><strong>Leiter zu verleihen</strong></p><p>🎁 Zu verschenken</p>"
        "<p>Drei Meter, Alu.</p><p>#ZuVerschenken</p>",
        "to": [PUBLIC],
        "noticeKind": "give-lend",
        "noticeTitle": "Leiter zu verleihen",
        "source": {"content": "Drei **Meter**, Alu.", "mediaType": "text/markdown"},
    }
    obj.update(fields)
    return obj


def test_shared_copy__aushang_notice_keeps_kind_title_and_markdown_text() -> None:
    copy = shared_copy(aushang_object())

    assert copy.kind == "give-lend"
    assert copy.title == "Leiter zu verleihen"
    # The Markdown source, not the content with its title, summary line and hashtags.
    assert copy.body_html == "<p>Drei <strong>Meter</strong>, Alu.</p>\n"
    assert copy.body_text == "Drei Meter, Alu."
    assert (copy.valid_until, copy.done, copy.expired) == (None, None, False)
    assert (copy.event_start, copy.event_end, copy.place_name) == (None, None, None)


def test_shared_copy__reads_valid_until_done_and_expired() -> None:
    copy = shared_copy(
        aushang_object(
            validUntil="2026-03-10T23:00:00Z",
            noticeDone="2026-03-05T10:15:00+01:00",
            noticeExpired=True,
        )
    )

    assert copy.valid_until == datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
    assert copy.done == datetime(2026, 3, 5, 9, 15, tzinfo=UTC)
    assert copy.expired is True


@pytest.mark.parametrize(
    "value", ["2026-03-10T23:00:00", "morgen", "", 20260310, "2026-03-10T23:00:00Z" + " " * 40]
)
def test_shared_copy__ignores_times_without_zone_or_that_are_no_times(value: Any) -> None:
    copy = shared_copy(aushang_object(validUntil=value, noticeDone=value))

    assert (copy.valid_until, copy.done) == (None, None)


def test_shared_copy__markdown_source_is_rendered_safely() -> None:
    source = "Hallo <script>alert(1)</script> [Link](javascript:alert(1)) <img src=x onerror=y>"
    copy = shared_copy(aushang_object(source={"content": source, "mediaType": "text/markdown"}))

    assert "<script" not in copy.body_html
    assert "<img" not in copy.body_html
    assert "href" not in copy.body_html  # markdown-it makes no javascript: link
    assert "Hallo" in copy.body_html


def test_shared_copy__aushang_event_with_times_place_and_link() -> None:
    copy = shared_copy(
        aushang_object(
            type="Event",
            noticeKind="event",
            noticeTitle="Hoffest",
            name="Hoffest",
            startTime="2026-03-14T14:00:00Z",
            endTime="2026-03-14T18:00:00Z",
            location={"type": "Place", "name": "Hof", "address": "Nordstraße 12, Essen"},
            attachment=[{"type": "Link", "href": "https://meet.example/hoffest"}],
        )
    )

    assert (copy.kind, copy.title) == ("event", "Hoffest")
    assert copy.event_start == datetime(2026, 3, 14, 14, 0, tzinfo=UTC)
    assert copy.event_end == datetime(2026, 3, 14, 18, 0, tzinfo=UTC)
    assert copy.valid_until == copy.event_end  # an event is current until it ends
    assert (copy.place_name, copy.place_address) == ("Hof", "Nordstraße 12, Essen")
    assert copy.online_url == "https://meet.example/hoffest"


def test_shared_copy__event_with_postal_address_of_schema_org() -> None:
    place = {
        "type": "Place",
        "name": "Bürgerhaus",
        "address": {
            "type": "PostalAddress",
            "streetAddress": "Südring 3",
            "postalCode": "45128",
            "addressLocality": "Essen",
        },
    }
    copy = shared_copy(
        {"type": "Event", "name": "Sprechstunde", "startTime": "2026-03-14T14:00:00Z"}
        | {"id": "https://mobilizon.example/events/1", "location": place}
    )

    assert copy.kind == "event"
    assert (copy.place_name, copy.place_address) == ("Bürgerhaus", "Südring 3 45128 Essen")


def test_shared_copy__event_without_end_lasts_two_hours_and_is_current_until_then() -> None:
    copy = shared_copy({"type": "Event", "name": "Lesung", "startTime": "2026-03-14T18:00:00Z"})

    assert copy.event_end == datetime(2026, 3, 14, 20, 0, tzinfo=UTC)
    # As the board's own events: current until the end (noticeboard.posts: until = end).
    assert copy.valid_until == copy.event_end


def test_shared_copy__event_without_start_is_an_announcement() -> None:
    copy = shared_copy(aushang_object(type="Event", noticeKind="event", name="Irgendwann"))

    assert copy.kind == "announcement"
    assert (copy.event_start, copy.event_end, copy.online_url) == (None, None, None)


def test_shared_copy__online_link_must_be_a_web_address() -> None:
    copy = shared_copy(
        {
            "type": "Event",
            "name": "Treffen",
            "startTime": "2026-03-14T18:00:00Z",
            "attachment": [
                {"type": "Link", "href": "javascript:alert(1)"},
                {"type": "Image", "url": "https://pics.example/1.jpg"},
            ],
        }
    )

    assert copy.online_url is None


def test_shared_copy__question_becomes_a_poll() -> None:
    copy = shared_copy(
        {
            "type": "Question",
            "content": "<p>Welcher Tag fürs Hoffest?</p>",
            "oneOf": [{"type": "Note", "name": "Samstag"}, {"type": "Note", "name": "Sonntag"}],
        }
    )

    assert (copy.kind, copy.title) == ("poll", "Welcher Tag fürs Hoffest?")


def test_shared_copy__unknown_notice_kind_falls_back_to_the_type() -> None:
    assert shared_copy(aushang_object(noticeKind="werbung")).kind == "announcement"
    assert shared_copy(aushang_object(type="Question", noticeKind=7)).kind == "poll"


def test_shared_copy__mastodon_note_is_an_announcement_titled_by_its_text() -> None:
    note = {
        "id": "https://social.example/users/mika/statuses/1",
        "type": "Note",
        "attributedTo": "https://social.example/users/mika",
        "content": '<p>Wer hat einen <a href="https://social.example/tags/Akkuschrauber" '
        'class="mention hashtag" rel="tag">#<span>Akkuschrauber</span></a> zum Leihen?</p>'
        "<p>Zweite Zeile</p>",
        "to": [PUBLIC],
    }

    copy = shared_copy(note)

    assert copy.kind == "announcement"
    assert copy.title == "Wer hat einen #Akkuschrauber zum Leihen? Zweite Zeile"
    assert copy.body_text == copy.title
    assert 'href="https://social.example/tags/Akkuschrauber"' in copy.body_html
    assert (copy.valid_until, copy.done, copy.event_start) == (None, None, None)


def test_shared_copy__mastodon_html_is_sanitised() -> None:
    note = {
        "type": "Note",
        "content": '<p onclick="steal()">Hallo <script>alert(1)</script><b>fett</b> '
        '<a href="javascript:alert(1)">Link</a><img src="x" onerror="y"></p>'
        '<iframe src="https://evil.example"></iframe><style>p{}</style>',
    }

    copy = shared_copy(note)

    for bad in ("<script", "onclick", "javascript:", "<img", "onerror", "<iframe", "<style"):
        assert bad not in copy.body_html, bad
    assert "<b>fett</b>" in copy.body_html
    assert "<" not in copy.title and "<" not in copy.body_text


def test_shared_copy__title_is_cut_and_name_is_used_without_notice_title() -> None:
    assert shared_copy({"type": "Article", "name": "x" * 500}).title == "x" * TITLE_MAX
    assert shared_copy({"type": "Article", "name": "Bericht", "content": "<p>T</p>"}).title == (
        "Bericht"
    )
    assert len(shared_copy({"type": "Note", "content": "<p>" + "y" * 500 + "</p>"}).title) <= 120
    assert shared_copy({"type": "Note"}).title == "…"


# --------------------------------------------------------------------------- a partner board


def on_board(board: RunningBoard, work: Any) -> Any:
    """Run a use case of the board (as the command line would) on the server's own loop."""
    return board.run_on_board(work)


def deliver(board: RunningBoard, actor: RemoteActor, activity: dict[str, Any]) -> None:
    """POST a signed activity to the board's inbox and wait until the board processed it."""
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


def received(server: FakeServer, path: str, type_: str) -> list[dict[str, Any]]:
    return [r.json() for r in server.posts(path) if r.json().get("type") == type_]


def partner(
    fediverse: Fediverse,
    username: str = "alice",
    *,
    server: FakeServer | None = None,
    name: str | None = None,
    summary: str | None = None,
) -> RemoteActor:
    """A partner board on the fake fediverse: a Group, optionally with a name and summary."""
    actor = fediverse.actor(username, server=server, actor_type="Group")
    if name is None and summary is None:
        return actor
    document = dict(actor.document)
    if name is not None:
        document["name"] = name
    if summary is not None:
        document["summary"] = summary
    return fediverse.publish(actor.server, username, actor.private_key, document)


def accept_follow(board: RunningBoard, actor: RemoteActor) -> None:
    """The partner accepts the board's (latest) Follow, as Aushang and Mastodon do."""
    board.drain()
    follows = received(actor.server, actor.inbox_path, "Follow")
    assert follows, "the board's Follow"
    follow = follows[-1]
    assert (follow["actor"], follow["object"]) == (board.actor_id, actor.id)
    accept = {
        "@context": AS_CONTEXT,
        "id": actor.activity_id(f"accept-{len(follows)}"),
        "type": "Accept",
        "actor": actor.id,
        "object": follow,
    }
    deliver(board, actor, accept)
    assert following_state(board, actor) == "accepted"


def following_state(board: RunningBoard, actor: RemoteActor) -> str | None:
    return board.value("SELECT state FROM following WHERE actor_id = ?", actor.id)


def follow_partner(board: RunningBoard, actor: RemoteActor) -> None:
    """The board follows the partner (as `aushang follow` does) and the partner accepts."""
    resolver = board.app.state.runtime.resolver

    async def follow(b: Any) -> str:
        return (await network.follow(b, await resolver.get(actor.id, refresh=True))).value

    on_board(board, follow)
    accept_follow(board, actor)


def followed_by(board: RunningBoard, actor: RemoteActor) -> None:
    """A remote account follows the board (the board accepts automatically)."""
    deliver(board, actor, actor.follow(board.actor_id, f"follow-{actor.username}"))
    assert board.value("SELECT state FROM followers WHERE actor_id = ?", actor.id) == "accepted"


def note_of(
    actor: RemoteActor,
    n: int,
    title: str,
    *,
    kind: str = "announcement",
    body: str = "Text",
    public: bool = True,
    **fields: Any,
) -> dict[str, Any]:
    """A notice of a partner Aushang board: a Note (or an Event) with the Aushang terms."""
    note_id = f"{actor.id}/notices/{n}"
    note: dict[str, Any] = {
        "@context": [AS_CONTEXT, AUSHANG_CONTEXT],
        "id": note_id,
        "type": "Note",
        "attributedTo": actor.id,
        "content": f"<p><strong>{title}</strong></p><p>{body}</p>",
        "url": note_id,
        "published": "2026-03-02T08:00:00Z",
        "to": [PUBLIC] if public else [f"{actor.id}/followers"],
        "cc": [f"{actor.id}/followers"] if public else [],
        "noticeKind": kind,
        "noticeTitle": title,
        "source": {"content": body, "mediaType": "text/markdown"},
    }
    note.update(fields)
    return note


def event_of(actor: RemoteActor, n: int, title: str, start: str, **fields: Any) -> dict:
    begin = datetime.fromisoformat(start.replace("Z", "+00:00"))
    end = (begin + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        note_of(
            actor, n, title, kind="event", type="Event", name=title, startTime=start, endTime=end
        )
        | fields
    )


def create(actor: RemoteActor, note: dict[str, Any], suffix: str = "create") -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": f"{note['id']}/{suffix}",
        "type": "Create",
        "actor": actor.id,
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }


def update(actor: RemoteActor, note: dict[str, Any], suffix: str) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": actor.activity_id(suffix),
        "type": "Update",
        "actor": actor.id,
        "to": [PUBLIC],
        "object": note,
    }


def delete(actor: RemoteActor, object_id: str, suffix: str) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": actor.activity_id(suffix),
        "type": "Delete",
        "actor": actor.id,
        "to": [PUBLIC],
        "object": {"id": object_id, "type": "Tombstone"},
    }


def send_post(board: RunningBoard, actor: RemoteActor, note: dict[str, Any]) -> dict[str, Any]:
    """The partner publishes: its post is served at its id and delivered to the board."""
    actor.server.serve_json(note["id"].removeprefix(actor.server.origin), note)
    deliver(board, actor, create(actor, note))
    return note


def share(board: RunningBoard, post_id: str) -> int:
    result = on_board(board, lambda s: network.share(s, post_id))
    assert isinstance(result, Ok), result
    return int(result.value)


def refused_share(board: RunningBoard, post_id: str) -> str:
    """Why the board refuses to share a post (in small letters)."""
    result = on_board(board, lambda s: network.share(s, post_id))
    assert isinstance(result, Refused), result
    return result.reason.lower()


def live_copy(board: RunningBoard, post_id: str) -> dict[str, Any] | None:
    rows = board.rows(
        "SELECT * FROM notices WHERE origin_id = ? AND origin = 'shared' AND deleted IS NULL",
        post_id,
    )
    return rows[0] if rows else None


def hits(board: RunningBoard) -> list[tuple[int, str, str]]:
    rows = board.rows("SELECT rule_id, post_id, outcome FROM share_rule_hits ORDER BY id")
    return [(r["rule_id"], r["post_id"], r["outcome"]) for r in rows]


@cache
def password_hash() -> str:
    return auth.hash_password(PASSWORD)


def staff_member(board: RunningBoard, role: str) -> httpx.Client:
    """A signed-in staff account of a role (the board's own admin is the first owner)."""
    username = f"{role}_1"

    async def insert(b: Any) -> None:
        async with b.db.transaction() as conn:
            await store.insert_staff(conn, username, password_hash(), role, b.clock())

    on_board(board, insert)
    return board.login(username=username, password=PASSWORD)


def form_post(client: httpx.Client, path: str, **data: str) -> httpx.Response:
    """Submit a form of /staff/network with the page's CSRF token."""
    page = client.get("/staff/network")
    assert page.status_code == 200, (page.status_code, page.text[:300])
    return client.post(path, data={"csrf_token": csrf_token(page.text), **data})


def flash(client: httpx.Client, response: httpx.Response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:300])
    assert response.headers["location"] == "/staff/network"
    html = client.get("/staff/network").text
    match = re.search(r'<p class="flash" role="status">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else ""


# --------------------------------------------------------------------------- sharing


def test_share__copy_is_on_the_board_and_announced_to_followers_and_the_author(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    kim = fediverse.actor("kim", server=fediverse.servers["other.example"])
    followed_by(board, kim)
    alice = partner(fediverse)
    follow_partner(board, alice)
    note = send_post(board, alice, note_of(alice, 1, "Leiter zu verleihen", kind="give-lend"))

    notice_id = share(board, note["id"])

    copy = live_copy(board, note["id"])
    assert copy is not None and copy["id"] == notice_id
    assert (copy["kind"], copy["title"], copy["origin_actor"], copy["origin_url"]) == (
        "give-lend",
        "Leiter zu verleihen",
        alice.id,
        note["url"],
    )
    assert copy["create_activity_id"] is None  # not ours: no Create, only an Announce
    board.drain()
    [to_kim] = received(kim.server, "/inbox", "Announce")  # the Announce to the follower
    [to_alice] = received(alice.server, "/inbox", "Announce")  # the Announce to the author
    assert to_kim == to_alice
    assert (to_kim["id"], to_kim["actor"], to_kim["object"]) == (
        copy["announce_id"],
        board.actor_id,
        note["id"],
    )
    assert to_kim["to"] == [PUBLIC]
    assert set(to_kim["cc"]) == {f"{board.actor_id}/followers", alice.id}
    home = board.get("/").text
    assert "Leiter zu verleihen" in home and "Geteilt von" in home


def test_share__followers_only_post_is_refused(board: RunningBoard, fediverse: Fediverse) -> None:
    alice = partner(fediverse)
    follow_partner(board, alice)
    note = send_post(board, alice, note_of(alice, 1, "Nur für Follower", public=False))
    assert board.value("SELECT count(*) FROM remote_posts WHERE id = ?", note["id"]) == 1

    assert "only public posts" in refused_share(board, note["id"])

    client = board.login()
    by_id = form_post(client, "/staff/network/share", post=note["id"])
    assert flash(client, by_id).startswith(NOT_SHAREABLE)
    by_address = form_post(client, "/staff/network/share", url=note["id"])
    assert flash(client, by_address).startswith(NOT_SHAREABLE)
    assert board.rows("SELECT id FROM notices") == []
    assert board.rows("SELECT id FROM outbox_activities WHERE type = 'Announce'") == []


def test_share__the_same_post_cannot_be_shared_twice(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = partner(fediverse)
    follow_partner(board, alice)
    note = send_post(board, alice, note_of(alice, 1, "Flohmarkt"))
    first = share(board, note["id"])

    assert "shared already" in refused_share(board, note["id"])
    client = board.login()
    again = form_post(client, "/staff/network/share", url=note["id"])

    assert flash(client, again).startswith(NOT_SHAREABLE)
    assert [r["id"] for r in board.rows("SELECT id FROM notices")] == [first]
    assert board.value("SELECT count(*) FROM outbox_activities WHERE type = 'Announce'") == 1
    # Once no longer shared, it can be shared again (a new notice and a new Announce).
    assert on_board(board, lambda s: notices.delete(s, first)).ok
    second = share(board, note["id"])
    assert second != first
    assert board.value("SELECT count(*) FROM outbox_activities WHERE type = 'Announce'") == 2


def test_share__unknown_or_deleted_post_is_refused(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = partner(fediverse)
    follow_partner(board, alice)
    note = send_post(board, alice, note_of(alice, 1, "Gleich weg"))
    deliver(board, alice, delete(alice, note["id"], "delete-1"))

    for post_id in (note["id"], f"{alice.id}/notices/99"):
        assert "not known" in refused_share(board, post_id)
    assert board.rows("SELECT id FROM notices") == []


# --------------------------------------------------------------------------- rules


def at(clock: MutableClock, hour: int, minute: int = 0, day: int = 2) -> None:
    clock.set(datetime(2026, 3, day, hour, minute, tzinfo=UTC))


def test_rule__daily_cap_counts_per_board_local_day(
    board: RunningBoard, fediverse: Fediverse, clock: MutableClock
) -> None:
    alice = partner(fediverse)
    follow_partner(board, alice)
    rule = int(on_board(board, lambda s: network.add_share_rule(s, alice.id, "event", 1)).value)
    start = "2026-03-20T15:00:00Z"

    at(clock, 21, 30)  # 22:30 in Essen on 2 March
    first = send_post(board, alice, event_of(alice, 1, "Lesung", start))
    at(clock, 22, 30)  # 23:30 in Essen, the same day: the cap is reached
    second = send_post(board, alice, event_of(alice, 2, "Konzert", start))
    other = send_post(board, alice, note_of(alice, 3, "Kein Termin"))
    at(clock, 23, 30)  # 00:30 in Essen on 3 March (still 2 March in UTC): a new day
    third = send_post(board, alice, event_of(alice, 4, "Kinderkino", start))

    assert hits(board) == [
        (rule, first["id"], "shared"),
        (rule, second["id"], "cap"),
        (rule, third["id"], "shared"),
    ]
    assert live_copy(board, first["id"]) is not None
    assert live_copy(board, second["id"]) is None
    assert live_copy(board, other["id"]) is None
    copy = live_copy(board, third["id"])
    assert copy is not None and (copy["kind"], copy["title"]) == ("event", "Kinderkino")
    assert copy["event_start"] == "2026-03-20T15:00:00.000000Z"
    board.drain()
    assert len(received(alice.server, "/inbox", "Announce")) == 2, "both Announces"
    assert sorted(a["object"] for a in received(alice.server, "/inbox", "Announce")) == [
        first["id"],
        third["id"],
    ]
    assert board.value("SELECT count(*) FROM audit_log WHERE staff = ?", f"rule #{rule}") == 2


def test_rule__for_one_partner_does_not_fire_for_another(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = partner(fediverse)
    bob = partner(fediverse, "bob", server=fediverse.servers["social.example"])
    follow_partner(board, alice)
    follow_partner(board, bob)
    rule = int(on_board(board, lambda s: network.add_share_rule(s, alice.id, None, 5)).value)

    from_bob = send_post(board, bob, note_of(bob, 1, "Von Bob"))
    from_alice = send_post(board, alice, note_of(alice, 1, "Von Alice"))

    assert hits(board) == [(rule, from_alice["id"], "shared")]
    assert live_copy(board, from_bob["id"]) is None
    assert live_copy(board, from_alice["id"]) is not None
    # A rule for any partner fires for Bob too.
    anyone = int(on_board(board, lambda s: network.add_share_rule(s, None, None, 5)).value)
    again = send_post(board, bob, note_of(bob, 2, "Wieder Bob"))
    assert hits(board)[-1] == (anyone, again["id"], "shared")


def test_rule__followers_only_posts_are_not_shared(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = partner(fediverse)
    follow_partner(board, alice)
    on_board(board, lambda s: network.add_share_rule(s, alice.id, None, 5))

    note = send_post(board, alice, note_of(alice, 1, "Intern", public=False))

    assert live_copy(board, note["id"]) is None
    assert hits(board) == []


@pytest.mark.parametrize(("kind", "cap"), [("werbung", 1), ("event", 0), (None, -1)])
def test_rule__unknown_kind_or_cap_below_one_is_refused(
    board: RunningBoard, kind: str | None, cap: int
) -> None:
    assert not on_board(board, lambda s: network.add_share_rule(s, None, kind, cap)).ok
    assert board.rows("SELECT * FROM share_rules") == []


@pytest.mark.parametrize("end", ["2026-03-02T13:00:00Z", None], ids=["with-end", "without-end"])
def test_shared_event__leaves_the_board_when_it_is_over(
    board: RunningBoard, fediverse: Fediverse, clock: MutableClock, end: str | None
) -> None:
    alice = partner(fediverse)
    follow_partner(board, alice)
    event = event_of(alice, 1, "Sprechstunde", "2026-03-02T11:00:00Z")
    if end is None:
        del event["endTime"]  # Mobilizon, Gancio and others may leave the end out
    else:
        event["endTime"] = end
    notice_id = share(board, send_post(board, alice, event)["id"])
    assert "Sprechstunde" in board.get("/?type=event").text

    at(clock, 13, 1)  # the end, or the two hours an event without an end lasts, are over
    on_board(board, lambda s: notices.expire_due(s))

    assert board.value("SELECT expired FROM notices WHERE id = ?", notice_id) is not None
    assert "Sprechstunde" not in board.get("/?type=event").text


# --------------------------------------------------------------------------- the original changes


def test_update__by_the_author_brings_the_copy_in_step(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = partner(fediverse)
    follow_partner(board, alice)
    note = send_post(board, alice, note_of(alice, 1, "Leiter zu verleihen", kind="give-lend"))
    notice_id = share(board, note["id"])

    changed = note | {
        "noticeTitle": "Leiter (vergeben)",
        "source": {"content": "Danke!", "mediaType": "text/markdown"},
        "noticeDone": "2026-03-02T10:00:00Z",
        "updated": "2026-03-02T10:00:00Z",
    }
    deliver(board, alice, update(alice, changed, "update-1"))

    copy = live_copy(board, note["id"])
    assert copy is not None and copy["id"] == notice_id
    assert (copy["title"], copy["body_html"]) == ("Leiter (vergeben)", "<p>Danke!</p>\n")
    assert copy["done"] == "2026-03-02T10:00:00.000000Z"
    assert "Vergeben" in board.get(f"/notices/{notice_id}").text


def test_update__from_someone_else_than_the_author_does_not_change_the_copy(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = partner(fediverse)
    mallory = fediverse.actor("mallory")  # on alice's own server
    eve = fediverse.actor("eve", server=fediverse.servers["other.example"])
    follow_partner(board, alice)
    note = send_post(board, alice, note_of(alice, 1, "Hoffest"))
    share(board, note["id"])
    before = live_copy(board, note["id"])
    forged = note | {"noticeTitle": "Gefälscht", "noticeDone": "2026-03-02T10:00:00Z"}

    deliver(board, mallory, update(mallory, forged, "update-1"))  # claims alice wrote it
    deliver(board, mallory, update(mallory, forged | {"attributedTo": mallory.id}, "update-2"))
    deliver(board, eve, update(eve, forged, "update-3"))

    assert live_copy(board, note["id"]) == before
    assert board.value("SELECT name FROM remote_posts WHERE id = ?", note["id"]) is None
    assert "Gefälscht" not in board.get(f"/notices/{before['id']}").text


def test_delete__by_the_author_removes_the_copy_and_sends_undo_announce(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    kim = fediverse.actor("kim", server=fediverse.servers["other.example"])
    followed_by(board, kim)
    alice = partner(fediverse)
    follow_partner(board, alice)
    note = send_post(board, alice, note_of(alice, 1, "Tauschbörse im Keller"))
    notice_id = share(board, note["id"])
    board.drain()
    [announce] = received(kim.server, "/inbox", "Announce")

    deliver(board, alice, delete(alice, note["id"], "delete-1"))

    assert live_copy(board, note["id"]) is None
    assert board.get(f"/notices/{notice_id}").status_code == 410
    assert "Tauschbörse im Keller" not in board.get("/").text
    board.drain()
    [undo] = received(kim.server, "/inbox", "Undo")
    board.drain()
    [to_author] = received(alice.server, "/inbox", "Undo")
    assert undo == to_author
    assert (undo["actor"], undo["object"]["type"], undo["object"]["id"]) == (
        board.actor_id,
        "Announce",
        announce["id"],
    )
    assert undo["object"]["object"] == note["id"]


def test_delete__by_someone_else_keeps_the_copy(board: RunningBoard, fediverse: Fediverse) -> None:
    alice = partner(fediverse)
    mallory = fediverse.actor("mallory")  # same server as alice
    follow_partner(board, alice)
    note = send_post(board, alice, note_of(alice, 1, "Bleibt hängen"))
    share(board, note["id"])

    deliver(board, mallory, delete(mallory, note["id"], "delete-1"))

    assert live_copy(board, note["id"]) is not None
    assert received(alice.server, "/inbox", "Undo") == []


def test_shared_copy__cannot_be_edited_pinned_translated_or_marked_done_locally(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = partner(fediverse)
    follow_partner(board, alice)
    note = send_post(board, alice, note_of(alice, 1, "Leiter zu verleihen", kind="give-lend"))
    notice_id = share(board, note["id"])
    before = live_copy(board, note["id"])
    draft = NoticeDraft("Übernommen", "Jetzt unsere", None, "give-lend")

    assert on_board(board, lambda s: notices.edit(s, notice_id, draft)).ok is False
    assert on_board(board, lambda s: notices.pin(s, notice_id, True)).ok is False
    translated = on_board(board, lambda s: notices.set_translation(s, notice_id, "en", "L", "A"))
    assert translated.ok is False
    assert on_board(board, lambda s: notices.mark_done(s, notice_id)).ok is False

    assert live_copy(board, note["id"]) == before
    assert board.rows("SELECT * FROM notice_translations") == []
    sent = board.rows("SELECT type FROM outbox_activities ORDER BY published")
    assert [r["type"] for r in sent] == ["Follow", "Announce"]  # no Update, Add or Create


# --------------------------------------------------------------------------- the pages


def test_network_pages__list_the_partner_and_its_posts(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = partner(
        fediverse,
        name="Stadtteilbibliothek Süd",
        summary="<p>Bücher, <b>Lesungen</b> und Spiele</p>",
    )
    follow_partner(board, alice)
    send_post(board, alice, event_of(alice, 1, "Lesung für Kinder", "2026-03-20T15:00:00Z"))
    send_post(board, alice, event_of(alice, 2, "Spieleabend", "2026-03-21T17:00:00Z"))
    note = send_post(board, alice, note_of(alice, 3, "Neue Comics da"))
    notice_id = share(board, note["id"])

    public = board.get("/network")
    assert public.status_code == 200
    assert "Stadtteilbibliothek Süd" in public.text
    assert "Bücher, Lesungen und Spiele" in public.text  # the summary as plain text
    assert f"@alice@{alice.server.authority}" in public.text
    assert f'href="{alice.document["url"]}"' in public.text
    kinds = re.search(r"Veröffentlicht vor allem: (.*?)</p>", public.text, re.S)
    assert kinds, public.text[-2000:]
    assert re.findall(r'class="kind kind--([\w-]+)"', kinds.group(1)) == ["event", "announcement"]

    staff = board.login().get("/staff/network")
    assert staff.status_code == 200
    assert "Aus unserem Netzwerk" in staff.text
    for title in ("Lesung für Kinder", "Spieleabend", "Neue Comics da"):
        assert title in staff.text
    assert "Stadtteilbibliothek Süd" in staff.text
    assert staff.text.count('action="/staff/network/share"') == 1 + 2  # by address, two posts
    assert f'href="/notices/{notice_id}"' in staff.text
    assert 'action="/staff/network/unshare"' in staff.text


def test_network_page__without_partners_says_so(board: RunningBoard) -> None:
    response = board.get("/network")
    assert response.status_code == 200
    assert 'class="partner"' not in response.text


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_network_forms__follow_share_unshare_and_rules_work_for(
    board: RunningBoard, fediverse: Fediverse, role: str
) -> None:
    alice = partner(fediverse)
    client = staff_member(board, role)

    followed = form_post(client, "/staff/network/follow", target=alice.handle)
    assert flash(client, followed).startswith("Folge-Anfrage gesendet.")
    accept_follow(board, alice)
    note = send_post(board, alice, note_of(alice, 1, "Flohmarkt im Hof"))
    other = note_of(alice, 2, "Nur auf dem Server")  # never delivered: shared by address
    alice.server.serve_json(other["id"].removeprefix(alice.server.origin), other)

    shared = form_post(client, "/staff/network/share", post=note["id"])
    assert flash(client, shared) == SHARED
    assert live_copy(board, note["id"]) is not None
    by_address = form_post(client, "/staff/network/share", url=other["id"])
    assert flash(client, by_address) == SHARED
    assert live_copy(board, other["id"]) is not None

    unshared = form_post(client, "/staff/network/unshare", url=note["id"])
    assert flash(client, unshared) == "Nicht mehr geteilt."
    assert live_copy(board, note["id"]) is None
    board.drain()
    assert received(alice.server, "/inbox", "Undo"), "the Undo{Announce}"
    copy_address = board.url(f"/notices/{live_copy(board, other['id'])['id']}")
    by_copy = form_post(client, "/staff/network/unshare", url=copy_address)
    assert flash(client, by_copy) == "Nicht mehr geteilt."
    assert live_copy(board, other["id"]) is None
    not_shared = form_post(client, "/staff/network/unshare", url=copy_address)
    assert flash(client, not_shared) == "Das Brett teilt diesen Beitrag nicht."

    added = form_post(client, "/staff/network/rules", source=alice.id, kind="event", daily_cap="2")
    assert flash(client, added) == "Die Regel ist gespeichert."
    [rule] = board.rows("SELECT * FROM share_rules")
    assert (rule["actor_id"], rule["kind"], rule["daily_cap"], rule["created_by"]) == (
        alice.id,
        "event",
        2,
        f"{role}_1",
    )
    stranger = form_post(
        client, "/staff/network/rules", source="https://x.example/u", daily_cap="1"
    )
    assert flash(client, stranger).startswith("Bitte wählen Sie einen Partner")
    assert len(board.rows("SELECT * FROM share_rules")) == 1
    removed = form_post(client, "/staff/network/rules/remove", rule=str(rule["id"]))
    assert flash(client, removed) == "Die Regel ist entfernt."
    assert board.rows("SELECT * FROM share_rules") == []

    unfollowed = form_post(client, "/staff/network/follow", target=alice.id, action="unfollow")
    assert flash(client, unfollowed) == "Das Brett folgt diesem Konto nicht mehr."
    assert following_state(board, alice) is None
    board.drain()
    [undo] = received(alice.server, alice.inbox_path, "Undo")  # the Undo{Follow}
    assert undo["object"]["type"] == "Follow"


def test_network_forms__moderators_may_look_but_get_403(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = partner(fediverse)
    bob = partner(fediverse, "bob", server=fediverse.servers["social.example"])
    follow_partner(board, alice)
    shared = send_post(board, alice, note_of(alice, 1, "Schon geteilt"))
    waiting = send_post(board, alice, note_of(alice, 2, "Noch nicht geteilt"))
    share(board, shared["id"])
    rule = int(on_board(board, lambda s: network.add_share_rule(s, alice.id, None, 1)).value)
    client = staff_member(board, "moderator")

    page = client.get("/staff/network")
    assert page.status_code == 200
    assert "Noch nicht geteilt" in page.text
    assert 'action="/staff/network/' not in page.text  # no forms for moderators

    token = csrf_token(page.text)
    attempts = {
        "/staff/network/follow": {"target": bob.handle},
        "/staff/network/share": {"post": waiting["id"]},
        "/staff/network/unshare": {"url": shared["id"]},
        "/staff/network/rules": {"source": alice.id, "kind": "", "daily_cap": "3"},
        "/staff/network/rules/remove": {"rule": str(rule)},
    }
    for path, data in attempts.items():
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 403, (path, response.status_code)
        assert "Das dürfen Sie leider nicht." in response.text

    assert following_state(board, bob) is None
    board.drain()
    assert received(bob.server, bob.inbox_path, "Follow") == []
    assert live_copy(board, shared["id"]) is not None
    assert live_copy(board, waiting["id"]) is None
    assert [r["id"] for r in board.rows("SELECT id FROM share_rules")] == [rule]


# --------------------------------------------------------------------------- follower counts


def test_follower_counts__one_row_per_board_local_day(
    board: RunningBoard, fediverse: Fediverse, clock: MutableClock
) -> None:
    # The minute loop counts at start already.
    board.drain()
    assert board.rows("SELECT * FROM follower_counts"), "the first count"
    followed_by(board, fediverse.actor("kim", server=fediverse.servers["other.example"]))
    at(clock, 10)
    on_board(board, lambda s: network.record_follower_count(s))
    followed_by(board, fediverse.actor("lou"))
    followed_by(board, fediverse.actor("max"))
    at(clock, 22, 59)  # 23:59 in Essen
    on_board(board, lambda s: network.record_follower_count(s))

    rows = board.rows("SELECT day, followers, servers FROM follower_counts ORDER BY day")
    assert rows == [{"day": "2026-03-02", "followers": 3, "servers": 2}]

    at(clock, 23, 1)  # 00:01 in Essen on 3 March
    on_board(board, lambda s: network.record_follower_count(s))
    on_board(board, lambda s: network.record_follower_count(s))

    rows = board.rows("SELECT day, followers, servers FROM follower_counts ORDER BY day")
    assert [r["day"] for r in rows] == ["2026-03-02", "2026-03-03"]
    page = board.login().get("/staff/network").text
    assert "2026-03-02" in page and "2026-03-03" in page
