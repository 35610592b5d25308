"""Log lines never carry tokens, secrets or card numbers, whatever code logged them."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from switchboard.telemetry.logs import JsonFormatter, TextFormatter, redact

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjdXN0XzQyIn0.c2lnbmF0dXJl"
SECRETS = [
    (f"Authorization: Bearer {JWT}", JWT),
    ("authorization=Bearer sk_live_0123456789abcdef", "sk_live_0123456789abcdef"),
    ("Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ('{"password": "hunter2", "user": "ada"}', "hunter2"),
    ("client_secret=abc123xyz&grant_type=client_credentials", "abc123xyz"),
    ("SUBSCRIPTIONS_ADMIN_TOKEN=dev-admin-token", "dev-admin-token"),
    ("x-api-key: 'k-9f8e7d'", "k-9f8e7d"),
    ("card 4242 4242 4242 4242 declined", "4242 4242 4242 4242"),
    ("pan=4000056655665556", "4000056655665556"),
    ("number 5555-5555-5555-4444 exp 12/30", "5555-5555-5555-4444"),
    ('{"cvc": "123"}', '"123"'),
    (
        "the bank refused sk_test_4f9c2a7d1e8b3a6c5d0e9f8a7b6c5d4e",
        "4f9c2a7d1e8b3a6c5d0e9f8a7b6c5d4e",
    ),
    ("BANK_API_KEYS=sk_test_aaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaa"),
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_redact_removes_the_secret(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "supergraph schema/supergraph.graphql reloaded (4 subgraphs)",
        "order 1234567890123 shipped",  # 13 digits failing the Luhn check stay
        "rate limit: Redis is back; buckets are shared again",
        "POST /graphql 200 12.5ms",
    ],
)
def test_redact_keeps_ordinary_lines(text: str) -> None:
    assert redact(text) == text


def record(message: str, *args: object, **fields: object) -> logging.LogRecord:
    made = logging.LogRecord("switchboard.test", logging.ERROR, __file__, 1, message, args, None)
    made.fields = fields
    return made


def test_json_lines_redact_message_fields_and_exceptions() -> None:
    line = record("login failed for token=%s", "s3cr3t-value", header=f"Bearer {JWT}",
                  nested={"card": "4242424242424242"})  # fmt: skip
    try:
        raise ValueError("card 4111 1111 1111 1111 refused")
    except ValueError:
        line.exc_info = sys.exc_info()
    text = JsonFormatter("router").format(line)
    parsed = json.loads(text)
    assert parsed["level"] == "error"
    assert parsed["service"] == "router"
    assert "message" in parsed
    assert "exception" in parsed
    for secret in ("s3cr3t-value", JWT, "4242424242424242", "4111 1111 1111 1111"):
        assert secret not in text


def test_text_lines_are_redacted_too() -> None:
    text = TextFormatter().format(record("sent %s", f"Bearer {JWT}", pan="4242424242424242"))
    assert JWT not in text
    assert "4242424242424242" not in text
