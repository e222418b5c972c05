"""Security rule 21, generated from the route table: every staff route refuses every role it
does not name, so that a new route cannot be forgotten.

The table is read at collection time from an app that `create_app` builds for a throw-away
board, so a route added anywhere (not only in `noticeboard.ROUTES`) gets its test.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route

from noticeboard.accounts import passwords as auth
from noticeboard.accounts import store
from noticeboard.app import create_app
from noticeboard.i18n import get_translations
from noticeboard.participation.forms import form_token
from tests.noticeboard.boards import MutableClock, RunningBoard, csrf_token

PASSWORD = "role-test-Passw0rd!"
NOT_ALLOWED = "You are not allowed to do this."
FORM_EXPIRED = "The form has expired. Please go back, reload the page and try again."
GROUP_LEADER = "group_leader"  # bound to one group; its routes are tested in test_group_roles
PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")


@dataclass(frozen=True)
class StaffRoute:
    """One (path, method) of the app under /staff and the roles its endpoint names."""

    path: str
    method: str
    roles: tuple[str, ...] | None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """Every Route of a route table with its full path, mounts included."""
    for route in routes:
        if isinstance(route, Route):
            yield prefix + route.path, route
        elif isinstance(route, Mount):
            yield from walk(list(route.routes), prefix + route.path)


def app_staff_routes() -> list[StaffRoute]:
    """Build the real app for an initialised board in a temporary directory; list /staff."""
    with tempfile.TemporaryDirectory(prefix="aushang-routes-") as tmp:
        running = RunningBoard(Path(tmp), MutableClock(), {})
        try:
            running.initialise()
            app = create_app(running.config)
        finally:
            running.stop()
    found = []
    for path, route in walk(list(app.routes)):
        if path != "/staff" and not path.startswith("/staff/"):
            continue
        roles = getattr(route.endpoint, "required_roles", None)
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            found.append(StaffRoute(path, method, None if roles is None else tuple(roles)))
    return found


STAFF_ROUTES = app_staff_routes()


# --------------------------------------------------------------------------- a board with data


@dataclass
class Sample:
    """Ids of things that exist on the board, to fill path parameters with."""

    notice_id: int
    item_id: int


# Plausible, harmful if obeyed: a missing guard shows up as a change in the database.
FORMS: dict[str, dict[str, str]] = {
    "/staff/notices/new": {"title": "Eingeschmuggelt", "body": "Text", "action": "publish"},
    "/staff/groups/new": {"handle": "sneaky", "name": "Eingeschmuggelt"},
    "/staff/notices/{notice_id}/edit": {"title": "Geändert", "body": "Neu", "action": "publish"},
    "/staff/notices/{notice_id}/pin": {"pinned": "1"},
    "/staff/notices/{notice_id}/codes": {"count": "5"},
    "/staff/notices/{notice_id}/translations": {"lang": "en", "title": "Hi", "body": "Text"},
    "/staff/queue/{item}/approve": {"reason": "ok"},
    "/staff/queue/{item}/reject": {"reason": "Spam"},
    "/staff/queue/{item}/edit": {"kind": "announcement", "title": "Geändert", "body": "Neu"},
    "/staff/blocks/block": {"target": "spam.example", "reason": "Spam"},
    "/staff/blocks/unblock": {"kind": "domain", "value": "spam.example"},
    "/staff/accounts/invite": {"role": "owner", "username": "sneaky"},
    "/staff/accounts/{action}": {"username": "admin", "role": "moderator"},
    "/staff/account": {
        "current_password": PASSWORD,
        "new_password": "another-Passw0rd!",
        "new_password_again": "another-Passw0rd!",
    },
    "/staff/settings": {"action": "limited", "value": "on"},
    "/staff/problems/inbox/retry": {"activity_id": "https://remote.example/activities/1"},
    "/staff/mail/remove": {"email": "anna@example.org"},
}


def concrete(path: str, sample: Sample) -> str:
    """Fill path parameters with plausible values: ids that exist, a real action."""
    values = {
        "notice_id": sample.notice_id,
        "item": sample.item_id,
        "action": "deactivate",
        "decision": "approve",
    }

    def fill(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        if name in values:
            return str(values[name])
        return "1" if kind in ("int", "rowid") else "sample"

    return PARAMETER.sub(fill, path)


def form_for(route: StaffRoute) -> dict[str, str]:
    return dict(FORMS.get(PARAMETER.sub(lambda m: "{" + m.group(1) + "}", route.path), {}))


@cache
def password_hash() -> str:
    return auth.hash_password(PASSWORD)


def add_staff(board: RunningBoard, username: str, role: str) -> None:
    """Create a staff account of a role directly in the board's database."""

    async def insert(b: Any) -> None:
        async with b.db.transaction() as conn:
            await store.insert_staff(conn, username, password_hash(), role, b.clock())

    board.run_on_board(insert)


def publish_poll(board: RunningBoard) -> int:
    """A poll notice: the one kind every /staff/notices/{id}/... page accepts."""
    client = board.login()
    page = client.get("/staff/notices/new")
    response = client.post(
        "/staff/notices/new",
        data={
            "csrf_token": csrf_token(page.text),
            "kind": "poll",
            "title": "Welcher Tag fürs Hoffest?",
            "body": "Bitte abstimmen",
            "options": "Samstag\nSonntag",
            "closes": "2026-03-09T18:00",
            "action": "publish",
        },
    )
    assert response.status_code == 303, response.text[:2000]
    return int(board.value("SELECT max(id) FROM notices"))


def submit_notice(board: RunningBoard) -> int:
    """A resident's submission through /submit, with a form handed out a minute ago."""
    secret = board.value("SELECT value FROM settings WHERE key = 'session_secret'")
    response = board.new_client().post(
        "/submit",
        data={
            "form_token": form_token(secret, time.time() - 60),
            "kind": "announcement",
            "title": "Flohmarkt im Hof",
            "body": "Samstag ab 10 Uhr",
            "name": "Frau Yılmaz",
            "contact": "0170 1234567",
            "consent": "yes",
        },
    )
    assert response.status_code == 303, response.text[:2000]
    return int(board.value("SELECT max(id) FROM moderation_items"))


@pytest.fixture
def sample(board: RunningBoard) -> Sample:
    for role in auth.ROLES:
        add_staff(board, f"role_{role}", role)
    return Sample(notice_id=publish_poll(board), item_id=submit_notice(board))


def snapshot(board: RunningBoard) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a refused request changed nothing."""
    with closing(sqlite3.connect(board.config.db_path, timeout=5)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            t: sorted(map(tuple, conn.execute(f'SELECT * FROM "{t}"')), key=repr) for t in tables
        }


def sign_in(board: RunningBoard, role: str) -> tuple[httpx.Client, str]:
    """A client signed in as the role's account, and its session's CSRF token."""
    client = board.login(board.new_client(), username=f"role_{role}", password=PASSWORD)
    page = client.get("/staff/account")  # every role has an account page with a form
    assert page.status_code == 200, f"{role} cannot open /staff/account: {page.status_code}"
    return client, csrf_token(page.text)


def german(message: str) -> str:
    return get_translations("de").gettext(message)


# --------------------------------------------------------------------------- the tests


def test_route_table__every_staff_route_names_known_roles() -> None:
    assert len(STAFF_ROUTES) >= 20, "the route table looks empty"
    unguarded = [r.id for r in STAFF_ROUTES if r.roles is None]
    assert unguarded == [], "staff routes without @requires(...)"
    unknown = [
        (r.id, r.roles)
        for r in STAFF_ROUTES
        if not r.roles or set(r.roles) - {*auth.ROLES, GROUP_LEADER}
    ]
    assert unknown == [], "staff routes naming no role or a role that does not exist"


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=lambda r: r.id)
def test_staff_route__refuses_every_role_it_does_not_name(
    board: RunningBoard, sample: Sample, route: StaffRoute
) -> None:
    assert route.roles is not None, f"{route.id} has no required_roles: wrap it in @requires()"
    path = concrete(route.path, sample)
    for role in sorted(set(auth.ROLES) - set(route.roles)):
        client, token = sign_in(board, role)
        before = snapshot(board)
        data = {**form_for(route), "csrf_token": token} if route.method == "POST" else None
        response = client.request(route.method, path, data=data)
        where = f"{role} {route.method} {path}"
        assert response.status_code == 403, (where, response.status_code, response.text[:500])
        assert german(NOT_ALLOWED) in response.text, f"{where}: refused, but not for the role"
        assert german(FORM_EXPIRED) not in response.text, where
        assert snapshot(board) == before, f"{where}: refused, yet the database changed"
    if route.method != "GET":
        return
    for role in sorted(set(route.roles) & set(auth.ROLES)):  # leaders: test_group_roles.py
        client, _ = sign_in(board, role)
        response = client.get(path)
        where = f"{role} GET {path}"
        assert response.status_code != 403, (where, response.text[:500])
        assert response.status_code < 500, (where, response.status_code, response.text[:500])
        assert not response.is_redirect, (where, response.headers.get("location"))


def test_staff_routes__send_anonymous_visitors_to_login(
    board: RunningBoard, sample: Sample
) -> None:
    wrong = []
    client = board.new_client()
    token = csrf_token(client.get("/login").text)  # a session, but nobody signed in
    before = snapshot(board)
    for route in STAFF_ROUTES:
        path = concrete(route.path, sample)
        data = {**form_for(route), "csrf_token": token} if route.method == "POST" else None
        response = client.request(route.method, path, data=data)
        location = response.headers.get("location", "")
        if response.status_code != 303 or not location.startswith("/login"):
            wrong.append((route.method, path, response.status_code, location))
    assert wrong == []
    assert snapshot(board) == before
