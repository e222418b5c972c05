"""Staff accounts: scrypt password hashes, CSRF tokens, a login rate limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

ROLES = ("owner", "editor", "moderator")
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """Hash with scrypt (memory-hard, security rule 21) and a random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return "$".join(["scrypt", str(_N), str(_R), str(_P), *encoded])


def verify_password(password: str, stored: str) -> bool:
    """Check a password against a stored scrypt hash in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    # Bytes: compare_digest refuses str with non-ASCII characters (a forged token must be 403).
    return hmac.compare_digest(str(expected).encode(), str(given).encode())


def generate_password() -> str:
    """A password that is easy to read aloud and type: four groups of letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


@dataclass
class RateLimiter:
    """A sliding-window limit per key (e.g. remote IP): `limit` events per `window` seconds."""

    limit: int
    window: float
    _events: dict[str, deque[float]] = field(default_factory=dict)

    def hit(self, key: str, now: float | None = None) -> float | None:
        """Record an event; return None if allowed, else seconds until the next is allowed."""
        now = time.monotonic() if now is None else now
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return max(events[0] + self.window - now, 1.0)
        events.append(now)
        if len(self._events) > 10_000:
            self._events = {
                k: v for k, v in self._events.items() if v and v[-1] > now - self.window
            }
        return None
