"""Prefixed, time-sortable identifiers (``cus_01J…``), as payment APIs use them."""

from __future__ import annotations

import random
import re
import secrets
from datetime import UTC, datetime

from .errors import BadUserInput

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
MAX_ID_LENGTH = 64  # longer than any id we make; a longer one names nothing
_TIME_CHARS, _RANDOM_CHARS = 10, 12
_CUSTOMER_ID = re.compile(f"cus_[{_ALPHABET}]{{{_TIME_CHARS + _RANDOM_CHARS}}}")


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
    return f"{prefix}_{_encode(millis, _TIME_CHARS)}{_encode(randomness, _RANDOM_CHARS)}"


def check_customer_id(customer_id: str) -> str:
    """Refuse (BAD_USER_INPUT) a customer id that ``new_id("cus")`` could not have made.

    The customers service owns customers and other services cannot ask it yet, so they
    check only the shape: a well-formed id of a customer that does not exist is accepted.
    """
    if not _CUSTOMER_ID.fullmatch(customer_id):
        raise BadUserInput(
            f"Invalid customer id {customer_id!r}: expected an id such as 'cus_…'.",
            field="customerId",
        )
    return customer_id


def check_id(value: str, *, field: str = "id") -> str:
    """Refuse (BAD_USER_INPUT) an id no service could have made: empty or over-long.

    Lookups answer null for any other id they do not know; writes check further.
    """
    if not 1 <= len(value) <= MAX_ID_LENGTH:
        raise BadUserInput(f"{field} must be 1 to {MAX_ID_LENGTH} characters.", field=field)
    return value
