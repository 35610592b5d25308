"""Settings of the invoices service's payments, from ``INVOICES_*`` environment variables.

``INVOICES_BANK_URL`` (the sandbox bank, http://127.0.0.1:4010) and ``INVOICES_BANK_API_KEY``
(``sk_test_…``, sent as a bearer token), ``INVOICES_PUBLIC_URL`` (base of the signed
``Invoice.pdfUrl`` links: the router's file route, e.g. ``https://api.example.com/files``) and
``INVOICES_PDF_SIGNING_KEY`` (their HMAC key), bank timeouts and retries, the reconciler's pace, and
``INVOICES_ORDERS_URL`` (the orders service's base URL, told of settled order invoices). The
customers subgraph (asked for card tokens) is ``INVOICES_CUSTOMERS_URL``, a field of the
common ``SubgraphSettings``.

Test-only: ``INVOICES_TEST_CRASH_POINT=after_bank_charge`` (or ``after_bank_refund``) makes
the process SIGKILL itself after the bank answered and before the answer is written, the
worst moment for a crash. Never set it outside tests.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from subgraphs.common.settings import SubgraphSettings

CrashPoint = Literal["", "after_bank_charge", "after_bank_refund"]


class PaymentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVOICES_", extra="ignore", frozen=True)

    bank_url: str = "http://127.0.0.1:4010"
    bank_api_key: SecretStr = Field(
        default=SecretStr(""), description="The bank's API key (sk_test_…); no default."
    )
    public_url: str = ""
    pdf_signing_key: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC key of the PDF links (at least 32 characters; every replica the same). "
        "Empty: a random key of this process, so links die with it.",
    )
    pdf_link_seconds: int = Field(default=900, ge=10, le=3600, description="Life of a PDF link.")
    bank_connect_timeout: float = Field(default=2.0, gt=0)
    bank_timeout: float = Field(default=10.0, gt=0)
    bank_max_attempts: int = Field(default=3, ge=1, le=10)
    bank_backoff: float = Field(default=0.25, ge=0)
    customers_timeout: float = Field(default=5.0, gt=0)
    reconcile_interval: float = Field(default=30.0, ge=0)
    reconcile_grace: float = Field(default=60.0, ge=0)
    # Order events (order_events.py): where the orders service listens, and the dispatcher's pace.
    orders_url: str = "http://127.0.0.1:4002"
    orders_timeout: float = Field(default=10.0, gt=0)
    order_events_enabled: bool = True
    order_events_poll: float = Field(default=1.0, gt=0)
    order_events_max_retry: float = Field(default=300.0, gt=0)
    # Webhooks (webhooks.py): the delivery timeout and pace, and (dev only) local receivers.
    webhooks_timeout: float = Field(default=10.0, gt=0)
    webhooks_poll: float = Field(default=1.0, gt=0)
    webhooks_first_retry: float = Field(default=5.0, gt=0)
    webhooks_allow_private: bool = False
    test_crash_point: CrashPoint = ""

    @field_validator("pdf_signing_key")
    @classmethod
    def _long_enough(cls, key: SecretStr) -> SecretStr:
        if 0 < len(key.get_secret_value()) < 32:
            raise ValueError("the PDF link key needs at least 32 characters")
        return key

    @classmethod
    def for_service(cls, settings: SubgraphSettings, **overrides: object) -> PaymentSettings:
        """Settings from the environment, with URLs defaulting to this machine's services."""
        loaded = cls(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
        public_url = loaded.public_url or f"http://{settings.host}:{settings.port}"
        return loaded.model_copy(update={"public_url": public_url.rstrip("/")})
