"""``switchboard keys``: the service-to-service keys of a deployment, made once, kept secret.

The router signs each subgraph request with its Ed25519 key; every subgraph trusts the
router's public key and its peers' (docs/security.md). ``write_keys`` makes a fresh set and
writes it in the two forms the deployment files read:

- ``router.env`` and ``<service>.env``: one file per process, holding only what that process
  needs (its own private key and the public keys it trusts), for Compose's ``env_file``.
  Values are single-quoted (taken literally) on one line: a PEM's line breaks are written
  ``\\n``, which the router and the subgraphs read as line breaks.
- ``kubernetes-secret.yaml``: the Secret ``switchboard-keys`` that the Kubernetes manifests
  reference, one private key per entry.

Files are created with mode 0600 in a 0700 folder and never overwritten: rotating keys is a
staged change (docs/security.md), not a re-run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from switchboard.devkeys import private_pem, public_pem

ROUTER_ENV = "SWITCHBOARD_ROUTER_SUBGRAPH_AUTH__PRIVATE_KEY"
SECRET_NAME = "switchboard-keys"


class KeysExist(Exception):
    """The folder already holds keys; they stay as they are."""


def env_line(name: str, value: str) -> str:
    """``NAME='value'``: PEM line breaks as ``\\n``; JSON is one line already."""
    one_line = value.replace("\n", "\\n") if value.startswith("-----BEGIN") else value
    if "'" in one_line or "\n" in one_line:
        raise ValueError(f"{name}: not a one-line value")
    return f"{name}='{one_line}'\n"


def read_env(path: Path) -> dict[str, str]:
    """Read an env file as ``write_keys`` writes it (and Compose reads it): NAME='literal'."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, quoted = line.partition("=")
            values[name] = quoted[1:-1]
    return values


def _write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def write_keys(folder: Path, services: Sequence[str]) -> list[Path]:
    """Generate the router's and each service's key pair; write the files; their paths."""
    names = ["router", *services]
    targets = [folder / f"{name}.env" for name in names] + [folder / "kubernetes-secret.yaml"]
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise KeysExist(", ".join(existing))
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    keys = {name: Ed25519PrivateKey.generate() for name in names}
    private = {name: private_pem(key).decode() for name, key in keys.items()}
    public = {name: public_pem(key) for name, key in keys.items()}
    peers = json.dumps({name: public[name] for name in services})
    header = "# Made by `switchboard keys`: secret, never commit it. Rotation: docs/security.md\n"
    _write(targets[0], header + env_line(ROUTER_ENV, private["router"]))
    for name, path in zip(services, targets[1:], strict=False):
        prefix = name.upper()
        _write(
            path,
            header
            + env_line(f"{prefix}_ROUTER_PUBLIC_KEYS", public["router"])
            + env_line(f"{prefix}_SERVICE_PRIVATE_KEY", private[name])
            + env_line(f"{prefix}_SERVICE_PUBLIC_KEYS", peers),
        )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": SECRET_NAME,
            "namespace": "switchboard",
            "labels": {"app.kubernetes.io/part-of": "switchboard"},
        },
        "type": "Opaque",
        "stringData": {
            "router-private-key": private["router"],
            "router-public-key": public["router"],
            "service-public-keys": peers,
            **{f"{name}-private-key": private[name] for name in services},
        },
    }
    _write(targets[-1], header + yaml.safe_dump(secret, sort_keys=False))
    return targets
