"""The HTTP server in front of the board (`noticeboard.serving`) takes new connections fairly:
a burst of readers arriving while the board is busy is let in at once, not one per turn of the
event loop while the readers already connected are served again and again."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from typing import Any

from noticeboard.config import ServerConfig
from noticeboard.serving import BoardServer, server_config

BURST = 20


@contextmanager
def running(app: Any, sock: socket.socket) -> Iterator[BoardServer]:
    """The board's own server configuration around `app`, serving `sock` in a thread."""
    config = server_config(app, ServerConfig(), lifespan="off", log_config=None, access_log=False)
    server = BoardServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(10)


def ask(sock: socket.socket, path: str) -> None:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: board\r\n\r\n".encode())


def answer(sock: socket.socket) -> str:
    """The body of one small answer (the app sends a content-length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))  # fmt: skip
    while len(body) < length:
        body += sock.recv(4096)
    return body.decode()


def test_serving__a_burst_of_new_connections_is_let_in_within_one_turn() -> None:
    servers: list[BoardServer] = []
    busy_now, readers_waiting = threading.Event(), threading.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/busy":
            busy_now.set()
            readers_waiting.wait(10)  # the board works without a pause: the loop turns no further
        body = str(len(servers[0].server_state.connections)).encode()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    address = listening.getsockname()
    with closing(listening), running(app, listening) as server, ExitStack() as stack:
        servers.append(server)
        busy = stack.enter_context(socket.create_connection(address))
        ask(busy, "/busy")
        assert busy_now.wait(10)
        # the system completes each connection and keeps its request until the board takes it
        readers = [stack.enter_context(socket.create_connection(address)) for _ in range(BURST)]
        for reader in readers:
            ask(reader, "/")
        readers_waiting.set()
        seen = [int(answer(reader)) for reader in readers]
        assert answer(busy) == "1"

    # Every reader was answered once all of them (and the busy one) had been let in; a loop
    # that takes one connection per turn answers the first ones with only a few let in.
    assert seen == [BURST + 1] * BURST
