"""Graceful drain: on SIGTERM stop being ready, keep serving a while, then finish in-flight work.

``DrainingServer`` is uvicorn's server with two additions: the first SIGTERM marks the app
draining (``/ready`` answers 503) and, with ``delay`` seconds, keeps accepting requests that
long so load balancers notice, answering each with ``Connection: close`` so keep-alive
clients reconnect elsewhere; then the listener closes, connections accepted just before get
a moment to send their request, and in-flight requests get ``timeout_graceful_shutdown``
seconds. ``on_started`` runs once the app is serving (a
supervisor's worker reports readiness with it).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn

logger = logging.getLogger("switchboard.router")
LINGER_SECONDS = 0.3


class DrainingServer(uvicorn.Server):
    def __init__(
        self,
        config: uvicorn.Config,
        *,
        state: Any,
        delay: float = 0.0,
        on_started: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(config)
        self.state = state
        self.delay = delay
        self.on_started = on_started
        self._exit_at: float | None = None

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.on_started is not None:
            self.on_started()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        first = not self.state.draining and self._exit_at is None
        self.state.draining = True
        telemetry = getattr(self.state, "telemetry", None)
        if telemetry is not None:
            telemetry.ready(False)
        if first and sig == signal.SIGTERM and self.delay > 0:
            logger.info("SIGTERM: not ready; serving %.1fs more, then draining", self.delay)
            self._captured_signals.append(sig)
            self._exit_at = time.monotonic() + self.delay
            return
        if first:
            logger.info(
                "draining: in-flight requests have %.0fs to finish",
                self.config.timeout_graceful_shutdown or 0,
            )
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: Any = None) -> None:
        """Close the listener, let just-accepted connections send their request, then drain.

        Subscriptions end first, each with a last message saying the router is stopping."""
        realtime = getattr(self.state, "realtime", None)
        if realtime is not None:
            await realtime.close_all()
        if self.state.draining and self.delay > 0:
            for server in self.servers:
                server.close()
            await asyncio.sleep(LINGER_SECONDS)
        await super().shutdown(sockets=sockets)

    async def on_tick(self, counter: int) -> bool:
        if self._exit_at is not None and time.monotonic() >= self._exit_at:
            self._exit_at = None
            logger.info(
                "draining: in-flight requests have %.0fs to finish",
                self.config.timeout_graceful_shutdown or 0,
            )
            self.should_exit = True
        return await super().on_tick(counter)
