"""A subgraph server answering with the headers it got: ``python -m tests.e2e.echo_subgraph``.

Every subgraph ``<name>`` answers at ``/<name>/graphql``; its root fields are String fields:
``<name>Headers`` (the request's headers as JSON), ``<name>Slow`` (answers after ``--slow``
seconds) and any other name (answers the field name). ``supergraph_sdl`` writes a matching
supergraph by hand, so tests never compose at runtime.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.support.processes import ROOT, free_port

_HEAD = """\
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
{
  query: Query
}

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, \
type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on \
FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, \
resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | \
INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable \
on SCHEMA

scalar join__FieldSet
scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}
"""


def supergraph_sdl(base_url: str, fields: Mapping[str, Sequence[str]]) -> str:
    """A supergraph whose subgraph ``name`` (at ``base_url/name/graphql``) owns ``fields[name]``."""
    graphs = "\n".join(
        f'  {name.upper()} @join__graph(name: "{name}", url: "{base_url}/{name}/graphql")'
        for name in fields
    )
    joins = " ".join(f"@join__type(graph: {name.upper()})" for name in fields)
    roots = "\n".join(
        f"  {field}: String @join__field(graph: {name.upper()})"
        for name, names in fields.items()
        for field in names
    )
    return f"{_HEAD}\nenum join__Graph {{\n{graphs}\n}}\n\ntype Query {joins} {{\n{roots}\n}}\n"


def create_app(slow_seconds: float) -> Starlette:
    async def graphql(request: Request) -> Response:
        subgraph = request.path_params["subgraph"]
        try:
            body = await request.json()
            operation = parse(body["query"]).definitions[0]
        except (ValueError, KeyError, GraphQLError):
            return JSONResponse({"errors": [{"message": "bad request"}]}, status_code=400)
        assert isinstance(operation, OperationDefinitionNode)
        data: dict[str, str] = {}
        for selection in operation.selection_set.selections:
            assert isinstance(selection, FieldNode)
            name = selection.name.value
            key = selection.alias.value if selection.alias else name
            if name == f"{subgraph}Headers":
                data[key] = json.dumps(dict(request.headers.items()))
            elif name == f"{subgraph}Slow":
                await asyncio.sleep(slow_seconds)
                data[key] = "slow"
            else:
                data[key] = name
        return JSONResponse({"data": data})

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/{subgraph}/graphql", graphql, methods=["POST"]),
        ]
    )


@dataclass
class EchoServer:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_echo(log_dir: Path, *, slow_seconds: float = 1.0) -> EchoServer:
    port = free_port()
    with (log_dir / f"echo-{port}.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.echo_subgraph", "--port", str(port),
             "--slow", str(slow_seconds)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = EchoServer(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 30
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if client.get(f"{server.url}/health").status_code == 200:
                    return server
            except httpx.HTTPError:
                time.sleep(0.05)
    server.stop()
    raise RuntimeError("the echo subgraph did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--slow", type=float, default=1.0)
    args = parser.parse_args()
    uvicorn.run(create_app(args.slow), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
