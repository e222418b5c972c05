"""The mails themselves: plain text with a simple HTML alternative, from the board's templates,
with the headers every mail of the board carries (RFC 8058 one-click unsubscribe included).

No tracking: no pixels, no rewritten links, every link goes straight to the board.
"""

from __future__ import annotations

import email.policy
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from federation.database import Row, from_db_time
from noticeboard.config import Config, MailConfig
from noticeboard.i18n import get_translations, gettext_context, make_environment
from noticeboard.notices.kinds import BY_ID
from noticeboard.urls import BoardUrls

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
# Headers are not folded before RFC 5322's limit: a folded List-Unsubscribe confuses clients.
POLICY = email.policy.default.clone(max_line_length=998)
SUMMARY_MAX = 280


@dataclass(frozen=True)
class Links:
    """Where a subscriber changes the choice and unsubscribes (both need no sign-in)."""

    manage: str
    unsubscribe: str


@dataclass(frozen=True)
class NoticeLine:
    """One notice as a mail lists it."""

    title: str
    url: str
    kind: str  # message id of the kind's label
    symbol: str
    summary: str
    start: datetime | None
    place: str


def notice_lines(rows: Sequence[Row], urls: BoardUrls) -> list[NoticeLine]:
    return [_line(row, urls) for row in rows]


def _line(row: Row, urls: BoardUrls) -> NoticeLine:
    kind = BY_ID.get(row["kind"])
    text = " ".join(row["body_md"].split())
    summary = text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rsplit(" ", 1)[0] + " …"
    return NoticeLine(
        title=row["title"],
        url=urls.notice(row["id"]),
        kind=kind.label if kind else row["kind"],
        symbol=kind.symbol if kind else "",
        summary=summary,
        start=from_db_time(row["event_start"]) if row["event_start"] else None,
        place=row["place_name"] or row["place_address"] or "",
    )


@functools.cache
def environment() -> jinja2.Environment:
    return make_environment(TEMPLATES_DIR)


def message_id(config: Config) -> str:
    return make_msgid("aushang", domain=urlsplit(config.base_url).hostname or "localhost")


def compose(
    config: Config,
    *,
    to: str,
    subject: str,
    template: str,
    lang: str,
    links: Links | None,
    now: datetime,
    msgid: str,
    **context: Any,
) -> EmailMessage:
    """A mail in `lang` from templates/email/{template}.txt and .html."""
    mail = _mail_config(config)
    values = {
        "board": config,
        "contact": config.contact.as_dict(),
        "lang": lang,
        "timezone": config.timezone,
        "now": now,
        "links": links,
        "subject": subject,
        **gettext_context(lang),
        **context,
    }
    env = environment()
    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject
    message["From"] = Address(display_name=config.name, addr_spec=mail.sender)
    message["To"] = to
    if config.contact.email:
        message["Reply-To"] = config.contact.email
    message["Date"] = format_datetime(now)
    message["Message-ID"] = msgid
    message["Content-Language"] = lang
    message["Auto-Submitted"] = "auto-generated"
    if links is not None:
        message["List-Id"] = f"{config.name} <{config.username}.{_domain(config)}>"
        message["List-Unsubscribe"] = f"<{links.unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = env.get_template(f"email/{template}.txt").render(values)
    html = env.get_template(f"email/{template}.html").render(values)
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def gettext(lang: str, text: str, **variables: str) -> str:
    translated = get_translations(lang).gettext(text)
    return translated % variables if variables else translated


def with_date(content: str, now: datetime) -> bytes:
    """A queued mail as it leaves: the Date of the moment it is sent, CRLF line ends."""
    lines = content.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if line == "":
            break  # the end of the headers
        if line.lower().startswith("date:"):
            lines[index] = f"Date: {format_datetime(now)}"
            break
    return "\r\n".join(lines).encode("ascii")


def _mail_config(config: Config) -> MailConfig:
    if config.mail is None:
        raise RuntimeError("the board has no [mail] section")
    return config.mail


def _domain(config: Config) -> str:
    return urlsplit(config.base_url).hostname or "localhost"
