"""What plugins, limits and a bearer token cost the router, in instructions per request.

Wall-clock RPS on a shared or virtual machine drifts by more than the few percent these
targets allow (on this machine one configuration measured 811, 547 and 360 RPS in three
rounds with nothing else running). So each configuration runs under valgrind's callgrind
with instrumentation off while it starts and warms up; then it is switched on for a fixed
number of requests, sent by ``concurrency`` keep-alive clients at once (so fetches overlap as
under load), and switched off again. The count of instructions the router executed for those
requests does not depend on what else the machine runs; what spread is left (how requests
interleave) shows as the difference between the plain router's two runs, first and last.
"""

from __future__ import annotations

import http.client
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.contenders import ROOT
from bench.federation import rewrite_supergraph_urls, start_subgraphs
from bench.procs import BenchError, free_port, start, wait_ready

NOOP = '{"module": "bench.noop_plugin:NoOpEverywhere"}'
SILENT = '{"module": "bench.noop_plugin:NoHooks"}'


@dataclass(frozen=True)
class Variant:
    """One router configuration: environment, extra router.yaml and request headers."""

    name: str
    label: str
    target_percent: float | None = None  # the most it may cost against the plain router
    env: tuple[tuple[str, str], ...] = ()
    authenticated: bool = False


VARIANTS = (
    Variant("switchboard", "plain router, default settings"),
    Variant(
        "plugins-no-hooks",
        "two plugins that define no hook",
        3.0,
        env=(("SWITCHBOARD_ROUTER_PLUGINS", f"[{SILENT}, {SILENT}]"),),
    ),
    Variant(
        "plugins-noop",
        "two plugins, each a no-op on all seven hooks",
        3.0,
        env=(("SWITCHBOARD_ROUTER_PLUGINS", f"[{NOOP}, {NOOP}]"),),
    ),
    Variant(
        "limits-off",
        "operation limits off (so: what the default limits cost)",
        3.0,
        env=(("SWITCHBOARD_ROUTER_LIMITS__ENABLED", "false"),),
    ),
    Variant(
        "bearer-token",
        "a verified bearer token on every request, router-signed subgraph tokens",
        5.0,
        authenticated=True,
    ),
    Variant("switchboard-again", "plain router again (the spread between two runs)"),
)


@dataclass
class OverheadResult:
    name: str
    label: str
    requests: int
    instructions: int
    target_percent: float | None
    errors: list[str] = field(default_factory=list)

    @property
    def per_request(self) -> float:
        return self.instructions / self.requests if self.requests else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "instructions_per_request": round(self.per_request)}


def require_valgrind() -> None:
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise BenchError("valgrind is not installed: apt-get install -y valgrind (make bench does)")


def run_overhead(
    data_dir: Path,
    work_dir: Path,
    *,
    requests: int = 150,
    concurrency: int = 20,
    variants: Sequence[Variant] = VARIANTS,
    log: Callable[[str], None] = print,
) -> list[OverheadResult]:
    require_valgrind()
    from bench.dashboard import BenchIdentity

    port = free_port()
    subgraphs = start_subgraphs(port, work_dir, data_dir / "data.json", name="overhead-subgraphs")
    try:
        supergraph = work_dir / "overhead-supergraph.graphql"
        sdl = (data_dir / "supergraph.graphql").read_text()
        supergraph.write_text(rewrite_supergraph_urls(sdl, f"http://127.0.0.1:{port}"))
        body = (data_dir / "body.json").read_bytes()
        identity = BenchIdentity.generate(work_dir / "overhead-keys")
        results = []
        for variant in variants:
            log(f"overhead: {variant.name} …")
            began = time.monotonic()
            config = "dev: false\n" + (identity.router_config() if variant.authenticated else "")
            headers = identity.bearer() if variant.authenticated else {}
            result = _measure(
                variant, supergraph, config, body, headers, work_dir, requests, concurrency
            )
            log(
                f"  {result.per_request / 1e6:.2f} M instructions per request "
                f"({time.monotonic() - began:.0f} s)"
            )
            results.append(result)
        return results
    finally:
        subgraphs.stop()


def _measure(
    variant: Variant,
    supergraph: Path,
    config: str,
    body: bytes,
    headers: dict[str, str],
    work_dir: Path,
    requests: int,
    concurrency: int,
) -> OverheadResult:
    config_file = work_dir / f"overhead-{variant.name}.yaml"
    config_file.write_text(config)
    out = work_dir / f"callgrind-{variant.name}.out"
    port = free_port()
    argv = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        str(ROOT / ".venv" / "bin" / "python"),
        "-m",
        "switchboard",
        "router",
        "--supergraph",
        str(supergraph),
        "--config",
        str(config_file),
        "--port",
        str(port),
    ]
    env = {**dict(variant.env), "PYTHONMALLOC": "malloc"}
    router = start(f"overhead-{variant.name}", argv, cpu=None, log_dir=work_dir, cwd=ROOT, env=env)
    errors: list[str] = []
    try:
        wait_ready(router, f"http://127.0.0.1:{port}/health", timeout=180)
        _load(port, body, headers, concurrency, concurrency, errors)  # warm-up, not counted
        _callgrind(router.pid, "on")
        _load(port, body, headers, requests, concurrency, errors)
        _callgrind(router.pid, "off")
    finally:
        router.stop(timeout=60)
    return OverheadResult(
        variant.name, variant.label, requests, _totals(out), variant.target_percent, errors[:3]
    )


def _load(
    port: int,
    body: bytes,
    headers: dict[str, str],
    requests: int,
    concurrency: int,
    errors: list[str],
) -> None:
    """``requests`` POSTs of ``body`` from ``concurrency`` clients at once; wrong answers noted."""

    def client(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _ in range(count):
            status, payload = _post(connection, body, headers)
            if status != 200 or b'"errors"' in payload:
                errors.append(f"HTTP {status}: {payload[:200]!r}")
        connection.close()

    share, extra = divmod(requests, concurrency)
    threads = [
        threading.Thread(target=client, args=(share + (1 if i < extra else 0),))
        for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _post(
    connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    connection.request("POST", "/graphql", body, {"content-type": "application/json", **headers})
    response = connection.getresponse()
    return response.status, response.read()


def _callgrind(pid: int, state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(pid)], check=True, capture_output=True)


def _totals(out: Path) -> int:
    """Instructions counted in every dump callgrind wrote for the process (``out`` and
    ``out.N`` after a dump)."""
    total = 0
    for dump in sorted(out.parent.glob(out.name + "*")):
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith("totals:"):
                total += int(line.split()[1])
    if not total:
        raise BenchError(f"callgrind wrote no totals in {out}")
    return total


def markdown(results: Sequence[OverheadResult]) -> list[str]:
    """The overhead section: instructions per request against the plain router."""
    if not results:
        return []
    plain = next((r for r in results if r.name == "switchboard"), None)
    lines = [
        "## Router overhead: plugins, limits, a bearer token",
        "",
        "Instructions the router executed per request (valgrind callgrind, counted only over "
        f"{results[0].requests} federation `TestQuery` requests sent by 20 clients at once, "
        "after start-up and warm-up), against the plain router. The plain router runs first and "
        "last: the difference between those two is the measurement's own spread.",
        "",
        "| configuration | M instructions per request | against plain | target | met |",
        "|---|--:|--:|--:|:-:|",
    ]
    for result in results:
        change = ""
        met = ""
        if plain is not None and result is not plain and plain.per_request:
            percent = 100 * (result.per_request - plain.per_request) / plain.per_request
            change = f"{percent:+.1f}%"
            if result.target_percent is not None:
                met = "yes" if percent <= result.target_percent else "**no**"
        target = f"≤ {result.target_percent:g}%" if result.target_percent is not None else ""
        wrong = f" ({len(result.errors)} wrong answers)" if result.errors else ""
        lines.append(
            f"| {result.label}{wrong} | {result.per_request / 1e6:.2f} | {change} | {target} "
            f"| {met} |"
        )
    return [*lines, ""]


__all__ = ["VARIANTS", "OverheadResult", "Variant", "markdown", "run_overhead"]
