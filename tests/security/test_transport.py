"""Section H of the security rules, part three: transport and server limits (rules 35-37).

Strict-Transport-Security over https, the cap on a request's head and the deadline for slow
clients are properties of the real server, so these tests run `aushang serve` as a process and
talk to it over TCP (and TLS); the image policy is a header of every page.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.noticeboard.boards import INSTANCE, RunningBoard
from tests.security.helpers import raw_http
from tests.support.processes import BoardProcess, free_port
from tests.support.tls import make_ca


def served(tmp_path: Path, name: str, **options: object) -> BoardProcess:
    process = BoardProcess(INSTANCE, tmp_path / name, free_port(), **options)  # type: ignore[arg-type]
    process.init()
    process.start()
    return process


def answers(client: httpx.Client) -> list[httpx.Response]:
    """Pages, feeds, documents and errors: every kind of answer the board gives."""
    return [
        client.get("/"),
        client.get("/feed.atom"),
        client.get("/users/nordstadt", headers={"Accept": "application/activity+json"}),
        client.get("/.well-known/nodeinfo"),
        client.get("/no-such-page"),
        client.delete("/"),
        client.get("/healthz"),
    ]


# --- rule 35: Strict-Transport-Security over https, never over http ----------------------------


@pytest.fixture
def tls_board(tmp_path: Path) -> Iterator[BoardProcess]:
    ca = make_ca(tmp_path / "ca")
    cert = ca.issue(tmp_path / "certs")
    env = {"AUSHANG_SERVER_HSTS_MAX_AGE": "600"}
    with served(tmp_path, "tls", tls=cert, ca_bundle=ca.certfile, env_extra=env) as process:
        yield process


def test_rule_35__every_answer_over_https_carries_hsts_with_the_configured_max_age(
    tls_board: BoardProcess,
) -> None:
    context = ssl.create_default_context(cafile=str(tls_board.ca_bundle))
    with httpx.Client(base_url=tls_board.base_url, verify=context) as client:
        got = answers(client)

    assert {r.status_code for r in got} == {200, 404, 405}
    for response in got:
        assert response.headers.get("strict-transport-security") == "max-age=600", response.url


def test_rule_35__behind_a_proxy_https_as_forwarded_gets_hsts_and_http_does_not(
    tmp_path: Path,
) -> None:
    env = {"AUSHANG_BASE_URL": "https://nordstadt.example"}
    with served(tmp_path, "proxied", env_extra=env, serve_args=["--proxy-headers"]) as process:
        with httpx.Client(base_url=process.base_url) as client:
            client.headers["X-Forwarded-Proto"] = "https"
            forwarded = answers(client)
            client.headers["X-Forwarded-Proto"] = "http"
            plain = answers(client)

    for response in forwarded:
        assert response.headers["strict-transport-security"] == "max-age=31536000"
    for response in plain:
        assert "strict-transport-security" not in response.headers


def test_rule_35__plain_http_never_carries_hsts_even_if_a_client_claims_https(
    tmp_path: Path,
) -> None:
    with served(tmp_path, "plain") as process:  # no --proxy-headers: nothing forwarded is trusted
        with httpx.Client(base_url=process.base_url, headers={"X-Forwarded-Proto": "https"}) as c:
            got = answers(c)

    assert {r.status_code for r in got} == {200, 404, 405}
    for response in got:
        assert "strict-transport-security" not in response.headers


# --- rule 36: the request head is capped, slow clients are cut off -----------------------------


@pytest.fixture
def quick_board(tmp_path: Path) -> Iterator[BoardProcess]:
    """A served board that gives a request's head one second."""
    env = {"AUSHANG_SERVER_HEADER_TIMEOUT": "1"}
    with served(tmp_path, "quick", env_extra=env) as process:
        yield process


def request_head(host: str, extra: str = "") -> bytes:
    return f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n".encode()


def test_rule_36__request_head_over_the_limit_is_refused_and_a_normal_one_served(
    quick_board: BoardProcess,
) -> None:
    host = quick_board.authority
    cookie = "Cookie: " + "a" * 8_000 + "\r\n"
    huge = "".join(f"X-Filler-{n}: {'b' * 1000}\r\n" for n in range(64))  # 64 KiB of headers

    normal = raw_http(quick_board.port, request_head(host, cookie))
    refused = raw_http(quick_board.port, request_head(host, huge))

    assert normal.status == 200 and json.loads(normal.body)["status"] == "ok"
    assert refused.status in (400, 431), refused.head
    assert "connection: close" in refused.head.lower()


def test_rule_36__oversized_head_behind_a_normal_one_on_the_same_connection_is_refused(
    quick_board: BoardProcess,
) -> None:
    keep_alive = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    huge = "".join(f"X-Filler-{n}: {'b' * 1000}\r\n" for n in range(64)).encode()
    oversized = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + huge + b"\r\n"
    with closing(socket.create_connection(("127.0.0.1", quick_board.port), timeout=20)) as sock:
        sock.sendall(keep_alive + oversized)  # both in one packet: pipelined
        answer = read_until_closed(sock)

    first, second = answer.split(b"HTTP/1.1 ")[1:3]
    assert first.startswith(b"200 "), answer[:300]
    assert second.startswith(b"431 "), answer[-300:]


def test_rule_36__head_that_arrives_in_pieces_is_measured_whole(
    quick_board: BoardProcess,
) -> None:
    pieces = [b"GET /healthz HTTP/1.1\r\nHost: x\r\n"]
    pieces += [f"X-Piece-{n}: {'c' * 2000}\r\n".encode() for n in range(12)]  # 24 KiB
    with closing(socket.create_connection(("127.0.0.1", quick_board.port), timeout=20)) as sock:
        try:
            for piece in pieces:
                sock.sendall(piece)
                time.sleep(0.02)
            sock.sendall(b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_until_closed(sock)

    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]


def test_rule_36__second_request_on_a_kept_connection_gets_its_own_deadline(
    quick_board: BoardProcess,
) -> None:
    with closing(socket.create_connection(("127.0.0.1", quick_board.port), timeout=20)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while not first.endswith(b"}"):  # the health report, a JSON object
            first += sock.recv(65536)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # ... and the rest never comes
        started = time.monotonic()
        answer = read_until_closed(sock)
        waited = time.monotonic() - started

    assert first.startswith(b"HTTP/1.1 200 "), first[:200]
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert waited < 4, waited  # one second of header_timeout, not the keep-alive's five


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_rule_36__head_that_never_completes_is_answered_408_and_closed(
    quick_board: BoardProcess,
) -> None:
    with closing(socket.create_connection(("127.0.0.1", quick_board.port), timeout=20)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # ... and the rest never comes
        answer = read_until_closed(sock)

    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def test_rule_36__connection_that_sends_nothing_is_closed(quick_board: BoardProcess) -> None:
    with closing(socket.create_connection(("127.0.0.1", quick_board.port), timeout=20)) as sock:
        answer = read_until_closed(sock)

    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def test_rule_36__head_sent_a_byte_at_a_time_is_cut_off_before_it_ends(
    quick_board: BoardProcess,
) -> None:
    head = request_head("x", "".join(f"X-Slow-{n}: {n}\r\n" for n in range(200)))
    sent = 0
    with closing(socket.create_connection(("127.0.0.1", quick_board.port), timeout=20)) as sock:
        try:
            for byte in head:  # slowloris: every byte well inside any per-read timeout
                sock.sendall(bytes([byte]))
                sent += 1
                time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_until_closed(sock) if sent < len(head) else b""

    assert sent < len(head), "the server waited for the whole slow head"
    assert answer.startswith(b"HTTP/1.1 408 ") or answer == b"", answer[:200]


def test_rule_36__body_that_stops_arriving_is_cut_off_and_the_board_keeps_serving(
    quick_board: BoardProcess,
) -> None:
    head = (
        "POST /submit HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
    )
    with closing(socket.create_connection(("127.0.0.1", quick_board.port), timeout=20)) as sock:
        sock.sendall(head.encode() + b"title=Hallo&body=")  # ... the other 983 bytes never come
        read_until_closed(sock)

    status, body = quick_board.http_get("/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    log = quick_board.log_path.read_text(errors="replace")
    assert "Traceback" not in log and "unhandled error" not in log, quick_board.log_tail()


# --- rule 37: pictures only from the board itself ----------------------------------------------


def test_rule_37__csp_allows_pictures_only_from_the_board(board: RunningBoard) -> None:
    for path in ("/", "/about", "/no-such-page", "/feed.atom"):
        policy = board.get(path).headers["content-security-policy"]
        [images] = [d.strip() for d in policy.split(";") if d.strip().startswith("img-src")]
        assert images == "img-src 'self'", (path, policy)


def img_sources(html: str) -> list[str]:
    return re.findall(r'<img[^>]+src="([^"]+)"', html)


@pytest.mark.parametrize(
    ("icon", "shown"),
    [
        ("https://cdn.example/logo.png", None),
        ("//cdn.example/logo.png", None),
        ("/static/favicon.svg", "/static/favicon.svg"),
        ("{base}/static/favicon.svg", "/static/favicon.svg"),
    ],
)
def test_rule_37__board_icon_is_shown_only_from_the_board_itself(
    make_board, icon: str, shown: str | None
) -> None:
    board = make_board(start=False)
    board.config = replace(board.config, icon=icon.format(base=board.base_url))
    board.start()

    for path in ("/", "/about"):
        sources = img_sources(board.get(path).text)
        assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
        assert (shown in sources) if shown else sources == [], sources
    actor = board.get_json("/users/nordstadt")
    assert actor["icon"]["url"].startswith(("https://", "http://"))
