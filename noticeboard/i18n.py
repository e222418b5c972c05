"""Languages of the user interface: negotiation, message catalogues and the Jinja2 environment.

Catalogues are the .po files in ``locales/<lang>/LC_MESSAGES/messages.po``; they are compiled
in memory on first use, so there is no compile step and no .mo file in the repository.
Message ids are English source strings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from datetime import date as date_type
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from markupsafe import Markup

from noticeboard.resources import resource_dir
from noticeboard.web.assets import static_url

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
LANGUAGE_LABELS = {"de": "Deutsch", "en": "English"}
DEFAULT_TIMEZONE = "Europe/Berlin"
LOCALES_DIR = resource_dir("locales")
DOMAIN = "messages"


def supported_language(value: str | None) -> str | None:
    """Return the supported language a tag such as ``en``, ``EN-gb`` or ``de_AT`` names, if any."""
    if not value:
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def parse_accept_language(header: str | None) -> list[str]:
    """Return the language tags of an Accept-Language header, most preferred first.

    Tags with q=0 are refused by the client and left out; a malformed q counts as 0.
    """
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        if not tag:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if 0.0 < quality <= 1.0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate_language(
    query_lang: str | None, cookie_lang: str | None, accept_language: str | None
) -> str:
    """Choose the interface language: ``?lang=`` first, then the ``lang`` cookie, then the
    browser's Accept-Language, else German."""
    for choice in (query_lang, cookie_lang):
        language = supported_language(choice)
        if language:
            return language
    for tag in parse_accept_language(accept_language):
        if tag == "*":
            return DEFAULT_LANGUAGE
        language = supported_language(tag)
        if language:
            return language
    return DEFAULT_LANGUAGE


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated later, where the language is known."""
    return message


def catalogue_path(lang: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(lang: str, locales_dir: Path = LOCALES_DIR) -> Translations:
    """Compile one .po catalogue in memory (fuzzy entries are left out, as msgfmt does)."""
    with catalogue_path(lang, locales_dir).open("rb") as po_file:
        catalog = read_po(po_file, locale=lang, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@functools.cache
def get_translations(lang: str) -> Translations:
    """Return the cached translations of a supported language (unknown ones get German)."""
    return load_translations(supported_language(lang) or DEFAULT_LANGUAGE)


def _newstyle_gettext(func: Callable[[str], str]) -> Callable[..., str]:
    # Same contract as jinja2.ext's newstyle gettext: the translation is always a format
    # string, and in autoescaped templates the variables are escaped, the text is not.
    @jinja2.pass_context
    def gettext(__context: jinja2.runtime.Context, __string: str, **variables: Any) -> str:
        text = func(__string)
        if __context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return gettext


def _newstyle_ngettext(func: Callable[[str, str, int], str]) -> Callable[..., str]:
    @jinja2.pass_context
    def ngettext(
        __context: jinja2.runtime.Context,
        __singular: str,
        __plural: str,
        __num: int,
        **variables: Any,
    ) -> str:
        variables.setdefault("num", __num)
        text = func(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return ngettext


@functools.cache
def _template_callables(lang: str) -> tuple[Callable[..., str], Callable[..., str]]:
    translations = get_translations(lang)
    return _newstyle_gettext(translations.gettext), _newstyle_ngettext(translations.ngettext)


def gettext_context(lang: str) -> dict[str, Callable[..., str]]:
    """Return ``gettext``, ``ngettext`` and ``_`` for one language, to merge into a template
    context; they behave like Jinja2's newstyle gettext (``_("Hi %(name)s", name=x)``)."""
    gettext, ngettext = _template_callables(lang)
    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


def _zone(name: Any) -> tzinfo:
    try:
        return ZoneInfo(str(name)) if name else ZoneInfo(DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def _local(value: datetime, zone: tzinfo) -> datetime:
    # Naive datetimes are UTC by convention in this project.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone)


def _context_language(context: jinja2.runtime.Context, lang: str | None) -> str:
    return supported_language(lang or context.get("lang")) or DEFAULT_LANGUAGE


def format_datetime_local(value: datetime, lang: str, timezone: str | None = None) -> str:
    """Format a time for people, in the board's time zone: "26. November 2026, 14:30"."""
    local = _local(value, _zone(timezone))
    day = format_date(local, format="long", locale=lang)
    return f"{day}, {format_time(local, format='short', locale=lang)}"


def format_date_local(value: date_type, lang: str, timezone: str | None = None) -> str:
    """Format a day for people, in the board's time zone: "26. November 2026"."""
    if isinstance(value, datetime):
        value = _local(value, _zone(timezone)).date()
    return format_date(value, format="long", locale=lang)


def format_isodatetime(value: datetime) -> str:
    """Format a time for ``<time datetime=...>``: UTC, whole seconds, "2026-11-26T13:30:00Z"."""
    return _local(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@jinja2.pass_context
def _datetime_filter(context: jinja2.runtime.Context, value: Any, lang: str | None = None) -> str:
    if not isinstance(value, datetime):
        return ""
    return format_datetime_local(value, _context_language(context, lang), context.get("timezone"))


@jinja2.pass_context
def _date_filter(context: jinja2.runtime.Context, value: Any, lang: str | None = None) -> str:
    if not isinstance(value, date_type):
        return ""
    return format_date_local(value, _context_language(context, lang), context.get("timezone"))


@jinja2.pass_context
def _translate_filter(context: jinja2.runtime.Context, value: Any) -> str:
    # For messages the web layer passes as message ids (form errors, flash): translated
    # once more here, which leaves an already translated text unchanged.
    if not value:
        return ""
    return get_translations(_context_language(context, None)).gettext(str(value))


def _isodatetime_filter(value: Any) -> str:
    return format_isodatetime(value) if isinstance(value, datetime) else ""


def make_environment(templates_dir: Path) -> jinja2.Environment:
    """Build the template environment: autoescaped HTML, newstyle gettext, filters
    (``datetime``, ``date``, ``isodatetime``, ``translate`` for message ids passed as values).

    The web layer merges ``gettext_context(lang)`` into every render context; German
    callables are installed as globals only as a fallback for a context without them.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=jinja2.select_autoescape(("html", "xml"), default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(  # type: ignore[attr-defined]
        get_translations(DEFAULT_LANGUAGE), newstyle=True
    )
    env.filters["datetime"] = _datetime_filter
    env.filters["date"] = _date_filter
    env.filters["isodatetime"] = _isodatetime_filter
    env.filters["translate"] = _translate_filter
    env.globals["static_url"] = static_url  # versioned addresses of static files
    return env
