"""Staff pages through the real app: sign in and out, CSRF, compose, preview, publish."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.noticeboard.boards import RunningBoard, csrf_token
from tests.support.fediverse import Fediverse, RemoteActor


def login_form(board: RunningBoard, client: httpx.Client, **fields: str) -> httpx.Response:
    page = client.get("/login")
    data = {"csrf_token": csrf_token(page.text), "username": "admin", "password": "", "next": ""}
    data.update(fields)
    return client.post("/login", data=data, params={"lang": "en"})


def signed_in(client: httpx.Client) -> bool:
    return client.get("/staff").status_code == 200


def flash(html: str) -> str | None:
    match = re.search(r'<p class="flash" role="status">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else None


# --- signing in -------------------------------------------------------------------------------


def test_login__right_password_signs_in_and_redirects_to_staff(board: RunningBoard) -> None:
    client = board.new_client()

    response = login_form(board, client, password=board.admin_password, next="/staff")

    assert response.status_code == 303
    assert response.headers["location"] == "/staff"
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert signed_in(client)


def test_login__wrong_password_is_400_and_not_signed_in(board: RunningBoard) -> None:
    client = board.new_client()

    response = login_form(board, client, password="wrong-password")

    assert response.status_code == 400
    assert "Wrong user name or password." in response.text
    assert 'value="admin"' in response.text  # the name is kept, the password is not
    assert "wrong-password" not in response.text
    assert not signed_in(client)


def test_login__unknown_user_is_400(board: RunningBoard) -> None:
    client = board.new_client()

    response = login_form(board, client, username="mallory", password=board.admin_password)

    assert response.status_code == 400
    assert not signed_in(client)


def test_login__form_without_csrf_is_403(board: RunningBoard) -> None:
    client = board.new_client()
    client.get("/login")

    response = client.post("/login", data={"username": "admin", "password": board.admin_password})

    assert response.status_code == 403
    assert not signed_in(client)


def test_login__csrf_token_of_another_session_is_403(board: RunningBoard) -> None:
    other = board.new_client()
    token = csrf_token(other.get("/login").text)
    client = board.new_client()
    client.get("/login")

    response = client.post(
        "/login",
        data={"csrf_token": token, "username": "admin", "password": board.admin_password},
    )

    assert response.status_code == 403
    assert not signed_in(client)


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_login__next_never_leaves_the_board(board: RunningBoard, target: str) -> None:
    client = board.new_client()

    response = login_form(board, client, password=board.admin_password, next=target)

    assert response.status_code == 303
    assert response.headers["location"] == "/staff"


def test_login__is_rate_limited_per_address(board: RunningBoard) -> None:
    client = board.new_client()
    statuses = [  # a name of its own each time: the limit per address alone
        login_form(board, client, username=f"user{n}", password="nope").status_code
        for n in range(11)
    ]

    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    response = login_form(board, client, password=board.admin_password)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert not signed_in(client)


def test_logout__ends_the_session(board: RunningBoard) -> None:
    client = board.login()
    token = csrf_token(client.get("/staff").text)

    response = client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert not signed_in(client)


def test_logout__without_csrf_is_403_and_keeps_the_session(board: RunningBoard) -> None:
    client = board.login()

    response = client.post("/logout", data={})

    assert response.status_code == 403
    assert signed_in(client)


# --- guarded pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/staff", "/staff/notices/new"])
def test_staff__pages_require_login(board: RunningBoard, path: str) -> None:
    response = board.get(path)

    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


def test_staff__compose_post_requires_login(board: RunningBoard) -> None:
    response = board.client.post(
        "/staff/notices/new", data={"title": "x", "body": "y", "action": "publish"}
    )

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert board.rows("SELECT * FROM notices") == []


def test_staff__compose_without_csrf_is_403(board: RunningBoard) -> None:
    client = board.login()

    response = client.post(
        "/staff/notices/new", data={"title": "x", "body": "y", "action": "publish"}
    )

    assert response.status_code == 403
    assert board.rows("SELECT * FROM notices") == []


def test_staff__session_cookie_cannot_be_forged(board: RunningBoard) -> None:
    client = board.new_client()
    client.cookies.set("aushang_session", "eyJzdGFmZl9pZCI6IDF9.forged.signature")

    assert not signed_in(client)


# --- compose ----------------------------------------------------------------------------------


def test_compose__preview_renders_without_publishing(board: RunningBoard) -> None:
    client = board.login()

    response = board.compose(
        client, "Hoffest", "Am **Samstag** <script>alert(1)</script>", action="preview"
    )

    assert response.status_code == 200
    assert "<strong>Samstag</strong>" in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert 'value="Hoffest"' in response.text  # the form keeps what was typed
    assert board.rows("SELECT * FROM notices") == []
    assert board.rows("SELECT * FROM outbox_activities") == []


def test_compose__publish_shows_the_inbox_count_on_the_dashboard(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    actors: list[RemoteActor] = [
        fediverse.actor("carol"),
        fediverse.actor("dave"),  # same shared inbox as carol
        fediverse.actor("frank", server=fediverse.servers["other.example"], shared_inbox=None),
    ]
    for actor in actors:
        actor.post(board.inbox, actor.follow(board.actor_id), now=board.clock.now)
    board.drain()
    assert len(board.followers()) == 3, "three followers"
    client = board.login()

    response = board.compose(client, "Hoffest", "Text")

    assert response.status_code == 303
    assert response.headers["location"] == "/staff"
    dashboard = client.get("/staff", params={"lang": "en"})
    message = flash(dashboard.text)
    assert message is not None
    assert "published" in message
    assert re.findall(r"\d+", message) == ["3", "2"]  # 3 followers, 2 inboxes (one shared)
    assert flash(client.get("/staff", params={"lang": "en"}).text) is None  # shown once


def test_compose__publish_without_followers_says_zero(board: RunningBoard) -> None:
    client = board.login()

    board.compose(client, "Hoffest", "Text")

    message = flash(client.get("/staff", params={"lang": "en"}).text)
    assert message is not None
    assert set(re.findall(r"\d+", message)) == {"0"}


def test_dashboard__lists_published_notices(board: RunningBoard) -> None:
    client = board.login()
    board.publish(client, "Hoffest")

    dashboard = client.get("/staff")

    assert dashboard.status_code == 200
    assert "Hoffest" in dashboard.text
    assert board.url("/notices/1") in dashboard.text


@pytest.mark.parametrize("path", ["/staff/follows/{n}/approve", "/staff/follows/{n}/reject"])
def test_staff__row_beyond_the_integer_range_is_404_not_500(board: RunningBoard, path: str) -> None:
    client = board.login()
    token = csrf_token(client.get("/staff").text)

    response = client.post(path.format(n="9" * 23), data={"csrf_token": token})

    assert response.status_code == 404, (response.status_code, response.text[:80])
