"""Progressive override: which ``@override(label:)`` labels are enabled for each request.

``percent(N)`` labels are enabled for N% of requests. The choice is deterministic: with a
``key_header`` configured (say, a user id) a request's bucket is a hash of the seed, the
label and that header's value, so one user always sees the same side; otherwise a
``random.Random(seed)`` sequence decides, reproducible from the seed. Any label, percent or
custom, can be forced on or off by configuration; custom labels are off unless forced on.
Plans are cached per enabled label set, so a label costs at most one extra plan per
operation.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping

_PERCENT = re.compile(r"^percent\((\d+(?:\.\d+)?)\)$")
NO_LABELS: frozenset[str] = frozenset()


class OverridePolicy:
    def __init__(
        self,
        labels: frozenset[str],
        *,
        forced: Mapping[str, bool] | None = None,
        seed: int = 0,
        key_header: str | None = None,
    ) -> None:
        forced = dict(forced or {})
        self.always = frozenset(label for label in labels if forced.get(label) is True)
        self.percent: dict[str, float] = {}
        for label in labels:
            match = _PERCENT.match(label)
            if match and label not in forced:
                self.percent[label] = float(match.group(1))
        self.seed = seed
        self.key_header = key_header.lower() if key_header else None
        self._random = random.Random(seed)

    def labels_for(self, headers: Mapping[str, str] | None = None) -> frozenset[str]:
        """The labels enabled for one request with these (lower-case) client headers."""
        if not self.percent:
            return self.always
        key = headers.get(self.key_header) if headers and self.key_header else None
        enabled = set(self.always)
        for label, share in self.percent.items():
            if self._bucket(label, key) < share:
                enabled.add(label)
        return frozenset(enabled)

    def _bucket(self, label: str, key: str | None) -> float:
        """A number in [0, 100): stable per key, else the next from the seeded sequence."""
        if key is None:
            return self._random.random() * 100
        digest = hashlib.sha256(f"{self.seed}\0{label}\0{key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 * 100
