"""Notices as staff write them: validation and Markdown rendering. No SQL, no JSON-LD."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markupsafe import Markup

from noticeboard.i18n import N_
from noticeboard.sanitize import clean_html

TITLE_MAX = 200
BODY_MAX = 10_000
CATEGORY_MAX = 40

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.disable(["image", "heading", "table"], ignoreInvalid=True)


@dataclass(frozen=True)
class NoticeDraft:
    title: str
    body: str
    category: str | None


class InvalidNotice(ValueError):
    """A draft that cannot be published; `errors` maps each field to a message id."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def validate_draft(title: str, body: str, category: str | None) -> NoticeDraft:
    """Check a draft from the form or the command line; raise InvalidNotice with reasons."""
    title, body = title.strip(), body.strip()
    category = (category or "").strip().lstrip("#") or None
    errors = {}
    if not title:
        errors["title"] = N_("Please enter a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = N_("The title is too long (at most 200 characters).")
    if not body:
        errors["body"] = N_("Please enter a text.")
    elif len(body) > BODY_MAX:
        errors["body"] = N_("The text is too long (at most 10,000 characters).")
    if category and (len(category) > CATEGORY_MAX or not hashtag_name(category)):
        errors["category"] = N_("A category is one short word, e.g. Treffen.")
    if errors:
        raise InvalidNotice(errors)
    return NoticeDraft(title, body, category)


def render_markdown(text: str) -> Markup:
    """Turn the staff's Markdown into the sanitised HTML that pages and federation share."""
    return clean_html(_markdown.render(text))


def hashtag_name(category: str) -> str:
    """Make a hashtag from a category: letters and digits only, as Mastodon parses tags."""
    return re.sub(r"[^\w]", "", category, flags=re.UNICODE).replace("_", "")
