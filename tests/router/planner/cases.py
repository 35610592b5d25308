"""Planner snapshot cases: one folder per feature, one operation per case."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

CASES = Path(__file__).parent / "cases"
ORACLE = Path(__file__).parents[2] / "oracle"


@dataclass(frozen=True)
class Case:
    """`<feature>/<name>.graphql` planned against `<feature>/supergraph.graphql`."""

    feature: Path
    name: str

    @property
    def id(self) -> str:
        return f"{self.feature.name}/{self.name}"

    @property
    def operation(self) -> str:
        return (self.feature / f"{self.name}.graphql").read_text()

    @property
    def expected_path(self) -> Path:
        return self.feature / f"{self.name}.plan"

    @property
    def supergraph(self) -> str:
        return (self.feature / "supergraph.graphql").read_text()


# Supergraphs where some operations cannot be planned (issue #16, items 8 and 9): their
# snapshots may be a planning error, and generated operations may be refused.
UNSATISFIABLE = frozenset({"unsatisfiable", "unresolvable_interface_object"})


def features() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "subgraphs").is_dir())


def all_cases() -> list[Case]:
    return [
        Case(feature, path.stem)
        for feature in features()
        for path in sorted(feature.glob("*.graphql"))
        if path.name != "supergraph.graphql"
    ]


def compose(feature: Path) -> str:
    """Compose `<feature>/subgraphs/*.graphql` with Apollo's composition (needs node)."""
    services = [
        {"name": p.stem, "url": f"http://{p.stem}.test/graphql", "sdl": p.read_text()}
        for p in sorted((feature / "subgraphs").glob("*.graphql"))
    ]
    options_path = feature / "compose.json"  # composition options, as for the kit's cases
    options = json.loads(options_path.read_text()) if options_path.exists() else {}
    completed = subprocess.run(
        ["node", str(ORACLE / "compose.js")],
        input=json.dumps({"services": services, "options": options}),
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(completed.stdout)
    if "errors" in result:
        raise ValueError(f"{feature.name}: {result['errors']}")
    sdl: str = result["supergraphSdl"]
    return sdl


def main() -> None:
    """Regenerate every feature's checked-in supergraph.graphql."""
    for feature in features():
        target = feature / "supergraph.graphql"
        if target.is_symlink():  # `switchboard` plans against schema/ itself: never rewrite it
            continue
        target.write_text(compose(feature) + "\n")
        print(f"composed {feature.name}")


if __name__ == "__main__":
    main()
