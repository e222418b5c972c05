"""Staff accounts: scrypt password hashes, CSRF tokens, sign-in limits per address and account."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
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


@functools.cache
def _dummy_hash() -> str:
    """A hash of no one's password: an unknown user name costs the same work as a known one."""
    return hash_password(secrets.token_urlsafe(16))


# At most two hashes at once (16 MiB each): a burst of sign-ins queues in the worker threads
# and leaves the event loop a core.
_HASHING = threading.BoundedSemaphore(2)


def _bounded(work: Callable[..., T], *args: str) -> T:
    with _HASHING:
        return work(*args)


async def check_password(password: str, stored: str | None) -> bool:
    """Verify in a worker thread, so that hashing never stalls the event loop; without a
    stored hash (unknown or deactivated account) the same work is done against a dummy."""
    dummy = await asyncio.to_thread(_dummy_hash) if stored is None else ""
    matches = await asyncio.to_thread(_bounded, verify_password, password, stored or dummy)
    return matches and stored is not None


async def hash_password_off_loop(password: str) -> str:
    """hash_password in a worker thread."""
    return await asyncio.to_thread(_bounded, hash_password, password)


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


def generate_username() -> str:
    """A first account's name that cannot be guessed, e.g. "owner-k7m2p"."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "owner-" + "".join(secrets.choice(alphabet) for _ in range(5))


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


@dataclass
class FailureThrottle:
    """Failed sign-ins per account name, from whatever address: after `limit` failures within
    `window` seconds, further attempts wait until the oldest failure is `window` old. Times are
    the board's clock in seconds, so the wait always ends (no permanent lock-out)."""

    limit: int
    window: float
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def wait(self, key: str, now: float) -> float | None:
        """Seconds until `key` may try again, or None if it may now."""
        failures = self._recent(key, now)
        if len(failures) < self.limit:
            return None
        return max(failures[0] + self.window - now, 1.0)

    def fail(self, key: str, now: float) -> bool:
        """Record a failure; return True if this one starts the wait."""
        failures = self._recent(key, now)
        failures.append(now)
        if len(self._failures) > 10_000:
            self._failures = {
                k: v for k, v in self._failures.items() if v and v[-1] > now - self.window
            }
        return len(failures) == self.limit

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures
