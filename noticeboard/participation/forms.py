"""What residents and moderators type: a submission (the public form, and the moderators'
corrections in the queue) and the spam protection of the public form, which needs no third
party (a honeypot field, a signed time-to-submit check; the rate limit is the web's)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass

from noticeboard.i18n import N_
from noticeboard.notices.forms import NAME_MAX, InvalidNotice, NoticeDraft, validate_draft
from noticeboard.notices.kinds import KINDS

SUBMISSION_KINDS = tuple(k for k in KINDS if k.id not in ("event", "poll"))
SUBMISSION_FIELDS = ("kind", "title", "body", "name", "contact")
CONTACT_MAX = 200
MIN_SECONDS = 3  # people need longer than this to fill in a form; scripts do not
MAX_SECONDS = 6 * 3600
HONEYPOT = "website"


@dataclass(frozen=True)
class Submission:
    kind: str
    title: str
    body: str
    author_name: str
    contact: str


def submission_draft(fields: Mapping[str, str]) -> NoticeDraft:
    """Kind, title and text of a submission as a notice draft; InvalidNotice with reasons."""
    kind = fields.get("kind", "")
    errors: dict[str, str] = {}
    if kind not in {k.id for k in SUBMISSION_KINDS}:
        errors["kind"] = N_("Please choose a kind of notice.")
        kind = "announcement"
    try:
        draft = validate_draft(fields.get("title", ""), fields.get("body", ""), kind=kind)
    except InvalidNotice as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidNotice(errors)
    return draft


def validate_submission(fields: Mapping[str, str], consent: bool) -> Submission:
    """Check a resident's submission; raise InvalidNotice with a reason per field."""
    errors: dict[str, str] = {}
    try:
        submission_draft(fields)
    except InvalidNotice as exc:
        errors.update(exc.errors)
    name, contact = fields.get("name", "").strip(), fields.get("contact", "").strip()
    if len(name) > NAME_MAX:
        errors["name"] = N_("The name is too long (at most 80 characters).")
    if len(contact) > CONTACT_MAX:
        errors["contact"] = N_("The contact details are too long (at most 200 characters).")
    if not consent:
        errors["consent"] = N_("Please agree to the privacy note, or we cannot take your notice.")
    if errors:
        raise InvalidNotice(errors)
    return Submission(
        kind=fields["kind"],
        title=fields["title"].strip(),
        body=fields["body"].strip(),
        author_name=name,
        contact=contact,
    )


# --- spam protection -----------------------------------------------------------------------------


def form_token(secret: str, now: float | None = None) -> str:
    """A signed moment: when the form was handed out."""
    stamp = str(int(time.time() if now is None else now))
    return f"{stamp}.{_sign(secret, stamp)}"


def token_age(secret: str, token: str, now: float | None = None) -> float | None:
    """Seconds since the form was handed out, or None if the token is not ours."""
    stamp, _, signature = token.partition(".")
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        return None
    if not hmac.compare_digest(signature.encode(), _sign(secret, stamp).encode()):
        return None
    return (time.time() if now is None else now) - int(stamp)


def _sign(secret: str, stamp: str) -> str:
    key = hashlib.sha256(f"submission-form:{secret}".encode()).digest()
    return hmac.new(key, stamp.encode(), hashlib.sha256).hexdigest()[:32]


def robot_reason(honeypot: str, token: str, secret: str) -> str | None:
    """Why the form looks sent by a script, or None: honeypot filled, too fast, stale."""
    if honeypot:
        return N_("This submission looks automatic and was not accepted.")
    age = token_age(secret, token)
    if age is None or age > MAX_SECONDS:
        return N_("The form has expired. Please go back, reload the page and try again.")
    if age < MIN_SECONDS:
        return N_("That was very fast. Please check your text and send the form again.")
    return None
