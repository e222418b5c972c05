"""HTTP signatures: draft-cavage-12 (what the fediverse sends) and RFC 9421 (`rfc9421`, with
what both share in `signatures`); pure, clock injected. This module is the entry point.

Verification happens in two steps because the caller has to fetch the key in between:
`parse_signature` reads the request and names the key, `verify_signature` checks the policy
(covered components, host, time window, body digest) and the cryptography.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from federation import rfc9421
from federation import structured_fields as sf
from federation.hosts import HostError, canonical_host
from federation.rfc9421 import sign_request as sign_request_rfc9421
from federation.signatures import (
    ECDSA_P256_SHA256,
    ED25519,
    RFC9421_ALGORITHMS,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
    HeaderInput,
    ParsedSignature,
    SignatureError,
    SigningKey,
    VerifyResult,
    aware,
    b64decode,
    content_digest_header,
    digest_header,
    from_unix,
    http_date,
    key_kind,
    merge_extra,
    request_date,
    sign_bytes,
    url_parts,
    verify_bytes,
)

__all__ = [
    "CAVAGE_ALGORITHMS", "ECDSA_P256_SHA256", "ED25519", "RFC9421_ALGORITHMS", "RSA_PSS_SHA512",
    "RSA_V1_5_SHA256", "HeaderInput", "ParsedSignature", "SignatureError", "SigningKey",
    "VerifyResult", "check_request", "content_digest_header", "digest_header", "http_date",
    "parse_signature", "sign_bytes", "sign_request", "sign_request_rfc9421", "verify_bytes",
    "verify_signature",
]  # fmt: skip

CAVAGE_ALGORITHMS = frozenset({"rsa-sha256", "hs2019", "ed25519"})
_DIGEST_ALGORITHMS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


# ---------------------------------------------------------------- signing


def sign_request(
    method: str,
    url: str,
    body: bytes | None,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    now: datetime,
    extra_headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Sign a request the draft-cavage-12 way Mastodon accepts: rsa-sha256 plus a Digest."""
    if '"' in key_id or "\\" in key_id:
        raise ValueError(f"key id cannot go into a draft-cavage header: {key_id!r}")
    _, authority, target = url_parts(url)
    headers = {"Host": authority, "Date": http_date(now)}
    values = {
        "(request-target)": f"{method.lower()} {target}",
        "host": authority,
        "date": headers["Date"],
    }
    if body is not None:
        headers["Digest"] = values["digest"] = digest_header(body)
    extra = merge_extra(headers, extra_headers)
    optional = "content-type" if body is not None else "accept"
    if optional in extra:
        values[optional] = extra[optional].strip()
    signed = " ".join(values)
    base = "\n".join(f"{name}: {value}" for name, value in values.items()).encode("utf-8")
    signature = base64.b64encode(sign_bytes(RSA_V1_5_SHA256, private_key, base)).decode("ascii")
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{signed}",signature="{signature}"'
    )
    return headers


# ---------------------------------------------------------------- parsing requests


def _collect_fields(headers: HeaderInput) -> dict[str, str]:
    """Join repeated fields with ", " after trimming, as both specs require."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        unfolded = (re.sub(r"\r?\n[ \t]+", " ", value) if "\n" in value else value).strip(" \t")
        grouped.setdefault(name.lower(), []).append(unfolded)
    return {name: ", ".join(values) for name, values in grouped.items()}


def parse_signature(
    method: str, target: str, headers: HeaderInput
) -> ParsedSignature | SignatureError:
    """Read a draft-cavage (Signature / Authorization) or RFC 9421 signature from a request."""
    fields = _collect_fields(headers)
    if not target.startswith("/"):
        return SignatureError(f"request target {target!r} is not an absolute path")
    if "signature-input" in fields:  # RFC 9421 section 7.2.3: detect the standard first
        return rfc9421.parse(method, target, fields)
    if "signature" in fields:
        return _parse_cavage(method, target, fields, fields["signature"])
    scheme, _, credentials = fields.get("authorization", "").partition(" ")
    if scheme.lower() == "signature":
        return _parse_cavage(method, target, fields, credentials)
    return SignatureError("request is not signed (no Signature or Signature-Input header)")


_CAVAGE_PARAM_RE = re.compile(
    r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^",\s]*))\s*'
)


def _cavage_params(text: str) -> dict[str, str] | SignatureError:
    params: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _CAVAGE_PARAM_RE.match(text, pos)
        if not match:
            return SignatureError(f"malformed Signature header near {text[pos : pos + 20]!r}")
        name = match.group(1)
        if name in params:
            return SignatureError(f"Signature header repeats {name!r}")
        quoted = match.group(2)
        if quoted is None:
            params[name] = match.group(3)
        else:
            params[name] = re.sub(r"\\(.)", r"\1", quoted) if "\\" in quoted else quoted
        pos = match.end()
        if pos < len(text):
            if text[pos] != ",":
                return SignatureError(f"malformed Signature header near {text[pos : pos + 20]!r}")
            pos += 1
    return params


def _cavage_time(params: dict[str, str], name: str) -> datetime | SignatureError | None:
    if name not in params:
        return None
    try:
        value = float(params[name]) if "." in params[name] else int(params[name])
    except ValueError:
        return SignatureError(f"Signature parameter {name!r} is not a Unix time")
    when = from_unix(value)
    return when if when is not None else SignatureError(f"Signature {name!r} is out of range")


def _parse_cavage(
    method: str, target: str, fields: dict[str, str], text: str
) -> ParsedSignature | SignatureError:
    params = _cavage_params(text)
    if isinstance(params, SignatureError):
        return params
    key_id = params.get("keyId")
    if not key_id:
        return SignatureError("Signature header has no keyId")
    if "signature" not in params:
        return SignatureError("Signature header has no signature")
    signature = b64decode(params["signature"])
    if signature is None:
        return SignatureError("signature is not valid base64")
    if not signature:
        return SignatureError("signature is empty")
    algorithm = params["algorithm"].lower() if "algorithm" in params else None
    if algorithm is not None and algorithm not in CAVAGE_ALGORITHMS:
        return SignatureError(f"unsupported signature algorithm {algorithm!r}")
    created = _cavage_time(params, "created")
    expires = _cavage_time(params, "expires")
    if isinstance(created, SignatureError):
        return created
    if isinstance(expires, SignatureError):
        return expires
    # Mastodon's default; draft-cavage-12 says "(created)", which the checks refuse anyway.
    covered = tuple(params.get("headers", "date").lower().split())
    if not covered:
        return SignatureError("Signature header lists no headers")
    if len(set(covered)) != len(covered):
        return SignatureError("Signature header lists a header twice")
    lines: list[tuple[str, str | None]] = []
    for name in covered:
        if name == "(request-target)":
            lines.append((name, None))
        elif name in ("(created)", "(expires)"):
            if algorithm is not None and algorithm.startswith(("rsa", "hmac", "ecdsa")):
                return SignatureError(f"pseudo-header {name} is not allowed with {algorithm}")
            if name[1:-1] not in params:
                return SignatureError(f"signature covers {name} but has no {name[1:-1]} value")
            lines.append((name, params[name[1:-1]]))
        elif name.startswith("("):
            return SignatureError(f"unknown pseudo-header {name}")
        elif name in fields:
            lines.append((name, fields[name]))
        else:
            return SignatureError(f"signature covers {name!r} but the request has no such header")
    date = request_date(fields, "date" in covered)
    if isinstance(date, SignatureError):
        return date
    return ParsedSignature(
        scheme="cavage",
        key_id=key_id,
        algorithm=algorithm,
        covered=covered,
        created=created,
        expires=expires,
        method=method,
        target=target,
        host=fields.get("host"),
        date=date,
        digest=fields.get("digest"),
        signature=signature,
        base_lines=tuple(lines),
    )


# ---------------------------------------------------------------- verification


def _check_window(
    what: str, when: datetime, now: datetime, max_age: timedelta, max_future: timedelta
) -> str | None:
    if now - when > max_age:
        return f"{what} is too old ({int((now - when).total_seconds())} s, limit {max_age})"
    if when - now > max_future:
        return f"{what} is in the future ({int((when - now).total_seconds())} s ahead)"
    return None


def _check_digest(value: str | None, body: bytes, is_rfc9421: bool) -> str | None:
    header = "Content-Digest" if is_rfc9421 else "Digest"
    if value is None:
        return f"request has no {header} header"
    found: dict[str, bytes] = {}
    if is_rfc9421:
        try:
            members = sf.Parser(value).dictionary()
        except sf.SFError as exc:
            return f"malformed Content-Digest header: {exc}"
        for name, member in members.items():
            if name in _DIGEST_ALGORITHMS:
                if not isinstance(member.value, sf.Item) or not isinstance(
                    member.value.value, bytes
                ):
                    return f"Content-Digest {name} is not a byte sequence"
                found[name] = member.value.value
    else:
        for part in value.split(","):
            name, _, encoded = part.strip().partition("=")
            if name.lower() in _DIGEST_ALGORITHMS:
                decoded = b64decode(encoded)
                if decoded is None:
                    return f"{header} {name} is not valid base64"
                found[name.lower()] = decoded
    if not found:
        return f"{header} header has no SHA-256 or SHA-512 value"
    for name, expected in found.items():
        if not hmac.compare_digest(_DIGEST_ALGORITHMS[name](body).digest(), expected):
            return f"{header} {name} does not match the body"
    return None


def _cavage_algorithm(declared: str | None, key: PublicKeyTypes) -> str | None:
    if declared == "rsa-sha256":
        return RSA_V1_5_SHA256
    if declared == "ed25519":
        return ED25519
    # hs2019 or absent: the key decides (Mastodon: RSASSA-PKCS1-v1_5 with SHA-256 for RSA).
    if isinstance(key, rsa.RSAPublicKey):
        return RSA_V1_5_SHA256
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ED25519
    return None


def _missing_cavage(parsed: ParsedSignature, needs_digest: bool) -> str | None:
    covered = set(parsed.covered)
    for name in ("(request-target)", "host"):
        if name not in covered:
            return f"signature does not cover {name!r}"
    if "date" not in covered and "(created)" not in covered:
        return "signature does not cover 'date' or '(created)'"
    if needs_digest and "digest" not in covered:
        return "signature does not cover 'digest'"
    return None


def verify_signature(
    parsed: ParsedSignature,
    public_key: PublicKeyTypes,
    body: bytes | None,
    now: datetime,
    *,
    expected_host: str,
    max_age: timedelta = timedelta(hours=1),
    max_future: timedelta = timedelta(hours=1),
    default_algorithm: str | None = None,
) -> VerifyResult:
    """Check a parsed signature strictly (security rules 1-2; Mastodon and Fedify allow 1 h)."""
    # default_algorithm: the RFC 9421 algorithm to assume when a signature names none (RFC 9421
    # section 1.4 leaves that to the application); without it the key type decides.
    if default_algorithm is not None and default_algorithm not in RFC9421_ALGORITHMS:
        raise ValueError(f"unsupported default_algorithm {default_algorithm!r}")
    reason = _verify(
        parsed, public_key, body, aware(now), expected_host, max_age, max_future, default_algorithm
    )
    return VerifyResult(ok=reason is None, reason=reason or "ok", key_id=parsed.key_id)


def check_request(
    parsed: ParsedSignature,
    body: bytes | None,
    now: datetime,
    *,
    expected_host: str,
    max_age: timedelta = timedelta(hours=1),
    max_future: timedelta = timedelta(hours=1),
) -> VerifyResult:
    """Check all that needs no key (coverage, Host, time window, digest), before any fetch."""
    reason = _check_request(parsed, body, aware(now), expected_host, max_age, max_future)
    return VerifyResult(ok=reason is None, reason=reason or "ok", key_id=parsed.key_id)


def _same_host(signed: str, expected: str) -> bool:
    try:
        return canonical_host(signed.strip()) == canonical_host(expected)
    except HostError:
        return False


def _check_request(
    parsed: ParsedSignature,
    body: bytes | None,
    now: datetime,
    expected_host: str,
    max_age: timedelta,
    max_future: timedelta,
) -> str | None:
    is_rfc9421 = parsed.scheme == "rfc9421"
    # Starlette hands a body-less GET over as b"": only real content or a POST needs a digest.
    needs_digest = bool(body) or parsed.method.upper() in _BODY_METHODS
    missing = (rfc9421.missing if is_rfc9421 else _missing_cavage)(parsed, needs_digest)
    if missing:
        return missing
    if parsed.host is None:
        if not is_rfc9421:
            return "request has no Host header"
    elif not _same_host(parsed.host, expected_host):
        return f"Host {parsed.host!r} is not this server ({expected_host!r})"
    if is_rfc9421 and parsed.created is None:
        return "signature has no 'created' parameter"
    covered = {name.lower() for name in parsed.covered}
    if "date" in covered:
        if parsed.date is None:
            return "request has no valid Date header"
        if late := _check_window("Date", parsed.date, now, max_age, max_future):
            return late
    times_signed = is_rfc9421 or "(created)" in covered
    if times_signed and parsed.created is not None:
        created = parsed.created
        if late := _check_window("signature created time", created, now, max_age, max_future):
            return late
    expires_signed = is_rfc9421 or "(expires)" in covered
    if expires_signed and parsed.expires is not None and parsed.expires < now:
        return "signature has expired"
    if needs_digest and (wrong := _check_digest(parsed.digest, body or b"", is_rfc9421)):
        return wrong
    return None


def _verify(
    parsed: ParsedSignature,
    public_key: PublicKeyTypes,
    body: bytes | None,
    now: datetime,
    expected_host: str,
    max_age: timedelta,
    max_future: timedelta,
    default_algorithm: str | None,
) -> str | None:
    if failed := _check_request(parsed, body, now, expected_host, max_age, max_future):
        return failed
    is_rfc9421 = parsed.scheme == "rfc9421"
    if is_rfc9421:
        algorithm = rfc9421.algorithm(parsed.algorithm, default_algorithm, public_key)
    else:
        algorithm = _cavage_algorithm(parsed.algorithm, public_key)
    if algorithm is None:
        return f"no supported algorithm for a {key_kind(public_key)} key"
    failure = "signature does not match"
    for base in parsed.signature_bases(expected_host):
        failure = verify_bytes(algorithm, public_key, base, parsed.signature) or ""
        if not failure:
            return None
    return failure
