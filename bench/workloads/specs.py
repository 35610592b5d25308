"""The three workloads: big response, cold planning, varied traffic (their requests and checks)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from graphql import graphql_sync

from bench.expected import expected_response
from bench.subgraphs.world import load_world
from bench.workloads import big_data, cold_data
from bench.workloads.runner import Phase, Probe, Workload, answer_checker

HERE = Path(__file__).resolve().parent
NO_HEADERS: dict[str, str] = {}
AUTHORIZATION_YAML = """\
dev: false
headers:
  all:
    request:
      - propagate: {named: authorization}
"""


@dataclass(frozen=True)
class Durations:
    """Seconds per phase (the command line's `--workload-window`, `--workload-warmup`)."""

    warmup: float = 2
    window: float = 8
    rate: float = 200  # the open loop's requests per second
    connections: int = 50  # the varied closed loop's


def big_response(d: Durations) -> Workload:
    body = orjson.dumps({"query": big_data.QUERY})
    expected = big_data.expected_response()

    def make(_i: int) -> tuple[bytes, dict[str, str]]:
        return body, NO_HEADERS

    return Workload(
        name="big-response",
        title=f"big response (~{len(orjson.dumps(expected)) / 1e6:.1f} MB, one client)",
        supergraph=HERE / "big_response.supergraph.graphql",
        subgraph_flags=("--workload", "big"),
        probes=lambda: [Probe(body, NO_HEADERS, expected)],
        phases=lambda: [
            Phase("warm-up", "closed", d.warmup, make, measured=False),
            Phase("sequential", "closed", d.window, make),
        ],
        response_bytes=len(orjson.dumps(expected)),
    )


def cold_planning(d: Durations) -> Workload:
    api = cold_data.api_schema()

    @cache
    def document(n: int) -> str:
        return cold_data.query_for(n, api)

    def make(i: int) -> tuple[bytes, dict[str, str]]:
        return orjson.dumps({"query": document(i)}), NO_HEADERS

    def expected_for(i: int) -> dict[str, Any]:
        return dict(graphql_sync(api, document(i)).formatted)

    def warm(i: int) -> tuple[bytes, dict[str, str]]:
        return make(1_000_000 + i)  # other documents than the measured ones

    def probes() -> list[Probe]:
        return [Probe(*make(900_001), expected_for(900_001))]

    return Workload(
        name="cold-planning",
        title="cold planning (many-candidate supergraph, a new document per request)",
        supergraph=cold_data.SUPERGRAPH,
        subgraph_flags=("--workload", "cold"),
        probes=probes,
        phases=lambda: [
            Phase("warm-up", "closed", min(d.warmup, 2), warm, measured=False),
            Phase("sequential", "closed", d.window, make, check=answer_checker(expected_for)),
        ],
        timeout_seconds=30,  # a gateway that plans one document for longer is reported as such
        load_when_wrong=True,  # a planner's latency is worth seeing even if its answer is wrong
    )


def varied_query(body: dict[str, Any]) -> str:
    """The gateways-benchmark query with `topProducts(first: $first)`."""
    query: str = body["query"]
    query = query.replace("query TestQuery {", "query TestQuery($first: Int) {", 1)
    return query.replace("topProducts {", "topProducts(first: $first) {", 1)


def varied_traffic(d: Durations, data_dir: Path) -> Workload:
    world = load_world(data_dir / "data.json")
    sdl = (data_dir / "supergraph.graphql").read_text()
    query = varied_query(json.loads((data_dir / "body.json").read_text()))
    firsts = range(1, len(world.products) + 1)
    expected = {
        first: expected_response(sdl, {"query": query, "variables": {"first": first}}, world)
        for first in firsts
    }

    def first_of(i: int) -> int:
        return firsts[(i * 7) % len(firsts)]

    def make(i: int) -> tuple[bytes, dict[str, str]]:
        body = orjson.dumps({"query": query, "variables": {"first": first_of(i)}})
        return body, {"authorization": f"Bearer {secrets.token_hex(12)}"}

    check = answer_checker(lambda i: expected[first_of(i)] if i % 10 == 0 else None)
    return Workload(
        name="varied-traffic",
        title="varied traffic (variables and a random authorization header per request, "
        "10 ms subgraph latency)",
        supergraph=data_dir / "supergraph.graphql",
        subgraph_flags=("--workload", "gateways", "--delay-ms", "10"),
        probes=lambda: [
            Probe(*make(first), expected[first_of(first)]) for first in (0, 3, len(firsts) - 1)
        ],
        phases=lambda: [
            Phase("warm-up", "closed", d.warmup, make, connections=d.connections, measured=False),
            Phase(
                f"closed loop, {d.connections} connections",
                "closed",
                d.window,
                make,
                connections=d.connections,
                check=check,
            ),
            Phase(f"open loop, {d.rate:g} req/s", "open", d.window, make, rate=d.rate, check=check),
        ],
        router_yaml=AUTHORIZATION_YAML,
        node_flags=("--propagate-authorization",),
    )


WORKLOADS = ("big-response", "cold-planning", "varied-traffic")


def build(name: str, d: Durations, data_dir: Path) -> Workload:
    if name == "big-response":
        return big_response(d)
    if name == "cold-planning":
        return cold_planning(d)
    if name == "varied-traffic":
        return varied_traffic(d, data_dir)
    raise ValueError(name)
