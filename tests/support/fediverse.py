"""A recording fake fediverse: real uvicorn servers on 127.0.0.1 that serve JSON documents.

Each fake server stands for one remote host (``remote.example``, ``social.example`` ...). It
serves the documents registered for a path, answers WebFinger for the accounts registered on
it, and records every request (method, path, headers, body), so tests can check what a board
fetched and delivered. Servers run on a background event loop in their own thread, shared by
the whole session; `Fediverse.reset()` forgets documents and records between tests.

Static documents live in ``tests/fixtures/remote/<host>/<path>.json``; ``https://<host>`` in
them is rewritten to the origin of the fake server that plays that host.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import json
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from federation import httpsig
from federation.keys import generate_private_key, public_key_to_pem

T = TypeVar("T")
log = logging.getLogger("tests.fediverse")

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
REMOTE_FIXTURES = FIXTURES / "remote"
AP_JSON = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"


def wait_until(
    condition: Callable[[], T], *, timeout: float = 5.0, interval: float = 0.02, what: str = ""
) -> T:
    """Poll `condition` until it returns something truthy; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(interval)


# --------------------------------------------------------------------------- in-process boards

_IN_PROCESS: dict[str, httpx.BaseTransport] = {}
_IN_PROCESS_LOCK = threading.Lock()


def serve_in_process(authority: str, transport: httpx.BaseTransport | None) -> None:
    """Let `client()` reach `authority` (host:port) through `transport`; None forgets it."""
    with _IN_PROCESS_LOCK:
        if transport is None:
            _IN_PROCESS.pop(authority, None)
        else:
            _IN_PROCESS[authority] = transport


class _Router(httpx.BaseTransport):
    """Requests to a board running in-process go to its app; all others over the network."""

    def __init__(self) -> None:
        self._network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with _IN_PROCESS_LOCK:
            transport = _IN_PROCESS.get(request.url.netloc.decode("ascii"))
        return (transport or self._network).handle_request(request)

    def close(self) -> None:
        self._network.close()


def client(*, timeout: float = 10.0) -> httpx.Client:
    """An HTTP client as a remote server uses it, that reaches in-process boards too."""
    return httpx.Client(timeout=timeout, trust_env=False, transport=_Router())


# --------------------------------------------------------------------------- event loop


class BackgroundLoop:
    """An asyncio event loop running forever in a daemon thread."""

    def __init__(self, name: str = "fake-fediverse") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the loop and wait for its result."""
        return self.submit(coro).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


def listening_socket(port: int = 0) -> socket.socket:
    """Bind a TCP socket on 127.0.0.1 (port 0: a free one; the server keeps it, so no race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class QuickServer(uvicorn.Server):
    """uvicorn's server, woken for shutdown at once instead of on its next 0.1 s tick."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._exit_requested = asyncio.Event()

    async def main_loop(self) -> None:
        await self.on_tick(0)
        while not self.should_exit:
            try:
                await asyncio.wait_for(self._exit_requested.wait(), timeout=1.0)
            except TimeoutError:
                pass
            await self.on_tick(0)  # refreshes the Date header, checks should_exit

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's own shutdown, minus its unconditional 0.1 s pause before waiting.
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        for _ in range(3):
            await asyncio.sleep(0)
        await asyncio.wait_for(
            self._wait_tasks_to_complete(), timeout=self.config.timeout_graceful_shutdown
        )
        await self.lifespan.shutdown()

    def request_exit(self, loop: asyncio.AbstractEventLoop) -> None:
        self.should_exit = True
        loop.call_soon_threadsafe(self._exit_requested.set)


class ServerHandle:
    """A uvicorn server serving one ASGI app on the background loop."""

    def __init__(self, loop: BackgroundLoop, app: Any, sock: socket.socket) -> None:
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="on",
            ws="none",
            timeout_graceful_shutdown=5,
        )
        self.server = QuickServer(config)
        self._loop = loop
        self._future = loop.submit(self.server.serve(sockets=[sock]))
        self._sock = sock
        deadline = time.monotonic() + 15
        while not self.server.started:
            if self._future.done():
                sock.close()
                self._future.result()  # raises what went wrong
                raise RuntimeError("server stopped during startup (see the log)")
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 15 s")
            time.sleep(0.005)

    def stop(self, timeout: float = 5.0) -> None:
        """Shut down; if the app's shutdown hangs, cancel what still runs and wait once more."""
        self.server.request_exit(self._loop.loop)
        try:
            try:
                self._future.result(timeout=timeout)
            except concurrent.futures.TimeoutError:
                # A lost cancellation (test_worker__stops_when_cancelled_at_the_moment_it_is_woken)
                # keeps the lifespan waiting; recover so one test's race does not stall the rest.
                log.warning(
                    "server on port %d did not stop in %s s; cancelling", self.port, timeout
                )
                self._loop.loop.call_soon_threadsafe(_cancel_workers, self._loop.loop)
                self._future.result(timeout=timeout)
        finally:
            self._sock.close()


_WORKER_TASKS = ("delivery", "inbox", "expiry")  # as create_app names its background tasks


def _cancel_workers(loop: asyncio.AbstractEventLoop) -> None:
    for task in asyncio.all_tasks(loop):
        if task.get_name() in _WORKER_TASKS:
            task.cancel()


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True)
class Recorded:
    """One request a fake server received."""

    method: str
    path: str
    query: str
    headers: httpx.Headers
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def target(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Document:
    body: bytes
    content_type: str = AP_JSON
    status: int = 200


class FakeServer:
    """One remote host: documents by path, WebFinger accounts, a record of every request."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = 0
        self._lock = threading.Lock()
        self.documents: dict[str, Document] = {}
        self.accounts: dict[str, str] = {}
        self.requests: list[Recorded] = []
        self._answers: dict[str, deque[tuple[int, dict[str, str]]]] = {}
        self.default_post_status = 202

    # -- addresses ----------------------------------------------------------------

    @property
    def authority(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://{self.authority}"

    def url(self, path: str) -> str:
        return self.origin + path

    # -- configuration --------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.documents.clear()
            self.accounts.clear()
            self.requests.clear()
            self._answers.clear()
            self.default_post_status = 202

    def serve_json(
        self, path: str, document: Any, *, content_type: str = AP_JSON, status: int = 200
    ) -> str:
        """Serve a JSON document at `path`; return its URL."""
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        with self._lock:
            self.documents[path] = Document(body, content_type, status)
        return self.url(path)

    def answer(self, path: str, *statuses: int, headers: Mapping[str, str] | None = None) -> None:
        """Answer the next POSTs to `path` with these statuses (then the default 202)."""
        with self._lock:
            queue = self._answers.setdefault(path, deque())
            queue.extend((status, dict(headers or {})) for status in statuses)

    # -- what was received ------------------------------------------------------------

    def received(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)
            ]

    def posts(self, path: str | None = None) -> list[Recorded]:
        return self.received("POST", path)

    def gets(self, path: str | None = None) -> list[Recorded]:
        return self.received("GET", path)

    # -- ASGI -------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        request = Request(scope, receive)
        body = await request.body()
        record = Recorded(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers=httpx.Headers(list(request.headers.items())),
            body=body,
        )
        with self._lock:
            self.requests.append(record)
        response = self._respond(record)
        await response(scope, receive, send)

    def _respond(self, record: Recorded) -> Response:
        if record.method == "POST":
            with self._lock:
                queue = self._answers.get(record.path)
                status, headers = queue.popleft() if queue else (self.default_post_status, {})
            return Response(status_code=status, headers=headers)
        if record.method != "GET":
            return Response("method not allowed", status_code=405)
        if record.path == "/.well-known/webfinger":
            return self._webfinger(record)
        with self._lock:
            document = self.documents.get(record.path)
        if document is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(document.body, document.status, media_type=document.content_type)

    def _webfinger(self, record: Recorded) -> Response:
        resource = parse_qs(record.query).get("resource", [""])[0]
        user = resource.removeprefix("acct:").rpartition("@")[0].lower()
        actor = self.accounts.get(user)
        if actor is None or not resource.endswith(f"@{self.authority}"):
            return Response("no such account", status_code=404, media_type="text/plain")
        return JSONResponse(
            {
                "subject": f"acct:{user}@{self.authority}",
                "links": [{"rel": "self", "type": AP_JSON, "href": actor}],
            },
            media_type="application/jrd+json",
        )


# --------------------------------------------------------------------------- keys and actors


def load_fixture_private_key(name: str) -> rsa.RSAPrivateKey:
    """Load one of the published test keys in tests/fixtures (never used for anything else)."""
    path = FIXTURES / name
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


class KeyPool:
    """A few RSA keys per session: generating one costs tens of milliseconds."""

    def __init__(self, size: int = 3) -> None:
        self.size = size
        self._keys: list[rsa.RSAPrivateKey] = []
        self._lock = threading.Lock()

    def get(self, index: int) -> rsa.RSAPrivateKey:
        with self._lock:
            while len(self._keys) <= index % self.size:
                self._keys.append(generate_private_key())
            return self._keys[index % self.size]


@dataclass
class RemoteActor:
    """A remote account on a fake server, with the private key to sign as it."""

    server: FakeServer
    username: str
    private_key: rsa.RSAPrivateKey
    document: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.document["id"])

    @property
    def key_id(self) -> str:
        return str(self.document["publicKey"]["id"])

    @property
    def inbox(self) -> str:
        return str(self.document["inbox"])

    @property
    def inbox_path(self) -> str:
        return urlsplit(self.inbox).path

    @property
    def shared_inbox(self) -> str | None:
        endpoints = self.document.get("endpoints") or {}
        return endpoints.get("sharedInbox")

    @property
    def public_pem(self) -> str:
        return public_key_to_pem(self.private_key)

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.server.authority}"

    def activity_id(self, suffix: str) -> str:
        return f"{self.id}/activities/{suffix}"

    def follow(self, target: str, suffix: str = "follow-1") -> dict[str, Any]:
        return {
            "@context": AS_CONTEXT,
            "id": self.activity_id(suffix),
            "type": "Follow",
            "actor": self.id,
            "object": target,
        }

    def undo(self, inner: dict[str, Any], suffix: str = "undo-1") -> dict[str, Any]:
        embedded = {k: v for k, v in inner.items() if k != "@context"}
        return {
            "@context": AS_CONTEXT,
            "id": self.activity_id(suffix),
            "type": "Undo",
            "actor": self.id,
            "object": embedded,
        }

    def sign(
        self,
        url: str,
        body: bytes,
        now: datetime,
        *,
        scheme: str = "cavage",
        key_id: str | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
        content_type: str = AP_JSON,
    ) -> dict[str, str]:
        """Sign a POST the way Mastodon (draft-cavage) or Fedify (RFC 9421) would."""
        signer = {"cavage": httpsig.sign_request, "rfc9421": httpsig.sign_request_rfc9421}[scheme]
        return signer(
            "POST",
            url,
            body,
            key_id or self.key_id,
            private_key or self.private_key,
            now,
            extra_headers={"Content-Type": content_type},
        )

    def post(
        self,
        url: str,
        activity: Any,
        *,
        now: datetime,
        clock_offset: timedelta = timedelta(0),
        scheme: str = "cavage",
        key_id: str | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
        content_type: str = AP_JSON,
        tamper: Callable[[bytes], bytes] | None = None,
        header_changes: Mapping[str, str | None] | None = None,
        signed: bool = True,
        timeout: float = 10.0,
    ) -> httpx.Response:
        """Sign an activity and POST it; `tamper` changes the body after signing."""
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode("utf-8")
        headers: dict[str, str] = {"Content-Type": content_type, "Accept": AP_JSON}
        if signed:
            headers.update(
                self.sign(
                    url,
                    body,
                    now + clock_offset,
                    scheme=scheme,
                    key_id=key_id,
                    private_key=private_key,
                    content_type=content_type,
                )
            )
        for name, value in (header_changes or {}).items():
            for existing in [k for k in headers if k.lower() == name.lower()]:
                del headers[existing]
            if value is not None:
                headers[name] = value
        if tamper is not None:
            body = tamper(body)
        with client(timeout=timeout) as remote:
            return remote.post(url, content=body, headers=headers)


def person_document(
    server: FakeServer,
    username: str,
    public_pem: str,
    *,
    actor_type: str = "Person",
    shared_inbox: str | None = "/inbox",
    key_path: str | None = None,
) -> dict[str, Any]:
    """A minimal, Mastodon-shaped actor document on `server`."""
    actor_id = server.url(f"/users/{username}")
    key_id = server.url(key_path) if key_path else f"{actor_id}#main-key"
    document: dict[str, Any] = {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT],
        "id": actor_id,
        "type": actor_type,
        "preferredUsername": username,
        "name": username.capitalize(),
        "inbox": f"{actor_id}/inbox",
        "outbox": f"{actor_id}/outbox",
        "followers": f"{actor_id}/followers",
        "following": f"{actor_id}/following",
        "url": server.url(f"/@{username}"),
        "publicKey": {"id": key_id, "owner": actor_id, "publicKeyPem": public_pem},
    }
    if shared_inbox:
        document["endpoints"] = {"sharedInbox": server.url(shared_inbox)}
    return document


# --------------------------------------------------------------------------- the fediverse


class Fediverse:
    """Fake remote hosts, each a real HTTP server; `remote` is the one most tests use."""

    HOSTS = ("remote.example", "social.example", "gts.example", "other.example", "video.example")

    def __init__(self, loop: BackgroundLoop) -> None:
        self.loop = loop
        self.keys = KeyPool()
        self.servers: dict[str, FakeServer] = {}
        self._handles: list[ServerHandle] = []
        for name in self.HOSTS:
            server = FakeServer(name)
            handle = ServerHandle(loop, server, listening_socket())
            server.port = handle.port
            self.servers[name] = server
            self._handles.append(handle)
        self._fixture_keys = {
            "test-key-rsa": load_fixture_private_key("httpsig/test-key-rsa.key.pem"),
            "gts-test": load_fixture_private_key("remote/keys/gts-test.key.pem"),
            "peertube-test": load_fixture_private_key("remote/keys/peertube-test.key.pem"),
        }
        self._next_key = 0

    @property
    def remote(self) -> FakeServer:
        return self.servers["remote.example"]

    @property
    def allow_private(self) -> list[str]:
        """The host:port entries a board must allow to reach every fake server."""
        return [server.authority for server in self.servers.values()]

    def reset(self) -> None:
        for server in self.servers.values():
            server.reset()
        self._next_key = 0

    def close(self) -> None:
        for handle in self._handles:
            handle.stop()

    def all_requests(self) -> list[Recorded]:
        return [r for server in self.servers.values() for r in server.received()]

    # -- actors -------------------------------------------------------------------------

    def actor(
        self,
        username: str,
        *,
        server: FakeServer | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
        shared_inbox: str | None = "/inbox",
        actor_type: str = "Person",
    ) -> RemoteActor:
        """Register a Person (or other actor type) with a key, inbox and shared inbox."""
        server = server or self.remote
        if private_key is None:
            if username == "alice":  # the published RFC 9421 test key: fixed signatures
                private_key = self._fixture_keys["test-key-rsa"]
            else:
                private_key = self.keys.get(self._next_key)
                self._next_key += 1
        document = person_document(
            server,
            username,
            public_key_to_pem(private_key),
            actor_type=actor_type,
            shared_inbox=shared_inbox,
        )
        return self.publish(server, username, private_key, document)

    def publish(
        self,
        server: FakeServer,
        username: str,
        private_key: rsa.RSAPrivateKey,
        document: dict[str, Any],
    ) -> RemoteActor:
        """Serve an actor document at its id and answer WebFinger for it."""
        server.serve_json(urlsplit(document["id"]).path, document)
        server.accounts[username.lower()] = document["id"]
        return RemoteActor(server, username, private_key, document)

    # -- fixture files ------------------------------------------------------------------

    def fixture(self, host: str, path: str) -> dict[str, Any]:
        """Read tests/fixtures/remote/<host>/<path>.json with the host rewritten to its server."""
        server = self.servers[host]
        text = (REMOTE_FIXTURES / host / f"{path.strip('/')}.json").read_text(encoding="utf-8")
        return json.loads(text.replace(f"https://{host}", server.origin))

    def serve_fixture(self, host: str, path: str) -> dict[str, Any]:
        """Serve a fixture document at its path on the server that plays `host`."""
        document = self.fixture(host, path)
        self.servers[host].serve_json(path, document)
        return document

    def mastodon_actor(self) -> RemoteActor:
        """A real-looking Mastodon 4.x Person (schema:PropertyValue fields, #main-key)."""
        document = self.serve_fixture("social.example", "/users/mika")
        return self.publish(
            self.servers["social.example"], "mika", self._fixture_keys["test-key-rsa"], document
        )

    def gotosocial_actor(self) -> RemoteActor:
        """A GoToSocial-style Person whose key is a separate document at .../main-key."""
        self.serve_fixture("gts.example", "/users/jo/main-key")
        document = self.serve_fixture("gts.example", "/users/jo")
        return self.publish(
            self.servers["gts.example"], "jo", self._fixture_keys["gts-test"], document
        )

    def peertube_actor(self, path: str = "/accounts/lena") -> RemoteActor:
        """A PeerTube account (Person) or channel (Group, `/video-channels/...`): it signs with
        its bare actor URL as keyId while its document names the key `URL#main-key`."""
        document = self.serve_fixture("video.example", path)
        server = self.servers["video.example"]
        username = document["preferredUsername"]
        return self.publish(server, username, self._fixture_keys["peertube-test"], document)


def iter_fixture_files() -> Iterator[Path]:
    yield from sorted(REMOTE_FIXTURES.rglob("*.json"))


_shared: Fediverse | None = None
_shared_lock = threading.Lock()


def shared_fediverse() -> Fediverse:
    """Start the fake servers once per process (any number of fixture copies share them)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Fediverse(BackgroundLoop())
            atexit.register(_close_shared)
        return _shared


def _close_shared() -> None:
    global _shared
    if _shared is not None:
        _shared.close()
        _shared.loop.close()
        _shared = None
