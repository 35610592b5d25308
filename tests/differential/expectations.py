"""Documented differences: where Apollo's gateway is wrong, and known planner bugs.

``REFERENCE_DEFECTS``: operations where the reference answers wrongly, read from each case
folder's ``reference_defects.json`` (``{"Operation[-variant]": {"reason", "data",
"errors"}}``). The test then requires our documented answer and that Apollo still differs
(so a fixed reference shows), unless Apollo's gateway failed with an HTTP 5xx, which
is the defect (``ask(..., server_error_ok=True)``).

``PLANNER_BUGS``: operations our planner gets wrong, pending a fix by its owner; they are
left out of the default run and included with ``SWITCHBOARD_DIFFERENTIAL_ALL=1``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from tests.differential.compare import canonical, disagreements
from tests.differential.corpus import CASES_DIR, REAL_DIR, Operation


@dataclass(frozen=True)
class ReferenceDefect:
    """Why Apollo is wrong on one operation, and the response we give instead."""

    reason: str
    data: Any
    errors: bool


def _load_defects() -> dict[str, ReferenceDefect]:
    defects: dict[str, ReferenceDefect] = {}
    folders = [(REAL_DIR, "real")] + [(path, path.name) for path in CASES_DIR.iterdir()]
    for folder, case in folders:
        path = folder / "reference_defects.json"
        if path.exists():
            for name, entry in json.loads(path.read_text()).items():
                defects[f"{case}:{name}"] = ReferenceDefect(**entry)
    return defects


REFERENCE_DEFECTS = _load_defects()

PLANNER_BUGS: dict[str, str] = {}


def selected(operations: list[Operation]) -> list[Operation]:
    if os.environ.get("SWITCHBOARD_DIFFERENTIAL_ALL") == "1":
        return operations
    return [op for op in operations if op.id not in PLANNER_BUGS]


def check_documented(operation: Operation, ours: dict[str, Any], apollo: dict[str, Any]) -> bool:
    """For a documented reference defect, check our answer; False when none is documented."""
    defect = REFERENCE_DEFECTS.get(operation.id)
    if defect is None:
        return False
    assert canonical(ours.get("data")) == canonical(defect.data), ours
    assert bool(ours.get("errors")) == defect.errors, ours
    if "httpStatus" in apollo:  # Apollo failed with a server error: the defect itself
        return True
    assert disagreements(ours, apollo), f"Apollo now agrees; drop the entry: {defect.reason}"
    return True
