"""Handing a board over, exporting it, and closing it: the last notice, the Delete of the
actor to its followers, 410 afterwards; a static copy that works without the server."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token
from tests.noticeboard.test_groups import create_group, join
from tests.noticeboard.test_images import jpeg_with_gps
from tests.noticeboard.test_move import catch_up_with_the_command_line
from tests.noticeboard.test_sharing import (
    follow_partner,
    followed_by,
    partner,
    received,
    staff_member,
)
from tests.support.fediverse import Fediverse

ARCHIVE = "https://archiv.example.org/nordstadt/"
LINK = re.compile(r'\b(?:href|src|action)="([^"]*)"')
DYNAMIC = ("/staff", "/login", "/logout", "/submit", "/search", "/inbox", "/users/", "/actor")


# --------------------------------------------------------------------------- closing


def test_close__last_notice_then_delete_of_the_actor_then_gone(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    follower = fediverse.actor("carla", server=fediverse.servers["other.example"])
    followed_by(board, follower)

    result = board.cli("close", "--archive-url", ARCHIVE, "--yes")

    assert result.returncode == 0, result.stderr
    # until the Delete is delivered, the key stays readable so that it can be verified
    closing = board.get_json("/users/nordstadt")
    assert closing["publicKey"]["owner"] == board.actor_id and "name" not in closing
    catch_up_with_the_command_line(board)
    creates = received(follower.server, "/inbox", "Create")
    assert ARCHIVE in creates[-1]["object"]["content"]
    deletes = received(follower.server, "/inbox", "Delete")
    assert [(d["actor"], d["object"]) for d in deletes] == [(board.actor_id, board.actor_id)]
    assert board.get("/users/nordstadt", headers={"Accept": AP_JSON}).status_code == 410
    webfinger = f"/.well-known/webfinger?resource=acct:nordstadt@{board.authority}"
    assert board.get(webfinger).status_code == 410
    home = board.get("/")
    assert home.status_code == 410 and ARCHIVE in home.text
    assert board.value("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == "board.close"


def test_close__tells_followed_partners_too_and_forgets_all_relationships(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    follower = fediverse.actor("carla", server=fediverse.servers["other.example"])
    followed_by(board, follower)
    partner_board = partner(fediverse, "suedstadt")
    follow_partner(board, partner_board)

    assert board.cli("close", "--yes").returncode == 0
    catch_up_with_the_command_line(board)

    for server in (follower.server, partner_board.server):
        deletes = received(server, "/inbox", "Delete")
        assert [d["object"] for d in deletes] == [board.actor_id]
    assert board.followers() == [] and board.rows("SELECT * FROM following") == []


def test_close__each_group_is_deleted_to_its_members_in_its_own_name_then_gone(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    group = create_group(board)
    member = fediverse.actor("carla", server=fediverse.servers["other.example"])
    join(board, member, group)

    assert board.cli("close", "--yes").returncode == 0

    # until the group's Delete is delivered, its key stays readable so that it can be verified,
    # and the owners' page counts it among those still to send (sent, still to send)
    closing = board.get_json("/groups/garten")
    assert closing["publicKey"]["owner"] == group and "name" not in closing
    assert closing_state(board) == [0, 1]
    catch_up_with_the_command_line(board)  # the clock jumps: a new session
    assert closing_state(board) == [1, 0]
    deletes = [r for r in member.server.posts("/inbox") if r.json().get("type") == "Delete"]
    by_group = [r for r in deletes if r.json()["actor"] == group]
    assert [r.json()["object"] for r in by_group] == [group]
    assert f'keyId="{group}#main-key"' in by_group[0].headers["signature"]
    assert board.get("/groups/garten", headers={"Accept": AP_JSON}).status_code == 410
    webfinger = f"/.well-known/webfinger?resource=acct:garten@{board.authority}"
    assert board.get(webfinger).status_code == 410
    assert board.rows("SELECT * FROM followers WHERE local_actor = ?", group) == []


def closing_state(board: RunningBoard) -> list[int]:
    """The owners' page's count of the closing's deliveries: [sent, still to send]."""
    page = board.login().get("/staff/continuity").text
    line = page.split('class="closing-state">')[1].split("</p>")[0]
    return [int(n) for n in re.findall(r"\d+", line)]


def test_close__asks_for_the_boards_name_first(board: RunningBoard) -> None:
    refused = board.cli("close", stdin="ja\n")
    assert refused.returncode == 2
    assert board.get("/").status_code == 200

    confirmed = board.cli("close", stdin="nordstadt\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert board.get("/").status_code == 410


def test_closed_board__refuses_follows_and_a_second_closing(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    assert board.cli("close", "--yes").returncode == 0
    again = board.cli("close", "--yes")
    assert again.returncode == 2 and "closed" in again.stderr
    latecomer = fediverse.actor("lena", server=fediverse.servers["other.example"])
    response = latecomer.post(board.inbox, latecomer.follow(board.actor_id), now=board.clock.now)
    assert response.status_code == 410
    assert board.followers() == []


def test_close_on_the_web__needs_the_boards_name(board: RunningBoard) -> None:
    staff = board.login()
    page = staff.get("/staff/continuity")
    form = {"csrf_token": csrf_token(page.text), "archive_url": ARCHIVE, "message": ""}
    staff.post("/staff/continuity/close", data={**form, "confirm": "falsch"})
    assert board.get("/").status_code == 200

    staff.post("/staff/continuity/close", data={**form, "confirm": "nordstadt"})
    assert board.get("/").status_code == 410
    assert "board-state" in staff.get("/staff").text


# --------------------------------------------------------------------------- hand-over


def test_transfer_owner__makes_the_account_the_only_owner(board: RunningBoard) -> None:
    staff_member(board, "editor")

    result = board.cli("staff", "transfer-owner", "editor_1")

    assert result.returncode == 0, result.stderr
    roles = {r["username"]: r["role"] for r in board.rows("SELECT username, role FROM staff")}
    assert roles == {"admin": "editor", "editor_1": "owner"}
    entry = board.rows("SELECT action, target, reason FROM audit_log ORDER BY id DESC LIMIT 1")
    assert entry == [
        {"action": "staff.transfer_owner", "target": "editor_1", "reason": "former owners: admin"}
    ]
    assert board.cli("staff", "transfer-owner", "nobody").returncode == 2


def test_transfer_owner_on_the_web__the_former_owner_loses_the_owners_pages(
    board: RunningBoard,
) -> None:
    staff_member(board, "moderator")
    admin = board.login()
    page = admin.get("/staff/continuity")

    response = admin.post(
        "/staff/continuity/transfer",
        data={"csrf_token": csrf_token(page.text), "username": "moderator_1"},
    )

    assert response.status_code == 303
    assert board.value("SELECT role FROM staff WHERE username = 'moderator_1'") == "owner"
    assert admin.get("/staff/accounts").status_code == 403


# --------------------------------------------------------------------------- export


def board_with_everything(board: RunningBoard, tmp_path: Path) -> dict[str, str]:
    """A notice with a picture, an event, and one that went to the archive."""
    staff = board.login()
    archived = board.publish(staff, "Altpapier", valid_until="2026-03-03")
    event = board.publish(
        staff,
        "Hoffest",
        "Mit Musik",
        kind="event",
        start="2026-03-20 15:00",
        end="2026-03-20 19:00",
        place_name="Hof der Grundschule",
    )
    board.clock.advance(days=3)
    board.drain()
    assert board.value("SELECT expired FROM notices WHERE title = 'Altpapier'")
    picture = tmp_path / "foto.jpg"
    picture.write_bytes(jpeg_with_gps((100, 80)))
    result = board.cli(
        "post", "--title", "Fundsache", "--body", "Schlüssel", "--type", "lost-found",
        "--image", str(picture), "--alt", "Ein Schlüsselbund",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return {"archived": archived, "event": event, "picture": result.stdout.strip()}


def local_links(html: str) -> list[str]:
    return [link for link in LINK.findall(html) if not urlsplit(link).scheme]


def test_export_static__a_copy_that_works_offline(board: RunningBoard, tmp_path: Path) -> None:
    notices = board_with_everything(board, tmp_path)
    site = tmp_path / "site"

    result = board.cli("export", "--static", str(site))

    assert result.returncode == 0, result.stderr
    pages = sorted(site.rglob("*.html"))
    assert site / "index.html" in pages and site / "archive" / "index.html" in pages
    for url in notices.values():
        assert (site / urlsplit(url).path.lstrip("/") / "index.html").is_file(), url
    for name in ("calendar.ics", "feed.atom", "static/style.css", "events/index.html"):
        assert (site / name).is_file(), name
    assert list((site / "media").iterdir()), "the picture"
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<form" not in html, page
        for link in LINK.findall(html):
            assert not link.startswith(board.base_url), (page, link)
            assert not urlsplit(link).path.startswith(DYNAMIC), (page, link)
        for link in local_links(html):
            path = unquote(urlsplit(link).path)
            if path:
                assert (page.parent / path).resolve().is_file(), (page, link)
    archive_page = (site / "archive" / "index.html").read_text(encoding="utf-8")
    assert "Altpapier" in archive_page


def test_export_json__outbox_and_calendar_in_one_zip(board: RunningBoard, tmp_path: Path) -> None:
    notices = board_with_everything(board, tmp_path)
    out = tmp_path / "nordstadt.zip"

    result = board.cli("export", "--json", str(out))

    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        outbox = json.loads(archive.read("outbox.json"))
        actor = json.loads(archive.read("actor.json"))
        calendar = archive.read("events.ics").decode()
        media = [n for n in archive.namelist() if n.startswith("media/")]
    assert actor["id"] == board.actor_id
    assert outbox["type"] == "OrderedCollection"
    objects = {item["object"]["id"] for item in outbox["orderedItems"] if item["type"] == "Create"}
    assert set(notices.values()) <= objects
    assert "SUMMARY:Hoffest" in calendar
    assert len(media) == 1


def test_export__static_copy_of_a_closed_board_says_so(board: RunningBoard, tmp_path: Path) -> None:
    board.publish(board.login(), "Letzter Flohmarkt")
    assert board.cli("close", "--archive-url", ARCHIVE, "--yes").returncode == 0
    site = tmp_path / "site"

    result = board.cli("export", "--static", str(site))

    assert result.returncode == 0, result.stderr
    assert "Letzter Flohmarkt" in (site / "index.html").read_text(encoding="utf-8")
