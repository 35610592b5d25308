"""Sample a gateway with py-spy under load; summarise where its CPU time goes."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

from bench.contenders import ROOT
from bench.procs import BenchError


def py_spy() -> str:
    found = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
    if not Path(found).exists():
        raise BenchError("py-spy is missing: uv sync --group bench")
    return found


def start_sampling(pid: int, seconds: float, raw: Path, cpu: int) -> subprocess.Popen[bytes]:
    """py-spy on ``pid`` for ``seconds`` (non-blocking: the process is never paused)."""
    argv = ["taskset", "-c", str(cpu), py_spy(), "record", "--pid", str(pid)]
    argv += ["--duration", str(max(1, round(seconds))), "--rate", "100", "--nonblocking"]
    argv += ["--format", "raw", "--output", str(raw)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise(raw: Path, top: int = 25) -> str:
    """Self and inclusive share of samples per function, from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        frames = stack.split(";")
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    if not total:
        return "no samples\n"
    lines = [f"{total} samples", "", "self time:"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    lines += ["", "inclusive time:"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top * 2)]
    return "\n".join(lines) + "\n"
