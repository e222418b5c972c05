from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from starlette.datastructures import Headers

from federation.httpsig import (
    ParsedSignature,
    SignatureError,
    VerifyResult,
    content_digest_header,
    digest_header,
    http_date,
    parse_signature,
    sign_bytes,
    sign_request,
    sign_request_rfc9421,
    verify_bytes,
    verify_signature,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "httpsig"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
HOST = "board.example"
INBOX = f"https://{HOST}/inbox"
KEY_ID = "https://remote.example/users/alice#main-key"
BODY = b'{"type": "Create", "actor": "https://remote.example/users/alice"}'
CONTENT_TYPE = "application/activity+json"


def _private(name: str) -> Any:
    return serialization.load_pem_private_key((FIXTURES / name).read_bytes(), password=None)


def _public(name: str) -> PublicKeyTypes:
    return serialization.load_pem_public_key((FIXTURES / name).read_bytes())


# Fixed, published test keys keep every signature deterministic.
SENDER_KEY: rsa.RSAPrivateKey = _private("test-key-rsa.key.pem")  # RFC 9421 test-key-rsa
SENDER_PUBLIC = SENDER_KEY.public_key()
OTHER_KEY: rsa.RSAPrivateKey = _private("cavage-test.key.pem")
ED_KEY: ed25519.Ed25519PrivateKey = _private("test-key-ed25519.key.pem")
VECTORS: dict[str, Any] = json.loads((FIXTURES / "rfc9421-b2.json").read_text())


def _parsed(method: str, target: str, headers: Any) -> ParsedSignature:
    parsed = parse_signature(method, target, headers)
    assert isinstance(parsed, ParsedSignature), parsed
    return parsed


def _error(method: str, target: str, headers: Any) -> str:
    parsed = parse_signature(method, target, headers)
    assert isinstance(parsed, SignatureError), parsed
    return parsed.reason


def _verify(
    headers: Any,
    *,
    method: str = "POST",
    target: str = "/inbox",
    body: bytes | None = BODY,
    key: PublicKeyTypes = SENDER_PUBLIC,
    now: datetime = NOW,
    host: str = HOST,
) -> VerifyResult:
    parsed = _parsed(method, target, headers)
    return verify_signature(parsed, key, body, now, expected_host=host)


def _cavage(
    covered: str,
    *,
    method: str = "POST",
    target: str = "/inbox",
    body: bytes | None = BODY,
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey = SENDER_KEY,
    algorithm: str | None = "rsa-sha256",
    date: datetime = NOW,
    created: int | None = None,
    expires: int | None = None,
    signed_target: str | None = None,
) -> dict[str, str]:
    """Sign by hand (independently of federation.httpsig) with any covered-header list."""
    headers = {"Host": HOST, "Date": http_date(date), "Content-Type": CONTENT_TYPE}
    if body is not None:
        headers["Digest"] = digest_header(body)
    values = {name.lower(): value for name, value in headers.items()}
    values["(request-target)"] = f"{method.lower()} {signed_target or target}"
    values["(created)"] = str(created)
    values["(expires)"] = str(expires)
    base = "\n".join(f"{name}: {values[name]}" for name in covered.split()).encode()
    if isinstance(key, rsa.RSAPrivateKey):
        raw = key.sign(base, padding.PKCS1v15(), hashes.SHA256())
    else:
        raw = key.sign(base)
    params = [f'keyId="{KEY_ID}"']
    if algorithm is not None:
        params.append(f'algorithm="{algorithm}"')
    if created is not None:
        params.append(f"created={created}")
    if expires is not None:
        params.append(f"expires={expires}")
    params.append(f'headers="{covered}"')
    params.append(f'signature="{base64.b64encode(raw).decode()}"')
    headers["Signature"] = ",".join(params)
    return headers


def _signed_post(body: bytes = BODY, now: datetime = NOW) -> dict[str, str]:
    return sign_request(
        "POST", INBOX, body, KEY_ID, SENDER_KEY, now, {"Content-Type": CONTENT_TYPE}
    )


def _signed_post_rfc9421(
    body: bytes = BODY, now: datetime = NOW, url: str = INBOX
) -> dict[str, str]:
    return sign_request_rfc9421(
        "POST", url, body, KEY_ID, SENDER_KEY, now, {"Content-Type": CONTENT_TYPE}
    )


def _sf_bytes(member: str) -> bytes:
    return base64.b64decode(member.split("=", 1)[1].strip(":"))


# ---------------------------------------------------------------- digests


def test_digest_header__matches_draft_cavage_example() -> None:
    assert digest_header(b'{"hello": "world"}') == (
        "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
    )


def test_content_digest_header__uses_rfc9530_byte_sequence() -> None:
    assert content_digest_header(b'{"hello": "world"}') == (
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    )


# ---------------------------------------------------------------- draft-cavage appendix C

CAVAGE_PUBLIC = _public("cavage-test.pub.pem")
CAVAGE_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)
CAVAGE_BODY = b'{"hello": "world"}'
CAVAGE_TARGET = "/foo?param=value&pet=dog"
CAVAGE_HEADERS = {
    "Host": "example.com",
    "Date": "Sun, 05 Jan 2014 21:31:40 GMT",
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}
CAVAGE_DEFAULT_SIGNATURE = (
    "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV"
    "5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="
)
CAVAGE_BASIC_SIGNATURE = (
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3"
    "HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
)
CAVAGE_ALL_HEADERS_SIGNATURE = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52"
    "LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)


def _cavage_vector(signature_header: str, *, authorization: bool = False) -> dict[str, str]:
    name = "Authorization" if authorization else "Signature"
    prefix = "Signature " if authorization else ""
    return {**CAVAGE_HEADERS, name: prefix + signature_header}


@pytest.mark.parametrize("authorization", [False, True], ids=["signature", "authorization"])
def test_cavage_vector__default_test_verifies_but_is_too_weak(authorization: bool) -> None:
    headers = _cavage_vector(
        f'keyId="Test",algorithm="rsa-sha256",signature="{CAVAGE_DEFAULT_SIGNATURE}"',
        authorization=authorization,
    )
    parsed = _parsed("POST", CAVAGE_TARGET, headers)
    assert (parsed.key_id, parsed.algorithm, parsed.covered) == ("Test", "rsa-sha256", ("date",))
    (base,) = parsed.signature_bases("example.com")
    assert base == b"date: Sun, 05 Jan 2014 21:31:40 GMT"
    assert verify_bytes("rsa-v1_5-sha256", CAVAGE_PUBLIC, base, parsed.signature) is None
    result = verify_signature(
        parsed, CAVAGE_PUBLIC, CAVAGE_BODY, CAVAGE_NOW, expected_host="example.com"
    )
    assert result == VerifyResult(False, "signature does not cover '(request-target)'", "Test")


def test_cavage_vector__basic_test_verifies_but_lacks_digest() -> None:
    headers = _cavage_vector(
        'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date", '
        f'signature="{CAVAGE_BASIC_SIGNATURE}"'
    )
    parsed = _parsed("POST", CAVAGE_TARGET, headers)
    base = parsed.signature_bases("example.com")[0]
    assert base == (
        b"(request-target): post /foo?param=value&pet=dog\n"
        b"host: example.com\n"
        b"date: Sun, 05 Jan 2014 21:31:40 GMT"
    )
    assert verify_bytes("rsa-v1_5-sha256", CAVAGE_PUBLIC, base, parsed.signature) is None
    result = verify_signature(
        parsed, CAVAGE_PUBLIC, CAVAGE_BODY, CAVAGE_NOW, expected_host="example.com"
    )
    assert result.reason == "signature does not cover 'digest'"


def test_cavage_vector__all_headers_test_passes_full_verification() -> None:
    headers = _cavage_vector(
        'keyId="Test",algorithm="rsa-sha256",'
        'headers="(request-target) host date content-type digest content-length",'
        f'signature="{CAVAGE_ALL_HEADERS_SIGNATURE}"'
    )
    parsed = _parsed("POST", CAVAGE_TARGET, headers)
    result = verify_signature(
        parsed, CAVAGE_PUBLIC, CAVAGE_BODY, CAVAGE_NOW, expected_host="example.com"
    )
    assert result == VerifyResult(True, "ok", "Test")


def test_cavage_vector__all_headers_test_fails_with_other_key() -> None:
    headers = _cavage_vector(
        'keyId="Test",algorithm="rsa-sha256",'
        'headers="(request-target) host date content-type digest content-length",'
        f'signature="{CAVAGE_ALL_HEADERS_SIGNATURE}"'
    )
    parsed = _parsed("POST", CAVAGE_TARGET, headers)
    result = verify_signature(
        parsed, SENDER_PUBLIC, CAVAGE_BODY, CAVAGE_NOW, expected_host="example.com"
    )
    assert result.reason == "signature does not match"


# ---------------------------------------------------------------- RFC 9421 appendix B.2

RFC_NOW = datetime.fromtimestamp(1618884473, UTC)
RFC_BODY: bytes = VECTORS["request"]["body"].encode()
PSS_PUBLIC = _public("test-key-rsa-pss.pub.pem")


def _rfc_request(name: str) -> list[tuple[str, str]]:
    return [
        *(tuple(pair) for pair in VECTORS["request"]["headers"]),
        ("Signature-Input", VECTORS[name]["signature_input"]),
        ("Signature", VECTORS[name]["signature"]),
    ]


def _rfc_parsed(name: str) -> ParsedSignature:
    return _parsed(VECTORS["request"]["method"], VECTORS["request"]["target"], _rfc_request(name))


@pytest.mark.parametrize("name", ["b21", "b22", "b23"])
def test_rfc9421_vector__rsa_pss_base_and_signature_verify(name: str) -> None:
    parsed = _rfc_parsed(name)
    assert parsed.scheme == "rfc9421"
    assert parsed.key_id == "test-key-rsa-pss"
    assert parsed.created == RFC_NOW
    (base,) = parsed.signature_bases("example.com")
    assert base == VECTORS[name]["signature_base"].encode()
    assert verify_bytes("rsa-pss-sha512", PSS_PUBLIC, base, parsed.signature) is None


def test_rfc9421_vector__b21_empty_coverage_is_rejected() -> None:
    result = verify_signature(
        _rfc_parsed("b21"), PSS_PUBLIC, RFC_BODY, RFC_NOW, expected_host="example.com"
    )
    assert result.reason == "signature does not cover '@method'"


def test_rfc9421_vector__b23_full_coverage_passes_full_verification() -> None:
    parsed = _rfc_parsed("b23")
    assert parsed.covered[:4] == ("date", "@method", "@path", "@query")
    result = verify_signature(
        parsed,
        PSS_PUBLIC,
        RFC_BODY,
        RFC_NOW,
        expected_host="example.com",
        default_algorithm="rsa-pss-sha512",
    )
    assert result == VerifyResult(True, "ok", "test-key-rsa-pss")


def test_rfc9421_vector__b23_without_alg_infers_rsa_v1_5_and_fails() -> None:
    result = verify_signature(
        _rfc_parsed("b23"), PSS_PUBLIC, RFC_BODY, RFC_NOW, expected_host="example.com"
    )
    assert result.reason == "signature does not match"


def test_rfc9421_vector__b24_ecdsa_response_signature_verifies() -> None:
    # A response (covers "@status"): only the signature itself applies to a request verifier.
    vector = VECTORS["b24"]
    signature = _sf_bytes(vector["signature"])
    public = _public("test-key-ecc-p256.pub.pem")
    base = vector["signature_base"].encode()
    assert verify_bytes("ecdsa-p256-sha256", public, base, signature) is None
    assert verify_bytes("ecdsa-p256-sha256", public, base + b" ", signature) == (
        "signature does not match"
    )


def test_rfc9421_vector__b24_status_component_is_refused_on_requests() -> None:
    headers = [*VECTORS["response"]["headers"]]
    headers += [
        ("Signature-Input", VECTORS["b24"]["signature_input"]),
        ("Signature", VECTORS["b24"]["signature"]),
    ]
    assert _error("POST", "/foo", headers) == "unsupported derived component '@status'"


def test_rfc9421_vector__b26_ed25519_is_reproduced_exactly() -> None:
    parsed = _rfc_parsed("b26")
    (base,) = parsed.signature_bases("example.com")
    assert base == VECTORS["b26"]["signature_base"].encode()
    assert sign_bytes("ed25519", ED_KEY, base) == _sf_bytes(VECTORS["b26"]["signature"])
    public = _public("test-key-ed25519.pub.pem")
    assert verify_bytes("ed25519", public, base, parsed.signature) is None
    result = verify_signature(parsed, public, RFC_BODY, RFC_NOW, expected_host="example.com")
    assert result.reason == "signature does not cover '@query' (or '@target-uri')"


def test_rfc9421_vector__b22_query_param_component() -> None:
    parsed = _rfc_parsed("b22")
    assert parsed.covered == ("@authority", "content-digest", '@query-param;name="Pet"')


# ---------------------------------------------------------------- signing round trips


def test_sign_request__post_headers_have_mastodon_shape() -> None:
    headers = _signed_post()
    assert headers["Host"] == HOST
    assert headers["Date"] == "Sun, 01 Mar 2026 12:00:00 GMT"
    assert headers["Digest"] == digest_header(BODY)
    assert headers["Content-Type"] == CONTENT_TYPE
    assert headers["Signature"].startswith(
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",'
        'headers="(request-target) host date digest content-type",signature="'
    )


def test_sign_request__post_round_trip() -> None:
    assert _verify(_signed_post()) == VerifyResult(True, "ok", KEY_ID)


def test_sign_request__get_round_trip_signs_accept_and_query() -> None:
    url = f"https://{HOST}/users/board?page=2"
    headers = sign_request(
        "GET", url, None, KEY_ID, SENDER_KEY, NOW, {"Accept": "application/activity+json"}
    )
    parsed = _parsed("GET", "/users/board?page=2", headers)
    assert parsed.covered == ("(request-target)", "host", "date", "accept")
    assert parsed.signature_bases(HOST)[0].startswith(
        b"(request-target): get /users/board?page=2\n"
    )
    result = verify_signature(parsed, SENDER_PUBLIC, None, NOW, expected_host=HOST)
    assert result.ok, result.reason


def test_sign_request__host_keeps_non_default_port_and_drops_default() -> None:
    with_port = sign_request("GET", "https://Board.Example:8443/x", None, KEY_ID, SENDER_KEY, NOW)
    default = sign_request("GET", "https://board.example:443/x", None, KEY_ID, SENDER_KEY, NOW)
    assert with_port["Host"] == "board.example:8443"
    assert default["Host"] == "board.example"


def test_sign_request__rejects_naive_clock() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_request("GET", INBOX, None, KEY_ID, SENDER_KEY, datetime(2026, 3, 1))


def test_sign_request_rfc9421__headers_have_fedify_shape() -> None:
    headers = _signed_post_rfc9421()
    assert headers["Content-Digest"] == content_digest_header(BODY)
    assert headers["Signature-Input"] == (
        'sig1=("@method" "@target-uri" "@authority" "content-digest")'
        f';created={int(NOW.timestamp())};keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'
    )
    assert headers["Signature"].startswith("sig1=:") and headers["Signature"].endswith(":")


def test_sign_request_rfc9421__post_round_trip() -> None:
    result = _verify(_signed_post_rfc9421())
    assert result == VerifyResult(True, "ok", KEY_ID)


def test_sign_request_rfc9421__get_round_trip() -> None:
    headers = sign_request_rfc9421("GET", f"{INBOX}?a=1", None, KEY_ID, SENDER_KEY, NOW)
    assert "content-digest" not in headers["Signature-Input"]
    result = _verify(headers, method="GET", target="/inbox?a=1", body=None)
    assert result.ok, result.reason


def test_verify__accepts_rfc9421_signed_for_http_behind_tls_proxy() -> None:
    result = _verify(_signed_post_rfc9421(url=f"http://{HOST}/inbox"))
    assert result.ok, result.reason


def test_verify__accepts_request_target_without_query_like_mastodon() -> None:
    headers = _cavage(
        "(request-target) host date digest", target="/inbox?x=1", signed_target="/inbox"
    )
    assert _verify(headers, target="/inbox?x=1").ok


def test_verify__accepts_hs2019_with_rsa_key() -> None:
    headers = _cavage("(request-target) host date digest", algorithm="hs2019")
    assert _verify(headers).ok


def test_verify__accepts_absent_algorithm() -> None:
    headers = _cavage("(request-target) host date digest", algorithm=None)
    assert _verify(headers).ok


def test_verify__accepts_hs2019_with_ed25519_key_and_created() -> None:
    created = int(NOW.timestamp()) - 10
    headers = _cavage(
        "(request-target) (created) host digest", key=ED_KEY, algorithm="hs2019", created=created
    )
    result = _verify(headers, key=ED_KEY.public_key())
    assert result.ok, result.reason


def test_verify__accepts_date_exactly_one_hour_old() -> None:
    assert _verify(_signed_post(now=NOW - timedelta(hours=1))).ok


def test_verify__compares_host_case_insensitively() -> None:
    assert _verify(_signed_post(), host="Board.Example").ok


def test_parse__joins_repeated_headers_with_comma_space() -> None:
    headers = [(k, v) for k, v in _signed_post().items() if k != "Content-Type"]
    headers += [("content-type", "application/activity+json"), ("Content-Type", "x")]
    parsed = _parsed("POST", "/inbox", headers)
    assert parsed.signature_bases(HOST)[0].endswith(b"content-type: application/activity+json, x")
    assert _verify(headers).reason == "signature does not match"


def test_verify__accepts_get_with_empty_body_and_no_digest() -> None:
    headers = sign_request("GET", f"https://{HOST}/outbox", None, KEY_ID, SENDER_KEY, NOW)
    assert _verify(headers, method="GET", target="/outbox", body=b"").ok


def test_verify__rejects_post_with_empty_body_and_no_digest() -> None:
    headers = _cavage("(request-target) host date", body=None)
    assert _verify(headers, body=b"").reason == "signature does not cover 'digest'"


def test_parse__reads_starlette_headers_with_repeated_fields() -> None:
    signed = _signed_post()
    raw = [(k.lower().encode(), v.encode()) for k, v in signed.items() if k != "Content-Type"]
    raw += [(b"content-type", b"application/activity+json"), (b"content-type", b"x")]
    parsed = _parsed("POST", "/inbox", Headers(raw=raw))
    assert parsed.signature_bases(HOST)[0].endswith(b"content-type: application/activity+json, x")


def test_parse__rfc9421_uses_first_label_with_keyid() -> None:
    headers = _signed_post_rfc9421()
    headers["Signature-Input"] = (
        'proxy=("@method");created=1;tag="no-key", ' + headers["Signature-Input"]
    )
    headers["Signature"] = "proxy=:AAAA:, " + headers["Signature"]
    parsed = _parsed("POST", "/inbox", headers)
    assert parsed.label == "sig1"
    assert _verify(headers).ok


def test_parse__rfc9421_keeps_signature_params_as_received() -> None:
    headers = _signed_post_rfc9421()
    headers["Signature-Input"] = headers["Signature-Input"].replace('" "', '"  "')
    parsed = _parsed("POST", "/inbox", headers)
    assert parsed.signature_bases(HOST)[0].endswith(headers["Signature-Input"][5:].encode())
    assert _verify(headers).reason == "signature does not match"


# ---------------------------------------------------------------- draft-cavage rejections


@pytest.mark.parametrize(
    ("covered", "reason"),
    [
        ("host date digest", "signature does not cover '(request-target)'"),
        ("(request-target) date digest", "signature does not cover 'host'"),
        ("(request-target) host digest", "signature does not cover 'date' or '(created)'"),
        ("(request-target) host date", "signature does not cover 'digest'"),
    ],
    ids=["request-target", "host", "date", "digest"],
)
def test_verify__rejects_missing_covered_header(covered: str, reason: str) -> None:
    assert _verify(_cavage(covered)).reason == reason


def test_verify__rejects_missing_host_in_covered_headers() -> None:
    result = _verify(_cavage("(request-target) date digest"))
    assert result == VerifyResult(False, "signature does not cover 'host'", KEY_ID)


def test_verify__rejects_get_without_host_coverage() -> None:
    headers = _cavage("(request-target) date", method="GET", body=None)
    result = _verify(headers, method="GET", body=None)
    assert result.reason == "signature does not cover 'host'"


def test_verify__rejects_digest_mismatch() -> None:
    tampered = BODY.replace(b"alice", b"alicf")
    assert len(tampered) == len(BODY)
    result = _verify(_signed_post(), body=tampered)
    assert result.reason == "Digest sha-256 does not match the body"


def test_verify__rejects_digest_header_absent() -> None:
    headers = _signed_post()
    del headers["Digest"]
    assert _error("POST", "/inbox", headers) == (
        "signature covers 'digest' but the request has no such header"
    )


def test_verify__rejects_digest_without_sha256_or_sha512() -> None:
    headers = _signed_post()
    headers["Digest"] = "MD5=" + base64.b64encode(b"0" * 16).decode()
    result = _verify(headers)
    assert result.reason == "Digest header has no SHA-256 or SHA-512 value"


def test_verify__rejects_wrong_host() -> None:
    result = _verify(_signed_post(), host="other.example")
    assert result.reason == "Host 'board.example' is not this server ('other.example')"


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "rsa-sha1", "rsa-sha512"])
def test_parse__rejects_unknown_algorithm(algorithm: str) -> None:
    headers = _cavage("(request-target) host date digest", algorithm=algorithm)
    assert _error("POST", "/inbox", headers) == f"unsupported signature algorithm {algorithm!r}"


def test_verify__rejects_rsa_sha256_claimed_for_ed25519_key() -> None:
    headers = _cavage("(request-target) host date digest", key=ED_KEY, algorithm="rsa-sha256")
    result = _verify(headers, key=ED_KEY.public_key())
    assert result.reason == "algorithm 'rsa-v1_5-sha256' does not fit a Ed25519 key"


def test_verify__rejects_stale_date() -> None:
    result = _verify(_signed_post(now=NOW - timedelta(hours=1, seconds=1)))
    assert result.reason == "Date is too old (3601 s, limit 1:00:00)"


def test_verify__rejects_future_date() -> None:
    result = _verify(_signed_post(now=NOW + timedelta(hours=1, seconds=1)))
    assert result.reason == "Date is in the future (3601 s ahead)"


def test_verify__rejects_stale_created() -> None:
    created = int((NOW - timedelta(hours=2)).timestamp())
    headers = _cavage(
        "(request-target) (created) host digest", key=ED_KEY, algorithm="hs2019", created=created
    )
    result = _verify(headers, key=ED_KEY.public_key())
    assert result.reason == "signature created time is too old (7200 s, limit 1:00:00)"


def test_verify__rejects_expired_signature() -> None:
    expires = int(NOW.timestamp()) - 1
    headers = _cavage(
        "(request-target) host date digest (expires)",
        key=ED_KEY,
        algorithm="hs2019",
        expires=expires,
    )
    assert _verify(headers, key=ED_KEY.public_key()).reason == "signature has expired"


def test_parse__rejects_created_pseudo_header_with_rsa_sha256() -> None:
    headers = _cavage("(request-target) (created) host digest", created=int(NOW.timestamp()))
    assert _error("POST", "/inbox", headers) == (
        "pseudo-header (created) is not allowed with rsa-sha256"
    )


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        ("garbage", "malformed Signature header near 'garbage'"),
        ('keyId="a" signature="b"', "malformed Signature header near 'signature=\"b\"'"),
        ('algorithm="rsa-sha256",signature="AAAA"', "Signature header has no keyId"),
        (f'keyId="{KEY_ID}",headers="date"', "Signature header has no signature"),
        (f'keyId="{KEY_ID}",signature="not base64!"', "signature is not valid base64"),
        (f'keyId="{KEY_ID}",keyId="x",signature="AAAA"', "Signature header repeats 'keyId'"),
        (f'keyId="{KEY_ID}",headers="",signature="AAAA"', "Signature header lists no headers"),
    ],
    ids=["garbage", "no-comma", "no-keyid", "no-signature", "bad-base64", "dup", "no-headers"],
)
def test_parse__rejects_malformed_signature_header(signature: str, reason: str) -> None:
    headers = {**_signed_post(), "Signature": signature}
    assert _error("POST", "/inbox", headers) == reason


def test_parse__rejects_unsigned_request() -> None:
    headers = {"Host": HOST, "Authorization": "Bearer abc"}
    assert _error("POST", "/inbox", headers) == (
        "request is not signed (no Signature or Signature-Input header)"
    )


def test_parse__rejects_unparseable_date() -> None:
    headers = {**_signed_post(), "Date": "yesterday"}
    assert _error("POST", "/inbox", headers) == "Date header is not an HTTP date"


def test_parse__rfc9421_rejects_an_unparseable_date_it_covers() -> None:
    headers = {
        "Host": HOST,
        "Date": "yesterday",
        "Signature-Input": f'sig1=("@method" "date");keyid="{KEY_ID}";alg="rsa-v1_5-sha256"',
        "Signature": "sig1=:AAAA:",
    }
    assert _error("POST", "/inbox", headers) == "Date header is not an HTTP date"


def test_parse__an_unreadable_date_the_signature_does_not_cover_is_no_date() -> None:
    signature = f'keyId="{KEY_ID}",headers="(request-target) host",signature="AAAA"'
    headers = {"Host": HOST, "Date": "yesterday", "Signature": signature}
    assert _parsed("POST", "/inbox", headers).date is None


def test_verify__rejects_signature_by_another_key() -> None:
    headers = sign_request("POST", INBOX, BODY, KEY_ID, OTHER_KEY, NOW)
    assert _verify(headers).reason == "signature does not match"


def test_verify__rejects_tampered_path() -> None:
    assert _verify(_signed_post(), target="/users/board/inbox").reason == (
        "signature does not match"
    )


def test_verify__rejects_tampered_query() -> None:
    headers = _cavage("(request-target) host date digest", target="/inbox?x=1")
    assert _verify(headers, target="/inbox?x=2").reason == "signature does not match"


def test_verify__rejects_tampered_method() -> None:
    assert _verify(_signed_post(), method="PUT").reason == "signature does not match"


# ---------------------------------------------------------------- RFC 9421 rejections


def test_verify__rfc9421_rejects_content_digest_mismatch() -> None:
    tampered = BODY[:-1] + b"]"
    result = _verify(_signed_post_rfc9421(), body=tampered)
    assert result.reason == "Content-Digest sha-256 does not match the body"


def test_verify__rfc9421_rejects_missing_content_digest_coverage() -> None:
    headers = sign_request_rfc9421("POST", INBOX, None, KEY_ID, SENDER_KEY, NOW)
    headers["Content-Digest"] = content_digest_header(BODY)
    assert _verify(headers).reason == "signature does not cover 'content-digest'"


def test_verify__rfc9421_rejects_wrong_host_header() -> None:
    headers = {**_signed_post_rfc9421(), "Host": "evil.example"}
    assert _verify(headers).reason == "Host 'evil.example' is not this server ('board.example')"


def test_verify__rfc9421_rejects_signature_for_other_authority() -> None:
    headers = _signed_post_rfc9421(url="https://other.example/inbox")
    del headers["Host"]
    assert _verify(headers).reason == "signature does not match"


def test_verify__rfc9421_rejects_stale_created() -> None:
    headers = _signed_post_rfc9421(now=NOW - timedelta(hours=1, seconds=1))
    result = _verify(headers)
    assert result.reason == "signature created time is too old (3601 s, limit 1:00:00)"


def test_verify__rfc9421_rejects_future_created() -> None:
    result = _verify(_signed_post_rfc9421(now=NOW + timedelta(hours=2)))
    assert result.reason == "signature created time is in the future (7200 s ahead)"


def test_verify__rfc9421_rejects_missing_created() -> None:
    headers = _signed_post_rfc9421()
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        f";created={int(NOW.timestamp())}", ""
    )
    assert _verify(headers).reason == "signature has no 'created' parameter"


def test_verify__rfc9421_rejects_expired() -> None:
    headers = _signed_post_rfc9421()
    headers["Signature-Input"] += f";expires={int(NOW.timestamp()) - 1}"
    assert _verify(headers).reason == "signature has expired"


def test_verify__rfc9421_rejects_body_without_content_digest_coverage() -> None:
    parsed = _parsed("POST", "/foo", _rfc_request("b26"))
    result = verify_signature(
        parsed, ED_KEY.public_key(), RFC_BODY, RFC_NOW, expected_host="example.com"
    )
    assert result.reason == "signature does not cover 'content-digest'"


def test_verify__rfc9421_rejects_algorithm_not_fitting_key() -> None:
    headers = _signed_post_rfc9421()
    assert _verify(headers, key=ED_KEY.public_key()).reason == (
        "algorithm 'rsa-v1_5-sha256' does not fit a Ed25519 key"
    )


@pytest.mark.parametrize(
    ("signature_input", "signature", "reason"),
    [
        ("sig1=(", "sig1=:AAAA:", "malformed Signature-Input header: unexpected end of field"),
        (
            'sig1=("@method");created=1',
            "sig1=:AAAA:",
            "no signature in Signature-Input has a keyid",
        ),
        ('sig1=("@method");keyid="k"', "other=:AAAA:", "Signature header has no entry 'sig1'"),
        ('sig1=("@method");keyid="k"', 'sig1="AAAA"', "Signature 'sig1' is not a byte sequence"),
        (
            'sig1=("@method");keyid="k"',
            "sig1=:A!A:",
            "malformed Signature header: bad byte sequence at position 5",
        ),
        ('sig1=("@method");keyid=k', "sig1=:AAAA:", "keyid is not a string"),
        (
            'sig1=("@method");keyid="k";alg="hmac-sha256"',
            "sig1=:AAAA:",
            "unsupported signature algorithm 'hmac-sha256'",
        ),
        (
            'sig1=("@method" "@method");keyid="k"',
            "sig1=:AAAA:",
            'component "@method" is covered twice',
        ),
        (
            'sig1=("x-missing");keyid="k"',
            "sig1=:AAAA:",
            "signature covers 'x-missing' but the request has no such header",
        ),
        (
            'sig1=("host";bs);keyid="k"',
            "sig1=:AAAA:",
            "unsupported component parameter bs on 'host'",
        ),
        (
            'sig1=("@query-param";name="nope");keyid="k"',
            "sig1=:AAAA:",
            "query parameter 'nope' occurs 0 times, not once",
        ),
    ],
)
def test_parse__rfc9421_rejects_malformed_input(
    signature_input: str, signature: str, reason: str
) -> None:
    headers = {"Host": HOST, "Signature-Input": signature_input, "Signature": signature}
    assert _error("POST", "/inbox?a=1", headers) == reason


def test_sign_and_verify_bytes__ecdsa_p256_round_trip() -> None:
    key = _private("test-key-ecc-p256.key.pem")
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signature = sign_bytes("ecdsa-p256-sha256", key, b"message")
    assert len(signature) == 64
    assert verify_bytes("ecdsa-p256-sha256", key.public_key(), b"message", signature) is None
