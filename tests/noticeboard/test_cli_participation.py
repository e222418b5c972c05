"""Moderation, staff and sharing from the command line: the real `aushang` executable working
on the database of a running board (the web server and the command line share the data dir).

The command line reads the real clock while the board's clock starts in March 2026, so rows
the command line writes carry today's date. Where that matters (the delivery worker picks
rows due by the board's clock) the test moves the board's clock to the real time first.
"""

from __future__ import annotations

import getpass
import json
import re
import subprocess
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.noticeboard.boards import INSTANCE, RunningBoard
from tests.noticeboard.test_participation_federation import create, deliver, follow, post
from tests.noticeboard.test_participation_web import (
    CONTACT,
    TITLE,
    accept,
    login_status,
    submitted_and_queued,
)
from tests.support.cli import run_in_process
from tests.support.fediverse import Fediverse, RemoteActor

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
NEW_PASSWORD = "cli-staff-Passw0rd!"
Result = subprocess.CompletedProcess[str]


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


ACTING = f"command line ({_system_user()})"


# --- running the command line ---------------------------------------------------------------


def aushang(board: RunningBoard, *args: str, stdin: str | None = None) -> Result:
    """Run the command line with exactly these arguments (and the board's environment)."""
    return run_in_process(args, board.cli_env, stdin=stdin)


def ok(result: Result) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def cli_json(board: RunningBoard, *args: str) -> Any:
    return json.loads(ok(board.cli(*args, "--json")))


def one_line_error(result: Result) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def item(board: RunningBoard, item_id: int) -> dict[str, Any]:
    [row] = board.rows(
        "SELECT state, reason, decided_by FROM moderation_items WHERE id = ?", item_id
    )
    return row


def mention_queued(board: RunningBoard, alice: RemoteActor) -> int:
    deliver(board, alice, create(alice, post(alice, board, 1, "Bitte teilen: Hoffest")))
    return int(board.value("SELECT id FROM moderation_items WHERE kind = 'mention'"))


# --- the queue ------------------------------------------------------------------------------


def test_queue_list__json_array_with_id_kind_created_summary(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    submission_id = submitted_and_queued(board)
    mention_id = mention_queued(board, fediverse.actor("alice"))

    listed = cli_json(board, "queue", "list")

    assert [(i["id"], i["kind"]) for i in listed] == [
        (submission_id, "submission"),
        (mention_id, "mention"),
    ]
    for entry in listed:
        assert {"id", "kind", "created", "summary"} <= set(entry)
        assert datetime.fromisoformat(entry["created"].replace("Z", "+00:00")).tzinfo
        assert entry["state"] == "pending"
    assert listed[0]["summary"] == TITLE
    assert "Hoffest" in listed[1]["summary"]


def test_queue_list__kind_and_state_filter(board: RunningBoard, fediverse: Fediverse) -> None:
    submission_id = submitted_and_queued(board)
    mention_id = mention_queued(board, fediverse.actor("alice"))
    ok(board.cli("queue", "reject", str(submission_id), "--reason", "Doppelt"))

    def ids(*args: str) -> list[int]:
        return [i["id"] for i in cli_json(board, "queue", "list", *args)]

    assert ids() == [mention_id]
    assert ids("--kind", "submission") == []
    assert ids("--kind", "mention") == [mention_id]
    assert ids("--state", "rejected") == [submission_id]
    assert ids("--state", "rejected", "--kind", "mention") == []
    assert ids("--state", "approved") == []


def test_queue_list__unknown_kind_exits_2_with_one_line(board: RunningBoard) -> None:
    line = one_line_error(board.cli("queue", "list", "--kind", "spam"))

    assert "--kind" in line and "spam" in line


def test_queue_show__json_includes_the_submissions_contact(board: RunningBoard) -> None:
    item_id = submitted_and_queued(board)

    shown = cli_json(board, "queue", "show", str(item_id))

    assert (shown["id"], shown["kind"], shown["state"]) == (item_id, "submission", "pending")
    assert shown["submission"]["contact"] == CONTACT
    assert shown["submission"]["title"] == TITLE


def test_queue_show__unknown_item_exits_2_with_one_line(board: RunningBoard) -> None:
    line = one_line_error(board.cli("queue", "show", "999", "--json"))

    assert "999" in line


def test_queue_approve__publishes_the_submission_and_prints_its_url(board: RunningBoard) -> None:
    item_id = submitted_and_queued(board)

    out = ok(board.cli("queue", "approve", str(item_id), "--reason", "passt"))

    [notice] = board.rows("SELECT id, title, origin FROM notices")
    url = board.url(f"/notices/{notice['id']}")
    assert out.strip() == f"Approved item {item_id}: {url}"
    assert (notice["title"], notice["origin"]) == (TITLE, "submission")
    assert item(board, item_id) == {"state": "approved", "reason": "passt", "decided_by": ACTING}
    assert board.get(f"/notices/{notice['id']}").status_code == 200


def test_queue_reject__records_the_reason_and_publishes_nothing(board: RunningBoard) -> None:
    item_id = submitted_and_queued(board)

    out = ok(board.cli("queue", "reject", str(item_id), "--reason", "Werbung"))

    assert out.strip() == f"Rejected item {item_id}"
    assert item(board, item_id) == {"state": "rejected", "reason": "Werbung", "decided_by": ACTING}
    assert board.rows("SELECT id FROM notices") == []


@pytest.mark.parametrize("reason", [None, "   "], ids=["missing", "blank"])
def test_queue_reject__without_a_reason_exits_2_with_one_line(
    board: RunningBoard, reason: str | None
) -> None:
    item_id = submitted_and_queued(board)
    extra = () if reason is None else ("--reason", reason)

    line = one_line_error(board.cli("queue", "reject", str(item_id), *extra))

    assert "--reason" in line
    assert item(board, item_id)["state"] == "pending"


def test_queue_approve__unknown_item_exits_2_with_one_line(board: RunningBoard) -> None:
    line = one_line_error(board.cli("queue", "approve", "999"))

    assert "999" in line and "no such item" in line
    assert board.rows("SELECT id FROM notices") == []


def test_queue_approve__decided_item_exits_2_with_one_line(board: RunningBoard) -> None:
    item_id = submitted_and_queued(board)
    ok(board.cli("queue", "reject", str(item_id), "--reason", "Werbung"))

    line = one_line_error(board.cli("queue", "approve", str(item_id)))

    assert "decided already" in line
    assert item(board, item_id)["state"] == "rejected"
    assert board.rows("SELECT id FROM notices") == []


# --- blocks -----------------------------------------------------------------------------------


def test_block__handle_is_resolved_blocked_and_no_longer_a_follower(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    follow(board, alice)
    asked = len(alice.server.gets("/.well-known/webfinger"))

    out = ok(board.cli("block", alice.handle, "--reason", "Belästigung"))

    assert out.strip() == f"Blocked {alice.id}"
    assert len(alice.server.gets("/.well-known/webfinger")) == asked + 1  # found by WebFinger
    assert board.rows("SELECT actor_id, reason FROM blocked_actors") == [
        {"actor_id": alice.id, "reason": "Belästigung"}
    ]
    assert board.followers() == []


def test_block__unknown_handle_exits_2_with_one_line(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    one_line_error(board.cli("block", f"@nobody@{fediverse.remote.authority}"))

    assert board.rows("SELECT * FROM blocked_actors") == []


def test_block__domain_and_account_are_listed_and_each_unblocked(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    ok(board.cli("block", alice.handle))
    out = ok(board.cli("block", "Example.ORG", "--reason", "Spam-Server"))
    assert out.startswith("Blocked example.org")
    assert board.rows("SELECT domain, reason FROM blocked_domains") == [
        {"domain": "example.org", "reason": "Spam-Server"}
    ]

    listed = cli_json(board, "blocks")

    assert sorted((b["kind"], b["target"]) for b in listed) == [
        ("account", alice.id),
        ("domain", "example.org"),
    ]
    assert ok(board.cli("unblock", alice.handle)).strip() == f"Unblocked {alice.handle}"
    assert ok(board.cli("unblock", "example.org")).strip() == "Unblocked example.org"
    assert board.rows("SELECT * FROM blocked_actors") == []
    assert board.rows("SELECT * FROM blocked_domains") == []
    assert cli_json(board, "blocks") == []


def test_unblock__what_is_not_blocked_exits_2_with_one_line(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")

    assert "not blocked" in one_line_error(board.cli("unblock", alice.handle))
    assert "not blocked" in one_line_error(board.cli("unblock", "example.org"))


def test_block__what_is_no_domain_exits_2_with_one_line(board: RunningBoard) -> None:
    line = one_line_error(board.cli("block", "not a domain"))

    assert "not a domain" in line
    assert board.rows("SELECT * FROM blocked_domains") == []


@pytest.mark.parametrize("target", ["@x@y@spam.example", "x@y@spam.example"])
def test_block__a_handle_with_two_at_signs_exits_2_and_blocks_nothing(
    board: RunningBoard, target: str
) -> None:
    assert "not a domain" in one_line_error(board.cli("block", target))
    assert board.rows("SELECT * FROM blocked_domains") == []


def test_block__the_boards_own_server_exits_2(board: RunningBoard) -> None:
    assert "own server" in one_line_error(board.cli("block", board.config.host))
    assert board.rows("SELECT * FROM blocked_domains") == []


# --- reports ----------------------------------------------------------------------------------


def test_report__forwarded_sends_a_flag_to_the_accounts_server(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice", shared_inbox=None)

    out = ok(board.cli("report", alice.handle, "--comment", "Spam", "--forward"))
    board.clock.set(datetime.now(UTC))  # the delivery is due by the real clock

    assert out.strip().endswith("and sent it to the account's server")
    [report] = board.rows("SELECT target_actor, comment, forwarded FROM reports")
    assert (report["target_actor"], report["comment"]) == (alice.id, "Spam")
    assert report["forwarded"] is not None
    board.drain()
    [request] = alice.server.posts(alice.inbox_path)
    sent = request.json()
    assert (sent["type"], sent["object"], sent["content"]) == ("Flag", [alice.id], "Spam")
    assert sent["actor"] == board.url("/actor")


def test_report__not_forwarded_sends_nothing(board: RunningBoard, fediverse: Fediverse) -> None:
    alice = fediverse.actor("alice", shared_inbox=None)

    out = ok(board.cli("report", alice.handle, "--comment", "intern"))

    assert out.strip() == f"Recorded report {board.value('SELECT id FROM reports')}"
    assert board.value("SELECT forwarded FROM reports") is None
    assert board.rows("SELECT id FROM outbox_activities WHERE type = 'Flag'") == []
    board.drain()
    assert alice.server.posts() == []


# --- staff accounts ---------------------------------------------------------------------------


def added_password(out: str) -> str:
    match = re.search(r"^Password: (\S+)$", out, re.M)
    assert match, out
    return match.group(1)


def staff_row(board: RunningBoard, username: str) -> dict[str, Any]:
    [row] = board.rows("SELECT role, active FROM staff WHERE username = ?", username)
    return row


def test_staff_add__prints_a_password_that_signs_in(board: RunningBoard) -> None:
    out = ok(board.cli("staff", "add", "Erik", "--role", "editor"))

    assert out.startswith("Added erik (editor)")
    assert staff_row(board, "erik") == {"role": "editor", "active": 1}
    assert login_status(board, "erik", added_password(out)) == 303


def test_staff_add__password_from_stdin_is_not_printed(board: RunningBoard) -> None:
    result = aushang(
        board,
        *("staff", "add", "mila", "--role", "editor", "--password-stdin"),
        *("--instance", str(INSTANCE)),
        stdin=f"{NEW_PASSWORD}\n",
    )

    assert ok(result).strip() == "Added mila (editor)"
    assert login_status(board, "mila", NEW_PASSWORD) == 303


def test_staff_add__short_password_from_stdin_exits_2_with_one_line(board: RunningBoard) -> None:
    result = aushang(
        board,
        *("staff", "add", "mila", "--role", "editor", "--password-stdin"),
        *("--instance", str(INSTANCE)),
        stdin="kurz\n",
    )

    assert "10 characters" in one_line_error(result)
    assert board.rows("SELECT id FROM staff WHERE username = 'mila'") == []


@pytest.mark.parametrize("stdin", ["", "\n"], ids=["nothing", "empty-line"])
def test_staff_add__no_password_on_stdin_exits_2_and_adds_nobody(
    board: RunningBoard, stdin: str
) -> None:
    # An account with a generated password nobody was shown could never sign in.
    result = aushang(
        board,
        *("staff", "add", "mila", "--role", "editor", "--password-stdin"),
        *("--instance", str(INSTANCE)),
        stdin=stdin,
    )

    assert "password" in one_line_error(result)
    assert board.rows("SELECT id FROM staff WHERE username = 'mila'") == []


@pytest.mark.parametrize("username", ["a", "zwei wörter", "-erik", "x" * 40, "admin"])
def test_staff_add__bad_or_taken_user_name_exits_2_with_one_line(
    board: RunningBoard, username: str
) -> None:
    one_line_error(board.cli("staff", "add", username, "--role", "editor"))

    assert board.value("SELECT count(*) FROM staff") == 1


def test_staff_list__json_lists_every_account(board: RunningBoard) -> None:
    ok(board.cli("staff", "add", "mila", "--role", "moderator"))

    listed = cli_json(board, "staff", "list")

    assert [(s["username"], s["role"], s["active"]) for s in listed] == [
        ("admin", "owner", True),
        ("mila", "moderator", True),
    ]


def test_staff_remove__deactivates_and_activate_brings_the_account_back(
    board: RunningBoard,
) -> None:
    password = added_password(ok(board.cli("staff", "add", "erik", "--role", "editor")))

    assert ok(board.cli("staff", "remove", "erik")).strip() == "erik is deactivated"
    assert staff_row(board, "erik")["active"] == 0
    assert login_status(board, "erik", password) != 303
    assert ok(board.cli("staff", "activate", "erik")).strip() == "erik is active"
    assert login_status(board, "erik", password) == 303


def test_staff__names_are_matched_in_small_letters_as_they_are_stored(
    board: RunningBoard,
) -> None:
    password = added_password(ok(board.cli("staff", "add", "Erik", "--role", "editor")))

    assert ok(board.cli("staff", "remove", "ERIK")).strip() == "ERIK is deactivated"
    assert staff_row(board, "erik")["active"] == 0
    assert ok(board.cli("staff", "activate", "Erik")).strip() == "Erik is active"
    assert login_status(board, "Erik", password) == 303


def test_staff_role__changes_the_role(board: RunningBoard) -> None:
    ok(board.cli("staff", "add", "erik", "--role", "editor"))

    out = ok(board.cli("staff", "role", "erik", "--role", "moderator"))

    assert out.strip() == "erik is now moderator"
    assert staff_row(board, "erik") == {"role": "moderator", "active": 1}


@pytest.mark.parametrize(
    "args",
    [("remove", "admin"), ("role", "admin", "--role", "editor")],
    ids=["remove", "demote"],
)
def test_staff__the_last_active_owner_stays_an_active_owner(
    board: RunningBoard, args: tuple[str, ...]
) -> None:
    ok(board.cli("staff", "add", "erik", "--role", "editor"))

    line = one_line_error(board.cli("staff", *args))

    assert "at least one active owner" in line
    assert staff_row(board, "admin") == {"role": "owner", "active": 1}
    assert board.login()  # still signs in
    actions = [r["action"] for r in board.rows("SELECT action FROM audit_log")]
    assert actions == ["staff.add"]


def test_staff__unknown_account_exits_2_with_one_line(board: RunningBoard) -> None:
    assert "no such staff account" in one_line_error(board.cli("staff", "remove", "niemand"))
    line = one_line_error(board.cli("staff", "role", "niemand", "--role", "editor"))
    assert "no such staff account" in line


def test_staff_invite__prints_a_link_that_works_once(board: RunningBoard) -> None:
    out = ok(board.cli("staff", "invite", "Mila", "--role", "moderator"))
    board.clock.set(datetime.now(UTC))  # the link's week counts from the real time

    match = re.search(r"^(\S+)/invitation/([A-Za-z0-9_-]+)$", out, re.M)
    assert match, out
    assert match.group(1) == board.base_url
    token = match.group(2)
    assert board.new_client().get(f"/invitation/{token}").status_code == 200
    assert "mila" in out
    assert accept(board, token).status_code == 303
    assert staff_row(board, "mila") == {"role": "moderator", "active": 1}
    assert board.new_client().get(f"/invitation/{token}").status_code == 404


# --- audit log --------------------------------------------------------------------------------


def test_audit__names_the_command_line_as_who_acted(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    item_id = submitted_and_queued(board)
    ok(board.cli("queue", "reject", str(item_id), "--reason", "Werbung"))
    ok(board.cli("staff", "add", "erik", "--role", "editor"))
    ok(board.cli("staff", "role", "erik", "--role", "moderator"))
    ok(board.cli("block", "example.org", "--reason", "Spam"))
    ok(board.cli("settings", "--reply-policy", "open"))
    ok(board.cli("share-rule", "add", "--type", "event"))

    entries = cli_json(board, "audit")

    assert {(e["staff"], e["action"], e["target"]) for e in entries} >= {
        (ACTING, "submission.reject", f"#{item_id}"),
        (ACTING, "staff.add", "erik (editor)"),
        (ACTING, "staff.role", "erik (moderator)"),
        (ACTING, "block.domain", "example.org"),
        (ACTING, "settings.reply_policy", "open"),
    }
    assert {e["staff"] for e in entries} == {ACTING}
    assert "share_rule.add" in {e["action"] for e in entries}
    for entry in entries:
        assert datetime.fromisoformat(entry["created"]).tzinfo is not None
    assert len(cli_json(board, "audit", "--limit", "2")) == 2


# --- settings ---------------------------------------------------------------------------------


def test_settings__are_changed_printed_and_stored(board: RunningBoard) -> None:
    shown = cli_json(
        board, "settings", "--reply-policy", "open", "--limited", "on", "--allow", "example.org"
    )

    assert shown == {
        "reply_policy": "open",
        "limited_federation": True,
        "allowed_servers": ["example.org"],
    }
    assert board.value("SELECT value FROM settings WHERE key = 'reply_policy'") == "open"
    assert board.value("SELECT limited FROM federation_policy") == 1
    assert board.rows("SELECT domain FROM allowed_domains") == [{"domain": "example.org"}]
    shown = cli_json(board, "settings", "--limited", "off", "--disallow", "example.org")
    assert shown == {"reply_policy": "open", "limited_federation": False, "allowed_servers": []}


def test_settings__unknown_reply_policy_exits_2_with_one_line(board: RunningBoard) -> None:
    line = one_line_error(board.cli("settings", "--reply-policy", "everyone"))

    assert "--reply-policy" in line and "everyone" in line
    assert board.value("SELECT value FROM settings WHERE key = 'reply_policy'") is None


# --- posting on a resident's behalf -----------------------------------------------------------


def consent_until() -> str:
    """A day ahead of the real clock, which the command line reads."""
    return (date.today() + timedelta(days=30)).isoformat()


def test_post__on_behalf_of_a_resident_is_assisted(board: RunningBoard) -> None:
    out = ok(
        board.cli(
            *("post", "--title", "Hilfe beim Einkaufen", "--body", "Dienstags"),
            *("--on-behalf-of", "Frau K.", "--consent", "phone"),
            *("--consent-until", consent_until()),
        )
    )

    [notice] = board.rows("SELECT * FROM notices")
    assert out.strip() == board.url(f"/notices/{notice['id']}")
    assert (notice["origin"], notice["on_behalf_of"], notice["consent_method"]) == (
        "assisted",
        "Frau K.",
        "phone",
    )
    assert notice["consent_until"] is not None


def test_post__on_behalf_without_consent_until_exits_2_with_one_line(board: RunningBoard) -> None:
    result = board.cli(
        *("post", "--title", "Hilfe beim Einkaufen", "--body", "Dienstags"),
        *("--on-behalf-of", "Frau K.", "--consent", "phone"),
    )

    assert "consent_until" in one_line_error(result)
    assert board.rows("SELECT id FROM notices") == []


# --- sharing ----------------------------------------------------------------------------------


def public_note(alice: RemoteActor, n: int = 1) -> dict[str, Any]:
    """A public Note served at its id on alice's server."""
    note_id = f"{alice.id}/statuses/{n}"
    note = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": note_id,
        "type": "Note",
        "attributedTo": alice.id,
        "content": "<p>Flohmarkt am Sonntag</p>",
        "url": note_id,
        "published": "2026-03-02T08:00:00Z",
        "to": [PUBLIC],
        "cc": [f"{alice.id}/followers"],
    }
    alice.server.serve_json(note_id.removeprefix(alice.server.origin), note)
    return note


def test_share_and_unshare__a_public_post(board: RunningBoard, fediverse: Fediverse) -> None:
    note = public_note(fediverse.actor("alice"))

    out = ok(board.cli("share", note["id"]))

    [notice] = board.rows("SELECT id, origin, origin_id FROM notices")
    assert out.strip() == "Shared: " + board.url(f"/notices/{notice['id']}")
    assert (notice["origin"], notice["origin_id"]) == ("shared", note["id"])
    assert ok(board.cli("unshare", note["id"])).strip() == f"No longer shared: {note['id']}"
    assert board.value("SELECT deleted FROM notices") is not None


@pytest.mark.parametrize("what", ["missing", "actor", "not-a-url"])
def test_share__what_is_not_a_public_post_exits_2_with_one_line(
    board: RunningBoard, fediverse: Fediverse, what: str
) -> None:
    alice = fediverse.actor("alice")
    url = {
        "missing": alice.server.url("/users/alice/statuses/404"),
        "actor": alice.id,
        "not-a-url": "Flohmarkt",
    }[what]

    one_line_error(board.cli("share", url))

    assert board.rows("SELECT id FROM notices") == []


def test_unshare__what_is_not_shared_exits_2_with_one_line(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    url = fediverse.remote.url("/users/alice/statuses/1")

    assert "does not share" in one_line_error(board.cli("unshare", url))


def test_share_rule__add_list_and_remove(board: RunningBoard) -> None:
    out = ok(board.cli("share-rule", "add", "--type", "event", "--daily-cap", "2"))

    match = re.fullmatch(r"Added rule (\d+)\n", out)
    assert match, out
    rule_id = int(match.group(1))
    [rule] = cli_json(board, "share-rule", "list")
    assert (rule["id"], rule["from"], rule["kind"], rule["daily_cap"], rule["hits"]) == (
        rule_id,
        None,
        "event",
        2,
        0,
    )
    assert ok(board.cli("share-rule", "remove", str(rule_id))).strip() == f"Removed rule {rule_id}"
    assert cli_json(board, "share-rule", "list") == []


def test_share_rule__unknown_rule_or_cap_below_one_exits_2_with_one_line(
    board: RunningBoard,
) -> None:
    assert "999" in one_line_error(board.cli("share-rule", "remove", "999"))
    assert "daily cap" in one_line_error(board.cli("share-rule", "add", "--daily-cap", "0"))
    assert board.rows("SELECT * FROM share_rules") == []


# --- where --instance goes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("queue", "list", "--json", "--instance", str(INSTANCE)),
        ("queue", "--instance", str(INSTANCE), "list", "--json"),
        ("queue", "list", "--instance", str(INSTANCE), "--json"),
    ],
    ids=["after-the-action", "before-the-action", "between-options"],
)
def test_instance__may_come_before_or_after_the_action(
    board: RunningBoard, args: tuple[str, ...]
) -> None:
    item_id = submitted_and_queued(board)

    listed = json.loads(ok(aushang(board, *args)))

    assert [i["id"] for i in listed] == [item_id]


def test_instance__missing_for_an_action_exits_2_with_one_line(board: RunningBoard) -> None:
    assert "--instance" in one_line_error(aushang(board, "queue", "list"))
