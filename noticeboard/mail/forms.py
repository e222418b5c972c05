"""What a resident chooses when subscribing to the board's news by e-mail, and the checks."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from noticeboard.i18n import LANGUAGES, N_
from noticeboard.notices.kinds import KINDS

FREQUENCIES = ("weekly", "daily")
FREQUENCY_LABELS = {
    "weekly": N_("Once a week, a summary"),
    "daily": N_("When there is something new, at most once a day"),
}
KIND_IDS = tuple(k.id for k in KINDS)
EMAIL_MAX = 254
# Deliberately plain: one @, no spaces or control characters, a dot in the domain. Whether
# the address works is what the confirmation mail finds out.
EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f<>()\[\],;:\"\\]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z0-9-]{2,}")


class InvalidChoice(ValueError):
    """Input that cannot be used, with a reason (a message id) per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Choice:
    """How often, which kinds (empty: all) and in which language a subscriber gets news."""

    frequency: str
    kinds: tuple[str, ...]
    language: str
    groups: tuple[str, ...] = ()  # handles of groups whose shared posts come too

    @property
    def kinds_text(self) -> str:
        return " ".join(self.kinds)

    @property
    def groups_text(self) -> str:
        return " ".join(self.groups)

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


@dataclass(frozen=True)
class Subscription:
    email: str
    choice: Choice


def choice_of(frequency: str, kinds: str, language: str, groups: str = "") -> Choice:
    """A stored choice (kinds and group handles separated by spaces)."""
    return Choice(frequency, tuple(k for k in kinds.split() if k), language, tuple(groups.split()))


def normalise_email(value: str) -> str:
    """The address as stored: trimmed, its domain in lower case."""
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else value.strip()


def validate_email(value: str) -> str:
    email = normalise_email(value)
    if not email:
        raise InvalidChoice({"email": N_("Please enter your e-mail address.")})
    if len(email) > EMAIL_MAX or not EMAIL.fullmatch(email):
        raise InvalidChoice({"email": N_("This does not look like an e-mail address.")})
    return email


def validate_choice(
    frequency: str,
    kinds: Sequence[str],
    language: str,
    groups: Sequence[str] = (),
    known_groups: Sequence[str] = (),
) -> Choice:
    """Check how often, which kinds, which language and which groups; raise InvalidChoice
    with reasons."""
    errors: dict[str, str] = {}
    if set(groups) - set(known_groups):
        errors["groups"] = N_("Please choose groups from the list.")
    if frequency not in FREQUENCIES:
        errors["frequency"] = N_("Please choose how often you want mail.")
    chosen = tuple(k for k in KIND_IDS if k in set(kinds))
    if set(kinds) - set(KIND_IDS) - {"all"}:
        errors["kinds"] = N_("Please choose kinds of notice from the list.")
    elif "all" not in kinds and not chosen:
        errors["kinds"] = N_("Please choose at least one kind of notice, or all of them.")
    if language not in LANGUAGES:
        errors["language"] = N_("Please choose a language from the list.")
    if errors:
        raise InvalidChoice(errors)
    all_kinds = "all" in kinds or set(chosen) == set(KIND_IDS)
    chosen_groups = tuple(g for g in known_groups if g in set(groups))
    return Choice(frequency, () if all_kinds else chosen, language, chosen_groups)


def validate_subscription(
    fields: Mapping[str, str],
    kinds: Sequence[str],
    consent: bool,
    groups: Sequence[str] = (),
    known_groups: Sequence[str] = (),
) -> Subscription:
    """Check the whole form; raise InvalidChoice with a reason per field."""
    errors: dict[str, str] = {}
    email = ""
    try:
        email = validate_email(fields.get("email", ""))
    except InvalidChoice as exc:
        errors.update(exc.errors)
    choice = None
    try:
        choice = validate_choice(
            fields.get("frequency", ""),
            kinds,
            fields.get("language", ""),
            groups,
            known_groups,
        )
    except InvalidChoice as exc:
        errors.update(exc.errors)
    if not consent:
        errors["consent"] = N_("Please agree to the privacy note, or we cannot send you mail.")
    if errors or choice is None:
        raise InvalidChoice(errors)
    return Subscription(email, choice)
