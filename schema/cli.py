"""``switchboard compose`` and ``switchboard schema check``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from schema.errors import CompositionFailed, SchemaError

# The composer, the checker and their HTTP client load when a command runs: registering
# the commands must stay cheap, since every `switchboard` invocation (the router's too)
# builds the whole parser.

DEFAULT_CONFIG = "schema/supergraph.yaml"
DEFAULT_OUTPUT = "schema/supergraph.graphql"


def register(subparsers: Any) -> None:
    """Add ``compose`` and ``schema check`` to the switchboard parser."""
    p = subparsers.add_parser("compose", help="compose the subgraphs into a supergraph SDL")
    p.add_argument(
        "--config", default=DEFAULT_CONFIG, help=f"rover-style config ({DEFAULT_CONFIG})"
    )
    p.add_argument("--output", default=DEFAULT_OUTPUT, help=f"where to write ({DEFAULT_OUTPUT})")
    p.set_defaults(handler=run_compose)
    schema = subparsers.add_parser("schema", help="schema tools")
    actions = schema.add_subparsers(dest="schema_command", required=True, metavar="ACTION")
    c = actions.add_parser("check", help="report breaking changes against a supergraph")
    c.add_argument("--against", default=DEFAULT_OUTPUT, help="current supergraph SDL")
    c.add_argument("--config", default=DEFAULT_CONFIG, help="proposed subgraphs")
    c.set_defaults(handler=run_check)


def _fail(command: str, exc: SchemaError) -> int:
    if isinstance(exc, CompositionFailed):
        for e in exc.errors:
            print(f"switchboard {command}: error: {e}", file=sys.stderr)
        print(
            f"switchboard {command}: composition failed with {len(exc.errors)} error(s)",
            file=sys.stderr,
        )
    else:
        print(f"switchboard {command}: error: {exc}", file=sys.stderr)
    return 1


def _composed(config: str) -> str:
    from schema.compose import compose
    from schema.config import fetch_sources, load_config

    return compose(fetch_sources(load_config(Path(config))))


def run_compose(args: argparse.Namespace) -> int:
    try:
        supergraph = _composed(args.config)
        write_atomically(Path(args.output), supergraph)
    except SchemaError as exc:
        return _fail("compose", exc)
    except OSError as exc:
        print(
            f"switchboard compose: error: cannot write {args.output}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    except Exception as exc:  # a bug in composition is still one line, and nothing is written
        print(f"switchboard compose: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 70
    print(f"wrote {args.output}")
    return 0


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_check(args: argparse.Namespace) -> int:
    from graphql import GraphQLError

    from schema.check import schema_changes

    try:
        current = Path(args.against).read_text()
    except OSError as exc:
        print(
            f"switchboard schema check: error: cannot read {args.against}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    try:
        proposed = _composed(args.config)
    except SchemaError as exc:
        return _fail("schema check", exc)
    try:
        changes = schema_changes(current, proposed)
    except (GraphQLError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(
            f"switchboard schema check: error: {args.against} is not a valid supergraph: {first}",
            file=sys.stderr,
        )
        return 1
    for change in changes:
        print(change)
    breaking = sum(c.breaking for c in changes)
    print(f"{breaking} breaking, {len(changes) - breaking} dangerous change(s)")
    return 1 if breaking else 0
