"""News by e-mail for residents without a fediverse account: a subscriber who chose a group
gets the posts shared in it; one who did not, does not."""

from __future__ import annotations

from tests.noticeboard.boards import BoardFactory
from tests.noticeboard.test_groups import create, create_group, join, note
from tests.noticeboard.test_mail import news_mails, subscribe, subscribed
from tests.support.fediverse import Fediverse
from tests.support.smtp import MailServer


def test_mail__a_subscriber_who_chose_a_group_gets_its_shared_posts(
    make_board: BoardFactory, fediverse: Fediverse
) -> None:
    with MailServer() as server:
        board = make_board(**server.env(), AUSHANG_CONTACT_EMAIL="kontakt@nordstadt.example")
        group = create_group(board)
        page = board.new_client().get("/mail").text
        assert 'name="groups" type="checkbox" value="garten"' in page
        subscribed(board, server, "anna@example.org", frequency="daily", groups="garten")
        subscribed(board, server, "ben@example.org", frequency="daily")
        alice = fediverse.actor("alice")
        join(board, alice, group)
        post = note(alice, "m1", group, "<p>Samentausch am Samstag</p>")
        alice.post(f"{group}/inbox", create(alice, post, "cm1"), now=board.clock.now)
        board.drain()
        board.clock.advance(hours=2)
        board.drain()

        [mail] = news_mails(server, "anna@example.org")
        text = mail.part("plain")
        assert "Gemeinschaftsgarten" in text and "Samentausch am Samstag" in text
        assert news_mails(server, "ben@example.org") == []
        assert (
            board.value("SELECT groups FROM mail_subscribers WHERE email = 'anna@example.org'")
            == "garten"
        )


def test_mail__an_unknown_group_is_refused_with_a_reason(make_board: BoardFactory) -> None:
    with MailServer() as server:
        board = make_board(**server.env(), AUSHANG_CONTACT_EMAIL="kontakt@nordstadt.example")
        response = subscribe(board, "anna@example.org", groups="nobody")
        assert response.status_code == 400
        assert "Bitte wählen Sie Gruppen aus der Liste." in response.text
