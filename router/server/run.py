"""Serve the router with uvicorn until SIGINT/SIGTERM."""

from __future__ import annotations

import gc
import ipaddress
import logging

import uvicorn

from router.config import RouterConfig
from router.server.app import create_app

logger = logging.getLogger("switchboard.router")


def serve_router(config: RouterConfig) -> None:
    app = create_app(config)  # loads the supergraph first: a bad file fails before binding
    if config.dev and not _loopback(config.host):
        logger.warning(
            "dev mode on %s: GraphiQL, introspection, query plans and APQ registration are "
            "open to the network; use dev: false (production) outside your machine",
            config.host,
        )
    tune_garbage_collection()
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
            proxy_headers=False,  # the router reads no X-Forwarded-* headers
            backlog=2048,
        )
    )
    server.run()


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def tune_garbage_collection() -> None:
    """Fewer, cheaper cycle collections for a process whose requests build large JSON trees.

    Responses are acyclic dicts and lists: the cyclic collector finds nothing in them, yet
    with the default threshold (700 allocations) a busy router ran a collection every few
    objects shaped, and each full collection scanned every long-lived object (schema, plans).
    Long-lived objects are frozen out of collections after startup; young collections run
    every 50,000 allocations instead of 700. Measured on the benchmark query: about a third
    less CPU per request at 50 concurrent requests.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
