"""Prefixed, time-sortable identifiers (``cus_01J…``), as payment APIs use them."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: str, *, at: datetime | None = None, rng: random.Random | None = None) -> str:
    """``prefix_`` + 10 chars of millisecond time + 12 random chars; sorts by creation time.

    Pass ``at`` and a seeded ``rng`` for deterministic ids (demo data, tests).
    """
    moment = at or datetime.now(UTC)
    millis = int(moment.timestamp() * 1000)
    randomness = rng.getrandbits(60) if rng else secrets.randbits(60)
    return f"{prefix}_{_encode(millis, 10)}{_encode(randomness, 12)}"
