"""Rules 24 and 26 through the running server: a slow host does not hold up the others, and the
pages stay usable while the inbox is flooded."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import httpx
from starlette.types import Receive, Scope, Send

from federation.database import to_db_time
from tests.noticeboard.boards import RunningBoard, csrf_token
from tests.support.fediverse import (
    BackgroundLoop,
    Fediverse,
    ServerHandle,
    listening_socket,
    wait_until,
)


class SlowInbox:
    """A remote inbox that takes its time: holds every POST until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.arrived = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        while (await receive()).get("more_body"):
            pass
        self.arrived.set()
        await self.release.wait()
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def add_follower(board: RunningBoard, actor_id: str, inbox: str) -> None:
    with closing(sqlite3.connect(board.config.db_path)) as conn:
        conn.execute(
            "INSERT INTO followers (local_actor, actor_id, follow_id, inbox, shared_inbox, state, "
            "created) VALUES (?, ?, ?, ?, NULL, 'accepted', ?)",
            (board.actor_id, actor_id, actor_id + "#follow", inbox, to_db_time(board.clock())),
        )
        conn.commit()


def publish(board: RunningBoard, title: str) -> None:
    client = board.login()
    token = csrf_token(client.get("/staff/notices/new").text)
    response = client.post(
        "/staff/notices/new",
        data={"csrf_token": token, "title": title, "body": "Text", "action": "publish"},
    )
    assert response.status_code == 303


def test_slow_host__does_not_delay_delivery_to_other_hosts(
    make_board, fediverse: Fediverse
) -> None:
    loop = BackgroundLoop(name="slow-inbox")
    slow = SlowInbox()
    sock = listening_socket()
    slow_port = int(sock.getsockname()[1])
    handle = ServerHandle(loop, slow, sock)
    try:
        allowed = ",".join([*fediverse.allow_private, f"127.0.0.1:{slow_port}"])
        board = make_board(AUSHANG_FEDERATION_ALLOW_PRIVATE=allowed, serve=True)  # real workers
        add_follower(
            board, f"http://127.0.0.1:{slow_port}/users/slow", f"http://127.0.0.1:{slow_port}/inbox"
        )
        fast = fediverse.remote
        add_follower(board, fast.url("/users/fast"), fast.url("/users/fast/inbox"))

        publish(board, "Erster Aushang")
        assert slow.arrived.wait(10)
        wait_until(lambda: fast.posts("/users/fast/inbox"), timeout=10, what="the fast host")

        publish(board, "Zweiter Aushang")  # the slow host is still busy with the first one
        wait_until(lambda: len(fast.posts("/users/fast/inbox")) == 2, timeout=10, what="2nd post")
        states = {
            r["inbox"]: r["state"]
            for r in board.rows("SELECT inbox, state FROM deliveries WHERE inbox LIKE '%/inbox'")
        }
        assert states[f"http://127.0.0.1:{slow_port}/inbox"] == "pending"
    finally:
        loop.loop.call_soon_threadsafe(slow.release.set)
        handle.stop()
        loop.close()


def test_flooded_inbox__is_rate_limited_while_pages_stay_available(
    served_board: RunningBoard,
) -> None:
    board = served_board  # 400 requests from 16 connections at once
    flood_body = b'{"id": "https://x.example/1", "type": "Follow", "actor": "https://x.example/a"}'
    headers = {"Content-Type": "application/activity+json"}

    def flood(_: int) -> tuple[int, str | None]:
        with httpx.Client(base_url=board.base_url, trust_env=False, timeout=20) as client:
            response = client.post("/inbox", content=flood_body, headers=headers)
            return response.status_code, response.headers.get("retry-after")

    staff = board.login()
    with ThreadPoolExecutor(max_workers=16) as pool:
        flooding = pool.map(flood, range(400))
        pages = [board.get("/").status_code, staff.get("/staff").status_code]
        results = list(flooding)
    pages += [board.get("/").status_code, staff.get("/staff").status_code]
    assert pages == [200, 200, 200, 200]
    statuses = [status for status, _ in results]
    assert set(statuses) <= {401, 429}
    assert statuses.count(429) >= 100
    assert all(int(retry) > 0 for status, retry in results if status == 429 and retry)
    assert all(retry for status, retry in results if status == 429)
    assert board.rows("SELECT id FROM inbox_activities") == []
