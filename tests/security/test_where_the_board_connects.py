"""Section C of the security rules (14-15): where the board connects, and for how long.

Through the board: `aushang follow` of handles whose WebFinger or actor leads to forbidden
addresses, and inbox POSTs whose signing key lives at (or redirects to) such addresses. The fake
servers run on allow-listed loopback ports; every other special-purpose address must be refused
before a connection is opened.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from tests.noticeboard.boards import RunningBoard
from tests.security.helpers import (
    AP_JSON,
    assert_nothing_stored,
    processed,
    redirect,
    refused,
    scripted,
    signed_post,
)
from tests.support.fediverse import Fediverse, RemoteActor, wait_until

MIB = 1_048_576


@pytest.fixture
def alice(fediverse: Fediverse) -> RemoteActor:
    return fediverse.actor("alice")


def nothing_followed(board: RunningBoard) -> None:
    assert board.rows("SELECT * FROM following") == []
    assert board.rows("SELECT * FROM deliveries") == []
    assert board.rows("SELECT id FROM remote_actors") == []


# --- rule 14: SSRF through `aushang follow` --------------------------------------------------


FORBIDDEN_ACTOR_URLS = {
    "metadata": ("http://169.254.169.254/latest/meta-data/", "link-local"),
    "loopback-other-port": ("http://127.0.0.1:1/users/bob", "loopback"),
    "mapped-loopback": ("http://[::ffff:127.0.0.1]:{port}/users/bob", "mapped"),
    "localhost": ("http://localhost:{port}/users/bob", "localhost"),
    "hex-loopback": ("http://0x7f.0.0.1:{port}/users/bob", "ipv4"),
    "unspecified-v6": ("http://[::]:{port}/users/bob", "unspecified"),
    "cgnat": ("http://100.64.0.1/users/bob", "carrier-grade"),
    "file-scheme": ("file:///etc/passwd", "scheme"),
}


@pytest.mark.parametrize("case", list(FORBIDDEN_ACTOR_URLS))
def test_rule_14__follow_of_a_handle_whose_webfinger_points_to_a_forbidden_address(
    shared_board: RunningBoard, fediverse: Fediverse, case: str
) -> None:
    board = shared_board
    url, reason = FORBIDDEN_ACTOR_URLS[case]
    remote = fediverse.remote
    remote.accounts["bob"] = url.format(port=remote.port)

    result = board.cli("follow", f"@bob@{remote.authority}")

    assert result.returncode == 2, (result.stdout, result.stderr)
    assert reason in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr
    assert [r.path for r in remote.received()] == ["/.well-known/webfinger"]
    nothing_followed(board)


def test_rule_14__follow_of_an_actor_that_redirects_to_the_metadata_service_is_refused(
    board: RunningBoard, fediverse: Fediverse, monkeypatch
) -> None:
    remote = fediverse.remote
    remote.accounts["bob"] = remote.url("/users/bob")

    def script(record):
        if record.path == "/users/bob":
            return redirect("http://169.254.169.254/latest/meta-data/iam/security-credentials/")
        return None

    with scripted(monkeypatch, remote, script):
        result = board.cli("follow", f"@bob@{remote.authority}")

    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "169.254.169.254" in result.stderr
    assert "link-local" in result.stderr
    nothing_followed(board)


def test_rule_14__follow_of_a_url_on_a_private_network_is_refused(
    shared_board: RunningBoard, fediverse: Fediverse
) -> None:
    board = shared_board
    result = board.cli("follow", "http://10.1.2.3/users/admin")

    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "private" in result.stderr
    assert fediverse.all_requests() == []
    nothing_followed(board)


# --- rule 14: SSRF through the inbox (the signing key's address) ----------------------------


FORBIDDEN_HOSTS = [
    "169.254.169.254",
    "[::1]",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "0.0.0.0",
    "[::]",
    "[fd00::1]",
    "[fe80::1]",
    "[::ffff:169.254.169.254]",
    "[64:ff9b::a9fe:a9fe]",
    "[2002:a9fe:a9fe::1]",
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
    "224.0.0.1",
    "[ff02::1]",
    "127.0.0.1:1",
    "localhost:{port}",
]


@pytest.mark.parametrize("host", FORBIDDEN_HOSTS)
def test_rule_14__signing_key_on_a_forbidden_address_is_not_fetched(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, host: str
) -> None:
    board = shared_board
    actor = f"http://{host.format(port=fediverse.remote.port)}/users/x"
    follow = {"id": f"{actor}/f/1", "type": "Follow", "actor": actor, "object": board.actor_id}

    response = signed_post(board, alice, follow, key_id=f"{actor}#main-key")

    refused(response, 401, "cannot use the signing key", "refusing")
    assert_nothing_stored(board)
    assert fediverse.all_requests() == []


REDIRECT_TARGETS = {
    "metadata": ("http://169.254.169.254/latest/meta-data/", "link-local"),
    "mapped-metadata": ("http://[::ffff:a9fe:a9fe]/", "mapped"),
    "loopback-other-port": ("http://127.0.0.1:1/", "loopback"),
    "octal-metadata": ("http://0251.0376.0251.0376/", "ipv4"),
    "file": ("file:///etc/passwd", "scheme"),
    "gopher": ("gopher://127.0.0.1:6379/_INFO", "scheme"),
    "backslash": ("http://127.0.0.1\\@169.254.169.254/", "backslash"),
}


@pytest.mark.parametrize("case", list(REDIRECT_TARGETS))
def test_rule_14__key_document_redirecting_to_a_forbidden_address_is_refused(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, monkeypatch, case: str
) -> None:
    board = shared_board
    target, reason = REDIRECT_TARGETS[case]
    remote = fediverse.remote

    def script(record):
        return redirect(target) if record.path == "/keys/alice" else None

    with scripted(monkeypatch, remote, script):
        response = alice.post(
            board.inbox,
            alice.follow(board.actor_id),
            now=board.clock.now,
            key_id=remote.url("/keys/alice"),
        )

    refused(response, 401, "cannot use the signing key", reason)
    assert_nothing_stored(board)
    assert [r.path for r in fediverse.all_requests()] == ["/keys/alice"]


def test_rule_14__at_most_five_redirects_are_followed(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, monkeypatch
) -> None:
    remote = fediverse.remote

    def script(record):
        if record.path.startswith("/hop/"):
            return redirect(remote.url(f"/hop/{int(record.path[5:]) + 1}"))
        return None

    with scripted(monkeypatch, remote, script):
        response = alice.post(
            board.inbox,
            alice.follow(board.actor_id),
            now=board.clock.now,
            key_id=remote.url("/hop/0"),
        )

    refused(response, 401, "too many redirects")
    assert [r.path for r in remote.gets()] == [f"/hop/{n}" for n in range(6)]
    assert_nothing_stored(board)


# --- rule 15: size caps and a slow remote ----------------------------------------------------


def _padded_actor(actor: RemoteActor, size: int) -> bytes:
    return json.dumps({**actor.document, "summary": "x" * size}).encode()


@pytest.mark.parametrize("framing", ["content-length", "chunked", "gzip-bomb"])
def test_rule_15__actor_document_over_one_mebibyte_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, monkeypatch, framing: str
) -> None:
    big = _padded_actor(alice, 2 * MIB)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    def script(record):
        if record.path != "/users/alice":
            return None
        if framing == "content-length":
            return Response(big, media_type=AP_JSON)
        if framing == "chunked":
            return StreamingResponse(chunks(), media_type=AP_JSON)
        bomb = gzip.compress(_padded_actor(alice, 64 * MIB), compresslevel=9)
        return Response(bomb, media_type=AP_JSON, headers={"Content-Encoding": "gzip"})

    with scripted(monkeypatch, fediverse.remote, script):
        response = alice.post(board.inbox, alice.follow(board.actor_id), now=board.clock.now)

    refused(response, 401, "too large")
    assert_nothing_stored(board)
    assert board.rows("SELECT id FROM remote_actors") == []


def test_rule_15__actor_document_nested_too_deeply_is_refused(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, monkeypatch
) -> None:
    deep = json.dumps(alice.document)[:-1] + ', "x": ' + "[" * 100 + "]" * 100 + "}"

    def script(record):
        return Response(deep, media_type=AP_JSON) if record.path == "/users/alice" else None

    with scripted(monkeypatch, fediverse.remote, script):
        response = alice.post(board.inbox, alice.follow(board.actor_id), now=board.clock.now)

    refused(response, 401, "nesting depth")
    assert_nothing_stored(board)


class HeldResponse:
    """An ASGI response that waits until the test releases it (a slow remote server)."""

    def __init__(self, release: threading.Event, inner: Response) -> None:
        self.release = release
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        while not self.release.is_set():
            await asyncio.sleep(0.01)
        await self.inner(scope, receive, send)


def test_rule_15__a_slow_key_server_does_not_hold_up_the_inbox(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, monkeypatch
) -> None:
    social = fediverse.servers["social.example"]
    slow = fediverse.actor("slow", server=social)
    release = threading.Event()
    document = json.dumps(slow.document).encode()

    def script(record):
        if record.path == "/users/slow":
            return HeldResponse(release, Response(document, media_type=AP_JSON))
        return None

    with scripted(monkeypatch, social, script), ThreadPoolExecutor(1) as pool:
        try:
            held = pool.submit(
                slow.post, board.inbox, slow.follow(board.actor_id), now=board.clock.now
            )
            wait_until(lambda: social.gets("/users/slow"), what="the slow key fetch")

            started = time.monotonic()
            follow = alice.follow(board.actor_id)
            response = alice.post(board.inbox, follow, now=board.clock.now)
            took = time.monotonic() - started

            assert response.status_code == 202, response.text
            assert took < 2.0, took
            board.drain()
            assert processed(board, follow["id"]), "alice's follow"
            assert not held.done()
        finally:
            release.set()
        assert held.result(timeout=10).status_code == 202
    board.drain()
    assert len(board.followers()) == 2, "both followers"
    assert {f["actor_id"] for f in board.followers()} == {alice.id, slow.id}
