"""Section H of docs/SECURITY.md: a sign-in that says nothing about which user names exist and
cannot be ground down, a first account whose name is not known in advance, and a way back in
for a locked-out owner."""

from __future__ import annotations

import logging
import re
import sqlite3
import statistics
import threading
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from noticeboard.accounts import passwords
from tests.noticeboard.boards import INSTANCE, RunningBoard, csrf_token
from tests.noticeboard.test_roles import PASSWORD
from tests.support.cli import run_in_process

WAIT = "Too many sign-in attempts"


def attempt(board: RunningBoard, username: str, password: str, client=None) -> httpx.Response:
    client = client or board.new_client()
    page = client.get("/login")
    return client.post(
        "/login",
        data={"csrf_token": csrf_token(page.text), "username": username, "password": password},
        params={"lang": "en"},
    )


def signed_in(client: httpx.Client) -> bool:
    return client.get("/staff").status_code == 200


def attempt_from(board: RunningBoard, address: str, username: str, password: str) -> httpx.Response:
    """Sign in to the served board over connections from another loopback address."""
    with httpx.Client(
        base_url=board.base_url,
        transport=httpx.HTTPTransport(local_address=address),
        trust_env=False,
        timeout=10,
    ) as client:
        return attempt(board, username, password, client)


def add_editor(board: RunningBoard, name: str = "eda") -> None:
    result = board.cli("staff", "add", name, "--role", "editor", "--password-stdin", stdin=PASSWORD)
    assert result.returncode == 0, result.stderr


# --- 43: no answer tells whether a user name exists --------------------------------------------


def test_sign_in__unknown_and_existing_user_take_the_same_time(board: RunningBoard) -> None:
    """Medians of alternating attempts in one run; a ratio, not a time (rule 43)."""
    durations: dict[str, list[float]] = {"unknown": [], "existing": []}
    for round_ in range(7):
        for kind, name in (("unknown", f"nobody{round_}"), ("existing", "admin")):
            client = board.new_client()
            token = csrf_token(client.get("/login").text)
            started = time.perf_counter()
            response = client.post(
                "/login", data={"csrf_token": token, "username": name, "password": "wrong-one"}
            )
            durations[kind].append(time.perf_counter() - started)
            assert response.status_code == 400
        board.clock.advance(minutes=16)  # past both limits: every attempt is really checked

    unknown = statistics.median(durations["unknown"])
    existing = statistics.median(durations["existing"])
    assert max(unknown, existing) / min(unknown, existing) < 2, (unknown, existing)


def _answer(response: httpx.Response) -> tuple[int, str]:
    text = re.sub(r'name="csrf_token" value="[^"]+"', "", response.text)
    return response.status_code, re.sub(r'value="[a-z0-9]+"', "", text)


def test_sign_in__unknown_deactivated_and_wrong_password_get_one_answer(
    board: RunningBoard,
) -> None:
    add_editor(board, "eda")
    board.cli("staff", "remove", "eda")

    unknown = attempt(board, "nobody", PASSWORD)
    deactivated = attempt(board, "eda", PASSWORD)  # the right password of a deactivated account
    wrong = attempt(board, "admin", PASSWORD)

    assert _answer(unknown) == _answer(deactivated) == _answer(wrong)
    assert unknown.status_code == 400
    assert "Wrong user name or password." in unknown.text


def test_sign_in__an_unknown_name_costs_a_password_hash_too(
    board: RunningBoard, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = passwords.verify_password

    def counting(password: str, stored: str) -> bool:
        checked.append(threading.current_thread().name)
        return real(password, stored)

    monkeypatch.setattr(passwords, "verify_password", counting)

    attempt(board, "nobody", "wrong-password")

    assert len(checked) == 1  # the dummy hash: as much work as for a real account ...
    assert checked[0] != board._loop._thread.name  # ... and off the board's event loop


def test_invitation_form__never_says_that_a_user_name_exists(board: RunningBoard) -> None:
    owner = board.login()
    page = owner.get("/staff/accounts")
    made = owner.post(
        "/staff/accounts/invite",
        data={"csrf_token": csrf_token(page.text), "role": "editor", "username": "neu"},
    )
    token = re.search(r"/invitation/([A-Za-z0-9_-]+)</code>", made.text).group(1)
    client = board.new_client()
    form = client.get(f"/invitation/{token}", params={"lang": "en"})

    response = client.post(
        f"/invitation/{token}",
        data={
            "csrf_token": csrf_token(form.text),
            "username": "admin",  # trying another name is no use: the invitation names it
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )

    assert 'name="username"' not in form.text
    assert "taken" not in response.text.lower()
    assert response.status_code == 303
    assert board.value("SELECT username FROM staff ORDER BY id DESC") == "neu"


# --- 44: throttling per account as well as per address -----------------------------------------


def test_sign_in__failures_for_one_account_from_many_addresses_pause_it(
    served_board: RunningBoard, caplog: pytest.LogCaptureFixture
) -> None:
    add_editor(served_board, "eda")
    caplog.set_level(logging.WARNING, logger="noticeboard")
    for n in range(2, 7):  # five addresses, one wrong guess each
        response = attempt_from(served_board, f"127.0.0.{n}", "admin", f"guess-{n}")
        assert response.status_code == 400

    paused = attempt_from(served_board, "127.0.0.9", "admin", served_board.admin_password)
    other = attempt_from(served_board, "127.0.0.9", "eda", PASSWORD)

    assert paused.status_code == 429
    assert WAIT in paused.text
    assert 0 < int(paused.headers["retry-after"]) <= 15 * 60 + 1
    assert other.status_code == 303  # the address is not to blame, nor the other account
    assert any(
        "sign-in for user name 'admin' paused" in r.getMessage() and "127.0.0.6" in r.getMessage()
        for r in caplog.records
    )


def test_sign_in__the_pause_ends_so_the_real_user_is_never_locked_out(board: RunningBoard) -> None:
    for n in range(5):
        assert attempt(board, "admin", f"guess-{n}").status_code == 400
    assert attempt(board, "admin", board.admin_password).status_code == 429

    board.clock.advance(minutes=15, seconds=1)

    assert attempt(board, "admin", board.admin_password).status_code == 303


def test_sign_in__an_unknown_name_is_paused_alike(board: RunningBoard) -> None:
    statuses = [attempt(board, "nobody", f"guess-{n}").status_code for n in range(6)]

    assert statuses == [400] * 5 + [429]  # a pause reveals nothing about the name


# --- 46: the first account's name ----------------------------------------------------------------


def init(tmp_path: Path, *args: str, **env: str) -> str:
    """Run `aushang init` on a new board in tmp_path; return what it printed."""
    environ = {
        "AUSHANG_BASE_URL": "http://127.0.0.1:8999",
        "AUSHANG_DATA_DIR": str(tmp_path / "data"),
        **env,
    }
    result = run_in_process(["init", *args, "--instance", str(INSTANCE)], environ)
    assert result.returncode == 0, result.stderr
    return result.stdout


def owners(tmp_path: Path) -> list[str]:
    with closing(sqlite3.connect(tmp_path / "data" / "aushang.sqlite3")) as conn:
        return [name for (name,) in conn.execute("SELECT username FROM staff")]


def test_init__the_first_account_is_not_called_admin(tmp_path: Path) -> None:
    first = init(tmp_path)
    again = init(tmp_path)  # what `make run` prints each time it starts the board

    [name] = owners(tmp_path)
    assert name != "admin"
    assert re.fullmatch(r"owner-[a-z0-9]{5}", name), name
    assert f"First admin account: {name}" in first
    assert f"Owner accounts: {name}" in again


def test_init__takes_the_first_accounts_name_from_the_configuration(tmp_path: Path) -> None:
    out = init(tmp_path, AUSHANG_STAFF_FIRST_OWNER="Buero")

    assert owners(tmp_path) == ["buero"]
    assert "First admin account: buero" in out


def test_init__takes_the_first_accounts_name_from_the_command_line(tmp_path: Path) -> None:
    init(tmp_path, "--admin", "kim", AUSHANG_STAFF_FIRST_OWNER="buero")

    assert owners(tmp_path) == ["kim"]


# --- 47: a locked-out owner gets back in on the server ----------------------------------------


def test_reset_password__prints_a_new_password_and_ends_the_sessions(board: RunningBoard) -> None:
    session = board.login()

    result = board.cli("staff", "reset-password", "admin")

    assert result.returncode == 0, result.stderr
    new = re.search(r"^Password: (\S+)$", result.stdout, re.M).group(1)
    assert not signed_in(session)
    assert attempt(board, "admin", board.admin_password).status_code == 400
    assert attempt(board, "admin", new).status_code == 303
    entry = board.rows("SELECT action, target FROM audit_log ORDER BY id DESC")[0]
    assert entry == {"action": "staff.reset_password", "target": "admin"}


def test_reset_password__reads_the_new_password_from_standard_input(board: RunningBoard) -> None:
    result = board.cli(
        "staff", "reset-password", "admin", "--password-stdin", stdin="Chosen-Passw0rd\n"
    )

    assert result.returncode == 0, result.stderr
    assert "Chosen-Passw0rd" not in result.stdout
    assert attempt(board, "admin", "Chosen-Passw0rd").status_code == 303


@pytest.mark.parametrize(
    ("args", "stdin", "reason"),
    [
        (("nobody",), None, "no such staff account"),
        (("admin", "--password-stdin"), "short\n", "at least 10 characters"),
        (("admin", "--password-stdin"), "", "no password"),
    ],
)
def test_reset_password__refusals_say_why_and_change_nothing(
    board: RunningBoard, args: tuple[str, ...], stdin: str | None, reason: str
) -> None:
    session = board.login()

    result = board.cli("staff", "reset-password", *args, stdin=stdin)

    assert result.returncode == 2
    assert reason in result.stderr
    assert signed_in(session)
