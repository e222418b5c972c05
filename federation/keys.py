"""RSA key generation and PEM handling for actor keys."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

PrivateKey = rsa.RSAPrivateKey


def generate_private_key() -> PrivateKey:
    """Generate a 2048-bit RSA key, the size Mastodon and Fedify use for actor keys."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_to_pem(key: PrivateKey) -> str:
    """Serialise a private key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


@functools.lru_cache(maxsize=16)
def load_private_key(pem: str) -> PrivateKey:
    """Load an RSA private key from PEM; parsing and checking it costs ~40-60 ms, so a process
    that opens the same board again (its command line work, tests) reuses the parsed key."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def public_key_to_pem(key: PrivateKey | PublicKeyTypes) -> str:
    """Return the SubjectPublicKeyInfo PEM that goes into an actor's publicKeyPem."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(pem: str) -> PublicKeyTypes:
    """Load a public key from a remote actor's publicKeyPem."""
    return serialization.load_pem_public_key(pem.encode("ascii"))
