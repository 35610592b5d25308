"""The subscriptions workload counts every way a subscriber's events can differ from 1..n."""

from __future__ import annotations

import pytest

from bench.subscription_bench import SubscriptionResult, markdown
from bench.subscription_client import Faults, percentile, sequence_faults


@pytest.mark.parametrize(
    ("seqs", "faults"),
    [
        ([1, 2, 3, 4], Faults(0, 0, 0)),
        ([1, 2, 4], Faults(1, 0, 0)),  # 3 never came
        ([1, 3, 2, 4], Faults(0, 1, 0)),  # 2 after 3
        ([1, 2, 2, 3, 4], Faults(0, 0, 1)),
        ([], Faults(4, 0, 0)),
        ([2, 1, 1], Faults(2, 1, 1)),
    ],
)
def test_sequence_faults(seqs: list[int], faults: Faults) -> None:
    assert sequence_faults(seqs, 4) == faults


def test_percentile_is_a_value_that_was_measured() -> None:
    values = [float(x) for x in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.99)) == (51.0, 100.0)
    assert percentile([], 0.99) == 0.0


def test_a_fault_or_a_wrong_label_shows_in_the_section() -> None:
    client = {
        "events": 1998, "events_expected": 2000, "missing": 1, "reordered": 0,
        "duplicated": 0, "labels_wrong": 1, "errors": 0, "cpu_seconds": 1.0,
        "subgraph_cpu_seconds": 0.5, "latency_ms": {"p50": 10.0, "p99": 20.0},
    }  # fmt: skip
    result = SubscriptionResult(
        "shared", "shared", 1000, 2, 200, 80, 130, 140, 0.5, 2, 1, 1.5, client
    )
    row = next(line for line in markdown([result]) if line.startswith("| shared"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2:6] == ["51", "80 → 130 → 140", "1998/2000", "2"]
    assert result.cpu_us_per_event == pytest.approx(1e6 * 0.5 / 1998)
