"""Token buckets: in memory, shared through a real Redis, and the fall-back when Redis is down."""

from __future__ import annotations

import logging
import uuid

import pytest

from router.operation.context import HttpRequest
from router.operation.identify import client_key
from router.operation.ratelimit import MemoryBuckets, RateLimitConfig, RedisBuckets, retry_after

REDIS = "redis://127.0.0.1:6379/0"


async def test_a_bucket_allows_its_burst_then_asks_to_wait() -> None:
    buckets = MemoryBuckets(rate=1.0, burst=3)
    waits = [await buckets.acquire("ip:1") for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 0 < waits[3] <= 1.0
    assert await buckets.acquire("ip:2") == 0.0  # another client has its own bucket
    assert retry_after(waits[3]) == "1"


async def test_two_routers_share_one_bucket_through_redis() -> None:
    config = RateLimitConfig(
        enabled=True, requests_per_second=0.5, burst=4, redis_url=REDIS,
        redis_prefix=f"test:{uuid.uuid4().hex}:",
    )  # fmt: skip
    first, second = RedisBuckets(config), RedisBuckets(config)
    try:
        waits = [await (first if n % 2 else second).acquire("sub:alice") for n in range(6)]
        assert waits[:4] == [0.0] * 4  # the burst, taken from both routers
        assert all(w > 0 for w in waits[4:])
        assert first.fallbacks == second.fallbacks == 0
    finally:
        await first.aclose()
        await second.aclose()


async def test_redis_down_falls_back_to_memory_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = RateLimitConfig(
        enabled=True, burst=2, requests_per_second=0.01,  # no refill however slow the machine
        redis_url="redis://127.0.0.1:9/0", redis_timeout_seconds=0.2,
    )  # fmt: skip
    buckets = RedisBuckets(config)
    try:
        with caplog.at_level(logging.ERROR, logger="switchboard.router.ratelimit"):
            waits = [await buckets.acquire("ip:1") for _ in range(3)]
        assert waits[:2] == [0.0, 0.0]
        assert waits[2] > 0  # still limited, by memory
        assert buckets.fallbacks == 3
        assert caplog.text.count("Redis unreachable") == 1
    finally:
        await buckets.aclose()


@pytest.mark.parametrize(
    ("rule", "headers", "subject", "expected"),
    [
        ("subject", {}, "cus_1", "sub:cus_1"),
        ("subject", {}, None, "ip:10.0.0.1"),
        ("ip", {}, "cus_1", "ip:10.0.0.1"),
        ("header:x-api-key", {"x-api-key": "k1"}, None, "hdr:k1"),
        ("header:x-api-key", {}, None, "ip:10.0.0.1"),
    ],
)
def test_client_keys(
    rule: str, headers: dict[str, str], subject: str | None, expected: str
) -> None:
    http = HttpRequest("POST", "/graphql", headers, b"", client="10.0.0.1")
    assert client_key(http, rule, subject) == expected


def test_key_rule_is_validated() -> None:
    with pytest.raises(ValueError, match="header:<name>"):
        RateLimitConfig(key="cookie")
