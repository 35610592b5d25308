"""The billing scheduler waits for its peers, and logs each failure with its reason, once."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from subgraphs.common.clients import FailureLog, health_url
from subgraphs.subscriptions.billing import CycleReport, RunResult
from subgraphs.subscriptions.services import summary
from tests.support.processes import start_subgraph


def test_a_scheduler_whose_peers_are_down_waits_and_says_why_once(tmp_path: Path) -> None:
    served = start_subgraph(
        "subscriptions",
        f"sqlite+aiosqlite:///{tmp_path / 'subscriptions.db'}",
        tmp_path,
        env={"SUBSCRIPTIONS_BILLING_INTERVAL_SECONDS": "0.2"},
    )
    try:
        waiting = "waiting for http://127.0.0.1:9/health: ConnectError"
        deadline = time.monotonic() + 30
        while waiting not in served.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # several more polls of the closed port
        log = served.log()
        assert log.count(waiting) == 1, log
        assert "billing cycle" not in log  # no cycle ran against services that are down
    finally:
        served.stop()


def test_failures_are_logged_once_per_subject_and_reason() -> None:
    log = FailureLog(logging.getLogger("test.failures"), remember=2)
    assert log.once("sub_1", "invoices down")
    assert not log.once("sub_1", "invoices down")
    assert log.once("sub_1", "customers down")
    assert log.once("sub_2", "invoices down")
    assert log.once("sub_1", "invoices down")  # forgotten: only the last two are remembered


def test_a_cycle_is_summed_up_in_words() -> None:
    report = CycleReport(as_of=datetime(2026, 12, 1, tzinfo=UTC))
    report.results += [RunResult("s1", "PAID"), RunResult("s2", "PAID"), RunResult("s3", "ENDED")]
    assert summary(report) == "2 paid, 1 ended"
    assert health_url("http://127.0.0.1:4003/graphql") == "http://127.0.0.1:4003/health"
