"""A typed HTTP client of the bank: timeouts, bounded retries, every attempt reported.

Every charge and refund carries an Idempotency-Key, so resending it after a timeout, a
dropped connection or a 5xx cannot move money twice: those are retried, up to
``max_attempts``, with exponential back-off. A 4xx other than 402 is the bank refusing the
request itself, and is never retried.

    BankFailure              base
    ├── BankUnavailable      every attempt timed out, failed to connect or got a 5xx
    └── BankRejected         the bank refused the request (4xx): ``code`` says why
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from subgraphs.common.telemetry import METRICS

Kind = Literal["charge", "refund"]


class BankFailure(Exception):
    """A bank call that did not produce a charge or refund object."""


class BankUnavailable(BankFailure):
    """No attempt got an answer we can act on; whether money moved is unknown."""


class BankRejected(BankFailure):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class BankCharge:
    id: str
    status: str  # succeeded or declined
    amount: int
    currency: str
    decline_code: str | None
    message: str | None

    @classmethod
    def of(cls, body: dict[str, Any]) -> BankCharge:
        return cls(
            id=str(body["id"]),
            status=str(body["status"]),
            amount=int(body["amount"]),
            currency=str(body["currency"]),
            decline_code=body.get("decline_code"),
            message=body.get("message"),
        )


@dataclass(frozen=True, slots=True)
class BankRefund:
    id: str
    status: str
    amount: int

    @classmethod
    def of(cls, body: dict[str, Any]) -> BankRefund:
        return cls(id=str(body["id"]), status=str(body["status"]), amount=int(body["amount"]))


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP exchange: what was asked, how it ended, and how long it took."""

    operation: str
    number: int
    outcome: str  # ok, declined, rejected, http_error, timeout, network_error
    http_status: int | None
    error: str | None
    started_at: datetime
    duration_ms: int


AttemptHook = Callable[[Attempt], Awaitable[None]]


async def _ignore(_attempt: Attempt) -> None:
    return None


class BankClient:
    """Calls the bank over ``http`` (whose base URL and timeouts the caller set)."""

    def __init__(self, http: httpx.AsyncClient, *, max_attempts: int, backoff: float) -> None:
        self._http = http
        self._max_attempts = max_attempts
        self._backoff = backoff

    async def charge(
        self,
        *,
        key: str,
        token: str,
        amount: int,
        currency: str,
        reference: str,
        on_attempt: AttemptHook = _ignore,
    ) -> BankCharge:
        """Authorise and capture; a declined charge is a result, not an exception."""
        body = {"token": token, "amount": amount, "currency": currency, "reference": reference}
        answer = await self._send("POST", "/v1/charges", "charge", key, body, on_attempt)
        return BankCharge.of(answer)

    async def refund(
        self,
        *,
        key: str,
        charge_id: str,
        amount: int,
        reference: str,
        on_attempt: AttemptHook = _ignore,
    ) -> BankRefund:
        body = {"charge_id": charge_id, "amount": amount, "reference": reference}
        answer = await self._send("POST", "/v1/refunds", "refund", key, body, on_attempt)
        return BankRefund.of(answer)

    async def find_charge(self, key: str, on_attempt: AttemptHook = _ignore) -> BankCharge | None:
        """The charge made with ``key``, or None if the bank has none."""
        found = await self._find("charges", key, on_attempt)
        return BankCharge.of(found) if found else None

    async def find_refund(self, key: str, on_attempt: AttemptHook = _ignore) -> BankRefund | None:
        found = await self._find("refunds", key, on_attempt)
        return BankRefund.of(found) if found else None

    async def cancel_key(
        self, kind: Kind, key: str, on_attempt: AttemptHook = _ignore
    ) -> dict[str, Any] | None:
        """Fence an unused key for good; the object it made if it was used after all."""
        answer = await self._send(
            "POST", "/v1/idempotency-keys/cancel", "cancel", None,
            {"kind": kind, "key": key}, on_attempt,
        )  # fmt: skip
        found: dict[str, Any] | None = None if answer["cancelled"] else answer["object"]
        return found

    async def _find(
        self, collection: str, key: str, on_attempt: AttemptHook
    ) -> dict[str, Any] | None:
        answer = await self._send(
            "GET", f"/v1/{collection}", "lookup", None, {"idempotency_key": key}, on_attempt
        )
        data: list[dict[str, Any]] = answer["data"]
        return data[0] if data else None

    async def _send(
        self,
        method: str,
        path: str,
        operation: str,
        key: str | None,
        payload: dict[str, Any],
        on_attempt: AttemptHook,
    ) -> dict[str, Any]:
        last = "no attempt made"
        for number in range(1, self._max_attempts + 1):
            if number > 1:
                await asyncio.sleep(self._backoff * 2 ** (number - 2))
            report = _Report(operation, number, on_attempt)
            try:
                response = await self._request(method, path, key, payload)
            except httpx.TimeoutException as exc:
                last = f"timeout: {type(exc).__name__}"
                await report("timeout", None, last)
                continue
            except httpx.TransportError as exc:
                last = f"network error: {type(exc).__name__}: {exc}"[:300]
                await report("network_error", None, last)
                continue
            if response.status_code >= 500 or response.status_code == 429:
                last = f"HTTP {response.status_code}"
                await report("http_error", response.status_code, _error_text(response))
                continue
            return await _accept(response, report)
        raise BankUnavailable(f"bank unavailable after {self._max_attempts} attempt(s): {last}")

    async def _request(
        self, method: str, path: str, key: str | None, payload: dict[str, Any]
    ) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key is not None else {}
        if method == "GET":
            return await self._http.get(path, params=payload)
        return await self._http.post(path, json=payload, headers=headers)


class _Report:
    """Reports one attempt to the hook, timed from its creation."""

    def __init__(self, operation: str, number: int, hook: AttemptHook) -> None:
        self._operation, self._number, self._hook = operation, number, hook
        self._started, self._clock = datetime.now(UTC), time.monotonic()

    async def __call__(self, outcome: str, status: int | None, error: str | None) -> None:
        elapsed = int((time.monotonic() - self._clock) * 1000)
        METRICS.bank_attempts.labels(self._operation, outcome).inc()
        attempt = Attempt(
            self._operation, self._number, outcome, status, error, self._started, elapsed
        )
        await self._hook(attempt)


async def _accept(response: httpx.Response, report: _Report) -> dict[str, Any]:
    """A 2xx or 402 answer's object; BankRejected for any other 4xx."""
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {}
    if response.status_code in (200, 201, 402) and body:
        await report(
            "declined" if response.status_code == 402 else "ok", response.status_code, None
        )
        return body
    err = body.get("error") or {}
    code, message = str(err.get("code", "unexpected")), str(err.get("message", response.text))
    await report("rejected", response.status_code, f"{code}: {message}"[:300])
    raise BankRejected(response.status_code, code, message)


def _error_text(response: httpx.Response) -> str:
    try:
        err = response.json().get("error") or {}
        return f"{err.get('code')}: {err.get('message')}"[:300]
    except ValueError:
        return response.text[:300]
