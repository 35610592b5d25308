"""The e-mail outbox against a real database and a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from sandbox.mail.sink import MailSink, read_messages, running_sink
from subgraphs.common.db import RequestDb, create_engine, session_factory
from subgraphs.common.errors import BadUserInput
from subgraphs.common.mail import KEY_HEADER, SmtpConfig, message_id
from subgraphs.common.outbox import OutboxMixin, OutboxSender, enqueue_email, retry_delay
from tests.support.databases import backends, fresh_database
from tests.support.processes import free_port


class Base(DeclarativeBase):
    pass


class Outbox(OutboxMixin, Base):
    pass


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, "outbox", tmp_path) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
async def sink(tmp_path: Path) -> AsyncIterator[MailSink]:
    async with running_sink(tmp_path / "mail") as sink:
        yield sink


def smtp_to(port: int) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=port, timeout=5.0, sender="Billing <b@example.com>")


async def enqueue(sessions: async_sessionmaker[AsyncSession], *keys: str) -> None:
    db = RequestDb(sessions)
    try:
        async with db.transaction() as session:
            for key in keys:
                await enqueue_email(
                    session,
                    to="ada@example.com",
                    subject=f"About {key}",
                    text=f"Body of {key}",
                    key=key,
                )
    finally:
        await db.close()


async def rows(sessions: async_sessionmaker[AsyncSession]) -> list[Outbox]:
    async with sessions() as session:
        return list((await session.execute(select(Outbox).order_by(Outbox.id))).scalars())


async def test_a_committed_message_is_delivered_once(
    sessions: async_sessionmaker[AsyncSession], sink: MailSink
) -> None:
    await enqueue(sessions, "order-paid:1")
    sender = OutboxSender(sessions, Outbox, smtp_to(sink.port))
    assert await sender.deliver_due() == (1, 0)
    assert await sender.deliver_due() == (0, 0)
    [message] = read_messages(sink.directory)
    assert message["To"] == "ada@example.com"
    assert message["From"] == "Billing <b@example.com>"
    assert message["Subject"] == "About order-paid:1"
    assert message["Message-ID"] == message_id("order-paid:1")
    assert message[KEY_HEADER] == "order-paid:1"
    assert message.get_content().strip() == "Body of order-paid:1"
    [row] = await rows(sessions)
    assert row.delivered_at is not None
    assert row.attempts == 1
    assert row.claimed_by is None


async def test_a_rolled_back_change_sends_nothing(
    sessions: async_sessionmaker[AsyncSession], sink: MailSink
) -> None:
    db = RequestDb(sessions)

    async def change_that_fails() -> None:
        async with db.transaction() as session:
            await enqueue_email(session, to="ada@example.com", subject="Hi", text="x", key="k1")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await change_that_fails()
    await db.close()
    assert await rows(sessions) == []
    assert await OutboxSender(sessions, Outbox, smtp_to(sink.port)).deliver_due() == (0, 0)
    assert read_messages(sink.directory) == []


async def test_one_key_enqueues_one_message(
    sessions: async_sessionmaker[AsyncSession], sink: MailSink
) -> None:
    await enqueue(sessions, "receipt:7")
    await enqueue(sessions, "receipt:7", "receipt:8")
    assert [row.key for row in await rows(sessions)] == ["receipt:7", "receipt:8"]
    assert await OutboxSender(sessions, Outbox, smtp_to(sink.port)).deliver_due() == (2, 0)
    assert len(read_messages(sink.directory)) == 2


@pytest.mark.parametrize(
    ("to", "subject"),
    [("not-an-address", "Hi"), ("a@b.c\r\nBcc: x@y.z", "Hi"), ("a@b.c", ""), ("a@b.c", "a\nb")],
)
async def test_bad_addresses_and_subjects_are_refused(
    sessions: async_sessionmaker[AsyncSession], to: str, subject: str
) -> None:
    async with sessions() as session:
        with pytest.raises(BadUserInput):
            await enqueue_email(session, to=to, subject=subject, text="x", key="bad")


async def test_sender_retries_with_backoff_while_smtp_is_down(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await enqueue(sessions, "dunning:1")
    port = free_port()  # nothing listens here yet
    sender = OutboxSender(sessions, Outbox, smtp_to(port))
    now = datetime.now(UTC)
    assert await sender.deliver_due(now) == (0, 1)
    [row] = await rows(sessions)
    assert (row.attempts, row.delivered_at, row.claimed_by) == (1, None, None)
    assert row.last_error
    assert row.next_attempt_at == now + retry_delay(1)
    assert await sender.deliver_due(now) == (0, 0)  # backing off: not due yet
    later = now + retry_delay(1)
    assert await sender.deliver_due(later) == (0, 1)  # still down: a longer wait follows
    assert (await rows(sessions))[0].next_attempt_at == later + retry_delay(2)
    async with running_sink(tmp_path / "mail", port=port) as sink:
        assert await sender.deliver_due(later + retry_delay(2)) == (1, 0)
        assert [m[KEY_HEADER] for m in read_messages(sink.directory)] == ["dunning:1"]
    assert (await rows(sessions))[0].attempts == 3
    assert retry_delay(1) < retry_delay(2) < retry_delay(3) <= retry_delay(50)


async def test_a_sender_that_dies_after_claiming_leaves_the_message_to_another(
    sessions: async_sessionmaker[AsyncSession], sink: MailSink
) -> None:
    await enqueue(sessions, "crash:1")
    now = datetime.now(UTC)
    lease = timedelta(seconds=30)
    crashed = OutboxSender(sessions, Outbox, smtp_to(sink.port), lease=lease)
    assert len(await crashed.claim(now)) == 1  # …and never sends: the process died here
    survivor = OutboxSender(sessions, Outbox, smtp_to(sink.port), lease=lease)
    assert await survivor.deliver_due(now) == (0, 0)  # the lease still holds
    assert await survivor.deliver_due(now + lease + timedelta(seconds=1)) == (1, 0)
    assert [m[KEY_HEADER] for m in read_messages(sink.directory)] == ["crash:1"]


async def test_two_senders_on_one_database_send_each_message_once(
    database_url: str, sessions: async_sessionmaker[AsyncSession], sink: MailSink
) -> None:
    keys = [f"bulk:{n}" for n in range(40)]
    await enqueue(sessions, *keys)
    engines = [create_engine(database_url) for _ in range(2)]
    senders = [
        OutboxSender(session_factory(e), Outbox, smtp_to(sink.port), batch_size=5, worker=f"w{n}")
        for n, e in enumerate(engines)
    ]

    async def drain(sender: OutboxSender) -> int:
        sent = 0
        while (report := await sender.deliver_due()).sent:
            sent += report.sent
        return sent

    try:
        counts = await asyncio.gather(*(drain(s) for s in senders))
    finally:
        for e in engines:
            await e.dispose()
    assert sum(counts) == len(keys)
    delivered = [m[KEY_HEADER] for m in read_messages(sink.directory)]
    assert sorted(delivered) == sorted(keys)  # every message, none twice
    async with sessions() as session:
        undelivered = select(func.count()).where(Outbox.delivered_at.is_(None))
        assert await session.scalar(undelivered) == 0
