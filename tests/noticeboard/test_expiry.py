"""Validity through the running board: an expired notice leaves the board at once (by the
injected clock), stays in the archive, and followers are told once, by an Update marked
expired or, if the board says so, by a Delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token
from tests.noticeboard.test_kinds import (
    add_inbox,
    card,
    deliveries_settled,
    note_of,
    notice_path,
    outbox_count,
    post,
    received,
)
from tests.support.fediverse import Fediverse, wait_until

# "valid until 2026-03-10" in Berlin (CET, UTC+1): current through 23:59:59 local time.
LAST_DAY = "2026-03-10"
LAST_MINUTE = datetime(2026, 3, 10, 22, 59, tzinfo=UTC)
AFTER = datetime(2026, 3, 10, 23, 0, 1, tzinfo=UTC)


def restart(board: RunningBoard) -> None:
    """Stop and start the board: the app's expiry loop runs once as the lifespan starts (and
    then only every 60 s, which no test waits for); in-process, `drain()` runs that step."""
    board.stop()
    board.start()
    board.client = board.new_client()
    if not board.serve:
        board.drain()


def expired_at(board: RunningBoard) -> Any:
    return board.value("SELECT expired FROM notices WHERE id = 1")


def test_expiry__notice_leaves_the_board_after_its_last_day_before_the_worker_runs(
    board: RunningBoard,
) -> None:
    client = board.login()
    url = post(board, client, "Hilfe beim Umzug", "need-help", valid_until=LAST_DAY)
    path = notice_path(board, url)

    board.clock.set(LAST_MINUTE)
    assert card(board.get("/").text, path), "gone before the end of its last day"
    assert not card(board.get("/archive").text, path)

    board.clock.set(AFTER)
    assert expired_at(board) is None  # the expiry loop has not run since
    assert not card(board.get("/").text, path)
    assert not card(board.get("/?type=need-help").text, path)
    archive = board.get("/archive")
    assert archive.status_code == 200
    archived = card(archive.text, path)
    assert archived, "not in the archive"
    assert "Nicht mehr aktuell" in archived
    # the notice's own page stays, marked
    page = board.get(path)
    assert page.status_code == 200 and "Nicht mehr aktuell" in page.text


def test_expiry__archive_lists_only_notices_whose_validity_ended(board: RunningBoard) -> None:
    client = board.login()
    ended = post(board, client, "Vorbei", "give-lend", valid_until=LAST_DAY)
    later = post(board, client, "Noch aktuell", "give-lend", valid_until="2026-04-30")
    forever = post(board, client, "Ohne Datum", "announcement")
    board.clock.set(AFTER)

    archive = board.get("/archive").text
    home = board.get("/").text

    assert card(archive, notice_path(board, ended))
    for url in (later, forever):
        assert not card(archive, notice_path(board, url))
        assert card(home, notice_path(board, url))


def test_expiry__uses_the_injected_clock_not_the_wall_clock(board: RunningBoard) -> None:
    # The wall clock is long past 10 March 2026; the board's clock is not.
    client = board.login()
    url = post(board, client, "Hilfe beim Umzug", "need-help", valid_until=LAST_DAY)
    board.clock.set(datetime(2026, 3, 5, 12, 0, tzinfo=UTC))

    restart(board)

    assert expired_at(board) is None
    assert card(board.get("/").text, notice_path(board, url))


def test_expiry__followers_get_exactly_one_update_marked_expired(
    served_board: RunningBoard, fediverse: Fediverse
) -> None:
    board = served_board  # the real expiry and delivery loops, started with the app
    inboxes = [add_inbox(board, fediverse, "kim"), add_inbox(board, fediverse, "lea")]
    client = board.login()
    url = post(board, client, "Hilfe beim Umzug", "need-help", valid_until=LAST_DAY)
    for inbox in inboxes:
        wait_until(lambda i=inbox: received(fediverse, i, "Create"), timeout=10, what="Create")

    board.clock.set(AFTER)
    restart(board)

    # the expiry loop's first round runs as a task of the starting app, beside the first requests
    wait_until(lambda: expired_at(board), timeout=10, what="the expiry at start")
    for inbox in inboxes:
        [update] = wait_until(
            lambda i=inbox: received(fediverse, i, "Update"), timeout=10, what="the Update"
        )
        note = update["object"]
        assert update["actor"] == board.actor_id
        assert note["id"] == url and note["type"] == "Note"
        assert "<p>⌛ Nicht mehr aktuell</p>" in note["content"], note["content"]
        assert "<strong>Hilfe beim Umzug</strong>" in note["content"]
        assert "updated" in note
    # the Note at its id says the same as the Update
    assert "Nicht mehr aktuell" in note_of(board, url)["content"]
    assert not received(fediverse, inboxes[0], "Delete")

    # expiry runs again (the next minute, or the next start): nobody is told twice
    board.clock.advance(minutes=5)
    restart(board)
    wait_until(lambda: deliveries_settled(board), timeout=10, what="deliveries to finish")
    assert outbox_count(board, "Update", url) == 1
    for inbox in inboxes:
        assert len(received(fediverse, inbox, "Update")) == 1


def test_expiry__with_on_expiry_delete_followers_get_one_delete_with_a_tombstone(
    make_board: Any, fediverse: Fediverse
) -> None:
    board = make_board(AUSHANG_NOTICES_ON_EXPIRY="delete", serve=True)  # the real loops
    inboxes = [add_inbox(board, fediverse, "kim"), add_inbox(board, fediverse, "lea")]
    client = board.login()
    url = post(board, client, "Leiter zu verleihen", "give-lend", valid_until=LAST_DAY)
    for inbox in inboxes:
        wait_until(lambda i=inbox: received(fediverse, i, "Create"), timeout=10, what="Create")

    board.clock.set(AFTER)
    restart(board)

    for inbox in inboxes:
        [delete] = wait_until(
            lambda i=inbox: received(fediverse, i, "Delete"), timeout=10, what="the Delete"
        )
        assert delete["actor"] == board.actor_id
        assert delete["object"]["id"] == url
        assert delete["object"]["type"] == "Tombstone"
    # the fediverse sees it gone; people still find it in the archive
    gone = board.get(notice_path(board, url), headers={"Accept": AP_JSON})
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    assert card(board.get("/archive").text, notice_path(board, url))

    board.clock.advance(minutes=5)
    restart(board)
    wait_until(lambda: deliveries_settled(board), timeout=10, what="deliveries to finish")
    assert outbox_count(board, "Delete", url) == 1
    assert outbox_count(board, "Update", url) == 0
    for inbox in inboxes:
        assert len(received(fediverse, inbox, "Delete")) == 1
        assert received(fediverse, inbox, "Update") == []


def test_expiry__pinned_notice_leaves_the_board_too(board: RunningBoard) -> None:
    client = board.login()
    url = post(board, client, "Sprechzeiten im März", "announcement", valid_until=LAST_DAY)
    token = csrf_token(client.get("/staff").text)
    response = client.post("/staff/notices/1/pin", data={"csrf_token": token, "pinned": "1"})
    assert response.status_code == 303
    assert card(board.get("/").text, notice_path(board, url))

    board.clock.set(AFTER)

    assert not card(board.get("/").text, notice_path(board, url)), "expired but still pinned"
    assert not card(board.get("/?type=announcement").text, notice_path(board, url))
    assert card(board.get("/archive").text, notice_path(board, url))


def test_expiry__a_new_date_brings_an_expired_notice_back(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    client = board.login()
    url = post(board, client, "Hilfe beim Umzug", "need-help", valid_until=LAST_DAY)
    board.clock.set(AFTER)
    restart(board)
    assert expired_at(board) is not None

    client = board.login()
    form = client.get("/staff/notices/1/edit")
    response = client.post(
        "/staff/notices/1/edit",
        data={"csrf_token": csrf_token(form.text), "title": "Hilfe beim Umzug", "body": "Neu",
              "kind": "need-help", "valid_until": "2026-03-20", "action": "publish"},
    )  # fmt: skip

    assert response.status_code == 303, response.text[:300]
    assert expired_at(board) is None
    assert card(board.get("/").text, notice_path(board, url))
    assert not card(board.get("/archive").text, notice_path(board, url))
    assert "<p>🙋 Suche Hilfe · bis 20.03.</p>" in note_of(board, url)["content"]


def test_expiry__summary_day_is_the_one_staff_entered_at_a_dst_change(
    board: RunningBoard,
) -> None:
    # 28 March 2026 ends at 23:00 UTC (CET); 29 March, the day clocks go forward, at 22:00 UTC.
    client = board.login()
    url = post(board, client, "Umstellung", "need-help", valid_until="2026-03-29")

    assert board.value("SELECT valid_until FROM notices") == "2026-03-29T22:00:00.000000Z"
    assert "<p>🙋 Suche Hilfe · bis 29.03.</p>" in note_of(board, url)["content"]
    board.clock.set(datetime(2026, 3, 29, 21, 59, tzinfo=UTC))
    assert card(board.get("/").text, notice_path(board, url))
    board.clock.set(datetime(2026, 3, 29, 22, 0, 0, tzinfo=UTC) + timedelta(seconds=1))
    assert not card(board.get("/").text, notice_path(board, url))
