"""HTTP message signatures per RFC 9421, as Fedify sends them: signing, reading a request's
signature, and which algorithm and components a signature needs. Verification is shared with
draft-cavage (`httpsig`)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qsl, quote

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from federation import structured_fields as sf
from federation.signatures import (
    ECDSA_P256_SHA256,
    ED25519,
    RFC9421_ALGORITHMS,
    RSA_V1_5_SHA256,
    ParsedSignature,
    SignatureError,
    aware,
    content_digest_header,
    from_unix,
    http_date,
    merge_extra,
    request_date,
    sign_bytes,
    url_parts,
)


def sign_request(
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
    parts, authority, target = url_parts(url)
    headers = {"Host": authority, "Date": http_date(now)}
    lines = {
        '"@method"': method.upper(),
        '"@target-uri"': f"{parts.scheme}://{authority}{target}",
        '"@authority"': authority,
    }
    if body is not None:
        headers["Content-Digest"] = lines['"content-digest"'] = content_digest_header(body)
    merge_extra(headers, extra_headers)
    created = int(aware(now).timestamp())
    keyid = sf.serialize_string(key_id)
    params = f'({" ".join(lines)});created={created};keyid={keyid};alg="{alg}"'
    base_lines = [f"{name}: {value}" for name, value in lines.items()]
    base = "\n".join([*base_lines, f'"@signature-params": {params}']).encode("utf-8")
    signature = sign_bytes(alg, private_key, base)
    headers["Signature-Input"] = f"{label}={params}"
    headers["Signature"] = f"{label}=:{base64.b64encode(signature).decode('ascii')}:"
    return headers


# ---------------------------------------------------------------- reading a request


def parse(method: str, target: str, fields: dict[str, str]) -> ParsedSignature | SignatureError:
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
        times[name] = None if value is None else from_unix(value)
        if value is not None and times[name] is None:
            return SignatureError(f"{name} is out of range")
    lines = _lines(method, target, fields, inner.items)
    if isinstance(lines, SignatureError):
        return lines
    lines.append(('"@signature-params"', raw_params))
    covered = tuple(name for name, _ in lines[:-1])
    date = request_date(fields, '"date"' in covered)
    if isinstance(date, SignatureError):
        return date
    return ParsedSignature(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=alg,
        covered=tuple(component_name(name) for name in covered),
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


def component_name(identifier: str) -> str:
    """Turn '"@query-param";name="x"' into '@query-param;name="x"', '"host"' into 'host'."""
    name, _, params = identifier[1:].partition('"')
    return name + params


def _lines(
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


# ---------------------------------------------------------------- what a signature needs


def algorithm(declared: str | None, default: str | None, key: PublicKeyTypes) -> str | None:
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


def missing(parsed: ParsedSignature, needs_digest: bool) -> str | None:
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
