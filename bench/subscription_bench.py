"""The subscriptions workload (issue #18): 1,000 WebSocket subscribers on one router.

For each variant a fresh router (production mode, subscriptions on) runs on CPU 0; the ticks
and labels subgraphs (bench/subscription_subgraph.py) and the load client
(bench/subscription_client.py) on CPU 1. A warm-up of a few subscribers runs first; then the
router's RSS is read, ``subscribers`` subscriptions are opened and attached (each has its
seq 0), RSS is read again (→ KB per subscriber), the run is started and every subscriber
must get seq 1..n in order (missing, reordered, duplicated: all must be 0). Latency is the
subgraph's send timestamp to the client's receive; router CPU is counted from the start to
the last event, per event delivered.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.contenders import ROOT
from bench.federation import GATEWAY_CPU, LOAD_CPU, rewrite_supergraph_urls
from bench.procs import (
    BenchError,
    Service,
    cpu_busy_seconds,
    cpu_seconds,
    free_port,
    max_rss_mb,
    post_json,
    start,
    wait_ready,
)

SUPERGRAPH = Path(__file__).resolve().parent / "subscription_schema" / "supergraph.graphql"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
WARMUP_SUBSCRIBERS = 20


@dataclass(frozen=True)
class Variant:
    name: str
    label: str
    distinct: bool = False  # distinct variables: one subgraph stream per subscriber
    entity: bool = False  # select Tick.label: one entity fetch per subscriber per event
    events: int = 20
    every_ms: int = 200


VARIANTS = (
    Variant("shared", "identical subscriptions (one shared subgraph stream)"),
    Variant("distinct", "distinct variables (a subgraph stream each)", distinct=True),
    Variant(
        "shared-entity",
        "identical, plus `label` from a second subgraph (an entity fetch per subscriber per event)",
        entity=True,
        events=5,
        every_ms=1000,
    ),
)


@dataclass
class SubscriptionResult:
    name: str
    label: str
    subscribers: int
    events_per_subscriber: int
    every_ms: int
    rss_before_mb: float
    rss_attached_mb: float
    rss_peak_mb: float
    router_cpu_seconds: float  # from the start to the last event
    seconds: float  # wall time from the start to the last event
    load_cpu_busy_seconds: float  # CPU 1 (subgraph and client) in that time
    router_cpu_busy_seconds: float  # CPU 0, every process, in that time
    client: dict[str, Any] = field(default_factory=dict)

    @property
    def kb_per_subscriber(self) -> float:
        return 1024 * (self.rss_attached_mb - self.rss_before_mb) / self.subscribers

    @property
    def cpu_us_per_event(self) -> float:
        events = int(self.client.get("events", 0))
        return 1e6 * self.router_cpu_seconds / events if events else 0.0

    @property
    def router_cpu_percent(self) -> float:
        return 100 * self.router_cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def others_on_router_cpu_percent(self) -> float:
        others = self.router_cpu_busy_seconds - self.router_cpu_seconds
        return 100 * max(0.0, others) / self.seconds if self.seconds else 0.0

    @property
    def load_cpu_percent(self) -> float:
        return 100 * self.load_cpu_busy_seconds / self.seconds if self.seconds else 0.0

    @property
    def faults(self) -> int:
        c = self.client
        missing = int(c.get("missing", 0)) + int(c.get("reordered", 0))
        return missing + int(c.get("duplicated", 0)) + int(c.get("labels_wrong", 0))

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "kb_per_subscriber": round(self.kb_per_subscriber, 1),
            "router_cpu_us_per_event": round(self.cpu_us_per_event, 1),
            "router_cpu_percent": round(self.router_cpu_percent, 1),
            "load_cpu_percent": round(self.load_cpu_percent, 1),
            "others_on_router_cpu_percent": round(self.others_on_router_cpu_percent, 1),
            "faults": self.faults,
        }


def run_subscriptions(
    work_dir: Path,
    *,
    subscribers: int = 1000,
    variants: Sequence[Variant] = VARIANTS,
    log: Callable[[str], None] = print,
) -> list[SubscriptionResult]:
    port = free_port()
    subgraph = start(
        "subscription-subgraphs",
        [PYTHON, "-m", "bench.subscription_subgraph", "--port", str(port)],
        cpu=LOAD_CPU,
        log_dir=work_dir,
        cwd=ROOT,
    )
    try:
        wait_ready(subgraph, f"http://127.0.0.1:{port}/health")
        base = f"http://127.0.0.1:{port}"
        supergraph = work_dir / "subscriptions-supergraph.graphql"
        supergraph.write_text(rewrite_supergraph_urls(SUPERGRAPH.read_text(), base))
        runs = itertools.count(1)
        results = []
        for variant in variants:
            log(f"subscriptions: {variant.name}, {subscribers} subscribers …")
            result = _measure(variant, subscribers, supergraph, (subgraph, base), work_dir, runs)
            c = result.client
            log(
                f"  {result.kb_per_subscriber:.0f} KB per subscriber, {c['events']}/"
                f"{c['events_expected']} events, {result.faults} faults, p99 "
                f"{c['latency_ms']['p99']:.0f} ms, {result.cpu_us_per_event:.0f} µs router CPU "
                "per event"
            )
            results.append(result)
        return results
    finally:
        subgraph.stop()


def _measure(
    variant: Variant,
    subscribers: int,
    supergraph: Path,
    subgraph: tuple[Service, str],
    work_dir: Path,
    runs: itertools.count[int],
) -> SubscriptionResult:
    process, subgraphs = subgraph
    config = work_dir / "subscriptions-router.yaml"
    limit = subscribers + WARMUP_SUBSCRIBERS
    # replay_latest (the default): a subscriber joining the shared stream gets its seq 0 too
    config.write_text(
        "dev: false\nsubscriptions:\n  enabled: true\n  replay_latest: true\n"
        f"  max_per_client: {limit}\n"
    )
    port = free_port()
    router = start(
        f"subscriptions-router-{variant.name}",
        [PYTHON, "-m", "switchboard", "router", "--supergraph", str(supergraph),
         "--config", str(config), "--port", str(port)],
        cpu=GATEWAY_CPU,
        log_dir=work_dir,
        cwd=ROOT,
    )  # fmt: skip
    try:
        wait_ready(router, f"http://127.0.0.1:{port}/health")
        url = f"ws://127.0.0.1:{port}/graphql"
        warm = Variant(variant.name, "", variant.distinct, variant.entity, 2, 50)
        _client(url, warm, WARMUP_SUBSCRIBERS, subgraphs, next(runs), work_dir)
        before = max_rss_mb(router.pid, "VmRSS")
        samples: dict[str, float] = {}

        def attached() -> None:
            samples["rss"] = max_rss_mb(router.pid, "VmRSS")
            samples["cpu"] = cpu_seconds(router.pid)
            samples["load"] = cpu_busy_seconds(LOAD_CPU)
            samples["cpu0"] = cpu_busy_seconds(GATEWAY_CPU)
            samples["at"] = time.monotonic()
            samples["subgraph"] = process.cpu_seconds()

        client = _client(url, variant, subscribers, subgraphs, next(runs), work_dir, attached)
        cpu = cpu_seconds(router.pid) - samples["cpu"]
        load = cpu_busy_seconds(LOAD_CPU) - samples["load"]
        cpu0 = cpu_busy_seconds(GATEWAY_CPU) - samples["cpu0"]
        seconds = time.monotonic() - samples["at"]
        client["subgraph_cpu_seconds"] = round(process.cpu_seconds() - samples["subgraph"], 2)
        return SubscriptionResult(
            variant.name, variant.label, subscribers, variant.events, variant.every_ms,
            round(before, 1), round(samples["rss"], 1), round(max_rss_mb(router.pid), 1),
            round(cpu, 2), round(seconds, 2), round(load, 2), round(cpu0, 2), client,
        )  # fmt: skip
    finally:
        router.stop()


def _client(
    url: str,
    variant: Variant,
    count: int,
    subgraphs: str,
    run: int,
    work_dir: Path,
    attached: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Run the load client on CPU 1: subscribe, ``attached()``, start the run, its result."""
    argv = [
        "taskset", "-c", str(LOAD_CPU), PYTHON, "-m", "bench.subscription_client",
        "--url", url, "--count", str(count), "--run", str(run), "--n", str(variant.events),
        "--every-ms", str(variant.every_ms),
        "--deadline", str(30 + 3 * variant.events * variant.every_ms / 1000),
        *(["--distinct"] if variant.distinct else []), *(["--entity"] if variant.entity else []),
    ]  # fmt: skip
    errors = (work_dir / f"subscription-client-{run}.log").open("wb")
    with subprocess.Popen(
        argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        first = _line(process.stdout, process)
        if "attached" not in first:
            raise BenchError(f"the subscription client said {first!r}")
        attached()
        post_json(f"{subgraphs}/start?run={run}", b"")
        process.stdin.write("go\n")
        process.stdin.flush()
        result: dict[str, Any] = _line(process.stdout, process)
    errors.close()
    if result.get("errors"):
        print(f"  subscription client errors: {result['first_errors']}", file=sys.stderr)
    return result


def _line(stdout: IO[str], process: subprocess.Popen[str]) -> dict[str, Any]:
    line = stdout.readline()
    if not line:
        raise BenchError(f"the subscription client exited with {process.wait()} (see its log)")
    parsed: dict[str, Any] = json.loads(line)
    return parsed


def markdown(results: Sequence[SubscriptionResult]) -> list[str]:
    """The subscriptions section: memory per subscriber, order, latency, CPU per event."""
    if not results:
        return []
    first = results[0]
    lines = [
        "## Subscriptions: 1,000 WebSocket subscribers on one router",
        "",
        f"{first.subscribers} graphql-transport-ws subscribers (one WebSocket each) on one "
        "router (production mode, CPU 0); the ticks subgraph and the load client on CPU 1. "
        "RSS is read after a warm-up and again once every subscriber got its first event "
        "(→ KB per subscriber); then the subgraph sends numbered events at a fixed rate, "
        "stamped at send. Faults: events missing, out of order, duplicated or with a wrong "
        "entity field, over every subscriber (must be 0). Latency: subgraph send → client "
        "receive. Router CPU: from the first event sent to the last received, per event "
        "delivered to one subscriber. CPU %, in that time, of one core: the router's, other "
        "processes' on the router's CPU 0, and CPU 1 busy (the load side and anything else; "
        "high figures in the last two mean the latency is the machine's, not the router's); "
        "the client's and the subgraph's own CPU seconds.",
        "",
        "| variant | events x rate | KB per subscriber | RSS MB before → attached → peak "
        "| delivered | faults | p50 ms | p99 ms | router µs CPU per event "
        "| CPU % router / others on 0 / 1 busy "
        "| client / subgraph CPU s |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        c = r.client
        delivered = f"{c['events']}/{c['events_expected']}"
        errors = f" ({c['errors']} errors)" if c.get("errors") else ""
        lines.append(
            f"| {r.label}{errors} | {r.events_per_subscriber} x {1000 / r.every_ms:g}/s "
            f"| {r.kb_per_subscriber:.0f} | {r.rss_before_mb:.0f} → {r.rss_attached_mb:.0f} → "
            f"{r.rss_peak_mb:.0f} | {delivered} | {r.faults} | {c['latency_ms']['p50']:.0f} "
            f"| {c['latency_ms']['p99']:.0f} | {r.cpu_us_per_event:.0f} "
            f"| {r.router_cpu_percent:.0f} / {r.others_on_router_cpu_percent:.0f} / "
            f"{r.load_cpu_percent:.0f} "
            f"| {c['cpu_seconds']:.1f} / {c['subgraph_cpu_seconds']:.1f} |"
        )
    return [*lines, ""]


__all__ = ["VARIANTS", "SubscriptionResult", "Variant", "markdown", "run_subscriptions"]
