"""Serve a subgraph app on a listening socket inherited from ``switchboard up``.

Several processes of one subgraph then share one port, as the router's workers do: the
kernel gives each connection to one of them. The app and its settings are the subgraph's
own (``create_app(settings)``); only the socket comes from the parent, which has already
migrated the database, so no process races another at startup.
"""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from subgraphs.common.settings import SubgraphSettings


def serve_on_socket(app: FastAPI, settings: SubgraphSettings, fd: int) -> None:
    config = uvicorn.Config(
        app,
        log_level=settings.log_level,
        log_config=None,  # the command configured logging (JSON or text)
        access_log=False,
        loop="uvloop",
        http="httptools",
        lifespan="on",
    )
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])
