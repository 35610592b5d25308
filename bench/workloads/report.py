"""The other workloads' figures: a table per run, the history file and their row of the chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.workloads.runner import PhaseResult

HEADER = (
    "| workload | phase | gateway | requests | RPS | p50 ms | p90 ms | p99 ms | max ms "
    "| gateway CPU | CPU ms/request | others on CPU 0 | subgraph req/query "
    "| authorization forwarded | RSS idle → max MB | load average | correct |"
)


def table(results: Sequence[PhaseResult]) -> str:
    rows = [HEADER, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|:-:|"]
    for r in results:
        load = r.load or {}
        rows.append(
            f"| {r.workload} | {r.phase} | {r.label} | {load.get('requests', 0):.0f} "
            f"| {load.get('rps', 0):.1f} | {load.get('p50_ms', 0):.1f} "
            f"| {load.get('p90_ms', 0):.1f} | {load.get('p99_ms', 0):.1f} "
            f"| {load.get('max_ms', 0):.0f} | {r.gateway_cpu_percent:.0f}% "
            f"| {r.cpu_ms_per_request:.1f} "
            f"| {r.other_cpu0_percent:.0f}% | {r.subgraph_requests_per_query:.2f} "
            f"| {100 * r.authorized_share:.0f}% | {r.idle_rss_mb:.0f} → {r.max_rss_mb:.0f} "
            f"| {r.loadavg} | {'yes' if r.correct else '**no**: ' + r.note} |"
        )
    return "\n".join(rows)


def markdown(results: Sequence[PhaseResult]) -> list[str]:
    if not results:
        return []
    return [
        "## Big response, cold planning, varied traffic",
        "",
        "Each workload has its own bench subgraphs process (CPU 1) and runs every gateway in "
        "turn (CPU 0), one round; the load generator is `bench/loadgen.py` (Python, CPU 1). "
        "Every gateway's answers were compared with the independently computed expected "
        "response before and after its load (cold planning: every answer; varied traffic: "
        "every 10th). Open-loop latency counts from the scheduled send time. "
        '"Load average" is the machine\'s 1/5/15-minute load at the end of the phase; '
        "max RSS is the gateway's VmHWM at the end of the phase (its peak so far); CPU "
        "ms/request is the gateway's CPU time over the phase per answered request, the "
        "figure that stays comparable when other work takes part of CPU 0.",
        "",
        table(results),
        "",
    ]


def append_history(
    path: Path,
    *,
    context: dict[str, Any],
    workloads: Sequence[PhaseResult],
    federation: Sequence[Any] = (),
    overhead: Sequence[Any] = (),
    subscriptions: Sequence[Any] = (),
) -> None:
    """One JSON line per run, appended, with the machine's load: runs stay comparable."""
    line = {
        "started": context["started"],
        "machine": context["machine"],
        "loadavg_before": context["loadavg"],
        "seconds": context.get("seconds"),
        "federation": [m.as_dict() for m in federation],
        "workloads": [r.as_dict() for r in workloads],
        "overhead": [r.as_dict() for r in overhead],
        "subscriptions": [r.as_dict() for r in subscriptions],
    }
    with path.open("a") as out:
        out.write(json.dumps(line) + "\n")


def draw(axes: Sequence[Any], results: Sequence[PhaseResult]) -> None:
    """One axis per workload: p50, p99 and CPU ms per request per gateway (and phase), log."""
    by_workload: dict[str, list[PhaseResult]] = {}
    for r in results:
        by_workload.setdefault(r.workload, []).append(r)
    for ax, (name, runs) in zip(axes, by_workload.items(), strict=False):
        several = len({x.phase for x in runs if x.load}) > 1
        labels = [r.gateway + (f"\n{r.phase}" if several else "") for r in runs]
        xs = list(range(len(runs)))
        for offset, key, label in ((-0.27, "p50_ms", "p50 ms"), (0, "p99_ms", "p99 ms")):
            heights = [r.load.get(key, 0) if r.load else 0 for r in runs]
            ax.bar([x + offset for x in xs], heights, 0.27, label=label)
        cpu = [r.cpu_ms_per_request if r.load and r.load["requests"] else 0 for r in runs]
        ax.bar([x + 0.27 for x in xs], cpu, 0.27, label="gateway CPU ms/request")
        for x, r in zip(xs, runs, strict=True):
            if not r.correct:
                ax.annotate(
                    "wrong" if r.load and r.load["requests"] else "no answer",
                    (x, 1),
                    xycoords=("data", "axes fraction"),
                    ha="center",
                    va="top",
                    color="red",
                    fontsize=8,
                )
        ax.set_yscale("log")
        ax.set_xticks(xs, labels, rotation=30, ha="right", fontsize=7)
        ax.set_title(f"{name}: ms (lower is better; log)")
        ax.legend(fontsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes)[len(by_workload) :]:
        ax.set_visible(False)
