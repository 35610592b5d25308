"""Serve the router with uvicorn until SIGINT/SIGTERM."""

from __future__ import annotations

import uvicorn

from router.config import RouterConfig
from router.server.app import create_app


def serve_router(config: RouterConfig) -> None:
    app = create_app(config)  # loads the supergraph first: a bad file fails before binding
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            log_level="info",
            access_log=False,
            loop="uvloop",
            http="httptools",
            lifespan="on",
        )
    )
    server.run()
