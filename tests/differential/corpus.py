"""Operations to compare: named operations from ``.graphql`` files, with variable sets."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, parse

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
REAL_DIR = HERE / "real"


@dataclass(frozen=True)
class Operation:
    """One request: a document, the operation to run in it and the variables to send."""

    case: str
    name: str
    document: str
    variables: dict[str, Any] = field(default_factory=dict)
    variant: int = 0

    @property
    def id(self) -> str:
        suffix = f"-{self.variant}" if self.variant else ""
        return f"{self.case}:{self.name}{suffix}"

    def body(self) -> dict[str, Any]:
        return {"query": self.document, "operationName": self.name, "variables": self.variables}


def load_operations(case_dir: Path, case: str) -> list[Operation]:
    """Every named operation of ``operations.graphql`` and ``operations/*.graphql``.

    ``variables.json`` maps an operation name to a list of variable sets: one request
    each (an operation without an entry is sent once, without variables).
    """
    variables_path = case_dir / "variables.json"
    variable_sets: dict[str, list[dict[str, Any]]] = (
        json.loads(variables_path.read_text()) if variables_path.exists() else {}
    )
    files = [case_dir / "operations.graphql", *sorted((case_dir / "operations").glob("*.graphql"))]
    operations: list[Operation] = []
    for path in files:
        if not path.exists():
            continue
        document = path.read_text()
        for definition in parse(document).definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            if definition.name is None:
                raise ValueError(f"{path}: every operation needs a name")
            name = definition.name.value
            for variant, variables in enumerate(variable_sets.get(name, [{}])):
                operations.append(Operation(case, name, document, variables, variant))
    return operations


def synthetic_cases() -> list[str]:
    """Every case folder; `SWITCHBOARD_DIFFERENTIAL_CASES=a,b` narrows a run to some."""
    cases = sorted(p.parent.name for p in CASES_DIR.glob("*/supergraph.graphql"))
    wanted = os.environ.get("SWITCHBOARD_DIFFERENTIAL_CASES")
    return [c for c in cases if c in wanted.split(",")] if wanted else cases
