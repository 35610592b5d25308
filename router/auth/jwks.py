"""The keys tokens are checked with: JWKS files, and JWKS URLs refreshed in the background.

Each key keeps its JWK's `kty`, `kid` and `alg`: a token is only ever checked with a key of
the algorithm family its header names (RSA for RS*/PS*, EC for ES*, oct for HS*, OKP for
EdDSA), so an RSA public key can never be used as an HMAC secret (key confusion). A token
whose `kid` is unknown triggers at most one early refresh of URL sources per
``min_refresh_seconds``. Sources are bounded in size and keys.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from jwt import PyJWK
from jwt.exceptions import PyJWKError

logger = logging.getLogger("switchboard.router.auth")
MAX_JWKS_BYTES = 512 * 1024
MAX_KEYS = 64
FAMILIES = {"RSA": "RS", "EC": "ES", "oct": "HS", "OKP": "EdDSA"}
DEV_MARKER = "x-switchboard-dev"  # set on the development key pair `switchboard dev` makes


class JwksError(Exception):
    """A JWKS that cannot be read or used; the message says where."""


@dataclass(frozen=True, slots=True)
class Key:
    kid: str | None
    kty: str
    alg: str | None
    key: Any  # what PyJWT verifies with
    dev: bool = False

    def fits(self, alg: str) -> bool:
        """Whether a token signed with ``alg`` may be checked with this key."""
        if self.alg is not None and self.alg != alg:
            return False
        family = FAMILIES.get(self.kty)
        if family == "EdDSA":
            return alg == "EdDSA"
        return family is not None and alg.startswith(family) and alg != "EdDSA"


def parse_jwks(raw: bytes, where: str) -> list[Key]:
    if len(raw) > MAX_JWKS_BYTES:
        raise JwksError(f"{where}: the JWKS is larger than {MAX_JWKS_BYTES} bytes")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise JwksError(f"{where}: not JSON: {exc}") from None
    entries = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise JwksError(f"{where}: a JWKS is an object with a `keys` list")
    keys: list[Key] = []
    for index, entry in enumerate(entries[:MAX_KEYS]):
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            jwk = PyJWK(entry)
        except PyJWKError as exc:
            raise JwksError(f"{where}: keys[{index}]: {exc}") from None
        keys.append(
            Key(entry.get("kid"), str(entry.get("kty")), entry.get("alg"), jwk.key,
                bool(entry.get(DEV_MARKER)))
        )  # fmt: skip
    return keys


@dataclass(frozen=True, slots=True)
class Source:
    file: Path | None = None
    url: str | None = None


class KeySet:
    """The keys of every configured source; URL sources refresh themselves."""

    def __init__(
        self,
        sources: Iterable[Source],
        *,
        refresh_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
        timeout_seconds: float = 5.0,
    ) -> None:
        self.sources = list(sources)
        self.refresh_seconds = refresh_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self.timeout = timeout_seconds
        self._keys: dict[int, list[Key]] = {}
        self._last_refresh = 0.0
        self._task: asyncio.Task[None] | None = None
        for index, source in enumerate(self.sources):
            if source.file is not None:
                self._keys[index] = self._read_file(source.file)

    @property
    def keys(self) -> list[Key]:
        return [key for keys in self._keys.values() for key in keys]

    def has_dev_key(self) -> bool:
        return any(key.dev for key in self.keys)

    def find(self, kid: str | None, alg: str) -> list[Key]:
        """Keys that may check a token with this ``kid`` (any key when it names none)."""
        return [k for k in self.keys if k.fits(alg) and (kid is None or k.kid == kid)]

    @staticmethod
    def _read_file(path: Path) -> list[Key]:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise JwksError(f"{path}: cannot read the JWKS: {exc.strerror or exc}") from None
        return parse_jwks(raw, str(path))

    async def start(self) -> None:
        """Fetch URL sources once (failures are logged: tokens fail until a fetch works)."""
        if any(s.url for s in self.sources):
            await self.refresh()
            self._task = asyncio.create_task(self._refresh_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def refresh_for_unknown_kid(self) -> bool:
        """Refresh URL sources early (a key may have rotated), at most every few seconds."""
        if not any(s.url for s in self.sources):
            return False
        if time.monotonic() - self._last_refresh < self.min_refresh_seconds:
            return False
        await self.refresh()
        return True

    async def refresh(self) -> None:
        self._last_refresh = time.monotonic()
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for index, source in enumerate(self.sources):
                if source.url is None:
                    continue
                try:
                    response = await client.get(source.url)
                    response.raise_for_status()
                    self._keys[index] = parse_jwks(response.content, source.url)
                except (httpx.HTTPError, JwksError) as exc:  # keep the keys we had
                    logger.error("JWKS %s not refreshed: %s", source.url, exc)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            await self.refresh()
