"""Section H of docs/SECURITY.md: staff sessions that can be ended, and staff pages that no
browser or proxy keeps. Sessions are tried on a served board where the cookie travels over TCP.
"""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
import pytest

from noticeboard.accounts import passwords
from tests.noticeboard.boards import RunningBoard, csrf_token
from tests.noticeboard.test_roles import (
    PASSWORD,
    STAFF_ROUTES,
    Sample,
    add_staff,
    concrete,
    publish_poll,
    submit_notice,
)

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def signed_in(client: httpx.Client) -> bool:
    return client.get("/staff").status_code == 200


def copy_of(board: RunningBoard, client: httpx.Client) -> httpx.Client:
    """Another browser holding a copy of the client's cookies (a stolen or shared cookie)."""
    thief = board.new_client()
    for cookie in client.cookies.jar:
        thief.cookies.set(cookie.name, cookie.value)
    return thief


def staff_post(client: httpx.Client, path: str, **data: str) -> httpx.Response:
    token = csrf_token(client.get("/staff/account").text)
    return client.post(path, data={"csrf_token": token, **data})


def session_token(client: httpx.Client) -> str:
    """The random token inside the signed session cookie."""
    payload = client.cookies["aushang_session"].split(".")[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    token = data["staff_session"]
    assert isinstance(token, str)
    return token


# --- 38: a session is a record on the server ------------------------------------------------


def test_session__the_board_stores_only_a_hash_of_the_cookies_token(
    served_board: RunningBoard,
) -> None:
    client = served_board.login()
    token = session_token(client)

    rows = served_board.rows("SELECT token_hash, staff_id FROM staff_sessions")

    assert len(token) >= 40
    assert rows == [{"token_hash": hashlib.sha256(token.encode()).hexdigest(), "staff_id": 1}]
    assert token not in json.dumps(served_board.rows("SELECT * FROM staff_sessions"))


def test_sign_out__a_copied_cookie_no_longer_works(served_board: RunningBoard) -> None:
    client = served_board.login()
    thief = copy_of(served_board, client)
    assert signed_in(thief)

    response = client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff").text)})

    assert response.status_code == 303
    assert not signed_in(thief)
    assert not signed_in(client)
    assert served_board.rows("SELECT * FROM staff_sessions") == []


# --- 39: password changes and owners end sessions; deactivation and roles at once -----------


def test_password_change__ends_every_other_session_of_the_account(
    served_board: RunningBoard,
) -> None:
    office = served_board.login()
    home = served_board.login()
    thief = copy_of(served_board, home)

    response = staff_post(
        office,
        "/staff/account",
        current_password=served_board.admin_password,
        new_password="a-new-Passw0rd!",
        new_password_again="a-new-Passw0rd!",
    )

    assert response.status_code == 303
    assert signed_in(office)
    assert not signed_in(home)
    assert not signed_in(thief)
    assert served_board.value("SELECT count(*) FROM staff_sessions") == 1


def test_owner__ends_all_sessions_of_another_account_on_the_web(
    served_board: RunningBoard,
) -> None:
    served_board.cli("staff", "add", "eda", "--role", "editor", "--password-stdin", stdin=PASSWORD)
    editor = served_board.login(username="eda", password=PASSWORD)
    owner = served_board.login()

    response = staff_post(owner, "/staff/accounts/sign-out", username="eda")

    assert response.status_code == 303
    assert not signed_in(editor)
    assert signed_in(owner)
    entry = served_board.rows("SELECT staff, action, target FROM audit_log ORDER BY id DESC")[0]
    assert entry == {"staff": "admin", "action": "staff.sign_out", "target": "eda"}


def test_owner__is_the_only_one_who_may_end_another_accounts_sessions(
    served_board: RunningBoard,
) -> None:
    served_board.cli("staff", "add", "eda", "--role", "editor", "--password-stdin", stdin=PASSWORD)
    editor = served_board.login(username="eda", password=PASSWORD)
    owner = served_board.login()

    response = staff_post(editor, "/staff/accounts/sign-out", username="admin")

    assert response.status_code == 403
    assert signed_in(owner)


def test_cli__staff_sign_out_ends_all_sessions_of_an_account(served_board: RunningBoard) -> None:
    first, second = served_board.login(), served_board.login()

    result = served_board.cli("staff", "sign-out", "admin")

    assert result.returncode == 0, result.stderr
    assert "2 session(s) ended" in result.stdout
    assert not signed_in(first)
    assert not signed_in(second)
    assert served_board.value("SELECT action FROM audit_log ORDER BY id DESC") == "staff.sign_out"


def test_cli__staff_sign_out_of_an_unknown_account_says_so(board: RunningBoard) -> None:
    result = board.cli("staff", "sign-out", "nobody")

    assert result.returncode == 2
    assert "no such staff account" in result.stderr


def test_deactivation__signs_out_at_once_and_ends_the_sessions(
    served_board: RunningBoard,
) -> None:
    served_board.cli("staff", "add", "eda", "--role", "editor", "--password-stdin", stdin=PASSWORD)
    editor = served_board.login(username="eda", password=PASSWORD)

    served_board.cli("staff", "remove", "eda")

    assert not signed_in(editor)
    assert served_board.value("SELECT count(*) FROM staff_sessions WHERE staff_id = 2") == 0
    served_board.cli("staff", "activate", "eda")
    assert not signed_in(editor)  # the old session does not come back


def test_role_change__takes_effect_on_the_next_request(served_board: RunningBoard) -> None:
    served_board.cli("staff", "add", "eda", "--role", "editor", "--password-stdin", stdin=PASSWORD)
    editor = served_board.login(username="eda", password=PASSWORD)
    assert editor.get("/staff/notices/new").status_code == 200

    served_board.cli("staff", "role", "eda", "--role", "moderator")

    assert editor.get("/staff/notices/new").status_code == 403
    assert signed_in(editor)


# --- 40: idle timeout and absolute lifetime -------------------------------------------------


def test_session__ends_after_eight_idle_hours(board: RunningBoard) -> None:
    client = board.login()
    board.clock.advance(hours=7, minutes=59)
    assert signed_in(client)  # use keeps it open ...

    board.clock.advance(hours=7, minutes=59)
    assert signed_in(client)
    board.clock.advance(hours=8, minutes=1)

    assert not signed_in(client)  # ... eight hours without use end it
    assert board.rows("SELECT * FROM staff_sessions") == []


def test_session__idle_timeout_is_configurable(make_board) -> None:
    board = make_board(AUSHANG_STAFF_IDLE_TIMEOUT_HOURS="1")
    client = board.login()

    board.clock.advance(minutes=61)

    assert not signed_in(client)


def test_session__ends_fourteen_days_after_sign_in_however_busy(board: RunningBoard) -> None:
    client = board.login()
    for _ in range(13 * 3 + 2):  # used every 8 hours minus a minute, for 13 days and 16 hours
        board.clock.advance(hours=7, minutes=59)
        assert signed_in(client)

    board.clock.advance(hours=7, minutes=59)  # 14 days less 41 minutes: still open
    assert signed_in(client)
    board.clock.advance(minutes=42)

    assert not signed_in(client)


def test_session__lifetime_is_configurable(make_board) -> None:
    board = make_board(AUSHANG_STAFF_SESSION_LIFETIME_DAYS="0.25")
    client = board.login()
    board.clock.advance(hours=5, minutes=59)
    assert signed_in(client)

    board.clock.advance(minutes=2)

    assert not signed_in(client)


# --- 41: one's own sessions, seen and ended -------------------------------------------------


def test_own_sessions__are_listed_with_their_browser_and_can_be_ended(
    served_board: RunningBoard,
) -> None:
    office = served_board.login(served_board.new_client(**{"User-Agent": FIREFOX}))
    phone = served_board.login(served_board.new_client(**{"User-Agent": PHONE}))

    page = office.get("/staff/account", params={"lang": "en"})

    assert page.status_code == 200
    assert "Firefox, Windows" in page.text
    assert "Chrome, Android" in page.text
    assert "this session" in page.text
    phone_id = served_board.value("SELECT id FROM staff_sessions WHERE user_agent = ?", PHONE)
    response = staff_post(office, "/staff/account/sessions", session=str(phone_id))
    assert response.status_code == 303
    assert not signed_in(phone)
    assert signed_in(office)
    assert "Chrome, Android" not in office.get("/staff/account", params={"lang": "en"}).text


def test_own_sessions__sign_out_everywhere_else_keeps_this_one(served_board: RunningBoard) -> None:
    office, home, phone = (served_board.login() for _ in range(3))

    response = staff_post(office, "/staff/account/sessions", session="others")

    assert response.status_code == 303
    assert [signed_in(c) for c in (office, home, phone)] == [True, False, False]


def test_own_sessions__another_accounts_session_cannot_be_ended(
    served_board: RunningBoard,
) -> None:
    served_board.cli("staff", "add", "eda", "--role", "editor", "--password-stdin", stdin=PASSWORD)
    editor = served_board.login(username="eda", password=PASSWORD)
    owner = served_board.login()
    owners_session = served_board.value("SELECT id FROM staff_sessions WHERE staff_id = 1")

    staff_post(editor, "/staff/account/sessions", session=str(owners_session))

    assert signed_in(owner)


# --- 42: Cache-Control: no-store ------------------------------------------------------------


@pytest.fixture
def sample(board: RunningBoard) -> Sample:
    for role in passwords.ROLES:
        add_staff(board, f"role_{role}", role)
    return Sample(notice_id=publish_poll(board), item_id=submit_notice(board))


STAFF_PAGES = [r for r in STAFF_ROUTES if r.method == "GET"]


@pytest.mark.parametrize("route", STAFF_PAGES, ids=[r.id for r in STAFF_PAGES])
def test_no_store__on_every_staff_page(board: RunningBoard, sample: Sample, route) -> None:
    client = board.login()

    response = client.get(concrete(route.path, sample))

    assert response.headers.get("cache-control") == "no-store", response.status_code


def test_no_store__on_the_queue_item_with_a_residents_contact(served_board: RunningBoard) -> None:
    item = submit_notice(served_board)
    client = served_board.login()

    response = client.get(f"/staff/queue/{item}")

    assert response.status_code == 200
    assert "0170 1234567" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_no_store__on_the_page_with_a_new_invitation_link(served_board: RunningBoard) -> None:
    client = served_board.login()

    response = staff_post(client, "/staff/accounts/invite", role="editor", username="neu")

    assert response.status_code == 200
    assert "/invitation/" in response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/login", "/submit"])
def test_no_store__on_sign_in_and_forms_with_personal_data(board: RunningBoard, path) -> None:
    response = board.get(path)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_no_store__on_the_redirect_after_sign_in_and_on_staff_errors(
    served_board: RunningBoard,
) -> None:
    client = served_board.new_client()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.text),
            "username": "admin",
            "password": served_board.admin_password,
        },
    )
    forged = client.post("/staff/notices/new", data={"title": "x"})

    assert response.status_code == 303
    assert response.headers["cache-control"] == "no-store"
    assert forged.status_code == 403
    assert forged.headers["cache-control"] == "no-store"


def test_no_store__not_on_public_pages_for_readers(board: RunningBoard) -> None:
    response = board.get("/")

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")


def test_no_store__on_public_pages_seen_by_signed_in_staff(board: RunningBoard) -> None:
    client = board.login()

    response = client.get("/")

    assert response.headers["cache-control"] == "no-store"
