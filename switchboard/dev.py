"""``switchboard dev``: every service in one terminal, each log line prefixed by its name."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from dataclasses import dataclass

import httpx

from subgraphs.common.settings import SubgraphSettings
from subgraphs.registry import SERVICES

from .commands import CommandError

COLOURS = ("36", "33", "35", "32", "34", "31")
READY_TIMEOUT = 60.0


@dataclass
class Child:
    name: str
    url: str
    process: asyncio.subprocess.Process


def _check_port_free(host: str, port: int, who: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise CommandError(
                f"port {host}:{port} for {who} is already in use: stop what is listening "
                f"there (`ss -ltnp 'sport = :{port}'`) or set {who.upper()}_PORT"
            ) from None


async def _pipe(name: str, colour: str, stream: asyncio.StreamReader) -> None:
    width = max(len(s) for s in SERVICES)
    prefix = (
        f"\x1b[{colour}m{name:<{width}} |\x1b[0m " if sys.stdout.isatty() else f"{name:<{width}} | "
    )
    while line := await stream.readline():
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()


async def _start(name: str, colour: str) -> tuple[Child, asyncio.Task[None]]:
    settings = SubgraphSettings.for_service(name)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "switchboard",
        "subgraph",
        name,
        "--seed",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
    )
    assert process.stdout is not None
    url = f"http://{settings.host}:{settings.port}"
    return Child(name, url, process), asyncio.create_task(_pipe(name, colour, process.stdout))


async def _wait_ready(children: list[Child]) -> None:
    async with httpx.AsyncClient(timeout=2.0) as client:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        pending = list(children)
        while pending:
            for child in list(pending):
                if child.process.returncode is not None:
                    raise CommandError(f"{child.name} exited with code {child.process.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{child.url}/health")).status_code == 200:
                        pending.remove(child)
            if loop.time() > deadline:
                raise CommandError(
                    f"not ready after {READY_TIMEOUT:.0f}s: " + ", ".join(c.name for c in pending)
                )
            await asyncio.sleep(0.2)


async def _stop(children: list[Child]) -> None:
    for child in children:
        if child.process.returncode is None:
            child.process.send_signal(signal.SIGTERM)
    for child in children:
        try:
            await asyncio.wait_for(child.process.wait(), timeout=10)
        except TimeoutError:
            child.process.kill()
            await child.process.wait()


async def run_dev() -> int:
    """Start the four subgraphs; return when Ctrl-C is pressed or a child dies."""
    for name in SERVICES:
        settings = SubgraphSettings.for_service(name)
        _check_port_free(settings.host, settings.port, name)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    children: list[Child] = []
    pipes: list[asyncio.Task[None]] = []
    try:
        for name, colour in zip(SERVICES, COLOURS, strict=False):
            child, pipe = await _start(name, colour)
            children.append(child)
            pipes.append(pipe)
        await _wait_ready(children)
        print("\nSwitchboard is up:")
        for child in children:
            print(f"  {child.name:<14} {child.url}/graphql")
        print("Press Ctrl-C to stop.\n", flush=True)
        exits = [asyncio.ensure_future(c.process.wait()) for c in children]
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait([stopper, *exits], return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        for child in children:
            if child.process.returncode is not None and not stop.is_set():
                print(f"{child.name} exited with code {child.process.returncode}; stopping all")
                return 1
        return 0
    finally:
        await _stop(children)
        await asyncio.gather(*pipes, return_exceptions=True)
