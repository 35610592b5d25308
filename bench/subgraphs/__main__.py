"""Serve the benchmark subgraphs: `python -m bench.subgraphs --port 4200 [--workload W]`."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from graphql import GraphQLSchema

from bench.subgraphs.app import SubgraphsApp, gateways_schemas
from bench.subgraphs.world import SHARED_BENCH, load_world

WORKLOADS = ("gateways", "big", "cold")


def schemas_for(workload: str, data: Path) -> dict[str, GraphQLSchema]:
    """The subgraphs of one workload: the gateways benchmark's four, `catalog`, or s1-s7."""
    if workload == "big":
        from bench.workloads import big_data

        return big_data.subgraph_schemas()
    if workload == "cold":
        from bench.workloads import cold_data

        return cold_data.subgraph_schemas()
    return gateways_schemas(load_world(data))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.subgraphs", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4200)
    parser.add_argument("--data", type=Path, default=SHARED_BENCH / "data.json")
    parser.add_argument("--workload", choices=WORKLOADS, default="gateways")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="hold each answer back")
    args = parser.parse_args()
    uvicorn.run(
        SubgraphsApp(schemas_for(args.workload, args.data), args.delay_ms),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
        backlog=2048,
    )


if __name__ == "__main__":
    main()
