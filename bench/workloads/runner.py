"""Run one workload against every gateway: start, check, load in phases, check again, sample."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench.contenders import Gateway
from bench.federation import (
    GATEWAY_CPU,
    LOAD_CPU,
    _first_difference,
    rewrite_supergraph_urls,
    start_subgraphs,
)
from bench.loadgen import Checker, LoadResult, RequestFactory, run_in_process
from bench.procs import (
    BenchError,
    Service,
    cpu_busy_seconds,
    free_port,
    get,
    max_rss_mb,
    start,
    wait_ready,
)
from bench.profile import start_sampling, summarise

Log = Callable[[str], None]


@dataclass(frozen=True)
class Probe:
    """A request whose answer must equal ``expected`` (checked before and after the load)."""

    body: bytes
    headers: dict[str, str]
    expected: dict[str, Any]


@dataclass(frozen=True)
class Phase:
    """One load run: ``mode`` "closed" (connections) or "open" (rate); measured or warm-up."""

    name: str
    mode: str
    seconds: float
    make: RequestFactory
    connections: int = 1
    rate: float = 0.0
    check: Checker | None = None
    measured: bool = True


@dataclass(frozen=True)
class Workload:
    """What one workload needs: its subgraphs, supergraph, router config, probes and phases."""

    name: str
    title: str
    supergraph: Path
    subgraph_flags: tuple[str, ...]
    probes: Callable[[], list[Probe]]
    phases: Callable[[], list[Phase]]
    router_yaml: str = "dev: false\n"
    node_flags: tuple[str, ...] = ()
    response_bytes: int = 0
    timeout_seconds: float = 60.0  # per request; a gateway slower than this fails the check
    load_when_wrong: bool = False  # measure a gateway whose answers are wrong anyway (flagged)


@dataclass
class PhaseResult:
    """A measured phase of one gateway."""

    workload: str
    phase: str
    gateway: str
    label: str
    correct: bool
    note: str = ""
    load: dict[str, float] = field(default_factory=dict)
    gateway_cpu_percent: float = 0.0
    cpu_ms_per_request: float = 0.0  # the gateway's CPU time per answered request
    other_cpu0_percent: float = 0.0
    subgraph_requests_per_query: float = 0.0
    authorized_share: float = 0.0  # subgraph requests that carried `authorization`
    max_rss_mb: float = 0.0
    idle_rss_mb: float = 0.0
    loadavg: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class WorkloadRun:
    """One workload: its own subgraphs process, then every gateway in turn."""

    def __init__(
        self, workload: Workload, work_dir: Path, data: Path, profile_dir: Path | None = None
    ) -> None:
        self.workload = workload
        self.profile_dir = profile_dir  # py-spy our router in an extra, unmeasured phase
        self.work_dir = work_dir / workload.name
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.data = data

    def run(self, gateways: list[Gateway], log: Log = print) -> list[PhaseResult]:
        w = self.workload
        port = free_port()
        log(f"{w.name}: starting its subgraphs …")
        self.subgraphs = start_subgraphs(
            port, self.work_dir, self.data, *w.subgraph_flags, name=f"{w.name}-subgraphs"
        )
        self.base_url = f"http://127.0.0.1:{port}"
        try:
            supergraph = self.work_dir / "supergraph.graphql"
            supergraph.write_text(rewrite_supergraph_urls(w.supergraph.read_text(), self.base_url))
            config = self.work_dir / "router.yaml"
            config.write_text(w.router_yaml)
            probes = w.probes()
            results: list[PhaseResult] = []
            for gateway in gateways:
                log(f"{w.name}: {gateway.name} …")
                for result in self._gateway(gateway, supergraph, config, probes):
                    log(f"  {_summary(result)}")
                    results.append(result)
            return results
        finally:
            self.subgraphs.stop()

    def _gateway(
        self, gateway: Gateway, supergraph: Path, config: Path, probes: list[Probe]
    ) -> list[PhaseResult]:
        port = free_port()
        argv = gateway.command(supergraph, config, port)
        if gateway.health_path is None:  # the Node gateways take the workload's flags
            argv = [*argv, *self.workload.node_flags]
        service = start(
            f"{gateway.name}",
            argv,
            cpu=GATEWAY_CPU,
            log_dir=self.work_dir,
            cwd=gateway.cwd,
            env=dict(gateway.env),
        )
        url = f"http://127.0.0.1:{port}/graphql"
        base = PhaseResult(self.workload.name, "", gateway.name, gateway.label, True)
        try:
            probe_url, probe_body = gateway.health_probe(port)
            wait_ready(service, probe_url, body=probe_body, timeout=60)
            problem = check(url, probes, self.workload.timeout_seconds)
            if problem and not (self.workload.load_when_wrong and problem.startswith("wrong")):
                return [_with(base, phase="check", correct=False, note=problem)]
            if problem:
                base = _with(base, correct=False, note=f"before load: {problem}")
            idle_rss = max_rss_mb(service.pid, "VmRSS")
            results = []
            for phase in self.workload.phases():
                result = self._phase(service, url, phase, base, idle_rss)
                if result is not None:
                    results.append(result)
            if self.profile_dir is not None and gateway.name == "switchboard":
                self._profile(service, url, self.workload.phases()[-1])
            problem = check(url, probes, self.workload.timeout_seconds)  # right after the load?
            if problem:
                for result in results:
                    result.correct = False
                    result.note = result.note or f"after load: {problem}"
            return results
        except BenchError as exc:
            return [_with(base, phase="start", correct=False, note=str(exc)[:300])]
        finally:
            service.stop()

    def _phase(
        self, service: Service, url: str, phase: Phase, base: PhaseResult, idle_rss: float
    ) -> PhaseResult | None:
        kwargs: dict[str, object] = {"url": url, "make": phase.make, "seconds": phase.seconds}
        kwargs["check"] = phase.check
        kwargs["request_timeout"] = self.workload.timeout_seconds
        if phase.mode == "closed":
            kwargs["connections"] = phase.connections
        else:
            kwargs["rate"] = phase.rate
        before = self._snapshot(service)
        load: LoadResult = run_in_process(phase.mode, LOAD_CPU, **kwargs)
        self._drain()
        after = self._snapshot(service)
        if not phase.measured:
            return None
        elapsed = after["at"] - before["at"]
        cpu = after["gateway_cpu"] - before["gateway_cpu"]
        requests = after["requests"] - before["requests"]
        authorized = after["authorized"] - before["authorized"]
        return _with(
            base,
            phase=phase.name,
            correct=base.correct and load.wrong == 0,
            note=(base.note or load.first_wrong or load.first_error)[:300],
            load=load.summary(),
            gateway_cpu_percent=100 * cpu / elapsed,
            cpu_ms_per_request=1000 * cpu / max(1, load.requests),
            other_cpu0_percent=100 * ((after["cpu0"] - before["cpu0"]) - cpu) / elapsed,
            subgraph_requests_per_query=requests
            / max(1, load.requests + load.errors - load.dropped),
            authorized_share=authorized / requests if requests else 0.0,
            idle_rss_mb=idle_rss,
            max_rss_mb=service.max_rss_mb(),  # the peak so far: this phase and those before
            loadavg=" ".join(f"{x:.2f}" for x in os.getloadavg()),
        )

    def _profile(self, service: Service, url: str, phase: Phase) -> None:
        assert self.profile_dir is not None
        raw = self.work_dir / "router-profile.raw"
        sampler = start_sampling(service.pid, phase.seconds, raw, LOAD_CPU)
        self._phase(service, url, phase, PhaseResult("", "", "", "", True), 0.0)
        sampler.wait(timeout=60)
        if raw.exists():
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            out = self.profile_dir / f"router-profile-{self.workload.name}.txt"
            out.write_text(summarise(raw))

    def _stats(self) -> dict[str, dict[str, int]]:
        stats: dict[str, dict[str, int]] = json.loads(get(f"{self.base_url}/stats"))
        return stats

    def _drain(self, timeout: float = 20.0) -> None:
        """Wait until the subgraphs have seen no request for 0.3 s (the gateway is idle)."""
        deadline = time.monotonic() + timeout
        seen = sum(self._stats()["requests"].values())
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = sum(self._stats()["requests"].values())
            if now == seen:
                return
            seen = now

    def _snapshot(self, service: Service) -> dict[str, float]:
        stats = self._stats()
        return {
            "at": time.monotonic(),
            "gateway_cpu": service.cpu_seconds(),
            "cpu0": cpu_busy_seconds(GATEWAY_CPU),
            "requests": float(sum(stats["requests"].values())),
            "authorized": float(sum(stats.get("authorized", {}).values())),
        }


def check(url: str, probes: list[Probe], timeout: float) -> str:
    """'' if every probe is answered with its expected JSON, else what differs."""
    import urllib.request

    for probe in probes:
        headers = {"content-type": "application/json", "accept": "application/json"}
        request = urllib.request.Request(url, data=probe.body, headers={**headers, **probe.headers})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                got = orjson.loads(response.read())
        except (OSError, ValueError) as exc:
            return f"no JSON answer: {exc}"
        if got != probe.expected:
            return f"wrong answer: {_difference(probe.expected, got)}"
    return ""


def answer_checker(expected_for: Callable[[int], dict[str, Any] | None]) -> Checker:
    """A response check: request i's answer equals ``expected_for(i)`` (None: not checked)."""

    def check_answer(i: int, body: bytes) -> str:
        expected = expected_for(i)
        if expected is None:
            return ""
        try:
            got = orjson.loads(body)
        except orjson.JSONDecodeError:
            return f"request {i}: not JSON: {body[:120]!r}"
        if got != expected:
            return f"request {i}: wrong answer: {_difference(expected, got)}"
        return ""

    return check_answer


def _difference(expected: Any, got: Any) -> str:
    errors = got.get("errors") if isinstance(got, dict) else None
    if errors and "errors" not in expected:
        return f"errors: {json.dumps(errors)[:250]}"
    return _first_difference(expected, got)


def _with(base: PhaseResult, **changes: Any) -> PhaseResult:
    return PhaseResult(**{**asdict(base), **changes})


def _summary(r: PhaseResult) -> str:
    if not r.load:
        return f"{r.phase}: NOT LOADED: {r.note}"
    load = r.load
    return (
        f"{r.phase}: {load['requests']:.0f} requests, {load['rps']:.1f} rps, "
        f"p50 {load['p50_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms, max {load['max_ms']:.0f} ms, "
        f"cpu {r.gateway_cpu_percent:.0f}% ({r.cpu_ms_per_request:.1f} ms/request), "
        f"others on CPU 0 {r.other_cpu0_percent:.0f}%, "
        f"subgraph req/query {r.subgraph_requests_per_query:.2f}, "
        f"authorization forwarded {100 * r.authorized_share:.0f}%, "
        f"rss idle {r.idle_rss_mb:.0f} MB, max {r.max_rss_mb:.0f} MB, load {r.loadavg}"
        + (f", {load['errors']:.0f} errors" if load["errors"] else "")
        + ("" if r.correct else " WRONG")
        + (f" — {r.note}" if r.note else "")
    )
