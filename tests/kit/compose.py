"""Compose a case folder's subgraphs with Apollo's composition: ``python -m tests.kit.compose``.

Writes ``<case>/supergraph.graphql`` (checked in, so tests never compose at runtime). A
``<case>/compose.json`` holds composition options (``{"runSatisfiability": false}`` for the
cases of supergraphs Apollo's satisfiability check would refuse). The subgraph URLs are
placeholders (``http://kit.invalid/<case>/<subgraph>/graphql``); the
harness points both gateways at the running kit instead.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_JS = ROOT / "tests" / "oracle" / "compose.js"


def compose_case(case_dir: Path) -> str:
    services = [
        {
            "name": sdl.stem,
            "url": f"http://kit.invalid/{case_dir.name}/{sdl.stem}/graphql",
            "sdl": sdl.read_text(),
        }
        for sdl in sorted((case_dir / "subgraphs").glob("*.graphql"))
    ]
    options_path = case_dir / "compose.json"
    options = json.loads(options_path.read_text()) if options_path.exists() else {}
    completed = subprocess.run(
        ["node", str(COMPOSE_JS)],
        input=json.dumps({"services": services, "options": options}),
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(completed.stdout)
    if "errors" in result:
        raise SystemExit(f"{case_dir.name}: composition failed: {result['errors']}")
    supergraph: str = result["supergraphSdl"]
    return supergraph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=Path, nargs="+", help="case folders")
    for case_dir in parser.parse_args().cases:
        (case_dir / "supergraph.graphql").write_text(compose_case(case_dir) + "\n")
        print(f"composed {case_dir}")


if __name__ == "__main__":
    main()
