"""The federation workload: every gateway in turn on the same bench subgraphs, under wrk."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.contenders import ROOT, Gateway
from bench.procs import (
    BenchError,
    Service,
    cpu_busy_seconds,
    free_port,
    get,
    post_json,
    start,
    wait_ready,
)
from bench.profile import start_sampling, summarise
from bench.wrk import WrkResult, run_wrk

GATEWAY_CPU = 0
LOAD_CPU = 1


@dataclass(frozen=True)
class Settings:
    """How long and how hard to load each gateway."""

    warmup_seconds: float
    window_seconds: float
    connections: int
    rounds: int
    profile_dir: Path | None = None  # py-spy the Python router in an extra window, round 1


@dataclass(frozen=True)
class Measurement:
    """One gateway in one round."""

    gateway: str
    label: str
    round: int
    correct: bool
    ready_seconds: float
    fetches_per_query: float = 0.0  # subgraph requests for one query sent alone
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    max_rss_mb: float = 0.0
    gateway_cpu_percent: float = 0.0
    subgraph_cpu_percent: float = 0.0
    subgraph_requests_per_query: float = 0.0
    other_cpu0_percent: float = 0.0  # CPU 0 time taken by processes other than the gateway
    note: str = ""

    @property
    def rps_per_cpu(self) -> float:
        """Queries per CPU-second of the gateway: RPS robust to other load on its core."""
        return self.rps / (self.gateway_cpu_percent / 100) if self.gateway_cpu_percent else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rps_per_cpu": self.rps_per_cpu}


def rewrite_supergraph_urls(sdl: str, base_url: str) -> str:
    """Point every `@join__graph(url:)` at ``base_url``/NAME (where the bench subgraphs run)."""
    return re.sub(
        r'(@join__graph\(name: "([^"]+)", url: ")[^"]*(")',
        lambda m: f"{m.group(1)}{base_url}/{m.group(2)}{m.group(3)}",
        sdl,
    )


class FederationBench:
    """Runs the rounds; owns the subgraphs process, the expected answer and the work files."""

    def __init__(
        self,
        *,
        subgraphs: Service,
        subgraphs_url: str,
        supergraph: Path,
        body_file: Path,
        expected: dict[str, Any],
        work_dir: Path,
        settings: Settings,
    ) -> None:
        self.subgraphs = subgraphs
        self.subgraphs_url = subgraphs_url
        self.supergraph = supergraph
        self.body_file = body_file
        self.body = body_file.read_bytes()
        self.expected = expected
        self.work_dir = work_dir
        self.settings = settings
        self.router_config = work_dir / "router.yaml"
        self.router_config.write_text("dev: false\n")

    def run(self, gateways: list[Gateway], log: Any = print) -> list[Measurement]:
        results: list[Measurement] = []
        for round_number in range(1, self.settings.rounds + 1):
            order = gateways if round_number % 2 else list(reversed(gateways))
            for gateway in order:
                log(f"round {round_number}: {gateway.name} …")
                measurement = self.measure(gateway, round_number)
                log(f"  {_summary(measurement)}")
                results.append(measurement)
        return results

    def measure(self, gateway: Gateway, round_number: int) -> Measurement:
        port = free_port()
        service = start(
            f"{gateway.name}-round{round_number}",
            gateway.command(self.supergraph, self.router_config, port),
            cpu=gateway.cpus or GATEWAY_CPU,
            log_dir=self.work_dir,
            cwd=gateway.cwd,
            env=dict(gateway.env),
        )
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            probe_url, probe_body = gateway.health_probe(port)
            ready = wait_ready(service, probe_url, body=probe_body, timeout=60)
            before = self._subgraph_requests()
            problem = self.check(url)
            fetches = self._subgraph_requests() - before
            if problem:
                return Measurement(
                    gateway.name, gateway.label, round_number, False, ready, fetches, note=problem
                )
            return self._load(gateway, service, url, round_number, ready, fetches)
        finally:
            service.stop()

    def check(self, url: str) -> str:
        """'' if the gateway answers body.json with the expected JSON, else what differs."""
        try:
            got = json.loads(post_json(url, self.body))
        except (OSError, ValueError) as exc:
            return f"no JSON answer: {exc}"
        if got == self.expected:
            return ""
        return f"wrong answer: {_first_difference(self.expected, got)}"

    def _load(
        self,
        gateway: Gateway,
        service: Service,
        url: str,
        round_number: int,
        ready: float,
        fetches: float,
    ) -> Measurement:
        s = self.settings
        self._wrk(url, s.warmup_seconds)
        self._drain()  # requests wrk abandoned at the end of the warm-up finish first
        before = self._snapshot(service)
        load = self._wrk(url, s.window_seconds)
        after = self._snapshot(service)
        self._drain()
        # Subgraph requests for every query started in the window: the completed ones and
        # the one per connection wrk abandoned at its end (which the gateway still ran).
        subgraph_requests = self._subgraph_requests() - before["subgraph_requests"]
        started = load.requests + s.connections
        rss = service.max_rss_mb()
        problem = self.check(url)  # still right after the load?
        if s.profile_dir is not None and gateway.name == "switchboard" and round_number == 1:
            self._profile(service, url, s.profile_dir)
        elapsed = after["at"] - before["at"]
        return Measurement(
            gateway=gateway.name,
            label=gateway.label,
            round=round_number,
            correct=not problem,
            ready_seconds=ready,
            fetches_per_query=fetches,
            rps=load.rps,
            p50_ms=load.p50_ms,
            p95_ms=load.p95_ms,
            p99_ms=load.p99_ms,
            max_ms=load.max_ms,
            requests=load.requests,
            errors=load.errors,
            max_rss_mb=rss,
            gateway_cpu_percent=100 * (after["gateway_cpu"] - before["gateway_cpu"]) / elapsed,
            subgraph_cpu_percent=100 * (after["subgraph_cpu"] - before["subgraph_cpu"]) / elapsed,
            subgraph_requests_per_query=subgraph_requests / started,
            other_cpu0_percent=100
            * (
                (after["cpu0_busy"] - before["cpu0_busy"])
                - (after["gateway_cpu"] - before["gateway_cpu"])
            )
            / elapsed,
            note=problem and f"after load: {problem}",
        )

    def _wrk(self, url: str, seconds: float) -> WrkResult:
        return run_wrk(
            url,
            self.body_file,
            seconds=seconds,
            connections=self.settings.connections,
            cpu=LOAD_CPU,
            work_dir=self.work_dir,
            timeout_seconds=30,
        )

    def _profile(self, service: Service, url: str, out_dir: Path) -> None:
        """Another window, not measured, with py-spy attached; figures above are unperturbed."""
        raw = self.work_dir / "router-profile.raw"
        sampler = start_sampling(service.pid, self.settings.window_seconds, raw, LOAD_CPU)
        self._wrk(url, self.settings.window_seconds)
        sampler.wait(timeout=60)
        if raw.exists():
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / "router-profile.txt").write_text(summarise(raw))

    def _drain(self, timeout: float = 20.0) -> None:
        """Wait until the subgraphs have seen no request for 0.3 s (the gateway is idle)."""
        deadline = time.monotonic() + timeout
        seen = self._subgraph_requests()
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = self._subgraph_requests()
            if now == seen:
                return
            seen = now

    def _subgraph_requests(self) -> float:
        stats = json.loads(get(f"{self.subgraphs_url}/stats"))
        return float(sum(stats["requests"].values()))

    def _snapshot(self, service: Service) -> dict[str, float]:
        return {
            "at": time.monotonic(),
            "gateway_cpu": service.cpu_seconds(),
            "subgraph_cpu": self.subgraphs.cpu_seconds(),
            "cpu0_busy": cpu_busy_seconds(GATEWAY_CPU),
            "subgraph_requests": self._subgraph_requests(),
        }


def _summary(m: Measurement) -> str:
    if not m.correct and not m.requests:
        return f"NOT LOADED: {m.note}"
    return (
        f"{m.rps:.0f} rps, p50 {m.p50_ms:.0f} ms, p99 {m.p99_ms:.0f} ms, "
        f"rss {m.max_rss_mb:.0f} MB, cpu {m.gateway_cpu_percent:.0f}%, "
        f"subgraphs cpu {m.subgraph_cpu_percent:.0f}%, "
        f"{m.fetches_per_query:.0f} fetches alone, "
        f"{m.subgraph_requests_per_query:.2f} subgraph req/query under load, "
        f"ready {m.ready_seconds:.2f} s, "
        f"others on CPU 0 {m.other_cpu0_percent:.0f}%"
        + (f", {m.errors} errors" if m.errors else "")
        + (f" — {m.note}" if m.note else "")
    )


def _first_difference(expected: Any, got: Any, path: str = "$") -> str:
    if type(expected) is not type(got):
        return f"{path}: expected {_short(expected)}, got {_short(got)}"
    if isinstance(expected, dict):
        for key in expected.keys() | got.keys():
            if key not in got or key not in expected:
                return f"{path}.{key}: only in {'expected' if key in expected else 'answer'}"
            if expected[key] != got[key]:
                return _first_difference(expected[key], got[key], f"{path}.{key}")
    if isinstance(expected, list):
        if len(expected) != len(got):
            return f"{path}: expected {len(expected)} items, got {len(got)}"
        for index, (e, g) in enumerate(zip(expected, got, strict=True)):
            if e != g:
                return _first_difference(e, g, f"{path}[{index}]")
    return f"{path}: expected {_short(expected)}, got {_short(got)}"


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) < 120 else text[:117] + "..."


def start_subgraphs(
    port: int, work_dir: Path, data: Path, *extra: str, name: str = "bench-subgraphs"
) -> Service:
    """The bench subgraphs on ``port``, on the load generator's core (``extra``: their flags)."""
    python = str(ROOT / ".venv" / "bin" / "python")
    service = start(
        name,
        [python, "-m", "bench.subgraphs", "--port", str(port), "--data", str(data), *extra],
        cpu=LOAD_CPU,
        log_dir=work_dir,
        cwd=ROOT,
    )
    wait_ready(service, f"http://127.0.0.1:{port}/health", timeout=30)
    return service


__all__ = ["BenchError", "FederationBench", "Measurement", "Settings", "rewrite_supergraph_urls"]
