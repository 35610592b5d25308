"""Write the figures: `results/latest.md` (tables), `latest.json` (raw) and `latest.png` (chart)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.contenders import TWO_WORKER_CPUS
from bench.dashboard import DashboardResult
from bench.federation import Measurement
from bench.overhead import OverheadResult
from bench.overhead import markdown as overhead_markdown
from bench.procs import BenchError
from bench.subscription_bench import SubscriptionResult
from bench.subscription_bench import markdown as subscriptions_markdown
from bench.workloads import report as workloads_report
from bench.workloads.runner import PhaseResult

workloads_table = workloads_report.table
append_history = workloads_report.append_history


def by_gateway(results: Sequence[Measurement]) -> dict[str, list[Measurement]]:
    grouped: dict[str, list[Measurement]] = {}
    for m in results:
        grouped.setdefault(m.gateway, []).append(m)
    return grouped


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def federation_table(results: Sequence[Measurement]) -> str:
    rows = [
        "| gateway | RPS (mean) | RPS per round | RPS per CPU-second | p50 ms | p95 ms | p99 ms "
        "| max RSS MB | gateway CPU | subgraph CPU | subgraph req/query: alone, under load "
        "| ready s | correct |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|",
    ]
    for runs in by_gateway(results).values():
        loaded = [m for m in runs if m.requests]
        rounds = " / ".join(f"{m.rps:.0f}" for m in loaded) or "—"
        correct = "yes" if all(m.correct for m in runs) else "**no**"

        def avg(attr: str, runs: list[Measurement] = loaded) -> float:
            return _mean([getattr(m, attr) for m in runs])

        rows.append(
            f"| {runs[0].label} | **{avg('rps'):.0f}** | {rounds} | {avg('rps_per_cpu'):.0f} "
            f"| {avg('p50_ms'):.0f} "
            f"| {avg('p95_ms'):.0f} | {avg('p99_ms'):.0f} "
            f"| {max((m.max_rss_mb for m in loaded), default=0):.0f} "
            f"| {avg('gateway_cpu_percent'):.0f}% | {avg('subgraph_cpu_percent'):.0f}% "
            f"| {avg('fetches_per_query', runs):.0f}, {avg('subgraph_requests_per_query'):.2f} "
            f"| {avg('ready_seconds', runs):.2f} "
            f"| {correct} |"
        )
    return "\n".join(rows)


def rounds_table(results: Sequence[Measurement]) -> str:
    rows = [
        "| round | gateway | RPS | RPS per CPU-s | p50 ms | p95 ms | p99 ms | max ms "
        "| requests | errors "
        "| gateway CPU | subgraph CPU | others on CPU 0 | note |",
        "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for m in results:
        rows.append(
            f"| {m.round} | {m.gateway} | {m.rps:.1f} | {m.rps_per_cpu:.0f} "
            f"| {m.p50_ms:.1f} | {m.p95_ms:.1f} "
            f"| {m.p99_ms:.1f} | {m.max_ms:.1f} | {m.requests} | {m.errors} "
            f"| {m.gateway_cpu_percent:.0f}% | {m.subgraph_cpu_percent:.0f}% "
            f"| {m.other_cpu0_percent:.0f}% | {m.note} |"
        )
    return "\n".join(rows)


def dashboard_table(result: DashboardResult) -> str:
    rows = [
        "| path | requests/s | p50 ms | p95 ms | p99 ms | HTTP requests per dashboard |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for run in (result.router, result.direct):
        rows.append(
            f"| {run.label} | {run.rps:.1f} | {run.p50_ms:.2f} | {run.p95_ms:.2f} "
            f"| {run.p99_ms:.2f} | {run.http_requests} |"
        )
    return "\n".join(rows)


def write_markdown(
    path: Path,
    *,
    results: Sequence[Measurement],
    dashboard: DashboardResult | None,
    context: dict[str, Any],
    workloads: Sequence[PhaseResult] = (),
    overhead: Sequence[OverheadResult] = (),
    subscriptions: Sequence[SubscriptionResult] = (),
) -> None:
    s = context["settings"]
    lines = [
        "# Latest benchmark figures",
        "",
        f"Run {context['started']} on {context['machine']}; load average before the run "
        f"{context['loadavg']}. Each gateway pinned to CPU 0 (`taskset`; `switchboard-2workers` "
        f"to CPUs {TWO_WORKER_CPUS}), wrk and the bench "
        f"subgraphs on CPU 1; wrk: {s['connections']} connections, closed loop, "
        f"{s['warmup_seconds']:g} s warm-up then a {s['window_seconds']:g} s measured window, "
        f"{s['rounds']} interleaved rounds (the second in reverse order). Every gateway's "
        "answer to `body.json` was compared with the expected response as JSON before and "
        "after its load. CPU is % of one core over the measured window; max RSS is the "
        "process's VmHWM; ready = process start → first 200 (router: `GET /health`; Node "
        "gateways: `POST { __typename }`).",
        "",
        "## Federation workload (graphql-gateways-benchmark `TestQuery`)",
        "",
        federation_table(results),
        "",
        "![RPS and p99 per gateway](latest.png)",
        "",
        *variants_lines(results),
        "### Every round",
        "",
        rounds_table(results),
        "",
    ]
    lines += workloads_report.markdown(workloads)
    lines += overhead_markdown(overhead)
    lines += subscriptions_markdown(subscriptions)
    if dashboard is not None:
        lines += [
            "## Router overhead: a dashboard query on Switchboard's own subgraphs",
            "",
            f"One client, closed loop, {dashboard.seconds:g} s each: the router (one request) "
            "against the same fetches sent straight to the subgraphs one after another "
            "(the router runs independent fetches in parallel). Both answers were checked "
            "to be the same JSON.",
            "",
            dashboard_table(dashboard),
            "",
            f"Router CPU per dashboard query: {dashboard.router_cpu_ms_per_query:.2f} ms "
            f"(router process, CPU 0). Router p50 minus direct p50: "
            f"{dashboard.router.p50_ms - dashboard.direct.p50_ms:+.2f} ms.",
            "",
        ]
    path.write_text("\n".join(lines))


VARIANTS = {
    "switchboard-plugins": "a no-op Python plugin on every hook (target: within 3%)",
    "switchboard-nolimits": "operation limits off, i.e. the default limits' cost (target: "
    "within 3%)",
}


def variants_lines(results: Sequence[Measurement]) -> list[str]:
    """What the router's plugin hooks and operation limits cost, against the plain router,
    in RPS per CPU-second (robust to other load on the gateway's core)."""

    def per_cpu(name: str) -> float:
        found = [m.rps_per_cpu for m in results if m.gateway == name and m.correct]
        return sum(found) / len(found) if found else 0.0

    plain = per_cpu("switchboard")
    lines = []
    for name, what in VARIANTS.items():
        variant = per_cpu(name)
        if plain and variant:
            change = 100 * (variant - plain) / plain
            lines.append(
                f"- Switchboard with {what}: {variant:.0f} RPS per CPU-second against "
                f"{plain:.0f} plain ({change:+.1f}%)."
            )
    lines += workers_lines(results)
    return ["### Plugins, limits and workers", "", *lines, ""] if lines else []


def workers_lines(results: Sequence[Measurement]) -> list[str]:
    """1 vs 2 workers: RPS (what a second core buys) and RPS per CPU-second (the cost of
    the supervisor and of two processes instead of one)."""

    def mean(name: str, value: str) -> float:
        found = [getattr(m, value) for m in results if m.gateway == name and m.correct]
        return sum(found) / len(found) if found else 0.0

    one, two = mean("switchboard", "rps"), mean("switchboard-2workers", "rps")
    if not (one and two):
        return []
    cpus = TWO_WORKER_CPUS
    shared = (
        "; CPU 1 is shared with wrk and the subgraphs, so a lower bound" if cpus == "0,1" else ""
    )
    return [
        f"- 1 vs 2 workers: {one:.0f} RPS with one worker on CPU 0, {two:.0f} RPS with "
        f"`workers: 2` on CPUs {cpus} ({two / one:.2f} times{shared}); "
        f"{mean('switchboard', 'rps_per_cpu'):.0f} against "
        f"{mean('switchboard-2workers', 'rps_per_cpu'):.0f} RPS per CPU-second."
    ]


def write_json(
    path: Path,
    *,
    results: Sequence[Measurement],
    dashboard: DashboardResult | None,
    context: dict[str, Any],
    workloads: Sequence[PhaseResult] = (),
    overhead: Sequence[OverheadResult] = (),
    subscriptions: Sequence[SubscriptionResult] = (),
) -> None:
    data = {
        "context": context,
        "federation": [m.as_dict() for m in results],
        "workloads": [r.as_dict() for r in workloads],
        "overhead": [r.as_dict() for r in overhead],
        "subscriptions": [r.as_dict() for r in subscriptions],
        "dashboard": dashboard.as_dict() if dashboard else None,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise BenchError("matplotlib is missing: uv sync --group bench (make bench does)") from None


def write_chart(
    path: Path, results: Sequence[Measurement], workloads: Sequence[PhaseResult] = ()
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = 2 if workloads else 1
    fig, axes = plt.subplots(rows, 3, figsize=(16, 4.8 * rows), squeeze=False)
    if workloads:
        workloads_report.draw(axes[1], workloads)
    if not results:
        for ax in axes[0]:
            ax.set_visible(False)
    _federation_chart(axes[0], results)
    fig.suptitle("One core per gateway: federation TestQuery (wrk, 50 connections) and the rest")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _federation_chart(axes: Any, results: Sequence[Measurement]) -> None:
    grouped = by_gateway(results)
    names = list(grouped)
    rounds = max((m.round for m in results), default=1)
    width = 0.8 / rounds
    ax_rps, ax_eff, ax_p99 = axes
    for r in range(1, rounds + 1):
        offsets = [i - 0.4 + width * (r - 0.5) for i in range(len(names))]
        rps = [next((m.rps for m in grouped[n] if m.round == r), 0.0) for n in names]
        p99 = [next((m.p99_ms for m in grouped[n] if m.round == r), 0.0) for n in names]
        eff = [next((m.rps_per_cpu for m in grouped[n] if m.round == r), 0.0) for n in names]
        ax_rps.bar(offsets, rps, width, label=f"round {r}")
        ax_eff.bar(offsets, eff, width, label=f"round {r}")
        ax_p99.bar(offsets, p99, width, label=f"round {r}")
    for ax, title in (
        (ax_rps, "requests/s (higher is better; log scale)"),
        (ax_eff, "requests per CPU-second of the gateway (log)"),
        (ax_p99, "p99 ms (lower is better; log scale)"),
    ):
        ax.set_yscale("log")  # the gateways span two orders of magnitude
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
        ax.set_title(title)
        ax.legend()
        ax.grid(axis="y", alpha=0.3)
