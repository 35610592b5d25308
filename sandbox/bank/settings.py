"""Settings of the sandbox bank, read from ``BANK_*`` environment variables."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from subgraphs.common.settings import DATA_DIR
from switchboard.telemetry.settings import LogSettings

DEFAULT_PORT = 4010
API_KEY = re.compile(r"^sk_test_[A-Za-z0-9_-]{24,200}$")


class BankSettings(BaseSettings):
    """``BANK_HOST``, ``BANK_PORT``, ``BANK_DATABASE_URL``, ``BANK_SLOW_SECONDS``…

    ``BANK_API_KEYS``: the secret keys callers send as ``Authorization: Bearer sk_test_…``,
    comma-separated (two during a rotation). There is no default: without one the bank does
    not start (``switchboard dev`` generates one per run).

    ``BANK_SEED_DEMO`` (``switchboard bank --seed``; ``switchboard dev`` sets it): record the
    demo's payments in an empty ledger at start (``demo.py``).
    """

    model_config = SettingsConfigDict(
        env_prefix="BANK_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    database_url: str = ""
    slow_seconds: float = Field(default=30.0, ge=0)
    test_exit_after_commit: bool = False
    seed_demo: bool = False
    log_level: str = "info"
    # BANK_LOGS__FORMAT=json|text (unset: json; `switchboard dev` sets text)
    logs: LogSettings = Field(default_factory=LogSettings)
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("api_keys")
    @classmethod
    def _shaped(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for key in keys:
            if not API_KEY.match(key.get_secret_value()):
                raise ValueError("each API key is sk_test_ and at least 24 letters or digits")
        return keys

    def require_api_keys(self) -> list[bytes]:
        """The keys, or a ValueError that says how to set one."""
        if not self.api_keys:
            raise ValueError(
                "BANK_API_KEYS is not set: give the bank at least one API key (sk_test_…, "
                "e.g. `sk_test_$(openssl rand -hex 24)`); `switchboard dev` makes one per run"
            )
        return [key.get_secret_value().encode() for key in self.api_keys]

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{DATA_DIR / 'bank'}.db"
