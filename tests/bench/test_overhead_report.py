"""The overhead section compares each configuration with the plain router's first run."""

from __future__ import annotations

from pathlib import Path

from bench.overhead import OverheadResult, _totals, markdown


def _result(name: str, instructions: int, target: float | None = None) -> OverheadResult:
    return OverheadResult(name, name, 100, instructions, target)


def test_each_configuration_is_judged_against_its_target() -> None:
    lines = markdown(
        [
            _result("switchboard", 1_000_000_000),
            _result("plugins-noop", 1_020_000_000, 3.0),
            _result("bearer-token", 1_060_000_000, 5.0),
            _result("switchboard-again", 1_004_000_000),
        ]
    )
    rows = {line.split(" | ")[0].strip("| "): line for line in lines if line.startswith("| ")}
    assert rows["plugins-noop"].endswith("| +2.0% | ≤ 3% | yes |")
    assert rows["bearer-token"].endswith("| +6.0% | ≤ 5% | **no** |")
    assert rows["switchboard-again"].endswith("| +0.4% |  |  |")
    assert rows["switchboard"].startswith("| switchboard | 10.00 |")


def test_totals_add_every_dump_callgrind_wrote(tmp_path: Path) -> None:
    out = tmp_path / "callgrind-x.out"
    out.write_text("events: Ir\nsummary: 0\ntotals: 700\n")
    (tmp_path / "callgrind-x.out.1").write_text("events: Ir\ntotals: 300\n")
    (tmp_path / "callgrind-y.out").write_text("totals: 5\n")
    assert _totals(out) == 1000
