"""The audit log in words: one sentence for every action code the board writes, so volunteers
read "hat den Aushang „Hoffest“ veröffentlicht" instead of `notice.publish.staff`.

Each sentence follows the name of who acted; `%(target)s` is what the entry concerns (a
notice's title where the board can find it). `tests/noticeboard/test_plain_words.py` finds
every code written anywhere in the code and fails when one has no sentence here.
"""

from __future__ import annotations

from dataclasses import dataclass

from noticeboard.i18n import N_, get_translations

ACTIONS: dict[str, str] = {
    # notices
    "notice.publish.staff": N_("published the notice “%(target)s”"),
    "notice.publish.submission": N_("published the notice “%(target)s” sent in by a resident"),
    "notice.publish.assisted": N_("published the notice “%(target)s” on behalf of a resident"),
    "notice.publish.shared": N_("shared the post “%(target)s” on the board"),
    "notice.edit": N_("changed the notice “%(target)s”"),
    "notice.done": N_("marked the notice “%(target)s” as done"),
    "notice.delete": N_("deleted the notice “%(target)s”"),
    "notice.pin": N_("pinned the notice “%(target)s” to the top"),
    "notice.unpin": N_("unpinned the notice “%(target)s”"),
    "notice.translate": N_("added a translation to the notice “%(target)s”"),
    "notice.untranslate": N_("removed a translation from the notice “%(target)s”"),
    "notice.consent_ended": N_(
        "removed the resident's name from the notice “%(target)s”, as their consent ended"
    ),
    "notice.share": N_("shared the post %(target)s on the board"),
    "poll.codes": N_("made voting codes for the poll “%(target)s”"),
    "paper.week": N_("chose the notices of this week's sheet for the display case"),
    # the queue
    "submission.edit": N_("corrected the sent-in notice %(target)s"),
    "submission.approve": N_("published the sent-in notice %(target)s"),
    "submission.reject": N_("turned down the sent-in notice %(target)s"),
    "reply.approve": N_("let the reply %(target)s appear"),
    "reply.reject": N_("turned down the reply %(target)s"),
    "mention.approve": N_("shared the post %(target)s that mentioned the board"),
    "mention.reject": N_("turned down the post %(target)s that mentioned the board"),
    "report.approve": N_("closed the report %(target)s"),
    "report.reject": N_("dismissed the report %(target)s"),
    "reply.hide": N_("hid the reply %(target)s"),
    "report.create": N_("reported the account %(target)s"),
    "report.forward": N_("passed the report about %(target)s on to its server"),
    # groups
    "group.create": N_("founded the group %(target)s"),
    "group.edit": N_("changed the description of the group %(target)s"),
    "group.leader": N_("made %(target)s a group leader"),
    "group.member.approve": N_("let %(target)s join the group"),
    "group.member.remove": N_("took %(target)s out of the group"),
    "group.member.block": N_("blocked %(target)s in the group"),
    "group.post.approve": N_("let the post %(target)s appear in the group"),
    "group.post.remove": N_("took the post %(target)s out of the group"),
    # who may take part
    "settings.reply_policy": N_("set which replies appear at once to “%(target)s”"),
    "block.actor": N_("blocked the account %(target)s"),
    "unblock.actor": N_("unblocked the account %(target)s"),
    "block.domain": N_("blocked the server %(target)s"),
    "unblock.domain": N_("unblocked the server %(target)s"),
    "federation.limited": N_("switched the exchange with allowed servers only %(target)s"),
    "allow.domain": N_("allowed the server %(target)s"),
    "disallow.domain": N_("no longer allows the server %(target)s"),
    # followers and followed accounts
    "follower.approve": N_("let %(target)s follow the board"),
    "follower.reject": N_("did not let %(target)s follow the board"),
    "following.follow": N_("followed %(target)s"),
    "following.unfollow": N_("stopped following %(target)s"),
    "following.moved": N_("followed an account to its new address: %(target)s"),
    "share_rule.add": N_("added a rule for sharing automatically: %(target)s"),
    "share_rule.remove": N_("removed the rule for sharing %(target)s"),
    "delivery.retry": N_("tried again to deliver %(target)s"),
    "inbox.retry": N_("tried again to process a message that came in: %(target)s"),
    # staff
    "staff.invite": N_("invited %(target)s to the team"),
    "staff.join": N_("joined the team as %(target)s"),
    "staff.add": N_("added %(target)s to the team"),
    "staff.activate": N_("switched on the account %(target)s"),
    "staff.deactivate": N_("switched off the account %(target)s"),
    "staff.role": N_("gave %(target)s a new role"),
    "staff.password": N_("changed the password of %(target)s"),
    "staff.reset_password": N_("set a new password for %(target)s"),
    "staff.transfer_owner": N_("handed the board over to %(target)s"),
    "staff.sign_out": N_("signed %(target)s out everywhere"),
    # mail
    "mail.remove": N_("removed the e-mail address %(target)s"),
    "mail.export": N_("exported the e-mail addresses (%(target)s)"),
    "mail.digest": N_("sent the weekly news by e-mail (%(target)s)"),
    "mail.test": N_("sent a test e-mail to %(target)s"),
    # the board's life
    "move.prepare": N_("prepared the move from the old address %(target)s"),
    "move.forget": N_("took back the preparation of a move from %(target)s"),
    "move.move": N_("moved the board to %(target)s"),
    "board.close": N_("closed the board"),
}

# Words for the values some entries carry as their target.
TARGET_WORDS = {
    "settings.reply_policy": {
        "hold": N_("none, our team reads each first"),
        "known": N_("those of known accounts"),
        "open": N_("all"),
    },
    "federation.limited": {"on": N_("on"), "off": N_("off")},
}


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as staff read it: a sentence, with the code kept for admins."""

    sentence: str
    code: str
    known: bool


def describe(action: str, target: str, lang: str, title: str | None = None) -> AuditLine:
    """Say in words what an audit entry records; an unknown code is shown as it is."""
    sentence = ACTIONS.get(action)
    if sentence is None:
        return AuditLine(action, action, False)
    translations = get_translations(lang)
    shown = title or target
    words = TARGET_WORDS.get(action, {}).get(target)
    if words is not None:
        shown = translations.gettext(words)
    return AuditLine(translations.gettext(sentence) % {"target": shown}, action, True)
