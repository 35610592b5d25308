"""The gateways under test: how to start each one on a supergraph and how to tell it is ready."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_GATEWAYS = ROOT / "bench" / "gateways"
TYPENAME_QUERY = b'{"query":"{ __typename }"}'
# `workers: 2` needs a second core: CPU 2 where there is one, else CPU 1, which it then shares
# with wrk and the bench subgraphs (a 2-core machine), so there its RPS is a lower bound.
TWO_WORKER_CPUS = "0,2" if (os.cpu_count() or 1) > 2 else "0,1"


@dataclass(frozen=True)
class Gateway:
    """A gateway: its command line, its environment, and its readiness probe."""

    name: str
    label: str
    command: Callable[[Path, Path, int], list[str]]  # (supergraph, router.yaml, port) → argv
    health_path: str | None = None  # GET it for readiness; None: POST `{ __typename }`
    env: tuple[tuple[str, str], ...] = ()
    cwd: Path = ROOT
    cpus: str | None = None  # taskset's CPU list; None: the gateway core (CPU 0)

    def health_probe(self, port: int) -> tuple[str, bytes | None]:
        if self.health_path is not None:
            return f"http://127.0.0.1:{port}{self.health_path}", None
        return f"http://127.0.0.1:{port}/graphql", TYPENAME_QUERY


def _switchboard(supergraph: Path, config: Path, port: int) -> list[str]:
    return [
        str(ROOT / ".venv" / "bin" / "switchboard"),
        "router",
        "--supergraph",
        str(supergraph),
        "--config",
        str(config),
        "--port",
        str(port),
    ]


def _node(script: str, *flags: str) -> Callable[[Path, Path, int], list[str]]:
    def command(supergraph: Path, _config: Path, port: int) -> list[str]:
        return ["node", str(NODE_GATEWAYS / script), str(supergraph), str(port), *flags]

    return command


NODE_ENV = (("NODE_ENV", "production"),)

GATEWAYS: dict[str, Gateway] = {
    g.name: g
    for g in (
        Gateway("switchboard", "Switchboard router (Python)", _switchboard, "/health"),
        Gateway(
            "switchboard-dedupe",
            "Switchboard router, inbound de-duplication",
            _switchboard,
            "/health",
            env=(("SWITCHBOARD_ROUTER_TRAFFIC__DEDUPE_REQUESTS", "true"),),
        ),
        Gateway(
            "switchboard-plugins",
            "Switchboard router, a no-op Python plugin on every hook",
            _switchboard,
            "/health",
            env=(
                ("SWITCHBOARD_ROUTER_PLUGINS", '[{"module": "bench.noop_plugin:NoOpEverywhere"}]'),
            ),
        ),
        Gateway(
            "switchboard-2workers",
            f"Switchboard router, `workers: 2` (CPUs {TWO_WORKER_CPUS})",
            _switchboard,
            "/health",
            env=(("SWITCHBOARD_ROUTER_WORKERS", "2"),),
            cpus=TWO_WORKER_CPUS,
        ),
        Gateway(
            "switchboard-nolimits",
            "Switchboard router, operation limits off",
            _switchboard,
            "/health",
            env=(("SWITCHBOARD_ROUTER_LIMITS__ENABLED", "false"),),
        ),
        Gateway("apollo", "Apollo Gateway (@apollo/gateway)", _node("apollo.js"), env=NODE_ENV),
        Gateway("hive", "Hive Gateway", _node("hive.js"), env=NODE_ENV),
        Gateway(
            "hive-rust",
            "Hive Gateway + Rust planner",
            _node("hive.js", "--rust-planner"),
            env=NODE_ENV,
        ),
        Gateway(
            "hive-rust-dedupe",
            "Hive Gateway + Rust planner, inbound de-duplication",
            _node("hive.js", "--rust-planner", "--dedupe"),
            env=NODE_ENV,
        ),
    )
}
# switchboard-plugins and -nolimits stay for a wrk comparison on demand; by default the overhead
# workload measures what they cost, in instructions (bench/overhead.py: RPS drifts here).
DEFAULT_GATEWAYS = (
    "switchboard",
    "switchboard-2workers",
    "apollo",
    "hive",
    "hive-rust",
    "switchboard-dedupe",
    "hive-rust-dedupe",
)
