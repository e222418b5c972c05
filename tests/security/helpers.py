"""Helpers for attacking a running board through its real HTTP routes (security rules)."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.responses import Response

from federation import httpsig
from tests.noticeboard.boards import RunningBoard
from tests.support.fediverse import AS_CONTEXT, FakeServer, Fediverse, Recorded, RemoteActor
from tests.support.fediverse import client as remote_client

AP_JSON = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CAVAGE_HEADERS = ("(request-target)", "host", "date", "digest")
STORED_TABLES = ("inbox_activities", "followers", "following", "remote_posts", "deliveries")


# --------------------------------------------------------------------------- signing


def cavage_post(
    url: str,
    body: bytes,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    now: datetime,
    *,
    covered: Sequence[str] = CAVAGE_HEADERS,
    algorithm: str | None = "rsa-sha256",
    host: str | None = None,
    date: str | None = None,
    digest: str | None = None,
    target: str | None = None,
    content_type: str = AP_JSON,
) -> dict[str, str]:
    """Sign a POST draft-cavage style over exactly `covered`, with any header values we like.

    Unlike httpsig.sign_request (which always signs the safe set) this lets a test leave out a
    component, sign a foreign Host, an odd Date, a wrong Digest or an unsupported algorithm.
    """
    parts = urlsplit(url)
    headers = {
        "Host": host if host is not None else parts.netloc,
        "Date": date if date is not None else httpsig.http_date(now),
        "Digest": digest if digest is not None else httpsig.digest_header(body),
        "Content-Type": content_type,
    }
    request_target = target or (parts.path + (f"?{parts.query}" if parts.query else ""))
    values = {
        "(request-target)": f"post {request_target}",
        "host": headers["Host"],
        "date": headers["Date"],
        "digest": headers["Digest"],
        "content-type": content_type,
    }
    base = "\n".join(f"{name}: {values[name]}" for name in covered).encode("utf-8")
    signature = base64.b64encode(private_key.sign(base, padding.PKCS1v15(), hashes.SHA256()))
    params = [f'keyId="{key_id}"']
    if algorithm is not None:
        params.append(f'algorithm="{algorithm}"')
    params.append(f'headers="{" ".join(covered)}"')
    params.append(f'signature="{signature.decode("ascii")}"')
    headers["Signature"] = ",".join(params)
    return headers


def body_of(activity: Any) -> bytes:
    return activity if isinstance(activity, bytes) else json.dumps(activity).encode("utf-8")


def send(url: str, body: bytes, headers: Mapping[str, str] | Iterable[tuple[str, str]]):
    """POST exactly these bytes and headers (a list of pairs keeps duplicate headers)."""
    with remote_client(timeout=15) as client:
        return client.post(url, content=body, headers=headers)


def signed_post(
    board: RunningBoard, actor: RemoteActor, activity: Any, *, url: str | None = None, **options
) -> httpx.Response:
    """POST an activity signed the custom way (see cavage_post) as `actor`."""
    url = url or board.inbox
    body = body_of(activity)
    key_id = options.pop("key_id", actor.key_id)
    private_key = options.pop("private_key", actor.private_key)
    now = options.pop("now", board.clock.now)
    headers = cavage_post(url, body, key_id, private_key, now, **options)
    return send(url, body, headers)


# --------------------------------------------------------------------------- activities


def activity(actor: RemoteActor, type_: str, obj: Any, suffix: str, **extra: Any) -> dict:
    return {
        "@context": AS_CONTEXT,
        "id": actor.activity_id(suffix),
        "type": type_,
        "actor": actor.id,
        "object": obj,
        **extra,
    }


def note(server: FakeServer, path: str, author: str, content: str, **extra: Any) -> dict:
    return {
        "id": server.url(path),
        "type": "Note",
        "attributedTo": author,
        "content": content,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        **extra,
    }


def create(actor: RemoteActor, obj: Any, suffix: str, board: RunningBoard) -> dict:
    """A public Create mentioning the board, so the board keeps it even without following
    (a direct message to the board would not be kept: the board is public)."""
    return activity(actor, "Create", obj, suffix, to=[PUBLIC], cc=[board.actor_id])


# --------------------------------------------------------------------------- assertions


def refused(response: httpx.Response, status: int, *reason: str) -> None:
    """The answer is `status` (a 4xx) and its text names every fragment of the reason."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert 400 <= status < 500
    for fragment in reason:
        assert fragment.lower() in response.text.lower(), (fragment, response.text[:500])


def stored(board: RunningBoard) -> dict[str, int]:
    return {t: int(board.value(f"SELECT count(*) FROM {t}")) for t in STORED_TABLES}


def assert_nothing_stored(board: RunningBoard) -> None:
    counts = stored(board)
    assert counts == dict.fromkeys(STORED_TABLES, 0), counts


def no_requests(fediverse: Fediverse) -> None:
    made = [(r.method, r.target) for r in fediverse.all_requests()]
    assert made == [], made


def gets(fediverse: Fediverse) -> list[Recorded]:
    return [r for r in fediverse.all_requests() if r.method == "GET"]


def processed(board: RunningBoard, activity_id: str) -> bool:
    return board.value("SELECT state FROM inbox_activities WHERE id = ?", activity_id) in (
        "done",
        "failed",
    )


def actor_document(actor: RemoteActor) -> dict:
    return json.loads(json.dumps(actor.document))


# --------------------------------------------------------------------------- scripted servers


Script = Callable[[Recorded], Response | None]


@contextmanager
def scripted(monkeypatch: pytest.MonkeyPatch, server: FakeServer, script: Script) -> Iterator[None]:
    """Let `script` answer a fake server's requests first (redirects, odd types, bodies)."""
    original = server._respond

    def respond(record: Recorded) -> Response:
        answer = script(record)
        return answer if answer is not None else original(record)

    monkeypatch.setattr(server, "_respond", respond)
    yield


def redirect(location: str, status: int = 302) -> Response:
    return Response(status_code=status, headers={"Location": location})


# --------------------------------------------------------------------------- raw HTTP


@dataclass
class RawResponse:
    status: int
    head: str
    body: bytes


def raw_http(port: int, request: bytes, *, timeout: float = 10.0) -> RawResponse:
    """Send bytes as they are (no client normalises the path or headers) and read the answer."""
    with closing(socket.create_connection(("127.0.0.1", port), timeout=timeout)) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                data = b"".join(chunks)
                if b"\r\n\r\n" in data and _complete(data):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    status = int(status_line.split()[1]) if status_line.startswith("HTTP/") else 0
    return RawResponse(status, head.decode("latin-1"), body)


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False
