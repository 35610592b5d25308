"""Keys for one `switchboard dev` run, and the development tokens signed with them.

Every run makes fresh ones under ``$DATA_DIR/keys/``:

- ``dev-user.pem`` / ``dev-jwks.json``: an ES256 key pair standing in for an identity
  provider; user tokens (``switchboard token``, GraphiQL's identity picker) are signed with
  it. Its JWKS is marked as a development key: a production router refuses to trust it.
- ``router.pem`` / ``router.pub.pem``: the router's Ed25519 key for subgraph requests.
- ``<service>.pem`` / ``<service>.pub.pem``: each service's Ed25519 key for calling peers.

and the environment that hands them to each process (``environment()``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import ECAlgorithm

from router.auth.jwks import DEV_MARKER

DEV_ISSUER = "switchboard-dev"
DEV_KID = "switchboard-dev-user"
DEV_TOKEN_SECONDS = 24 * 3600


def private_pem(key: ec.EllipticCurvePrivateKey | Ed25519PrivateKey) -> bytes:
    """The private key as unencrypted PKCS#8 PEM (what the settings and key files hold)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: Ed25519PrivateKey) -> str:
    """The public half of ``key`` as SubjectPublicKeyInfo PEM."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _write_secret(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)


@dataclass(frozen=True)
class DevKeys:
    folder: Path

    @property
    def jwks(self) -> Path:
        return self.folder / "dev-jwks.json"

    @property
    def user_key(self) -> Path:
        return self.folder / "dev-user.pem"

    @property
    def router_key(self) -> Path:
        return self.folder / "router.pem"

    def public(self, name: str) -> str:
        return (self.folder / f"{name}.pub.pem").read_text()

    def private(self, name: str) -> str:
        return (self.folder / f"{name}.pem").read_text()

    @classmethod
    def generate(cls, folder: Path, services: list[str]) -> DevKeys:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        user = ec.generate_private_key(ec.SECP256R1())
        _write_secret(folder / "dev-user.pem", private_pem(user))
        public_jwk = json.loads(ECAlgorithm.to_jwk(user.public_key()))
        entry = {**public_jwk, "kid": DEV_KID, "alg": "ES256", "use": "sig", DEV_MARKER: True}
        (folder / "dev-jwks.json").write_text(json.dumps({"keys": [entry]}, indent=2))
        for name in ["router", *services]:
            key = Ed25519PrivateKey.generate()
            _write_secret(folder / f"{name}.pem", private_pem(key))
            (folder / f"{name}.pub.pem").write_text(public_pem(key))
        return cls(folder)

    def environment(self, services: list[str]) -> dict[str, str]:
        """What each subgraph is told: the router's public key, its own private key, and
        its peers' public keys (a JSON object name → PEM)."""
        peers = {name: self.public(name) for name in services}
        env: dict[str, str] = {}
        for name in services:
            prefix = name.upper()
            env[f"{prefix}_ROUTER_PUBLIC_KEYS"] = self.public("router")
            env[f"{prefix}_SERVICE_PRIVATE_KEY"] = self.private(name)
            env[f"{prefix}_SERVICE_PUBLIC_KEYS"] = json.dumps(peers)
        return env

    def token(self, subject: str, scopes: list[str], seconds: int = DEV_TOKEN_SECONDS) -> str:
        """A user token signed by this run's development identity provider."""
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": DEV_ISSUER,
            "sub": subject,
            "iat": now,
            "exp": now + seconds,
        }
        if scopes:
            claims["scope"] = " ".join(scopes)
        key = serialization.load_pem_private_key(self.user_key.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return jwt.encode(claims, key, algorithm="ES256", headers={"kid": DEV_KID})


STAFF_IDENTITIES = {
    "support": ["support:read", "support:write"],
    "billing": ["support:read", "billing:write", "refunds:write"],
    "admin": ["admin"],
}
