"""Serve synthetic subgraphs over GraphQL-over-HTTP: ``python -m tests.kit.serve``.

One subgraph: ``--sdl FILE --data FILE`` answers at ``/graphql`` (and ``/<caller>/graphql``).
A folder of cases: ``--cases DIR`` answers at ``/<caller>/<case>/<subgraph>/graphql`` for
every ``DIR/<case>/subgraphs/<subgraph>.graphql`` with its ``data/<subgraph>.json``.
``<caller>`` is any name; mutation ticks are counted per caller and case, so two gateways
under test each see the same fresh sequence. ``GET /health`` answers 200 when ready.
Data with ``"@http": {"status": 503, "body": "..."}`` makes a subgraph fail at the HTTP level.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from graphql import ExecutionResult, OperationDefinitionNode, graphql_sync, parse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.kit.subgraph import Counter, Subgraph, build_subgraph, resolve_field, sequence


def load_subgraph(sdl_path: Path, data_path: Path) -> Subgraph:
    data = json.loads(data_path.read_text()) if data_path.exists() else {}
    return build_subgraph(sdl_path.read_text(), data)


def load_cases(cases_dir: Path) -> dict[str, Subgraph]:
    """Every subgraph of every case folder, by ``<case>/<subgraph>``."""
    subgraphs: dict[str, Subgraph] = {}
    for sdl_path in sorted(cases_dir.glob("*/subgraphs/*.graphql")):
        case_dir = sdl_path.parents[1]
        data_path = case_dir / "data" / f"{sdl_path.stem}.json"
        subgraphs[f"{case_dir.name}/{sdl_path.stem}"] = load_subgraph(sdl_path, data_path)
    return subgraphs


def execute(subgraph: Subgraph, body: dict[str, Any], tick: Counter) -> dict[str, Any]:
    query = body.get("query")
    if not isinstance(query, str):
        return {"errors": [{"message": "missing query"}]}
    operation_type = _operation_type(query, body.get("operationName"))
    result: ExecutionResult = graphql_sync(
        subgraph.schema,
        query,
        root_value=subgraph.root(operation_type, tick),
        variable_values=body.get("variables") or {},
        operation_name=body.get("operationName"),
        field_resolver=resolve_field,
    )
    return result.formatted  # type: ignore[return-value]


def _operation_type(query: str, name: Any) -> str:
    try:
        document = parse(query)
    except Exception:
        return "Query"
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name and definition.name.value == name)
        ):
            return definition.operation.value.capitalize()
    return "Query"


def create_app(subgraphs: dict[str, Subgraph]) -> Starlette:
    """Route ``[/<caller>]/<mount>/graphql`` to the subgraph mounted at ``<mount>``."""
    counters: dict[str, Counter] = {}

    def find(path: str) -> tuple[Subgraph, Callable[[], int]] | None:
        parts = [p for p in path.strip("/").split("/") if p]
        if not parts or parts[-1] != "graphql":
            return None
        parts = parts[:-1]
        for caller_parts in (0, 1):
            mount = "/".join(parts[caller_parts:])
            if mount in subgraphs:
                scope = "/".join(parts[: caller_parts + (1 if "/" in mount else 0)])
                counter = counters.setdefault(scope, sequence())
                return subgraphs[mount], counter
        return None

    async def graphql_endpoint(request: Request) -> Response:
        found = find(request.url.path)
        if found is None:
            return PlainTextResponse("no such subgraph", status_code=404)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"errors": [{"message": "invalid JSON"}]}, status_code=400)
        failure = found[0].data.get("@http")
        if failure is not None:  # a subgraph that fails at the HTTP level
            return Response(failure.get("body", ""), status_code=failure.get("status", 200))
        return JSONResponse(execute(found[0], body, found[1]))

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/{path:path}", graphql_endpoint, methods=["POST"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdl", type=Path)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--cases", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.cases:
        subgraphs = load_cases(args.cases)
    elif args.sdl:
        subgraphs = {"": load_subgraph(args.sdl, args.data or Path("/nonexistent"))}
    else:
        parser.error("give --sdl (and --data) or --cases")
    uvicorn.run(create_app(subgraphs), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
