"""One billing cycle: end, invoice and charge every subscription whose period is over.

A cycle at ``as_of`` (1) cancels subscriptions flagged to end with their period, (2) opens
one billing run per period that has ended — the database's unique (subscription, period)
constraint makes this exactly once however many cycles run at once —, (3) leases the runs
that are due (new periods and dunning retries) and (4) for each: issues the invoice through
the invoices API, charges it, and settles the run, the subscription and the e-mail in one
transaction. Every call to the invoices service carries a key derived from the run, so a
run retried after a crash or an outage reuses its one invoice and its one charge. Rounds
repeat while they open new runs, so a clock far ahead catches up period by period.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.clients import (
    Contact,
    CustomersClient,
    InvoiceLine,
    InvoiceRequest,
    InvoicesClient,
    IssuedInvoice,
    PaymentOutcome,
    PeerRefused,
    PeerUnavailable,
)
from subgraphs.common.db import RequestDb
from subgraphs.common.errors import BadUserInput
from subgraphs.common.outbox import enqueue_email
from subgraphs.common.telemetry import METRICS, span

from . import emails, runs
from .runs import Ended, RunView

LEASE = timedelta(minutes=5)
# Business time a cycle may run at: far enough for any demo or test, and never near the end
# of ``date``'s range, where period arithmetic would overflow.
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
MAX_ROUNDS = 60  # five years of monthly periods behind the clock, in one cycle


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a cycle did with one billing run (or one subscription that ended)."""

    subscription_id: str
    outcome: str  # PAID, DECLINED, CANCELED, ENDED, PENDING or ERROR
    period_start: date | None = None
    period_end: date | None = None
    invoice_id: str | None = None
    attempts: int = 0
    message: str | None = None
    next_attempt_at: datetime | None = None


@dataclass
class CycleReport:
    as_of: datetime
    results: list[RunResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)


@dataclass(frozen=True)
class Biller:
    """What a cycle needs: the database, the peers, and who is billing (for leases)."""

    http: httpx.AsyncClient
    sessions: async_sessionmaker[AsyncSession]
    invoices: InvoicesClient
    customers: CustomersClient
    worker: str = field(default_factory=lambda: f"biller-{secrets.token_hex(6)}")

    async def run_cycle(self, as_of: datetime) -> CycleReport:
        with span("billing.cycle", as_of=as_of.isoformat()):
            try:
                report = await self._run_cycle(as_of)
            except BaseException:
                METRICS.billing_cycles.labels("failed").inc()
                raise
        METRICS.billing_cycles.labels("ok").inc()
        for result in report.results:
            METRICS.billing_results.labels(result.outcome).inc()
        return report

    async def _run_cycle(self, as_of: datetime) -> CycleReport:
        report = CycleReport(as_of=as_of)
        report.results += await self._end_finished(as_of)
        seen: set[str] = set()
        for _ in range(MAX_ROUNDS):
            async with self._transaction() as session:
                opened = await runs.open_due_runs(session, as_of=as_of, wall=_wall())
                claimed = await runs.claim_due_runs(
                    session, as_of=as_of, wall=_wall(), worker=self.worker, lease=LEASE, skip=seen
                )
            seen.update(claimed)
            for run_id in claimed:
                report.results.append(await self._process(run_id, as_of))
            if not opened:
                break
        return report

    async def bill_subscription(self, subscription_id: str, as_of: datetime) -> list[RunResult]:
        """Bill the runs of one subscription that are due now (a first period, a plan change)."""
        async with self._transaction() as session:
            claimed = await runs.claim_due_runs(
                session, as_of=as_of, wall=_wall(), worker=self.worker, lease=LEASE,
                subscription_id=subscription_id,
            )  # fmt: skip
        return [await self._process(run_id, as_of) for run_id in claimed]

    def _transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        return _transaction(self.sessions)

    async def _end_finished(self, as_of: datetime) -> list[RunResult]:
        async with self._transaction() as session:
            finished = await runs.finished_subscriptions(session, as_of=as_of)
        results = []
        for sub in finished:
            try:
                contact = await self.customers.contact(sub.customer_id)
            except (PeerUnavailable, PeerRefused) as exc:
                results.append(RunResult(sub.subscription_id, "ERROR", message=str(exc)))
                continue
            async with self._transaction() as session:
                if await runs.end_subscription(session, ended=sub, as_of=as_of):
                    await _email(
                        session,
                        contact,
                        emails.ended(contact, sub) if contact else None,
                        f"subscription-ended:{sub.subscription_id}",
                    )
                    results.append(_ended(sub))
        return results

    async def _process(self, run_id: str, as_of: datetime) -> RunResult:
        async with self._transaction() as session:
            run = await runs.load_run(session, run_id=run_id)
        if run.subscription_status == "CANCELED":
            return await self._drop(run)
        try:
            contact = await self.customers.contact(run.customer_id)
            invoice = await self._issue(run)
            invoice_id = invoice.id
            outcome = (
                await self.invoices.pay_invoice(invoice_id, key=charge_key(run))
                if invoice.status == "OPEN"
                else PaymentOutcome(kind="SUCCEEDED")  # nothing to charge: credit covered it
            )
        except (PeerUnavailable, PeerRefused) as exc:
            await self._release(run, str(exc))
            return _result(run, "ERROR", message=str(exc))
        if outcome.kind == "PENDING":
            await self._release(run, "The charge is pending at the bank.")
            return _result(run, "PENDING", invoice_id=invoice_id)
        return await self._settle(run, invoice_id, outcome, contact, as_of)

    async def _drop(self, run: RunView) -> RunResult:
        """A run of a subscription canceled before it was paid: void its invoice (nothing is
        owed for service that ended), then close the run."""
        if run.invoice_id is not None:
            try:
                await self.invoices.void_invoice(run.invoice_id)
            except PeerUnavailable as exc:
                await self._release(run, str(exc))
                return _result(run, "ERROR", message=str(exc))
            except PeerRefused:
                pass  # voided already by an earlier attempt
        async with self._transaction() as session:
            await runs.close_canceled(session, run=run, worker=self.worker, wall=_wall())
        return _result(run, "CANCELED", message="The subscription was canceled.")

    async def _issue(self, run: RunView) -> IssuedInvoice:
        """The run's invoice: issued now, or the one an earlier attempt issued (same key)."""
        request = InvoiceRequest(
            customer_id=run.customer_id,
            currency=run.currency,
            lines=[InvoiceLine(text, 1, amount) for text, amount in run.invoice_lines()],
            subscription_id=run.subscription_id,
            period_start=run.period_start,
            period_end=run.period_end,
        )
        invoice = await self.invoices.issue_invoice(request, key=invoice_key(run))
        if run.invoice_id is None:
            async with self._transaction() as session:
                await runs.record_invoice(
                    session, run_id=run.id, worker=self.worker, invoice_id=invoice.id, wall=_wall()
                )
        return invoice

    async def _release(self, run: RunView, message: str) -> None:
        async with self._transaction() as session:
            await runs.release(
                session, run_id=run.id, worker=self.worker, wall=_wall(), message=message[:300]
            )

    async def _settle(
        self,
        run: RunView,
        invoice_id: str,
        outcome: PaymentOutcome,
        contact: Contact | None,
        as_of: datetime,
    ) -> RunResult:
        async with self._transaction() as session:
            if outcome.kind == "SUCCEEDED":
                if not await runs.settle_paid(
                    session, run=run, worker=self.worker, as_of=as_of, wall=_wall()
                ):
                    return _result(run, "ERROR", message="The run's lease was lost.")
                mail = emails.paid(contact, run, invoice_id, outcome.charged) if contact else None
                await _email(session, contact, mail, f"subscription-paid:{run.id}")
                return _result(run, "PAID", invoice_id=invoice_id)
            return await self._settle_declined(session, run, invoice_id, outcome, contact, as_of)

    async def _settle_declined(
        self,
        session: AsyncSession,
        run: RunView,
        invoice_id: str,
        outcome: PaymentOutcome,
        contact: Contact | None,
        as_of: datetime,
    ) -> RunResult:
        # A FAILED charge (the bank erred, nothing charged) is retried like a declined one.
        message = outcome.message or "The charge was declined."
        declined = await runs.settle_declined(
            session,
            run=run,
            worker=self.worker,
            as_of=as_of,
            wall=_wall(),
            reason=outcome.reason or outcome.kind,
            message=message,
        )
        if declined is None:
            return _result(run, "ERROR", message="The run's lease was lost.")
        if declined.gave_up or declined.next_attempt_at is None:
            mail = emails.gave_up(contact, run, message) if contact else None
            await _email(session, contact, mail, f"subscription-canceled:{run.id}")
            return _result(
                run, "CANCELED", invoice_id=invoice_id, attempts=declined.attempts, message=message
            )
        mail = emails.declined(contact, run, message, declined.next_attempt_at) if contact else None
        await _email(session, contact, mail, f"subscription-declined:{run.id}:{declined.attempts}")
        return RunResult(
            subscription_id=run.subscription_id,
            outcome="DECLINED",
            period_start=run.period_start,
            period_end=run.period_end,
            invoice_id=invoice_id,
            attempts=declined.attempts,
            message=message,
            next_attempt_at=declined.next_attempt_at,
        )


def check_as_of(as_of: datetime) -> datetime:
    """``as_of`` if a cycle may run then; BAD_USER_INPUT otherwise."""
    if not EARLIEST <= as_of < LATEST:
        raise BadUserInput(
            f"asOf must be from {EARLIEST.date()} and before {LATEST.date()}.", field="asOf"
        )
    return as_of


def _run_key(run: RunView) -> str:
    base = f"subscription:{run.subscription_id}:{run.period_start}"
    return base if run.kind == runs.PERIOD else f"{base}:{run.kind}"


def invoice_key(run: RunView) -> str:
    return f"{_run_key(run)}:invoice"


def charge_key(run: RunView) -> str:
    """One key per charge attempt: a retry of the same attempt replays, a dunning retry is new."""
    return f"{_run_key(run)}:charge:{run.attempts}"


async def _email(
    session: AsyncSession, contact: Contact | None, mail: emails.Email | None, key: str
) -> None:
    if contact is not None and mail is not None:
        subject, text = mail
        await enqueue_email(session, to=contact.email, subject=subject, text=text, key=key)


def _result(
    run: RunView,
    outcome: str,
    *,
    invoice_id: str | None = None,
    attempts: int | None = None,
    message: str | None = None,
) -> RunResult:
    return RunResult(
        subscription_id=run.subscription_id,
        outcome=outcome,
        period_start=run.period_start,
        period_end=run.period_end,
        invoice_id=invoice_id or run.invoice_id,
        attempts=run.attempts if attempts is None else attempts,
        message=message,
    )


def _ended(sub: Ended) -> RunResult:
    return RunResult(sub.subscription_id, "ENDED", period_end=sub.ended_on)


def _wall() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def _transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A fresh session in a write transaction, committed on success."""
    db = RequestDb(sessions)
    try:
        async with db.transaction() as session:
            yield session
    finally:
        await db.close()
