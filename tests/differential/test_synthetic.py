"""Every synthetic case's operations: our router answers as Apollo's gateway does."""

from __future__ import annotations

import httpx
import pytest

from tests.differential.compare import disagreements
from tests.differential.corpus import CASES_DIR, Operation, load_operations, synthetic_cases
from tests.differential.expectations import REFERENCE_DEFECTS, check_documented, selected
from tests.differential.gateways import Pair, ask

OPERATIONS = selected(
    [op for case in synthetic_cases() for op in load_operations(CASES_DIR / case, case)]
)


@pytest.mark.oracle
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.id)
def test_same_answer_as_apollo(
    operation: Operation, synthetic_pairs: dict[str, Pair], http: httpx.Client
) -> None:
    pair = synthetic_pairs[operation.case]
    ours = ask(http, pair.ours, operation.body())
    documented = operation.id in REFERENCE_DEFECTS
    apollo = ask(http, pair.apollo, operation.body(), server_error_ok=documented)
    if check_documented(operation, ours, apollo):
        return
    problems = disagreements(ours, apollo)
    assert not problems, "\n".join(problems)
