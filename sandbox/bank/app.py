"""The sandbox bank's HTTP API (see the package docstring for the test tokens)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.db import RequestDb, create_engine, session_factory

from . import demo, ledger
from .auth import ApiKeyMiddleware
from .ledger import BankError, ChargeRequest, Outcome, RefundRequest
from .models import Base
from .settings import BankSettings

T = TypeVar("T")
MAX_AMOUNT = 2**53 - 1  # as the services: integer minor units a JSON parser reads exactly
KeyHeader = Annotated[str | None, Header(alias="Idempotency-Key")]
router = APIRouter()


class ChargeBody(BaseModel):
    token: str = Field(min_length=1, max_length=100)
    amount: int = Field(ge=1, le=MAX_AMOUNT)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    reference: str | None = Field(default=None, max_length=100)


class RefundBody(BaseModel):
    charge_id: str = Field(min_length=1, max_length=40)
    amount: int = Field(ge=1, le=MAX_AMOUNT)
    reference: str | None = Field(default=None, max_length=100)


class CancelBody(BaseModel):
    kind: Literal["charge", "refund"]
    key: str = Field(min_length=1, max_length=255)


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def answer(outcome: Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)


def _check_key(key: str | None) -> str:
    if key is None or not key.strip() or len(key) > 255:
        raise BankError(400, "idempotency_key_missing", "Send an Idempotency-Key header.")
    return key


async def _write(request: Request, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one write transaction; once more if a concurrent claim won."""
    for attempt in (1, 2):
        db = RequestDb(request.app.state.sessions)
        try:
            async with db.transaction() as session:
                return await work(session)
        except IntegrityError:
            if attempt == 2:
                raise
        finally:
            await db.close()
    raise AssertionError("unreachable")


async def _read(request: Request, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    db = RequestDb(request.app.state.sessions)
    try:
        async with db.read() as session:
            return await work(session)
    finally:
        await db.close()


def _after_commit(request: Request, outcome: Outcome) -> None:
    """The test-only hook: die right after committing money, before answering."""
    settings: BankSettings = request.app.state.settings
    succeeded = outcome.body["status"] == "succeeded"
    if settings.test_exit_after_commit and succeeded and not outcome.replayed:
        os.kill(os.getpid(), signal.SIGKILL)


@router.post("/v1/charges")
async def charge(request: Request, body: ChargeBody, key: KeyHeader = None) -> JSONResponse:
    checked = _check_key(key)
    if body.token == ledger.ERROR_TOKEN:
        return error(500, "bank_error", "The bank failed; nothing was charged.")
    req = ChargeRequest(body.token, body.amount, body.currency, body.reference)
    outcome = await _write(request, lambda s: ledger.create_charge(s, key=checked, request=req))
    _after_commit(request, outcome)
    if not outcome.replayed and body.token == ledger.TIMEOUT_TOKEN:
        await asyncio.sleep(request.app.state.settings.slow_seconds)
    if not outcome.replayed and body.token == ledger.ERROR_AFTER_CAPTURE_TOKEN:
        return error(500, "bank_error", "The bank failed after capturing.")
    return answer(outcome)


@router.get("/v1/charges")
async def list_charges(
    request: Request, idempotency_key: str | None = None, reference: str | None = None
) -> JSONResponse:
    async def find(session: AsyncSession) -> list[dict[str, Any]]:
        if idempotency_key is not None:
            found = await ledger.find_by_key(session, "charge", idempotency_key)
            return [found] if found else []
        if reference is not None:
            return await ledger.charges_with_reference(session, reference)
        raise BankError(422, "invalid_request", "Filter by idempotency_key or reference.")

    return JSONResponse({"data": await _read(request, find)})


@router.post("/v1/refunds")
async def refund(request: Request, body: RefundBody, key: KeyHeader = None) -> JSONResponse:
    checked = _check_key(key)
    req = RefundRequest(body.charge_id, body.amount, body.reference)
    outcome = await _write(request, lambda s: ledger.create_refund(s, key=checked, request=req))
    _after_commit(request, outcome)
    return answer(outcome)


@router.get("/v1/refunds")
async def list_refunds(
    request: Request, idempotency_key: str | None = None, charge_id: str | None = None
) -> JSONResponse:
    async def find(session: AsyncSession) -> list[dict[str, Any]]:
        if idempotency_key is not None:
            found = await ledger.find_by_key(session, "refund", idempotency_key)
            return [found] if found else []
        if charge_id is not None:
            return await ledger.refunds_of_charge(session, charge_id)
        raise BankError(422, "invalid_request", "Filter by idempotency_key or charge_id.")

    return JSONResponse({"data": await _read(request, find)})


@router.post("/v1/idempotency-keys/cancel")
async def cancel(request: Request, body: CancelBody) -> JSONResponse:
    """Fence an unused key for good (reconciliation); answer its object if it was used."""
    found = await _write(request, lambda s: ledger.cancel_key(s, body.kind, body.key))
    return JSONResponse({"cancelled": found is None, "object": found})


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    async with request.app.state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok", "service": "bank"})


async def _bank_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BankError)
    return error(exc.status, exc.code, exc.message)


async def _invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()
    )
    return error(422, "invalid_request", problems or "Invalid request.")


def create_app(settings: BankSettings) -> FastAPI:
    """The bank app; its tables are created on startup (a sandbox keeps no migrations).

    Refuses (ValueError) to be built without an API key.
    """
    api_keys = settings.require_api_keys()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.url)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        if settings.seed_demo:
            async with app.state.sessions.begin() as session:
                await demo.seed(session)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="Sandbox bank", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.add_exception_handler(BankError, _bank_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.include_router(router)
    app.add_middleware(ApiKeyMiddleware, keys=api_keys)
    return app
