"""Serve the sandbox bank with uvicorn."""

from __future__ import annotations

import uvicorn

from .app import create_app
from .settings import BankSettings


def serve(settings: BankSettings) -> None:
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,  # the command configured logging (JSON or text)
        access_log=False,
        loop="uvloop",
        http="httptools",
        lifespan="on",
    )
    uvicorn.Server(config).run()
