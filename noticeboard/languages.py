"""Languages notices are written in: names in their own language, and writing direction."""

from __future__ import annotations

import re

from babel import Locale, UnknownLocaleError

# Offered first in forms; any other valid code can be used too.
COMMON = ("de", "en", "tr", "ar", "uk", "ru", "pl", "fa", "de-x-simple")
RIGHT_TO_LEFT = {"ar", "fa", "he", "ur", "ps", "ckb", "yi"}
PLAIN_GERMAN = "de-x-simple"
CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*")  # BCP 47, lower case; "x" starts private use


def is_language(code: str) -> bool:
    return bool(CODE.fullmatch(code))


def direction(code: str) -> str:
    """'rtl' for scripts written from right to left, else 'ltr'."""
    return "rtl" if code.split("-")[0] in RIGHT_TO_LEFT else "ltr"


def html_lang(code: str) -> str:
    """The value for a lang attribute: private-use subtags are dropped (de-x-simple -> de)."""
    return code.split("-x-")[0]


def own_name(code: str) -> str:
    """The language's name in itself ('Türkçe', 'العربية'), for links readers recognise."""
    if code == PLAIN_GERMAN:
        return "Einfache Sprache"
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name()
    except (ValueError, UnknownLocaleError):
        return code
    return (name or code)[:1].upper() + (name or code)[1:]


def pick(available: list[str], wanted: str | None, accept_language: str | None) -> str:
    """Choose which version to show: the asked one, else the reader's languages, else the first."""
    if wanted in available:
        return wanted
    for code in available:  # "de" finds "de-x-simple", plain German finds German
        if wanted and code.split("-")[0] == wanted.split("-")[0]:
            return code
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if not tag:
            continue
        for code in available:
            if code == tag or code.split("-")[0] == tag.split("-")[0]:
                return code
    return available[0]
