"""Board configuration: one TOML file per board, every value overridable by AUSHANG_* variables."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from federation.hosts import HostError, canonical_host
from noticeboard.notices.kinds import is_kind
from noticeboard.notices.text import hashtag_name


class ConfigError(ValueError):
    """A configuration file or variable that cannot be used, with a reason for humans."""


@dataclass(frozen=True)
class Contact:
    email: str = ""
    phone: str = ""
    address: str = ""
    opening_hours: str = ""
    website: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class FederationConfig:
    allow_private: frozenset[str] = frozenset()
    ca_bundle: str | None = None
    approve_followers: bool = False


@dataclass(frozen=True)
class NoticesConfig:
    on_expiry: str = "update"  # followers get an Update marked expired, or a Delete
    hashtags: Mapping[str, str] = field(default_factory=dict)  # kind id -> hashtag


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAIL_SECURITY = ("starttls", "tls", "none")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class MailConfig:
    """The SMTP server the board sends its mails through, and when the weekly digest goes."""

    host: str
    sender: str  # the address in From (the board's name is the display name)
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)  # only from AUSHANG_MAIL_PASSWORD
    ca_bundle: str | None = None
    digest_weekday: int = 4  # Friday (Monday is 0)
    digest_hour: int = 9


@dataclass(frozen=True)
class Config:
    base_url: str
    data_dir: Path
    username: str
    name: str
    summary: str = ""
    language: str = "de"
    timezone: str = "Europe/Berlin"
    icon: str = ""
    contact: Contact = field(default_factory=Contact)
    federation: FederationConfig = field(default_factory=FederationConfig)
    notices: NoticesConfig = field(default_factory=NoticesConfig)
    mail: MailConfig | None = None  # without [mail] the board offers no subscription
    source: Path | None = None

    @property
    def host(self) -> str:
        """The canonical host[:port] of base_url, as used in handles and id checks."""
        return canonical_host(self.base_url)

    @property
    def scheme(self) -> str:
        return urlsplit(self.base_url).scheme

    @property
    def db_path(self) -> Path:
        return self.data_dir / "aushang.sqlite3"

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.host}"


_SECTIONS = ("contact", "federation", "notices", "hashtags", "mail")
_TOP_LEVEL_KEYS = {
    "base_url", "data_dir", "username", "name", "summary", "language", "timezone", "icon",
    *_SECTIONS,
}  # fmt: skip


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read a board's TOML file, apply AUSHANG_* overrides and validate the result."""
    env = os.environ if environ is None else environ
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(raw) - _TOP_LEVEL_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown keys: {', '.join(sorted(unknown))}")
    if isinstance(raw.get("mail"), dict) and "password" in raw["mail"]:
        raise ConfigError(
            f"{path}: [mail] password must not be in the file; set AUSHANG_MAIL_PASSWORD"
        )
    raw = _apply_environment(raw, env)
    return _build(raw, path)


def _apply_environment(raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    for name, value in env.items():
        if not name.startswith("AUSHANG_"):
            continue
        key = name[len("AUSHANG_") :].lower()
        if key not in _TOP_LEVEL_KEYS and not key.startswith(tuple(s + "_" for s in _SECTIONS)):
            continue  # variables of the commands themselves, e.g. AUSHANG_ADMIN_PASSWORD
        section = next((s for s in _SECTIONS if key.startswith(s + "_")), None)
        if section:
            merged.setdefault(section, {})[key[len(section) + 1 :]] = value
        else:
            merged[key] = value
    return merged


def _build(raw: dict[str, Any], source: Path) -> Config:
    base_url = _base_url(_text(raw, "base_url", required=True))
    username = _text(raw, "username", required=True)
    if not username.replace("_", "").isalnum() or not username.isascii():
        raise ConfigError("username may contain only letters, digits and '_'")
    data_dir = Path(_text(raw, "data_dir", required=True)).expanduser()
    return Config(
        base_url=base_url,
        data_dir=data_dir,
        username=username.lower(),
        name=_text(raw, "name", required=True),
        summary=_text(raw, "summary"),
        language=_text(raw, "language") or "de",
        timezone=_text(raw, "timezone") or "Europe/Berlin",
        icon=_text(raw, "icon"),
        contact=_contact(raw.get("contact", {})),
        federation=_federation(raw.get("federation", {})),
        notices=_notices(raw.get("notices", {}), raw.get("hashtags", {})),
        mail=_mail(raw.get("mail")),
        source=source,
    )


def _base_url(value: str) -> str:
    """An origin in canonical form: every id is built from it, so it must be spelled once."""
    raw = value.rstrip("/")
    parts = urlsplit(raw)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or parts.path
        or "?" in raw
        or "#" in raw
    ):
        raise ConfigError(f"base_url must be an origin like https://board.example, not {value!r}")
    try:
        return f"{parts.scheme.lower()}://{canonical_host(raw)}"
    except HostError as exc:
        raise ConfigError(f"base_url: {exc}") from exc


def _text(raw: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a text value")
    if required and not value.strip():
        raise ConfigError(f"{key} is required")
    return value.strip()


def _contact(raw: Any) -> Contact:
    if not isinstance(raw, dict):
        raise ConfigError("[contact] must be a table")
    known = Contact.__dataclass_fields__
    unknown = set(raw) - set(known)
    if unknown:
        raise ConfigError(f"[contact] has unknown keys: {', '.join(sorted(unknown))}")
    return Contact(**{k: _text(raw, k) for k in raw})


def _federation(raw: Any) -> FederationConfig:
    if not isinstance(raw, dict):
        raise ConfigError("[federation] must be a table")
    allow = raw.get("allow_private", [])
    if isinstance(allow, str):
        allow = [a.strip() for a in allow.split(",") if a.strip()]
    if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
        raise ConfigError("federation.allow_private must be a list of host:port strings")
    for entry in allow:
        _check_loopback_entry(entry)
    ca_bundle = _text(raw, "ca_bundle") or None
    if ca_bundle and not Path(ca_bundle).is_file():
        raise ConfigError(f"federation.ca_bundle: file not found: {ca_bundle}")
    return FederationConfig(
        allow_private=frozenset(canonical_host(a) for a in allow),
        ca_bundle=ca_bundle,
        approve_followers=_flag(raw, "approve_followers"),
    )


def _notices(raw: Any, hashtags: Any) -> NoticesConfig:
    if not isinstance(raw, dict) or not isinstance(hashtags, dict):
        raise ConfigError("[notices] and [hashtags] must be tables")
    on_expiry = _text(raw, "on_expiry") or "update"
    if on_expiry not in ("update", "delete"):
        raise ConfigError("notices.on_expiry must be 'update' or 'delete'")
    tags = {}
    for key in hashtags:
        kind = key.replace("_", "-")
        if not is_kind(kind):
            raise ConfigError(f"[hashtags]: unknown kind {key!r}")
        tag = _text(hashtags, key).lstrip("#")
        if not tag or not hashtag_name(tag) == tag:
            raise ConfigError(f"[hashtags] {key}: a hashtag is letters and digits only")
        tags[kind] = tag
    return NoticesConfig(on_expiry=on_expiry, hashtags=tags)


_MAIL_KEYS = {
    "host", "port", "security", "username", "password", "from", "ca_bundle",
    "digest_weekday", "digest_hour",
}  # fmt: skip


def _mail(raw: Any) -> MailConfig | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError("[mail] must be a table")
    unknown = set(raw) - _MAIL_KEYS
    if unknown:
        raise ConfigError(f"[mail] has unknown keys: {', '.join(sorted(unknown))}")
    host = _text(raw, "host")
    if not host:
        if set(raw) - {"password"}:
            raise ConfigError("mail.host is required in [mail]")
        return None  # only a password in the environment: mail stays off
    security = _text(raw, "security") or "starttls"
    if security not in MAIL_SECURITY:
        raise ConfigError("mail.security must be 'starttls', 'tls' or 'none'")
    if security == "none" and host.strip("[]") not in LOOPBACK:
        raise ConfigError("mail.security = 'none' is allowed only for a server on loopback")
    sender = _text(raw, "from")
    if not _is_address(sender):
        raise ConfigError("mail.from must be an e-mail address like aushang@board.example")
    ca_bundle = _text(raw, "ca_bundle") or None
    if ca_bundle and not Path(ca_bundle).is_file():
        raise ConfigError(f"mail.ca_bundle: file not found: {ca_bundle}")
    return MailConfig(
        host=host,
        sender=sender,
        port=_number(raw, "port", 465 if security == "tls" else 587, 1, 65535),
        security=security,
        username=_text(raw, "username"),
        password=_text(raw, "password"),
        ca_bundle=ca_bundle,
        digest_weekday=_weekday(raw),
        digest_hour=_number(raw, "digest_hour", 9, 0, 23),
    )


def _is_address(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and "." in domain and not any(c.isspace() for c in value))


def _number(raw: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"mail.{key} must be a whole number from {low} to {high}")
    return value


def _weekday(raw: Mapping[str, Any]) -> int:
    name = _text(raw, "digest_weekday").lower() or "friday"
    if name not in WEEKDAYS:
        raise ConfigError(f"mail.digest_weekday must be one of {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(name)


def _check_loopback_entry(entry: str) -> None:
    host, _, port = entry.rpartition(":")
    if not port.isdigit() or host.strip("[]") not in ("127.0.0.1", "::1", "localhost"):
        raise ConfigError(
            f"federation.allow_private: {entry!r} is not a loopback host:port "
            "(only 127.0.0.1, ::1 or localhost with an explicit port may be allowed)"
        )


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in (
        "1",
        "true",
        "yes",
        "on",
        "0",
        "false",
        "no",
        "off",
    ):
        return value.lower() in ("1", "true", "yes", "on")
    raise ConfigError(f"federation.{key} must be true or false")
