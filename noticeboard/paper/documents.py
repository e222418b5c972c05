"""The printed documents: the board's own templates with print CSS, rendered to PDF."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import jinja2

from noticeboard.i18n import gettext_context, make_environment, supported_language
from noticeboard.paper.pdf import html_to_pdf
from noticeboard.paper.qr import qr_svg
from noticeboard.paper.queries import Poster, WeekSheet
from noticeboard.paper.ways import ways_to_follow
from noticeboard.state import BoardState
from noticeboard.web.rendering import TEMPLATES_DIR

STATIC_DIR = TEMPLATES_DIR.parent / "static"


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
        "board": config,
        "contact": config.contact.as_dict(),
        "ways": ways_to_follow(config, state.urls),
        **gettext_context(lang),
        **context,
    }
    return _environment().get_template(template).render(values)


async def to_pdf(state: BoardState, template: str, lang: str, **context: Any) -> bytes:
    html = render_html(state, template, lang, **context)
    return await asyncio.to_thread(html_to_pdf, html, state.urls.base, STATIC_DIR)


async def poster_pdf(state: BoardState, poster: Poster, lang: str) -> bytes:
    return await to_pdf(state, "paper/poster.html", lang, poster=poster, notice=poster.notice)


async def board_poster_pdf(state: BoardState, lang: str) -> bytes:
    return await to_pdf(state, "paper/board.html", lang)


async def week_pdf(state: BoardState, sheet: WeekSheet, lang: str) -> bytes:
    return await to_pdf(state, "paper/week.html", lang, sheet=sheet)
