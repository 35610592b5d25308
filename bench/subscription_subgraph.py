"""The subscriptions workload's subgraphs in one process: `ticks` streams numbered events over
graphql-transport-ws (WebSocket /ticks), `labels` resolves `Tick.label` (POST /labels).

Each ``ticks(run, n, everyMs, key)`` stream sends seq 0 at once (so a client knows its
subscription is attached, through the router's shared stream too), then waits for
``POST /start?run=RUN`` and sends seq 1..n, one every ``everyMs`` ms on a fixed schedule,
each stamped with the wall clock at send (``sentAt``). ``python -m bench.subscription_subgraph
--port P``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

PROTOCOL = "graphql-transport-ws"


class Runs:
    """The start gate of each run, opened by ``POST /start?run=``."""

    def __init__(self) -> None:
        self._gates: dict[int, asyncio.Event] = {}

    def gate(self, run: int) -> asyncio.Event:
        return self._gates.setdefault(run, asyncio.Event())


def create_app() -> Starlette:
    runs = Runs()

    async def start(request: Request) -> Response:
        runs.gate(int(request.query_params["run"])).set()
        return PlainTextResponse("started")

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def labels(request: Request) -> Response:
        body = orjson.loads(await request.body())
        representations = (body.get("variables") or {}).get("representations", [])
        entities = [{"__typename": "Tick", "label": f"tick {r['id']}"} for r in representations]
        return JSONResponse({"data": {"_entities": entities}})

    async def ticks(socket: WebSocket) -> None:
        await socket.accept(subprotocol=PROTOCOL)
        with contextlib.suppress(WebSocketDisconnect):
            await socket.receive_text()  # connection_init
            await socket.send_text('{"type":"connection_ack"}')
            subscribe = orjson.loads(await socket.receive_text())
            sender = asyncio.create_task(_stream(socket, subscribe, runs))
            try:
                while orjson.loads(await socket.receive_text()).get("type") != "complete":
                    pass
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                    await sender

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/start", start, methods=["POST"]),
            Route("/labels", labels, methods=["POST"]),
            WebSocketRoute("/ticks", ticks),
        ]
    )


async def _stream(socket: WebSocket, subscribe: dict[str, Any], runs: Runs) -> None:
    id_ = subscribe["id"]
    variables = subscribe["payload"].get("variables") or {}
    run, n, every, key = (int(variables[k]) for k in ("run", "n", "everyMs", "key"))

    async def send(seq: int) -> None:
        tick = {"__typename": "Tick", "id": f"{run}-{key}-{seq}", "seq": seq, "sentAt": time.time()}
        message = {"id": id_, "type": "next", "payload": {"data": {"ticks": tick}}}
        await socket.send_text(orjson.dumps(message).decode())

    await send(0)
    await runs.gate(run).wait()
    began = time.monotonic()
    for seq in range(1, n + 1):
        await asyncio.sleep(max(0.0, began + seq * every / 1000 - time.monotonic()))
        await send(seq)
    await socket.send_text(orjson.dumps({"id": id_, "type": "complete"}).decode())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.subscription_subgraph")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(), host="127.0.0.1", port=args.port, log_level="warning", ws_max_queue=1024
    )


if __name__ == "__main__":
    main()
