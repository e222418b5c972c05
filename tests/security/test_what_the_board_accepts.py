"""Section D of the security rules (16-17) and the hostile input an outside attacker tries next.

Every response is checked: a 4xx with a reason where a refusal is due, never a 500 (the autouse
`no_server_errors` fixture also fails a test whose request made the board log one), and nothing
stored.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from federation import httpsig
from tests.noticeboard.boards import RunningBoard, csrf_token
from tests.security.helpers import (
    AP_JSON,
    activity,
    assert_nothing_stored,
    body_of,
    cavage_post,
    create,
    note,
    processed,
    raw_http,
    refused,
    send,
    signed_post,
)
from tests.support.fediverse import Fediverse, RemoteActor
from tests.support.fediverse import client as remote_client

MIB = 1_048_576


@pytest.fixture
def alice(fediverse: Fediverse) -> RemoteActor:
    return fediverse.actor("alice")


def follow_of(board: RunningBoard, actor: RemoteActor, suffix: str = "follow-1") -> dict:
    return actor.follow(board.actor_id, suffix)


def no_5xx(*responses: httpx.Response | int) -> None:
    for response in responses:
        status = response if isinstance(response, int) else response.status_code
        assert status < 500, response if isinstance(response, int) else response.text[:300]


# --- rule 16: what the inbox parses ------------------------------------------------------


def test_rule_16__body_over_one_mebibyte_with_content_length_is_413_without_reading_it(
    served_board: RunningBoard,
) -> None:
    board = served_board  # raw bytes over TCP
    # Only the headers and a few bytes are sent: the answer must come without the rest.
    head = (
        f"POST /users/nordstadt/inbox HTTP/1.1\r\nHost: {board.authority}\r\n"
        f"Content-Type: {AP_JSON}\r\nContent-Length: {2 * MIB}\r\nConnection: close\r\n\r\n"
    )
    answer = raw_http(board.port, head.encode() + b'{"id": "x"', timeout=5)

    assert answer.status == 413, answer.head
    assert b"larger than" in answer.body
    assert_nothing_stored(board)


def test_rule_16__chunked_body_over_one_mebibyte_is_413(served_board: RunningBoard) -> None:
    board = served_board  # the body streams in over TCP

    def chunks() -> Iterator[bytes]:
        yield b'{"id": "https://x.example/1", "type": "Note", "content": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    with httpx.Client(timeout=15, trust_env=False) as client:
        response = client.post(board.inbox, content=chunks(), headers={"Content-Type": AP_JSON})

    refused(response, 413, "larger than")
    assert_nothing_stored(board)


def test_rule_16__body_of_exactly_one_mebibyte_is_read(
    board: RunningBoard, alice: RemoteActor
) -> None:
    follow = follow_of(board, alice)
    body = body_of(follow)
    body = body[:-1] + b', "padding": "' + b"x" * (MIB - len(body) - 15) + b'"}'
    assert len(body) == MIB

    response = alice.post(board.inbox, body, now=board.clock.now)

    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 1000 + b"]" * 1000, "nesting depth"),
        (b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}", "nesting depth"),
        (b'{"a": ' + b'{"b": ' * 999 + b"1" + b"}" * 999 + b"}", "nesting depth"),
        (b'[{"id": "x", "type": "Follow"}]', "must be an object"),
        (b'"a string"', "must be an object"),
        (b"42", "must be an object"),
        (b"null", "must be an object"),
        (b"true", "must be an object"),
        (b'{"id": "\xff\xfe"}', "not valid utf-8"),
        (b'{"id": "\xed\xa0\x80"}', "not valid utf-8"),  # a surrogate encoded as UTF-8
        (b'{"id": "\\ud800", "type": "Follow", "actor": "x"}', "lone surrogate"),
        (b'{"type": "Follow", "\\udfff": 1}', "lone surrogate"),
        (b'{"id": NaN}', "invalid json"),
        (b'{"id": Infinity}', "invalid json"),
        (b"\xef\xbb\xbf{}", "byte order mark"),
        (b"", "invalid json"),
        (b'{"id": "x",}', "invalid json"),
    ],
    ids=[
        "1000-deep-array",
        "1000-deep-in-object",
        "1000-deep-objects",
        "array",
        "string",
        "number",
        "null",
        "boolean",
        "invalid-utf8",
        "utf8-surrogate",
        "lone-surrogate-value",
        "lone-surrogate-key",
        "nan",
        "infinity",
        "bom",
        "empty",
        "trailing-comma",
    ],
)
def test_rule_16__body_that_is_not_a_sane_json_object_is_400(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, body: bytes, reason: str
) -> None:
    board = shared_board
    response = alice.post(board.inbox, body, now=board.clock.now)

    refused(response, 400, reason)
    assert_nothing_stored(board)
    assert fediverse.all_requests() == []


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/activity+jsonx",
        "application/xml",
        "",
    ],
)
def test_rule_16__wrong_content_type_is_415(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, content_type: str
) -> None:
    board = shared_board
    response = alice.post(
        board.inbox, follow_of(board, alice), now=board.clock.now, content_type=content_type
    )

    refused(response, 415, "content-type")
    assert_nothing_stored(board)
    assert fediverse.all_requests() == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json; charset=utf-8",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/json",
        "Application/Activity+JSON",
    ],
)
def test_rule_16__accepted_content_types(
    board: RunningBoard, alice: RemoteActor, content_type: str
) -> None:
    follow = follow_of(board, alice)
    response = alice.post(board.inbox, follow, now=board.clock.now, content_type=content_type)

    assert response.status_code == 202, response.text


@pytest.mark.parametrize("field", ["to", "cc", "bto", "bcc", "audience", "tag"])
def test_rule_16__more_than_1000_entries_in_an_addressing_list_is_400(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, field: str
) -> None:
    board = shared_board
    follow = follow_of(board, alice)
    follow[field] = [f"https://x.example/users/{n}" for n in range(1001)]

    response = alice.post(board.inbox, follow, now=board.clock.now)

    refused(response, 400, "too many entries", field)
    assert_nothing_stored(board)
    assert fediverse.all_requests() == []


def test_rule_16__1000_entries_in_to_are_accepted(board: RunningBoard, alice: RemoteActor) -> None:
    follow = follow_of(board, alice)
    follow["to"] = [f"https://x.example/users/{n}" for n in range(1000)]

    assert alice.post(board.inbox, follow, now=board.clock.now).status_code == 202


@pytest.mark.parametrize("field", ["to", "cc", "tag"])
def test_rule_16__more_than_1000_entries_in_the_embedded_objects_lists_is_400(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, field: str
) -> None:
    obj = note(fediverse.remote, "/notes/1", alice.id, "<p>x</p>")
    obj[field] = [{"type": "Mention", "href": f"https://x.example/u/{n}"} for n in range(1001)]
    sent = create(alice, obj, "c1", board)

    response = alice.post(board.inbox, sent, now=board.clock.now)

    refused(response, 400, "too many entries", field)
    assert_nothing_stored(board)


# --- rule 17: unknown types and missing ids -----------------------------------------------


@pytest.mark.parametrize("type_", ["Ping", "EmojiReact", "Move", "Flag", "Add", "Block"])
def test_rule_17__unknown_or_unhandled_activity_type_is_202_and_ignored(
    board: RunningBoard, alice: RemoteActor, type_: str
) -> None:
    sent = activity(alice, type_, board.actor_id, "odd-1")

    response = alice.post(board.inbox, sent, now=board.clock.now)

    assert response.status_code == 202, response.text
    board.drain()
    assert processed(board, sent["id"]), "processing"
    assert board.value("SELECT state FROM inbox_activities WHERE id = ?", sent["id"]) == "done"
    assert board.followers() == []
    assert board.rows("SELECT * FROM remote_posts") == []
    assert board.rows("SELECT * FROM deliveries") == []


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "Hologram", "content": "x"},
        {"type": ["Weird", "Stranger"], "content": "x"},
        {"type": "Person"},
        {"content": "no type at all"},
    ],
    ids=["unknown", "type-list", "actor-type", "no-type"],
)
def test_rule_17__create_of_an_unknown_object_type_is_202_and_ignored(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, obj: dict
) -> None:
    embedded = {"id": fediverse.remote.url("/things/1"), "attributedTo": alice.id, **obj}
    sent = create(alice, embedded, "c1", board)

    response = alice.post(board.inbox, sent, now=board.clock.now)

    assert response.status_code == 202, response.text
    board.drain()
    assert processed(board, sent["id"]), "processing"
    assert board.value("SELECT state FROM inbox_activities WHERE id = ?", sent["id"]) == "done"
    assert board.rows("SELECT * FROM remote_posts") == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": None}, "no id"),
        ({"id": ""}, "no id"),
        ({"id": 42}, "no id"),
        ({"id": {"id": "https://x.example/1"}}, "no id"),
        ({"id": ["https://x.example/1"]}, "no id"),
        ({"type": None}, "no type"),
        ({"type": 7}, "no type"),
        ({"type": []}, "no type"),
        ({"actor": None}, "no actor"),
        ({"actor": 3}, "no actor"),
        ({"actor": []}, "no actor"),
    ],
    ids=[
        "no-id",
        "empty-id",
        "number-id",
        "object-id",
        "list-id",
        "no-type",
        "number-type",
        "empty-type-list",
        "no-actor",
        "number-actor",
        "empty-actor-list",
    ],
)
def test_rule_17__activity_without_usable_id_type_or_actor_is_400(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, change: dict, reason: str
) -> None:
    board = shared_board
    sent = follow_of(board, alice)
    for key, value in change.items():
        if value is None:
            del sent[key]
        else:
            sent[key] = value

    response = alice.post(board.inbox, sent, now=board.clock.now)

    refused(response, 400, reason)
    assert_nothing_stored(board)
    assert fediverse.all_requests() == []


# --- hostile input: signatures and headers --------------------------------------------------


GARBAGE_SIGNATURES = {
    "empty": b"",
    "100-kb": b'keyId="' + b"k" * 100_000 + b'",signature="AAAA"',
    "unbalanced-quote": b'keyId="https://x.example/key,algorithm="rsa-sha256,signature="AAAA',
    "non-ascii": 'keyId="https://bücher.example/ü#k",signature="ÄÖÜ"'.encode(),
    "latin1-bytes": b'keyId="\xff\xfe",signature="\xff"',
    "no-key-id": b'algorithm="rsa-sha256",headers="date",signature="AAAA"',
    "no-signature": b'keyId="https://x.example/k"',
    "bad-base64": b'keyId="https://x.example/k",signature="!!!not base64!!!"',
    "repeated-param": b'keyId="https://x.example/a",keyId="https://x.example/b",signature="AA=="',
    "only-commas": b",,,,,,",
    "equals-soup": b"===,=,==",
    "unknown-pseudo-header": b'keyId="https://x.example/k",headers="(evil)",signature="AA=="',
    "created-overflow": b'keyId="https://x.example/k",algorithm="hs2019",created="1e400",'
    b'headers="(created)",signature="AA=="',
    "created-huge-int": b'keyId="https://x.example/k",algorithm="hs2019",'
    b'created="99999999999999999999999",headers="(created)",signature="AA=="',
    "created-nan": b'keyId="https://x.example/k",created="nan",signature="AA=="',
}


@pytest.mark.parametrize("case", list(GARBAGE_SIGNATURES))
def test_hostile__garbage_signature_header_is_refused_without_a_fetch(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, case: str
) -> None:
    board = shared_board
    body = body_of(follow_of(board, alice))
    headers = [
        (b"Content-Type", AP_JSON.encode()),
        (b"Date", httpsig.http_date(board.clock.now).encode()),
        (b"Digest", httpsig.digest_header(body).encode()),
        (b"Signature", GARBAGE_SIGNATURES[case]),
    ]

    response = send(board.inbox, body, headers)

    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.text.strip(), "a refusal names its reason"
    assert_nothing_stored(board)
    assert fediverse.all_requests() == []


@pytest.mark.parametrize(
    "value",
    [b"", b"Signature", b"Signature ,", b"Signature keyId", b"Bearer abc", b"Signature \xff\xfe"],
)
def test_hostile__garbage_authorization_signature_is_refused(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, value: bytes
) -> None:
    board = shared_board
    body = body_of(follow_of(board, alice))
    response = send(
        board.inbox, body, [(b"Content-Type", AP_JSON.encode()), (b"Authorization", value)]
    )

    refused(response, 401)
    assert_nothing_stored(board)
    assert fediverse.all_requests() == []


@pytest.mark.parametrize("second", ["garbage", "same"])
def test_hostile__duplicate_signature_headers_are_refused(
    shared_board: RunningBoard, fediverse: Fediverse, alice: RemoteActor, second: str
) -> None:
    board = shared_board
    body = body_of(follow_of(board, alice))
    headers = alice.sign(board.inbox, body, board.clock.now)
    pairs = list(headers.items())
    extra = (
        headers["Signature"] if second == "same" else 'keyId="https://x.example/k",signature="AA=="'
    )
    pairs.append(("Signature", extra))

    response = send(board.inbox, body, pairs)

    refused(response, 401)
    assert_nothing_stored(board)


@pytest.mark.parametrize(
    "date",
    [
        "yesterday",
        "",
        "2026-03-02T09:00:00Z",
        "Mon, 02 Mar 99999 09:00:00 GMT",
        "Mon, 32 Mar 2026 09:00:00 GMT",
        "Mon, 02 Mar 2026 25:61:61 GMT",
        "1772442000",
    ],
)
def test_hostile__signed_date_in_a_wrong_format_is_refused(
    shared_board: RunningBoard, alice: RemoteActor, date: str
) -> None:
    board = shared_board
    response = signed_post(board, alice, follow_of(board, alice), date=date)

    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "date" in response.text.lower()
    assert_nothing_stored(board)


def test_hostile__content_length_shorter_than_the_body(shared_board: RunningBoard) -> None:
    board = shared_board
    body = b'{"id": "https://x.example/1", "type": "Follow", "actor": "https://x.example/a"}'
    request = (
        f"POST /inbox HTTP/1.1\r\nHost: {board.authority}\r\nContent-Type: {AP_JSON}\r\n"
        f"Content-Length: 10\r\nConnection: close\r\n\r\n"
    ).encode() + body

    answer = raw_http(board.port, request)

    assert answer.status == 400, answer.head
    assert_nothing_stored(board)


@pytest.mark.parametrize(
    "length", ["abc", "-1", "+5", "1e3", "0x10", "5, 6", "99999999999999999999999999"]
)
def test_hostile__content_length_that_is_not_a_number(
    shared_board: RunningBoard, length: str
) -> None:
    board = shared_board
    body = b'{"id": "https://x.example/1"}'
    request = (
        f"POST /inbox HTTP/1.1\r\nHost: {board.authority}\r\nContent-Type: {AP_JSON}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode() + body

    answer = raw_http(board.port, request)

    assert 400 <= answer.status < 500, answer.head
    assert_nothing_stored(board)


def test_hostile__content_length_longer_than_the_body(served_board: RunningBoard) -> None:
    board = served_board  # raw bytes over TCP
    import socket
    from contextlib import closing

    body = b'{"id": "https://x.example/1", "type": "Follow", "actor": "https://x.example/a"}'
    head = (
        f"POST /inbox HTTP/1.1\r\nHost: {board.authority}\r\nContent-Type: {AP_JSON}\r\n"
        f"Content-Length: {len(body) + 500}\r\n\r\n"
    ).encode()
    with closing(socket.create_connection(("127.0.0.1", board.port), timeout=5)) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)  # the promised bytes never come
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except (TimeoutError, ConnectionResetError):
            pass

    assert not reply.startswith(b"HTTP/1.1 5"), reply[:200]
    assert_nothing_stored(board)
    assert board.get("/healthz").status_code == 200


def test_hostile__content_length_together_with_chunked_encoding(shared_board: RunningBoard) -> None:
    board = shared_board
    request = (
        f"POST /inbox HTTP/1.1\r\nHost: {board.authority}\r\nContent-Type: {AP_JSON}\r\n"
        "Content-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        '5\r\n{"a":\r\n0\r\n\r\n'
    ).encode()

    answer = raw_http(board.port, request)

    assert 400 <= answer.status < 500, answer.head
    assert_nothing_stored(board)


# --- hostile input: routes --------------------------------------------------------------------


def test_hostile__inbox_of_an_unknown_user_is_404(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    for user in ("unknown", "nordstadt2", "%2e%2e", "NORDSTADT%00", "nordstadt%2finbox"):
        url = board.url(f"/users/{user}/inbox")
        response = alice.post(url, follow_of(board, alice), now=board.clock.now)
        assert response.status_code == 404, (user, response.status_code, response.text)
        assert response.text.strip()
    assert_nothing_stored(board)
    assert fediverse.all_requests() == []


@pytest.mark.parametrize("path", ["/users/nordstadt/inbox", "/inbox", "/actor/inbox"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_hostile__other_methods_on_an_inbox_are_405_with_a_reason(
    shared_board: RunningBoard, path: str, method: str
) -> None:
    board = shared_board
    response = board.client.request(method, path, headers={"Accept-Language": "en"})

    assert response.status_code == 405, response.text
    assert "not allowed" in response.text


def test_hostile__405_on_an_inbox_names_the_allowed_method(shared_board: RunningBoard) -> None:
    board = shared_board
    # RFC 9110 section 15.5.6: a 405 response MUST carry an Allow header.
    response = board.client.get("/users/nordstadt/inbox")

    assert response.status_code == 405
    assert response.headers.get("allow") == "POST"


def test_hostile__query_strings_on_the_inbox_url(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    signed_url = board.inbox + "?page=1&x=%00"
    follow = follow_of(board, alice)
    accepted = alice.post(signed_url, follow, now=board.clock.now)
    assert accepted.status_code == 202, accepted.text

    odd = ["?%ff%fe", "?a[]=1&a[]=2", "?" + "x" * 4000, "?;;;", "?=&=&="]
    for query in odd:
        response = alice.post(
            board.inbox + query, follow_of(board, alice, f"f{len(query)}"), now=board.clock.now
        )
        assert response.status_code in (202, 401), (query[:20], response.status_code)

    with remote_client() as client:
        unsigned = client.post(
            board.inbox + "?x=1",
            content=body_of(follow_of(board, alice, "unsigned")),
            headers={"Content-Type": AP_JSON},
        )
    refused(unsigned, 401, "not signed")


def test_hostile__signature_for_one_query_does_not_cover_another(
    board: RunningBoard, alice: RemoteActor
) -> None:
    follow = follow_of(board, alice)
    body = body_of(follow)
    headers = alice.sign(board.inbox + "?a=1", body, board.clock.now)

    response = send(board.inbox + "?a=2", body, headers)

    refused(response, 401, "signature")
    assert_nothing_stored(board)


def test_hostile__duplicate_json_keys_are_read_consistently(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    bob = fediverse.actor("bob")
    follow_id = alice.activity_id("dup")
    # The first "actor" names bob, the last alice; alice signs. Whatever the board reads must
    # be the same when verifying and when processing: never a follower bob.
    body = (
        f'{{"id": "{follow_id}", "type": "Follow", "actor": "{bob.id}", '
        f'"object": "{board.actor_id}", "actor": "{alice.id}"}}'
    ).encode()

    response = alice.post(board.inbox, body, now=board.clock.now)

    assert response.status_code in (202, 400), response.text
    if response.status_code == 202:
        board.drain()
        assert processed(board, follow_id), "processing"
        assert [f["actor_id"] for f in board.followers()] == [alice.id]
    forged = bob.post(board.inbox, body, now=board.clock.now)
    assert forged.status_code in (400, 401), forged.text
    assert bob.id not in {f["actor_id"] for f in board.followers()}


PUBLIC_PAGES = [
    "/",
    "/about",
    "/notices/1",
    "/users/nordstadt",
    "/users/nordstadt/outbox",
    "/users/nordstadt/followers",
    "/actor",
    "/.well-known/webfinger",
    "/.well-known/nodeinfo",
    "/nodeinfo/2.1",
    "/static/style.css",
    "/healthz",
    "/login",
    "/staff",
]


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"])
def test_hostile__unusual_methods_on_public_pages_are_never_500(
    shared_board: RunningBoard, method: str
) -> None:
    board = shared_board
    for path in PUBLIC_PAGES:
        response = board.client.request(method, path)
        no_5xx(response)
        if method == "HEAD":
            assert response.content == b"", path


TRAVERSALS = [
    "/static/../pyproject.toml",
    "/static/%2e%2e/pyproject.toml",
    "/static/%2E%2E/%2E%2E/etc/passwd",
    "/static/..%2fpyproject.toml",
    "/static/%2e%2e%2fpyproject.toml",
    "/static/....//pyproject.toml",
    "/static/..\\pyproject.toml",
    "/static/%5c..%5cpyproject.toml",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/%00",
    "/static/style.css%00.txt",
    "/static/../../../../../../etc/passwd",
    "/static/%c0%ae%c0%ae/pyproject.toml",
    "/static/.",
    "/static/",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_hostile__path_traversal_on_static_serves_nothing_outside(
    shared_board: RunningBoard, path: str
) -> None:
    board = shared_board
    request = f"GET {path} HTTP/1.1\r\nHost: {board.authority}\r\nConnection: close\r\n\r\n"

    answer = raw_http(board.port, request.encode())

    assert answer.status in (400, 404, 405), (path, answer.head)
    assert b"[project]" not in answer.body
    assert b"root:" not in answer.body


def test_hostile__huge_and_odd_before_cursors(shared_board: RunningBoard) -> None:
    board = shared_board
    values = ["9" * 8000, "%00", "' OR 1=1 --", "\U0010ffff", "2026-03-02T09:00:00.000000Z" * 50]
    for value in values:
        for path in ("/", "/users/nordstadt/outbox", "/users/nordstadt/followers"):
            params = {"before": value} if path == "/" else {"page": "true", "before": value}
            response = board.client.get(path, params=params)
            no_5xx(response)
            if path == "/":
                assert response.status_code == 400, (value[:20], response.status_code)


NOT_NOTICES = [
    "abc",
    "-1",
    "1.5",
    "0x10",
    "%31",
    "0",
    "99999999999999999999",
    "9223372036854775808",
    "1" * 400,
]


@pytest.mark.parametrize("accept", ["text/html", AP_JSON])
def test_hostile__notice_ids_that_are_not_notices_are_404(
    shared_board: RunningBoard, accept: str
) -> None:
    board = shared_board
    answers = {}
    for notice_id in NOT_NOTICES:
        for suffix in ("", "/activity", "/replies"):
            path = f"/notices/{notice_id}{suffix}"
            headers = {"Accept": accept, "Connection": "close"}
            answers[path[:40]] = board.client.get(path, headers=headers).status_code

    assert {path: status for path, status in answers.items() if status != 404} == {}


def test_hostile__overlong_webfinger_resources_are_400(shared_board: RunningBoard) -> None:
    board = shared_board
    resources = [
        "acct:nordstadt@" + "a" * 300 + ".example",
        "acct:nordstadt@" + ".".join(["a" * 64] * 3),
        "acct:" + "x" * 6000,
        "acct:" + "n" * 6000 + "@" + board.authority,
    ]
    for resource in resources:
        response = board.client.get("/.well-known/webfinger", params={"resource": resource})
        assert response.status_code in (400, 404), (resource[:30], response.status_code)
        assert response.text


def test_hostile__odd_acct_spellings_never_answer_for_another_host(
    shared_board: RunningBoard,
) -> None:
    board = shared_board
    host = board.authority
    name, port = host.rsplit(":", 1)
    expectations = {
        f"acct:nordstadt@{host}": 200,
        f"acct:NordStadt@{host}": 200,
        f"acct:nordstadt@{name}.:{port}": 200,
        f"acct:nordstadt@{host}@evil.example": 404,
        "acct:nordstadt@evil.example": 404,
        f"acct:nordstadt@{name}": 404,
        f"acct:nordstadt@{name}:1": 404,
        f"acct:evil@{host}": 404,
        f"acct:nordstadt%00@{host}": 404,
        f"acct:nordstadt@{host}/../evil": 400,
        f"acct:nordstadt@{host}?x": 400,
        f"acct:nordstadt@{host}#x": 400,
        "acct:nordstadt@127.0.0.1:99999": 400,
        "acct:nordstadt@[::1": 400,
        "acct:nordstadt@xn--": 400,
        "acct:nordstadt@": 400,
        f"acct:@{host}": 400,
        "acct:nordstadt": 400,
        "acct:": 400,
        f"acct:nordstadt@user@{host}\\evil": 400,
        f"acct:nordstadt@{host} ": 200,
        f"acct:nordstadt@{host}\r\n": 200,
        "acct:nordstadt@bücher.example": 404,
        f"https://{host}/users/nordstadt": 404,
        f"http://{host}/users/nordstadt?x": 400,
    }
    seen = {}
    for resource in expectations:
        response = board.client.get("/.well-known/webfinger", params={"resource": resource})
        seen[resource] = response.status_code
        no_5xx(response)
        if response.status_code == 200:
            assert response.json()["subject"] == f"acct:nordstadt@{host}"
            assert response.json()["links"][0]["href"] == board.actor_id
    mismatched = {r: (s, expectations[r]) for r, s in seen.items() if s != expectations[r]}
    # The only contract that matters for safety: no other host is answered for, and no 5xx.
    assert all(status != 200 for status, expected in mismatched.values() if expected != 200), (
        mismatched
    )
    assert all(s < 500 for s in seen.values())


def test_hostile__webfinger_without_or_with_repeated_resource(shared_board: RunningBoard) -> None:
    board = shared_board
    refused(board.client.get("/.well-known/webfinger"), 400, "resource")
    refused(board.client.get("/.well-known/webfinger?resource="), 400, "resource")
    repeated = board.client.get(
        f"/.well-known/webfinger?resource=acct:evil@x.example&resource=acct:nordstadt@{board.authority}"
    )
    no_5xx(repeated)


def test_hostile__a_burst_of_hostile_inbox_posts_stores_nothing(
    board: RunningBoard, fediverse: Fediverse, alice: RemoteActor
) -> None:
    body = body_of(follow_of(board, alice))
    good = cavage_post(board.inbox, body, alice.key_id, alice.private_key, board.clock.now)
    variants = [
        {**good, "Signature": good["Signature"].replace('keyId="', 'keyId="x')},
        {**good, "Signature": good["Signature"][:-5] + '"'},
        {**good, "Digest": good["Digest"].lower()},
        {**good, "Digest": "SHA-256=" + "A" * 44},
        {**good, "Digest": "sha-256=" + good["Digest"].split("=", 1)[1] + ",SHA-512=AAAA"},
        {**good, "Host": ""},
        {**good, "Date": good["Date"] + " extra"},
    ]
    responses = [send(board.inbox, body, headers) for headers in variants]

    for response in responses:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert_nothing_stored(board)


def test_hostile__huge_ids_in_staff_routes_are_404_not_500(board: RunningBoard) -> None:
    owner = board.login()
    token = csrf_token(owner.get("/staff").text)
    huge = "99999999999999999999"
    answers = {}
    for path in (f"/staff/problems/deliveries/{huge}/retry", f"/staff/follows/{huge}/approve"):
        response = owner.post(path, data={"csrf_token": token}, headers={"Connection": "close"})
        answers[path] = response.status_code

    assert all(status < 500 for status in answers.values()), answers
