"""Security rule 25: `kill -9` of a real `aushang serve` loses nothing and applies nothing twice.

The remote side is `tests.support.recorder`, a separate process that plays many fediverse
accounts with personal inboxes and records every delivery, so it survives the board's crash.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest

from federation import httpsig
from federation.database import to_db_time
from federation.keys import load_public_key
from tests.support.processes import BoardProcess, free_port
from tests.support.recorder import AP_JSON, PostOutcome, Record, Recorder, SignedPost

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")

FANOUT_FOLLOWERS = 60
INBOX_DELAY = 0.3  # seconds per delivery: 60 inboxes, 4 at a time, take about 4.5 s
INBOX_FOLLOWS = 200


# --------------------------------------------------------------------------- helpers


def wait_until(
    condition: Callable[[], T], what: str, timeout: float = 20.0, interval: float = 0.1
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def db_path(board: BoardProcess) -> Path:
    return board.data_dir / "aushang.sqlite3"


def query(board: BoardProcess, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
    """Read the board's SQLite file read-only, as an admin would inspect it."""
    uri = f"file:{db_path(board)}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()


def scalar(board: BoardProcess, sql: str, params: tuple[object, ...] = ()) -> object:
    return query(board, sql, params)[0][0]


def integrity_check(board: BoardProcess) -> str:
    """PRAGMA integrity_check on the stopped (or killed) board's file.

    Read-only, so that a crashed board's WAL is left as it was and the board's own recovery
    at the next start is what gets tested.
    """
    assert not board.running, "check integrity only while the board is not running"
    return str(query(board, "PRAGMA integrity_check")[0][0])


def followers_total(board: BoardProcess) -> int:
    status, body = board.http_get(f"/users/{board.username}/followers", accept=AP_JSON)
    assert status == 200, body
    return int(json.loads(body)["totalItems"])


def inbox_url(board: BoardProcess) -> str:
    return board.url(f"/users/{board.username}/inbox")


def inbox_states(board: BoardProcess) -> dict[str, int]:
    rows = query(board, "SELECT state, count(*) AS n FROM inbox_activities GROUP BY state")
    return {r["state"]: r["n"] for r in rows}


def delivery_states(board: BoardProcess, type_: str) -> dict[str, int]:
    rows = query(
        board,
        "SELECT d.state, count(*) AS n FROM deliveries d "
        "JOIN outbox_activities o ON o.id = d.activity_id WHERE o.type = ? GROUP BY d.state",
        (type_,),
    )
    return {r["state"]: r["n"] for r in rows}


def board_public_key(board: BoardProcess) -> object:
    status, body = board.http_get(f"/users/{board.username}", accept=AP_JSON)
    assert status == 200, body
    return load_public_key(json.loads(body)["publicKey"]["publicKeyPem"])


def signature_problem(record: Record, public_key: object, expected_host: str) -> str | None:
    """Check a recorded delivery's draft-cavage signature; None when it verifies."""
    parsed = httpsig.parse_signature("POST", record.path, dict(record.headers))
    if isinstance(parsed, httpsig.SignatureError):
        return parsed.reason
    result = httpsig.verify_signature(
        parsed,
        public_key,  # type: ignore[arg-type]
        record.body.encode("utf-8"),
        datetime.now(UTC),
        expected_host=expected_host,
    )
    return None if result.ok else result.reason


def follow_requests(recorder: Recorder, board: BoardProcess, indexes: range) -> list[SignedPost]:
    return [recorder.sign(i, inbox_url(board), recorder.follow(i, board.actor_id)) for i in indexes]


def gain_followers(recorder: Recorder, board: BoardProcess, count: int) -> None:
    """Every recorder actor u0..u{count-1} follows the board; wait for the Accepts."""
    outcomes = recorder.send(follow_requests(recorder, board, range(count)), concurrency=16)
    refused = [
        (o.request.activity_id, o.status, o.text, o.error) for o in outcomes if not o.accepted
    ]
    assert refused == []
    wait_until(lambda: followers_total(board) == count, f"{count} followers")
    inboxes = {recorder.inbox_path(i) for i in range(count)}
    wait_until(
        lambda: {r.path for r in recorder.posts(type_="Accept")} >= inboxes,
        "an Accept in every follower's inbox",
    )
    wait_until(lambda: delivery_states(board, "Accept") == {"sent": count}, "Accepts marked sent")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[Recorder]:
    with Recorder(tmp_path / "recorder", actors=INBOX_FOLLOWS + 10) as started:
        yield started


@pytest.fixture
def board(tmp_path: Path, recorder: Recorder) -> Iterator[BoardProcess]:
    process = BoardProcess(
        ROOT / "instances/nordstadt.toml",
        tmp_path / "nordstadt",
        free_port(),
        allow_private=[recorder.authority],
    )
    with process:
        process.init()
        process.start()
        yield process


# --------------------------------------------------------------------------- tests


def test_kill9_during_fanout__every_inbox_receives_the_notice(
    recorder: Recorder, board: BoardProcess
) -> None:
    gain_followers(recorder, board, FANOUT_FOLLOWERS)
    all_inboxes = {recorder.inbox_path(i) for i in range(FANOUT_FOLLOWERS)}
    recorder.behave("*", delay=INBOX_DELAY)

    url = board.post("Hoffest am Sonntag", "Alle Nachbarn sind eingeladen.", "Treffen")
    create_id = f"{url}/activity"

    def reached() -> set[str]:
        return {r.path for r in recorder.posts(type_="Create") if r.activity_id == create_id}

    wait_until(lambda: len(reached()) >= 8, "the fan-out to begin", timeout=15, interval=0.05)
    board.kill9()
    at_kill = reached()
    assert 8 <= len(at_kill) < FANOUT_FOLLOWERS, "the kill came after the fan-out ended"
    assert delivery_states(board, "Create").get("pending", 0) > 0
    assert integrity_check(board) == "ok"  # what the crash left behind

    board.start()
    wait_until(lambda: reached() == all_inboxes, "the notice in every follower's inbox", timeout=30)
    wait_until(
        lambda: delivery_states(board, "Create") == {"sent": FANOUT_FOLLOWERS},
        "every Create delivery marked sent",
    )
    public_key = board_public_key(board)
    board.stop()

    assert integrity_check(board) == "ok"
    rows = query(board, "SELECT state, count(*) AS n FROM deliveries GROUP BY state")
    assert {r["state"]: r["n"] for r in rows} == {"sent": 2 * FANOUT_FOLLOWERS}
    creates = recorder.posts(type_="Create")
    assert {r.activity_id for r in creates} == {create_id}
    assert {r.json()["object"]["id"] for r in creates} == {url}
    bad = [
        (r.path, problem)
        for r in creates
        if (problem := signature_problem(r, public_key, recorder.authority))
    ]
    assert bad == []


def test_kill9_during_inbox_processing__each_activity_applied_exactly_once(
    recorder: Recorder, board: BoardProcess
) -> None:
    requests = follow_requests(recorder, board, range(INBOX_FOLLOWS))
    follow_ids = {r.activity_id for r in requests}
    killed: dict[str, int] = {}

    def kill_while_processing(_: PostOutcome) -> None:
        if killed or not board.running:
            return
        states = inbox_states(board)
        if states.get("done", 0) >= 1 and states.get("pending", 0) >= 1:
            if sum(states.values()) >= INBOX_FOLLOWS // 4:
                board.kill9()
                killed.update(states)

    outcomes = recorder.send(requests, concurrency=32, on_done=kill_while_processing)
    assert killed, f"processing never lagged behind receiving: {inbox_states(board)}"
    after_kill = inbox_states(board)
    assert after_kill.get("pending", 0) > 0, after_kill
    unanswered = [o.request.activity_id for o in outcomes if not o.accepted]
    assert unanswered, "the kill came after every Follow had been answered"
    assert integrity_check(board) == "ok"  # what the crash left behind

    board.start()
    # A real sender retries what got no answer, signing afresh.
    by_id = {r.activity_id: i for i, r in enumerate(requests)}
    retried = recorder.send(
        [
            recorder.sign(by_id[a], inbox_url(board), recorder.follow(by_id[a], board.actor_id))
            for a in unanswered
        ]
    )
    assert [(o.status, o.error) for o in retried if not o.accepted] == []
    wait_until(
        lambda: inbox_states(board) == {"done": INBOX_FOLLOWS},
        "every stored activity processed",
        timeout=20,
    )
    wait_until(
        lambda: delivery_states(board, "Accept") == {"sent": INBOX_FOLLOWS},
        "every Accept delivered",
        timeout=20,
    )

    # Replaying exactly the same signed requests changes nothing.
    answered = [o.request for o in outcomes if o.accepted][:5]
    replayed = recorder.send(answered)
    assert [(o.status, o.text) for o in replayed] == [(202, "already received")] * len(answered)
    accepts_before = len(recorder.posts(type_="Accept"))
    time.sleep(1.5)

    assert followers_total(board) == INBOX_FOLLOWS
    assert inbox_states(board) == {"done": INBOX_FOLLOWS}
    followers = query(board, "SELECT actor_id, follow_id, state FROM followers")
    assert len(followers) == INBOX_FOLLOWS
    assert {f["actor_id"] for f in followers} == {
        recorder.actor_id(i) for i in range(INBOX_FOLLOWS)
    }
    assert {f["follow_id"] for f in followers} == follow_ids
    assert {f["state"] for f in followers} == {"accepted"}

    accept_rows = query(
        board,
        "SELECT json_extract(o.body, '$.object.id') AS follow, count(d.id) AS deliveries, "
        "count(DISTINCT o.id) AS accepts FROM outbox_activities o "
        "LEFT JOIN deliveries d ON d.activity_id = o.id WHERE o.type = 'Accept' GROUP BY follow",
    )
    assert {r["follow"] for r in accept_rows} == follow_ids
    duplicated = [
        (r["follow"], r["accepts"], r["deliveries"])
        for r in accept_rows
        if (r["accepts"], r["deliveries"]) != (1, 1)
    ]
    assert duplicated == []

    received = recorder.posts(type_="Accept")
    assert len(received) == accepts_before, "a replay caused another Accept"
    accept_ids: dict[str, set[str]] = defaultdict(set)
    for record in received:
        accept_ids[record.json()["object"]["id"]].add(str(record.activity_id))
    assert set(accept_ids) == follow_ids
    assert {f: ids for f, ids in accept_ids.items() if len(ids) != 1} == {}

    board.stop()
    assert integrity_check(board) == "ok"


def test_inbox_answering_500_then_recovering__receives_the_notice(
    recorder: Recorder, board: BoardProcess
) -> None:
    gain_followers(recorder, board, 1)
    inbox = recorder.inbox_path(0)
    recorder.behave(inbox, fail=2, status=500)

    url = board.post("Repair-Café", "Kaputtes mitbringen, heil mitnehmen.", "Hilfe")
    create_id = f"{url}/activity"

    def attempts_seen() -> list[Record]:
        return [r for r in recorder.posts(type_="Create", path=inbox) if r.activity_id == create_id]

    def delivery() -> sqlite3.Row:
        (row,) = query(board, "SELECT * FROM deliveries WHERE activity_id = ?", (create_id,))
        return row

    for failed in (1, 2):
        wait_until(lambda n=failed: len(attempts_seen()) == n, f"attempt {failed}")
        row = wait_until(
            lambda n=failed: (r := delivery())["attempts"] == n and r, f"attempt {failed} recorded"
        )
        assert (row["state"], row["last_status"]) == ("pending", 500)
        assert row["next_attempt_at"] > to_db_time(datetime.now(UTC))
        # The backoff is attempts**4 + 15 + jitter seconds; let that time pass at once.
        make_due_now(board, row["id"])

    wait_until(lambda: len(attempts_seen()) == 3, "attempt 3")
    row = wait_until(lambda: (r := delivery())["state"] != "pending" and r, "the delivery to end")
    assert (row["state"], row["attempts"], row["last_status"]) == ("sent", 3, 202)
    assert [r.status for r in attempts_seen()] == [500, 500, 202]
    public_key = board_public_key(board)
    problems = [signature_problem(r, public_key, recorder.authority) for r in attempts_seen()]
    assert problems == [None, None, None]

    board.stop()
    assert integrity_check(board) == "ok"


def make_due_now(board: BoardProcess, delivery_id: int) -> None:
    """Simulate the retry delay passing: the running worker polls the queue every second."""
    with contextlib.closing(sqlite3.connect(db_path(board), timeout=5)) as conn:
        with conn:
            conn.execute(
                "UPDATE deliveries SET next_attempt_at = ? WHERE id = ? AND state = 'pending'",
                (to_db_time(datetime.now(UTC)), delivery_id),
            )


def test_database_locked_longer_than_the_busy_timeout__inbox_processing_recovers(
    recorder: Recorder, board: BoardProcess
) -> None:
    """A transient SQLite error while processing must not stop the inbox for good (rule 22).

    An Update of u0's actor makes the board re-fetch u0 (served slowly), and meanwhile another
    process holds the write lock for longer than two busy timeouts (5 s each): the handler's
    write fails, then so does recording that failure. Afterwards the inbox must go on.
    """
    gain_followers(recorder, board, 1)
    actor = recorder.actor_id(0)
    recorder.behave("/users/u0", delay=0.5)
    update = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/activities/update-1",
        "type": "Update",
        "actor": actor,
        "object": {"id": actor, "type": "Person"},
    }
    assert recorder.post(0, inbox_url(board), update).accepted
    with contextlib.closing(sqlite3.connect(db_path(board), isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        time.sleep(11.5)
        conn.execute("ROLLBACK")

    late = recorder.post(1, inbox_url(board), recorder.follow(1, board.actor_id))
    assert late.accepted, late
    try:
        wait_until(lambda: followers_total(board) == 2, "the later Follow to be processed", 10)
    except AssertionError as exc:
        rows = query(board, "SELECT type, state, attempts, last_error FROM inbox_activities")
        details = [tuple(r) for r in rows]
        log = [line for line in board.log_tail(300).splitlines() if " HTTP/1.1" not in line]
        raise AssertionError(
            f"{exc}\ninbox_activities: {details}\n" + "\n".join(log[-6:])
        ) from None

    # An activity whose handler wrote nothing is marked done with the rest of its batch, so
    # the mark may follow the Follow's own commit by a moment.
    def update_row() -> tuple[str, int] | None:
        (row,) = query(board, "SELECT state, attempts FROM inbox_activities WHERE type = 'Update'")
        return None if row["attempts"] == 0 else (row["state"], row["attempts"])

    outcome = wait_until(update_row, "the Update to be tried again", 10)
    assert outcome in (("pending", 1), ("done", 1))
