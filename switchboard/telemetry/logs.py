"""Log lines as JSON objects (or text for people), with secrets, tokens and card numbers redacted.

Every line passes ``redact`` whatever its origin (our code, uvicorn, a library's exception):
bearer tokens, JWTs, API keys (``sk_test_…``), values of secret-looking keys (password, token,
secret, api key, authorization, cvc…) and digit runs that pass the Luhn check of a card number
are replaced.
Structured fields go in ``extra={"fields": {...}}``; the trace and span ids of the current
OpenTelemetry span are added to every line logged inside one.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Mapping
from typing import Any

import orjson
from opentelemetry import trace

from .settings import LogSettings

REDACTED = "[REDACTED]"
_BEARER = re.compile(r"\b([Bb]earer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_API_KEY = re.compile(r"\b(sk_(?:test|live))_[A-Za-z0-9_-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_SECRET_KEY = re.compile(
    r"(?i)([\"']?\b[\w-]*(?:password|passwd|secret|token|api[_-]?key|authorization|"
    r"cookie|cvc|cvv|card[_-]?number)\b[\"']?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&}\]]+)"
)
_KEYWORD = re.compile(r"(?i)passw|secret|token|api|authorization|cookie|cvc|cvv|card")
_ANY = re.compile(
    r"(?i)eyJ|sk_|bearer|basic|passw|secret|token|api|authorization|cookie|cvc|cvv|card|\d{4}"
)
SAFE_FIELDS = frozenset({"trace_id", "span_id", "status", "duration_ms", "outcome", "pid"})
_FOUR_DIGITS = re.compile(r"\d{4}")
_DIGITS = re.compile(r"(?<![\w.])\d(?:[ -]?\d){12,18}(?![\w.])")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return "[REDACTED_PAN]" if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)


def _secret(match: re.Match[str]) -> str:
    value = match.group(2)
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group(1)}{quote}{REDACTED}{quote}"


def redact(text: str) -> str:
    """``text`` without bearer tokens, JWTs, secret-looking values or card numbers.

    Each pattern runs only where a cheap test finds what it needs (``eyJ``, a scheme, a
    keyword, four digits in a row): most lines need none, and every line is redacted.
    """
    if not text or _ANY.search(text) is None:
        return text
    if "eyJ" in text:
        text = _JWT.sub("[REDACTED_JWT]", text)
    if "sk_" in text:
        text = _API_KEY.sub(lambda m: f"{m.group(1)}_{REDACTED}", text)
    if "earer" in text or "Basic" in text:
        text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    if _KEYWORD.search(text):
        text = _SECRET_KEY.sub(_secret, text)
    if _FOUR_DIGITS.search(text):
        text = _DIGITS.sub(_card, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(k): _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


def _trace_ids(record: logging.LogRecord) -> tuple[str | None, str | None]:
    fields = getattr(record, "fields", None)
    if isinstance(fields, Mapping) and "trace_id" in fields:
        return None, None  # the record says it itself
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, fields, trace ids, exception."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record.created),
            "level": record.levelname.lower(),
            "service": self.service,
            "pid": record.process,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        trace_id, span_id = _trace_ids(record)
        if trace_id is not None:
            line["trace_id"], line["span_id"] = trace_id, span_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            for key, value in fields.items():
                if value is not None:
                    safe = key in SAFE_FIELDS  # ours: ids, numbers, enums
                    line.setdefault(str(key), value if safe else _redact_value(value))
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """``LEVEL logger: message key=value…`` for a terminal, redacted like the JSON lines."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping) and fields:
            pairs = " ".join(f"{k}={v}" for k, v in fields.items() if v not in (None, ""))
            text = f"{text} {pairs}"
        return redact(text)


def _timestamp(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


def log_format(settings: LogSettings, *, dev: bool) -> str:
    return settings.format or ("text" if dev else "json")


def configure_logging(settings: LogSettings, *, service: str, dev: bool) -> str:
    """Route every logger (uvicorn's too) through one redacting handler; returns the format."""
    chosen = log_format(settings, dev=dev)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service) if chosen == "json" else TextFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    return chosen
