"""``switchboard up``: the whole system in one terminal; ``--profile production`` as deployed.

The production profile runs what the Compose file runs, as local processes: every database
on one PostgreSQL server (``<prefix><service>``, created and migrated first), APQ and rate
limits shared through Redis, ``--subgraph-processes`` processes per subgraph on one port
each (the port is bound here and inherited, so the kernel spreads connections), and
``--routers`` router workers under the router's supervisor. ``--profile dev`` is
``switchboard dev``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import text
from sqlalchemy.engine import make_url

from subgraphs.common.db import create_engine
from subgraphs.common.settings import DATA_DIR, SubgraphSettings
from subgraphs.registry import SERVICES

from .commands import CommandError
from .dev import AUXILIARY, link_invoices_through, pin_demo_date, point_services_at, run_dev
from .devkeys import DevKeys
from .preflight import shown_url
from .supervise import (
    COLOURS,
    Child,
    ProcessSpec,
    check_port_free,
    emit,
    switchboard_argv,
    wait_ready,
)

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class UpOptions:
    profile: str
    routers: int
    subgraph_processes: int
    postgres_url: str
    redis_url: str
    seed: bool
    database_prefix: str = "switchboard_"

    @classmethod
    def of(cls, args: argparse.Namespace) -> UpOptions:
        if args.routers < 1 or args.subgraph_processes < 1:
            raise CommandError("--routers and --subgraph-processes must be at least 1")
        return cls(
            profile=args.profile,
            routers=args.routers,
            subgraph_processes=args.subgraph_processes,
            postgres_url=args.postgres_url
            or os.environ.get("SWITCHBOARD_POSTGRES_URL", DEFAULT_POSTGRES),
            redis_url=args.redis_url or os.environ.get("SWITCHBOARD_REDIS_URL", DEFAULT_REDIS),
            seed=args.seed,
            database_prefix=os.environ.get("SWITCHBOARD_DATABASE_PREFIX", "switchboard_"),
        )

    def database_url(self, name: str) -> str:
        url = make_url(self.postgres_url).set(drivername="postgresql+asyncpg")
        return url.set(database=f"{self.database_prefix}{name}").render_as_string(
            hide_password=False
        )


def say(line: str) -> None:
    emit("up", line)


async def run_up(options: UpOptions) -> int:
    if options.profile == "dev":
        return await run_dev()
    if options.seed:
        os.environ.setdefault("BANK_SEED_DEMO", "true")  # the demo's payments, as the services'
    try:
        pin_demo_date()
        await check_redis(options.redis_url)
        await create_databases(options)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    for name in SERVICES:
        os.environ.setdefault(f"{name.upper()}_DATABASE_URL", options.database_url(name))
        # every process of a service hears the changes any of them commits (subscriptions)
        os.environ.setdefault(f"{name.upper()}_EVENTS_REDIS_URL", options.redis_url)
    os.environ.setdefault("BANK_DATABASE_URL", options.database_url("bank"))
    await prepare(options)
    auxiliary = [make() for make in AUXILIARY]
    subgraphs, sockets = subgraph_specs(options.subgraph_processes)
    point_services_at([*auxiliary, *[s for s in subgraphs if "." not in s.name]])
    router = router_spec(options, subgraphs, subgraph_keys())
    link_invoices_through(f"http://127.0.0.1:{router.port}")
    specs = [*auxiliary, *subgraphs, router]
    try:
        for spec in [*auxiliary, router]:
            check_port_free(spec)
        return await _run(specs)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    finally:
        for sock in sockets:
            sock.close()


async def check_redis(url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:  # refused, unknown host, auth
        raise ValueError(
            f"Redis at {shown_url(url)} does not answer ({type(exc).__name__}: {exc}); start it "
            "or give --redis-url"
        ) from None
    finally:
        await client.aclose()


async def create_databases(options: UpOptions) -> None:
    """``<prefix><service>`` for every service and the bank, unless they exist."""
    admin = make_url(options.postgres_url).set(drivername="postgresql+asyncpg")
    engine = create_engine(admin.render_as_string(hide_password=False))
    try:
        async with engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            rows = await connection.execute(text("SELECT datname FROM pg_database"))
            existing = {row[0] for row in rows}
            for name in [*SERVICES, "bank"]:
                database = f"{options.database_prefix}{name}"
                if database not in existing:
                    await connection.execute(text(f'CREATE DATABASE "{database}"'))
                    say(f"created database {database}")
    except Exception as exc:  # refused, bad password, no CREATEDB right
        raise ValueError(
            f"PostgreSQL at {shown_url(options.postgres_url)}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''} (give --postgres-url)"
        ) from None
    finally:
        await engine.dispose()


async def prepare(options: UpOptions) -> None:
    """Migrate (and seed) each database once, before any process of it starts."""

    async def one(name: str) -> None:
        for command in ("migrate", *(("seed",) if options.seed else ())):
            process = await asyncio.create_subprocess_exec(*switchboard_argv(command, name))
            if await process.wait() != 0:
                raise CommandError(f"switchboard {command} {name} failed (see above)")
        say(f"{name}: database migrated{' and seeded' if options.seed else ''}")

    await asyncio.gather(*(one(name) for name in SERVICES))


def subgraph_specs(count: int) -> tuple[list[ProcessSpec], list[socket.socket]]:
    """``count`` processes per subgraph sharing one listening socket each."""
    specs, sockets = [], []
    for name in SERVICES:
        settings = SubgraphSettings.for_service(name)
        sock = _listen(settings.host, settings.port, f"{name.upper()}_PORT", name)
        sockets.append(sock)
        for index in range(count):
            specs.append(
                ProcessSpec(
                    name=name if index == 0 else f"{name}.{index}",
                    argv=switchboard_argv("subgraph", name, "--socket-fd", str(sock.fileno())),
                    host=settings.host,
                    port=settings.port,
                    port_env=f"{name.upper()}_PORT",
                    pass_fds=(sock.fileno(),),
                )
            )
    return specs, sockets


def _listen(host: str, port: int, port_env: str, name: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise CommandError(
            f"port {host}:{port} for {name} is already in use: stop what is listening there "
            f"or set {port_env}"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def subgraph_keys() -> Path | None:
    """The router's key for signing subgraph requests, and the keys every subgraph trusts:
    from the environment if it sets them (as a deployment does), else fresh ones for this
    run; the router's private key file in the latter case."""
    if all(f"{name.upper()}_ROUTER_PUBLIC_KEYS" in os.environ for name in SERVICES):
        return None
    keys = DevKeys.generate(DATA_DIR / "keys", list(SERVICES))
    for variable, value in keys.environment(list(SERVICES)).items():
        os.environ.setdefault(variable, value)
    return keys.router_key


def router_spec(
    options: UpOptions, subgraphs: list[ProcessSpec], router_key: Path | None = None
) -> ProcessSpec:
    from router.config import load_config

    port = load_config(None).port  # SWITCHBOARD_ROUTER_PORT, else 4000
    path = DATA_DIR / "router.production.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    urls = {s.name: f"{s.url}/graphql" for s in subgraphs if "." not in s.name}
    redis_db = make_url(options.redis_url)
    limits = redis_db.set(database=str(int(redis_db.database or 0) + 1))
    limits_url = limits.render_as_string(hide_password=False)
    config = {
        "dev": False,
        "workers": options.routers,
        "supergraph": "schema/supergraph.graphql",
        "subgraph_urls": urls,
        "persisted_queries": {"enabled": True, "redis_url": options.redis_url},
        "rate_limit": {
            "enabled": True,
            "key": "ip",
            "requests_per_second": 5000,
            "burst": 10000,
            "redis_url": limits_url,
        },
        "telemetry": {"metrics": {"enabled": True}, "logs": {"format": "json"}},
        "shutdown": {"grace_seconds": 8},
        "files": [{"prefix": "/files/invoices/", "subgraph": "invoices", "path": "/invoices/"}],
    }
    if router_key is not None:
        config["subgraph_auth"] = {"private_key_file": str(router_key)}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return ProcessSpec(
        name="router",
        argv=switchboard_argv("router", "--config", str(path), "--port", str(port)),
        host="127.0.0.1",
        port=port,
        port_env="SWITCHBOARD_ROUTER_PORT",
        address=f"http://127.0.0.1:{port}/graphql ({options.routers} workers)",
    )


async def _run(specs: list[ProcessSpec]) -> int:
    children = [Child(spec, COLOURS[i % len(COLOURS)]) for i, spec in enumerate(specs)]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        *services, router = children
        for child in services:
            await child.start()
        await wait_ready(services)
        await router.start()
        await wait_ready([router])
        _banner(children)
        while not stop.is_set():
            exited = next((c for c in children if c.returncode is not None), None)
            if exited is not None:
                await exited.drain()
                raise ValueError(f"{exited.failure()}; stopped everything")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
        return 0
    finally:
        for child in reversed(children):  # the router first: it drains its requests
            await child.stop()


def _banner(children: list[Child]) -> None:
    print("\nSwitchboard is up (production profile):")
    for child in children:
        print(f"  {child.name:<16} {child.spec.shown_address}")
    from router.config import load_config

    metrics = load_config(None).telemetry.metrics.port
    print(f"  {'metrics':<16} http://127.0.0.1:{metrics}/metrics (every router worker, summed)")
    print(f"  {'router config':<16} {Path(DATA_DIR / 'router.production.yaml')}")
    print("Press Ctrl-C to stop.\n", flush=True)
    sys.stdout.flush()
