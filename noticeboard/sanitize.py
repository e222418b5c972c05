"""The one place that cleans HTML: remote content on arrival, local Markdown output."""

from __future__ import annotations

import html
import re
from collections.abc import MutableMapping
from functools import cache, partial
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    import bleach

# Close to what Mastodon keeps (security rule 18); no svg, math, style, forms or raw-text tags.
ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "a",
        "span",
        "b",
        "i",
        "em",
        "strong",
        "ul",
        "ol",
        "li",
        "blockquote",
        "pre",
        "code",
    }
)
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
SPAN_CLASSES = frozenset({"h-card", "mention", "hashtag", "u-url", "invisible", "ellipsis"})
LINK_REL = "nofollow noopener noreferrer ugc"
MAX_HTML = 50_000
MAX_TEXT = 2_000


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        return name in ("href", "rel", "class")
    if tag == "span":
        return name == "class" and all(c in SPAN_CLASSES for c in value.split())
    if tag == "ol":
        return name == "start" and value.isdigit()
    return False


def _set_rel(
    attrs: MutableMapping[tuple[str | None, str], str], new: bool = False
) -> MutableMapping[tuple[str | None, str], str]:
    attrs[(None, "rel")] = LINK_REL
    return attrs


@cache
def _cleaner() -> bleach.Cleaner:
    # Imported on first use: bleach and html5lib are large, and pages never clean anything.
    import bleach
    from bleach.linkifier import LinkifyFilter

    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_allowed_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"})],
    )


@cache
def _text_cleaner() -> bleach.Cleaner:
    import bleach

    return bleach.Cleaner(tags=set(), strip=True)


# Control characters (but tab, line feed, carriage return), lone surrogates and the two
# non-characters: XML (Atom feeds), iCalendar and JSON consumers refuse them (rule 27).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def strip_controls(text: str) -> str:
    """Remove the characters no feed, calendar or ActivityPub document can carry."""
    return _CONTROLS.sub("", text)


def clean_html(html: str, *, limit: int = MAX_HTML) -> Markup:
    """Sanitise HTML with the allowlist; truncate first, never after (rule 19)."""
    return Markup(_cleaner().clean(strip_controls(html[:limit])))


# A tag as clean_html writes it: a name, then attributes whose values are always quoted.
_CLEAN_TAG = re.compile(r"""<(/?)([a-zA-Z][^\s/>]*)(?:"[^"]*"|'[^']*'|[^'">])*>""")
# Where bleach, stripping a tag, leaves a line break (html5lib_shim.HTML_TAGS_BLOCK_LEVEL).
_BLOCK_TAGS = frozenset({"blockquote", "li", "ol", "p", "pre", "ul"}) & ALLOWED_TAGS


def text_of_clean_html(cleaned: str) -> str:
    """What `clean_text` gives for HTML that `clean_html` made (and under MAX_HTML), without
    parsing it again: that HTML's tags are well formed, so they are taken out as bleach takes
    them out, a block's opening tag after the first tag becoming a line break."""
    seen_tag = False

    def stripped(match: re.Match[str]) -> str:
        nonlocal seen_tag
        opening_block = not match.group(1) and match.group(2).lower() in _BLOCK_TAGS
        gap = "\n" if seen_tag and opening_block else ""
        seen_tag = True
        return gap

    return strip_controls(html.unescape(_CLEAN_TAG.sub(stripped, strip_controls(cleaned))))


def clean_text(text: str | None, *, limit: int = MAX_TEXT) -> str:
    """Reduce remote plain-text fields (names, summaries) to text without any markup."""
    if not text:
        return ""
    # The result is plain text (templates escape it), so entities bleach added are undone.
    plain = html.unescape(_text_cleaner().clean(strip_controls(text[:limit])))
    return strip_controls(plain)  # an entity such as &#11; unescapes to a control character
