"""The signed link of the confirmation mail: it names the subscriber's secret token and when
it expires, and is valid only with the board's signature, until then."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

CONFIRM_VALID = timedelta(hours=48)


@dataclass(frozen=True)
class ConfirmLink:
    token: str
    expires: datetime


def sign_confirmation(secret: str, token: str, expires: datetime) -> str:
    """The path part of a confirmation link: token, expiry and signature."""
    stamp = str(int(expires.timestamp()))
    return f"{token}.{stamp}.{_sign(secret, token, stamp)}"


def read_confirmation(secret: str, value: str) -> ConfirmLink | None:
    """The link's token and expiry if the board signed it, else None (expiry is not checked)."""
    token, _, rest = value.partition(".")
    stamp, _, signature = rest.partition(".")
    if not token or not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        return None
    if not hmac.compare_digest(signature.encode(), _sign(secret, token, stamp).encode()):
        return None
    return ConfirmLink(token, datetime.fromtimestamp(int(stamp), UTC))


def _sign(secret: str, token: str, stamp: str) -> str:
    key = hashlib.sha256(f"mail-confirmation:{secret}".encode()).digest()
    return hmac.new(key, f"{token}.{stamp}".encode(), hashlib.sha256).hexdigest()[:40]
