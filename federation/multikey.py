"""FEP-521a `Multikey` public keys: multibase (base58btc) of a multicodec-prefixed key."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.keys import public_key_to_pem

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ED25519_PUB = b"\xed\x01"  # multicodec 0xed, as an unsigned varint
MAX_MULTIBASE = 200


class MultikeyError(ValueError):
    """A publicKeyMultibase that is not a key the board can use."""


def base58_decode(text: str) -> bytes:
    """Decode base58btc (the Bitcoin alphabet), keeping leading zero bytes."""
    number = 0
    for char in text:
        digit = BASE58_ALPHABET.find(char)
        if digit < 0:
            raise MultikeyError(f"not base58: {char!r}")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + body


def base58_encode(data: bytes) -> str:
    """Encode bytes as base58btc."""
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = BASE58_ALPHABET[digit] + out
    zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * zeros + out


def multikey_to_pem(multibase: str) -> str:
    """Turn an Ed25519 `publicKeyMultibase` (FEP-521a, as Mitra and Mastodon publish it) into
    SubjectPublicKeyInfo PEM; other key types are refused."""
    if len(multibase) > MAX_MULTIBASE or not multibase.startswith("z"):
        raise MultikeyError("publicKeyMultibase must be base58btc ('z')")
    raw = base58_decode(multibase[1:])
    if not raw.startswith(ED25519_PUB) or len(raw) != len(ED25519_PUB) + 32:
        raise MultikeyError("only Ed25519 Multikeys are supported")
    return public_key_to_pem(ed25519.Ed25519PublicKey.from_public_bytes(raw[2:]))


def ed25519_multibase(key: ed25519.Ed25519PublicKey) -> str:
    """Encode an Ed25519 public key as `publicKeyMultibase`."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58_encode(ED25519_PUB + raw)
