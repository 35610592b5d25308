"""What each ``switchboard`` command does; the parser lives in ``cli.py``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `switchboard router` must not load the subgraphs' stack
    from subgraphs.common.settings import SubgraphSettings
    from subgraphs.registry import Service


class CommandError(Exception):
    """A failure reported to the user as one line, without a traceback."""


def _service(name: str) -> Service:
    from subgraphs.registry import service

    try:
        return service(name)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _settings(args: argparse.Namespace) -> SubgraphSettings:
    from subgraphs.common.settings import SubgraphSettings

    return SubgraphSettings.for_service(
        args.name,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        database_url=getattr(args, "database_url", None),
    )


def _configure_logs(settings: SubgraphSettings) -> None:
    """The service's log lines (uvicorn's and alembic's too) through the redacting formatter:
    JSON unless ``<SERVICE>_TELEMETRY__LOGS__FORMAT=text`` (what ``switchboard dev`` sets)."""
    from switchboard.telemetry.logs import configure_logging

    configure_logging(settings.telemetry.logs, service=settings.name, dev=False)


def run_subgraph(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _configure_logs(settings)  # before importing the service: alembic logs as it loads
    from subgraphs.common.serve import serve

    svc = _service(args.name)
    if args.socket_fd is not None:  # one of several processes on a port `switchboard up` holds
        from switchboard.shared_port import serve_on_socket

        serve_on_socket(svc.create_app(settings), settings, args.socket_fd)
        return 0
    _prepare(settings, svc, seed=args.seed)
    serve(svc.create_app(settings), settings)
    return 0


def _prepare(settings: SubgraphSettings, svc: Service, *, seed: bool) -> None:
    from subgraphs.common.serve import prepare_database

    try:
        prepare_database(settings, svc.seed if seed else None)
    except Exception as exc:  # a database we cannot open is one clear line, not a traceback
        raise CommandError(
            f"{settings.name}: cannot prepare database {settings.database_url!r}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
            f"(set {settings.name.upper()}_DATABASE_URL to a reachable database)"
        ) from None


def migrate(args: argparse.Namespace) -> int:
    from subgraphs.common.migrate import upgrade

    svc = _service(args.name)
    settings = _settings(args)
    upgrade(svc.name, settings.database_url, args.revision)
    return 0


def make_migration(args: argparse.Namespace) -> int:
    """Autogenerate a revision by diffing the models against a scratch database at head."""
    import tempfile

    from alembic import command

    from subgraphs.common.migrate import alembic_config, upgrade

    svc = _service(args.name)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{scratch}/scratch.db"
        upgrade(svc.name, url)
        command.revision(alembic_config(svc.name, url), message=args.message, autogenerate=True)
    return 0


def seed(args: argparse.Namespace) -> int:
    svc = _service(args.name)
    _prepare(_settings(args), svc, seed=True)
    return 0


def sdl_of(name: str) -> str:
    """The SDL a subgraph answers to ``{ _service { sdl } }``."""
    result = _service(name).schema.execute_sync("{ _service { sdl } }")
    if result.errors or not result.data:
        raise CommandError(f"{name}: _service query failed: {result.errors}")
    sdl: str = result.data["_service"]["sdl"]
    return sdl.rstrip("\n") + "\n"


def export_sdl(args: argparse.Namespace) -> int:
    from subgraphs.registry import SERVICES

    out = Path(args.output_dir)
    stale = []
    for name in SERVICES:
        path = out / f"{name}.graphql"
        sdl = sdl_of(name)
        current = path.read_text() if path.exists() else None
        if current == sdl:
            continue
        if args.check:
            stale.append(str(path))
            continue
        out.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".graphql.tmp")
        tmp.write_text(sdl)
        tmp.replace(path)
        print(f"wrote {path}")
    if stale:
        raise CommandError(
            f"stale SDL exports: {', '.join(stale)}; run `switchboard export-sdl` and commit them"
        )
    return 0


def run_router(args: argparse.Namespace) -> int:
    from graphql import GraphQLError

    from router.config import ConfigError, RouterConfig, load_config
    from router.server.run import serve_router
    from router.supergraph import SupergraphError

    def load() -> RouterConfig:
        return load_config(args.config, supergraph=args.supergraph, host=args.host,
                           port=args.port)  # fmt: skip

    try:
        config = load()
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    try:
        return serve_router(config, router_argv(args), load)
    except (OSError, ConfigError) as exc:
        raise CommandError(str(exc)) from None
    except (SupergraphError, GraphQLError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandError(f"supergraph {config.supergraph}: {first}") from None


def router_argv(args: argparse.Namespace) -> list[str]:
    """The ``switchboard router`` arguments given, for the supervisor's worker processes."""
    argv = ["router"]
    for flag in ("config", "supergraph", "host", "port"):
        value = getattr(args, flag)
        if value is not None:
            argv += [f"--{flag}", str(value)]
    return argv


def print_query_plan(args: argparse.Namespace) -> int:
    import json

    from graphql import GraphQLError, parse, validate

    from router.planner import plan_to_json, print_plan
    from router.planner.planner import plan_operation
    from router.planner.routes import PlanningError
    from router.supergraph import SupergraphError, load_supergraph

    try:
        supergraph = load_supergraph(args.supergraph.read_text())
        document = parse(args.operation.read_text())
    except (OSError, SupergraphError, GraphQLError) as exc:
        raise CommandError(str(exc)) from None
    errors = validate(supergraph.api_schema, document)
    if errors:
        raise CommandError("; ".join(e.message for e in errors))
    try:
        plan = plan_operation(supergraph, document, args.operation_name)
    except PlanningError as exc:
        raise CommandError(f"cannot plan the operation: {exc}") from None
    print(json.dumps(plan_to_json(plan), indent=2) if args.json else print_plan(plan))
    return 0


def persisted_queries(args: argparse.Namespace) -> int:
    """Print (or write) a manifest of every named operation in the given .graphql files."""
    import json

    from router.operation.manifest import ManifestError, extract
    from router.supergraph import SupergraphError, load_supergraph

    files: list[Path] = []
    for path in args.paths:
        files.extend(sorted(path.rglob("*.graphql")) if path.is_dir() else [path])
    try:
        schema = None
        if args.supergraph is not None:
            schema = load_supergraph(args.supergraph.read_text()).api_schema
        manifest = extract(files, schema)
    except (OSError, SupergraphError, ManifestError) as exc:
        raise CommandError(str(exc)) from None
    text = json.dumps(manifest, indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
        print(f"wrote {len(manifest['operations'])} operations to {args.output}", file=sys.stderr)
    return 0


def dev_token(args: argparse.Namespace) -> int:
    """A user token from this machine's `switchboard dev` identity provider (dev mode only)."""
    from subgraphs.common.settings import DATA_DIR
    from switchboard.devkeys import DevKeys

    keys = DevKeys(DATA_DIR / "keys")
    if not keys.user_key.exists():
        raise CommandError(
            f"no development keys in {keys.folder}: start `make run` (switchboard dev) first"
        )
    scopes = list(dict.fromkeys(args.scope + (["customer"] if args.customer else [])))
    subject = args.subject or args.customer or "dev"
    print(keys.token(subject, scopes, seconds=args.seconds))
    return 0


def deployment_keys(args: argparse.Namespace) -> int:
    """Fresh service-to-service keys for a deployment (``switchboard.deploykeys``)."""
    from subgraphs.registry import SERVICES
    from switchboard.deploykeys import KeysExist, write_keys

    try:
        written = write_keys(args.out, list(SERVICES))
    except KeysExist as exc:
        raise CommandError(
            f"keys exist already ({exc}); they are kept: rotate them as docs/security.md says"
        ) from None
    for path in written:
        print(path)
    return 0


def mailsink(args: argparse.Namespace) -> int:
    from sandbox.mail.sink import serve
    from subgraphs.common.settings import DATA_DIR

    try:
        asyncio.run(serve(args.dir or DATA_DIR / "mail", args.host, args.port, args.http_port))
    except OSError as exc:
        raise CommandError(f"mail sink on {args.host}:{args.port}: {exc}") from None
    return 0


def run_bank(args: argparse.Namespace) -> int:
    """Serve the sandbox bank; flags override the ``BANK_*`` environment."""
    from sandbox.bank.serve import serve
    from sandbox.bank.settings import BankSettings
    from switchboard.telemetry.logs import configure_logging

    overrides = {
        "host": args.host,
        "port": args.port,
        "database_url": args.database_url,
        "seed_demo": args.seed or None,
    }
    settings = BankSettings(**{k: v for k, v in overrides.items() if v is not None})
    try:
        settings.require_api_keys()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    configure_logging(settings.logs, service="bank", dev=False)
    serve(settings)
    return 0


def dev(_args: argparse.Namespace) -> int:
    from switchboard.dev import run_dev

    return asyncio.run(run_dev())


def up(args: argparse.Namespace) -> int:
    from switchboard.up import UpOptions, run_up

    return asyncio.run(run_up(UpOptions.of(args)))
