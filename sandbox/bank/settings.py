"""Settings of the sandbox bank, read from ``BANK_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from subgraphs.common.settings import DATA_DIR

DEFAULT_PORT = 4010


class BankSettings(BaseSettings):
    """``BANK_HOST``, ``BANK_PORT``, ``BANK_DATABASE_URL``, ``BANK_SLOW_SECONDS``…"""

    model_config = SettingsConfigDict(env_prefix="BANK_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    database_url: str = ""
    slow_seconds: float = Field(default=30.0, ge=0)
    test_exit_after_commit: bool = False
    log_level: str = "info"

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{DATA_DIR / 'bank'}.db"
