"""Rule 51: answers that carry a secret are never compressed (BREACH).

An attacker who can make a signed-in browser load a page that reflects their input (a search
term) next to a secret (the CSRF token) could read the secret from the length of compressed
answers. The tests play that attacker: they guess the token's start in the search box and
compare what travels: a signed-in reader's pages are all private, so the search page is sent
as it is, the same length whichever guess it reflects.
"""

from __future__ import annotations

import httpx

from tests.noticeboard.boards import RunningBoard, csrf_token

ANY = "gzip, deflate, br"


def sent(client: httpx.Client, path: str) -> tuple[httpx.Response, bytes]:
    with client.stream("GET", path, headers={"Accept-Encoding": ANY}) as response:
        return response, b"".join(response.iter_raw())


def test_rule_51__a_reflected_guess_of_the_csrf_token_does_not_change_the_length(
    board: RunningBoard,
) -> None:
    staff = board.login()
    token = csrf_token(staff.get("/staff").text)
    right = token[:12]
    wrong = "".join("a" if c != "a" else "b" for c in right)
    answers = [sent(staff, f"/search?q={guess}") for guess in (right, wrong)]
    for response, _ in answers:
        assert response.status_code == 200
        assert "content-encoding" not in response.headers
        assert response.headers["cache-control"] == "no-store"
    assert len(answers[0][1]) == len(answers[1][1])
    page, raw = sent(staff, "/staff")
    assert token.encode() in raw and "content-encoding" not in page.headers


def test_rule_51__private_pages_with_tokens_are_sent_uncompressed(board: RunningBoard) -> None:
    staff = board.login()
    for path in ("/staff", "/staff/notices/new", "/", "/notices/1", "/about"):
        response, _ = sent(staff, path)
        assert "content-encoding" not in response.headers, path
    reader = board.new_client()
    for path in ("/login", "/submit"):
        response, raw = sent(reader, path)
        assert response.status_code == 200, path
        assert "content-encoding" not in response.headers, path
        assert len(raw) > 512, path  # large enough that it would have been compressed
    public, _ = sent(board.new_client(), "/about")
    assert public.headers["content-encoding"] == "br"  # the rule is not a switch turned off
