"""Board configuration: one TOML file per board, every value overridable by AUSHANG_* variables."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
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
    # Signed POSTs one client address may send to the inboxes per minute; a server delivering
    # a busy relay's traffic or a large board's fan-out may need more.
    inbox_rate_limit: int = 300


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
class StaffConfig:
    first_owner: str = ""  # the first account's name; empty: `aushang init` makes one up
    idle_timeout: timedelta = timedelta(hours=8)
    session_lifetime: timedelta = timedelta(days=14)


@dataclass(frozen=True)
class ServerConfig:
    hsts_max_age: int = 365 * 86400  # Strict-Transport-Security over https; 0 turns it off
    header_timeout: float = 10.0  # seconds for a request's head, and between body parts
    max_header_size: int = 16 * 1024  # bytes of request line and headers together


@dataclass(frozen=True)
class BackupConfig:
    keep: int = 7  # nightly archives kept in data_dir/backups
    hour: int = 3  # local hour (the board's timezone) of the nightly backup


LEGAL_REQUIRED = (
    "organisation",
    "address",
    "representative",
    "email",
    "phone",
    "content_responsible",
    "supervisory_authority",
)


@dataclass(frozen=True)
class LegalConfig:
    """Who runs the board, for the Impressum (§ 5 DDG, § 18 MStV) and the privacy note."""

    organisation: str = ""
    legal_form: str = ""
    address: str = ""  # postal address, one line per line
    representative: str = ""  # who may act for the organisation (board, managing director)
    email: str = ""
    phone: str = ""  # or another quick way to reach someone
    register: str = ""  # register court and number, where the organisation is registered
    vat_id: str = ""
    content_responsible: str = ""  # name and address, § 18 (2) MStV
    supervisory_authority: str = ""  # the data-protection authority: name, address or web page
    data_protection_contact: str = ""
    log_retention_days: int = 0  # how long the server's own log is kept; 0: not stated

    def missing(self) -> tuple[str, ...]:
        """The keys the Impressum and the privacy note need that are still empty."""
        return tuple(key for key in LEGAL_REQUIRED if not getattr(self, key))


@dataclass(frozen=True)
class DoctorConfig:
    # A well-known server whose Date header `aushang doctor` compares the clock with.
    clock_server: str = "https://www.ptb.de"


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
    staff: StaffConfig = field(default_factory=StaffConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    doctor: DoctorConfig = field(default_factory=DoctorConfig)
    legal: LegalConfig = field(default_factory=LegalConfig)
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
    def icon_on_board(self) -> str | None:
        """The icon's path if it lies on the board itself: pages show no picture from
        elsewhere, so no reader's browser contacts another server (rule 37)."""
        icon = self.icon
        if icon.startswith(self.base_url + "/"):
            icon = icon[len(self.base_url) :]
        return icon if icon.startswith("/") and not icon.startswith("//") else None

    @property
    def icon_url(self) -> str:
        """The icon as an absolute address, for the actor document."""
        return self.base_url + self.icon if self.icon.startswith("/") else self.icon

    @property
    def db_path(self) -> Path:
        return self.data_dir / "aushang.sqlite3"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.host}"


_SECTIONS = (
    "contact",
    "federation",
    "notices",
    "hashtags",
    "staff",
    "server",
    "backup",
    "doctor",
    "legal",
    "mail",
)
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
        staff=_staff(raw.get("staff", {})),
        server=_server(raw.get("server", {})),
        backup=_backup(raw.get("backup", {})),
        doctor=_doctor(raw.get("doctor", {})),
        legal=_legal(raw.get("legal", {})),
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
        inbox_rate_limit=int(_number(raw, "federation", "inbox_rate_limit", 300, 1, 1_000_000)),
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


def _staff(raw: Any) -> StaffConfig:
    if not isinstance(raw, dict):
        raise ConfigError("[staff] must be a table")
    unknown = set(raw) - {"first_owner", "idle_timeout_hours", "session_lifetime_days"}
    if unknown:
        raise ConfigError(f"[staff] has unknown keys: {', '.join(sorted(unknown))}")
    first_owner = _text(raw, "first_owner").lower()
    if first_owner and not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,31}", first_owner):
        raise ConfigError("staff.first_owner: 2 to 32 small letters, digits, '.', '-' or '_'")
    return StaffConfig(
        first_owner=first_owner,
        idle_timeout=timedelta(hours=_number(raw, "staff", "idle_timeout_hours", 8, 0.01, 100_000)),
        session_lifetime=timedelta(
            days=_number(raw, "staff", "session_lifetime_days", 14, 0.01, 100_000)
        ),
    )


def _server(raw: Any) -> ServerConfig:
    if not isinstance(raw, dict):
        raise ConfigError("[server] must be a table")
    unknown = set(raw) - set(ServerConfig.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"[server] has unknown keys: {', '.join(sorted(unknown))}")
    defaults = ServerConfig()
    return ServerConfig(
        hsts_max_age=int(
            _number(raw, "server", "hsts_max_age", defaults.hsts_max_age, 0, 2 * 365 * 86400)
        ),
        header_timeout=_number(raw, "server", "header_timeout", defaults.header_timeout, 0.1, 300),
        max_header_size=int(
            _number(raw, "server", "max_header_size", defaults.max_header_size, 1024, 1024 * 1024)
        ),
    )


def _number(
    raw: Mapping[str, Any], section: str, key: str, default: float, low: float, high: float
) -> float:
    value = raw.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not low <= number <= high:
        raise ConfigError(f"{section}.{key} must be a number from {low:g} to {high:g}")
    return number


def _backup(raw: Any) -> BackupConfig:
    if not isinstance(raw, dict):
        raise ConfigError("[backup] must be a table")
    unknown = set(raw) - {"keep", "hour"}
    if unknown:
        raise ConfigError(f"[backup] has unknown keys: {', '.join(sorted(unknown))}")
    keep = _whole(raw, "backup.keep", 7)
    hour = _whole(raw, "backup.hour", 3)
    if keep < 1:
        raise ConfigError("backup.keep must be at least 1")
    if not 0 <= hour <= 23:
        raise ConfigError("backup.hour must be an hour from 0 to 23")
    return BackupConfig(keep=keep, hour=hour)


def _doctor(raw: Any) -> DoctorConfig:
    if not isinstance(raw, dict):
        raise ConfigError("[doctor] must be a table")
    unknown = set(raw) - {"clock_server"}
    if unknown:
        raise ConfigError(f"[doctor] has unknown keys: {', '.join(sorted(unknown))}")
    server = _text(raw, "clock_server") or DoctorConfig.clock_server
    if urlsplit(server).scheme not in ("http", "https") or not urlsplit(server).netloc:
        raise ConfigError(f"doctor.clock_server must be an http(s) address, not {server!r}")
    return DoctorConfig(clock_server=server)


def _legal(raw: Any) -> LegalConfig:
    if not isinstance(raw, dict):
        raise ConfigError("[legal] must be a table")
    texts = set(LegalConfig.__dataclass_fields__) - {"log_retention_days"}
    unknown = set(raw) - texts - {"log_retention_days"}
    if unknown:
        raise ConfigError(f"[legal] has unknown keys: {', '.join(sorted(unknown))}")
    values = {key: _lines(raw, f"legal.{key}") for key in texts if key in raw}
    days = _whole(raw, "legal.log_retention_days", 0)
    if not 0 <= days <= 3650:
        raise ConfigError("legal.log_retention_days must be a number of days from 0 to 3650")
    return LegalConfig(**values, log_retention_days=days)


def _lines(raw: Mapping[str, Any], name: str) -> str:
    """A text that may span lines (an address): each line trimmed, empty lines dropped."""
    value = raw.get(name.split(".")[-1], "")
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a text value")
    lines = (line.strip() for line in value.replace("\\n", "\n").splitlines())
    return "\n".join(line for line in lines if line)


def _whole(raw: Mapping[str, Any], name: str, default: int) -> int:
    value = raw.get(name.split(".")[-1], default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{name} must be a whole number")
    return value


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
        port=int(_number(raw, "mail", "port", 465 if security == "tls" else 587, 1, 65535)),
        security=security,
        username=_text(raw, "username"),
        password=_text(raw, "password"),
        ca_bundle=ca_bundle,
        digest_weekday=_weekday(raw),
        digest_hour=int(_number(raw, "mail", "digest_hour", 9, 0, 23)),
    )


def _is_address(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and "." in domain and not any(c.isspace() for c in value))


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
