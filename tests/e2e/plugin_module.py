"""A plugin written as a module: top-level async hooks, a Config model, startup(config)."""

from __future__ import annotations

from pydantic import BaseModel

from router.plugins import RouterResponse


class Config(BaseModel):
    header: str


settings: Config | None = None


async def startup(config: Config) -> None:
    global settings
    settings = config


async def on_response(response: RouterResponse) -> None:
    assert settings is not None
    response.headers[settings.header] = "module"
