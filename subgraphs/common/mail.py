"""E-mail messages: composed from an outbox row, handed to an SMTP server with aiosmtplib."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib

from .errors import BadUserInput
from .money import CURRENCY_EXPONENTS
from .settings import SubgraphSettings

KEY_HEADER = "X-Switchboard-Key"
MAX_SUBJECT = 200
MAX_ADDRESS = 254


@dataclass(frozen=True, slots=True)
class Mail:
    """One message to send; ``key`` names its cause and makes its Message-ID."""

    key: str
    to: str
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    timeout: float
    sender: str

    @classmethod
    def of(cls, settings: SubgraphSettings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.smtp_timeout_seconds,
            sender=settings.mail_from,
        )


class MailError(Exception):
    """The SMTP server could not be reached or refused the message; worth retrying."""


def check_mail(*, to: str, subject: str) -> None:
    """Refuse (BAD_USER_INPUT) an address or subject that cannot go into a header."""
    _, address = parseaddr(to)
    if not address or "@" not in address or len(to) > MAX_ADDRESS or _has_newline(to):
        raise BadUserInput(f"Not an e-mail address: {to!r}.", field="email")
    if not subject.strip() or len(subject) > MAX_SUBJECT or _has_newline(subject):
        raise BadUserInput(
            f"An e-mail subject is 1 to {MAX_SUBJECT} characters on one line.", field="subject"
        )


def _has_newline(value: str) -> bool:
    return "\r" in value or "\n" in value


def format_money(amount: int, currency: str) -> str:
    """``1990, "EUR"`` → ``19.90 EUR``, from integer minor units."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    whole, minor = divmod(abs(amount), 10**exponent)
    digits = f"{whole}.{minor:0{exponent}d}" if exponent else str(whole)
    return f"{'-' if amount < 0 else ''}{digits} {currency}"


def message_id(key: str) -> str:
    """The same Message-ID for every delivery of one cause, so a resend can be recognised."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@switchboard.invalid>"


def compose(mail: Mail, *, sender: str, at: datetime | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(at or datetime.now(UTC))
    message["Message-ID"] = message_id(mail.key)
    message[KEY_HEADER] = mail.key
    message.set_content(mail.text)
    return message


async def send(mail: Mail, config: SmtpConfig) -> None:
    """Deliver ``mail`` to the SMTP server; MailError if it is down or refuses."""
    message = compose(mail, sender=config.sender)
    try:
        await aiosmtplib.send(
            message,
            hostname=config.host,
            port=config.port,
            timeout=config.timeout,
            use_tls=False,
            start_tls=False,
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
