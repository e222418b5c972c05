"""A recording fake fediverse that runs as its own process, so it outlives a killed board.

The server side (``python -m tests.support.recorder --state DIR``) listens on 127.0.0.1 and
plays one remote host with N Person actors ``/users/u{i}``: each has its own inbox
``/users/u{i}/inbox`` and **no** sharedInbox (N followers mean N delivery rows), and all share
one RSA key pair with distinct key ids ``/users/u{i}#main-key``. It answers WebFinger, records
every request (method, path, headers, body, the status it answered) in memory and appends it to
``DIR/requests.jsonl``, and can be told per inbox path (or ``*`` for every inbox) to answer an
error status to the next K POSTs and/or to sleep S seconds before answering.

The client side, `Recorder`, starts and stops that process, reads what it recorded over a small
control API (``/_recorder/...``), and signs (draft-cavage with Digest, via
`federation.httpsig.sign_request`) and POSTs activities from the recorder's actors to a board,
optionally many at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

import httpx

from federation import httpsig
from federation.keys import (
    generate_private_key,
    load_private_key,
    private_key_to_pem,
    public_key_to_pem,
)

AP_JSON = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTROL = "/_recorder"
ROOT = Path(__file__).resolve().parents[2]

_ACTOR_RE = re.compile(r"^/users/u(\d+)$")
_INBOX_RE = re.compile(r"^/users/u(\d+)/inbox$")


# =========================================================================== server process


@dataclass
class Behaviour:
    """How the recorder answers POSTs to one inbox path."""

    fail: int = 0  # answer `status` to this many more POSTs, then `ok_status`
    status: int = 500
    delay: float = 0.0  # seconds to sleep before answering (after recording)
    ok_status: int = 202

    def next_status(self) -> int:
        if self.fail > 0:
            self.fail -= 1
            return self.status
        return self.ok_status


class RecorderServer:
    """The ASGI app of the recorder process: actors, WebFinger, inboxes, control API."""

    def __init__(self, state_dir: Path, actors: int, public_pem: str) -> None:
        self.state_dir = state_dir
        self.actors = actors
        self.public_pem = public_pem
        self.authority = ""  # set once the socket is bound
        self.records: list[dict[str, Any]] = []
        self.behaviours: dict[str, Behaviour] = {}
        self._log = (state_dir / "requests.jsonl").open("a", encoding="utf-8")

    @property
    def origin(self) -> str:
        return f"http://{self.authority}"

    def close(self) -> None:
        self._log.close()

    # -- ASGI ---------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method = scope["method"]
        path = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        if path.startswith(CONTROL):
            status, ctype, payload = self._control(method, path, query, body)
            await _respond(send, status, ctype, payload)
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        status, delay, failing = 200, 0.0, False
        if method == "POST":
            behaviour = self.behaviours.get(path) or self.behaviours.get("*")
            if _INBOX_RE.match(path) and self._actor_index(_INBOX_RE, path) is not None:
                behaviour = behaviour or Behaviour()
                status, delay = behaviour.next_status(), behaviour.delay
            else:
                status = 404
        elif method == "GET" and (behaviour := self.behaviours.get(path)) is not None:
            # Documents (e.g. an actor) can be slow or failing too, by exact path only.
            failing, delay = behaviour.fail > 0, behaviour.delay
            status = behaviour.next_status() if failing else 200
        record = {
            "seq": len(self.records),
            "at": time.time(),
            "method": method,
            "path": path,
            "query": query,
            "headers": headers,
            "body": body.decode("utf-8", errors="replace"),
            "status": status,
        }
        self.records.append(record)
        self._log.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._log.flush()
        if delay:
            await asyncio.sleep(delay)
        if method == "POST" or failing:
            await _respond(send, status, "text/plain", b"recorded")
        elif method == "GET":
            await self._get(send, path, query)
        else:
            await _respond(send, 405, "text/plain", b"method not allowed")

    def _actor_index(self, pattern: re.Pattern[str], path: str) -> int | None:
        match = pattern.match(path)
        if not match:
            return None
        index = int(match.group(1))
        return index if 0 <= index < self.actors else None

    async def _get(self, send: Any, path: str, query: str) -> None:
        if path == "/.well-known/webfinger":
            resource = parse_qs(query).get("resource", [""])[0]
            user, _, host = resource.removeprefix("acct:").rpartition("@")
            index = self._actor_index(_ACTOR_RE, f"/users/{user}")
            if index is None or host != self.authority:
                await _respond(send, 404, "text/plain", b"no such account")
                return
            jrd = {
                "subject": f"acct:u{index}@{self.authority}",
                "links": [
                    {"rel": "self", "type": AP_JSON, "href": f"{self.origin}/users/u{index}"}
                ],
            }
            await _respond(send, 200, "application/jrd+json", json.dumps(jrd).encode())
            return
        index = self._actor_index(_ACTOR_RE, path)
        if index is None:
            await _respond(send, 404, "text/plain", b"not found")
            return
        document = actor_document(self.origin, index, self.public_pem)
        await _respond(send, 200, AP_JSON, json.dumps(document).encode())

    def _control(self, method: str, path: str, query: str, body: bytes) -> tuple[int, str, bytes]:
        action = path[len(CONTROL) :]
        if action == "/health":
            return 200, "text/plain", b"ok"
        if action == "/requests" and method == "GET":
            since = int(parse_qs(query).get("since", ["0"])[0])
            return 200, "application/json", json.dumps(self.records[since:]).encode()
        if action == "/behaviour" and method == "POST":
            spec = json.loads(body)
            target = spec.pop("path")
            self.behaviours[target] = Behaviour(**spec)
            return 200, "text/plain", b"ok"
        if action == "/behaviour" and method == "DELETE":
            self.behaviours.clear()
            return 200, "text/plain", b"ok"
        return 404, "text/plain", b"unknown control action"


async def _respond(send: Any, status: int, content_type: str, payload: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def actor_document(origin: str, index: int, public_pem: str) -> dict[str, Any]:
    """A Mastodon-shaped Person with a personal inbox and no sharedInbox."""
    actor_id = f"{origin}/users/u{index}"
    return {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT],
        "id": actor_id,
        "type": "Person",
        "preferredUsername": f"u{index}",
        "name": f"Nachbar {index}",
        "inbox": f"{actor_id}/inbox",
        "outbox": f"{actor_id}/outbox",
        "followers": f"{actor_id}/followers",
        "following": f"{actor_id}/following",
        "url": f"{origin}/@u{index}",
        "publicKey": {"id": f"{actor_id}#main-key", "owner": actor_id, "publicKeyPem": public_pem},
    }


async def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    state_dir = Path(args.state)
    key = load_private_key((state_dir / "key.pem").read_text(encoding="ascii"))
    app = RecorderServer(state_dir, args.actors, public_key_to_pem(key))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    port = int(sock.getsockname()[1])
    app.authority = f"127.0.0.1:{port}"
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ws="none",
        timeout_graceful_shutdown=1,
        backlog=2048,
    )
    server = uvicorn.Server(config)

    async def watch_parent() -> None:
        # Never outlive the test process, even if it dies without stopping us.
        while not server.should_exit:
            if os.getppid() != args.parent_pid:
                server.should_exit = True
            await asyncio.sleep(0.5)

    async def announce() -> None:
        while not server.started:
            await asyncio.sleep(0.01)
        tmp = state_dir / "port.tmp"
        tmp.write_text(str(port), encoding="ascii")
        tmp.replace(state_dir / "port")

    watcher = asyncio.create_task(watch_parent())
    announcer = asyncio.create_task(announce())
    try:
        await server.serve(sockets=[sock])
    finally:
        watcher.cancel()
        announcer.cancel()
        sock.close()
        app.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.recorder")
    parser.add_argument("--state", required=True, help="folder with key.pem; gets port, log")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--actors", type=int, default=1000, help="how many actors u0..u{N-1}")
    parser.add_argument("--parent-pid", type=int, default=os.getppid())
    asyncio.run(_serve(parser.parse_args(argv)))
    return 0


# =========================================================================== test side


@dataclass(frozen=True)
class Record:
    """One request the recorder received, and the status it answered."""

    seq: int
    at: float
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: str
    status: int

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Record:
        headers: dict[str, str] = {}
        for name, value in raw["headers"]:
            headers[name.lower()] = value
        return cls(
            seq=raw["seq"],
            at=raw["at"],
            method=raw["method"],
            path=raw["path"],
            query=raw["query"],
            headers=headers,
            body=raw["body"],
            status=raw["status"],
        )

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def activity_type(self) -> str | None:
        try:
            value = self.json()
        except ValueError:
            return None
        return value.get("type") if isinstance(value, dict) else None

    @property
    def activity_id(self) -> str | None:
        try:
            value = self.json()
        except ValueError:
            return None
        return value.get("id") if isinstance(value, dict) else None


@dataclass(frozen=True)
class SignedPost:
    """A signed request, kept so that exactly the same bytes can be replayed."""

    url: str
    body: bytes
    headers: Mapping[str, str]
    activity_id: str


@dataclass
class PostOutcome:
    """What one POST got: a status and text, or the transport error instead."""

    request: SignedPost
    status: int | None = None
    text: str = ""
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == 202


@dataclass
class Recorder:
    """Start the recorder process and talk to it; a context manager that always stops it."""

    state_dir: Path
    actors: int = 1000
    startup_timeout: float = 20.0
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _records: list[Record] = field(default_factory=list, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).resolve()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        key_file = self.state_dir / "key.pem"
        if key_file.exists():
            self.private_key = load_private_key(key_file.read_text(encoding="ascii"))
        else:
            self.private_key = generate_private_key()
            key_file.write_text(private_key_to_pem(self.private_key), encoding="ascii")
            key_file.chmod(0o600)
        self.log_path = self.state_dir / "recorder.log"

    # -- process ------------------------------------------------------------------

    def start(self) -> Recorder:
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("recorder already running")
        with contextlib.suppress(FileNotFoundError):
            (self.state_dir / "port").unlink()
        cmd = [
            sys.executable,
            "-m",
            "tests.support.recorder",
            "--state",
            str(self.state_dir),
            "--port",
            str(self.port),
            "--actors",
            str(self.actors),
            "--parent-pid",
            str(os.getpid()),
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.startup_timeout
        port_file = self.state_dir / "port"
        while not port_file.exists():
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise RuntimeError(f"recorder exited with {code}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"recorder did not start:\n{self.log_tail()}")
            time.sleep(0.02)
        self.port = int(port_file.read_text(encoding="ascii"))
        return self

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no recorder log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ------------------------------------------------------------------

    @property
    def authority(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://{self.authority}"

    def actor_id(self, index: int) -> str:
        return f"{self.origin}/users/u{index}"

    def key_id(self, index: int) -> str:
        return f"{self.actor_id(index)}#main-key"

    def inbox_path(self, index: int) -> str:
        return f"/users/u{index}/inbox"

    def handle(self, index: int) -> str:
        return f"@u{index}@{self.authority}"

    # -- control --------------------------------------------------------------------

    def _control(self, method: str, action: str, **kwargs: Any) -> httpx.Response:
        with httpx.Client(timeout=10.0, trust_env=False) as client:
            response = client.request(method, f"{self.origin}{CONTROL}{action}", **kwargs)
        response.raise_for_status()
        return response

    def behave(
        self,
        path: str = "*",
        *,
        fail: int = 0,
        status: int = 500,
        delay: float = 0.0,
        ok_status: int = 202,
    ) -> None:
        """Set how POSTs to `path` (an inbox path, or '*' for every inbox) are answered.

        A GET of exactly `path` (say an actor document) honours `fail`, `status` and `delay`.
        """
        spec = {"path": path, "fail": fail, "status": status, "delay": delay}
        self._control("POST", "/behaviour", json={**spec, "ok_status": ok_status})

    def reset_behaviour(self) -> None:
        self._control("DELETE", "/behaviour")

    def requests(self) -> list[Record]:
        """Every request recorded so far (fetched incrementally)."""
        with self._lock:
            fresh = self._control("GET", "/requests", params={"since": len(self._records)})
            self._records.extend(Record.from_json(r) for r in fresh.json())
            return list(self._records)

    def posts(self, *, type_: str | None = None, path: str | None = None) -> list[Record]:
        """Recorded POSTs to inboxes, optionally only one activity type or one path."""
        return [
            r
            for r in self.requests()
            if r.method == "POST"
            and (path is None or r.path == path)
            and (type_ is None or r.activity_type == type_)
        ]

    # -- activities -------------------------------------------------------------------

    def follow(self, index: int, target: str, suffix: str = "follow") -> dict[str, Any]:
        return {
            "@context": AS_CONTEXT,
            "id": f"{self.actor_id(index)}/activities/{suffix}",
            "type": "Follow",
            "actor": self.actor_id(index),
            "object": target,
        }

    def create_note(
        self, index: int, content: str, *, to: Iterable[str] = (PUBLIC,), suffix: str = "note"
    ) -> dict[str, Any]:
        actor = self.actor_id(index)
        note = {
            "id": f"{actor}/statuses/{suffix}",
            "type": "Note",
            "attributedTo": actor,
            "content": content,
            "published": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "to": list(to),
        }
        return {
            "@context": AS_CONTEXT,
            "id": f"{note['id']}/activity",
            "type": "Create",
            "actor": actor,
            "object": note,
            "to": note["to"],
        }

    def sign(self, index: int, url: str, activity: Mapping[str, Any]) -> SignedPost:
        """Sign a POST of `activity` to `url` as actor u{index} (draft-cavage, Digest)."""
        body = json.dumps(activity).encode("utf-8")
        headers = httpsig.sign_request(
            "POST",
            url,
            body,
            self.key_id(index),
            self.private_key,
            datetime.now(UTC),
            {"Content-Type": AP_JSON},
        )
        return SignedPost(url, body, {**headers, "Accept": AP_JSON}, str(activity["id"]))

    def post(self, index: int, url: str, activity: Mapping[str, Any]) -> PostOutcome:
        """Sign and POST one activity."""
        return self.send([self.sign(index, url, activity)])[0]

    def send(
        self,
        requests: Sequence[SignedPost],
        *,
        concurrency: int = 16,
        timeout: float = 15.0,
        on_done: Callable[[PostOutcome], None] | None = None,
    ) -> list[PostOutcome]:
        """POST already signed requests, `concurrency` at a time; errors become outcomes."""
        return asyncio.run(self._send_all(requests, concurrency, timeout, on_done))

    async def _send_all(
        self,
        requests: Sequence[SignedPost],
        concurrency: int,
        timeout: float,
        on_done: Callable[[PostOutcome], None] | None,
    ) -> list[PostOutcome]:
        limit = asyncio.Semaphore(concurrency)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(timeout=timeout, trust_env=False, limits=limits) as client:

            async def one(request: SignedPost) -> PostOutcome:
                outcome = PostOutcome(request)
                async with limit:
                    try:
                        response = await client.post(
                            request.url, content=request.body, headers=dict(request.headers)
                        )
                        outcome.status, outcome.text = response.status_code, response.text
                    except httpx.HTTPError as exc:
                        outcome.error = f"{type(exc).__name__}: {exc}"
                if on_done is not None:
                    on_done(outcome)
                return outcome

            return list(await asyncio.gather(*(one(r) for r in requests)))


if __name__ == "__main__":
    sys.exit(main())
