"""Publishing a notice (web form and `aushang post`): what is stored, federated and delivered."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from federation import httpsig
from federation.vocab import PUBLIC
from tests.noticeboard.boards import AP_JSON, RunningBoard
from tests.support.fediverse import Fediverse, Recorded, RemoteActor

MARKDOWN = """Wir treffen uns am **Samstag** im *Hof*.

- Kuchen
- Kaffee

<script>alert("xss")</script>
<img src=x onerror=alert(1)>
[Klick](javascript:alert(1)) und [Plan](https://nordstadt.example/plan)
"""


def follow(board: RunningBoard, actor: RemoteActor) -> None:
    response = actor.post(board.inbox, actor.follow(board.actor_id), now=board.clock.now)
    assert response.status_code == 202, response.text


def followers_on_the_fake(board: RunningBoard, fediverse: Fediverse) -> list[RemoteActor]:
    """Three followers sharing remote.example's shared inbox, one with only a personal inbox."""
    sharing = [fediverse.actor(name) for name in ("carol", "dave", "erin")]
    loner = fediverse.actor("frank", server=fediverse.servers["other.example"], shared_inbox=None)
    actors = [*sharing, loner]
    for actor in actors:
        follow(board, actor)
    board.drain()
    assert len([f for f in board.followers() if f["state"] == "accepted"]) == 4, "four followers"
    assert not pending_deliveries(board), "the Accepts to be delivered"
    return actors


def pending_deliveries(board: RunningBoard) -> list[dict[str, Any]]:
    return board.rows("SELECT * FROM deliveries WHERE state = 'pending'")


def creates(fediverse: Fediverse) -> list[Recorded]:
    return [r for r in fediverse.all_requests() if r.method == "POST" and b'"Create"' in r.body]


def note_of(board: RunningBoard, url: str) -> dict[str, Any]:
    return board.get_json(url.removeprefix(board.base_url))


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


# --- the web form ---------------------------------------------------------------------------


def test_publish__web_form_stores_the_notice(board: RunningBoard) -> None:
    staff = board.login()

    url = board.publish(staff, "Hoffest", MARKDOWN, category="Treffen")

    [row] = board.rows("SELECT * FROM notices")
    assert url == board.url(f"/notices/{row['id']}")
    assert row["title"] == "Hoffest"
    assert row["body_md"] == MARKDOWN.strip()
    assert row["category"] == "Treffen"
    assert row["ap_id"] == url
    assert row["author_id"] == board.value("SELECT id FROM staff WHERE username = 'admin'")


def test_publish__note_has_the_title_first_and_sanitised_markdown(board: RunningBoard) -> None:
    staff = board.login()
    url = board.publish(staff, "Hoffest <am> Samstag", MARKDOWN, category="Treffen")

    note = note_of(board, url)

    content = note["content"]
    assert content.startswith("<p><strong>Hoffest &lt;am&gt; Samstag</strong></p>")
    assert "<strong>Samstag</strong>" in content
    assert "<em>Hof</em>" in content
    assert "<li>Kuchen</li>" in content
    assert "<script" not in content
    assert "<img" not in content
    assert not re.search(r"<[^>]*\son\w+=", content)  # no event handler attribute survives
    assert not [h for h in hrefs(content) if not h.startswith(("https://", "http://"))]
    assert "https://nordstadt.example/plan" in hrefs(content)
    plan = re.search(r'<a [^>]*href="https://nordstadt.example/plan"[^>]*>', content)
    assert plan and 'rel="nofollow noopener noreferrer ugc"' in plan.group(0)


def test_publish__note_addressing_and_metadata(board: RunningBoard) -> None:
    staff = board.login()
    url = board.publish(staff, "Hoffest", "Text", category="Treffen")

    note = note_of(board, url)

    assert note["type"] == "Note"
    assert note["id"] == url
    assert note["url"] == url
    assert note["attributedTo"] == board.actor_id
    assert note["to"] == [PUBLIC]
    assert note["cc"] == [board.url("/users/nordstadt/followers")]
    published = datetime.strptime(note["published"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(published - board.clock.now) < timedelta(seconds=5)
    assert note["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert {
        "type": "Hashtag",
        "name": "#Treffen",
        "href": board.url("/tags/treffen"),
    } in note["tag"]


def test_publish__category_becomes_a_hashtag_without_spaces_or_punctuation(
    board: RunningBoard,
) -> None:
    staff = board.login()
    url = board.publish(staff, "Reparatur", "Text", category="#Repair-Café")

    tags = [t["name"] for t in note_of(board, url)["tag"] if t["type"] == "Hashtag"]

    assert "#RepairCafé" in tags


def test_publish__create_activity_is_served_at_its_id(board: RunningBoard) -> None:
    staff = board.login()
    url = board.publish(staff, "Hoffest", "Text")

    activity = board.get_json(url.removeprefix(board.base_url) + "/activity")

    assert activity["type"] == "Create"
    assert activity["actor"] == board.actor_id
    assert activity["object"]["id"] == url
    assert activity["to"] == [PUBLIC]
    assert activity["cc"] == [board.url("/users/nordstadt/followers")]


def test_publish__one_delivery_per_inbox_with_shared_inboxes_deduplicated(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    actors = followers_on_the_fake(board, fediverse)
    staff = board.login()

    url = board.publish(staff, "Hoffest", "Text")

    activity_id = board.value("SELECT create_activity_id FROM notices")
    rows = board.rows("SELECT inbox, host FROM deliveries WHERE activity_id = ?", activity_id)
    assert sorted(r["inbox"] for r in rows) == sorted(
        [fediverse.remote.url("/inbox"), actors[3].inbox]
    )
    board.drain()
    received = len(creates(fediverse)) == 2 and creates(fediverse)
    assert received
    assert sorted(r.path for r in received) == ["/inbox", "/users/frank/inbox"]
    assert all(r.json()["object"]["id"] == url for r in received)


def test_publish__create_is_signed_with_the_key_of_the_actor_document(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    follow(board, alice)
    board.drain()
    assert board.followers(), "the follower"
    staff = board.login()

    board.publish(staff, "Hoffest", "Text")

    board.drain()
    [create] = creates(fediverse)
    assert create.path == "/inbox"
    parsed = httpsig.parse_signature("POST", create.target, create.headers)
    assert not isinstance(parsed, httpsig.SignatureError), parsed
    actor = board.get_json("/users/nordstadt")
    assert parsed.key_id == actor["publicKey"]["id"]
    assert {"(request-target)", "host", "date", "digest"} <= set(parsed.covered)
    result = httpsig.verify_signature(
        parsed,
        board.public_key(),
        create.body,
        board.clock.now,
        expected_host=fediverse.remote.authority,
    )
    assert result.ok, result.reason
    assert create.headers["digest"] == httpsig.digest_header(create.body)
    assert create.headers["content-type"].startswith(AP_JSON)


def test_publish__pending_followers_get_nothing(make_board: Any, fediverse: Fediverse) -> None:
    board = make_board(AUSHANG_FEDERATION_APPROVE_FOLLOWERS="true")
    alice = fediverse.actor("alice")
    follow(board, alice)
    board.drain()
    assert board.followers(), "the pending follower"
    staff = board.login()

    board.publish(staff, "Hoffest", "Text")

    assert board.rows("SELECT * FROM deliveries") == []


def test_publish__without_followers_nothing_is_queued(board: RunningBoard) -> None:
    staff = board.login()

    board.publish(staff, "Hoffest", "Text")

    assert board.rows("SELECT * FROM deliveries") == []
    assert board.value("SELECT count(*) FROM outbox_activities WHERE type = 'Create'") == 1


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [("", "Text", "title"), ("Titel", "", "body"), ("x" * 201, "Text", "title")],
)
def test_publish__invalid_draft_is_400_and_not_stored(
    board: RunningBoard, title: str, body: str, field: str
) -> None:
    staff = board.login()

    response = board.compose(staff, title, body)

    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text
    assert board.rows("SELECT * FROM notices") == []


# --- the command line ---------------------------------------------------------------------


def test_publish__cli_post_stores_federates_and_delivers(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    follow(board, alice)
    board.drain()
    assert board.followers(), "the follower"
    assert not pending_deliveries(board), "the Accept"

    result = board.cli_process(  # the installed script
        "post", "--title", "Sperrmüll", "--body", "Am *Montag* <b>früh</b>", "--category", "Müll"
    )

    assert result.returncode == 0, result.stderr
    url = result.stdout.strip().splitlines()[-1]
    assert url == board.url("/notices/1")
    [row] = board.rows("SELECT title, author_id FROM notices")
    assert row == {"title": "Sperrmüll", "author_id": None}
    note = note_of(board, url)
    assert note["content"].startswith("<p><strong>Sperrmüll</strong></p>")
    assert "<em>Montag</em>" in note["content"]
    assert "<b>" not in note["content"]
    assert {"type": "Hashtag", "name": "#Müll", "href": board.url("/tags/müll")} in note["tag"]
    [delivery] = board.rows(
        "SELECT inbox FROM deliveries d JOIN outbox_activities o ON o.id = d.activity_id "
        "WHERE o.type = 'Create'"
    )
    assert delivery["inbox"] == fediverse.remote.url("/inbox")
    # The CLI stamps with the real clock; move the board's clock past it so the worker sends.
    board.clock.set(datetime.now(UTC) + timedelta(minutes=1))
    board.drain()
    [create] = creates(fediverse)
    assert create.json()["object"]["id"] == url
    parsed = httpsig.parse_signature("POST", create.target, create.headers)
    assert not isinstance(parsed, httpsig.SignatureError)
    assert httpsig.verify_signature(
        parsed,
        board.public_key(),
        create.body,
        board.clock.now,
        expected_host=fediverse.remote.authority,
    ).ok


def test_publish__cli_post_rejects_an_empty_title_in_one_line(board: RunningBoard) -> None:
    result = board.cli("post", "--title", " ", "--body", "Text")

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert board.rows("SELECT * FROM notices") == []
