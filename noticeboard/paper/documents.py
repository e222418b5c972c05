"""The printed documents: the board's own templates with print CSS, rendered to PDF."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import jinja2

from noticeboard.i18n import gettext_context, make_environment, supported_language
from noticeboard.paper.qr import qr_svg
from noticeboard.paper.queries import Poster, WeekSheet
from noticeboard.paper.ways import ways_to_follow
from noticeboard.state import BoardState
from noticeboard.web.rendering import TEMPLATES_DIR

STATIC_DIR = TEMPLATES_DIR.parent / "static"
WEEK_PAGES = 2


@functools.cache
def _environment() -> jinja2.Environment:
    env = make_environment(TEMPLATES_DIR)
    env.globals["qr"] = qr_svg
    return env


def render_html(state: BoardState, template: str, lang: str, **context: Any) -> str:
    config = state.config
    lang = supported_language(lang) or supported_language(config.language) or "de"
    values = {
        "lang": lang,
        "timezone": config.timezone,
        "now": state.clock(),
        "board": config,
        "contact": config.contact.as_dict(),
        "ways": ways_to_follow(config, state.urls),
        **gettext_context(lang),
        **context,
    }
    return _environment().get_template(template).render(values)


async def to_pdf(state: BoardState, template: str, lang: str, **context: Any) -> tuple[bytes, int]:
    # WeasyPrint loads Pango and its fonts when imported (about half a second of CPU): only
    # what prints pays for it, not every start of the server or of a command.
    from noticeboard.paper.pdf import html_to_pdf

    html = render_html(state, template, lang, **context)
    return await asyncio.to_thread(html_to_pdf, html, state.urls.base, STATIC_DIR)


async def poster_pdf(state: BoardState, poster: Poster, lang: str) -> bytes:
    """One page: with less text until it fits (the QR code leads to the whole notice)."""
    while True:
        pdf, pages = await to_pdf(
            state, "paper/poster.html", lang, poster=poster, notice=poster.notice
        )
        shorter = poster.shorter() if pages > 1 else None
        if shorter is None:
            return pdf
        poster = shorter


async def board_poster_pdf(state: BoardState, lang: str) -> bytes:
    pdf, _pages = await to_pdf(state, "paper/board.html", lang)
    return pdf


async def group_poster_pdf(state: BoardState, group: Any, lang: str) -> bytes:
    """A group's poster: what it does, when and where it meets, a QR code to its page."""
    pdf, _pages = await to_pdf(state, "paper/group.html", lang, group=group)
    return pdf


async def week_pdf(state: BoardState, sheet: WeekSheet, lang: str) -> bytes:
    """At most two pages: the last notices make way until it fits."""
    while True:
        pdf, pages = await to_pdf(state, "paper/week.html", lang, sheet=sheet)
        shorter = sheet.shorter() if pages > WEEK_PAGES else None
        if shorter is None:
            return pdf
        sheet = shorter
