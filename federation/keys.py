"""RSA key generation and PEM handling for actor keys."""

from __future__ import annotations

import functools
from collections import OrderedDict

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
    """Load one of the board's own RSA private keys from PEM.

    The key's mathematical check is skipped: it costs ~35 ms of CPU, during which
    `cryptography` holds the interpreter lock, so loading the key in a thread still stalled
    the event loop once after every start. The check guards against keys from elsewhere;
    the board's keys are the ones `generate_private_key` made and its database kept. A process
    that opens the same board again (its command line work, tests) reuses the parsed key."""
    key = serialization.load_pem_private_key(
        pem.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True
    )
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


class PublicKeyCache:
    """Parsed public keys by key id, kept while the key's PEM stays the same: a key fetched
    again with a new PEM (rotation) replaces the old one. Parsing a PEM on every signed
    request costs more than verifying the signature."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._keys: OrderedDict[str, tuple[str, PublicKeyTypes]] = OrderedDict()

    def load(self, key_id: str, pem: str) -> PublicKeyTypes:
        """Return the parsed key for this id and PEM, parsing it only when new or changed."""
        cached = self._keys.get(key_id)
        if cached is not None and cached[0] == pem:
            self._keys.move_to_end(key_id)
            return cached[1]
        key = load_public_key(pem)
        self._keys[key_id] = (pem, key)
        self._keys.move_to_end(key_id)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return key
