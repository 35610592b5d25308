"""Router settings: defaults < ``router.yaml`` < ``SWITCHBOARD_ROUTER_*`` environment < CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

ENV_PREFIX = "SWITCHBOARD_ROUTER_"


class RouterConfig(BaseSettings):
    """Everything the router can be told; unknown keys are an error."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    host: str = Field(default="127.0.0.1", description="Listen address.")
    port: int = Field(default=4000, ge=0, le=65535, description="Listen port.")
    supergraph: Path = Field(
        default=Path("schema/supergraph.graphql"), description="Supergraph SDL file."
    )
    subgraph_urls: dict[str, str] = Field(
        default_factory=dict, description="Subgraph name → URL, overriding the supergraph's."
    )
    dev: bool = Field(default=True, description="Dev mode: query plans may be exposed.")
    graphiql: bool | None = Field(
        default=None,
        description="Serve GraphiQL to browsers at /graphql; unset means on in dev mode only.",
    )
    subgraph_timeout_seconds: float = Field(default=30.0, gt=0)
    max_request_bytes: int = Field(default=2_000_000, ge=1024)
    operation_cache_size: int = Field(default=2048, ge=1)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        yaml_file = settings_cls.model_config.get("yaml_file")
        if yaml_file:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file))
        return tuple(sources)


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the key."""


def load_config(path: Path | None, **overrides: Any) -> RouterConfig:
    """Settings from ``path`` (YAML), the environment and ``overrides`` (None = not given)."""
    settings_cls: type[RouterConfig] = RouterConfig
    if path is not None:
        _check_yaml(path)
        settings_cls = type(
            "FileRouterConfig",
            (RouterConfig,),
            {
                "model_config": SettingsConfigDict(
                    **{**RouterConfig.model_config, "yaml_file": path}
                )
            },
        )
    try:
        return settings_cls(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path or 'router settings'}: {problems}") from None


def _check_yaml(path: Path) -> None:
    try:
        loaded = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if loaded is not None and not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
