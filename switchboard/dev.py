"""``switchboard dev``: every service in one terminal, each log line prefixed by its name."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from router.config import load_config
from schema.cli import write_atomically
from schema.compose import SubgraphSource, compose
from schema.config import introspect
from schema.errors import CompositionFailed, SchemaError
from subgraphs.common.settings import DATA_DIR, SubgraphSettings
from subgraphs.registry import SERVICES

from .commands import CommandError

COLOURS = ("36", "33", "35", "32", "34", "31")
READY_TIMEOUT = 60.0


@dataclass
class Child:
    name: str
    url: str
    process: asyncio.subprocess.Process


def _check_port_free(host: str, port: int, who: str, env: str | None = None) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise CommandError(
                f"port {host}:{port} for {who} is already in use: stop what is listening "
                f"there (`ss -ltnp 'sport = :{port}'`) or set {env or who.upper() + '_PORT'}"
            ) from None


async def _pipe(name: str, colour: str, stream: asyncio.StreamReader) -> None:
    width = max(len(s) for s in (*SERVICES, "router"))
    prefix = (
        f"\x1b[{colour}m{name:<{width}} |\x1b[0m " if sys.stdout.isatty() else f"{name:<{width}} | "
    )
    while line := await stream.readline():
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()


async def _start(
    name: str, url: str, args: list[str], colour: str
) -> tuple[Child, asyncio.Task[None]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "switchboard",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
    )
    assert process.stdout is not None
    return Child(name, url, process), asyncio.create_task(_pipe(name, colour, process.stdout))


def _subgraph_url(name: str) -> str:
    settings = SubgraphSettings.for_service(name)
    return f"http://{settings.host}:{settings.port}"


def _compose_live() -> Path:
    """Compose the supergraph from what the running subgraphs serve (`_service { sdl }`)."""
    try:
        sources = [
            SubgraphSource(name, url, introspect(name, url))
            for name, url in ((n, f"{_subgraph_url(n)}/graphql") for n in SERVICES)
        ]
        supergraph = compose(sources)
    except CompositionFailed as failed:
        lines = "\n  ".join(str(error) for error in failed.errors)
        raise CommandError(f"composition failed:\n  {lines}") from None
    except SchemaError as exc:
        raise CommandError(str(exc)) from None
    path = DATA_DIR / "supergraph.graphql"
    write_atomically(path, supergraph)
    return path


def _router_config_file(supergraph: Path) -> Path:
    """A router config for the composed supergraph of this environment's subgraphs."""
    path = DATA_DIR / "router.dev.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"supergraph": str(supergraph), "dev": True}))
    return path


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
    router = load_config(None)
    _check_port_free(router.host, router.port, "router", env="SWITCHBOARD_ROUTER_PORT")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    children: list[Child] = []
    pipes: list[asyncio.Task[None]] = []
    try:
        for name, colour in zip(SERVICES, COLOURS, strict=False):
            child, pipe = await _start(
                name, _subgraph_url(name), ["subgraph", name, "--seed"], colour
            )
            children.append(child)
            pipes.append(pipe)
        await _wait_ready(children)
        supergraph = await asyncio.to_thread(_compose_live)
        print(f"composed {supergraph} from the running subgraphs", flush=True)
        router_args = ["router", "--config", str(_router_config_file(supergraph))]
        router_url = f"http://{router.host}:{router.port}"
        child, pipe = await _start("router", router_url, router_args, COLOURS[len(SERVICES)])
        children.append(child)
        pipes.append(pipe)
        await _wait_ready([child])
        print("\nSwitchboard is up:")
        print(f"  {'router':<14} {router_url}/graphql   <- the federated API")
        for child in children[:-1]:
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
