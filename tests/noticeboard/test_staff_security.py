"""Security rule 21 through the real routes: roles on every staff route, CSRF on every form,
cookie flags, password hashing and the login rate limit."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest
from starlette.routing import Route

from noticeboard.accounts import passwords as auth
from noticeboard.app import ROUTES
from tests.noticeboard.boards import RunningBoard, csrf_token

ALL_ROLES = ("owner", "editor", "moderator")
PASSWORD = "correct horse battery staple"


def staff_routes() -> list[tuple[str, str, tuple[str, ...]]]:
    """(method, path with sample parameters, allowed roles) for every guarded staff route."""
    found = []
    for route in ROUTES:
        assert isinstance(route, Route)
        roles = getattr(route.endpoint, "required_roles", None)
        if roles is None:
            continue
        path = re.sub(r"\{(\w+):(int|rowid)\}", "1", route.path)
        path = re.sub(r"\{(\w+)(:str)?\}", "approve", path)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append((method, path, roles))
    return found


def test_route_table__every_staff_route_is_guarded() -> None:
    unguarded = [
        r.path
        for r in ROUTES
        if isinstance(r, Route)
        and r.path.startswith("/staff")
        and getattr(r.endpoint, "required_roles", None) is None
    ]
    assert unguarded == []
    assert len(staff_routes()) >= 6


def add_staff(board: RunningBoard, username: str, role: str) -> None:
    with closing(sqlite3.connect(board.config.db_path)) as conn:
        conn.execute(
            "INSERT INTO staff (username, password_hash, role, created) VALUES (?, ?, ?, ?)",
            (username, auth.hash_password(PASSWORD), role, datetime.now(UTC).isoformat()),
        )
        conn.commit()


@pytest.mark.parametrize(("method", "path", "roles"), staff_routes())
def test_staff_route__anonymous_is_sent_to_login(board: RunningBoard, method, path, roles) -> None:
    response = board.client.request(method, path, data={"csrf_token": "x"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(("method", "path", "roles"), staff_routes())
def test_staff_route__allows_exactly_its_roles(board: RunningBoard, method, path, roles) -> None:
    for role in ALL_ROLES:
        add_staff(board, f"user_{role}", role)
        client = board.login(board.new_client(), username=f"user_{role}", password=PASSWORD)
        token = csrf_token(client.get("/staff").text)
        response = client.request(method, path, data={"csrf_token": token})
        if role in roles:
            assert response.status_code != 403, (role, method, path)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)


def test_post_forms__without_csrf_token_are_refused(board: RunningBoard) -> None:
    client = board.login()
    for method, path, _ in staff_routes():
        if method != "POST":
            continue
        response = client.post(path, data={"title": "x", "body": "y", "action": "publish"})
        assert response.status_code == 403, path
        assert "expired" in response.text or "abgelaufen" in response.text
    assert board.rows("SELECT id FROM notices") == []


def test_post_forms__with_a_token_of_another_session_are_refused(board: RunningBoard) -> None:
    other_token = csrf_token(board.login().get("/staff/notices/new").text)
    client = board.login(board.new_client())
    response = client.post(
        "/staff/notices/new",
        data={"csrf_token": other_token, "title": "x", "body": "y", "action": "publish"},
    )
    assert response.status_code == 403
    assert board.rows("SELECT id FROM notices") == []


def test_logout_and_login__need_a_csrf_token(board: RunningBoard) -> None:
    client = board.new_client()
    response = client.post("/login", data={"username": "admin", "password": board.admin_password})
    assert response.status_code == 403
    assert "staff_id" not in str(client.cookies)
    signed_in = board.login()
    assert signed_in.post("/logout", data={}).status_code == 403
    assert signed_in.get("/staff").status_code == 200


def test_session_cookie__is_httponly_and_samesite_lax(board: RunningBoard) -> None:
    response = board.new_client().get("/login")
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # this test board runs on http


def test_session_cookie__is_secure_when_the_board_is_on_https(make_board) -> None:
    from noticeboard.app import create_app

    board = make_board(start=False)
    https_config = board.config.__class__(
        **{**board.config.__dict__, "base_url": "https://nordstadt.example"}
    )
    app = create_app(https_config)
    session = next(m for m in app.user_middleware if m.cls.__name__ == "SessionMiddleware")
    assert session.kwargs["https_only"] is True


def test_password__is_stored_as_scrypt_hash(board: RunningBoard) -> None:
    stored = board.value("SELECT password_hash FROM staff WHERE username = 'admin'")
    assert stored.startswith("scrypt$16384$8$1$")
    assert board.admin_password not in stored
    assert auth.verify_password(board.admin_password, stored)
    assert not auth.verify_password(board.admin_password + "x", stored)


def test_login__is_rate_limited_with_retry_after(board: RunningBoard) -> None:
    client = board.new_client()
    statuses = []
    for attempt in range(12):  # a name of its own each time: the limit per address alone
        token = csrf_token(client.get("/login").text)
        response = client.post(
            "/login",
            data={"csrf_token": token, "username": f"user{attempt}", "password": "wrong"},
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]
    assert int(response.headers["retry-after"]) > 0
    token = csrf_token(client.get("/login").text)
    right = client.post(
        "/login",
        data={"csrf_token": token, "username": "admin", "password": board.admin_password},
    )
    assert right.status_code == 429  # even the right password waits


def test_login__redirects_only_to_local_paths(board: RunningBoard) -> None:
    client = board.new_client()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        token = csrf_token(client.get("/login").text)
        response = client.post(
            "/login",
            data={
                "csrf_token": token,
                "username": "admin",
                "password": board.admin_password,
                "next": target,
            },
        )
        assert response.headers["location"] == "/staff", target


def test_forms__without_a_length_or_too_large_are_refused(board: RunningBoard) -> None:
    client = board.new_client()
    token = csrf_token(client.get("/login").text)

    def chunks():
        yield f"csrf_token={token}&username=admin&password=".encode()
        yield board.admin_password.encode()

    chunked = client.post(
        "/login", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert chunked.status_code == 411
    huge = client.post("/login", data={"csrf_token": token, "username": "x" * 70_000})
    assert huge.status_code == 413
    signed_in = client.get("/staff")
    assert signed_in.status_code == 303  # neither request signed anyone in
