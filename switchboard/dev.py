"""``switchboard dev``: every service in one terminal, hot reload, one line per failure."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable, Generator
from pathlib import Path

import httpx
import yaml

import subgraphs
from router.config import RouterConfig, load_config
from subgraphs.common.settings import DATA_DIR, SubgraphSettings
from subgraphs.registry import SERVICES

from .commands import CommandError
from .devkeys import DEV_ISSUER, STAFF_IDENTITIES, DevKeys
from .hotreload import CompositionProblem, LiveSubgraph, Recomposer, SourceWatcher
from .preflight import check_database
from .supervise import (
    COLOURS,
    Child,
    ProcessSpec,
    check_port_free,
    emit,
    switchboard_argv,
    wait_ready,
)

SUBGRAPHS_DIR = Path(subgraphs.__file__).resolve().parent
EXAMPLES_DIR = SUBGRAPHS_DIR.parent / "docs" / "examples"
POLL_SECONDS = 1.0


# Processes the subgraphs need, started (and ready) before them: one factory per process.
# E.g. ``lambda: ProcessSpec("bank", switchboard_argv("bank"), "127.0.0.1", 4010, "BANK_PORT")``;
# ``health_path=None`` waits for the port only (an SMTP sink), ``address`` is what the
# banner shows. Their ports are checked first; if one exits, the dev loop stops.
def bank_spec() -> ProcessSpec:
    """The sandbox card acquirer invoices charges through (``BANK_*`` settings)."""
    from sandbox.bank.settings import BankSettings

    bank = BankSettings()
    return ProcessSpec(
        name="bank",
        argv=switchboard_argv("bank"),
        host=bank.host,
        port=bank.port,
        port_env="BANK_PORT",
        address=f"http://{bank.host}:{bank.port} (sandbox bank; test tokens in sandbox/bank)",
    )


def mailsink_spec() -> ProcessSpec:
    """The dev SMTP sink: every e-mail the services send lands in $DATA_DIR/mail/ as .eml."""
    folder = DATA_DIR / "mail"
    port = int(os.environ.get("MAILSINK_PORT", "4025"))
    page = int(os.environ.get("MAILSINK_HTTP_PORT", "4026"))
    argv = switchboard_argv("mailsink", "--port", str(port), "--http-port", str(page))
    return ProcessSpec(
        name="mail",
        argv=argv,
        host="127.0.0.1",
        port=port,
        port_env="MAILSINK_PORT",
        health_path=None,
        address=f"smtp://127.0.0.1:{port}, messages at http://127.0.0.1:{page}/ and {folder}/",
    )


AUXILIARY: list[Callable[[], ProcessSpec]] = [bank_spec, mailsink_spec]


def point_services_at(processes: list[ProcessSpec]) -> None:
    """Tell the subgraphs (through their environment) where their peers, the bank and the
    mail sink listen, and turn on the dev billing scheduler. Explicit settings win."""
    by_name = {spec.name: spec for spec in processes}
    defaults: dict[str, str] = {
        "SUBSCRIPTIONS_BILLING_INTERVAL_SECONDS": "60",
        "INVOICES_WEBHOOKS_ALLOW_PRIVATE": "true",  # dev: webhook receivers on this machine
    }
    if "bank" in by_name:
        defaults["INVOICES_BANK_URL"] = by_name["bank"].url
        # the bank wants an API key, like an acquirer: a fresh one per run, told to both sides
        configured = os.environ.get("BANK_API_KEYS", "").split(",")[0].strip()
        api_key = configured or f"sk_test_{secrets.token_hex(24)}"
        defaults["BANK_API_KEYS"] = api_key
        defaults["INVOICES_BANK_API_KEY"] = api_key
    # signed invoice PDF links (Invoice.pdfUrl): invoices' HMAC key, fresh per run
    defaults["INVOICES_PDF_SIGNING_KEY"] = secrets.token_urlsafe(32)
    if "orders" in by_name:  # invoices tells orders of settled invoices (order events)
        defaults["INVOICES_ORDERS_URL"] = by_name["orders"].url
    internal_token = secrets.token_hex(16)  # /internal/* calls between the dev services
    for name in SERVICES:
        prefix = name.upper()
        defaults[f"{prefix}_INTERNAL_TOKEN"] = internal_token
        for peer in ("invoices", "customers"):
            if peer in by_name:
                defaults[f"{prefix}_{peer.upper()}_URL"] = f"{by_name[peer].url}/graphql"
        if "mail" in by_name:
            defaults[f"{prefix}_SMTP_HOST"] = by_name["mail"].host
            defaults[f"{prefix}_SMTP_PORT"] = str(by_name["mail"].port)
    for variable, value in defaults.items():
        os.environ.setdefault(variable, value)


def pin_demo_date() -> None:
    """One demo today for every process of this run (``SWITCHBOARD_DEMO_DATE``): the
    services and the bank seed as of the same day even if they start on either side of
    midnight UTC. An explicit value wins; ValueError if it is not a date."""
    from subgraphs.common.demo import DATE_VARIABLE, demo_today

    os.environ[DATE_VARIABLE] = demo_today().isoformat()


def human_logs() -> None:
    """Text log lines and no access log from the subgraphs and the bank: a terminal, not a log
    pipeline (outside dev they write JSON lines). Explicit settings win."""
    for name in SERVICES:
        os.environ.setdefault(f"{name.upper()}_TELEMETRY__LOGS__FORMAT", "text")
        os.environ.setdefault(f"{name.upper()}_TELEMETRY__LOGS__ACCESS_LOG", "false")
    os.environ.setdefault("BANK_LOGS__FORMAT", "text")


def link_invoices_through(router_url: str) -> None:
    """Invoice PDF links point at the router's file route (``files:`` in its config)."""
    os.environ.setdefault("INVOICES_PUBLIC_URL", f"{router_url}/files")


def subgraph_spec(name: str) -> ProcessSpec:
    """A subgraph with demo data, restarted when its package or ``subgraphs/common`` changes."""
    settings = SubgraphSettings.for_service(name)
    return ProcessSpec(
        name=name,
        argv=switchboard_argv("subgraph", name, "--seed"),
        host=settings.host,
        port=settings.port,
        port_env=f"{name.upper()}_PORT",
        watch=(SUBGRAPHS_DIR / name, SUBGRAPHS_DIR / "common"),
    )


def router_spec(config: RouterConfig, config_file: Path) -> ProcessSpec:
    return ProcessSpec(
        name="router",
        argv=switchboard_argv("router", "--config", str(config_file)),
        host=config.host,
        port=config.port,
        port_env="SWITCHBOARD_ROUTER_PORT",
    )


def write_router_config(supergraph: Path, keys: DevKeys | None = None) -> Path:
    """A dev-mode router config that watches the composed supergraph file.

    With ``keys``, it trusts this run's development identity provider, signs subgraph
    requests with this run's router key and offers GraphiQL's identity picker.
    """
    path = DATA_DIR / "router.dev.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, object] = {
        "supergraph": str(supergraph),
        "dev": True,
        "hot_reload": {"enabled": True},
        **(security_settings(keys) if keys is not None else {}),
        **rest_settings(),
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def rest_settings() -> dict[str, object]:
    """The example REST API (docs/rest.md) over its trusted operations, as the README shows."""
    manifest, mapping = EXAMPLES_DIR / "persisted-queries.json", EXAMPLES_DIR / "rest.yaml"
    if not (manifest.is_file() and mapping.is_file()):  # an installed package, without docs/
        return {}
    return {"persisted_queries": {"manifest": str(manifest)}, "rest": {"mapping": str(mapping)}}


def security_settings(keys: DevKeys) -> dict[str, object]:
    """Router settings for this run's keys, and the identities GraphiQL offers."""
    from subgraphs.common.demo import world

    customer = world().customers[0]
    identities: list[dict[str, str | bool | None]] = [{"label": "anonymous", "token": None}]
    identities.append(
        {"label": f"customer {customer.name} ({customer.id})",
         "token": keys.token(customer.id, ["customer"])}
    )  # fmt: skip
    for name, scopes in STAFF_IDENTITIES.items():
        label = f"{name} ({' '.join(scopes)})"
        # GraphiQL starts as admin: every example runs as shown
        identities.append(
            {"label": label, "token": keys.token(f"staff-{name}", scopes),
             "default": name == "admin"}
        )  # fmt: skip
    return {
        "authentication": {"jwks": [{"file": str(keys.jwks)}], "issuers": [DEV_ISSUER]},
        "subgraph_auth": {"private_key_file": str(keys.router_key)},
        "graphiql_identities": identities,
        # signed invoice PDF links (Invoice.pdfUrl) go through the router
        "files": [{"prefix": "/files/invoices/", "subgraph": "invoices", "path": "/invoices/"}],
    }


class RouterTokenAuth(httpx.Auth):
    """Signs the dev loop's own subgraph requests (``_service`` for recomposition) as the
    router does, so subgraphs that trust only the router answer them."""

    def __init__(self, keys: DevKeys, names_by_url: dict[str, str]) -> None:
        from router.auth.identity import ANONYMOUS
        from router.auth.subgraph_tokens import HEADER, SubgraphAuthConfig, SubgraphSigner

        key = SubgraphAuthConfig(private_key_file=keys.router_key).load_key()
        assert key is not None
        self.signer = SubgraphSigner(key)
        self.header = HEADER
        self.anonymous = ANONYMOUS
        self.names = names_by_url

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        name = self.names.get(str(request.url))
        if name is not None:
            request.headers[self.header] = self.signer.token(self.anonymous, name)
        yield request


def warn_if_graphiql_missing() -> None:
    """GraphiQL's npm assets are optional for the API; say once how to get them."""
    from router.server.graphiql.assets import ASSETS, NODE_MODULES

    if not all(asset.installed for asset in ASSETS.values()):
        print(
            f"switchboard dev: warning: GraphiQL's browser assets are missing ({NODE_MODULES}): "
            "run `make install` (needs Node.js and npm); the API works without them",
            file=sys.stderr,
            flush=True,
        )


def say(line: str) -> None:
    emit("dev", line)


async def run_dev() -> int:
    """Run everything until Ctrl-C (0) or a process that cannot be restarted exits."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll would drown the logs
    router_config = load_config(None)
    try:
        pin_demo_date()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    os.environ.setdefault("BANK_SEED_DEMO", "true")  # the demo's payments, as the services'
    supergraph = DATA_DIR / "supergraph.graphql"
    router = router_spec(router_config, DATA_DIR / "router.dev.yaml")
    auxiliary = [make() for make in AUXILIARY]
    subgraph_specs = [subgraph_spec(n) for n in SERVICES]
    point_services_at([*auxiliary, *subgraph_specs])
    human_logs()
    link_invoices_through(router.url)
    keys = DevKeys.generate(DATA_DIR / "keys", list(SERVICES))
    # This run's keys, whatever the environment holds: the router signs with this run's key,
    # so a subgraph trusting another (an inherited variable) would refuse every request.
    os.environ.update(keys.environment(list(SERVICES)))
    specs = [*auxiliary, *subgraph_specs, router]
    try:
        for spec in specs:
            check_port_free(spec)
        await _check_databases()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    warn_if_graphiql_missing()
    children = [Child(spec, COLOURS[i % len(COLOURS)]) for i, spec in enumerate(specs)]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    session = asyncio.ensure_future(_session(children, supergraph, keys))
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([session, stopper], return_when=asyncio.FIRST_COMPLETED)
        if not session.done():
            session.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await session
            return 0
        return session.result()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    finally:
        stopper.cancel()
        await asyncio.gather(*(child.stop() for child in children))


async def _check_databases() -> None:
    settings = [SubgraphSettings.for_service(name) for name in SERVICES]
    results = await asyncio.gather(*map(check_database, settings), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


async def _session(children: list[Child], supergraph: Path, keys: DevKeys) -> int:
    *services, router = children
    subgraph_children = [c for c in services if c.name in SERVICES]
    for child in services:
        await child.start()
    await wait_ready(services)
    live = tuple(LiveSubgraph(c.name, f"{c.spec.url}/graphql") for c in subgraph_children)
    recomposer = Recomposer(live, supergraph, say)
    auth = RouterTokenAuth(keys, {s.url: s.name for s in live})
    async with httpx.AsyncClient(timeout=2.0, auth=auth) as client:
        try:
            await recomposer.compose_first(client)
        except CompositionProblem as problem:
            raise ValueError(f"the running subgraphs do not compose: {problem}") from None
        say(f"composed {supergraph} from the running subgraphs")
        write_router_config(supergraph, keys)
        await router.start()
        await wait_ready([router])
        _banner(services, router, supergraph)
        return await _watch(children, recomposer, client)


def _banner(services: list[Child], router: Child, supergraph: Path) -> None:
    print("\nSwitchboard is up:")
    print(f"  {'router':<14} {router.spec.shown_address}   <- the federated API, and GraphiQL")
    if rest_settings():
        print(f"  {'REST API':<14} {router.spec.url}/v1/…   <- reference at {router.spec.url}/docs")
    for child in services:
        print(f"  {child.name:<14} {child.spec.shown_address}")
    print(f"  {'supergraph':<14} {supergraph}")
    print("Save a change to a subgraph: it restarts, the supergraph is recomposed and the")
    print("router swaps it in. Press Ctrl-C to stop.\n", flush=True)


async def _watch(children: list[Child], recomposer: Recomposer, client: httpx.AsyncClient) -> int:
    """Every second: restart changed subgraphs, notice exits, recompose changed SDLs."""
    watchers = {c.name: SourceWatcher(c.spec.watch) for c in children if c.spec.watch}
    while True:
        for child in children:
            watcher = watchers.get(child.name)
            if watcher is None:
                if child.returncode is not None:
                    await child.drain()
                    raise ValueError(f"{child.failure()}; stopped everything")
                continue
            changed = watcher.changed()
            if changed:
                say(f"{child.name}: {_relative(changed[0])} changed, restarting {child.name}")
                await child.restart()
            elif child.returncode is not None and not child.exit_reported:
                child.exit_reported = True
                await child.drain()
                say(f"{child.failure()}; fix it and save: dev restarts {child.name}")
        await recomposer.poll(client)
        await asyncio.sleep(POLL_SECONDS)


def _relative(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(SUBGRAPHS_DIR.parent))
    return str(path)
