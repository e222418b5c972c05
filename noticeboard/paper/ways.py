"""Every way to get the board's news, with its address: for the follow page and the poster."""

from __future__ import annotations

from dataclasses import dataclass

from noticeboard.config import Config
from noticeboard.urls import BoardUrls

SUBSCRIBE_PATH = "/mail"  # the e-mail subscription form, where the board sends mail
FOLLOW_PATH = "/follow"


@dataclass(frozen=True)
class Ways:
    home: str
    follow_page: str
    handle: str
    actor: str
    calendar: str
    feed: str
    subscribe: str | None  # None: the board sends no e-mail
    display_case: str  # where the weekly sheet hangs (the board's address), may be empty


def mail_configured(config: Config) -> bool:
    """Whether the board sends e-mail: its configuration has a [mail] section."""
    return config.mail is not None


def ways_to_follow(config: Config, urls: BoardUrls) -> Ways:
    return Ways(
        home=urls.home,
        follow_page=urls.base + FOLLOW_PATH,
        handle=config.handle,
        actor=urls.actor,
        calendar=urls.base + "/calendar.ics",
        feed=urls.base + "/feed.atom",
        subscribe=urls.base + SUBSCRIBE_PATH if mail_configured(config) else None,
        display_case=config.contact.address,
    )
