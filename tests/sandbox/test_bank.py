"""The sandbox bank over HTTP: each test token, idempotency keys, refunds, key cancelling, and
the demo's payments it seeds (``BANK_SEED_DEMO``)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from sandbox.bank import demo
from sandbox.bank.models import Base
from sandbox.bank.settings import BankSettings
from subgraphs.common.db import create_engine, session_factory
from subgraphs.common.demo import DATE_VARIABLE, world
from subgraphs.invoices.seed import LedgerCharge, bank_ledger
from tests.subgraphs.invoices.payments_stack import BANK_API_KEY, BANK_AUTH, start_bank
from tests.support.databases import fresh_database
from tests.support.processes import ROOT, ServiceProcess

pytestmark = pytest.mark.slow


OK_BODY = {"token": "tok_visa", "amount": 100, "currency": "EUR"}
DAY = date(2027, 3, 10)  # the demo day the bank seeds as of
CHARGES, REFUNDS = bank_ledger(world(DAY))


@pytest.fixture(scope="module")
def bank(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    tmp = tmp_path_factory.mktemp(f"bank-{backend}")
    with fresh_database(backend, "bank", tmp) as url:
        env = {"BANK_SLOW_SECONDS": "6", "BANK_SEED_DEMO": "true", DATE_VARIABLE: DAY.isoformat()}
        process = start_bank(tmp, url, env=env)
        yield process
        process.stop()


class Bank:
    def __init__(self, process: ServiceProcess, tmp: Path) -> None:
        self.url = process.url
        self.n = 0
        self.tmp = tmp

    def key(self) -> str:
        self.n += 1
        return f"{self.tmp.name}-{self.n}"

    def charge(self, key: str | None, timeout: float = 30, **body: Any) -> httpx.Response:
        payload = {"amount": 1990, "currency": "EUR", "token": "tok_visa", **body}
        headers = {**BANK_AUTH, **({"Idempotency-Key": key} if key is not None else {})}
        return httpx.post(f"{self.url}/v1/charges", json=payload, headers=headers, timeout=timeout)

    def refund(self, key: str, charge_id: str, amount: int) -> httpx.Response:
        return httpx.post(
            f"{self.url}/v1/refunds",
            json={"charge_id": charge_id, "amount": amount},
            headers={"Idempotency-Key": key, **BANK_AUTH},
        )

    def by_key(self, kind: str, key: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(
            f"{self.url}/v1/{kind}", params={"idempotency_key": key}, headers=BANK_AUTH
        ).json()["data"]
        return found

    def cancel(self, kind: str, key: str) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.post(
            f"{self.url}/v1/idempotency-keys/cancel",
            json={"kind": kind, "key": key},
            headers=BANK_AUTH,
        ).json()
        return answer


@pytest.fixture
def b(bank: ServiceProcess, tmp_path: Path) -> Bank:
    return Bank(bank, tmp_path)


def test_an_ordinary_token_is_captured_and_a_replay_answers_the_same(b: Bank) -> None:
    key = b.key()
    first = b.charge(key, reference="inv_1")
    assert first.status_code == 201
    charge = first.json()
    assert (charge["status"], charge["amount"], charge["currency"]) == ("succeeded", 1990, "EUR")
    again = b.charge(key, reference="inv_1")
    assert again.status_code == 201
    assert again.json() == charge
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert b.by_key("charges", key) == [charge]


def test_the_same_key_with_another_body_is_refused(b: Bank) -> None:
    key = b.key()
    assert b.charge(key).status_code == 201
    refused = b.charge(key, amount=2000)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "idempotency_key_reused"
    assert [c["amount"] for c in b.by_key("charges", key)] == [1990]


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("tok_decline_insufficient_funds", "insufficient_funds"),
        ("tok_decline_expired", "expired_card"),
    ],
)
def test_decline_tokens_are_recorded_as_declined(b: Bank, token: str, code: str) -> None:
    key = b.key()
    answer = b.charge(key, token=token)
    assert answer.status_code == 402
    assert answer.json()["status"] == "declined"
    assert answer.json()["decline_code"] == code
    assert answer.json()["message"]
    replay = b.charge(key, token=token)
    assert (replay.status_code, replay.json()) == (402, answer.json())


def test_5xx_token_charges_nothing_every_time(b: Bank) -> None:
    key = b.key()
    for _ in range(2):
        answer = b.charge(key, token="tok_error_5xx")
        assert answer.status_code == 500
        assert answer.json()["error"]["code"] == "bank_error"
    assert b.by_key("charges", key) == []


def test_error_after_capture_token_captures_then_fails(b: Bank) -> None:
    key = b.key()
    failed = b.charge(key, token="tok_error_after_capture")
    assert failed.status_code == 500
    [captured] = b.by_key("charges", key)
    assert captured["status"] == "succeeded"
    replay = b.charge(key, token="tok_error_after_capture")
    assert (replay.status_code, replay.json()) == (201, captured)


def test_timeout_token_captures_before_stalling_and_a_replay_answers_at_once(b: Bank) -> None:
    key = b.key()
    with pytest.raises(httpx.ReadTimeout):
        b.charge(key, token="tok_timeout", timeout=1)
    [captured] = b.by_key("charges", key)
    assert captured["status"] == "succeeded"
    replay = b.charge(key, token="tok_timeout", timeout=4)  # the stall is 6 s
    assert (replay.status_code, replay.json()) == (201, captured)


def test_refunds_are_partial_or_full_and_never_exceed_the_capture(b: Bank) -> None:
    charge = b.charge(b.key(), amount=1000).json()
    key = b.key()
    part = b.refund(key, charge["id"], 400)
    assert part.status_code == 201
    assert part.json()["amount"] == 400
    assert b.refund(key, charge["id"], 400).json() == part.json()
    too_much = b.refund(b.key(), charge["id"], 601)
    assert too_much.status_code == 422
    assert too_much.json()["error"]["code"] == "amount_exceeds_refundable"
    assert b.refund(b.key(), charge["id"], 600).status_code == 201
    assert b.refund(b.key(), charge["id"], 1).status_code == 422
    assert b.by_key("charges", charge["idempotency_key"])[0]["amount_refunded"] == 1000
    assert b.by_key("refunds", key) == [part.json()]


def test_refunds_of_declined_or_unknown_charges_are_refused(b: Bank) -> None:
    declined = b.charge(b.key(), token="tok_decline_expired").json()
    assert b.refund(b.key(), declined["id"], 1).json()["error"]["code"] == "charge_not_refundable"
    missing = b.refund(b.key(), "ch_missing", 1)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "no_such_charge")


def test_a_cancelled_key_can_never_charge_and_a_used_key_answers_its_charge(b: Bank) -> None:
    unused = b.key()
    assert b.cancel("charge", unused) == {"cancelled": True, "object": None}
    refused = b.charge(unused)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "idempotency_key_cancelled"
    assert b.cancel("charge", unused) == {"cancelled": True, "object": None}
    used = b.key()
    charge = b.charge(used).json()
    assert b.cancel("charge", used) == {"cancelled": False, "object": charge}
    assert b.by_key("charges", unused) == []


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (OK_BODY, {}, 400, "idempotency_key_missing"),
        ({"token": "tok_visa", "amount": 0, "currency": "EUR"}, {"Idempotency-Key": "k"}, 422,
         "invalid_request"),
        ({"token": "tok_visa", "amount": 1, "currency": "eur"}, {"Idempotency-Key": "k"}, 422,
         "invalid_request"),
        ("not json", {"Idempotency-Key": "k"}, 422, "invalid_request"),
    ],
)  # fmt: skip
def test_bad_requests_get_a_clear_code(
    b: Bank, body: Any, headers: dict[str, str], status: int, code: str
) -> None:
    kwargs: dict[str, Any] = {"content": body} if isinstance(body, str) else {"json": body}
    answer = httpx.post(f"{b.url}/v1/charges", headers={**headers, **BANK_AUTH}, **kwargs)
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code


async def test_concurrent_requests_with_one_key_capture_once(b: Bank) -> None:
    key, reference = b.key(), b.key()
    body = {"token": "tok_visa", "amount": 500, "currency": "EUR", "reference": reference}
    async with httpx.AsyncClient(base_url=b.url, timeout=30, headers=BANK_AUTH) as client:
        answers = await asyncio.gather(
            *(client.post("/v1/charges", json=body, headers={"Idempotency-Key": key})
              for _ in range(8))
        )  # fmt: skip
        listed = await client.get("/v1/charges", params={"reference": reference})
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(listed.json()["data"]) == 1


ENDPOINTS = [
    ("POST", "/v1/charges", OK_BODY),
    ("GET", "/v1/charges", None),
    ("POST", "/v1/refunds", {"charge_id": "ch_1", "amount": 1}),
    ("GET", "/v1/refunds", None),
    ("POST", "/v1/idempotency-keys/cancel", {"kind": "charge", "key": "k"}),
]
WRONG_CREDENTIALS = {
    "no header": ({}, "api_key_missing"),
    "bearer only": ({"Authorization": "Bearer"}, "api_key_missing"),
    "basic scheme": ({"Authorization": f"Basic {BANK_API_KEY}"}, "api_key_missing"),
    "another key": ({"Authorization": f"Bearer sk_test_{'0' * 48}"}, "api_key_invalid"),
    "key prefix": ({"Authorization": f"Bearer {BANK_API_KEY[:-1]}"}, "api_key_invalid"),
    "key plus more": ({"Authorization": f"Bearer {BANK_API_KEY}x"}, "api_key_invalid"),
}


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize("credentials", WRONG_CREDENTIALS)
def test_every_endpoint_refuses_a_missing_or_wrong_api_key(
    b: Bank, method: str, path: str, body: dict[str, Any] | None, credentials: str
) -> None:
    headers, code = WRONG_CREDENTIALS[credentials]
    answer = httpx.request(
        method, f"{b.url}{path}", json=body, headers={**headers, "Idempotency-Key": b.key()}
    )
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    error = answer.json()["error"]
    assert (error["type"], error["code"]) == ("authentication_error", code)
    assert BANK_API_KEY not in answer.text


def test_a_refused_charge_moves_no_money_and_the_key_is_never_logged(
    b: Bank, bank: ServiceProcess
) -> None:
    key, reference = b.key(), b.key()
    refused = httpx.post(
        f"{b.url}/v1/charges",
        json={**OK_BODY, "reference": reference},
        headers={"Idempotency-Key": key, "Authorization": "Bearer sk_test_not_the_key"},
    )
    assert refused.status_code == 401
    assert b.by_key("charges", key) == []
    assert b.charge(b.key(), reference=reference).status_code == 201  # the right key works
    assert BANK_API_KEY not in bank.log()
    lines = [json.loads(line) for line in bank.log().splitlines() if line.strip()]
    assert lines  # JSON lines outside `switchboard dev`, uvicorn's too
    assert {line["service"] for line in lines} == {"bank"}


def test_health_needs_no_key(b: Bank) -> None:
    assert httpx.get(f"{b.url}/health").status_code == 200


def test_the_bank_does_not_start_without_an_api_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BANK_API_KEYS"}
    done = subprocess.run(
        [sys.executable, "-m", "switchboard", "bank", "--port", "9",
         "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "BANK_API_KEYS is not set" in done.stderr


def test_a_malformed_api_key_setting_is_refused() -> None:
    with pytest.raises(ValidationError, match="sk_test_"):
        BankSettings(api_keys="secret")
    two = BankSettings(api_keys=f"{BANK_API_KEY}, sk_test_{'a' * 24}")
    assert len(two.require_api_keys()) == 2
    assert BANK_API_KEY not in repr(two)


def seeded(status: str, refunded: bool) -> LedgerCharge:
    return next(c for c in CHARGES if c.status == status and (c.amount_refunded > 0) == refunded)


def test_the_demo_payments_are_in_the_ledger_under_their_ids_and_keys(b: Bank) -> None:
    assert {c.status for c in CHARGES} == {"succeeded", "declined"}
    assert REFUNDS
    for c in CHARGES:
        [found] = b.by_key("charges", c.key)
        assert (found["id"], found["status"], found["amount"], found["currency"]) == (
            c.id, c.status, c.amount, c.currency,
        )  # fmt: skip
        assert (found["reference"], found["amount_refunded"]) == (c.reference, c.amount_refunded)
        declined = c.status == "declined"
        assert (found["decline_code"], found["message"]) == (
            ("insufficient_funds", "Insufficient funds.") if declined else (None, None)
        )
    for r in REFUNDS:
        [found] = b.by_key("refunds", r.key)
        assert (found["id"], found["charge_id"], found["amount"]) == (r.id, r.charge_id, r.amount)


def test_a_seeded_charge_replays_for_its_own_key_and_request(b: Bank) -> None:
    c = seeded("declined", refunded=False)
    body = {"token": c.token, "amount": c.amount, "currency": c.currency, "reference": c.reference}
    again = b.charge(c.key, **body)
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (402, "true")
    assert again.json()["id"] == c.id
    other = b.charge(c.key, **{**body, "amount": c.amount + 1})
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_a_seeded_capture_refunds_and_a_seeded_decline_or_full_refund_does_not(b: Bank) -> None:
    captured = seeded("succeeded", refunded=False)
    assert b.refund(b.key(), captured.id, captured.amount + 1).status_code == 422
    assert b.refund(b.key(), captured.id, captured.amount).status_code == 201
    assert b.by_key("charges", captured.key)[0]["amount_refunded"] == captured.amount
    declined = b.refund(b.key(), seeded("declined", refunded=False).id, 1)
    assert declined.json()["error"]["code"] == "charge_not_refundable"
    refunded = b.refund(b.key(), seeded("succeeded", refunded=True).id, 1)
    assert refunded.json()["error"]["code"] == "amount_exceeds_refundable"


async def test_the_demo_is_seeded_into_an_empty_ledger_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATE_VARIABLE, DAY.isoformat())
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        sessions = session_factory(engine)
        async with sessions.begin() as session:
            assert await demo.seed(session)
        async with sessions.begin() as session:
            assert not await demo.seed(session)  # a restart adds nothing
    finally:
        await engine.dispose()
