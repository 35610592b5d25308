"""Webhooks: merchants' endpoints get money events, signed, retried, each event once.

``emit`` runs in the transaction that moved the money (settlement), so an event exists
exactly when its cause does: it gives the event an id (``evt_…``) and writes one
``webhook_deliveries`` row per endpoint subscribed to its type — an outbox row whose key
``<endpoint>:<event id>`` is unique, so an event reaches an endpoint once. The one outbox
``Dispatcher`` POSTs each row's JSON body to its endpoint with

    Switchboard-Event-Id: evt_…
    Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

(a receiver recomputes the HMAC with the endpoint's secret, compares in constant time and
refuses a timestamp older than a few minutes: replays), until it answers 2xx, backing off
between attempts (every one recorded in ``webhook_attempts``), then gives up: a dead letter.

SSRF: an endpoint URL must be http(s) with a host, and every address the host resolves to
must be public — no loopback, private, link-local, multicast or reserved address — checked
when the endpoint is created and again before each delivery (an address can change), and
redirects are not followed. ``INVOICES_WEBHOOKS_ALLOW_PRIVATE=true`` (``switchboard dev``
sets it) lifts the address rule for local receivers; never in production.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.app import LifespanHook
from subgraphs.common.db import BACKGROUND_POOL, RequestDb, create_engine, session_factory
from subgraphs.common.dispatch import Claimed, Dispatcher, Outcome, RetryLater
from subgraphs.common.errors import BadUserInput
from subgraphs.common.events import enqueue_event
from subgraphs.common.ids import new_id
from subgraphs.common.settings import SubgraphSettings

from .config import PaymentSettings
from .models import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow

EVENT_TYPES = ("invoice.paid", "payment.failed", "refund.succeeded", "subscription.past_due")
SIGNATURE_HEADER = "Switchboard-Signature"
EVENT_ID_HEADER = "Switchboard-Event-Id"
MAX_URL = 2048
MAX_ENDPOINTS = 50


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Switchboard-Signature`` value of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and is at most ``tolerance`` s old."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    fresh = abs(time.time() - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected, parts.get("v1", ""))


def check_url(url: str, *, allow_private: bool) -> str:
    """``url`` if deliveries may go there; BAD_USER_INPUT saying why not otherwise."""
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadUserInput(
            "A webhook URL is http(s)://host/…, at most 2048 characters.", field="url"
        )
    if parts.username or parts.password:
        raise BadUserInput("A webhook URL carries no credentials.", field="url")
    if not allow_private:
        for address in _addresses(parts.hostname, parts.port or 443):
            if not address.is_global or address.is_multicast:
                raise BadUserInput(
                    f"Webhooks are not delivered to {address} (loopback, private or reserved).",
                    field="url",
                )
    return url


def _addresses(host: str, port: int) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return {ipaddress.ip_address(host.strip("[]"))}
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise BadUserInput(f"The webhook host {host!r} does not resolve.", field="url") from None
    return {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}


def check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - {*EVENT_TYPES, "*"})
    if not events or unknown:
        raise BadUserInput(
            f"events are one or more of {', '.join(EVENT_TYPES)} or '*'; unknown: {unknown}.",
            field="events",
        )
    return sorted(set(events))


async def create_endpoint(
    session: AsyncSession, *, url: str, events: list[str], allow_private: bool
) -> WebhookEndpointRow:
    checked = check_url(url, allow_private=allow_private)
    count = len((await session.scalars(select(WebhookEndpointRow.id))).all())
    if count >= MAX_ENDPOINTS:
        raise BadUserInput(f"At most {MAX_ENDPOINTS} webhook endpoints.", field="url")
    now = datetime.now(UTC)
    row = WebhookEndpointRow(
        id=new_id("we", at=now),
        url=checked,
        events=json.dumps(check_events(events)),
        secret=f"whsec_{secrets.token_hex(24)}",
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def emit(session: AsyncSession, event_type: str, data: dict[str, Any], *, cause: str) -> None:
    """In the transaction that caused it: the event, for every endpoint that wants it."""
    endpoints = (await session.scalars(select(WebhookEndpointRow))).all()
    wanted = [e for e in endpoints if {event_type, "*"} & set(json.loads(e.events))]
    if not wanted:
        return
    now = datetime.now(UTC)
    event_id = "evt_" + hashlib.sha256(cause.encode()).hexdigest()[:24]  # one id per cause
    event = {"id": event_id, "type": event_type, "created": int(now.timestamp()), "data": data}
    for endpoint in wanted:
        await enqueue_event(
            session, WebhookDeliveryRow, key=f"{endpoint.id}:{event_id}", payload=event,
            extra={"endpoint_id": endpoint.id, "event_id": event_id, "event_type": event_type},
        )  # fmt: skip


class WebhookSender:
    """The ``deliver`` of the webhook dispatcher: sign, POST, record the attempt."""

    def __init__(self, db: RequestDb, http: httpx.AsyncClient, *, allow_private: bool) -> None:
        self._db, self._http, self._allow_private = db, http, allow_private

    async def __call__(self, row: Claimed) -> Outcome:
        async with self._db.read() as session:
            delivery = await session.get_one(WebhookDeliveryRow, row.id)
            endpoint = await session.get_one(WebhookEndpointRow, delivery.endpoint_id)
            url, secret, event_id = endpoint.url, endpoint.secret, delivery.event_id
        body = row.values["payload"].encode()
        started, clock = datetime.now(UTC), time.monotonic()
        status, error = None, None
        try:
            check_url(url, allow_private=self._allow_private)
            headers = {
                "content-type": "application/json",
                EVENT_ID_HEADER: event_id,
                SIGNATURE_HEADER: sign(secret, int(time.time()), body),
            }
            response = await self._http.post(url, content=body, headers=headers)
            status = response.status_code
            if not response.is_success:
                error = f"HTTP {status}"
        except BadUserInput as exc:
            error = exc.message
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300] if str(exc) else type(exc).__name__
        await self._attempt(row, status, error, started, clock)
        if error is not None:
            raise RetryLater(error)
        return "DELIVERED"

    async def _attempt(
        self, row: Claimed, status: int | None, error: str | None, started: datetime, clock: float
    ) -> None:
        attempt = WebhookAttemptRow(
            delivery_id=row.id,
            number=row.attempts + 1,
            http_status=status,
            error=error[:300] if error else None,
            started_at=started,
            duration_ms=int((time.monotonic() - clock) * 1000),
        )
        async with self._db.transaction() as session:
            session.add(attempt)


def webhooks_hook(settings: SubgraphSettings, payments: PaymentSettings) -> LifespanHook:
    """Run the webhook dispatcher (its own engine and HTTP client)."""

    @asynccontextmanager
    async def hook(_app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, pool=BACKGROUND_POOL)
        sessions = session_factory(engine)
        db = RequestDb(sessions)
        timeout = httpx.Timeout(payments.webhooks_timeout, connect=2.0)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
            dispatcher = Dispatcher(
                sessions, WebhookDeliveryRow,
                WebhookSender(db, http, allow_private=payments.webhooks_allow_private),
                columns=("payload",), first_retry=timedelta(seconds=payments.webhooks_first_retry),
                max_retry=timedelta(hours=1), max_attempts=settings.outbox_max_attempts,
            )  # fmt: skip
            task = asyncio.create_task(dispatcher.run(payments.webhooks_poll))
            try:
                yield
            finally:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
                await db.close()
                await engine.dispose()

    return hook
