"""A group leader is staff of one group only (SECURITY.md, rule 52), proven on the route table:
every board staff route refuses a leader, and every group route refuses the leader of another
group, without changing anything; the leader's own group's pages open."""

from __future__ import annotations

import pytest

from tests.noticeboard.boards import RunningBoard, csrf_token
from tests.noticeboard.test_groups import create_group
from tests.noticeboard.test_roles import (
    FORMS,
    GROUP_LEADER,
    NOT_ALLOWED,
    PARAMETER,
    STAFF_ROUTES,
    Sample,
    StaffRoute,
    concrete,
    german,
    snapshot,
)

BOARD_ROUTES = [r for r in STAFF_ROUTES if r.roles and GROUP_LEADER not in r.roles]
GROUP_ROUTES = [
    r for r in STAFF_ROUTES if r.roles and GROUP_LEADER in r.roles and "{handle}" in r.path
]
GROUP_FORMS = {
    "/staff/groups/{handle}/edit": {"name": "Übernommen", "join_policy": "open"},
    "/staff/groups/{handle}/members/{action}": {"actor": "https://remote.example/users/x"},
    "/staff/groups/{handle}/leader": {"username": "sneaky"},
}


def leader_client(board: RunningBoard) -> tuple[object, str]:
    create_group(board, "garten")
    create_group(board, "repair")
    result = board.cli("groups", "leader", "lena", "garten")
    assert result.returncode == 0, result.stderr
    password = result.stdout.split("Password (shown once): ")[1].strip()
    client = board.login(board.new_client(), username="lena", password=password)
    token = csrf_token(client.get("/staff/groups/garten").text)
    return client, token


def path_for(route: StaffRoute, handle: str) -> str:
    sample = Sample(notice_id=1, item_id=1)
    filled = route.path.replace("{handle}", handle).replace("{action}", "block")
    return concrete(filled.replace("{decision}", "remove"), sample)


def form_for(route: StaffRoute) -> dict[str, str]:
    plain = PARAMETER.sub(lambda m: "{" + m.group(1) + "}", route.path)
    return dict(GROUP_FORMS.get(plain) or FORMS.get(plain) or {})


def test_route_table__group_routes_exist_and_name_the_leader() -> None:
    assert len(GROUP_ROUTES) >= 4
    assert len(BOARD_ROUTES) >= 20


def test_leader__every_board_staff_route_refuses_a_group_leader(board: RunningBoard) -> None:
    client, token = leader_client(board)
    before = snapshot(board)
    wrong = []
    for route in BOARD_ROUTES:
        path = path_for(route, "garten")
        data = {**form_for(route), "csrf_token": token} if route.method == "POST" else None
        response = client.request(route.method, path, data=data)  # type: ignore[attr-defined]
        if path == "/staff" and route.method == "GET":
            if response.headers.get("location") != "/staff/groups/mine":
                wrong.append((route.id, response.status_code))
            continue
        if response.status_code != 403 or german(NOT_ALLOWED) not in response.text:
            wrong.append((route.id, response.status_code))
    assert wrong == []
    assert snapshot(board) == before


def test_leader__every_route_of_another_group_refuses_the_leader(board: RunningBoard) -> None:
    client, token = leader_client(board)
    before = snapshot(board)
    wrong = []
    for route in GROUP_ROUTES:
        path = path_for(route, "repair")
        data = {**form_for(route), "csrf_token": token} if route.method == "POST" else None
        response = client.request(route.method, path, data=data)  # type: ignore[attr-defined]
        if response.status_code != 403:
            wrong.append((route.id, response.status_code))
    assert wrong == []
    assert snapshot(board) == before


@pytest.mark.parametrize("path", ["/staff/groups/garten", "/staff/groups/mine"])
def test_leader__opens_the_own_groups_page(board: RunningBoard, path: str) -> None:
    client, _ = leader_client(board)
    response = client.get(path, follow_redirects=True)  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert "Gemeinschaftsgarten" in response.text
    assert "Zur Gruppenleitung machen" not in response.text  # naming leaders is for owners


def test_leader__edits_the_own_group_and_board_staff_cannot_be_narrowed(
    board: RunningBoard,
) -> None:
    client, token = leader_client(board)
    data = {"csrf_token": token, "name": "Garten am Hof", "join_policy": "open",
            "post_policy": "hold_all", "newcomers": "1"}  # fmt: skip
    response = client.post("/staff/groups/garten/edit", data=data)  # type: ignore[attr-defined]
    assert response.status_code == 303
    assert board.value("SELECT name FROM groups WHERE handle = 'garten'") == "Garten am Hof"
    assert board.cli("groups", "leader", "admin", "garten").returncode == 2


def test_leader__keeps_an_own_account_page_and_nothing_else_without_a_group(
    board: RunningBoard,
) -> None:
    client, _ = leader_client(board)
    own = [
        r for r in STAFF_ROUTES if r.roles and GROUP_LEADER in r.roles and "{handle}" not in r.path
    ]
    assert {r.path for r in own} == {
        "/staff/account", "/staff/account/sessions", "/staff/groups/mine",
    }  # fmt: skip
    assert client.get("/staff/account").status_code == 200  # type: ignore[attr-defined]
