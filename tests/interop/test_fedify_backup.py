"""A board backed up while it serves, restored into a new folder and started: the Fedify peer
that follows it still verifies its posts (same keys), and what waited for the peer while it was
down arrives when it comes back."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from tests.interop.conftest import REPO, Peer
from tests.interop.test_fedify import DELIVERY_TIMEOUT, _follow, _followers_total, _http
from tests.support.cli import run_in_process
from tests.support.processes import AUSHANG, BoardProcess, free_port

if TYPE_CHECKING:
    from tests.support.tls import CA

pytestmark = pytest.mark.interop

AS_JSON = "application/activity+json"
NOTICES = [  # one of each kind the command line can post
    ("announcement", []),
    ("event", ["--start", "2027-06-01T18:00", "--place", "Hof der Grundschule"]),
    ("poll", ["--option", "Ja", "--option", "Nein"]),
    ("offer-help", []),
    ("need-help", []),
    ("give-lend", []),
    ("looking-for", []),
    ("lost-found", []),
    ("meetup", ["--start", "2027-06-02T10:00", "--online", "https://meet.example/x"]),
]


def rows(board: BoardProcess, sql: str) -> list[sqlite3.Row]:
    uri = f"file:{board.data_dir / 'aushang.sqlite3'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute(sql))


def wait_for(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def post(board: BoardProcess, title: str, *args: str) -> str:
    """`aushang post`, run in this process (quicker than a process each) on the real board."""
    command = ["post", "--title", title, "--body", f"{title}: Text", *args]
    result = run_in_process([*command, "--instance", str(board.instance_file)], board.env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


def fill(board: BoardProcess, tmp_path: Path) -> None:
    picture = tmp_path / "bild.png"
    Image.new("RGB", (60, 40), (30, 160, 90)).save(picture, "PNG")
    for kind, extra in NOTICES:
        post(board, f"Aushang {kind}", "--type", kind, *extra)
    post(board, "Mit Bild", "--image", str(picture), "--alt", "Ein grünes Bild")
    added = run_in_process(
        ["staff", "add", "redaktion", "--role", "editor", "--instance", str(board.instance_file)],
        board.env,
    )
    assert added.returncode == 0, added.stdout + added.stderr


def backup_while_posting(board: BoardProcess, archive: Path) -> subprocess.CompletedProcess[str]:
    """Run `aushang backup` while a notice is being written and its fan-out runs."""
    writer = threading.Thread(target=post, args=(board, "Während der Sicherung"))
    writer.start()
    result = subprocess.run(
        [str(AUSHANG), "backup", "--out", str(archive), "--instance", str(board.instance_file)],
        env=board.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    writer.join()
    return result


def test_backup__restored_board_is_the_same_actor_and_delivers_what_waited(
    ca: CA, server_cert: tuple[Path, Path], peer: Peer, tmp_path: Path
) -> None:
    port = free_port()

    def board_in(folder: str) -> BoardProcess:
        return BoardProcess(
            REPO / "instances" / "nordstadt.toml", tmp_path / folder, port,
            base_url=f"https://127.0.0.1:{port}", tls=server_cert, ca_bundle=ca.certfile,
            allow_private=[peer.authority],
        )  # fmt: skip

    old = board_in("old-server")
    old.init()
    old.start()
    _follow(peer, old)
    fill(old, tmp_path)
    key = old.http_get("/users/nordstadt", accept=AS_JSON)[1]
    peer.close()  # the follower's server goes down
    waiting = post(old, "Während der Pause")
    wait_for(
        lambda: rows(old, "SELECT * FROM deliveries WHERE state = 'pending' AND attempts > 0"),
        "a failed attempt to the peer",
    )
    archive = tmp_path / "board.tar.gz"
    made = backup_while_posting(old, archive)
    old.stop()

    new = board_in("new-server")
    restored = new.cli("restore", str(archive))
    back = Peer(*server_cert, ca.certfile, tmp_path / "peer-back.log", port=peer.port)
    try:
        new.start()
        arrived = back.wait_for(
            lambda e: e.get("type") == "Create" and e["object"]["id"] == waiting,
            timeout=DELIVERY_TIMEOUT,
        )
        fresh = post(new, "Nach dem Umzug")
        created = back.wait_for(
            lambda e: e.get("type") == "Create" and e["object"]["id"] == fresh,
            timeout=DELIVERY_TIMEOUT,
        )
        picture = rows(new, "SELECT file FROM notice_images")[0]["file"]
        titles = {r["title"] for r in rows(new, "SELECT title FROM notices")}
        staff = {r["username"]: r["role"] for r in rows(new, "SELECT * FROM staff")}
        assert _followers_total(new) == 1
        assert new.http_get(f"/media/{picture}")[0] == 200
        assert new.http_get("/users/nordstadt", accept=AS_JSON)[1] == key
        status, _ = _http(new, "GET", new.url("/healthz"))
        assert status == 200
    finally:
        new.stop()
        back.close()

    assert made.returncode == 0, made.stdout + made.stderr
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert arrived["verified"] is True and arrived["actor"] == new.actor_id
    assert created["verified"] is True
    assert {f"Aushang {kind}" for kind, _ in NOTICES} | {"Mit Bild", "Während der Pause"} <= titles
    assert staff == {"admin": "owner", "redaktion": "editor"}
