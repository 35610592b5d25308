"""Case folders under tests/schema/cases: a few subgraph SDL files plus case.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from schema.compose import SubgraphSource
from tests.schema.oracle import Service

CASES = Path(__file__).resolve().parent / "cases"


@dataclass(frozen=True)
class Case:
    """One composition case: its subgraphs, the expected outcome and any deliberate deviation."""

    name: str
    subgraphs: tuple[SubgraphSource, ...]
    expect: str | tuple[str, ...]
    deviation: str | None
    coordinates: tuple[str, ...] = ()

    def services(self) -> list[Service]:
        return [{"name": s.name, "url": s.url, "sdl": s.sdl} for s in self.subgraphs]


def load(folder: Path) -> Case:
    meta = json.loads((folder / "case.json").read_text())
    subgraphs = tuple(
        SubgraphSource(p.stem, f"http://{p.stem}.example/graphql", p.read_text())
        for p in sorted(folder.glob("*.graphql"))
    )
    expect = meta["expect"]
    return Case(
        name=folder.name,
        subgraphs=subgraphs,
        expect=expect if isinstance(expect, str) else tuple(expect),
        deviation=meta.get("deviation"),
        coordinates=tuple(meta.get("coordinates", ())),
    )


def all_cases() -> list[Case]:
    return [load(folder) for folder in sorted(CASES.iterdir()) if (folder / "case.json").exists()]
