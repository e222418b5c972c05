"""HTTP signatures: draft-cavage-12 (what the fediverse sends) and RFC 9421; pure, clock injected.

Verification happens in two steps because the caller has to fetch the key in between:
`parse_signature` reads the request and names the key, `verify_signature` checks the policy
(covered components, host, time window, body digest) and the cryptography.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Literal
from urllib.parse import SplitResult, parse_qsl, quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from federation import structured_fields as sf
from federation.hosts import HostError, canonical_host

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]]
SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

# RFC 9421 algorithm names; the draft-cavage names are mapped onto these.
RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
ED25519 = "ed25519"
RFC9421_ALGORITHMS = frozenset({RSA_V1_5_SHA256, RSA_PSS_SHA512, ECDSA_P256_SHA256, ED25519})
CAVAGE_ALGORITHMS = frozenset({"rsa-sha256", "hs2019", "ed25519"})

_DIGEST_ALGORITHMS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


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
    return format_datetime(_aware(now).astimezone(UTC), usegmt=True)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (UTC)")
    return now


def _parse_http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _b64decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII input
        return None


def _from_unix(value: int | float) -> datetime | None:
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
    raise ValueError(f"cannot sign {algorithm!r} with a {_key_kind(private_key)} key")


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
            return f"algorithm {algorithm!r} does not fit a {_key_kind(public_key)} key"
    except InvalidSignature:
        return "signature does not match"
    return None


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


def _key_kind(key: object) -> str:
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return f"EC {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return "Ed25519"
    return type(key).__name__


def _url_parts(url: str) -> tuple[SplitResult, str, str]:
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


def _merge_extra(
    headers: dict[str, str], extra_headers: Mapping[str, str] | None
) -> dict[str, str]:
    extra = {name.lower(): (name, value) for name, value in (extra_headers or {}).items()}
    for reserved in ("host", "date", "digest", "content-digest", "signature", "signature-input"):
        if reserved in extra:
            raise ValueError(f"{reserved!r} is set by the signer, not by extra_headers")
    headers.update(dict(extra.values()))
    return {name: value for name, (_, value) in extra.items()}


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
    _, authority, target = _url_parts(url)
    headers = {"Host": authority, "Date": http_date(now)}
    values = {
        "(request-target)": f"{method.lower()} {target}",
        "host": authority,
        "date": headers["Date"],
    }
    if body is not None:
        headers["Digest"] = values["digest"] = digest_header(body)
    extra = _merge_extra(headers, extra_headers)
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


def sign_request_rfc9421(
    method: str,
    url: str,
    body: bytes | None,
    key_id: str,
    private_key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey,
    now: datetime,
    extra_headers: Mapping[str, str] | None = None,
    *,
    label: str = "sig1",
) -> dict[str, str]:
    """Sign a request per RFC 9421 the way Fedify does (rsa-v1_5-sha256, Content-Digest);
    with an Ed25519 key (a FEP-521a Multikey) the algorithm is `ed25519`."""
    alg = ED25519 if isinstance(private_key, ed25519.Ed25519PrivateKey) else RSA_V1_5_SHA256
    parts, authority, target = _url_parts(url)
    headers = {"Host": authority, "Date": http_date(now)}
    lines = {
        '"@method"': method.upper(),
        '"@target-uri"': f"{parts.scheme}://{authority}{target}",
        '"@authority"': authority,
    }
    if body is not None:
        headers["Content-Digest"] = lines['"content-digest"'] = content_digest_header(body)
    _merge_extra(headers, extra_headers)
    created = int(_aware(now).timestamp())
    keyid = sf.serialize_string(key_id)
    params = f'({" ".join(lines)});created={created};keyid={keyid};alg="{alg}"'
    base_lines = [f"{name}: {value}" for name, value in lines.items()]
    base = "\n".join([*base_lines, f'"@signature-params": {params}']).encode("utf-8")
    signature = sign_bytes(alg, private_key, base)
    headers["Signature-Input"] = f"{label}={params}"
    headers["Signature"] = f"{label}=:{base64.b64encode(signature).decode('ascii')}:"
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
        return _parse_rfc9421(method, target, fields)
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
    when = _from_unix(value)
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
    signature = _b64decode(params["signature"])
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
    date = None
    if "date" in fields:
        date = _parse_http_date(fields["date"])
        if date is None and "date" in covered:
            return SignatureError("Date header is not an HTTP date")
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


def _parse_rfc9421(
    method: str, target: str, fields: dict[str, str]
) -> ParsedSignature | SignatureError:
    try:
        inputs = sf.Parser(fields["signature-input"]).dictionary()
    except sf.SFError as exc:
        return SignatureError(f"malformed Signature-Input header: {exc}")
    if "signature" not in fields:
        return SignatureError("request has Signature-Input but no Signature header")
    try:
        signatures = sf.Parser(fields["signature"]).dictionary()
    except sf.SFError as exc:
        return SignatureError(f"malformed Signature header: {exc}")
    chosen = next(
        (
            (label, member.raw, member.value)
            for label, member in inputs.items()
            if isinstance(member.value, sf.InnerList) and "keyid" in dict(member.value.params)
        ),
        None,
    )
    if chosen is None:
        return SignatureError("no signature in Signature-Input has a keyid")
    label, raw_params, inner = chosen
    entry = signatures.get(label)
    if entry is None or not isinstance(entry.value, sf.Item):
        return SignatureError(f"Signature header has no entry {label!r}")
    if not isinstance(entry.value.value, bytes) or not entry.value.value:
        return SignatureError(f"Signature {label!r} is not a byte sequence")
    params = dict(inner.params)
    key_id, alg = params.get("keyid"), params.get("alg")
    if not isinstance(key_id, str) or not key_id:
        return SignatureError("keyid is not a string")
    if alg is not None and not isinstance(alg, str):
        return SignatureError("alg is not a string")
    if alg is not None and alg not in RFC9421_ALGORITHMS:
        return SignatureError(f"unsupported signature algorithm {alg!r}")
    times: dict[str, datetime | None] = {}
    for name in ("created", "expires"):
        value = params.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            return SignatureError(f"{name} is not an integer")
        times[name] = None if value is None else _from_unix(value)
        if value is not None and times[name] is None:
            return SignatureError(f"{name} is out of range")
    lines = _rfc9421_lines(method, target, fields, inner.items)
    if isinstance(lines, SignatureError):
        return lines
    lines.append(('"@signature-params"', raw_params))
    covered = tuple(name for name, _ in lines[:-1])
    date = _parse_http_date(fields["date"]) if "date" in fields else None
    if date is None and '"date"' in covered:
        return SignatureError("Date header is not an HTTP date")
    return ParsedSignature(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=alg,
        covered=tuple(_component_name(name) for name in covered),
        created=times["created"],
        expires=times["expires"],
        method=method,
        target=target,
        host=fields.get("host"),
        date=date,
        digest=fields.get("content-digest"),
        label=label,
        signature=entry.value.value,
        base_lines=tuple(lines),
    )


def _component_name(identifier: str) -> str:
    """Turn '"@query-param";name="x"' into '@query-param;name="x"', '"host"' into 'host'."""
    name, _, params = identifier[1:].partition('"')
    return name + params


def _rfc9421_lines(
    method: str, target: str, fields: dict[str, str], items: tuple[sf.Item, ...]
) -> list[tuple[str, str | None]] | SignatureError:
    path, has_query, query = target.partition("?")
    lines: list[tuple[str, str | None]] = []
    for item in items:
        if not isinstance(item.value, str):
            return SignatureError("a covered component is not a string")
        name, params = item.value, dict(item.params)
        identifier = sf.serialize_string(name) + sf.serialize_params(item.params)
        if any(existing == identifier for existing, _ in lines):
            return SignatureError(f"component {identifier} is covered twice")
        allowed = {"name"} if name == "@query-param" else set()
        if set(params) - allowed:
            unsupported = ", ".join(sorted(set(params) - allowed))
            return SignatureError(f"unsupported component parameter {unsupported} on {name!r}")
        value: str | None
        if name in ("@target-uri", "@authority", "@scheme"):
            value = None
        elif name == "@method":
            value = method
        elif name == "@request-target":
            value = target
        elif name == "@path":
            value = path or "/"
        elif name == "@query":
            value = "?" + query
        elif name == "@query-param":
            found = _query_param(query if has_query else "", params.get("name"))
            if isinstance(found, SignatureError):
                return found
            value = found
        elif name.startswith("@"):
            return SignatureError(f"unsupported derived component {name!r}")
        elif name.lower() in fields:
            value = fields[name.lower()]
        else:
            return SignatureError(f"signature covers {name!r} but the request has no such header")
        lines.append((identifier, value))
    return lines


def _form_encode(text: str) -> str:
    """Percent-encode like the WHATWG form serializer, but spaces as %20 (RFC 9421 2.2.8)."""
    return quote(text, safe="*-._")


def _query_param(query: str, name: object) -> str | SignatureError:
    if not isinstance(name, str):
        return SignatureError("@query-param needs a string name parameter")
    values = [
        _form_encode(value)
        for key, value in parse_qsl(query, keep_blank_values=True)
        if _form_encode(key) == name
    ]
    if len(values) != 1:
        return SignatureError(f"query parameter {name!r} occurs {len(values)} times, not once")
    return values[0]


# ---------------------------------------------------------------- verification


def _check_window(
    what: str, when: datetime, now: datetime, max_age: timedelta, max_future: timedelta
) -> str | None:
    if now - when > max_age:
        return f"{what} is too old ({int((now - when).total_seconds())} s, limit {max_age})"
    if when - now > max_future:
        return f"{what} is in the future ({int((when - now).total_seconds())} s ahead)"
    return None


def _check_digest(value: str | None, body: bytes, rfc9421: bool) -> str | None:
    header = "Content-Digest" if rfc9421 else "Digest"
    if value is None:
        return f"request has no {header} header"
    found: dict[str, bytes] = {}
    if rfc9421:
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
                decoded = _b64decode(encoded)
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


def _rfc9421_algorithm(
    declared: str | None, default: str | None, key: PublicKeyTypes
) -> str | None:
    if declared is not None:
        return declared
    if default is not None:
        return default
    if isinstance(key, rsa.RSAPublicKey):
        return RSA_V1_5_SHA256  # what Fedify uses
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return ECDSA_P256_SHA256
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


def _missing_rfc9421(parsed: ParsedSignature, needs_digest: bool) -> str | None:
    covered = {name.lower() for name in parsed.covered}
    if "@method" not in covered:
        return "signature does not cover '@method'"
    if "@target-uri" not in covered:
        if "@path" not in covered:
            return "signature does not cover '@target-uri' (or '@path' and '@authority')"
        if "?" in parsed.target and "@query" not in covered:
            return "signature does not cover '@query' (or '@target-uri')"
    if "@authority" not in covered and "host" not in covered:
        return "signature does not cover '@authority' or 'host'"
    if needs_digest and "content-digest" not in covered:
        return "signature does not cover 'content-digest'"
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
        parsed, public_key, body, _aware(now), expected_host, max_age, max_future, default_algorithm
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
    reason = _check_request(parsed, body, _aware(now), expected_host, max_age, max_future)
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
    rfc9421 = parsed.scheme == "rfc9421"
    # Starlette hands a body-less GET over as b"": only real content or a POST needs a digest.
    needs_digest = bool(body) or parsed.method.upper() in _BODY_METHODS
    missing = (_missing_rfc9421 if rfc9421 else _missing_cavage)(parsed, needs_digest)
    if missing:
        return missing
    if parsed.host is None:
        if not rfc9421:
            return "request has no Host header"
    elif not _same_host(parsed.host, expected_host):
        return f"Host {parsed.host!r} is not this server ({expected_host!r})"
    if rfc9421 and parsed.created is None:
        return "signature has no 'created' parameter"
    covered = {name.lower() for name in parsed.covered}
    if "date" in covered:
        if parsed.date is None:
            return "request has no valid Date header"
        if late := _check_window("Date", parsed.date, now, max_age, max_future):
            return late
    times_signed = rfc9421 or "(created)" in covered
    if times_signed and parsed.created is not None:
        created = parsed.created
        if late := _check_window("signature created time", created, now, max_age, max_future):
            return late
    expires_signed = rfc9421 or "(expires)" in covered
    if expires_signed and parsed.expires is not None and parsed.expires < now:
        return "signature has expired"
    if needs_digest and (wrong := _check_digest(parsed.digest, body or b"", rfc9421)):
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
    rfc9421 = parsed.scheme == "rfc9421"
    if rfc9421:
        algorithm = _rfc9421_algorithm(parsed.algorithm, default_algorithm, public_key)
    else:
        algorithm = _cavage_algorithm(parsed.algorithm, public_key)
    if algorithm is None:
        return f"no supported algorithm for a {_key_kind(public_key)} key"
    failure = "signature does not match"
    for base in parsed.signature_bases(expected_host):
        failure = verify_bytes(algorithm, public_key, base, parsed.signature) or ""
        if not failure:
            return None
    return failure
