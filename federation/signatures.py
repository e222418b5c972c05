"""What both HTTP signature schemes share: algorithms, signing and checking bytes, digests,
dates, and a signature as read from a request (`httpsig` for draft-cavage, `rfc9421`)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]]
SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

# RFC 9421 algorithm names; the draft-cavage names are mapped onto these.
RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
ED25519 = "ed25519"
RFC9421_ALGORITHMS = frozenset({RSA_V1_5_SHA256, RSA_PSS_SHA512, ECDSA_P256_SHA256, ED25519})


@dataclass(frozen=True)
class SignatureError:
    """Why a request's signature headers could not be read."""

    reason: str


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a verification; `reason` says why it failed (or "ok")."""

    ok: bool
    reason: str
    key_id: str


@dataclass(frozen=True)
class ParsedSignature:
    """A signature read from a request, ready to be checked once its key is known."""

    scheme: Literal["cavage", "rfc9421"]
    key_id: str
    algorithm: str | None
    covered: tuple[str, ...]
    created: datetime | None
    expires: datetime | None
    method: str
    target: str
    host: str | None
    date: datetime | None
    digest: str | None
    label: str | None = None
    signature: bytes = field(default=b"", repr=False)
    # (identifier, value) lines of the signature base; value None is derived at verify time
    # from the expected host ("@target-uri", "@authority", "@scheme") or has variants
    # ("(request-target)" with and without the query string).
    base_lines: tuple[tuple[str, str | None], ...] = field(default=(), repr=False)

    def signature_bases(self, expected_host: str) -> tuple[bytes, ...]:
        """Build the candidate signature bases (draft-cavage 2.3, RFC 9421 section 2.5)."""
        host = expected_host.lower()
        path, _, query = self.target.partition("?")
        if self.scheme == "cavage":
            variants = [f"{self.method.lower()} {self.target}"]
            if query:  # Mastodon also accepts a (request-target) without the query string
                variants.append(f"{self.method.lower()} {path or '/'}")
            fills = [{"(request-target)": v} for v in variants]
        else:
            fills = [
                {
                    '"@target-uri"': f"{scheme}://{host}{self.target}",
                    '"@authority"': host,
                    '"@scheme"': scheme,
                }
                for scheme in ("https", "http")
            ]
        bases: list[bytes] = []
        for fill in fills:
            lines = [
                f"{name}: {fill[name] if value is None else value}"
                for name, value in self.base_lines
            ]
            base = "\n".join(lines).encode("utf-8")
            if base not in bases:
                bases.append(base)
        return tuple(bases)


# ---------------------------------------------------------------- digests and dates


def digest_header(body: bytes) -> str:
    """Return the RFC 3230 `Digest` value that Mastodon requires on signed POSTs."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """Return the RFC 9530 `Content-Digest` value (sha-256) that Fedify sends with RFC 9421."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def http_date(now: datetime) -> str:
    """Format `now` as the RFC 7231 IMF-fixdate used by the `Date` header."""
    return format_datetime(aware(now).astimezone(UTC), usegmt=True)


def aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (UTC)")
    return now


def parse_http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def request_date(fields: Mapping[str, str], signed: bool) -> datetime | SignatureError | None:
    """The request's Date header as a time (None without one, or unreadable and unsigned);
    an error when the signature covers a Date that is no HTTP date."""
    date = parse_http_date(fields["date"]) if "date" in fields else None
    if date is None and signed and "date" in fields:
        return SignatureError("Date header is not an HTTP date")
    return date


def b64decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII input
        return None


def from_unix(value: int | float) -> datetime | None:
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, ValueError, OSError):
        return None


# ---------------------------------------------------------------- signing


def sign_bytes(algorithm: str, private_key: SigningKey, message: bytes) -> bytes:
    """Sign `message` with an RFC 9421 algorithm (section 3.3); ECDSA yields raw r||s."""
    if algorithm == RSA_V1_5_SHA256 and isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    if algorithm == RSA_PSS_SHA512 and isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(message, _pss(), hashes.SHA512())
    if algorithm == ECDSA_P256_SHA256 and isinstance(private_key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private_key.sign(message, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if algorithm == ED25519 and isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(message)
    raise ValueError(f"cannot sign {algorithm!r} with a {key_kind(private_key)} key")


def verify_bytes(
    algorithm: str, public_key: PublicKeyTypes, message: bytes, signature: bytes
) -> str | None:
    """Check raw signature bytes with an RFC 9421 algorithm; return None or the reason."""
    try:
        if algorithm == RSA_V1_5_SHA256 and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        elif algorithm == RSA_PSS_SHA512 and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, _pss(), hashes.SHA512())
        elif algorithm == ECDSA_P256_SHA256 and isinstance(public_key, ec.EllipticCurvePublicKey):
            if not isinstance(public_key.curve, ec.SECP256R1) or len(signature) != 64:
                return "signature is not a P-256 r||s value"
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            public_key.verify(der, message, ec.ECDSA(hashes.SHA256()))
        elif algorithm == ED25519 and isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, message)
        else:
            return f"algorithm {algorithm!r} does not fit a {key_kind(public_key)} key"
    except InvalidSignature:
        return "signature does not match"
    return None


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


def key_kind(key: object) -> str:
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return f"EC {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return "Ed25519"
    return type(key).__name__


def url_parts(url: str) -> tuple[SplitResult, str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    authority = host if parts.port in (None, default) else f"{host}:{parts.port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts, authority, target


def merge_extra(headers: dict[str, str], extra_headers: Mapping[str, str] | None) -> dict[str, str]:
    extra = {name.lower(): (name, value) for name, value in (extra_headers or {}).items()}
    for reserved in ("host", "date", "digest", "content-digest", "signature", "signature-input"):
        if reserved in extra:
            raise ValueError(f"{reserved!r} is set by the signer, not by extra_headers")
    headers.update(dict(extra.values()))
    return {name: value for name, (_, value) in extra.items()}
