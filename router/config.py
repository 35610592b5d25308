"""Router settings: defaults, then a YAML file, then ``SWITCHBOARD_ROUTER_*`` environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field


class RouterConfig(BaseModel):
    """Everything the router can be told; unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=4000, ge=0, le=65535)
    supergraph: Path = Path("schema/supergraph.graphql")
    subgraph_urls: dict[str, str] = Field(
        default_factory=dict, description="Subgraph name → URL, overriding the supergraph's."
    )
    dev: bool = Field(default=True, description="Dev mode: query plans may be exposed.")
    subgraph_timeout_seconds: float = Field(default=30.0, gt=0)
    max_request_bytes: int = Field(default=2_000_000, ge=1024)
    operation_cache_size: int = Field(default=2048, ge=1)


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


def load_config(path: Path | None, **overrides: Any) -> RouterConfig:
    values: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        values.update(loaded)
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return RouterConfig(**values)
    except ValueError as exc:
        raise ConfigError(f"{path or 'router settings'}: {exc}") from None
