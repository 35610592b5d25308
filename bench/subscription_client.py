"""The subscriptions workload's load client: ``count`` graphql-transport-ws subscribers, one
WebSocket each, asyncio + websockets, driven over stdin/stdout by bench/subscription_bench.py.

It subscribes them all, waits until each has its seq 0 (attached), prints ``{"attached": s}``,
waits for a line on stdin (the bench has sampled the router and started the run), then
collects seq 1..n per subscriber until every stream completes or ``--deadline`` passes, and
prints one JSON result line: events, missing/reordered/duplicated counts, latency
percentiles (the subgraph's ``sentAt`` → receive, same machine clock).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

OPEN_AT_ONCE = 50  # WebSocket handshakes in flight at a time

QUERY = """subscription Ticks($run: Int!, $n: Int!, $everyMs: Int!, $key: Int!) {
  ticks(run: $run, n: $n, everyMs: $everyMs, key: $key) { seq sentAt%s }
}"""


class Faults(NamedTuple):
    """How a subscriber's sequence of seqs differs from 1..n, in order, once each."""

    missing: int
    reordered: int  # a seq lower than one already received
    duplicated: int

    @property
    def total(self) -> int:
        return self.missing + self.reordered + self.duplicated


def sequence_faults(seqs: Sequence[int], n: int) -> Faults:
    seen: set[int] = set()
    reordered = duplicated = 0
    highest = 0
    for seq in seqs:
        if seq in seen:
            duplicated += 1
            continue
        if seq < highest:
            reordered += 1
        seen.add(seq)
        highest = max(highest, seq)
    missing = len(set(range(1, n + 1)) - seen)
    return Faults(missing, reordered, duplicated)


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class Subscriber:
    key: int
    attached: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    seqs: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    labels_wrong: int = 0
    error: str | None = None


async def _open(url: str) -> ClientConnection:
    socket = await connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=60,
        compression=None,
        proxy=None,
        ping_interval=None,
    )
    await socket.send('{"type":"connection_init","payload":{}}')
    while orjson.loads(await socket.recv()).get("type") != "connection_ack":
        pass
    return socket


async def _subscribe(
    subscriber: Subscriber,
    url: str,
    variables: dict[str, int],
    entity: bool,
    gate: asyncio.Semaphore,
) -> None:
    try:
        async with gate:
            socket = await _open(url)
        query = QUERY % (" label" if entity else "")
        payload = {"query": query, "variables": {**variables, "key": subscriber.key}}
        await socket.send(
            orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode()
        )
        async for raw in socket:
            message: dict[str, Any] = orjson.loads(raw)
            kind = message.get("type")
            if kind == "ping":
                await socket.send('{"type":"pong"}')
            elif kind == "next":
                _received(subscriber, message["payload"], entity, time.time())
            elif kind == "complete":
                break
            else:
                subscriber.error = f"{kind}: {str(message.get('payload'))[:200]}"
                break
        await socket.close()
    except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as exc:
        subscriber.error = repr(exc)[:200]
    finally:
        subscriber.attached.set()  # a failed one does not hold the run up
        subscriber.done.set()


def _received(subscriber: Subscriber, payload: dict[str, Any], entity: bool, now: float) -> None:
    tick = (payload.get("data") or {}).get("ticks")
    if not isinstance(tick, dict) or payload.get("errors"):
        subscriber.error = f"event: {str(payload)[:200]}"
        return
    seq = int(tick["seq"])
    if seq == 0:
        subscriber.attached.set()
        return
    subscriber.seqs.append(seq)
    subscriber.latencies.append(now - float(tick["sentAt"]))
    if entity and not str(tick.get("label", "")).endswith(f"-{seq}"):
        subscriber.labels_wrong += 1


async def run(args: argparse.Namespace) -> dict[str, Any]:
    began = time.monotonic()
    gate = asyncio.Semaphore(OPEN_AT_ONCE)
    variables = {"run": args.run, "n": args.n, "everyMs": args.every_ms}
    subscribers = [Subscriber(i if args.distinct else 0) for i in range(args.count)]
    tasks = [
        asyncio.create_task(_subscribe(s, args.url, variables, args.entity, gate))
        for s in subscribers
    ]
    with contextlib.suppress(TimeoutError):  # the unattached ones will show as missing
        await asyncio.wait_for(asyncio.gather(*(s.attached.wait() for s in subscribers)), 120)
    attached = time.monotonic() - began
    print(orjson.dumps({"attached": round(attached, 2)}).decode(), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started, cpu = time.monotonic(), time.process_time()
    with_deadline = asyncio.gather(*(s.done.wait() for s in subscribers))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(with_deadline, args.deadline)
    delivered, cpu = time.monotonic() - started, time.process_time() - cpu
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {**_summary(subscribers, args.n, attached, delivered), "cpu_seconds": round(cpu, 2)}


def _summary(
    subscribers: Sequence[Subscriber], n: int, attached: float, delivered: float
) -> dict[str, Any]:
    faults = [sequence_faults(s.seqs, n) for s in subscribers]
    latencies = [x for s in subscribers for x in s.latencies]
    errors = [s.error for s in subscribers if s.error]
    return {
        "subscribers": len(subscribers),
        "attach_seconds": round(attached, 2),
        "unattached": sum(1 for s in subscribers if not s.attached.is_set()),
        "deliver_seconds": round(delivered, 2),
        "events_expected": n * len(subscribers),
        "events": sum(len(s.seqs) for s in subscribers),
        "missing": sum(f.missing for f in faults),
        "reordered": sum(f.reordered for f in faults),
        "duplicated": sum(f.duplicated for f in faults),
        "subscribers_with_faults": sum(1 for f in faults if f.total),
        "labels_wrong": sum(s.labels_wrong for s in subscribers),
        "latency_ms": {
            "p50": round(1000 * percentile(latencies, 0.50), 2),
            "p99": round(1000 * percentile(latencies, 0.99), 2),
            "max": round(1000 * max(latencies, default=0.0), 2),
        },
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.subscription_client")
    parser.add_argument("--url", required=True, help="the router's ws://…/graphql")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--run", type=int, required=True)
    parser.add_argument("--n", type=int, default=20, help="events per subscription")
    parser.add_argument("--every-ms", type=int, default=200)
    parser.add_argument("--distinct", action="store_true", help="distinct variables each")
    parser.add_argument("--entity", action="store_true", help="select Tick.label (labels)")
    parser.add_argument("--deadline", type=float, default=60, help="seconds after the start")
    result = asyncio.run(run(parser.parse_args()))
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    main()
