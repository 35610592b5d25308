"""The many-candidate planner case (#16): generate it, and measure our plan for it.

Seven subgraphs; every type an entity keyed by `id` in every subgraph that has it; every
other field served by 3 to 5 subgraphs (`@shareable`); a deep ~5 KB query over them. Every
field has several subgraphs to come from and every jump is possible, so a planner that
chooses field by field sends far more fetches than one that chooses by cost.

- `python -m tests.router.planner.many_candidates write`: (re)write the case folder
  `cases/many_candidates/` (subgraph SDLs and the query; then compose it with
  `.venv/bin/python tests/router/planner/cases.py`);
- `python -m tests.router.planner.many_candidates measure`: cold planning time (fresh
  process state, median of a few runs) and the fetch count of the query.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

SUBGRAPHS = tuple(f"s{i}" for i in range(1, 8))
TYPES = tuple(f"T{i}" for i in range(8))
SCALARS = ("name", "code", "score", "label")
LINKS = ("owner", "parts", "next", "related")  # object fields: one-to-one or lists
ROOTS = ("top", "item", "all")
FOLDER = Path(__file__).parent / "cases" / "many_candidates"
HEADER = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", '
    'import: ["@key", "@shareable"])\n'
)


def _field_homes(rng: random.Random) -> dict[tuple[str, str], tuple[str, ...]]:
    """Which subgraphs serve each field: 3 to 5 of the seven."""
    homes: dict[tuple[str, str], tuple[str, ...]] = {}
    for type_name in ("Query", *TYPES):
        names = ROOTS if type_name == "Query" else (*SCALARS, *LINKS)
        for name in names:
            homes[(type_name, name)] = tuple(sorted(rng.sample(SUBGRAPHS, rng.randint(3, 5))))
    return homes


def _targets(rng: random.Random) -> dict[tuple[str, str], str]:
    """The type each object field returns (`[T]` for `parts` and `related`)."""
    targets = {(t, link): rng.choice(TYPES) for t in TYPES for link in LINKS}
    targets.update({("Query", root): rng.choice(TYPES) for root in ROOTS})
    return targets


def _field_type(name: str, target: str | None) -> str:
    if target is None:
        return "Int" if name == "score" else "String"
    return f"[{target}!]!" if name in ("parts", "related", "all") else target


def subgraph_sdls(seed: int = 16) -> dict[str, str]:
    """Each subgraph's SDL."""
    rng = random.Random(seed)
    homes = _field_homes(rng)
    targets = _targets(rng)
    sdls: dict[str, str] = {}
    for graph in SUBGRAPHS:
        fields: dict[str, list[str]] = {}
        for (type_name, name), graphs in homes.items():
            if graph in graphs:
                target = targets.get((type_name, name))
                line = f"  {name}: {_field_type(name, target)} @shareable"
                fields.setdefault(type_name, []).append(line)
                if target is not None:
                    fields.setdefault(target, [])
        blocks = [HEADER]
        for type_name in ("Query", *TYPES):
            if type_name not in fields:
                continue
            if type_name == "Query":
                blocks.append("type Query {\n" + "\n".join(fields[type_name]) + "\n}\n")
                continue
            body = "\n".join(["  id: ID!", *fields[type_name]])
            blocks.append(f'type {type_name} @key(fields: "id") {{\n{body}\n}}\n')
        sdls[graph] = "\n".join(blocks)
    return sdls


def query(seed: int = 16, size: int = 5_000) -> str:
    """A deep query of about `size` bytes (printed with two-space indentation)."""
    rng = random.Random(seed + 1)
    targets = _targets(_seeded_after_homes(seed))
    lines: list[str] = ["query ManyCandidates {"]
    roots = list(ROOTS)
    while sum(len(line) + 1 for line in lines) < size and roots:
        root = roots.pop(0)
        lines.append(f"  {root} {{")
        _selection(rng, targets, targets[("Query", root)], 2, lines, size)
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _seeded_after_homes(seed: int) -> random.Random:
    """The generator state `subgraph_sdls` uses for targets (after drawing the homes)."""
    rng = random.Random(seed)
    _field_homes(rng)
    return rng


def _selection(
    rng: random.Random,
    targets: dict[tuple[str, str], str],
    type_name: str,
    depth: int,
    lines: list[str],
    size: int,
) -> None:
    pad = "  " * depth
    lines.append(f"{pad}id")
    for name in rng.sample(SCALARS, rng.randint(2, len(SCALARS))):
        lines.append(f"{pad}{name}")
    if depth >= 6:
        return
    for link in rng.sample(LINKS, rng.randint(1, 3)):
        if sum(len(line) + 1 for line in lines) > size * 0.92:
            return
        lines.append(f"{pad}{link} {{")
        _selection(rng, targets, targets[(type_name, link)], depth + 1, lines, size)
        lines.append(f"{pad}}}")


def write() -> None:
    (FOLDER / "subgraphs").mkdir(parents=True, exist_ok=True)
    for name, sdl in subgraph_sdls().items():
        (FOLDER / "subgraphs" / f"{name}.graphql").write_text(sdl)
    (FOLDER / "deep_query.graphql").write_text(query())


def measure(runs: int = 7) -> None:
    """Cold planning: a fresh supergraph load each run, so no memo carries over."""
    from graphql import parse

    from router.planner import plan_operation
    from router.planner.budget import BudgetMeter
    from router.supergraph import load_supergraph
    from tests.router.planner.test_snapshots import _fetches

    sdl = (FOLDER / "supergraph.graphql").read_text()
    text = (FOLDER / "deep_query.graphql").read_text()
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        supergraph = load_supergraph(sdl)
        document = parse(text)
        meter = BudgetMeter()
        started, started_cpu = time.perf_counter(), time.thread_time()
        plan = plan_operation(supergraph, document, meter=meter)
        wall.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    print(
        f"query: {len(text)} bytes; fetches: {len(_fetches(plan.node))}; work units: "
        f"{meter.work}; cold planning over {runs} runs: CPU median "
        f"{statistics.median(cpu) * 1000:.1f} ms (min {min(cpu) * 1000:.1f}), wall median "
        f"{statistics.median(wall) * 1000:.1f} ms (min {min(wall) * 1000:.1f})"
    )


if __name__ == "__main__":
    {"write": write, "measure": measure}[sys.argv[1]]()
