"""Object Integrity Proofs (FEP-8b32) with the `eddsa-jcs-2022` cryptosuite.

The proof covers the JCS canonical form (RFC 8785) of exactly the document received, less its
`proof`: what is verified is what is processed, unlike the Linked-Data signatures of Mastodon
CVE-2022-24307, which verified one normalisation and processed another document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from federation.multikey import MultikeyError, base58_decode, base58_encode
from federation.vocab import Json

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
MAX_AGE = timedelta(hours=1)


@dataclass(frozen=True)
class ParsedProof:
    """A proof's verification method (the key id) and what its signature covers."""

    key_id: str
    created: datetime
    signed: bytes
    signature: bytes


def parse_proof(document: Json) -> ParsedProof | str:
    """Read the single eddsa-jcs-2022 proof of a document; a reason string when unusable."""
    proof = document.get("proof")
    if not isinstance(proof, dict):
        return "no proof (a list of proofs is not supported)"
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return "proof is not a DataIntegrityProof of eddsa-jcs-2022"
    if proof.get("proofPurpose") != "assertionMethod":
        return "proof purpose is not assertionMethod"
    key_id, value, created = (
        proof.get("verificationMethod"),
        proof.get("proofValue"),
        proof.get("created"),
    )
    if not isinstance(key_id, str) or not isinstance(value, str) or not isinstance(created, str):
        return "proof lacks verificationMethod, proofValue or created"
    moment = _time(created)
    if moment is None:
        return "proof created is not a date and time with a time zone"
    try:
        signature = base58_decode(value[1:]) if value.startswith("z") else b""
    except MultikeyError:
        signature = b""
    if len(signature) != 64:
        return "proofValue is not a base58btc Ed25519 signature"
    return ParsedProof(key_id, moment, signing_input(document, proof), signature)


def signing_input(document: Json, proof: Json) -> bytes:
    """Hash the proof options and the document as eddsa-jcs-2022 says (both SHA-256 of JCS)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in document:
        options["@context"] = document["@context"]
    return _sha256_jcs(options) + _sha256_jcs(unsecured)


def verify_proof(parsed: ParsedProof, key: PublicKeyTypes, now: datetime) -> str | None:
    """Check the proof's signature and its age (rule 2's window); None when it holds."""
    if not isinstance(key, ed25519.Ed25519PublicKey):
        return "the proof's key is not an Ed25519 key"
    if parsed.created < now - MAX_AGE or parsed.created > now + MAX_AGE:
        return "proof created outside the allowed time window"
    try:
        key.verify(parsed.signature, parsed.signed)
    except InvalidSignature:
        return "proof signature does not verify"
    return None


def sign_proof(document: Json, key: ed25519.Ed25519PrivateKey, key_id: str, now: datetime) -> Json:
    """Return the document with an eddsa-jcs-2022 proof (the board's tests and peers use it)."""
    proof: Json = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": key_id,
        "proofPurpose": "assertionMethod",
        "created": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    signature = key.sign(signing_input(document, proof))
    return {**document, "proof": {**proof, "proofValue": "z" + base58_encode(signature)}}


def _sha256_jcs(value: Json) -> bytes:
    return hashlib.sha256(rfc8785.dumps(value)).digest()


def _time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
