"""The `switchboard` console script: one entry point for every command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from switchboard import commands

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="switchboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("subgraph", help="run one subgraph service")
    p.add_argument("name", help="customers, orders, invoices or subscriptions")
    p.add_argument("--host", help="listen address (default 127.0.0.1, env NAME_HOST)")
    p.add_argument("--port", type=int, help="listen port (default 4001-4004, env NAME_PORT)")
    p.add_argument("--database-url", help="SQLAlchemy URL (env NAME_DATABASE_URL)")
    p.add_argument("--seed", action="store_true", help="insert demo data into empty tables")
    p.add_argument(
        "--socket-fd", type=int, help=argparse.SUPPRESS
    )  # `switchboard up`'s shared port
    p.set_defaults(handler=commands.run_subgraph)

    p = sub.add_parser("migrate", help="apply a service's database migrations")
    p.add_argument("name")
    p.add_argument("--database-url")
    p.add_argument("--revision", default="head")
    p.set_defaults(handler=commands.migrate)

    p = sub.add_parser("makemigration", help="autogenerate a migration from the models")
    p.add_argument("name")
    p.add_argument("-m", "--message", required=True)
    p.set_defaults(handler=commands.make_migration)

    p = sub.add_parser("seed", help="insert demo data into a service's empty tables")
    p.add_argument("name")
    p.add_argument("--database-url")
    p.set_defaults(handler=commands.seed)

    p = sub.add_parser("export-sdl", help="write each subgraph's SDL to schema/subgraphs/")
    p.add_argument("--output-dir", default="schema/subgraphs")
    p.add_argument("--check", action="store_true", help="fail if a file is stale; write nothing")
    p.set_defaults(handler=commands.export_sdl)

    p = sub.add_parser("router", help="run the federation router")
    p.add_argument("--supergraph", type=Path, help="supergraph SDL file")
    p.add_argument("--config", type=Path, help="router.yaml")
    p.add_argument("--host", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default 4000)")
    p.set_defaults(handler=commands.run_router)

    p = sub.add_parser("plan", help="print the query plan of an operation, offline")
    p.add_argument("operation", type=Path, help="file with the GraphQL operation")
    p.add_argument("--supergraph", type=Path, default=Path("schema/supergraph.graphql"))
    p.add_argument("--operation-name")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(handler=commands.print_query_plan)

    p = sub.add_parser(
        "persisted-queries",
        help="write a trusted-documents manifest (persisted query list) from .graphql files",
    )
    p.add_argument("paths", nargs="+", type=Path, help=".graphql files or folders of them")
    p.add_argument("--supergraph", type=Path, help="validate every operation against it")
    p.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    p.set_defaults(handler=commands.persisted_queries)

    p = sub.add_parser(
        "token", help="print a development bearer token (signed by `switchboard dev`'s key)"
    )
    p.add_argument("--customer", help="a customer id (cus_…): the token acts as that customer")
    p.add_argument("--subject", help="the token's subject (default: the customer, or `dev`)")
    p.add_argument("--scope", action="append", default=[], help="a scope (repeatable)")
    p.add_argument("--seconds", type=int, default=3600, help="lifetime (default 3600)")
    p.set_defaults(handler=commands.dev_token)

    p = sub.add_parser(
        "keys", help="make a deployment's service-to-service keys (env files, Kubernetes Secret)"
    )
    p.add_argument("--out", type=Path, default=Path("deploy/keys"), help="folder (deploy/keys)")
    p.set_defaults(handler=commands.deployment_keys)

    p = sub.add_parser("mailsink", help="run the dev SMTP sink: each message becomes an .eml file")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=4025, help="SMTP port (default 4025)")
    p.add_argument("--dir", type=Path, help="where .eml files go (default data/mail)")
    p.add_argument("--http-port", type=int, default=4026, help="message list page (0: none)")
    p.set_defaults(handler=commands.mailsink)

    p = sub.add_parser("bank", help="run the sandbox bank (card acquirer) for payments")
    p.add_argument("--host", help="listen address (default 127.0.0.1, env BANK_HOST)")
    p.add_argument("--port", type=int, help="listen port (default 4010, env BANK_PORT)")
    p.add_argument("--database-url", help="SQLAlchemy URL (env BANK_DATABASE_URL)")
    p.add_argument(
        "--seed", action="store_true", help="record the demo's payments in an empty ledger"
    )
    p.set_defaults(handler=commands.run_bank)

    p = sub.add_parser("dev", help="run every service with demo data, logs in one terminal")
    p.set_defaults(handler=commands.dev)

    p = sub.add_parser("up", help="run the whole system: dev (SQLite) or production profile")
    p.add_argument("--profile", choices=["dev", "production"], default="production")
    p.add_argument("--routers", type=int, default=2, help="router processes on one port")
    p.add_argument(
        "--subgraph-processes", type=int, default=1, help="processes per subgraph, one port each"
    )
    p.add_argument("--postgres-url", help="server for the databases (env SWITCHBOARD_POSTGRES_URL)")
    p.add_argument("--redis-url", help="shared APQ and rate limits (env SWITCHBOARD_REDIS_URL)")
    p.add_argument("--seed", action="store_true", help="insert demo data into empty tables")
    p.set_defaults(handler=commands.up)
    __import__("schema.cli", fromlist=["register"]).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        code = handler(args)
    except commands.CommandError as exc:
        print(f"switchboard {args.command}: error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
