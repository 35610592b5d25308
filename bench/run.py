"""`make bench`: the router against the Node.js gateways on four workloads, then its overhead
and 1,000 WebSocket subscribers on it."""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import overhead, report, subscription_bench
from bench.contenders import DEFAULT_GATEWAYS, GATEWAYS, NODE_GATEWAYS, Gateway
from bench.dashboard import DashboardResult, run_dashboard
from bench.expected import expected_response
from bench.federation import (
    FederationBench,
    Measurement,
    Settings,
    rewrite_supergraph_urls,
    start_subgraphs,
)
from bench.procs import BenchError, free_port
from bench.subgraphs.world import SHARED_BENCH, load_world
from bench.workloads import specs
from bench.workloads.runner import PhaseResult, WorkloadRun
from bench.wrk import require_wrk

RESULTS = Path(__file__).resolve().parent / "results"
WORKLOADS = ("gateways", *specs.WORKLOADS, "overhead", "subscriptions")
WORKLOAD_GATEWAYS = "switchboard,apollo,hive-rust"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--warmup", type=float, default=5, help="warm-up seconds (default 5)")
    parser.add_argument("--window", type=float, default=15, help="measured seconds (default 15)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--gateways",
        default=",".join(DEFAULT_GATEWAYS),
        help=f"comma-separated, from: {', '.join(GATEWAYS)}",
    )
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help=f"comma-separated, from: {', '.join(WORKLOADS)} (gateways: the federation one; "
        "overhead: plugins, limits and a token in instructions per request; subscriptions: "
        "1,000 WebSocket subscribers on one router)",
    )
    parser.add_argument(
        "--workload-gateways",
        default=WORKLOAD_GATEWAYS,
        help=f"gateways for the other workloads (default {WORKLOAD_GATEWAYS})",
    )
    parser.add_argument("--workload-warmup", type=float, default=2)
    parser.add_argument("--workload-window", type=float, default=8)
    parser.add_argument("--rate", type=float, default=200, help="open-loop req/s (default 200)")
    parser.add_argument(
        "--overhead-requests",
        type=int,
        default=150,
        help="requests counted per configuration in the overhead workload (default 150)",
    )
    parser.add_argument(
        "--subscribers",
        type=int,
        default=1000,
        help="WebSocket subscribers in the subscriptions workload (default 1000)",
    )
    parser.add_argument("--dashboard-seconds", type=float, default=8)
    parser.add_argument("--no-dashboard", action="store_true")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the router in an extra, unmeasured window (results/router-profile.txt)",
    )
    parser.add_argument("--data-dir", type=Path, default=SHARED_BENCH)
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    began = time.monotonic()
    workloads = [name for name in args.workloads.split(",") if name]
    unknown = set(workloads) - set(WORKLOADS)
    if unknown:
        print(f"bench: error: unknown workloads {sorted(unknown)}; from: {', '.join(WORKLOADS)}")
        return 2
    try:
        if "gateways" in workloads:
            require_wrk()
        if "overhead" in workloads:
            overhead.require_valgrind()
        report.require_matplotlib()
        if not (NODE_GATEWAYS / "node_modules").is_dir():
            raise BenchError("run `npm ci --prefix bench/gateways` first (make bench does)")
        gateways = [GATEWAYS[name] for name in args.gateways.split(",") if name]
        settings = Settings(
            args.warmup,
            args.window,
            args.connections,
            args.rounds,
            args.output if args.profile else None,
        )
        work_dir = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
        print(f"bench: logs and work files in {work_dir}")
        context: dict[str, Any] = {
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}",
            "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "settings": {k: v for k, v in vars(settings).items() if k != "profile_dir"},
        }
        results = _federation(args, settings, gateways, work_dir) if "gateways" in workloads else []
        others = _workloads(
            args,
            [w for w in workloads if w not in ("gateways", "overhead", "subscriptions")],
            work_dir,
        )
        costs = (
            overhead.run_overhead(args.data_dir, work_dir, requests=args.overhead_requests)
            if "overhead" in workloads
            else []
        )
        streams = (
            subscription_bench.run_subscriptions(work_dir, subscribers=args.subscribers)
            if "subscriptions" in workloads
            else []
        )
        dashboard: DashboardResult | None = None
        if not args.no_dashboard and "gateways" in workloads:
            try:
                dashboard = run_dashboard(
                    work_dir, seconds=args.dashboard_seconds, warmup_seconds=2, log=print
                )
            except (BenchError, OSError) as exc:  # keep the federation figures
                print(f"bench: dashboard workload failed: {exc!r}")
        args.output.mkdir(parents=True, exist_ok=True)
        context["seconds"] = round(time.monotonic() - began, 1)
        report.write_json(
            args.output / "latest.json",
            results=results,
            dashboard=dashboard,
            context=context,
            workloads=others,
            overhead=costs,
            subscriptions=streams,
        )
        report.write_markdown(
            args.output / "latest.md",
            results=results,
            dashboard=dashboard,
            context=context,
            workloads=others,
            overhead=costs,
            subscriptions=streams,
        )
        report.append_history(
            args.output / "history.jsonl",
            context=context,
            workloads=others,
            federation=results,
            overhead=costs,
            subscriptions=streams,
        )
        report.write_chart(args.output / "latest.png", results, others)
    except BenchError as exc:
        print(f"bench: error: {exc}")
        return 1
    if results:
        print()
        print(report.federation_table(results))
    if others:
        print()
        print(report.workloads_table(others))
    if dashboard is not None:
        print()
        print(report.dashboard_table(dashboard))
    if costs:
        print()
        print("\n".join(overhead.markdown(costs)))
    if streams:
        print()
        print("\n".join(subscription_bench.markdown(streams)))
    print(f"\nbench: {time.monotonic() - began:.0f} s; figures in {args.output}/latest.md")
    return 0


def _federation(
    args: argparse.Namespace, settings: Settings, gateways: list[Gateway], work_dir: Path
) -> list[Measurement]:
    data_dir: Path = args.data_dir
    world = load_world(data_dir / "data.json")
    body_file = data_dir / "body.json"
    sdl = (data_dir / "supergraph.graphql").read_text()
    expected = expected_response(sdl, json.loads(body_file.read_text()), world)
    port = free_port()
    subgraphs = start_subgraphs(port, work_dir, data_dir / "data.json")
    try:
        base_url = f"http://127.0.0.1:{port}"
        supergraph = work_dir / "supergraph.graphql"
        supergraph.write_text(rewrite_supergraph_urls(sdl, base_url))
        bench = FederationBench(
            subgraphs=subgraphs,
            subgraphs_url=base_url,
            supergraph=supergraph,
            body_file=body_file,
            expected=expected,
            work_dir=work_dir,
            settings=settings,
        )
        return bench.run(gateways)
    finally:
        subgraphs.stop()


def _workloads(args: argparse.Namespace, names: list[str], work_dir: Path) -> list[PhaseResult]:
    """Big response, cold planning, varied traffic: each on its own subgraphs, every gateway."""
    durations = specs.Durations(args.workload_warmup, args.workload_window, args.rate)
    gateways = [GATEWAYS[name] for name in args.workload_gateways.split(",") if name]
    results: list[PhaseResult] = []
    for name in names:
        began = time.monotonic()
        workload = specs.build(name, durations, args.data_dir)
        profile_dir = args.output if args.profile else None
        run = WorkloadRun(workload, work_dir, args.data_dir / "data.json", profile_dir)
        results += run.run(gateways)
        print(f"{name}: {time.monotonic() - began:.0f} s")
    return results


if __name__ == "__main__":
    raise SystemExit(main())
