"""Rate limiting per client: token buckets, in memory or shared by every router through Redis.

A bucket holds up to ``burst`` tokens and refills at ``requests_per_second``; a request takes
one token or is refused with RATE_LIMITED (HTTP 429, ``Retry-After``). With ``redis_url``
the buckets live in Redis (one Lua script does the arithmetic atomically, on Redis's clock),
so N routers on N hosts share them. When Redis cannot be reached the router falls back to
its own in-memory buckets, logs the outage once and logs again when Redis is back.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

logger = logging.getLogger("switchboard.router.ratelimit")
MAX_LOCAL_BUCKETS = 100_000  # least recently seen clients are forgotten first

_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local retry = 0
if tokens >= 1 then tokens = tokens - 1 else retry = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(retry)
"""


class RateLimitConfig(BaseModel):
    """Token buckets per client key; off unless enabled (the key depends on the deployment)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=False, description="Limit requests per client.")
    requests_per_second: float = Field(
        default=50.0, gt=0, description="Sustained requests per second per client."
    )
    burst: int = Field(default=100, ge=1, description="Requests a client may send at once.")
    key: str = Field(
        default="subject",
        description="Who a client is: `subject` (the verified token's subject, else the IP), "
        "`ip` (the peer address: behind a proxy, every client shares it) or `header:<name>`.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Share buckets between router processes through Redis "
        "(e.g. `redis://127.0.0.1:6379/0`); unset keeps them in memory.",
    )
    redis_prefix: str = Field(default="switchboard:ratelimit:", description="Redis key prefix.")
    redis_timeout_seconds: float = Field(
        default=0.25, gt=0, description="Past this, a Redis call fails over to memory."
    )

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if value in ("subject", "ip") or (value.startswith("header:") and len(value) > 7):
            return value.lower()
        raise ValueError("use `subject`, `ip` or `header:<name>`")

    @property
    def mode(self) -> Literal["memory", "redis"]:
        return "redis" if self.redis_url else "memory"


class Limiter(Protocol):
    async def acquire(self, key: str) -> float:
        """0 when the request may go on, else the seconds until a token is free."""

    async def aclose(self) -> None: ...


class MemoryBuckets:
    """Buckets in this process, bounded in number."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def acquire(self, key: str) -> float:
        return self.take(key)

    def take(self, key: str) -> float:
        now = time.monotonic()
        tokens, stamp = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        retry = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            retry = (1 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > MAX_LOCAL_BUCKETS:
            self._buckets.popitem(last=False)
        return retry

    async def aclose(self) -> None:
        self._buckets.clear()


class RedisBuckets:
    """Buckets in Redis, shared by every router; memory buckets while Redis is unreachable."""

    def __init__(self, config: RateLimitConfig) -> None:
        import redis.asyncio as aioredis

        assert config.redis_url is not None
        self.config = config
        self.client: Any = aioredis.from_url(
            config.redis_url,
            socket_timeout=config.redis_timeout_seconds,
            socket_connect_timeout=config.redis_timeout_seconds,
        )
        self.script = self.client.register_script(_SCRIPT)
        self.fallback = MemoryBuckets(config.requests_per_second, config.burst)
        self.down = False
        self.fallbacks = 0  # requests decided in memory because Redis failed

    async def acquire(self, key: str) -> float:
        try:
            reply = await self.script(
                keys=[self.config.redis_prefix + key],
                args=[self.config.requests_per_second, self.config.burst],
            )
        except Exception as exc:  # any Redis failure: serve on with local buckets
            self.fallbacks += 1
            if not self.down:
                self.down = True
                logger.error(
                    "rate limit: Redis unreachable (%s: %s); using in-memory buckets",
                    type(exc).__name__,
                    exc,
                )
            return self.fallback.take(key)
        if self.down:
            self.down = False
            logger.warning("rate limit: Redis is back; buckets are shared again")
        return float(reply)

    async def aclose(self) -> None:
        await self.client.aclose()


def build_limiter(config: RateLimitConfig) -> Limiter | None:
    if not config.enabled:
        return None
    if config.redis_url:
        return RedisBuckets(config)
    return MemoryBuckets(config.requests_per_second, config.burst)


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
