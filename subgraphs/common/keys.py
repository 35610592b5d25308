"""Ed25519 keys as settings hold them: PEM text, possibly on one line, and their key ids."""

from __future__ import annotations

import hashlib
import json
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_PUBLIC_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)


def unescape_pem(text: str) -> str:
    """A PEM written on one line (an env file's value, its line breaks as a literal ``\\n``)
    with its line breaks back; a PEM already on several lines is unchanged."""
    return text.replace("\\n", "\n")


def key_id(public: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 of the raw public key: the ``kid`` of the tokens it
    verifies (the router computes it the same way)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_keys_in(text: str, owner: str = "") -> list[Ed25519PublicKey]:
    """Every Ed25519 public key in ``text`` (several PEM blocks during a rotation);
    ValueError naming ``owner`` (whose keys they are) for one that is not Ed25519."""
    keys: list[Ed25519PublicKey] = []
    for block in _PUBLIC_BLOCK.findall(unescape_pem(text)):
        key = serialization.load_pem_public_key(block.encode())
        if not isinstance(key, Ed25519PublicKey):
            whose = f"the public key of {owner!r}" if owner else "an identity key"
            raise ValueError(f"{whose} is not an Ed25519 key (PEM)")
        keys.append(key)
    return keys


def load_private_key(pem: str) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``pem``; ValueError that never repeats the key's text."""
    problem = "a service signing key must be an Ed25519 private key (PEM, unencrypted)"
    try:
        key = serialization.load_pem_private_key(unescape_pem(pem).encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError(problem) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(problem)
    return key


def service_keys_from_json(raw: str) -> dict[str, list[Ed25519PublicKey]]:
    """``<SERVICE>_SERVICE_PUBLIC_KEYS``: a JSON object of service name → PEM (several PEM
    blocks, or a list of PEMs, during a rotation) → each service's public keys."""
    if not raw.strip():
        return {}
    parsed = json.loads(raw)
    if not isinstance(parsed, dict):
        raise ValueError("service public keys: a JSON object of service name → PEM")
    return {str(name): service_keys(str(name), value) for name, value in parsed.items()}


def service_keys(service: str, value: object) -> list[Ed25519PublicKey]:
    """The keys of ``service`` in a PEM text or a list of them."""
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise ValueError(f"the public keys of {service!r}: a PEM, or a list of PEMs")
    return [key for text in texts for key in public_keys_in(text, service)]
