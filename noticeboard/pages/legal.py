"""What every page links to: the Impressum, the privacy note built from what this board has
switched on, and the page that explains the few technical words the board cannot avoid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from noticeboard.config import Config, LegalConfig
from noticeboard.i18n import N_, get_translations
from noticeboard.mail.links import CONFIRM_VALID
from noticeboard.participation import queries as participation
from noticeboard.runtime import runtime
from noticeboard.web.rendering import language_of

# What each required key of [legal] is called on the Impressum when it is missing.
LEGAL_LABELS = {
    "organisation": N_("the name of the organisation that runs the board"),
    "address": N_("its postal address"),
    "representative": N_("who represents it (for example the board of the association)"),
    "email": N_("an e-mail address"),
    "phone": N_("a telephone number or another quick way to reach us"),
    "content_responsible": N_("who is responsible for the content, with address"),
    "supervisory_authority": N_("the data-protection authority in charge"),
}


def missing_legal(legal: LegalConfig) -> list[str]:
    """The [legal] keys that are still empty, for `aushang doctor` and the start-up log."""
    return list(legal.missing())


def startup_warning(config: Config) -> str | None:
    """The line logged at start-up while the Impressum lacks what the law asks for."""
    missing = missing_legal(config.legal)
    if not missing:
        return None
    keys = ", ".join(f"legal.{key}" for key in missing)
    return f"the Impressum is incomplete: set {keys} in the board's configuration"


@dataclass(frozen=True)
class PrivacyFacts:
    """What the privacy note says, read from this board's configuration and settings."""

    mail: bool
    approve_followers: bool
    reply_policy: str
    limited: bool
    backup_keep: int
    backup_hour: int
    session_lifetime: str
    idle_timeout: str
    confirm_valid: str
    log_retention_days: int


def duration(span: timedelta, lang: str, preposition: str = "after") -> str:
    """A span of time in words, whole days beyond two as days, else hours: "nach 48 Stunden",
    "nach 14 Tagen". German declines the unit after a preposition, so each preposition has its
    own messages."""
    t = get_translations(lang)
    hours = max(1, round(span.total_seconds() / 3600))
    days = hours // 24 if hours % 24 == 0 and hours > 48 else 0
    if preposition == "within":
        if days:
            text = t.ngettext("within %(num)s day", "within %(num)s days", days)
        else:
            text = t.ngettext("within %(num)s hour", "within %(num)s hours", hours)
    elif days:
        text = t.ngettext("after %(num)s day", "after %(num)s days", days)
    else:
        text = t.ngettext("after %(num)s hour", "after %(num)s hours", hours)
    return text % {"num": days or hours}


async def impressum(request: Request) -> Response:
    rt = runtime(request)
    legal = rt.state.config.legal
    return rt.renderer.page(
        request,
        "impressum.html",
        legal=legal,
        missing=[LEGAL_LABELS[key] for key in legal.missing()],
        active_page="impressum",
        page_title=N_("Legal notice (Impressum)"),
    )


async def privacy(request: Request) -> Response:
    rt = runtime(request)
    config = rt.state.config
    lang = language_of(request)
    settings = await participation.settings(rt.state)
    facts = PrivacyFacts(
        mail=config.mail is not None,
        approve_followers=config.federation.approve_followers,
        reply_policy=settings.reply_policy,
        limited=settings.limited,
        backup_keep=config.backup.keep,
        backup_hour=config.backup.hour,
        session_lifetime=duration(config.staff.session_lifetime, lang),
        idle_timeout=duration(config.staff.idle_timeout, lang),
        confirm_valid=duration(CONFIRM_VALID, lang, "within"),
        log_retention_days=config.legal.log_retention_days,
    )
    return rt.renderer.page(
        request,
        "privacy.html",
        legal=config.legal,
        facts=facts,
        active_page="privacy",
        page_title=N_("Privacy note"),
    )


async def help_page(request: Request) -> Response:
    return runtime(request).renderer.page(
        request, "help.html", active_page="help", page_title=N_("Words explained")
    )


routes = [
    Route("/impressum", impressum),
    Route("/imprint", impressum),
    Route("/privacy", privacy),
    Route("/datenschutz", privacy),
    Route("/hilfe", help_page),
    Route("/help", help_page),
]
