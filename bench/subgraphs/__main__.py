"""Serve the benchmark subgraphs: `python -m bench.subgraphs --port 4200`."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from bench.subgraphs.app import create_app
from bench.subgraphs.world import SHARED_BENCH, load_world


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.subgraphs", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4200)
    parser.add_argument("--data", type=Path, default=SHARED_BENCH / "data.json")
    args = parser.parse_args()
    uvicorn.run(
        create_app(load_world(args.data)),
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
