"""How the board talks to servers other than Mastodon and Fedify, each with the payloads and
signatures that server really sends (fixtures in tests/fixtures/remote/ and
tests/fixtures/servers/, each naming its source)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from noticeboard.network import service as network
from noticeboard.network.sharing import shared_copy
from noticeboard.participation import settings
from tests.noticeboard.boards import RunningBoard
from tests.noticeboard.test_polls import post_poll, question
from tests.security.helpers import signed_post
from tests.support.fediverse import AS_CONTEXT, FIXTURES, Fediverse, RemoteActor

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

PEERTUBE_HEADERS = ("(request-target)", "host", "date", "digest")  # PeerTube's HTTP_SIGNATURE


def peertube_post(board: RunningBoard, actor: RemoteActor, activity: dict[str, Any]):
    """Sign as PeerTube does: rsa-sha256 over its four headers, keyId = the bare actor URL."""
    return signed_post(board, actor, activity, key_id=actor.id, covered=PEERTUBE_HEADERS)


def processed(board: RunningBoard, response: httpx.Response, activity_id: str) -> None:
    assert response.status_code == 202, (response.status_code, response.text)
    board.drain()
    row = board.rows("SELECT state, last_error FROM inbox_activities WHERE id = ?", activity_id)
    assert row == [{"state": "done", "last_error": None}], row


# --- PeerTube: keyId is the actor URL -----------------------------------------------------------


def test_peertube__account_signing_with_its_actor_url_follows_the_board(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    lena = fediverse.peertube_actor("/accounts/lena")
    assert lena.document["publicKey"]["id"] == f"{lena.id}#main-key"
    follow = lena.follow(board.actor_id, "follow-1")

    processed(board, peertube_post(board, lena, follow), follow["id"])

    assert [(f["actor_id"], f["state"]) for f in board.followers()] == [(lena.id, "accepted")]
    board.drain()
    accepts = [r.json() for r in lena.server.posts() if r.json()["type"] == "Accept"]
    assert [a["object"]["id"] for a in accepts] == [follow["id"]]


def test_peertube__channel_accepts_the_boards_follow(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    channel = fediverse.peertube_actor("/video-channels/hoffilm")
    resolver = board.app.state.runtime.resolver

    async def follow(b: Any) -> str:
        return (await network.follow(b, await resolver.get(channel.id, refresh=True))).value

    follow_id = board.run_on_board(follow)
    board.drain()
    accept = {
        "@context": AS_CONTEXT,
        "id": f"{channel.id}/accepts/follows/1",
        "type": "Accept",
        "actor": channel.id,
        "object": {
            "id": follow_id,
            "type": "Follow",
            "actor": board.actor_id,
            "object": channel.id,
        },
    }

    processed(board, peertube_post(board, channel, accept), accept["id"])

    state = board.value("SELECT state FROM following WHERE actor_id = ?", channel.id)
    assert state == "accepted"


# --- payloads of each server ----------------------------------------------------------------------


def payload(name: str, actor: RemoteActor, board: RunningBoard, notice_id: int = 0) -> dict:
    """Read tests/fixtures/servers/<name>.json with its placeholders pointing here."""
    text = (FIXTURES / "servers" / f"{name}.json").read_text(encoding="utf-8")
    text = text.replace("https://server.example", actor.server.origin)
    text = text.replace("https://board.example/users/board", board.actor_id)
    text = text.replace("https://board.example/notices/NOTICE", board.url(f"/notices/{notice_id}"))
    return json.loads(text)


def deliver(board: RunningBoard, actor: RemoteActor, activity: dict) -> None:
    processed(board, actor.post(board.inbox, activity, now=board.clock.now), activity["id"])


def open_replies(board: RunningBoard) -> int:
    assert board.run_on_board(lambda s: settings.set_reply_policy(s, "open")).ok
    url = board.publish(board.login(), "Hoffest am Samstag", "Alle sind eingeladen.")
    return int(url.rsplit("/", 1)[1])


def replies_html(board: RunningBoard, notice_id: int) -> str:
    page = board.get(f"/notices/{notice_id}").text
    match = re.search(r'<section class="replies" id="replies".*?</section>', page, re.S)
    assert match, "replies section"
    return match.group(0)


@pytest.mark.parametrize(
    ("name", "user", "shown"),
    [
        ("mastodon-quote-reply", "mika", "Wir kommen! :blobcat:"),
        ("misskey-note-reply", "9kx2", "<b>und Kaffee</b>"),
        ("lemmy-comment-reply", "kim", "<strong>ich helfe</strong>"),
        ("friendica-note-reply", "rike", "Ich bin dabei."),
        ("gotosocial-note-reply", "jo", "Komme gern vorbei."),
    ],
)
def test_reply_of_each_server__is_shown_under_the_notice(
    board: RunningBoard, fediverse: Fediverse, name: str, user: str, shown: str
) -> None:
    notice_id = open_replies(board)
    actor = fediverse.actor(user)

    deliver(board, actor, payload(name, actor, board, notice_id))

    assert shown in replies_html(board, notice_id)


def test_reply__quote_post_links_the_quoted_post(board: RunningBoard, fediverse: Fediverse) -> None:
    notice_id = open_replies(board)
    mika = fediverse.actor("mika")
    activity = payload("mastodon-quote-reply", mika, board, notice_id)
    activity["object"]["content"] = "<p>Wir kommen!</p>"  # without Mastodon's inline fallback

    deliver(board, mika, activity)

    assert f'RE: <a href="{mika.server.origin}/users/mika/statuses/1000"' in replies_html(
        board, notice_id
    )


def test_reply__content_only_in_content_map_is_shown(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = open_replies(board)
    rike = fediverse.actor("rike")

    deliver(board, rike, payload("friendica-note-reply", rike, board, notice_id))

    section = replies_html(board, notice_id)
    assert 'Ich bin dabei. <a href="' in section
    assert "[url=" not in section  # the BBCode source is not what is shown


def test_reply__wordpress_article_is_a_reply_with_its_title_as_heading(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = open_replies(board)
    blog = fediverse.actor("blog")

    deliver(board, blog, payload("wordpress-article-reply", blog, board, notice_id))

    section = replies_html(board, notice_id)
    assert '<h3 class="reply__title">Wir helfen beim Hoffest</h3>' in section
    assert "Zelte</a> auf." in section
    assert "<script>" not in section  # sanitised: the tag is gone, its text is harmless


@pytest.mark.parametrize("type_", ["Article", "Page", "Event", "Note"])
def test_reply_with_a_name__to_a_notice_that_is_no_poll_is_shown_not_dropped(
    board: RunningBoard, fediverse: Fediverse, type_: str
) -> None:
    notice_id = open_replies(board)
    alice = fediverse.actor("alice")
    obj = {
        "id": alice.activity_id("post-1"),
        "type": type_,
        "name": "Re: Hoffest <b>am</b> Samstag",
        "content": "<p>Ich komme.</p>",
        "attributedTo": [alice.id],  # a list, as Lemmy, PeerTube and Friendica send
        "inReplyTo": board.url(f"/notices/{notice_id}"),
        "to": [PUBLIC],
        "cc": [board.actor_id],
    }
    if type_ == "Event":
        obj["startTime"] = "2026-03-14T14:00:00Z"
    create = {
        "@context": AS_CONTEXT,
        "id": alice.activity_id("create-1"),
        "type": "Create",
        "actor": alice.id,
        "to": [PUBLIC],
        "object": obj,
    }

    deliver(board, alice, create)

    section = replies_html(board, notice_id)
    assert '<h3 class="reply__title">Re: Hoffest am Samstag</h3>' in section
    assert "Ich komme." in section


def test_reply_with_a_name__that_is_no_option_of_the_poll_is_a_reply(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    assert board.run_on_board(lambda s: settings.set_reply_policy(s, "open")).ok
    notice_id = post_poll(board)
    alice = fediverse.actor("alice")
    obj = {
        "id": alice.activity_id("post-2"),
        "type": "Article",
        "name": "Sonntag",
        "content": "<p>Lieber Sonntag, weil …</p>",
        "attributedTo": alice.id,
        "inReplyTo": board.url(f"/notices/{notice_id}"),
        "to": [PUBLIC],
    }
    article = {
        "@context": AS_CONTEXT,
        "id": alice.activity_id("create-2"),
        "type": "Create",
        "actor": alice.id,
        "to": [PUBLIC],
        "object": obj,
    }
    note = dict(obj, id=alice.activity_id("post-3"), type="Note", name="Dienstag")
    create_note = dict(article, id=alice.activity_id("create-3"), object=note)

    deliver(board, alice, article)
    deliver(board, alice, create_note)

    assert question(board, notice_id)["votersCount"] == 0
    section = replies_html(board, notice_id)
    assert "Lieber Sonntag" in section and "Dienstag" in section


def test_pleroma__emoji_reaction_is_counted_as_a_like(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    notice_id = open_replies(board)
    lou = fediverse.actor("lou")

    deliver(board, lou, payload("pleroma-emoji-react", lou, board, notice_id))

    rows = board.rows("SELECT actor, type FROM reactions WHERE notice_id = ?", notice_id)
    assert rows == [{"actor": lou.id, "type": "Like"}]


@pytest.mark.parametrize(
    ("name", "user"),
    [("pleroma-chat-message", "lou"), ("peertube-cache-file", "tube")],
)
def test_private_chat_and_cache_files__are_answered_2xx_and_not_kept(
    board: RunningBoard, fediverse: Fediverse, name: str, user: str
) -> None:
    actor = fediverse.actor(user)

    deliver(board, actor, payload(name, actor, board))

    assert board.value("SELECT count(*) FROM remote_posts") == 0
    assert board.value("SELECT count(*) FROM moderation_items") == 0


def followed(board: RunningBoard, actor: RemoteActor) -> None:
    resolver = board.app.state.runtime.resolver

    async def follow(b: Any) -> str:
        return (await network.follow(b, await resolver.get(actor.id, refresh=True))).value

    follow_id = board.run_on_board(follow)
    accept = {
        "@context": AS_CONTEXT,
        "id": actor.activity_id("accept-1"),
        "type": "Accept",
        "actor": actor.id,
        "object": follow_id,
    }
    deliver(board, actor, accept)


def test_lemmy__community_announce_of_a_page_is_kept_from_its_origin(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    community = fediverse.actor("nordstadt", actor_type="Group")
    kim = fediverse.actor("kim")
    followed(board, community)
    announce = payload("lemmy-announce-create-page", community, board)
    page = announce["object"]["object"]
    community.server.serve_json("/post/5511", page)
    announce["object"]["object"] = dict(page, name="Forged by the group copy")

    deliver(board, community, announce)

    rows = board.rows("SELECT actor, type, name FROM remote_posts")
    assert rows == [{"actor": kim.id, "type": "Page", "name": "Tauschregal im Hof"}]


@pytest.mark.parametrize(
    ("name", "user", "title", "place", "address"),
    [
        (
            "mobilizon-event",
            "quartier",
            "Nachbarschaftsfest",
            "Stadtteilzentrum",
            "Lindenstraße 5 30161 Hannover",
        ),
        ("gancio-event", "events", "Flohmarkt im Hof", "Hof der Schule", "Schulweg 3, Hannover"),
    ],
)
def test_partner_events__are_kept_with_time_and_place(
    board: RunningBoard,
    fediverse: Fediverse,
    name: str,
    user: str,
    title: str,
    place: str,
    address: str,
) -> None:
    partner = fediverse.actor(user)
    followed(board, partner)
    activity = payload(name, partner, board)

    deliver(board, partner, activity)

    stored = board.rows("SELECT type, name, object_json FROM remote_posts")
    assert [(r["type"], r["name"]) for r in stored] == [("Event", title)]
    copy = shared_copy(json.loads(stored[0]["object_json"]))
    assert copy.kind == "event"
    assert copy.event_start is not None and copy.event_end is not None
    assert (copy.place_name, copy.place_address) == (place, address)


def test_peertube__video_of_a_followed_channel_is_kept(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    tube = fediverse.actor("tube", actor_type="Group")
    followed(board, tube)

    deliver(board, tube, payload("peertube-video", tube, board))

    rows = board.rows("SELECT type, name FROM remote_posts")
    assert rows == [{"type": "Video", "name": "Hoffest 2025"}]


def test_lemmy__announce_of_a_page_by_a_blocked_author_is_refused(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    community = fediverse.actor("nordstadt", actor_type="Group")
    followed(board, community)
    assert board.cli("block", "spam.example").returncode == 0
    announce = payload("lemmy-announce-create-page", community, board)
    announce["object"]["actor"] = "https://spam.example/u/kim"
    announce["object"]["object"]["attributedTo"] = "https://spam.example/u/kim"

    response = community.post(board.inbox, announce, now=board.clock.now)

    assert response.status_code == 403, response.text
    assert board.value("SELECT count(*) FROM remote_posts") == 0
