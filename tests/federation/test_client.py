from __future__ import annotations

import asyncio
import datetime
import gzip
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpcore
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from federation.client import FederationClient
from federation.guard import BlockedAddressError, FetchError, system_resolver
from federation.hosts import HostError

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]

AS_LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FakeRemote:
    """A real uvicorn server on 127.0.0.1 that routes paths to handlers and records requests."""

    def __init__(self, certfile: Path | None = None, keyfile: Path | None = None) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Recorded] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.scheme = "https" if certfile else "http"
        config = uvicorn.Config(
            self,
            lifespan="off",
            ws="none",
            http="h11",
            loop="asyncio",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
            ssl_certfile=str(certfile) if certfile else None,
            ssl_keyfile=str(keyfile) if keyfile else None,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "fake remote did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def reset(self) -> None:
        self.routes.clear()
        self.requests.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        message = await receive()
        body += message.get("body", b"")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append(Recorded(scope["method"], scope["path"], headers, body))
        handler = self.routes.get(scope["path"], _not_found)
        await handler(scope, receive, send)


async def _respond(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[str, str]] = ()
) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await _respond(send, 404, b"not found", [("content-type", "text/plain")])


def raw_route(
    body: bytes, content_type: str = "application/activity+json", status: int = 200
) -> Handler:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [("content-type", content_type), ("content-length", str(len(body)))]
        await _respond(send, status, body, headers)

    return handler


def json_route(data: object, content_type: str = "application/activity+json") -> Handler:
    return raw_route(json.dumps(data).encode(), content_type)


def redirect_route(location: str, status: int = 302) -> Handler:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await _respond(send, status, b"", [("location", location), ("content-length", "0")])

    return handler


@dataclass
class StreamStats:
    sent: int = 0
    disconnected: bool = False
    done: anyio.Event | None = None


def streaming_route(stats: StreamStats, total: int, chunk: int = 65536) -> Handler:
    """Stream `total` bytes with chunked encoding (no Content-Length), counting what was sent."""

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": 200}
        await send({**start, "headers": [(b"content-type", b"application/activity+json")]})
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                stats.disconnected = True

            group.start_soon(watch)
            while stats.sent < total and not stats.disconnected:
                await send({"type": "http.response.body", "body": b" " * chunk, "more_body": True})
                stats.sent += chunk
                await anyio.sleep(0)
            await send({"type": "http.response.body", "body": b""})
            group.cancel_scope.cancel()

    return handler


def slow_route(delay: float, chunks: int = 1) -> Handler:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": 200}
        await send({**start, "headers": [(b"content-type", b"application/activity+json")]})
        for _ in range(chunks):
            await anyio.sleep(delay)
            await send({"type": "http.response.body", "body": b" ", "more_body": True})
        await send({"type": "http.response.body", "body": b"{}"})

    return handler


class FakeResolver:
    """Answers from a fixed table (a list of answers is used in turn) and records every call."""

    def __init__(self, table: dict[str, list[list[str]]] | None = None) -> None:
        self.table = table or {}
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append(host)
        answers = self.table.get(host)
        if not answers:
            raise OSError(f"test resolver: unknown name {host}")
        return answers.pop(0) if len(answers) > 1 else answers[0]


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records every connect; only 127.0.0.1 is really contacted, nothing else leaves the host."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        if host != "127.0.0.1":
            raise httpcore.ConnectError(f"test backend: no traffic to {host}")
        return await self.inner.connect_tcp(host, port, timeout=timeout)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AssertionError("no unix sockets in tests")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FakeRemote, FakeRemote]]:
    remote, other = FakeRemote(), FakeRemote()
    remote.start()
    other.start()
    yield remote, other
    remote.stop()
    other.stop()


@pytest.fixture
def remote(servers: tuple[FakeRemote, FakeRemote]) -> FakeRemote:
    servers[0].reset()
    return servers[0]


@pytest.fixture
def other(servers: tuple[FakeRemote, FakeRemote]) -> FakeRemote:
    servers[1].reset()
    return servers[1]


@dataclass
class Harness:
    remote: FakeRemote
    other: FakeRemote
    resolver: FakeResolver = field(default_factory=FakeResolver)
    backend: RecordingBackend = field(default_factory=RecordingBackend)

    @asynccontextmanager
    async def client(self, **kwargs: Any) -> AsyncIterator[FederationClient]:
        options: dict[str, Any] = {
            "user_agent": "Aushang-test/0.1",
            "own_hosts": {"board.example"},
            "allow_private": {f"127.0.0.1:{self.remote.port}"},
            "resolver": self.resolver,
            "network_backend": self.backend,
            **kwargs,
        }
        async with FederationClient(**options) as client:
            yield client

    def assert_nothing_contacted(self) -> None:
        assert self.remote.requests == []
        assert self.other.requests == []
        assert self.backend.connects == []


@pytest.fixture
def harness(remote: FakeRemote, other: FakeRemote) -> Harness:
    return Harness(remote, other)


def note(remote: FakeRemote, path: str, **extra: object) -> dict[str, object]:
    return {"id": remote.url(path), "type": "Note", "content": "Flohmarkt", **extra}


async def expect_failure(
    harness: Harness, url: str, reason: str, **client_options: Any
) -> FetchError:
    async with harness.client(**client_options) as client:
        with pytest.raises(FetchError) as caught:
            await client.get_json(url)
    assert reason in caught.value.reason, caught.value.reason
    return caught.value


# --- fetching what is allowed -------------------------------------------------------------


@pytest.mark.anyio
async def test_get_json__fetches_activity_from_allowed_loopback_port(harness: Harness) -> None:
    remote = harness.remote
    remote.routes["/notes/1"] = json_route(note(remote, "/notes/1"))
    calls: list[tuple[str, str, bytes | None]] = []

    def sign(method: str, url: str, body: bytes | None) -> dict[str, str]:
        calls.append((method, url, body))
        return {"Signature": "test-signature"}

    async with harness.client() as client:
        document = await client.get_json(remote.url("/notes/1#frag"), sign=sign)
    assert document.data["content"] == "Flohmarkt"
    assert document.final_url == remote.url("/notes/1")
    assert document.url_requested == remote.url("/notes/1#frag")
    assert document.status == 200
    assert calls == [("GET", remote.url("/notes/1"), None)]
    (request,) = remote.requests
    assert request.headers["signature"] == "test-signature"
    assert request.headers["user-agent"] == "Aushang-test/0.1"
    assert "application/activity+json" in request.headers["accept"]
    assert harness.resolver.calls == []
    assert harness.backend.connects == [("127.0.0.1", remote.port)]


@pytest.mark.anyio
async def test_get_json__accepts_ld_json_with_activitystreams_profile(harness: Harness) -> None:
    remote = harness.remote
    remote.routes["/n"] = json_route(note(remote, "/n"), AS_LD_JSON)
    async with harness.client() as client:
        document = await client.get_json(remote.url("/n"))
    assert document.content_type == AS_LD_JSON


@pytest.mark.anyio
async def test_get_json__decodes_gzip_bodies(harness: Harness) -> None:
    remote = harness.remote
    body = gzip.compress(json.dumps(note(remote, "/z")).encode())

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [("content-type", "application/activity+json"), ("content-encoding", "gzip")]
        await _respond(send, 200, body, headers)

    remote.routes["/z"] = handler
    async with harness.client() as client:
        document = await client.get_json(remote.url("/z"))
    assert document.data["type"] == "Note"


@pytest.mark.anyio
async def test_get_json__follows_five_redirects_and_resigns_every_hop(harness: Harness) -> None:
    remote = harness.remote
    for hop in range(5):
        remote.routes[f"/hop/{hop}"] = redirect_route(f"/hop/{hop + 1}")
    remote.routes["/hop/5"] = json_route(note(remote, "/hop/5"))
    signed: list[str] = []

    def sign(method: str, url: str, body: bytes | None) -> dict[str, str]:
        signed.append(url)
        return {}

    async with harness.client() as client:
        document = await client.get_json(remote.url("/hop/0"), sign=sign)
    assert document.final_url == remote.url("/hop/5")
    assert signed == [remote.url(f"/hop/{hop}") for hop in range(6)]


@pytest.mark.anyio
async def test_get_json__cross_origin_redirect_counts_the_final_origin(harness: Harness) -> None:
    remote, other = harness.remote, harness.other
    remote.routes["/start"] = redirect_route(other.url("/doc"), 301)
    other.routes["/doc"] = json_route(note(other, "/doc"))
    other.routes["/claims-start"] = json_route({"id": remote.url("/start"), "type": "Note"})
    remote.routes["/start2"] = redirect_route(other.url("/claims-start"))
    allow = {f"127.0.0.1:{remote.port}", f"127.0.0.1:{other.port}"}
    async with harness.client(allow_private=allow) as client:
        document = await client.get_json(remote.url("/start"))
        assert document.final_url == other.url("/doc")
        with pytest.raises(FetchError) as caught:
            await client.get_json(remote.url("/start2"))
    assert "is not on the origin of" in caught.value.reason


@pytest.mark.anyio
async def test_get_json__refetches_id_on_same_origin_once(harness: Harness) -> None:
    remote = harness.remote
    remote.routes["/@alice"] = json_route(note(remote, "/users/alice"))
    remote.routes["/users/alice"] = json_route(note(remote, "/users/alice"))
    remote.routes["/@bob"] = json_route(note(remote, "/users/bob"))
    remote.routes["/users/bob"] = json_route(note(remote, "/users/robert"))
    async with harness.client() as client:
        document = await client.get_json(remote.url("/@alice"))
        assert document.final_url == remote.url("/users/alice")
        assert document.url_requested == remote.url("/@alice")
        with pytest.raises(FetchError) as caught:
            await client.get_json(remote.url("/@bob"))
    assert "differs from its URL" in caught.value.reason
    assert [r.path for r in remote.requests] == ["/@alice", "/users/alice", "/@bob", "/users/bob"]


# --- SSRF: refused before any connection ------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("http://127.0.0.1:{other}/doc", "address 127.0.0.1 is forbidden (loopback"),
        ("http://localhost:{port}/doc", "localhost names are loopback"),
        ("http://app.localhost:{port}/doc", "localhost names are loopback"),
        ("http://0177.0.0.1:{port}/doc", "ambiguous IPv4 spelling '0177.0.0.1' (means 127.0.0.1)"),
        ("http://2130706433:{port}/doc", "ambiguous IPv4 spelling '2130706433' (means 127.0.0.1)"),
        ("http://0x7f.1:{port}/doc", "(means 127.0.0.1)"),
        ("http://127.1:{port}/doc", "(means 127.0.0.1)"),
        ("http://[::1]:{port}/doc", "address ::1 is forbidden (loopback ::1)"),
        ("http://[::ffff:127.0.0.1]:{port}/doc", "IPv4-mapped ::ffff:0:0/96; embeds 127.0.0.1"),
        ("http://0.0.0.0:{port}/doc", "'this network'"),
        ("http://[::]:{port}/doc", "unspecified"),
        ("http://127.0.0.1:{port}@evil.example/doc", "userinfo"),
        ("http://user@127.0.0.1:{port}/doc", "userinfo"),
        ("http://127.0.0.1:{port}\\@evil.example/doc", "backslash"),
        ("ftp://127.0.0.1:{port}/doc", "scheme 'ftp' is not allowed"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
    ],
)
async def test_get_json__refuses_special_addresses_without_connecting(
    harness: Harness, template: str, reason: str
) -> None:
    harness.remote.routes["/doc"] = json_route({"id": "x"})
    url = template.format(port=harness.remote.port, other=harness.other.port)
    await expect_failure(harness, url, reason)
    harness.assert_nothing_contacted()
    assert harness.resolver.calls == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("addresses", "reason"),
    [
        (["10.0.0.1"], "private 10.0.0.0/8"),
        (["169.254.169.254"], "link-local 169.254.0.0/16"),
        (["100.64.0.1"], "carrier-grade NAT"),
        (["127.0.0.1"], "loopback"),
        (["fd00::1"], "unique-local fc00::/7"),
        (["64:ff9b::7f00:1"], "NAT64 64:ff9b::/96; embeds 127.0.0.1"),
        (["2002:7f00:1::"], "6to4 2002::/16; embeds 127.0.0.1"),
        (["2001:0:4136:e378:8000:63bf:80ff:fffe"], "Teredo"),
        (["::ffff:10.0.0.1"], "IPv4-mapped"),
        (["fec0::1"], "site-local"),
        (["93.184.216.34", "127.0.0.1"], "address 127.0.0.1 is forbidden"),
        (["2606:4700::1", "fe80::1"], "address fe80::1 is forbidden"),
    ],
)
async def test_get_json__refuses_names_resolving_to_special_addresses(
    harness: Harness, addresses: list[str], reason: str
) -> None:
    harness.resolver.table["evil.test"] = [addresses]
    await expect_failure(harness, f"http://evil.test:{harness.remote.port}/doc", reason)
    harness.assert_nothing_contacted()
    assert harness.resolver.calls == ["evil.test"]


@pytest.mark.anyio
async def test_get_json__allowed_name_may_only_resolve_to_loopback(harness: Harness) -> None:
    port = harness.remote.port
    harness.resolver.table["demo.test"] = [["10.0.0.1"]]
    reason = "forbidden (private 10.0.0.0/8) (allow_private covers loopback addresses only)"
    await expect_failure(
        harness, f"http://demo.test:{port}/doc", reason, allow_private={f"demo.test:{port}"}
    )
    harness.assert_nothing_contacted()


@pytest.mark.anyio
async def test_get_json__connects_to_the_checked_address_despite_rebinding(
    harness: Harness,
) -> None:
    remote = harness.remote
    remote.routes["/doc"] = json_route(note(remote, "/doc"))
    harness.resolver.table["rebind.test"] = [["93.184.216.34"], ["127.0.0.1"]]
    url = f"http://rebind.test:{remote.port}/doc"
    async with harness.client() as client:
        with pytest.raises(FetchError) as first:
            await client.get_json(url)
        assert "test backend: no traffic to 93.184.216.34" in first.value.reason
        # The name was resolved once and the connection went to that checked address.
        assert harness.resolver.calls == ["rebind.test"]
        assert harness.backend.connects == [("93.184.216.34", remote.port)]
        with pytest.raises(BlockedAddressError) as second:
            await client.get_json(url)
    assert "address 127.0.0.1 is forbidden (loopback" in second.value.reason
    assert harness.resolver.calls == ["rebind.test", "rebind.test"]
    assert harness.backend.connects == [("93.184.216.34", remote.port)]
    assert remote.requests == []


@pytest.mark.anyio
async def test_get_json__unknown_name_fails_with_reason(harness: Harness) -> None:
    await expect_failure(harness, "http://nowhere.test/doc", "unknown name nowhere.test")
    harness.assert_nothing_contacted()


# --- redirects ----------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://127.0.0.1:{other}/doc", "address 127.0.0.1 is forbidden"),
        ("http://metadata.test/latest/meta-data/", "link-local 169.254.0.0/16"),
        ("http://2130706433:{other}/doc", "means 127.0.0.1"),
        ("http://[::ffff:127.0.0.1]:{port}/doc", "IPv4-mapped"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("ftp://127.0.0.1:{port}/doc", "scheme 'ftp' is not allowed"),
        ("gopher://127.0.0.1:{port}/doc", "scheme 'gopher' is not allowed"),
        ("http://u:p@127.0.0.1:{port}/doc", "userinfo"),
        ("\\\\evil.example/doc", "backslash"),
    ],
)
async def test_get_json__rechecks_every_redirect_hop(
    harness: Harness, location: str, reason: str
) -> None:
    remote, other = harness.remote, harness.other
    harness.resolver.table["metadata.test"] = [["169.254.169.254"]]
    remote.routes["/start"] = redirect_route(location.format(port=remote.port, other=other.port))
    remote.routes["/doc"] = json_route(note(remote, "/doc"))
    other.routes["/doc"] = json_route(note(other, "/doc"))
    await expect_failure(harness, remote.url("/start"), reason)
    assert [r.path for r in remote.requests] == ["/start"]
    assert other.requests == []
    assert harness.backend.connects == [("127.0.0.1", remote.port)]


@pytest.mark.anyio
async def test_get_json__refuses_more_than_five_redirects(harness: Harness) -> None:
    remote = harness.remote
    for hop in range(6):
        remote.routes[f"/hop/{hop}"] = redirect_route(f"/hop/{hop + 1}", 307)
    remote.routes["/hop/6"] = json_route(note(remote, "/hop/6"))
    await expect_failure(harness, remote.url("/hop/0"), "too many redirects (more than 5)")
    assert [r.path for r in remote.requests] == [f"/hop/{hop}" for hop in range(6)]


@pytest.mark.anyio
async def test_get_json__redirect_without_location_fails(harness: Harness) -> None:
    harness.remote.routes["/r"] = raw_route(b"", status=302)
    error = await expect_failure(harness, harness.remote.url("/r"), "without Location")
    assert error.status == 302


# --- size, time and content rules ---------------------------------------------------------


@pytest.mark.anyio
async def test_get_json__stops_reading_an_endless_chunked_body(harness: Harness) -> None:
    stats = StreamStats()
    total = 64 * 1024 * 1024
    harness.remote.routes["/big"] = streaming_route(stats, total)
    await expect_failure(harness, harness.remote.url("/big"), "response too large")
    with anyio.fail_after(5):
        while not stats.disconnected:
            await anyio.sleep(0.01)
    assert stats.sent < total // 4


@pytest.mark.anyio
async def test_get_json__refuses_large_content_length_before_reading(harness: Harness) -> None:
    harness.remote.routes["/big"] = raw_route(b" " * 5000)
    await expect_failure(
        harness, harness.remote.url("/big"), "Content-Length 5000 exceeds 1000", max_body=1000
    )


@pytest.mark.anyio
async def test_get_json__caps_the_decompressed_size_of_gzip(harness: Harness) -> None:
    bomb = gzip.compress(b" " * (8 * 1024 * 1024))

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [("content-type", "application/activity+json"), ("content-encoding", "gzip")]
        await _respond(send, 200, bomb, headers)

    harness.remote.routes["/bomb"] = handler
    assert len(bomb) < 1_048_576
    await expect_failure(harness, harness.remote.url("/bomb"), "response too large")


@pytest.mark.anyio
async def test_get_json__read_timeout_on_a_slow_server(harness: Harness) -> None:
    harness.remote.routes["/slow"] = slow_route(1.0)
    started = time.monotonic()
    await expect_failure(harness, harness.remote.url("/slow"), "read timeout", read_timeout=0.2)
    assert time.monotonic() - started < 0.9


@pytest.mark.anyio
async def test_get_json__total_timeout_on_a_trickling_server(harness: Harness) -> None:
    harness.remote.routes["/trickle"] = slow_route(0.1, chunks=30)
    started = time.monotonic()
    await expect_failure(
        harness, harness.remote.url("/trickle"), "total time limit of 0.5s", total_timeout=0.5
    )
    assert time.monotonic() - started < 1.5


@pytest.mark.anyio
@pytest.mark.parametrize(
    "content_type",
    [
        "text/html",
        "application/json",
        "application/ld+json",
        'application/ld+json; profile="https://example.org/other"',
        "",
    ],
)
async def test_get_json__refuses_wrong_content_type(harness: Harness, content_type: str) -> None:
    remote = harness.remote
    remote.routes["/n"] = json_route(note(remote, "/n"), content_type)
    error = await expect_failure(harness, remote.url("/n"), "unacceptable Content-Type")
    assert error.status == 200


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[1, 2]", "must be an object"),
        (b'"x"', "must be an object"),
        (b"{not json", "invalid JSON"),
        (b'{"a": "\xff"}', "not valid UTF-8"),
        (b'{"a": "\\ud800"}', "lone surrogate"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nesting depth"),
        (b'{"type": "Note"}', "has no string id"),
        (b'{"id": 7}', "has no string id"),
    ],
)
async def test_get_json__refuses_bad_bodies(harness: Harness, body: bytes, reason: str) -> None:
    harness.remote.routes["/n"] = raw_route(body)
    await expect_failure(harness, harness.remote.url("/n"), reason)


@pytest.mark.anyio
async def test_get_json__refuses_http_errors_with_status(harness: Harness) -> None:
    error = await expect_failure(harness, harness.remote.url("/missing"), "HTTP 404")
    assert error.status == 404


@pytest.mark.anyio
async def test_get_json__refuses_id_on_another_origin(harness: Harness) -> None:
    remote = harness.remote
    remote.routes["/n"] = json_route({"id": "https://mastodon.social/users/gargron"})
    await expect_failure(harness, remote.url("/n"), "is not on the origin of")
    assert [r.path for r in remote.requests] == ["/n"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "document_id", ["https://board.example/notes/1", "https://BOARD.example./notes/1"]
)
async def test_get_json__refuses_id_on_our_own_host(harness: Harness, document_id: str) -> None:
    harness.remote.routes["/n"] = json_route({"id": document_id, "type": "Note"})
    await expect_failure(harness, harness.remote.url("/n"), "id on our own host")


@pytest.mark.anyio
async def test_get_json__refuses_own_host_even_when_it_is_the_remote(harness: Harness) -> None:
    remote = harness.remote
    remote.routes["/n"] = json_route(note(remote, "/n"))
    await expect_failure(
        harness, remote.url("/n"), "id on our own host", own_hosts={f"127.0.0.1:{remote.port}"}
    )


# --- plain JSON, posting, TLS, configuration ----------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    "content_type", ["application/jrd+json", "application/json; charset=utf-8"]
)
async def test_get_plain_json__accepts_webfinger_and_nodeinfo(
    harness: Harness, content_type: str
) -> None:
    harness.remote.routes["/.well-known/webfinger"] = json_route({"subject": "x"}, content_type)
    async with harness.client() as client:
        document = await client.get_plain_json(harness.remote.url("/.well-known/webfinger"))
    assert document.data == {"subject": "x"}


@pytest.mark.anyio
async def test_get_plain_json__applies_the_same_limits(harness: Harness) -> None:
    remote = harness.remote
    remote.routes["/html"] = raw_route(b"<html>", "text/html")
    remote.routes["/r"] = redirect_route(f"http://127.0.0.1:{harness.other.port}/x")
    async with harness.client(max_body=10) as client:
        with pytest.raises(FetchError, match="unacceptable Content-Type"):
            await client.get_plain_json(remote.url("/html"))
        with pytest.raises(BlockedAddressError, match="address 127.0.0.1 is forbidden"):
            await client.get_plain_json(remote.url("/r"))
    assert harness.other.requests == []


@pytest.mark.anyio
async def test_post__signs_at_send_time_and_returns_status(harness: Harness) -> None:
    remote = harness.remote
    remote.routes["/inbox"] = raw_route(b"accepted" * 1000, "text/plain", status=202)
    body = b'{"type": "Create"}'
    calls: list[tuple[str, str, bytes | None]] = []

    def sign(method: str, url: str, signed_body: bytes | None) -> dict[str, str]:
        calls.append((method, url, signed_body))
        return {"Signature": "sig", "Digest": "SHA-256=x"}

    async with harness.client() as client:
        result = await client.post(remote.url("/inbox"), body, sign=sign)
    assert result.status == 202
    assert result.body_excerpt.startswith("accepted")
    assert len(result.body_excerpt) == 2048
    assert result.headers["content-type"] == "text/plain"
    assert calls == [("POST", remote.url("/inbox"), body)]
    (request,) = remote.requests
    assert (request.method, request.body) == ("POST", body)
    assert request.headers["signature"] == "sig"
    assert request.headers["content-type"] == "application/activity+json"


@pytest.mark.anyio
async def test_post__returns_error_statuses_for_the_retry_policy(harness: Harness) -> None:
    harness.remote.routes["/inbox"] = raw_route(b"busy", "text/plain", status=503)
    async with harness.client() as client:
        result = await client.post(harness.remote.url("/inbox"), b"{}")
    assert (result.status, result.body_excerpt) == (503, "busy")


@pytest.mark.anyio
async def test_post__treats_a_redirect_as_failure(harness: Harness) -> None:
    remote = harness.remote
    allow = {f"127.0.0.1:{remote.port}", f"127.0.0.1:{harness.other.port}"}
    remote.routes["/inbox"] = redirect_route(harness.other.url("/inbox"), 308)
    async with harness.client(allow_private=allow) as client:
        with pytest.raises(FetchError) as caught:
            await client.post(remote.url("/inbox"), b"{}")
    assert "deliveries never follow redirects" in caught.value.reason
    assert caught.value.status == 308
    assert harness.other.requests == []


@pytest.mark.anyio
async def test_post__refuses_special_addresses(harness: Harness) -> None:
    harness.resolver.table["evil.test"] = [["169.254.169.254"]]
    async with harness.client() as client:
        with pytest.raises(BlockedAddressError, match="link-local"):
            await client.post("http://evil.test/inbox", b"{}")
    harness.assert_nothing_contacted()


@pytest.mark.anyio
async def test_client__ignores_proxy_environment_variables(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://10.0.0.1:3128")
    remote = harness.remote
    remote.routes["/n"] = json_route(note(remote, "/n"))
    async with harness.client() as client:
        await client.get_json(remote.url("/n"))
    assert harness.backend.connects == [("127.0.0.1", remote.port)]


@pytest.mark.anyio
async def test_client__limits_concurrent_requests_per_host(harness: Harness) -> None:
    remote = harness.remote
    remote.routes["/n"] = json_route(note(remote, "/n"))
    remote.routes["/slow"] = slow_route(0.3)
    async with harness.client(per_host_connections=1, idle_expiry=0) as client:
        async with anyio.create_task_group() as group:
            group.start_soon(_ignore_failure, client.get_json(remote.url("/slow")))
            await anyio.sleep(0.1)
            started = time.monotonic()
            await client.get_json(remote.url("/n"))
            assert time.monotonic() - started > 0.15
        assert client._pools == {}  # an idle host's pool is closed


@pytest.mark.anyio
async def test_client__keeps_a_pool_per_host_and_closes_the_oldest_idle_ones(
    harness: Harness,
) -> None:
    remote = harness.remote
    remote.routes["/n"] = json_route(note(remote, "/n"))
    async with harness.client(max_hosts=1) as client:
        await client.get_json(remote.url("/n"))
        await client.get_json(remote.url("/n"))
        assert list(client._pools) == [f"http://127.0.0.1:{remote.port}"]
        assert harness.backend.connects == [("127.0.0.1", remote.port)]  # kept alive
        other = remote.url("/n").replace("127.0.0.1", "localhost")
        with pytest.raises(FetchError):
            await client.get_json(other)  # another host: its own pool, the idle one closes
        assert list(client._pools) == [other.rsplit("/", 1)[0]]


@pytest.mark.anyio
async def test_client__idle_pools_closed_by_two_sweeps_at_once(harness: Harness) -> None:
    # A request that ends closes the pools that fell idle; closing takes turns of the event
    # loop, so two requests ending together sweep at the same time and must not trip over
    # each other (a request that was answered would turn into an error and be sent again).
    remote = harness.remote
    remote.routes["/inbox"] = raw_route(b"", status=202)
    hosts = [f"h{n}.test" for n in range(6)]
    for host in hosts:
        harness.resolver.table[host] = [["127.0.0.1"]]
    allowed = {f"{host}:{remote.port}" for host in hosts}
    async with harness.client(allow_private=allowed) as client:
        for host in hosts:  # each leaves a pool with an open connection
            await client.post(remote.url("/inbox", host), b"{}")
        assert len(client._pools) == len(hosts)
        client._idle_expiry = 0  # all of them idle for long enough now

        await asyncio.gather(client._sweep(), client._sweep())

        assert client._pools == {}


async def _ignore_failure(fetch: Awaitable[object]) -> None:
    with pytest.raises(FetchError, match="has no string id"):
        await fetch


@pytest.mark.anyio
async def test_system_resolver__returns_addresses_for_a_literal() -> None:
    assert await system_resolver("127.0.0.1", 80) == ["127.0.0.1"]


def test_client__allow_private_entries_need_a_port() -> None:
    with pytest.raises(HostError, match="needs an explicit port"):
        FederationClient(user_agent="t", allow_private={"127.0.0.1"})


# --- TLS: connect to the checked IP, verify the certificate for the name ------------------


@dataclass
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def _make_tls_files(directory: Path) -> TlsFiles:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Aushang test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "remote.test")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("remote.test")]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.fixture(scope="module")
def tls_remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeRemote, TlsFiles]]:
    files = _make_tls_files(tmp_path_factory.mktemp("tls"))
    server = FakeRemote(certfile=files.cert, keyfile=files.key)
    server.start()
    yield server, files
    server.stop()


@pytest.mark.anyio
async def test_get_json__verifies_tls_for_the_name_while_connecting_to_the_ip(
    tls_remote: tuple[FakeRemote, TlsFiles], harness: Harness
) -> None:
    server, files = tls_remote
    server.reset()
    url = server.url("/notes/1", host="remote.test")
    server.routes["/notes/1"] = json_route({"id": url, "type": "Note"})
    harness.resolver.table = {"remote.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]]}
    allow = {f"remote.test:{server.port}", f"other.test:{server.port}"}
    async with harness.client(allow_private=allow, ca_bundle=str(files.ca)) as client:
        document = await client.get_json(url)
        assert document.final_url == url
        with pytest.raises(FetchError) as caught:
            await client.get_json(server.url("/notes/1", host="other.test"))
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.reason
    assert harness.backend.connects == [("127.0.0.1", server.port)] * 2
    (request,) = server.requests
    assert request.headers["host"] == f"remote.test:{server.port}"


@pytest.mark.anyio
async def test_get_json__rejects_unknown_certificate_authorities(
    tls_remote: tuple[FakeRemote, TlsFiles], harness: Harness
) -> None:
    server, _ = tls_remote
    server.reset()
    harness.resolver.table = {"remote.test": [["127.0.0.1"]]}
    allow = {f"remote.test:{server.port}"}
    url = server.url("/notes/1", host="remote.test")
    error = await expect_failure(harness, url, "CERTIFICATE_VERIFY_FAILED", allow_private=allow)
    assert isinstance(error.__cause__, Exception)
    assert server.requests == []


class ClosingServer:
    """A raw HTTP/1.1 server on 127.0.0.1 that answers the first `answered` requests of each
    connection with 202 and keep-alive, then closes the connection on the next one unanswered,
    as a server does whose idle timeout races a reused connection."""

    def __init__(self, answered: int) -> None:
        self.answered = answered
        self.connections = 0
        self.requests = 0
        self.port = 0

    @asynccontextmanager
    async def running(self) -> AsyncIterator[ClosingServer]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            for number in range(self.answered + 1):
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                await reader.readexactly(length)
                self.requests += 1
                if number == self.answered:
                    break
                writer.write(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def post_to_closing_server(
    harness: Harness, server: ClosingServer, *bodies: bytes
) -> list[int | FetchError]:
    """POST each body to the server's inbox with one client: the status, or the failure."""
    outcomes: list[int | FetchError] = []
    async with server.running():
        url = f"http://127.0.0.1:{server.port}/inbox"
        async with harness.client(allow_private={f"127.0.0.1:{server.port}"}) as client:
            for body in bodies:
                try:
                    outcomes.append((await client.post(url, body)).status)
                except FetchError as exc:
                    outcomes.append(exc)
    return outcomes


@pytest.mark.anyio
async def test_post__sends_again_on_a_new_connection_when_a_kept_one_was_closed(
    harness: Harness,
) -> None:
    server = ClosingServer(answered=1)
    outcomes = await post_to_closing_server(harness, server, b'{"type": "A"}', b'{"type": "B"}')
    assert outcomes == [202, 202]
    # The second delivery went out on the kept connection, was dropped, and went again.
    assert (server.connections, server.requests) == (2, 3)


@pytest.mark.anyio
async def test_post__gives_up_after_one_more_try_when_the_server_always_closes(
    harness: Harness,
) -> None:
    server = ClosingServer(answered=0)
    (outcome,) = await post_to_closing_server(harness, server, b"{}")
    assert isinstance(outcome, FetchError) and "failed" in outcome.reason
    assert (server.connections, server.requests) == (2, 2)
