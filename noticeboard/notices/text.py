"""Notice text: Markdown to sanitised HTML, one-line summaries, hashtags."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from markupsafe import Markup

from noticeboard.sanitize import clean_html, clean_text, text_of_clean_html

PLAIN_TEXT_INPUT = 20_000  # characters of HTML read for a summary

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@cache
def _markdown() -> MarkdownIt:
    # Imported on first use: only publishing and editing need Markdown, not the pages.
    from markdown_it import MarkdownIt

    markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    markdown.disable(["image", "heading", "table"], ignoreInvalid=True)
    return markdown


def plain_summary(html: str | None, *, limit: int = 140) -> str:
    """A one-line plain-text summary of (sanitised) HTML, for queue lists and titles."""
    return shorten(plain_text(html), limit=limit)


def plain_text(html: str | None, *, cleaned: bool = False) -> str:
    """The text of (sanitised) HTML on one line, whitespace collapsed. With `cleaned`, the
    HTML is what `clean_html` made, and its text is read without a second bleach pass."""
    spaced = re.sub(r"(?i)<(/p|br\s*/?|/li|/blockquote)>", " ", html or "")
    if cleaned and len(spaced) <= PLAIN_TEXT_INPUT:
        return " ".join(text_of_clean_html(spaced).split())
    return " ".join(clean_text(spaced, limit=PLAIN_TEXT_INPUT).split())


def shorten(text: str, *, limit: int) -> str:
    """Cut a line of text to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_markdown(text: str) -> Markup:
    """Turn the staff's Markdown into the sanitised HTML that pages and federation share."""
    return clean_html(_markdown().render(text))


def hashtag_name(category: str) -> str:
    """Make a hashtag from a category: letters and digits only, as Mastodon parses tags."""
    return re.sub(r"[^\w]", "", category, flags=re.UNICODE).replace("_", "")
