"""The inboxes' limit per client address comes from `[federation] inbox_rate_limit`."""

from __future__ import annotations

from tests.noticeboard.boards import BoardFactory


def test_inbox_limit__the_configured_number_of_posts_then_429(make_board: BoardFactory) -> None:
    board = make_board(AUSHANG_FEDERATION_INBOX_RATE_LIMIT="3")
    client = board.new_client()
    headers = {"content-type": "application/activity+json"}

    answers = [client.post("/inbox", content=b"{}", headers=headers) for _ in range(4)]

    assert [a.status_code for a in answers[:3]] == [400, 400, 400]  # counted, then refused
    assert answers[3].status_code == 429
    assert int(answers[3].headers["retry-after"]) >= 1
