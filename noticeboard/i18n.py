"""Languages of the user interface: negotiation, message catalogues and the Jinja2 environment.

Catalogues are the .po files in ``locales/<lang>/LC_MESSAGES/messages.po``; they are compiled
in memory on first use, so there is no compile step and no .mo file in the repository.
Message ids are English source strings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from datetime import date as date_type
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from babel import Locale
from babel.dates import format_interval, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations
from markupsafe import Markup

from noticeboard.languages import direction
from noticeboard.resources import resource_dir
from noticeboard.web.assets import static_url

# The interface languages, in the order of the language switch. "de-x-simple" is plain German
# (Einfache Sprache): browsers never ask for it, readers choose it.
LANGUAGES = ("de", "de-x-simple", "en", "tr", "ar", "uk", "ru", "pl")
DEFAULT_LANGUAGE = "de"
PLAIN_GERMAN = "de-x-simple"
LANGUAGE_LABELS = {
    "de": "Deutsch",
    "de-x-simple": "Einfache Sprache",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "uk": "Українська",
    "ru": "Русский",
    "pl": "Polski",
}
# Staff pages have their own catalogue domain in German and English only.
STAFF_LANGUAGES = ("de", "en")
DEFAULT_TIMEZONE = "Europe/Berlin"
LOCALES_DIR = resource_dir("locales")
DOMAIN = "messages"
STAFF_DOMAIN = "staff"


def supported_language(value: str | None) -> str | None:
    """Return the interface language a tag such as ``en``, ``EN-gb``, ``de_AT`` or
    ``de-x-simple`` names, if any: the whole tag when it is one, else its primary subtag."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").lower()
    if tag in LANGUAGES:
        return tag
    primary = tag.split("-", 1)[0]
    return primary if primary in LANGUAGES else None


def staff_language(lang: str) -> str:
    """The language of staff pages for a reader of `lang`: German for plain German, English
    for the languages without a staff catalogue."""
    if lang in STAFF_LANGUAGES:
        return lang
    return "de" if lang == PLAIN_GERMAN else "en"


def babel_locale(lang: str) -> str:
    """The Babel locale for dates, numbers and plural rules (plain German formats as German)."""
    return "de" if lang == PLAIN_GERMAN else lang


def catalogue_dir(lang: str) -> str:
    """The folder of a language below ``locales/``: the tag, except plain German, which is
    ``de@simple`` (a gettext variant that Babel reads as German with a modifier)."""
    return "de@simple" if lang == PLAIN_GERMAN else lang


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
    query_lang: str | None,
    cookie_lang: str | None,
    accept_language: str | None,
    default: str = DEFAULT_LANGUAGE,
) -> str:
    """Choose the interface language: ``?lang=`` first, then the ``lang`` cookie, then the
    browser's Accept-Language, else the board's language (`default`, German if unsupported)."""
    default = supported_language(default) or DEFAULT_LANGUAGE
    for choice in (query_lang, cookie_lang):
        language = supported_language(choice)
        if language:
            return language
    for tag in parse_accept_language(accept_language):
        if tag == "*":
            return default
        language = supported_language(tag)
        if language:
            return language
    return default


@dataclass(frozen=True)
class LanguageLink:
    """One entry of the language switch: the language in its own name and the current page
    in that language."""

    code: str
    label: str
    href: str
    dir: str
    current: bool


# Query parameters that choose a language: the switch replaces them (``text`` picks the
# version of a notice; without it the notice follows the interface language).
_LANGUAGE_PARAMS = ("lang", "text")


def switch_href(path: str, query: str, code: str) -> str:
    """The same page with the same query (search, filters, page), in the language `code`."""
    kept = [
        (k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in _LANGUAGE_PARAMS
    ]
    return f"{path}?{urlencode([*kept, ('lang', code)])}"


def language_links(path: str, query: str, current: str) -> list[LanguageLink]:
    return [
        LanguageLink(
            code,
            LANGUAGE_LABELS[code],
            switch_href(path, query, code),
            direction(code),
            code == current,
        )
        for code in LANGUAGES
    ]


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated later, where the language is known."""
    return message


def catalogue_path(lang: str, locales_dir: Path = LOCALES_DIR, domain: str = DOMAIN) -> Path:
    return locales_dir / catalogue_dir(lang) / "LC_MESSAGES" / f"{domain}.po"


def load_translations(
    lang: str, locales_dir: Path = LOCALES_DIR, domain: str = DOMAIN
) -> Translations:
    """Compile one .po catalogue in memory (fuzzy and empty entries are left out, as msgfmt
    does, so an untranslated message shows its English id)."""
    with catalogue_path(lang, locales_dir, domain).open("rb") as po_file:
        catalog = read_po(po_file, locale=babel_locale(lang), domain=domain)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=domain)


@functools.cache
def get_translations(lang: str) -> Translations:
    """Return the cached translations of a supported language (unknown ones get German).

    Plain German falls back to German for a message it does not have yet."""
    lang = supported_language(lang) or DEFAULT_LANGUAGE
    translations = load_translations(lang)
    if lang == PLAIN_GERMAN:
        translations.add_fallback(get_translations(DEFAULT_LANGUAGE))
    return translations


@functools.cache
def get_staff_translations(lang: str) -> Translations:
    """The messages and the staff catalogue of a staff language (see ``staff_language``)."""
    lang = staff_language(supported_language(lang) or DEFAULT_LANGUAGE)
    translations = load_translations(lang)
    translations.merge(load_translations(lang, domain=STAFF_DOMAIN))
    return translations


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


def _newstyle_ngettext(
    func: Callable[[str, str, int], str], locale: str = "en"
) -> Callable[..., str]:
    @jinja2.pass_context
    def ngettext(
        __context: jinja2.runtime.Context,
        __singular: str,
        __plural: str,
        __num: int,
        **variables: Any,
    ) -> str:
        variables.setdefault("num", format_decimal(__num, locale=locale))
        text = func(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return ngettext


@functools.cache
def _template_callables(
    lang: str, staff: bool = False
) -> tuple[Callable[..., str], Callable[..., str]]:
    translations = get_staff_translations(lang) if staff else get_translations(lang)
    return _newstyle_gettext(translations.gettext), _newstyle_ngettext(
        translations.ngettext, babel_locale(lang)
    )


def gettext_context(lang: str, staff: bool = False) -> dict[str, Callable[..., str]]:
    """Return ``gettext``, ``ngettext`` and ``_`` for one language, to merge into a template
    context; they behave like Jinja2's newstyle gettext (``_("Hi %(name)s", name=x)``).
    With ``staff``, the staff catalogue is used as well (pass a staff language)."""
    gettext, ngettext = _template_callables(lang, staff)
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


def _date_skeleton(days: list[datetime], this_year: int) -> str:
    """Weekday, day and short month; the year only when it is not this year."""
    return "MMMEd" if all(day.year == this_year for day in days) else "yMMMEd"


def _time_skeleton(locale: Locale) -> str:
    """Hours and minutes, on a 12 or 24 hour clock as the language's short time format has."""
    return "hm" if "h" in locale.time_formats["short"].pattern else "Hm"


def _glue(locale: Locale, day: str, time: str) -> str:
    # The language's way to join a date and a time: "{1}, {0}" in German, "{1}، {0}" in Arabic.
    return str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", time)


def format_when(
    start: datetime,
    end: datetime | None,
    lang: str,
    timezone: str | None = None,
    now: datetime | None = None,
) -> str:
    """Format a time or a span of time for people, in the board's time zone, the year only
    when it is not the current one: "Di., 8. Dez., 18:00–20:00 Uhr", or across days
    "Di., 8. Dez., 18:00 – Mi., 9. Dez., 12:00"."""
    this_year = _local(now or datetime.now(UTC), _zone(timezone)).year
    return _format_when(start, end, lang, timezone, this_year)


@functools.lru_cache(maxsize=4096)  # a page names the same few moments again and again
def _format_when(
    start: datetime, end: datetime | None, lang: str, timezone: str | None, this_year: int
) -> str:
    zone, locale = _zone(timezone), Locale.parse(babel_locale(lang))
    first = _local(start, zone)
    last = _local(end, zone) if end and end > start else None
    days = _date_skeleton([first, last or first], this_year)
    hours = _time_skeleton(locale)

    def moment(value: datetime) -> str:
        day = format_skeleton(days, value, tzinfo=zone, locale=locale)
        return _glue(locale, day, format_skeleton(hours, value, tzinfo=zone, locale=locale))

    if last is None:
        return moment(first)
    if last.date() != first.date():
        return (
            str(locale.interval_formats[None])
            .replace("{0}", moment(first))
            .replace("{1}", moment(last))
        )
    span = format_interval(first, last, hours, tzinfo=zone, locale=locale)
    return _glue(locale, format_skeleton(days, first, tzinfo=zone, locale=locale), span)


def format_datetime_local(
    value: datetime, lang: str, timezone: str | None = None, now: datetime | None = None
) -> str:
    """Format a time for people, in the board's time zone: "Do., 26. Nov., 14:30"."""
    return format_when(value, None, lang, timezone, now)


def format_date_local(
    value: date_type, lang: str, timezone: str | None = None, now: datetime | None = None
) -> str:
    """Format a day for people, in the board's time zone: "Do., 26. Nov." (with the year
    when it is not the current one)."""
    zone = _zone(timezone)
    if isinstance(value, datetime):
        value = _local(value, zone).date()
    today = _local(now or datetime.now(UTC), zone)
    skeleton = "MMMEd" if value.year == today.year else "yMMMEd"
    return format_skeleton(skeleton, value, locale=babel_locale(lang))


def format_number(value: float, lang: str) -> str:
    """A count or measure written as the language does: "1.234" in German."""
    return format_decimal(value, locale=babel_locale(lang))


def format_percentage(value: float, lang: str) -> str:
    """A whole-number percentage (42 for 42 %) written as the language does: "42 %"."""
    return format_percent(value / 100, locale=babel_locale(lang))


def format_isodatetime(value: datetime) -> str:
    """Format a time for ``<time datetime=...>``: UTC, whole seconds, "2026-11-26T13:30:00Z"."""
    return _local(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@jinja2.pass_context
def _datetime_filter(context: jinja2.runtime.Context, value: Any, lang: str | None = None) -> str:
    if not isinstance(value, datetime):
        return ""
    language = _context_language(context, lang)
    return format_datetime_local(value, language, context.get("timezone"), context.get("now"))


@jinja2.pass_context
def _when_filter(
    context: jinja2.runtime.Context, value: Any, end: Any = None, lang: str | None = None
) -> str:
    if not isinstance(value, datetime):
        return ""
    until = end if isinstance(end, datetime) else None
    language = _context_language(context, lang)
    return format_when(value, until, language, context.get("timezone"), context.get("now"))


@jinja2.pass_context
def _date_filter(context: jinja2.runtime.Context, value: Any, lang: str | None = None) -> str:
    if not isinstance(value, date_type):
        return ""
    language = _context_language(context, lang)
    return format_date_local(value, language, context.get("timezone"), context.get("now"))


@jinja2.pass_context
def _number_filter(context: jinja2.runtime.Context, value: Any) -> str:
    if not isinstance(value, int | float):
        return ""
    return format_number(value, _context_language(context, None))


@jinja2.pass_context
def _percent_filter(context: jinja2.runtime.Context, value: Any) -> str:
    if not isinstance(value, int | float):
        return ""
    return format_percentage(value, _context_language(context, None))


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
    (``datetime``, ``when`` for a start and end, ``date``, ``number``, ``percent``,
    ``isodatetime``, ``translate`` for message ids passed as values). Dates leave out the
    year of the ``now`` in the context (the board's clock).

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
    env.filters["when"] = _when_filter
    env.filters["number"] = _number_filter
    env.filters["percent"] = _percent_filter
    env.filters["direction"] = direction
    env.filters["isodatetime"] = _isodatetime_filter
    env.filters["translate"] = _translate_filter
    env.globals["static_url"] = static_url  # versioned addresses of static files
    return env
